/*
 * smtp_reply: pure incremental parser of SMTP replies (RFC 5321 §4.2).
 *
 * The parser is stateless: the caller keeps the bytes received so far and calls
 * smtp_reply_parse() again after every read.  Each call re-scans the buffer from the start, which
 * is cheap because a reply is bounded (SMTP_REPLY_LINES_MAX lines of SMTP_REPLY_LINE_MAX bytes).
 * Errors are reported as soon as the bytes prove them, even in an unfinished line, so a server
 * that sends garbage or never stops talking is caught without waiting for a timeout.
 *
 * Decisions beyond the RFC text:
 * - a reply code is any three ASCII digits (the RFC restricts them to %x32-35 %x30-35 %x30-39;
 *   an odd code is left for the caller to judge, not a syntax error);
 * - a line's length is counted without its CRLF / LF terminator; a CR elsewhere is content;
 * - the SMTP_REPLY_LINES_MAX-th line must end the reply: a continuation there is already
 *   TOO_MANY_LINES, because the reply can no longer finish within the limit;
 * - STARTTLS is recognised only on code-250 lines after the first: the first line of an EHLO
 *   reply is the server's domain, not a keyword (RFC 5321 §4.1.1.1 ehlo-ok-rsp).
 */
#include "scanner/smtp_reply.h"

#include <string.h>

#include "lib/enumname.h"

static const struct enum_name smtp_reply_status_names[] = {
    {SMTP_REPLY_INCOMPLETE, "incomplete"},
    {SMTP_REPLY_DONE, "done"},
    {SMTP_REPLY_BAD_CODE, "bad_code"},
    {SMTP_REPLY_CODE_MISMATCH, "code_mismatch"},
    {SMTP_REPLY_LINE_TOO_LONG, "line_too_long"},
    {SMTP_REPLY_TOO_MANY_LINES, "too_many_lines"},
};
ENUM_NAMES_DEFINE(smtp_reply_status, enum smtp_reply_status, SMTP_REPLY_STATUS__COUNT, "unknown")

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int lower_ascii(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Checks the head of a line (code digits and separator) as far as avail bytes show it.
 * complete says whether line[0..avail) is the whole line (terminator stripped).  Returns 0 or
 * the error; *code is set when three digits are present, else -1. */
static enum smtp_reply_status check_head(const char *line, size_t avail, int complete, int *code)
{
    *code = -1;
    size_t n = avail < 3 ? avail : 3;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(line[i]))
            return SMTP_REPLY_BAD_CODE;
    if (avail < 3)
        return complete ? SMTP_REPLY_BAD_CODE : SMTP_REPLY_INCOMPLETE;
    *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (avail > 3 && line[3] != ' ' && line[3] != '-')
        return SMTP_REPLY_BAD_CODE;
    return SMTP_REPLY_INCOMPLETE;
}

/* 1 when text (the part after "ddd-" / "ddd ") starts with the word STARTTLS. */
static int is_starttls_keyword(const char *text, size_t len)
{
    static const char kw[] = "starttls";
    size_t kwlen = sizeof(kw) - 1;
    if (len < kwlen)
        return 0;
    for (size_t i = 0; i < kwlen; i++)
        if (lower_ascii((unsigned char)text[i]) != kw[i])
            return 0;
    return len == kwlen || text[kwlen] == ' ' || text[kwlen] == '\t';
}

/* Copies the first line's text, replacing control bytes (NUL, CR, ESC...) so that the string is
 * safe for logs and CSV details; cut to fit. */
static void copy_text(char *dst, size_t size, const char *text, size_t len)
{
    if (len > size - 1)
        len = size - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[len] = '\0';
}

/* 1 when an unterminated line can no longer end legally: it already holds more than the content
 * limit, not counting a final CR that may be the first half of its CRLF. */
static int partial_too_long(const char *line, size_t avail)
{
    if (avail <= SMTP_REPLY_LINE_MAX)
        return 0;
    return !(avail == SMTP_REPLY_LINE_MAX + 1 && line[avail - 1] == '\r');
}

enum smtp_reply_status smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *out,
                                        size_t *consumed)
{
    size_t pos = 0;
    memset(out, 0, sizeof(*out));
    for (;;) {
        const char *line = buf + pos;
        size_t avail = len - pos;
        if (avail == 0)
            return SMTP_REPLY_INCOMPLETE;
        const char *lf = memchr(line, '\n', avail);
        int code;
        if (lf == NULL) {
            /* Unfinished line: report what its bytes already prove. */
            enum smtp_reply_status st = check_head(line, avail, 0, &code);
            if (st != SMTP_REPLY_INCOMPLETE)
                return st;
            if (code >= 0 && out->n_lines > 0 && code != out->code)
                return SMTP_REPLY_CODE_MISMATCH;
            if (partial_too_long(line, avail))
                return SMTP_REPLY_LINE_TOO_LONG;
            return SMTP_REPLY_INCOMPLETE;
        }
        size_t linelen = (size_t)(lf - line);
        size_t next = pos + linelen + 1;
        if (linelen > 0 && line[linelen - 1] == '\r')
            linelen--;
        enum smtp_reply_status st = check_head(line, linelen, 1, &code);
        if (st != SMTP_REPLY_INCOMPLETE)
            return st;
        if (out->n_lines > 0 && code != out->code)
            return SMTP_REPLY_CODE_MISMATCH;
        if (linelen > SMTP_REPLY_LINE_MAX)
            return SMTP_REPLY_LINE_TOO_LONG;

        const char *text = linelen > 4 ? line + 4 : line + linelen;
        size_t textlen = linelen > 4 ? linelen - 4 : 0;
        if (out->n_lines == 0) {
            out->code = code;
            copy_text(out->first_line, sizeof(out->first_line), text, textlen);
        } else if (code == 250 && is_starttls_keyword(text, textlen)) {
            out->starttls = 1;
        }
        out->n_lines++;

        int last = linelen == 3 || line[3] == ' ';
        if (last) {
            *consumed = next;
            return SMTP_REPLY_DONE;
        }
        if (out->n_lines >= SMTP_REPLY_LINES_MAX)
            return SMTP_REPLY_TOO_MANY_LINES;
        pos = next;
    }
}
