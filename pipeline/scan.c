/*
 * scan: input -> domain state machines -> CSV.  Memory is the domain pool (--concurrency slots,
 * allocated once), the MX cache (capped) and the writers' buffers: nothing grows with the input.
 * Starting domains happens in one place, on_pump, which runs as an event so that a domain
 * finishing deep inside a c-ares or OpenSSL callback never recurses into starting the next one.
 */
#include "pipeline/scan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "output/csvout.h"
#include "output/summary.h"
#include "pipeline/diff.h"
#include "pipeline/domain.h"
#include "pipeline/input.h"
#include "pipeline/progress.h"
#include "pipeline/ratelimit.h"
#include "pipeline/resume.h"
#include "scanner/tlscheck.h"

#define PUMP_BATCH 512 /* input lines per pump run, so the loop stays responsive */

struct scan_counters {
    unsigned long lines, started, done, skipped_shard, skipped_resume;
    unsigned long by_verdict[VERDICT__COUNT];
};

struct scan {
    const struct config *cfg;
    struct event_base *base;
    struct input *input;
    struct resume *resume;      /* NULL unless --resume */
    struct csvout *out, *mx_out;
    struct csvout *edge_out;        /* --domain-mx-output, NULL when not asked for */
    struct diff_monitor *monitor;   /* --previous, NULL when not asked for */
    unsigned long fail_on_domains;  /* domains whose verdict or issues --fail-on lists */
    struct summary summary;
    struct domain_env env;
    struct domain *pool;
    struct domain **free_list;
    size_t n_free;
    struct ratelimit rate;
    struct event *pump, *tick, *sig_int, *sig_term;
    int input_done, stopping, exit_code, tty;
    unsigned long total_lines;
    double t0;
    struct scan_counters counters;
};

