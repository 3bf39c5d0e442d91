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
    /* DANE (RFC 7672 §2.2.2): the stub plays a validating resolver for the names in secure[] */
    {"", DS_DNSKEY, "key"},
    {"dane.test", DS_A, "127.0.0.1"},
    {"_25._tcp.dane.test", DS_TLSA,
     "3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"},
    {"_25._tcp.dane.test", DS_TLSA, "1 1 1 aa"},
    {"notlsa.test", DS_A, "127.0.0.1"},
    {"bogustlsa.test", DS_A, "127.0.0.1"},
    {"_25._tcp.bogustlsa.test", DS_TLSA, "3 1 1 00"},
    {"plain.test", DS_A, "127.0.0.1"},
    {"_25._tcp.plain.test", DS_TLSA, "3 1 1 00"},
    /* CNAME aliases (RFC 7672 §2.2.2): TLSA at the expanded name first, else at the alias */
    {"alias1.test", DS_CNAME, "target1.test"},
    {"target1.test", DS_A, "127.0.0.1"},
    {"_25._tcp.target1.test", DS_TLSA, "3 1 1 0102"},
    {"_25._tcp.target1.test", DS_TLSA, "3 0 1 0304"},
    {"_25._tcp.alias1.test", DS_TLSA, "3 1 1 ff"},
    {"alias2.test", DS_CNAME, "target2.test"},
    {"target2.test", DS_A, "127.0.0.1"},
    {"_25._tcp.alias2.test", DS_TLSA, "3 1 1 ff"},
};
static const char *const secure_names[] = {"", "dane.test", "_25._tcp.dane.test", "notlsa.test",
                                           "_25._tcp.notlsa.test", "bogustlsa.test",
                                           "alias1.test", "_25._tcp.target1.test", "alias2.test",
                                           "_25._tcp.target2.test", "_25._tcp.alias2.test", NULL};
