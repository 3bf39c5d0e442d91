/* test_dns: the DNS stage's pure parts: MX answers built byte by byte, and status mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <ares.h>
#include <cmocka.h>

#include "scanner/dane.h"
#include "scanner/dns.h"
#include "tests/support/dns_stub.h"

/* Builds a DNS response for "ex.test MX" with the given (pref, host) answers. */
static int build_mx(unsigned char *buf, const unsigned short *pref, const char *const *hosts, int n)
{
    int len = 0;
    const unsigned char hdr[12] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, (unsigned char)n, 0, 0, 0, 0};
    memcpy(buf, hdr, 12);
    len = 12;
    const unsigned char q[] = {2, 'e', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1};
    memcpy(buf + len, q, sizeof(q));
    len += (int)sizeof(q);
    for (int i = 0; i < n; i++) {
        const unsigned char rr[] = {0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0x0e, 0x10};
        memcpy(buf + len, rr, sizeof(rr));
        len += (int)sizeof(rr);
        unsigned char rdata[300];
        int rl = 0;
        rdata[rl++] = (unsigned char)(pref[i] >> 8);
        rdata[rl++] = (unsigned char)(pref[i] & 0xff);
        const char *h = hosts[i];
        while (*h) {
            const char *dot = strchr(h, '.');
            size_t l = dot ? (size_t)(dot - h) : strlen(h);
            rdata[rl++] = (unsigned char)l;
            memcpy(rdata + rl, h, l);
            rl += (int)l;
            h += l + (dot ? 1 : 0);
        }
        rdata[rl++] = 0;
        buf[len++] = (unsigned char)(rl >> 8);
        buf[len++] = (unsigned char)(rl & 0xff);
        memcpy(buf + len, rdata, (size_t)rl);
        len += rl;
    }
    return len;
}

static void test_mx_sorted_lowercased(void **state)
{
    (void)state;
    unsigned char buf[1024];
    unsigned short pref[] = {20, 5, 10};
    const char *hosts[] = {"MX2.Ex.Test", "mx0.ex.test", "mx1.ex.test"};
    int len = build_mx(buf, pref, hosts, 3);
    struct dns_mx_answer a;
    dns_parse_mx(buf, len, &a);
    assert_int_equal(a.status, DNS_OK);
    assert_int_equal(a.n, 3);
    assert_false(a.null_mx);
    assert_string_equal(a.mx[0].host, "mx0.ex.test");
    assert_string_equal(a.mx[1].host, "mx1.ex.test");
    assert_string_equal(a.mx[2].host, "mx2.ex.test");
}

static void test_null_mx(void **state)
{
    (void)state;
    unsigned char buf[1024];
    unsigned short pref[] = {0};
    const char *hosts[] = {""};
    int len = build_mx(buf, pref, hosts, 1);
    struct dns_mx_answer a;
    dns_parse_mx(buf, len, &a);
    assert_true(a.null_mx);
    assert_int_equal(a.n, 0);
    /* RFC 7505: a null MX next to real ones is a mistake; the real ones count */
    unsigned short pref2[] = {0, 10};
    const char *hosts2[] = {"", "mx.ex.test"};
    len = build_mx(buf, pref2, hosts2, 2);
    dns_parse_mx(buf, len, &a);
    assert_false(a.null_mx);
    assert_int_equal(a.n, 1);
}

static void test_garbage(void **state)
{
    (void)state;
    unsigned char buf[8] = {1, 2, 3};
    struct dns_mx_answer a;
    dns_parse_mx(buf, 3, &a);
    assert_int_not_equal(a.status, DNS_OK);
    assert_int_equal(a.n, 0);
}

static void test_status_map(void **state)
{
    (void)state;
    assert_int_equal(dns_status_from_ares(ARES_ENOTFOUND), DNS_NXDOMAIN);
    assert_int_equal(dns_status_from_ares(ARES_ENODATA), DNS_NODATA);
    assert_int_equal(dns_status_from_ares(ARES_ESERVFAIL), DNS_SERVFAIL);
    assert_int_equal(dns_status_from_ares(ARES_EREFUSED), DNS_REFUSED);
    assert_int_equal(dns_status_from_ares(ARES_ETIMEOUT), DNS_TIMEOUT);
    assert_int_equal(dns_status_from_ares(ARES_ENOMEM), DNS_INTERNAL_ERROR); /* not the name's */
    assert_string_equal(dns_status_str(DNS_INTERNAL_ERROR), "internal_error");
    assert_false(dns_status_failed(DNS_NXDOMAIN));
    assert_false(dns_status_failed(DNS_NODATA));
    assert_true(dns_status_failed(DNS_SERVFAIL));
    assert_true(dns_status_failed(DNS_TIMEOUT));
}

