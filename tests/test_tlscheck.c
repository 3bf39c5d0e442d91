/*
 * Tests for tlscheck: a client SSL from tlscheck_ssl_new handshakes in memory (a BIO pair, no
 * sockets) with a server presenting certificates made in the test, and tlscheck_inspect must
 * report exactly the problems each certificate has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "scanner/tlscheck.h"
#include "tests/support/tls_server.h"

#define HOST "mta-sts.example.test"

static struct ts_pki pki;
static SSL_CTX *client_ctx;

static int group_setup(void **state)
{
    (void)state;
    ts_pki_init(&pki, "mtasts-scan test CA");
    char err[256] = "";
    client_ctx = tlscheck_ctx_new(pki.ca_path, err, sizeof(err));
    if (client_ctx == NULL) {
        fprintf(stderr, "tlscheck_ctx_new: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    SSL_CTX_free(client_ctx);
    ts_pki_free(&pki);
    return 0;
}

static int hs_pending(SSL *ssl, int r)
{
    int e = SSL_get_error(ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* Handshakes client and server over a BIO pair; returns 1 when both finished. */
static int handshake(SSL *c, SSL *s)
{
    BIO *bc, *bs;
    if (!BIO_new_bio_pair(&bc, 0, &bs, 0))
        return 0;
    SSL_set_bio(c, bc, bc);
    SSL_set_bio(s, bs, bs);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    int done_c = 0, done_s = 0;
    for (int i = 0; i < 50 && !(done_c && done_s); i++) {
        if (!done_c) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                done_c = 1;
            else if (!hs_pending(c, r))
                return 0;
        }
        if (!done_s) {
            int r = SSL_do_handshake(s);
            if (r == 1)
                done_s = 1;
            else if (!hs_pending(s, r))
                return 0;
        }
    }
    return done_c && done_s;
}

/* Connects to a server presenting leaf, expecting host; fills info.  Returns the handshake
 * result.  The client SSL (and with it tlscheck's per-SSL state) is freed before returning. */
static int check_with_ctx(SSL_CTX *server_ctx, const char *host, struct tlscheck_info *info)
{
    SSL *c = tlscheck_ssl_new(client_ctx, host);
    SSL *s = SSL_new(server_ctx);
    assert_non_null(c);
    assert_non_null(s);
    ERR_clear_error();
    int ok = handshake(c, s);
    memset(info, 0, sizeof(*info));
    if (ok)
        tlscheck_inspect(c, info);
    else
        tlscheck_last_error(info->error, sizeof(info->error));
    SSL_free(c);
    SSL_free(s);
    return ok;
}

static int check(struct ts_cert *leaf, const char *host, struct tlscheck_info *info)
{
    SSL_CTX *sctx = ts_server_ctx(leaf);
    int ok = check_with_ctx(sctx, host, info);
    SSL_CTX_free(sctx);
    ts_cert_free(leaf);
    return ok;
}

static void test_valid(void **state)
{
    (void)state;
    struct ts_cert leaf = ts_leaf(&pki, HOST, "DNS:" HOST ",DNS:alt.example.test", -1, 30);
    time_t na = time(NULL) + 30 * 86400;

    struct tlscheck_info info;
    assert_true(check(&leaf, HOST, &info));
    assert_int_equal(info.flags, 0);
    assert_int_equal(info.first_error, 0);
    assert_string_equal(info.error, "");
    assert_true(strncmp(info.version, "TLSv1.", 6) == 0);
    assert_true(strcmp(info.version, "TLSv1.2") == 0 || strcmp(info.version, "TLSv1.3") == 0);
    assert_true(info.cipher[0] != '\0');
    assert_string_equal(info.subject, "CN=" HOST ",O=mtasts-scan tests");
    assert_string_equal(info.issuer, "CN=mtasts-scan test CA,O=mtasts-scan tests");
    assert_string_equal(info.sans, HOST ";alt.example.test");
    /* the certificate's notAfter as a time: now + 30 days, give or take the test's own run */
    assert_true(info.not_after > na - 3600 && info.not_after < na + 3600);
}

