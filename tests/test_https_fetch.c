/*
 * Tests for https_fetch against a scripted HTTPS server on 127.0.0.1 in the same event loop
 * (tests/support/tls_server.h), with certificates made in the test.  Each test starts one server
 * behaviour, runs one fetch to its end and checks status, http_status, detail, flags and body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/https_fetch.h"
#include "scanner/tlscheck.h"
#include "tests/support/tls_server.h"

#define HOST "mta-sts.example.test"
#define PATH "/.well-known/mta-sts.txt"
#define UA "mtasts-scan-test/1"
#define POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n"

static struct ts_pki pki;
static SSL_CTX *client_ctx;
static SSL_CTX *srv_valid, *srv_expired, *srv_wrong_name, *srv_self_signed, *srv_expired_wrong;

struct outcome {
    int done;
    int calls;
    struct https_fetch_result res; /* copy; body replaced by our own copy */
    double elapsed;
};

struct env {
    struct event_base *base;
    struct ts_server srv;
    int srv_running;
    struct outcome out;
};

static int group_setup(void **state)
{
    (void)state;
    ts_pki_init(&pki, "mtasts-scan test CA");
    char err[256];
    client_ctx = tlscheck_ctx_new(pki.ca_path, err, sizeof(err));
    if (client_ctx == NULL)
        return -1;
    srv_valid = ts_leaf_ctx(&pki, HOST, "DNS:" HOST, -1, 30);
    srv_expired = ts_leaf_ctx(&pki, HOST, "DNS:" HOST, -60, -30);
    srv_wrong_name = ts_leaf_ctx(&pki, "other.example.test", "DNS:other.example.test", -1, 30);
    srv_self_signed = ts_leaf_ctx(NULL, HOST, "DNS:" HOST, -1, 30);
    srv_expired_wrong = ts_leaf_ctx(&pki, "other.example.test", "DNS:other.example.test", -60, -30);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    SSL_CTX_free(srv_valid);
    SSL_CTX_free(srv_expired);
    SSL_CTX_free(srv_wrong_name);
    SSL_CTX_free(srv_self_signed);
    SSL_CTX_free(srv_expired_wrong);
    SSL_CTX_free(client_ctx);
    ts_pki_free(&pki);
    return 0;
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    e->base = event_base_new();
    *state = e;
    return e->base ? 0 : -1;
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (e->srv_running)
        ts_server_stop(&e->srv);
    free(e->out.res.body);
    event_base_free(e->base);
    free(e);
    return 0;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_done(const struct https_fetch_result *res, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->done = 1;
    if (getenv("MTASTS_TEST_VERBOSE"))
        fprintf(stderr, "    fetch: %s http=%d flags=%u detail=[%s]\n", https_fetch_status_str(res->status),
                res->http_status, res->cert_flags, res->detail);
    o->res = *res;
    o->res.body = NULL;
    if (res->body) {
        o->res.body = malloc(res->body_len + 1);
        memcpy(o->res.body, res->body, res->body_len + 1);
    }
}

static void on_safety(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    *(int *)arg = 1;
}

/* Runs the loop until the fetch reports or 5 s pass. */
static void run_until_done(struct env *e)
{
    int expired = 0;
    struct event *safety = evtimer_new(e->base, on_safety, &expired);
    struct timeval five = { 5, 0 };
    evtimer_add(safety, &five);
    while (!e->out.done && !expired)
        event_base_loop(e->base, EVLOOP_ONCE);
    event_free(safety);
    assert_true(e->out.done);
    assert_int_equal(e->out.calls, 1);
}

static void fetch_at(struct env *e, const struct sockaddr_in *addr, const char *host,
                     const char *ua, double timeout)
{
    struct https_fetch_opts opts = { .timeout_sec = timeout, .max_body = 65536, .user_agent = ua };
    double t0 = now_sec();
    struct https_fetch *f = https_fetch_start(e->base, client_ctx, (const struct sockaddr *)addr,
                                              sizeof(*addr), host, PATH, &opts, on_done, &e->out);
    assert_non_null(f);
    assert_int_equal(e->out.calls, 0); /* never called from inside start */
    run_until_done(e);
    e->out.elapsed = now_sec() - t0;
}

/* Starts a server with the given behaviour in e; teardown stops it. */
static void start_server(struct env *e, SSL_CTX *ctx, enum ts_mode mode, const char *response,
                         size_t len)
{
    ts_server_start(&e->srv, e->base, ctx, mode, response, len);
    e->srv_running = 1;
}

/* Starts a server with the given behaviour and runs one default fetch against it that gives up
 * after timeout seconds. */
static const struct https_fetch_result *serve_within(struct env *e, double timeout, SSL_CTX *ctx,
                                                     enum ts_mode mode, const char *response,
                                                     size_t len)
{
    start_server(e, ctx, mode, response, len);
    fetch_at(e, &e->srv.addr, HOST, UA, timeout);
    return &e->out.res;
}

static const struct https_fetch_result *serve(struct env *e, SSL_CTX *ctx, enum ts_mode mode,
                                              const char *response, size_t len)
{
    return serve_within(e, 2.0, ctx, mode, response, len);
}

static const struct https_fetch_result *serve_str(struct env *e, const char *response)
{
    return serve(e, srv_valid, TS_RESPOND, response, strlen(response));
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- successful fetches ---- */

static void test_ok_content_length(void **state)
{
    struct env *e = *state;
    char resp[512];
    snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(POLICY), POLICY);
    const struct https_fetch_result *r = serve_str(e, resp);
    assert_int_equal(r->status, HTTPS_FETCH_OK);
    assert_int_equal(r->http_status, 200);
    assert_int_equal(r->cert_flags, 0);
    assert_non_null(r->body);
    assert_int_equal(r->body_len, strlen(POLICY));
    assert_string_equal(r->body, POLICY);
    assert_string_equal(e->srv.request, "GET " PATH " HTTP/1.1\r\nHost: " HOST "\r\nUser-Agent: " UA
                                        "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n");
    assert_string_equal(e->srv.sni, HOST);
    assert_string_equal(https_fetch_status_str(r->status), "ok");
    /* the body's digest (known answer, from Python's hashlib) and the policy host's certificate */
    assert_string_equal(r->body_sha256, "05765c7cbdacb693d3d56043f14d8c07ab908ddc6b33fac515f8af50bdb0edb0");
    assert_int_equal(r->handshake_done, 1);
    assert_string_equal(r->cert.sans, HOST);
    assert_contains(r->cert.issuer, "mtasts-scan test CA");
    time_t now = time(NULL);
    assert_true(r->cert.not_after > now + 29 * 86400 && r->cert.not_after < now + 31 * 86400);
}

static void test_ok_chunked(void **state)
{
    struct env *e = *state;
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: Text/Plain; charset=utf-8\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"
                       "10\r\nversion: STSv1\r\n\r\n"
                       "f;ext=x\r\nmode: enforce\r\n\r\n"
                       "0\r\n\r\n";
    const struct https_fetch_result *r = serve_str(e, resp);
    assert_int_equal(r->status, HTTPS_FETCH_OK);
    assert_string_equal(r->body, "version: STSv1\r\nmode: enforce\r\n");
    assert_int_equal(r->body_len, 31);
}

static void test_ok_until_close_and_interim(void **state)
{
    struct env *e = *state;
    const char *resp = "HTTP/1.1 100 Continue\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" POLICY;
    const struct https_fetch_result *r = serve_str(e, resp);
    assert_int_equal(r->status, HTTPS_FETCH_OK);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->body, POLICY);
}