static void test_addr_prepare(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    char text[64];
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    v4->sin_family = AF_INET;
    inet_pton(AF_INET, "127.2.0.1", &v4->sin_addr);
    assert_int_equal(dns_addr_prepare(&ss, 25, text, sizeof(text)), sizeof(struct sockaddr_in));
    assert_string_equal(text, "127.2.0.1");
    assert_int_equal(ntohs(v4->sin_port), 25);
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    v6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::25", &v6->sin6_addr);
    assert_int_equal(dns_addr_prepare(&ss, 443, text, sizeof(text)), sizeof(struct sockaddr_in6));
    assert_string_equal(text, "2001:db8::25");
    assert_int_equal(ntohs(v6->sin6_port), 443);
}

static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        ss.ss_family = AF_INET6;
        inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr);
    } else {
        ss.ss_family = AF_INET;
        inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr);
    }
    return ss;
}

/* Full AAAA set plus IPv4: IPv4 first, then IPv6 up to the cap. */
static void test_addr_merge_ipv4_first(void **state)
{
    (void)state;
    struct sockaddr_storage v4[2] = {addr_of("192.0.2.1"), addr_of("192.0.2.2")};
    struct sockaddr_storage v6[DNS_ADDR_MAX];
    for (int i = 0; i < DNS_ADDR_MAX; i++) {
        char t[64];
        snprintf(t, sizeof(t), "2001:db8::%d", i + 1);
        v6[i] = addr_of(t);
    }
    struct dns_addr_answer a;
    dns_addr_merge(v4, 2, DNS_OK, v6, DNS_ADDR_MAX, DNS_OK, &a);
    assert_int_equal(a.status, DNS_OK);
    assert_int_equal(a.n, DNS_ADDR_MAX);
    assert_int_equal(a.addr[0].ss_family, AF_INET);
    assert_int_equal(a.addr[1].ss_family, AF_INET);
    for (size_t i = 2; i < a.n; i++)
        assert_int_equal(a.addr[i].ss_family, AF_INET6);
    char text[64];
    dns_addr_prepare(&a.addr[2], 25, text, sizeof(text));
    assert_string_equal(text, "2001:db8::1");
    /* no address: the more informative failure wins, NXDOMAIN over NODATA */
    dns_addr_merge(NULL, 0, DNS_NODATA, NULL, 0, DNS_SERVFAIL, &a);
    assert_int_equal(a.status, DNS_SERVFAIL);
    dns_addr_merge(NULL, 0, DNS_NXDOMAIN, NULL, 0, DNS_NODATA, &a);
    assert_int_equal(a.status, DNS_NXDOMAIN);
}

static struct dns_addr_answer got;
static int got_n;

static void on_addr(const struct dns_addr_answer *a, void *arg)
{
    got = *a;
    got_n++;
    event_base_loopbreak(arg);
}

/* Through c-ares and a loopback server whose A answer comes after a full AAAA answer: IPv4 is
 * still kept, first (it was lost when the cap applied in arrival order). */
