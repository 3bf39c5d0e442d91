/*
 * scan: input -> domain state machines -> CSV.  Memory is the domain pool (--concurrency slots,
 * allocated once), the MX cache (capped) and the writers' buffers: nothing grows with the input.
 * Starting domains happens in one place, on_pump, which runs as an event so that a domain
 * finishing deep inside a c-ares or OpenSSL callback never recurses into starting the next one.
 *
 * --jobs N runs N engines, each on its own thread with its own loop, c-ares channel, TLS worker,
 * per-address limits (each with a 1/N share of the limits, so that they hold for the scan as a
 * whole) and its own slice of the pool.  The MX cache is one for the scan: each engine's holds
 * the hosts it owns and the others' requests for them cross threads (pipeline/mxroute).  What must exist once is the scan's, behind two
 * locks: in_lock for the input, --resume's multiset, the line counters and the global --rate
 * bucket (an engine takes the next line when it has a free slot, so a stdin or .zst input is read
 * once and a slow engine takes fewer lines); out_lock for the writers, the summary, --previous,
 * --fail-on, the row counters and the exit status.  Lock order: in_lock before out_lock.  Engine
 * 0 runs on the calling thread and also owns the once-a-second tick, the signals and the --resume
 * MX reprobes; its loop ends last.  With --jobs 1 no other thread exists and nothing else changes.
 */
#include "pipeline/scan.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "output/summary.h"
#include "lib/blocklist.h"
#include "pipeline/monitor.h"
#include "pipeline/mxroute.h"
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

struct scan;

/* One engine: a loop and everything a domain's stages use, with its share of the pool. */
struct engine {
    struct scan *s;
    size_t id;
    struct config cfg;          /* the scan's, with this engine's share of the limits */
    struct event_base *base;
    struct domain_env env;
    struct domain *pool;
    struct domain **free_list;
    size_t n_pool, n_free;
    struct event *pump;
    struct event *wake;         /* --jobs > 1: another thread changed the shared state */
    int wake_fd;                /* its eventfd; -1 without */
    int dns_cancelled;          /* its lookups were ended after the DNS abort */
    atomic_size_t busy;         /* domains in flight, for engine 0's status line */
    /* its counters as of its last row (under out_lock), for the status line and the DNS abort */
    struct dns_counters dns_seen;
    unsigned long https_seen, probes_seen;
    pthread_t thread;
    int started;                /* its thread runs (engines 1..N-1) */
};

struct scan {
    const struct config *cfg;
    struct engine *eng;         /* eng[0] runs on the calling thread */
    size_t n_eng;
    pthread_mutex_t in_lock, out_lock;
    struct mxroute **routes;    /* every engine's, by id */
    struct input *input;
    struct resume *resume;      /* NULL unless --resume */
    struct reprobe *reprobe;    /* the MX hosts of the --resume rows, probed again (see open_resume) */
    size_t n_reprobe, next_reprobe, reprobe_busy;
    struct outputs outs;
    struct csvout *out, *mx_out, *edge_out; /* the open writers of -o, --mx-output, --domain-mx-output */
    struct summary summary;
    SSL_CTX *ssl_ctx;           /* shared by every engine's TLS worker; NULL with --dns-only */
    struct blocklist *blocklist; /* --blocklist, read by every engine; NULL = none */
    struct ratelimit rate;
    struct event *tick, *sig_int, *sig_term; /* on engine 0 */
    atomic_int input_done, stopping;
    atomic_int breaking;        /* stop every loop now (second signal, fatal error) */
    atomic_int dns_aborted;     /* no resolver answers: every engine ends its lookups */
    atomic_int finished;        /* engine 0 found the whole scan done: every loop ends */
    int exit_code, tty;
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
    struct dns_counters dns_total;      /* every engine's, summed for the record and the end */
    struct mxcache_counters mx_total;
    unsigned long https_total;
    const struct scan_hooks *hooks; /* NULL: a bulk scan writing CSV */
    int next_domain;                /* hooks: index into cfg->domains */
};

/* The engine whose loop runs on this thread (NULL outside any loop). */
static _Thread_local struct engine *this_engine;

