/*
 * relay: the distance of the testnet's simulated internet (scripts/testnet up --wan).  This
 * kernel has no netem qdisc, so distance is made in user space: the relay listens on every public
 * address of the servers inside the scanner's namespace and forwards to the same address in the
 * servers' namespace, holding each UDP datagram and each chunk of a TCP byte stream for a drawn
 * one-way delay, and dropping UDP datagrams by a loss rate.  A test tool, not linked into the
 * scanner.
 *
 *   relay --client-ns NAME --config FILE [--seed N] [--pidfile FILE] [--stats FILE]
 *
 * It must run inside the servers' namespace (ip netns exec); it enters the client namespace
 * (/run/netns/NAME) only to open its listening sockets there.  Config lines ('#' comments):
 *
 *   class NAME RTT_MS JITTER_MS LOSS SPREAD   a class of servers (dns, policy, mx, slow, ...)
 *   udp ADDR PORT CLASS | tcp ADDR PORT CLASS one listener (ADDR: IPv4 or IPv6, no brackets)
 *
 * Model (docs/testnet.md, "Distance"): each address has its own base RTT, drawn once from a log-
 * normal around the class's RTT (median RTT, sigma SPREAD) seeded by the address; each datagram or
 * chunk travels base/2 + U(0, JITTER)/2 one way.  UDP: each datagram (either way) is lost with
 * probability LOSS.  TCP: the kernel completes the client's handshake at once, so a connection
 * opens to the server half a base RTT later and client bytes are held until a full RTT has passed
 * (what the SYN exchange costs); a chunk is "lost" with probability LOSS and then arrives one
 * retransmission timeout (max(200 ms, base RTT)) later; order is always kept.  UDP is DNS: the
 * relay forwards every client's queries through one socket per listener, renumbering query IDs.
 * SIGUSR1 or SIGTERM writes counters to --stats (one JSON line); SIGTERM then exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define MAX_CLASSES 16
#define UDP_IDS 65536
#define UDP_ENTRY_TTL_MS 10000
#define TCP_HIGH_WATER (4 * 1024 * 1024)

struct wclass {
    char name[32];
    double rtt_ms, jitter_ms, loss, spread;
};

struct listener {
    int udp;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[64];
    const struct wclass *cls;
    double base_rtt_ms;             /* this address's own RTT */
    /* UDP only */
    int fd_client, fd_server;
    struct event *ev_client, *ev_server;
    struct udp_entry *ids;          /* UDP_IDS entries: renumbered query -> client */
    uint16_t next_id;
};

struct udp_entry {
    struct sockaddr_storage from;
    socklen_t fromlen;
    uint16_t orig_id;
    uint64_t at_ms;                 /* 0: free */
};

struct packet {                     /* one datagram held for its delay */
    struct event *ev;
    struct listener *l;
    int to_client;
    struct sockaddr_storage to;
    socklen_t tolen;
    size_t len;
    uint64_t due_us;
    unsigned char data[];
};

/* ---- counters --------------------------------------------------------------------------- */

static struct {
    unsigned long udp_in, udp_out, udp_lost, udp_unmatched, udp_no_id, tcp_accepted, tcp_failed,
        tcp_chunks, tcp_chunks_lost;
    unsigned long long tcp_bytes;
    unsigned long late_n;           /* timers fired, and how late (the relay's own lag) */
    double late_sum_ms, late_max_ms;
    unsigned long late_over_10ms;
} st;

static const char *stats_path;
static struct event_base *base;
static uint64_t rng_state = 88172645463325252ULL;

static uint64_t now_us(void)
{
    struct timeval tv;
    event_base_gettimeofday_cached(base, &tv);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static uint64_t real_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static double uniform(void)        /* xorshift64*: fast, reproducible for a seed */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void note_lateness(uint64_t due_us)
{
    uint64_t now = real_now_us();
    double late = now > due_us ? (double)(now - due_us) / 1000.0 : 0.0;
    st.late_n++;
    st.late_sum_ms += late;
    if (late > st.late_max_ms)
        st.late_max_ms = late;
    if (late > 10.0)
        st.late_over_10ms++;
}

static void write_stats(void)
{
    if (!stats_path)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f,
            "{\"udp_in\":%lu,\"udp_out\":%lu,\"udp_lost\":%lu,\"udp_unmatched\":%lu,\"udp_no_id\":%lu,"
            "\"tcp_accepted\":%lu,\"tcp_failed\":%lu,\"tcp_chunks\":%lu,\"tcp_chunks_lost\":%lu,"
            "\"tcp_bytes\":%llu,\"timers\":%lu,\"late_mean_ms\":%.3f,\"late_max_ms\":%.3f,"
            "\"late_over_10ms\":%lu}\n",
            st.udp_in, st.udp_out, st.udp_lost, st.udp_unmatched, st.udp_no_id, st.tcp_accepted,
            st.tcp_failed, st.tcp_chunks, st.tcp_chunks_lost, st.tcp_bytes, st.late_n,
            st.late_n ? st.late_sum_ms / (double)st.late_n : 0.0, st.late_max_ms, st.late_over_10ms);
    fclose(f);
    rename(tmp, stats_path);
}