static void test_ok_empty_body_default_ua_root_dot(void **state)
{
    struct env *e = *state;
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n";
    start_server(e, srv_valid, TS_RESPOND, resp, strlen(resp));
    fetch_at(e, &e->srv.addr, HOST ".", NULL, 2.0);
    assert_int_equal(e->out.res.status, HTTPS_FETCH_OK);
    assert_non_null(e->out.res.body);
    assert_int_equal(e->out.res.body_len, 0);
    assert_string_equal(e->out.res.body, "");
    /* SHA-256 of the empty string: an empty policy still has a digest */
    assert_string_equal(e->out.res.body_sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_contains(e->srv.request, "\r\nHost: " HOST "\r\n");
    assert_contains(e->srv.request, "\r\nUser-Agent: mtasts-scan/");
    assert_string_equal(e->srv.sni, HOST);
}

/* ---- HTTP-level refusals ---- */

static void test_redirect(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e,
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://www.example.test/mta-sts.txt\r\n"
        "Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r->status, HTTPS_FETCH_REDIRECT);
    assert_int_equal(r->http_status, 301);
    assert_contains(r->detail, "HTTP/1.1 301 Moved Permanently");
    assert_contains(r->detail, "Location: https://www.example.test/mta-sts.txt");
    assert_null(r->body);
}

static void test_not_found(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e,
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found");
    assert_int_equal(r->status, HTTPS_FETCH_HTTP_STATUS);
    assert_int_equal(r->http_status, 404);
    assert_string_equal(r->detail, "HTTP/1.1 404 Not Found");
    assert_null(r->body);
}

static void test_content_type_html(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\n<p>x</p>");
    assert_int_equal(r->status, HTTPS_FETCH_CONTENT_TYPE);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->detail, "Content-Type: text/html; charset=utf-8");
    assert_null(r->body);
}

