/*
 * test_advisory: the advisory codes of issue 12 as classify judges them (scanner/classify.c,
 * note_advice): each is raised by its fact and threshold, only with facts.advisories set, never
 * changes the verdict, and policy_max_age_short follows the per-mode thresholds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/classify.h"
#include "scanner/tlscheck.h"

#define NOW ((time_t)1800000000)

/* A domain with one covered, passing MX, a valid TXT and TLS-RPT record and the policy body. */
struct fixture {
    struct classify_facts f;
    struct dns_mx_answer mx;
    struct txt_sts sts;
    struct txt_tlsrpt tlsrpt;
    struct https_fetch_result fetch;
    struct policy policy;
    struct classify_probes probes;
    struct classify_mx cmx;
    struct domain_result r;
};

static void setup(struct fixture *x, const char *body, int advisories)
{
    memset(x, 0, sizeof(*x));
    x->mx.status = DNS_OK;
    x->mx.n = 1;
    x->mx.mx[0].pref = 10;
    snprintf(x->mx.mx[0].host, sizeof(x->mx.mx[0].host), "a.mx.example.net");
    x->sts.status = TXT_STATUS_OK;
    snprintf(x->sts.id, sizeof(x->sts.id), "1");
    x->tlsrpt.status = TXT_STATUS_OK;
    x->fetch.status = HTTPS_FETCH_OK;
    x->fetch.http_status = 200;
    x->fetch.handshake_done = 1;
    x->fetch.cert.not_after = NOW + 400 * 86400;
    policy_parse(body, strlen(body), &x->policy);
    classify_probes_init(&x->probes, DNS_OK);
    struct smtp_probe_result ok;
    memset(&ok, 0, sizeof(ok));
    ok.tls.not_after = 1893456000; /* 2030-01-01T00:00:00Z */
    classify_probes_add(&x->probes, "192.0.2.1", &ok);
    x->cmx = (struct classify_mx){"a.mx.example.net", 10, &x->probes};
    x->f = (struct classify_facts){.domain = "example.net", .finished_at = NOW, .mx_dns = DNS_OK,
                                   .mx_answer = &x->mx, .sts_dns = DNS_OK, .sts_ttl = 3600,
                                   .sts = &x->sts, .tlsrpt_dns = DNS_OK, .tlsrpt = &x->tlsrpt,
                                   .policy_checked = 1, .policy_queried = 1,
                                   .policy_host_dns = DNS_OK, .fetch = &x->fetch,
                                   .policy = &x->policy, .mx = &x->cmx, .n_mx = 1,
                                   .advisories = advisories};
}

static int has(const struct fixture *x, enum issue_code c)
{
    return issue_set_has(&x->r.issues, c);
}

static void run(struct fixture *x)
{
    result_init(&x->r);
    classify_domain(&x->f, &x->r);
}

#define ENFORCE(age) "version: STSv1\nmode: enforce\nmx: *.mx.example.net\nmax_age: " age "\n"
#define TESTING(age) "version: STSv1\nmode: testing\nmx: *.mx.example.net\nmax_age: " age "\n"

static void test_clean_domain_has_no_advice(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604800"), 1);
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_ENFORCE_OK);
    assert_int_equal(x.r.issues.bits, 0);
}

static void test_mode_testing(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, TESTING("604800"), 1);
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_TESTING_OK);
    assert_true(has(&x, ISSUE_POLICY_MODE_TESTING));
    setup(&x, TESTING("604800"), 0); /* a bulk scan without --advisories: row as before */
    run(&x);
    assert_false(has(&x, ISSUE_POLICY_MODE_TESTING));
}

