/*
 * https_fetch: one MTA-STS policy GET as a small state machine on the scan's event loop:
 * connect -> handshake -> request -> headers -> body.
 *
 * It drives a non-blocking socket and a plain SSL object itself (no bufferevent_openssl): that way
 * every step has its own deadline, each SSL error is seen where it happens, and the SSL and the
 * socket have exactly one owner (this struct).  Each step gets opts->timeout_sec from the moment
 * it starts, so a server that trickles bytes cannot hold a fetch longer than four timeouts.
 *
 * Every end goes through finish(): it closes the connection, calls the callback once and frees
 * the fetch.  Step functions only record the outcome (end()) and return PROGRESS_END.
 */
#include "scanner/https_fetch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "lib/enumname.h"
#include "scanner/http_response.h"
#include "scanner/tlscheck.h"

#ifndef MTASTS_VERSION
#define MTASTS_VERSION "dev"
#endif

static const struct enum_name https_fetch_status_names[] = {
    {HTTPS_FETCH_OK, "ok"},
    {HTTPS_FETCH_CONNECT_FAILED, "connect_failed"},
    {HTTPS_FETCH_TIMEOUT, "timeout"},
    {HTTPS_FETCH_TLS_FAILED, "tls_failed"},
    {HTTPS_FETCH_CERT_EXPIRED, "cert_expired"},
    {HTTPS_FETCH_CERT_HOSTNAME_MISMATCH, "cert_hostname_mismatch"},
    {HTTPS_FETCH_CERT_UNTRUSTED, "cert_untrusted"},
    {HTTPS_FETCH_REDIRECT, "redirect"},
    {HTTPS_FETCH_HTTP_STATUS, "http_status"},
    {HTTPS_FETCH_CONTENT_TYPE, "content_type"},
    {HTTPS_FETCH_TOO_LARGE, "too_large"},
    {HTTPS_FETCH_PROTOCOL, "protocol"},
    {HTTPS_FETCH_INTERNAL_ERROR, "internal_error"},
};
ENUM_NAMES_DEFINE(https_fetch_status, enum https_fetch_status, HTTPS_FETCH_INTERNAL_ERROR + 1, "unknown")

enum fetch_step { STEP_CONNECT, STEP_HANDSHAKE, STEP_REQUEST, STEP_HEADERS, STEP_BODY, STEP_DONE };

static const char *step_str(enum fetch_step s)
{
    switch (s) {
    case STEP_CONNECT: return "connect";
    case STEP_HANDSHAKE: return "handshake";
    case STEP_REQUEST: return "request";
    case STEP_HEADERS: return "headers";
    case STEP_BODY: return "body";
    case STEP_DONE: return "done";
    }
    return "unknown";
}

enum body_mode { BODY_LENGTH, BODY_CHUNKED, BODY_UNTIL_CLOSE };

/* What a step function tells the driver. */
enum progress { PROGRESS_AGAIN, PROGRESS_WAIT, PROGRESS_END };

struct https_fetch {
    struct event_base *base;
    SSL_CTX *ctx;
    https_fetch_cb cb;
    void *arg;
    double timeout_sec;
    size_t max_body;
    enum fetch_step step;
    evutil_socket_t fd;
    SSL *ssl;
    int tls_clean;               /* handshake done, no fatal TLS error: close_notify may be sent */
    struct event *ev_read, *ev_write, *timer;
    char host[256];
    char *req;                   /* the whole request, malloc'd */
    size_t req_len, req_off;
    enum body_mode body_mode;
    uint64_t body_expected;      /* BODY_LENGTH */
    struct http_chunked chunked; /* BODY_CHUNKED */
    size_t body_cap;
    size_t head_len;
    char head[HTTP_RESPONSE_HEAD_MAX];
    struct https_fetch_result res;
};

/* Records the outcome; the caller returns PROGRESS_END and the driver finishes. */
__attribute__((format(printf, 3, 4)))
static enum progress end(struct https_fetch *f, enum https_fetch_status status, const char *fmt, ...)
{
    f->res.status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->res.detail, sizeof(f->res.detail), fmt, ap);
    va_end(ap);
    return PROGRESS_END;
}

