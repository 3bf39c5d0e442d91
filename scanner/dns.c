/*
 * dns: c-ares 1.18 on libevent.  c-ares tells us through the socket state callback which sockets
 * it wants watched; we keep one persistent event per socket.  Query timeouts are driven by a
 * periodic timer calling ares_process_fd(BAD, BAD) instead of re-arming a timer from
 * ares_timeout() after every packet: in 1.18 ares_timeout() walks every outstanding query, which
 * at tens of thousands in flight would cost more than the DNS work itself.  The channel's sockets
 * are scanner/udpbatch's (ares_set_socket_functions): the queries of one loop turn go out with
 * one sendmmsg, answers come in with recvmmsg.
 *
 * --dns-rate is a token bucket in front of the wire, shared with the --dns-inflight FIFO: a query
 * goes out when it has an in-flight slot and a token.  It caps the channel's total, not each
 * server's: c-ares 1.18 cannot be told which server a query uses, and without ARES_OPT_ROTATE it
 * sends every first try to the first --resolver (the others see only retries of timed-out
 * queries), so the total is the only figure we control and is also what the first server gets.
 * Retries are sent by c-ares itself and do not pass the bucket; a server that answers causes none.
 */
#include "scanner/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <sys/random.h>

#include <ares.h>

#include "lib/ratelimit.h"
#include "scanner/dane.h"
#include "scanner/udpbatch.h"

#define DNS_TICK_USEC 50000 /* timeout granularity */
/* --dns-inflight N caps the queries on the wire for a resolver answering within this time; a
 * slower one (a recursive resolver iterating over long round trips) gets proportionally more,
 * up to DNS_INFLIGHT_GROWTH times N, so the query RATE stays what N allows near by (N / 50 ms),
 * while queries do not time out.  See inflight_cap(). */
#define DNS_INFLIGHT_REF_SEC 0.05
#define DNS_INFLIGHT_GROWTH 8.0

struct dns_sock {
    ares_socket_t fd;
    struct event *ev;
    struct dns *owner;
};

struct dns {
    struct event_base *base;
    ares_channel channel;
    struct udpbatch *ub;         /* the channel's sockets: sends and reads batched per loop turn */
    struct dns_sock **socks; /* each socket's slot is its own allocation: events point at it */
    size_t n_socks, cap_socks;
    struct event *tick;
    unsigned long outstanding;   /* on the wire */
    long max_inflight;
    double lat_ewma;             /* seconds from send to answer, recent answers (0: none yet) */
    double timeout_ewma;         /* share of recent queries that needed a retry or timed out */
    double ceiling;              /* in-flight cap learnt from retries (0: not learnt yet) */
    double last_cut;             /* now_mono() of the last lowering of the ceiling */
    struct query *wait_head, *wait_tail; /* over the cap: sent as answers free slots */
    struct query *spare;         /* ended queries kept for reuse (query_release) */
    unsigned long n_spare;
    unsigned short qid_pool[256]; /* random query IDs not used yet: qid_pool[qid_next..qid_n) */
    size_t qid_next, qid_n;
    uint64_t qid_state;          /* next_qid's stand-in generator */
    unsigned long n_waiting;
    struct ratelimit rate;       /* --dns-rate */
    struct event *rate_ev;       /* wakes the FIFO when the next token is due */
    struct dns_counters counters;
    enum dns_validation validation; /* what dns_probe_dnssec found */
    int ednspsz;                 /* the EDNS payload size of the queries built here */
};

enum dns_validation dns_validation(const struct dns *d)
{
    return d->validation;
}

unsigned long dns_counters_ended(const struct dns_counters *c)
{
    return c->answered + c->failed + c->timed_out;
}

const char *dns_counters_failures(const struct dns_counters *c, char *buf, size_t len)
{
    const unsigned long *n = c->by_status;
    snprintf(buf, len, "%lu servfail, %lu refused, %lu timeout, %lu unreachable, %lu malformed, "
                       "%lu other", n[DNS_SERVFAIL], n[DNS_REFUSED], n[DNS_TIMEOUT],
             n[DNS_UNREACHABLE], n[DNS_BADRESP], n[DNS_ERROR] + n[DNS_INTERNAL_ERROR]);
    return buf;
}