static void test_content_type_missing(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    assert_int_equal(r->status, HTTPS_FETCH_CONTENT_TYPE);
    assert_string_equal(r->detail, "no Content-Type");
}

/* A 70 KiB body, framed three ways. */
static char *big_response(const char *framing, int chunked)
{
    size_t body = 70 * 1024;
    char *s = malloc(body + 4096);
    assert_non_null(s);
    int n = sprintf(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n%s\r\n", framing);
    size_t len = (size_t)n;
    if (chunked) {
        for (size_t done = 0; done < body; done += 7168) {
            len += (size_t)sprintf(s + len, "1c00\r\n");
            memset(s + len, 'x', 7168);
            len += 7168;
            len += (size_t)sprintf(s + len, "\r\n");
        }
        len += (size_t)sprintf(s + len, "0\r\n\r\n");
    } else {
        memset(s + len, 'x', body);
        len += body;
    }
    s[len] = '\0';
    return s;
}

static void test_too_large_content_length(void **state)
{
    struct env *e = *state;
    char *resp = big_response("Content-Length: 71680\r\n", 0);
    const struct https_fetch_result *r = serve(e, srv_valid, TS_RESPOND, resp, strlen(resp));
    assert_int_equal(r->status, HTTPS_FETCH_TOO_LARGE);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->detail, "Content-Length 71680 over the 65536-byte limit");
    assert_null(r->body);
    free(resp);
}

static void test_too_large_until_close(void **state)
{
    struct env *e = *state;
    char *resp = big_response("", 0);
    const struct https_fetch_result *r = serve(e, srv_valid, TS_RESPOND, resp, strlen(resp));
    assert_int_equal(r->status, HTTPS_FETCH_TOO_LARGE);
    assert_string_equal(r->detail, "body over the 65536-byte limit");
    assert_null(r->body);
    free(resp);
}

static void test_too_large_chunked(void **state)
{
    struct env *e = *state;
    char *resp = big_response("Transfer-Encoding: chunked\r\n", 1);
    const struct https_fetch_result *r = serve(e, srv_valid, TS_RESPOND, resp, strlen(resp));
    assert_int_equal(r->status, HTTPS_FETCH_TOO_LARGE);
    assert_null(r->body);
    free(resp);
}

/* ---- malformed responses ---- */

static void test_garbage_response(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e, "garbage\r\n\r\n");
    assert_int_equal(r->status, HTTPS_FETCH_PROTOCOL);
    assert_int_equal(r->http_status, 0);
    assert_contains(r->detail, "not an HTTP response");
}

static void test_head_over_16k(void **state)
{
    struct env *e = *state;
    size_t n = 20 * 1024;
    char *resp = malloc(n + 64);
    int k = sprintf(resp, "HTTP/1.1 200 OK\r\nX-Pad: ");
    memset(resp + k, 'p', n);
    strcpy(resp + k + n, "\r\n\r\n");
    const struct https_fetch_result *r = serve(e, srv_valid, TS_RESPOND, resp, strlen(resp));
    assert_int_equal(r->status, HTTPS_FETCH_PROTOCOL);
    assert_string_equal(r->detail, "response head over 16384 bytes");
    assert_int_equal(r->http_status, 200);
    free(resp);
}

static void test_bad_field_keeps_status(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e, "HTTP/1.1 200 OK\r\nContent-Type : text/plain\r\n\r\n");
    assert_int_equal(r->status, HTTPS_FETCH_PROTOCOL);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->detail, "malformed response: bad header field: HTTP/1.1 200 OK");
}

static void test_truncated_body(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b");
    assert_int_equal(r->status, HTTPS_FETCH_PROTOCOL);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->detail, "body truncated: 10 of 100 bytes");
    assert_null(r->body);
}