/* ---- delays ----------------------------------------------------------------------------- */

static double one_way_ms(const struct listener *l)
{
    return l->base_rtt_ms / 2.0 + uniform() * l->cls->jitter_ms / 2.0;
}

static struct timeval tv_of_us(uint64_t us)
{
    struct timeval tv = {(time_t)(us / 1000000u), (suseconds_t)(us % 1000000u)};
    return tv;
}

/* The address's own RTT: log-normal around the class's, fixed by the address and the seed. */
static double base_rtt(const struct wclass *c, const char *addr, uint64_t seed)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (const char *p = addr; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    double u1 = ((double)(h >> 11) + 1.0) / 9007199254740993.0;
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
    double u2 = (double)(h >> 11) / 9007199254740992.0;
    double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
    return c->rtt_ms * exp(c->spread * z);
}

/* ---- UDP (DNS) -------------------------------------------------------------------------- */

static void packet_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct packet *p = arg;
    note_lateness(p->due_us);
    if (p->to_client)
        sendto(p->l->fd_client, p->data, p->len, 0, (struct sockaddr *)&p->to, p->tolen);
    else
        send(p->l->fd_server, p->data, p->len, 0);
    st.udp_out++;
    event_free(p->ev);
    free(p);
}

static void packet_hold(struct listener *l, int to_client, const unsigned char *data, size_t len,
                        const struct sockaddr_storage *to, socklen_t tolen)
{
    if (uniform() < l->cls->loss) {
        st.udp_lost++;
        return;
    }
    struct packet *p = malloc(sizeof(*p) + len);
    if (!p)
        return;
    p->l = l;
    p->to_client = to_client;
    if (to)
        memcpy(&p->to, to, tolen);
    p->tolen = tolen;
    p->len = len;
    memcpy(p->data, data, len);
    uint64_t delay = (uint64_t)(one_way_ms(l) * 1000.0);
    p->due_us = now_us() + delay;
    p->ev = evtimer_new(base, packet_fire, p);
    struct timeval tv = tv_of_us(delay);
    if (!p->ev || evtimer_add(p->ev, &tv) < 0) {
        if (p->ev)
            event_free(p->ev);
        free(p);
    }
}

static void udp_from_client(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct listener *l = arg;
    unsigned char buf[65536];
    for (int n = 0; n < 256; n++) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
        if (len < 0)
            return;
        st.udp_in++;
        if (len < 12)
            continue;
        uint64_t now_ms = now_us() / 1000u;
        struct udp_entry *e = NULL;
        for (int tries = 0; tries < 64; tries++) {
            struct udp_entry *c = &l->ids[l->next_id];
            if (c->at_ms == 0 || now_ms - c->at_ms > UDP_ENTRY_TTL_MS) {
                e = c;
                break;
            }
            l->next_id++;
        }
        if (!e) {
            st.udp_no_id++;
            continue;
        }
        uint16_t id = l->next_id++;
        e->from = from;
        e->fromlen = fromlen;
        e->orig_id = (uint16_t)(buf[0] << 8 | buf[1]);
        e->at_ms = now_ms ? now_ms : 1;
        buf[0] = (unsigned char)(id >> 8);
        buf[1] = (unsigned char)id;
        packet_hold(l, 0, buf, (size_t)len, NULL, 0);
    }
}