static void arm_deadline(struct https_fetch *f, enum fetch_step step)
{
    f->step = step;
    double t = f->timeout_sec > 0 ? f->timeout_sec : 0;
    struct timeval tv = { .tv_sec = (time_t)t,
                          .tv_usec = (suseconds_t)((t - (double)(time_t)t) * 1e6) };
    evtimer_add(f->timer, &tv);
}

/* Closes the connection (a close_notify first when the session is healthy) and stops events. */
static void teardown(struct https_fetch *f)
{
    if (f->ev_read)
        event_free(f->ev_read);
    if (f->ev_write)
        event_free(f->ev_write);
    if (f->timer)
        event_free(f->timer);
    f->ev_read = f->ev_write = f->timer = NULL;
    if (f->ssl) {
        if (f->tls_clean)
            SSL_shutdown(f->ssl); /* best effort, never waited for */
        SSL_free(f->ssl);
        ERR_clear_error();
        f->ssl = NULL;
    }
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

static void fetch_free(struct https_fetch *f)
{
    teardown(f);
    free(f->req);
    free(f->res.body);
    free(f);
}

/* Hex SHA-256 of the body as served, so a scan can tell policy changes without keeping bodies;
 * left "" if OpenSSL fails (out of memory). */
static void body_digest(const char *body, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    hex[0] = '\0';
    if (EVP_Digest(body, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return;
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The single exit: closes, reports once, frees. */
static void finish(struct https_fetch *f)
{
    teardown(f);
    if (f->res.status != HTTPS_FETCH_OK) {
        free(f->res.body);
        f->res.body = NULL;
        f->res.body_len = 0;
    } else if (f->res.body == NULL) {
        f->res.body = calloc(1, 1); /* an empty 200 body is still a body */
    } else {
        f->res.body[f->res.body_len] = '\0'; /* room kept by body_reserve */
    }
    if (f->res.body != NULL)
        body_digest(f->res.body, f->res.body_len, f->res.body_sha256);
    f->step = STEP_DONE;
    f->cb(&f->res, f->arg);
    fetch_free(f);
}

static void wait_io(struct https_fetch *f, int ssl_err)
{
    event_add(ssl_err == SSL_ERROR_WANT_WRITE ? f->ev_write : f->ev_read, NULL);
}

/* Describes a failed SSL call; saved_errno is errno right after it. */
static void ssl_error_text(int ssl_err, int ret, int saved_errno, char *buf, size_t size)
{
    if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        if (saved_errno != 0 && ret < 0)
            snprintf(buf, size, "%s", strerror(saved_errno));
        else
            snprintf(buf, size, "connection closed by peer");
        return;
    }
    if (ssl_err == SSL_ERROR_ZERO_RETURN) {
        snprintf(buf, size, "connection closed by peer (close_notify)");
        return;
    }
    tlscheck_last_error(buf, size);
}

/* Grows the body buffer so that `more` bytes and a NUL fit; never beyond max_body + 2. */
static int body_reserve(struct https_fetch *f, size_t more)
{
    size_t need = f->res.body_len + more + 1;
    if (need <= f->body_cap)
        return 1;
    size_t cap = f->body_cap ? f->body_cap : 4096;
    while (cap < need)
        cap *= 2;
    if (cap > f->max_body + 2)
        cap = f->max_body + 2;
    if (cap < need)
        cap = need;
    char *p = realloc(f->res.body, cap);
    if (p == NULL)
        return 0;
    f->res.body = p;
    f->body_cap = cap;
    return 1;
}

static enum progress body_append(struct https_fetch *f, const char *data, size_t n)
{
    if (n == 0)
        return PROGRESS_AGAIN;
    if (!body_reserve(f, n))
        return end(f, HTTPS_FETCH_INTERNAL_ERROR, "out of memory for the body");
    memcpy(f->res.body + f->res.body_len, data, n);
    f->res.body_len += n;
    return PROGRESS_AGAIN;
}

static enum progress too_large(struct https_fetch *f)
{
    return end(f, HTTPS_FETCH_TOO_LARGE, "body over the %zu-byte limit", f->max_body);
}

static enum progress body_chunked(struct https_fetch *f, const char *data, size_t n)
{
    while (n > 0) {
        size_t room = f->max_body + 1 - f->res.body_len;
        size_t want = n < room ? n : room; /* decoded bytes never outnumber encoded ones */
        if (!body_reserve(f, want))
            return end(f, HTTPS_FETCH_INTERNAL_ERROR, "out of memory for the body");
        size_t used, produced;
        enum http_parse_status st = http_chunked_decode(&f->chunked, data, n, &used,
                                                        f->res.body + f->res.body_len, want,
                                                        &produced);
        f->res.body_len += produced;
        data += used, n -= used;
        if (f->res.body_len > f->max_body)
            return too_large(f);
        if (st == HTTP_PARSE_OK)
            return end(f, HTTPS_FETCH_OK, "%s", "");
        if (st == HTTP_PARSE_MALFORMED)
            return end(f, HTTPS_FETCH_PROTOCOL, "bad chunked encoding");
        if (used == 0 && produced == 0)
            break;
    }
    return PROGRESS_AGAIN;
}

/* Takes body bytes; stops at the cap (one byte past it proves the body is too large). */
static enum progress body_feed(struct https_fetch *f, const char *data, size_t n)
{
    switch (f->body_mode) {
    case BODY_LENGTH: {
        uint64_t left = f->body_expected - f->res.body_len;
        size_t take = (uint64_t)n < left ? n : (size_t)left;
        if (body_append(f, data, take) == PROGRESS_END)
            return PROGRESS_END;
        if (f->res.body_len == f->body_expected)
            return end(f, HTTPS_FETCH_OK, "%s", "");
        return PROGRESS_AGAIN;
    }
    case BODY_CHUNKED:
        return body_chunked(f, data, n);
    case BODY_UNTIL_CLOSE: {
        size_t room = f->max_body + 1 - f->res.body_len;
        if (body_append(f, data, n < room ? n : room) == PROGRESS_END)
            return PROGRESS_END;
        return f->res.body_len > f->max_body ? too_large(f) : PROGRESS_AGAIN;
    }
    }
    return PROGRESS_AGAIN;
}

/* Applies RFC 8461 §3.3 to a final response head and chooses how the body is framed. */
static enum progress judge_head(struct https_fetch *f, const struct http_response_head *h)
{
    if (h->has_content_type)
        snprintf(f->res.content_type, sizeof(f->res.content_type), "%s", h->content_type);
    if (h->status >= 300 && h->status < 400)
        return end(f, HTTPS_FETCH_REDIRECT, "%s; Location: %s", h->status_line,
                   h->has_location ? h->location : "(none)");
    if (h->status != 200)
        return end(f, HTTPS_FETCH_HTTP_STATUS, "%s", h->status_line);
    if (!h->has_content_type)
        return end(f, HTTPS_FETCH_CONTENT_TYPE, "no Content-Type");
    if (!http_media_type_is(h->content_type, "text", "plain"))
        return end(f, HTTPS_FETCH_CONTENT_TYPE, "Content-Type: %s", h->content_type);
    if (h->transfer_coding_unsupported)
        return end(f, HTTPS_FETCH_PROTOCOL, "unsupported Transfer-Encoding");
    if (h->chunked) {
        f->body_mode = BODY_CHUNKED;
        http_chunked_init(&f->chunked);
    } else if (h->has_content_length) {
        if (h->content_length > f->max_body)
            return end(f, HTTPS_FETCH_TOO_LARGE, "Content-Length %llu over the %zu-byte limit",
                       (unsigned long long)h->content_length, f->max_body);
        f->body_mode = BODY_LENGTH;
        f->body_expected = h->content_length;
    } else {
        f->body_mode = BODY_UNTIL_CLOSE;
    }
    arm_deadline(f, STEP_BODY);
    return PROGRESS_AGAIN;
}

/* Moves up to n bytes into the head buffer; returns how many it took. */
static size_t head_take(struct https_fetch *f, const char *data, size_t n)
{
    size_t room = sizeof(f->head) - f->head_len;
    size_t take = n < room ? n : room;
    memcpy(f->head + f->head_len, data, take);
    f->head_len += take;
    return take;
}

/* Parses what the head buffer holds; interim 1xx heads are skipped.  Bytes that did not fit in
 * the head buffer (data[0..n)) go on to the next head or to the body. */
static enum progress head_feed(struct https_fetch *f, const char *data, size_t n)
{
    for (;;) {
        size_t took = head_take(f, data, n);
        data += took, n -= took;
        struct http_response_head h;
        enum http_parse_status st = http_response_parse_head(f->head, f->head_len, &h);
        if (h.status != 0)
            f->res.http_status = h.status; /* known even if the rest of the head is bad */
        if (st == HTTP_PARSE_INCOMPLETE)
            return PROGRESS_AGAIN;
        if (st == HTTP_PARSE_TOO_LARGE)
            return end(f, HTTPS_FETCH_PROTOCOL, "response head over %d bytes",
                       HTTP_RESPONSE_HEAD_MAX);
        if (st == HTTP_PARSE_MALFORMED)
            return end(f, HTTPS_FETCH_PROTOCOL, "malformed response: %s%s%s", h.error,
                       h.status_line[0] ? ": " : "", h.status_line);
        size_t rest = f->head_len - h.head_len;
        memmove(f->head, f->head + h.head_len, rest);
        f->head_len = rest;
        if (h.status >= 100 && h.status < 200 && h.status != 101)
            continue; /* 100 Continue, 103 Early Hints: the real response follows */
        if (judge_head(f, &h) == PROGRESS_END)
            return PROGRESS_END;
        f->head_len = 0;
        if (body_feed(f, f->head, rest) == PROGRESS_END)
            return PROGRESS_END;
        return body_feed(f, data, n);
    }
}

static enum progress on_eof(struct https_fetch *f)
{
    switch (f->step) {
    case STEP_REQUEST:
        return end(f, HTTPS_FETCH_PROTOCOL, "connection closed while sending the request");
    case STEP_HEADERS:
        return end(f, HTTPS_FETCH_PROTOCOL, f->head_len ? "connection closed inside the response head"
                                                        : "connection closed before any response");
    case STEP_BODY:
        if (f->body_mode == BODY_UNTIL_CLOSE)
            return end(f, HTTPS_FETCH_OK, "%s", "");
        if (f->body_mode == BODY_LENGTH)
            return end(f, HTTPS_FETCH_PROTOCOL, "body truncated: %zu of %llu bytes",
                       f->res.body_len, (unsigned long long)f->body_expected);
        return end(f, HTTPS_FETCH_PROTOCOL, "chunked body truncated after %zu bytes",
                   f->res.body_len);
    case STEP_CONNECT:
    case STEP_HANDSHAKE:
    case STEP_DONE:
        break;
    }
    return end(f, HTTPS_FETCH_PROTOCOL, "connection closed");
}

static enum progress step_read(struct https_fetch *f)
{
    char buf[16384];
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(f->ssl, buf, (int)sizeof(buf));
    int saved_errno = errno;
    if (r > 0)
        return f->step == STEP_HEADERS ? head_feed(f, buf, (size_t)r) : body_feed(f, buf, (size_t)r);
    int e = SSL_get_error(f->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        wait_io(f, e);
        return PROGRESS_WAIT;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && saved_errno == 0 && ERR_peek_error() == 0))
        return on_eof(f);
    f->tls_clean = 0;
    char why[256];
    ssl_error_text(e, r, saved_errno, why, sizeof(why));
    if (e == SSL_ERROR_SSL)
        return end(f, HTTPS_FETCH_TLS_FAILED, "TLS error while reading %s: %s", step_str(f->step), why);
    return end(f, HTTPS_FETCH_PROTOCOL, "connection error while reading %s: %s", step_str(f->step), why);
}

static enum progress step_request(struct https_fetch *f)
{
    while (f->req_off < f->req_len) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_write(f->ssl, f->req + f->req_off, (int)(f->req_len - f->req_off));
        int saved_errno = errno;
        if (r > 0) {
            f->req_off += (size_t)r;
            continue;
        }
        int e = SSL_get_error(f->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            wait_io(f, e);
            return PROGRESS_WAIT;
        }
        if (e == SSL_ERROR_ZERO_RETURN)
            return on_eof(f);
        f->tls_clean = 0;
        char why[256];
        ssl_error_text(e, r, saved_errno, why, sizeof(why));
        return end(f, e == SSL_ERROR_SSL ? HTTPS_FETCH_TLS_FAILED : HTTPS_FETCH_PROTOCOL,
                   "sending the request: %s", why);
    }
    f->step = STEP_HEADERS; /* same deadline: the request is part of waiting for the head */
    return PROGRESS_AGAIN;
}

/* Priority when several certificate problems are present: expired, then name, then trust. */
static enum https_fetch_status cert_status(unsigned flags)
{
    if (flags & TLSCHECK_EXPIRED)
        return HTTPS_FETCH_CERT_EXPIRED;
    if (flags & TLSCHECK_HOSTNAME_MISMATCH)
        return HTTPS_FETCH_CERT_HOSTNAME_MISMATCH;
    return HTTPS_FETCH_CERT_UNTRUSTED; /* UNTRUSTED or OTHER: a sender cannot trust it either way */
}

static enum progress step_handshake(struct https_fetch *f)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(f->ssl);
    int saved_errno = errno;
    if (r != 1) {
        int e = SSL_get_error(f->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            wait_io(f, e);
            return PROGRESS_WAIT;
        }
        char why[256];
        ssl_error_text(e, r, saved_errno, why, sizeof(why));
        return end(f, HTTPS_FETCH_TLS_FAILED, "handshake: %s", why);
    }
    f->tls_clean = 1;
    f->res.handshake_done = 1;
    snprintf(f->res.tls_version, sizeof(f->res.tls_version), "%s", SSL_get_version(f->ssl));
    tlscheck_cert_facts(f->ssl, &f->res.cert);
    struct tlscheck_info info;
    tlscheck_verdict(f->ssl, &info);
    if (info.flags) {
        /* RFC 8461 §3.3: a policy from a server with an invalid certificate must not be used,
         * so the request is never sent. */
        f->res.cert_flags = info.flags;
        return end(f, cert_status(info.flags), "certificate: %s", info.error);
    }
    arm_deadline(f, STEP_REQUEST);
    return PROGRESS_AGAIN;
}

