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

enum probe { P_NONE, P_OK, P_NOTLS, P_EXPIRED, P_MISMATCH, P_REFUSED, P_SELF, P_NOADDR,
             P_OK_THEN_TLSFAIL /* two addresses: the first passes, the second's handshake fails */ };

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
     TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0, VERDICT_INVALID,
     B(ISSUE_TXT_INVALID), STARTTLS_NOT_PROBED},
    {"txt multiple, tlsrpt broken", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK,
     TXT_STATUS_MULTIPLE, TXT_STATUS_INVALID, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_INVALID, B(ISSUE_TXT_MULTIPLE) | B(ISSUE_TLSRPT_INVALID), STARTTLS_NOT_PROBED},
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
    /* RFC 8461 §3.1 verdict rule: a broken v=STSv1 record set is a failed deployment... */
    {"txt invalid under --dns-only", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 1, DNS_OK,
     TXT_STATUS_INVALID, TXT_STATUS_OK, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 1,
     VERDICT_INVALID, B(ISSUE_TXT_INVALID), STARTTLS_NOT_PROBED},
    {"txt multiple, policy fetched anyway (--policy-all): the record decides", DNS_OK, DNS_OK,
     DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_MULTIPLE, TXT_STATUS_OK, 1, HTTPS_FETCH_OK, ENFORCE,
     {P_NONE, P_NONE}, GOOD_MX, 0, 0, VERDICT_INVALID, B(ISSUE_TXT_MULTIPLE), STARTTLS_NOT_PROBED},
    {"txt invalid, MX probed (--starttls all): probe codes still reported", DNS_OK, DNS_OK,
     DNS_NXDOMAIN, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_INVALID, TXT_STATUS_MISSING, 0, 0, NULL,
     {P_OK, P_REFUSED}, GOOD_MX, 0, 0, VERDICT_INVALID,
     B(ISSUE_TXT_INVALID) | B(ISSUE_MX_CONNECT_FAILED), STARTTLS_SOME_FAILED},
    /* ...but the DNS-level verdicts come first */
    {"txt invalid but null MX", DNS_OK, DNS_OK, DNS_NXDOMAIN, DNS_OK, 1, 0, DNS_OK,
     TXT_STATUS_INVALID, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_NO_MAIL, 0, STARTTLS_NOT_PROBED},
    {"txt multiple but MX servfail", DNS_SERVFAIL, DNS_OK, DNS_NXDOMAIN, DNS_OK, 0, 0, DNS_OK,
     TXT_STATUS_MULTIPLE, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_DNS_ERROR, 0, STARTTLS_NOT_PROBED},
    /* only records without the prefix: the parser discards them, so "missing" */
    {"only non-STSv1 records", DNS_OK, DNS_OK, DNS_NXDOMAIN, DNS_OK, 0, 1, DNS_OK,
     TXT_STATUS_MISSING, TXT_STATUS_MISSING, 0, 0, NULL, {P_NONE, P_NONE}, GOOD_MX, 0, 0,
     VERDICT_NOT_DEPLOYED, 0, STARTTLS_NOT_PROBED},
    /* MX probe facts judged here, not in the mxcache */
    {"enforce, MX without address", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 2, DNS_OK, TXT_STATUS_OK,
     TXT_STATUS_OK, 1, HTTPS_FETCH_OK, ENFORCE, {P_OK, P_NOADDR}, GOOD_MX, 0, 0,
     VERDICT_WOULD_FAIL, B(ISSUE_MX_CONNECT_FAILED), STARTTLS_SOME_FAILED},
    {"testing, one of two addresses fails its handshake", DNS_OK, DNS_OK, DNS_OK, DNS_OK, 0, 1,
     DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 1, HTTPS_FETCH_OK, TESTING, {P_OK_THEN_TLSFAIL, P_NONE},
     GOOD_MX, 0, 0, VERDICT_WOULD_FAIL, B(ISSUE_MX_TLS_FAILED), STARTTLS_NONE_OK},
    {"fetch ok but body not parsed (out of memory): a failed fetch", DNS_OK, DNS_OK, DNS_OK,
     DNS_OK, 0, 1, DNS_OK, TXT_STATUS_OK, TXT_STATUS_OK, 1, HTTPS_FETCH_OK, NULL, {P_NONE, P_NONE},
     GOOD_MX, 0, 0, VERDICT_INVALID, B(ISSUE_POLICY_CONNECT_FAILED), STARTTLS_NOT_PROBED},
};