static void test_bad_chunked(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_str(e,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    assert_int_equal(r->status, HTTPS_FETCH_PROTOCOL);
    assert_string_equal(r->detail, "bad chunked encoding");
}

static void test_closed_before_response(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve(e, srv_valid, TS_RESPOND, "", 0);
    assert_int_equal(r->status, HTTPS_FETCH_PROTOCOL);
    assert_string_equal(r->detail, "connection closed before any response");
}

/* ---- timeouts and connection failures ---- */

static void test_timeout_headers(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_within(e, 0.5, srv_valid, TS_SILENT, NULL, 0);
    assert_int_equal(r->status, HTTPS_FETCH_TIMEOUT);
    assert_string_equal(r->detail, "timeout after 0.5 s in step headers");
    assert_int_equal(e->srv.requests, 1);
    assert_true(e->out.elapsed >= 0.45 && e->out.elapsed < 2.0);
}

static void test_timeout_handshake(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_within(e, 0.5, NULL, TS_PLAIN_SILENT, NULL, 0);
    assert_int_equal(r->status, HTTPS_FETCH_TIMEOUT);
    assert_string_equal(r->detail, "timeout after 0.5 s in step handshake");
    assert_int_equal(e->srv.accepted, 1);
}

static void test_timeout_body(void **state)
{
    struct env *e = *state;
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b";
    const struct https_fetch_result *r = serve_within(e, 0.5, srv_valid, TS_RESPOND_HOLD, resp, strlen(resp));
    assert_int_equal(r->status, HTTPS_FETCH_TIMEOUT);
    assert_string_equal(r->detail, "timeout after 0.5 s in step body");
    assert_int_equal(r->http_status, 200);
    assert_null(r->body);
}

/* A listener with a full accept queue drops SYNs, so a connect to it hangs. */
static void test_timeout_connect(void **state)
{
    struct env *e = *state;
    struct ts_full_listener full;
    ts_full_listener_open(&full);
    fetch_at(e, &full.addr, HOST, UA, 0.5);
    assert_int_equal(e->out.res.status, HTTPS_FETCH_TIMEOUT);
    assert_string_equal(e->out.res.detail, "timeout after 0.5 s in step connect");
    ts_full_listener_close(&full);
}

static void test_connect_refused(void **state)
{
    struct env *e = *state;
    struct sockaddr_in closed = ts_closed_port();
    fetch_at(e, &closed, HOST, UA, 2.0);
    assert_int_equal(e->out.res.status, HTTPS_FETCH_CONNECT_FAILED);
    assert_string_equal(e->out.res.detail, "connect: Connection refused");
    assert_int_equal(e->out.res.http_status, 0);
    assert_int_equal(e->out.res.handshake_done, 0);
    assert_int_equal(e->out.res.cert.not_after, 0);
    assert_string_equal(e->out.res.cert.issuer, "");
    assert_string_equal(e->out.res.body_sha256, "");
}

static void test_plain_http_on_tls_port(void **state)
{
    struct env *e = *state;
    const char *resp = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nbad request";
    const struct https_fetch_result *r = serve(e, NULL, TS_PLAIN_RESPOND, resp, strlen(resp));
    assert_int_equal(r->status, HTTPS_FETCH_TLS_FAILED);
    assert_true(strncmp(r->detail, "handshake: ", 11) == 0);
    assert_int_equal(r->http_status, 0);
    assert_int_equal(r->cert_flags, 0);
}

/* ---- certificates: never a request ---- */

/* Fetches from a server presenting a bad certificate: the fetch must end with want and flags
 * before any request was sent. */
static const struct https_fetch_result *serve_bad_cert(struct env *e, SSL_CTX *ctx,
                                                       enum https_fetch_status want, unsigned flags)
{
    const struct https_fetch_result *r = serve(e, ctx, TS_RESPOND, "x", 1);
    assert_int_equal(r->status, want);
    assert_int_equal(r->cert_flags, flags);
    assert_int_equal(e->srv.requests, 0);
    return r;
}

static void test_cert_expired(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r =
        serve_bad_cert(e, srv_expired, HTTPS_FETCH_CERT_EXPIRED, TLSCHECK_EXPIRED);
    assert_string_equal(r->detail, "certificate: certificate has expired");
    assert_int_equal(r->http_status, 0);
    /* the handshake completed: the certificate is recorded even though it is refused */
    assert_int_equal(r->handshake_done, 1);
    assert_true(r->cert.not_after > 0 && r->cert.not_after < time(NULL) - 29 * 86400);
    assert_string_equal(r->cert.sans, HOST);
    assert_string_equal(r->body_sha256, "");
}

static void test_cert_wrong_name(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_bad_cert(e, srv_wrong_name, HTTPS_FETCH_CERT_HOSTNAME_MISMATCH,
                                                        TLSCHECK_HOSTNAME_MISMATCH);
    assert_string_equal(r->detail, "certificate: hostname mismatch");
}

static void test_cert_self_signed(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r =
        serve_bad_cert(e, srv_self_signed, HTTPS_FETCH_CERT_UNTRUSTED, TLSCHECK_UNTRUSTED);
    assert_contains(r->detail, "self-signed certificate");
}

static void test_cert_all_flags_first_priority(void **state)
{
    struct env *e = *state;
    const struct https_fetch_result *r = serve_bad_cert(e, srv_expired_wrong, HTTPS_FETCH_CERT_EXPIRED,
                                                        TLSCHECK_EXPIRED | TLSCHECK_HOSTNAME_MISMATCH);
    assert_contains(r->detail, "certificate has expired");
    assert_contains(r->detail, "hostname mismatch");
}

/* ---- lifetime ---- */

static void test_cancel_mid_fetch(void **state)
{
    struct env *e = *state;
    start_server(e, srv_valid, TS_SILENT, NULL, 0);
    struct https_fetch_opts opts = { .timeout_sec = 0.3, .max_body = 65536, .user_agent = UA };
    struct https_fetch *f = https_fetch_start(e->base, client_ctx, (struct sockaddr *)&e->srv.addr,
                                              sizeof(e->srv.addr), HOST, PATH, &opts, on_done, &e->out);
    assert_non_null(f);
    for (int i = 0; i < 1000 && e->srv.requests == 0; i++)
        event_base_loop(e->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(e->srv.requests, 1);
    https_fetch_cancel(f);
    /* Past the fetch's own timeout: nothing of it may fire any more. */
    struct timeval t = { 0, 500000 };
    event_base_loopexit(e->base, &t);
    event_base_dispatch(e->base);
    assert_int_equal(e->out.calls, 0);
}

static void test_cancel_right_after_start_and_bad_request(void **state)
{
    struct env *e = *state;
    struct sockaddr_in closed = ts_closed_port();
    struct https_fetch_opts opts = { .timeout_sec = 0.3, .max_body = 65536, .user_agent = UA };
    struct https_fetch *f = https_fetch_start(e->base, client_ctx, (struct sockaddr *)&closed,
                                              sizeof(closed), HOST, PATH, &opts, on_done, &e->out);
    assert_non_null(f);
    https_fetch_cancel(f);
    https_fetch_cancel(NULL);
    struct timeval t = { 0, 100000 };
    event_base_loopexit(e->base, &t);
    event_base_dispatch(e->base);
    assert_int_equal(e->out.calls, 0);

    /* A path that could smuggle a header is refused, from the loop, not from start. */
    f = https_fetch_start(e->base, client_ctx, (struct sockaddr *)&closed, sizeof(closed), HOST,
                          "/x HTTP/1.1\r\nX-Evil: 1", &opts, on_done, &e->out);
    assert_non_null(f);
    assert_int_equal(e->out.calls, 0);
    run_until_done(e);
    assert_int_equal(e->out.res.status, HTTPS_FETCH_PROTOCOL);
    assert_contains(e->out.res.detail, "invalid");
}

static void test_status_strings(void **state)
{
    (void)state;
    for (int s = HTTPS_FETCH_OK; s <= HTTPS_FETCH_PROTOCOL; s++)
        assert_string_not_equal(https_fetch_status_str((enum https_fetch_status)s), "unknown");
    assert_string_equal(https_fetch_status_str(HTTPS_FETCH_CERT_HOSTNAME_MISMATCH), "cert_hostname_mismatch");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the scanner does: a peer closing mid-write is an error, not death */
    const struct CMUnitTest tests[] = {
        T(test_ok_content_length),
        T(test_ok_chunked),
        T(test_ok_until_close_and_interim),
        T(test_ok_empty_body_default_ua_root_dot),
        T(test_redirect),
        T(test_not_found),
        T(test_content_type_html),
        T(test_content_type_missing),
        T(test_too_large_content_length),
        T(test_too_large_until_close),
        T(test_too_large_chunked),
        T(test_garbage_response),
        T(test_head_over_16k),
        T(test_bad_field_keeps_status),
        T(test_truncated_body),
        T(test_bad_chunked),
        T(test_closed_before_response),
        T(test_timeout_headers),
        T(test_timeout_handshake),
        T(test_timeout_body),
        T(test_timeout_connect),
        T(test_connect_refused),
        T(test_plain_http_on_tls_port),
        T(test_cert_expired),
        T(test_cert_wrong_name),
        T(test_cert_self_signed),
        T(test_cert_all_flags_first_priority),
        T(test_cancel_mid_fetch),
        T(test_cancel_right_after_start_and_bad_request),
        T(test_status_strings),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
