/*
 * fuzz_txt: libFuzzer target for txt_parse_sts and txt_parse_tlsrpt (RFC 8461 §3.1, RFC 8460 §3).
 * The input is a TXT record set: records are separated by '\n' (a record itself may then hold any
 * other byte, NUL included).  Traps when an output invariant breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scanner/txt.h"

#define FUZZ_TXT_MAX_RECS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static int status_known(enum txt_status s)
{
    return s == TXT_STATUS_OK || s == TXT_STATUS_MISSING || s == TXT_STATUS_INVALID ||
           s == TXT_STATUS_MULTIPLE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct txt_record recs[FUZZ_TXT_MAX_RECS];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < FUZZ_TXT_MAX_RECS; i++) {
        if (i < size && data[i] != '\n')
            continue;
        recs[n].data = data + start;
        recs[n].len = i - start;
        n++;
        start = i + 1;
    }

    struct txt_sts sts;
    txt_parse_sts(recs, n, &sts);
    check(status_known(sts.status));
    check(memchr(sts.error, '\0', sizeof(sts.error)) != NULL);
    size_t idlen = strnlen(sts.id, sizeof(sts.id));
    check(idlen < sizeof(sts.id));
    check((sts.status == TXT_STATUS_OK) == (idlen > 0));
    for (size_t i = 0; i < idlen; i++)
        check((sts.id[i] >= '0' && sts.id[i] <= '9') || (sts.id[i] >= 'a' && sts.id[i] <= 'z') ||
              (sts.id[i] >= 'A' && sts.id[i] <= 'Z'));

    struct txt_tlsrpt rpt;
    txt_parse_tlsrpt(recs, n, &rpt);
    check(status_known(rpt.status));
    check(memchr(rpt.error, '\0', sizeof(rpt.error)) != NULL);
    size_t rualen = strnlen(rpt.rua, sizeof(rpt.rua));
    check(rualen < sizeof(rpt.rua));
    check((rpt.status == TXT_STATUS_OK) == (rualen > 0));
    return 0;
}