/* The facts the mxcache would hand over for one host: one or two probe results. */
static const struct classify_probes *fake_probe(enum probe p, struct classify_probes *out)
{
    struct smtp_probe_result r;
    memset(&r, 0, sizeof(r));
    if (p == P_NONE)
        return NULL;
    if (p == P_NOADDR) {
        classify_probes_init(out, DNS_NXDOMAIN);
        return out;
    }
    classify_probes_init(out, DNS_OK);
    switch (p) {
    case P_NONE: case P_NOADDR: case P_OK: r.status = SMTP_PROBE_OK; break;
    case P_NOTLS: r.status = SMTP_PROBE_STARTTLS_MISSING; break;
    case P_REFUSED: r.status = SMTP_PROBE_CONNECT_FAILED; break;
    case P_EXPIRED: r.status = SMTP_PROBE_CERT_INVALID; r.tls.flags = TLSCHECK_EXPIRED; break;
    case P_MISMATCH: r.status = SMTP_PROBE_CERT_INVALID; r.tls.flags = TLSCHECK_HOSTNAME_MISMATCH; break;
    case P_SELF: r.status = SMTP_PROBE_CERT_INVALID; r.tls.flags = TLSCHECK_UNTRUSTED; break;
    case P_OK_THEN_TLSFAIL:
        r.status = SMTP_PROBE_OK;
        classify_probes_add(out, "192.0.2.1", &r);
        r.status = SMTP_PROBE_TLS_FAILED;
        break;
    }
    snprintf(r.error, sizeof(r.error), "test");
    classify_probes_add(out, "192.0.2.2", &r);
    return out;
}

static void run_row(const struct row *t)
{
    struct txt_sts sts = {.status = t->sts, .id = "20260101"};
    struct txt_tlsrpt rpt = {.status = t->tlsrpt, .rua = "mailto:tlsrpt@example.com"};
    struct https_fetch_result fr;
    struct policy pol;
    struct classify_mx mx[2];
    struct classify_probes probes[2];
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
        mx[i].preference = 10 * (int)(i + 1);
        mx[i].probes = fake_probe(t->probe[i], &probes[i]);
    }
    if (t->n_mx == 0 && t->implicit_addr == DNS_OK) {
        n = 1;
        mx[0].host = "implicit.example";
        mx[0].preference = -1;
    }
    struct classify_facts f = {
        .domain = "example.com", .rank = 1,
        .mx_dns = t->mx_dns, .null_mx = t->null_mx, .implicit_addr = t->implicit_addr,
        .implicit_queried = t->mx_dns != DNS_OK,
        .sts_dns = t->sts_dns, .sts = &sts, .tlsrpt_dns = t->tlsrpt_dns, .tlsrpt = &rpt,
        .policy_checked = !t->dns_only, .policy_host_dns = t->host_dns,
        .policy_queried = t->host_dns != DNS_OK || t->fetch,
        .fetch = t->fetch ? &fr : NULL, .policy = t->body ? &pol : NULL,
        .mx = mx, .n_mx = n,
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
    struct classify_facts f = {.sts = &sts, .tlsrpt = &rpt, .policy_checked = 1, .fetch = &fr,
                               .policy = &pol, .mx = mx, .n_mx = 3};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.mx_coverage, MX_COVERAGE_PARTIAL);
    assert_string_equal(mx_coverage_str(r.mx_coverage), "partial");
    assert_non_null(strstr(r.detail, "mail.example.org;x.y.mx.example.net"));
    /* each edge says whether its host is covered */
    assert_int_equal(r.n_mx, 3);
    assert_int_equal(r.mxs[0].covered, 1);
    assert_int_equal(r.mxs[1].covered, 0);
    assert_int_equal(r.mxs[2].covered, 0);
    f.n_mx = 1;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.mx_coverage, MX_COVERAGE_ALL);
    assert_int_equal(r.verdict, VERDICT_ENFORCE_OK);
    struct classify_mx other[1] = {{.host = "mail.example.org"}};
    f.mx = other;
    f.n_mx = 1;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.mx_coverage, MX_COVERAGE_NONE);
    assert_int_equal(r.verdict, VERDICT_WOULD_FAIL);
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

/* The typed cells round-trip through their *_str / *_parse pairs. */
static void test_enum_round_trip(void **state)
{
    (void)state;
    for (int c = MX_COVERAGE_NOT_CHECKED; c <= MX_COVERAGE_PARTIAL; c++)
        assert_int_equal(mx_coverage_parse(mx_coverage_str((enum mx_coverage)c)), c);
    for (int m = POLICY_MODE_UNSET; m <= POLICY_MODE_NONE; m++)
        assert_int_equal(policy_mode_parse(policy_mode_str((enum policy_mode)m)), m);
    assert_int_equal(mx_coverage_parse("most"), -1);
    assert_int_equal(policy_mode_parse("Enforce"), -1);
}