/* The TCP connect finished (or failed): start TLS on the socket. */
static enum progress step_connected(struct https_fetch *f)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0)
        return end(f, HTTPS_FETCH_CONNECT_FAILED, "connect: %s", strerror(err));
    f->ssl = tlscheck_ssl_new(f->ctx, f->host);
    if (f->ssl == NULL || !SSL_set_fd(f->ssl, f->fd)) { /* SSL_set_fd: BIO_NOCLOSE, fd stays ours */
        char why[256];
        tlscheck_last_error(why, sizeof(why));
        /* SSL_new fails on out of memory only: the scanner's failure, not the host's */
        return end(f, HTTPS_FETCH_INTERNAL_ERROR, "cannot set up TLS: %s", why);
    }
    /* A server that closes without close_notify ends a read-until-close body, as browsers allow;
     * Content-Length and chunked bodies are still checked for truncation. */
    SSL_set_options(f->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_set_connect_state(f->ssl);
    arm_deadline(f, STEP_HANDSHAKE);
    return PROGRESS_AGAIN;
}

/* Runs steps until one waits for I/O or the fetch ends; f is freed when it ends. */
static void drive(struct https_fetch *f, int connect_event)
{
    enum progress p = PROGRESS_AGAIN;
    if (connect_event)
        p = step_connected(f);
    while (p == PROGRESS_AGAIN) {
        switch (f->step) {
        case STEP_HANDSHAKE: p = step_handshake(f); break;
        case STEP_REQUEST: p = step_request(f); break;
        case STEP_HEADERS:
        case STEP_BODY: p = step_read(f); break;
        case STEP_CONNECT:
        case STEP_DONE: p = PROGRESS_WAIT; break;
        }
    }
    if (p == PROGRESS_END)
        finish(f);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct https_fetch *f = arg;
    event_del(f->ev_read); /* whichever fired, the next wait is chosen afresh */
    event_del(f->ev_write);
    drive(f, f->step == STEP_CONNECT);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct https_fetch *f = arg;
    if (f->step != STEP_DONE) /* STEP_DONE here = a failure recorded in https_fetch_start */
        end(f, HTTPS_FETCH_TIMEOUT, "timeout after %g s in step %s", f->timeout_sec, step_str(f->step));
    finish(f);
}

