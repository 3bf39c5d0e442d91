/*
 * Tests for the pure HTTP response-head parser, the media-type check and the chunked decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/http_response.h"

static enum http_parse_status parse(const char *s, struct http_response_head *h)
{
    return http_response_parse_head(s, strlen(s), h);
}

static void test_head_basic(void **state)
{
    (void)state;
    struct http_response_head h;
    const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Length: 42\r\nServer: x\r\n\r\nversion: STSv1\r\n";
    assert_int_equal(parse(r, &h), HTTP_PARSE_OK);
    assert_int_equal(h.status, 200);
    assert_int_equal(h.version_minor, 1);
    assert_string_equal(h.status_line, "HTTP/1.1 200 OK");
    assert_true(h.has_content_type);
    assert_string_equal(h.content_type, "text/plain; charset=utf-8");
    assert_true(h.has_content_length);
    assert_int_equal(h.content_length, 42);
    assert_false(h.chunked);
    assert_int_equal(h.head_len, strstr(r, "version") - r);
}

static void test_head_incomplete_and_prefix(void **state)
{
    (void)state;
    struct http_response_head h;
    const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
    for (size_t n = 0; n < strlen(r); n++)
        assert_int_equal(http_response_parse_head(r, n, &h), HTTP_PARSE_INCOMPLETE);
    assert_int_equal(h.status, 200); /* status line complete, fields not yet */
    assert_string_equal(h.status_line, "HTTP/1.1 200 OK");
    assert_int_equal(parse("HTTP/1.1 200 O", &h), HTTP_PARSE_INCOMPLETE);
    assert_int_equal(h.status, 0);
    assert_int_equal(parse("HTTP/1.1 2x0 OK\r\nA: b", &h), HTTP_PARSE_INCOMPLETE);
    assert_int_equal(h.status, 0);
    assert_string_equal(h.error, "");
    assert_int_equal(parse("HTTX", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("SSH-2.0-OpenSSH\r\n", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("<html>\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
}

static void test_head_bare_lf_and_no_reason(void **state)
{
    (void)state;
    struct http_response_head h;
    assert_int_equal(parse("HTTP/1.0 404\nLocation: /x\n\nbody", &h), HTTP_PARSE_OK);
    assert_int_equal(h.status, 404);
    assert_int_equal(h.version_minor, 0);
    assert_string_equal(h.location, "/x");
    assert_int_equal(h.head_len, strlen("HTTP/1.0 404\nLocation: /x\n\n"));
    assert_false(h.has_content_type);
}

static void test_head_bad_status_lines(void **state)
{
    (void)state;
    struct http_response_head h;
    const char *bad[] = {
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n",
        "HTTP/1.x 200 OK\r\n\r\n", "HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], &h), HTTP_PARSE_MALFORMED);
        assert_true(h.error[0] != '\0');
    }
}

static void test_head_bad_fields(void **state)
{
    (void)state;
    struct http_response_head h;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Type : text/plain\r\n\r\n", &h),
                     HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\n: empty\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
}

static void test_head_content_length_rules(void **state)
{
    (void)state;
    struct http_response_head h;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", &h),
                     HTTP_PARSE_OK);
    assert_int_equal(h.content_length, 5);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", &h),
                     HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", &h), HTTP_PARSE_MALFORMED);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", &h),
                     HTTP_PARSE_MALFORMED);
}

static void test_head_transfer_encoding(void **state)
{
    (void)state;
    struct http_response_head h;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 3\r\n\r\n", &h),
                     HTTP_PARSE_OK);
    assert_true(h.chunked);
    assert_false(h.transfer_coding_unsupported);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &h), HTTP_PARSE_OK);
    assert_true(h.chunked);
    assert_true(h.transfer_coding_unsupported);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", &h),
                     HTTP_PARSE_OK);
    assert_true(h.transfer_coding_unsupported);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", &h), HTTP_PARSE_OK);
    assert_false(h.chunked);
    assert_false(h.transfer_coding_unsupported);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", &h),
                     HTTP_PARSE_MALFORMED);
}