static void udp_from_server(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct listener *l = arg;
    unsigned char buf[65536];
    for (int n = 0; n < 256; n++) {
        ssize_t len = recv(fd, buf, sizeof(buf), 0);
        if (len < 0)
            return;
        st.udp_in++;
        if (len < 12)
            continue;
        struct udp_entry *e = &l->ids[(uint16_t)(buf[0] << 8 | buf[1])];
        if (e->at_ms == 0) {
            st.udp_unmatched++;
            continue;
        }
        buf[0] = (unsigned char)(e->orig_id >> 8);
        buf[1] = (unsigned char)e->orig_id;
        e->at_ms = 0;
        packet_hold(l, 1, buf, (size_t)len, &e->from, e->fromlen);
    }
}

/* ---- TCP ------------------------------------------------------------------------------- */

struct chunk {
    struct chunk *next;
    struct evbuffer *buf;           /* NULL: the end of the stream */
    uint64_t due_us;
};

struct direction {                  /* one way of a connection: chunks in order */
    struct chunk *head, *tail;
    uint64_t last_due_us;
    struct event *timer;
    struct bufferevent *to;         /* where released chunks go */
};

struct tconn {
    struct listener *l;
    struct bufferevent *client, *server;
    struct direction up, down;      /* client -> server, server -> client */
    uint64_t open_us;               /* client bytes are not released before this */
    struct event *connect_timer;
    int server_connected;
    struct bufferevent *closing;    /* an end was released: flush this one, then free all */
};

static void tconn_free(struct tconn *c)
{
    struct direction *ds[2] = {&c->up, &c->down};
    for (int i = 0; i < 2; i++) {
        struct chunk *k = ds[i]->head;
        while (k) {
            struct chunk *n = k->next;
            if (k->buf)
                evbuffer_free(k->buf);
            free(k);
            k = n;
        }
        if (ds[i]->timer)
            event_free(ds[i]->timer);
    }
    if (c->connect_timer)
        event_free(c->connect_timer);
    if (c->client)
        bufferevent_free(c->client);
    if (c->server)
        bufferevent_free(c->server);
    free(c);
}

/* Once one side's end reached the other side, that side's output is flushed and the
 * connection ends (both peers here close after their exchange: SMTP QUIT, HTTP one request). */
static int maybe_done(struct tconn *c)
{
    if (!c->closing || evbuffer_get_length(bufferevent_get_output(c->closing)) > 0)
        return 0;
    tconn_free(c);
    return 1;
}

static void dir_arm(struct direction *d)
{
    if (!d->head)
        return;
    uint64_t now = now_us();
    struct timeval tv = tv_of_us(d->head->due_us > now ? d->head->due_us - now : 0);
    evtimer_add(d->timer, &tv);
}

static void dir_release(struct tconn *c, struct direction *d)
{
    uint64_t now = real_now_us();
    while (d->head && d->head->due_us <= now) {
        if (d == &c->up && !c->server_connected)
            return;                 /* released once the server connection is up */
        struct chunk *k = d->head;
        d->head = k->next;
        if (!d->head)
            d->tail = NULL;
        note_lateness(k->due_us);
        if (!k->buf) {
            free(k);
            c->closing = d->to;
            bufferevent_disable(c->client, EV_READ);
            if (c->server)
                bufferevent_disable(c->server, EV_READ);
            return;
        }
        bufferevent_write_buffer(d->to, k->buf);
        evbuffer_free(k->buf);
        free(k);
    }
    dir_arm(d);
}

static void up_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct tconn *c = arg;
    if (!c->closing)
        dir_release(c, &c->up);
    maybe_done(c);
}

static void down_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct tconn *c = arg;
    if (!c->closing)
        dir_release(c, &c->down);
    maybe_done(c);
}