static double now_sec(struct engine *e)
{
    struct timeval tv;
    event_base_gettimeofday_cached(e->base, &tv);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Wakes engine e's loop from another thread: its on_wake looks at the shared flags. */
static void engine_wake(struct engine *e)
{
    uint64_t one = 1;
    if (e->wake_fd >= 0 && write(e->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        fprintf(stderr, "mtasts-scan: waking an engine: %s\n", strerror(errno));
}

/* Wakes every engine but the one of this thread. */
static void wake_others(struct scan *s)
{
    for (size_t i = 0; i < s->n_eng; i++)
        if (&s->eng[i] != this_engine)
            engine_wake(&s->eng[i]);
}

/* Ends every loop at once: this thread's now, the others' when their wake is read. */
static void break_all(struct scan *s)
{
    s->breaking = 1;
    if (this_engine)
        event_base_loopbreak(this_engine->base);
    wake_others(s);
}

/* Prints an error and keeps the first one as the --metadata reason. */
static void scan_error(struct scan *s, const char *msg)
{
    fprintf(stderr, "mtasts-scan: %s\n", msg);
    metadata_reason(&s->md, "%s", msg);
}

/* Stops the scan with exit status 1.  Only the first fatal error is printed: on a full disk or a
 * closed stdout every later row fails the same way, and one line says it.  Called with out_lock
 * held (or before or after the loops run). */
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
    break_all(s);
}

/* A result file could not be written (pipeline/outputs.h): stops the scan. */
static void on_output_failed(void *arg, const char *what, const char *msg)
{
    fatal(arg, what, msg);
}

/* Domains in flight in every engine. */
static size_t in_flight_all(struct scan *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_eng; i++)
        n += atomic_load_explicit(&s->eng[i].busy, memory_order_relaxed);
    return n;
}

/* Ends the loops once nothing is left to do.  Engine 0 decides for all: an engine's cache may be
 * probing a host for another engine's domain, so no loop ends before every engine is idle; the
 * others tell engine 0 when they have nothing in flight. */
static void maybe_done(struct engine *e)
{
    struct scan *s = e->s;
    if (!s->input_done && !s->stopping)
        return;
    if (e->id != 0) {
        if (e->n_free == e->n_pool)
            engine_wake(&s->eng[0]);
        return;
    }
    int reprobes_done = s->reprobe_busy == 0 && (s->stopping || s->next_reprobe == s->n_reprobe);
    if (!reprobes_done || e->n_free != e->n_pool)
        return;
    if (s->n_eng > 1) { /* an engine taking a line now has counted it, or sees the stop */
        pthread_mutex_lock(&s->in_lock);
        pthread_mutex_unlock(&s->in_lock);
    }
    if (in_flight_all(s) != 0)
        return;
    s->finished = 1;
    wake_others(s);
    event_base_loopexit(e->base, NULL);
}

/* ---- rows --------------------------------------------------------------------------------- */

static void on_dns_abort(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct engine *e = arg;
    e->dns_cancelled = 1;
    dns_cancel_all(e->env.dns);
    maybe_done(e);
}

/* 1 when this thread may read e's counters as they are: e is its engine, or no loop runs. */
static int counters_live(const struct engine *e)
{
    return this_engine == NULL || this_engine == e;
}

/* Sums the engines' DNS counters into out (another engine's as of its last row). */
static void dns_total(struct scan *s, struct dns_counters *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < s->n_eng; i++) {
        const struct dns_counters *c = counters_live(&s->eng[i]) ? dns_counters(s->eng[i].env.dns)
                                                                 : &s->eng[i].dns_seen;
        out->sent += c->sent;
        out->answered += c->answered;
        out->failed += c->failed;
        out->timed_out += c->timed_out;
        out->queued_peak += c->queued_peak; /* each engine has its own queue */
        for (int k = 0; k < DNS_STATUS__COUNT; k++)
            out->by_status[k] += c->by_status[k];
    }
}

/* ZMap-style abort on an anomaly: when the first --dns-abort-after lookups (of all engines) all
 * went unanswered (or a smaller scan got no DNS reply at all), no resolver works and every row is
 * a dns_error.  Starts no more domains and cancels the lookups in flight in every engine; returns
 * 1 once the scan is aborted, so that no further row is written.  Called with out_lock held. */