static void test_head_obs_fold_and_first_wins(void **state)
{
    (void)state;
    struct http_response_head h;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n"
                           "Content-Type: text/html\r\n\r\n", &h), HTTP_PARSE_OK);
    assert_string_equal(h.content_type, "text/plain;   charset=utf-8");
    assert_true(http_media_type_is(h.content_type, "text", "plain"));
}

static void test_head_sanitised_and_cut(void **state)
{
    (void)state;
    struct http_response_head h;
    char r[2048];
    char loc[600];
    memset(loc, 'a', sizeof(loc) - 1);
    loc[sizeof(loc) - 1] = '\0';
    loc[3] = '\x01';
    snprintf(r, sizeof(r), "HTTP/1.1 301 Moved\r\nLocation: %s\r\n\r\n", loc);
    assert_int_equal(parse(r, &h), HTTP_PARSE_OK);
    assert_int_equal(strlen(h.location), sizeof(h.location) - 1);
    assert_int_equal(h.location[3], '?');
    assert_string_equal(h.location + sizeof(h.location) - 4, "...");
}

static void test_head_too_large(void **state)
{
    (void)state;
    struct http_response_head h;
    size_t n = HTTP_RESPONSE_HEAD_MAX + 100;
    char *r = malloc(n);
    assert_non_null(r);
    memset(r, 'x', n);
    memcpy(r, "HTTP/1.1 200 OK\r\nX-Pad: ", 24);
    assert_int_equal(http_response_parse_head(r, HTTP_RESPONSE_HEAD_MAX - 1, &h), HTTP_PARSE_INCOMPLETE);
    assert_int_equal(http_response_parse_head(r, HTTP_RESPONSE_HEAD_MAX, &h), HTTP_PARSE_TOO_LARGE);
    assert_int_equal(h.status, 200);
    assert_int_equal(http_response_parse_head(r, n, &h), HTTP_PARSE_TOO_LARGE);
    /* A head that ends exactly at the limit is still accepted. */
    memcpy(r + HTTP_RESPONSE_HEAD_MAX - 4, "\r\n\r\n", 4);
    assert_int_equal(http_response_parse_head(r, n, &h), HTTP_PARSE_OK);
    assert_int_equal(h.head_len, HTTP_RESPONSE_HEAD_MAX);
    free(r);
}

static void test_media_type(void **state)
{
    (void)state;
    assert_true(http_media_type_is("text/plain", "text", "plain"));
    assert_true(http_media_type_is("TEXT/Plain", "text", "plain"));
    assert_true(http_media_type_is(" text/plain ; charset=utf-8", "text", "plain"));
    assert_true(http_media_type_is("text/plain;charset=\"utf-8\"", "text", "plain"));
    assert_false(http_media_type_is("text/html", "text", "plain"));
    assert_false(http_media_type_is("text/plainx", "text", "plain"));
    assert_false(http_media_type_is("text/plain x", "text", "plain"));
    assert_false(http_media_type_is("text /plain", "text", "plain"));
    assert_false(http_media_type_is("application/text/plain", "text", "plain"));
    assert_false(http_media_type_is("", "text", "plain"));
    assert_false(http_media_type_is("text", "text", "plain"));
}

/* Decodes s in one go with an ample buffer. */
static enum http_parse_status dechunk(const char *s, char *out, size_t cap, size_t *produced,
                                      size_t *consumed)
{
    struct http_chunked c;
    http_chunked_init(&c);
    return http_chunked_decode(&c, s, strlen(s), consumed, out, cap, produced);
}

static void test_chunked_basic(void **state)
{
    (void)state;
    char out[64];
    size_t prod, cons;
    const char *s = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\nEXTRA";
    assert_int_equal(dechunk(s, out, sizeof(out), &prod, &cons), HTTP_PARSE_OK);
    assert_int_equal(prod, 12);
    assert_memory_equal(out, "hello, world", 12);
    assert_int_equal(cons, strlen(s) - 5);
    assert_int_equal(dechunk("A\nabcdefghij\n0\n\n", out, sizeof(out), &prod, &cons), HTTP_PARSE_OK);
    assert_int_equal(prod, 10);
    assert_int_equal(dechunk("0\r\n\r\n", out, sizeof(out), &prod, &cons), HTTP_PARSE_OK);
    assert_int_equal(prod, 0);
}

