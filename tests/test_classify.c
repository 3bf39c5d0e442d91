/*
 * test_classify: the verdict logic as a table.  Each row builds the facts the stages would have
 * found (DNS statuses, TXT parse results, fetch result, policy text, MX probe outcomes) and states
 * the verdict and the exact issue set a domain must get.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/classify.h"

#define ENFORCE "version: STSv1\nmode: enforce\nmx: *.mx.example.net\nmax_age: 604800\n"
#define TESTING "version: STSv1\nmode: testing\nmx: *.mx.example.net\nmax_age: 604800\n"
#define NONE "version: STSv1\nmode: none\nmax_age: 604800\n"
#define BADMODE "version: STSv1\nmode: Enforce\nmx: *.mx.example.net\nmax_age: 604800\n"

enum probe { P_NONE, P_OK, P_NOTLS, P_EXPIRED, P_MISMATCH, P_REFUSED, P_SELF };

struct row {
    const char *name;
    enum dns_status mx_dns, sts_dns, tlsrpt_dns, host_dns;
    int null_mx, n_mx;          /* n_mx 0 with mx_dns NODATA = implicit MX */
    enum dns_status implicit_addr;
    enum txt_status sts, tlsrpt;
    int fetch;                  /* 0 none, 1 done */
    enum https_fetch_status fetch_status;
    const char *body;
    enum probe probe[2];
    const char *mx_host[2];
    int starttls_none, dns_only;
    enum verdict verdict;
    uint64_t issues;
    enum starttls_status starttls;
};

#define B(c) ((uint64_t)1 << (c))
#define GOOD_MX {"a.mx.example.net", "b.mx.example.net"}

