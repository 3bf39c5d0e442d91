/* test_domain: the per-domain deadline (--domain-timeout) and scanner-side failures, through the
 * real stages (c-ares, HTTPS fetch, SMTP probe, mxcache) against loopback servers: a DNS stub
 * and listeners that accept and never answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pipeline/domain.h"
#include "scanner/tlscheck.h"
#include "tests/support/dns_stub.h"
#include "tests/support/domain_env.h"
#include "tests/support/tls_server.h"

static const struct ds_record records[] = {
    /* a domain whose policy host accepts and never answers */
    {"sts.test", DS_MX, "10 mx.sts.test"},
    {"_mta-sts.sts.test", DS_TXT, "v=STSv1; id=1"},
    {"mta-sts.sts.test", DS_A, "127.0.0.1"},
    {"mx.sts.test", DS_A, "127.0.0.1"},
    /* domains without MTA-STS sharing one MX host (probed with --starttls all) */
    {"a.test", DS_MX, "10 mx.shared.test"},
    {"b.test", DS_MX, "10 mx.shared.test"},
    {"mx.shared.test", DS_A, "127.0.0.1"},
    /* slow DNS (the stub's delay) and a fast neighbour */
    {"slow.test", DS_MX, "10 mx.slow.test"},
    {"fast.test", DS_MX, "10 mx.fast.test"},
    /* DANE: a signed domain (secure MX RRset, no MTA-STS) and its unsigned twin */
    {"", DS_DNSKEY, "key"},
    {"signed.test", DS_MX, "10 mx.signed.test"},
    {"mx.signed.test", DS_A, "127.0.0.1"},
    {"unsigned.test", DS_MX, "10 mx.signed.test"},
};
static const char *const secure_names[] = {"", "signed.test", NULL};

static void on_probe_v(enum dns_validation v, enum dns_status st, void *arg)
{
    (void)v, (void)st;
    event_base_loopbreak(arg);
}

struct env {
    struct event_base *base;
    struct dns_stub stub;
    struct ts_server https, smtp; /* plain listeners that never answer */
    struct config cfg;
    struct domain_env de;
    struct domain d;
    int finished;
    struct domain_result res;
    double t_start, t_finish;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_finish(struct domain *d, void *arg)
{
    struct env *e = arg;
    e->finished++;
    e->res = *d->result;
    e->t_finish = now();
    domain_recycle(d);
    event_base_loopbreak(e->base);
}

static void env_open(struct env *e, double timeout, double domain_timeout, enum starttls_mode st)
{
    memset(e, 0, sizeof(*e));
    e->base = event_base_new();
    ds_start(&e->stub, e->base, records, sizeof(records) / sizeof(records[0]));
    ts_server_start(&e->https, e->base, NULL, TS_PLAIN_SILENT, NULL, 0);
    ts_server_start(&e->smtp, e->base, NULL, TS_PLAIN_SILENT, NULL, 0);
    config_defaults(&e->cfg);
    e->cfg.timeout_sec = timeout;
    e->cfg.domain_timeout_sec = domain_timeout;
    e->cfg.starttls = st;
    e->cfg.tls_threads = 0;
    e->cfg.https_port = ntohs(e->https.addr.sin_port);
    e->cfg.smtp_port = ntohs(e->smtp.addr.sin_port);
    domain_env_open(&e->de, e->base, &e->cfg, e->stub.server, 5, NULL, on_finish, e);
}

static void env_close(struct env *e)
{
    domain_env_close(&e->de);
    domain_slot_free(&e->d);
    ts_server_stop(&e->https);
    ts_server_stop(&e->smtp);
    ds_stop(&e->stub);
    event_base_free(e->base);
}

/* Runs the loop until the domain finished (or 10 s, a failure). */
static void scan_one(struct env *e, const char *name)
{
    int before = e->finished;
    e->t_start = now();
    domain_start(&e->d, &e->de, name, 1);
    struct timeval limit = {10, 0};
    while (e->finished == before && now() - e->t_start < 10)
        event_base_loopexit(e->base, &limit), event_base_dispatch(e->base);
    assert_int_equal(e->finished, before + 1);
}

/* A policy host that accepts and never answers, under a step timeout (3 s) longer than the
 * domain's deadline (0.5 s): the domain ends at the deadline, the fetch cut and said so. */
static void test_policy_fetch_cut(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 3, 0.5, STARTTLS_MODE_NONE);
    scan_one(&e, "sts.test");
    double took = e.t_finish - e.t_start;
    assert_true(took >= 0.45 && took < 1.5);
    assert_true(issue_set_has(&e.res.issues, ISSUE_DOMAIN_TIMEOUT));
    assert_true(issue_set_has(&e.res.issues, ISSUE_POLICY_TIMEOUT));
    assert_false(issue_set_has(&e.res.issues, ISSUE_SCANNER_ERROR));
    assert_int_equal(e.res.verdict, VERDICT_INVALID);
    assert_non_null(strstr(e.res.detail, "cut: policy_fetch"));
    assert_int_equal(e.https.accepted, 1);
    env_close(&e);
}

