/*
 * smtp_probe: one STARTTLS probe of one MX address, driven entirely by the scan's event loop.
 *
 * A probe walks the steps of enum probe_step: TCP connect, greeting (220), EHLO (250, STARTTLS
 * keyword noted), STARTTLS (220), TLS handshake with SNI and expected name = MX host, certificate
 * judged by tlscheck, then QUIT.  It never sends MAIL, RCPT or DATA: the only commands are EHLO,
 * STARTTLS and QUIT.
 *
 * Ownership: the probe owns its socket, its SSL and its bufferevents.  Neither bufferevent is
 * created with BEV_OPT_CLOSE_ON_FREE, so freeing one never closes the fd or frees the SSL behind
 * our back; teardown() releases them in one place, in order (bufferevent, SSL, fd).  With the
 * plain and the TLS bufferevent on the same fd (the plain one is freed when STARTTLS is
 * accepted), that keeps "who closes what" a single answer.
 *
 * Bounds: one timer per probe, re-armed at every step with opts->timeout_sec; a reply is parsed
 * from a read buffer capped at SMTP_PROBE_READ_MAX by the read high-watermark, and the parser
 * reports over-long lines and endless continuations as soon as the bytes prove them, so a hostile
 * server costs at most that much memory and never holds a probe past its timeout.
 *
 * The callback always runs from a zero-delay event activated by finish(), never from inside
 * smtp_probe_start() nor from inside a bufferevent callback, so the caller may start new probes
 * from it freely.
 */
#include "scanner/smtp_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "lib/enumname.h"
#include "scanner/smtp_reply.h"

#define DEFAULT_TIMEOUT_SEC 10.0
#define QUIT_GRACE_SEC 0.2 /* how long we wait for the 221 after QUIT; the verdict is already made */
#define EHLO_NAME_MAX 255

/* Where a probe is; also names the step in timeout and protocol messages. */
enum probe_step {
    STEP_CONNECT = 0,
    STEP_GREETING,
    STEP_EHLO,
    STEP_STARTTLS,
    STEP_HANDSHAKE,
    STEP_QUIT,      /* verdict made, QUIT sent, waiting a short grace for the 221 */
    STEP_DONE       /* resources released, callback pending */
};

struct smtp_probe {
    struct event_base *base;
    SSL_CTX *ctx;               /* borrowed */
    smtp_probe_cb cb;
    void *arg;
    int fd;                     /* owned; -1 when closed */
    struct bufferevent *bev;    /* plain until STARTTLS is accepted, then TLS; never CLOSE_ON_FREE */
    SSL *ssl;                   /* owned; NULL before STARTTLS */
    struct event *timer;        /* step timeout, or the QUIT grace */
    struct event *done_ev;      /* zero-delay event that runs the callback */
    enum probe_step step;
    int in_callback;
    double timeout_sec;
    struct timespec t_start, t_connected, t_tls_start;
    char ehlo_name[EHLO_NAME_MAX + 1];
    char mx_host[256];
    const struct dane_tlsa_set *tlsa; /* borrowed (opts); NULL = no DANE */
    SSL_CTX *dane_ctx;
    struct smtp_probe_result res;
};

/* The probe status names (the MX table's probe_status, check's JSON; lib/enumname). */
static const struct enum_name smtp_probe_status_names[] = {
    {SMTP_PROBE_OK, "ok"},
    {SMTP_PROBE_CONNECT_FAILED, "connect_failed"},
    {SMTP_PROBE_TIMEOUT, "timeout"},
    {SMTP_PROBE_PROTOCOL, "protocol"},
    {SMTP_PROBE_STARTTLS_MISSING, "starttls_missing"},
    {SMTP_PROBE_TLS_FAILED, "tls_failed"},
    {SMTP_PROBE_CERT_INVALID, "cert_invalid"},
    {SMTP_PROBE_INTERNAL_ERROR, "internal_error"},
};
ENUM_NAMES_DEFINE_PARSE(smtp_probe_status, enum smtp_probe_status, SMTP_PROBE_INTERNAL_ERROR + 1, "unknown")