int dns_counters_no_answer(const struct dns_counters *c, unsigned long abort_after, int finished)
{
    unsigned long ended = dns_counters_ended(c);
    if (abort_after == 0 || c->answered > 0 || ended == 0)
        return 0;
    if (ended >= abort_after)
        return 1;
    /* a small scan: only when no packet came back at all, since a few SERVFAILs can be the
     * domains' own fault */
    return finished && c->by_status[DNS_TIMEOUT] + c->by_status[DNS_UNREACHABLE] == ended;
}

socklen_t dns_addr_prepare(struct sockaddr_storage *ss, unsigned short port, char *text,
                           size_t textlen)
{
    if (ss->ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_port = htons(port);
        inet_ntop(AF_INET6, &a->sin6_addr, text, (socklen_t)textlen);
        return sizeof(*a);
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_port = htons(port);
    inet_ntop(AF_INET, &a->sin_addr, text, (socklen_t)textlen);
    return sizeof(*a);
}

static struct dns_sock *sock_find(struct dns *d, ares_socket_t fd)
{
    for (size_t i = 0; i < d->n_socks; i++)
        if (d->socks[i]->fd == fd)
            return d->socks[i];
    return NULL;
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
    struct dns_sock *s = arg;
    struct dns *d = s->owner;
    ares_process_fd(d->channel, (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
                    (what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
    /* c-ares stops reading before "would block" only when it drops a reply from a stranger;
     * datagrams udpbatch has already read would then wait for the next one to arrive */
    if ((what & EV_READ) && udpbatch_rx_pending(d->ub, (int)fd) && (s = sock_find(d, fd)) != NULL)
        event_active(s->ev, EV_READ, 1);
}

/* c-ares 1.18's socket functions (ares_set_socket_functions), all through udpbatch. */
static ares_socket_t ub_socket(int af, int type, int protocol, void *arg)
{
    struct dns *d = arg;
    int fd = udpbatch_socket(d->ub, af, type, protocol);
    return fd < 0 ? ARES_SOCKET_BAD : (ares_socket_t)fd;
}

static int ub_close(ares_socket_t fd, void *arg)
{
    struct dns *d = arg;
    return udpbatch_close(d->ub, (int)fd);
}

static int ub_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *arg)
{
    struct dns *d = arg;
    return udpbatch_connect(d->ub, (int)fd, sa, (socklen_t)len);
}

static ares_ssize_t ub_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                struct sockaddr *from, ares_socklen_t *fromlen, void *arg)
{
    struct dns *d = arg;
    return udpbatch_recvfrom(d->ub, (int)fd, buf, len, flags, from, (socklen_t *)fromlen);
}

static ares_ssize_t ub_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *arg)
{
    struct dns *d = arg;
    return udpbatch_sendv(d->ub, (int)fd, iov, n);
}

/* c-ares keeps the pointer: the table lives as long as the program. */
static const struct ares_socket_functions ub_funcs = {ub_socket, ub_close, ub_connect, ub_recvfrom,
                                                      ub_sendv};

/* A batched send failed (udpbatch keeps the error for the socket's next read): c-ares reads the
 * socket now and, seeing the error, sends that server's queries again, as after a failed read. */
static void on_send_error(int fd, void *arg)
{
    struct dns *d = arg;
    ares_process_fd(d->channel, (ares_socket_t)fd, ARES_SOCKET_BAD);
}

static void sock_remove(struct dns *d, struct dns_sock *s)
{
    for (size_t i = 0; i < d->n_socks; i++) {
        if (d->socks[i] == s) {
            d->socks[i] = d->socks[--d->n_socks];
            break;
        }
    }
    event_free(s->ev);
    free(s);
}

/* A fixed capacity is plenty for c-ares: one UDP socket per server, plus TCP for truncated
 * answers. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns *d = data;
    struct dns_sock *s = sock_find(d, fd);
    if (s) {
        event_del(s->ev);
        if (!readable && !writable) {
            sock_remove(d, s);
            return;
        }
    } else {
        if (!readable && !writable)
            return;
        if (d->n_socks == d->cap_socks)
            return; /* c-ares will time the query out; cannot happen with the cap below */
        s = calloc(1, sizeof(*s));
        if (!s)
            return;
        s->fd = fd;
        s->owner = d;
        s->ev = event_new(d->base, fd, 0, on_sock_event, s);
        if (!s->ev) {
            free(s);
            return;
        }
        d->socks[d->n_socks++] = s;
    }
    short what = (short)(EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
    event_assign(s->ev, d->base, fd, what, on_sock_event, s);
    event_add(s->ev, NULL);
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void drain(struct dns *d);

static void on_rate(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    drain(arg);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct dns *d = arg;
    ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void tick_update(struct dns *d)
{
    if (d->outstanding > 0 && !event_pending(d->tick, EV_TIMEOUT, NULL)) {
        struct timeval tv = {0, DNS_TICK_USEC};
        event_add(d->tick, &tv);
    } else if (d->outstanding == 0) {
        event_del(d->tick);
    }
}

struct dns *dns_new(struct event_base *base, const struct dns_opts *opts, char *err, size_t errlen)
{
    struct dns *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base = base;
    d->max_inflight = opts->max_inflight;
    d->cap_socks = 64;
    d->socks = calloc(d->cap_socks, sizeof(*d->socks));
    d->tick = event_new(base, -1, EV_PERSIST, on_tick, d);
    d->rate_ev = event_new(base, -1, 0, on_rate, d);
    /* Thousands of answers can arrive between two turns of the loop: a small receive buffer
     * drops them and turns a fast server into timeouts.  The kernel caps it at rmem_max.  (c-ares'
     * ARES_OPT_SOCK_RCVBUF does not apply to sockets it does not create.) */
    d->ub = udpbatch_new(base, 8 << 20, on_send_error, d);
    /* burst: 50 ms worth, so no one-second window sees much more than the rate */
    ratelimit_init(&d->rate, opts->rate, opts->rate / 20, now_mono());
    if (!d->socks || !d->tick || !d->rate_ev || !d->ub) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    int st = ares_library_init(ARES_LIB_INIT_ALL);
    if (st != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares init: %s", ares_strerror(st));
        goto fail;
    }
    struct ares_options ao;
    memset(&ao, 0, sizeof(ao));
    ao.sock_state_cb = on_sock_state;
    ao.sock_state_cb_data = d;
    ao.timeout = (int)(opts->timeout_sec * 1000);
    ao.tries = opts->tries > 0 ? opts->tries : 1;
    /* NOCHECKRESP: c-ares 1.18 turns a SERVFAIL or REFUSED reply into "connection refused" (it
     * tries the next server and, when none is left, ends with its initial status), which made an
     * authoritative failure look like a dead resolver.  With the flag the reply's code reaches us;
     * the price is that such a reply is not retried on the next --resolver. */
    ao.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    ao.ednspsz = 1232;
    d->ednspsz = ao.ednspsz;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
               ARES_OPT_EDNSPSZ;
    st = ares_init_options(&d->channel, &ao, mask);
    if (st != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(st));
        goto fail;
    }
    ares_set_socket_functions(d->channel, &ub_funcs, d);
    if (opts->servers && *opts->servers) {
        st = ares_set_servers_ports_csv(d->channel, opts->servers);
        if (st != ARES_SUCCESS) {
            snprintf(err, errlen, "bad --resolver '%s': %s", opts->servers, ares_strerror(st));
            ares_destroy(d->channel);
            goto fail;
        }
    }
    return d;
fail:
    udpbatch_free(d->ub);
    if (d->tick)
        event_free(d->tick);
    if (d->rate_ev)
        event_free(d->rate_ev);
    free(d->socks);
    free(d);
    return NULL;
}

const struct dns_counters *dns_counters(const struct dns *d)
{
    return &d->counters;
}

/* ---- queries ---------------------------------------------------------------------------- */

enum query_kind { Q_MX, Q_TXT, Q_A, Q_AAAA, Q_PROBE, Q_TLSA };

struct addr_job {
    struct sockaddr_storage v4[DNS_ADDR_MAX], v6[DNS_ADDR_MAX]; /* kept apart until both end */
    size_t n4, n6;
    enum dns_status st4, st6;
    enum dns_sec sec4, sec6;
    char cname[256];             /* CNAME target of the A answer (else of the AAAA answer) */
    int pending;
    dns_addr_cb cb;
    void *arg;
};

struct query {
    struct dns *d;
    struct query *next;     /* wait queue; the list of spare queries */
    int type;
    enum query_kind kind;
    union { dns_mx_cb mx; dns_txt_cb txt; struct addr_job *addr; dns_probe_cb probe; dns_tlsa_cb tlsa; } u;
    void *arg;
    double sent_at;         /* now_mono() when put on the wire */
    int dnssec;             /* built here with the AD bit (ares_send), not by ares_query */
    int cd;                 /* the retry of a SERVFAIL with checking disabled */
    int uncounted;          /* the DNSSEC probe: not one of the scan's lookups */
    char name[256];         /* last: query_new clears only what comes before it */
};

/* Ended queries are kept for the next ones (a scan makes millions, a few thousand at a time):
 * no allocator round trip per query, and the memory reused is the most recently touched. */
#define DNS_SPARE_MAX 4096

static void query_release(struct dns *d, struct query *q)
{
    if (d->n_spare >= DNS_SPARE_MAX) {
        free(q);
        return;
    }
    q->next = d->spare;
    d->spare = q;
    d->n_spare++;
}

static void count_answer(struct dns *d, const struct query *q, int status,
                         const unsigned char *abuf, int alen)
{
    d->outstanding--;
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION || q->uncounted)
        return; /* we ended it: neither an answer nor a failure */
    /* c-ares hands over a reply whose records are cut short as a success (the parsers find
     * out later): count it as the malformed reply it is */
    if (status == ARES_SUCCESS && !dns_answer_wellformed(abuf, alen))
        status = ARES_EBADRESP;
    if (status == ARES_ETIMEOUT)
        d->counters.timed_out++;
    else if (status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA)
        d->counters.answered++;
    else
        d->counters.failed++;
    d->counters.by_status[dns_status_from_ares(status)]++;
}

