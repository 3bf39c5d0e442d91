/* udpbatch: batched datagram sockets for the DNS stage (see udpbatch.h). */
#include "scanner/udpbatch.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UB_TX_BATCH 256 /* datagrams per sendmmsg (the kernel takes up to UIO_MAXIOV, 1024) */

/* Datagrams read by one recvmmsg, handed out from next to n - 1. */
struct ub_rx {
    struct mmsghdr m[UDPBATCH_RX];
    struct iovec iov[UDPBATCH_RX];
    struct sockaddr_storage addr[UDPBATCH_RX];
    unsigned char buf[UDPBATCH_RX][UDPBATCH_DGRAM_MAX];
    int n, next;
};

/* One queued datagram: its bytes at tx + off. */
struct ub_dgram {
    size_t off, len;
};

struct ub_sock {
    struct udpbatch *owner;
    int fd;
    int dgram;             /* a datagram socket (batched); else passed through */
    int err;               /* a queued send's error, for the next udpbatch_recvfrom (0: none) */
    int report;            /* err is new: the owner's callback has not run for it yet */
    unsigned char *tx;     /* the queued datagrams' bytes, back to back */
    size_t tx_len, tx_cap;
    struct ub_dgram *txq;  /* the queued datagrams; txq[tx_head..n_txq) are not sent yet */
    size_t n_txq, cap_txq, tx_head;
    struct event *wev;     /* "would block": waits until the socket is writable */
    int blocked;
    struct ub_rx *rx;      /* taken at the first read (a quarter of a MB: datagram sockets only) */
};

struct udpbatch {
    struct event_base *base;
    int rcvbuf;
    udpbatch_error_cb cb;
    void *cb_arg;
    struct ub_sock **socks; /* each its own allocation: the write events point at them */
    size_t n_socks, cap_socks;
    struct event *flush_ev; /* activated by the first datagram queued in a turn */
    int flush_armed;
    struct udpbatch_stats stats;
    struct mmsghdr txm[UB_TX_BATCH];
    struct iovec txiov[UB_TX_BATCH];
};

static struct ub_sock *sock_find(const struct udpbatch *b, int fd)
{
    for (size_t i = 0; i < b->n_socks; i++)
        if (b->socks[i]->fd == fd)
            return b->socks[i];
    return NULL;
}

static void on_flush(evutil_socket_t fd, short what, void *arg);
static void on_writable(evutil_socket_t fd, short what, void *arg);

struct udpbatch *udpbatch_new(struct event_base *base, int rcvbuf, udpbatch_error_cb cb, void *arg)
{
    struct udpbatch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->base = base;
    b->rcvbuf = rcvbuf;
    b->cb = cb;
    b->cb_arg = arg;
    b->flush_ev = event_new(base, -1, 0, on_flush, b);
    if (!b->flush_ev) {
        free(b);
        return NULL;
    }
    return b;
}

static void sock_free(struct udpbatch *b, struct ub_sock *s)
{
    b->stats.dropped += s->n_txq - s->tx_head;
    if (s->wev)
        event_free(s->wev);
    free(s->tx);
    free(s->txq);
    free(s->rx);
    free(s);
}

void udpbatch_free(struct udpbatch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_socks; i++) {
        close(b->socks[i]->fd);
        sock_free(b, b->socks[i]);
    }
    free(b->socks);
    event_free(b->flush_ev);
    free(b);
}

int udpbatch_socket(struct udpbatch *b, int af, int type, int protocol)
{
    if (b->n_socks == b->cap_socks) {
        size_t cap = b->cap_socks ? 2 * b->cap_socks : 8;
        struct ub_sock **n = realloc(b->socks, cap * sizeof(*n));
        if (!n) {
            errno = ENOMEM;
            return -1;
        }
        b->socks = n;
        b->cap_socks = cap;
    }
    struct ub_sock *s = calloc(1, sizeof(*s));
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        free(s);
        return -1;
    }
    int on = 1;
    int st = 0;
    if (type == SOCK_DGRAM && b->rcvbuf > 0)
        st = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b->rcvbuf, sizeof(b->rcvbuf));
    else if (type == SOCK_STREAM && (af == AF_INET || af == AF_INET6))
        st = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    if (st != 0) {
        int e = errno;
        close(fd);
        free(s);
        errno = e;
        return -1;
    }
    s->owner = b;
    s->fd = fd;
    s->dgram = type == SOCK_DGRAM;
    b->socks[b->n_socks++] = s;
    return fd;
}

