/*
 * test_smtp_reply: the SMTP reply parser (RFC 5321 §4.2) on single- and multi-line replies,
 * incremental input, pipelined bytes, and every error it reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/smtp_reply.h"

/* Parses a C string; consumed is set to a sentinel first so tests can see it was not touched. */
static enum smtp_reply_status parse(const char *s, struct smtp_reply *r, size_t *consumed)
{
    *consumed = 999999;
    return smtp_reply_parse(s, strlen(s), r, consumed);
}

static void test_single_line_crlf(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    const char *s = "220 mx.example.com ESMTP Postfix\r\n";
    assert_int_equal(parse(s, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 220);
    assert_int_equal(r.n_lines, 1);
    assert_string_equal(r.first_line, "mx.example.com ESMTP Postfix");
    assert_int_equal(c, strlen(s));
    assert_int_equal(r.starttls, 0);
}

static void test_single_line_bare_lf(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    assert_int_equal(parse("554 go away\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 554);
    assert_string_equal(r.first_line, "go away");
    assert_int_equal(c, 12);
}

static void test_bare_code(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    assert_int_equal(parse("250\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 250);
    assert_string_equal(r.first_line, "");
    assert_int_equal(c, 5);
    assert_int_equal(parse("220 \r\n", &r, &c), SMTP_REPLY_DONE);
    assert_string_equal(r.first_line, "");
}

static void test_multiline_ehlo_starttls(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    const char *s = "250-mx.example.com Hello\r\n"
                    "250-PIPELINING\r\n"
                    "250-SIZE 10240000\r\n"
                    "250-STARTTLS\r\n"
                    "250-ENHANCEDSTATUSCODES\r\n"
                    "250 8BITMIME\r\n";
    assert_int_equal(parse(s, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 250);
    assert_int_equal(r.n_lines, 6);
    assert_int_equal(r.starttls, 1);
    assert_string_equal(r.first_line, "mx.example.com Hello");
    assert_int_equal(c, strlen(s));
}

static void test_starttls_last_line_and_case(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    assert_int_equal(parse("250-mx\r\n250 STARTTLS\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 1);
    assert_int_equal(parse("250-mx\n250-starttls\n250 SIZE\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 1);
    assert_int_equal(parse("250-mx\r\n250 StartTLS extra words\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 1);
}

static void test_starttls_not_matched(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    /* Not the first word, a longer word, the greeting line, or a non-250 reply. */
    assert_int_equal(parse("250-mx\r\n250-X-STARTTLS\r\n250 SIZE\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 0);
    assert_int_equal(parse("250-mx\r\n250 STARTTLSX\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 0);
    assert_int_equal(parse("250-mx\r\n250 START TLS\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 0);
    assert_int_equal(parse("250 STARTTLS\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 0);
    assert_int_equal(parse("220-mx ESMTP\r\n220 STARTTLS\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 0);
    assert_int_equal(parse("250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.starttls, 0);
}

static void test_incomplete_consumes_nothing(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    assert_int_equal(parse("", &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(c, 999999);
    assert_int_equal(parse("2", &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(parse("220 mx ready", &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(parse("220 mx ready\r", &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(parse("250-mx\r\n250-SIZE\r\n", &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(parse("250-mx\r\n250 SIZE", &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(c, 999999);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    const char *s = "250-mx.example.com\r\n250-STARTTLS\r\n250 OK\r\n";
    size_t n = strlen(s);
    struct smtp_reply r;
    for (size_t i = 0; i < n; i++) {
        size_t c = 12345;
        assert_int_equal(smtp_reply_parse(s, i, &r, &c), SMTP_REPLY_INCOMPLETE);
        assert_int_equal(c, 12345);
    }
    size_t c = 0;
    assert_int_equal(smtp_reply_parse(s, n, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(c, n);
    assert_int_equal(r.starttls, 1);
    assert_int_equal(r.n_lines, 3);
}

static void test_pipelined_bytes_left(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    const char *s = "220 ready\r\n250-mx\r\n250 STARTTLS\r\n";
    assert_int_equal(parse(s, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 220);
    assert_int_equal(r.starttls, 0);
    assert_int_equal(c, 11);
    /* The caller parses the rest as the next reply. */
    assert_int_equal(smtp_reply_parse(s + c, strlen(s) - c, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 250);
    assert_int_equal(r.starttls, 1);
    assert_int_equal(c, strlen(s) - 11);
    /* Garbage after a complete reply does not spoil it. */
    assert_int_equal(parse("221 bye\r\nxx", &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(c, 9);
}

static void test_mismatched_codes(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    assert_int_equal(parse("250-mx\r\n251 OK\r\n", &r, &c), SMTP_REPLY_CODE_MISMATCH);
    assert_int_equal(c, 999999);
    /* Detected as soon as the digits arrive, before the line ends. */
    assert_int_equal(parse("250-mx\r\n220", &r, &c), SMTP_REPLY_CODE_MISMATCH);
    assert_int_equal(parse("250-mx\r\n25", &r, &c), SMTP_REPLY_INCOMPLETE);
}

static void test_bad_codes(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    assert_int_equal(parse("HTTP/1.1 400 Bad Request\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("HT", &r, &c), SMTP_REPLY_BAD_CODE); /* before the line ends */
    assert_int_equal(parse("22\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("2200 x\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("220_x\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("22a x\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse(" 220 x\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("250-mx\r\nSTARTTLS\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(parse("250-mx\r\n\r\n", &r, &c), SMTP_REPLY_BAD_CODE);
    assert_int_equal(c, 999999);
}

static void test_line_too_long(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    char *buf = malloc(SMTP_REPLY_LINE_MAX + 16);
    assert_non_null(buf);

    /* Exactly the limit (text after "220 " fills it) is fine with CRLF or LF. */
    memcpy(buf, "220 ", 4);
    memset(buf + 4, 'a', SMTP_REPLY_LINE_MAX - 4);
    memcpy(buf + SMTP_REPLY_LINE_MAX, "\r\n", 3);
    assert_int_equal(parse(buf, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(c, SMTP_REPLY_LINE_MAX + 2);
    assert_int_equal(strlen(r.first_line), sizeof(r.first_line) - 1); /* cut to fit */
    /* Unfinished at the limit, also with the CR of its CRLF: still incomplete. */
    assert_int_equal(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX, &r, &c), SMTP_REPLY_INCOMPLETE);
    assert_int_equal(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 1, &r, &c), SMTP_REPLY_INCOMPLETE);

    /* One byte more is an error, complete or not. */
    memset(buf + 4, 'a', SMTP_REPLY_LINE_MAX - 3);
    memcpy(buf + SMTP_REPLY_LINE_MAX + 1, "\r\n", 3);
    assert_int_equal(parse(buf, &r, &c), SMTP_REPLY_LINE_TOO_LONG);
    assert_int_equal(c, 999999);
    assert_int_equal(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 1, &r, &c), SMTP_REPLY_LINE_TOO_LONG);
    free(buf);
}

static void test_endless_line_detected_early(void **state)
{
    (void)state;
    /* A server streaming a single line with no newline is caught once it passes the limit. */
    size_t n = 3 * SMTP_REPLY_LINE_MAX;
    char *buf = malloc(n);
    assert_non_null(buf);
    memcpy(buf, "220 ", 4);
    memset(buf + 4, 'x', n - 4);
    struct smtp_reply r;
    size_t c = 7;
    assert_int_equal(smtp_reply_parse(buf, n, &r, &c), SMTP_REPLY_LINE_TOO_LONG);
    assert_int_equal(c, 7);
    free(buf);
}

/* Builds count lines "220-line" (the last one "220 end" when finish) into a new buffer. */
static char *make_lines(size_t count, int finish, size_t *len)
{
    char *buf = malloc(count * 16 + 1);
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        const char *l = (finish && i + 1 == count) ? "220 end\r\n" : "220-line\r\n";
        memcpy(buf + pos, l, strlen(l));
        pos += strlen(l);
    }
    buf[pos] = '\0';
    *len = pos;
    return buf;
}

static void test_line_count_limit(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t len, c;
    char *buf = make_lines(SMTP_REPLY_LINES_MAX, 1, &len);
    assert_int_equal(smtp_reply_parse(buf, len, &r, &c), SMTP_REPLY_DONE);
    assert_int_equal(r.n_lines, SMTP_REPLY_LINES_MAX);
    assert_int_equal(c, len);
    free(buf);

    /* Still room for a final line: incomplete. */
    buf = make_lines(SMTP_REPLY_LINES_MAX - 1, 0, &len);
    assert_int_equal(smtp_reply_parse(buf, len, &r, &c), SMTP_REPLY_INCOMPLETE);
    free(buf);

    /* The last allowed line is a continuation: the reply cannot end in time. */
    buf = make_lines(SMTP_REPLY_LINES_MAX, 0, &len);
    assert_int_equal(smtp_reply_parse(buf, len, &r, &c), SMTP_REPLY_TOO_MANY_LINES);
    free(buf);
}

static void test_endless_continuation(void **state)
{
    (void)state;
    /* An endless greeting: far more continuation lines than allowed, never a final one. */
    struct smtp_reply r;
    size_t len, c = 5;
    char *buf = make_lines(10 * SMTP_REPLY_LINES_MAX, 0, &len);
    assert_int_equal(smtp_reply_parse(buf, len, &r, &c), SMTP_REPLY_TOO_MANY_LINES);
    assert_int_equal(c, 5);
    free(buf);
}

static void test_control_bytes_in_text(void **state)
{
    (void)state;
    struct smtp_reply r;
    size_t c;
    const char s[] = "220 a\0b\x1b" "c\r\n";
    assert_int_equal(smtp_reply_parse(s, sizeof(s) - 1, &r, &c), SMTP_REPLY_DONE);
    assert_string_equal(r.first_line, "a?b?c");
    assert_int_equal(c, sizeof(s) - 1);
}

static void test_status_str(void **state)
{
    (void)state;
    assert_string_equal(smtp_reply_status_str(SMTP_REPLY_DONE), "done");
    assert_string_equal(smtp_reply_status_str(SMTP_REPLY_TOO_MANY_LINES), "too_many_lines");
    assert_string_equal(smtp_reply_status_str(SMTP_REPLY_BAD_CODE), "bad_code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_line_crlf),
        cmocka_unit_test(test_single_line_bare_lf),
        cmocka_unit_test(test_bare_code),
        cmocka_unit_test(test_multiline_ehlo_starttls),
        cmocka_unit_test(test_starttls_last_line_and_case),
        cmocka_unit_test(test_starttls_not_matched),
        cmocka_unit_test(test_incomplete_consumes_nothing),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_pipelined_bytes_left),
        cmocka_unit_test(test_mismatched_codes),
        cmocka_unit_test(test_bad_codes),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_endless_line_detected_early),
        cmocka_unit_test(test_line_count_limit),
        cmocka_unit_test(test_endless_continuation),
        cmocka_unit_test(test_control_bytes_in_text),
        cmocka_unit_test(test_status_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