static void deliver_mx(struct query *q, int status, unsigned char *abuf, int alen, enum dns_sec sec)
{
    struct dns_mx_answer a; /* 4 KB of host names: only what n says is written, and read */
    a.status = dns_status_from_ares(status);
    a.n = 0;
    a.null_mx = 0;
    if (status == ARES_SUCCESS)
        dns_parse_mx(abuf, alen, &a);
    a.sec = sec;
    q->u.mx(&a, q->arg);
}

static void deliver_txt(struct query *q, int status, unsigned char *abuf, int alen)
{
    struct dns_txt_answer a; /* 1.4 KB of records: only what n says is written, and read */
    a.status = dns_status_from_ares(status);
    a.ttl = -1;
    a.n = 0;
    /* one buffer large enough for every record concatenated: never more than the answer */
    unsigned char *buf = status == ARES_SUCCESS ? malloc((size_t)alen + 1) : NULL;
    if (status == ARES_SUCCESS && !buf)
        a.status = DNS_INTERNAL_ERROR;
    if (buf)
        dns_parse_txt(abuf, alen, buf, &a);
    q->u.txt(&a, q->arg);
    free(buf);
}

/* Keeps one family's addresses apart from the other's: the cap applies at the merge, so which
 * answer arrives first cannot change which addresses are kept. */
