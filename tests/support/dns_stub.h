/*
 * dns_stub: header-only test helper (static functions, tests only): an authoritative-looking DNS
 * server on an ephemeral 127.0.0.1 UDP port inside the test's own event_base.  It answers from a
 * small table of records (A, AAAA, MX, TXT), NXDOMAIN for a name it does not know and NODATA for
 * a known name without that type, optionally after a delay, so a test can run the real dns stage
 * (c-ares) and everything above it without any network beyond loopback.
 */
#ifndef MTASTS_TEST_DNS_STUB_H
#define MTASTS_TEST_DNS_STUB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "tests/support/fixture_check.h"

#define DS_FN static __attribute__((unused))

enum { DS_A = 1, DS_CNAME = 5, DS_MX = 15, DS_TXT = 16, DS_AAAA = 28, DS_DNSKEY = 48, DS_TLSA = 52 };

/* value: "192.0.2.1" (A), "::1" (AAAA), "10 mx.example" (MX), "3 1 1 0a0b..." (TLSA, data in
 * hex), "target.example" (CNAME: a query of another type for the name gets the CNAME and the
 * target's records of that type, as a recursive resolver answers), the text (TXT, DNSKEY: one
 * string). */
struct ds_record {
    const char *name;
    int type;
    const char *value;
};

#define DS_MAX_PENDING 256

struct ds_pending {
    struct dns_stub *owner;
    struct event *timer;
    struct sockaddr_storage to;
    socklen_t tolen;
    unsigned char buf[1500];
    size_t len;
};

struct dns_stub {
    struct event_base *base;
    int fd;
    struct event *ev;
    struct sockaddr_in addr;
    char server[64];            /* "127.0.0.1:PORT", for dns_opts.servers */
    const struct ds_record *recs;
    size_t n_recs;
    long delay_ms;              /* answers wait this long (only those of slow_type, if set) */
    int slow_type;              /* 0 = every type */
    int queries;
    int ad_queries, cd_queries; /* queries seen with the AD / CD bit */
    unsigned short ids[64];     /* the IDs of the first 64 queries answered */
    /* A validating resolver's view (NULL-terminated name lists, set after ds_start; NULL = a
     * plain server): answers for a secure name carry AD when the query asked for it (RFC 6840
     * §5.7); a bogus name answers SERVFAIL unless the query has CD set. */
    const char *const *secure, *const *bogus;
    struct ds_pending *pending[DS_MAX_PENDING];
};

/* Decodes the question name at buf[12..] into name (dotted, no trailing dot); returns the offset
 * just after the name, or 0 when malformed. */
DS_FN size_t ds_qname(const unsigned char *buf, size_t len, char *name, size_t size)
{
    size_t off = 12, out = 0;
    while (off < len && buf[off] != 0) {
        size_t l = buf[off++];
        if (l > 63 || off + l > len || out + l + 2 > size)
            return 0;
        if (out)
            name[out++] = '.';
        memcpy(name + out, buf + off, l);
        out += l;
        off += l;
    }
    name[out] = '\0';
    return off < len ? off + 1 : 0;
}

/* Writes name (dotted) in wire form at out; returns its length. */
DS_FN size_t ds_put_name(unsigned char *out, const char *name)
{
    size_t rl = 0;
    for (const char *h = name; *h;) {
        const char *dot = strchr(h, '.');
        size_t l = dot ? (size_t)(dot - h) : strlen(h);
        out[rl++] = (unsigned char)l;
        memcpy(out + rl, h, l);
        rl += l;
        h += l + (dot ? 1 : 0);
    }
    out[rl++] = 0;
    return rl;
}

/* Appends one answer record to buf, its owner name a pointer to offset owner (12: the question);
 * returns the new length. */
