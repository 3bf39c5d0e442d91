/*
 * test_tlsworker: jobs run on worker threads and report on the submitting thread's loop: real
 * HTTPS fetches against an in-process TLS server (served by the test's own loop, so the fetch and
 * the server really are on different threads), refused connections in bulk, cancellation, and
 * the same with no worker threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>

#include <cmocka.h>

#include "pipeline/tlsworker.h"
#include "scanner/tlscheck.h"
#include "support/tls_server.h"

#define HOST "mta-sts.example.test"
#define POLICY "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 86400\n"
#define RESPONSE "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 63\r\n\r\n" POLICY

static struct ts_pki pki;
static SSL_CTX *client_ctx, *server_ctx;
static pthread_t main_thread;

struct tally {
    int done, ok, refused, wrong_thread;
};

static void on_fetch(const struct https_fetch_result *res, void *arg)
{
    struct tally *t = arg;
    t->done++;
    if (!pthread_equal(pthread_self(), main_thread))
        t->wrong_thread++;
    if (res->status == HTTPS_FETCH_OK && res->body && strcmp(res->body, POLICY) == 0)
        t->ok++;
    if (res->status == HTTPS_FETCH_CONNECT_FAILED)
        t->refused++;
}

static void run_until(struct event_base *base, const int *counter, int want)
{
    for (int i = 0; i < 5000 && *counter < want; i++) {
        struct timeval tv = {0, 1000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
}

static void fetch_n(int threads, int n_ok, int n_refused)
{
    struct event_base *base = event_base_new();
    char err[256];
    struct tlsworker *w = tlsworker_new(base, client_ctx, threads, err, sizeof(err));
    assert_non_null(w);
    struct ts_server srv;
    ts_server_start(&srv, base, server_ctx, TS_RESPOND, RESPONSE, strlen(RESPONSE));
    struct sockaddr_in closed = ts_closed_port();
    struct https_fetch_opts o = {.timeout_sec = 5, .max_body = 65536, .user_agent = "test"};
    struct tally t = {0};
    for (int i = 0; i < n_ok; i++)
        assert_non_null(tlsworker_fetch(w, (struct sockaddr *)&srv.addr, sizeof(srv.addr), HOST,
                                        "/.well-known/mta-sts.txt", &o, on_fetch, &t));
    for (int i = 0; i < n_refused; i++)
        assert_non_null(tlsworker_fetch(w, (struct sockaddr *)&closed, sizeof(closed), HOST,
                                        "/.well-known/mta-sts.txt", &o, on_fetch, &t));
    assert_int_equal(t.done, 0); /* never from inside the submit */
    run_until(base, &t.done, n_ok + n_refused);
    assert_int_equal(t.done, n_ok + n_refused);
    assert_int_equal(t.ok, n_ok);
    assert_int_equal(t.refused, n_refused);
    assert_int_equal(t.wrong_thread, 0);
    tlsworker_free(w);
    ts_server_stop(&srv);
    event_base_free(base);
}

static void test_two_threads(void **state)
{
    (void)state;
    fetch_n(2, 12, 100);
}

static void test_on_the_main_loop(void **state)
{
    (void)state;
    fetch_n(0, 6, 20);
}

struct dane_tally {
    int done;
    enum dane_match match[2];
};

static void on_probe(const struct smtp_probe_result *res, void *arg)
{
    struct dane_tally *t = arg;
    t->match[t->done++] = res->dane.match;
}

/* A probe's TLSA records reach the probe on a worker thread, with the pool's DANE context (the
 * caller's set is freed right after the submit: the job carries its own copy): a refused
 * connection has no chain to judge (no_chain).  Without records nothing is judged. */
static void test_probe_carries_tlsa(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    char err[256];
    struct tlsworker *w = tlsworker_new(base, client_ctx, 1, err, sizeof(err));
    assert_non_null(w);
    struct sockaddr_in closed = ts_closed_port();
    struct dane_tally t = {0};
    struct dane_tlsa_set *set = calloc(1, sizeof(*set));
    assert_non_null(set);
    set->status = DNS_OK;
    set->sec = DNS_SEC_SECURE;
    set->n = 1;
    set->rec[0] = (struct dane_tlsa){.usage = 3, .selector = 1, .mtype = 1, .len = 32};
    struct smtp_probe_opts o = {.timeout_sec = 5, .ehlo_name = "probe.test", .tlsa = set};
    assert_non_null(tlsworker_probe(w, (struct sockaddr *)&closed, sizeof(closed), "mx.test", &o,
                                    on_probe, &t));
    free(set);
    run_until(base, &t.done, 1);
    o.tlsa = NULL;
    assert_non_null(tlsworker_probe(w, (struct sockaddr *)&closed, sizeof(closed), "mx.test", &o,
                                    on_probe, &t));
    run_until(base, &t.done, 2);
    assert_int_equal(t.done, 2);
    assert_int_equal(t.match[0], DANE_MATCH_NO_CHAIN);
    assert_int_equal(t.match[1], DANE_MATCH_NONE);
    tlsworker_free(w);
    event_base_free(base);
}

static void test_cancel(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    char err[256];
    struct tlsworker *w = tlsworker_new(base, client_ctx, 1, err, sizeof(err));
    struct sockaddr_in closed = ts_closed_port();
    struct https_fetch_opts o = {.timeout_sec = 5, .max_body = 65536, .user_agent = "test"};
    struct tally kept = {0}, dropped = {0};
    for (int i = 0; i < 40; i++) {
        struct tlsworker_job *j = tlsworker_fetch(w, (struct sockaddr *)&closed, sizeof(closed),
                                                  HOST, "/", &o, on_fetch, i % 2 ? &kept : &dropped);
        assert_non_null(j);
        if (i % 2 == 0)
            tlsworker_cancel(j);
    }
    run_until(base, &kept.done, 20);
    /* let any straggler of the cancelled half come back too */
    struct timeval tv = {0, 200000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    assert_int_equal(kept.done, 20);
    assert_int_equal(dropped.done, 0);
    tlsworker_free(w);
    event_base_free(base);
}

static void test_free_with_jobs_pending(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    char err[256];
    struct tlsworker *w = tlsworker_new(base, client_ctx, 2, err, sizeof(err));
    struct ts_full_listener hang;
    ts_full_listener_open(&hang); /* connects that never complete: jobs stay in flight */
    struct https_fetch_opts o = {.timeout_sec = 30, .max_body = 65536, .user_agent = "test"};
    struct tally t = {0};
    for (int i = 0; i < 10; i++)
        tlsworker_fetch(w, (struct sockaddr *)&hang.addr, sizeof(hang.addr), HOST, "/", &o,
                        on_fetch, &t);
    struct timeval tv = {0, 100000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    tlsworker_free(w); /* joins, cancels what runs, no callback, no leak (ASan build) */
    assert_int_equal(t.done, 0);
    ts_full_listener_close(&hang);
    event_base_free(base);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    main_thread = pthread_self();
    ts_pki_init(&pki, "tlsworker test CA");
    char err[256];
    client_ctx = tlscheck_ctx_new(pki.ca_path, err, sizeof(err));
    server_ctx = ts_leaf_ctx(&pki, HOST, "DNS:" HOST, -1, 30);
    return client_ctx && server_ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
    ts_pki_free(&pki);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_on_the_main_loop),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_probe_carries_tlsa),
        cmocka_unit_test(test_free_with_jobs_pending),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
