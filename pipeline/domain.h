/*
 * domain: one domain's scan as an explicit state machine.
 *
 *   DOMAIN_DNS     MX, _mta-sts TXT and _smtp._tls TXT in parallel
 *   DOMAIN_CHECKS  what the DNS answers call for, in parallel: A/AAAA of the implicit MX, the
 *                  policy (resolve mta-sts.<d>, HTTPS fetch, parse) and each MX host's shared
 *                  STARTTLS outcome from the mxcache
 *   DOMAIN_DONE    classified; the scan writes the row and recycles the object
 *
 * The objects are preallocated by the scan (one per --concurrency slot) and reused.  A slot holds
 * only what every domain needs, and what a domain has at the length it has: its name, the hosts
 * of an MX answer with records and the parsed _mta-sts and _smtp._tls records live in the slot's
 * arena (lib/arena), which domain_recycle resets once the row is written, keeping its first small
 * chunk for the next domain.  The big working state is taken when the step that needs it starts
 * and given back by domain_recycle: the policy fetch's state when the policy is looked up
 * (fetch_work), the MX hosts' outcomes when they are probed (mx_waits), the parsed policy when
 * one is fetched.  The row itself is built only when the domain ends, in the env's one row
 * (domain_env.row).  Every path ends in exactly one call of the scan's finish callback.
 *
 * A per-domain deadline (--domain-timeout) bounds the whole domain, whatever each step's own
 * --timeout: when it passes, what is still out is given up (the policy fetch cancelled, its
 * politeness ticket released, MX waiters cancelled while the shared probe goes on for other
 * domains, DNS answers still to come ignored), and the domain finishes with what is known and the
 * issue domain_timeout naming the steps cut.
 */
#ifndef MTASTS_DOMAIN_H
#define MTASTS_DOMAIN_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "pipeline/addrlimit.h"
#include "lib/arena.h"
#include "lib/blocklist.h"
#include "pipeline/config.h"
#include "pipeline/monitor.h"
#include "pipeline/mxcache.h"
#include "pipeline/mxroute.h"
#include "pipeline/tlsworker.h"
#include "scanner/classify.h"
#include "scanner/dns.h"
#include "scanner/https_fetch.h"
#include "scanner/policy.h"
#include "scanner/result.h"
#include "scanner/txt.h"

enum domain_stage { DOMAIN_IDLE = 0, DOMAIN_DNS, DOMAIN_CHECKS, DOMAIN_DONE };
const char *domain_stage_str(enum domain_stage s);

struct domain;

/* What `mtasts-scan check` shows besides the row (the evidence), kept only when the scan runs
 * for a report (domain_env.report set): every TXT record as published, the policy body, each
 * policy-host address's fetch.  Allocated at the domain's start, freed by domain_recycle unless
 * the report hook took it (set d->evidence to NULL after taking it). */
struct domain_evidence {
    struct txt_record sts_txt[DNS_TXT_MAX];    /* every record at _mta-sts as published (its
                                                  strings and their lengths); data malloc'd */
    size_t n_sts_txt;
    struct txt_record tlsrpt_txt[DNS_TXT_MAX]; /* the same for _smtp._tls */
    size_t n_tlsrpt_txt;
    long tlsrpt_ttl;
    char *policy_body;              /* the body as served (NUL-terminated), malloc'd; NULL none */
    size_t policy_len;
    size_t n_fetch;                 /* policy-host addresses tried, in order */
    char fetch_addr[DNS_ADDR_MAX][INET6_ADDRSTRLEN];
    struct https_fetch_result fetch[DNS_ADDR_MAX]; /* their results (body NULL) */
    size_t n_policy_addr;           /* every address of mta-sts.<d>, in answer order */
    char policy_addr[DNS_ADDR_MAX][INET6_ADDRSTRLEN];
};

/* Frees ev and what it owns; NULL is fine. */
void domain_evidence_free(struct domain_evidence *ev);

/* The services a domain uses, owned by the scan. */
struct domain_env {
    struct event_base *base;
    struct dns *dns;
    SSL_CTX *ssl_ctx;
    struct tlsworker *tls;                       /* runs the policy fetches */
    struct mxcache *mx;
    struct mxroute *mxroute;                     /* asks mx, or the engine owning the host */
    struct addrlimit *https_limit;               /* politeness towards policy-host addresses */
    const struct config *cfg;
    void (*finish)(struct domain *d, void *arg); /* the row is in *d->result */
    void *finish_arg;
    int report;                                  /* keep the evidence (mtasts-scan check) */
    struct monitor *monitor;                /* --previous, owned by the scan; NULL = none */
    unsigned long https_fetches;                 /* counter, read by the status line */
    struct blocklist *blocklist;                 /* --blocklist, owned by the scan; NULL = none */
    /* The row of the domain finishing: classify fills it when the domain ends, and the finish
     * callback consumes it before it returns (finish callbacks run one at a time, and a domain
     * finishing never starts or finishes another), so no --concurrency slot holds a row. */
    struct domain_result row;
};