/* Queues what arrived (or the end of the stream when src is NULL) for its delay. */
static void dir_push(struct tconn *c, struct direction *d, struct evbuffer *src)
{
    struct chunk *k = calloc(1, sizeof(*k));
    if (!k)
        return;
    if (src) {
        k->buf = evbuffer_new();
        if (!k->buf) {
            free(k);
            return;
        }
        st.tcp_bytes += evbuffer_get_length(src);
        evbuffer_add_buffer(k->buf, src);
        st.tcp_chunks++;
    }
    uint64_t delay = (uint64_t)(one_way_ms(c->l) * 1000.0);
    if (src && uniform() < c->l->cls->loss) {   /* a lost segment comes one RTO later */
        double rto = c->l->base_rtt_ms > 200.0 ? c->l->base_rtt_ms : 200.0;
        delay += (uint64_t)(rto * 1000.0);
        st.tcp_chunks_lost++;
    }
    uint64_t due = now_us() + delay;
    if (d == &c->up && due < c->open_us + delay)
        due = c->open_us + delay;
    if (due < d->last_due_us)
        due = d->last_due_us;       /* a byte stream keeps its order */
    d->last_due_us = due;
    k->due_us = due;
    if (d->tail)
        d->tail->next = k;
    else
        d->head = k;
    d->tail = k;
    if (d->head == k)
        dir_arm(d);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct tconn *c = arg;
    if (bev == c->client)
        dir_push(c, &c->up, bufferevent_get_input(bev));
    else
        dir_push(c, &c->down, bufferevent_get_input(bev));
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    maybe_done(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct tconn *c = arg;
    if (bev == c->server && (what & BEV_EVENT_CONNECTED)) {
        c->server_connected = 1;
        bufferevent_enable(c->server, EV_READ);
        if (!c->closing)
            dir_release(c, &c->up);
        return;
    }
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;
    if (c->closing) {               /* the side being flushed is gone too */
        tconn_free(c);
        return;
    }
    bufferevent_disable(bev, EV_READ);
    if (bev == c->server && !c->server_connected) {
        st.tcp_failed++;            /* the client learns it half an RTT later */
        c->server_connected = 1;
    }
    struct direction *d = bev == c->client ? &c->up : &c->down;
    if (d->tail && !d->tail->buf)
        return;                     /* end already queued */
    dir_push(c, d, NULL);
}

static void server_connect(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct tconn *c = arg;
    c->server = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!c->server) {
        st.tcp_failed++;
        tconn_free(c);
        return;
    }
    c->up.to = c->server;
    bufferevent_setcb(c->server, on_read, on_write, on_event, c);
    if (bufferevent_socket_connect(c->server, (struct sockaddr *)&c->l->addr, (int)c->l->addrlen) < 0) {
        on_event(c->server, BEV_EVENT_ERROR, c);
        return;
    }
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    (void)lev;
    (void)sa;
    (void)salen;
    struct listener *l = arg;
    struct tconn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    st.tcp_accepted++;
    c->l = l;
    c->client = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->up.timer = evtimer_new(base, up_timer, c);
    c->down.timer = evtimer_new(base, down_timer, c);
    c->connect_timer = evtimer_new(base, server_connect, c);
    if (!c->client || !c->up.timer || !c->down.timer || !c->connect_timer) {
        if (!c->client)
            close(fd);
        tconn_free(c);
        return;
    }
    c->down.to = c->client;
    bufferevent_setcb(c->client, on_read, on_write, on_event, c);
    bufferevent_enable(c->client, EV_READ);
    /* the SYN reaches the server half an RTT later; the client's own bytes one RTT later */
    uint64_t half = (uint64_t)(one_way_ms(l) * 1000.0);
    c->open_us = now_us() + (uint64_t)(l->base_rtt_ms * 1000.0);
    struct timeval tv = tv_of_us(half);
    evtimer_add(c->connect_timer, &tv);
}

/* ---- set-up ---------------------------------------------------------------------------- */

static int parse_addr(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof(*a4);
        return 0;
    }
    if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a6);
        return 0;
    }
    return -1;
}

