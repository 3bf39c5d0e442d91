/*
 * fuzz_smtp_reply: libFuzzer target for smtp_reply_parse (RFC 5321 §4.2).  The input is what a
 * server sends; replies are parsed one after the other as the probe does with pipelined bytes.
 * Traps when an invariant breaks: a DONE reply consumes 1..len bytes ending in LF, parsing exactly
 * those bytes gives the same reply, and no proper prefix of them is DONE already.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scanner/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t pos = 0;
    for (int replies = 0; replies < 64; replies++) {
        struct smtp_reply r, again;
        size_t consumed = (size_t)-1;
        enum smtp_reply_status st = smtp_reply_parse(buf + pos, size - pos, &r, &consumed);
        check(memchr(r.first_line, '\0', sizeof(r.first_line)) != NULL);
        if (st != SMTP_REPLY_DONE) {
            check(consumed == (size_t)-1);
            break;
        }
        check(consumed > 0 && consumed <= size - pos);
        check(buf[pos + consumed - 1] == '\n');
        check(r.code >= 0 && r.code <= 999);
        check(r.n_lines >= 1 && r.n_lines <= SMTP_REPLY_LINES_MAX);
        size_t c2 = 0;
        check(smtp_reply_parse(buf + pos, consumed, &again, &c2) == SMTP_REPLY_DONE);
        check(c2 == consumed && again.code == r.code && again.n_lines == r.n_lines &&
              again.starttls == r.starttls && strcmp(again.first_line, r.first_line) == 0);
        size_t c3 = (size_t)-1;
        check(smtp_reply_parse(buf + pos, consumed - 1, &again, &c3) != SMTP_REPLY_DONE);
        check(c3 == (size_t)-1);
        pos += consumed;
    }
    return 0;
}