static void test_name_case_and_root_dot(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert leaf = ts_leaf(&pki, HOST, "DNS:" HOST, -1, 30);
    assert_true(check(&leaf, "MTA-STS.Example.TEST.", &info));
    assert_int_equal(info.flags, 0);
}

static void test_expired(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert leaf = ts_leaf(&pki, HOST, "DNS:" HOST, -60, -30);
    assert_true(check(&leaf, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_EXPIRED);
    assert_int_equal(info.first_error, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_string_equal(info.error, "certificate has expired");
    assert_true(info.subject[0] != '\0'); /* still inspected */
}

static void test_not_yet_valid(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert leaf = ts_leaf(&pki, HOST, "DNS:" HOST, 10, 40);
    assert_true(check(&leaf, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_EXPIRED);
    assert_int_equal(info.first_error, X509_V_ERR_CERT_NOT_YET_VALID);
}

static void test_wrong_name(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert leaf = ts_leaf(&pki, "other.example.test", "DNS:other.example.test", -1, 30);
    assert_true(check(&leaf, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_HOSTNAME_MISMATCH);
    assert_int_equal(info.first_error, X509_V_ERR_HOSTNAME_MISMATCH);
    assert_string_equal(info.error, "hostname mismatch");
    assert_string_equal(info.sans, "other.example.test");
}

static void test_self_signed(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert leaf = ts_leaf(NULL, HOST, "DNS:" HOST, -1, 30);
    assert_true(check(&leaf, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_UNTRUSTED);
    assert_int_equal(info.first_error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    assert_non_null(strstr(info.error, "self-signed certificate"));
}

/* Like check, for a valid leaf for HOST issued by a fresh CA named ca_cn that the client does not
 * trust. */
static int check_foreign_ca(const char *ca_cn, struct tlscheck_info *info)
{
    struct ts_pki other;
    ts_pki_init(&other, ca_cn);
    struct ts_cert leaf = ts_leaf(&other, HOST, "DNS:" HOST, -1, 30);
    int ok = check(&leaf, HOST, info);
    ts_pki_free(&other);
    return ok;
}

static void test_unknown_ca(void **state)
{
    (void)state;
    struct tlscheck_info info;
    assert_true(check_foreign_ca("someone else's CA", &info));
    assert_int_equal(info.flags, TLSCHECK_UNTRUSTED);
    assert_int_equal(info.first_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_non_null(strstr(info.error, "unable to get local issuer certificate"));
}

/* A CA that copies the trusted CA's name but not its key: the signature gives it away. */
static void test_impostor_ca(void **state)
{
    (void)state;
    struct tlscheck_info info;
    assert_true(check_foreign_ca("mtasts-scan test CA", &info));
    assert_int_equal(info.flags, TLSCHECK_UNTRUSTED);
    assert_int_equal(info.first_error, X509_V_ERR_CERT_SIGNATURE_FAILURE);
}

static void test_all_problems_reported(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert leaf = ts_leaf(&pki, "other.example.test", "DNS:other.example.test", -60, -30);
    assert_true(check(&leaf, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_EXPIRED | TLSCHECK_HOSTNAME_MISMATCH);
    assert_non_null(strstr(info.error, "certificate has expired"));
    assert_non_null(strstr(info.error, "hostname mismatch"));
    assert_non_null(strstr(info.error, "; "));

    struct ts_cert self = ts_leaf(NULL, "other.example.test", "DNS:other.example.test", -60, -30);
    assert_true(check(&self, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_EXPIRED | TLSCHECK_HOSTNAME_MISMATCH | TLSCHECK_UNTRUSTED);
}

static void test_wildcards(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert full = ts_leaf(&pki, "*.example.test", "DNS:*.example.test", -1, 30);
    assert_true(check(&full, HOST, &info));
    assert_int_equal(info.flags, 0);

    struct ts_cert deep = ts_leaf(&pki, "*.example.test", "DNS:*.example.test", -1, 30);
    assert_true(check(&deep, "a." HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_HOSTNAME_MISMATCH);

    struct ts_cert partial = ts_leaf(&pki, "mta-*.example.test", "DNS:mta-*.example.test", -1, 30);
    assert_true(check(&partial, HOST, &info));
    assert_int_equal(info.flags, TLSCHECK_HOSTNAME_MISMATCH);
}

static void test_ip_literal(void **state)
{
    (void)state;
    struct tlscheck_info info;
    struct ts_cert ip = ts_leaf(&pki, "127.0.0.1", "IP:127.0.0.1", -1, 30);
    assert_true(check(&ip, "127.0.0.1", &info));
    assert_int_equal(info.flags, 0);
    assert_string_equal(info.sans, ""); /* only DNS SANs are listed */

    struct ts_cert dns = ts_leaf(&pki, HOST, "DNS:" HOST, -1, 30);
    assert_true(check(&dns, "127.0.0.1", &info));
    assert_int_equal(info.flags, TLSCHECK_HOSTNAME_MISMATCH);
}

static void test_state_is_per_connection(void **state)
{
    (void)state;
    struct ts_cert bad = ts_leaf(&pki, HOST, "DNS:" HOST, -60, -30);
    struct ts_cert good = ts_leaf(&pki, HOST, "DNS:" HOST, -1, 30);
    SSL_CTX *bad_ctx = ts_server_ctx(&bad);
    SSL_CTX *good_ctx = ts_server_ctx(&good);
    struct tlscheck_info info;
    for (int i = 0; i < 3; i++) {
        assert_true(check_with_ctx(bad_ctx, HOST, &info));
        assert_int_equal(info.flags, TLSCHECK_EXPIRED);
        assert_true(check_with_ctx(good_ctx, HOST, &info));
        assert_int_equal(info.flags, 0);
        assert_string_equal(info.error, "");
    }
    SSL_CTX_free(bad_ctx);
    SSL_CTX_free(good_ctx);
    ts_cert_free(&bad);
    ts_cert_free(&good);
}

static void test_old_protocol_refused(void **state)
{
    (void)state;
    struct ts_cert leaf = ts_leaf(&pki, HOST, "DNS:" HOST, -1, 30);
    SSL_CTX *sctx = ts_server_ctx(&leaf);
    SSL_CTX_set_security_level(sctx, 0);
    SSL_CTX_set_min_proto_version(sctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(sctx, TLS1_1_VERSION);
    struct tlscheck_info info;
    assert_false(check_with_ctx(sctx, HOST, &info));
    assert_true(info.error[0] != '\0');
    assert_null(strstr(info.error, "no OpenSSL error queued"));
    SSL_CTX_free(sctx);
    ts_cert_free(&leaf);
    char buf[64];
    tlscheck_last_error(buf, sizeof(buf)); /* the queue was emptied */
    assert_string_equal(buf, "no OpenSSL error queued");
}

static void test_ctx_errors(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(tlscheck_ctx_new("/nonexistent/ca.pem", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    SSL_CTX *sys = tlscheck_ctx_new(NULL, err, sizeof(err));
    assert_non_null(sys);
    assert_int_equal(SSL_CTX_get_min_proto_version(sys), TLS1_2_VERSION);
    SSL_CTX_free(sys);
    assert_null(tlscheck_ssl_new(client_ctx, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_name_case_and_root_dot),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_wrong_name),
        cmocka_unit_test(test_self_signed),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_impostor_ca),
        cmocka_unit_test(test_all_problems_reported),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_ip_literal),
        cmocka_unit_test(test_state_is_per_connection),
        cmocka_unit_test(test_old_protocol_refused),
        cmocka_unit_test(test_ctx_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