static void test_addr_order_of_arrival(void **state)
{
    (void)state;
    static const struct ds_record recs[] = {
        {"multi.test", DS_AAAA, "2001:db8::1"}, {"multi.test", DS_AAAA, "2001:db8::2"},
        {"multi.test", DS_AAAA, "2001:db8::3"}, {"multi.test", DS_AAAA, "2001:db8::4"},
        {"multi.test", DS_AAAA, "2001:db8::5"}, {"multi.test", DS_AAAA, "2001:db8::6"},
        {"multi.test", DS_AAAA, "2001:db8::7"}, {"multi.test", DS_AAAA, "2001:db8::8"},
        {"multi.test", DS_A, "192.0.2.7"},
    };
    struct event_base *base = event_base_new();
    struct dns_stub stub;
    ds_start(&stub, base, recs, sizeof(recs) / sizeof(recs[0]));
    stub.slow_type = DS_A;
    stub.delay_ms = 200;
    char err[256];
    struct dns_opts o = {.servers = stub.server, .timeout_sec = 2, .tries = 1};
    struct dns *d = dns_new(base, &o, err, sizeof(err));
    assert_non_null(d);
    got_n = 0;
    dns_query_addr(d, "multi.test", on_addr, base);
    event_base_dispatch(base);
    assert_int_equal(got_n, 1);
    assert_int_equal(got.status, DNS_OK);
    assert_int_equal(got.n, DNS_ADDR_MAX);
    assert_int_equal(got.addr[0].ss_family, AF_INET);
    char text[64];
    dns_addr_prepare(&got.addr[0], 25, text, sizeof(text));
    assert_string_equal(text, "192.0.2.7");
    for (size_t i = 1; i < got.n; i++)
        assert_int_equal(got.addr[i].ss_family, AF_INET6);
    dns_free(d);
    ds_stop(&stub);
    event_base_free(base);
}

/* Appends one resource record (owner as a compression pointer to the question name). */
static int put_rr(unsigned char *buf, int len, unsigned type, unsigned long ttl, const char *rdata,
                  int rdlen)
{
    const unsigned char rr[] = {0xc0, 0x0c, (unsigned char)(type >> 8), (unsigned char)type, 0, 1,
                                (unsigned char)(ttl >> 24), (unsigned char)(ttl >> 16),
                                (unsigned char)(ttl >> 8), (unsigned char)ttl,
                                (unsigned char)(rdlen >> 8), (unsigned char)rdlen};
    memcpy(buf + len, rr, sizeof(rr));
    len += (int)sizeof(rr);
    memcpy(buf + len, rdata, (size_t)rdlen);
    return len + rdlen;
}

/* A raw answer for _mta-sts.ex.test: header, question, then n_an records put by the caller. */
static int txt_answer_head(unsigned char *buf, int n_an)
{
    const unsigned char hdr[12] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, (unsigned char)n_an, 0, 0, 0, 0};
    const unsigned char q[] = {8, '_', 'm', 't', 'a', '-', 's', 't', 's', 2, 'e', 'x', 4, 't', 'e',
                               's', 't', 0, 0, 16, 0, 1};
    memcpy(buf, hdr, sizeof(hdr));
    memcpy(buf + sizeof(hdr), q, sizeof(q));
    return (int)(sizeof(hdr) + sizeof(q));
}

static void test_txt_ttl(void **state)
{
    (void)state;
    unsigned char buf[512];
    /* one TXT record */
    int len = txt_answer_head(buf, 1);
    len = put_rr(buf, len, 16, 3600, "\x0fv=STSv1; id=1;", 16);
    assert_int_equal(dns_parse_txt_ttl(buf, len), 3600);
    /* a CNAME (TTL 60, not a TXT) then two TXT records: the smallest TXT TTL */
    len = txt_answer_head(buf, 3);
    len = put_rr(buf, len, 5, 60, "\x01x\xc0\x0c", 4);
    len = put_rr(buf, len, 16, 900, "\x01a", 2);
    len = put_rr(buf, len, 16, 300, "\x01b", 2);
    assert_int_equal(dns_parse_txt_ttl(buf, len), 300);
    /* RFC 2181 §8: the top bit set counts as 0 */
    len = txt_answer_head(buf, 1);
    len = put_rr(buf, len, 16, 0x80000001UL, "\x01a", 2);
    assert_int_equal(dns_parse_txt_ttl(buf, len), 0);
    /* no TXT record in the answer section */
    len = txt_answer_head(buf, 0);
    assert_int_equal(dns_parse_txt_ttl(buf, len), -1);
    /* truncated inside the record, or inside the header: malformed */
    len = txt_answer_head(buf, 1);
    len = put_rr(buf, len, 16, 3600, "\x0fv=STSv1; id=1;", 16);
    assert_int_equal(dns_parse_txt_ttl(buf, len - 5), -1);
    assert_int_equal(dns_parse_txt_ttl(buf, 11), -1);
    assert_int_equal(dns_parse_txt_ttl(NULL, 0), -1);
    /* a label type reserved by RFC 6891 (top bits 01) is malformed */
    len = txt_answer_head(buf, 1);
    buf[12] = 0x48;
    len = put_rr(buf, len, 16, 3600, "\x01a", 2);
    assert_int_equal(dns_parse_txt_ttl(buf, len), -1);
}

