/*
 * mxroute: the MX cache shared by the engines of one scan, as one cache per engine each owning a
 * part of the host names (see mxroute.h).
 *
 * A request for another engine's host is one allocation that lives on its asker's list from
 * mxroute_get until its answer has been delivered (or the router is freed): it travels through
 * the owner's inbox, waits in the owner's cache as an ordinary waiter, and travels back through
 * the asker's inbox with a copy of the outcome.  The domain's waiter points at it (w->route) while
 * it is out, so that a cancel is O(1) and a waiter called or cancelled is a no-op.
 */
#include "pipeline/mxroute.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/strhash.h"

struct mxreq {
    struct mxcache_waiter inner;  /* waits in the owner's cache */
    struct mxcache_waiter *outer; /* the asker's waiter; NULL once cancelled */
    struct mxroute *from, *to;
    long domains;
    struct mx_outcome out;        /* filled on the owner's loop */
    int answered;                 /* on its way back (out is set) */
    struct mxreq *next;           /* in an inbox */
    struct mxreq *lprev, *lnext;  /* on the asker's list */
    char host[];
};

struct mxroute {
    struct event_base *base;
    struct mxcache *mx;
    size_t id, n;
    struct mxroute **all;         /* every router of the scan, by engine */
    /* the inbox: requests to ask of mx and answers to deliver, in arrival order */
    pthread_mutex_t lock;
    struct mxreq *head, *tail;
    int fd;
    struct event *ev;
    struct mxreq *live;           /* requests this engine sent and has not delivered */
};

/* The engine whose cache owns host.  The high bits of the mixed hash, so that each cache's own
 * buckets (indexed by the low bits of strhash) are all used. */
static size_t owner_of(const struct mxroute *r, const char *host)
{
    uint32_t h = strhash(host) * 2654435761u;
    return (size_t)(h >> 16) % r->n;
}

static void inbox_push(struct mxroute *to, struct mxreq *q)
{
    uint64_t one = 1;
    q->next = NULL;
    pthread_mutex_lock(&to->lock);
    if (to->tail)
        to->tail->next = q;
    else
        to->head = q;
    to->tail = q;
    pthread_mutex_unlock(&to->lock);
    if (write(to->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        abort(); /* an eventfd write fails only on overflow or a bad fd: a broken invariant */
}

/* On the owner's loop: the outcome goes back to the asker. */
static void on_owner_outcome(struct mxcache_waiter *w, const struct mx_outcome *o)
{
    struct mxreq *q = w->arg;
    q->out = *o;
    /* the TLSA set lives in the owner's cache entry, which this engine may evict while the copy
     * travels: the asker gets the facts (probes.tlsa_*), not the pointer */
    q->out.tlsa = NULL;
    q->answered = 1;
    inbox_push(q->from, q);
}

static void unlink_live(struct mxreq *q)
{
    struct mxroute *r = q->from;
    if (q->lprev)
        q->lprev->lnext = q->lnext;
    else
        r->live = q->lnext;
    if (q->lnext)
        q->lnext->lprev = q->lprev;
}

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct mxroute *r = arg;
    uint64_t n;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&r->lock);
    struct mxreq *q = r->head;
    r->head = r->tail = NULL;
    pthread_mutex_unlock(&r->lock);
    while (q) {
        struct mxreq *next = q->next;
        if (!q->answered) { /* asked of this engine's cache; may answer at once */
            q->inner.cb = on_owner_outcome;
            q->inner.arg = q;
            mxcache_get_for(r->mx, q->host, q->domains, &q->inner);
        } else {
            struct mxcache_waiter *w = q->outer;
            unlink_live(q);
            if (w) {
                w->route = NULL;
                w->cb(w, &q->out);
            }
            free(q);
        }
        q = next;
    }
}

struct mxroute *mxroute_new(struct event_base *base, struct mxcache *mx, size_t id, size_t n)
{
    struct mxroute *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->base = base;
    r->mx = mx;
    r->id = id;
    r->n = n;
    r->fd = -1;
    pthread_mutex_init(&r->lock, NULL);
    if (n > 1 && ((r->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
                  !(r->ev = event_new(base, r->fd, EV_READ | EV_PERSIST, on_inbox, r)) ||
                  event_add(r->ev, NULL) != 0)) {
        mxroute_free(r);
        return NULL;
    }
    return r;
}

void mxroute_link(struct mxroute **all, size_t n)
{
    for (size_t i = 0; i < n; i++)
        all[i]->all = all;
}

void mxroute_get_for(struct mxroute *r, const char *host, long domains, struct mxcache_waiter *w)
{
    w->route = NULL;
    size_t k = r->n > 1 ? owner_of(r, host) : r->id;
    if (k == r->id) {
        mxcache_get_for(r->mx, host, domains, w);
        return;
    }
    size_t len = strlen(host) + 1;
    struct mxreq *q = calloc(1, sizeof(*q) + len);
    if (!q) { /* as mxcache does: an outcome that says nothing about the host */
        struct mx_outcome o;
        memset(&o, 0, sizeof(o));
        classify_probes_init(&o.probes, DNS_INTERNAL_ERROR);
        snprintf(o.probes.bad_error, sizeof(o.probes.bad_error), "out of memory");
        w->cb(w, &o);
        return;
    }
    memcpy(q->host, host, len);
    q->outer = w;
    q->from = r;
    q->to = r->all[k];
    q->domains = domains;
    q->lnext = r->live;
    if (r->live)
        r->live->lprev = q;
    r->live = q;
    w->job = NULL;
    w->route = q;
    inbox_push(q->to, q);
}

void mxroute_get(struct mxroute *r, const char *host, struct mxcache_waiter *w)
{
    mxroute_get_for(r, host, 1, w);
}

void mxroute_cancel_waiter(struct mxroute *r, struct mxcache_waiter *w)
{
    struct mxreq *q = w->route;
    if (!q) {
        mxcache_cancel_waiter(r->mx, w);
        return;
    }
    q->outer = NULL; /* it still counts at the owner, like a cancelled waiter of one cache */
    w->route = NULL;
}

void mxroute_free(struct mxroute *r)
{
    if (!r)
        return;
    while (r->live) {
        struct mxreq *q = r->live;
        r->live = q->lnext;
        if (q->outer)
            q->outer->route = NULL;
        free(q);
    }
    if (r->ev)
        event_free(r->ev);
    if (r->fd >= 0)
        close(r->fd);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
