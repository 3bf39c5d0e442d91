/*
 * tlsworker: a job crosses threads twice and is touched by one thread at a time: the scan's
 * thread fills it and queues it on a worker's inbox; the worker runs the stage on its own loop,
 * copies the result into the job and queues it on the shared outbox; the scan's thread calls the
 * callback (unless the job was cancelled meanwhile) and frees it.  Only `cancelled` is read
 * across threads while a job is away, hence the atomic.
 */
#include "pipeline/tlsworker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/dlist.h"

enum job_kind { JOB_FETCH, JOB_PROBE };

struct thread_ctx;

struct tlsworker_job {
    enum job_kind kind;
    struct tlsworker *w;
    struct thread_ctx *t;            /* NULL when run on the scan's own loop */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char host[256];
    char path[256];
    struct https_fetch_opts fopts;   /* user_agent borrowed from the configuration */
    struct smtp_probe_opts popts;    /* ehlo_name likewise; tlsa points at the copy below */
    struct dane_tlsa_set *tlsa;      /* the host's TLSA records, copied: NULL = no DANE */
    https_fetch_cb fcb;
    smtp_probe_cb pcb;
    void *arg;
    atomic_int cancelled;
    struct https_fetch *fetch;       /* the running stage, on the worker's loop */
    struct smtp_probe *probe;
    struct https_fetch_result fres;  /* copies, body included */
    struct smtp_probe_result pres;
    struct tlsworker_job *next;      /* in a queue */
    struct tlsworker_job *rprev, *rnext; /* on the worker's running list */
};

/* A mutex-protected job list plus an eventfd that wakes the loop reading it. */
struct jobq {
    pthread_mutex_t lock;
    struct tlsworker_job *head, *tail;
    int fd;
};

struct thread_ctx {
    struct tlsworker *w;
    pthread_t thread;
    int started;
    struct event_base *base;
    struct event *inbox_ev;
    struct jobq inbox;
    atomic_int stop;
    struct tlsworker_job *running;
};

struct tlsworker {
    struct event_base *base;
    SSL_CTX *ctx;
    SSL_CTX *dane_ctx;               /* dane_ctx_new: shared by every probe's dane_check */
    int n;
    int next_rr;
    struct thread_ctx *threads;
    struct jobq outbox;
    struct event *outbox_ev;
};

/* ---- queues ---------------------------------------------------------------------------- */

static int jobq_init(struct jobq *q)
{
    memset(q, 0, sizeof(*q));
    q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->fd < 0)
        return -1;
    pthread_mutex_init(&q->lock, NULL);
    return 0;
}

static void jobq_destroy(struct jobq *q)
{
    if (q->fd >= 0)
        close(q->fd);
    pthread_mutex_destroy(&q->lock);
}

static void jobq_push(struct jobq *q, struct tlsworker_job *j)
{
    uint64_t one = 1;
    j->next = NULL;
    pthread_mutex_lock(&q->lock);
    int was_empty = q->head == NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    pthread_mutex_unlock(&q->lock);
    /* Wake the reader only for the first job of a batch: it takes the whole list at once, so a
     * job added to a non-empty list is picked up by the wake already on its way. */
    if (was_empty) {
        ssize_t n = write(q->fd, &one, sizeof(one));
        (void)n;
    }
}

/* Takes the whole list (oldest first) after draining the wake-up counter. */
static struct tlsworker_job *jobq_take(struct jobq *q)
{
    uint64_t count;
    ssize_t n = read(q->fd, &count, sizeof(count));
    (void)n;
    pthread_mutex_lock(&q->lock);
    struct tlsworker_job *all = q->head;
    q->head = q->tail = NULL;
    pthread_mutex_unlock(&q->lock);
    return all;
}

/* ---- the scan's side ---------------------------------------------------------------------- */

static void job_free(struct tlsworker_job *j)
{
    free(j->tlsa);
    free(j->fres.body);
    free(j);
}

static void deliver(struct tlsworker_job *j)
{
    if (!atomic_load(&j->cancelled)) {
        if (j->kind == JOB_FETCH)
            j->fcb(&j->fres, j->arg);
        else
            j->pcb(&j->pres, j->arg);
    }
    job_free(j);
}

static void on_outbox(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct tlsworker *w = arg;
    struct tlsworker_job *j = jobq_take(&w->outbox);
    while (j) {
        struct tlsworker_job *next = j->next;
        deliver(j);
        j = next;
    }
}

/* ---- running a stage (on a worker's loop, or on the scan's loop when there are none) ------ */

static void running_remove(struct thread_ctx *t, struct tlsworker_job *j)
{
    DLIST_UNLINK(t->running, j, rprev, rnext);
}