/* The reply's code as ares_query would report it, and the DNSSEC status table. */
static void test_reply_status_and_sec(void **state)
{
    (void)state;
    unsigned char h[12] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
    assert_int_equal(dns_reply_status(h, 12), ARES_SUCCESS);
    h[7] = 0;
    assert_int_equal(dns_reply_status(h, 12), ARES_ENODATA);
    h[3] = 0x82;
    assert_int_equal(dns_reply_status(h, 12), ARES_ESERVFAIL);
    h[3] = 0x83;
    assert_int_equal(dns_reply_status(h, 12), ARES_ENOTFOUND);
    h[3] = 0x85;
    assert_int_equal(dns_reply_status(h, 12), ARES_EREFUSED);
    assert_int_equal(dns_reply_status(h, 11), ARES_EBADRESP);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_YES, 0, ARES_SUCCESS, 1), DNS_SEC_SECURE);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_YES, 0, ARES_ENOTFOUND, 1), DNS_SEC_SECURE);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_YES, 0, ARES_SUCCESS, 0), DNS_SEC_INSECURE);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_YES, 1, ARES_SUCCESS, 0), DNS_SEC_BOGUS);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_YES, 0, ARES_ESERVFAIL, 0), DNS_SEC_UNCHECKED);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_YES, 1, ARES_ETIMEOUT, 0), DNS_SEC_UNCHECKED);
    /* a resolver that does not validate says nothing, AD or not */
    assert_int_equal(dns_sec_of(DNS_VALIDATION_NO, 0, ARES_SUCCESS, 1), DNS_SEC_UNCHECKED);
    assert_int_equal(dns_sec_of(DNS_VALIDATION_UNKNOWN, 0, ARES_SUCCESS, 0), DNS_SEC_UNCHECKED);
    for (int v = 0; v < DNS_SEC__COUNT; v++)
        assert_int_equal(dns_sec_parse(dns_sec_str((enum dns_sec)v)), v);
    assert_int_equal(dns_sec_parse("maybe"), -1);
}

static enum dns_validation probe_v;
static enum dns_status probe_st;
static struct dns_mx_answer mx_got[4];
static int mx_n;

static void on_probe(enum dns_validation v, enum dns_status st, void *arg)
{
    probe_v = v;
    probe_st = st;
    event_base_loopexit(arg, NULL);
}

static void on_mx(const struct dns_mx_answer *a, void *arg)
{
    mx_got[mx_n++] = *a;
    if (mx_n == 3)
        event_base_loopexit(arg, NULL);
}

/* Probe, then three MX lookups (signed, unsigned, bogus) against a stub that plays a validating
 * resolver (secure_root) or a plain server; returns the number of queries with the CD bit. */