static const char *const bogus_names[] = {"_25._tcp.bogustlsa.test", NULL};

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
                   long domains_sharing, time_t probed_at, const struct mx_outcome *o,
                   void *arg)
{
    (void)o;
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

/* What a waiter saw of its host's DANE facts. */
struct dane_seen {
    struct env *e;
    struct classify_probes probes;
    int had_set;
    size_t n_rec;
};

static void on_dane_outcome(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    struct dane_seen *d = w->arg;
    d->e->called++;
    d->probes = o->probes;
    d->had_set = o->tlsa != NULL;
    d->n_rec = o->tlsa ? o->tlsa->n : 0;
}

static void on_probe_v(enum dns_validation v, enum dns_status st, void *arg)
{
    (void)v, (void)st;
    event_base_loopbreak(arg);
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

static int done_4(struct env *e)
{
    return e->called == 4 && mxcache_busy(e->mx) == 0;
}

/* RFC 7672 §2.2.2 in the cache: a host with secure address records gets its TLSA records looked
 * up once, kept in its entry (usable ones counted); a secure denial is no TLSA; a bogus TLSA
 * answer is recorded as bogus; a host in an unsigned zone is never asked (no query at all). */
static void test_tlsa_only_for_secure_hosts(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 0, 4, 100);
    e.stub.secure = secure_names;
    e.stub.bogus = bogus_names;
    dns_probe_dnssec(e.dns, on_probe_v, e.base);
    event_base_dispatch(e.base);
    assert_int_equal(dns_validation(e.dns), DNS_VALIDATION_YES);

    const char *hosts[] = {"dane.test", "notlsa.test", "bogustlsa.test", "plain.test"};
    struct dane_seen seen[4];
    struct mxcache_waiter w[4];
    for (int i = 0; i < 4; i++) {
        memset(&seen[i], 0, sizeof(seen[i]));
        seen[i].e = &e;
        w[i] = (struct mxcache_waiter){.cb = on_dane_outcome, .arg = &seen[i]};
    }
    int q0 = e.stub.queries;
    mxcache_get(e.mx, hosts[3], &w[3]);
    run_until(&e, idle);
    assert_int_equal(e.stub.queries - q0, 2); /* A and AAAA only: no TLSA for an unsigned host */
    assert_int_equal(seen[3].probes.addr_sec, DNS_SEC_INSECURE);
    assert_int_equal(seen[3].probes.tlsa_queried, 0);
    assert_false(seen[3].had_set);

    for (int i = 0; i < 3; i++)
        mxcache_get(e.mx, hosts[i], &w[i]);
    run_until(&e, done_4);

    assert_int_equal(seen[0].probes.addr_sec, DNS_SEC_SECURE);
    assert_int_equal(seen[0].probes.tlsa_queried, 1);
    assert_int_equal(seen[0].probes.tlsa_sec, DNS_SEC_SECURE);
    assert_int_equal(seen[0].probes.tlsa_dns, DNS_OK);
    assert_int_equal(seen[0].probes.n_tlsa, 2);
    assert_int_equal(seen[0].probes.n_tlsa_usable, 1); /* 1 1 1 (PKIX-EE) is not, RFC 7672 §3.1.3 */
    assert_true(seen[0].had_set);
    assert_int_equal(seen[0].n_rec, 2);
    assert_int_equal(seen[0].probes.n_addr, 1); /* probed after the TLSA answer */
    /* the records reached the probe (through the TLS worker): the port refuses, so no chain */
    assert_int_equal(seen[0].probes.addr[0].dane, DANE_MATCH_NO_CHAIN);
    assert_int_equal(seen[3].probes.addr[0].dane, DANE_MATCH_NONE); /* unsigned: not judged */

    assert_int_equal(seen[1].probes.tlsa_queried, 1);
    assert_int_equal(seen[1].probes.tlsa_sec, DNS_SEC_SECURE);
    assert_int_equal(seen[1].probes.tlsa_dns, DNS_NXDOMAIN);
    assert_int_equal(seen[1].probes.n_tlsa, 0);
    assert_int_equal(seen[1].probes.addr[0].dane, DANE_MATCH_NONE); /* no records: not judged */
    assert_false(seen[1].had_set);

    assert_int_equal(seen[2].probes.tlsa_queried, 1);
    assert_int_equal(seen[2].probes.tlsa_sec, DNS_SEC_BOGUS);
    assert_int_equal(seen[2].probes.tlsa_dns, DNS_SERVFAIL);
    assert_false(seen[2].had_set);

    /* once per scan: a second domain asking for dane.test is a cache hit, no new query */
    int q1 = e.stub.queries;
    struct dane_seen again = {.e = &e};
    struct mxcache_waiter wa = {.cb = on_dane_outcome, .arg = &again};
    mxcache_get(e.mx, "dane.test", &wa);
    assert_int_equal(e.stub.queries, q1);
    assert_int_equal(again.probes.n_tlsa_usable, 1);
    assert_true(again.had_set);

    /* a CNAME alias: the expanded name's records (two), never the alias's (one); an alias whose
     * target securely has none: the alias's own (one) */
    struct dane_seen a1 = {.e = &e}, a2 = {.e = &e};
    struct mxcache_waiter wa1 = {.cb = on_dane_outcome, .arg = &a1};
    struct mxcache_waiter wa2 = {.cb = on_dane_outcome, .arg = &a2};
    e.called = 0;
    mxcache_get(e.mx, "alias1.test", &wa1);
    mxcache_get(e.mx, "alias2.test", &wa2);
    run_until(&e, idle);
    assert_int_equal(e.called, 2);
    assert_int_equal(a1.probes.addr_sec, DNS_SEC_SECURE);
    assert_int_equal(a1.probes.tlsa_sec, DNS_SEC_SECURE);
    assert_int_equal(a1.n_rec, 2);
    assert_int_equal(a2.probes.tlsa_dns, DNS_OK);
    assert_int_equal(a2.n_rec, 1);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_with_probes_pending),
        cmocka_unit_test(test_sharing_counts_every_domain),
        cmocka_unit_test(test_row_on_eviction_and_cancel),
        cmocka_unit_test(test_internal_error_is_not_a_fact),
        cmocka_unit_test(test_tlsa_only_for_secure_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