static void finished(struct tlsworker_job *j)
{
    j->fetch = NULL;
    j->probe = NULL;
    if (!j->t) {
        deliver(j);
        return;
    }
    running_remove(j->t, j);
    jobq_push(&j->w->outbox, j);
}

static void on_fetch_done(const struct https_fetch_result *res, void *arg)
{
    struct tlsworker_job *j = arg;
    j->fres = *res;
    j->fres.body = NULL;
    if (res->body) {
        j->fres.body = malloc(res->body_len + 1);
        if (j->fres.body) {
            memcpy(j->fres.body, res->body, res->body_len + 1);
        } else {
            j->fres.status = HTTPS_FETCH_INTERNAL_ERROR;
            snprintf(j->fres.detail, sizeof(j->fres.detail), "out of memory copying the body");
        }
    }
    finished(j);
}

static void on_probe_done(const struct smtp_probe_result *res, void *arg)
{
    struct tlsworker_job *j = arg;
    j->pres = *res;
    finished(j);
}

/* Starts j's stage on base.  -1 when it could not start (out of memory). */
static int run_job(struct tlsworker_job *j, struct event_base *base)
{
    SSL_CTX *ctx = j->w->ctx;
    if (j->kind == JOB_FETCH)
        j->fetch = https_fetch_start(base, ctx, (struct sockaddr *)&j->addr, j->addrlen, j->host,
                                     j->path, &j->fopts, on_fetch_done, j);
    else
        j->probe = smtp_probe_start(base, ctx, (struct sockaddr *)&j->addr, j->addrlen, j->host,
                                    &j->popts, on_probe_done, j);
    return (j->fetch || j->probe) ? 0 : -1;
}

/* On a worker, a job that could not start still goes back, with a result that says why. */
static void run_job_on_worker(struct tlsworker_job *j, struct event_base *base)
{
    if (run_job(j, base) == 0)
        return;
    j->fres.status = HTTPS_FETCH_INTERNAL_ERROR;
    snprintf(j->fres.detail, sizeof(j->fres.detail), "out of memory");
    j->pres.status = SMTP_PROBE_INTERNAL_ERROR;
    snprintf(j->pres.error, sizeof(j->pres.error), "out of memory");
    finished(j);
}

/* ---- a worker thread -------------------------------------------------------------------- */

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct thread_ctx *t = arg;
    struct tlsworker_job *j = jobq_take(&t->inbox);
    if (atomic_load(&t->stop)) {
        event_base_loopbreak(t->base);
        while (j) { /* never started: no callback (the pool is going away) */
            struct tlsworker_job *next = j->next;
            job_free(j);
            j = next;
        }
        return;
    }
    while (j) {
        struct tlsworker_job *next = j->next;
        if (atomic_load(&j->cancelled)) {
            jobq_push(&t->w->outbox, j); /* freed on the scan's side, no callback */
        } else {
            DLIST_PUSH_FRONT(t->running, j, rprev, rnext);
            run_job_on_worker(j, t->base);
        }
        j = next;
    }
}

static void *thread_main(void *arg)
{
    struct thread_ctx *t = arg;
    event_base_dispatch(t->base);
    return NULL;
}

static int thread_start(struct tlsworker *w, struct thread_ctx *t)
{
    t->w = w;
    if (jobq_init(&t->inbox) < 0)
        return -1;
    t->base = event_base_new();
    if (!t->base)
        return -1;
    t->inbox_ev = event_new(t->base, t->inbox.fd, EV_READ | EV_PERSIST, on_inbox, t);
    if (!t->inbox_ev || event_add(t->inbox_ev, NULL) < 0)
        return -1;
    /* Signals belong to the scan's loop: the worker starts with all of them blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&t->thread, NULL, thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    t->started = 1;
    return 0;
}

static void thread_stop(struct thread_ctx *t)
{
    if (t->started) {
        atomic_store(&t->stop, 1);
        uint64_t one = 1;
        ssize_t n = write(t->inbox.fd, &one, sizeof(one));
        (void)n;
        pthread_join(t->thread, NULL);
    }
    /* The thread is gone: its loop and running stages are ours to free. */
    while (t->running) {
        struct tlsworker_job *j = t->running;
        t->running = j->rnext;
        if (j->fetch)
            https_fetch_cancel(j->fetch);
        if (j->probe)
            smtp_probe_cancel(j->probe);
        job_free(j);
    }
    if (t->inbox_ev)
        event_free(t->inbox_ev);
    if (t->base)
        event_base_free(t->base);
    if (t->inbox.fd > 0)
        jobq_destroy(&t->inbox);
}

/* ---- public ------------------------------------------------------------------------------ */

