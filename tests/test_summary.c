/*
 * test_summary: counters by verdict, issue and status for a known set of domains; the text
 * report's numbers and percentages; the JSON object checked by a strict little parser (objects,
 * string keys, unsigned integers) that also reads the values back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include <cmocka.h>

#include "output/summary.h"

/* ---- fixtures ---- */

static void add_domain(struct summary *s, enum verdict v, enum txt_status txt, enum policy_status p,
                       const char *mode, enum txt_status tlsrpt, int has_mx, uint64_t issues)
{
    struct domain_result r;
    result_init(&r);
    result_copy(r.domain, sizeof(r.domain), "example.com");
    r.verdict = v;
    r.txt_status = txt;
    r.policy_status = p;
    int pm = policy_mode_parse(mode);
    assert_true(pm >= 0);
    r.policy_mode = (enum policy_mode)pm;
    r.tlsrpt_status = tlsrpt;
    r.starttls_status = has_mx ? STARTTLS_ALL_OK : STARTTLS_NOT_PROBED;
    if (has_mx)
        result_copy(r.mx, sizeof(r.mx), "mx.example.com");
    r.issues.bits = issues;
    summary_add(s, &r);
}

#define BIT(c) ((uint64_t)1 << (c))

/* 10 lines: 1 invalid, 9 domains; 8 with MX; 5 valid TXT; 4 valid policies (2 enforce, 1 testing,
 * 1 none) and 1 invalid policy; 3 valid TLS-RPT (2 of them with valid TXT). */
static void fill(struct summary *s)
{
    summary_init(s);
    add_domain(s, VERDICT_ENFORCE_OK, TXT_STATUS_OK, POLICY_STATUS_OK, "enforce", TXT_STATUS_OK, 1, 0);
    add_domain(s, VERDICT_WOULD_FAIL, TXT_STATUS_OK, POLICY_STATUS_OK, "enforce", TXT_STATUS_MISSING, 1,
               BIT(ISSUE_MX_NOT_COVERED) | BIT(ISSUE_TLSRPT_MISSING));
    add_domain(s, VERDICT_TESTING_OK, TXT_STATUS_OK, POLICY_STATUS_OK, "testing", TXT_STATUS_OK, 1, 0);
    add_domain(s, VERDICT_MODE_NONE, TXT_STATUS_OK, POLICY_STATUS_OK, "none", TXT_STATUS_MISSING, 1,
               BIT(ISSUE_TLSRPT_MISSING));
    add_domain(s, VERDICT_INVALID, TXT_STATUS_OK, POLICY_STATUS_INVALID, "", TXT_STATUS_MISSING, 1,
               BIT(ISSUE_POLICY_SYNTAX) | BIT(ISSUE_TLSRPT_MISSING));
    add_domain(s, VERDICT_NOT_DEPLOYED, TXT_STATUS_MISSING, POLICY_STATUS_NOT_FETCHED, "", TXT_STATUS_OK, 1, 0);
    add_domain(s, VERDICT_NOT_DEPLOYED, TXT_STATUS_INVALID, POLICY_STATUS_NOT_FETCHED, "", TXT_STATUS_MISSING, 1,
               BIT(ISSUE_TXT_INVALID) | BIT(ISSUE_TLSRPT_MISSING));
    add_domain(s, VERDICT_NOT_DEPLOYED, TXT_STATUS_MISSING, POLICY_STATUS_NOT_FETCHED, "", TXT_STATUS_MISSING, 1,
               BIT(ISSUE_TLSRPT_MISSING));
    add_domain(s, VERDICT_DNS_ERROR, TXT_STATUS_ERROR, POLICY_STATUS_NOT_FETCHED, "", TXT_STATUS_ERROR, 0, 0);
    add_domain(s, VERDICT_INPUT_INVALID, TXT_STATUS_NOT_QUERIED, POLICY_STATUS_NOT_FETCHED, "",
               TXT_STATUS_NOT_QUERIED, 0, 0);
}

/* The caller owns *buf (free).  An out parameter, not a return value: gcc 12 takes a returned
 * open_memstream buffer for a pointer to the local variable (-Wdangling-pointer). */
static void render(const struct summary *s, int json, char **buf)
{
    size_t len = 0;
    *buf = NULL;
    FILE *f = open_memstream(buf, &len);
    if (json)
        assert_int_equal(summary_write_json(s, f), 0);
    else
        summary_print(s, f);
    fclose(f);
}

/* ---- a strict parser for the JSON subset the summary writes ---- */

struct jp {
    const char *p;
    char path[128]; /* "group.key" of the value being read */
    const char *want_path;
    long found;     /* value at want_path, -1 when not seen */
};

static void ws(struct jp *j)
{
    while (isspace((unsigned char)*j->p))
        j->p++;
}

