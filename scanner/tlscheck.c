/*
 * tlscheck: the TLS client context and the certificate judgement shared by the HTTPS policy fetch
 * and the SMTP STARTTLS probe.
 *
 * The verify callback never fails the handshake: it records every verify error into a small
 * state struct hung on the SSL as ex_data and returns 1, so that a scan can report *all* the
 * reasons a sender would refuse the certificate (expired AND wrong name, say), not just the first.
 * Ownership of that state: it is allocated by tlscheck_ssl_new and freed by an ex_data free
 * callback when the SSL itself is freed (SSL_free, or the bufferevent that owns the SSL), so
 * callers never manage it.
 *
 * Name checking is OpenSSL's own (SSL_set1_host, RFC 6125) with partial wildcards ("f*.example")
 * refused; there is deliberately no hand-written matcher here.
 */
#include "scanner/tlscheck.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scanner/result.h"

/* What the verify callback learnt about one connection. */
struct verify_state {
    unsigned flags;
    long first_error;
    char error[256];
};

static int state_idx = -1;
static CRYPTO_ONCE state_once = CRYPTO_ONCE_STATIC_INIT;

/* ex_data free callback: runs from SSL_free for every SSL, with ptr NULL when never set. */
static void state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}

static void state_idx_init(void)
{
    state_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, state_free);
}

static int state_index(void)
{
    if (!CRYPTO_THREAD_run_once(&state_once, state_idx_init))
        return -1;
    return state_idx;
}

static struct verify_state *state_get(const SSL *ssl)
{
    int idx = state_index();
    return idx < 0 ? NULL : SSL_get_ex_data(ssl, idx);
}

/* Appends item to a "; "-joined list unless already there (the same error can be reported at
 * several depths of the chain); marks a cut with "...". */
static int has_item(const char *buf, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = buf; (p = strstr(p, item)) != NULL; p++) {
        int starts = p == buf || (p >= buf + 2 && p[-2] == ';' && p[-1] == ' ');
        if (starts && (p[n] == '\0' || p[n] == ';'))
            return 1;
    }
    return 0;
}

static void join_unique(char *buf, size_t size, const char *item)
{
    if (has_item(buf, item))
        return;
    size_t len = strlen(buf);
    int n = snprintf(buf + len, size - len, "%s%s", len ? "; " : "", item);
    if (n >= 0 && (size_t)n < size - len)
        return;
    if (size >= 4)
        memcpy(buf + size - 4, "...", 4);
}

static unsigned flag_of(long err)
{
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return TLSCHECK_EXPIRED;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return TLSCHECK_HOSTNAME_MISMATCH;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return TLSCHECK_UNTRUSTED;
    default:
        return TLSCHECK_OTHER;
    }
}

static void state_record(struct verify_state *st, long err)
{
    if (st->first_error == 0)
        st->first_error = err;
    st->flags |= flag_of(err);
    join_unique(st->error, sizeof(st->error), X509_verify_cert_error_string(err));
}

/* 1 when cert, whose issuer was found neither in what the server sent nor in the trust store, is
 * a leaf (not a CA) that names where its issuer's certificate is published (AIA caIssuers, which
 * public CAs put in every leaf): the issuing intermediate exists and the server did not send it.
 * A self-signed leaf is another error (18); a chain sent whole up to an unknown root stops at a CA
 * certificate; a leaf without caIssuers is left as merely untrusted. */
static int chain_cut_at(X509 *cert)
{
    if (X509_check_ca(cert) != 0)
        return 0;
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    int found = 0;
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++)
        found |= OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, i)->method) == NID_ad_ca_issuers;
    AUTHORITY_INFO_ACCESS_free(aia);
    return found;
}

/* Records the error (if any) and lets the handshake go on: the judgement is made afterwards. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
    if (preverify_ok)
        return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct verify_state *st = ssl ? state_get(ssl) : NULL;
    if (st == NULL)
        return 1;
    int err = X509_STORE_CTX_get_error(xs);
    state_record(st, err);
    X509 *cur = X509_STORE_CTX_get_current_cert(xs);
    if ((err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) && cur && chain_cut_at(cur))
        st->flags |= TLSCHECK_CHAIN_INCOMPLETE;
    return 1;
}

SSL_CTX *tlscheck_ctx_new(const char *ca_file, char *err, size_t errlen)
{
    if (state_index() < 0) {
        snprintf(err, errlen, "cannot allocate SSL ex_data index");
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        tlscheck_last_error(err, errlen);
        return NULL;
    }
    int ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
    /* thousands of connections wait on slow peers at once: drop idle record buffers */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (ok)
        ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (!ok) {
        char why[200];
        tlscheck_last_error(why, sizeof(why));
        snprintf(err, errlen, "trust store %s: %s", ca_file ? ca_file : "(system default)", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Sets SNI and the expected identity.  An IP literal gets no SNI (RFC 6066 forbids it) and is
 * checked against IP SANs instead. */
static int set_identity(SSL *ssl, const char *host)
{
    char name[256];
    size_t n = strlen(host);
    if (n == 0 || n >= sizeof(name))
        return 0;
    memcpy(name, host, n + 1);
    if (name[n - 1] == '.')
        name[n - 1] = '\0'; /* a root dot is not part of SNI nor of certificate names */

    unsigned char ip[16];
    if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);

    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, name) && SSL_set1_host(ssl, name);
}

