/*
 * test_smtp_probe: the STARTTLS probe against fake SMTP servers running in-process on 127.0.0.1
 * ephemeral ports, driven by the same event_base as the probe.  The TLS side of the fake server
 * is a bufferevent_openssl server filter; every certificate (a CA, a valid leaf for mx.test, an
 * expired one, a wrong-name one, a self-signed one) is made by tests/support/tls_server.h, which
 * also writes the CA to a temporary file for tlscheck_ctx_new.  No traffic leaves loopback.
 *
 * Every fake server records each command line it receives, so the tests can assert what the
 * probe said, and counts MAIL / RCPT / DATA, which must never be sent.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "scanner/dane.h"
#include "scanner/smtp_probe.h"
#include "scanner/tlscheck.h"
#include "tests/support/tls_server.h"

/* ------------------------------------------------------------------------------------------ */
/* Certificates                                                                               */

enum leaf_kind { LEAF_VALID = 0, LEAF_EXPIRED, LEAF_WRONG_NAME, LEAF_SELF_SIGNED, LEAF__COUNT };

struct env {
    struct event_base *base;
    struct ts_pki pki;               /* the test CA, in a temp PEM file */
    SSL_CTX *client;                 /* tlscheck context trusting only the test CA */
    SSL_CTX *server[LEAF__COUNT];    /* one server context per leaf kind */
};

static struct env g;

static int group_setup(void **state)
{
    (void)state;
    g.base = event_base_new();
    assert_non_null(g.base);

    ts_pki_init(&g.pki, "mtasts-scan test CA");
    g.server[LEAF_VALID] = ts_leaf_ctx(&g.pki, "mx.test", "DNS:mx.test", -1, 30);
    g.server[LEAF_EXPIRED] = ts_leaf_ctx(&g.pki, "mx.test", "DNS:mx.test", -30, -1);
    g.server[LEAF_WRONG_NAME] = ts_leaf_ctx(&g.pki, "other.test", "DNS:other.test", -1, 30);
    g.server[LEAF_SELF_SIGNED] = ts_leaf_ctx(NULL, "mx.test", "DNS:mx.test", -1, 30);

    char err[256];
    g.client = tlscheck_ctx_new(g.pki.ca_path, err, sizeof(err));
    if (g.client == NULL)
        fail_msg("tlscheck_ctx_new: %s", err);
    return 0;
}

static void run_for(double sec);

