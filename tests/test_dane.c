/* test_dane: TLSA parsing, usability (RFC 7672 §3.1.3) and OpenSSL's DANE matching over chains
 * made in the test (tests/support/tls_server.h): DANE-EE with no name check, DANE-TA with one,
 * stale and rollover record sets, PKIX-only sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scanner/dane.h"
#include "tests/support/tls_server.h"

/* A TLSA record for cert: selector 0 (the certificate) or 1 (its public key), matching type 1
 * (SHA2-256) or 2 (SHA2-512). */
static struct dane_tlsa tlsa_of(X509 *cert, int usage, int selector, int mtype)
{
    struct dane_tlsa t;
    memset(&t, 0, sizeof(t));
    unsigned char *der = NULL;
    int dl = selector == 1 ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der) : i2d_X509(cert, &der);
    assert_true(dl > 0);
    unsigned int md_len = 0;
    assert_int_equal(EVP_Digest(der, (size_t)dl, t.data, &md_len, mtype == 2 ? EVP_sha512() : EVP_sha256(), NULL), 1);
    OPENSSL_free(der);
    t.usage = (unsigned char)usage;
    t.selector = (unsigned char)selector;
    t.mtype = (unsigned char)mtype;
    t.len = (unsigned short)md_len;
    return t;
}

struct fixture {
    struct ts_pki pki;
    struct ts_cert leaf, other, expired;
    STACK_OF(X509) *chain, *chain_expired, *chain_other;
    SSL_CTX *ctx;
};

static STACK_OF(X509) *chain_of(X509 *leaf, X509 *ca)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    sk_X509_push(sk, leaf);
    sk_X509_push(sk, ca);
    return sk;
}

static int setup(void **state)
{
    static struct fixture f;
    ts_pki_init(&f.pki, "DANE test CA");
    f.leaf = ts_leaf(&f.pki, "mx.dane.test", "DNS:mx.dane.test", -1, 90);
    f.other = ts_leaf(&f.pki, "elsewhere.test", "DNS:elsewhere.test", -1, 90);
    f.expired = ts_leaf(&f.pki, "mx.dane.test", "DNS:mx.dane.test", -100, -10);
    f.chain = chain_of(f.leaf.cert, f.pki.ca);
    f.chain_other = chain_of(f.other.cert, f.pki.ca);
    f.chain_expired = chain_of(f.expired.cert, f.pki.ca);
    f.ctx = dane_ctx_new();
    assert_non_null(f.ctx);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sk_X509_free(f->chain);
    sk_X509_free(f->chain_other);
    sk_X509_free(f->chain_expired);
    ts_cert_free(&f->leaf);
    ts_cert_free(&f->other);
    ts_cert_free(&f->expired);
    ts_pki_free(&f->pki);
    SSL_CTX_free(f->ctx);
    return 0;
}

static struct dane_tlsa_set set_of(const struct dane_tlsa *recs, size_t n)
{
    struct dane_tlsa_set s;
    memset(&s, 0, sizeof(s));
    s.status = DNS_OK;
    s.sec = DNS_SEC_SECURE;
    for (size_t i = 0; i < n; i++)
        s.rec[s.n++] = recs[i];
    return s;
}

static enum dane_match check(struct fixture *f, STACK_OF(X509) *chain, const struct dane_tlsa *recs,
                             size_t n, struct dane_result *r)
{
    struct dane_tlsa_set s = set_of(recs, n);
    dane_check(f->ctx, "mx.dane.test", chain, &s, r);
    return r->match;
}

static void test_dane_ee(void **state)
{
    struct fixture *f = *state;
    struct dane_result r;
    struct dane_tlsa ee = tlsa_of(f->leaf.cert, 3, 1, 1);
    assert_int_equal(check(f, f->chain, &ee, 1, &r), DANE_MATCH_OK);
    assert_int_equal(r.matched, 0);
    assert_int_equal(r.depth, 0);
    /* the whole certificate, SHA2-512 of the key: both match */
    struct dane_tlsa more[] = {tlsa_of(f->leaf.cert, 3, 0, 1), tlsa_of(f->leaf.cert, 3, 1, 2)};
    assert_int_equal(check(f, f->chain, more, 1, &r), DANE_MATCH_OK);
    assert_int_equal(check(f, f->chain, more + 1, 1, &r), DANE_MATCH_OK);
    /* RFC 7672 §3.2.2: no name check for DANE-EE, and (RFC 7671 §5.1) no validity dates either */
    struct dane_tlsa other = tlsa_of(f->other.cert, 3, 1, 1);
    assert_int_equal(check(f, f->chain_other, &other, 1, &r), DANE_MATCH_OK);
    struct dane_tlsa old = tlsa_of(f->expired.cert, 3, 1, 1);
    assert_int_equal(check(f, f->chain_expired, &old, 1, &r), DANE_MATCH_OK);
}

/* The key changed and the record did not: the usual DANE failure.  With the next key's record
 * published beside the old one (a rollover), the new one matches. */
static void test_dane_stale_and_rollover(void **state)
{
    struct fixture *f = *state;
    struct dane_result r;
    struct dane_tlsa stale = tlsa_of(f->other.cert, 3, 1, 1);
    assert_int_equal(check(f, f->chain, &stale, 1, &r), DANE_MATCH_FAILED);
    assert_int_equal(r.matched, -1);
    assert_true(r.error[0] != '\0');
    struct dane_tlsa roll[] = {stale, tlsa_of(f->leaf.cert, 3, 1, 1)};
    assert_int_equal(check(f, f->chain, roll, 2, &r), DANE_MATCH_OK);
    assert_int_equal(r.matched, 1);
}

