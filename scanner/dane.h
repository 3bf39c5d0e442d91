/*
 * dane: DANE for SMTP (RFC 7672).  Owns the TLSA record set of one MX host (_25._tcp.<host>): its
 * parsing from a raw DNS reply (pure, fuzzed by tests/fuzz/fuzz_tlsa.c), which records an SMTP
 * client may use (RFC 7672 §3.1.3: DANE-TA(2) and DANE-EE(3) only), and the judgement of the
 * certificate chain a server presented in a STARTTLS handshake against those records.
 *
 * The matching is OpenSSL's own DANE code (SSL_dane_enable, SSL_dane_tlsa_add,
 * X509_STORE_CTX_set0_dane, SSL_get0_dane_authority), run after the handshake over the chain the
 * server sent in that same connection: no second connection and no hand-written matching.  It is
 * run apart from the connection's own verification because that one is the MTA-STS (PKIX) check,
 * which DANE must not change.  DANE-EE is matched without any name check (RFC 7672 §3.2.2).
 */
#ifndef MTASTS_DANE_H
#define MTASTS_DANE_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "scanner/dns.h"

#define DANE_TLSA_MAX 8     /* records kept per host; more are counted in n_extra */
#define DANE_DATA_MAX 512   /* association data kept; a longer one (a whole certificate) is
                               kept as too long, and unusable for the scanner */

/* RFC 6698 §2.1 / RFC 7218 names. */
enum { DANE_USAGE_PKIX_TA = 0, DANE_USAGE_PKIX_EE = 1, DANE_USAGE_DANE_TA = 2, DANE_USAGE_DANE_EE = 3 };

struct dane_tlsa {
    unsigned char usage, selector, mtype;
    unsigned short len;          /* of data; the published length when too_long */
    int too_long;                /* more than DANE_DATA_MAX bytes: data holds nothing */
    unsigned char data[DANE_DATA_MAX];
};

/* The TLSA lookup of one host: the DNS outcome, its DNSSEC status and the records. */
struct dane_tlsa_set {
    enum dns_status status;
    enum dns_sec sec;
    size_t n;
    size_t n_extra;              /* records beyond DANE_TLSA_MAX, not kept */
    struct dane_tlsa rec[DANE_TLSA_MAX];
};

/* Parses one TLSA RDATA (RFC 6698 §2.1); 0, or -1 when shorter than the three octets and one
 * byte of data.  Pure. */
int dane_tlsa_parse_rdata(const unsigned char *rd, size_t len, struct dane_tlsa *out);

/* Fills set from a raw DNS reply (the TLSA records of its answer section, a CNAME chain's own
 * records skipped); status DNS_OK with n > 0, DNS_NODATA with no TLSA record, DNS_BADRESP when
 * malformed.  sec is left for the caller (it comes from the lookup, not the bytes).  Pure. */
void dane_parse_tlsa(const unsigned char *abuf, int alen, struct dane_tlsa_set *set);

/* 1 when an SMTP client may use t (RFC 7672 §3.1.3): usage DANE-TA or DANE-EE, selector 0 or 1,
 * matching type 0 (data kept) or 1/2 with the digest's length.  Pure. */
int dane_tlsa_usable(const struct dane_tlsa *t);

/* Records of set that dane_tlsa_usable accepts. */
size_t dane_usable_count(const struct dane_tlsa_set *set);

/* "3 1 1 <hex>" into buf (the data cut to fit, with "..." when cut); returns buf. */
const char *dane_tlsa_text(const struct dane_tlsa *t, char *buf, size_t len);

enum dane_match {
    DANE_MATCH_NONE = 0,    /* not judged: the host has no secure TLSA records (empty cell) */
    DANE_MATCH_OK,          /* a usable record matched the chain */
    DANE_MATCH_FAILED,      /* usable records, none matched (or the chain did not verify to one) */
    DANE_MATCH_UNUSABLE,    /* no usable record: only PKIX usages, unknown parameters, ... */
    DANE_MATCH_NO_CHAIN,    /* no certificate to judge (no handshake) */
    DANE_MATCH_ERROR,       /* the scanner's failure (out of memory): says nothing */
    DANE_MATCH__COUNT
};
/* "" (none), ok, failed, unusable, no_chain, error. */
const char *dane_match_str(enum dane_match m);
/* The value dane_match_str writes as s ("" = DANE_MATCH_NONE), or -1. */
int dane_match_parse(const char *s);

struct dane_result {
    enum dane_match match;
    int matched;                 /* index into set->rec of the record that matched; -1 none */
    int depth;                   /* chain depth it matched at (0 = the server's own); -1 none */
    char error[128];             /* why it failed (OpenSSL's verify error), "" otherwise */
};

/* The context dane_check needs: DANE enabled, an empty trust store (only TLSA records are
 * trusted).  NULL on out of memory; caller frees with SSL_CTX_free.  Thread-safe to share once
 * made: dane_check only reads it. */
SSL_CTX *dane_ctx_new(void);

/* Judges the chain a server sent (leaf first, as SSL_get_peer_cert_chain gives it on a client)
 * for MX host against set's usable records, with ctx from dane_ctx_new.  No I/O.  chain
 * borrowed (NULL or empty: DANE_MATCH_NO_CHAIN). */
void dane_check(SSL_CTX *ctx, const char *host, STACK_OF(X509) *chain,
                const struct dane_tlsa_set *set, struct dane_result *out);

/* The domain's DANE state (the dane_status column), judged by classify from the MX RRset's
 * DNSSEC status and the MX hosts' TLSA lookups and matches (RFC 7672). */
enum dane_status {
    DANE_STATUS_UNCHECKED = 0,  /* no validating resolver, the MX lookup failed, or the MX RRset is
                                   secure and its TLSA records were not looked up */
    DANE_STATUS_NONE,           /* no MX host has usable TLSA in a secure zone (an insecure MX
                                   RRset: DANE does not apply, RFC 7672 §2.2.1) */
    DANE_STATUS_OK,             /* every MX host with secure, usable TLSA matched */
    DANE_STATUS_FAILED,         /* at least one MX host with secure TLSA did not match */
    DANE_STATUS_BOGUS,          /* DNSSEC validation failed for the MX or a TLSA lookup */
    DANE_STATUS__COUNT
};
/* unchecked, none, ok, failed, bogus. */
const char *dane_status_str(enum dane_status s);
/* The value for a name, -1 unknown. */
int dane_status_parse(const char *s);

#endif
