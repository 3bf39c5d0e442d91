/*
 * domain: the per-domain state machine.  Each stage counts its outstanding operations in
 * d->pending, plus one guard held while the stage issues them, so an operation that completes
 * synchronously (c-ares may answer before ares_query returns) cannot end the stage early.
 * Every DNS lookup carries a token naming the domain's generation, since a domain cut by its
 * deadline is recycled while its lookups are still out.
 */
#include "pipeline/domain.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/enumname.h"
#include "scanner/classify.h"

static const struct enum_name domain_stage_names[] = {
    {DOMAIN_IDLE, "idle"},
    {DOMAIN_DNS, "dns"},
    {DOMAIN_CHECKS, "checks"},
    {DOMAIN_DONE, "done"},
};
ENUM_NAMES_DEFINE(domain_stage, enum domain_stage, DOMAIN_DONE + 1, "unknown")

static void checks_start(struct domain *d);
static void domain_finish(struct domain *d);

/* The domain's DNS lookups, one bit each in d->dns_waiting. */
enum {
    DQ_MX = 1u << 0,
    DQ_STS = 1u << 1,
    DQ_TLSRPT = 1u << 2,
    DQ_POLICY_ADDR = 1u << 3,
    DQ_IMPLICIT_ADDR = 1u << 4
};

/* A lookup's claim on its domain: c-ares cannot cancel one query, so an answer may arrive after
 * the domain was cut and its slot reused. */
struct dns_token {
    struct domain *d;
    unsigned long gen;
    unsigned bit;
};

/* The scanner itself failed at step (out of memory): the verdict will say so. */
static void scanner_failed(struct domain *d, const char *step)
{
    if (!d->scanner_error)
        d->scanner_error = step;
}

static void stage_op_done(struct domain *d);

/* A token for one lookup (pass it as the callback's arg), or NULL when out of memory, in which
 * case the lookup is counted as done with the scanner's failure. */
static void *token_new(struct domain *d, unsigned bit)
{
    struct dns_token *t = malloc(sizeof(*t));
    if (!t) {
        scanner_failed(d, "dns");
        stage_op_done(d);
        return NULL;
    }
    t->d = d;
    t->gen = d->gen;
    t->bit = bit;
    d->dns_waiting |= bit;
    return t;
}

/* The domain still waiting for this answer, or NULL for a stale one; frees the token. */
static struct domain *token_take(void *arg)
{
    struct dns_token *t = arg;
    struct domain *d = t->d;
    unsigned bit = t->bit;
    int live = t->gen == d->gen && (d->dns_waiting & bit);
    free(t);
    if (!live)
        return NULL;
    d->dns_waiting &= ~bit;
    return d;
}

void domain_evidence_free(struct domain_evidence *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n_sts_txt; i++)
        free((void *)ev->sts_txt[i].data);
    for (size_t i = 0; i < ev->n_tlsrpt_txt; i++)
        free((void *)ev->tlsrpt_txt[i].data);
    free(ev->policy_body);
    free(ev);
}

/* Keeps every record of a TXT answer as published (report mode only): the bytes are copied, the
 * answer's own buffer ends with the callback. */
static void keep_records(const struct dns_txt_answer *a, struct txt_record *out, size_t *n)
{
    for (size_t i = 0; i < a->n && *n < DNS_TXT_MAX; i++) {
        unsigned char *data = malloc(a->rec[i].len + 1);
        if (!data)
            continue;
        memcpy(data, a->rec[i].data, a->rec[i].len);
        data[a->rec[i].len] = '\0';
        out[*n] = a->rec[i];
        out[(*n)++].data = data;
    }
}

/* The records of an answer that a sender discards before counting (RFC 8461 §3.1, the rule of
 * txt_is_candidate). */
static int count_other_sts(const struct dns_txt_answer *a)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += !txt_is_candidate((const char *)a->rec[i].data, a->rec[i].len, "v=STSv1", NULL);
    return n;
}