SSL *tlscheck_ssl_new(SSL_CTX *ctx, const char *host)
{
    int idx = state_index();
    if (idx < 0)
        return NULL;
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    struct verify_state *st = calloc(1, sizeof(*st));
    if (st == NULL || !SSL_set_ex_data(ssl, idx, st)) {
        free(st);
        SSL_free(ssl);
        return NULL;
    }
    /* From here st belongs to ssl: freed by state_free. */
    if (!set_identity(ssl, host)) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_cb);
    return ssl;
}

/* Writes an X509_NAME as one RFC 2253 line. */
static void name_oneline(const X509_NAME *name, char *buf, size_t size)
{
    buf[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        char tmp[1024];
        size_t n = len > 0 ? (size_t)len : 0;
        if (n >= sizeof(tmp))
            n = sizeof(tmp) - 1;
        memcpy(tmp, data, n);
        tmp[n] = '\0';
        result_copy(buf, size, tmp);
    }
    BIO_free(bio);
}

/* DNS SANs, ';'-joined; bytes that could break the CSV or a terminal become '?'. */
static void dns_sans(X509 *cert, char *buf, size_t size)
{
    buf[0] = '\0';
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type != GEN_DNS)
            continue;
        const unsigned char *p = ASN1_STRING_get0_data(gn->d.dNSName);
        int len = ASN1_STRING_length(gn->d.dNSName);
        char item[256];
        size_t n = len > 0 ? (size_t)len : 0;
        if (n >= sizeof(item))
            n = sizeof(item) - 1;
        for (size_t k = 0; k < n; k++)
            item[k] = (p[k] < 0x21 || p[k] > 0x7e || p[k] == ';' || p[k] == ',') ? '?' : (char)p[k];
        item[n] = '\0';
        result_list_add(buf, size, item);
    }
    GENERAL_NAMES_free(names);
}

/* The certificate time t as a time_t; 0 when absent or unreadable. */
static time_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

void tlscheck_verdict(SSL *ssl, struct tlscheck_info *info)
{
    memset(info, 0, sizeof(*info));
    const struct verify_state *st = state_get(ssl);
    if (st != NULL) {
        info->flags = st->flags;
        info->first_error = st->first_error;
        result_copy(info->error, sizeof(info->error), st->error);
    }
    if (SSL_get0_peer_certificate(ssl) == NULL) {
        /* Only anonymous suites get here; a sender cannot authenticate such a server. */
        info->flags |= TLSCHECK_OTHER;
        if (info->first_error == 0)
            info->first_error = X509_V_ERR_UNSPECIFIED;
        join_unique(info->error, sizeof(info->error), "no peer certificate");
        return;
    }
    long vr = SSL_get_verify_result(ssl);
    if (info->flags == 0 && vr != X509_V_OK) {
        /* Belt and braces: an error the callback did not see (it always should). */
        info->flags |= flag_of(vr);
        info->first_error = vr;
        join_unique(info->error, sizeof(info->error), X509_verify_cert_error_string(vr));
    }
}

void tlscheck_inspect(SSL *ssl, struct tlscheck_info *info)
{
    tlscheck_verdict(ssl, info);
    result_copy(info->version, sizeof(info->version), SSL_get_version(ssl));
    const char *cipher = SSL_get_cipher_name(ssl);
    result_copy(info->cipher, sizeof(info->cipher), cipher ? cipher : "");
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (cert == NULL)
        return;
    name_oneline(X509_get_subject_name(cert), info->subject, sizeof(info->subject));
    name_oneline(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer));
    dns_sans(cert, info->sans, sizeof(info->sans));
    info->not_after = asn1_time(X509_get0_notAfter(cert));
}

void tlscheck_cert_facts(SSL *ssl, struct tlscheck_cert *c)
{
    memset(c, 0, sizeof(*c));
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (cert == NULL)
        return;
    name_oneline(X509_get_issuer_name(cert), c->issuer, sizeof(c->issuer));
    dns_sans(cert, c->sans, sizeof(c->sans));
    c->not_after = asn1_time(X509_get0_notAfter(cert));
}

void tlscheck_last_error(char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        join_unique(buf, size, one);
    }
    if (buf[0] == '\0')
        snprintf(buf, size, "no OpenSSL error queued");
}
