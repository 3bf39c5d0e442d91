/* test_udpbatch: the DNS stage's batched sockets on loopback: datagrams queued in a turn go out
 * together and in order, reads come in batches, a send error reaches the owner and the next read,
 * "would block" waits instead of dropping, stream sockets pass straight through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "scanner/udpbatch.h"

/* A UDP socket bound to 127.0.0.1:<ephemeral>; its address in sin. */
static int udp_listener(struct sockaddr_in *sin)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
    socklen_t len = sizeof(*sin);
    assert_int_equal(getsockname(fd, (struct sockaddr *)sin, &len), 0);
    return fd;
}

static int errors_seen, error_fd;

static void on_error(int fd, void *arg)
{
    (void)arg;
    errors_seen++;
    error_fd = fd;
}

/* 100 datagrams sent in one turn: none leaves before the loop turns, then all in one sendmmsg,
 * in order, each the concatenation of its iovecs. */
static void test_sends_batched_per_turn(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct udpbatch *b = udpbatch_new(base, 1 << 20, on_error, NULL);
    assert_non_null(b);
    struct sockaddr_in sin;
    int srv = udp_listener(&sin);
    int fd = udpbatch_socket(b, AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(udpbatch_connect(b, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    for (int i = 0; i < 100; i++) {
        char head[16], tail[16];
        snprintf(head, sizeof(head), "q%d", i);
        snprintf(tail, sizeof(tail), "/%d", i * 7);
        struct iovec iov[2] = {{head, strlen(head)}, {tail, strlen(tail)}};
        assert_int_equal(udpbatch_sendv(b, fd, iov, 2), (ssize_t)(strlen(head) + strlen(tail)));
    }
    char buf[64];
    assert_int_equal(recv(srv, buf, sizeof(buf), MSG_DONTWAIT), -1); /* nothing on the wire yet */
    assert_int_equal(udpbatch_stats(b)->send_calls, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(udpbatch_stats(b)->sent, 100);
    assert_int_equal(udpbatch_stats(b)->send_calls, 1);
    for (int i = 0; i < 100; i++) {
        char want[32];
        snprintf(want, sizeof(want), "q%d/%d", i, i * 7);
        ssize_t n = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
        assert_int_equal(n, (ssize_t)strlen(want));
        assert_memory_equal(buf, want, (size_t)n);
    }
    assert_int_equal(errors_seen, 0);
    assert_int_equal(udpbatch_close(b, fd), 0);
    close(srv);
    udpbatch_free(b);
    event_base_free(base);
}

/* 100 answers waiting: handed out one per call, in order, with the sender's address, from three
 * recvmmsg calls (64, 36, "would block"); a datagram longer than UDPBATCH_DGRAM_MAX is cut there
 * (c-ares then sees a truncated answer, as with its own recvfrom), and one longer than the
 * caller's buffer is cut to it. */
static void test_reads_batched(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct udpbatch *b = udpbatch_new(base, 1 << 20, on_error, NULL);
    struct sockaddr_in sin, me;
    int srv = udp_listener(&sin);
    int fd = udpbatch_socket(b, AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(udpbatch_connect(b, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    socklen_t mlen = sizeof(me);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &mlen), 0);
    for (int i = 0; i < 100; i++) {
        char a[16];
        int n = snprintf(a, sizeof(a), "a%d", i);
        assert_int_equal(sendto(srv, a, (size_t)n, 0, (struct sockaddr *)&me, sizeof(me)), n);
    }
    static unsigned char big[5000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(sendto(srv, big, sizeof(big), 0, (struct sockaddr *)&me, sizeof(me)), 5000);
    assert_int_equal(sendto(srv, "0123456789", 10, 0, (struct sockaddr *)&me, sizeof(me)), 10);
    static unsigned char buf[UDPBATCH_DGRAM_MAX + 100];
    for (int i = 0; i < 100; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        char want[16];
        int wn = snprintf(want, sizeof(want), "a%d", i);
        ssize_t n = udpbatch_recvfrom(b, fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        assert_int_equal(n, wn);
        assert_memory_equal(buf, want, (size_t)wn);
        assert_int_equal(flen, sizeof(struct sockaddr_in));
        assert_int_equal(((struct sockaddr_in *)&from)->sin_port, sin.sin_port);
    }
    assert_int_equal(udpbatch_recvfrom(b, fd, buf, sizeof(buf), 0, NULL, NULL), UDPBATCH_DGRAM_MAX);
    assert_int_equal(udpbatch_recvfrom(b, fd, buf, 4, 0, NULL, NULL), 4);
    assert_memory_equal(buf, "0123", 4);
    assert_false(udpbatch_rx_pending(b, fd));
    errno = 0;
    assert_int_equal(udpbatch_recvfrom(b, fd, buf, sizeof(buf), 0, NULL, NULL), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_int_equal(udpbatch_stats(b)->received, 102);
    assert_int_equal(udpbatch_stats(b)->recv_calls, 3);
    udpbatch_close(b, fd);
    close(srv);
    udpbatch_free(b);
    event_base_free(base);
}

/* A resolver's port that nothing listens on: a batched send meets the "connection refused" of an
 * earlier datagram; the owner hears of it (outside the send) and the next read returns it, as
 * the kernel's own recvfrom would have; what was queued is counted as dropped. */
static void test_send_error_reaches_read(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct udpbatch *b = udpbatch_new(base, 1 << 20, on_error, NULL);
    struct sockaddr_in sin;
    close(udp_listener(&sin)); /* a port nobody listens on */
    int fd = udpbatch_socket(b, AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(udpbatch_connect(b, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    errors_seen = 0;
    for (int turn = 0; turn < 200 && errors_seen == 0; turn++) {
        struct iovec iov = {"ping", 4};
        assert_int_equal(udpbatch_sendv(b, fd, &iov, 1), 4);
        assert_int_equal(errors_seen, 0); /* never from inside the send */
        event_base_loop(base, EVLOOP_NONBLOCK);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL); /* the "port unreachable" comes back; the next send reports it */
    }
    assert_int_equal(errors_seen, 1);
    assert_int_equal(error_fd, fd);
    assert_true(udpbatch_stats(b)->dropped >= 1);
    unsigned char buf[16];
    errno = 0;
    assert_int_equal(udpbatch_recvfrom(b, fd, buf, sizeof(buf), 0, NULL, NULL), -1);
    assert_int_equal(errno, ECONNREFUSED);
    errno = 0; /* reported once */
    assert_int_equal(udpbatch_recvfrom(b, fd, buf, sizeof(buf), 0, NULL, NULL), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    udpbatch_close(b, fd);
    udpbatch_free(b);
    event_base_free(base);
}

/* A receiver that does not keep up (a Unix datagram socket, whose sender blocks when the
 * receiver's queue is full): "would block" keeps the queue and resumes when writable; every
 * datagram arrives, in order, none dropped, no error reported. */
static void test_would_block_waits(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct udpbatch *b = udpbatch_new(base, 1 << 20, on_error, NULL);
    int srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "udpbatch-test-%d", (int)getpid());
    socklen_t slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sun.sun_path + 1));
    assert_int_equal(bind(srv, (struct sockaddr *)&sun, slen), 0);
    int fd = udpbatch_socket(b, AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(udpbatch_connect(b, fd, (struct sockaddr *)&sun, slen), 0);
    errors_seen = 0;
    enum { N = 3000 };
    static char payload[1000];
    for (int i = 0; i < N; i++) {
        snprintf(payload, sizeof(payload), "%d", i);
        struct iovec iov = {payload, sizeof(payload)};
        assert_int_equal(udpbatch_sendv(b, fd, &iov, 1), (ssize_t)sizeof(payload));
    }
    int got = 0;
    for (int turn = 0; turn < 10000 && got < N; turn++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        char buf[sizeof(payload)];
        for (int k = 0; k < 50 && recv(srv, buf, sizeof(buf), MSG_DONTWAIT) == (ssize_t)sizeof(buf); k++) {
            char want[16];
            snprintf(want, sizeof(want), "%d", got);
            assert_string_equal(buf, want);
            got++;
        }
    }
    assert_int_equal(got, N);
    assert_int_equal(udpbatch_stats(b)->sent, N);
    assert_int_equal(udpbatch_stats(b)->dropped, 0);
    assert_true(udpbatch_stats(b)->send_calls > N / 256); /* it did block on the way */
    assert_int_equal(errors_seen, 0);
    udpbatch_close(b, fd);
    close(srv);
    udpbatch_free(b);
    event_base_free(base);
}

/* c-ares' TCP fallback: a stream socket's bytes go out at once, reads come straight from it, and
 * a closed connection is an error to the caller. */
static void test_stream_passes_through(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct udpbatch *b = udpbatch_new(base, 1 << 20, on_error, NULL);
    int lst = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lst, (struct sockaddr *)&sin, sizeof(sin)), 0);
    socklen_t len = sizeof(sin);
    assert_int_equal(getsockname(lst, (struct sockaddr *)&sin, &len), 0);
    assert_int_equal(listen(lst, 1), 0);
    int fd = udpbatch_socket(b, AF_INET, SOCK_STREAM, 0);
    int r = udpbatch_connect(b, fd, (struct sockaddr *)&sin, sizeof(sin));
    assert_true(r == 0 || errno == EINPROGRESS);
    int peer = accept(lst, NULL, NULL);
    assert_true(peer >= 0);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL); /* the connect completes */
    struct iovec iov[2] = {{"\0\3", 2}, {"abc", 3}};
    assert_int_equal(udpbatch_sendv(b, fd, iov, 2), 5);
    char buf[8];
    assert_int_equal(recv(peer, buf, sizeof(buf), 0), 5); /* without a loop turn */
    assert_memory_equal(buf, "\0\3abc", 5);
    assert_int_equal(send(peer, "xyz", 3, 0), 3);
    nanosleep(&ts, NULL);
    assert_int_equal(udpbatch_recvfrom(b, fd, buf, sizeof(buf), 0, NULL, NULL), 3);
    assert_memory_equal(buf, "xyz", 3);
    assert_int_equal(udpbatch_stats(b)->send_calls, 0);
    /* the server goes away: sending is EPIPE (or a reset), never a SIGPIPE that ends the scan
     * (the signal is at its default here: it would end this test) */
    signal(SIGPIPE, SIG_DFL);
    close(peer);
    nanosleep(&ts, NULL);
    ssize_t r1 = udpbatch_sendv(b, fd, iov, 2);
    nanosleep(&ts, NULL);
    ssize_t r2 = udpbatch_sendv(b, fd, iov, 2);
    assert_true(r1 == -1 || r2 == -1);
    assert_true(errno == EPIPE || errno == ECONNRESET);
    close(lst);
    udpbatch_close(b, fd);
    udpbatch_free(b);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sends_batched_per_turn),
        cmocka_unit_test(test_reads_batched),
        cmocka_unit_test(test_send_error_reaches_read),
        cmocka_unit_test(test_would_block_waits),
        cmocka_unit_test(test_stream_passes_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