static int run_dnssec(int secure_root)
{
    static const struct ds_record recs[] = {
        {"", DS_DNSKEY, "key"},
        {"signed.test", DS_MX, "10 mx.signed.test"},
        {"plain.test", DS_MX, "10 mx.plain.test"},
        {"bogus.test", DS_MX, "10 mx.bogus.test"},
    };
    static const char *const secure[] = {"", "signed.test", NULL};
    static const char *const bogus[] = {"bogus.test", NULL};
    struct event_base *base = event_base_new();
    struct dns_stub stub;
    ds_start(&stub, base, recs, 4);
    stub.secure = secure_root ? secure : secure + 1; /* "" is the root as the stub names it */
    stub.bogus = bogus;
    char err[256];
    struct dns_opts o = {.servers = stub.server, .timeout_sec = 2, .tries = 1};
    struct dns *d = dns_new(base, &o, err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(dns_validation(d), DNS_VALIDATION_UNKNOWN);
    probe_v = DNS_VALIDATION_UNKNOWN;
    dns_probe_dnssec(d, on_probe, base);
    event_base_dispatch(base);
    assert_int_equal(probe_st, DNS_OK);
    assert_int_equal(dns_validation(d), probe_v);
    assert_int_equal(dns_counters(d)->sent, 0); /* the probe is not one of the scan's lookups */
    mx_n = 0;
    dns_query_mx(d, "signed.test", on_mx, base);
    dns_query_mx(d, "plain.test", on_mx, base);
    dns_query_mx(d, "bogus.test", on_mx, base);
    event_base_dispatch(base);
    assert_int_equal(mx_n, 3);
    /* the probe, every MX query and the CD retry ask for AD */
    assert_int_equal(stub.ad_queries, 4 + stub.cd_queries);
    int cd = stub.cd_queries;
    dns_free(d);
    ds_stop(&stub);
    event_base_free(base);
    return cd;
}

static const struct dns_mx_answer *mx_of(const char *host)
{
    for (int i = 0; i < mx_n; i++) {
        if (mx_got[i].n == 0 && host == NULL)
            return &mx_got[i];
        if (mx_got[i].n > 0 && host != NULL && strcmp(mx_got[i].mx[0].host, host) == 0)
            return &mx_got[i];
    }
    fail_msg("no MX answer for %s", host ? host : "(failed)");
    return NULL;
}

static void test_dnssec_validating(void **state)
{
    (void)state;
    int cd = run_dnssec(1);
    assert_int_equal(probe_v, DNS_VALIDATION_YES);
    assert_int_equal(mx_of("mx.signed.test")->sec, DNS_SEC_SECURE);
    assert_int_equal(mx_of("mx.plain.test")->sec, DNS_SEC_INSECURE);
    /* bogus: the SERVFAIL stays (what a validating sender sees); the CD retry answered */
    const struct dns_mx_answer *b = mx_of(NULL);
    assert_int_equal(b->status, DNS_SERVFAIL);
    assert_int_equal(b->sec, DNS_SEC_BOGUS);
    assert_int_equal(cd, 1);
}

static void test_dnssec_not_validating(void **state)
{
    (void)state;
    int cd = run_dnssec(0);
    assert_int_equal(probe_v, DNS_VALIDATION_NO);
    assert_int_equal(mx_of("mx.signed.test")->sec, DNS_SEC_UNCHECKED);
    assert_int_equal(mx_of("mx.plain.test")->sec, DNS_SEC_UNCHECKED);
    const struct dns_mx_answer *b = mx_of(NULL);
    assert_int_equal(b->status, DNS_SERVFAIL);
    assert_int_equal(b->sec, DNS_SEC_UNCHECKED);
    assert_int_equal(cd, 0); /* no validation: a SERVFAIL is not asked again */
}

/* dns_parse_txt (the pure part of a TXT lookup, fuzzed by fuzz_dns): records joined from their
 * strings with the strings' lengths, bytes as published (a TAB stays a TAB), and the TTL. */
static void test_parse_txt(void **state)
{
    (void)state;
    unsigned char buf[512], out[513];
    struct dns_txt_answer a;
    int len = txt_answer_head(buf, 2);
    len = put_rr(buf, len, 16, 600, "\x08v=STSv1;\x05 id=1", 15);
    len = put_rr(buf, len, 16, 300, "\x0ev=STSv1\t; id=2", 15);
    dns_parse_txt(buf, len, out, &a);
    assert_int_equal(a.status, DNS_OK);
    assert_int_equal(a.ttl, 300);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.rec[0].len, 13);
    assert_memory_equal(a.rec[0].data, "v=STSv1; id=1", 13);
    assert_int_equal(a.rec[0].n_strings, 2);
    assert_int_equal(a.rec[0].string_len[0], 8);
    assert_int_equal(a.rec[0].string_len[1], 5);
    assert_int_equal(a.rec[1].len, 14);
    assert_memory_equal(a.rec[1].data, "v=STSv1\t; id=2", 14);
    assert_int_equal(a.rec[1].n_strings, 1);
    dns_parse_txt(buf, len - 5, out, &a); /* cut short: no record */
    assert_int_not_equal(a.status, DNS_OK);
    assert_int_equal(a.n, 0);
}

static struct dane_tlsa_set tlsa_got[2];
static int tlsa_n;

static void on_tlsa(const struct dane_tlsa_set *set, void *arg)
{
    tlsa_got[tlsa_n++] = *set;
    event_base_loopexit(arg, NULL);
}

/* TLSA at _25._tcp.HOST (RFC 7672 §2.2) from a validating resolver: the records with their
 * DNSSEC status; a bogus RRset is the SERVFAIL a validating sender sees, marked bogus. */
