/*
 * mxcache: one job per MX host name.  A job resolves its host (A/AAAA), queues one probe per
 * address (up to --mx-addr-max) on that address's politeness slot, keeps a compact copy of each
 * probe's result as the host's outcome (facts only: each domain's classify judges them), then
 * wakes every waiting domain.  Per-address politeness is
 * pipeline/addrlimit's job.  Finished jobs stay in a hash table and
 * an LRU list capped at --mx-cache entries, so memory stays bounded on any input size while popular
 * providers (which are asked for constantly) never leave it.
 *
 * The MX table promises, per probe row, the number of domains whose MX set includes the host.
 * That number is only known once no more domain will ask, so a finished job keeps its probe
 * results (packed: a hundred bytes plus their text) and counts every request; the rows are
 * written when the job leaves the LRU or at mxcache_flush.  A host evicted and asked for again
 * is probed again, and each probe's rows count the domains it served.
 */
#include "pipeline/mxcache.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include <event2/event.h>

#include "pipeline/addrlimit.h"
#include "lib/blocklist.h"
#include "lib/dlist.h"
#include "lib/strhash.h"
#include "scanner/classify.h"

enum job_state { JOB_RESOLVING, JOB_TLSA, JOB_PROBING, JOB_DONE };

/* The TLSA lookups of RFC 7672 §2.2.2 (RFC 6698 names: _25._tcp.HOST, whatever port the scan
 * probes: that is the name a sender asks for). */
#define TLSA_PORT 25

struct saved_row;