/* A fully observed domain: every descriptive column comes from the facts. */
static void test_columns_from_facts(void **state)
{
    (void)state;
    struct policy pol;
    policy_parse(TESTING, strlen(TESTING), &pol);
    struct txt_sts sts = {.status = TXT_STATUS_OK, .id = "abc", .text = "v=STSv1; id=abc;"};
    struct txt_tlsrpt rpt = {.status = TXT_STATUS_OK, .rua = "mailto:r@example.com",
                             .text = "v=TLSRPTv1; rua=mailto:r@example.com"};
    struct https_fetch_result fr = {.status = HTTPS_FETCH_OK, .http_status = 200,
                                    .body_sha256 = "00ff", .handshake_done = 1,
                                    .cert = {.not_after = 1795327833, .issuer = "CN=Test CA",
                                             .sans = "mta-sts.example.com"}};
    struct dns_mx_answer ans = {.status = DNS_OK, .n = 2};
    snprintf(ans.mx[0].host, sizeof(ans.mx[0].host), "a.mx.example.net");
    ans.mx[0].pref = 5;
    snprintf(ans.mx[1].host, sizeof(ans.mx[1].host), "b.mx.example.net");
    ans.mx[1].pref = 20;
    struct classify_probes bad;
    struct smtp_probe_result pr;
    memset(&pr, 0, sizeof(pr));
    pr.status = SMTP_PROBE_CERT_INVALID;
    pr.tls.flags = TLSCHECK_EXPIRED;
    snprintf(pr.tls.error, sizeof(pr.tls.error), "certificate has expired");
    classify_probes_init(&bad, DNS_OK);
    classify_probes_add(&bad, "192.0.2.7", &pr);
    struct classify_mx mx[2] = {{.host = "a.mx.example.net", .preference = 5, .probes = NULL},
                                {.host = "b.mx.example.net", .preference = 20, .probes = &bad}};
    struct classify_facts f = {
        .domain = "example.com", .rank = 7, .finished_at = 1795327833, .mx_dns = DNS_OK,
        .mx_answer = &ans, .sts_dns = DNS_OK, .sts_ttl = 300, .sts = &sts, .tlsrpt_dns = DNS_OK,
        .tlsrpt = &rpt, .policy_checked = 1, .policy_queried = 1, .policy_host_dns = DNS_OK,
        .fetch = &fr, .policy = &pol, .mx = mx, .n_mx = 2};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_string_equal(r.domain, "example.com");
    assert_int_equal(r.rank, 7);
    assert_int_equal(r.scanned_at, 1795327833);
    assert_string_equal(r.mx, "a.mx.example.net;b.mx.example.net");
    assert_int_equal(r.policy_status, POLICY_STATUS_OK);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(r.policy_mode, POLICY_MODE_TESTING);
    assert_int_equal(r.policy_max_age, 604800);
    assert_string_equal(r.policy_mx, "*.mx.example.net");
    assert_string_equal(r.sts_id, "abc");
    assert_string_equal(r.sts_record, "v=STSv1; id=abc;");
    assert_string_equal(r.tlsrpt_record, "v=TLSRPTv1; rua=mailto:r@example.com");
    assert_string_equal(r.tlsrpt_rua, "mailto:r@example.com");
    assert_int_equal(r.sts_ttl, 300);
    assert_string_equal(r.policy_sha256, "00ff");
    assert_int_equal(r.policy_cert_not_after, 1795327833);
    assert_string_equal(r.policy_cert_issuer, "CN=Test CA");
    assert_string_equal(r.policy_cert_sans, "mta-sts.example.com");
    assert_int_equal(r.mx_dns, DNS_OK);
    assert_int_equal(r.policy_host_dns, DNS_OK);
    /* the edges: preference, coverage, probe outcome per host */
    assert_int_equal(r.n_mx, 2);
    assert_string_equal(r.mxs[0].host, "a.mx.example.net");
    assert_int_equal(r.mxs[0].preference, 5);
    assert_int_equal(r.mxs[0].covered, 1);
    assert_int_equal(r.mxs[0].state, MX_PROBE_NOT_PROBED);
    assert_int_equal(r.mxs[1].state, MX_PROBE_DONE);
    assert_int_equal(r.mxs[1].failed, 1);
    assert_int_equal(r.mxs[1].fail_status, SMTP_PROBE_CERT_INVALID);
    assert_int_equal(r.mxs[1].n_addr, 1);
    assert_true(r.mxs[1].issues.bits == B(ISSUE_MX_CERT_EXPIRED));
    assert_int_equal(r.verdict, VERDICT_WOULD_FAIL);
    assert_non_null(strstr(r.detail, "MX b.mx.example.net: cert_invalid at 192.0.2.7: certificate has expired"));
    assert_string_equal(r.retried, "");
    assert_int_equal(r.testing_since, 1795327833); /* no previous scan: this one */
    /* issue 19: retried and testing_since are facts classify places (the row has one writer) */
    f.policy_fetch_retried = 1;
    f.mx_probe_retried = 1;
    f.previous_testing_since = 1795327833 - 86400 * 20; /* in testing since 20 days */
    result_init(&r);
    classify_domain(&f, &r);
    assert_string_equal(r.retried, "policy_fetch;mx_probe");
    assert_int_equal(r.testing_since, 1795327833 - 86400 * 20);
    f.previous_testing_since = 1795327833 + 60; /* a later date (clock skew) never wins */
    f.policy_fetch_retried = 0;
    result_init(&r);
    classify_domain(&f, &r);
    assert_string_equal(r.retried, "mx_probe");
    assert_int_equal(r.testing_since, 1795327833);
    policy_parse(ENFORCE, strlen(ENFORCE), &pol); /* not in testing now: the run is over */
    f.previous_testing_since = 1795327833 - 86400 * 20;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.testing_since, 0);
    /* issue 21: dane_status from the MX RRset's DNSSEC status; never none without validation */
    const struct { enum dns_sec sec; enum dane_status want; } dane[] = {
        {DNS_SEC_UNCHECKED, DANE_STATUS_UNCHECKED}, /* no validating resolver */
        {DNS_SEC_INSECURE, DANE_STATUS_NONE},       /* unsigned zone: DANE does not apply */
        {DNS_SEC_BOGUS, DANE_STATUS_BOGUS},
        {DNS_SEC_SECURE, DANE_STATUS_UNCHECKED},    /* hosts' address records not validated */
    };
    for (size_t i = 0; i < sizeof(dane) / sizeof(dane[0]); i++) {
        ans.sec = dane[i].sec;
        result_init(&r);
        classify_domain(&f, &r);
        assert_int_equal(r.mx_dnssec, dane[i].sec);
        assert_int_equal(r.dane_status, dane[i].want);
        assert_int_equal(issue_set_has(&r.issues, ISSUE_DANE_DNSSEC_BOGUS),
                         dane[i].want == DANE_STATUS_BOGUS);
    }
    f.mx_answer = NULL; /* the MX lookup failed: nothing is known */
    f.mx_dns = DNS_SERVFAIL;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.dane_status, DANE_STATUS_UNCHECKED);
}