static void test_max_age_thresholds(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604799"), 1);
    run(&x);
    assert_true(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    assert_int_equal(x.r.verdict, VERDICT_ENFORCE_OK);
    assert_non_null(strstr(x.r.detail, "max_age 604799 below 604800 (enforce)"));
    setup(&x, ENFORCE("604800"), 1);
    run(&x);
    assert_false(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    setup(&x, ENFORCE("86400"), 1);
    x.f.thresholds.max_age_min_enforce = 86400; /* --max-age-min-enforce 86400 */
    run(&x);
    assert_false(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    setup(&x, TESTING("86399"), 1);
    run(&x);
    assert_true(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    setup(&x, TESTING("86400"), 1);
    run(&x);
    assert_false(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    setup(&x, "version: STSv1\nmode: none\nmax_age: 60\n", 1); /* withdrawn: never */
    run(&x);
    assert_false(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    setup(&x, "version: STSv1\nmode: none\nmax_age: 60\n", 0); /* without: the parser's one day */
    run(&x);
    assert_true(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
    setup(&x, ENFORCE("86400"), 0);
    run(&x);
    assert_false(has(&x, ISSUE_POLICY_MAX_AGE_SHORT));
}

static void test_sts_ttl(void **state)
{
    (void)state;
    const long ttl[] = {299, 300, 3600, 3601, 0};
    const int want[] = {1, 0, 0, 1, 1};
    for (size_t i = 0; i < sizeof(ttl) / sizeof(ttl[0]); i++) {
        struct fixture x;
        setup(&x, ENFORCE("604800"), 1);
        x.f.sts_ttl = ttl[i];
        run(&x);
        assert_int_equal(has(&x, ISSUE_STS_TTL_UNUSUAL), want[i]);
        assert_int_equal(x.r.verdict, VERDICT_ENFORCE_OK);
    }
    struct fixture x; /* no v=STSv1 record: the name is beside the point */
    setup(&x, ENFORCE("604800"), 1);
    x.sts.status = TXT_STATUS_MISSING;
    x.f.sts_ttl = 60;
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_NOT_DEPLOYED);
    assert_false(has(&x, ISSUE_STS_TTL_UNUSUAL));
}

static void test_extra_records(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604800"), 1);
    x.f.sts_other_records = 2;
    run(&x);
    assert_true(has(&x, ISSUE_STS_TXT_EXTRA_RECORDS));
    assert_non_null(strstr(x.r.detail, "2 other TXT records at _mta-sts"));
    x.sts.status = TXT_STATUS_MISSING; /* only non-STS records: not_deployed, no advice */
    run(&x);
    assert_false(has(&x, ISSUE_STS_TXT_EXTRA_RECORDS));
}

static void test_expiring(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604800"), 1);
    x.fetch.cert.not_after = NOW + 10 * 86400;
    run(&x);
    assert_true(has(&x, ISSUE_CERT_EXPIRING_SOON));
    assert_non_null(strstr(x.r.detail, "certificate of mta-sts.example.net expires"));
    x.fetch.cert.not_after = NOW + 40 * 86400;
    run(&x);
    assert_false(has(&x, ISSUE_CERT_EXPIRING_SOON));
    x.f.thresholds.expiry_days = 60; /* --expiry-days 60 */
    run(&x);
    assert_true(has(&x, ISSUE_CERT_EXPIRING_SOON));
    /* an MX certificate: its probe's not_after */
    setup(&x, ENFORCE("604800"), 1);
    struct smtp_probe_result soon;
    memset(&soon, 0, sizeof(soon));
    soon.tls.not_after = 1800403200; /* 2027-01-20T00:00:00Z, NOW + 5 d */
    classify_probes_add(&x.probes, "192.0.2.2", &soon);
    run(&x);
    assert_true(has(&x, ISSUE_CERT_EXPIRING_SOON));
    assert_non_null(strstr(x.r.detail, "certificate of a.mx.example.net"));
    assert_int_equal(x.r.verdict, VERDICT_ENFORCE_OK);
}

static void test_chain_incomplete(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604800"), 1);
    x.fetch.status = HTTPS_FETCH_CERT_UNTRUSTED;
    x.fetch.cert_flags = TLSCHECK_UNTRUSTED | TLSCHECK_CHAIN_INCOMPLETE;
    x.f.policy = NULL;
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_INVALID);
    assert_true(has(&x, ISSUE_POLICY_CERT_UNTRUSTED));
    assert_true(has(&x, ISSUE_CERT_CHAIN_INCOMPLETE));
    setup(&x, ENFORCE("604800"), 1);
    struct smtp_probe_result bad;
    memset(&bad, 0, sizeof(bad));
    bad.status = SMTP_PROBE_CERT_INVALID;
    bad.tls.flags = TLSCHECK_UNTRUSTED | TLSCHECK_CHAIN_INCOMPLETE;
    classify_probes_add(&x.probes, "192.0.2.3", &bad);
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_WOULD_FAIL);
    assert_true(has(&x, ISSUE_MX_CERT_UNTRUSTED));
    assert_true(has(&x, ISSUE_CERT_CHAIN_INCOMPLETE));
    x.f.advisories = 0;
    run(&x);
    assert_false(has(&x, ISSUE_CERT_CHAIN_INCOMPLETE));
}

static void test_other_address_failed(void **state)
{
    (void)state;
    struct fixture x;
    struct classify_fetch_try t = {"192.0.2.9", HTTPS_FETCH_CONNECT_FAILED};
    setup(&x, ENFORCE("604800"), 1);
    x.f.fetch_failed = &t;
    x.f.n_fetch_failed = 1;
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_ENFORCE_OK);
    assert_true(has(&x, ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED));
    assert_non_null(strstr(x.r.detail, "192.0.2.9 (connect_failed)"));
    x.fetch.status = HTTPS_FETCH_CONNECT_FAILED; /* none served: the fetch failure itself */
    x.f.policy = NULL;
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_INVALID);
    assert_false(has(&x, ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED));
}

static void test_resolvers(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604800"), 1);
    run(&x);
    classify_resolvers("", &x.r);
    classify_resolvers(NULL, &x.r);
    assert_false(has(&x, ISSUE_RESOLVERS_DISAGREE));
    classify_resolvers("_mta-sts TXT: a says x, b says y", &x.r);
    assert_true(has(&x, ISSUE_RESOLVERS_DISAGREE));
    assert_int_equal(x.r.verdict, VERDICT_ENFORCE_OK);
    assert_non_null(strstr(x.r.detail, "resolvers disagree: _mta-sts TXT"));
}

/* Issue 19: a dns_error domain gets dns_lookup_failed (severity error, so check's "Findings" lists
 * it with a fix), with advisories only, and the verdict stays dns_error. */
static void test_dns_lookup_failed(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x, ENFORCE("604800"), 1);
    x.f.sts_dns = DNS_SERVFAIL;
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_DNS_ERROR);
    assert_true(has(&x, ISSUE_DNS_LOOKUP_FAILED));
    assert_true(classify_is_failure(&x.r));
    x.f.advisories = 0;
    run(&x);
    assert_int_equal(x.r.verdict, VERDICT_DNS_ERROR);
    assert_false(has(&x, ISSUE_DNS_LOOKUP_FAILED));
    setup(&x, ENFORCE("604800"), 1); /* a working domain never gets it */
    run(&x);
    assert_false(has(&x, ISSUE_DNS_LOOKUP_FAILED));
}

