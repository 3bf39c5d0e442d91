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

#include "output/csvin.h"
#include "output/csvout.h"
#include "output/summary.h"
#include "lib/blocklist.h"
#include "pipeline/monitor.h"
#include "pipeline/domain.h"
#include "pipeline/input.h"
#include "pipeline/metadata.h"
#include "pipeline/outputs.h"
#include "pipeline/progress.h"
#include "lib/ratelimit.h"
#include "output/zwriter.h"
#include "pipeline/resume.h"
#include "scanner/tlscheck.h"

#define PUMP_BATCH 512 /* input lines per pump run, so the loop stays responsive */

struct scan_counters {
    unsigned long lines, started, done, skipped_shard, skipped_resume;
    unsigned long by_verdict[VERDICT__COUNT];
};

/* --resume with --mx-output: one MX host of the skipped rows, asked of the MX cache again. */
struct reprobe {
    struct mxcache_waiter w;
    struct scan *s;
};

struct scan {
    const struct config *cfg;
    struct event_base *base;
    struct input *input;
    struct resume *resume;      /* NULL unless --resume */
    struct reprobe *reprobe;    /* the MX hosts of the --resume rows, probed again (see open_resume) */
    size_t n_reprobe, next_reprobe, reprobe_busy;
    struct outputs outs;
    struct csvout *out, *mx_out, *edge_out; /* the open writers of -o, --mx-output, --domain-mx-output */
    struct summary summary;
    struct domain_env env;
    struct domain *pool;
    struct domain **free_list;
    size_t n_free;
    struct ratelimit rate;
    struct event *pump, *tick, *sig_int, *sig_term;
    int input_done, stopping, exit_code, tty;
    int fatal_said;             /* a fatal error was printed: later consequences are not */
    int abandoning;             /* tearing down with domains in flight: no more rows */
    unsigned long total_lines;
    double t0;
    struct scan_counters counters;
    struct monitor *monitor; /* --previous, NULL when not asked for */
    unsigned long fail_on_domains; /* domains whose verdict or issues --fail-on lists */
    unsigned long fail_on_changes; /* changes --fail-on lists */
    struct metadata md;         /* --metadata record */
    int md_failed;              /* the record could not be written */
    const struct scan_hooks *hooks; /* NULL: a bulk scan writing CSV */
    int next_domain;                /* hooks: index into cfg->domains */
};

