/* test_mxcache: the shared MX probes against loopback servers (a DNS stub, SMTP listeners that
 * accept and never answer or that refuse): teardown with probes queued and running, the MX
 * table's domains_sharing count (final when the host leaves the cache or at flush), cancelled
 * waiters, and the scanner's own failures never posing as the host's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pipeline/mxcache.h"
#include "scanner/classify.h"
#include "scanner/tlscheck.h"
#include "tests/support/dns_stub.h"
#include "tests/support/tls_server.h"

static const struct ds_record records[] = {
    {"mx1.test", DS_A, "127.0.0.1"},
    {"mx2.test", DS_A, "127.0.0.1"},
    {"mx3.test", DS_A, "127.0.0.1"},
};

struct row {
    char host[64];
    char addr[64];
    long sharing;
    enum smtp_probe_status status;
};

struct env {
    struct event_base *base;
    struct dns_stub stub;
    struct ts_server smtp;
    struct config cfg;
    struct dns *dns;
    SSL_CTX *ctx;
    struct tlsworker *tls;
    struct mxcache *mx;
    struct row rows[16];
    int n_rows;
    int called;
};

static void on_row(const char *host, const char *addr, const struct smtp_probe_result *res,
                   long domains_sharing, time_t probed_at, void *arg)
{
    struct env *e = arg;
    assert_true(e->n_rows < 16);
    assert_true(probed_at > 0);
    struct row *r = &e->rows[e->n_rows++];
    snprintf(r->host, sizeof(r->host), "%s", host);
    snprintf(r->addr, sizeof(r->addr), "%s", addr);
    r->sharing = domains_sharing;
    r->status = res->status;
}

static void on_outcome(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    (void)o;
    struct env *e = w->arg;
    e->called++;
}

/* hang: probes hang until --timeout (a listener that never answers); otherwise the port
 * refuses connections (probes end at once with connect_failed). */
static void env_open(struct env *e, int hang, long conn_per_addr, long cache_max)
{
    memset(e, 0, sizeof(*e));
    e->base = event_base_new();
    ds_start(&e->stub, e->base, records, sizeof(records) / sizeof(records[0]));
    ts_server_start(&e->smtp, e->base, NULL, TS_PLAIN_SILENT, NULL, 0);
    config_defaults(&e->cfg);
    e->cfg.timeout_sec = 5;
    e->cfg.mx_conn_per_addr = conn_per_addr;
    e->cfg.mx_rate_per_addr = 0;
    e->cfg.mx_cache_max = cache_max;
    e->cfg.smtp_port = ntohs(hang ? e->smtp.addr.sin_port : ts_closed_port().sin_port);
    char err[256];
    struct dns_opts o = {.servers = e->stub.server, .timeout_sec = 2, .tries = 1};
    e->dns = dns_new(e->base, &o, err, sizeof(err));
    e->ctx = tlscheck_ctx_new(NULL, err, sizeof(err));
    e->tls = tlsworker_new(e->base, e->ctx, 0, err, sizeof(err));
    e->mx = mxcache_new(e->base, e->dns, e->tls, &e->cfg, on_row, e);
    assert_non_null(e->mx);
}

static void env_close(struct env *e)
{
    if (e->mx)
        mxcache_free(e->mx);
    tlsworker_free(e->tls);
    dns_free(e->dns);
    SSL_CTX_free(e->ctx);
    ts_server_stop(&e->smtp);
    ds_stop(&e->stub);
    event_base_free(e->base);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Turns the loop until done(e) or 5 s. */
static void run_until(struct env *e, int (*done)(struct env *))
{
    double t0 = now();
    while (!done(e) && now() - t0 < 5) {
        struct timeval tick = {0, 20000};
        event_base_loopexit(e->base, &tick);
        event_base_dispatch(e->base);
    }
    assert_true(done(e));
}

static int two_resolved(struct env *e)
{
    return mxcache_counters(e->mx)->hosts_resolved == 2;
}

static int idle(struct env *e)
{
    return mxcache_busy(e->mx) == 0;
}

/* One probe runs, another waits for the address's only slot: freeing the cache now must not
 * touch the waiting probe's ticket after freeing it (heap-use-after-free under ASan). */
static void test_free_with_probes_pending(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1, 1, 100);
    struct mxcache_waiter w1 = {.cb = on_outcome, .arg = &e}, w2 = {.cb = on_outcome, .arg = &e};
    mxcache_get(e.mx, "mx1.test", &w1);
    mxcache_get(e.mx, "mx2.test", &w2);
    run_until(&e, two_resolved);
    assert_int_equal(mxcache_counters(e.mx)->probes_started, 1); /* the other one is queued */
    assert_int_equal(mxcache_busy(e.mx), 2);
    mxcache_free(e.mx);
    e.mx = NULL;
    assert_int_equal(e.called, 0);
    assert_int_equal(e.n_rows, 0);
    env_close(&e);
}

/* 20 domains ask for one host: some while it is being probed, the rest after (cache hits).  The
 * row is written at flush with 20, not with the number waiting when the probe ended. */
static void test_sharing_counts_every_domain(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 0, 4, 100);
    struct mxcache_waiter w[20];
    for (int i = 0; i < 5; i++) {
        w[i] = (struct mxcache_waiter){.cb = on_outcome, .arg = &e};
        mxcache_get(e.mx, "mx1.test", &w[i]);
    }
    run_until(&e, idle);
    assert_int_equal(e.called, 5);
    assert_int_equal(e.n_rows, 0); /* the count is not final yet */
    for (int i = 5; i < 20; i++) {
        w[i] = (struct mxcache_waiter){.cb = on_outcome, .arg = &e};
        mxcache_get(e.mx, "mx1.test", &w[i]);
    }
    assert_int_equal(e.called, 20);
    mxcache_flush(e.mx);
    assert_int_equal(e.n_rows, 1);
    assert_string_equal(e.rows[0].host, "mx1.test");
    assert_string_equal(e.rows[0].addr, "127.0.0.1");
    assert_int_equal(e.rows[0].sharing, 20);
    assert_int_equal(e.rows[0].status, SMTP_PROBE_CONNECT_FAILED);
    mxcache_flush(e.mx);
    assert_int_equal(e.n_rows, 1); /* written once */
    env_close(&e);
}