static void addr_part(struct query *q, int status, unsigned char *abuf, int alen, enum dns_sec sec)
{
    struct addr_job *j = q->u.addr;
    enum dns_status st = dns_status_from_ares(status);
    if (status == ARES_SUCCESS && (q->kind == Q_A || !j->cname[0]))
        dns_parse_cname_target(abuf, alen, j->cname, sizeof(j->cname));
    if (status == ARES_SUCCESS) {
        if (q->kind == Q_A) {
            struct ares_addrttl at[DNS_ADDR_MAX];
            int n = DNS_ADDR_MAX;
            int r = ares_parse_a_reply(abuf, alen, NULL, at, &n);
            st = dns_status_from_ares(r);
            for (int i = 0; r == ARES_SUCCESS && i < n && j->n4 < DNS_ADDR_MAX; i++) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&j->v4[j->n4++];
                sin->sin_family = AF_INET;
                sin->sin_addr = at[i].ipaddr;
            }
        } else {
            struct ares_addr6ttl at[DNS_ADDR_MAX];
            int n = DNS_ADDR_MAX;
            int r = ares_parse_aaaa_reply(abuf, alen, NULL, at, &n);
            st = dns_status_from_ares(r);
            for (int i = 0; r == ARES_SUCCESS && i < n && j->n6 < DNS_ADDR_MAX; i++) {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&j->v6[j->n6++];
                sin6->sin6_family = AF_INET6;
                memcpy(&sin6->sin6_addr, &at[i].ip6addr, sizeof(sin6->sin6_addr));
            }
        }
    }
    if (q->kind == Q_A) {
        j->st4 = st;
        j->sec4 = sec;
    } else {
        j->st6 = st;
        j->sec6 = sec;
    }
    if (--j->pending > 0)
        return;
    struct dns_addr_answer merged;
    dns_addr_merge(j->v4, j->n4, j->st4, j->v6, j->n6, j->st6, &merged);
    merged.sec = dns_sec_merge(j->sec4, j->sec6);
    snprintf(merged.cname, sizeof(merged.cname), "%s", j->cname);
    j->cb(&merged, j->arg);
    free(j);
}

