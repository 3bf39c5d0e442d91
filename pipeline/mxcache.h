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
#include "scanner/codes.h"
#include "scanner/dns.h"
#include "scanner/smtp_probe.h"

/* What one MX host means for delivery. */
struct mx_outcome {
    struct issue_set problems; /* mx_* codes; empty = every probed address passes */
    char why[192];             /* short reason when problems is not empty */
    int n_addr;                /* addresses probed */
    char skipped[128];         /* on the --blocklist, never contacted: "ADDR (ENTRY), ..." or
                                  "HOST (ENTRY)"; "" = none */
};

struct mxcache_waiter;
typedef void (*mxcache_cb)(struct mxcache_waiter *w, const struct mx_outcome *o);

/* Embedded in the asker's own state: no allocation per request.  Must stay valid until its
 * callback has run. */
struct mxcache_waiter {
    mxcache_cb cb;
    void *arg;
    struct mxcache_waiter *next;
};

/* Called for every finished probe (once per host and address), for the MX table. */
typedef void (*mxcache_row_cb)(const char *host, const char *addr,
                               const struct smtp_probe_result *res, long waiting, void *arg);

struct mxcache_counters {
    unsigned long hosts_resolved, probes_started, probes_done, cache_hits, evictions;
};

struct mxcache;

/* Creates the cache.  dns, tls and cfg are borrowed and must outlive it; probes run on tls. */
struct mxcache *mxcache_new(struct event_base *base, struct dns *dns, struct tlsworker *tls,
                            const struct config *cfg, mxcache_row_cb row_cb, void *row_arg);

/* Frees every job; pending probes are cancelled and their waiters are NOT called. */
void mxcache_free(struct mxcache *c);

/* Asks for host's outcome.  The callback runs exactly once: at once when the outcome is cached
 * (so set your state before calling), otherwise when the probes end. */
void mxcache_get(struct mxcache *c, const char *host, struct mxcache_waiter *w);

/* Number of hosts still being resolved or probed. */
size_t mxcache_busy(const struct mxcache *c);

const struct mxcache_counters *mxcache_counters(const struct mxcache *c);

struct blocklist;
/* Hosts and addresses on bl (borrowed, may be NULL) are never resolved or probed. */
void mxcache_set_blocklist(struct mxcache *c, const struct blocklist *bl);

#endif
