/*
 * test_report: the pure formatting of `mtasts-scan check` (commands/report.c): fixes filled in for
 * the domain, the exit rule, wrapping to 80 columns (UTF-8 aware), colour only when asked for,
 * JSON escaping; and (with scanner/codes.c) that every issue code has a severity, a rule and a
 * fix whose placeholders the report knows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/classify.h"
#include "commands/report.h"

/* Runs fn into a string; the caller frees it. */
static char *capture_text(const struct report_view *v, int colour)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_text(f, v, colour);
    fclose(f);
    return buf;
}

static char *capture_json(const struct report_view *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_json(f, v);
    fclose(f);
    return buf;
}

/* Display columns of each line (UTF-8 continuation bytes take none): the widest. */
static int widest(const char *s)
{
    int w = 0, max = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            w = 0;
            continue;
        }
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
        if (w > max)
            max = w;
    }
    return max;
}

/* A would_fail domain: mx2 not covered, mx1 probed with a long certificate. */
struct fixture {
    struct domain_result row;
    struct dns_mx_answer mx;
    struct smtp_probe_result probe;
    struct report_probe rp;
    struct https_fetch_result fetch;
    const char *addr[1];
    struct txt_record sts[2];
    struct report_view v;
};

static void setup(struct fixture *x)
{
    memset(x, 0, sizeof(*x));
    result_init(&x->row);
    snprintf(x->row.domain, sizeof(x->row.domain), "example.net");
    x->row.verdict = VERDICT_WOULD_FAIL;
    x->row.txt_status = TXT_STATUS_OK;
    x->row.policy_status = POLICY_STATUS_OK;
    x->row.policy_mode = POLICY_MODE_ENFORCE;
    x->row.policy_max_age = 604800;
    x->row.mx_coverage = MX_COVERAGE_PARTIAL;
    issue_set_add(&x->row.issues, ISSUE_MX_NOT_COVERED);
    issue_set_add(&x->row.issues, ISSUE_TLSRPT_MISSING);
    x->row.n_mx = 2;
    snprintf(x->row.mxs[0].host, sizeof(x->row.mxs[0].host), "mx1.example.net");
    x->row.mxs[0].covered = 1;
    x->row.mxs[0].state = MX_PROBE_DONE;
    snprintf(x->row.mxs[1].host, sizeof(x->row.mxs[1].host), "mx2.example.net");
    x->row.mxs[1].covered = 0;
    x->row.mxs[0].preference = 10;
    x->row.mxs[1].preference = 20;
    snprintf(x->row.detail, sizeof(x->row.detail), "MX not covered by policy: mx2.example.net; "
             "a very long detail text that goes on and on well past the eighty columns of a terminal");
    x->mx.status = DNS_OK;
    x->mx.n = 2;
    x->mx.mx[0].pref = 10;
    snprintf(x->mx.mx[0].host, sizeof(x->mx.mx[0].host), "mx1.example.net");
    x->mx.mx[1].pref = 20;
    snprintf(x->mx.mx[1].host, sizeof(x->mx.mx[1].host), "mx2.example.net");
    snprintf(x->probe.tls.version, sizeof(x->probe.tls.version), "TLSv1.3");
    snprintf(x->probe.tls.sans, sizeof(x->probe.tls.sans), "%s",
             "mx1.example.net;averyveryveryveryveryveryveryveryveryveryveryveryverylongname.example.net;"
             "c.example.net;d.example.net;e.example.net");
    snprintf(x->probe.tls.issuer, sizeof(x->probe.tls.issuer), "CN=Test \"CA\",O=Ünïcode Org");
    x->rp = (struct report_probe){"mx1.example.net", "192.0.2.1", &x->probe};
    x->fetch.status = HTTPS_FETCH_OK;
    x->fetch.http_status = 200;
    x->addr[0] = "192.0.2.80";
    x->sts[0] = (struct txt_record){(const unsigned char *)"v=STSv1; id=1;", 14, 0, {0}};
    x->sts[1] = (struct txt_record){(const unsigned char *)"v=spf1 -all", 11, 0, {0}};
    x->v = (struct report_view){.row = &x->row, .mx = &x->mx, .sts_txt = x->sts, .n_sts_txt = 2,
                                .tlsrpt_ttl = -1, .policy_addr = x->addr, .n_policy_addr = 1,
                                .fetch_addr = x->addr, .fetch = &x->fetch, .n_fetch = 1,
                                .policy_body = "version: STSv1\nmode: enforce\nmx: mx1.example.net\nmax_age: 604800\n",
                                .probes = &x->rp, .n_probes = 1, .expiry_days = 30};
}