static void wire_send(struct dns *d, struct query *q);

static void follow_latency(struct dns *d, const struct query *q, int status, int timeouts);

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct query *q = arg;
    struct dns *d = q->d;
    int ad = 0;
    if (q->dnssec && status == ARES_SUCCESS) { /* ares_send: the reply's code is ours to read */
        status = dns_reply_status(abuf, alen);
        ad = (abuf[3] & 0x20) != 0;
    }
    if (q->dnssec && status == ARES_ESERVFAIL && !q->cd && d->validation == DNS_VALIDATION_YES) {
        /* Asked again with CD: an answer then means the data is there and did not validate.
         * The first reply is not counted: the lookup ends with the second. */
        d->outstanding--;
        follow_latency(d, q, status, timeouts);
        q->cd = 1;
        wire_send(d, q);
        return;
    }
    enum dns_sec sec = q->dnssec ? dns_sec_of(d->validation, q->cd, status, ad) : DNS_SEC_UNCHECKED;
    if (q->cd && status != ARES_ECANCELLED && status != ARES_EDESTRUCTION) {
        /* what a validating sender sees: the SERVFAIL, whatever the retry got */
        status = ARES_ESERVFAIL;
        abuf = NULL;
        alen = 0;
    }
    count_answer(d, q, status, abuf, alen);
    follow_latency(d, q, status, timeouts);
    switch (q->kind) {
    case Q_MX: deliver_mx(q, status, abuf, alen, sec); break;
    case Q_TXT: deliver_txt(q, status, abuf, alen); break;
    case Q_A: case Q_AAAA: addr_part(q, status, abuf, alen, sec); break;
    case Q_TLSA: {
        struct dane_tlsa_set *set = calloc(1, sizeof(*set)); /* a few KiB: not on the stack */
        struct dane_tlsa_set oom = {.status = DNS_INTERNAL_ERROR};
        if (set) {
            set->sec = sec;
            if (status == ARES_SUCCESS)
                dane_parse_tlsa(abuf, alen, set);
            else
                set->status = dns_status_from_ares(status);
        }
        q->u.tlsa(set ? set : &oom, q->arg);
        free(set);
        break;
    }
    case Q_PROBE:
        if (status != ARES_ECANCELLED && status != ARES_EDESTRUCTION)
            d->validation = status == ARES_SUCCESS && ad ? DNS_VALIDATION_YES
                            : dns_status_failed(dns_status_from_ares(status)) ? DNS_VALIDATION_UNKNOWN
                                                                              : DNS_VALIDATION_NO;
        q->u.probe(d->validation, dns_status_from_ares(status), q->arg);
        break;
    }
    query_release(d, q);
    if (status == ARES_EDESTRUCTION)
        return;
    drain(d); /* a slot is free: the oldest waiting query may go out */
    tick_update(d);
}