/* Host and path go into the request line and Host field as they are: refuse anything that
 * could split or smuggle a line. */
static int request_token_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

static int ua_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* Builds the request; returns 0 on OOM, -1 on an unusable host/path/user agent. */
static int build_request(struct https_fetch *f, const char *path, const char *ua)
{
    if (!request_token_ok(f->host, 253) || strchr(f->host, '/') || !request_token_ok(path, 2048) ||
        path[0] != '/' || !ua_ok(ua))
        return -1;
#define REQUEST_FMT "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: text/plain\r\n" \
                    "Connection: close\r\n\r\n"
    int n = snprintf(NULL, 0, REQUEST_FMT, path, f->host, ua);
    if (n < 0)
        return -1;
    f->req = malloc((size_t)n + 1);
    if (f->req == NULL)
        return 0;
    snprintf(f->req, (size_t)n + 1, REQUEST_FMT, path, f->host, ua);
#undef REQUEST_FMT
    f->req_len = (size_t)n;
    return 1;
}

/* Records a failure found before the loop runs; the timer reports it from the loop so that the
 * callback is never called from inside https_fetch_start. */
static void fail_later(struct https_fetch *f, enum https_fetch_status status, const char *detail)
{
    end(f, status, "%s", detail);
    f->step = STEP_DONE;
    struct timeval now = { 0, 0 };
    evtimer_add(f->timer, &now);
}