/* One MX host's DANE facts as pipeline/mxcache hands them over (issue 21). */
enum dane_host {
    DH_NOT_PROBED, DH_ADDR_INSECURE, DH_OK, DH_MISMATCH, DH_UNUSABLE, DH_NO_STARTTLS,
    DH_TLSA_BOGUS, DH_TLSA_TIMEOUT, DH_NO_TLSA, DH_UNREACHABLE, DH_OK_AND_MISMATCH,
    DH_PKIX_FAIL_DANE_OK /* an untrusted (self-signed) certificate that its TLSA record names */
};

static const struct classify_probes *dane_host(enum dane_host h, struct classify_probes *p)
{
    if (h == DH_NOT_PROBED)
        return NULL;
    classify_probes_init(p, DNS_OK);
    p->addr_sec = h == DH_ADDR_INSECURE ? DNS_SEC_INSECURE : DNS_SEC_SECURE;
    if (h != DH_ADDR_INSECURE) {
        struct dane_tlsa_set set;
        memset(&set, 0, sizeof(set));
        set.sec = h == DH_TLSA_BOGUS ? DNS_SEC_BOGUS : h == DH_TLSA_TIMEOUT ? DNS_SEC_UNCHECKED
                                                                            : DNS_SEC_SECURE;
        set.status = h == DH_TLSA_BOGUS ? DNS_SERVFAIL : h == DH_TLSA_TIMEOUT ? DNS_TIMEOUT
                   : h == DH_NO_TLSA ? DNS_NXDOMAIN : DNS_OK;
        if (set.status == DNS_OK) {
            set.n = 1;
            set.rec[0] = (struct dane_tlsa){.usage = h == DH_UNUSABLE ? 1 : 3, .selector = 1,
                                            .mtype = 1, .len = 32};
        }
        classify_probes_set_tlsa(p, &set);
    }
    int with_tlsa = p->tlsa_queried && p->n_tlsa > 0 && p->tlsa_sec == DNS_SEC_SECURE;
    struct smtp_probe_result r;
    memset(&r, 0, sizeof(r));
    r.status = SMTP_PROBE_OK;
    r.dane.match = !with_tlsa ? DANE_MATCH_NONE : h == DH_UNUSABLE ? DANE_MATCH_UNUSABLE
                 : h == DH_MISMATCH ? DANE_MATCH_FAILED : DANE_MATCH_OK;
    if (h == DH_NO_STARTTLS) {
        r.status = SMTP_PROBE_STARTTLS_MISSING;
        r.dane.match = DANE_MATCH_NO_CHAIN;
    }
    if (h == DH_UNREACHABLE) {
        r.status = SMTP_PROBE_CONNECT_FAILED;
        r.dane.match = DANE_MATCH_NO_CHAIN;
    }
    if (h == DH_PKIX_FAIL_DANE_OK) {
        r.status = SMTP_PROBE_CERT_INVALID;
        r.tls.flags = TLSCHECK_UNTRUSTED;
    }
    classify_probes_add(p, "192.0.2.1", &r);
    if (h == DH_OK_AND_MISMATCH) {
        r.dane.match = DANE_MATCH_FAILED;
        classify_probes_add(p, "192.0.2.2", &r);
    }
    return p;
}

