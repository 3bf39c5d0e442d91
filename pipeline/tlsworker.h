/*
 * tlsworker: runs the TLS-heavy network stages (HTTPS policy fetches, SMTP STARTTLS probes) on
 * worker threads, each with its own libevent loop, so that certificate parsing and handshakes use
 * the cores the DNS loop leaves idle.  The scan's thread submits a job and gets its callback, on
 * its own loop, with a copy of the result: the stages themselves (scanner/https_fetch,
 * scanner/smtp_probe) are unchanged and single-threaded; only whole jobs cross threads, through
 * two mutex-protected queues woken by eventfds.  With 0 threads the jobs run on the scan's loop.
 */
#ifndef MTASTS_TLSWORKER_H
#define MTASTS_TLSWORKER_H

#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "scanner/https_fetch.h"
#include "scanner/smtp_probe.h"

struct tlsworker;
struct tlsworker_job;

/* n_threads 0 = run jobs on base itself.  ctx is shared (OpenSSL contexts are thread-safe once
 * set up) and must outlive the pool.  NULL with err filled on failure.  Free with tlsworker_free
 * once no job is pending. */
struct tlsworker *tlsworker_new(struct event_base *base, SSL_CTX *ctx, int n_threads, char *err,
                                size_t errlen);

/* Stops and joins the threads; jobs still pending are dropped without callbacks. */
void tlsworker_free(struct tlsworker *w);

/* As https_fetch_start, but run by the pool; cb runs on base's thread with the result (and its
 * body) borrowed until it returns.  NULL only on out of memory. */
struct tlsworker_job *tlsworker_fetch(struct tlsworker *w, const struct sockaddr *addr,
                                      socklen_t addrlen, const char *host, const char *path,
                                      const struct https_fetch_opts *opts, https_fetch_cb cb,
                                      void *arg);

/* As smtp_probe_start, run by the pool; cb runs on base's thread.  NULL only on out of memory.
 * opts->tlsa (may be NULL) is copied into the job; opts->dane_ctx is ignored: the pool's own
 * DANE context (dane_ctx_new, made with the pool) judges the chain. */
struct tlsworker_job *tlsworker_probe(struct tlsworker *w, const struct sockaddr *addr,
                                      socklen_t addrlen, const char *mx_host,
                                      const struct smtp_probe_opts *opts, smtp_probe_cb cb,
                                      void *arg);

/* The job's callback will not run; its resources are freed when the worker is done with it. */
void tlsworker_cancel(struct tlsworker_job *job);

#endif