static void stage_op_done(struct domain *d)
{
    if (--d->pending > 0)
        return;
    if (d->stage == DOMAIN_DNS)
        checks_start(d);
    else if (d->stage == DOMAIN_CHECKS)
        domain_finish(d);
}

/* ---- DOMAIN_DNS ------------------------------------------------------------------------- */

/* Keeps the records of an MX answer in the arena, each host at its length; 0 when out of memory
 * (then none is kept). */
static int keep_mx(struct domain *d, const struct dns_mx_answer *a)
{
    struct domain_mx_rec *rec = arena_alloc(&d->arena, a->n * sizeof(*rec));
    for (size_t i = 0; rec && i < a->n; i++) {
        rec[i].pref = a->mx[i].pref;
        if (!(rec[i].host = arena_strdup(&d->arena, a->mx[i].host)))
            rec = NULL;
    }
    if (!rec)
        return 0;
    d->mx_rec = rec;
    d->n_mx_rec = a->n;
    return 1;
}

static void on_mx(const struct dns_mx_answer *a, void *arg)
{
    struct domain *d = token_take(arg);
    if (!d)
        return;
    d->mx_status = a->status;
    d->mx_sec = a->sec;
    d->mx_null = a->null_mx;
    if (a->n > 0 && !keep_mx(d, a)) {
        scanner_failed(d, "dns");
        d->mx_status = DNS_INTERNAL_ERROR;
    }
    stage_op_done(d);
}

static void on_sts(const struct dns_txt_answer *a, void *arg)
{
    struct domain *d = token_take(arg);
    if (!d)
        return;
    d->sts_dns = a->status;
    d->sts_ttl = a->ttl;
    if (a->status == DNS_OK && !(d->sts = arena_alloc(&d->arena, sizeof(*d->sts)))) {
        scanner_failed(d, "dns");
        d->sts_dns = DNS_INTERNAL_ERROR;
    }
    if (d->sts) {
        txt_parse_sts(a->rec, a->n, d->sts);
        d->sts_other = count_other_sts(a);
        if (d->evidence)
            keep_records(a, d->evidence->sts_txt, &d->evidence->n_sts_txt);
    }
    stage_op_done(d);
}

static void on_tlsrpt(const struct dns_txt_answer *a, void *arg)
{
    struct domain *d = token_take(arg);
    if (!d)
        return;
    d->tlsrpt_dns = a->status;
    if (a->status == DNS_OK) {
        d->tlsrpt = arena_alloc(&d->arena, sizeof(*d->tlsrpt));
        if (d->tlsrpt)
            txt_parse_tlsrpt(a->rec, a->n, d->tlsrpt);
        else
            scanner_failed(d, "dns");
        if (d->evidence) {
            keep_records(a, d->evidence->tlsrpt_txt, &d->evidence->n_tlsrpt_txt);
            d->evidence->tlsrpt_ttl = a->ttl;
        }
    }
    stage_op_done(d);
}

static void domain_cut(struct domain *d);

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct domain *d = arg;
    if (d->stage == DOMAIN_DNS || d->stage == DOMAIN_CHECKS)
        domain_cut(d);
}

/* Arms --domain-timeout.  Without a timer (out of memory) the domain is still bounded by each
 * step's --timeout, so it goes on: nothing it reports depends on the deadline. */
static void deadline_start(struct domain *d)
{
    double sec = config_domain_timeout(d->env->cfg);
    if (sec <= 0)
        return;
    d->deadline = evtimer_new(d->env->base, on_deadline, d);
    if (!d->deadline)
        return;
    struct timeval tv = {(time_t)sec, (suseconds_t)((sec - (double)(time_t)sec) * 1e6)};
    evtimer_add(d->deadline, &tv);
}