/* dane_status, the DANE codes and the edge's DANE cells from the MX RRset's DNSSEC status and
 * each host's facts (docs/codes.md: bogus > failed > unchecked > ok > none); the verdict and the
 * edges' mx_* codes stay MTA-STS's. */
static void test_dane_status(void **state)
{
    (void)state;
    const struct {
        const char *name;
        enum dns_sec mx_sec;
        enum dane_host h[2];
        enum dane_status want;
        uint64_t codes;
        enum dane_match edge0;
    } rows[] = {
        {"unsigned zone", DNS_SEC_INSECURE, {DH_OK, DH_OK}, DANE_STATUS_NONE, 0, DANE_MATCH_OK},
        {"no validating resolver", DNS_SEC_UNCHECKED, {DH_OK, DH_OK}, DANE_STATUS_UNCHECKED, 0,
         DANE_MATCH_OK},
        {"both match", DNS_SEC_SECURE, {DH_OK, DH_OK}, DANE_STATUS_OK, 0, DANE_MATCH_OK},
        {"one matches, one has none", DNS_SEC_SECURE, {DH_OK, DH_NO_TLSA}, DANE_STATUS_OK, 0,
         DANE_MATCH_OK},
        {"one stale", DNS_SEC_SECURE, {DH_MISMATCH, DH_OK}, DANE_STATUS_FAILED,
         B(ISSUE_DANE_TLSA_MISMATCH), DANE_MATCH_FAILED},
        {"one address of two stale", DNS_SEC_SECURE, {DH_OK_AND_MISMATCH, DH_OK},
         DANE_STATUS_FAILED, B(ISSUE_DANE_TLSA_MISMATCH), DANE_MATCH_FAILED},
        {"only PKIX usages", DNS_SEC_SECURE, {DH_UNUSABLE, DH_NO_TLSA}, DANE_STATUS_NONE,
         B(ISSUE_DANE_TLSA_UNUSABLE), DANE_MATCH_UNUSABLE},
        {"TLSA without STARTTLS", DNS_SEC_SECURE, {DH_NO_STARTTLS, DH_OK}, DANE_STATUS_FAILED,
         B(ISSUE_DANE_STARTTLS_MISSING), DANE_MATCH_NO_CHAIN},
        {"bogus TLSA", DNS_SEC_SECURE, {DH_TLSA_BOGUS, DH_MISMATCH}, DANE_STATUS_BOGUS,
         B(ISSUE_DANE_DNSSEC_BOGUS) | B(ISSUE_DANE_TLSA_MISMATCH), DANE_MATCH_NONE},
        {"TLSA lookup timed out", DNS_SEC_SECURE, {DH_TLSA_TIMEOUT, DH_OK}, DANE_STATUS_UNCHECKED,
         0, DANE_MATCH_NONE},
        {"host not probed", DNS_SEC_SECURE, {DH_NOT_PROBED, DH_OK}, DANE_STATUS_UNCHECKED, 0,
         DANE_MATCH_NONE},
        {"unreachable host with TLSA", DNS_SEC_SECURE, {DH_UNREACHABLE, DH_NO_TLSA},
         DANE_STATUS_UNCHECKED, 0, DANE_MATCH_NO_CHAIN},
        {"hosts in unsigned zones", DNS_SEC_SECURE, {DH_ADDR_INSECURE, DH_NO_TLSA},
         DANE_STATUS_NONE, 0, DANE_MATCH_NONE},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dns_mx_answer ans;
        memset(&ans, 0, sizeof(ans));
        ans.sec = rows[i].mx_sec;
        ans.n = 2;
        snprintf(ans.mx[0].host, sizeof(ans.mx[0].host), "mx1.example.com");
        snprintf(ans.mx[1].host, sizeof(ans.mx[1].host), "mx2.example.com");
        struct classify_probes p[2];
        struct classify_mx mx[2] = {
            {"mx1.example.com", 10, dane_host(rows[i].h[0], &p[0])},
            {"mx2.example.com", 20, dane_host(rows[i].h[1], &p[1])},
        };
        struct txt_sts sts = {.status = TXT_STATUS_MISSING};
        struct classify_facts f = {.domain = "example.com", .mx_dns = DNS_OK, .mx_answer = &ans,
                                   .sts_dns = DNS_NXDOMAIN, .sts = &sts,
                                   .tlsrpt_dns = DNS_NXDOMAIN, .policy_checked = 1, .mx = mx,
                                   .n_mx = 2};
        struct domain_result r;
        result_init(&r);
        classify_domain(&f, &r);
        const uint64_t dane_codes = B(ISSUE_DANE_DNSSEC_BOGUS) | B(ISSUE_DANE_TLSA_MISMATCH) |
                                    B(ISSUE_DANE_TLSA_UNUSABLE) | B(ISSUE_DANE_STARTTLS_MISSING);
        if (r.dane_status != rows[i].want || (r.issues.bits & dane_codes) != rows[i].codes ||
            r.mxs[0].dane_match != rows[i].edge0)
            fail_msg("%s: dane_status %s, codes %llx, edge %s", rows[i].name,
                     dane_status_str(r.dane_status), (unsigned long long)(r.issues.bits & dane_codes),
                     dane_match_str((enum dane_match)r.mxs[0].dane_match));
        assert_int_equal(r.verdict, VERDICT_NOT_DEPLOYED);
        assert_true((r.mxs[0].issues.bits & dane_codes) == 0);
        assert_true((r.mxs[1].issues.bits & dane_codes) == 0);
    }
}

