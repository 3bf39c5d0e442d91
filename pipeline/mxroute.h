/*
 * mxroute: one MX cache per scan, whatever the number of engines (--jobs).  Each MX host name
 * belongs to one engine's cache (a hash of the name picks it), so a host shared by domains of
 * several engines is still resolved and probed once, its MX table row counts every domain that
 * asked, and the per-address limits of that cache see all its probes.  A domain asks its own
 * engine's router: for a host of its own cache that is mxcache_get itself (with one engine,
 * always: nothing changes); for another engine's host the request crosses to the owner's loop
 * through a mutex-protected queue woken by an eventfd, is asked of the owner's cache there, and
 * the outcome (a copy) comes back the same way to the asker's loop, where the waiter's callback
 * runs.  Only whole requests cross threads.
 */
#ifndef MTASTS_MXROUTE_H
#define MTASTS_MXROUTE_H

#include <stddef.h>

#include <event2/event.h>

#include "pipeline/mxcache.h"

struct mxroute;

/* The router of engine id (of n) on base, whose own cache is mx (borrowed).  NULL on failure
 * (out of memory, no eventfd).  Free with mxroute_free once no loop runs. */
struct mxroute *mxroute_new(struct event_base *base, struct mxcache *mx, size_t id, size_t n);

/* Tells each of the n routers of one scan about the others; before any request. */
void mxroute_link(struct mxroute **all, size_t n);

/* As mxcache_get(_for) on the cache that owns host: w's callback runs exactly once, on this
 * router's loop (at once when the host is this engine's and cached).  mxroute uses the private
 * fields of w. */
void mxroute_get(struct mxroute *r, const char *host, struct mxcache_waiter *w);
void mxroute_get_for(struct mxroute *r, const char *host, long domains, struct mxcache_waiter *w);

/* As mxcache_cancel_waiter: w's callback will not run (a request already at another engine
 * still counts there and comes back to be freed).  A no-op for a waiter called or cancelled. */
void mxroute_cancel_waiter(struct mxroute *r, struct mxcache_waiter *w);

/* Frees r and every request it still holds (sent or received), without callbacks.  Call it for
 * every router of the scan once no loop runs, before the caches are freed.  NULL is a no-op. */
void mxroute_free(struct mxroute *r);

#endif
