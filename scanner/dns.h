/*
 * dns: the DNS stage.  Owns one c-ares 1.18 channel driven by the scan's libevent loop (socket
 * state callback -> one event per c-ares socket; a periodic timer lets c-ares expire queries), and
 * turns raw answers into the small typed results the pipeline needs: MX sets, TXT record sets with
 * the strings of each record concatenated, and A/AAAA addresses.  No threads, no blocking calls.
 */
#ifndef MTASTS_DNS_H
#define MTASTS_DNS_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

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
    size_t n;
    struct sockaddr_storage addr[DNS_ADDR_MAX]; /* port 0; family AF_INET or AF_INET6 */
};

struct dns_counters {
    unsigned long sent, answered, failed, timed_out;
    unsigned long queued_peak; /* most queries waiting for a slot at once */
    unsigned long by_status[DNS_STATUS__COUNT]; /* lookups ended, by outcome (c-ares' view) */
};

/* Lookups that ended (answered, failed or timed out). */
unsigned long dns_counters_ended(const struct dns_counters *c);

/* Writes the failed lookups by cause into buf ("2 servfail, 1 refused, 0 timeout, 0 unreachable,
 * 0 malformed, 0 other"); returns buf.  Pure. */
const char *dns_counters_failures(const struct dns_counters *c, char *buf, size_t len);

/* 1 when no resolver answers, so a scan's rows would all be dns_error: abort_after (> 0) lookups
 * have ended and not one got an answer (a record, NXDOMAIN or NODATA); or, once the scan is
 * finished, lookups ended and not one got any reply at all (all timeout or unreachable).  0 when
 * abort_after is 0 (never).  Pure. */
int dns_counters_no_answer(const struct dns_counters *c, unsigned long abort_after, int finished);

struct dns;

struct dns_opts {
    const char *servers;  /* "IP[:PORT],..." or NULL for the system configuration */
    double timeout_sec;   /* first try; c-ares doubles it for each retry round */
    int tries;
    long max_inflight;    /* queries on the wire at most; more wait in a FIFO (0 = no cap) */
    double rate;          /* queries sent per second at most, all servers together (0 = no cap);
                             more wait in the same FIFO.  See dns.c for why it is the total */
};

/* Creates the DNS stage on base.  NULL with err filled on failure.  Free with dns_free. */
struct dns *dns_new(struct event_base *base, const struct dns_opts *opts, char *err, size_t errlen);

/* Ends every query, waiting or on the wire: callbacks run with DNS_ERROR, and are not counted.
 * Queries issued from those callbacks go out as usual.  Never call it from inside a DNS
 * callback (c-ares 1.18 would end the query being delivered twice). */
void dns_cancel_all(struct dns *d);

/* Cancels outstanding queries (their callbacks run with DNS_ERROR) and frees d. */
void dns_free(struct dns *d);

const struct dns_counters *dns_counters(const struct dns *d);

/* Asks the resolver for the root zone's DNSKEY with the AD bit set (RFC 6840 §5.7): the root is
 * signed, so a validating resolver answers with AD.  The answer sets dns_validation(d) (YES, NO;
 * UNKNOWN when no answer came) before cb runs with it and the lookup's status.  Call it before the
 * first MX query: until it has answered, every answer's DNSSEC status is unchecked.  The probe is
 * not counted among the scan's lookups (dns_counters). */
typedef void (*dns_probe_cb)(enum dns_validation v, enum dns_status st, void *arg);
void dns_probe_dnssec(struct dns *d, dns_probe_cb cb, void *arg);
enum dns_validation dns_validation(const struct dns *d);

/* Callbacks may run before the query function returns (c-ares may answer at once, e.g. with
 * no servers): set the caller's state first.  Answers are borrowed until the callback returns. */
typedef void (*dns_mx_cb)(const struct dns_mx_answer *a, void *arg);
typedef void (*dns_txt_cb)(const struct dns_txt_answer *a, void *arg);
typedef void (*dns_addr_cb)(const struct dns_addr_answer *a, void *arg);
struct dane_tlsa_set; /* scanner/dane.h */
typedef void (*dns_tlsa_cb)(const struct dane_tlsa_set *set, void *arg);

void dns_query_mx(struct dns *d, const char *name, dns_mx_cb cb, void *arg);
void dns_query_txt(struct dns *d, const char *name, dns_txt_cb cb, void *arg);
/* The TLSA records of an SMTP server (RFC 7672 §2.2: _PORT._tcp.HOST), asked with the AD bit
 * like MX (a bogus answer: SERVFAIL with sec DNS_SEC_BOGUS, no records). */
void dns_query_tlsa(struct dns *d, const char *host, unsigned short port, dns_tlsa_cb cb, void *arg);
/* Queries A and AAAA in parallel and merges them (A first).  Status is OK when either had an
 * address; otherwise the more informative failure of the two. */
void dns_query_addr(struct dns *d, const char *name, dns_addr_cb cb, void *arg);

/* Sets the port of an answer's address (in place), writes its text form into text and returns
 * the length to pass to connect().  The one place the stages turn an answer into a destination. */
socklen_t dns_addr_prepare(struct sockaddr_storage *ss, unsigned short port, char *text,
                           size_t textlen);

/* Pure helpers, exposed for the tests: */
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