/* The in-flight cap follows the resolver: max_inflight at DNS_INFLIGHT_REF_SEC answer latency
 * or less (a server next door, whose socket buffer a burst would overflow), growing with the
 * latency (a recursive resolver over 100-300 ms round trips would otherwise be kept idle).  A
 * resolver that drops queries when overrun (unbound past its wait-limit) shows it by queries
 * never answered: while more than 1 % of them time out, the cap is lowered to 70 % of what was on the wire
 * (at most once a second, never below max_inflight), then creeps up again by one query per 20
 * clean answers (additive increase, multiplicative decrease, as TCP does). */
static long inflight_cap(const struct dns *d)
{
    double k = d->lat_ewma / DNS_INFLIGHT_REF_SEC;
    if (k < 1.0)
        k = 1.0;
    if (k > DNS_INFLIGHT_GROWTH)
        k = DNS_INFLIGHT_GROWTH;
    double cap = (double)d->max_inflight * k;
    if (d->ceiling > 0 && d->ceiling < cap)
        cap = d->ceiling;
    return cap < (double)d->max_inflight ? d->max_inflight : (long)cap;
}

static void follow_latency(struct dns *d, const struct query *q, int status, int timeouts)
{
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION || q->sent_at <= 0)
        return;
    /* Only a query that was never answered says "overrun": a slow answer (a far resolver, a lost
     * datagram it recovered from) costs a c-ares retry but is no reason to send fewer. */
    d->timeout_ewma = 0.99 * d->timeout_ewma + (status == ARES_ETIMEOUT ? 0.01 : 0.0);
    if (timeouts > 0 || status == ARES_ETIMEOUT) {
        double now = now_mono();
        if (status == ARES_ETIMEOUT && d->timeout_ewma > 0.01 && now - d->last_cut > 1.0) {
            d->ceiling = 0.7 * (double)(d->outstanding + 1);
            if (d->ceiling < (double)d->max_inflight)
                d->ceiling = (double)d->max_inflight;
            d->last_cut = now;
        }
        return;   /* the time of a retried query is the timeout's, not the resolver's */
    }
    if (d->ceiling > 0)
        d->ceiling += 0.05;
    double lat = now_mono() - q->sent_at;
    d->lat_ewma = d->lat_ewma > 0 ? 0.98 * d->lat_ewma + 0.02 * lat : lat;
}

/* 1 when one more query may go on the wire now (an in-flight slot and a --dns-rate token, which
 * it then takes). */
static int may_send(struct dns *d)
{
    if (d->max_inflight > 0 && (long)d->outstanding >= inflight_cap(d))
        return 0;
    return d->rate.rate <= 0 || ratelimit_take(&d->rate, now_mono()); /* no clock read unlimited */
}

/* Sends waiting queries in order while slots and tokens allow; when only the rate holds them
 * back, wakes up when the next token is due. */
static void drain(struct dns *d)
{
    while (d->wait_head && may_send(d)) {
        struct query *w = d->wait_head;
        d->wait_head = w->next;
        if (!d->wait_head)
            d->wait_tail = NULL;
        d->n_waiting--;
        wire_send(d, w);
    }
    if (d->wait_head && (d->max_inflight <= 0 || (long)d->outstanding < inflight_cap(d)) &&
        !event_pending(d->rate_ev, EV_TIMEOUT, NULL)) {
        double wait = ratelimit_wait(&d->rate, now_mono());
        struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 500};
        event_add(d->rate_ev, &tv);
    }
}