/* With room for one finished host, the first is evicted when the second ends: its row is
 * written then, with its count; a cancelled waiter is not called but still counts. */
static void test_row_on_eviction_and_cancel(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 0, 4, 1);
    struct mxcache_waiter a[3], b;
    for (int i = 0; i < 3; i++) {
        a[i] = (struct mxcache_waiter){.cb = on_outcome, .arg = &e};
        mxcache_get(e.mx, "mx1.test", &a[i]);
    }
    mxcache_cancel_waiter(e.mx, &a[1]);
    mxcache_cancel_waiter(e.mx, &a[1]); /* twice: a no-op */
    run_until(&e, idle);
    assert_int_equal(e.called, 2);
    assert_int_equal(e.n_rows, 0);
    b = (struct mxcache_waiter){.cb = on_outcome, .arg = &e};
    mxcache_get(e.mx, "mx2.test", &b);
    run_until(&e, idle);
    assert_int_equal(e.called, 3);
    assert_int_equal(e.n_rows, 1);
    assert_string_equal(e.rows[0].host, "mx1.test");
    assert_int_equal(e.rows[0].sharing, 3);
    assert_int_equal(mxcache_counters(e.mx)->evictions, 1);
    mxcache_flush(e.mx);
    assert_int_equal(e.n_rows, 2);
    assert_string_equal(e.rows[1].host, "mx2.test");
    assert_int_equal(e.rows[1].sharing, 1);
    env_close(&e);
}

/* The scanner's own failure (out of memory) maps to scanner_error, never to a host's fault, and
 * makes the verdict scanner_error instead of a verdict about the domain. */
static void test_internal_error_is_not_a_fact(void **state)
{
    (void)state;
    struct smtp_probe_result p;
    memset(&p, 0, sizeof(p));
    p.status = SMTP_PROBE_INTERNAL_ERROR;
    snprintf(p.error, sizeof(p.error), "out of memory");
    struct classify_probes probes;
    classify_probes_init(&probes, DNS_OK);
    classify_probes_add(&probes, "192.0.2.1", &p);
    assert_int_equal(classify_fetch_issue(HTTPS_FETCH_INTERNAL_ERROR), ISSUE_SCANNER_ERROR);
    assert_string_equal(smtp_probe_status_str(SMTP_PROBE_INTERNAL_ERROR), "internal_error");
    assert_string_equal(https_fetch_status_str(HTTPS_FETCH_INTERNAL_ERROR), "internal_error");

    /* a valid record whose policy fetch failed inside the scanner */
    struct txt_sts sts;
    memset(&sts, 0, sizeof(sts));
    sts.status = TXT_STATUS_OK;
    struct https_fetch_result fr;
    memset(&fr, 0, sizeof(fr));
    fr.status = HTTPS_FETCH_INTERNAL_ERROR;
    struct classify_mx mx = {.host = "mx.example", .preference = 10, .probes = NULL};
    struct classify_facts f = {.mx_dns = DNS_OK, .sts_dns = DNS_OK, .sts = &sts,
                               .tlsrpt_dns = DNS_NXDOMAIN, .policy_checked = 1,
                               .policy_host_dns = DNS_OK, .fetch = &fr,
                               .mx = &mx, .n_mx = 1};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_SCANNER_ERROR);
    assert_true(issue_set_has(&r.issues, ISSUE_SCANNER_ERROR));
    assert_false(issue_set_has(&r.issues, ISSUE_POLICY_CONNECT_FAILED));
    assert_false(issue_set_has(&r.issues, ISSUE_POLICY_HTTP_STATUS));
    assert_non_null(strstr(r.detail, "not a fact about the domain"));

    /* an MX host whose probe could not start: scanner_error, not mx_connect_failed */
    fr.status = HTTPS_FETCH_OK;
    f.fetch = NULL;
    f.sts_dns = DNS_NXDOMAIN; /* not deployed, --starttls all */
    mx.probes = &probes;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_SCANNER_ERROR);
    assert_true(issue_set_has(&r.mxs[0].issues, ISSUE_SCANNER_ERROR));
    assert_false(issue_set_has(&r.issues, ISSUE_MX_CONNECT_FAILED));

    /* a host lookup the scanner could not make: scanner_error, not mx_connect_failed */
    classify_probes_init(&probes, DNS_INTERNAL_ERROR);
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_SCANNER_ERROR);
    assert_false(issue_set_has(&r.issues, ISSUE_MX_CONNECT_FAILED));

    /* a step failed by the scanner, named by the domain */
    f.scanner_error = "policy parse";
    mx.probes = NULL;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_SCANNER_ERROR);
    assert_non_null(strstr(r.detail, "policy parse"));

    /* a lookup the scanner could not make: not dns_error */
    f.scanner_error = NULL;
    f.sts_dns = DNS_INTERNAL_ERROR;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_SCANNER_ERROR);
    assert_non_null(strstr(r.detail, "scanner error in dns"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_with_probes_pending),
        cmocka_unit_test(test_sharing_counts_every_domain),
        cmocka_unit_test(test_row_on_eviction_and_cancel),
        cmocka_unit_test(test_internal_error_is_not_a_fact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