static double now_sec(struct scan *s)
{
    struct timeval tv;
    event_base_gettimeofday_cached(s->base, &tv);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void fatal(struct scan *s, const char *what, const char *msg)
{
    fprintf(stderr, "mtasts-scan: %s: %s\n", what, msg);
    if (s->exit_code == SCAN_EXIT_OK || s->exit_code == SCAN_EXIT_INTERRUPTED)
        s->exit_code = SCAN_EXIT_FATAL;
    s->stopping = 1;
    event_base_loopbreak(s->base);
}

static void maybe_done(struct scan *s)
{
    size_t in_flight = s->cfg->concurrency - s->n_free;
    if ((s->input_done || s->stopping) && in_flight == 0)
        event_base_loopexit(s->base, NULL);
}

/* ---- rows --------------------------------------------------------------------------------- */

static void on_dns_abort(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct scan *s = arg;
    dns_cancel_all(s->env.dns);
    maybe_done(s);
}

/* ZMap-style abort on an anomaly: when the first --dns-abort-after lookups all went unanswered
 * (or a smaller scan got no DNS reply at all), no resolver works and every row is a dns_error.
 * Starts no more domains and cancels the lookups in flight; returns 1 once the scan is aborted,
 * so that no further row is written. */
static int check_dns_abort(struct scan *s, int finished)
{
    const struct dns_counters *dc = dns_counters(s->env.dns);
    char causes[160];
    if (s->exit_code == SCAN_EXIT_NO_RESOLVER)
        return 1;
    if (s->stopping || !dns_counters_no_answer(dc, (unsigned long)s->cfg->dns_abort_after, finished))
        return 0;
    fprintf(stderr, "%smtasts-scan: %s %lu DNS lookups failed (%s): no resolver answers; check "
                    "--resolver, or --dns-abort-after 0 to scan anyway%s\n",
            s->tty ? "\n" : "", finished ? "all" : "the first", dns_counters_ended(dc),
            dns_counters_failures(dc, causes, sizeof(causes)),
            s->counters.done ? ".  The rows written are not results: scan again, not --resume" : "");
    s->exit_code = SCAN_EXIT_NO_RESOLVER;
    s->stopping = 1;
    /* End the lookups in flight from the loop, not from this DNS callback; their domains then
     * finish without rows and the loop ends with everything freed. */
    struct timeval now = {0, 0};
    if (!finished)
        event_base_once(s->base, -1, EV_TIMEOUT, on_dns_abort, s, &now);
    return 1;
}

static void on_domain_finish(struct domain *d, void *arg)
{
    struct scan *s = arg;
    if (check_dns_abort(s, 0)) {
        domain_recycle(d);
        s->free_list[s->n_free++] = d;
        maybe_done(s);
        return;
    }
    s->counters.done++;
    s->counters.by_verdict[d->result.verdict]++;
    summary_add(&s->summary, &d->result);
    if (csvout_write_domain(s->out, &d->result) != ZWRITER_OK)
        fatal(s, "writing results", zwriter_strerror(csvout_error(s->out)));
    if (s->edge_out && csvout_write_edges(s->edge_out, &d->result) != ZWRITER_OK)
        fatal(s, "writing domain-MX results", zwriter_strerror(csvout_error(s->edge_out)));
    if (s->monitor && diff_monitor_domain(s->monitor, &d->result) != 0)
        fatal(s, "writing changes", "see above");
    if (s->cfg->has_fail_on && changes_failon_result(&s->cfg->fail_on, &d->result))
        s->fail_on_domains++;
    domain_recycle(d);
    s->free_list[s->n_free++] = d;
    if (!s->stopping)
        event_active(s->pump, EV_TIMEOUT, 0);
    maybe_done(s);
}

static void on_mx_row(const char *host, const char *addr, const struct smtp_probe_result *res,
                      long domains_sharing, time_t probed_at, void *arg)
{
    struct scan *s = arg;
    if (s->monitor && diff_monitor_mx_cert(s->monitor, host, res->tls.not_after) != 0)
        fatal(s, "remembering MX certificates", "out of memory");
    if (!s->mx_out)
        return;
    if (csvout_write_mx(s->mx_out, host, addr, res, domains_sharing, probed_at) != ZWRITER_OK)
        fatal(s, "writing MX results", zwriter_strerror(csvout_error(s->mx_out)));
}

/* ---- starting domains ----------------------------------------------------------------------- */

/* Reads input until one line yields a domain or an invalid row; 0 at end of input. */
static int next_entry(struct scan *s, struct input_entry *e, enum input_line_kind *kind)
{
    struct input_line line;
    for (;;) {
        int r = input_next(s->input, &line);
        if (r < 0) {
            /* Every line before the damage is scanned: finish the domains in flight. */
            fprintf(stderr, "mtasts-scan: reading input: %s (finishing the domains already "
                            "started)\n", input_error(s->input));
            s->exit_code = SCAN_EXIT_FATAL;
            return 0;
        }
        if (r == 0)
            return 0;
        *kind = input_parse_line(line.text, line.len, line.line_no, e);
        if (*kind == INPUT_SKIP)
            continue;
        unsigned long n = s->counters.lines++;
        if (s->cfg->shard_count > 1 && (long)(n % (unsigned long)s->cfg->shard_count) != s->cfg->shard_index) {
            s->counters.skipped_shard++;
            continue;
        }
        if (s->resume && resume_take_entry(s->resume, *kind, e)) {
            s->counters.skipped_resume++;
            continue;
        }
        return 1;
    }
}

static void schedule_pump(struct scan *s, double wait)
{
    struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 500};
    event_add(s->pump, &tv);
}

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct scan *s = arg;
    for (int batch = 0; batch < PUMP_BATCH; batch++) {
        if (s->stopping || s->input_done || s->n_free == 0)
            break;
        double wait = ratelimit_wait(&s->rate, now_sec(s));
        if (wait > 0) {
            schedule_pump(s, wait);
            return;
        }
        struct input_entry e;
        enum input_line_kind kind;
        if (!next_entry(s, &e, &kind)) {
            s->input_done = 1;
            break;
        }
        struct domain *d = s->free_list[--s->n_free];
        s->counters.started++;
        if (kind == INPUT_INVALID) {
            domain_reject(d, &s->env, e.raw, e.rank, e.reason);
            continue;
        }
        ratelimit_take(&s->rate, now_sec(s));
        domain_start(d, &s->env, e.domain, e.rank);
    }
    if (!s->stopping && !s->input_done && s->n_free > 0 && !event_pending(s->pump, EV_TIMEOUT, NULL))
        event_active(s->pump, EV_TIMEOUT, 0);
    maybe_done(s);
}