static void test_chunked_bytewise_equals_oneshot(void **state)
{
    (void)state;
    const char *s = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n1 ; x\r\nZ\r\n0\r\nT: 1\r\n\r\n";
    struct http_chunked c;
    http_chunked_init(&c);
    char out[64];
    size_t total = 0;
    enum http_parse_status st = HTTP_PARSE_INCOMPLETE;
    for (size_t i = 0; i < strlen(s); i++) {
        size_t cons, prod;
        assert_int_equal(st, HTTP_PARSE_INCOMPLETE);
        st = http_chunked_decode(&c, s + i, 1, &cons, out + total, sizeof(out) - total, &prod);
        assert_int_equal(cons, 1);
        total += prod;
    }
    assert_int_equal(st, HTTP_PARSE_OK);
    assert_int_equal(total, 20);
    assert_memory_equal(out, "abc0123456789abcdefZ", 20);
}

static void test_chunked_output_cap(void **state)
{
    (void)state;
    struct http_chunked c;
    http_chunked_init(&c);
    const char *s = "a\r\n0123456789\r\n0\r\n\r\n";
    char out[4];
    size_t cons, prod;
    assert_int_equal(http_chunked_decode(&c, s, strlen(s), &cons, out, sizeof(out), &prod),
                     HTTP_PARSE_INCOMPLETE);
    assert_int_equal(prod, 4);
    assert_int_equal(cons, 3 + 4);
    assert_memory_equal(out, "0123", 4);
}

static void test_chunked_malformed(void **state)
{
    (void)state;
    char out[64];
    size_t prod, cons;
    const char *bad[] = {
        "x\r\n", "\r\n", "5\r\nhelloX\r\n", "5\r\nhello\rX", "3\rX", "-1\r\n",
        "1000000000000000\r\n", /* 16 hex digits */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dechunk(bad[i], out, sizeof(out), &prod, &cons), HTTP_PARSE_MALFORMED);
    assert_int_equal(dechunk("5\r\nhel", out, sizeof(out), &prod, &cons), HTTP_PARSE_INCOMPLETE);
    assert_int_equal(prod, 3);
}

static void test_chunked_endless_extension_and_trailer(void **state)
{
    (void)state;
    size_t n = 3 * HTTP_RESPONSE_HEAD_MAX;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'e', n);
    s[n] = '\0';
    memcpy(s, "5;", 2);
    char out[8];
    size_t prod, cons;
    assert_int_equal(dechunk(s, out, sizeof(out), &prod, &cons), HTTP_PARSE_MALFORMED);
    memcpy(s, "0\r\n", 3);
    assert_int_equal(dechunk(s, out, sizeof(out), &prod, &cons), HTTP_PARSE_MALFORMED);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_basic),
        cmocka_unit_test(test_head_incomplete_and_prefix),
        cmocka_unit_test(test_head_bare_lf_and_no_reason),
        cmocka_unit_test(test_head_bad_status_lines),
        cmocka_unit_test(test_head_bad_fields),
        cmocka_unit_test(test_head_content_length_rules),
        cmocka_unit_test(test_head_transfer_encoding),
        cmocka_unit_test(test_head_obs_fold_and_first_wins),
        cmocka_unit_test(test_head_sanitised_and_cut),
        cmocka_unit_test(test_head_too_large),
        cmocka_unit_test(test_media_type),
        cmocka_unit_test(test_chunked_basic),
        cmocka_unit_test(test_chunked_bytewise_equals_oneshot),
        cmocka_unit_test(test_chunked_output_cap),
        cmocka_unit_test(test_chunked_malformed),
        cmocka_unit_test(test_chunked_endless_extension_and_trailer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