void domain_start(struct domain *d, struct domain_env *env, const char *name, long rank)
{
    char qname[320];
    void *t;
    memset(d, 0, offsetof(struct domain, gen));
    d->gen++;
    d->env = env;
    d->rank = rank;
    d->sts_ttl = -1;
    if (!d->arena.first_size) /* a slot fresh from the scan's (zeroed) pool */
        arena_init(&d->arena, DOMAIN_ARENA_FIRST);
    d->name = arena_strdup(&d->arena, name);
    if (!d->name) { /* the scanner's failure: the domain ends at once, named by the caller's */
        d->name = name; /* borrowed: domain_finish consumes it before this returns */
        scanner_failed(d, "domain start");
        d->stage = DOMAIN_DNS;
        domain_finish(d);
        return;
    }
    if (env->report) { /* without it (out of memory) the report shows the row alone */
        d->evidence = calloc(1, sizeof(*d->evidence));
        if (d->evidence)
            d->evidence->tlsrpt_ttl = -1;
    }
    d->stage = DOMAIN_DNS;
    d->pending = 4; /* three queries and the guard */
    deadline_start(d);
    if ((t = token_new(d, DQ_MX)) != NULL)
        dns_query_mx(env->dns, name, on_mx, t);
    snprintf(qname, sizeof(qname), "_mta-sts.%s", name);
    if ((t = token_new(d, DQ_STS)) != NULL)
        dns_query_txt(env->dns, qname, on_sts, t);
    snprintf(qname, sizeof(qname), "_smtp._tls.%s", name);
    if ((t = token_new(d, DQ_TLSRPT)) != NULL)
        dns_query_txt(env->dns, qname, on_tlsrpt, t);
    stage_op_done(d);
}

/* The env's row, emptied, for the domain about to finish: the slot itself holds no row. */
static struct domain_result *row_take(struct domain *d)
{
    result_init(&d->env->row);
    return &d->env->row;
}

/* --previous: looks the domain up in the previous scan once (d->previous, handed on to the
 * monitor with the row); returns the old row's testing run start, a fact for classify. */
static time_t previous_find(struct domain *d, const char *name)
{
    d->previous = d->env->monitor ? monitor_find(d->env->monitor, name) : NULL;
    return monitor_old_testing_since(d->previous);
}

void domain_reject(struct domain *d, struct domain_env *env, const char *raw, long rank,
                   const char *reason)
{
    memset(d, 0, offsetof(struct domain, gen));
    d->env = env;
    d->result = row_take(d);
    struct classify_facts f = {.domain = raw, .rank = rank, .finished_at = time(NULL),
                               .input_invalid = 1, .input_reason = reason};
    previous_find(d, raw);
    classify_domain(&f, d->result);
    d->stage = DOMAIN_DONE;
    env->finish(d, env->finish_arg);
}

void domain_exclude(struct domain *d, struct domain_env *env, const char *name, long rank,
                    const char *entry)
{
    memset(d, 0, offsetof(struct domain, gen));
    d->env = env;
    d->result = row_take(d);
    struct classify_facts f = {.domain = name, .rank = rank, .finished_at = time(NULL),
                               .excluded_by = entry};
    previous_find(d, name);
    classify_domain(&f, d->result);
    d->stage = DOMAIN_DONE;
    env->finish(d, env->finish_arg);
}

/* ---- DOMAIN_CHECKS: policy -------------------------------------------------------------- */

static void fetch_next(struct domain *d);

/* Keeps what the report shows of one address's fetch (report mode only). */
static void keep_fetch(struct domain *d, const struct https_fetch_result *res)
{
    struct domain_evidence *ev = d->evidence;
    if (!ev || ev->n_fetch >= DNS_ADDR_MAX)
        return;
    char key[INET6_ADDRSTRLEN];
    struct sockaddr_storage ss = d->fetch_work->addr;
    dns_addr_prepare(&ss, d->env->cfg->https_port, key, sizeof(key));
    snprintf(ev->fetch_addr[ev->n_fetch], sizeof(ev->fetch_addr[0]), "%s", key);
    ev->fetch[ev->n_fetch] = *res;
    ev->fetch[ev->n_fetch].body = NULL;
    ev->n_fetch++;
    if (res->status == HTTPS_FETCH_OK && !ev->policy_body && (ev->policy_body = malloc(res->body_len + 1))) {
        memcpy(ev->policy_body, res->body, res->body_len);
        ev->policy_body[res->body_len] = '\0';
        ev->policy_len = res->body_len;
    }
}

