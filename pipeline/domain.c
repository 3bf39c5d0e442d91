/*
 * domain: the per-domain state machine.  Each stage counts its outstanding operations in
 * d->pending, plus one guard held while the stage issues them, so an operation that completes
 * synchronously (c-ares may answer before ares_query returns) cannot end the stage early.
 */
#include "pipeline/domain.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/classify.h"

const char *domain_stage_str(enum domain_stage s)
{
    switch (s) {
    case DOMAIN_IDLE: return "idle";
    case DOMAIN_DNS: return "dns";
    case DOMAIN_CHECKS: return "checks";
    case DOMAIN_DONE: return "done";
    }
    return "unknown";
}

static void checks_start(struct domain *d);
static void domain_finish(struct domain *d);

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

static void on_mx(const struct dns_mx_answer *a, void *arg)
{
    struct domain *d = arg;
    d->mx = *a;
    stage_op_done(d);
}

static void on_sts(const struct dns_txt_answer *a, void *arg)
{
    struct domain *d = arg;
    d->sts_dns = a->status;
    if (a->status == DNS_OK)
        txt_parse_sts(a->rec, a->n, &d->sts);
    stage_op_done(d);
}

static void on_tlsrpt(const struct dns_txt_answer *a, void *arg)
{
    struct domain *d = arg;
    d->tlsrpt_dns = a->status;
    if (a->status == DNS_OK)
        txt_parse_tlsrpt(a->rec, a->n, &d->tlsrpt);
    stage_op_done(d);
}

void domain_start(struct domain *d, struct domain_env *env, const char *name, long rank)
{
    char qname[320];
    memset(d, 0, offsetof(struct domain, mxs));
    d->env = env;
    result_init(&d->result);
    result_copy(d->result.domain, sizeof(d->result.domain), name);
    d->result.rank = rank;
    d->sts.status = TXT_STATUS_MISSING;
    d->tlsrpt.status = TXT_STATUS_MISSING;
    d->stage = DOMAIN_DNS;
    d->pending = 4; /* three queries and the guard */
    dns_query_mx(env->dns, name, on_mx, d);
    snprintf(qname, sizeof(qname), "_mta-sts.%s", name);
    dns_query_txt(env->dns, qname, on_sts, d);
    snprintf(qname, sizeof(qname), "_smtp._tls.%s", name);
    dns_query_txt(env->dns, qname, on_tlsrpt, d);
    stage_op_done(d);
}

void domain_reject(struct domain *d, struct domain_env *env, const char *raw, long rank,
                   const char *reason)
{
    memset(d, 0, offsetof(struct domain, mxs));
    d->env = env;
    result_init(&d->result);
    result_copy(d->result.domain, sizeof(d->result.domain), raw);
    d->result.rank = rank;
    struct classify_facts f;
    memset(&f, 0, sizeof(f));
    f.input_invalid = 1;
    f.input_reason = reason;
    classify_domain(&f, &d->result);
    d->result.scanned_at = time(NULL);
    d->stage = DOMAIN_DONE;
    env->finish(d, env->finish_arg);
}

/* ---- DOMAIN_CHECKS: policy -------------------------------------------------------------- */

static int fetch_next_addr(struct domain *d);

/* The policy host did not answer at this address (refused, unreachable, or no TCP connection
 * within the timeout): a client tries its next address (A first, then AAAA). */
static int fetch_unanswered(const struct https_fetch_result *res)
{
    return res->status == HTTPS_FETCH_CONNECT_FAILED ||
           (res->status == HTTPS_FETCH_TIMEOUT && strstr(res->detail, "in step connect"));
}

static void on_fetch(const struct https_fetch_result *res, void *arg)
{
    struct domain *d = arg;
    d->fetch = NULL;
    addrlimit_release(&d->fetch_ticket);
    if (fetch_unanswered(res) && fetch_next_addr(d))
        return;
    free(d->fetch_addrs);
    d->fetch_addrs = NULL;
    d->fetch_done = 1;
    d->fetch_res = *res;
    d->fetch_res.body = NULL; /* borrowed: parsed here, not kept */
    if (res->status == HTTPS_FETCH_OK) {
        d->policy = malloc(sizeof(*d->policy));
        if (d->policy)
            policy_parse(res->body, res->body_len, d->policy);
        else
            snprintf(d->fetch_res.detail, sizeof(d->fetch_res.detail), "out of memory");
    }
    stage_op_done(d);
}