static const struct row rows[] = {
    {"servfail on MX", DNS_SERVFAIL, DNS_NXDOMAIN, DNS_NXDOMAIN, DNS_OK, 0, 0, DNS_OK,
     TXT_STATUS_MISSING, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_DNS_ERROR, 0, STARTTLS_NOT_PROBED},
    {"timeout on TXT", DNS_OK, DNS_TIMEOUT, DNS_NXDOMAIN, DNS_OK, 0, 1, DNS_OK,
     TXT_STATUS_MISSING, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_DNS_ERROR, 0, STARTTLS_NOT_PROBED},
    {"null MX", DNS_OK, DNS_NXDOMAIN, DNS_NXDOMAIN, DNS_OK, 1, 0, DNS_OK, TXT_STATUS_MISSING,
     TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0, VERDICT_NO_MAIL, 0,
     STARTTLS_NOT_PROBED},
    {"no MX, no address", DNS_NODATA, DNS_NXDOMAIN, DNS_NXDOMAIN, DNS_OK, 0, 0, DNS_NXDOMAIN,
     TXT_STATUS_MISSING, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_NO_MAIL, 0, STARTTLS_NOT_PROBED},
    {"no MX, has address, no sts", DNS_NODATA, DNS_NXDOMAIN, DNS_NXDOMAIN, DNS_OK, 0, 0, DNS_OK,
     TXT_STATUS_MISSING, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_NOT_DEPLOYED, 0, STARTTLS_NOT_PROBED},
    {"plain domain", DNS_OK, DNS_NXDOMAIN, DNS_NXDOMAIN, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_MISSING,
     TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0, VERDICT_NOT_DEPLOYED, 0,
     STARTTLS_NOT_PROBED},
    {"txt invalid", DNS_OK, DNS_OK, DNS_NXDOMAIN, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_INVALID,
     TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0, VERDICT_NOT_DEPLOYED,
     B(ISSUE_TXT_INVALID), STARTTLS_NOT_PROBED},
    {"txt multiple, tlsrpt broken", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK,
     TXT_STATUS_MULTIPLE, TXT_STATUS_INVALID, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_NOT_DEPLOYED, B(ISSUE_TXT_MULTIPLE) | B(ISSUE_TLSRPT_INVALID), STARTTLS_NOT_PROBED},
    {"tlsrpt multiple, no sts", DNS_OK, DNS_NXDOMAIN, DNS_OK, DNS_OK, 0, 1, DNS_OK,
     TXT_STATUS_MISSING, TXT_STATUS_MULTIPLE, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_NOT_DEPLOYED, B(ISSUE_TLSRPT_MULTIPLE), STARTTLS_NOT_PROBED},
    {"enforce ok", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 1,
     HTTPS_FETCH_OK, ENFORCE, {P_OK, P_OK}, GOOD_MX, 0, 0, VERDICT_ENFORCE_OK, 0, STARTTLS_ALL_OK},
    {"testing ok, tlsrpt missing", DNS_OK, DNS_OK, DNS_NXDOMAIN, DNS_OK, 0, 2, DNS_OK,
     TXT_STATUS_OK, TXT_STATUS_MISSING, 1, HTTPS_FETCH_OK, TESTING, {P_OK, P_OK}, GOOD_MX, 0, 0,
     VERDICT_TESTING_OK, B(ISSUE_TLSRPT_MISSING), STARTTLS_ALL_OK},
    {"mode none", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 1,
     HTTPS_FETCH_OK, NONE, {P_OK, P_OK}, GOOD_MX, 0, 0, VERDICT_MODE_NONE, 0, STARTTLS_ALL_OK},
    {"policy host unresolved", DNS_OK, DNS_OK, DNS_OK, DNS_NXDOMAIN, 0, 2, DNS_OK, TXT_STATUS_OK,
     TXT_STATUS_OK, 0, 0, NULL, {P_OK, P_OK}, GOOD_MX, 0, 0, VERDICT_INVALID,
     B(ISSUE_POLICY_HOST_UNRESOLVED), STARTTLS_ALL_OK},
    {"redirect", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 1,
     HTTPS_FETCH_REDIRECT, NULL, {P_OK, P_OK}, GOOD_MX, 0, 0, VERDICT_INVALID,
     B(ISSUE_POLICY_HTTP_REDIRECT), STARTTLS_ALL_OK},
    {"expired policy cert", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK,
     TXT_STATUS_OK, 1, HTTPS_FETCH_CERT_EXPIRED, NULL, {P_OK, P_OK}, GOOD_MX, 0, 0,
     VERDICT_INVALID, B(ISSUE_POLICY_CERT_EXPIRED), STARTTLS_ALL_OK},
    {"bad mode", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 1,
     HTTPS_FETCH_OK, BADMODE, {P_OK, P_OK}, GOOD_MX, 0, 0, VERDICT_INVALID,
     B(ISSUE_POLICY_MODE_INVALID), STARTTLS_ALL_OK},
    {"enforce, one MX uncovered", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK,
     TXT_STATUS_OK, 1, HTTPS_FETCH_OK, ENFORCE, {P_OK, P_OK}, {"a.mx.example.net", "mx.other.org"},
     0, 0, VERDICT_WOULD_FAIL, B(ISSUE_MX_NOT_COVERED), STARTTLS_ALL_OK},
    {"enforce, one MX without STARTTLS", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK,
     TXT_STATUS_OK, TXT_STATUS_OK, 1, HTTPS_FETCH_OK, ENFORCE, {P_OK, P_NOTLS}, GOOD_MX, 0, 0,
     VERDICT_WOULD_FAIL, B(ISSUE_MX_STARTTLS_MISSING), STARTTLS_SOME_FAILED},
    {"testing, all MX bad certs", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK,
     TXT_STATUS_OK, 1, HTTPS_FETCH_OK, TESTING, {P_EXPIRED, P_MISMATCH}, GOOD_MX, 0, 0,
     VERDICT_WOULD_FAIL, B(ISSUE_MX_CERT_EXPIRED) | B(ISSUE_MX_CERT_HOSTNAME_MISMATCH),
     STARTTLS_NONE_OK},
    {"enforce, refused and self-signed", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK,
     TXT_STATUS_OK, TXT_STATUS_OK, 1, HTTPS_FETCH_OK, ENFORCE, {P_REFUSED, P_SELF}, GOOD_MX, 0, 0,
     VERDICT_WOULD_FAIL, B(ISSUE_MX_CONNECT_FAILED) | B(ISSUE_MX_CERT_UNTRUSTED),
     STARTTLS_NONE_OK},
    {"starttls none: judged on coverage", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK,
     TXT_STATUS_OK, TXT_STATUS_OK, 1, HTTPS_FETCH_OK, ENFORCE, {P_NONE, P_NONE}, GOOD_MX, 1, 0,
     VERDICT_ENFORCE_OK, 0, STARTTLS_NOT_PROBED},
    {"dns only", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 0, 0,
     NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 1, VERDICT_STS_UNCHECKED, 0, STARTTLS_NOT_PROBED},
    {"not deployed but probed (--starttls all)", DNS_OK, DNS_NXDOMAIN, DNS_NXDOMAIN, DNS_OK, 0, 2,
     DNS_OK, TXT_STATUS_MISSING, TXT_STATUS_MISSING, 0, 0, NULL, {P_OK, P_NOTLS}, GOOD_MX, 0, 0,
     VERDICT_NOT_DEPLOYED, B(ISSUE_MX_STARTTLS_MISSING), STARTTLS_SOME_FAILED},
};

static void fake_probe(enum probe p, struct classify_mx *m)
{
    struct smtp_probe_result r;
    memset(&r, 0, sizeof(r));
    m->probed = p != P_NONE;
    switch (p) {
    case P_NONE: case P_OK: r.status = SMTP_PROBE_OK; break;
    case P_NOTLS: r.status = SMTP_PROBE_STARTTLS_MISSING; break;
    case P_REFUSED: r.status = SMTP_PROBE_CONNECT_FAILED; break;
    case P_EXPIRED: r.status = SMTP_PROBE_CERT_INVALID; r.tls.flags = TLSCHECK_EXPIRED; break;
    case P_MISMATCH: r.status = SMTP_PROBE_CERT_INVALID; r.tls.flags = TLSCHECK_HOSTNAME_MISMATCH; break;
    case P_SELF: r.status = SMTP_PROBE_CERT_INVALID; r.tls.flags = TLSCHECK_UNTRUSTED; break;
    }
    classify_probe_issues(&r, &m->problems);
    m->why = "test";
}

