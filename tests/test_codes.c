/*
 * test_codes: the stable vocabulary (scanner/codes.c) and the fixed-size result helpers
 * (scanner/result.c).  The exact strings are asserted because users match on them: changing one
 * here means breaking the contract in docs/codes.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/codes.h"
#include "scanner/result.h"

static const char *const verdict_names[VERDICT__COUNT] = {
    [VERDICT_NOT_DEPLOYED] = "not_deployed",   [VERDICT_ENFORCE_OK] = "enforce_ok",
    [VERDICT_TESTING_OK] = "testing_ok",       [VERDICT_MODE_NONE] = "mode_none",
    [VERDICT_WOULD_FAIL] = "would_fail",       [VERDICT_INVALID] = "invalid",
    [VERDICT_DNS_ERROR] = "dns_error",         [VERDICT_NO_MAIL] = "no_mail",
    [VERDICT_INPUT_INVALID] = "input_invalid", [VERDICT_STS_UNCHECKED] = "sts_unchecked",
    [VERDICT_SCANNER_ERROR] = "scanner_error",
    [VERDICT_EXCLUDED] = "excluded",
};

static const char *const issue_names[ISSUE__COUNT] = {
    [ISSUE_TXT_INVALID] = "txt_invalid",
    [ISSUE_TXT_MULTIPLE] = "txt_multiple",
    [ISSUE_POLICY_HOST_UNRESOLVED] = "policy_host_unresolved",
    [ISSUE_POLICY_CONNECT_FAILED] = "policy_connect_failed",
    [ISSUE_POLICY_TIMEOUT] = "policy_timeout",
    [ISSUE_POLICY_TLS_FAILED] = "policy_tls_failed",
    [ISSUE_POLICY_CERT_EXPIRED] = "policy_cert_expired",
    [ISSUE_POLICY_CERT_HOSTNAME_MISMATCH] = "policy_cert_hostname_mismatch",
    [ISSUE_POLICY_CERT_UNTRUSTED] = "policy_cert_untrusted",
    [ISSUE_POLICY_HTTP_REDIRECT] = "policy_http_redirect",
    [ISSUE_POLICY_HTTP_STATUS] = "policy_http_status",
    [ISSUE_POLICY_CONTENT_TYPE] = "policy_content_type",
    [ISSUE_POLICY_TOO_LARGE] = "policy_too_large",
    [ISSUE_POLICY_SYNTAX] = "policy_syntax",
    [ISSUE_POLICY_VERSION_INVALID] = "policy_version_invalid",
    [ISSUE_POLICY_MODE_INVALID] = "policy_mode_invalid",
    [ISSUE_POLICY_MAX_AGE_INVALID] = "policy_max_age_invalid",
    [ISSUE_POLICY_MX_MISSING] = "policy_mx_missing",
    [ISSUE_MX_NOT_COVERED] = "mx_not_covered",
    [ISSUE_MX_STARTTLS_MISSING] = "mx_starttls_missing",
    [ISSUE_MX_CONNECT_FAILED] = "mx_connect_failed",
    [ISSUE_MX_CERT_EXPIRED] = "mx_cert_expired",
    [ISSUE_MX_CERT_HOSTNAME_MISMATCH] = "mx_cert_hostname_mismatch",
    [ISSUE_MX_CERT_UNTRUSTED] = "mx_cert_untrusted",
    [ISSUE_TLSRPT_MISSING] = "tlsrpt_missing",
    [ISSUE_TLSRPT_INVALID] = "tlsrpt_invalid",
    [ISSUE_TLSRPT_MULTIPLE] = "tlsrpt_multiple",
    [ISSUE_POLICY_MAX_AGE_SHORT] = "policy_max_age_short",
    [ISSUE_MX_TLS_FAILED] = "mx_tls_failed",
    [ISSUE_DOMAIN_TIMEOUT] = "domain_timeout",
    [ISSUE_SCANNER_ERROR] = "scanner_error",
    [ISSUE_ADDR_EXCLUDED] = "addr_excluded",
    [ISSUE_POLICY_MODE_TESTING] = "policy_mode_testing",
    [ISSUE_STS_TTL_UNUSUAL] = "sts_ttl_unusual",
    [ISSUE_CERT_EXPIRING_SOON] = "cert_expiring_soon",
    [ISSUE_CERT_CHAIN_INCOMPLETE] = "cert_chain_incomplete",
    [ISSUE_STS_TXT_EXTRA_RECORDS] = "sts_txt_extra_records",
    [ISSUE_RESOLVERS_DISAGREE] = "resolvers_disagree",
    [ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED] = "policy_fetch_other_address_failed",
    [ISSUE_DNS_LOOKUP_FAILED] = "dns_lookup_failed",
    [ISSUE_DANE_DNSSEC_BOGUS] = "dane_dnssec_bogus",
    [ISSUE_DANE_TLSA_MISMATCH] = "dane_tlsa_mismatch",
    [ISSUE_DANE_TLSA_UNUSABLE] = "dane_tlsa_unusable",
    [ISSUE_DANE_STARTTLS_MISSING] = "dane_starttls_missing",
};

/* The severity scale is shared with the monitoring --fail-on: pinned like the strings. */
static const char *const severity_of[ISSUE__COUNT] = {
    [ISSUE_TXT_INVALID] = "error", [ISSUE_TXT_MULTIPLE] = "error",
    [ISSUE_POLICY_HOST_UNRESOLVED] = "error", [ISSUE_POLICY_CONNECT_FAILED] = "error",
    [ISSUE_POLICY_TIMEOUT] = "error", [ISSUE_POLICY_TLS_FAILED] = "error",
    [ISSUE_POLICY_CERT_EXPIRED] = "error", [ISSUE_POLICY_CERT_HOSTNAME_MISMATCH] = "error",
    [ISSUE_POLICY_CERT_UNTRUSTED] = "error", [ISSUE_POLICY_HTTP_REDIRECT] = "error",
    [ISSUE_POLICY_HTTP_STATUS] = "error", [ISSUE_POLICY_CONTENT_TYPE] = "error",
    [ISSUE_POLICY_TOO_LARGE] = "error", [ISSUE_POLICY_SYNTAX] = "error",
    [ISSUE_POLICY_VERSION_INVALID] = "error", [ISSUE_POLICY_MODE_INVALID] = "error",
    [ISSUE_POLICY_MAX_AGE_INVALID] = "error", [ISSUE_POLICY_MX_MISSING] = "error",
    [ISSUE_MX_NOT_COVERED] = "error", [ISSUE_MX_STARTTLS_MISSING] = "error",
    [ISSUE_MX_CONNECT_FAILED] = "error", [ISSUE_MX_CERT_EXPIRED] = "error",
    [ISSUE_MX_CERT_HOSTNAME_MISMATCH] = "error", [ISSUE_MX_CERT_UNTRUSTED] = "error",
    [ISSUE_TLSRPT_MISSING] = "info", [ISSUE_TLSRPT_INVALID] = "warning",
    [ISSUE_TLSRPT_MULTIPLE] = "warning", [ISSUE_POLICY_MAX_AGE_SHORT] = "warning",
    [ISSUE_MX_TLS_FAILED] = "error", [ISSUE_DOMAIN_TIMEOUT] = "warning",
    [ISSUE_SCANNER_ERROR] = "error", [ISSUE_ADDR_EXCLUDED] = "info",
    [ISSUE_POLICY_MODE_TESTING] = "info",
    [ISSUE_STS_TTL_UNUSUAL] = "info", [ISSUE_CERT_EXPIRING_SOON] = "warning",
    [ISSUE_CERT_CHAIN_INCOMPLETE] = "error", [ISSUE_STS_TXT_EXTRA_RECORDS] = "info",
    [ISSUE_RESOLVERS_DISAGREE] = "warning", [ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED] = "warning",
    [ISSUE_DNS_LOOKUP_FAILED] = "error",
    [ISSUE_DANE_DNSSEC_BOGUS] = "error",
    [ISSUE_DANE_TLSA_MISMATCH] = "error",
    [ISSUE_DANE_TLSA_UNUSABLE] = "warning",
    [ISSUE_DANE_STARTTLS_MISSING] = "error",
};