/* sts_delivery and dane_sts_delivery (docs/codes.md, What a sender would do): a sender that
 * enforces MTA-STS, and one that also validates DANE and never lets MTA-STS override a DANE
 * failure (RFC 8461 §2). */
static void test_delivery(void **state)
{
    (void)state;
    const struct {
        const char *name;
        const char *body;      /* the policy served; NULL: no MTA-STS */
        enum dns_sec mx_sec;
        const char *host[2];
        enum dane_host h[2];
        enum delivery sts, both;
    } rows[] = {
        {"enforce_ok, unsigned", ENFORCE, DNS_SEC_INSECURE, GOOD_MX, {DH_ADDR_INSECURE, DH_ADDR_INSECURE},
         DELIVERY_ALL, DELIVERY_ALL},
        {"would_fail, one covered host passes", ENFORCE, DNS_SEC_INSECURE,
         {"a.mx.example.net", "mx.other.example"}, {DH_ADDR_INSECURE, DH_ADDR_INSECURE},
         DELIVERY_SOME, DELIVERY_SOME},
        {"would_fail, no covered host passes", ENFORCE, DNS_SEC_INSECURE,
         {"a.mx.example.net", "mx.other.example"}, {DH_NO_STARTTLS, DH_ADDR_INSECURE},
         DELIVERY_NONE, DELIVERY_NONE},
        {"testing: MTA-STS blocks nothing, unsigned", TESTING, DNS_SEC_INSECURE, GOOD_MX,
         {DH_NO_STARTTLS, DH_NO_STARTTLS}, DELIVERY_NOT_JUDGED, DELIVERY_NOT_JUDGED},
        {"enforce_ok, DANE fails on one host", ENFORCE, DNS_SEC_SECURE, GOOD_MX,
         {DH_MISMATCH, DH_OK}, DELIVERY_ALL, DELIVERY_SOME},
        {"enforce_ok, DANE fails on both", ENFORCE, DNS_SEC_SECURE, GOOD_MX,
         {DH_MISMATCH, DH_MISMATCH}, DELIVERY_ALL, DELIVERY_NONE},
        {"no MTA-STS, DANE passes", NULL, DNS_SEC_SECURE, GOOD_MX, {DH_OK, DH_NO_TLSA},
         DELIVERY_NOT_JUDGED, DELIVERY_ALL},
        {"DANE passes where MTA-STS fails (PKIX)", ENFORCE, DNS_SEC_SECURE, GOOD_MX,
         {DH_PKIX_FAIL_DANE_OK, DH_OK}, DELIVERY_SOME, DELIVERY_SOME},
        {"no validating resolver", ENFORCE, DNS_SEC_UNCHECKED, GOOD_MX, {DH_OK, DH_OK},
         DELIVERY_ALL, DELIVERY_UNCHECKED},
        {"no validating resolver, MTA-STS fails all", ENFORCE, DNS_SEC_UNCHECKED, GOOD_MX,
         {DH_NO_STARTTLS, DH_NO_STARTTLS}, DELIVERY_NONE, DELIVERY_NONE},
        {"a host not probed", ENFORCE, DNS_SEC_INSECURE, GOOD_MX, {DH_NOT_PROBED, DH_ADDR_INSECURE},
         DELIVERY_UNCHECKED, DELIVERY_UNCHECKED},
        {"DANE lookup unknown on one host", NULL, DNS_SEC_SECURE, GOOD_MX, {DH_TLSA_TIMEOUT, DH_OK},
         DELIVERY_NOT_JUDGED, DELIVERY_UNCHECKED},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dns_mx_answer ans;
        memset(&ans, 0, sizeof(ans));
        ans.sec = rows[i].mx_sec;
        ans.n = 2;
        snprintf(ans.mx[0].host, sizeof(ans.mx[0].host), "%s", rows[i].host[0]);
        snprintf(ans.mx[1].host, sizeof(ans.mx[1].host), "%s", rows[i].host[1]);
        struct classify_probes p[2];
        struct classify_mx mx[2] = {
            {rows[i].host[0], 10, dane_host(rows[i].h[0], &p[0])},
            {rows[i].host[1], 20, dane_host(rows[i].h[1], &p[1])},
        };
        struct txt_sts sts = {.status = rows[i].body ? TXT_STATUS_OK : TXT_STATUS_MISSING,
                              .id = "1"};
        struct txt_tlsrpt rpt = {.status = TXT_STATUS_MISSING};
        struct https_fetch_result fr;
        memset(&fr, 0, sizeof(fr));
        fr.status = HTTPS_FETCH_OK;
        struct policy pol;
        if (rows[i].body)
            policy_parse(rows[i].body, strlen(rows[i].body), &pol);
        struct classify_facts f = {.domain = "example.com", .mx_dns = DNS_OK, .mx_answer = &ans,
                                   .sts_dns = rows[i].body ? DNS_OK : DNS_NXDOMAIN, .sts = &sts,
                                   .tlsrpt_dns = DNS_NXDOMAIN, .tlsrpt = &rpt,
                                   .policy_checked = 1, .policy_queried = rows[i].body != NULL,
                                   .policy_host_dns = DNS_OK,
                                   .fetch = rows[i].body ? &fr : NULL,
                                   .policy = rows[i].body ? &pol : NULL, .mx = mx, .n_mx = 2};
        struct domain_result r;
        result_init(&r);
        classify_domain(&f, &r);
        if (r.sts_delivery != rows[i].sts || r.dane_sts_delivery != rows[i].both)
            fail_msg("%s: sts_delivery '%s', dane_sts_delivery '%s' (verdict %s)", rows[i].name,
                     delivery_str(r.sts_delivery), delivery_str(r.dane_sts_delivery),
                     verdict_str(r.verdict));
    }
    /* a bogus MX RRset: the lookup fails (dns_error), a validating sender cannot deliver */
    struct dns_mx_answer bogus = {.status = DNS_SERVFAIL, .sec = DNS_SEC_BOGUS};
    struct classify_facts f = {.domain = "example.com", .mx_dns = DNS_SERVFAIL,
                               .mx_answer = &bogus, .sts_dns = DNS_NXDOMAIN,
                               .tlsrpt_dns = DNS_NXDOMAIN, .policy_checked = 1};
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_DNS_ERROR);
    assert_int_equal(r.sts_delivery, DELIVERY_NOT_JUDGED);
    assert_int_equal(r.dane_sts_delivery, DELIVERY_NONE);
    assert_string_equal(delivery_str(DELIVERY_SOME), "some");
    assert_int_equal(delivery_parse(""), DELIVERY_NOT_JUDGED);
    assert_int_equal(delivery_parse("bogus"), -1);
}

