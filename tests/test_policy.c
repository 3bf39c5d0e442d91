/*
 * test_policy: the MTA-STS policy parser (RFC 8461 §3.2) and MX pattern matching (§4.1),
 * including the decisions documented in scanner/policy.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/policy.h"

static struct policy *parse_str(const char *s)
{
    static struct policy p; /* large: keep it off the test's stack */
    policy_parse(s, strlen(s), &p);
    return &p;
}

/* The issues of p as "code;code" for readable assertions. */
static const char *issues(const struct policy *p)
{
    static char buf[512];
    issue_set_format(&p->issues, buf, sizeof(buf));
    return buf;
}

static void assert_issues(const char *body, const char *want, int valid)
{
    struct policy *p = parse_str(body);
    if (strcmp(issues(p), want) != 0 || p->valid != valid)
        print_error("body '%s': issues '%s' valid %d, want '%s' valid %d (%s)\n", body, issues(p),
                    p->valid, want, valid, p->error);
    assert_string_equal(issues(p), want);
    assert_int_equal(p->valid, valid);
    if (strcmp(want, "") != 0 && strcmp(want, "policy_max_age_short") != 0)
        assert_true(p->error[0] != '\0');
}

static void test_rfc_example(void **state)
{
    (void)state;
    struct policy *p = parse_str("version: STSv1\n"
                                 "mode: enforce\n"
                                 "mx: mail.example.com\n"
                                 "mx: *.example.net\n"
                                 "mx: backupmx.example.com\n"
                                 "max_age: 604800\n");
    assert_true(p->valid);
    assert_int_equal(p->mode, POLICY_MODE_ENFORCE);
    assert_int_equal(p->max_age, 604800);
    assert_int_equal(p->n_mx, 3);
    assert_string_equal(p->mx[0], "mail.example.com");
    assert_string_equal(p->mx[1], "*.example.net");
    assert_string_equal(p->mx[2], "backupmx.example.com");
    assert_string_equal(issues(p), "");
    assert_string_equal(p->error, "");
}

static void test_crlf_and_final_newline(void **state)
{
    (void)state;
    struct policy *p = parse_str("version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 86400\r\n");
    assert_true(p->valid);
    assert_int_equal(p->mode, POLICY_MODE_TESTING);
    assert_string_equal(p->mx[0], "mx.example.com");
    p = parse_str("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400");
    assert_true(p->valid);
    assert_int_equal(p->max_age, 86400);
    p = parse_str("version: STSv1\r\nmode: testing\nmx: mx.example.com\r\nmax_age: 86400\r");
    assert_true(p->valid);
    assert_int_equal(p->max_age, 86400);
}

static void test_whitespace_variants(void **state)
{
    (void)state;
    struct policy *p = parse_str("version:STSv1\n"
                                 "mode:\tenforce  \n"
                                 "mx:   mx1.example.com\t\n"
                                 "mx:\t \tmx2.example.com \r\n"
                                 "max_age: \t 1209600 \t\n");
    assert_true(p->valid);
    assert_int_equal(p->mode, POLICY_MODE_ENFORCE);
    assert_int_equal(p->max_age, 1209600);
    assert_int_equal(p->n_mx, 2);
    assert_string_equal(p->mx[0], "mx1.example.com");
    assert_string_equal(p->mx[1], "mx2.example.com");
    /* Whitespace before the colon or the key is not allowed by the ABNF. */
    assert_issues("version : STSv1\nmode: none\nmax_age: 86400\n", "policy_syntax;policy_version_invalid", 0);
    assert_issues(" version: STSv1\nmode: none\nmax_age: 86400\n", "policy_syntax;policy_version_invalid", 0);
    /* Whitespace inside a value makes it another value. */
    assert_issues("version: STSv1\nmode: en force\nmx: a.example\nmax_age: 86400\n", "policy_mode_invalid", 0);
}

static void test_blank_lines_ignored(void **state)
{
    (void)state;
    /* Decision: empty and WSP-only lines are ignored. */
    assert_issues("\nversion: STSv1\n\r\nmode: none\n \t\nmax_age: 86400\n\n\n", "", 1);
}

static void test_missing_fields(void **state)
{
    (void)state;
    assert_issues("mode: enforce\nmx: a.example.com\nmax_age: 86400\n", "policy_version_invalid", 0);
    assert_issues("version: STSv1\nmx: a.example.com\nmax_age: 86400\n", "policy_mode_invalid", 0);
    assert_issues("version: STSv1\nmode: enforce\nmx: a.example.com\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: enforce\nmax_age: 86400\n", "policy_mx_missing", 0);
    assert_issues("version: STSv1\nmode: testing\nmax_age: 86400\n", "policy_mx_missing", 0);
    /* mode none needs no mx. */
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\n", "", 1);
    assert_issues("", "policy_version_invalid;policy_mode_invalid;policy_max_age_invalid;policy_mx_missing", 0);
}

