/*
 * dane: TLSA records (RFC 6698) as an SMTP client must read them (RFC 7672), and OpenSSL's DANE
 * verification run over a chain already received.  OpenSSL keeps its DANE state (the records,
 * the match) in an SSL object; one is made per check, never connected, and handed to a store
 * context with X509_STORE_CTX_set0_dane, as OpenSSL's own handshake does (ssl_verify_cert_chain).
 */
#include "scanner/dane.h"

#include "lib/dnswire.h"
#include "lib/enumname.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#define TYPE_TLSA 52

int dane_tlsa_parse_rdata(const unsigned char *rd, size_t len, struct dane_tlsa *out)
{
    memset(out, 0, sizeof(*out));
    if (!rd || len < 4)
        return -1;
    out->usage = rd[0];
    out->selector = rd[1];
    out->mtype = rd[2];
    size_t dl = len - 3;
    out->len = (unsigned short)(dl > 0xFFFF ? 0xFFFF : dl);
    if (dl > DANE_DATA_MAX) {
        out->too_long = 1;
        return 0;
    }
    memcpy(out->data, rd + 3, dl);
    return 0;
}

void dane_parse_tlsa(const unsigned char *abuf, int alen, struct dane_tlsa_set *set)
{
    enum dns_sec sec = set->sec;
    memset(set, 0, sizeof(*set));
    set->sec = sec;
    set->status = DNS_BADRESP;
    struct dnswire w;
    struct dnswire_rr rr;
    if (dnswire_open(&w, abuf, alen) != 0)
        return;
    int r;
    while ((r = dnswire_next(&w, &rr)) == 1) {
        if (rr.type != TYPE_TLSA)
            continue;
        if (set->n < DANE_TLSA_MAX && dane_tlsa_parse_rdata(rr.rdata, rr.rdlen, &set->rec[set->n]) == 0)
            set->n++;
        else
            set->n_extra++; /* past the ones kept, or too short to be one: not usable, still there */
    }
    if (r != 0) { /* nothing read from a reply cut short is kept */
        set->n = set->n_extra = 0;
        return;
    }
    set->status = set->n + set->n_extra > 0 ? DNS_OK : DNS_NODATA;
}

int dane_tlsa_usable(const struct dane_tlsa *t)
{
    if (t->usage != DANE_USAGE_DANE_TA && t->usage != DANE_USAGE_DANE_EE)
        return 0; /* RFC 7672 §3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP */
    if (t->selector > 1 || t->too_long)
        return 0;
    switch (t->mtype) {
    case 0: return t->len > 0;
    case 1: return t->len == 32; /* SHA2-256 */
    case 2: return t->len == 64; /* SHA2-512 */
    default: return 0;
    }
}

size_t dane_usable_count(const struct dane_tlsa_set *set)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        n += (size_t)dane_tlsa_usable(&set->rec[i]);
    return n;
}

const char *dane_tlsa_text(const struct dane_tlsa *t, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    int w = snprintf(buf, len, "%u %u %u ", t->usage, t->selector, t->mtype);
    if (w < 0 || (size_t)w >= len)
        return buf;
    size_t at = (size_t)w;
    if (t->too_long) {
        snprintf(buf + at, len - at, "(%u bytes)", t->len);
        return buf;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < t->len; i++) {
        if (at + 2 + 4 > len) { /* room for "..." and the NUL */
            snprintf(buf + at, len - at, "...");
            return buf;
        }
        buf[at++] = hex[t->data[i] >> 4];
        buf[at++] = hex[t->data[i] & 15];
    }
    buf[at] = '\0';
    return buf;
}

static const struct enum_name dane_match_names[] = {
    {DANE_MATCH_NONE, ""},
    {DANE_MATCH_OK, "ok"},
    {DANE_MATCH_FAILED, "failed"},
    {DANE_MATCH_UNUSABLE, "unusable"},
    {DANE_MATCH_NO_CHAIN, "no_chain"},
    {DANE_MATCH_ERROR, "error"},
};
ENUM_NAMES_DEFINE_PARSE(dane_match, enum dane_match, DANE_MATCH__COUNT, "unknown")

SSL_CTX *dane_ctx_new(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx && SSL_CTX_dane_enable(ctx) <= 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* The index in set of the record OpenSSL says matched (same parameters and data); -1 none. */
static int matched_index(SSL *ssl, const struct dane_tlsa_set *set)
{
    uint8_t u, s, m;
    const unsigned char *data = NULL;
    size_t dlen = 0;
    if (SSL_get0_dane_tlsa(ssl, &u, &s, &m, &data, &dlen) < 0)
        return -1;
    for (size_t i = 0; i < set->n; i++) {
        const struct dane_tlsa *t = &set->rec[i];
        if (t->usage == u && t->selector == s && t->mtype == m && t->len == dlen &&
            memcmp(t->data, data, dlen) == 0)
            return (int)i;
    }
    return -1;
}

void dane_check(SSL_CTX *ctx, const char *host, STACK_OF(X509) *chain,
                const struct dane_tlsa_set *set, struct dane_result *out)
{
    memset(out, 0, sizeof(*out));
    out->matched = out->depth = -1;
    if (dane_usable_count(set) == 0) {
        out->match = DANE_MATCH_UNUSABLE;
        return;
    }
    if (!chain || sk_X509_num(chain) == 0) {
        out->match = DANE_MATCH_NO_CHAIN;
        return;
    }
    out->match = DANE_MATCH_ERROR;
    SSL *ssl = SSL_new(ctx);
    X509_STORE_CTX *xs = X509_STORE_CTX_new();
    int added = 0;
    if (!ssl || !xs || SSL_dane_enable(ssl, host) <= 0)
        goto done;
    SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS); /* RFC 7672 §3.2.2 */
    for (size_t i = 0; i < set->n; i++) {
        const struct dane_tlsa *t = &set->rec[i];
        if (!dane_tlsa_usable(t))
            continue;
        int r = SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype, t->data, t->len);
        if (r < 0)
            goto done;
        added += r > 0;
    }
    if (added == 0) { /* OpenSSL refused every one (e.g. a digest it cannot compute) */
        out->match = DANE_MATCH_UNUSABLE;
        goto done;
    }
    if (!X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(ctx), sk_X509_value(chain, 0), chain))
        goto done;
    X509_STORE_CTX_set_default(xs, "ssl_server");
    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xs), SSL_get0_param(ssl)); /* the names */
    X509_STORE_CTX_set0_dane(xs, SSL_get0_dane(ssl));
    int ok = X509_verify_cert(xs);
    int depth = SSL_get0_dane_authority(ssl, NULL, NULL);
    if (ok == 1 && depth >= 0) {
        out->match = DANE_MATCH_OK;
        out->depth = depth;
        out->matched = matched_index(ssl, set);
    } else {
        out->match = DANE_MATCH_FAILED;
        snprintf(out->error, sizeof(out->error), "%s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
    }
done:
    X509_STORE_CTX_free(xs);
    SSL_free(ssl);
}

static const struct enum_name dane_status_names[] = {
    {DANE_STATUS_UNCHECKED, "unchecked"},
    {DANE_STATUS_NONE, "none"},
    {DANE_STATUS_OK, "ok"},
    {DANE_STATUS_FAILED, "failed"},
    {DANE_STATUS_BOGUS, "bogus"},
};
ENUM_NAMES_DEFINE_PARSE(dane_status, enum dane_status, DANE_STATUS__COUNT, "unknown")