/* The ID of a query built here: ares_send sends the ID it is given (ares_query draws its own).
 * Random, as RFC 5452 asks of query IDs, so that an off-path forger has to guess it; and spread:
 * c-ares 1.18 files the queries on the wire by ID and compares the question of each one with the
 * answer's ID, so with one ID for all (0, until this) every MX answer was compared with every MX
 * query on the wire, a cost that grew with --dns-inflight.  Drawn from getrandom() a few hundred
 * at a time; a generator seeded from the clock stands in if that fails. */
static unsigned short next_qid(struct dns *d)
{
    if (d->qid_next == d->qid_n) {
        ssize_t n = getrandom(d->qid_pool, sizeof(d->qid_pool), GRND_NONBLOCK);
        d->qid_next = 0;
        d->qid_n = n > 0 ? (size_t)n / sizeof(d->qid_pool[0]) : 0;
        if (d->qid_n == 0) {
            if (d->qid_state == 0) /* any odd start will do: only the spread matters here */
                d->qid_state = (uint64_t)(now_mono() * 1e9) | 1;
            d->qid_state += 0x9e3779b97f4a7c15ULL; /* splitmix64 */
            uint64_t z = d->qid_state;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            return (unsigned short)(z ^ (z >> 31));
        }
    }
    return d->qid_pool[d->qid_next++];
}

static void wire_send(struct dns *d, struct query *q)
{
    d->outstanding++;
    if (!q->uncounted && !q->cd)
        d->counters.sent++;
    q->sent_at = now_mono();
    tick_update(d);
    if (!q->dnssec) {
        ares_query(d->channel, q->name, ns_c_in, q->type, on_answer, q);
        return;
    }
    /* c-ares 1.18 has no option for the AD or CD bit: the query is built here, the bits set in
     * the header's second flag byte, and sent as is (ares_send reads the reply's code to us) */
    unsigned char *buf = NULL;
    int len = 0;
    int st = ares_create_query(q->name, ns_c_in, q->type, next_qid(d), 1, &buf, &len, d->ednspsz);
    if (st != ARES_SUCCESS) {
        on_answer(q, st, 0, NULL, 0);
        return;
    }
    buf[3] |= 0x20; /* AD: RFC 6840 §5.7 */
    if (q->cd)
        buf[3] |= 0x10;
    ares_send(d->channel, buf, len, on_answer, q);
    ares_free_string(buf);
}

/* Sends q now, or queues it while max_inflight queries are on the wire: a burst of thousands of
 * queries overflows the server's socket buffer, and every dropped one costs a full timeout. */
static void send_query(struct dns *d, const char *name, int type, struct query *q)
{
    size_t len = strlen(name);
    if (len > 253) {
        /* e.g. _mta-sts. + a 250-byte domain: no such name can exist (RFC 1035 §2.3.4), which
         * is an answer, not a lookup failure */
        d->outstanding++;
        on_answer(q, ARES_ENOTFOUND, 0, NULL, 0);
        return;
    }
    memcpy(q->name, name, len + 1);
    q->type = type;
    if (d->wait_head || !may_send(d)) { /* behind others, or no slot or token yet */
        q->next = NULL;
        if (d->wait_tail)
            d->wait_tail->next = q;
        else
            d->wait_head = q;
        d->wait_tail = q;
        if (++d->n_waiting > d->counters.queued_peak)
            d->counters.queued_peak = d->n_waiting;
        drain(d); /* arms the rate timer when only a token is missing */
        return;
    }
    wire_send(d, q);
}

static struct query *query_new(struct dns *d, enum query_kind kind, void *arg)
{
    struct query *q = d->spare;
    if (q) {
        d->spare = q->next;
        d->n_spare--;
        memset(q, 0, offsetof(struct query, name));
    } else if (!(q = calloc(1, sizeof(*q)))) {
        return NULL;
    }
    q->d = d;
    q->kind = kind;
    q->arg = arg;
    return q;
}

