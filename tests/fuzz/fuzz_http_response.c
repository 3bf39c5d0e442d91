/*
 * fuzz_http_response: libFuzzer target for the HTTP response-head parser and the chunked decoder
 * (scanner/http_response.h).  Traps when an invariant breaks:
 *   - head: an OK parse consumes 1..min(len, HTTP_RESPONSE_HEAD_MAX) bytes ending in LF, a status
 *     in 100..999, NUL-terminated text fields, and parsing exactly those bytes gives the same
 *     result; no proper prefix of them is OK already;
 *   - chunked: the first input byte picks a split point; decoding in two pieces gives the same
 *     status, consumed and produced counts and bytes as decoding in one go, and never produces
 *     more bytes than it consumed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static void fuzz_head(const char *buf, size_t size)
{
    struct http_response_head h, again;
    enum http_parse_status st = http_response_parse_head(buf, size, &h);
    check(terminated(h.status_line, sizeof(h.status_line)) && terminated(h.content_type, sizeof(h.content_type)) &&
          terminated(h.location, sizeof(h.location)) && terminated(h.error, sizeof(h.error)));
    if (st == HTTP_PARSE_TOO_LARGE)
        check(size >= HTTP_RESPONSE_HEAD_MAX);
    if (st != HTTP_PARSE_OK)
        return;
    check(h.head_len > 0 && h.head_len <= size && h.head_len <= HTTP_RESPONSE_HEAD_MAX);
    check(buf[h.head_len - 1] == '\n');
    check(h.status >= 100 && h.status <= 999);
    check(http_response_parse_head(buf, h.head_len, &again) == HTTP_PARSE_OK);
    check(again.head_len == h.head_len && again.status == h.status && again.chunked == h.chunked &&
          again.content_length == h.content_length && strcmp(again.content_type, h.content_type) == 0);
    check(http_response_parse_head(buf, h.head_len - 1, &again) != HTTP_PARSE_OK);
}

static void fuzz_chunked(const char *in, size_t n, size_t split)
{
    char *a = malloc(n + 1), *b = malloc(n + 1);
    check(a && b);
    struct http_chunked c1, c2;
    http_chunked_init(&c1);
    http_chunked_init(&c2);
    size_t cons1, prod1;
    enum http_parse_status st1 = http_chunked_decode(&c1, in, n, &cons1, a, n, &prod1);
    check(cons1 <= n && prod1 <= cons1);

    size_t k = split <= n ? split : n;
    size_t ca, pa, cb = 0, pb = 0;
    enum http_parse_status st2 = http_chunked_decode(&c2, in, k, &ca, b, n, &pa);
    if (st2 == HTTP_PARSE_INCOMPLETE) {
        check(ca == k); /* out never fills: decoded bytes <= encoded bytes */
        st2 = http_chunked_decode(&c2, in + k, n - k, &cb, b + pa, n - pa, &pb);
    }
    check(st1 == st2);
    if (st1 != HTTP_PARSE_MALFORMED) {
        check(cons1 == ca + cb && prod1 == pa + pb);
        check(memcmp(a, b, prod1) == 0);
    }
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_head((const char *)data, size);
    if (size > 0)
        fuzz_chunked((const char *)data + 1, size - 1, data[0]);
    return 0;
}
