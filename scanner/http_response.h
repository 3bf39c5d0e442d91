/*
 * http_response: pure parsers for what an HTTPS policy server sends back: the response head
 * (status line and the few header fields RFC 8461 §3.3 cares about) and an incremental decoder for
 * chunked transfer coding (RFC 9112 §7.1).  No I/O, no globals, no allocation: bytes in, a struct
 * out, so that both are unit-tested and fuzzed on their own.
 *
 * Leniency, chosen to match what common senders accept: bare LF is taken as a line end, obs-fold
 * continuation lines are unfolded into one SP (RFC 9112 §5.2, as a user agent must), and the first
 * Content-Type / Location field wins when repeated (as Go's and Python's clients do).  Anything
 * that makes the message length ambiguous (bad or conflicting Content-Length, a transfer coding we
 * cannot undo) is reported rather than guessed.
 */
#ifndef MTASTS_HTTP_RESPONSE_H
#define MTASTS_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

/* A response head longer than this (status line + fields + blank line) is refused. */
#define HTTP_RESPONSE_HEAD_MAX 16384

enum http_parse_status {
    HTTP_PARSE_OK = 0,        /* complete */
    HTTP_PARSE_INCOMPLETE,    /* need more bytes (or, for the chunked decoder, more room) */
    HTTP_PARSE_TOO_LARGE,     /* head not finished within HTTP_RESPONSE_HEAD_MAX bytes */
    HTTP_PARSE_MALFORMED,
    HTTP_PARSE_STATUS__COUNT
};
const char *http_parse_status_str(enum http_parse_status s);

struct http_response_head {
    int status;                 /* 100..999 */
    int version_minor;          /* HTTP/1.<minor> */
    char status_line[256];      /* as received, control bytes as '?', cut with "..." */
    int has_content_type;
    char content_type[256];     /* field value, trimmed; "" when absent */
    int has_location;
    char location[256];
    int has_content_length;
    uint64_t content_length;
    int chunked;                /* Transfer-Encoding ends with chunked */
    int transfer_coding_unsupported; /* Transfer-Encoding other than (identity,) chunked */
    size_t head_len;            /* bytes consumed: status line, fields and the blank line */
    char error[128];            /* why, when MALFORMED */
};

/* Parses the head at the start of buf[0..len).  On OK, out->head_len says where the body starts.
 * INCOMPLETE when the blank line has not arrived yet and len < HTTP_RESPONSE_HEAD_MAX; TOO_LARGE
 * when it has not arrived within that many bytes.  out is always fully written; on INCOMPLETE and
 * TOO_LARGE, status, version_minor and status_line are already set when a complete, valid status
 * line was seen (status 0 otherwise). */
enum http_parse_status http_response_parse_head(const char *buf, size_t len,
                                                struct http_response_head *out);

/* True when a Content-Type value's media type is type/subtype (case-insensitive), with optional
 * whitespace and optional parameters: "Text/Plain ; charset=utf-8" is text/plain. */
int http_media_type_is(const char *value, const char *type, const char *subtype);

/* Incremental chunked decoder.  Initialise with http_chunked_init; feed input as it arrives. */
struct http_chunked {
    int state;             /* private */
    uint64_t remaining;    /* private: data bytes left in the current chunk */
    unsigned digits;       /* private */
    size_t line_len;       /* private: bytes in the current extension / trailer line */
    size_t trailer_len;    /* private */
};

void http_chunked_init(struct http_chunked *c);

/* Decodes from in[0..len) into out[0..out_cap), appending; *consumed and *produced say how much
 * was used of each.  Returns OK once the last chunk and the trailer section are complete (bytes
 * after that are not consumed), INCOMPLETE when it stopped because the input ran out or out is
 * full, MALFORMED on a framing error (state then undefined).  Trailer fields are skipped. */
enum http_parse_status http_chunked_decode(struct http_chunked *c, const char *in, size_t len,
                                           size_t *consumed, char *out, size_t out_cap,
                                           size_t *produced);

#endif
