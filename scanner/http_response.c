/*
 * http_response: the response-head parser and the chunked decoder (see the header for the
 * leniency rules).  Everything here is a pure function of its input bytes.
 */
#include "scanner/http_response.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/enumname.h"

static const struct enum_name http_parse_status_names[] = {
    {HTTP_PARSE_OK, "ok"},
    {HTTP_PARSE_INCOMPLETE, "incomplete"},
    {HTTP_PARSE_TOO_LARGE, "too_large"},
    {HTTP_PARSE_MALFORMED, "malformed"},
};
ENUM_NAMES_DEFINE(http_parse_status, enum http_parse_status, HTTP_PARSE_STATUS__COUNT, "unknown")

static int is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Copies n bytes of network text into a fixed buffer: control bytes become '?', a cut ends in
 * "...", so the result is safe for a CSV detail column and a terminal. */
static void copy_text(char *dst, size_t size, const char *src, size_t n)
{
    size_t k = n < size ? n : size - 1;
    for (size_t i = 0; i < k; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[k] = '\0';
    if (k < n && size >= 4)
        memcpy(dst + size - 4, "...", 4);
}

static enum http_parse_status malformed(struct http_response_head *out, const char *why)
{
    snprintf(out->error, sizeof(out->error), "%s", why);
    return HTTP_PARSE_MALFORMED;
}

/* Length of the head (through its blank line) within buf[0..len), or 0 when not complete. */
static size_t find_head_end(const char *buf, size_t len)
{
    size_t line_start = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        size_t line_len = i - line_start;
        if (line_len > 0 && buf[i - 1] == '\r')
            line_len--;
        if (line_len == 0 && line_start > 0)
            return i + 1;
        line_start = i + 1;
    }
    return 0;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" */
static enum http_parse_status parse_status_line(const char *p, size_t n, struct http_response_head *out)
{
    copy_text(out->status_line, sizeof(out->status_line), p, n);
    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ')
        return malformed(out, "bad status line");
    for (int k = 9; k < 12; k++)
        if (p[k] < '0' || p[k] > '9')
            return malformed(out, "bad status code");
    if (n > 12 && p[12] != ' ')
        return malformed(out, "bad status code");
    if (p[9] == '0')
        return malformed(out, "bad status code");
    out->version_minor = p[7] - '0';
    out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    return HTTP_PARSE_OK;
}

static enum http_parse_status parse_content_length(const char *v, size_t n, struct http_response_head *out)
{
    if (n == 0 || n > 18)
        return malformed(out, "bad Content-Length");
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return malformed(out, "bad Content-Length");
        value = value * 10 + (uint64_t)(v[i] - '0');
    }
    if (out->has_content_length && out->content_length != value)
        return malformed(out, "conflicting Content-Length");
    out->has_content_length = 1;
    out->content_length = value;
    return HTTP_PARSE_OK;
}

/* Transfer-Encoding may repeat and is a list; only "chunked" last (and "identity") is usable. */
static enum http_parse_status parse_transfer_encoding(const char *v, size_t n, struct http_response_head *out)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i++;
        while (start < end && is_ows(v[start]))
            start++;
        while (end > start && is_ows(v[end - 1]))
            end--;
        size_t len = end - start;
        if (len == 0)
            continue;
        if (out->chunked)
            out->transfer_coding_unsupported = 1; /* anything after chunked */
        if (len == 7 && strncasecmp(v + start, "chunked", 7) == 0) {
            if (out->chunked)
                return malformed(out, "chunked applied twice");
            out->chunked = 1;
        } else if (!(len == 8 && strncasecmp(v + start, "identity", 8) == 0)) {
            out->transfer_coding_unsupported = 1;
        }
    }
    return HTTP_PARSE_OK;
}

static enum http_parse_status parse_field(const char *p, size_t n, struct http_response_head *out)
{
    size_t colon = 0;
    while (colon < n && is_tchar((unsigned char)p[colon]))
        colon++;
    if (colon == 0 || colon == n || p[colon] != ':')
        return malformed(out, "bad header field");
    const char *v = p + colon + 1;
    size_t vn = n - colon - 1;
    while (vn > 0 && is_ows(*v))
        v++, vn--;
    while (vn > 0 && is_ows(v[vn - 1]))
        vn--;

    if (colon == 12 && strncasecmp(p, "Content-Type", 12) == 0) {
        if (!out->has_content_type)
            copy_text(out->content_type, sizeof(out->content_type), v, vn);
        out->has_content_type = 1;
    } else if (colon == 8 && strncasecmp(p, "Location", 8) == 0) {
        if (!out->has_location)
            copy_text(out->location, sizeof(out->location), v, vn);
        out->has_location = 1;
    } else if (colon == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
        return parse_content_length(v, vn, out);
    } else if (colon == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
        return parse_transfer_encoding(v, vn, out);
    }
    return HTTP_PARSE_OK;
}

/* Replaces each obs-fold (a line end followed by SP/HTAB) in the field section with spaces. */
static void unfold(char *h, size_t fields_start, size_t len)
{
    for (size_t i = fields_start; i + 1 < len; i++) {
        if (h[i] != '\n' || !is_ows(h[i + 1]))
            continue;
        h[i] = ' ';
        if (i > 0 && h[i - 1] == '\r')
            h[i - 1] = ' ';
    }
}

/* For an unfinished head: parses a complete status line, if any, so that the status is known
 * even when the fields never end.  Its errors are left for the final parse to report. */
static void peek_status_line(const char *buf, size_t len, struct http_response_head *out)
{
    const char *nl = memchr(buf, '\n', len);
    if (nl == NULL)
        return;
    size_t n = (size_t)(nl - buf);
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (parse_status_line(buf, n, out) != HTTP_PARSE_OK) {
        out->status = 0;
        out->version_minor = 0;
        out->error[0] = '\0';
    }
}