/* ---- once a second ------------------------------------------------------------------------ */

static void print_progress(struct scan *s)
{
    const struct dns_counters *dc = dns_counters(s->env.dns);
    struct progress_view v = {
        .elapsed_sec = now_sec(s) - s->t0,
        .done = s->counters.done,
        .total = s->total_lines,
        .in_flight = s->cfg->concurrency - s->n_free,
        .dns_sent = dc->sent,
        .dns_timeouts = dc->timed_out,
        .https_fetches = s->env.https_fetches,
        .smtp_probes = mxcache_counters(s->env.mx)->probes_started,
        .by_verdict = s->counters.by_verdict,
    };
    progress_print(stderr, &v, s->tty);
}

static int show_progress(const struct scan *s)
{
    return s->cfg->progress == PROGRESS_ON || (s->cfg->progress == PROGRESS_AUTO && s->tty);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct scan *s = arg;
    double now = now_sec(s);
    if (csvout_tick(s->out, now) != ZWRITER_OK)
        fatal(s, "writing results", zwriter_strerror(csvout_error(s->out)));
    if (s->mx_out && csvout_tick(s->mx_out, now) != ZWRITER_OK)
        fatal(s, "writing MX results", zwriter_strerror(csvout_error(s->mx_out)));
    if (s->edge_out && csvout_tick(s->edge_out, now) != ZWRITER_OK)
        fatal(s, "writing domain-MX results", zwriter_strerror(csvout_error(s->edge_out)));
    if (show_progress(s))
        print_progress(s);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct scan *s = arg;
    if (s->stopping) {
        fprintf(stderr, "\nmtasts-scan: second signal, stopping now; rows written so far are kept\n");
        event_base_loopbreak(s->base);
        return;
    }
    fprintf(stderr, "\nmtasts-scan: %s: no new domains; finishing the %zu in flight (again to stop now)\n",
            strsignal((int)sig), (size_t)(s->cfg->concurrency - s->n_free));
    s->stopping = 1;
    s->exit_code = SCAN_EXIT_INTERRUPTED;
    maybe_done(s);
}

/* ---- set-up and tear-down ----------------------------------------------------------------- */