/* One address's fetch ended.  A failure moves on to the next address (a sender may use any of
 * them, RFC 8461 §3.3); the verdict rests on the first address that served the policy, or on the
 * first failure when none did. */
/* The pause is over: the policy host's addresses are tried again from the first. */
static void fetch_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct domain *d = arg;
    d->fetch_work->next = 0;
    d->fetch_work->n_failed = 0;
    fetch_next(d);
}

/* No address answered, and one failed by a connect or TLS-handshake timeout: often a loaded
 * server, not a fact about the domain.  Every address is tried again
 * config_retry_pause() later, up to --retry-timeouts times; 0 when not.  fetch_queued stays
 * set meanwhile, so a --domain-timeout cut sees the fetch. */
static int fetch_retry_later(struct domain *d)
{
    struct domain_fetch *w = d->fetch_work;
    int transient = 0;
    for (size_t i = 0; i < w->n_failed; i++)
        transient |= w->failed[i].status == HTTPS_FETCH_TIMEOUT;
    if (!transient || d->fetch_tries >= d->env->cfg->retry_timeouts ||
        !(strstr(w->res.detail, "in step connect") || strstr(w->res.detail, "in step handshake")))
        return 0;
    if (!d->fetch_pause)
        d->fetch_pause = evtimer_new(d->env->base, fetch_resume, d);
    double pause = config_retry_pause(d->env->cfg);
    struct timeval tv = {(time_t)pause, (suseconds_t)((pause - (double)(time_t)pause) * 1e6)};
    if (!d->fetch_pause || evtimer_add(d->fetch_pause, &tv) < 0)
        return 0;
    d->fetch_tries++;
    d->fetch_queued = 1;
    return 1;
}

static void on_fetch(const struct https_fetch_result *res, void *arg)
{
    struct domain *d = arg;
    struct domain_fetch *w = d->fetch_work;
    d->fetch = NULL;
    d->fetch_queued = 0;
    addrlimit_release(&d->fetch_ticket);
    keep_fetch(d, res);
    if (res->status != HTTPS_FETCH_OK && res->status != HTTPS_FETCH_INTERNAL_ERROR) {
        struct classify_fetch_try *t = &w->failed[w->n_failed++];
        char key[INET6_ADDRSTRLEN];
        struct sockaddr_storage ss = w->addr;
        dns_addr_prepare(&ss, 0, key, sizeof(key));
        snprintf(t->addr, sizeof(t->addr), "%s", key);
        t->status = res->status;
        if (w->n_failed == 1) { /* kept where the result goes, in case no address serves */
            w->res = *res;
            w->res.body = NULL;
        }
        if (w->next < w->policy_addr.n) {
            fetch_next(d);
            return;
        }
        if (fetch_retry_later(d))
            return;
    }
    d->fetch_done = 1;
    if (res->status == HTTPS_FETCH_OK || res->status == HTTPS_FETCH_INTERNAL_ERROR) {
        w->res = *res; /* else res holds the first failure */
        w->res.body = NULL; /* borrowed: parsed here, not kept */
    }
    if (res->status == HTTPS_FETCH_OK) {
        d->policy = malloc(sizeof(*d->policy));
        if (d->policy)
            policy_parse(res->body, res->body_len, d->policy);
        else
            scanner_failed(d, "policy parse");
    }
    stage_op_done(d);
}