struct tlsworker *tlsworker_new(struct event_base *base, SSL_CTX *ctx, int n_threads, char *err,
                                size_t errlen)
{
    struct tlsworker *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->base = base;
    w->ctx = ctx;
    w->dane_ctx = dane_ctx_new();
    if (!w->dane_ctx) {
        snprintf(err, errlen, "out of memory (DANE context)");
        free(w);
        return NULL;
    }
    if (n_threads <= 0)
        return w;
    w->threads = calloc((size_t)n_threads, sizeof(*w->threads));
    if (!w->threads || jobq_init(&w->outbox) < 0) {
        snprintf(err, errlen, "TLS workers: %s", strerror(errno));
        free(w->threads);
        SSL_CTX_free(w->dane_ctx);
        free(w);
        return NULL;
    }
    w->outbox_ev = event_new(base, w->outbox.fd, EV_READ | EV_PERSIST, on_outbox, w);
    if (!w->outbox_ev || event_add(w->outbox_ev, NULL) < 0) {
        snprintf(err, errlen, "TLS workers: cannot watch the outbox");
        tlsworker_free(w);
        return NULL;
    }
    for (int i = 0; i < n_threads; i++) {
        w->n = i + 1;
        if (thread_start(w, &w->threads[i]) < 0) {
            snprintf(err, errlen, "TLS worker thread %d: %s", i, strerror(errno));
            tlsworker_free(w);
            return NULL;
        }
    }
    return w;
}

void tlsworker_free(struct tlsworker *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n; i++)
        thread_stop(&w->threads[i]);
    if (w->threads) {
        struct tlsworker_job *j = jobq_take(&w->outbox);
        while (j) {
            struct tlsworker_job *next = j->next;
            job_free(j);
            j = next;
        }
        if (w->outbox_ev)
            event_free(w->outbox_ev);
        jobq_destroy(&w->outbox);
    }
    free(w->threads);
    SSL_CTX_free(w->dane_ctx); /* after the threads: their probes' dane_check used it */
    free(w);
}

static struct tlsworker_job *job_new(struct tlsworker *w, enum job_kind kind,
                                     const struct sockaddr *addr, socklen_t addrlen,
                                     const char *host, void *arg)
{
    if (addrlen > sizeof(struct sockaddr_storage))
        return NULL;
    struct tlsworker_job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->kind = kind;
    j->w = w;
    memcpy(&j->addr, addr, addrlen);
    j->addrlen = addrlen;
    snprintf(j->host, sizeof(j->host), "%s", host);
    j->arg = arg;
    atomic_init(&j->cancelled, 0);
    return j;
}

/* Hands j over; returns j, or NULL (j freed, no callback) when it cannot start. */
static struct tlsworker_job *submit(struct tlsworker *w, struct tlsworker_job *j)
{
    if (w->n == 0) {
        if (run_job(j, w->base) < 0) {
            job_free(j);
            return NULL;
        }
        return j;
    }
    j->t = &w->threads[w->next_rr];
    w->next_rr = (w->next_rr + 1) % w->n;
    jobq_push(&j->t->inbox, j);
    return j;
}

struct tlsworker_job *tlsworker_fetch(struct tlsworker *w, const struct sockaddr *addr,
                                      socklen_t addrlen, const char *host, const char *path,
                                      const struct https_fetch_opts *opts, https_fetch_cb cb,
                                      void *arg)
{
    struct tlsworker_job *j = job_new(w, JOB_FETCH, addr, addrlen, host, arg);
    if (!j)
        return NULL;
    snprintf(j->path, sizeof(j->path), "%s", path);
    j->fopts = *opts;
    j->fcb = cb;
    return submit(w, j);
}

struct tlsworker_job *tlsworker_probe(struct tlsworker *w, const struct sockaddr *addr,
                                      socklen_t addrlen, const char *mx_host,
                                      const struct smtp_probe_opts *opts, smtp_probe_cb cb,
                                      void *arg)
{
    struct tlsworker_job *j = job_new(w, JOB_PROBE, addr, addrlen, mx_host, arg);
    if (!j)
        return NULL;
    j->popts = *opts;
    j->popts.tlsa = NULL;
    j->popts.dane_ctx = w->dane_ctx;
    if (opts->tlsa) { /* the job crosses threads: it carries its own copy */
        j->tlsa = malloc(sizeof(*j->tlsa));
        if (!j->tlsa) {
            job_free(j);
            return NULL;
        }
        *j->tlsa = *opts->tlsa;
        j->popts.tlsa = j->tlsa;
    }
    j->pcb = cb;
    return submit(w, j);
}

void tlsworker_cancel(struct tlsworker_job *j)
{
    if (j->t) { /* away on a worker: it comes back and is freed without a callback */
        atomic_store(&j->cancelled, 1);
        return;
    }
    if (j->fetch)
        https_fetch_cancel(j->fetch);
    if (j->probe)
        smtp_probe_cancel(j->probe);
    job_free(j);
}
