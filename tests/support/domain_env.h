/*
 * domain_env: header-only helper (static functions, for the cmocka tests only) that builds and
 * tears down the services a domain state machine runs on (pipeline/domain.h's struct
 * domain_env): the DNS stage pointed at one server, a TLS context (ca_file NULL = the system's),
 * an inline TLS worker, the MX cache and the policy-host politeness limit.  The tests own the
 * event base, the configuration and the servers; this owns only what it creates.
 */
#ifndef MTASTS_TEST_DOMAIN_ENV_H
#define MTASTS_TEST_DOMAIN_ENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "pipeline/addrlimit.h"
#include "pipeline/domain.h"
#include "pipeline/mxcache.h"
#include "pipeline/mxroute.h"
#include "pipeline/tlsworker.h"
#include "scanner/dns.h"
#include "scanner/tlscheck.h"

/* Fills de; every service must come up (asserted). */
static __attribute__((unused)) void
domain_env_open(struct domain_env *de, struct event_base *base, const struct config *cfg,
                const char *dns_server, double dns_timeout_sec, const char *ca_file,
                void (*finish)(struct domain *d, void *arg), void *finish_arg)
{
    char err[256];
    struct dns_opts o = {.servers = dns_server, .timeout_sec = dns_timeout_sec, .tries = 1};
    memset(de, 0, sizeof(*de));
    de->base = base;
    de->cfg = cfg;
    de->dns = dns_new(base, &o, err, sizeof(err));
    de->ssl_ctx = tlscheck_ctx_new(ca_file, err, sizeof(err));
    de->tls = tlsworker_new(base, de->ssl_ctx, 0, err, sizeof(err));
    de->mx = mxcache_new(base, de->dns, de->tls, cfg, NULL, NULL);
    de->mxroute = mxroute_new(base, de->mx, 0, 1); /* one engine: it asks de->mx */
    de->https_limit = addrlimit_new(base, 8, 0);
    de->finish = finish;
    de->finish_arg = finish_arg;
    assert_non_null(de->dns);
    assert_non_null(de->ssl_ctx);
    assert_non_null(de->tls);
    assert_non_null(de->mx);
    assert_non_null(de->mxroute);
    assert_non_null(de->https_limit);
}

/* Frees what domain_env_open made (in the order the services depend on each other). */
static __attribute__((unused)) void domain_env_close(struct domain_env *de)
{
    mxcache_free(de->mx);
    mxroute_free(de->mxroute);
    addrlimit_free(de->https_limit);
    tlsworker_free(de->tls);
    dns_free(de->dns);
    SSL_CTX_free(de->ssl_ctx);
}

#endif
