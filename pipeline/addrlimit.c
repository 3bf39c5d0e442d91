/*
 * addrlimit: a hash table of per-address slots, each with an in-flight count, a token bucket and
 * a FIFO of waiting tickets.  A slot whose bucket is waiting for a token arms its own timer.
 */
#include "pipeline/addrlimit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ratelimit.h"
#include "lib/strhash.h"

#define SLOT_BUCKETS 4096
#define SWEEP_SEC 5

enum { TICKET_IDLE = 0, TICKET_QUEUED, TICKET_RUNNING };

struct addrlimit_slot {
    char key[64];
    uint32_t hash;
    long in_flight;
    struct ratelimit rl;
    struct addrlimit_ticket *head, *tail;
    struct event *timer;
    struct addrlimit *owner;
    struct addrlimit_slot *hnext;
};

struct addrlimit {
    struct event_base *base;
    long max_conn;
    double rate;
    struct addrlimit_slot *slots[SLOT_BUCKETS];
    struct event *sweep;
};

static double now_sec(struct addrlimit *l)
{
    struct timeval tv;
    event_base_gettimeofday_cached(l->base, &tv);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void slot_pump(struct addrlimit_slot *s)
{
    struct addrlimit *l = s->owner;
    while (s->head && s->in_flight < l->max_conn) {
        double now = now_sec(l);
        if (!ratelimit_take(&s->rl, now)) {
            double wait = ratelimit_wait(&s->rl, now);
            struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 1000};
            evtimer_add(s->timer, &tv);
            return;
        }
        struct addrlimit_ticket *t = s->head;
        s->head = t->next;
        if (!s->head)
            s->tail = NULL;
        t->next = NULL;
        t->state = TICKET_RUNNING;
        s->in_flight++;
        t->go(t); /* may release t (a synchronous failure) and re-enter slot_pump: harmless */
    }
}

static void on_slot_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    slot_pump(arg);
}

static struct addrlimit_slot *slot_get(struct addrlimit *l, const char *key)
{
    uint32_t h = strhash(key);
    struct addrlimit_slot **pp = &l->slots[h % SLOT_BUCKETS];
    for (struct addrlimit_slot *s = *pp; s; s = s->hnext)
        if (s->hash == h && strcmp(s->key, key) == 0)
            return s;
    struct addrlimit_slot *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->timer = evtimer_new(l->base, on_slot_timer, s);
    if (!s->timer) {
        free(s);
        return NULL;
    }
    snprintf(s->key, sizeof(s->key), "%s", key);
    s->hash = h;
    s->owner = l;
    ratelimit_init(&s->rl, l->rate, 1, now_sec(l));
    s->hnext = *pp;
    *pp = s;
    return s;
}

static void slot_free(struct addrlimit_slot *s)
{
    event_free(s->timer);
    free(s);
}

/* Idle slots whose bucket has refilled carry no state worth keeping. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct addrlimit *l = arg;
    double now = now_sec(l);
    for (size_t b = 0; b < SLOT_BUCKETS; b++) {
        struct addrlimit_slot **pp = &l->slots[b];
        while (*pp) {
            struct addrlimit_slot *s = *pp;
            if (s->in_flight == 0 && !s->head && ratelimit_wait(&s->rl, now) == 0 &&
                (s->rl.rate <= 0 || s->rl.tokens >= s->rl.burst)) {
                *pp = s->hnext;
                slot_free(s);
            } else {
                pp = &s->hnext;
            }
        }
    }
}

struct addrlimit *addrlimit_new(struct event_base *base, long max_conn, double rate)
{
    struct addrlimit *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->base = base;
    l->max_conn = max_conn < 1 ? 1 : max_conn;
    l->rate = rate;
    l->sweep = event_new(base, -1, EV_PERSIST, on_sweep, l);
    if (!l->sweep) {
        free(l);
        return NULL;
    }
    struct timeval tv = {SWEEP_SEC, 0};
    event_add(l->sweep, &tv);
    return l;
}

void addrlimit_free(struct addrlimit *l)
{
    if (!l)
        return;
    for (size_t b = 0; b < SLOT_BUCKETS; b++) {
        while (l->slots[b]) {
            struct addrlimit_slot *s = l->slots[b];
            l->slots[b] = s->hnext;
            for (struct addrlimit_ticket *t = s->head; t; t = t->next)
                t->state = TICKET_IDLE;
            slot_free(s);
        }
    }
    event_free(l->sweep);
    free(l);
}

int addrlimit_acquire(struct addrlimit *l, const char *key, struct addrlimit_ticket *t)
{
    struct addrlimit_slot *s = slot_get(l, key);
    if (!s)
        return -1;
    t->slot = s;
    t->next = NULL;
    t->state = TICKET_QUEUED;
    if (s->tail)
        s->tail->next = t;
    else
        s->head = t;
    s->tail = t;
    slot_pump(s);
    return 0;
}

void addrlimit_release(struct addrlimit_ticket *t)
{
    struct addrlimit_slot *s = t->slot;
    if (t->state == TICKET_RUNNING) {
        t->state = TICKET_IDLE;
        s->in_flight--;
        slot_pump(s);
    } else if (t->state == TICKET_QUEUED) {
        struct addrlimit_ticket **pp = &s->head, *prev = NULL;
        while (*pp && *pp != t) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp)
            *pp = t->next;
        if (s->tail == t)
            s->tail = prev;
        t->state = TICKET_IDLE;
    }
}