static void fetch_fail_oom(struct domain *d)
{
    d->fetch_done = 1;
    d->fetch_res.status = HTTPS_FETCH_CONNECT_FAILED;
    snprintf(d->fetch_res.detail, sizeof(d->fetch_res.detail), "out of memory");
    stage_op_done(d);
}

/* The policy host's address may take one more connection: fetch. */
static void fetch_go(struct addrlimit_ticket *t)
{
    struct domain *d = t->arg;
    char host[320];
    snprintf(host, sizeof(host), "mta-sts.%s", d->result.domain);
    struct https_fetch_opts o = {.timeout_sec = d->env->cfg->timeout_sec,
                                 .max_body = 65536,
                                 .user_agent = d->env->cfg->user_agent};
    d->env->https_fetches++;
    d->fetch = tlsworker_fetch(d->env->tls, (struct sockaddr *)&d->fetch_addr, d->fetch_addrlen, host,
                               "/.well-known/mta-sts.txt", &o, on_fetch, d);
    if (!d->fetch) {
        addrlimit_release(t);
        fetch_fail_oom(d);
    }
}

/* Queues the fetch at the next address of the policy host; 0 when none is left. */
static int fetch_next_addr(struct domain *d)
{
    char key[INET6_ADDRSTRLEN];
    if (!d->fetch_addrs || d->fetch_next >= d->fetch_addrs->n)
        return 0;
    d->fetch_addr = d->fetch_addrs->addr[d->fetch_next++];
    d->fetch_addrlen = dns_addr_prepare(&d->fetch_addr, d->env->cfg->https_port, key, sizeof(key));
    d->fetch_ticket.go = fetch_go;
    d->fetch_ticket.arg = d;
    if (addrlimit_acquire(d->env->https_limit, key, &d->fetch_ticket) < 0)
        fetch_fail_oom(d);
    return 1;
}

static void on_policy_addr(const struct dns_addr_answer *a, void *arg)
{
    struct domain *d = arg;
    d->policy_host_dns = a->status;
    if (a->status != DNS_OK || a->n == 0) {
        if (a->status == DNS_OK)
            d->policy_host_dns = DNS_NODATA;
        stage_op_done(d);
        return;
    }
    /* One fetch at a time, IPv4 first, the next address only when one did not answer. */
    d->fetch_addrs = malloc(sizeof(*d->fetch_addrs));
    if (!d->fetch_addrs) {
        fetch_fail_oom(d);
        return;
    }
    *d->fetch_addrs = *a;
    d->fetch_next = 0;
    fetch_next_addr(d);
}

static void policy_start(struct domain *d)
{
    char host[320];
    snprintf(host, sizeof(host), "mta-sts.%s", d->result.domain);
    d->pending++;
    dns_query_addr(d->env->dns, host, on_policy_addr, d);
}

/* ---- DOMAIN_CHECKS: MX hosts ------------------------------------------------------------ */

static void on_mx_outcome(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    struct domain_mx *m = w->arg;
    m->done = 1;
    m->problems = o->problems;
    snprintf(m->why, sizeof(m->why), "%s", o->why);
    stage_op_done(m->owner);
}

static void probe_start(struct domain *d, size_t i, const char *host)
{
    struct domain_mx *m = &d->mxs[i];
    memset(m, 0, sizeof(*m));
    m->owner = d;
    m->waiter.cb = on_mx_outcome;
    m->waiter.arg = m;
    d->pending++;
    mxcache_get(d->env->mx, host, &m->waiter);
}

static int probe_wanted(const struct domain *d)
{
    const struct config *cfg = d->env->cfg;
    if (cfg->dns_only || cfg->starttls == STARTTLS_MODE_NONE)
        return 0;
    return cfg->starttls == STARTTLS_MODE_ALL || d->sts.status == TXT_STATUS_OK;
}

static void on_implicit_addr(const struct dns_addr_answer *a, void *arg)
{
    struct domain *d = arg;
    d->implicit_addr = (a->status == DNS_OK && a->n == 0) ? DNS_NODATA : a->status;
    if (d->implicit_addr == DNS_OK && probe_wanted(d)) {
        d->n_probe = 1;
        probe_start(d, 0, d->result.domain);
    }
    stage_op_done(d);
}