/* Counts lines of a plain regular file for the status line's total and ETA. */
static unsigned long count_lines(const char *path)
{
    struct stat st;
    size_t len = strlen(path);
    if (strcmp(path, "-") == 0 || (len > 4 && strcmp(path + len - 4, ".zst") == 0) ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[65536];
    size_t n;
    unsigned long lines = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        for (size_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    fclose(f);
    return lines;
}

/* 1 when a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int open_resume(struct scan *s)
{
    char err[512];
    if (!s->cfg->resume)
        return 0;
    if (same_file(s->cfg->resume, s->cfg->output) || same_file(s->cfg->resume, s->cfg->input)) {
        fprintf(stderr, "mtasts-scan: --resume %s: give the new results another -o file "
                        "(the earlier one is read, never overwritten)\n", s->cfg->resume);
        return -1;
    }
    s->resume = resume_load(s->cfg->resume, err, sizeof(err));
    if (!s->resume) {
        fprintf(stderr, "mtasts-scan: %s\n", err);
        return -1;
    }
    if (s->cfg->progress != PROGRESS_OFF)
        fprintf(stderr, "mtasts-scan: resuming: %zu domains already done in %s%s\n",
                resume_count(s->resume), s->cfg->resume,
                resume_truncated(s->resume) ? " (it ends in a cut row: that domain is scanned again)" : "");
    return 0;
}

/* --previous: the old scan is loaded before -o is opened (and must not be -o or the changes). */
static int open_monitor(struct scan *s)
{
    const struct config *c = s->cfg;
    if (!c->previous)
        return 0;
    if (same_file(c->previous, c->output) ||
        (c->changes_output && same_file(c->previous, c->changes_output))) {
        fprintf(stderr, "mtasts-scan: --previous %s: give the new results other file names "
                        "(the earlier scan is read, never overwritten)\n", c->previous);
        return -1;
    }
    struct changes_opts o;
    changes_opts_defaults(&o);
    o.expiry_days = c->expiry_days;
    o.testing_days = c->testing_days;
    s->monitor = diff_monitor_open(c->previous, c->changes_output, &o,
                                   c->has_fail_on ? &c->fail_on : NULL, stderr);
    if (!s->monitor)
        return -1;
    diff_monitor_defer_certs(s->monitor);
    return 0;
}

static int open_files(struct scan *s)
{
    char err[512];
    struct zwriter_error zerr;
    if (open_resume(s) < 0 || open_monitor(s) < 0)
        return -1;
    /* before input_open, which already waits for the first bytes */
    if (strcmp(s->cfg->input, "-") == 0 && isatty(STDIN_FILENO))
        fprintf(stderr, "mtasts-scan: reading domains from stdin, one per line (end with Ctrl-D); "
                        "give a file as INPUT, or see --help\n");
    s->input = input_open(s->cfg->input, err, sizeof(err));
    if (!s->input) {
        fprintf(stderr, "mtasts-scan: %s\n", err);
        if (config_input_looks_like_domain(s->cfg->input) && access(s->cfg->input, F_OK) != 0)
            fprintf(stderr, "mtasts-scan: INPUT is a file of domains, one per line; to scan one "
                            "domain: echo %s | mtasts-scan -\n", s->cfg->input);
        return -1;
    }
    s->out = csvout_open(s->cfg->output, CSVOUT_DOMAIN, &zerr);
    if (!s->out) {
        fprintf(stderr, "mtasts-scan: %s\n", zwriter_strerror(&zerr));
        return -1;
    }
    if (s->cfg->mx_output) {
        s->mx_out = csvout_open(s->cfg->mx_output, CSVOUT_MX, &zerr);
        if (!s->mx_out) {
            fprintf(stderr, "mtasts-scan: %s\n", zwriter_strerror(&zerr));
            return -1;
        }
    }
    if (s->cfg->domain_mx_output) {
        s->edge_out = csvout_open(s->cfg->domain_mx_output, CSVOUT_EDGE, &zerr);
        if (!s->edge_out) {
            fprintf(stderr, "mtasts-scan: %s\n", zwriter_strerror(&zerr));
            return -1;
        }
    }
    return 0;
}

static int open_services(struct scan *s)
{
    char err[512];
    struct dns_opts dopts = {.servers = s->cfg->resolvers, .timeout_sec = config_dns_timeout(s->cfg),
                             .tries = s->cfg->retries + 1, .max_inflight = s->cfg->dns_inflight};
    s->env.base = s->base;
    s->env.cfg = s->cfg;
    s->env.finish = on_domain_finish;
    s->env.finish_arg = s;
    s->env.dns = dns_new(s->base, &dopts, err, sizeof(err));
    if (!s->env.dns) {
        fprintf(stderr, "mtasts-scan: %s\n", err);
        return -1;
    }
    if (!s->cfg->dns_only) {
        s->env.ssl_ctx = tlscheck_ctx_new(s->cfg->ca_file, err, sizeof(err));
        if (!s->env.ssl_ctx) {
            fprintf(stderr, "mtasts-scan: %s\n", err);
            return -1;
        }
    }
    s->env.tls = tlsworker_new(s->base, s->env.ssl_ctx, s->cfg->dns_only ? 0 : (int)s->cfg->tls_threads,
                               err, sizeof(err));
    if (!s->env.tls) {
        fprintf(stderr, "mtasts-scan: %s\n", err);
        return -1;
    }
    s->env.mx = mxcache_new(s->base, s->env.dns, s->env.tls, s->cfg,
                            s->cfg->mx_output ? on_mx_row : NULL, s);
    s->env.https_limit = addrlimit_new(s->base, s->cfg->https_conn_per_addr,
                                       s->cfg->https_rate_per_addr);
    return s->env.mx && s->env.https_limit ? 0 : -1;
}

static int open_pool(struct scan *s)
{
    size_t n = (size_t)s->cfg->concurrency;
    s->pool = calloc(n, sizeof(*s->pool));
    s->free_list = calloc(n, sizeof(*s->free_list));
    if (!s->pool || !s->free_list) {
        fprintf(stderr, "mtasts-scan: out of memory for %zu domains in flight\n", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        s->free_list[s->n_free++] = &s->pool[n - 1 - i];
    return 0;
}

static int open_events(struct scan *s)
{
    struct timeval sec = {1, 0};
    s->pump = event_new(s->base, -1, 0, on_pump, s);
    s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
    s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
    if (!s->pump || !s->tick || !s->sig_int || !s->sig_term)
        return -1;
    event_add(s->tick, &sec);
    event_add(s->sig_int, NULL);
    event_add(s->sig_term, NULL);
    event_active(s->pump, EV_TIMEOUT, 0);
    return 0;
}

static int close_files(struct scan *s)
{
    struct zwriter_error zerr;
    int rc = 0;
    if (s->out && csvout_close(s->out, &zerr) != ZWRITER_OK) {
        fprintf(stderr, "mtasts-scan: %s\n", zwriter_strerror(&zerr));
        rc = -1;
    }
    if (s->mx_out && csvout_close(s->mx_out, &zerr) != ZWRITER_OK) {
        fprintf(stderr, "mtasts-scan: %s\n", zwriter_strerror(&zerr));
        rc = -1;
    }
    if (s->edge_out && csvout_close(s->edge_out, &zerr) != ZWRITER_OK) {
        fprintf(stderr, "mtasts-scan: %s\n", zwriter_strerror(&zerr));
        rc = -1;
    }
    s->out = s->mx_out = s->edge_out = NULL;
    diff_monitor_free(s->monitor);
    s->monitor = NULL;
    if (s->input)
        input_close(s->input);
    s->input = NULL;
    resume_free(s->resume);
    s->resume = NULL;
    return rc;
}

static void print_final(struct scan *s)
{
    if (show_progress(s)) {
        print_progress(s);
        if (s->tty)
            fputc('\n', stderr);
    }
    if (s->cfg->progress != PROGRESS_OFF)
        summary_print(&s->summary, stderr);
    const struct dns_counters *dc = dns_counters(s->env.dns);
    const struct mxcache_counters *mc = mxcache_counters(s->env.mx);
    char resumed[96] = "", causes[160];
    if (s->cfg->resume)
        snprintf(resumed, sizeof(resumed), " (%lu skipped: already in --resume file)",
                 s->counters.skipped_resume);
    if (s->cfg->progress != PROGRESS_OFF)
        fprintf(stderr, "scan: %lu domains in %.1fs%s; "
                        "dns %lu sent %lu answered %lu failed %lu timed out (failed by cause: %s); "
                        "https %lu fetches; smtp %lu probes of %lu hosts (%lu cache hits)\n",
                s->counters.done, now_sec(s) - s->t0, resumed, dc->sent,
                dc->answered, dc->failed, dc->timed_out,
                dns_counters_failures(dc, causes, sizeof(causes)), s->env.https_fetches,
                mc->probes_started, mc->hosts_resolved, mc->cache_hits);
    if (s->cfg->summary_json) {
        FILE *f = fopen(s->cfg->summary_json, "w");
        if (!f || summary_write_json(&s->summary, f) != 0 || fclose(f) != 0) {
            fprintf(stderr, "mtasts-scan: writing %s: %s\n", s->cfg->summary_json, strerror(errno));
            s->exit_code = SCAN_EXIT_FATAL;
        }
    }
}

static void free_all(struct scan *s)
{
    /* In-flight work (only after an interruption) is abandoned with the process. */
    if (s->cfg->concurrency - (long)s->n_free == 0) {
        mxcache_free(s->env.mx);
        addrlimit_free(s->env.https_limit);
        tlsworker_free(s->env.tls);
        dns_free(s->env.dns);
        if (s->env.ssl_ctx)
            SSL_CTX_free(s->env.ssl_ctx);
        if (s->pump) event_free(s->pump);
        if (s->tick) event_free(s->tick);
        if (s->sig_int) event_free(s->sig_int);
        if (s->sig_term) event_free(s->sig_term);
        free(s->pool);
        free(s->free_list);
        event_base_free(s->base);
    } else {
        /* Join the TLS threads before exit() runs OpenSSL's cleanup under their feet; the jobs
         * they drop belong to domains nobody will look at again. */
        tlsworker_free(s->env.tls);
    }
}

/* --previous: the removed domains and the certificate rows (now that every MX row is known),
 * the changes summary; --fail-on: exit 3 when something listed occurred. */
static void finish_monitoring(struct scan *s)
{
    unsigned long changes = 0;
    if (s->monitor) {
        int complete = s->exit_code == SCAN_EXIT_OK || s->exit_code == SCAN_EXIT_FAIL_ON;
        if (!complete)
            fprintf(stderr, "changes: the scan did not finish: old domains it did not reach are "
                            "not listed as domain_removed\n");
        if (diff_monitor_finish(s->monitor, complete) != 0)
            fatal(s, "writing changes", "see above");
        changes = diff_monitor_failures(s->monitor);
    }
    if (!s->cfg->has_fail_on)
        return;
    if (changes || s->fail_on_domains)
        fprintf(stderr, "fail-on: %lu domains with a listed verdict or issue, %lu listed changes\n",
                s->fail_on_domains, changes);
    if ((changes || s->fail_on_domains) && s->exit_code == SCAN_EXIT_OK)
        s->exit_code = SCAN_EXIT_FAIL_ON;
}

int scan_run(const struct config *cfg)
{
    struct scan s;
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    /* The status line is redrawn in place on a terminal, but not over CSV rows going to the
     * same terminal: then it is off by default and printed as whole lines with --progress. */
    s.tty = isatty(STDERR_FILENO) && !(strcmp(cfg->output, "-") == 0 && isatty(STDOUT_FILENO));
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error we report, not a silent death */
    summary_init(&s.summary);
    s.base = event_base_new();
    if (!s.base)
        return SCAN_EXIT_FATAL;
    s.t0 = now_sec(&s);
    ratelimit_init(&s.rate, cfg->rate, cfg->rate > 10 ? cfg->rate / 10 : 1, s.t0);
    /* Services first: a bad --resolver or --ca-file must not truncate an existing output file. */
    if (open_services(&s) < 0 || open_pool(&s) < 0 || open_files(&s) < 0 || open_events(&s) < 0) {
        close_files(&s);
        return SCAN_EXIT_FATAL;
    }
    s.total_lines = count_lines(cfg->input);
    event_base_dispatch(s.base);
    if (s.exit_code == SCAN_EXIT_OK)
        check_dns_abort(&s, 1);
    mxcache_flush(s.env.mx); /* the MX rows of cached hosts, with their final counts */
    finish_monitoring(&s);
    if (close_files(&s) < 0)
        s.exit_code = SCAN_EXIT_FATAL;
    print_final(&s);
    free_all(&s);
    return s.exit_code;
}