/* The one expiry rule (row and report): within the window, not past; 0 = default; < 0 = never. */
static void test_expiring_soon_rule(void **state)
{
    (void)state;
    assert_true(classify_expiring_soon(NOW + 86400, NOW, 0));
    assert_true(classify_expiring_soon(NOW + 30 * 86400, NOW, 0));
    assert_false(classify_expiring_soon(NOW + 30 * 86400 + 1, NOW, 0));
    assert_true(classify_expiring_soon(NOW + 40 * 86400, NOW, 45));
    assert_false(classify_expiring_soon(NOW + 86400, NOW, -1));
    assert_false(classify_expiring_soon(NOW, NOW, 0));      /* expired: its own code */
    assert_false(classify_expiring_soon(0, NOW, 0));        /* unknown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_domain_has_no_advice),
        cmocka_unit_test(test_mode_testing),
        cmocka_unit_test(test_max_age_thresholds),
        cmocka_unit_test(test_sts_ttl),
        cmocka_unit_test(test_extra_records),
        cmocka_unit_test(test_expiring),
        cmocka_unit_test(test_chain_incomplete),
        cmocka_unit_test(test_other_address_failed),
        cmocka_unit_test(test_resolvers),
        cmocka_unit_test(test_dns_lookup_failed),
        cmocka_unit_test(test_expiring_soon_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