static int group_teardown(void **state)
{
    (void)state;
    run_for(0.05); /* lets libevent finalize the bufferevents freed by the last test */
    SSL_CTX_free(g.client);
    for (int i = 0; i < LEAF__COUNT; i++)
        SSL_CTX_free(g.server[i]);
    ts_pki_free(&g.pki);
    event_base_free(g.base);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Fake SMTP server                                                                           */

enum fs_mode {
    FS_OK,               /* multi-line greeting and EHLO (STARTTLS in the middle), TLS, 221 */
    FS_NO_STARTTLS,
    FS_STARTTLS_454,
    FS_SILENT,           /* accepts, never greets */
    FS_EHLO_SILENT,      /* greets, never answers EHLO */
    FS_STARTTLS_SILENT,  /* never answers STARTTLS */
    FS_TLS_SILENT,       /* 220 to STARTTLS, then never speaks TLS */
    FS_GARBAGE,
    FS_554,
    FS_EHLO_500,
    FS_ENDLESS,          /* an endless stream of short "220-" lines */
    FS_ENDLESS_LONG,     /* an endless stream of 2000-byte "220-" lines */
    FS_LONG_LINE,        /* one greeting line over SMTP_REPLY_LINE_MAX */
    FS_EARLY_CLOSE,      /* greeting, then close */
    FS_PLAIN_AFTER_220,  /* 220 to STARTTLS, then plain text instead of a ServerHello */
    FS_INJECT            /* "220 ready" and an injected plain-text reply in the same packet */
};

struct fake_server {
    struct evconnlistener *lst;
    int port;
    enum fs_mode mode;
    SSL_CTX *tls;
    int open_conns;
    int accepted;
    int forbidden;          /* MAIL / RCPT / DATA lines received: must stay 0 */
    size_t endless_sent;
    char log[1024];         /* "cmd|cmd|..." of the first connection; TLS commands as "TLS:cmd" */
};

enum { AFTER_NONE = 0, AFTER_PLAIN, AFTER_SWALLOW };

struct fs_conn {
    struct fake_server *srv;
    struct bufferevent *bev;
    int tls;
    int after_starttls;     /* what to do with the ClientHello: AFTER_* */
    int close_after_flush;
    int first;              /* first connection of the server: the one whose commands are logged */
};

static void conn_free(struct fs_conn *c)
{
    bufferevent_free(c->bev); /* CLOSE_ON_FREE all the way down: TLS filter, plain bev, fd */
    c->srv->open_conns--;
    free(c);
}

static void srv_log(struct fs_conn *c, const char *line)
{
    struct fake_server *s = c->srv;
    if (strncasecmp(line, "MAIL", 4) == 0 || strncasecmp(line, "RCPT", 4) == 0 ||
        strncasecmp(line, "DATA", 4) == 0)
        s->forbidden++;
    if (!c->first)
        return;
    size_t len = strlen(s->log);
    snprintf(s->log + len, sizeof(s->log) - len, "%s%s|", c->tls ? "TLS:" : "", line);
}

static void send_str(struct fs_conn *c, const char *s)
{
    bufferevent_write(c->bev, s, strlen(s));
}

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_write(struct bufferevent *bev, void *arg);
static void conn_event(struct bufferevent *bev, short what, void *arg);

static void start_server_tls(struct fs_conn *c)
{
    SSL *ssl = SSL_new(c->srv->tls);
    assert_non_null(ssl);
    /* CLOSE_ON_FREE: the filter owns the SSL and the plain bufferevent (which owns the fd). */
    struct bufferevent *tb = bufferevent_openssl_filter_new(bufferevent_get_base(c->bev), c->bev, ssl,
                                                            BUFFEREVENT_SSL_ACCEPTING,
                                                            BEV_OPT_CLOSE_ON_FREE);
    assert_non_null(tb);
    c->bev = tb;
    c->tls = 1;
    bufferevent_setcb(tb, conn_read, conn_write, conn_event, c);
    bufferevent_enable(tb, EV_READ | EV_WRITE);
}

static const char *ehlo_reply(enum fs_mode m)
{
    if (m == FS_NO_STARTTLS)
        return "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
    if (m == FS_EHLO_500)
        return "500 5.5.1 what\r\n";
    return "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n";
}

/* Answers one command line; returns 0 when the connection changed (TLS started) and reading
 * lines from the old input must stop. */
static int answer(struct fs_conn *c, const char *line)
{
    enum fs_mode m = c->srv->mode;
    srv_log(c, line);
    if (strncasecmp(line, "EHLO", 4) == 0) {
        if (m != FS_EHLO_SILENT)
            send_str(c, ehlo_reply(m));
    } else if (strcasecmp(line, "STARTTLS") == 0) {
        if (m == FS_STARTTLS_454) {
            send_str(c, "454 4.7.0 TLS not available due to local problem\r\n");
        } else if (m == FS_PLAIN_AFTER_220) {
            send_str(c, "220 ready\r\n");
            c->after_starttls = AFTER_PLAIN;
        } else if (m == FS_TLS_SILENT) {
            send_str(c, "220 ready\r\n");
            c->after_starttls = AFTER_SWALLOW;
        } else if (m != FS_STARTTLS_SILENT) {
            send_str(c, m == FS_INJECT ? "220 ready\r\n250 injected\r\n" : "220 2.0.0 Ready to start TLS\r\n");
            start_server_tls(c);
            return 0;
        }
    } else if (strcasecmp(line, "QUIT") == 0) {
        send_str(c, "221 2.0.0 Bye\r\n");
    } else {
        send_str(c, "502 5.5.2 Error: command not recognized\r\n");
    }
    return 1;
}

static void conn_read(struct bufferevent *bev, void *arg)
{
    struct fs_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->after_starttls != AFTER_NONE) {
        evbuffer_drain(in, evbuffer_get_length(in)); /* the ClientHello */
        if (c->after_starttls == AFTER_PLAIN)
            send_str(c, "500 5.5.1 this is not TLS at all\r\n");
        return;
    }
    char *line;
    size_t n;
    while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
        int go_on = answer(c, line);
        free(line);
        if (!go_on)
            return;
    }
}

