/*
 * mxcache: one job per MX host name.  A job resolves its host (A/AAAA), queues one probe per
 * address (up to --mx-addr-max) on that address's politeness slot, merges the probes' issue codes
 * into the host's outcome, then wakes every waiting domain.  Per-address politeness is
 * pipeline/addrlimit's job.  Finished jobs stay in a hash table and
 * an LRU list capped at --mx-cache entries, so memory stays bounded on any input size while popular
 * providers (which are asked for constantly) never leave it.
 */
#include "pipeline/mxcache.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "pipeline/addrlimit.h"
#include "pipeline/blocklist.h"
#include "pipeline/strhash.h"
#include "scanner/classify.h"

enum job_state { JOB_RESOLVING, JOB_PROBING, JOB_DONE };

struct job {
    char *host;
    uint32_t hash;
    enum job_state state;
    struct mx_outcome out;
    struct mxcache_waiter *waiters;
    long n_waiters;
    int pending;                 /* probes not yet finished */
    struct mxcache *c;
    struct job *hnext;           /* hash chain */
    struct job *lru_prev, *lru_next; /* finished jobs only */
};

/* One probe of one address of a job; on the cache's list of live probes until it ends. */
struct probe_req {
    struct job *job;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char addr_text[INET6_ADDRSTRLEN];
    struct addrlimit_ticket ticket;
    struct tlsworker_job *probe;
    struct probe_req *prev, *next;
};

struct mxcache {
    struct event_base *base;
    struct dns *dns;
    struct tlsworker *tls;
    const struct config *cfg;
    mxcache_row_cb row_cb;
    void *row_arg;
    struct job **jobs;
    size_t n_buckets;
    size_t n_done, n_busy;
    struct job *lru_head, *lru_tail; /* head = most recently used */
    struct addrlimit *limit;
    struct probe_req *live;      /* queued or running probes */
    const struct blocklist *blocklist; /* never contacted; NULL = none */
    struct mxcache_counters counters;
};

/* ---- LRU of finished jobs ---------------------------------------------------------------- */

static void lru_unlink(struct mxcache *c, struct job *j)
{
    if (j->lru_prev)
        j->lru_prev->lru_next = j->lru_next;
    else
        c->lru_head = j->lru_next;
    if (j->lru_next)
        j->lru_next->lru_prev = j->lru_prev;
    else
        c->lru_tail = j->lru_prev;
    j->lru_prev = j->lru_next = NULL;
}

static void lru_push_front(struct mxcache *c, struct job *j)
{
    j->lru_prev = NULL;
    j->lru_next = c->lru_head;
    if (c->lru_head)
        c->lru_head->lru_prev = j;
    c->lru_head = j;
    if (!c->lru_tail)
        c->lru_tail = j;
}

static void job_unhash(struct mxcache *c, struct job *j)
{
    struct job **pp = &c->jobs[j->hash & (c->n_buckets - 1)];
    while (*pp && *pp != j)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = j->hnext;
}

static void job_free(struct job *j)
{
    free(j->host);
    free(j);
}

static void evict(struct mxcache *c)
{
    while (c->n_done > (size_t)c->cfg->mx_cache_max && c->lru_tail) {
        struct job *j = c->lru_tail;
        lru_unlink(c, j);
        job_unhash(c, j);
        job_free(j);
        c->n_done--;
        c->counters.evictions++;
    }
}

/* ---- job life ---------------------------------------------------------------------------- */

static void job_finish(struct job *j)
{
    struct mxcache *c = j->c;
    j->state = JOB_DONE;
    c->n_busy--;
    c->n_done++;
    lru_push_front(c, j);
    struct mxcache_waiter *w = j->waiters;
    j->waiters = NULL;
    j->n_waiters = 0;
    while (w) {
        struct mxcache_waiter *next = w->next; /* the callback may reuse w */
        w->cb(w, &j->out);
        w = next;
    }
    evict(c);
}