static void test_version(void **state)
{
    (void)state;
    assert_issues("version: STSv2\nmode: none\nmax_age: 86400\n", "policy_version_invalid", 0);
    assert_issues("version: stsv1\nmode: none\nmax_age: 86400\n", "policy_version_invalid", 0);
    assert_issues("version:\nmode: none\nmax_age: 86400\n", "policy_version_invalid", 0);
    /* Keys are case-sensitive: "Version" is an unknown key, so version is missing. */
    assert_issues("Version: STSv1\nmode: none\nmax_age: 86400\n", "policy_version_invalid", 0);
}

static void test_mode(void **state)
{
    (void)state;
    assert_issues("version: STSv1\nmode: ENFORCE\nmx: a.example\nmax_age: 86400\n", "policy_mode_invalid", 0);
    assert_issues("version: STSv1\nmode: Testing\nmx: a.example\nmax_age: 86400\n", "policy_mode_invalid", 0);
    assert_issues("version: STSv1\nmode: report\nmx: a.example\nmax_age: 86400\n", "policy_mode_invalid", 0);
    assert_issues("version: STSv1\nmode:\nmx: a.example\nmax_age: 86400\n", "policy_mode_invalid", 0);
    struct policy *p = parse_str("version: STSv1\nmode: ENFORCE\nmx: a.example\nmax_age: 86400\n");
    assert_int_equal(p->mode, POLICY_MODE_UNSET);
    p = parse_str("version: STSv1\nmode: none\nmax_age: 86400\n");
    assert_int_equal(p->mode, POLICY_MODE_NONE);
}

static void test_max_age(void **state)
{
    (void)state;
    struct policy *p = parse_str("version: STSv1\nmode: none\nmax_age: 31557600\n");
    assert_true(p->valid);
    assert_int_equal(p->max_age, 31557600);
    assert_string_equal(issues(p), "");

    p = parse_str("version: STSv1\nmode: none\nmax_age: 0\n");
    assert_true(p->valid); /* short is advisory only */
    assert_int_equal(p->max_age, 0);
    assert_string_equal(issues(p), "policy_max_age_short");

    assert_issues("version: STSv1\nmode: none\nmax_age: 86399\n", "policy_max_age_short", 1);
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\n", "", 1);
    assert_issues("version: STSv1\nmode: none\nmax_age: 0000086400\n", "", 1); /* 10 digits */

    p = parse_str("version: STSv1\nmode: none\nmax_age: 31557601\n");
    assert_false(p->valid);
    assert_int_equal(p->max_age, -1);
    assert_string_equal(issues(p), "policy_max_age_invalid");

    assert_issues("version: STSv1\nmode: none\nmax_age: 00000086400\n", "policy_max_age_invalid", 0); /* 11 digits */
    assert_issues("version: STSv1\nmode: none\nmax_age: 99999999999\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: 9999999999\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: -1\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: +86400\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: 1d\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: 864 00\n", "policy_max_age_invalid", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age:\n", "policy_max_age_invalid", 0);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    /* Decision: the first non-mx occurrence wins; later ones are ignored. */
    struct policy *p = parse_str("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\n"
                                 "max_age: 100000\nmax_age: 5\nversion: STSv9\nmode: BAD\n");
    assert_true(p->valid);
    assert_int_equal(p->mode, POLICY_MODE_TESTING);
    assert_int_equal(p->max_age, 100000);
    assert_string_equal(issues(p), "");
    /* A bad first occurrence is not rescued by a good second one. */
    assert_issues("version: STSv1\nmode: Enforce\nmode: enforce\nmx: a.example\nmax_age: 86400\n",
                  "policy_mode_invalid", 0);
}

static void test_unknown_keys_ignored(void **state)
{
    (void)state;
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\nfoo: bar baz\nx-ext.1_a: \n", "", 1);
    /* But a key with a character outside the ABNF is a syntax error. */
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\nfoo bar: x\n", "policy_syntax", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\n_x: y\n", "policy_syntax", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\n: y\n", "policy_syntax", 0);
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\n"
                  "k23456789012345678901234567890123: y\n", "policy_syntax", 0); /* 33-char key */
    assert_issues("version: STSv1\nmode: none\nmax_age: 86400\n"
                  "k2345678901234567890123456789012: y\n", "", 1);
}