struct job {
    char *host;
    uint32_t hash;
    enum job_state state;
    struct mx_outcome out;
    struct mxcache_waiter *waiters;
    long n_asked;                /* mxcache_get calls for this host while the job lived */
    struct saved_row *rows;      /* finished probes whose MX table row is not written yet */
    int pending;                 /* probes not yet finished */
    struct probe_req *held;      /* probes made, waiting for the TLSA answer before they start */
    char *tlsa_then;             /* JOB_TLSA at the CNAME-expanded name: the host's own name, to
                                    ask next when that one securely has no TLSA; else NULL */
    struct dane_tlsa_set *tlsa;  /* out.tlsa: owned, NULL when not looked up or none published */
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
    struct probe_req *held_next; /* on the job's held list, until the probes start */
    long tries;                  /* retries made after a connect/greeting timeout */
    struct event *pause;         /* the wait before a retry; NULL until one is needed */
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

/* ---- MX table rows kept until the count is final ------------------------------------------ */

/* One finished probe: the numbers of its result, then its text fields packed NUL-separated (a
 * full result is over 2 KiB, mostly empty text buffers). */
struct saved_row {
    struct saved_row *next;
    time_t probed_at;
    char addr[INET6_ADDRSTRLEN];
    enum smtp_probe_status status;
    int greeting_code, starttls_offered;
    unsigned tls_flags;
    long first_error;
    time_t not_after;
    double ms[4];
    signed char dane_match, dane_matched, dane_depth; /* struct dane_result's numbers */
    char text[];
};

#define N_TEXT 8

/* The text fields of a result, in the one order rows are packed and unpacked in. */
static void text_fields(struct smtp_probe_result *r, char *f[N_TEXT], size_t sz[N_TEXT])
{
    char *const p[N_TEXT] = {r->error, r->tls.error, r->tls.version, r->tls.cipher,
                             r->tls.subject, r->tls.issuer, r->tls.sans, r->dane.error};
    const size_t n[N_TEXT] = {sizeof(r->error), sizeof(r->tls.error), sizeof(r->tls.version),
                              sizeof(r->tls.cipher), sizeof(r->tls.subject), sizeof(r->tls.issuer),
                              sizeof(r->tls.sans), sizeof(r->dane.error)};
    memcpy(f, p, sizeof(p));
    memcpy(sz, n, sizeof(n));
}

/* A packed copy of res; NULL on out of memory. */
static struct saved_row *row_save(const struct smtp_probe_result *res, const char *addr)
{
    struct smtp_probe_result copy = *res;
    char *f[N_TEXT];
    size_t sz[N_TEXT], len = 0;
    text_fields(&copy, f, sz);
    for (int i = 0; i < N_TEXT; i++)
        len += strnlen(f[i], sz[i]) + 1;
    struct saved_row *r = malloc(sizeof(*r) + len);
    if (!r)
        return NULL;
    r->next = NULL;
    r->probed_at = time(NULL);
    snprintf(r->addr, sizeof(r->addr), "%s", addr);
    r->status = res->status;
    r->greeting_code = res->greeting_code;
    r->starttls_offered = res->starttls_offered;
    r->tls_flags = res->tls.flags;
    r->first_error = res->tls.first_error;
    r->not_after = res->tls.not_after;
    r->ms[0] = res->connect_ms;
    r->ms[1] = res->greeting_ms;
    r->ms[2] = res->tls_ms;
    r->ms[3] = res->total_ms;
    r->dane_match = (signed char)res->dane.match;
    r->dane_matched = (signed char)res->dane.matched; /* < DANE_TLSA_MAX, or -1 */
    r->dane_depth = (signed char)(res->dane.depth > 100 ? 100 : res->dane.depth);
    char *p = r->text;
    for (int i = 0; i < N_TEXT; i++) {
        size_t n = strnlen(f[i], sz[i]);
        memcpy(p, f[i], n);
        p[n] = '\0';
        p += n + 1;
    }
    return r;
}

static void row_load(const struct saved_row *r, struct smtp_probe_result *res)
{
    char *f[N_TEXT];
    size_t sz[N_TEXT];
    memset(res, 0, sizeof(*res));
    res->status = r->status;
    res->greeting_code = r->greeting_code;
    res->starttls_offered = r->starttls_offered;
    res->tls.flags = r->tls_flags;
    res->tls.first_error = r->first_error;
    res->tls.not_after = r->not_after;
    res->connect_ms = r->ms[0];
    res->greeting_ms = r->ms[1];
    res->tls_ms = r->ms[2];
    res->total_ms = r->ms[3];
    res->dane.match = (enum dane_match)r->dane_match;
    res->dane.matched = r->dane_matched;
    res->dane.depth = r->dane_depth;
    text_fields(res, f, sz);
    const char *p = r->text;
    for (int i = 0; i < N_TEXT; i++) {
        snprintf(f[i], sz[i], "%s", p);
        p += strlen(p) + 1;
    }
}

/* Writes j's kept rows with the count as it stands (final once the job leaves the cache). */
static void job_write_rows(struct mxcache *c, struct job *j)
{
    while (j->rows) {
        struct saved_row *r = j->rows;
        struct smtp_probe_result res;
        j->rows = r->next;
        row_load(r, &res);
        c->row_cb(j->host, r->addr, &res, j->n_asked, r->probed_at, &j->out, c->row_arg);
        free(r);
    }
}

/* Keeps a finished probe's row until its count is final; out of memory, writes it at once with
 * the count so far rather than lose it. */
static void job_keep_row(struct mxcache *c, struct job *j, const struct smtp_probe_result *res,
                         const char *addr)
{
    if (!c->row_cb)
        return;
    struct saved_row *r = row_save(res, addr);
    if (!r) {
        c->row_cb(j->host, addr, res, j->n_asked, time(NULL), &j->out, c->row_arg);
        return;
    }
    struct saved_row **pp = &j->rows;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
}

/* ---- LRU of finished jobs ---------------------------------------------------------------- */

static void lru_unlink(struct mxcache *c, struct job *j)
{
    if (!j->lru_next)
        c->lru_tail = j->lru_prev;
    DLIST_UNLINK(c->lru_head, j, lru_prev, lru_next);
    j->lru_prev = j->lru_next = NULL;
}

static void lru_push_front(struct mxcache *c, struct job *j)
{
    DLIST_PUSH_FRONT(c->lru_head, j, lru_prev, lru_next);
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
    while (j->rows) {
        struct saved_row *r = j->rows;
        j->rows = r->next;
        free(r);
    }
    free(j->tlsa_then);
    free(j->tlsa);
    free(j->host);
    free(j);
}

static void evict(struct mxcache *c)
{
    while (c->n_done > (size_t)c->cfg->mx_cache_max && c->lru_tail) {
        struct job *j = c->lru_tail;
        lru_unlink(c, j);
        job_unhash(c, j);
        job_write_rows(c, j); /* no domain can ask this job again: its count is final */
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
    /* One at a time off the list: a callback may reuse its w, or cancel another waiter. */
    struct mxcache_waiter *w;
    while ((w = j->waiters) != NULL) {
        j->waiters = w->next;
        w->job = NULL;
        w->cb(w, &j->out);
    }
    evict(c);
}

/* ---- probes ------------------------------------------------------------------------------ */

static void live_remove(struct mxcache *c, struct probe_req *r)
{
    DLIST_UNLINK(c->live, r, prev, next);
}

static void probe_fail_oom(struct probe_req *r);

/* The pause is over: the retry waits for the address's politeness turn like any probe. */
static void probe_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct probe_req *r = arg;
    if (addrlimit_acquire(r->job->c->limit, r->addr_text, &r->ticket) < 0)
        probe_fail_oom(r);
}

/* No TCP connection or no greeting within --timeout: often a loaded server, not a fact about
 * the host.  Tried again CONFIG_RETRY_PAUSE_SEC later, up to --retry-timeouts times; 0 when not. */
static int probe_retry_later(struct probe_req *r, const struct smtp_probe_result *res)
{
    struct mxcache *c = r->job->c;
    if (res->status != SMTP_PROBE_TIMEOUT || res->greeting_ms >= 0 || r->tries >= c->cfg->retry_timeouts)
        return 0;
    if (!r->pause)
        r->pause = evtimer_new(c->base, probe_resume, r);
    double pause = config_retry_pause(c->cfg);
    struct timeval tv = {(time_t)pause, (suseconds_t)((pause - (double)(time_t)pause) * 1e6)};
    if (!r->pause || evtimer_add(r->pause, &tv) < 0)
        return 0;
    r->tries++;
    r->job->out.retried = 1;
    r->probe = NULL;
    addrlimit_release(&r->ticket);
    return 1;
}

static void on_probe_done(const struct smtp_probe_result *res, void *arg)
{
    struct probe_req *r = arg;
    struct job *j = r->job;
    struct mxcache *c = j->c;
    if (probe_retry_later(r, res))
        return;
    c->counters.probes_done++;
    job_keep_row(c, j, res, r->addr_text);
    classify_probes_add(&j->out.probes, r->addr_text, res);
    live_remove(c, r);
    addrlimit_release(&r->ticket);
    if (r->pause)
        event_free(r->pause);
    free(r);
    if (--j->pending == 0)
        job_finish(j);
}

/* A probe that could not even start (out of memory) ends as the scanner's failure, which the
 * classifier never reports as a fact about the host. */
static void probe_fail_oom(struct probe_req *r)
{
    struct smtp_probe_result res;
    memset(&res, 0, sizeof(res));
    res.status = SMTP_PROBE_INTERNAL_ERROR;
    res.starttls_offered = -1;
    res.connect_ms = res.greeting_ms = res.tls_ms = res.total_ms = -1;
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
    /* DANE in the same connection, for records a DNSSEC-validating sender would trust */
    if (r->job->tlsa && r->job->out.probes.tlsa_sec == DNS_SEC_SECURE)
        po.tlsa = r->job->tlsa;
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
    r->held_next = j->held;
    j->held = r;
    DLIST_PUSH_FRONT(c->live, r, prev, next);
    j->pending++;
    return r;
}

/* Starts the probes held by j (each waits for its address's politeness turn). */
static void probes_start(struct job *j)
{
    struct mxcache *c = j->c;
    j->state = JOB_PROBING;
    /* Hold the job while queueing: a probe that fails synchronously must not finish it early. */
    j->pending++;
    while (j->held) {
        struct probe_req *r = j->held;
        j->held = r->held_next;
        r->held_next = NULL;
        if (addrlimit_acquire(c->limit, r->addr_text, &r->ticket) < 0)
            probe_fail_oom(r);
    }
    if (--j->pending == 0)
        job_finish(j);
}

static void on_tlsa(const struct dane_tlsa_set *set, void *arg);

static void tlsa_lookup(struct job *j, const char *name)
{
    dns_query_tlsa(j->c->dns, name, TLSA_PORT, on_tlsa, j);
}

static void on_tlsa(const struct dane_tlsa_set *set, void *arg)
{
    struct job *j = arg;
    if (j->tlsa_then && set->sec == DNS_SEC_SECURE &&
        (set->status == DNS_NXDOMAIN || set->status == DNS_NODATA)) {
        /* RFC 7672 §2.2.2: none at the expanded name, so the alias's own name is asked */
        char *name = j->tlsa_then;
        j->tlsa_then = NULL;
        tlsa_lookup(j, name);
        free(name);
        return;
    }
    free(j->tlsa_then);
    j->tlsa_then = NULL;
    classify_probes_set_tlsa(&j->out.probes, set);
    if (set->n > 0) {
        j->tlsa = malloc(sizeof(*j->tlsa));
        if (j->tlsa) {
            *j->tlsa = *set;
        } else { /* the records are lost: the scanner's failure, which says nothing of the host */
            j->out.probes.tlsa_dns = DNS_INTERNAL_ERROR;
            j->out.probes.n_tlsa = j->out.probes.n_tlsa_usable = 0;
        }
        j->out.tlsa = j->tlsa;
    }
    probes_start(j);
}

static void on_resolved(const struct dns_addr_answer *a, void *arg)
{
    struct job *j = arg;
    struct mxcache *c = j->c;
    size_t n_reqs = 0;
    c->counters.hosts_resolved++;
    j->state = JOB_PROBING;
    classify_probes_init(&j->out.probes, a->status);
    j->out.probes.addr_sec = (unsigned char)a->sec;
    /* Listed addresses are passed over: the next ones take their turn within --mx-addr-max. */
    size_t taken = 0;
    for (size_t i = 0; i < a->n && taken < (size_t)c->cfg->mx_addr_max; i++) {
        if (blocklist_skip_addr(c->blocklist, (const struct sockaddr *)&a->addr[i],
                                j->out.probes.skipped, sizeof(j->out.probes.skipped)))
            continue;
        taken++;
        struct probe_req *r = probe_new(j, &a->addr[i]);
        if (r) {
            n_reqs++;
        } else { /* not the host's failure: the address counts as the scanner's internal_error */
            struct smtp_probe_result oom = {.status = SMTP_PROBE_INTERNAL_ERROR};
            snprintf(oom.error, sizeof(oom.error), "out of memory for the probe of an address");
            classify_probes_add(&j->out.probes, "", &oom);
        }
    }
    if (n_reqs == 0 && taken == 0 && j->out.probes.skipped[0]) {
        job_finish(j); /* every address listed: not probed, which is no failure */
        return;
    }
    if (n_reqs == 0) { /* no address: the outcome says so (n_addr 0, the lookup's status) */
        job_finish(j);
        return;
    }
    if (a->sec == DNS_SEC_SECURE) { /* RFC 7672 §2.2.2: the probes need the TLSA records */
        j->state = JOB_TLSA;
        if (a->cname[0] && strcmp(a->cname, j->host) != 0) {
            j->tlsa_then = strdup(j->host); /* out of memory: only the expanded name is asked */
            tlsa_lookup(j, a->cname);
        } else {
            tlsa_lookup(j, j->host);
        }
        return;
    }
    probes_start(j);
}

void mxcache_get(struct mxcache *c, const char *host, struct mxcache_waiter *w)
{
    mxcache_get_for(c, host, 1, w);
}

void mxcache_get_for(struct mxcache *c, const char *host, long domains, struct mxcache_waiter *w)
{
    uint32_t h = strhash(host);
    struct job **bucket = &c->jobs[h & (c->n_buckets - 1)];
    w->job = NULL;
    for (struct job *j = *bucket; j; j = j->hnext) {
        if (j->hash != h || strcmp(j->host, host) != 0)
            continue;
        j->n_asked += domains;
        if (j->state == JOB_DONE) {
            c->counters.cache_hits++;
            lru_unlink(c, j);
            lru_push_front(c, j);
            w->cb(w, &j->out);
        } else {
            w->next = j->waiters;
            w->job = j;
            j->waiters = w;
        }
        return;
    }
    struct job *j = calloc(1, sizeof(*j));
    char *copy = strdup(host);
    if (!j || !copy) {
        free(j);
        free(copy);
        struct mx_outcome o;
        classify_probes_init(&o.probes, DNS_INTERNAL_ERROR); /* says nothing about the host */
        snprintf(o.probes.bad_error, sizeof(o.probes.bad_error), "out of memory");
        w->cb(w, &o);
        return;
    }
    j->host = copy;
    j->hash = h;
    j->c = c;
    j->state = JOB_RESOLVING;
    w->next = NULL;
    w->job = j;
    j->waiters = w;
    j->n_asked = domains;
    j->hnext = *bucket;
    *bucket = j;
    c->n_busy++;
    const char *listed = blocklist_match_domain(c->blocklist, host);
    if (listed) { /* not even resolved */
        classify_probes_init(&j->out.probes, DNS_OK);
        snprintf(j->out.probes.skipped, sizeof(j->out.probes.skipped), "%s (%s)", host, listed);
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

void mxcache_cancel_waiter(struct mxcache *c, struct mxcache_waiter *w)
{
    (void)c;
    struct job *j = w->job;
    if (!j)
        return;
    struct mxcache_waiter **pp = &j->waiters;
    while (*pp && *pp != w)
        pp = &(*pp)->next;
    if (*pp)
        *pp = w->next;
    w->job = NULL;
}

void mxcache_flush(struct mxcache *c)
{
    if (!c || !c->row_cb)
        return;
    for (struct job *j = c->lru_head; j; j = j->lru_next)
        job_write_rows(c, j);
}

void mxcache_free(struct mxcache *c)
{
    if (!c)
        return;
    /* The limiter first: freeing it marks the queued tickets idle, and those tickets live inside
     * the probe requests freed below (the other order wrote into freed memory). */
    addrlimit_free(c->limit);
    while (c->live) {
        struct probe_req *r = c->live;
        c->live = r->next;
        if (r->probe)
            tlsworker_cancel(r->probe);
        if (r->pause)
            event_free(r->pause);
        free(r);
    }
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