/* Keeps an endless greeting flowing while the client keeps reading; stops at a safety cap. */
static void feed_endless(struct fs_conn *c)
{
    static char long_line[2008];
    if (long_line[0] == '\0') {
        memset(long_line, 'x', sizeof(long_line));
        memcpy(long_line, "220-", 4);
        memcpy(long_line + sizeof(long_line) - 3, "\r\n", 3);
    }
    if (c->srv->endless_sent > 64u * 1024 * 1024)
        return;
    for (int i = 0; i < 32; i++) {
        const char *l = c->srv->mode == FS_ENDLESS ? "220-and another thing\r\n" : long_line;
        send_str(c, l);
        c->srv->endless_sent += strlen(l);
    }
}

static void conn_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct fs_conn *c = arg;
    if (c->close_after_flush) {
        conn_free(c);
        return;
    }
    if (c->srv->mode == FS_ENDLESS || c->srv->mode == FS_ENDLESS_LONG)
        feed_endless(c);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(arg);
}

static void greet(struct fs_conn *c)
{
    static char long_line[3008];
    switch (c->srv->mode) {
    case FS_SILENT: return;
    case FS_GARBAGE: send_str(c, "HELLO THERE, I AM A MAIL SERVER\r\n"); return;
    case FS_554: send_str(c, "554 5.7.1 no SMTP service here\r\n"); return;
    case FS_ENDLESS:
    case FS_ENDLESS_LONG: feed_endless(c); return;
    case FS_LONG_LINE:
        memset(long_line, 'a', sizeof(long_line));
        memcpy(long_line, "220 ", 4);
        memcpy(long_line + sizeof(long_line) - 3, "\r\n", 3);
        send_str(c, long_line);
        return;
    case FS_EARLY_CLOSE:
        send_str(c, "220 mx.test ESMTP\r\n");
        c->close_after_flush = 1;
        return;
    default:
        send_str(c, "220-mx.test ESMTP fake\r\n220-no UCE\r\n220 ready\r\n");
        return;
    }
}

static void on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)lst, (void)sa, (void)salen;
    struct fake_server *s = arg;
    struct fs_conn *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->srv = s;
    c->first = s->accepted++ == 0;
    c->bev = bufferevent_socket_new(g.base, fd, BEV_OPT_CLOSE_ON_FREE);
    assert_non_null(c->bev);
    s->open_conns++;
    bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    greet(c);
}

static struct fake_server *server_new(enum fs_mode mode, enum leaf_kind leaf)
{
    struct fake_server *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->mode = mode;
    s->tls = g.server[leaf];
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    s->lst = evconnlistener_new_bind(g.base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                     512, (struct sockaddr *)&sin, sizeof(sin));
    assert_non_null(s->lst);
    socklen_t len = sizeof(sin);
    assert_int_equal(getsockname(evconnlistener_get_fd(s->lst), (struct sockaddr *)&sin, &len), 0);
    s->port = ntohs(sin.sin_port);
    return s;
}