static void test_fix_filled_in(void **state)
{
    (void)state;
    struct fixture x;
    char fix[2048];
    setup(&x);
    report_fix(ISSUE_MX_NOT_COVERED, &x.v, fix, sizeof(fix));
    assert_string_equal(fix, "add `mx: mx2.example.net` to "
                             "https://mta-sts.example.net/.well-known/mta-sts.txt, then publish a "
                             "new id in _mta-sts.example.net TXT");
    report_fix(ISSUE_TLSRPT_MISSING, &x.v, fix, sizeof(fix));
    assert_string_equal(fix, "publish \"v=TLSRPTv1; rua=mailto:tlsrpt@example.net\" as the "
                             "_smtp._tls.example.net TXT record");
    /* every code: a fix with no placeholder left, a rule naming its source, a severity */
    for (int c = 0; c < ISSUE__COUNT; c++) {
        report_fix((enum issue_code)c, &x.v, fix, sizeof(fix));
        assert_true(strlen(fix) > 10);
        assert_null(strchr(fix, '{'));
        assert_true(strncmp(issue_rule((enum issue_code)c), "RFC", 3) == 0 ||
                    strncmp(issue_rule((enum issue_code)c), "Limit of the scanner", 20) == 0);
        assert_true(issue_severity((enum issue_code)c) <= SEVERITY_ERROR);
    }
    report_fix(ISSUE_MX_NOT_COVERED, &x.v, fix, 20); /* cut, still terminated */
    assert_int_equal(strlen(fix), 19);
}

static void test_failure_rule(void **state)
{
    (void)state;
    struct domain_result r;
    result_init(&r);
    const enum verdict fine[] = {VERDICT_ENFORCE_OK, VERDICT_TESTING_OK, VERDICT_MODE_NONE,
                                 VERDICT_NOT_DEPLOYED};
    for (size_t i = 0; i < 4; i++) {
        r.verdict = fine[i];
        r.issues.bits = 0;
        assert_false(classify_is_failure(&r));
        issue_set_add(&r.issues, ISSUE_TLSRPT_INVALID); /* warning */
        issue_set_add(&r.issues, ISSUE_POLICY_MODE_TESTING); /* info */
        assert_false(classify_is_failure(&r));
        issue_set_add(&r.issues, ISSUE_MX_CERT_UNTRUSTED); /* error, e.g. --starttls all */
        assert_true(classify_is_failure(&r));
    }
    const enum verdict bad[] = {VERDICT_WOULD_FAIL, VERDICT_INVALID, VERDICT_DNS_ERROR,
                                VERDICT_NO_MAIL, VERDICT_INPUT_INVALID, VERDICT_STS_UNCHECKED,
                                VERDICT_SCANNER_ERROR};
    r.issues.bits = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.verdict = bad[i];
        assert_true(classify_is_failure(&r));
    }
}

static void test_wrap(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_wrap(f, "aaaa bbbb cccc dddd", 2, 4, 12);
    report_wrap(f, "§§§§§§§§§§ x", 0, 0, 11); /* 2 bytes, 1 column each */
    report_wrap(f, "0123456789012345", 0, 2, 10); /* no space: hard break */
    fclose(f);
    assert_string_equal(buf, "  aaaa bbbb\n    cccc dddd\n" /* at least 10 columns a line */
                             "§§§§§§§§§§\nx\n"
                             "0123456789\n  012345\n");
    free(buf);
}

static void test_text(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x);
    char *t = capture_text(&x.v, 0);
    assert_null(strchr(t, '\033'));
    assert_true(widest(t) <= REPORT_WIDTH);
    assert_true(strncmp(t, "example.net: would_fail\n", 24) == 0);
    const char *steps[] = {"1. MX ", "2. _mta-sts.", "3. Policy host", "4. Policy https://",
                           "5. MX coverage", "6. STARTTLS", "7. TLS-RPT", "Findings: 2"};
    const char *prev = t;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) { /* in this order */
        const char *p = strstr(prev, steps[i]);
        assert_non_null(p);
        prev = p;
    }
    assert_non_null(strstr(t, "mx1.example.net: matches mx: mx1.example.net"));
    assert_non_null(strstr(t, "mx2.example.net: matches no mx pattern"));
    assert_non_null(strstr(t, "-> ignored: does not start with \"v=STSv1;\""));
    assert_non_null(strstr(t, "and 1 more")); /* five names, four shown */
    assert_non_null(strstr(t, "error mx_not_covered"));
    assert_non_null(strstr(t, "info tlsrpt_missing"));
    free(t);
    t = capture_text(&x.v, 1);
    assert_non_null(strstr(t, "\033[1;31mexample.net\033[0m"));
    assert_true(widest(t) <= REPORT_WIDTH + 16); /* only the escape bytes exceed it */
    free(t);
}