int udpbatch_close(struct udpbatch *b, int fd)
{
    for (size_t i = 0; i < b->n_socks; i++) {
        if (b->socks[i]->fd == fd) {
            sock_free(b, b->socks[i]);
            b->socks[i] = b->socks[--b->n_socks];
            break;
        }
    }
    return close(fd);
}

int udpbatch_connect(struct udpbatch *b, int fd, const struct sockaddr *sa, socklen_t len)
{
    (void)b;
    return connect(fd, sa, len);
}

/* Sends s's queue; stops at "would block" (the write event resumes) or at an error, which drops
 * the rest and is kept for the next read. */
static void sock_flush(struct udpbatch *b, struct ub_sock *s)
{
    while (s->tx_head < s->n_txq) {
        size_t k = s->n_txq - s->tx_head;
        if (k > UB_TX_BATCH)
            k = UB_TX_BATCH;
        for (size_t i = 0; i < k; i++) {
            const struct ub_dgram *g = &s->txq[s->tx_head + i];
            b->txiov[i].iov_base = s->tx + g->off;
            b->txiov[i].iov_len = g->len;
            memset(&b->txm[i], 0, sizeof(b->txm[i]));
            b->txm[i].msg_hdr.msg_iov = &b->txiov[i];
            b->txm[i].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(s->fd, b->txm, (unsigned)k, MSG_DONTWAIT);
        b->stats.send_calls++;
        if (r > 0) {
            s->tx_head += (size_t)r;
            b->stats.sent += (unsigned long)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!s->wev)
                s->wev = event_new(b->base, s->fd, EV_WRITE, on_writable, s);
            if (s->wev && event_add(s->wev, NULL) == 0) {
                s->blocked = 1;
                return;
            }
            errno = ENOMEM; /* cannot wait: dropped like any other failure */
        }
        s->err = r < 0 ? errno : EIO;
        s->report = 1;
        b->stats.dropped += s->n_txq - s->tx_head;
        s->tx_head = s->n_txq;
    }
    s->n_txq = s->tx_head = s->tx_len = 0;
}

/* Runs the owner's callback for every socket with a new send error.  The callback may close
 * sockets (c-ares does, when it reads the error), so each is looked up again. */
static void report_errors(struct udpbatch *b)
{
    int fds[16];
    size_t n = 0;
    for (size_t i = 0; i < b->n_socks && n < sizeof(fds) / sizeof(fds[0]); i++) {
        if (b->socks[i]->report) {
            b->socks[i]->report = 0;
            fds[n++] = b->socks[i]->fd;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (sock_find(b, fds[i]) && b->cb)
            b->cb(fds[i], b->cb_arg);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct udpbatch *b = arg;
    b->flush_armed = 0;
    for (size_t i = 0; i < b->n_socks; i++)
        if (!b->socks[i]->blocked)
            sock_flush(b, b->socks[i]);
    report_errors(b);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ub_sock *s = arg;
    struct udpbatch *b = s->owner;
    s->blocked = 0;
    sock_flush(b, s);
    report_errors(b);
}

/* Makes room for one more datagram of len bytes in s's queue. */
static int queue_reserve(struct ub_sock *s, size_t len)
{
    if (s->n_txq == s->cap_txq) {
        size_t cap = s->cap_txq ? 2 * s->cap_txq : 64;
        struct ub_dgram *q = realloc(s->txq, cap * sizeof(*q));
        if (!q)
            return -1;
        s->txq = q;
        s->cap_txq = cap;
    }
    if (s->tx_len + len > s->tx_cap) {
        size_t cap = s->tx_cap ? 2 * s->tx_cap : 16384;
        while (cap < s->tx_len + len)
            cap *= 2;
        unsigned char *t = realloc(s->tx, cap);
        if (!t)
            return -1;
        s->tx = t;
        s->tx_cap = cap;
    }
    return 0;
}

ssize_t udpbatch_sendv(struct udpbatch *b, int fd, const struct iovec *iov, int iovcnt)
{
    struct ub_sock *s = sock_find(b, fd);
    if (!s || !s->dgram) { /* a server closing the TCP connection is an error, not a SIGPIPE */
        struct msghdr m = {.msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)iovcnt};
        return sendmsg(fd, &m, MSG_NOSIGNAL);
    }
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    if (queue_reserve(s, len) != 0) {
        errno = ENOMEM;
        return -1;
    }
    struct ub_dgram *g = &s->txq[s->n_txq++];
    g->off = s->tx_len;
    g->len = len;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(s->tx + s->tx_len, iov[i].iov_base, iov[i].iov_len);
        s->tx_len += iov[i].iov_len;
    }
    if (!b->flush_armed) {
        b->flush_armed = 1;
        event_active(b->flush_ev, 0, 1);
    }
    return (ssize_t)len;
}