/* Frees the server; every test checks here that the probe never sent MAIL, RCPT or DATA. */
static void server_free(struct fake_server *s)
{
    assert_int_equal(s->forbidden, 0);
    assert_int_equal(s->open_conns, 0);
    evconnlistener_free(s->lst);
    free(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Running probes                                                                             */

struct outcome {
    int called;
    struct smtp_probe_result res;
};

static void on_probe(const struct smtp_probe_result *res, void *arg)
{
    struct outcome *o = arg;
    o->called++;
    o->res = *res;
    if (getenv("SMTP_PROBE_TEST_VERBOSE"))
        fprintf(stderr, "  -> %s greeting=%d starttls=%d flags=%u connect=%.2f greeting=%.2f "
                "tls=%.2f total=%.2f ms: %s\n", smtp_probe_status_str(res->status),
                res->greeting_code, res->starttls_offered, res->tls.flags, res->connect_ms,
                res->greeting_ms, res->tls_ms, res->total_ms, res->error);
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    return sin;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
}

/* Runs the loop until the probe reported and the server (if any) has no connection left, or
 * max_sec passed. */
static void run_until_done(struct outcome *o, struct fake_server *s, double max_sec)
{
    struct event *t = event_new(g.base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = { 0, 10000 };
    event_add(t, &tv);
    double end = now_sec() + max_sec;
    while (!(o->called && (s == NULL || s->open_conns == 0)) && now_sec() < end)
        event_base_loop(g.base, EVLOOP_ONCE);
    event_free(t);
    assert_int_equal(o->called, 1);
    if (s)
        assert_int_equal(s->open_conns, 0);
}

static void run_for(double sec)
{
    struct event *t = event_new(g.base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = { 0, 10000 };
    event_add(t, &tv);
    double end = now_sec() + sec;
    while (now_sec() < end)
        event_base_loop(g.base, EVLOOP_ONCE);
    event_free(t);
}

/* Probes 127.0.0.1:port as mx.test and waits for the outcome. */
static void probe(int port, double timeout, const char *ehlo, struct fake_server *s, struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    struct sockaddr_in sin = loopback(port);
    struct smtp_probe_opts opts = { .timeout_sec = timeout, .ehlo_name = ehlo };
    struct smtp_probe *p = smtp_probe_start(g.base, g.client, (struct sockaddr *)&sin, sizeof(sin),
                                            "mx.test", &opts, on_probe, o);
    assert_non_null(p);
    assert_int_equal(o->called, 0); /* never before start returns */
    run_until_done(o, s, timeout * 4 + 5);
}

/* As probe(), with DANE: the records in set judged against the chain of the same connection. */
static void probe_dane(int port, const struct dane_tlsa_set *set, SSL_CTX *dane_ctx,
                       struct fake_server *s, struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    struct sockaddr_in sin = loopback(port);
    struct smtp_probe_opts opts = {.timeout_sec = 5, .ehlo_name = "probe.test", .tlsa = set,
                                   .dane_ctx = dane_ctx};
    struct smtp_probe *p = smtp_probe_start(g.base, g.client, (struct sockaddr *)&sin, sizeof(sin),
                                            "mx.test", &opts, on_probe, o);
    assert_non_null(p);
    run_until_done(o, s, 25);
}

/* A secure TLSA set of one "3 1 1" record: the SHA-256 of the SPKI that server presents
 * (stale: of something else). */
static void tlsa_3_1_1(SSL_CTX *server, int stale, struct dane_tlsa_set *set)
{
    memset(set, 0, sizeof(*set));
    set->status = DNS_OK;
    set->sec = DNS_SEC_SECURE;
    set->n = 1;
    struct dane_tlsa *t = &set->rec[0];
    t->usage = DANE_USAGE_DANE_EE;
    t->selector = 1;
    t->mtype = 1;
    t->len = 32;
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(SSL_CTX_get0_certificate(server)), &der);
    assert_true(len > 0);
    SHA256(der, (size_t)len, t->data);
    OPENSSL_free(der);
    if (stale)
        t->data[0] ^= 0xff;
}

/* RFC 7672 in the STARTTLS probe's own connection (one connection each, never a second): a
 * DANE-EE record matches a self-signed certificate that PKIX refuses (no name check either),
 * the verdict of MTA-STS (status, flags) unchanged; a stale record fails; no STARTTLS: no chain;
 * without records nothing is judged. */
static void test_dane_same_connection(void **state)
{
    (void)state;
    SSL_CTX *dane_ctx = dane_ctx_new();
    assert_non_null(dane_ctx);
    struct dane_tlsa_set set;
    struct outcome o;

    struct fake_server *s = server_new(FS_OK, LEAF_SELF_SIGNED);
    tlsa_3_1_1(g.server[LEAF_SELF_SIGNED], 0, &set);
    probe_dane(s->port, &set, dane_ctx, s, &o);
    assert_int_equal(s->accepted, 1);
    assert_int_equal(o.res.status, SMTP_PROBE_CERT_INVALID);
    assert_true(o.res.tls.flags & TLSCHECK_UNTRUSTED);
    assert_int_equal(o.res.dane.match, DANE_MATCH_OK);
    assert_string_equal(dane_match_str(o.res.dane.match), "ok");
    assert_int_equal(o.res.dane.matched, 0);
    assert_int_equal(o.res.dane.depth, 0);
    server_free(s);

    s = server_new(FS_OK, LEAF_WRONG_NAME);
    tlsa_3_1_1(g.server[LEAF_WRONG_NAME], 0, &set);
    probe_dane(s->port, &set, dane_ctx, s, &o);
    assert_int_equal(o.res.tls.flags, TLSCHECK_HOSTNAME_MISMATCH);
    assert_int_equal(o.res.dane.match, DANE_MATCH_OK); /* DANE-EE: no name check, §3.2.2 */
    server_free(s);

    s = server_new(FS_OK, LEAF_VALID);
    tlsa_3_1_1(g.server[LEAF_VALID], 1, &set);
    probe_dane(s->port, &set, dane_ctx, s, &o);
    assert_int_equal(s->accepted, 1);
    assert_int_equal(o.res.status, SMTP_PROBE_OK); /* MTA-STS passes, DANE does not */
    assert_int_equal(o.res.dane.match, DANE_MATCH_FAILED);
    assert_true(o.res.dane.error[0] != '\0');
    server_free(s);

    s = server_new(FS_NO_STARTTLS, LEAF_VALID);
    probe_dane(s->port, &set, dane_ctx, s, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_STARTTLS_MISSING);
    assert_int_equal(o.res.dane.match, DANE_MATCH_NO_CHAIN);
    server_free(s);

    s = server_new(FS_OK, LEAF_VALID);
    probe_dane(s->port, NULL, dane_ctx, s, &o);
    assert_int_equal(o.res.dane.match, DANE_MATCH_NONE);
    assert_string_equal(dane_match_str(o.res.dane.match), "");
    server_free(s);
    SSL_CTX_free(dane_ctx);
}

/* Runs one probe against a fresh server in mode/leaf; returns the server for more asserts. */
static struct fake_server *probe_server(enum fs_mode mode, enum leaf_kind leaf, double timeout,
                                        struct outcome *o)
{
    struct fake_server *s = server_new(mode, leaf);
    probe(s->port, timeout, "probe.test", s, o);
    return s;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                      */

static void test_ok(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_OK, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_OK);
    assert_string_equal(smtp_probe_status_str(o.res.status), "ok");
    assert_int_equal(o.res.greeting_code, 220);
    assert_int_equal(o.res.starttls_offered, 1);
    assert_int_equal(o.res.tls.flags, 0);
    assert_int_equal(strncmp(o.res.tls.version, "TLSv1.", 6), 0);
    assert_contains(o.res.tls.sans, "mx.test");
    assert_string_equal(o.res.error, "");
    assert_string_equal(s->log, "EHLO probe.test|STARTTLS|TLS:QUIT|");
    assert_true(o.res.connect_ms >= 0);
    assert_true(o.res.greeting_ms >= 0);
    assert_true(o.res.tls_ms >= 0);
    assert_true(o.res.total_ms >= o.res.connect_ms + o.res.greeting_ms + o.res.tls_ms);
    server_free(s);
}

static void test_no_starttls_sends_only_ehlo_and_quit(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_NO_STARTTLS, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_STARTTLS_MISSING);
    assert_int_equal(o.res.starttls_offered, 0);
    assert_int_equal(o.res.greeting_code, 220);
    assert_string_equal(s->log, "EHLO probe.test|QUIT|");
    assert_true(o.res.greeting_ms >= 0);
    assert_true(o.res.tls_ms < 0);
    server_free(s);
}

static void test_starttls_454(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_STARTTLS_454, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_STARTTLS_MISSING);
    assert_int_equal(o.res.starttls_offered, 1);
    assert_contains(o.res.error, "454");
    assert_contains(o.res.error, "TLS not available");
    assert_string_equal(s->log, "EHLO probe.test|STARTTLS|QUIT|");
    server_free(s);
}

static void test_cert_expired(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_OK, LEAF_EXPIRED, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_CERT_INVALID);
    assert_int_equal(o.res.tls.flags, TLSCHECK_EXPIRED);
    assert_contains(o.res.error, "expired");
    assert_true(o.res.tls_ms >= 0);
    assert_string_equal(s->log, "EHLO probe.test|STARTTLS|TLS:QUIT|");
    server_free(s);
}

