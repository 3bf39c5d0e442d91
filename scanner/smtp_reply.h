/*
 * smtp_reply: pure incremental parser of SMTP replies (RFC 5321 §4.2), single- and multi-line.
 * Never touches the network.
 */
#ifndef MTASTS_SMTP_REPLY_H
#define MTASTS_SMTP_REPLY_H

#include <stddef.h>

#define SMTP_REPLY_LINE_MAX 2048   /* longer lines are a protocol error (RFC 5321 allows 512) */
#define SMTP_REPLY_LINES_MAX 64    /* more continuation lines are a protocol error */

enum smtp_reply_status {
    SMTP_REPLY_INCOMPLETE = 0, /* need more bytes */
    SMTP_REPLY_DONE,           /* a complete reply was parsed */
    SMTP_REPLY_BAD_CODE,       /* a line does not start with three digits and ' ' / '-' */
    SMTP_REPLY_CODE_MISMATCH,  /* continuation lines disagree on the code */
    SMTP_REPLY_LINE_TOO_LONG,
    SMTP_REPLY_TOO_MANY_LINES,
    SMTP_REPLY_STATUS__COUNT
};
const char *smtp_reply_status_str(enum smtp_reply_status s);

struct smtp_reply {
    int code;              /* e.g. 250 */
    int starttls;          /* an EHLO keyword line equal to STARTTLS (case-insensitive) was seen */
    size_t n_lines;
    char first_line[256];  /* text of the first line (after the code), cut to fit */
};

/* Parses one reply from buf[0..len).  On DONE, *consumed is the number of bytes of that reply
 * (so pipelined bytes after it are left).  On INCOMPLETE nothing is consumed.  Lines end in CRLF
 * or a bare LF (tolerated). */
enum smtp_reply_status smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *out,
                                        size_t *consumed);

#endif