struct domain_mx {
    struct mxcache_waiter waiter;
    struct domain *owner;
    int done;
    int retried;                   /* a probe of the host was retried after a timeout */
    struct classify_probes probes; /* the host's probe outcomes, copied from the mxcache */
};

/* The policy fetch's working state: taken by policy_start, freed by domain_recycle. */
struct domain_fetch {
    struct sockaddr_storage addr;        /* the address being fetched */
    socklen_t addrlen;
    struct https_fetch_result res;       /* body not kept (parsed at once); while further
                                            addresses are tried, the first failure */
    struct dns_addr_answer policy_addr;  /* mta-sts.<d>: the fetch tries each in turn */
    size_t next;                         /* index of the next address to try */
    struct classify_fetch_try failed[DNS_ADDR_MAX]; /* addresses whose fetch failed */
    size_t n_failed;
};

/* One record of an MX answer, its host in the domain's arena. */
struct domain_mx_rec {
    const char *host;               /* lower-cased, no trailing dot */
    unsigned short pref;
};

/* Data size of a slot's first arena chunk, kept between domains: a name and a few MX hosts. */
#define DOMAIN_ARENA_FIRST 256

struct domain {
    enum domain_stage stage;
    struct domain_env *env;
    int pending;                    /* operations of the current stage still running */
    struct domain_result *result;   /* &env->row from the domain's end until domain_recycle,
                                       NULL before: the row is built only when it is written */
    const char *name;               /* as given to domain_start, in the arena */
    long rank;
    /* DNS facts */
    enum dns_status mx_status;      /* the MX answer's status, sec and null MX ... */
    enum dns_sec mx_sec;
    int mx_null;
    struct domain_mx_rec *mx_rec;   /* ... and its records, in the arena; NULL when none */
    size_t n_mx_rec;
    enum dns_status sts_dns, tlsrpt_dns, implicit_addr, policy_host_dns;
    long sts_ttl;                   /* TTL of the _mta-sts TXT answer, -1 none */
    int policy_queried;             /* mta-sts.<domain> was looked up */
    struct txt_sts *sts;            /* in the arena: parsed from an answer with records; NULL none */
    struct txt_tlsrpt *tlsrpt;      /* the same for _smtp._tls */
    /* policy */
    struct addrlimit_ticket fetch_ticket; /* waits for the policy host address's turn */
    long fetch_tries;               /* retries after a connect/handshake timeout (--retry-timeouts) */
    struct event *fetch_pause;      /* owned: the wait before such a retry; NULL until needed */
    struct tlsworker_job *fetch;    /* in flight, NULL otherwise */
    int fetch_done;
    struct domain_fetch *fetch_work;     /* owned: only once the policy is looked up */
    int sts_other;                       /* TXT records at _mta-sts without v=STSv1 */
    struct domain_evidence *evidence;    /* owned; only when env->report */
    struct policy *policy;          /* owned; only for fetched bodies */
    int fetch_queued;               /* fetch_ticket waits for its turn (politeness) */
    /* limits of the scanner, reported as such (never as facts about the domain) */
    struct event *deadline;         /* owned; NULL = no --domain-timeout */
    unsigned dns_waiting;           /* lookups of this domain not answered yet (bits) */
    char cut[64];                   /* steps the deadline cut, "" = none */
    const char *scanner_error;      /* step where the scanner ran out of memory, NULL = none */
    size_t n_probe;                 /* mx_waits[0..n_probe) were asked for */
    int implicit_mx;                /* no MX records: the domain itself is the MX */
    char policy_skipped[128];       /* policy-host addresses on the blocklist, not contacted */
    int policy_excluded;            /* ... and that was every address: no fetch */
    struct monitor_old *previous;      /* its row in the --previous scan (looked up once, when the
                                       domain finishes); NULL = none */
    /* owned: MX outcomes, one per MX host (or the implicit MX), only while they are probed */
    struct domain_mx *mx_waits;
    /* Kept across recycling: bumped at every start, so that a DNS answer meant for an earlier
     * domain of this slot (c-ares cannot cancel one query) is recognised and dropped. */
    unsigned long gen;              /* a domain's start clears everything before it */
    struct arena arena;             /* the domain's text and records; reset by domain_recycle */
};

/* Starts scanning name (lower-case, no trailing dot) with rank.  d must be IDLE. */
void domain_start(struct domain *d, struct domain_env *env, const char *name, long rank);

/* Fills *d->result for an unusable input line and finishes at once. */
void domain_reject(struct domain *d, struct domain_env *env, const char *raw, long rank,
                   const char *reason);

/* Fills *d->result for a domain on the blocklist (entry = the listing entry) and finishes at once,
 * without a single query. */
void domain_exclude(struct domain *d, struct domain_env *env, const char *name, long rank,
                    const char *entry);

/* Copies d's MX answer into out (out->n = 0 and the records untouched when it had none). */
void domain_mx_answer(const struct domain *d, struct dns_mx_answer *out);

/* Returns d to IDLE after the finish callback consumed its row; frees what it owns and resets
 * its arena. */
void domain_recycle(struct domain *d);

/* Frees what an IDLE slot keeps between domains (its arena's first chunk), when the scan ends. */
void domain_slot_free(struct domain *d);

#endif