/* Lookups that did not answer with records are kept precisely; a failed fetch before the
 * handshake has no certificate and no digest. */
static void test_dns_outcomes_and_no_handshake(void **state)
{
    (void)state;
    struct txt_sts sts = {.status = TXT_STATUS_OK, .id = "abc", .text = "v=STSv1; id=abc;"};
    struct txt_tlsrpt rpt = {.status = TXT_STATUS_MISSING};
    struct classify_facts f = {
        .domain = "example.com", .rank = 1, .mx_dns = DNS_NODATA, .implicit_queried = 1,
        .implicit_addr = DNS_OK, .sts_dns = DNS_OK, .sts_ttl = 60, .sts = &sts,
        .tlsrpt_dns = DNS_NXDOMAIN, .tlsrpt = &rpt, .policy_checked = 1, .policy_queried = 1,
        .policy_host_dns = DNS_SERVFAIL};
    struct classify_mx implicit = {.host = "example.com", .preference = -1};
    f.mx = &implicit;
    f.n_mx = 1;
    struct domain_result r;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.mx_dns, DNS_NODATA);
    assert_int_equal(r.tlsrpt_dns, DNS_NXDOMAIN);
    assert_int_equal(r.policy_host_dns, DNS_SERVFAIL);
    assert_int_equal(r.implicit_mx_dns, DNS_OK);
    assert_int_equal(r.sts_dns, DNS_OK);
    assert_string_equal(r.tlsrpt_record, "");
    assert_int_equal(r.verdict, VERDICT_INVALID);
    assert_int_equal(r.policy_status, POLICY_STATUS_FETCH_FAILED);
    assert_int_equal(r.n_mx, 1);
    assert_int_equal(r.mxs[0].preference, -1);
    assert_int_equal(r.mxs[0].covered, -1);
    /* a TLS failure: no certificate fields, no digest (even a stale one) */
    struct https_fetch_result fr = {.status = HTTPS_FETCH_TLS_FAILED, .body_sha256 = "00ff"};
    f.policy_host_dns = DNS_OK;
    f.fetch = &fr;
    f.sts_dns = DNS_NXDOMAIN; /* and a TXT NXDOMAIN: no record, no TTL shown */
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.sts_ttl, -1);
    assert_string_equal(r.sts_record, "");
    assert_string_equal(r.policy_sha256, "");
    assert_int_equal(r.policy_cert_not_after, 0);
    assert_string_equal(r.policy_cert_issuer, "");
    /* a lookup not made stays empty even with a stale status */
    f.policy_queried = 0;
    f.policy_host_dns = DNS_TIMEOUT;
    f.implicit_queried = 0;
    f.implicit_addr = DNS_REFUSED;
    result_init(&r);
    classify_domain(&f, &r);
    assert_int_equal(r.policy_host_dns, DNS_OK);
    assert_int_equal(r.implicit_mx_dns, DNS_OK);
}