static void checks_start(struct domain *d)
{
    const struct config *cfg = d->env->cfg;
    d->stage = DOMAIN_CHECKS;
    d->pending = 1; /* guard */
    if (dns_status_failed(d->mx.status) || dns_status_failed(d->sts_dns) || d->mx.null_mx) {
        stage_op_done(d);
        return;
    }
    d->implicit_mx = d->mx.status != DNS_OK;
    if (d->implicit_mx) {
        d->pending++;
        dns_query_addr(d->env->dns, d->result.domain, on_implicit_addr, d);
    }
    if (!cfg->dns_only && (d->sts.status == TXT_STATUS_OK || cfg->policy_all))
        policy_start(d);
    if (!d->implicit_mx && probe_wanted(d)) {
        d->n_probe = d->mx.n;
        for (size_t i = 0; i < d->mx.n; i++)
            probe_start(d, i, d->mx.mx[i].host);
    }
    stage_op_done(d);
}

/* ---- DOMAIN_DONE ------------------------------------------------------------------------ */

static void fill_columns(struct domain *d)
{
    struct domain_result *r = &d->result;
    for (size_t i = 0; i < d->mx.n; i++)
        result_list_add(r->mx, sizeof(r->mx), d->mx.mx[i].host);
    if (d->fetch_done)
        r->http_status = d->fetch_res.http_status;
    if (d->policy_host_dns != DNS_OK && d->sts.status == TXT_STATUS_OK && !d->env->cfg->dns_only)
        r->policy_status = POLICY_STATUS_FETCH_FAILED;
    if (d->fetch_done)
        r->policy_status = d->fetch_res.status != HTTPS_FETCH_OK ? POLICY_STATUS_FETCH_FAILED
                         : (d->policy && d->policy->valid) ? POLICY_STATUS_OK
                                                           : POLICY_STATUS_INVALID;
    if (d->policy) {
        result_copy(r->policy_mode, sizeof(r->policy_mode), policy_mode_str(d->policy->mode));
        r->policy_max_age = d->policy->max_age;
        for (size_t i = 0; i < d->policy->n_mx; i++)
            result_list_add(r->policy_mx, sizeof(r->policy_mx), d->policy->mx[i]);
    }
}

static void domain_finish(struct domain *d)
{
    struct classify_mx cm[DNS_MX_MAX];
    size_t n = d->implicit_mx ? (d->implicit_addr == DNS_OK ? 1 : 0) : d->mx.n;
    for (size_t i = 0; i < n; i++) {
        cm[i].host = d->implicit_mx ? d->result.domain : d->mx.mx[i].host;
        cm[i].probed = i < d->n_probe && d->mxs[i].done;
        cm[i].problems = cm[i].probed ? d->mxs[i].problems : (struct issue_set){0};
        cm[i].why = cm[i].probed ? d->mxs[i].why : NULL;
    }
    struct classify_facts f = {
        .mx_dns = d->mx.status,
        .null_mx = d->mx.null_mx,
        .implicit_addr = d->implicit_mx ? d->implicit_addr : DNS_OK,
        .sts_dns = d->sts_dns,
        .sts = &d->sts,
        .tlsrpt_dns = d->tlsrpt_dns,
        .tlsrpt = &d->tlsrpt,
        .policy_checked = !d->env->cfg->dns_only,
        .policy_host_dns = d->policy_host_dns,
        .fetch_done = d->fetch_done,
        .fetch = d->fetch_done ? &d->fetch_res : NULL,
        .policy = d->policy,
        .mx = cm,
        .n_mx = n,
        .starttls_disabled = d->env->cfg->starttls == STARTTLS_MODE_NONE,
    };
    if (f.fetch && f.fetch->status == HTTPS_FETCH_OK && !d->policy)
        f.fetch = NULL; /* out of memory while parsing: reported as a failed fetch */
    fill_columns(d);
    classify_domain(&f, &d->result);
    d->result.scanned_at = time(NULL);
    d->stage = DOMAIN_DONE;
    d->env->finish(d, d->env->finish_arg);
}

void domain_recycle(struct domain *d)
{
    if (d->fetch)
        tlsworker_cancel(d->fetch);
    addrlimit_release(&d->fetch_ticket); /* a no-op unless the domain was abandoned mid-fetch */
    free(d->policy);
    free(d->fetch_addrs);
    d->fetch = NULL;
    d->policy = NULL;
    d->fetch_addrs = NULL;
    d->stage = DOMAIN_IDLE;
}
