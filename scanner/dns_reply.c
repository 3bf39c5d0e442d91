/* dns_reply: what a DNS reply says, read without the network (see dns_reply.h). */
#include "scanner/dns_reply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "lib/dnswire.h"
#include "lib/enumname.h"

/* The lookup outcomes (detail, the summary, check; lib/enumname). */
static const struct enum_name dns_status_names[] = {
    {DNS_OK, "ok"},
    {DNS_NXDOMAIN, "nxdomain"},
    {DNS_NODATA, "nodata"},
    {DNS_SERVFAIL, "servfail"},
    {DNS_REFUSED, "refused"},
    {DNS_TIMEOUT, "timeout"},
    {DNS_BADRESP, "malformed"},
    {DNS_ERROR, "error"},
    {DNS_UNREACHABLE, "unreachable"},
    {DNS_INTERNAL_ERROR, "internal_error"},
};
ENUM_NAMES_DEFINE_PARSE(dns_status, enum dns_status, DNS_STATUS__COUNT, "unknown")

/* The DNSSEC states (the mx_dnssec column). */
static const struct enum_name dns_sec_names[] = {
    {DNS_SEC_UNCHECKED, "unchecked"},
    {DNS_SEC_SECURE, "secure"},
    {DNS_SEC_INSECURE, "insecure"},
    {DNS_SEC_BOGUS, "bogus"},
};
ENUM_NAMES_DEFINE_PARSE(dns_sec, enum dns_sec, DNS_SEC__COUNT, "unknown")

static const struct enum_name dns_validation_names[] = {
    {DNS_VALIDATION_UNKNOWN, "unknown"},
    {DNS_VALIDATION_NO, "no"},
    {DNS_VALIDATION_YES, "yes"},
};
ENUM_NAMES_DEFINE(dns_validation, enum dns_validation, DNS_VALIDATION_YES + 1, "unknown")

int dns_reply_status(const unsigned char *abuf, int alen)
{
    if (!abuf || alen < 12)
        return ARES_EBADRESP;
    switch (abuf[3] & 0x0F) {
    case 0: return (abuf[6] << 8 | abuf[7]) > 0 ? ARES_SUCCESS : ARES_ENODATA;
    case 1: return ARES_EFORMERR;
    case 2: return ARES_ESERVFAIL;
    case 3: return ARES_ENOTFOUND;
    case 4: return ARES_ENOTIMP;
    case 5: return ARES_EREFUSED;
    default: return ARES_EBADRESP;
    }
}

enum dns_sec dns_sec_of(enum dns_validation v, int cd_retry, int status, int ad)
{
    int answered = status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA;
    if (v != DNS_VALIDATION_YES || !answered)
        return DNS_SEC_UNCHECKED;
    if (cd_retry)
        return DNS_SEC_BOGUS;
    return ad ? DNS_SEC_SECURE : DNS_SEC_INSECURE;
}