static int check_dns_abort(struct scan *s, int finished)
{
    struct dns_counters dc;
    char causes[160];
    if (s->exit_code == SCAN_EXIT_NO_RESOLVER)
        return 1;
    if (s->stopping)
        return 0;
    dns_total(s, &dc);
    if (!dns_counters_no_answer(&dc, (unsigned long)s->cfg->dns_abort_after, finished))
        return 0;
    fprintf(stderr, "%smtasts-scan: %s %lu DNS lookups failed (%s): no resolver answers; check "
                    "--resolver, or --dns-abort-after 0 to scan anyway%s\n",
            s->tty ? "\n" : "", finished ? "all" : "the first", dns_counters_ended(&dc),
            dns_counters_failures(&dc, causes, sizeof(causes)),
            s->counters.done ? ".  The rows written are not results: scan again, not --resume" : "");
    s->exit_code = SCAN_EXIT_NO_RESOLVER;
    s->stopping = 1;
    /* End the lookups in flight from the loop, not from this DNS callback; their domains then
     * finish without rows and the loop ends with everything freed.  The other engines do the same
     * when they read their wake. */
    struct timeval now = {0, 0};
    if (!finished) {
        s->dns_aborted = 1;
        event_base_once(this_engine->base, -1, EV_TIMEOUT, on_dns_abort, this_engine, &now);
        wake_others(s);
    }
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

/* Returns d's slot to its engine. */
static void release_slot(struct engine *e, struct domain *d)
{
    domain_recycle(d);
    e->free_list[e->n_free++] = d;
    atomic_store_explicit(&e->busy, e->n_pool - e->n_free, memory_order_relaxed);
}

static void on_domain_finish(struct domain *d, void *arg)
{
    struct engine *e = arg;
    struct scan *s = e->s;
    if (s->abandoning) { /* the writers are closed; the row was never going to be complete */
        release_slot(e, d);
        return;
    }
    pthread_mutex_lock(&s->out_lock);
    if (s->n_eng > 1) { /* what the status line and the DNS abort read of this engine */
        e->dns_seen = *dns_counters(e->env.dns);
        e->https_seen = e->env.https_fetches;
        e->probes_seen = mxcache_counters(e->env.mx)->probes_started;
    }
    if (check_dns_abort(s, 0)) {
        pthread_mutex_unlock(&s->out_lock);
        release_slot(e, d);
        maybe_done(e);
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
    pthread_mutex_unlock(&s->out_lock);
    release_slot(e, d);
    if (!s->stopping)
        event_active(e->pump, EV_TIMEOUT, 0);
    maybe_done(e);
}

static void on_mx_row(const char *host, const char *addr, const struct smtp_probe_result *res,
                      long domains_sharing, time_t probed_at, const struct mx_outcome *o,
                      void *arg)
{
    struct scan *s = arg;
    if (s->abandoning)
        return;
    pthread_mutex_lock(&s->out_lock);
    if (s->hooks && s->hooks->mx_probe)
        s->hooks->mx_probe(host, addr, res, s->hooks->arg);
    /* --previous: MX certificate dates for cert_expiring, known here (often after the domains
     * finished: the certificate rules wait for finish_monitoring) */
    if (s->monitor && monitor_mx_cert(s->monitor, host, res->tls.not_after) != 0)
        fatal(s, "comparing with --previous", "out of memory");
    if (s->mx_out) {
        struct schema_mx_row row;
        schema_mx_row_fill(&row, host, addr, res, domains_sharing, probed_at);
        if (o && o->probes.tlsa_queried) /* the host's TLSA records, kept once in its entry */
            schema_mx_row_set_tlsa(&row, (enum dns_sec)o->probes.tlsa_sec, o->tlsa);
        if (csvout_write_record(s->mx_out, &row) != ZWRITER_OK)
            outputs_failed(&s->outs, OUTPUTS_MX);
    }
    pthread_mutex_unlock(&s->out_lock);
}

/* ---- starting domains ----------------------------------------------------------------------- */

/* Reads input until one line yields a domain or an invalid row; 0 at end of input.  Called with
 * in_lock held. */
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
            pthread_mutex_lock(&s->out_lock);
            metadata_reason(&s->md, "reading input: %s", input_error(s->input));
            s->exit_code = SCAN_EXIT_FATAL;
            pthread_mutex_unlock(&s->out_lock);
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

static void schedule_pump(struct engine *e, double wait)
{
    struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 500};
    event_add(e->pump, &tv);
}

static void on_reprobe(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    (void)o; /* its rows go to the MX table through on_mx_row, like every probe's */
    struct reprobe *r = w->arg;
    struct engine *e0 = &r->s->eng[0];
    r->s->reprobe_busy--;
    if (!r->s->stopping) /* not from here: a cached host calls back inside feed_reprobes */
        event_active(e0->pump, EV_TIMEOUT, 0);
    maybe_done(e0);
}

/* Asks engine 0's MX cache for the next hosts of the --resume rows, as long as it has fewer than
 * its share of --concurrency hosts in work, so they share the scan's pace with the domains. */
static void feed_reprobes(struct scan *s)
{
    struct engine *e0 = &s->eng[0];
    /* with several engines the hosts are in several caches: count the reprobes themselves */
    while (!s->stopping && s->next_reprobe < s->n_reprobe &&
           (s->n_eng == 1 ? mxcache_busy(e0->env.mx) : s->reprobe_busy) < (size_t)e0->cfg.concurrency) {
        size_t n;
        const struct resume_mx_host *h = resume_mx_hosts(s->resume, &n);
        struct reprobe *r = &s->reprobe[s->next_reprobe];
        r->s = s;
        r->w.cb = on_reprobe;
        r->w.arg = r;
        s->reprobe_busy++;
        mxroute_get_for(e0->env.mxroute, h[s->next_reprobe].host, h[s->next_reprobe].rows, &r->w);
        s->next_reprobe++;
    }
}

/* What the pump took from the shared input for one slot. */
enum take { TAKE_NONE, TAKE_WAIT, TAKE_START, TAKE_REJECT, TAKE_EXCLUDE };

/* Under in_lock: the next line for engine e, a --rate token for a domain it will contact, and a
 * free slot for it (*d); counted in flight before in_lock is released (see maybe_done). */
static enum take take_line(struct engine *e, struct input_entry *ent, const char **listed,
                           double *wait, struct domain **d)
{
    struct scan *s = e->s;
    enum input_line_kind kind;
    enum take t;
    pthread_mutex_lock(&s->in_lock);
    double now = now_sec(e);
    if (now < s->rate.last) /* another engine's loop read the clock a moment later */
        now = s->rate.last;
    if (s->input_done || s->stopping) {
        t = TAKE_NONE;
    } else if ((*wait = ratelimit_wait(&s->rate, now)) > 0) {
        t = TAKE_WAIT;
    } else if (!next_entry(s, ent, &kind)) {
        s->input_done = 1;
        t = TAKE_NONE;
    } else {
        s->counters.started++;
        if (kind == INPUT_INVALID) {
            t = TAKE_REJECT;
        } else if ((*listed = blocklist_match_domain(s->blocklist, ent->domain)) != NULL) {
            t = TAKE_EXCLUDE; /* a row, and not a single packet */
        } else {
            ratelimit_take(&s->rate, now);
            t = TAKE_START;
        }
        *d = e->free_list[--e->n_free];
        atomic_store_explicit(&e->busy, e->n_pool - e->n_free, memory_order_relaxed);
    }
    pthread_mutex_unlock(&s->in_lock);
    return t;
}

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct engine *e = arg;
    struct scan *s = e->s;
    if (e->id == 0)
        feed_reprobes(s);
    for (int batch = 0; batch < PUMP_BATCH; batch++) {
        if (s->stopping || s->input_done || e->n_free == 0)
            break;
        struct input_entry ent;
        const char *listed = NULL;
        double wait = 0;
        struct domain *d = NULL;
        enum take t = take_line(e, &ent, &listed, &wait, &d);
        if (t == TAKE_WAIT) {
            schedule_pump(e, wait);
            return;
        }
        if (t == TAKE_NONE)
            break;
        if (t == TAKE_REJECT)
            domain_reject(d, &e->env, ent.raw, ent.rank, ent.reason);
        else if (t == TAKE_EXCLUDE)
            domain_exclude(d, &e->env, ent.domain, ent.rank, listed);
        else
            domain_start(d, &e->env, ent.domain, ent.rank);
    }
    if (!s->stopping && !s->input_done && e->n_free > 0 && !event_pending(e->pump, EV_TIMEOUT, NULL))
        event_active(e->pump, EV_TIMEOUT, 0);
    maybe_done(e);
}

