/*
 * dns_reply: what a DNS reply says, read without the network.  The lookup outcomes (dns_status),
 * the DNSSEC states (dns_sec, dns_validation), the typed answers the DNS stage hands to the
 * pipeline (MX sets, TXT record sets, addresses), and the pure parsers that turn a raw reply into
 * them (over c-ares 1.18's parsers and lib/dnswire).  scanner/dns drives the queries and calls
 * these; the tests and fuzz_dns call them directly.
 */
#ifndef MTASTS_DNS_REPLY_H
#define MTASTS_DNS_REPLY_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "scanner/txt.h"

enum dns_status {
    DNS_OK = 0,
    DNS_NXDOMAIN,   /* the name does not exist */
    DNS_NODATA,     /* the name exists, no record of that type */
    DNS_SERVFAIL,
    DNS_REFUSED,
    DNS_TIMEOUT,
    DNS_BADRESP,    /* malformed answer */
    DNS_ERROR,      /* anything else (cancelled, ...) */
    DNS_UNREACHABLE, /* no resolver could be reached (port unreachable, connection refused) */
    DNS_INTERNAL_ERROR, /* the scanner ran out of memory: says nothing about the name */
    DNS_STATUS__COUNT
};
/* The outcome as written in `detail` and the summary: ok, nxdomain, nodata, servfail (the
 * resolver answered SERVFAIL), refused, timeout (no reply), malformed, error, unreachable. */
const char *dns_status_str(enum dns_status s);
/* The status named s (as dns_status_str writes it), or -1. */
int dns_status_parse(const char *s);

/* NXDOMAIN and NODATA are answers; the others mean "we could not find out". */
static inline int dns_status_failed(enum dns_status s) { return s != DNS_OK && s != DNS_NXDOMAIN && s != DNS_NODATA; }

/* What a validating resolver said about an answer's authenticity (RFC 4035 §3.2.3, RFC 6840
 * §5.7-5.8): MX (and TLSA) queries are sent with the AD bit set and the reply's AD bit is read.  A
 * SERVFAIL is asked once more with CD set: when that one answers, the data exists and only its
 * validation failed (bogus).  Without a validating resolver (dns_validation() not YES) nothing
 * is known: unchecked, never insecure. */
enum dns_sec {
    DNS_SEC_UNCHECKED = 0, /* the resolver does not validate, or the lookup failed */
    DNS_SEC_SECURE,        /* AD set: the answer (or its denial) validated */
    DNS_SEC_INSECURE,      /* no AD from a validating resolver: unsigned (or an insecure delegation) */
    DNS_SEC_BOGUS,         /* SERVFAIL, but the answer exists with checking disabled (CD) */
    DNS_SEC__COUNT
};
/* unchecked, secure, insecure, bogus (the mx_dnssec column's words). */
const char *dns_sec_str(enum dns_sec s);
/* The value named s, or -1. */
int dns_sec_parse(const char *s);

/* Whether the resolver validates DNSSEC, as the probe at the start of a scan found out. */
enum dns_validation {
    DNS_VALIDATION_UNKNOWN = 0, /* not probed, or the probe got no answer */
    DNS_VALIDATION_NO,          /* the root DNSKEY came back without AD */
    DNS_VALIDATION_YES          /* the root DNSKEY came back with AD */
};
/* unknown, no, yes. */
const char *dns_validation_str(enum dns_validation v);

#define DNS_MX_MAX 16
#define DNS_TXT_MAX 16
#define DNS_ADDR_MAX 8

struct dns_mx_answer {
    enum dns_status status;
    enum dns_sec sec;                   /* the MX RRset's DNSSEC status (a bogus one: SERVFAIL) */
    int null_mx;                        /* RFC 7505 "0 ." */
    size_t n;
    struct { unsigned short pref; char host[256]; } mx[DNS_MX_MAX]; /* by preference, lower-cased */
};

struct dns_txt_answer {
    enum dns_status status;
    long ttl;                           /* smallest TTL of the answer's TXT records; -1 none */
    size_t n;
    struct txt_record rec[DNS_TXT_MAX]; /* data borrowed: valid during the callback only */
};

struct dns_addr_answer {
    enum dns_status status;
    enum dns_sec sec;                   /* of the A and AAAA answers together (dns_sec_merge) */
    char cname[256];                    /* the name after CNAME expansion when the host is an
                                           alias (lower-cased, no trailing dot); "" otherwise */
    size_t n;
    struct sockaddr_storage addr[DNS_ADDR_MAX]; /* port 0; family AF_INET or AF_INET6 */
};

/* The c-ares status a raw reply stands for, as ares_query would report it (NOERROR without
 * answer records is ENODATA, SERVFAIL is ESERVFAIL, ...): ares_send hands over every reply as a
 * success.  ARES_EBADRESP for a reply shorter than a header. */
int dns_reply_status(const unsigned char *abuf, int alen);
/* The DNSSEC status of a lookup: sent with AD (and, for a retry after SERVFAIL, with CD), ended
 * with status (after dns_reply_status) and the reply's AD bit, by a resolver that validates or
 * not.  Bogus when the CD retry answered; unchecked when the resolver does not validate or the
 * lookup failed. */
enum dns_sec dns_sec_of(enum dns_validation v, int cd_retry, int status, int ad);
enum dns_status dns_status_from_ares(int ares_status);
/* The answer of dns_query_addr from its two halves: IPv4 first, then IPv6, up to DNS_ADDR_MAX,
 * whatever order the A and AAAA answers arrived in; status as dns_query_addr says. */
void dns_addr_merge(const struct sockaddr_storage *v4, size_t n4, enum dns_status st4,
                    const struct sockaddr_storage *v6, size_t n6, enum dns_status st6,
                    struct dns_addr_answer *out);
/* The DNSSEC status of a host's address records from those of its A and AAAA lookups: bogus
 * when either is; secure only when both are (an answer or a validated denial: RFC 7672 §2.2.2
 * needs secure address records); insecure when either is; otherwise unchecked.  Pure. */
enum dns_sec dns_sec_merge(enum dns_sec a, enum dns_sec b);
/* The target of the last CNAME record in a raw reply's answer section (the CNAME-expanded name
 * of the question, RFC 7672 §2.2.2) into out, lower-cased without the trailing dot; "" when the
 * answer has no CNAME or is malformed.  Pure. */
void dns_parse_cname_target(const unsigned char *abuf, int alen, char *out, size_t size);
/* 1 when the header, question and answer records of a raw reply lie within its alen bytes
 * (names, record lengths), so a parser can read every answer record; 0 otherwise. */
int dns_answer_wellformed(const unsigned char *abuf, int alen);
/* Fills out from a raw DNS answer (no network). */
void dns_parse_mx(const unsigned char *abuf, int alen, struct dns_mx_answer *out);
/* The smallest TTL of the TXT records in a raw answer's answer section (a CNAME chain's own
 * records are skipped; RFC 2181 §8: a TTL with the top bit set counts as 0); -1 when the answer
 * has no TXT record or is malformed.  c-ares 1.18's TXT parser drops TTLs, hence this walk. */
long dns_parse_txt_ttl(const unsigned char *abuf, int alen);
/* Fills out from a raw TXT answer (no network): status, ttl (dns_parse_txt_ttl) and up to
 * DNS_TXT_MAX records, each the concatenation of its character-strings with their lengths.
 * The records' bytes are copied into buf (alen + 1 bytes, the caller's: out->rec[].data point
 * into it). */
void dns_parse_txt(const unsigned char *abuf, int alen, unsigned char *buf,
                   struct dns_txt_answer *out);

#endif