DS_FN size_t ds_add_rr_at(unsigned char *buf, size_t len, const struct ds_record *r, size_t owner)
{
    unsigned char rdata[512];
    size_t rl = 0;
    if (r->type == DS_CNAME) {
        rl = ds_put_name(rdata, r->value);
    } else if (r->type == DS_A) {
        FIXTURE_CHECK(inet_pton(AF_INET, r->value, rdata) == 1);
        rl = 4;
    } else if (r->type == DS_AAAA) {
        FIXTURE_CHECK(inet_pton(AF_INET6, r->value, rdata) == 1);
        rl = 16;
    } else if (r->type == DS_MX) {
        char host[256];
        unsigned pref = 0;
        FIXTURE_CHECK(sscanf(r->value, "%u %255s", &pref, host) == 2);
        rdata[rl++] = (unsigned char)(pref >> 8);
        rdata[rl++] = (unsigned char)(pref & 0xff);
        for (const char *h = host; *h;) {
            const char *dot = strchr(h, '.');
            size_t l = dot ? (size_t)(dot - h) : strlen(h);
            rdata[rl++] = (unsigned char)l;
            memcpy(rdata + rl, h, l);
            rl += l;
            h += l + (dot ? 1 : 0);
        }
        rdata[rl++] = 0;
    } else if (r->type == DS_TLSA) {
        unsigned u, s, m;
        int used = 0;
        FIXTURE_CHECK(sscanf(r->value, "%u %u %u %n", &u, &s, &m, &used) == 3);
        rdata[rl++] = (unsigned char)u;
        rdata[rl++] = (unsigned char)s;
        rdata[rl++] = (unsigned char)m;
        for (const char *h = r->value + used; h[0] && h[1] && rl < sizeof(rdata); h += 2) {
            unsigned b;
            FIXTURE_CHECK(sscanf(h, "%2x", &b) == 1);
            rdata[rl++] = (unsigned char)b;
        }
    } else {
        size_t l = strlen(r->value);
        FIXTURE_CHECK(l < 256);
        rdata[rl++] = (unsigned char)l;
        memcpy(rdata + rl, r->value, l);
        rl += l;
    }
    FIXTURE_CHECK(len + 12 + rl <= 1500);
    const unsigned char rr[] = {(unsigned char)(0xc0 | (owner >> 8)), (unsigned char)(owner & 0xff),
                                0, (unsigned char)r->type, 0, 1, 0, 0, 1, 0x2c,
                                (unsigned char)(rl >> 8), (unsigned char)(rl & 0xff)};
    memcpy(buf + len, rr, sizeof(rr));
    memcpy(buf + len + sizeof(rr), rdata, rl);
    return len + sizeof(rr) + rl;
}

DS_FN size_t ds_add_rr(unsigned char *buf, size_t len, const struct ds_record *r)
{
    return ds_add_rr_at(buf, len, r, 12);
}

/* Builds the answer to query q into out; returns its length (0: ignore the query). */
DS_FN size_t ds_answer(struct dns_stub *s, const unsigned char *q, size_t qlen, unsigned char *out)
{
    char name[256];
    size_t end = qlen >= 12 ? ds_qname(q, qlen, name, sizeof(name)) : 0;
    if (end == 0 || end + 4 > qlen)
        return 0;
    int type = (q[end] << 8) | q[end + 1];
    size_t len = end + 4;
    memcpy(out, q, len);
    out[2] = 0x84 | (q[2] & 0x01); /* QR, AA, RD copied */
    out[3] = 0x80;                 /* RA, NOERROR */
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    int known = 0, n = 0, secure = 0, bogus = 0;
    for (const char *const *p = s->secure; p && *p; p++)
        secure |= strcasecmp(*p, name) == 0;
    for (const char *const *p = s->bogus; p && *p; p++)
        bogus |= strcasecmp(*p, name) == 0;
    s->ad_queries += (q[3] & 0x20) != 0;
    s->cd_queries += (q[3] & 0x10) != 0;
    if (bogus && !(q[3] & 0x10)) {
        out[3] |= 2; /* SERVFAIL: validation failed */
        return len;
    }
    if (secure && (q[3] & 0x20))
        out[3] |= 0x20; /* AD */
    for (size_t i = 0; i < s->n_recs; i++) {
        if (strcasecmp(s->recs[i].name, name) != 0)
            continue;
        known = 1;
        if (s->recs[i].type == type) {
            len = ds_add_rr(out, len, &s->recs[i]);
            n++;
        } else if (s->recs[i].type == DS_CNAME) { /* the alias, then the target's records */
            size_t target = len + 12; /* the CNAME's data: the target's name */
            len = ds_add_rr(out, len, &s->recs[i]);
            n++;
            for (size_t k = 0; k < s->n_recs; k++) {
                if (strcasecmp(s->recs[k].name, s->recs[i].value) == 0 && s->recs[k].type == type) {
                    len = ds_add_rr_at(out, len, &s->recs[k], target);
                    n++;
                }
            }
        }
    }
    if (!known)
        out[3] |= 3; /* NXDOMAIN */
    out[7] = (unsigned char)n;
    return len;
}

