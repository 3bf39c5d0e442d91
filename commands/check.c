/*
 * check: the scan with report hooks, then the resolver comparison, then the reports.  The scan
 * decides everything (pipeline/scan -> domain -> classify); this file only keeps what the hooks
 * hand over, asks each --resolver the domain's records when there are several, and prints.
 */
#include "commands/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "pipeline/config.h"
#include "pipeline/domain.h"
#include "pipeline/scan.h"
#include "scanner/classify.h"
#include "scanner/dns.h"
#include "commands/report.h"
#include "lib/growbuf.h"

/* One domain's results, in argument order. */
struct check_item {
    int done;
    struct domain_result row;
    struct dns_mx_answer mx;
    struct domain_evidence *ev; /* owned */
};

/* One MX probe, as the MX cache hands it over. */
struct check_probe {
    char host[RESULT_NAME_MAX];
    char addr[INET6_ADDRSTRLEN];
    struct smtp_probe_result res;
};

struct check {
    struct check_item *items;
    int n_items;
    struct check_probe *probes;
    size_t n_probes, cap_probes;
    int oom;
};

static void on_report(struct domain *d, void *arg)
{
    struct check *c = arg;
    long i = d->result->rank - 1; /* the DOMAIN arguments are ranked by position */
    if (i < 0 || i >= c->n_items)
        return;
    struct check_item *it = &c->items[i];
    it->done = 1;
    it->row = *d->result;
    domain_mx_answer(d, &it->mx);
    it->ev = d->evidence; /* taken: domain_recycle no longer frees it */
    d->evidence = NULL;
}

static void on_probe(const char *host, const char *addr, const struct smtp_probe_result *res,
                     void *arg)
{
    struct check *c = arg;
    if (growbuf_reserve(&c->probes, &c->cap_probes, c->n_probes + 1, sizeof(*c->probes), 16) != 0) {
        c->oom = 1;
        return;
    }
    struct check_probe *p = &c->probes[c->n_probes++];
    snprintf(p->host, sizeof(p->host), "%s", host);
    snprintf(p->addr, sizeof(p->addr), "%s", addr);
    p->res = *res;
}

/* Probes by host, then address: the MX cache hands them over in the order the probes ended. */
static int cmp_probe(const void *a, const void *b)
{
    const struct check_probe *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    return c ? c : strcmp(x->addr, y->addr);
}

/* ---- several resolvers: ask each the same records, compare ----------------------------------- */

enum { RQ_MX, RQ_STS, RQ_TLSRPT, RQ_POLICY_ADDR, RQ__COUNT };
static const char *const rq_name[RQ__COUNT] = {"MX", "_mta-sts TXT", "_smtp._tls TXT",
                                               "mta-sts A/AAAA"};

