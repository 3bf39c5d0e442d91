/*
 * fuzz_dns: libFuzzer target for the DNS wire parsers of scanner/dns_reply.c (the bytes a resolver, or
 * anyone on its path, sends): dns_answer_wellformed, dns_parse_mx, dns_parse_txt_ttl and
 * dns_parse_txt (c-ares's TXT parser and the record assembly around it).  The input is one raw
 * reply.  Traps when an output invariant breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static int status_known(enum dns_status s)
{
    return dns_status_parse(dns_status_str(s)) == (int)s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65535) /* a DNS message is at most 64 KiB */
        return 0;
    int alen = (int)size;
    int wf = dns_answer_wellformed(data, alen);
    check(wf == 0 || wf == 1);

    long ttl = dns_parse_txt_ttl(data, alen);
    check(ttl >= -1 && ttl <= 0x7fffffffL);
    if (!wf) /* the same walk: a reply cut short has no TTL either */
        check(ttl == -1);

    struct dns_mx_answer mx;
    dns_parse_mx(data, alen, &mx);
    check(status_known(mx.status));
    check(mx.n <= DNS_MX_MAX);
    check(!mx.null_mx || mx.n == 0);
    check(mx.status != DNS_OK || mx.n > 0 || mx.null_mx);
    for (size_t i = 0; i < mx.n; i++) {
        size_t len = strnlen(mx.mx[i].host, sizeof(mx.mx[i].host));
        check(len > 0 && len < sizeof(mx.mx[i].host));
        check(mx.mx[i].host[len - 1] != '.');
        for (size_t k = 0; k < len; k++)
            check(!(mx.mx[i].host[k] >= 'A' && mx.mx[i].host[k] <= 'Z'));
        check(i == 0 || mx.mx[i - 1].pref <= mx.mx[i].pref); /* in the order a sender tries */
    }

    unsigned char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    struct dns_txt_answer txt;
    dns_parse_txt(data, alen, buf, &txt);
    check(status_known(txt.status));
    check(txt.ttl == ttl);
    check(txt.n <= DNS_TXT_MAX);
    check(txt.status != DNS_OK || txt.n > 0);
    size_t total = 0;
    for (size_t i = 0; i < txt.n; i++) {
        const struct txt_record *r = &txt.rec[i];
        check(r->data == buf + total); /* records lie end to end in buf */
        check(r->n_strings <= TXT_STRINGS_MAX);
        size_t sum = 0;
        for (size_t k = 0; k < r->n_strings; k++)
            sum += r->string_len[k];
        check(sum == r->len); /* the last length counts the rest past TXT_STRINGS_MAX */
        total += r->len;
    }
    check(total <= size); /* never more than the answer holds */
    free(buf);
    return 0;
}