DS_FN void ds_pending_free(struct ds_pending *p)
{
    for (int i = 0; i < DS_MAX_PENDING; i++)
        if (p->owner->pending[i] == p)
            p->owner->pending[i] = NULL;
    event_free(p->timer);
    free(p);
}

DS_FN void ds_on_delay(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct ds_pending *p = arg;
    ssize_t n = sendto(p->owner->fd, p->buf, p->len, 0, (struct sockaddr *)&p->to, p->tolen);
    (void)n;
    ds_pending_free(p);
}

DS_FN void ds_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct dns_stub *s = arg;
    unsigned char q[1500];
    struct ds_pending *p = calloc(1, sizeof(*p));
    FIXTURE_CHECK(p != NULL);
    p->owner = s;
    p->tolen = sizeof(p->to);
    ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&p->to, &p->tolen);
    p->len = n > 0 ? ds_answer(s, q, (size_t)n, p->buf) : 0;
    if (p->len == 0) {
        free(p);
        return;
    }
    if (s->queries < 64)
        s->ids[s->queries] = (unsigned short)(q[0] << 8 | q[1]);
    s->queries++;
    size_t qend = 12; /* the answer starts with the question: find its type */
    while (qend < p->len && p->buf[qend] != 0)
        qend += (size_t)p->buf[qend] + 1;
    int type = (p->buf[qend + 1] << 8) | p->buf[qend + 2];
    long delay = (s->slow_type == 0 || s->slow_type == type) ? s->delay_ms : 0;
    int slot = 0;
    while (slot < DS_MAX_PENDING && s->pending[slot])
        slot++;
    FIXTURE_CHECK(slot < DS_MAX_PENDING);
    s->pending[slot] = p;
    p->timer = evtimer_new(s->base, ds_on_delay, p);
    FIXTURE_CHECK(p->timer != NULL);
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    evtimer_add(p->timer, &tv);
}

/* Listens on 127.0.0.1:<ephemeral>; recs borrowed for the stub's life. */
DS_FN void ds_start(struct dns_stub *s, struct event_base *base, const struct ds_record *recs,
                    size_t n_recs)
{
    memset(s, 0, sizeof(*s));
    s->base = base;
    s->recs = recs;
    s->n_recs = n_recs;
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    FIXTURE_CHECK(s->fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FIXTURE_CHECK(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    socklen_t len = sizeof(s->addr);
    FIXTURE_CHECK(getsockname(s->fd, (struct sockaddr *)&s->addr, &len) == 0);
    snprintf(s->server, sizeof(s->server), "127.0.0.1:%u", (unsigned)ntohs(s->addr.sin_port));
    s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, ds_on_read, s);
    FIXTURE_CHECK(s->ev != NULL && event_add(s->ev, NULL) == 0);
}

DS_FN void ds_stop(struct dns_stub *s)
{
    for (int i = 0; i < DS_MAX_PENDING; i++)
        if (s->pending[i])
            ds_pending_free(s->pending[i]);
    event_free(s->ev);
    close(s->fd);
    memset(s, 0, sizeof(*s));
}

#endif