static void outcome_add(struct mx_outcome *o, const struct smtp_probe_result *res, const char *addr)
{
    struct issue_set s;
    classify_probe_issues(res, &s);
    if (s.bits == 0)
        return;
    if (o->problems.bits == 0)
        snprintf(o->why, sizeof(o->why), "%s at %s: %s", smtp_probe_status_str(res->status), addr,
                 res->error[0] ? res->error : res->tls.error);
    o->problems.bits |= s.bits;
}

/* ---- probes ------------------------------------------------------------------------------ */

static void live_remove(struct mxcache *c, struct probe_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        c->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void on_probe_done(const struct smtp_probe_result *res, void *arg)
{
    struct probe_req *r = arg;
    struct job *j = r->job;
    struct mxcache *c = j->c;
    c->counters.probes_done++;
    if (c->row_cb)
        c->row_cb(j->host, r->addr_text, res, j->n_waiters, c->row_arg);
    outcome_add(&j->out, res, r->addr_text);
    live_remove(c, r);
    addrlimit_release(&r->ticket);
    free(r);
    if (--j->pending == 0)
        job_finish(j);
}

/* A probe that could not even start (out of memory) counts as a failed one. */
static void probe_fail_oom(struct probe_req *r)
{
    struct smtp_probe_result res;
    memset(&res, 0, sizeof(res));
    res.status = SMTP_PROBE_CONNECT_FAILED;
    snprintf(res.error, sizeof(res.error), "out of memory");
    on_probe_done(&res, r);
}

/* The address's politeness limits let this probe start. */
static void probe_go(struct addrlimit_ticket *t)
{
    struct probe_req *r = t->arg;
    struct mxcache *c = r->job->c;
    c->counters.probes_started++;
    struct smtp_probe_opts po = {.timeout_sec = c->cfg->timeout_sec, .ehlo_name = c->cfg->ehlo_name};
    r->probe = tlsworker_probe(c->tls, (struct sockaddr *)&r->addr, r->addrlen, r->job->host, &po,
                               on_probe_done, r);
    if (!r->probe)
        probe_fail_oom(r);
}

/* Creates the probe of one address and puts it on the live list (not started yet). */
static struct probe_req *probe_new(struct job *j, const struct sockaddr_storage *ss)
{
    struct mxcache *c = j->c;
    struct probe_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->job = j;
    r->addr = *ss;
    r->addrlen = dns_addr_prepare(&r->addr, c->cfg->smtp_port, r->addr_text, sizeof(r->addr_text));
    r->ticket.go = probe_go;
    r->ticket.arg = r;
    r->next = c->live;
    if (c->live)
        c->live->prev = r;
    c->live = r;
    j->pending++;
    return r;
}

static void on_resolved(const struct dns_addr_answer *a, void *arg)
{
    struct job *j = arg;
    struct mxcache *c = j->c;
    struct probe_req *reqs[DNS_ADDR_MAX];
    size_t n_reqs = 0;
    c->counters.hosts_resolved++;
    j->state = JOB_PROBING;
    /* Listed addresses are passed over: the next ones take their turn within --mx-addr-max. */
    for (size_t i = 0; i < a->n && n_reqs < (size_t)c->cfg->mx_addr_max; i++) {
        if (blocklist_skip_addr(c->blocklist, (const struct sockaddr *)&a->addr[i], j->out.skipped,
                                sizeof(j->out.skipped)))
            continue;
        struct probe_req *r = probe_new(j, &a->addr[i]);
        if (r)
            reqs[n_reqs++] = r;
    }
    j->out.n_addr = (int)n_reqs;
    if (n_reqs == 0 && j->out.skipped[0]) {
        job_finish(j); /* every address listed: not probed, which is no failure */
        return;
    }
    if (n_reqs == 0) {
        issue_set_add(&j->out.problems, ISSUE_MX_CONNECT_FAILED);
        snprintf(j->out.why, sizeof(j->out.why), "no address (%s)", dns_status_str(a->status));
        job_finish(j);
        return;
    }
    /* Hold the job while queueing: a probe that fails synchronously must not finish it early. */
    j->pending++;
    for (size_t i = 0; i < n_reqs; i++) {
        if (addrlimit_acquire(c->limit, reqs[i]->addr_text, &reqs[i]->ticket) < 0)
            probe_fail_oom(reqs[i]);
    }
    if (--j->pending == 0)
        job_finish(j);
}

void mxcache_get(struct mxcache *c, const char *host, struct mxcache_waiter *w)
{
    uint32_t h = strhash(host);
    struct job **bucket = &c->jobs[h & (c->n_buckets - 1)];
    for (struct job *j = *bucket; j; j = j->hnext) {
        if (j->hash != h || strcmp(j->host, host) != 0)
            continue;
        if (j->state == JOB_DONE) {
            c->counters.cache_hits++;
            lru_unlink(c, j);
            lru_push_front(c, j);
            w->cb(w, &j->out);
        } else {
            w->next = j->waiters;
            j->waiters = w;
            j->n_waiters++;
        }
        return;
    }
    struct job *j = calloc(1, sizeof(*j));
    char *copy = strdup(host);
    if (!j || !copy) {
        free(j);
        free(copy);
        struct mx_outcome o;
        memset(&o, 0, sizeof(o));
        issue_set_add(&o.problems, ISSUE_MX_CONNECT_FAILED);
        snprintf(o.why, sizeof(o.why), "out of memory");
        w->cb(w, &o);
        return;
    }
    j->host = copy;
    j->hash = h;
    j->c = c;
    j->state = JOB_RESOLVING;
    w->next = NULL;
    j->waiters = w;
    j->n_waiters = 1;
    j->hnext = *bucket;
    *bucket = j;
    c->n_busy++;
    const char *listed = blocklist_match_domain(c->blocklist, host);
    if (listed) { /* not even resolved */
        snprintf(j->out.skipped, sizeof(j->out.skipped), "%s (%s)", host, listed);
        job_finish(j);
        return;
    }
    dns_query_addr(c->dns, host, on_resolved, j);
}

void mxcache_set_blocklist(struct mxcache *c, const struct blocklist *bl)
{
    c->blocklist = bl;
}

struct mxcache *mxcache_new(struct event_base *base, struct dns *dns, struct tlsworker *tls,
                            const struct config *cfg, mxcache_row_cb row_cb, void *row_arg)
{
    struct mxcache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->base = base;
    c->dns = dns;
    c->tls = tls;
    c->cfg = cfg;
    c->row_cb = row_cb;
    c->row_arg = row_arg;
    c->n_buckets = 1024;
    while (c->n_buckets < (size_t)cfg->mx_cache_max && c->n_buckets < ((size_t)1 << 24))
        c->n_buckets <<= 1;
    c->jobs = calloc(c->n_buckets, sizeof(*c->jobs));
    c->limit = addrlimit_new(base, cfg->mx_conn_per_addr, cfg->mx_rate_per_addr);
    if (!c->jobs || !c->limit) {
        free(c->jobs);
        addrlimit_free(c->limit);
        free(c);
        return NULL;
    }
    return c;
}

void mxcache_free(struct mxcache *c)
{
    if (!c)
        return;
    while (c->live) {
        struct probe_req *r = c->live;
        c->live = r->next;
        if (r->probe)
            tlsworker_cancel(r->probe);
        free(r);
    }
    addrlimit_free(c->limit);
    for (size_t b = 0; b < c->n_buckets; b++) {
        while (c->jobs[b]) {
            struct job *j = c->jobs[b];
            c->jobs[b] = j->hnext;
            job_free(j);
        }
    }
    free(c->jobs);
    free(c);
}

size_t mxcache_busy(const struct mxcache *c)
{
    return c->n_busy;
}

const struct mxcache_counters *mxcache_counters(const struct mxcache *c)
{
    return &c->counters;
}