static void test_line_without_colon(void **state)
{
    (void)state;
    struct policy *p = parse_str("version: STSv1\nmode: none\nmax_age: 86400\nthis is not a field\n");
    assert_false(p->valid);
    assert_string_equal(issues(p), "policy_syntax");
    assert_non_null(strstr(p->error, "line 4"));
    /* An HTML error page served as the policy. */
    assert_issues("<html><body>Not Found</body></html>\n",
                  "policy_syntax;policy_version_invalid;policy_mode_invalid;policy_max_age_invalid;policy_mx_missing", 0);
}

static void test_mx_values(void **state)
{
    (void)state;
    struct policy *p = parse_str("version: STSv1\nmode: enforce\nmax_age: 86400\n"
                                 "mx: MX1.Example.COM.\n"
                                 "mx: *.Example.net\n"
                                 "mx: xn--bcher-kva.example\n"
                                 "mx: 123.example\n"
                                 "mx: a-b.c-d.example\n"
                                 "mx: localhost\n");
    assert_true(p->valid);
    assert_int_equal(p->n_mx, 6);
    assert_string_equal(p->mx[0], "mx1.example.com");
    assert_string_equal(p->mx[1], "*.example.net");
    assert_string_equal(p->mx[2], "xn--bcher-kva.example");
    assert_string_equal(p->mx[3], "123.example");
    assert_string_equal(p->mx[4], "a-b.c-d.example");
    assert_string_equal(p->mx[5], "localhost");

    const char *bad[] = {
        "mx:\n", "mx: *\n", "mx: *.\n", "mx: .example.com\n", "mx: a..example.com\n",
        "mx: example.com..\n", "mx: -a.example.com\n", "mx: a-.example.com\n",
        "mx: a_b.example.com\n", "mx: *.*.example.com\n", "mx: a.*.example.com\n",
        "mx: b\xc3\xbc" "cher.example\n", "mx: mx.example.com:25\n", "mx: mx example.com\n",
        "mx: [192.0.2.1]\n", "mx: mail.example.com/\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: ok.example\n%s", bad[i]);
        assert_issues(body, "policy_syntax", 0);
        assert_int_equal(parse_str(body)->n_mx, 1);
    }
}

static void test_mx_lengths(void **state)
{
    (void)state;
    char label63[64], label64[65], body[1024], name[300];
    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'a', 64);
    label64[64] = '\0';

    snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: %s.example\n", label63);
    assert_issues(body, "", 1);
    snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: %s.example\n", label64);
    assert_issues(body, "policy_syntax", 0); /* an mx line was there, just bad */

    /* 253 bytes total (63+1+63+1+63+1+61) is fine, also behind "*." and with a trailing dot. */
    snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
    assert_int_equal(strlen(name), 253);
    snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: *.%s.\n", name);
    struct policy *p = parse_str(body);
    assert_true(p->valid);
    assert_int_equal(strlen(p->mx[0]), 255);
    assert_memory_equal(p->mx[0], "*.aaa", 5);

    /* 254 bytes is too long. */
    snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
    assert_int_equal(strlen(name), 254);
    snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\nmx: %s\n", name);
    assert_issues(body, "policy_syntax", 0); /* an mx line was there, just bad */
}

static void test_mx_limit(void **state)
{
    (void)state;
    /* More than POLICY_MX_MAX mx lines: the first are kept, the policy stays valid. */
    char body[8192];
    size_t pos = (size_t)snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\n");
    for (int i = 0; i < POLICY_MX_MAX + 8; i++)
        pos += (size_t)snprintf(body + pos, sizeof(body) - pos, "mx: mx%d.example.com\n", i);
    struct policy *p = parse_str(body);
    assert_true(p->valid);
    assert_int_equal(p->n_mx, POLICY_MX_MAX);
    assert_string_equal(p->mx[0], "mx0.example.com");
    assert_string_equal(p->mx[POLICY_MX_MAX - 1], "mx31.example.com");
    assert_true(policy_covers(p, "mx31.example.com"));
    assert_false(policy_covers(p, "mx32.example.com"));

    /* Lines past the limit are still checked. */
    snprintf(body + pos, sizeof(body) - pos, "mx: bad_name.example.com\n");
    p = parse_str(body);
    assert_false(p->valid);
    assert_string_equal(issues(p), "policy_syntax");
}

