/*
 * tlscheck: the TLS client set-up shared by the HTTPS policy fetch and the SMTP STARTTLS probe.
 * It owns the SSL_CTX (TLS 1.2+, trust anchors) and judges a finished handshake's certificate with
 * OpenSSL's own chain and host-name checks (SSL_set1_host, RFC 6125), collecting every verify error
 * instead of aborting the handshake, so that the scanner can say *why* a sender would refuse.
 */
#ifndef MTASTS_TLSCHECK_H
#define MTASTS_TLSCHECK_H

#include <time.h>

#include <openssl/ssl.h>

/* Creates the client context.  ca_file NULL = system default store.  Returns NULL and fills err on
 * failure.  Caller frees with SSL_CTX_free. */
SSL_CTX *tlscheck_ctx_new(const char *ca_file, char *err, size_t errlen);

/* Creates an SSL for one connection to host: SNI = host, expected name = host, verify errors
 * collected (not fatal).  Returns NULL on OOM.  The caller (or the bufferevent that takes it with
 * BEV_OPT_CLOSE_ON_FREE) owns it.  The collected verify state hangs on the SSL as ex_data and is
 * freed by SSL_free itself; there is nothing else to free.  An IP-literal host gets no SNI and is
 * matched against IP SANs; a trailing root dot is dropped. */
SSL *tlscheck_ssl_new(SSL_CTX *ctx, const char *host);

/* Certificate problems found during the handshake, as flags. */
enum tlscheck_flag {
    TLSCHECK_EXPIRED = 1 << 0,          /* not yet valid or expired, anywhere in the chain */
    TLSCHECK_HOSTNAME_MISMATCH = 1 << 1,
    TLSCHECK_UNTRUSTED = 1 << 2,        /* self-signed, unknown issuer, bad chain */
    TLSCHECK_OTHER = 1 << 3,            /* any other verify error */
    TLSCHECK_CHAIN_INCOMPLETE = 1 << 4  /* also UNTRUSTED: the issuer of a leaf (non-CA)
                                           certificate that names its issuer's certificate (AIA
                                           caIssuers) is neither sent nor in the trust store: the
                                           server omits the intermediate */
};

struct tlscheck_info {
    unsigned flags;           /* 0 = certificate valid for host */
    long first_error;         /* X509_V_* of the first error, 0 when none */
    char error[256];          /* X509_verify_cert_error_string of each error, "; "-joined */
    char version[16];         /* e.g. "TLSv1.3" */
    char cipher[64];
    char subject[256];
    char issuer[256];
    char sans[512];           /* DNS SANs, ';'-joined */
    time_t not_after;         /* certificate expiry; 0 when unknown */
};

/* Fills info for a connection whose handshake completed. */
void tlscheck_inspect(SSL *ssl, struct tlscheck_info *info);

/* Only the judgement (flags, first_error, error) of tlscheck_inspect: no subject, issuer or SAN
 * formatting, which costs as much as the host-name check itself and is not needed to decide. */
void tlscheck_verdict(SSL *ssl, struct tlscheck_info *info);

/* The few certificate fields recorded for the policy host (the MX table gets tlscheck_inspect). */
struct tlscheck_cert {
    time_t not_after;         /* 0 when unknown */
    char issuer[256];         /* RFC 2253 one line */
    char sans[512];           /* DNS SANs, ';'-joined */
};

/* Fills c from the peer certificate of a connection whose handshake completed (all empty when
 * there is none).  Only these three fields: formatting certificates is a fetch's costliest part. */
void tlscheck_cert_facts(SSL *ssl, struct tlscheck_cert *c);

/* Describes the OpenSSL error queue (and clears it) into buf, for a failed handshake. */
void tlscheck_last_error(char *buf, size_t size);

#endif