/* The fetch could not start for lack of memory: the scanner's failure, not the policy host's. */
static void fetch_fail_oom(struct domain *d)
{
    d->fetch_queued = 0;
    d->fetch_done = 1;
    d->fetch_work->res.status = HTTPS_FETCH_INTERNAL_ERROR;
    snprintf(d->fetch_work->res.detail, sizeof(d->fetch_work->res.detail), "out of memory");
    scanner_failed(d, "policy fetch");
    stage_op_done(d);
}

/* The policy host's address may take one more connection: fetch. */
static void fetch_go(struct addrlimit_ticket *t)
{
    struct domain *d = t->arg;
    char host[320];
    snprintf(host, sizeof(host), "mta-sts.%s", d->name);
    struct https_fetch_opts o = {.timeout_sec = d->env->cfg->timeout_sec,
                                 .max_body = 65536,
                                 .user_agent = d->env->cfg->user_agent};
    d->env->https_fetches++;
    d->fetch_queued = 0;
    d->fetch = tlsworker_fetch(d->env->tls, (struct sockaddr *)&d->fetch_work->addr, d->fetch_work->addrlen, host,
                               "/.well-known/mta-sts.txt", &o, on_fetch, d);
    if (!d->fetch) {
        addrlimit_release(t);
        fetch_fail_oom(d);
    }
}

/* Queues the fetch of the next address of mta-sts.<d> on its politeness slot. */
static void fetch_next(struct domain *d)
{
    char key[INET6_ADDRSTRLEN];
    struct domain_fetch *w = d->fetch_work;
    w->addr = w->policy_addr.addr[w->next++];
    w->addrlen = dns_addr_prepare(&w->addr, d->env->cfg->https_port, key, sizeof(key));
    d->fetch_ticket.go = fetch_go;
    d->fetch_ticket.arg = d;
    d->fetch_queued = 1;
    if (addrlimit_acquire(d->env->https_limit, key, &d->fetch_ticket) < 0)
        fetch_fail_oom(d);
}

static void on_policy_addr(const struct dns_addr_answer *a, void *arg)
{
    struct domain *d = token_take(arg);
    if (!d)
        return;
    d->policy_host_dns = a->status;
    if (a->status != DNS_OK || a->n == 0) {
        if (a->status == DNS_OK)
            d->policy_host_dns = DNS_NODATA;
        stage_op_done(d);
        return;
    }
    /* The addresses not on the blocklist, in answer order, IPv4 first: the first that serves the
     * policy decides, so a healthy host costs one fetch and the scan stays polite. */
    for (size_t i = 0; d->evidence && i < a->n; i++) {
        struct sockaddr_storage ss = a->addr[i];
        dns_addr_prepare(&ss, 0, d->evidence->policy_addr[i], sizeof(d->evidence->policy_addr[0]));
        d->evidence->n_policy_addr = i + 1;
    }
    struct domain_fetch *w = d->fetch_work;
    w->policy_addr.n = 0;
    for (size_t i = 0; i < a->n; i++)
        if (!blocklist_skip_addr(d->env->blocklist, (const struct sockaddr *)&a->addr[i],
                                 d->policy_skipped, sizeof(d->policy_skipped)))
            w->policy_addr.addr[w->policy_addr.n++] = a->addr[i];
    if (w->policy_addr.n == 0) {
        d->policy_excluded = 1;
        stage_op_done(d);
        return;
    }
    w->next = 0;
    fetch_next(d);
}

static void policy_start(struct domain *d)
{
    char host[320];
    snprintf(host, sizeof(host), "mta-sts.%s", d->name);
    d->pending++;
    d->policy_queried = 1;
    d->fetch_work = calloc(1, sizeof(*d->fetch_work));
    if (!d->fetch_work) { /* as if its lookup could not start: the scanner's failure */
        scanner_failed(d, "dns");
        stage_op_done(d);
        return;
    }
    void *t = token_new(d, DQ_POLICY_ADDR);
    if (t)
        dns_query_addr(d->env->dns, host, on_policy_addr, t);
}

/* ---- DOMAIN_CHECKS: MX hosts ------------------------------------------------------------ */