static int bound_socket(const struct listener *l, int type)
{
    int fd = socket(l->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, big = 8 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
    if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "relay: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    write_stats();
    if (sig == SIGTERM || sig == SIGINT)
        event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    const char *client_ns = NULL, *config = NULL, *pidfile = NULL;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--client-ns") == 0)
            client_ns = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--config") == 0)
            config = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--pidfile") == 0)
            pidfile = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--stats") == 0)
            stats_path = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else
            die("usage: relay --client-ns NAME --config FILE [--seed N] [--pidfile F] [--stats F]", NULL);
    }
    if (!client_ns || !config)
        die("usage: relay --client-ns NAME --config FILE [--seed N] [--pidfile F] [--stats F]", NULL);
    rng_state ^= seed * 0x9E3779B97F4A7C15ULL;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);

    static struct wclass classes[MAX_CLASSES];
    int n_classes = 0;
    struct listener **ls = NULL;
    size_t n_ls = 0;
    FILE *f = fopen(config, "r");
    if (!f)
        die("cannot open config", config);
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char kind[16], a[64], b[64];
        double rtt, jit, loss, spread;
        int port;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "class %31s %lf %lf %lf %lf", a, &rtt, &jit, &loss, &spread) == 5) {
            if (n_classes == MAX_CLASSES)
                die("too many classes", NULL);
            struct wclass *c = &classes[n_classes++];
            snprintf(c->name, sizeof(c->name), "%s", a);
            c->rtt_ms = rtt;
            c->jitter_ms = jit;
            c->loss = loss;
            c->spread = spread;
        } else if (sscanf(line, "%15s %63s %d %63s", kind, a, &port, b) == 4 &&
                   (strcmp(kind, "udp") == 0 || strcmp(kind, "tcp") == 0)) {
            struct listener *l = calloc(1, sizeof(*l));
            struct listener **grown = realloc(ls, (n_ls + 1) * sizeof(*ls));
            if (!l || !grown)
                die("out of memory", NULL);
            ls = grown;
            ls[n_ls++] = l;
            l->udp = kind[0] == 'u';
            snprintf(l->text, sizeof(l->text), "%s", a);
            if (parse_addr(a, port, &l->addr, &l->addrlen) < 0)
                die("bad address", a);
            for (int k = 0; k < n_classes; k++)
                if (strcmp(classes[k].name, b) == 0)
                    l->cls = &classes[k];
            if (!l->cls)
                die("unknown class (declare it before use)", b);
            l->base_rtt_ms = base_rtt(l->cls, a, seed);
        } else {
            die("bad config line", line);
        }
    }
    fclose(f);

    base = event_base_new();
    if (!base)
        die("event_base_new failed", NULL);
    char nspath[512];
    snprintf(nspath, sizeof(nspath), "/run/netns/%s", client_ns);
    int ns_client = open(nspath, O_RDONLY | O_CLOEXEC);
    int ns_own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns_client < 0 || ns_own < 0)
        die("cannot open namespace", nspath);
    /* Listening sockets in the client's namespace; everything else (connections to the
     * servers) is created in our own. */
    for (size_t i = 0; i < n_ls; i++) {
        struct listener *l = ls[i];
        char what[128];
        snprintf(what, sizeof(what), "%s %s port %d", l->udp ? "udp" : "tcp", l->text,
                 ntohs(((struct sockaddr_in *)&l->addr)->sin_port));
        if (setns(ns_client, CLONE_NEWNET) < 0)
            die("setns client", strerror(errno));
        int fd = bound_socket(l, l->udp ? SOCK_DGRAM : SOCK_STREAM);
        if (setns(ns_own, CLONE_NEWNET) < 0)
            die("setns back", strerror(errno));
        if (fd < 0)
            die("cannot listen", what);
        if (l->udp) {
            l->fd_client = fd;
            l->fd_server = socket(l->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            int big = 8 * 1024 * 1024;
            if (l->fd_server < 0 || connect(l->fd_server, (struct sockaddr *)&l->addr, l->addrlen) < 0)
                die("cannot reach the server", what);
            setsockopt(l->fd_server, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
            l->ids = calloc(UDP_IDS, sizeof(*l->ids));
            l->ev_client = event_new(base, fd, EV_READ | EV_PERSIST, udp_from_client, l);
            l->ev_server = event_new(base, l->fd_server, EV_READ | EV_PERSIST, udp_from_server, l);
            if (!l->ids || !l->ev_client || !l->ev_server)
                die("out of memory", NULL);
            event_add(l->ev_client, NULL);
            event_add(l->ev_server, NULL);
        } else if (!evconnlistener_new(base, on_accept, l, LEV_OPT_CLOSE_ON_FREE, 4096, fd)) {
            die("cannot listen", what);
        }
    }
    close(ns_client);
    close(ns_own);
    struct event *sigs[3] = {evsignal_new(base, SIGTERM, on_signal, NULL),
                             evsignal_new(base, SIGINT, on_signal, NULL),
                             evsignal_new(base, SIGUSR1, on_signal, NULL)};
    for (int i = 0; i < 3; i++)
        event_add(sigs[i], NULL);
    if (pidfile) {
        FILE *p = fopen(pidfile, "w");
        if (p) {
            fprintf(p, "%ld\n", (long)getpid());
            fclose(p);
        }
    }
    fprintf(stderr, "relay: %zu listeners, %d classes, ready\n", n_ls, n_classes);
    event_base_dispatch(base);
    return 0;
}
