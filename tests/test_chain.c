/*
 * test_chain: tlscheck's TLSCHECK_CHAIN_INCOMPLETE (the advisory cert_chain_incomplete) on a
 * two-level PKI made in the test (root -> intermediate -> leaf), over an in-memory handshake:
 * raised when the server sends a leaf that names its issuer's certificate (AIA caIssuers) without
 * that intermediate; not when it sends the chain, not for a leaf without caIssuers, not when a
 * whole chain ends at an unknown root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "scanner/tlscheck.h"
#include "tests/support/tls_server.h"

#define HOST "mta-sts.example.test"

static struct ts_pki root;     /* trusted by the client */
static struct ts_cert inter;   /* intermediate CA under root */
static SSL_CTX *client_ctx;

static int group_setup(void **state)
{
    (void)state;
    char err[256] = "";
    ts_pki_init(&root, "chain test root");
    inter.key = EVP_EC_gen("P-256");
    inter.cert = ts_make_cert(inter.key, "chain test intermediate", NULL, root.ca, root.ca_key,
                              -1, 365, 1);
    client_ctx = tlscheck_ctx_new(root.ca_path, err, sizeof(err));
    return client_ctx ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    SSL_CTX_free(client_ctx);
    ts_cert_free(&inter);
    ts_pki_free(&root);
    return 0;
}

/* A leaf for HOST issued by the intermediate, with or without AIA caIssuers. */
static struct ts_cert leaf(int aia)
{
    struct ts_cert c;
    c.key = EVP_EC_gen("P-256");
    c.cert = ts_make_cert(c.key, HOST, "DNS:" HOST, inter.cert, inter.key, -1, 30, 0);
    if (aia) {
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, inter.cert, c.cert, NULL, NULL, 0);
        ts_add_ext(c.cert, &v3, NID_info_access, "caIssuers;URI:http://pki.example.test/inter.pem");
        FIXTURE_CHECK(X509_sign(c.cert, inter.key, EVP_sha256()) > 0);
    }
    return c;
}

static int pending(SSL *ssl, int r)
{
    int e = SSL_get_error(ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* Handshakes with a server presenting c (and chain, when not NULL); the client's judgement. */
static unsigned flags_for(struct ts_cert *c, X509 *chain)
{
    SSL_CTX *sctx = ts_server_ctx(c);
    if (chain)
        FIXTURE_CHECK(SSL_CTX_add1_chain_cert(sctx, chain) == 1);
    SSL *cl = tlscheck_ssl_new(client_ctx, HOST), *sv = SSL_new(sctx);
    BIO *bc, *bs;
    FIXTURE_CHECK(cl && sv && BIO_new_bio_pair(&bc, 0, &bs, 0));
    SSL_set_bio(cl, bc, bc);
    SSL_set_bio(sv, bs, bs);
    SSL_set_connect_state(cl);
    SSL_set_accept_state(sv);
    int dc = 0, ds = 0;
    for (int i = 0; i < 50 && !(dc && ds); i++) {
        int r;
        if (!dc && (r = SSL_do_handshake(cl)) == 1)
            dc = 1;
        else if (!dc)
            FIXTURE_CHECK(pending(cl, r));
        if (!ds && (r = SSL_do_handshake(sv)) == 1)
            ds = 1;
        else if (!ds)
            FIXTURE_CHECK(pending(sv, r));
    }
    FIXTURE_CHECK(dc && ds);
    struct tlscheck_info info;
    tlscheck_inspect(cl, &info);
    SSL_free(cl);
    SSL_free(sv);
    SSL_CTX_free(sctx);
    ts_cert_free(c);
    return info.flags;
}

static void test_leaf_without_intermediate(void **state)
{
    (void)state;
    struct ts_cert c = leaf(1);
    assert_int_equal(flags_for(&c, NULL), TLSCHECK_UNTRUSTED | TLSCHECK_CHAIN_INCOMPLETE);
}

static void test_full_chain(void **state)
{
    (void)state;
    struct ts_cert c = leaf(1);
    assert_int_equal(flags_for(&c, inter.cert), 0);
}

static void test_leaf_without_aia_is_merely_untrusted(void **state)
{
    (void)state;
    struct ts_cert c = leaf(0);
    assert_int_equal(flags_for(&c, NULL), TLSCHECK_UNTRUSTED);
}

static void test_unknown_root_above_a_whole_chain(void **state)
{
    (void)state;
    struct ts_pki other;
    ts_pki_init(&other, "someone else's root");
    struct ts_cert oi = {EVP_EC_gen("P-256"), NULL};
    oi.cert = ts_make_cert(oi.key, "their intermediate", NULL, other.ca, other.ca_key, -1, 365, 1);
    struct ts_cert c;
    c.key = EVP_EC_gen("P-256");
    c.cert = ts_make_cert(c.key, HOST, "DNS:" HOST, oi.cert, oi.key, -1, 30, 0);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, oi.cert, c.cert, NULL, NULL, 0);
    ts_add_ext(c.cert, &v3, NID_info_access, "caIssuers;URI:http://pki.example.test/their.pem");
    FIXTURE_CHECK(X509_sign(c.cert, oi.key, EVP_sha256()) > 0);
    /* the intermediate is sent: what is missing is a trusted root, not a server's chain */
    assert_int_equal(flags_for(&c, oi.cert), TLSCHECK_UNTRUSTED);
    ts_cert_free(&oi);
    ts_pki_free(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_without_intermediate),
        cmocka_unit_test(test_full_chain),
        cmocka_unit_test(test_leaf_without_aia_is_merely_untrusted),
        cmocka_unit_test(test_unknown_root_above_a_whole_chain),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