static const char *step_name(enum probe_step s)
{
    switch (s) {
    case STEP_CONNECT: return "connect";
    case STEP_GREETING: return "greeting";
    case STEP_EHLO: return "EHLO";
    case STEP_STARTTLS: return "STARTTLS";
    case STEP_HANDSHAKE: return "TLS handshake";
    case STEP_QUIT: return "QUIT";
    case STEP_DONE: return "done";
    }
    return "unknown";
}

static double ms_since(const struct timespec *from)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - from->tv_sec) * 1e3 + (double)(now.tv_nsec - from->tv_nsec) / 1e6;
}

static void set_error(struct smtp_probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(struct smtp_probe *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->res.error, sizeof(p->res.error), fmt, ap);
    va_end(ap);
}

/* Arms the probe's single timer for the current step. */
static void arm_timer(struct smtp_probe *p, double sec)
{
    struct timeval tv;
    tv.tv_sec = (time_t)sec;
    tv.tv_usec = (suseconds_t)((sec - (double)tv.tv_sec) * 1e6);
    evtimer_add(p->timer, &tv);
}

static void enter_step(struct smtp_probe *p, enum probe_step s)
{
    p->step = s;
    arm_timer(p, p->timeout_sec);
}

/* Releases the network side: bufferevent first (it borrows the SSL and the fd), then SSL, fd. */
static void teardown(struct smtp_probe *p)
{
    if (p->timer)
        evtimer_del(p->timer);
    if (p->bev) {
        /* With BEV_OPT_DEFER_CALLBACKS a bufferevent freed while a callback is pending is only
         * finalized later, its events still registered on the fd.  Closing the fd then, and a new
         * socket (c-ares', another probe's) reusing the number, left that socket out of epoll:
         * disable first, which takes the events off the fd now. */
        bufferevent_disable(p->bev, EV_READ | EV_WRITE);
        bufferevent_free(p->bev);
        p->bev = NULL;
    }
    if (p->ssl) {
        SSL_free(p->ssl);
        p->ssl = NULL;
    }
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
}

/* Frees the probe itself; the network side must be torn down already. */
static void probe_free(struct smtp_probe *p)
{
    if (p->timer)
        event_free(p->timer);
    if (p->done_ev)
        event_free(p->done_ev); /* also takes it off the active queue after a cancel */
    free(p);
}

/* Ends the probe with the status already in p->res: frees the network side now and runs the
 * callback from the loop.  Safe to call once only; later events cannot reach a DONE probe. */
static void finish(struct smtp_probe *p)
{
    if (p->step == STEP_DONE)
        return; /* belt and braces: the callback must run exactly once */
    teardown(p);
    p->step = STEP_DONE;
    p->res.total_ms = ms_since(&p->t_start);
    event_active(p->done_ev, EV_TIMEOUT, 0);
}

static void fail(struct smtp_probe *p, enum smtp_probe_status st)
{
    p->res.status = st;
    finish(p);
}

static void send_line(struct smtp_probe *p, const char *cmd, const char *param)
{
    struct evbuffer *out = bufferevent_get_output(p->bev);
    if (param)
        evbuffer_add_printf(out, "%s %s\r\n", cmd, param);
    else
        evbuffer_add_printf(out, "%s\r\n", cmd);
}

/* The verdict (status, error) is made; say QUIT politely and wait briefly for the 221, so the
 * server logs a clean session instead of a lost connection. */
static void quit(struct smtp_probe *p, enum smtp_probe_status st)
{
    p->res.status = st;
    send_line(p, "QUIT", NULL);
    p->step = STEP_QUIT;
    arm_timer(p, p->timeout_sec < QUIT_GRACE_SEC ? p->timeout_sec : QUIT_GRACE_SEC);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smtp_probe *p = arg;
    if (p->step == STEP_QUIT) {
        finish(p);
        return;
    }
    set_error(p, "timeout during %s after %.1f s", step_name(p->step), p->timeout_sec);
    fail(p, SMTP_PROBE_TIMEOUT);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smtp_probe *p = arg;
    p->in_callback = 1;
    p->cb(&p->res, p->arg);
    probe_free(p);
}

static void on_tls_read(struct bufferevent *bev, void *arg);
static void on_tls_event(struct bufferevent *bev, short what, void *arg);