static void test_cert_wrong_name(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_OK, LEAF_WRONG_NAME, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_CERT_INVALID);
    assert_int_equal(o.res.tls.flags, TLSCHECK_HOSTNAME_MISMATCH);
    assert_contains(o.res.tls.sans, "other.test");
    server_free(s);
}

static void test_cert_self_signed(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_OK, LEAF_SELF_SIGNED, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_CERT_INVALID);
    assert_true(o.res.tls.flags & TLSCHECK_UNTRUSTED);
    assert_false(o.res.tls.flags & (TLSCHECK_EXPIRED | TLSCHECK_HOSTNAME_MISMATCH));
    server_free(s);
}

static void test_refused(void **state)
{
    (void)state;
    /* A bound socket that does not listen: connects to its port are refused, and no one else
     * can take the port meanwhile. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = loopback(0);
    socklen_t len = sizeof(sin);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    struct outcome o;
    probe(ntohs(sin.sin_port), 5, "probe.test", NULL, &o);
    close(fd);
    assert_int_equal(o.res.status, SMTP_PROBE_CONNECT_FAILED);
    assert_contains(o.res.error, "refused");
    assert_true(o.res.connect_ms < 0);
    assert_true(o.res.greeting_ms < 0);
    assert_true(o.res.tls_ms < 0);
    assert_true(o.res.total_ms >= 0);
    assert_int_equal(o.res.starttls_offered, -1);
}

/* A failure found inside smtp_probe_start (here: no socket for the address family) is still
 * reported from the loop, after start returned. */
static void test_immediate_failure_is_deferred(void **state)
{
    (void)state;
    struct sockaddr_in sin = loopback(25);
    sin.sin_family = AF_UNSPEC;
    struct smtp_probe_opts opts = { .timeout_sec = 1, .ehlo_name = "probe.test" };
    struct outcome o = { 0 };
    struct smtp_probe *p = smtp_probe_start(g.base, g.client, (struct sockaddr *)&sin, sizeof(sin),
                                            "mx.test", &opts, on_probe, &o);
    assert_non_null(p);
    assert_int_equal(o.called, 0);
    run_until_done(&o, NULL, 2);
    assert_int_equal(o.res.status, SMTP_PROBE_CONNECT_FAILED);
    assert_contains(o.res.error, "socket");
    assert_true(o.res.connect_ms < 0);
}

static void test_timeout_greeting(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_SILENT, LEAF_VALID, 0.5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_TIMEOUT);
    assert_contains(o.res.error, "greeting");
    assert_true(o.res.connect_ms >= 0);
    assert_true(o.res.greeting_ms < 0);
    assert_true(o.res.total_ms >= 450); /* the timer, not something else, ended it */
    assert_string_equal(s->log, "");
    server_free(s);
}