static void test_tlsa_lookup(void **state)
{
    (void)state;
    static const struct ds_record recs[] = {
        {"", DS_DNSKEY, "key"},
        {"_25._tcp.mx.signed.test", DS_TLSA, "3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"},
        {"_25._tcp.mx.signed.test", DS_TLSA, "2 0 1 aa"},
        {"_25._tcp.mx.bogus.test", DS_TLSA, "3 1 1 ff"},
    };
    static const char *const secure[] = {"", "_25._tcp.mx.signed.test", NULL};
    static const char *const bogus[] = {"_25._tcp.mx.bogus.test", NULL};
    struct event_base *base = event_base_new();
    struct dns_stub stub;
    ds_start(&stub, base, recs, 4);
    stub.secure = secure;
    stub.bogus = bogus;
    char err[256];
    struct dns_opts o = {.servers = stub.server, .timeout_sec = 2, .tries = 1};
    struct dns *d = dns_new(base, &o, err, sizeof(err));
    assert_non_null(d);
    dns_probe_dnssec(d, on_probe, base);
    event_base_dispatch(base);
    assert_int_equal(dns_validation(d), DNS_VALIDATION_YES);
    tlsa_n = 0;
    dns_query_tlsa(d, "mx.signed.test", 25, on_tlsa, base);
    event_base_dispatch(base); /* one at a time: the order of the answers is then known */
    dns_query_tlsa(d, "mx.bogus.test", 25, on_tlsa, base);
    event_base_dispatch(base);
    assert_int_equal(tlsa_n, 2);
    assert_int_equal(tlsa_got[0].status, DNS_OK);
    assert_int_equal(tlsa_got[0].sec, DNS_SEC_SECURE);
    assert_int_equal(tlsa_got[0].n, 2);
    assert_int_equal(tlsa_got[0].rec[0].usage, 3);
    assert_int_equal(tlsa_got[0].rec[0].len, 32);
    assert_true(dane_tlsa_usable(&tlsa_got[0].rec[0]));
    assert_int_equal(tlsa_got[0].rec[1].usage, 2);
    assert_int_equal(tlsa_got[1].status, DNS_SERVFAIL);
    assert_int_equal(tlsa_got[1].sec, DNS_SEC_BOGUS);
    assert_int_equal(tlsa_got[1].n, 0);
    dns_free(d);
    ds_stop(&stub);
    event_base_free(base);
}

static enum dns_status txt_status[2];
static int txt_n;

static void on_txt(const struct dns_txt_answer *a, void *arg)
{
    txt_status[txt_n++] = a->status;
    if (txt_n == 2)
        event_base_loopexit(arg, NULL);
}

/* The "port unreachable" of a dead resolver comes back while the loop runs callbacks: the next
 * batched send (scanner/udpbatch) reports it, and takes it off the socket before the loop could
 * see it there.  The stage then hands the error to c-ares at once, so both lookups end
 * "unreachable" long before the timeout (left in udpbatch, they would wait for it, "timeout"). */
struct late_error {
    struct event_base *base;
    struct dns *d;
    struct event *second;
};

static void late_second(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct late_error *t = arg;
    struct timespec pause = {0, 50000000};
    nanosleep(&pause, NULL); /* a.test is on the wire (the flush ran before this): refused */
    dns_query_txt(t->d, "b.test", on_txt, t->base);
}

static void late_first(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct late_error *t = arg;
    dns_query_txt(t->d, "a.test", on_txt, t->base); /* activates the flush */
    event_active(t->second, 0, 1);                  /* after it, in the same turn */
}

