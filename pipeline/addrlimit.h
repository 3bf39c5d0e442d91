/*
 * addrlimit: politeness per destination address.  Whatever the scan's overall concurrency, at
 * most max_conn connections are open to one address and at most rate new ones start per second;
 * further requests wait in that address's FIFO.  Used for SMTP probes (MX hosts shared by
 * thousands of domains live on a few addresses) and HTTPS policy fetches (policy hosts of many
 * domains are often one provider's address).  Idle addresses are forgotten after a few seconds,
 * so memory follows the addresses in use, not the input.
 */
#ifndef MTASTS_ADDRLIMIT_H
#define MTASTS_ADDRLIMIT_H

#include <event2/event.h>

struct addrlimit;
struct addrlimit_slot;
struct addrlimit_ticket;

typedef void (*addrlimit_go_cb)(struct addrlimit_ticket *t);

/* A request for one connection, embedded in the caller's state (no allocation).  It must stay
 * valid until addrlimit_release. */
struct addrlimit_ticket {
    addrlimit_go_cb go;   /* called once when the connection may start */
    void *arg;
    /* private */
    struct addrlimit_ticket *next;
    struct addrlimit_slot *slot;
    int state;            /* 0 idle, 1 queued, 2 running */
};

/* max_conn >= 1; rate 0 = no rate limit.  NULL on out of memory.  Free with addrlimit_free. */
struct addrlimit *addrlimit_new(struct event_base *base, long max_conn, double rate);

/* Frees every slot; queued tickets are dropped without their go callback. */
void addrlimit_free(struct addrlimit *l);

/* Queues t for the address named by key (its text form).  t->go runs when the connection may
 * start, possibly before this returns.  Returns -1 (and never calls go) on out of memory. */
int addrlimit_acquire(struct addrlimit *l, const char *key, struct addrlimit_ticket *t);

/* The connection of t ended, or t is abandoned while still queued: frees its place and lets the
 * next waiting ticket go.  A no-op for an idle ticket. */
void addrlimit_release(struct addrlimit_ticket *t);

#endif
