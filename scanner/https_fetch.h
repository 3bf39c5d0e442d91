/*
 * https_fetch: one non-blocking HTTPS GET of an MTA-STS policy, on the scan's libevent loop, with
 * every RFC 8461 §3.3 rule: TLS 1.2+, SNI and certificate valid for the host, no redirects, 200
 * only, text/plain, a size cap, a timeout at every step, chunked encoding understood.
 * The address is already resolved (the DNS stage does that); the fetch knows nothing of domains.
 * The process must ignore SIGPIPE (OpenSSL writes with write(2)); pipeline/scan.c does.
 */
#ifndef MTASTS_HTTPS_FETCH_H
#define MTASTS_HTTPS_FETCH_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "scanner/tlscheck.h"

enum https_fetch_status {
    HTTPS_FETCH_OK = 0,          /* 200, text/plain, body within the cap */
    HTTPS_FETCH_CONNECT_FAILED,  /* refused / unreachable (errno in detail) */
    HTTPS_FETCH_TIMEOUT,         /* a step took longer than the timeout (which step in detail) */
    HTTPS_FETCH_TLS_FAILED,      /* handshake failed (not a certificate problem) */
    HTTPS_FETCH_CERT_EXPIRED,
    HTTPS_FETCH_CERT_HOSTNAME_MISMATCH,
    HTTPS_FETCH_CERT_UNTRUSTED,
    HTTPS_FETCH_REDIRECT,        /* 3xx: never followed */
    HTTPS_FETCH_HTTP_STATUS,     /* any other non-200 */
    HTTPS_FETCH_CONTENT_TYPE,    /* media type other than text/plain */
    HTTPS_FETCH_TOO_LARGE,       /* body over max_body; reading stopped at the cap */
    HTTPS_FETCH_PROTOCOL,        /* malformed HTTP response */
    HTTPS_FETCH_INTERNAL_ERROR   /* the scanner failed (out of memory): says nothing about the
                                    host */
};
const char *https_fetch_status_str(enum https_fetch_status s);

struct https_fetch_opts {
    double timeout_sec;      /* per step: connect, handshake, headers, body */
    size_t max_body;         /* 65536 for RFC 8461 */
    const char *user_agent;
};

struct https_fetch_result {
    enum https_fetch_status status;
    int http_status;         /* 0 when no response line was read */
    unsigned cert_flags;     /* enum tlscheck_flag: every certificate problem seen */
    char *body;              /* NUL-terminated, malloc'd; owned by the result (NULL unless OK) */
    size_t body_len;
    char detail[512];        /* verify error strings, errno text, status line, Location... */
    char body_sha256[65];    /* hex SHA-256 of the body as served (OK only, else "") */
    int handshake_done;      /* the TLS handshake completed: cert holds the policy host's */
    struct tlscheck_cert cert;
    char tls_version[16];    /* negotiated version when handshake_done, e.g. "TLSv1.3" */
    char content_type[64];   /* Content-Type of the response head as sent ("" none; cut) */
};

struct https_fetch;

/* Called once, from the event loop, when the fetch ends.  res (body included) is borrowed until
 * the callback returns: copy what you keep (a body is at most max_body bytes).  The fetch frees
 * itself, body included, after the callback returns; do not cancel it from inside the callback. */
typedef void (*https_fetch_cb)(const struct https_fetch_result *res, void *arg);

/* Starts GET https://host/path at addr.  Returns NULL (and calls nothing) only on OOM.  The
 * callback is never called before this returns. */
struct https_fetch *https_fetch_start(struct event_base *base, SSL_CTX *ctx,
                                      const struct sockaddr *addr, socklen_t addrlen,
                                      const char *host, const char *path,
                                      const struct https_fetch_opts *opts,
                                      https_fetch_cb cb, void *arg);

/* Aborts a fetch without calling its callback. */
void https_fetch_cancel(struct https_fetch *f);

#endif