/* The answer of one resolver to one question, as comparable text. */
struct rq {
    char text[1024];
    int *pending;
    struct event_base *base;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Joins items sorted (answer order is not a disagreement) into out. */
static void sorted_join(char **items, size_t n, char *out, size_t size)
{
    qsort(items, n, sizeof(items[0]), cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        result_list_add(out, size, items[i]);
}

static void rq_done(struct rq *q)
{
    if (--*q->pending == 0)
        event_base_loopexit(q->base, NULL);
}

/* Ends question q with the sorted, ';'-joined items (none: the text `none`), or "(status)" when
 * the lookup failed. */
static void rq_answer(struct rq *q, enum dns_status status, char **items, size_t n, const char *none)
{
    if (status != DNS_OK)
        snprintf(q->text, sizeof(q->text), "(%s)", dns_status_str(status));
    else if (n == 0)
        snprintf(q->text, sizeof(q->text), "%s", none);
    else
        sorted_join(items, n, q->text, sizeof(q->text));
    rq_done(q);
}

static void rq_mx(const struct dns_mx_answer *a, void *arg)
{
    struct rq *q = arg;
    char buf[DNS_MX_MAX][280], *items[DNS_MX_MAX];
    if (a->status == DNS_OK && a->null_mx) {
        snprintf(q->text, sizeof(q->text), "0 .");
        rq_done(q);
        return;
    }
    for (size_t i = 0; a->status == DNS_OK && i < a->n; i++) {
        snprintf(buf[i], sizeof(buf[i]), "%u %s", a->mx[i].pref, a->mx[i].host);
        items[i] = buf[i];
    }
    rq_answer(q, a->status, items, a->status == DNS_OK ? a->n : 0, "");
}

static void rq_txt(const struct dns_txt_answer *a, void *arg)
{
    struct rq *q = arg;
    char buf[DNS_TXT_MAX][256], *items[DNS_TXT_MAX];
    for (size_t i = 0; a->status == DNS_OK && i < a->n; i++) {
        snprintf(buf[i], sizeof(buf[i]), "\"%.*s\"", (int)(a->rec[i].len > 250 ? 250 : a->rec[i].len),
                 (const char *)a->rec[i].data);
        items[i] = buf[i];
    }
    rq_answer(q, a->status, items, a->status == DNS_OK ? a->n : 0, "");
}

static void rq_addr(const struct dns_addr_answer *a, void *arg)
{
    struct rq *q = arg;
    char buf[DNS_ADDR_MAX][INET6_ADDRSTRLEN], *items[DNS_ADDR_MAX];
    for (size_t i = 0; a->status == DNS_OK && i < a->n; i++) {
        struct sockaddr_storage ss = a->addr[i];
        dns_addr_prepare(&ss, 0, buf[i], sizeof(buf[i]));
        items[i] = buf[i];
    }
    rq_answer(q, a->status, items, a->status == DNS_OK ? a->n : 0, "(nodata)");
}

/* The answers of n resolvers: q[(s * n_items + i) * RQ__COUNT + k] is resolver s's answer to
 * question k about domain i. */
static struct rq *rq_at(struct rq *q, int n_items, int s, int i)
{
    return &q[(s * n_items + i) * RQ__COUNT];
}

/* Asks resolver server (one dns stage on base) the four questions of every domain. */
static void ask_resolver(struct dns *dns, struct check *c, struct rq *q, int s, int *pending,
                         struct event_base *base)
{
    for (int i = 0; i < c->n_items; i++) {
        const char *d = c->items[i].row.domain;
        char name[320];
        struct rq *r = rq_at(q, c->n_items, s, i);
        if (c->items[i].row.verdict == VERDICT_INPUT_INVALID)
            continue;
        for (int k = 0; k < RQ__COUNT; k++) {
            r[k].pending = pending;
            r[k].base = base;
        }
        *pending += RQ__COUNT;
        dns_query_mx(dns, d, rq_mx, &r[RQ_MX]);
        snprintf(name, sizeof(name), "_mta-sts.%s", d);
        dns_query_txt(dns, name, rq_txt, &r[RQ_STS]);
        snprintf(name, sizeof(name), "_smtp._tls.%s", d);
        dns_query_txt(dns, name, rq_txt, &r[RQ_TLSRPT]);
        snprintf(name, sizeof(name), "mta-sts.%s", d);
        dns_query_addr(dns, name, rq_addr, &r[RQ_POLICY_ADDR]);
    }
}

/* Domain i's differences between the n resolvers' answers, "; "-joined into diff ("" = none). */
static void differences(struct rq *q, int n_items, int i, char *const *server, int n, char *diff,
                        size_t size)
{
    diff[0] = '\0';
    for (int k = 0; k < RQ__COUNT; k++) {
        const char *first = rq_at(q, n_items, 0, i)[k].text;
        int differs = 0;
        for (int s = 1; s < n; s++)
            differs |= strcmp(first, rq_at(q, n_items, s, i)[k].text) != 0;
        if (!differs)
            continue;
        size_t len = strlen(diff);
        snprintf(diff + len, size - len, "%s%s:", len ? "; " : "", rq_name[k]);
        for (int s = 0; s < n; s++) {
            len = strlen(diff);
            snprintf(diff + len, size - len, " %s says %s%s", server[s],
                     rq_at(q, n_items, s, i)[k].text, s + 1 < n ? "," : "");
        }
    }
}

/* Asks every resolver of cfg each record of each domain (one DNS stage per resolver, so each
 * answers for itself); adds resolvers_disagree to the rows whose answers differ.  Returns the
 * number of resolvers (fewer than two: nothing compared), -1 when the comparison could not run. */
static int compare_resolvers(const struct config *cfg, struct check *c, FILE *err)
{
    char list[sizeof(cfg->resolvers)], *save = NULL;
    char *server[16];
    int n = 0;
    snprintf(list, sizeof(list), "%s", cfg->resolvers);
    for (char *t = strtok_r(list, ",", &save); t && n < 16; t = strtok_r(NULL, ",", &save))
        server[n++] = t;
    if (n < 2)
        return n;
    struct event_base *base = event_base_new();
    struct rq *q = calloc((size_t)(n * c->n_items * RQ__COUNT), sizeof(*q));
    struct dns **dns = calloc((size_t)n, sizeof(*dns));
    int pending = 0, ok = base && q && dns;
    for (int s = 0; ok && s < n; s++) {
        char e[256];
        struct dns_opts o = {.servers = server[s], .timeout_sec = config_dns_timeout(cfg),
                             .tries = cfg->retries + 1, .max_inflight = 64};
        if (!(dns[s] = dns_new(base, &o, e, sizeof(e)))) {
            fprintf(err, "mtasts-scan check: resolver %s: %s\n", server[s], e);
            ok = 0;
        }
    }
    for (int s = 0; ok && s < n; s++)
        ask_resolver(dns[s], c, q, s, &pending, base);
    if (ok && pending > 0)
        event_base_dispatch(base);
    for (int i = 0; ok && i < c->n_items; i++) {
        char diff[RESULT_DETAIL_MAX];
        differences(q, c->n_items, i, server, n, diff, sizeof(diff));
        classify_resolvers(diff, &c->items[i].row);
    }
    for (int s = 0; dns && s < n; s++)
        if (dns[s])
            dns_free(dns[s]);
    free(dns);
    free(q);
    if (base)
        event_base_free(base);
    return ok ? n : -1;
}

/* ---- printing ------------------------------------------------------------------------------- */

static void print_item(FILE *out, const struct check *c, const struct check_item *it, int json,
                       int colour, int n_resolvers, long expiry_days)
{
    const struct domain_evidence *ev = it->ev;
    const char *pa[DNS_ADDR_MAX], *fa[DNS_ADDR_MAX];
    struct report_probe *probes = calloc(c->n_probes ? c->n_probes : 1, sizeof(*probes));
    size_t np = 0;
    for (size_t i = 0; probes && i < c->n_probes; i++)
        for (size_t k = 0; k < it->row.n_mx; k++)
            if (strcmp(c->probes[i].host, it->row.mxs[k].host) == 0) {
                probes[np++] = (struct report_probe){c->probes[i].host, c->probes[i].addr,
                                                     &c->probes[i].res};
                break;
            }
    struct report_view v = {.row = &it->row, .mx = &it->mx, .tlsrpt_ttl = -1,
                            .probes = probes, .n_probes = np, .n_resolvers = n_resolvers,
                            .expiry_days = expiry_days};
    if (ev) {
        for (size_t i = 0; i < ev->n_policy_addr; i++)
            pa[i] = ev->policy_addr[i];
        for (size_t i = 0; i < ev->n_fetch; i++)
            fa[i] = ev->fetch_addr[i];
        v.sts_txt = ev->sts_txt;
        v.n_sts_txt = ev->n_sts_txt;
        v.tlsrpt_txt = ev->tlsrpt_txt;
        v.n_tlsrpt_txt = ev->n_tlsrpt_txt;
        v.tlsrpt_ttl = ev->tlsrpt_ttl;
        v.policy_addr = pa;
        v.n_policy_addr = ev->n_policy_addr;
        v.fetch_addr = fa;
        v.fetch = ev->fetch;
        v.n_fetch = ev->n_fetch;
        v.policy_body = ev->policy_body;
    }
    if (json)
        report_json(out, &v);
    else
        report_text(out, &v, colour);
    free(probes);
}

int check_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct config cfg;
    config_defaults_for(&cfg, CONFIG_CMD_CHECK); /* check_mode, no --dns-abort-after, advisories */
    /* the bulk scan's options (-o, --resume, --previous, ...) are refused by the option table */
    int r = config_parse_command(&cfg, CONFIG_CMD_CHECK, argc, argv, out, err);
    if (r > 0)
        return CHECK_EXIT_OK;
    if (r < 0 || config_check_files(&cfg, err) < 0)
        return CHECK_EXIT_ERROR;
    if (cfg.n_domains == 0) {
        config_print_usage(CONFIG_CMD_CHECK, err);
        return CHECK_EXIT_ERROR;
    }
    cfg.progress = PROGRESS_OFF;
    cfg.concurrency = cfg.n_domains;
    cfg.mx_cache_max = 100000; /* every probe stays until the end, where its rows are handed over */
    struct check c = {.n_items = cfg.n_domains};
    c.items = calloc((size_t)cfg.n_domains, sizeof(*c.items));
    if (!c.items) {
        fprintf(err, "mtasts-scan check: out of memory\n");
        return CHECK_EXIT_ERROR;
    }
    struct scan_hooks hooks = {.report = on_report, .mx_probe = on_probe, .arg = &c};
    int rc = scan_run_hooks(&cfg, &hooks);
    int n_res = rc == 0 ? compare_resolvers(&cfg, &c, err) : 0;
    if (c.n_probes > 1)
        qsort(c.probes, c.n_probes, sizeof(c.probes[0]), cmp_probe);
    int json = cfg.format && strcmp(cfg.format, "json") == 0;
    const char *nc = getenv("NO_COLOR");
    int colour = !json && isatty(fileno(out)) && !(nc && nc[0]);
    int failed = 0, missing = 0;
    for (int i = 0; i < c.n_items; i++) {
        if (!c.items[i].done) {
            if (rc == 0) /* say which (every argument gets a row, so this is the scan's fault) */
                fprintf(err, "mtasts-scan check: argument %d (\"%s\") was not checked\n", i + 1,
                        cfg.domains[i]);
            missing = 1;
            continue;
        }
        if (i > 0 && !json)
            fputc('\n', out);
        print_item(out, &c, &c.items[i], json, colour, n_res, cfg.expiry_days);
        failed |= classify_is_failure(&c.items[i].row);
        domain_evidence_free(c.items[i].ev);
    }
    free(c.items);
    free(c.probes);
    if (fflush(out) != 0 || rc != 0 || n_res < 0 || missing || c.oom) {
        if (rc == 0)
            fprintf(err, "mtasts-scan check: %s\n", missing ? "some arguments were not checked"
                                                            : "could not complete the report");
        return CHECK_EXIT_ERROR;
    }
    return failed ? CHECK_EXIT_FINDINGS : CHECK_EXIT_OK;
}