static struct ub_rx *rx_new(void)
{
    struct ub_rx *rx = malloc(sizeof(*rx));
    if (!rx)
        return NULL;
    memset(rx->m, 0, sizeof(rx->m));
    for (int i = 0; i < UDPBATCH_RX; i++) {
        rx->iov[i].iov_base = rx->buf[i];
        rx->iov[i].iov_len = sizeof(rx->buf[i]);
        rx->m[i].msg_hdr.msg_iov = &rx->iov[i];
        rx->m[i].msg_hdr.msg_iovlen = 1;
        rx->m[i].msg_hdr.msg_name = &rx->addr[i];
    }
    rx->n = rx->next = 0;
    return rx;
}

ssize_t udpbatch_recvfrom(struct udpbatch *b, int fd, void *buf, size_t len, int flags,
                          struct sockaddr *from, socklen_t *fromlen)
{
    struct ub_sock *s = sock_find(b, fd);
    if (!s || !s->dgram)
        return recvfrom(fd, buf, len, flags, from, fromlen);
    if (!s->rx || s->rx->next == s->rx->n) {
        if (s->err) { /* after the datagrams read before it, as the kernel would order them */
            errno = s->err;
            s->err = 0;
            s->report = 0;
            return -1;
        }
        if (!s->rx && !(s->rx = rx_new())) {
            errno = ENOMEM;
            return -1;
        }
        for (int i = 0; i < UDPBATCH_RX; i++)
            s->rx->m[i].msg_hdr.msg_namelen = sizeof(s->rx->addr[i]);
        int r = recvmmsg(fd, s->rx->m, UDPBATCH_RX, MSG_DONTWAIT, NULL);
        b->stats.recv_calls++;
        if (r <= 0) {
            if (r == 0)
                errno = EAGAIN;
            return -1;
        }
        s->rx->n = r;
        s->rx->next = 0;
        b->stats.received += (unsigned long)r;
    }
    struct ub_rx *rx = s->rx;
    int i = rx->next++;
    size_t n = rx->m[i].msg_len;
    if (n > len)
        n = len;
    memcpy(buf, rx->buf[i], n);
    if (from && fromlen) {
        socklen_t al = rx->m[i].msg_hdr.msg_namelen;
        memcpy(from, &rx->addr[i], al < *fromlen ? al : *fromlen);
        *fromlen = al;
    }
    return (ssize_t)n;
}

int udpbatch_rx_pending(const struct udpbatch *b, int fd)
{
    const struct ub_sock *s = sock_find(b, fd);
    return s && s->rx && s->rx->next < s->rx->n;
}

const struct udpbatch_stats *udpbatch_stats(const struct udpbatch *b)
{
    return &b->stats;
}