static void test_embedded_nul(void **state)
{
    (void)state;
    static const char body[] = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n\0";
    struct policy p;
    policy_parse(body, sizeof(body) - 1, &p);
    assert_false(p.valid);
    assert_string_equal(issues(&p), "policy_syntax");
    assert_non_null(strstr(p.error, "NUL"));

    static const char body2[] = "version: STSv1\nmode: enforce\0\nmx: mx.example.com\nmax_age: 86400\n";
    policy_parse(body2, sizeof(body2) - 1, &p);
    assert_false(p.valid);
    assert_true(issue_set_has(&p.issues, ISSUE_POLICY_SYNTAX));
    assert_true(issue_set_has(&p.issues, ISSUE_POLICY_MODE_INVALID));

    /* Nothing after the NUL is lost: later fields are still read. */
    static const char body3[] = "foo: \0\nversion: STSv1\nmode: none\nmax_age: 86400\n";
    policy_parse(body3, sizeof(body3) - 1, &p);
    assert_string_equal(issues(&p), "policy_syntax");
    assert_int_equal(p.mode, POLICY_MODE_NONE);
}

static void test_empty_and_null_body(void **state)
{
    (void)state;
    struct policy p;
    policy_parse(NULL, 0, &p);
    assert_false(p.valid);
    assert_int_equal(p.max_age, -1);
    assert_int_equal(p.mode, POLICY_MODE_UNSET);
}

static void test_mx_match(void **state)
{
    (void)state;
    assert_true(policy_mx_match("mail.example.com", "mail.example.com"));
    assert_true(policy_mx_match("mail.example.com", "MAIL.Example.COM"));
    assert_true(policy_mx_match("MAIL.example.com", "mail.example.com"));
    assert_true(policy_mx_match("mail.example.com.", "mail.example.com"));
    assert_true(policy_mx_match("mail.example.com", "mail.example.com."));
    assert_true(policy_mx_match("mail.example.com.", "mail.example.com."));
    assert_false(policy_mx_match("mail.example.com", "mail2.example.com"));
    assert_false(policy_mx_match("mail.example.com", "example.com"));
    assert_false(policy_mx_match("example.com", "mail.example.com"));
    assert_false(policy_mx_match("mail.example.com", "mail.example.co"));

    assert_true(policy_mx_match("*.example.com", "mail.example.com"));
    assert_true(policy_mx_match("*.Example.COM.", "MAIL.example.com."));
    assert_false(policy_mx_match("*.example.com", "example.com"));
    assert_false(policy_mx_match("*.example.com", "a.b.example.com"));
    assert_false(policy_mx_match("*.example.com", ".example.com"));
    assert_false(policy_mx_match("*.example.com", "mailexample.com"));
    assert_false(policy_mx_match("*.example.com", "mail.example.net"));
    assert_false(policy_mx_match("*.example.com", "mail.xexample.com"));
    /* The same rule literally for odd patterns. */
    assert_true(policy_mx_match("*.com", "example.com"));
    assert_false(policy_mx_match("*.com", "mail.example.com"));
    assert_false(policy_mx_match("*", "example.com"));
    assert_true(policy_mx_match("*", "*"));
    assert_false(policy_mx_match("", ""));
    assert_false(policy_mx_match("example.com", ""));
    /* A literal "*" label in the host only matches the same literal pattern. */
    assert_true(policy_mx_match("*.example.com", "*.example.com"));
}

static void test_covers(void **state)
{
    (void)state;
    struct policy *p = parse_str("version: STSv1\nmode: enforce\nmax_age: 86400\n"
                                 "mx: mx1.example.com\nmx: *.mail.example.net\n");
    assert_true(policy_covers(p, "mx1.example.com"));
    assert_true(policy_covers(p, "MX1.EXAMPLE.COM."));
    assert_true(policy_covers(p, "a.mail.example.net"));
    assert_false(policy_covers(p, "mail.example.net"));
    assert_false(policy_covers(p, "mx2.example.com"));
    assert_false(policy_covers(p, "x.a.mail.example.net"));
    p = parse_str("version: STSv1\nmode: none\nmax_age: 86400\n");
    assert_false(policy_covers(p, "mx1.example.com"));
}

static void test_mode_str(void **state)
{
    (void)state;
    assert_string_equal(policy_mode_str(POLICY_MODE_ENFORCE), "enforce");
    assert_string_equal(policy_mode_str(POLICY_MODE_TESTING), "testing");
    assert_string_equal(policy_mode_str(POLICY_MODE_NONE), "none");
    assert_string_equal(policy_mode_str(POLICY_MODE_UNSET), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example),
        cmocka_unit_test(test_crlf_and_final_newline),
        cmocka_unit_test(test_whitespace_variants),
        cmocka_unit_test(test_blank_lines_ignored),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_max_age),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_unknown_keys_ignored),
        cmocka_unit_test(test_line_without_colon),
        cmocka_unit_test(test_mx_values),
        cmocka_unit_test(test_mx_lengths),
        cmocka_unit_test(test_mx_limit),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_empty_and_null_body),
        cmocka_unit_test(test_mx_match),
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_mode_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
