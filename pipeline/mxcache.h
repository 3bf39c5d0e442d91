/*
 * mxcache: MX hosts are shared by many domains (thousands on one provider), so each MX host name
 * is resolved and probed once per scan and its outcome handed to every domain that asks.  It owns
 * the per-host jobs (resolve -> probe each address -> outcome), the LRU of finished outcomes, the
 * per-address politeness limits (concurrent connections and new connections per second to one
 * address), and writes each probe's row to the MX table exactly once.
 */
#ifndef MTASTS_MXCACHE_H
#define MTASTS_MXCACHE_H

#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "pipeline/config.h"
#include "pipeline/tlsworker.h"
#include "scanner/classify.h"
#include "scanner/codes.h"
#include "scanner/dns.h"
#include "scanner/smtp_probe.h"

/* What the probes of one MX host found: facts only, judged by scanner/classify for each domain. */
struct mx_outcome {
    struct classify_probes probes;
    int retried;    /* a probe timed out connecting or waiting for the greeting and was retried */
    /* The host's TLSA records as looked up (RFC 7672 §2.2.2: only when its address records are
     * DNSSEC-secure), kept once per host here and never copied per domain; NULL when not looked
     * up or none were published (probes.tlsa_* says which). */
    const struct dane_tlsa_set *tlsa;
};

struct mxcache_waiter;
typedef void (*mxcache_cb)(struct mxcache_waiter *w, const struct mx_outcome *o);

/* Embedded in the asker's own state: no allocation per request.  Must stay valid until its
 * callback has run. */
struct mxcache_waiter {
    mxcache_cb cb;
    void *arg;
    /* private */
    struct mxcache_waiter *next;
    void *job;                  /* the job w waits on; NULL once called or cancelled */
    void *route;                /* pipeline/mxroute's request while another engine's cache has it */
};

/* Called once per probe (host and address), for the MX table.  domains_sharing is the number of
 * requests for host while its probe was remembered: every domain whose MX set includes host
 * asks once.  Rows are therefore written when the host leaves the cache (LRU eviction) or at
 * mxcache_flush, not when the probe ends; probed_at is when the probe ended. */
typedef void (*mxcache_row_cb)(const char *host, const char *addr,
                               const struct smtp_probe_result *res, long domains_sharing,
                               time_t probed_at, const struct mx_outcome *host_outcome,
                               void *arg);

struct mxcache_counters {
    unsigned long hosts_resolved, probes_started, probes_done, cache_hits, evictions;
};

struct mxcache;

/* The TLSA lookup of a host is made once per scan (with the host's probes, in its cache entry)
 * when its address records are DNSSEC-secure, which is what RFC 7672 §2.2.2 asks before any
 * TLSA lookup and a fact of the host, so every domain sharing it gets the same answer whichever
 * asked first; its probes wait for the answer.  Hosts in unsigned zones (and every host without
 * a validating resolver) pay nothing.  A CNAME alias is looked up at its expanded name first,
 * then at its own name when that one securely has none.  A domain whose MX RRset is not secure
 * ignores the host's TLSA (classify, RFC 7672 §2.2.1). */

/* Creates the cache.  dns, tls and cfg are borrowed and must outlive it; probes run on tls.
 * row_cb NULL = no MX table (the probe results are then not kept). */
struct mxcache *mxcache_new(struct event_base *base, struct dns *dns, struct tlsworker *tls,
                            const struct config *cfg, mxcache_row_cb row_cb, void *row_arg);

/* Frees every job; pending probes are cancelled and their waiters are NOT called.  Rows not yet
 * written (see mxcache_flush) are dropped. */
void mxcache_free(struct mxcache *c);

/* Writes the MX table rows of every finished host still cached (the scan calls it before
 * closing the MX table); their counts are final for the scan.  Hosts still probing get no row. */
void mxcache_flush(struct mxcache *c);

/* Asks for host's outcome.  The callback runs exactly once: at once when the outcome is cached
 * (so set your state before calling), otherwise when the probes end. */
void mxcache_get(struct mxcache *c, const char *host, struct mxcache_waiter *w);

/* As mxcache_get, counting `domains` requests in domains_sharing: a resumed scan asks once for
 * the hosts of the rows it skips (pipeline/resume.h), on behalf of that many domains. */
void mxcache_get_for(struct mxcache *c, const char *host, long domains, struct mxcache_waiter *w);

/* w no longer wants its outcome (its domain was cut by --domain-timeout): its callback will not
 * run.  The probe goes on for the other domains, and w still counts in domains_sharing.  A no-op
 * for a waiter already called or cancelled. */
void mxcache_cancel_waiter(struct mxcache *c, struct mxcache_waiter *w);

/* Number of hosts still being resolved or probed. */
size_t mxcache_busy(const struct mxcache *c);

const struct mxcache_counters *mxcache_counters(const struct mxcache *c);

struct blocklist;
/* Hosts and addresses on bl (borrowed, may be NULL) are never resolved or probed. */
void mxcache_set_blocklist(struct mxcache *c, const struct blocklist *bl);

#endif