static void test_severity_rule_fix(void **state)
{
    (void)state;
    for (int c = 0; c < ISSUE__COUNT; c++) {
        assert_non_null(severity_of[c]); /* a new code needs its severity here and in docs */
        assert_string_equal(issue_severity_str(issue_severity((enum issue_code)c)), severity_of[c]);
        assert_int_equal(issue_severity_parse(severity_of[c]), issue_severity((enum issue_code)c));
        assert_true(strlen(issue_rule((enum issue_code)c)) > 20);
        assert_true(strlen(issue_fix((enum issue_code)c)) > 20);
    }
    assert_int_equal(issue_severity_parse("fatal"), -1);
}

/* The fix templates' placeholders are filled in from the domain and the hosts; the result is cut
 * to the buffer and always terminated. */
static void test_fix_fill(void **state)
{
    (void)state;
    char fix[512];
    issue_fix_fill(ISSUE_POLICY_HTTP_REDIRECT, "example.org", "", fix, sizeof(fix));
    assert_string_equal(fix, "serve https://mta-sts.example.org/.well-known/mta-sts.txt directly with "
                             "status 200 instead of redirecting");
    issue_fix_fill(ISSUE_MX_NOT_COVERED, "example.org", "mx2.example.org", fix, sizeof(fix));
    assert_string_equal(fix, "add `mx: mx2.example.org` to https://mta-sts.example.org/.well-known/"
                             "mta-sts.txt, then publish a new id in _mta-sts.example.org TXT");
    issue_fix_fill(ISSUE_TLSRPT_MULTIPLE, "example.org", "", fix, sizeof(fix));
    assert_string_equal(fix, "keep one v=TLSRPTv1 record at _smtp._tls.example.org TXT and delete the others");
    issue_fix_fill(ISSUE_POLICY_CERT_EXPIRED, "example.org", "", fix, sizeof(fix));
    assert_string_equal(fix, "renew the certificate of mta-sts.example.org and install it on the web server");
    issue_fix_fill(ISSUE_MX_NOT_COVERED, "example.org", "mx2.example.org", fix, 12);
    assert_string_equal(fix, "add `mx: mx");
    fix[0] = 'x';
    issue_fix_fill(ISSUE_MX_NOT_COVERED, "example.org", "h", fix, 0); /* no room: untouched */
    assert_int_equal(fix[0], 'x');
    for (int c = 0; c < ISSUE__COUNT; c++) { /* every placeholder of every template is known */
        issue_fix_fill((enum issue_code)c, "example.org", "h", fix, sizeof(fix));
        assert_null(strchr(fix, '{'));
    }
}