static void on_mx_outcome(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    struct domain_mx *m = w->arg;
    m->done = 1;
    m->retried = o->retried;
    m->probes = o->probes;
    stage_op_done(m->owner);
}

static void probe_start(struct domain *d, size_t i, const char *host)
{
    struct domain_mx *m = &d->mx_waits[i];
    memset(m, 0, sizeof(*m));
    m->owner = d;
    m->waiter.cb = on_mx_outcome;
    m->waiter.arg = m;
    d->pending++;
    mxroute_get(d->env->mxroute, host, &m->waiter);
}

/* What the _mta-sts answer came to: MISSING unless it had records. */
static enum txt_status sts_status(const struct domain *d)
{
    return d->sts ? d->sts->status : TXT_STATUS_MISSING;
}

static int probe_wanted(const struct domain *d)
{
    const struct config *cfg = d->env->cfg;
    if (cfg->dns_only || cfg->starttls == STARTTLS_MODE_NONE)
        return 0;
    /* a secure MX RRset: DANE applies (RFC 7672 §2.2.1), and only a probe can judge it */
    return cfg->starttls == STARTTLS_MODE_ALL || sts_status(d) == TXT_STATUS_OK ||
           d->mx_sec == DNS_SEC_SECURE;
}

/* Takes the outcomes of n MX hosts (1 when n is 0, never asked); 0 when out of memory, the
 * scanner's failure: no host is probed. */
static int mx_waits_take(struct domain *d, size_t n)
{
    d->mx_waits = calloc(n ? n : 1, sizeof(*d->mx_waits));
    if (!d->mx_waits)
        scanner_failed(d, "mx probe");
    return d->mx_waits != NULL;
}

static void on_implicit_addr(const struct dns_addr_answer *a, void *arg)
{
    struct domain *d = token_take(arg);
    if (!d)
        return;
    d->implicit_addr = (a->status == DNS_OK && a->n == 0) ? DNS_NODATA : a->status;
    if (d->implicit_addr == DNS_OK && probe_wanted(d) && mx_waits_take(d, 1)) {
        d->n_probe = 1;
        probe_start(d, 0, d->name);
    }
    stage_op_done(d);
}

static void checks_start(struct domain *d)
{
    const struct config *cfg = d->env->cfg;
    d->stage = DOMAIN_CHECKS;
    d->pending = 1; /* guard */
    if (dns_status_failed(d->mx_status) || dns_status_failed(d->sts_dns) || d->mx_null) {
        stage_op_done(d);
        return;
    }
    d->implicit_mx = d->mx_status != DNS_OK;
    if (d->implicit_mx) {
        d->pending++;
        void *t = token_new(d, DQ_IMPLICIT_ADDR);
        if (t)
            dns_query_addr(d->env->dns, d->name, on_implicit_addr, t);
    }
    if (!cfg->dns_only && (sts_status(d) == TXT_STATUS_OK || cfg->policy_all))
        policy_start(d);
    size_t n_mx = d->n_mx_rec;
    if (!d->implicit_mx && probe_wanted(d) && n_mx > 0 && mx_waits_take(d, n_mx)) {
        d->n_probe = n_mx;
        for (size_t i = 0; i < n_mx; i++)
            probe_start(d, i, d->mx_rec[i].host);
    }
    stage_op_done(d);
}

/* ---- DOMAIN_DONE ------------------------------------------------------------------------ */

/* What classify reads of a domain without a _mta-sts or TLSRPT answer with records. */
static const struct txt_sts sts_missing = {.status = TXT_STATUS_MISSING};
static const struct txt_tlsrpt tlsrpt_missing = {.status = TXT_STATUS_MISSING};