/* An MX host that accepts and never answers: the domain is cut at its deadline with the host
 * not probed; the shared probe goes on and serves the next domain of that MX host from the
 * cache, and the cut domain still counts among the host's domains. */
static void test_mx_probe_cut_probe_goes_on(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 1.5, 0.4, STARTTLS_MODE_ALL);
    e.cfg.retry_timeouts = 0; /* one probe, not a --retry-timeouts retry of it */
    scan_one(&e, "a.test");
    double took = e.t_finish - e.t_start;
    assert_true(took >= 0.35 && took < 1.2);
    assert_true(issue_set_has(&e.res.issues, ISSUE_DOMAIN_TIMEOUT));
    assert_false(issue_set_has(&e.res.issues, ISSUE_MX_CONNECT_FAILED)); /* not a fact: unknown */
    assert_non_null(strstr(e.res.detail, "cut: mx_probe"));
    assert_int_equal(mxcache_busy(e.de.mx), 1); /* the probe goes on */
    /* let the probe end by its own --timeout */
    double t0 = now();
    while (mxcache_busy(e.de.mx) > 0 && now() - t0 < 5) {
        struct timeval tick = {0, 50000};
        event_base_loopexit(e.base, &tick);
        event_base_dispatch(e.base);
    }
    assert_int_equal(mxcache_busy(e.de.mx), 0);
    e.cfg.domain_timeout_sec = 5;
    scan_one(&e, "b.test");
    assert_false(issue_set_has(&e.res.issues, ISSUE_DOMAIN_TIMEOUT));
    assert_true(issue_set_has(&e.res.issues, ISSUE_MX_CONNECT_FAILED)); /* the probe's outcome */
    assert_int_equal(mxcache_counters(e.de.mx)->cache_hits, 1);
    assert_int_equal(mxcache_counters(e.de.mx)->probes_started, 1);
    env_close(&e);
}

/* DNS slower than the deadline: cut as dns (a DNS timeout, hence dns_error).  The slot is then
 * reused at once for another domain while the first one's answers are still on their way: they
 * must not be taken for the second domain's. */
static void test_dns_cut_stale_answers_ignored(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 3, 0.3, STARTTLS_MODE_NONE);
    e.stub.delay_ms = 1000;
    scan_one(&e, "slow.test");
    assert_true(e.t_finish - e.t_start < 0.9);
    assert_int_equal(e.res.verdict, VERDICT_DNS_ERROR);
    assert_true(issue_set_has(&e.res.issues, ISSUE_DOMAIN_TIMEOUT));
    assert_non_null(strstr(e.res.detail, "cut: dns"));
    /* slow.test's answers arrive at ~1.0 s, fast.test's at ~1.8 s */
    e.stub.delay_ms = 1500;
    e.cfg.domain_timeout_sec = 5;
    scan_one(&e, "fast.test");
    assert_true(e.t_finish - e.t_start >= 1.4);
    assert_string_equal(e.res.domain, "fast.test");
    assert_string_equal(e.res.mx, "mx.fast.test");
    assert_false(issue_set_has(&e.res.issues, ISSUE_DOMAIN_TIMEOUT));
    assert_int_equal(e.finished, 2);
    env_close(&e);
}