static void test_timeout_later_steps(void **state)
{
    (void)state;
    static const struct { enum fs_mode mode; const char *step; } cases[] = {
        { FS_EHLO_SILENT, "EHLO" },
        { FS_STARTTLS_SILENT, "STARTTLS" },
        { FS_TLS_SILENT, "TLS handshake" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct outcome o;
        struct fake_server *s = probe_server(cases[i].mode, LEAF_VALID, 0.3, &o);
        assert_int_equal(o.res.status, SMTP_PROBE_TIMEOUT);
        assert_contains(o.res.error, cases[i].step);
        assert_true(o.res.total_ms >= 250);
        server_free(s);
    }
}

/* A listener whose accept queue is full drops further SYNs, so the connect itself hangs. */
static void test_timeout_connect(void **state)
{
    (void)state;
    struct ts_full_listener full;
    ts_full_listener_open(&full);
    run_for(0.05);
    struct outcome o;
    probe(ntohs(full.addr.sin_port), 0.3, "probe.test", NULL, &o);
    ts_full_listener_close(&full);
    assert_int_equal(o.res.status, SMTP_PROBE_TIMEOUT);
    assert_contains(o.res.error, "connect");
    assert_true(o.res.connect_ms < 0);
}

static void test_garbage_greeting(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_GARBAGE, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    assert_int_equal(o.res.greeting_code, 0);
    assert_contains(o.res.error, "bad_code");
    assert_string_equal(s->log, ""); /* nothing said to a server that speaks no SMTP */
    server_free(s);
}

static void test_554_greeting(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_554, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    assert_int_equal(o.res.greeting_code, 554);
    assert_contains(o.res.error, "554 5.7.1 no SMTP service here");
    assert_int_equal(o.res.starttls_offered, -1);
    assert_string_equal(s->log, "QUIT|"); /* RFC 5321 §3.1: the client quits */
    server_free(s);
}

static void test_ehlo_500(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_EHLO_500, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    assert_contains(o.res.error, "EHLO answered 500");
    assert_string_equal(s->log, "EHLO probe.test|QUIT|");
    server_free(s);
}

/* The stream never ends: only the line limit can end the probe (its timeout is far away). */
static void test_endless_greeting(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_ENDLESS, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    assert_contains(o.res.error, "too_many_lines");
    assert_true(s->endless_sent < 1024 * 1024);
    server_free(s);
}

/* Long legal lines: the parser would accept up to 64 of them, the read bound stops first. */
static void test_endless_long_lines_bounded(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_ENDLESS_LONG, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    char want[64];
    snprintf(want, sizeof(want), "exceeds %d bytes", SMTP_PROBE_READ_MAX);
    assert_contains(o.res.error, want);
    server_free(s);
}

static void test_long_line(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_LONG_LINE, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    assert_contains(o.res.error, "line_too_long");
    server_free(s);
}

static void test_early_close(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_EARLY_CLOSE, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_PROTOCOL);
    assert_int_equal(o.res.greeting_code, 220);
    assert_contains(o.res.error, "during EHLO");
    server_free(s);
}