static void test_dead_resolver_send_error(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    int probe = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
    socklen_t len = sizeof(sin);
    assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &len), 0);
    close(probe);
    char server[64], err[256];
    snprintf(server, sizeof(server), "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
    struct dns_opts o = {.servers = server, .timeout_sec = 4, .tries = 1};
    struct late_error t = {.base = base};
    t.d = dns_new(base, &o, err, sizeof(err));
    assert_non_null(t.d);
    t.second = event_new(base, -1, 0, late_second, &t);
    struct event *first = event_new(base, -1, 0, late_first, &t);
    txt_n = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    event_active(first, 0, 1);
    event_base_dispatch(base);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(txt_n, 2);
    assert_int_equal(txt_status[0], DNS_UNREACHABLE);
    assert_int_equal(txt_status[1], DNS_UNREACHABLE);
    assert_true((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 2.0);
    event_free(first);
    event_free(t.second);
    dns_free(t.d);
    event_base_free(base);
}

/* RFC 7672 §2.2.2 needs a host's address records secure as a whole and the CNAME-expanded
 * name: the A/AAAA merge of DNSSEC states and the CNAME target read from a raw answer. */
static void test_addr_dnssec_and_cname(void **state)
{
    (void)state;
    assert_int_equal(dns_sec_merge(DNS_SEC_SECURE, DNS_SEC_SECURE), DNS_SEC_SECURE);
    assert_int_equal(dns_sec_merge(DNS_SEC_SECURE, DNS_SEC_INSECURE), DNS_SEC_INSECURE);
    assert_int_equal(dns_sec_merge(DNS_SEC_SECURE, DNS_SEC_UNCHECKED), DNS_SEC_UNCHECKED);
    assert_int_equal(dns_sec_merge(DNS_SEC_INSECURE, DNS_SEC_BOGUS), DNS_SEC_BOGUS);
    assert_int_equal(dns_sec_merge(DNS_SEC_UNCHECKED, DNS_SEC_UNCHECKED), DNS_SEC_UNCHECKED);

    static const unsigned char reply[] = {
        0, 1, 0x81, 0xa0, 0, 1, 0, 2, 0, 0, 0, 0,
        3, 'm', 'x', '1', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
        /* mx1.test CNAME Host.Example. */
        0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 14,
        4, 'H', 'o', 's', 't', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0,
        /* host.example A 192.0.2.1 (name: a pointer into the CNAME's data) */
        0xc0, 38, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
    };
    char name[256];
    dns_parse_cname_target(reply, (int)sizeof(reply), name, sizeof(name));
    assert_string_equal(name, "host.example");
    dns_parse_cname_target(reply, 40, name, sizeof(name)); /* cut inside the records */
    assert_string_equal(name, "");
    static const unsigned char plain[] = {
        0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
        3, 'm', 'x', '1', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
        0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
    };
    dns_parse_cname_target(plain, (int)sizeof(plain), name, sizeof(name));
    assert_string_equal(name, "");
}

static int mx_left;

static void on_mx_count(const struct dns_mx_answer *a, void *arg)
{
    (void)a;
    if (--mx_left == 0)
        event_base_loopexit(arg, NULL);
}

/* The queries built here (MX, with the AD bit) carry random IDs (RFC 5452), not one for all: with
 * one, c-ares 1.18 compared every MX answer with every MX query on the wire. */
static void test_query_ids_random(void **state)
{
    (void)state;
    static const struct ds_record recs[] = {{"a.test", DS_MX, "10 mx.a.test"}};
    struct event_base *base = event_base_new();
    struct dns_stub stub;
    ds_start(&stub, base, recs, 1);
    char err[256];
    struct dns_opts o = {.servers = stub.server, .timeout_sec = 2, .tries = 1};
    struct dns *d = dns_new(base, &o, err, sizeof(err));
    assert_non_null(d);
    mx_left = 40;
    for (int i = 0; i < 40; i++)
        dns_query_mx(d, "a.test", on_mx_count, base);
    event_base_dispatch(base);
    assert_int_equal(mx_left, 0);
    assert_int_equal(stub.queries, 40);
    int distinct = 0;
    for (int i = 0; i < 40; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= stub.ids[j] == stub.ids[i];
        distinct += !seen;
    }
    assert_true(distinct >= 36); /* 40 random 16-bit IDs: a few collisions at the very most */
    dns_free(d);
    ds_stop(&stub);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mx_sorted_lowercased),
        cmocka_unit_test(test_null_mx),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_status_map),
        cmocka_unit_test(test_addr_prepare),
        cmocka_unit_test(test_addr_merge_ipv4_first),
        cmocka_unit_test(test_addr_order_of_arrival),
        cmocka_unit_test(test_txt_ttl),
        cmocka_unit_test(test_reply_status_and_sec),
        cmocka_unit_test(test_dnssec_validating),
        cmocka_unit_test(test_dnssec_not_validating),
        cmocka_unit_test(test_tlsa_lookup),
        cmocka_unit_test(test_addr_dnssec_and_cname),
        cmocka_unit_test(test_parse_txt),
        cmocka_unit_test(test_dead_resolver_send_error),
        cmocka_unit_test(test_query_ids_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