/* The mxcache's collection keeps facts only: per address a status and flags, the first failing
 * address's text; judging is classify's. */
static void test_probes_collect(void **state)
{
    (void)state;
    struct classify_probes p;
    struct smtp_probe_result r;
    memset(&r, 0, sizeof(r));
    classify_probes_init(&p, DNS_OK);
    assert_int_equal(p.first_bad, -1);
    r.status = SMTP_PROBE_OK;
    classify_probes_add(&p, "192.0.2.1", &r);
    r.status = SMTP_PROBE_TIMEOUT;
    snprintf(r.error, sizeof(r.error), "greeting: timed out");
    classify_probes_add(&p, "192.0.2.2", &r);
    r.status = SMTP_PROBE_STARTTLS_MISSING;
    snprintf(r.error, sizeof(r.error), "no STARTTLS");
    classify_probes_add(&p, "192.0.2.3", &r);
    assert_int_equal(p.n_addr, 3);
    assert_int_equal(p.first_bad, 1);
    assert_string_equal(p.bad_addr, "192.0.2.2");
    assert_string_equal(p.bad_error, "greeting: timed out");
    for (int i = 0; i < 2 * DNS_ADDR_MAX; i++)
        classify_probes_add(&p, "192.0.2.9", &r);
    assert_int_equal(p.n_addr, DNS_ADDR_MAX); /* bounded */
    /* judged: both problems of the host count */
    struct classify_mx m = {.host = "mx.example.net", .preference = 10, .probes = &p};
    struct txt_sts sts = {.status = TXT_STATUS_MISSING};
    struct classify_facts f = {.domain = "example.com", .sts = &sts, .mx = &m, .n_mx = 1};
    struct domain_result res;
    result_init(&res);
    classify_domain(&f, &res);
    assert_true(res.issues.bits == (B(ISSUE_MX_CONNECT_FAILED) | B(ISSUE_MX_STARTTLS_MISSING)));
    assert_int_equal(res.mxs[0].fail_status, SMTP_PROBE_TIMEOUT);
    assert_int_equal(res.verdict, VERDICT_NOT_DEPLOYED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_coverage_column),
        cmocka_unit_test(test_input_invalid),
        cmocka_unit_test(test_fetch_issue_map),
        cmocka_unit_test(test_enum_round_trip),
        cmocka_unit_test(test_columns_from_facts),
        cmocka_unit_test(test_dns_outcomes_and_no_handshake),
        cmocka_unit_test(test_probes_collect),
        cmocka_unit_test(test_dane_status),
        cmocka_unit_test(test_delivery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