/* docs/codes.md has, for every code, the row "| `code` | severity | rule | fix |" with the texts
 * of scanner/codes.c (the report fills the fix in per domain). */
static void test_docs_have_every_fix(void **state)
{
    (void)state;
    const char *src = getenv("MTASTS_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/codes.md", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    doc[n] = '\0';
    fclose(f);
    for (int c = 0; c < ISSUE__COUNT; c++) {
        char row[4096];
        snprintf(row, sizeof(row), "| `%s` | %s | %s | %s |\n", issue_str((enum issue_code)c),
                 issue_severity_str(issue_severity((enum issue_code)c)),
                 issue_rule((enum issue_code)c), issue_fix((enum issue_code)c));
        if (!strstr(doc, row))
            fail_msg("docs/codes.md lacks the fix row: %s", row);
    }
}

static void test_verdict_strings_stable(void **state)
{
    (void)state;
    for (int v = 0; v < VERDICT__COUNT; v++) {
        assert_non_null(verdict_names[v]); /* a new verdict needs its string here and in docs */
        assert_string_equal(verdict_str((enum verdict)v), verdict_names[v]);
        assert_int_equal(verdict_from_str(verdict_names[v]), v);
    }
    assert_string_equal(verdict_str(VERDICT__COUNT), "unknown");
}

static void test_issue_strings_stable(void **state)
{
    (void)state;
    assert_true(ISSUE__COUNT <= 64); /* the set is a uint64_t */
    for (int c = 0; c < ISSUE__COUNT; c++) {
        assert_non_null(issue_names[c]);
        assert_string_equal(issue_str((enum issue_code)c), issue_names[c]);
        assert_int_equal(issue_from_str(issue_names[c]), c);
    }
    assert_string_equal(issue_str(ISSUE__COUNT), "unknown");
}

static void test_strings_unique_and_csv_safe(void **state)
{
    (void)state;
    for (int a = 0; a < ISSUE__COUNT; a++) {
        const char *s = issue_str((enum issue_code)a);
        for (const char *p = s; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        for (int b = a + 1; b < ISSUE__COUNT; b++)
            assert_string_not_equal(s, issue_str((enum issue_code)b));
    }
    for (int a = 0; a < VERDICT__COUNT; a++)
        for (int b = a + 1; b < VERDICT__COUNT; b++)
            assert_string_not_equal(verdict_str((enum verdict)a), verdict_str((enum verdict)b));
}

static void test_from_str_unknown(void **state)
{
    (void)state;
    assert_int_equal(verdict_from_str(""), -1);
    assert_int_equal(verdict_from_str("ENFORCE_OK"), -1);
    assert_int_equal(verdict_from_str("unknown"), -1);
    assert_int_equal(issue_from_str("txt_invalid "), -1);
    assert_int_equal(issue_from_str("unknown"), -1);
}

static void test_issue_set(void **state)
{
    (void)state;
    struct issue_set s = { 0 };
    char buf[256];
    assert_int_equal(issue_set_format(&s, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");

    /* Printed in code order, whatever the insertion order; adding twice is harmless. */
    issue_set_add(&s, ISSUE_MX_TLS_FAILED);
    issue_set_add(&s, ISSUE_TXT_INVALID);
    issue_set_add(&s, ISSUE_POLICY_SYNTAX);
    issue_set_add(&s, ISSUE_POLICY_SYNTAX);
    assert_true(issue_set_has(&s, ISSUE_POLICY_SYNTAX));
    assert_false(issue_set_has(&s, ISSUE_TXT_MULTIPLE));
    size_t n = issue_set_format(&s, buf, sizeof(buf));
    assert_string_equal(buf, "txt_invalid;policy_syntax;mx_tls_failed");
    assert_int_equal(n, strlen(buf));

    /* A small buffer keeps whole codes only and stays terminated. */
    char small[20];
    n = issue_set_format(&s, small, sizeof(small));
    assert_string_equal(small, "txt_invalid");
    assert_int_equal(n, 11);
    char tiny[4];
    n = issue_set_format(&s, tiny, sizeof(tiny));
    assert_string_equal(tiny, "");
    assert_int_equal(n, 0);
    assert_int_equal(issue_set_format(&s, tiny, 0), 0);

    /* Every code set at once fits the CSV column. */
    struct issue_set all = { 0 };
    for (int c = 0; c < ISSUE__COUNT; c++)
        issue_set_add(&all, (enum issue_code)c);
    char big[RESULT_LIST_MAX];
    n = issue_set_format(&all, big, sizeof(big));
    assert_non_null(strstr(big, "mx_tls_failed"));
    assert_int_equal(n, strlen(big));
}

static void test_status_strings(void **state)
{
    (void)state;
    assert_string_equal(txt_status_str(TXT_STATUS_NOT_QUERIED), "not_queried");
    assert_string_equal(txt_status_str(TXT_STATUS_OK), "ok");
    assert_string_equal(txt_status_str(TXT_STATUS_MISSING), "missing");
    assert_string_equal(txt_status_str(TXT_STATUS_INVALID), "invalid");
    assert_string_equal(txt_status_str(TXT_STATUS_MULTIPLE), "multiple");
    assert_string_equal(txt_status_str(TXT_STATUS_ERROR), "error");
    assert_string_equal(policy_status_str(POLICY_STATUS_NOT_FETCHED), "not_fetched");
    assert_string_equal(policy_status_str(POLICY_STATUS_OK), "ok");
    assert_string_equal(policy_status_str(POLICY_STATUS_FETCH_FAILED), "fetch_failed");
    assert_string_equal(policy_status_str(POLICY_STATUS_INVALID), "invalid");
    assert_string_equal(starttls_status_str(STARTTLS_NOT_PROBED), "not_probed");
    assert_string_equal(starttls_status_str(STARTTLS_ALL_OK), "all_ok");
    assert_string_equal(starttls_status_str(STARTTLS_SOME_FAILED), "some_failed");
    assert_string_equal(starttls_status_str(STARTTLS_NONE_OK), "none_ok");
}

static void test_result_init(void **state)
{
    (void)state;
    static struct domain_result r;
    memset(&r, 0x5a, sizeof(r));
    result_init(&r);
    assert_int_equal(r.rank, -1);
    assert_int_equal(r.policy_max_age, -1);
    assert_int_equal(r.verdict, VERDICT_NOT_DEPLOYED);
    assert_int_equal(r.txt_status, TXT_STATUS_NOT_QUERIED);
    assert_int_equal(r.issues.bits, 0);
    assert_string_equal(r.domain, "");
    assert_string_equal(r.detail, "");
}

static void test_result_copy(void **state)
{
    (void)state;
    char buf[8];
    result_copy(buf, sizeof(buf), "abc");
    assert_string_equal(buf, "abc");
    result_copy(buf, sizeof(buf), "abcdefg"); /* exactly fits */
    assert_string_equal(buf, "abcdefg");
    result_copy(buf, sizeof(buf), "abcdefgh"); /* one too many: cut and marked */
    assert_string_equal(buf, "abcd...");
    result_copy(buf, sizeof(buf), "");
    assert_string_equal(buf, "");
}

static void test_result_list_add(void **state)
{
    (void)state;
    char list[16] = "";
    result_list_add(list, sizeof(list), "a.example");
    assert_string_equal(list, "a.example");
    result_list_add(list, sizeof(list), "b.ex");
    assert_string_equal(list, "a.example;b.ex");  /* 14 chars + NUL */
    result_list_add(list, sizeof(list), "c");
    assert_string_equal(list, "a.example;b....");
    assert_int_equal(strlen(list), sizeof(list) - 1);
    /* Once cut, further items are dropped, the mark stays. */
    result_list_add(list, sizeof(list), "d");
    assert_string_equal(list, "a.example;b....");

    char one[8] = "";
    result_list_add(one, sizeof(one), "much-too-long");
    assert_string_equal(one, "much...");
}

static void test_result_add_detail(void **state)
{
    (void)state;
    static struct domain_result r;
    result_init(&r);
    result_add_detail(&r, "mx %s uncovered", "a.example");
    result_add_detail(&r, "policy http %d", 404);
    assert_string_equal(r.detail, "mx a.example uncovered; policy http 404");

    /* Filling up: the detail is cut and marked, and stays so. */
    result_init(&r);
    for (int i = 0; i < 200; i++)
        result_add_detail(&r, "reason number %d", i);
    size_t n = strlen(r.detail);
    assert_int_equal(n, sizeof(r.detail) - 1);
    assert_string_equal(r.detail + n - 3, "...");
    assert_memory_equal(r.detail, "reason number 0; reason number 1", 32);

    /* A single reason longer than the whole buffer is also marked as cut. */
    char huge[2 * RESULT_DETAIL_MAX];
    memset(huge, 'x', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    result_init(&r);
    result_add_detail(&r, "%s", huge);
    n = strlen(r.detail);
    assert_int_equal(n, sizeof(r.detail) - 1);
    assert_string_equal(r.detail + n - 3, "...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_strings_stable),
        cmocka_unit_test(test_issue_strings_stable),
        cmocka_unit_test(test_strings_unique_and_csv_safe),
        cmocka_unit_test(test_from_str_unknown),
        cmocka_unit_test(test_issue_set),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_result_init),
        cmocka_unit_test(test_result_copy),
        cmocka_unit_test(test_result_list_add),
        cmocka_unit_test(test_result_add_detail),
        cmocka_unit_test(test_severity_rule_fix),
        cmocka_unit_test(test_docs_have_every_fix),
        cmocka_unit_test(test_fix_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
