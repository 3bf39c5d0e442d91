/*
 * fuzz_tlsa: libFuzzer target for dane_parse_tlsa (a raw DNS reply to a TLSA query, RFC 6698) and
 * what is read from its records: usability (RFC 7672 §3.1.3) and the text form.  Traps when an
 * output invariant breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scanner/dane.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dane_tlsa_set s = {.sec = DNS_SEC_SECURE};
    dane_parse_tlsa(data, size > 65535 ? 65535 : (int)size, &s);
    check(s.status == DNS_OK || s.status == DNS_NODATA || s.status == DNS_BADRESP);
    check(s.sec == DNS_SEC_SECURE);
    check(s.n <= DANE_TLSA_MAX);
    check(s.status != DNS_OK || s.n + s.n_extra > 0);
    check(s.status == DNS_OK || s.n == 0);
    check(dane_usable_count(&s) <= s.n);
    for (size_t i = 0; i < s.n; i++) {
        const struct dane_tlsa *t = &s.rec[i];
        check(t->too_long || t->len <= DANE_DATA_MAX);
        if (dane_tlsa_usable(t))
            check((t->usage == 2 || t->usage == 3) && t->selector <= 1 && !t->too_long);
        char text[40];
        dane_tlsa_text(t, text, sizeof(text));
        check(strlen(text) < sizeof(text));
    }
    return 0;
}