/* Hands every fact to the classifier, which fills the row; then the scan writes it. */
static void domain_finish(struct domain *d)
{
    const char *name = d->name;
    long rank = d->rank;
    d->result = row_take(d);
    struct classify_mx cm[DNS_MX_MAX];
    struct dns_mx_answer mx_answer; /* on the stack while classify reads it */
    const struct dns_mx_answer *mx = &mx_answer;
    domain_mx_answer(d, &mx_answer);
    size_t n = d->implicit_mx ? (d->implicit_addr == DNS_OK ? 1 : 0) : d->n_mx_rec;
    for (size_t i = 0; i < n; i++) {
        cm[i].host = d->implicit_mx ? name : d->mx_rec[i].host;
        cm[i].preference = d->implicit_mx ? -1 : d->mx_rec[i].pref;
        cm[i].probes = i < d->n_probe && d->mx_waits[i].done ? &d->mx_waits[i].probes : NULL;
    }
    struct classify_facts f = {
        .domain = name,
        .rank = rank,
        .finished_at = time(NULL),
        .mx_dns = d->mx_status,
        .null_mx = d->mx_null,
        .mx_answer = mx,
        .implicit_queried = d->implicit_mx,
        .implicit_addr = d->implicit_mx ? d->implicit_addr : DNS_OK,
        .sts_dns = d->sts_dns,
        .sts_ttl = d->sts_ttl,
        .sts = d->sts ? d->sts : &sts_missing,
        .tlsrpt_dns = d->tlsrpt_dns,
        .tlsrpt = d->tlsrpt ? d->tlsrpt : &tlsrpt_missing,
        .policy_checked = !d->env->cfg->dns_only,
        .policy_queried = d->policy_queried,
        .policy_host_dns = d->policy_host_dns,
        .fetch = d->fetch_done ? &d->fetch_work->res : NULL,
        .policy = d->policy,
        .mx = cm,
        .n_mx = n,
        .starttls_disabled = d->env->cfg->starttls == STARTTLS_MODE_NONE,
        .policy_skipped = d->policy_skipped,
        .policy_excluded = d->policy_excluded,
        .cut = d->cut[0] ? d->cut : NULL,
        .domain_timeout_sec = config_domain_timeout(d->env->cfg),
        .scanner_error = d->scanner_error,
        .advisories = d->env->cfg->advisories,
        .sts_other_records = d->sts_other,
        .fetch_failed = d->fetch_work ? d->fetch_work->failed : NULL,
        .n_fetch_failed = d->fetch_work ? d->fetch_work->n_failed : 0,
        /* --expiry-days 0: no certificate is "expiring soon" (-1 for classify; 0 = its default) */
        .thresholds = {d->env->cfg->max_age_min_enforce, d->env->cfg->max_age_min_testing,
                       d->env->cfg->expiry_days > 0 ? d->env->cfg->expiry_days : -1},
    };
    f.policy_fetch_retried = d->fetch_tries > 0;
    for (size_t i = 0; i < d->n_probe; i++)
        f.mx_probe_retried |= d->mx_waits[i].done && d->mx_waits[i].retried;
    f.previous_testing_since = previous_find(d, name);
    if (d->deadline)
        evtimer_del(d->deadline);
    classify_domain(&f, d->result);
    d->stage = DOMAIN_DONE;
    d->env->finish(d, d->env->finish_arg);
}

/* Appends step to d->cut. */
static void cut_add(struct domain *d, const char *step)
{
    size_t len = strlen(d->cut);
    snprintf(d->cut + len, sizeof(d->cut) - len, "%s%s", len ? ", " : "", step);
}

/* The deadline passed: every step still out is given up and recorded as cut, and the domain
 * finishes with what is known.  Unanswered lookups read as timeouts (the DNS did not answer in
 * time); the policy fetch, running or still queued for politeness, as a fetch timeout; a cut MX
 * host as not probed (its shared probe goes on for the other domains). */
