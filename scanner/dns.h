/*
 * dns: the DNS stage.  Owns one c-ares 1.18 channel driven by the scan's libevent loop (socket
 * state callback -> one event per c-ares socket; a periodic timer lets c-ares expire queries), and
 * turns raw answers into the small typed results the pipeline needs: MX sets, TXT record sets with
 * the strings of each record concatenated, and A/AAAA addresses.  No threads, no blocking calls.
 * What a reply says (statuses, answer types, the pure parsers) is scanner/dns_reply's.
 */
#ifndef MTASTS_DNS_H
#define MTASTS_DNS_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "scanner/dns_reply.h"

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
 * address; otherwise the more informative failure of the two.  Both are asked with the AD bit
 * like MX: the answer's sec (dns_sec_merge of the two) and cname (the CNAME-expanded name) are
 * what RFC 7672 §2.2.2 needs before a TLSA lookup. */
void dns_query_addr(struct dns *d, const char *name, dns_addr_cb cb, void *arg);

/* Sets the port of an answer's address (in place), writes its text form into text and returns
 * the length to pass to connect().  The one place the stages turn an answer into a destination. */
socklen_t dns_addr_prepare(struct sockaddr_storage *ss, unsigned short port, char *text,
                           size_t textlen);

#endif