/* A record published as several character-strings is shown string by string (issue 12: "every
 * string"), in text and json; a record of one string is shown as before. */
static void test_record_strings(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x);
    x.sts[0].n_strings = 2;
    x.sts[0].string_len[0] = 8;
    x.sts[0].string_len[1] = 6;
    char *t = capture_text(&x.v, 0);
    assert_non_null(strstr(t, "\"v=STSv1;\" \" id=1;\"\n"));
    assert_non_null(strstr(t, "\"v=spf1 -all\"\n"));
    free(t);
    char *j = capture_json(&x.v);
    assert_non_null(strstr(j, "{\"text\":\"v=STSv1; id=1;\",\"strings\":[\"v=STSv1;\",\" id=1;\"],\"candidate\":true}"));
    assert_non_null(strstr(j, "{\"text\":\"v=spf1 -all\",\"candidate\":false}"));
    free(j);
    /* string lengths that do not add up to the record's (never from dns_parse_txt): the record
     * is still shown and nothing past it is read */
    x.sts[0].string_len[0] = 200;
    t = capture_text(&x.v, 0);
    assert_non_null(strstr(t, "\"v=STSv1; id=1;\" \"\"\n"));
    free(t);
    j = capture_json(&x.v);
    assert_non_null(strstr(j, "\"strings\":[\"v=STSv1; id=1;\",\"\"]"));
    free(j);
}

/* Issue 19: a record with a TAB before the ';' is a candidate (txt_is_candidate, the scan's rule)
 * in the text and the JSON; the JSON carries the record's bytes (the TAB as JSON's \t, a byte
 * that is not UTF-8 as U+FFFD), the text shows \xHH for the terminal. */
static void test_record_bytes(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x);
    x.sts[0] = (struct txt_record){(const unsigned char *)"v=STSv1\t; id=1;\\", 16, 0, {0}};
    x.sts[1] = (struct txt_record){(const unsigned char *)"v=spf1\x01 \"a\"", 11, 0, {0}};
    char *t = capture_text(&x.v, 0);
    assert_non_null(strstr(t, "\"v=STSv1\\x09; id=1;\\x5c\"\n      -> counted: the one v=STSv1 record\n"));
    assert_non_null(strstr(t, "\"v=spf1\\x01 \"a\"\"\n      -> ignored"));
    free(t);
    char *j = capture_json(&x.v);
    assert_non_null(strstr(j, "{\"text\":\"v=STSv1\\t; id=1;\\\\\",\"candidate\":true}"));
    assert_non_null(strstr(j, "{\"text\":\"v=spf1\\u0001 \\\"a\\\"\",\"candidate\":false}"));
    assert_null(strstr(j, "\\x"));
    free(j);
}

static void test_json(void **state)
{
    (void)state;
    struct fixture x;
    setup(&x);
    char *j = capture_json(&x.v);
    assert_true(j[0] == '{');
    assert_non_null(strstr(j, "}\n"));
    assert_ptr_equal(strchr(j, '\n'), j + strlen(j) - 1); /* one object, one line */
    assert_non_null(strstr(j, "\"verdict\":\"would_fail\",\"failure\":true"));
    assert_non_null(strstr(j, "\"cert_issuer\":\"CN=Test \\\"CA\\\",O=Ünïcode Org\""));
    assert_non_null(strstr(j, "\"text\":\"version: STSv1\\nmode: enforce\\n"));
    assert_non_null(strstr(j, "{\"host\":\"mx2.example.net\",\"preference\":20,\"covered\":false,\"pattern\":null"));
    assert_non_null(strstr(j, "\"code\":\"mx_not_covered\",\"severity\":\"error\""));
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fix_filled_in),
        cmocka_unit_test(test_failure_rule),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_record_strings),
        cmocka_unit_test(test_record_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