static void domain_cut(struct domain *d)
{
    if (d->dns_waiting) {
        if (d->dns_waiting & DQ_MX) {
            d->mx_status = DNS_TIMEOUT; /* no answer yet: mx_rec is NULL */
        }
        if (d->dns_waiting & DQ_STS)
            d->sts_dns = DNS_TIMEOUT;
        if (d->dns_waiting & DQ_TLSRPT)
            d->tlsrpt_dns = DNS_TIMEOUT;
        if (d->dns_waiting & DQ_POLICY_ADDR)
            d->policy_host_dns = DNS_TIMEOUT;
        if (d->dns_waiting & DQ_IMPLICIT_ADDR)
            d->implicit_addr = DNS_TIMEOUT;
        d->dns_waiting = 0; /* their answers, when they come, are dropped */
        cut_add(d, "dns");
    }
    if (d->fetch_pause)
        evtimer_del(d->fetch_pause); /* a retry waiting for its time: cut like a queued fetch */
    if (d->fetch || d->fetch_queued) {
        int queued = !d->fetch;
        if (d->fetch)
            tlsworker_cancel(d->fetch);
        d->fetch = NULL;
        d->fetch_queued = 0;
        addrlimit_release(&d->fetch_ticket);
        d->fetch_done = 1;
        d->fetch_work->res.status = HTTPS_FETCH_TIMEOUT;
        snprintf(d->fetch_work->res.detail, sizeof(d->fetch_work->res.detail), "cut by --domain-timeout %s",
                 queued ? "while waiting for its turn (--https-conn-per-addr, --https-rate-per-addr)"
                        : "while fetching");
        cut_add(d, "policy_fetch");
    }
    int mx_cut = 0;
    for (size_t i = 0; i < d->n_probe; i++) {
        if (d->mx_waits[i].done)
            continue;
        mxroute_cancel_waiter(d->env->mxroute, &d->mx_waits[i].waiter);
        mx_cut = 1;
    }
    if (mx_cut)
        cut_add(d, "mx_probe");
    domain_finish(d);
}

void domain_mx_answer(const struct domain *d, struct dns_mx_answer *out)
{
    out->status = d->mx_status;
    out->sec = d->mx_sec;
    out->null_mx = d->mx_null;
    out->n = d->n_mx_rec; /* the records untouched beyond n: no 4 KB clear per domain */
    for (size_t i = 0; i < d->n_mx_rec; i++) {
        out->mx[i].pref = d->mx_rec[i].pref;
        snprintf(out->mx[i].host, sizeof(out->mx[i].host), "%s", d->mx_rec[i].host);
    }
}

void domain_recycle(struct domain *d)
{
    if (d->deadline)
        event_free(d->deadline);
    d->deadline = NULL;
    if (d->fetch)
        tlsworker_cancel(d->fetch);
    addrlimit_release(&d->fetch_ticket); /* a no-op unless the domain was abandoned mid-fetch */
    /* A domain abandoned mid-probe (the scan's teardown) gives its waiters back first. */
    for (size_t i = 0; d->mx_waits && i < d->n_probe; i++)
        mxroute_cancel_waiter(d->env->mxroute, &d->mx_waits[i].waiter);
    free(d->mx_waits);
    d->mx_waits = NULL;
    d->n_probe = 0;
    d->mx_rec = NULL;
    d->n_mx_rec = 0;
    d->sts = NULL;
    d->tlsrpt = NULL;
    d->name = NULL;
    arena_reset(&d->arena); /* the row is written: the domain's text goes, the first chunk stays */
    free(d->fetch_work);
    d->fetch_work = NULL;
    d->dns_waiting = 0; /* answers still out find no domain: nothing is taken after this */
    free(d->policy);
    domain_evidence_free(d->evidence);
    d->evidence = NULL;
    if (d->fetch_pause)
        event_free(d->fetch_pause);
    d->fetch_pause = NULL;
    d->fetch = NULL;
    d->policy = NULL;
    d->result = NULL; /* the env's row: the next domain to finish fills it again */
    d->stage = DOMAIN_IDLE;
}

void domain_slot_free(struct domain *d)
{
    arena_free(&d->arena);
}