/* STARTTLS was accepted: hand the socket to a TLS bufferevent.  Bytes the server sent after its
 * 220 are dropped with the plain bufferevent: they were not protected by TLS, and treating them
 * as replies later would be the response-injection bug of CVE-2011-0411. */
static void start_tls(struct smtp_probe *p)
{
    bufferevent_disable(p->bev, EV_READ | EV_WRITE); /* see teardown() */
    bufferevent_free(p->bev);
    p->bev = NULL;
    p->ssl = tlscheck_ssl_new(p->ctx, p->mx_host);
    if (p->ssl == NULL) {
        set_error(p, "cannot create SSL for %s (out of memory)", p->mx_host);
        fail(p, SMTP_PROBE_INTERNAL_ERROR); /* the scanner's failure, not the host's */
        return;
    }
    /* No CLOSE_ON_FREE: the SSL and the fd stay ours even if this constructor fails. */
    p->bev = bufferevent_openssl_socket_new(p->base, p->fd, p->ssl, BUFFEREVENT_SSL_CONNECTING,
                                            BEV_OPT_DEFER_CALLBACKS);
    if (p->bev == NULL) {
        set_error(p, "cannot create TLS bufferevent (out of memory)");
        fail(p, SMTP_PROBE_INTERNAL_ERROR);
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(p->bev, 1);
    bufferevent_setcb(p->bev, on_tls_read, NULL, on_tls_event, p);
    bufferevent_setwatermark(p->bev, EV_READ, 0, SMTP_PROBE_READ_MAX);
    clock_gettime(CLOCK_MONOTONIC, &p->t_tls_start);
    enter_step(p, STEP_HANDSHAKE);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
}

/* 1 when reply r has code want; else records "<what> <code> <first line>", quits with status and
 * returns 0. */
static int reply_is(struct smtp_probe *p, const struct smtp_reply *r, int want, const char *what,
                    enum smtp_probe_status status)
{
    if (r->code == want)
        return 1;
    set_error(p, "%s %d %s", what, r->code, r->first_line);
    quit(p, status);
    return 0;
}

static void on_greeting(struct smtp_probe *p, const struct smtp_reply *r)
{
    p->res.greeting_code = r->code;
    p->res.greeting_ms = ms_since(&p->t_connected);
    if (!reply_is(p, r, 220, "greeting", SMTP_PROBE_PROTOCOL))
        return;
    send_line(p, "EHLO", p->ehlo_name);
    enter_step(p, STEP_EHLO);
}

static void on_ehlo(struct smtp_probe *p, const struct smtp_reply *r)
{
    if (!reply_is(p, r, 250, "EHLO answered", SMTP_PROBE_PROTOCOL))
        return;
    p->res.starttls_offered = r->starttls ? 1 : 0;
    if (!r->starttls) {
        set_error(p, "STARTTLS not offered in EHLO reply");
        quit(p, SMTP_PROBE_STARTTLS_MISSING);
        return;
    }
    send_line(p, "STARTTLS", NULL);
    enter_step(p, STEP_STARTTLS);
}

static void on_starttls(struct smtp_probe *p, const struct smtp_reply *r)
{
    if (reply_is(p, r, 220, "STARTTLS answered", SMTP_PROBE_STARTTLS_MISSING))
        start_tls(p);
}

/* Parses one reply from the plain input and moves the probe on.  Returns 1 when a reply was
 * handled and more buffered bytes may be looked at, 0 otherwise. */
static int handle_reply(struct smtp_probe *p, struct evbuffer *in)
{
    size_t len = evbuffer_get_length(in);
    if (len == 0)
        return 0;
    const char *data = (const char *)evbuffer_pullup(in, -1);
    struct smtp_reply r;
    size_t consumed = 0;
    enum smtp_reply_status st = smtp_reply_parse(data, len, &r, &consumed);
    if (st == SMTP_REPLY_INCOMPLETE) {
        if (len >= SMTP_PROBE_READ_MAX) {
            set_error(p, "%s reply exceeds %d bytes", step_name(p->step), SMTP_PROBE_READ_MAX);
            fail(p, SMTP_PROBE_PROTOCOL);
        }
        return 0;
    }
    if (st != SMTP_REPLY_DONE) {
        set_error(p, "bad %s reply: %s", step_name(p->step), smtp_reply_status_str(st));
        fail(p, SMTP_PROBE_PROTOCOL);
        return 0;
    }
    evbuffer_drain(in, consumed);
    switch (p->step) {
    case STEP_GREETING: on_greeting(p, &r); return p->step == STEP_EHLO;
    case STEP_EHLO: on_ehlo(p, &r); return p->step == STEP_STARTTLS;
    case STEP_STARTTLS: on_starttls(p, &r); return 0;
    case STEP_QUIT: finish(p); return 0;
    case STEP_CONNECT:
    case STEP_HANDSHAKE:
    case STEP_DONE:
        return 0;
    }
    return 0;
}

static void on_plain_read(struct bufferevent *bev, void *arg)
{
    struct smtp_probe *p = arg;
    if (p->step == STEP_QUIT) {
        finish(p); /* any answer to QUIT will do */
        return;
    }
    /* A server may pipeline its greeting with early bytes; keep parsing while replies complete. */
    while (p->bev == bev && handle_reply(p, bufferevent_get_input(bev)))
        ;
}

/* After QUIT was sent the verdict is made: any event (the 221, a close, an error) ends the probe.
 * Returns 1 when it did. */
static int quit_ends(struct smtp_probe *p)
{
    if (p->step != STEP_QUIT)
        return 0;
    finish(p);
    return 1;
}

static void on_plain_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct smtp_probe *p = arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (quit_ends(p))
        return;
    if (p->step == STEP_CONNECT) {
        if (what & BEV_EVENT_CONNECTED) {
            p->res.connect_ms = ms_since(&p->t_start);
            clock_gettime(CLOCK_MONOTONIC, &p->t_connected);
            enter_step(p, STEP_GREETING);
            return;
        }
        set_error(p, "connect: %s", err ? strerror(err) : "unknown error");
        fail(p, SMTP_PROBE_CONNECT_FAILED);
        return;
    }
    if (what & BEV_EVENT_EOF)
        set_error(p, "connection closed by server during %s", step_name(p->step));
    else
        set_error(p, "connection error during %s: %s", step_name(p->step), strerror(err));
    fail(p, SMTP_PROBE_PROTOCOL);
}