enum http_parse_status http_response_parse_head(const char *buf, size_t len,
                                                struct http_response_head *out)
{
    memset(out, 0, sizeof(*out));
    size_t prefix = len < 5 ? len : 5;
    if (memcmp(buf, "HTTP/", prefix) != 0)
        return malformed(out, "not an HTTP response");
    size_t scan = len < HTTP_RESPONSE_HEAD_MAX ? len : HTTP_RESPONSE_HEAD_MAX;
    size_t head_len = find_head_end(buf, scan);
    if (head_len == 0) {
        peek_status_line(buf, scan, out);
        return len >= HTTP_RESPONSE_HEAD_MAX ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_INCOMPLETE;
    }

    char h[HTTP_RESPONSE_HEAD_MAX];
    memcpy(h, buf, head_len);
    const char *nl = memchr(h, '\n', head_len);
    size_t first_end = (size_t)(nl - h) + 1;
    if (is_ows(h[first_end]))
        return malformed(out, "whitespace before the first header field");
    unfold(h, first_end, head_len);

    size_t line_start = 0;
    for (size_t i = 0; i < head_len; i++) {
        if (h[i] != '\n')
            continue;
        size_t n = i - line_start;
        if (n > 0 && h[i - 1] == '\r')
            n--;
        enum http_parse_status st = HTTP_PARSE_OK;
        if (line_start == 0)
            st = parse_status_line(h, n, out);
        else if (n > 0)
            st = parse_field(h + line_start, n, out);
        if (st != HTTP_PARSE_OK)
            return st;
        line_start = i + 1;
    }
    out->head_len = head_len;
    return HTTP_PARSE_OK;
}

/* Matches a token case-insensitively at *p and advances past it. */
static int eat_token(const char **p, const char *token)
{
    size_t n = strlen(token);
    if (strncasecmp(*p, token, n) != 0)
        return 0;
    *p += n;
    return 1;
}

int http_media_type_is(const char *value, const char *type, const char *subtype)
{
    const char *p = value;
    while (is_ows(*p))
        p++;
    if (!eat_token(&p, type) || *p++ != '/' || !eat_token(&p, subtype))
        return 0;
    while (is_ows(*p))
        p++;
    return *p == '\0' || *p == ';';
}

/* Decoder states. */
enum { CH_SIZE = 0, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

#define CHUNK_EXT_MAX 4096
#define CHUNK_SIZE_DIGITS_MAX 15 /* keeps the size below 2^60 */

void http_chunked_init(struct http_chunked *c)
{
    memset(c, 0, sizeof(*c));
    c->state = CH_SIZE;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* End of a chunk-size line: a zero size starts the trailer section. */
static void size_line_done(struct http_chunked *c)
{
    c->line_len = 0;
    c->state = c->remaining ? CH_DATA : CH_TRAILER;
}

static void next_size(struct http_chunked *c)
{
    c->state = CH_SIZE;
    c->digits = 0;
    c->remaining = 0;
}

/* Consumes one framing byte; returns 0 on a framing error. */
static int chunk_byte(struct http_chunked *c, char ch)
{
    switch (c->state) {
    case CH_SIZE: {
        int v = hexval(ch);
        if (v >= 0) {
            if (c->digits == CHUNK_SIZE_DIGITS_MAX)
                return 0;
            c->remaining = c->remaining * 16 + (uint64_t)v;
            c->digits++;
        } else if (c->digits == 0) {
            return 0;
        } else if (ch == ';' || is_ows(ch)) {
            c->state = CH_EXT;
            c->line_len = 0;
        } else if (ch == '\r') {
            c->state = CH_SIZE_LF;
        } else if (ch == '\n') {
            size_line_done(c);
        } else {
            return 0;
        }
        return 1;
    }
    case CH_EXT:
        if (ch == '\n')
            size_line_done(c);
        else if (++c->line_len > CHUNK_EXT_MAX)
            return 0;
        return 1;
    case CH_SIZE_LF:
        if (ch != '\n')
            return 0;
        size_line_done(c);
        return 1;
    case CH_DATA_CR:
        if (ch == '\r')
            c->state = CH_DATA_LF;
        else if (ch == '\n')
            next_size(c);
        else
            return 0;
        return 1;
    case CH_DATA_LF:
        if (ch != '\n')
            return 0;
        next_size(c);
        return 1;
    case CH_TRAILER:
        if (++c->trailer_len > HTTP_RESPONSE_HEAD_MAX)
            return 0;
        if (ch == '\n') {
            if (c->line_len == 0)
                c->state = CH_DONE;
            c->line_len = 0;
        } else if (ch != '\r') {
            c->line_len++;
        }
        return 1;
    default:
        return 0;
    }
}

enum http_parse_status http_chunked_decode(struct http_chunked *c, const char *in, size_t len,
                                           size_t *consumed, char *out, size_t out_cap,
                                           size_t *produced)
{
    size_t i = 0, o = 0;
    enum http_parse_status st = HTTP_PARSE_INCOMPLETE;
    while (c->state != CH_DONE) {
        if (c->state == CH_DATA) {
            size_t n = len - i < out_cap - o ? len - i : out_cap - o;
            if (n > c->remaining)
                n = (size_t)c->remaining;
            if (n == 0)
                break;
            memcpy(out + o, in + i, n);
            i += n, o += n;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CH_DATA_CR;
            continue;
        }
        if (i == len)
            break;
        if (!chunk_byte(c, in[i++])) {
            st = HTTP_PARSE_MALFORMED;
            break;
        }
    }
    if (c->state == CH_DONE)
        st = HTTP_PARSE_OK;
    *consumed = i;
    *produced = o;
    return st;
}
