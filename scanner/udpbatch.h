/*
 * udpbatch: the DNS stage's own sockets, handed to c-ares 1.18 through ares_set_socket_functions
 * (scanner/dns), so that a query costs a fraction of a system call instead of two.  A datagram
 * "sent" on one of its datagram sockets is copied into a per-socket queue and goes out with the
 * others queued in the same turn of the event loop: one sendmmsg per socket per turn.  Datagrams
 * are read with recvmmsg, up to UDPBATCH_RX at once, and handed out one per udpbatch_recvfrom call
 * (c-ares reads until "would block", which then costs one call per UDPBATCH_RX answers, not one
 * per answer).  Stream sockets (c-ares' TCP fallback for truncated answers) pass straight through.
 *
 * Errors keep c-ares' meaning: a send that fails when the queue goes out (a resolver's "port
 * unreachable" reported on the next send, a full network buffer) drops what was queued on that
 * socket, and the error is returned by the socket's next udpbatch_recvfrom, as the kernel would
 * have returned it there; the owner's error callback runs (outside any c-ares call) so that it can
 * let c-ares read it.  c-ares then treats the socket as broken and sends its queries again, as it
 * does when the error comes with a read.  "Would block" keeps the queue and waits until the
 * socket is writable.
 */
#ifndef MTASTS_UDPBATCH_H
#define MTASTS_UDPBATCH_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <event2/event.h>

#define UDPBATCH_RX 64            /* datagrams read by one recvmmsg */
#define UDPBATCH_DGRAM_MAX 4097   /* bytes kept of a received datagram: c-ares 1.18 reads UDP
                                     answers into MAXENDSSZ + 1 bytes and judges a longer one
                                     truncated, so a longer one is cut here the same way */

struct udpbatch;

/* A queued send on fd failed when it went out (its error waits in udpbatch_recvfrom).  Runs from
 * the event loop, never from inside a udpbatch call. */
typedef void (*udpbatch_error_cb)(int fd, void *arg);

/* What went through the sockets (datagram sockets only). */
struct udpbatch_stats {
    unsigned long sent;       /* datagrams handed to the kernel */
    unsigned long send_calls; /* sendmmsg calls */
    unsigned long received;   /* datagrams read */
    unsigned long recv_calls; /* recvmmsg calls, "would block" ones included */
    unsigned long dropped;    /* queued datagrams dropped by a send error or a close */
};

/* Creates the socket layer on base; rcvbuf (> 0) is each datagram socket's SO_RCVBUF.  NULL when
 * out of memory.  Free with udpbatch_free. */
struct udpbatch *udpbatch_new(struct event_base *base, int rcvbuf, udpbatch_error_cb cb, void *arg);
/* Closes the sockets still open (dropping what they had queued) and frees b.  NULL is a no-op. */
void udpbatch_free(struct udpbatch *b);

/* socket(2) for the owner: non-blocking and close-on-exec (c-ares does not configure sockets it
 * did not create), a datagram socket with the receive buffer, a stream socket with TCP_NODELAY
 * as c-ares would set them.  -1 with errno on failure. */
int udpbatch_socket(struct udpbatch *b, int af, int type, int protocol);
/* close(2): drops what fd had queued and not sent. */
int udpbatch_close(struct udpbatch *b, int fd);
int udpbatch_connect(struct udpbatch *b, int fd, const struct sockaddr *sa, socklen_t len);
/* A datagram socket: the next datagram read (at most len bytes copied), else the error a queued
 * send met, else -1 with errno EAGAIN.  A stream socket: recvfrom(2). */
ssize_t udpbatch_recvfrom(struct udpbatch *b, int fd, void *buf, size_t len, int flags,
                          struct sockaddr *from, socklen_t *fromlen);
/* A datagram socket: queues the datagram (the iovecs' bytes are copied) to go out at the end of
 * this turn of the loop, and returns its length; -1 with ENOMEM when it cannot be queued.  A
 * stream socket: sendmsg(2) with MSG_NOSIGNAL (a closed connection is EPIPE, not a signal). */
ssize_t udpbatch_sendv(struct udpbatch *b, int fd, const struct iovec *iov, int iovcnt);
/* 1 when datagrams read from fd wait to be handed out (the owner should read again). */
int udpbatch_rx_pending(const struct udpbatch *b, int fd);
const struct udpbatch_stats *udpbatch_stats(const struct udpbatch *b);

#endif