enum dns_status dns_status_from_ares(int st)
{
    switch (st) {
    case ARES_SUCCESS: return DNS_OK;
    case ARES_ENOTFOUND: return DNS_NXDOMAIN;
    case ARES_ENODATA: return DNS_NODATA;
    case ARES_ESERVFAIL: return DNS_SERVFAIL;
    case ARES_EREFUSED: return DNS_REFUSED;
    case ARES_ETIMEOUT: return DNS_TIMEOUT;
    case ARES_ECONNREFUSED: return DNS_UNREACHABLE;
    case ARES_ENOMEM: return DNS_INTERNAL_ERROR;
    case ARES_EBADRESP: case ARES_EFORMERR: case ARES_EBADNAME: return DNS_BADRESP;
    default: return DNS_ERROR;
    }
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* ---- libevent glue ---------------------------------------------------------------------- */

int dns_answer_wellformed(const unsigned char *abuf, int alen)
{
    struct dnswire w;
    struct dnswire_rr rr;
    if (dnswire_open(&w, abuf, alen) != 0)
        return 0;
    int r;
    while ((r = dnswire_next(&w, &rr)) == 1)
        ;
    return r == 0;
}

void dns_parse_mx(const unsigned char *abuf, int alen, struct dns_mx_answer *out)
{
    struct ares_mx_reply *mx = NULL;
    int st = ares_parse_mx_reply(abuf, alen, &mx);
    out->n = 0;
    out->null_mx = 0;
    out->status = dns_status_from_ares(st);
    if (st != ARES_SUCCESS)
        return;
    for (struct ares_mx_reply *m = mx; m && out->n < DNS_MX_MAX; m = m->next) {
        const char *h = m->host ? m->host : "";
        if (h[0] == '\0' || strcmp(h, ".") == 0) {
            out->null_mx = 1;
            continue;
        }
        size_t i = out->n++;
        /* insertion by preference keeps the list ordered as a sender would try it */
        while (i > 0 && out->mx[i - 1].pref > m->priority) {
            out->mx[i] = out->mx[i - 1];
            i--;
        }
        out->mx[i].pref = m->priority;
        snprintf(out->mx[i].host, sizeof(out->mx[i].host), "%s", h);
        /* the root's dot; a name longer than the field (c-ares escapes bytes no host name has,
         * "\(" for '(') is cut, and the cut may end on a label's dot or an escaped one */
        size_t len = strlen(out->mx[i].host);
        while (len > 0 && out->mx[i].host[len - 1] == '.')
            out->mx[i].host[--len] = '\0';
        lower(out->mx[i].host);
    }
    /* RFC 7505 §3: a null MX is the only MX; with others it is a misconfiguration, and we
     * treat the domain as having the real MX hosts. */
    if (out->null_mx && out->n > 0)
        out->null_mx = 0;
    if (out->n == 0 && !out->null_mx)
        out->status = DNS_NODATA;
    ares_free_data(mx);
}

long dns_parse_txt_ttl(const unsigned char *abuf, int alen)
{
    struct dnswire w;
    struct dnswire_rr rr;
    if (dnswire_open(&w, abuf, alen) != 0)
        return -1;
    long best = -1;
    int r;
    while ((r = dnswire_next(&w, &rr)) == 1)
        if (rr.type == 16 /* TXT */ && (best < 0 || (long)rr.ttl < best))
            best = (long)rr.ttl;
    return r == 0 ? best : -1;
}

void dns_parse_txt(const unsigned char *abuf, int alen, unsigned char *buf,
                   struct dns_txt_answer *out)
{
    struct ares_txt_ext *txt = NULL;
    out->n = 0; /* each record is set up as it is added: rec[] past n is left as it was */
    out->ttl = dns_parse_txt_ttl(abuf, alen);
    int st = ares_parse_txt_reply_ext(abuf, alen, &txt);
    out->status = dns_status_from_ares(st);
    if (st != ARES_SUCCESS)
        return;
    size_t used = 0;
    for (struct ares_txt_ext *t = txt; t; t = t->next) {
        if (t->record_start) {
            if (out->n == DNS_TXT_MAX)
                break;
            out->rec[out->n].data = buf + used;
            out->rec[out->n].len = 0;
            out->rec[out->n].n_strings = 0;
            out->n++;
        }
        if (out->n == 0)
            continue;
        memcpy(buf + used, t->txt, t->length);
        used += t->length;
        struct txt_record *rec = &out->rec[out->n - 1];
        rec->len += t->length;
        if (rec->n_strings < TXT_STRINGS_MAX)
            rec->string_len[rec->n_strings++] = (unsigned short)t->length;
        else
            rec->string_len[TXT_STRINGS_MAX - 1] =
                (unsigned short)(rec->string_len[TXT_STRINGS_MAX - 1] + t->length);
    }
    if (out->n == 0)
        out->status = DNS_NODATA;
    ares_free_data(txt);
}

void dns_addr_merge(const struct sockaddr_storage *v4, size_t n4, enum dns_status st4,
                    const struct sockaddr_storage *v6, size_t n6, enum dns_status st6,
                    struct dns_addr_answer *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n4 && out->n < DNS_ADDR_MAX; i++)
        out->addr[out->n++] = v4[i];
    for (size_t i = 0; i < n6 && out->n < DNS_ADDR_MAX; i++)
        out->addr[out->n++] = v6[i];
    if (out->n > 0)
        out->status = DNS_OK;
    else if (dns_status_failed(st4))
        out->status = st4;
    else if (dns_status_failed(st6))
        out->status = st6;
    else
        out->status = (st4 == DNS_NXDOMAIN || st6 == DNS_NXDOMAIN) ? DNS_NXDOMAIN : DNS_NODATA;
}

enum dns_sec dns_sec_merge(enum dns_sec a, enum dns_sec b)
{
    if (a == DNS_SEC_BOGUS || b == DNS_SEC_BOGUS)
        return DNS_SEC_BOGUS;
    if (a == DNS_SEC_SECURE && b == DNS_SEC_SECURE)
        return DNS_SEC_SECURE;
    if (a == DNS_SEC_INSECURE || b == DNS_SEC_INSECURE)
        return DNS_SEC_INSECURE;
    return DNS_SEC_UNCHECKED;
}

void dns_parse_cname_target(const unsigned char *abuf, int alen, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    struct dnswire w;
    struct dnswire_rr rr;
    if (!abuf || dnswire_open(&w, abuf, alen) != 0)
        return;
    int r;
    char target[256] = "";
    while ((r = dnswire_next(&w, &rr)) == 1) {
        if (rr.type != 5) /* CNAME */
            continue;
        char *name = NULL;
        long enclen = 0;
        if (ares_expand_name(rr.rdata, abuf, alen, &name, &enclen) != ARES_SUCCESS)
            return;
        snprintf(target, sizeof(target), "%s", name);
        ares_free_string(name);
    }
    if (r != 0)
        return;
    size_t n = strlen(target);
    while (n > 0 && target[n - 1] == '.')
        target[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        target[i] = (char)tolower((unsigned char)target[i]);
    snprintf(out, size, "%s", target);
}