static void test_plain_text_instead_of_tls(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_PLAIN_AFTER_220, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_TLS_FAILED);
    assert_contains(o.res.error, "TLS handshake failed");
    assert_true(o.res.tls_ms < 0);
    assert_int_equal(o.res.tls.flags, 0);
    server_free(s);
}

/* Plain-text bytes after the 220 to STARTTLS are dropped, not fed to TLS nor read as replies. */
static void test_injection_after_starttls_ignored(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = probe_server(FS_INJECT, LEAF_VALID, 5, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_OK);
    assert_string_equal(s->log, "EHLO probe.test|STARTTLS|TLS:QUIT|");
    server_free(s);
}

/* A CR/LF in the EHLO name must not smuggle a command onto the wire. */
static void test_ehlo_name_sanitised(void **state)
{
    (void)state;
    struct outcome o;
    struct fake_server *s = server_new(FS_NO_STARTTLS, LEAF_VALID);
    probe(s->port, 5, "evil\r\nMAIL FROM:<a@b>", s, &o);
    assert_int_equal(o.res.status, SMTP_PROBE_STARTTLS_MISSING);
    assert_string_equal(s->log, "EHLO localhost|QUIT|");
    server_free(s);
}

static void test_cancel(void **state)
{
    (void)state;
    struct fake_server *s = server_new(FS_SILENT, LEAF_VALID);
    struct outcome o = { 0 };
    struct sockaddr_in sin = loopback(s->port);
    struct smtp_probe_opts opts = { .timeout_sec = 0.2, .ehlo_name = "probe.test" };
    struct smtp_probe *p = smtp_probe_start(g.base, g.client, (struct sockaddr *)&sin, sizeof(sin),
                                            "mx.test", &opts, on_probe, &o);
    assert_non_null(p);
    run_for(0.05);
    smtp_probe_cancel(p);
    run_for(0.4); /* past the probe's timeout: nothing may fire */
    assert_int_equal(o.called, 0);
    assert_int_equal(s->open_conns, 0); /* the server saw the close */
    server_free(s);

    /* Cancelled before the loop ever ran (the port is closed now: a refused connect). */
    p = smtp_probe_start(g.base, g.client, (struct sockaddr *)&sin, sizeof(sin), "mx.test", &opts,
                         on_probe, &o);
    assert_non_null(p);
    smtp_probe_cancel(p);
    run_for(0.05);
    assert_int_equal(o.called, 0);
}