/* Describes why a handshake failed.  libevent moves OpenSSL's queued errors into the bufferevent
 * before calling us, so those come first; tlscheck_last_error then drains whatever is left in the
 * thread's queue, so that it cannot leak into another connection's error handling. */
static void describe_tls_failure(struct smtp_probe *p, short what, int err)
{
    char why[200] = "";
    unsigned long e;
    while ((e = bufferevent_get_openssl_error(p->bev)) != 0) {
        if (ERR_GET_LIB(e) == 0)
            continue; /* libevent also stores bare SSL_get_error() codes; they say nothing more */
        char one[120];
        ERR_error_string_n(e, one, sizeof(one));
        size_t len = strlen(why);
        snprintf(why + len, sizeof(why) - len, "%s%s", len ? "; " : "", one);
    }
    int queued = ERR_peek_error() != 0;
    char rest[200];
    tlscheck_last_error(rest, sizeof(rest));
    const char *detail = why;
    if (why[0] == '\0' && queued)
        detail = rest;
    else if (why[0] == '\0' && (what & BEV_EVENT_EOF))
        detail = "connection closed by server";
    else if (why[0] == '\0')
        detail = err ? strerror(err) : "unknown error";
    set_error(p, "TLS handshake failed: %s", detail);
}

static void on_tls_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct smtp_probe *p = arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (quit_ends(p))
        return;
    if (p->step != STEP_HANDSHAKE)
        return;
    if (!(what & BEV_EVENT_CONNECTED)) {
        describe_tls_failure(p, what, err);
        fail(p, SMTP_PROBE_TLS_FAILED);
        return;
    }
    p->res.tls_ms = ms_since(&p->t_tls_start);
    tlscheck_inspect(p->ssl, &p->res.tls);
    if (p->tlsa) /* the chain of this connection: RFC 7672 with no second connection */
        dane_check(p->dane_ctx, p->mx_host, SSL_get_peer_cert_chain(p->ssl), p->tlsa, &p->res.dane);
    if (p->res.tls.flags)
        set_error(p, "certificate: %s", p->res.tls.error);
    quit(p, p->res.tls.flags ? SMTP_PROBE_CERT_INVALID : SMTP_PROBE_OK);
}