/* DANE-TA: the issuer's key as trust anchor (sent in the chain); the name must then match. */
static void test_dane_ta(void **state)
{
    struct fixture *f = *state;
    struct dane_result r;
    struct dane_tlsa ta = tlsa_of(f->pki.ca, 2, 1, 1);
    assert_int_equal(check(f, f->chain, &ta, 1, &r), DANE_MATCH_OK);
    assert_int_equal(r.depth, 1);
    assert_int_equal(r.matched, 0);
    assert_int_equal(check(f, f->chain_other, &ta, 1, &r), DANE_MATCH_FAILED);
    assert_int_equal(check(f, f->chain_expired, &ta, 1, &r), DANE_MATCH_FAILED);
}

/* RFC 7672 §3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP, like unknown parameters and
 * digests of the wrong length; a set of only those is unusable, whatever it would match. */
static void test_dane_unusable(void **state)
{
    struct fixture *f = *state;
    struct dane_result r;
    struct dane_tlsa pkix[] = {tlsa_of(f->leaf.cert, 1, 1, 1), tlsa_of(f->pki.ca, 0, 1, 1)};
    assert_int_equal(check(f, f->chain, pkix, 2, &r), DANE_MATCH_UNUSABLE);
    struct dane_tlsa bad = tlsa_of(f->leaf.cert, 3, 1, 1);
    bad.len = 31;
    assert_false(dane_tlsa_usable(&bad));
    bad = tlsa_of(f->leaf.cert, 3, 2, 1);
    assert_false(dane_tlsa_usable(&bad));
    bad = tlsa_of(f->leaf.cert, 3, 1, 3);
    assert_false(dane_tlsa_usable(&bad));
    struct dane_tlsa mixed[] = {pkix[0], tlsa_of(f->leaf.cert, 3, 1, 1)};
    struct dane_tlsa_set s = set_of(mixed, 2);
    assert_int_equal(dane_usable_count(&s), 1);
    assert_int_equal(check(f, f->chain, mixed, 2, &r), DANE_MATCH_OK);
    assert_int_equal(r.matched, 1);
    assert_int_equal(check(f, NULL, mixed, 2, &r), DANE_MATCH_NO_CHAIN);
}

/* A raw reply: the question _25._tcp.mx.test TLSA, then the records. */
static void test_dane_parse(void **state)
{
    (void)state;
    unsigned char buf[512];
    const unsigned char hdr[12] = {0x12, 0x34, 0x81, 0xa0, 0, 1, 0, 3, 0, 0, 0, 0};
    const unsigned char q[] = {3, '_', '2', '5', 4, '_', 't', 'c', 'p', 2, 'm', 'x', 4, 't', 'e',
                               's', 't', 0, 0, 52, 0, 1};
    int len = 0;
    memcpy(buf, hdr, sizeof(hdr));
    len += (int)sizeof(hdr);
    memcpy(buf + len, q, sizeof(q));
    len += (int)sizeof(q);
    /* a CNAME's own record is skipped; two TLSA records follow */
    const unsigned char cname[] = {0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 0x0c};
    memcpy(buf + len, cname, sizeof(cname));
    len += (int)sizeof(cname);
    const unsigned char t1[] = {0xc0, 0x0c, 0, 52, 0, 1, 0, 0, 0, 60, 0, 5, 3, 1, 1, 0xab, 0xcd};
    memcpy(buf + len, t1, sizeof(t1));
    len += (int)sizeof(t1);
    const unsigned char t2[] = {0xc0, 0x0c, 0, 52, 0, 1, 0, 0, 0, 60, 0, 4, 1, 0, 0, 0x01};
    memcpy(buf + len, t2, sizeof(t2));
    len += (int)sizeof(t2);
    struct dane_tlsa_set s = {.sec = DNS_SEC_SECURE};
    dane_parse_tlsa(buf, len, &s);
    assert_int_equal(s.status, DNS_OK);
    assert_int_equal(s.sec, DNS_SEC_SECURE);
    assert_int_equal(s.n, 2);
    char text[64];
    assert_string_equal(dane_tlsa_text(&s.rec[0], text, sizeof(text)), "3 1 1 abcd");
    assert_string_equal(dane_tlsa_text(&s.rec[1], text, sizeof(text)), "1 0 0 01");
    assert_string_equal(dane_tlsa_text(&s.rec[0], text, 10), "3 1 1 ...");
    dane_parse_tlsa(buf, len - 1, &s); /* cut inside the last record */
    assert_int_equal(s.status, DNS_BADRESP);
    assert_int_equal(s.n, 0);
    buf[7] = 0; /* no answer record */
    dane_parse_tlsa(buf, 12 + (int)sizeof(q), &s);
    assert_int_equal(s.status, DNS_NODATA);
    for (int m = 0; m < DANE_MATCH__COUNT; m++)
        assert_string_not_equal(dane_match_str((enum dane_match)m), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dane_ee),
        cmocka_unit_test(test_dane_stale_and_rollover),
        cmocka_unit_test(test_dane_ta),
        cmocka_unit_test(test_dane_unusable),
        cmocka_unit_test(test_dane_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