static double now_sec(struct scan *s)
{
    struct timeval tv;
    event_base_gettimeofday_cached(s->base, &tv);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Prints an error and keeps the first one as the --metadata reason. */
static void scan_error(struct scan *s, const char *msg)
{
    fprintf(stderr, "mtasts-scan: %s\n", msg);
    metadata_reason(&s->md, "%s", msg);
}

/* Stops the scan with exit status 1.  Only the first fatal error is printed: on a full disk or a
 * closed stdout every later row fails the same way, and one line says it. */
static void fatal(struct scan *s, const char *what, const char *msg)
{
    if (!s->fatal_said) {
        fprintf(stderr, "mtasts-scan: %s: %s\n", what, msg);
        metadata_reason(&s->md, "%s: %s", what, msg);
    }
    s->fatal_said = 1;
    if (s->exit_code == SCAN_EXIT_OK || s->exit_code == SCAN_EXIT_INTERRUPTED)
        s->exit_code = SCAN_EXIT_FATAL;
    s->stopping = 1;
    event_base_loopbreak(s->base);
}

/* A result file could not be written (pipeline/outputs.h): stops the scan. */
static void on_output_failed(void *arg, const char *what, const char *msg)
{
    fatal(arg, what, msg);
}

static void maybe_done(struct scan *s)
{
    size_t in_flight = s->cfg->concurrency - s->n_free;
    int reprobes_done = s->reprobe_busy == 0 && (s->stopping || s->next_reprobe == s->n_reprobe);
    if ((s->input_done || s->stopping) && in_flight == 0 && reprobes_done)
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

/* --previous: the domain's changes since the old scan (pipeline/monitor.h); its old row was looked
 * up when it finished (d->previous). */
static void compare_previous(struct scan *s, const struct domain *d)
{
    int rc = monitor_domain(s->monitor, d->previous, d->result);
    if (rc == -1)
        outputs_failed(&s->outs, OUTPUTS_CHANGES);
    else if (rc < 0)
        fatal(s, "comparing with --previous", "out of memory");
}

static void on_domain_finish(struct domain *d, void *arg)
{
    struct scan *s = arg;
    if (s->abandoning) { /* the writers are closed; the row was never going to be complete */
        domain_recycle(d);
        s->free_list[s->n_free++] = d;
        return;
    }
    if (check_dns_abort(s, 0)) {
        domain_recycle(d);
        s->free_list[s->n_free++] = d;
        maybe_done(s);
        return;
    }
    s->counters.done++;
    s->counters.by_verdict[d->result->verdict]++;
    summary_add(&s->summary, d->result);
    if (s->hooks)
        s->hooks->report(d, s->hooks->arg);
    else if (csvout_write_domain(s->out, d->result) != ZWRITER_OK)
        outputs_failed(&s->outs, OUTPUTS_DOMAIN);
    if (s->edge_out && csvout_write_edges(s->edge_out, d->result) != ZWRITER_OK)
        outputs_failed(&s->outs, OUTPUTS_EDGE);
    if (s->monitor)
        compare_previous(s, d);
    if (s->cfg->has_fail_on && changes_failon_result(&s->cfg->fail_on, d->result))
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
    if (s->abandoning)
        return;
    if (s->hooks && s->hooks->mx_probe)
        s->hooks->mx_probe(host, addr, res, s->hooks->arg);
    /* --previous: MX certificate dates for cert_expiring, known here (often after the domains
     * finished: the certificate rules wait for finish_monitoring) */
    if (s->monitor && monitor_mx_cert(s->monitor, host, res->tls.not_after) != 0)
        fatal(s, "comparing with --previous", "out of memory");
    if (!s->mx_out)
        return;
    if (csvout_write_mx(s->mx_out, host, addr, res, domains_sharing, probed_at) != ZWRITER_OK)
        outputs_failed(&s->outs, OUTPUTS_MX);
}

/* ---- starting domains ----------------------------------------------------------------------- */

/* Reads input until one line yields a domain or an invalid row; 0 at end of input. */
static int next_entry(struct scan *s, struct input_entry *e, enum input_line_kind *kind)
{
    struct input_line line;
    for (;;) {
        if (s->hooks) { /* the DOMAIN arguments: each one gets a report, none is skipped */
            if (s->next_domain >= s->cfg->n_domains)
                return 0;
            const char *a = s->cfg->domains[s->next_domain++];
            *kind = input_parse_argument(a, (long)s->next_domain, e);
            return 1;
        }
        int r = input_next(s->input, &line);
        if (r < 0) {
            /* Every line before the damage is scanned: finish the domains in flight. */
            fprintf(stderr, "mtasts-scan: reading input: %s (finishing the domains already "
                            "started)\n", input_error(s->input));
            metadata_reason(&s->md, "reading input: %s", input_error(s->input));
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

static void on_reprobe(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    (void)o; /* its rows go to the MX table through on_mx_row, like every probe's */
    struct reprobe *r = w->arg;
    r->s->reprobe_busy--;
    if (!r->s->stopping) /* not from here: a cached host calls back inside feed_reprobes */
        event_active(r->s->pump, EV_TIMEOUT, 0);
    maybe_done(r->s);
}

/* Asks the MX cache for the next hosts of the --resume rows, as long as it has fewer than
 * --concurrency hosts in work, so they share the scan's pace with the domains. */
static void feed_reprobes(struct scan *s)
{
    while (!s->stopping && s->next_reprobe < s->n_reprobe &&
           mxcache_busy(s->env.mx) < (size_t)s->cfg->concurrency) {
        size_t n;
        const struct resume_mx_host *h = resume_mx_hosts(s->resume, &n);
        struct reprobe *r = &s->reprobe[s->next_reprobe];
        r->s = s;
        r->w.cb = on_reprobe;
        r->w.arg = r;
        s->reprobe_busy++;
        mxcache_get_for(s->env.mx, h[s->next_reprobe].host, h[s->next_reprobe].rows, &r->w);
        s->next_reprobe++;
    }
}

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct scan *s = arg;
    feed_reprobes(s);
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
        const char *listed = blocklist_match_domain(s->env.blocklist, e.domain);
        if (listed) { /* a row, and not a single packet */
            domain_exclude(d, &s->env, e.domain, e.rank, listed);
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
    outputs_tick(&s->outs, now);
    if (show_progress(s))
        print_progress(s);
    /* MX hosts of --resume rows still to ask, the cache having been full of jobs no domain waits
     * for (cut by --domain-timeout): their ends wake nobody */
    if (!s->stopping && s->next_reprobe < s->n_reprobe)
        event_active(s->pump, EV_TIMEOUT, 0);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct scan *s = arg;
    if (s->stopping) {
        fprintf(stderr, "\nmtasts-scan: second signal, stopping now; rows written so far are kept\n");
        if (s->exit_code == SCAN_EXIT_OK)
            s->exit_code = SCAN_EXIT_INTERRUPTED;
        snprintf(s->md.reason, sizeof(s->md.reason), "%s twice: stopped at once, domains in flight "
                 "have no row", strsignal((int)sig));
        event_base_loopbreak(s->base);
        return;
    }
    fprintf(stderr, "\nmtasts-scan: %s: no new domains; finishing the %zu in flight (again to stop now)\n",
            strsignal((int)sig), (size_t)(s->cfg->concurrency - s->n_free));
    s->stopping = 1;
    s->exit_code = SCAN_EXIT_INTERRUPTED;
    metadata_reason(&s->md, "%s: stopped starting new domains, finished those in flight",
                    strsignal((int)sig));
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

static void hold_stop_signals(int how);

/* ---- signals while a table loads ----------------------------------------------------------- */

static volatile sig_atomic_t load_signal;

static void on_load_signal(int sig)
{
    load_signal = sig;
}

struct live_signals {
    struct sigaction old_int, old_term;
};

/* SIGINT and SIGTERM are held during set-up (hold_stop_signals), but loading a --resume or
 * --previous table can take long (or never end, on a device): between live_signals_begin and
 * live_signals_end they raise csvin's interrupt flag instead, so the reader stops at its next
 * block and the scan ends with status 130 before it scans anything. */
static void live_signals_begin(struct live_signals *ls)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_load_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a read blocked on a pipe returns */
    load_signal = 0;
    sigaction(SIGINT, &sa, &ls->old_int);
    sigaction(SIGTERM, &sa, &ls->old_term);
    csvin_set_interrupt(&load_signal);
    hold_stop_signals(SIG_UNBLOCK);
}

/* Holds the signals again; 1 (status 130 set, reason recorded) when one came while loading what. */
static int live_signals_end(struct scan *s, struct live_signals *ls, const char *what)
{
    hold_stop_signals(SIG_BLOCK);
    csvin_set_interrupt(NULL);
    sigaction(SIGINT, &ls->old_int, NULL);
    sigaction(SIGTERM, &ls->old_term, NULL);
    if (!load_signal)
        return 0;
    fprintf(stderr, "mtasts-scan: %s while loading %s: stopped before scanning\n",
            strsignal((int)load_signal), what);
    metadata_reason(&s->md, "%s while loading %s: stopped before scanning", strsignal((int)load_signal), what);
    s->exit_code = SCAN_EXIT_INTERRUPTED;
    return 1;
}

static int open_resume(struct scan *s)
{
    char err[512];
    if (!s->cfg->resume)
        return 0;
    /* A killed run's MX table lacks the rows its cache still held (they are written when a
     * host's count is final): the MX hosts of the rows skipped here are probed again, so the
     * merged MX table has every host (`merge --mx` keeps each (host, address) once). */
    const struct config *c = s->cfg;
    int want_mx = c->mx_output && !c->dns_only && c->starttls != STARTTLS_MODE_NONE;
    struct live_signals ls;
    live_signals_begin(&ls);
    s->resume = resume_load_mx(c->resume, want_mx, err, sizeof(err));
    if (live_signals_end(s, &ls, "--resume")) {
        resume_free(s->resume);
        s->resume = NULL;
        return -1;
    }
    if (!s->resume) {
        scan_error(s, err);
        return -1;
    }
    resume_mx_hosts(s->resume, &s->n_reprobe);
    if (s->n_reprobe > 0 && (s->reprobe = calloc(s->n_reprobe, sizeof(*s->reprobe))) == NULL) {
        scan_error(s, "resume: out of memory");
        return -1;
    }
    if (s->n_reprobe > 0 && c->progress != PROGRESS_OFF)
        fprintf(stderr, "mtasts-scan: resuming: the %zu MX hosts of those rows are probed again "
                        "for --mx-output (an earlier run killed before its end lost their rows)\n",
                s->n_reprobe);
    if (s->cfg->progress != PROGRESS_OFF)
        fprintf(stderr, "mtasts-scan: resuming: %zu domains already done in %s%s\n",
                resume_count(s->resume), s->cfg->resume,
                resume_truncated(s->resume) ? " (it ends in a cut row: that domain is scanned again)" : "");
    return 0;
}

/* --previous: loads the old scan's compact index; the changes go to --changes-output (one of
 * the outputs, opened by then). */
static int open_monitor(struct scan *s)
{
    const struct config *c = s->cfg;
    if (!c->previous)
        return 0;
    struct changes_opts o;
    changes_opts_defaults(&o);
    o.expiry_days = c->expiry_days;
    o.testing_days = c->testing_days;
    struct live_signals ls;
    live_signals_begin(&ls);
    s->monitor = monitor_open("mtasts-scan: --previous", c->previous, outputs_csv(&s->outs, OUTPUTS_CHANGES), &o,
                                   c->has_fail_on ? &c->fail_on : NULL, c->allow_partial, stderr);
    if (live_signals_end(s, &ls, "--previous")) {
        monitor_free(s->monitor);
        s->monitor = NULL;
        return -1;
    }
    if (!s->monitor) {
        metadata_reason(&s->md, "--previous %s could not be read", c->previous);
        return -1;
    }
    monitor_defer_certs(s->monitor);
    s->env.monitor = s->monitor;
    return 0;
}

static int open_files(struct scan *s)
{
    char err[512];
    if (s->hooks)
        return 0; /* no input file, no CSV: every result goes to the hooks */
    if (open_resume(s) < 0)
        return -1;
    /* before input_open, which already waits for the first bytes */
    if (strcmp(s->cfg->input, "-") == 0 && isatty(STDIN_FILENO))
        fprintf(stderr, "mtasts-scan: reading domains from stdin, one per line (end with Ctrl-D); "
                        "give a file as INPUT, or see --help\n");
    s->input = input_open(s->cfg->input, err, sizeof(err));
    if (!s->input) {
        scan_error(s, err);
        if (config_input_looks_like_domain(s->cfg->input) && access(s->cfg->input, F_OK) != 0)
            fprintf(stderr, "mtasts-scan: INPUT is a file of domains, one per line; to scan one "
                            "domain: echo %s | mtasts-scan -\n", s->cfg->input);
        return -1;
    }
    if (outputs_open(&s->outs, err, sizeof(err)) < 0) {
        scan_error(s, err);
        return -1;
    }
    s->out = outputs_csv(&s->outs, OUTPUTS_DOMAIN);
    s->mx_out = outputs_csv(&s->outs, OUTPUTS_MX);
    s->edge_out = outputs_csv(&s->outs, OUTPUTS_EDGE);
    return open_monitor(s);
}

static int open_services(struct scan *s)
{
    char err[512];
    struct dns_opts dopts = {.servers = s->cfg->resolvers, .timeout_sec = config_dns_timeout(s->cfg),
                             .tries = s->cfg->retries + 1, .max_inflight = s->cfg->dns_inflight,
                             .rate = s->cfg->dns_rate};
    s->env.base = s->base;
    s->env.cfg = s->cfg;
    s->env.finish = on_domain_finish;
    s->env.finish_arg = s;
    s->env.dns = dns_new(s->base, &dopts, err, sizeof(err));
    if (!s->env.dns) {
        scan_error(s, err);
        return -1;
    }
    if (!s->cfg->dns_only) {
        s->env.ssl_ctx = tlscheck_ctx_new(s->cfg->ca_file, err, sizeof(err));
        if (!s->env.ssl_ctx) {
            scan_error(s, err);
            return -1;
        }
    }
    s->env.tls = tlsworker_new(s->base, s->env.ssl_ctx, s->cfg->dns_only ? 0 : (int)s->cfg->tls_threads,
                               err, sizeof(err));
    if (!s->env.tls) {
        scan_error(s, err);
        return -1;
    }
    s->env.report = s->hooks != NULL;
    s->env.mx = mxcache_new(s->base, s->env.dns, s->env.tls, s->cfg,
                            s->cfg->mx_output || s->cfg->previous || (s->hooks && s->hooks->mx_probe)
                                ? on_mx_row : NULL, s);
    if (s->cfg->n_blocklist > 0 &&
        !(s->env.blocklist = blocklist_load_files(s->cfg->blocklist, (size_t)s->cfg->n_blocklist, err,
                                                  sizeof(err)))) {
        scan_error(s, err);
        return -1;
    }
    if (s->env.mx)
        mxcache_set_blocklist(s->env.mx, s->env.blocklist);
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

/* The resolver's DNSSEC validation is known: say once when DANE cannot be judged, then start
 * the domains (their MX answers are read in its light). */
static void on_dnssec_probe(enum dns_validation v, enum dns_status st, void *arg)
{
    struct scan *s = arg;
    s->md.dnssec_probed = 1;
    s->md.dnssec_probe = st;
    s->md.dnssec_validation = v;
    if (s->stopping || s->abandoning)
        return;
    /* -q keeps stderr for errors only; the record (--metadata) always has it */
    int say = s->cfg->progress != PROGRESS_OFF;
    if (say && v == DNS_VALIDATION_NO)
        fprintf(stderr, "mtasts-scan: the resolver does not validate DNSSEC (the root DNSKEY came "
                        "back without the AD bit): DANE is reported as unchecked; use a validating "
                        "resolver (unbound, BIND, 1.1.1.1, 8.8.8.8, 9.9.9.9) for DANE results\n");
    else if (say && v == DNS_VALIDATION_UNKNOWN)
        fprintf(stderr, "mtasts-scan: could not find out whether the resolver validates DNSSEC "
                        "(the root DNSKEY lookup ended with %s): DANE is reported as unchecked\n",
                dns_status_str(st));
    event_active(s->pump, EV_TIMEOUT, 0);
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
    dns_probe_dnssec(s->env.dns, on_dnssec_probe, s); /* its answer starts the pump */
    return 0;
}

/* 1 when this run's files must not take their final names: it failed (a write error, unreadable
 * input, no resolver answering...) or was interrupted (SIGINT/SIGTERM, 130).  One rule for every
 * output: only a scan that read its input to the end publishes; any other keeps NAME.partial,
 * so a day cut short is never read as a finished one (by `diff`, `--previous` or a report), and
 * --resume takes it from there.  Its --metadata record says "interrupted" or "failed". */
static int run_incomplete(const struct scan *s)
{
    return s->exit_code != SCAN_EXIT_OK;
}

/* Closes the outputs (published together only when the run completed, see outputs.h), the
 * input and the resume file.  An output error sets the exit status through fatal(). */
static void close_files(struct scan *s, int started)
{
    outputs_close(&s->outs, started, run_incomplete(s), &s->summary, stderr);
    s->out = s->mx_out = s->edge_out = NULL;
    char work[4096];
    if (started && s->exit_code == SCAN_EXIT_INTERRUPTED && strcmp(s->cfg->output, "-") != 0 &&
        zwriter_partial_path(s->cfg->output, work, sizeof(work)) && access(work, F_OK) == 0)
        fprintf(stderr, "mtasts-scan: interrupted: nothing was published; continue with "
                        "--resume %s and a new -o\n", work);
    if (s->input)
        input_close(s->input);
    s->input = NULL;
    resume_free(s->resume);
    s->resume = NULL;
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
}

/* Domains still in flight after a second signal or a fatal error are abandoned: returned to
 * IDLE first (their policy fetch cancelled, their address tickets released), so that the
 * callbacks the services run while they are freed (DNS answers cancelled with an error, shared MX
 * jobs failing) find only idle domains and do nothing.  No row is written for them: the writers
 * are closed already. */
static void abandon_in_flight(struct scan *s)
{
    s->abandoning = 1;
    for (size_t i = 0; i < s->next_reprobe; i++)
        mxcache_cancel_waiter(s->env.mx, &s->reprobe[i].w);
    for (long i = 0; i < s->cfg->concurrency && s->pool; i++)
        if (s->pool[i].stage != DOMAIN_IDLE) {
            domain_recycle(&s->pool[i]);
            s->free_list[s->n_free++] = &s->pool[i];
        }
}

/* Frees everything, in flight or not.  DNS goes first: its cancelled queries call back into the
 * MX cache and the (idle) domains, which must still exist; the MX cache then cancels its probes
 * before the TLS workers are joined. */
static void free_all(struct scan *s)
{
    abandon_in_flight(s);
    dns_free(s->env.dns);
    mxcache_free(s->env.mx);
    addrlimit_free(s->env.https_limit);
    blocklist_free(s->env.blocklist);
    tlsworker_free(s->env.tls);
    if (s->env.ssl_ctx)
        SSL_CTX_free(s->env.ssl_ctx);
    if (s->pump) event_free(s->pump);
    if (s->tick) event_free(s->tick);
    if (s->sig_int) event_free(s->sig_int);
    if (s->sig_term) event_free(s->sig_term);
    /* The base before the pool: an event a domain still holds is removed from the base while
     * the domain's memory exists. */
    event_base_free(s->base);
    for (long i = 0; i < s->cfg->concurrency && s->pool; i++)
        domain_slot_free(&s->pool[i]);
    free(s->pool);
    free(s->free_list);
    free(s->reprobe);
    monitor_free(s->monitor);
}

/* Holds (how = SIG_BLOCK) or releases SIGINT and SIGTERM.  They are held during set-up: one that
 * comes before the loop's handlers exist is delivered to them, instead of killing the process
 * with its work files half set up. */
static void hold_stop_signals(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(how, &set, NULL);
}

/* ---- the --metadata record ---------------------------------------------------------------- */

/* Points the record at the live counters (they exist once set-up is done). */
static void metadata_attach(struct scan *s)
{
    s->md.by_verdict = s->counters.by_verdict;
    s->md.dns = s->env.dns ? dns_counters(s->env.dns) : NULL;
    s->md.smtp = s->env.mx ? mxcache_counters(s->env.mx) : NULL;
}

/* Input facts, taken before the input is closed: a file the scan stopped reading early is hashed
 * to its end so the record names the list even after an interruption. */
static void metadata_input(struct scan *s)
{
    if (!s->input)
        return;
    s->md.input_lines = input_lines_read(s->input);
    s->md.input_read_complete = input_digest(s->input, 0, s->md.input_sha256, &s->md.input_bytes);
    if (!s->md.input_read_complete)
        input_digest(s->input, 1, s->md.input_sha256, &s->md.input_bytes);
}

/* Writes the record (no-op without --metadata); the final one sets the status from the exit
 * code.  Returns -1 when the file cannot be written (exit status 1). */
static int metadata_save(struct scan *s, int final)
{
    char err[512];
    if (!s->cfg->metadata)
        return 0;
    struct metadata *m = &s->md;
    m->entries = s->counters.lines;
    m->started_domains = s->counters.started;
    m->rows = s->counters.done;
    m->skipped_shard = s->counters.skipped_shard;
    m->skipped_resume = s->counters.skipped_resume;
    m->https_fetches = s->env.https_fetches;
    if (final) {
        m->exit_status = s->exit_code;
        m->status = s->exit_code == SCAN_EXIT_OK || s->exit_code == SCAN_EXIT_FAIL_ON ? METADATA_COMPLETED
                    : s->exit_code == SCAN_EXIT_INTERRUPTED ? METADATA_INTERRUPTED : METADATA_FAILED;
        if (m->status == METADATA_FAILED)
            metadata_reason(m, "failed (the error is on stderr)");
        m->ended = time(NULL);
        m->duration_sec = s->base ? now_sec(s) - s->t0 : 0;
    }
    if (metadata_write(m, s->cfg->metadata, err, sizeof(err)) != 0) {
        fprintf(stderr, "mtasts-scan: %s\n", err);
        s->exit_code = SCAN_EXIT_FATAL;
        return -1;
    }
    return 0;
}

/* The "running" record, before any output file is opened: an unwritable --metadata path stops
 * the scan before it truncates anything. */
static int metadata_start(struct scan *s)
{
    metadata_attach(s);
    if (metadata_save(s, 0) < 0) {
        s->md_failed = 1;
        return -1;
    }
    return 0;
}

/* --previous: the removed domains and the certificate rows (every MX row is known now), then the
 * changes summary line.  Before the outputs are closed: the changes table is one of them. */
static void finish_monitoring(struct scan *s)
{
    if (!s->monitor)
        return;
    int complete = s->exit_code == SCAN_EXIT_OK;
    if (!complete)
        fprintf(stderr, "changes: the scan did not finish: old domains it did not reach are not "
                        "listed as domain_removed\n");
    if (monitor_finish(s->monitor, complete) != 0)
        outputs_failed(&s->outs, OUTPUTS_CHANGES);
    s->fail_on_changes = monitor_failures(s->monitor);
}

/* --fail-on: exit status 3 when a listed verdict, issue code or change occurred and nothing
 * worse happened (the results were published as usual). */
static void fail_on_status(struct scan *s)
{
    if (!s->cfg->has_fail_on || (s->fail_on_domains == 0 && s->fail_on_changes == 0))
        return;
    fprintf(stderr, "fail-on: %lu domains with a listed verdict or issue, %lu listed changes\n",
            s->fail_on_domains, s->fail_on_changes);
    if (s->exit_code == SCAN_EXIT_OK)
        s->exit_code = SCAN_EXIT_FAIL_ON;
}

int scan_run(const struct config *cfg)
{
    return scan_run_hooks(cfg, NULL);
}

int scan_run_hooks(const struct config *cfg, const struct scan_hooks *hooks)
{
    struct scan s;
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    s.hooks = hooks;
    /* The status line is redrawn in place on a terminal, but not over CSV rows going to the
     * same terminal: then it is off by default and printed as whole lines with --progress. */
    /* check has no -o (cfg->output NULL): its report goes to stdout */
    s.tty = isatty(STDERR_FILENO) &&
            !((!cfg->output || strcmp(cfg->output, "-") == 0) && isatty(STDOUT_FILENO));
    metadata_init(&s.md, cfg);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error we report, not a silent death */
    summary_init(&s.summary);
    outputs_init(&s.outs, hooks ? NULL : cfg, on_output_failed, &s); /* a report writes no file */
    int checked = outputs_check(&s.outs, cfg, stderr);
    if (checked < 0)
        return checked == -2 ? SCAN_EXIT_USAGE : SCAN_EXIT_FATAL;
    hold_stop_signals(SIG_BLOCK);
    s.base = event_base_new();
    if (!s.base) {
        s.exit_code = SCAN_EXIT_FATAL;
        metadata_reason(&s.md, "cannot create the event loop");
        metadata_save(&s, 1);
        return SCAN_EXIT_FATAL;
    }
    s.t0 = now_sec(&s);
    ratelimit_init(&s.rate, cfg->rate, cfg->rate > 10 ? cfg->rate / 10 : 1, s.t0);
    /* Services first: a bad --resolver or --ca-file must not even create a work file; the
     * --metadata record is written (status running) before any output is opened. */
    if (open_services(&s) < 0 || open_pool(&s) < 0 || metadata_start(&s) < 0 || open_files(&s) < 0 ||
        open_events(&s) < 0) {
        if (s.exit_code != SCAN_EXIT_INTERRUPTED) /* a signal while loading --resume/--previous */
            s.exit_code = SCAN_EXIT_FATAL;
        metadata_attach(&s);
        if (!s.md_failed)
            metadata_save(&s, 1);
        close_files(&s, 0);
        free_all(&s);
        return s.exit_code;
    }
    hold_stop_signals(SIG_UNBLOCK);
    s.total_lines = hooks ? (unsigned long)cfg->n_domains : count_lines(cfg->input);
    event_base_dispatch(s.base);
    if (s.exit_code == SCAN_EXIT_OK)
        check_dns_abort(&s, 1);
    mxcache_flush(s.env.mx); /* the MX rows of cached hosts, with their final counts */
    finish_monitoring(&s);
    metadata_input(&s);
    close_files(&s, 1);
    fail_on_status(&s);
    print_final(&s);
    metadata_save(&s, 1);
    free_all(&s);
    return s.exit_code;
}