static int expect(struct jp *j, char c)
{
    ws(j);
    if (*j->p != c)
        return -1;
    j->p++;
    return 0;
}

static int parse_value(struct jp *j);

/* Object with "key": value members; keys limited to [a-z_] like the stable strings. */
static int parse_object(struct jp *j)
{
    if (expect(j, '{') != 0)
        return -1;
    ws(j);
    if (*j->p == '}')
        return (void)j->p++, 0;
    size_t base = strlen(j->path);
    for (;;) {
        if (expect(j, '"') != 0)
            return -1;
        const char *k = j->p;
        while (islower((unsigned char)*j->p) || *j->p == '_')
            j->p++;
        if (*j->p != '"' || j->p == k)
            return -1;
        snprintf(j->path + base, sizeof(j->path) - base, "%s%.*s", base ? "." : "", (int)(j->p - k), k);
        j->p++;
        if (expect(j, ':') != 0 || parse_value(j) != 0)
            return -1;
        j->path[base] = '\0';
        ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        return expect(j, '}');
    }
}

static int parse_value(struct jp *j)
{
    ws(j);
    if (*j->p == '{')
        return parse_object(j);
    if (!isdigit((unsigned char)*j->p))
        return -1;
    char *end;
    long v = strtol(j->p, &end, 10);
    j->p = end;
    if (j->want_path != NULL && strcmp(j->path, j->want_path) == 0)
        j->found = v;
    return 0;
}

/* Parses the whole document (must be one object then only whitespace); returns the number at
 * path ("verdicts.enforce_ok"), -1 when absent, -2 when the JSON is malformed. */
static long json_get(const char *doc, const char *path)
{
    struct jp j = { doc, "", path, -1 };
    if (parse_object(&j) != 0)
        return -2;
    ws(&j);
    return *j.p == '\0' ? j.found : -2;
}

/* ---- tests ---- */

static void test_counts(void **state)
{
    (void)state;
    struct summary s;
    fill(&s);
    assert_int_equal(s.total, 10);
    assert_int_equal(s.domains, 9);
    assert_int_equal(s.with_mx, 8);
    assert_int_equal(s.by_verdict[VERDICT_NOT_DEPLOYED], 3);
    assert_int_equal(s.by_verdict[VERDICT_INPUT_INVALID], 1);
    assert_int_equal(s.by_verdict[VERDICT_ENFORCE_OK], 1);
    assert_int_equal(s.by_txt[TXT_STATUS_OK], 5);
    assert_int_equal(s.by_txt[TXT_STATUS_MISSING], 2);
    assert_int_equal(s.by_txt[TXT_STATUS_NOT_QUERIED], 0); /* input_invalid not counted here */
    assert_int_equal(s.by_policy[POLICY_STATUS_OK], 4);
    assert_int_equal(s.by_policy[POLICY_STATUS_INVALID], 1);
    assert_int_equal(s.by_mode[SUMMARY_MODE_ENFORCE], 2);
    assert_int_equal(s.by_mode[SUMMARY_MODE_TESTING], 1);
    assert_int_equal(s.by_mode[SUMMARY_MODE_NONE], 1);
    assert_int_equal(s.by_tlsrpt[TXT_STATUS_OK], 3);
    assert_int_equal(s.sts_and_tlsrpt, 2);
    assert_int_equal(s.by_issue[ISSUE_TLSRPT_MISSING], 5);
    assert_int_equal(s.by_issue[ISSUE_MX_NOT_COVERED], 1);
    assert_int_equal(s.by_issue[ISSUE_TXT_MULTIPLE], 0);
    assert_int_equal(s.by_starttls[STARTTLS_ALL_OK], 8);
}

static void test_mode_counted_only_for_valid_policy(void **state)
{
    (void)state;
    struct summary s;
    summary_init(&s);
    add_domain(&s, VERDICT_INVALID, TXT_STATUS_OK, POLICY_STATUS_INVALID, "enforce", TXT_STATUS_MISSING, 1, 0);
    add_domain(&s, VERDICT_INVALID, TXT_STATUS_OK, POLICY_STATUS_OK, "", TXT_STATUS_MISSING, 1, 0); /* mode unset */
    assert_int_equal(s.by_mode[SUMMARY_MODE_ENFORCE], 0);
    assert_int_equal(s.by_mode[SUMMARY_MODE_TESTING] + s.by_mode[SUMMARY_MODE_NONE], 0);
}