/* Opens the socket and starts the connect; returns 0 on OOM, else 1 (failures go to fail_later). */
static int start_connect(struct https_fetch *f, const struct sockaddr *addr, socklen_t addrlen)
{
    char why[300];
    f->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f->fd < 0) {
        snprintf(why, sizeof(why), "socket: %s", strerror(errno));
        fail_later(f, HTTPS_FETCH_CONNECT_FAILED, why);
        return 1;
    }
    f->ev_read = event_new(f->base, f->fd, EV_READ, on_io, f);
    f->ev_write = event_new(f->base, f->fd, EV_WRITE, on_io, f);
    if (f->ev_read == NULL || f->ev_write == NULL)
        return 0;
    if (connect(f->fd, addr, addrlen) != 0 && errno != EINPROGRESS) {
        snprintf(why, sizeof(why), "connect: %s", strerror(errno));
        fail_later(f, HTTPS_FETCH_CONNECT_FAILED, why);
        return 1;
    }
    arm_deadline(f, STEP_CONNECT);
    event_add(f->ev_write, NULL); /* writable = connected or failed; SO_ERROR tells which */
    return 1;
}

struct https_fetch *https_fetch_start(struct event_base *base, SSL_CTX *ctx,
                                      const struct sockaddr *addr, socklen_t addrlen,
                                      const char *host, const char *path,
                                      const struct https_fetch_opts *opts,
                                      https_fetch_cb cb, void *arg)
{
    struct https_fetch *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->base = base;
    f->ctx = ctx;
    f->cb = cb;
    f->arg = arg;
    f->fd = -1;
    f->timeout_sec = opts->timeout_sec;
    f->max_body = opts->max_body;
    f->step = STEP_CONNECT;
    snprintf(f->host, sizeof(f->host), "%s", host);
    size_t hl = strlen(f->host);
    if (hl > 0 && f->host[hl - 1] == '.')
        f->host[hl - 1] = '\0'; /* neither SNI nor Host carries the root dot */

    f->timer = evtimer_new(base, on_timer, f);
    if (f->timer == NULL)
        goto oom;
    const char *ua = opts->user_agent ? opts->user_agent : "mtasts-scan/" MTASTS_VERSION;
    int built = build_request(f, path, ua);
    if (built == 0)
        goto oom;
    if (built < 0) {
        fail_later(f, HTTPS_FETCH_PROTOCOL, "invalid host, path or user agent for a request");
        return f;
    }
    if (!start_connect(f, addr, addrlen))
        goto oom;
    return f;
oom:
    fetch_free(f);
    return NULL;
}

void https_fetch_cancel(struct https_fetch *f)
{
    if (f != NULL)
        fetch_free(f);
}