void dns_query_mx(struct dns *d, const char *name, dns_mx_cb cb, void *arg)
{
    struct query *q = query_new(d, Q_MX, arg);
    if (!q) {
        struct dns_mx_answer a = {.status = DNS_INTERNAL_ERROR};
        cb(&a, arg);
        return;
    }
    q->u.mx = cb;
    q->dnssec = 1;
    send_query(d, name, ns_t_mx, q);
}

void dns_query_tlsa(struct dns *d, const char *host, unsigned short port, dns_tlsa_cb cb, void *arg)
{
    struct query *q = query_new(d, Q_TLSA, arg);
    if (!q) {
        struct dane_tlsa_set oom = {.status = DNS_INTERNAL_ERROR};
        cb(&oom, arg);
        return;
    }
    char name[300];
    snprintf(name, sizeof(name), "_%u._tcp.%s", (unsigned)port, host);
    q->u.tlsa = cb;
    q->dnssec = 1;
    send_query(d, name, 52 /* TLSA */, q);
}

void dns_probe_dnssec(struct dns *d, dns_probe_cb cb, void *arg)
{
    struct query *q = query_new(d, Q_PROBE, arg);
    if (!q) {
        cb(d->validation, DNS_INTERNAL_ERROR, arg);
        return;
    }
    q->u.probe = cb;
    q->dnssec = 1;
    q->uncounted = 1;
    send_query(d, ".", 48 /* DNSKEY */, q);
}

void dns_query_txt(struct dns *d, const char *name, dns_txt_cb cb, void *arg)
{
    struct query *q = query_new(d, Q_TXT, arg);
    if (!q) {
        struct dns_txt_answer a = {.status = DNS_INTERNAL_ERROR, .ttl = -1};
        cb(&a, arg);
        return;
    }
    q->u.txt = cb;
    send_query(d, name, ns_t_txt, q);
}

void dns_query_addr(struct dns *d, const char *name, dns_addr_cb cb, void *arg)
{
    struct addr_job *j = calloc(1, sizeof(*j));
    struct query *q4 = query_new(d, Q_A, NULL);
    struct query *q6 = query_new(d, Q_AAAA, NULL);
    if (!j || !q4 || !q6) {
        free(j);
        free(q4);
        free(q6);
        struct dns_addr_answer a = {.status = DNS_INTERNAL_ERROR};
        cb(&a, arg);
        return;
    }
    j->cb = cb;
    j->arg = arg;
    j->pending = 2;
    q4->u.addr = j;
    q6->u.addr = j;
    /* with the AD bit like MX: DANE needs to know whether the addresses are secure (RFC 7672
     * §2.2.2); a plain resolver ignores it */
    q4->dnssec = q6->dnssec = 1;
    send_query(d, name, ns_t_a, q4);
    send_query(d, name, ns_t_aaaa, q6);
}

void dns_cancel_all(struct dns *d)
{
    while (d->wait_head) { /* never sent; EDESTRUCTION: on_answer sends nothing in their place */
        struct query *w = d->wait_head;
        d->wait_head = w->next;
        d->n_waiting--;
        d->outstanding++;
        on_answer(w, ARES_EDESTRUCTION, 0, NULL, 0);
    }
    d->wait_tail = NULL;
    ares_cancel(d->channel);
    tick_update(d);
}

void dns_free(struct dns *d)
{
    if (!d)
        return;
    while (d->wait_head) { /* never sent: answer them as cancelled */
        struct query *w = d->wait_head;
        d->wait_head = w->next;
        d->outstanding++;
        on_answer(w, ARES_EDESTRUCTION, 0, NULL, 0);
    }
    ares_destroy(d->channel); /* runs pending callbacks with ARES_EDESTRUCTION */
    while (d->n_socks)
        sock_remove(d, d->socks[0]);
    udpbatch_free(d->ub);     /* after the channel: c-ares closes its sockets through it */
    while (d->spare) {
        struct query *q = d->spare;
        d->spare = q->next;
        free(q);
    }
    event_free(d->tick);
    event_free(d->rate_ev);
    free(d->socks);
    free(d);
    ares_library_cleanup();
}