static void test_json(void **state)
{
    (void)state;
    struct summary s;
    fill(&s);
    char *doc;
    render(&s, 1, &doc);
    assert_int_equal(json_get(doc, "total"), 10);
    assert_int_equal(json_get(doc, "domains"), 9);
    assert_int_equal(json_get(doc, "input_invalid"), 1);
    assert_int_equal(json_get(doc, "with_mx"), 8);
    assert_int_equal(json_get(doc, "sts_and_tlsrpt"), 2);
    assert_int_equal(json_get(doc, "verdicts.not_deployed"), 3);
    assert_int_equal(json_get(doc, "verdicts.would_fail"), 1);
    assert_int_equal(json_get(doc, "verdicts.no_mail"), 0); /* zero keys present */
    assert_int_equal(json_get(doc, "issues.tlsrpt_missing"), 5);
    assert_int_equal(json_get(doc, "issues.mx_tls_failed"), 0);
    assert_int_equal(json_get(doc, "txt_status.ok"), 5);
    assert_int_equal(json_get(doc, "txt_status.error"), 1);
    assert_int_equal(json_get(doc, "policy_status.invalid"), 1);
    assert_int_equal(json_get(doc, "policy_mode.enforce"), 2);
    assert_int_equal(json_get(doc, "starttls_status.not_probed"), 1);
    assert_int_equal(json_get(doc, "tlsrpt_status.ok"), 3);
    assert_int_equal(json_get(doc, "verdicts.no_such_verdict"), -1);
    /* the layout (lib/jsonw): a member a line, each group on one line */
    const char *head = "{\n  \"total\": 10,\n  \"domains\": 9,\n";
    assert_memory_equal(doc, head, strlen(head));
    assert_non_null(strstr(doc, ",\n  \"verdicts\": {\"not_deployed\": 3, "));
    assert_non_null(strstr(doc, ", \"would_fail\": 1, "));
    assert_string_equal(doc + strlen(doc) - 4, "}\n}\n");
    /* every verdict and issue string is a key */
    for (int v = 0; v < VERDICT__COUNT; v++) {
        char path[64];
        snprintf(path, sizeof(path), "verdicts.%s", verdict_str((enum verdict)v));
        assert_int_equal(json_get(doc, path), (long)s.by_verdict[v]);
    }
    for (int c = 0; c < ISSUE__COUNT; c++) {
        char path[64];
        snprintf(path, sizeof(path), "issues.%s", issue_str((enum issue_code)c));
        assert_int_equal(json_get(doc, path), (long)s.by_issue[c]);
    }
    free(doc);
}

static void test_json_validator_is_strict(void **state)
{
    (void)state;
    assert_int_equal(json_get("{\"a\": 1,}", "a"), -2);
    assert_int_equal(json_get("{\"a\": 1} x", "a"), -2);
    assert_int_equal(json_get("{\"a\": {\"b\": 2}}", "a.b"), 2);
}

static void test_json_empty_summary(void **state)
{
    (void)state;
    struct summary s;
    summary_init(&s);
    char *doc;
    render(&s, 1, &doc);
    assert_int_equal(json_get(doc, "total"), 0);
    assert_int_equal(json_get(doc, "policy_mode.none"), 0);
    free(doc);
}

static void test_text_report(void **state)
{
    (void)state;
    struct summary s;
    fill(&s);
    char *text;
    render(&s, 0, &text);
    /* 8 of 9 domains have MX: 88.9% */
    const char *mx = strstr(text, "with MX records");
    assert_non_null(mx);
    assert_non_null(strstr(mx, " 8  ( 88.9%)"));
    const char *txt = strstr(text, "valid _mta-sts TXT record");
    assert_non_null(txt);
    assert_non_null(strstr(txt, " 5  ( 55.6%)"));
    /* mode percentages are of valid policies: 2 of 4 */
    const char *enf = strstr(text, "mode enforce");
    assert_non_null(enf);
    assert_non_null(strstr(enf, " 2  ( 50.0%)"));
    /* verdict percentages of input lines: 3 of 10 */
    const char *nd = strstr(text, "not_deployed");
    assert_non_null(nd);
    assert_non_null(strstr(nd, " 3  ( 30.0%)"));
    /* top issue first: tlsrpt_missing (5) precedes mx_not_covered (1); absent issues not listed */
    const char *top = strstr(text, "Top issues");
    assert_non_null(top);
    const char *a = strstr(top, "tlsrpt_missing");
    const char *b = strstr(top, "mx_not_covered");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_null(strstr(top, "txt_multiple"));
    free(text);
}

static void test_text_report_empty(void **state)
{
    (void)state;
    struct summary s;
    summary_init(&s);
    char *text;
    render(&s, 0, &text);
    assert_null(strstr(text, "nan"));
    assert_non_null(strstr(text, "(   -  )"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_mode_counted_only_for_valid_policy),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_validator_is_strict),
        cmocka_unit_test(test_json_empty_summary),
        cmocka_unit_test(test_text_report),
        cmocka_unit_test(test_text_report_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