static void run_row(const struct row *t)
{
    struct txt_sts sts = {.status = t->sts, .id = "20260101"};
    struct txt_tlsrpt rpt = {.status = t->tlsrpt, .rua = "mailto:tlsrpt@example.com"};
    struct https_fetch_result fr;
    struct policy pol;
    struct classify_mx mx[2];
    struct domain_result r;
    memset(&fr, 0, sizeof(fr));
    memset(mx, 0, sizeof(mx));
    fr.status = t->fetch_status;
    fr.http_status = t->fetch_status == HTTPS_FETCH_REDIRECT ? 301 : 200;
    if (t->body)
        policy_parse(t->body, strlen(t->body), &pol);
    size_t n = (size_t)t->n_mx;
    for (size_t i = 0; i < n; i++) {
        mx[i].host = t->mx_host[i];
        fake_probe(t->probe[i], &mx[i]);
    }
    if (t->n_mx == 0 && t->implicit_addr == DNS_OK) {
        n = 1;
        mx[0].host = "implicit.example";
    }
    struct classify_facts f = {
        .mx_dns = t->mx_dns, .null_mx = t->null_mx, .implicit_addr = t->implicit_addr,
        .sts_dns = t->sts_dns, .sts = &sts, .tlsrpt_dns = t->tlsrpt_dns, .tlsrpt = &rpt,
        .policy_checked = !t->dns_only, .policy_host_dns = t->host_dns, .fetch_done = t->fetch,
        .fetch = t->fetch ? &fr : NULL, .policy = t->body ? &pol : NULL, .mx = mx, .n_mx = n,
        .starttls_disabled = t->starttls_none,
    };
    result_init(&r);
    classify_domain(&f, &r);
    char got[512], want[512];
    struct issue_set w = {t->issues};
    issue_set_format(&r.issues, got, sizeof(got));
    issue_set_format(&w, want, sizeof(want));
    if (r.verdict != t->verdict || r.issues.bits != t->issues || r.starttls_status != t->starttls)
        print_error("row '%s': verdict %s (want %s), issues '%s' (want '%s'), starttls %s (want %s)\n",
                    t->name, verdict_str(r.verdict), verdict_str(t->verdict), got, want,
                    starttls_status_str(r.starttls_status), starttls_status_str(t->starttls));
    assert_int_equal(r.verdict, t->verdict);
    assert_true(r.issues.bits == t->issues);
    assert_int_equal(r.starttls_status, t->starttls);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        run_row(&rows[i]);
}

static void test_coverage_column(void **state)
{
    (void)state;
    struct policy pol;
    policy_parse(ENFORCE, strlen(ENFORCE), &pol);
    struct txt_sts sts = {.status = TXT_STATUS_OK, .id = "1"};
    struct txt_tlsrpt rpt = {.status = TXT_STATUS_OK};
    struct https_fetch_result fr = {.status = HTTPS_FETCH_OK, .http_status = 200};
    struct classify_mx mx[3] = {{.host = "a.mx.example.net"}, {.host = "mail.example.org"},
                                {.host = "x.y.mx.example.net"}};
    struct classify_facts f = {.sts = &sts, .tlsrpt = &rpt, .policy_checked = 1, .fetch_done = 1,
                               .fetch = &fr, .policy = &pol, .mx = mx, .n_mx = 3};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_string_equal(r.mx_coverage, "partial");
    assert_non_null(strstr(r.detail, "mail.example.org;x.y.mx.example.net"));
    f.n_mx = 1;
    result_init(&r);
    classify_domain(&f, &r);
    assert_string_equal(r.mx_coverage, "all");
    assert_int_equal(r.verdict, VERDICT_ENFORCE_OK);
}

static void test_input_invalid(void **state)
{
    (void)state;
    struct classify_facts f = {.input_invalid = 1, .input_reason = "empty label"};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_INPUT_INVALID);
    assert_string_equal(r.detail, "empty label");
}

static void test_fetch_issue_map(void **state)
{
    (void)state;
    assert_int_equal(classify_fetch_issue(HTTPS_FETCH_TIMEOUT), ISSUE_POLICY_TIMEOUT);
    assert_int_equal(classify_fetch_issue(HTTPS_FETCH_CONTENT_TYPE), ISSUE_POLICY_CONTENT_TYPE);
    assert_int_equal(classify_fetch_issue(HTTPS_FETCH_TOO_LARGE), ISSUE_POLICY_TOO_LARGE);
    assert_int_equal(classify_fetch_issue(HTTPS_FETCH_CERT_UNTRUSTED), ISSUE_POLICY_CERT_UNTRUSTED);
    assert_int_equal(classify_fetch_issue(HTTPS_FETCH_CONNECT_FAILED), ISSUE_POLICY_CONNECT_FAILED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_coverage_column),
        cmocka_unit_test(test_input_invalid),
        cmocka_unit_test(test_fetch_issue_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