struct many {
    int done, ok;
};

static void on_many(const struct smtp_probe_result *res, void *arg)
{
    struct many *m = arg;
    m->done++;
    m->ok += res->status == SMTP_PROBE_OK;
}

static void test_concurrent(void **state)
{
    (void)state;
    enum { N = 50 };
    struct fake_server *s = server_new(FS_OK, LEAF_VALID);
    struct sockaddr_in sin = loopback(s->port);
    struct smtp_probe_opts opts = { .timeout_sec = 5, .ehlo_name = "probe.test" };
    struct many m = { 0, 0 };
    for (int i = 0; i < N; i++)
        assert_non_null(smtp_probe_start(g.base, g.client, (struct sockaddr *)&sin, sizeof(sin),
                                         "mx.test", &opts, on_many, &m));
    double end = now_sec() + 20;
    while ((m.done < N || s->open_conns > 0) && now_sec() < end)
        event_base_loop(g.base, EVLOOP_ONCE);
    assert_int_equal(m.done, N);
    assert_int_equal(m.ok, N);
    assert_int_equal(s->accepted, N);
    server_free(s);
}

int main(void)
{
    /* As in the scanner (pipeline/scan.c): a peer that closed first must give EPIPE, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_dane_same_connection),
        cmocka_unit_test(test_no_starttls_sends_only_ehlo_and_quit),
        cmocka_unit_test(test_starttls_454),
        cmocka_unit_test(test_cert_expired),
        cmocka_unit_test(test_cert_wrong_name),
        cmocka_unit_test(test_cert_self_signed),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_immediate_failure_is_deferred),
        cmocka_unit_test(test_timeout_greeting),
        cmocka_unit_test(test_timeout_later_steps),
        cmocka_unit_test(test_timeout_connect),
        cmocka_unit_test(test_garbage_greeting),
        cmocka_unit_test(test_554_greeting),
        cmocka_unit_test(test_ehlo_500),
        cmocka_unit_test(test_endless_greeting),
        cmocka_unit_test(test_endless_long_lines_bounded),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_early_close),
        cmocka_unit_test(test_plain_text_instead_of_tls),
        cmocka_unit_test(test_injection_after_starttls_ignored),
        cmocka_unit_test(test_ehlo_name_sanitised),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