/* ---- once a second ------------------------------------------------------------------------ */

/* On engine 0 with out_lock held, or after the loops. */
static void print_progress(struct scan *s)
{
    struct dns_counters dc;
    unsigned long https = 0, probes = 0;
    dns_total(s, &dc);
    for (size_t i = 0; i < s->n_eng; i++) {
        struct engine *e = &s->eng[i];
        int live = counters_live(e);
        https += live ? e->env.https_fetches : e->https_seen;
        probes += live ? mxcache_counters(e->env.mx)->probes_started : e->probes_seen;
    }
    struct progress_view v = {
        .elapsed_sec = now_sec(&s->eng[0]) - s->t0,
        .done = s->counters.done,
        .total = s->total_lines,
        .in_flight = in_flight_all(s),
        .dns_sent = dc.sent,
        .dns_timeouts = dc.timed_out,
        .https_fetches = https,
        .smtp_probes = probes,
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
    double now = now_sec(&s->eng[0]);
    pthread_mutex_lock(&s->out_lock);
    outputs_tick(&s->outs, now);
    if (show_progress(s))
        print_progress(s);
    pthread_mutex_unlock(&s->out_lock);
    /* MX hosts of --resume rows still to ask, the cache having been full of jobs no domain waits
     * for (cut by --domain-timeout): their ends wake nobody */
    if (!s->stopping && s->next_reprobe < s->n_reprobe)
        event_active(s->eng[0].pump, EV_TIMEOUT, 0);
}

/* On engine 0: the first signal stops the input, the second every loop. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct scan *s = arg;
    pthread_mutex_lock(&s->out_lock);
    if (s->stopping) {
        fprintf(stderr, "\nmtasts-scan: second signal, stopping now; rows written so far are kept\n");
        if (s->exit_code == SCAN_EXIT_OK)
            s->exit_code = SCAN_EXIT_INTERRUPTED;
        snprintf(s->md.reason, sizeof(s->md.reason), "%s twice: stopped at once, domains in flight "
                 "have no row", strsignal((int)sig));
        pthread_mutex_unlock(&s->out_lock);
        break_all(s);
        return;
    }
    fprintf(stderr, "\nmtasts-scan: %s: no new domains; finishing the %zu in flight (again to stop now)\n",
            strsignal((int)sig), in_flight_all(s));
    s->stopping = 1;
    s->exit_code = SCAN_EXIT_INTERRUPTED;
    metadata_reason(&s->md, "%s: stopped starting new domains, finished those in flight",
                    strsignal((int)sig));
    pthread_mutex_unlock(&s->out_lock);
    wake_others(s);
    maybe_done(&s->eng[0]);
}

/* --jobs > 1: another thread changed what this engine must look at (a stop, the DNS abort, or,
 * for engine 0, an engine that finished). */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct engine *e = arg;
    uint64_t n;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    if (e->s->breaking) {
        event_base_loopbreak(e->base);
        return;
    }
    if (e->s->finished) {
        event_base_loopexit(e->base, NULL);
        return;
    }
    if (e->s->dns_aborted && !e->dns_cancelled) {
        e->dns_cancelled = 1;
        dns_cancel_all(e->env.dns);
    }
    maybe_done(e);
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
    for (size_t i = 0; i < s->n_eng; i++)
        s->eng[i].env.monitor = s->monitor;
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

/* Engine i's share of the scan's limits: an equal part of each (the first ones take the rest of a
 * division), so that the engines together hold exactly what the options say. */
static void engine_limits(struct config *c, const struct config *all, size_t n, size_t i)
{
    if (n == 1)
        return;
#define SHARE(total) ((total) / (long)n + ((long)i < (total) % (long)n))
    c->concurrency = SHARE(all->concurrency);
    c->dns_inflight = SHARE(all->dns_inflight);
    c->mx_conn_per_addr = SHARE(all->mx_conn_per_addr);
    c->https_conn_per_addr = SHARE(all->https_conn_per_addr);
    c->mx_cache_max = SHARE(all->mx_cache_max) > 0 ? SHARE(all->mx_cache_max) : 1;
#undef SHARE
    c->dns_rate = all->dns_rate / (double)n;
    c->mx_rate_per_addr = all->mx_rate_per_addr / (double)n;
    c->https_rate_per_addr = all->https_rate_per_addr / (double)n;
}

/* Engine e's loop and services.  A failure is printed and recorded; -1. */
static int open_engine(struct scan *s, struct engine *e)
{
    char err[512];
    const struct config *c = &e->cfg;
    e->base = event_base_new();
    if (!e->base) {
        scan_error(s, "cannot create the event loop");
        return -1;
    }
    struct dns_opts dopts = {.servers = c->resolvers, .timeout_sec = config_dns_timeout(c),
                             .tries = c->retries + 1, .max_inflight = c->dns_inflight,
                             .rate = c->dns_rate};
    e->env.base = e->base;
    e->env.cfg = c;
    e->env.finish = on_domain_finish;
    e->env.finish_arg = e;
    e->env.ssl_ctx = s->ssl_ctx;
    e->env.blocklist = s->blocklist;
    e->env.dns = dns_new(e->base, &dopts, err, sizeof(err));
    if (!e->env.dns) {
        scan_error(s, err);
        return -1;
    }
    e->env.tls = tlsworker_new(e->base, s->ssl_ctx, c->dns_only ? 0 : (int)c->tls_threads,
                               err, sizeof(err));
    if (!e->env.tls) {
        scan_error(s, err);
        return -1;
    }
    e->env.report = s->hooks != NULL;
    e->env.mx = mxcache_new(e->base, e->env.dns, e->env.tls, c,
                            c->mx_output || c->previous || (s->hooks && s->hooks->mx_probe)
                                ? on_mx_row : NULL, s);
    if (!e->env.mx)
        return -1;
    mxcache_set_blocklist(e->env.mx, s->blocklist);
    if (!(e->env.mxroute = s->routes[e->id] = mxroute_new(e->base, e->env.mx, e->id, s->n_eng))) {
        scan_error(s, "cannot create the MX router (out of memory or file descriptors)");
        return -1;
    }
    e->env.https_limit = addrlimit_new(e->base, c->https_conn_per_addr, c->https_rate_per_addr);
    return e->env.https_limit ? 0 : -1;
}

/* The engines (the first one's loop is the scan's clock) and what they share. */
static int open_services(struct scan *s)
{
    char err[512];
    s->n_eng = s->hooks ? 1 : (size_t)config_jobs(s->cfg); /* a report is one domain list */
    s->eng = calloc(s->n_eng, sizeof(*s->eng));
    s->routes = calloc(s->n_eng, sizeof(*s->routes));
    if (!s->eng || !s->routes) {
        scan_error(s, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->n_eng; i++) {
        struct engine *e = &s->eng[i];
        e->s = s;
        e->id = i;
        e->wake_fd = -1;
        e->cfg = *s->cfg;
        engine_limits(&e->cfg, s->cfg, s->n_eng, i);
    }
    if (!s->cfg->dns_only) {
        s->ssl_ctx = tlscheck_ctx_new(s->cfg->ca_file, err, sizeof(err));
        if (!s->ssl_ctx) {
            scan_error(s, err);
            return -1;
        }
    }
    if (s->cfg->n_blocklist > 0 &&
        !(s->blocklist = blocklist_load_files(s->cfg->blocklist, (size_t)s->cfg->n_blocklist, err,
                                              sizeof(err)))) {
        scan_error(s, err);
        return -1;
    }
    for (size_t i = 0; i < s->n_eng; i++)
        if (open_engine(s, &s->eng[i]) < 0)
            return -1;
    mxroute_link(s->routes, s->n_eng);
    return 0;
}

static int open_pool(struct scan *s)
{
    for (size_t k = 0; k < s->n_eng; k++) {
        struct engine *e = &s->eng[k];
        size_t n = (size_t)e->cfg.concurrency;
        e->pool = calloc(n, sizeof(*e->pool));
        e->free_list = calloc(n, sizeof(*e->free_list));
        if (!e->pool || !e->free_list) {
            fprintf(stderr, "mtasts-scan: out of memory for %zu domains in flight\n", n);
            return -1;
        }
        e->n_pool = n;
        for (size_t i = 0; i < n; i++)
            e->free_list[e->n_free++] = &e->pool[n - 1 - i];
    }
    return 0;
}

/* The resolver's DNSSEC validation is known: say once when DANE cannot be judged, then start
 * the domains (their MX answers are read in its light). */
static void on_dnssec_probe(enum dns_validation v, enum dns_status st, void *arg)
{
    struct engine *e = arg;
    struct scan *s = e->s;
    if (e->id != 0) { /* the same resolver: engine 0's answer is the one recorded and said */
        if (!s->stopping && !s->abandoning)
            event_active(e->pump, EV_TIMEOUT, 0);
        return;
    }
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
    event_active(e->pump, EV_TIMEOUT, 0);
}

static int open_events(struct scan *s)
{
    struct timeval sec = {1, 0};
    struct engine *e0 = &s->eng[0];
    s->tick = event_new(e0->base, -1, EV_PERSIST, on_tick, s);
    s->sig_int = evsignal_new(e0->base, SIGINT, on_signal, s);
    s->sig_term = evsignal_new(e0->base, SIGTERM, on_signal, s);
    if (!s->tick || !s->sig_int || !s->sig_term)
        return -1;
    for (size_t i = 0; i < s->n_eng; i++) {
        struct engine *e = &s->eng[i];
        if (!(e->pump = event_new(e->base, -1, 0, on_pump, e)))
            return -1;
        if (s->n_eng > 1 &&
            ((e->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
             !(e->wake = event_new(e->base, e->wake_fd, EV_READ | EV_PERSIST, on_wake, e)) ||
             event_add(e->wake, NULL) != 0))
            return -1;
    }
    event_add(s->tick, &sec);
    event_add(s->sig_int, NULL);
    event_add(s->sig_term, NULL);
    for (size_t i = 0; i < s->n_eng; i++) /* each answer starts its engine's pump */
        dns_probe_dnssec(s->eng[i].env.dns, on_dnssec_probe, &s->eng[i]);
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

/* Sums every engine's counters into the scan's totals (no loop runs any more, or set-up). */
static void scan_totals(struct scan *s)
{
    struct mxcache_counters *t = &s->mx_total;
    memset(t, 0, sizeof(*t));
    s->https_total = 0;
    dns_total(s, &s->dns_total);
    for (size_t i = 0; i < s->n_eng; i++) {
        const struct engine *e = &s->eng[i];
        s->https_total += e->env.https_fetches;
        if (!e->env.mx)
            continue;
        const struct mxcache_counters *c = mxcache_counters(e->env.mx);
        t->hosts_resolved += c->hosts_resolved;
        t->probes_started += c->probes_started;
        t->probes_done += c->probes_done;
        t->cache_hits += c->cache_hits;
        t->evictions += c->evictions;
    }
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
    scan_totals(s);
    const struct dns_counters *dc = &s->dns_total;
    const struct mxcache_counters *mc = &s->mx_total;
    char resumed[96] = "", causes[160];
    if (s->cfg->resume)
        snprintf(resumed, sizeof(resumed), " (%lu skipped: already in --resume file)",
                 s->counters.skipped_resume);
    if (s->cfg->progress != PROGRESS_OFF)
        fprintf(stderr, "scan: %lu domains in %.1fs%s; "
                        "dns %lu sent %lu answered %lu failed %lu timed out (failed by cause: %s); "
                        "https %lu fetches; smtp %lu probes of %lu hosts (%lu cache hits)\n",
                s->counters.done, now_sec(&s->eng[0]) - s->t0, resumed, dc->sent,
                dc->answered, dc->failed, dc->timed_out,
                dns_counters_failures(dc, causes, sizeof(causes)), s->https_total,
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
        mxroute_cancel_waiter(s->eng[0].env.mxroute, &s->reprobe[i].w);
    for (size_t k = 0; k < s->n_eng; k++) {
        struct engine *e = &s->eng[k];
        for (size_t i = 0; i < e->n_pool && e->pool; i++)
            if (e->pool[i].stage != DOMAIN_IDLE)
                release_slot(e, &e->pool[i]);
    }
}

/* Frees everything, in flight or not.  DNS goes first: its cancelled queries call back into the
 * MX cache and the (idle) domains, which must still exist; the MX cache then cancels its probes
 * before the TLS workers are joined. */
static void free_all(struct scan *s)
{
    if (!s->eng) {
        free(s->routes);
        monitor_free(s->monitor);
        return;
    }
    abandon_in_flight(s);
    /* Every engine's DNS before any cache (a cancelled lookup of one engine's cache may answer a
     * request of another engine), the caches before the routers (the requests wait in them). */
    for (size_t i = 0; i < s->n_eng; i++)
        dns_free(s->eng[i].env.dns);
    for (size_t i = 0; i < s->n_eng; i++)
        mxcache_free(s->eng[i].env.mx);
    for (size_t i = 0; i < s->n_eng; i++) {
        struct engine *e = &s->eng[i];
        mxroute_free(e->env.mxroute);
        addrlimit_free(e->env.https_limit);
        tlsworker_free(e->env.tls);
    }
    free(s->routes);
    blocklist_free(s->blocklist);
    if (s->ssl_ctx)
        SSL_CTX_free(s->ssl_ctx);
    if (s->tick) event_free(s->tick);
    if (s->sig_int) event_free(s->sig_int);
    if (s->sig_term) event_free(s->sig_term);
    for (size_t i = 0; i < s->n_eng; i++) {
        struct engine *e = &s->eng[i];
        if (e->pump) event_free(e->pump);
        if (e->wake) event_free(e->wake);
        if (e->wake_fd >= 0) close(e->wake_fd);
        /* The base before the pool: an event a domain still holds is removed from the base
         * while the domain's memory exists. */
        if (e->base) event_base_free(e->base);
        for (size_t j = 0; j < e->n_pool && e->pool; j++)
            domain_slot_free(&e->pool[j]);
        free(e->pool);
        free(e->free_list);
    }
    free(s->eng);
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
    int up = s->eng && s->eng[s->n_eng - 1].env.mx; /* every engine's services exist */
    if (up)
        scan_totals(s);
    s->md.dns = up ? &s->dns_total : NULL;
    s->md.smtp = up ? &s->mx_total : NULL;
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
    if (m->dns)
        scan_totals(s);
    m->https_fetches = s->https_total;
    if (final) {
        m->exit_status = s->exit_code;
        m->status = s->exit_code == SCAN_EXIT_OK || s->exit_code == SCAN_EXIT_FAIL_ON ? METADATA_COMPLETED
                    : s->exit_code == SCAN_EXIT_INTERRUPTED ? METADATA_INTERRUPTED : METADATA_FAILED;
        if (m->status == METADATA_FAILED)
            metadata_reason(m, "failed (the error is on stderr)");
        m->ended = time(NULL);
        m->duration_sec = s->eng && s->eng[0].base ? now_sec(&s->eng[0]) - s->t0 : 0;
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

/* ---- the engines' threads ------------------------------------------------------------------ */

static void *engine_main(void *arg)
{
    struct engine *e = arg;
    this_engine = e;
    event_base_dispatch(e->base);
    this_engine = NULL;
    return NULL;
}

/* Starts engines 1..N-1 on their threads (the stop signals are held: they inherit that, so only
 * engine 0's thread takes them). */
static int start_engines(struct scan *s)
{
    for (size_t i = 1; i < s->n_eng; i++) {
        struct engine *e = &s->eng[i];
        int rc = pthread_create(&e->thread, NULL, engine_main, e);
        if (rc != 0) {
            fprintf(stderr, "mtasts-scan: starting engine %zu: %s\n", i, strerror(rc));
            metadata_reason(&s->md, "starting engine %zu: %s", i, strerror(rc));
            s->stopping = 1;
            break_all(s);
            return -1;
        }
        e->started = 1;
    }
    return 0;
}

/* Waits for every engine's thread to end (after a break too: each reads its wake). */
static void join_engines(struct scan *s)
{
    for (size_t i = 1; i < s->n_eng; i++)
        if (s->eng[i].started) {
            pthread_join(s->eng[i].thread, NULL);
            s->eng[i].started = 0;
        }
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
    pthread_mutex_init(&s.in_lock, NULL);
    pthread_mutex_init(&s.out_lock, NULL);
    /* Services first: a bad --resolver or --ca-file must not even create a work file; the
     * --metadata record is written (status running) before any output is opened. */
    int up = open_services(&s);
    if (up == 0) {
        s.t0 = now_sec(&s.eng[0]);
        ratelimit_init(&s.rate, cfg->rate, cfg->rate > 10 ? cfg->rate / 10 : 1, s.t0);
    }
    if (up < 0 || open_pool(&s) < 0 || metadata_start(&s) < 0 || open_files(&s) < 0 ||
        open_events(&s) < 0 || start_engines(&s) < 0) {
        if (s.exit_code != SCAN_EXIT_INTERRUPTED) /* a signal while loading --resume/--previous */
            s.exit_code = SCAN_EXIT_FATAL;
        join_engines(&s); /* those started end at their wake: break_all was called */
        metadata_attach(&s);
        if (!s.md_failed)
            metadata_save(&s, 1);
        close_files(&s, 0);
        free_all(&s);
        return s.exit_code;
    }
    s.total_lines = hooks ? (unsigned long)cfg->n_domains : count_lines(cfg->input);
    hold_stop_signals(SIG_UNBLOCK); /* on this thread only: the engines' threads keep them held */
    this_engine = &s.eng[0];
    event_base_dispatch(s.eng[0].base);
    join_engines(&s);
    this_engine = NULL; /* every counter may be read as it is */
    if (s.exit_code == SCAN_EXIT_OK)
        check_dns_abort(&s, 1);
    for (size_t i = 0; i < s.n_eng; i++) /* the MX rows of cached hosts, with their final counts */
        mxcache_flush(s.eng[i].env.mx);
    finish_monitoring(&s);
    metadata_input(&s);
    close_files(&s, 1);
    fail_on_status(&s);
    print_final(&s);
    metadata_save(&s, 1);
    free_all(&s);
    return s.exit_code;
}