static void on_tls_read(struct bufferevent *bev, void *arg)
{
    struct smtp_probe *p = arg;
    if (!quit_ends(p))
        evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

/* An EHLO name goes on the wire verbatim, so it must be one token of visible ASCII: anything
 * else (a CR/LF in particular could smuggle a second command) falls back to "localhost". */
static void copy_ehlo_name(char *dst, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n <= EHLO_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = name[i] > 0x20 && name[i] < 0x7f;
    snprintf(dst, EHLO_NAME_MAX + 1, "%s", ok ? name : "localhost");
}

/* Creates the socket and starts the connect; on failure the probe is finished (callback deferred)
 * with CONNECT_FAILED.  Returns -1 only on OOM. */
static int start_connect(struct smtp_probe *p, const struct sockaddr *addr, socklen_t addrlen)
{
    p->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        set_error(p, "socket: %s", strerror(errno));
        fail(p, SMTP_PROBE_CONNECT_FAILED);
        return 0;
    }
    p->bev = bufferevent_socket_new(p->base, p->fd, BEV_OPT_DEFER_CALLBACKS);
    if (p->bev == NULL)
        return -1;
    bufferevent_setcb(p->bev, on_plain_read, NULL, on_plain_event, p);
    bufferevent_setwatermark(p->bev, EV_READ, 0, SMTP_PROBE_READ_MAX);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
    enter_step(p, STEP_CONNECT);
    /* An immediate failure (e.g. ECONNREFUSED) is reported through on_plain_event, deferred. */
    if (bufferevent_socket_connect(p->bev, addr, (int)addrlen) < 0) {
        set_error(p, "connect: %s", strerror(errno));
        fail(p, SMTP_PROBE_CONNECT_FAILED);
    }
    return 0;
}

struct smtp_probe *smtp_probe_start(struct event_base *base, SSL_CTX *ctx,
                                    const struct sockaddr *addr, socklen_t addrlen,
                                    const char *mx_host, const struct smtp_probe_opts *opts,
                                    smtp_probe_cb cb, void *arg)
{
    struct smtp_probe *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->base = base;
    p->ctx = ctx;
    p->cb = cb;
    p->arg = arg;
    p->fd = -1;
    p->timeout_sec = opts && opts->timeout_sec > 0 ? opts->timeout_sec : DEFAULT_TIMEOUT_SEC;
    copy_ehlo_name(p->ehlo_name, opts ? opts->ehlo_name : NULL);
    snprintf(p->mx_host, sizeof(p->mx_host), "%s", mx_host);
    p->res.status = SMTP_PROBE_PROTOCOL;
    p->res.starttls_offered = -1;
    p->res.connect_ms = p->res.greeting_ms = p->res.tls_ms = p->res.total_ms = -1;
    p->res.dane.matched = p->res.dane.depth = -1;
    if (opts && opts->tlsa && opts->dane_ctx) {
        p->tlsa = opts->tlsa;
        p->dane_ctx = opts->dane_ctx;
        p->res.dane.match = DANE_MATCH_NO_CHAIN; /* until a handshake gives one */
    } else if (opts && opts->tlsa) {
        p->res.dane.match = DANE_MATCH_ERROR; /* no DANE context (out of memory): not judged */
    }
    clock_gettime(CLOCK_MONOTONIC, &p->t_start);

    p->timer = evtimer_new(base, on_timer, p);
    p->done_ev = event_new(base, -1, 0, on_done, p);
    if (p->timer == NULL || p->done_ev == NULL || start_connect(p, addr, addrlen) < 0) {
        smtp_probe_cancel(p);
        return NULL;
    }
    return p;
}

/* Safe on a probe whose callback is pending (it is dropped); ignored from inside the callback,
 * after which the probe frees itself anyway. */
void smtp_probe_cancel(struct smtp_probe *p)
{
    if (p == NULL || p->in_callback)
        return; /* inside its callback the probe is about to free itself */
    teardown(p);
    probe_free(p);
}