/* A --concurrency slot holds no row (issue 22): the row is built in the env's one row when the
 * domain ends and is gone from the slot once it is recycled, so a waiting domain costs its facts
 * only. */
static void test_slot_holds_no_row(void **state)
{
    (void)state;
    assert_true(sizeof(struct domain) < sizeof(struct domain_result) / 4);
    struct env e;
    env_open(&e, 3, 5, STARTTLS_MODE_NONE);
    domain_start(&e.d, &e.de, "fast.test", 7);
    assert_null(e.d.result); /* in flight: no row yet */
    struct timeval limit = {10, 0};
    event_base_loopexit(e.base, &limit);
    event_base_dispatch(e.base);
    assert_int_equal(e.finished, 1);
    assert_string_equal(e.res.domain, "fast.test");
    assert_int_equal(e.res.rank, 7);
    assert_string_equal(e.res.mx, "mx.fast.test");
    assert_null(e.d.result); /* recycled by on_finish */
    /* the next domain's row starts empty: nothing of the previous one is left in it */
    domain_reject(&e.d, &e.de, "not a domain", 8, "not a domain name");
    assert_int_equal(e.finished, 2);
    assert_int_equal(e.res.rank, 8);
    assert_string_equal(e.res.mx, "");
    assert_int_equal(e.res.verdict, VERDICT_INPUT_INVALID);
    env_close(&e);
}

/* --domain-timeout's default is a multiple of --timeout, longer by each retry; 0 turns it off. */
static void test_default_deadline(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    cfg.timeout_sec = 5;
    cfg.retry_timeouts = 0;
    assert_true(config_domain_timeout(&cfg) == 15);
    /* each --retry-timeouts retry adds its pause (min(2 s, --timeout / 2)) and one --timeout */
    cfg.retry_timeouts = 1;
    assert_true(config_domain_timeout(&cfg) == 22);
    char a0[] = "mtasts-scan", a1[] = "--domain-timeout", a2[] = "0";
    char *argv[] = {a0, a1, a2, NULL};
    assert_int_equal(config_parse_args(&cfg, 3, argv, stdout, stderr), 0);
    assert_true(config_domain_timeout(&cfg) == 0);
}

/* --starttls sts probes the MX hosts of a domain whose MX RRset is DNSSEC-secure, MTA-STS or
 * not (DANE applies to it, RFC 7672 §2.2.1, and only a probe can judge it); an unsigned domain
 * without MTA-STS stays unprobed. */
static void test_secure_mx_is_probed(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, 0.3, 5, STARTTLS_MODE_STS);
    e.cfg.retry_timeouts = 0;
    e.stub.secure = secure_names;
    dns_probe_dnssec(e.de.dns, on_probe_v, e.base);
    event_base_dispatch(e.base);
    assert_int_equal(dns_validation(e.de.dns), DNS_VALIDATION_YES);
    scan_one(&e, "unsigned.test");
    assert_int_equal(e.res.mx_dnssec, DNS_SEC_INSECURE);
    assert_int_equal(e.res.mxs[0].state, MX_PROBE_NOT_PROBED);
    scan_one(&e, "signed.test");
    assert_int_equal(e.res.mx_dnssec, DNS_SEC_SECURE);
    assert_int_equal(e.res.mxs[0].state, MX_PROBE_DONE);
    assert_int_equal(e.res.verdict, VERDICT_NOT_DEPLOYED); /* the verdict stays MTA-STS's */
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_fetch_cut),
        cmocka_unit_test(test_mx_probe_cut_probe_goes_on),
        cmocka_unit_test(test_dns_cut_stale_answers_ignored),
        cmocka_unit_test(test_default_deadline),
        cmocka_unit_test(test_secure_mx_is_probed),
        cmocka_unit_test(test_slot_holds_no_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
