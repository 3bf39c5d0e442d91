/*
 * tls_server: header-only test helpers (static functions, for tests only) for TLS without any
 * network beyond 127.0.0.1:
 *   - a throw-away PKI made with the OpenSSL API: a CA (written to a temp PEM file for
 *     tlscheck_ctx_new) and leaf certificates that are valid, expired, not yet valid, for the
 *     wrong name, self-signed, or issued by a CA nobody trusts;
 *   - server contexts presenting such a leaf (ts_server_ctx, ts_leaf_ctx);
 *   - a tiny HTTP(S) server on an ephemeral 127.0.0.1 port inside the test's own event_base
 *     (evconnlistener + bufferevent_openssl) that answers every connection the same scripted way;
 *   - addresses on 127.0.0.1 where a connect is refused (ts_closed_port) or hangs
 *     (ts_full_listener_open).
 * Everything here aborts the test (FIXTURE_CHECK, tests/support/fixture_check.h) on an
 * OpenSSL/libevent set-up failure: these are fixtures, not code under test.
 */
#ifndef MTASTS_TEST_TLS_SERVER_H
#define MTASTS_TEST_TLS_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tests/support/fixture_check.h"

#define TS_FN static __attribute__((unused))


/* ---- certificates ---- */

struct ts_pki {
    EVP_PKEY *ca_key;
    X509 *ca;
    char ca_path[64]; /* PEM file holding ca, removed by ts_pki_free */
};

struct ts_cert {
    EVP_PKEY *key;
    X509 *cert;
};

TS_FN void ts_add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    FIXTURE_CHECK(ext != NULL);
    FIXTURE_CHECK(X509_add_ext(x, ext, -1) == 1);
    X509_EXTENSION_free(ext);
}

/* Makes a certificate for key, valid from now+nb_days to now+na_days.  issuer NULL = self-signed.
 * san is an OpenSSL subjectAltName string ("DNS:a.example,DNS:b.example") or NULL. */
TS_FN X509 *ts_make_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer,
                         EVP_PKEY *issuer_key, long nb_days, long na_days, int is_ca)
{
    static long serial = 1000;
    X509 *x = X509_new();
    FIXTURE_CHECK(x != NULL);
    FIXTURE_CHECK(X509_set_version(x, X509_VERSION_3) == 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), nb_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), na_days * 86400);
    FIXTURE_CHECK(X509_set_pubkey(x, key) == 1);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mtasts-scan tests", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);

    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    ts_add_ext(x, &v3, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    ts_add_ext(x, &v3, NID_key_usage, is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    ts_add_ext(x, &v3, NID_subject_key_identifier, "hash");
    if (!is_ca)
        ts_add_ext(x, &v3, NID_ext_key_usage, "serverAuth");
    if (san)
        ts_add_ext(x, &v3, NID_subject_alt_name, san);
    FIXTURE_CHECK(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

/* A CA named cn, valid for a year around now, written to a temp file. */
TS_FN void ts_pki_init(struct ts_pki *pki, const char *cn)
{
    pki->ca_key = EVP_EC_gen("P-256");
    FIXTURE_CHECK(pki->ca_key != NULL);
    pki->ca = ts_make_cert(pki->ca_key, cn, NULL, NULL, NULL, -365, 365, 1);
    snprintf(pki->ca_path, sizeof(pki->ca_path), "/tmp/mtasts-test-ca-XXXXXX");
    int fd = mkstemp(pki->ca_path);
    FIXTURE_CHECK(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    FIXTURE_CHECK(fp != NULL);
    FIXTURE_CHECK(PEM_write_X509(fp, pki->ca) == 1);
    fclose(fp);
}

TS_FN void ts_pki_free(struct ts_pki *pki)
{
    unlink(pki->ca_path);
    X509_free(pki->ca);
    EVP_PKEY_free(pki->ca_key);
}

/* A leaf for san, issued by pki's CA (or self-signed when pki is NULL). */
TS_FN struct ts_cert ts_leaf(const struct ts_pki *pki, const char *cn, const char *san,
                             long nb_days, long na_days)
{
    struct ts_cert c;
    c.key = EVP_EC_gen("P-256");
    FIXTURE_CHECK(c.key != NULL);
    c.cert = ts_make_cert(c.key, cn, san, pki ? pki->ca : NULL, pki ? pki->ca_key : NULL,
                          nb_days, na_days, 0);
    return c;
}

TS_FN void ts_cert_free(struct ts_cert *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
}

/* A server context presenting c. */
TS_FN SSL_CTX *ts_server_ctx(const struct ts_cert *c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    FIXTURE_CHECK(ctx != NULL);
    FIXTURE_CHECK(SSL_CTX_use_certificate(ctx, c->cert) == 1);
    FIXTURE_CHECK(SSL_CTX_use_PrivateKey(ctx, c->key) == 1);
    return ctx;
}

/* A server context presenting a fresh leaf (see ts_leaf; pki NULL = self-signed).  The leaf is
 * freed here: the context holds its own references.  Caller frees with SSL_CTX_free. */
TS_FN SSL_CTX *ts_leaf_ctx(const struct ts_pki *pki, const char *cn, const char *san,
                           long nb_days, long na_days)
{
    struct ts_cert c = ts_leaf(pki, cn, san, nb_days, na_days);
    SSL_CTX *ctx = ts_server_ctx(&c);
    ts_cert_free(&c);
    return ctx;
}

/* ---- the server ---- */

enum ts_mode {
    TS_RESPOND,       /* TLS; after a request head, write `response` and close */
    TS_RESPOND_HOLD,  /* TLS; write `response` after the request head, then keep the connection */
    TS_SILENT,        /* TLS handshake, read the request, never answer */
    TS_PLAIN_RESPOND, /* no TLS: on the first bytes, write `response` and close */
    TS_PLAIN_SILENT   /* no TLS: accept and never read or answer */
};

#define TS_MAX_CONNS 16

struct ts_server {
    struct event_base *base;
    struct evconnlistener *lis;
    SSL_CTX *ctx;               /* borrowed; NULL for the plain modes */
    enum ts_mode mode;
    const char *response;       /* borrowed */
    size_t response_len;
    struct sockaddr_in addr;    /* where it listens */
    int accepted;
    int requests;               /* complete request heads received */
    char request[2048];         /* the last request head */
    char sni[256];              /* server name the client sent, "" when none */
    struct bufferevent *conns[TS_MAX_CONNS];
    int plain_fds[TS_MAX_CONNS];
    int n_plain;
};

TS_FN void ts_conn_close(struct ts_server *s, struct bufferevent *bev)
{
    for (int i = 0; i < TS_MAX_CONNS; i++)
        if (s->conns[i] == bev)
            s->conns[i] = NULL;
    bufferevent_free(bev);
}

TS_FN void ts_on_write_done(struct bufferevent *bev, void *arg)
{
    struct ts_server *s = arg;
    if (s->mode == TS_RESPOND_HOLD)
        return;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        ts_conn_close(s, bev);
}

TS_FN void ts_respond(struct ts_server *s, struct bufferevent *bev)
{
    if (s->response_len == 0 && s->mode != TS_RESPOND_HOLD) {
        ts_conn_close(s, bev); /* an empty response = hang up */
        return;
    }
    bufferevent_setcb(bev, NULL, ts_on_write_done, NULL, s);
    bufferevent_write(bev, s->response, s->response_len);
}

TS_FN void ts_on_read(struct bufferevent *bev, void *arg)
{
    struct ts_server *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (s->mode == TS_PLAIN_RESPOND) {
        evbuffer_drain(in, evbuffer_get_length(in));
        ts_respond(s, bev);
        return;
    }
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0)
        return;
    size_t n = (size_t)end.pos + 4;
    if (n >= sizeof(s->request))
        n = sizeof(s->request) - 1;
    evbuffer_remove(in, s->request, n);
    s->request[n] = '\0';
    evbuffer_drain(in, evbuffer_get_length(in));
    s->requests++;
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    const char *sni = ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
    snprintf(s->sni, sizeof(s->sni), "%s", sni ? sni : "");
    if (s->mode != TS_SILENT)
        ts_respond(s, bev);
}

TS_FN void ts_on_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        ts_conn_close(arg, bev);
}

TS_FN void ts_on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *arg)
{
    (void)lis, (void)sa, (void)salen;
    struct ts_server *s = arg;
    s->accepted++;
    if (s->mode == TS_PLAIN_SILENT) {
        FIXTURE_CHECK(s->n_plain < TS_MAX_CONNS);
        s->plain_fds[s->n_plain++] = fd;
        return;
    }
    struct bufferevent *bev;
    if (s->mode == TS_PLAIN_RESPOND) {
        bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    } else {
        SSL *ssl = SSL_new(s->ctx);
        FIXTURE_CHECK(ssl != NULL);
        /* The bufferevent owns ssl from here, even if it fails. */
        bev = bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    }
    FIXTURE_CHECK(bev != NULL);
    int slot = 0;
    while (slot < TS_MAX_CONNS && s->conns[slot] != NULL)
        slot++;
    FIXTURE_CHECK(slot < TS_MAX_CONNS);
    s->conns[slot] = bev;
    bufferevent_setcb(bev, ts_on_read, NULL, ts_on_event, s);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Listens on 127.0.0.1:<ephemeral>.  ctx and response are borrowed for the server's life. */
TS_FN void ts_server_start(struct ts_server *s, struct event_base *base, SSL_CTX *ctx,
                           enum ts_mode mode, const char *response, size_t response_len)
{
    memset(s, 0, sizeof(*s));
    s->base = base;
    s->ctx = ctx;
    s->mode = mode;
    s->response = response;
    s->response_len = response_len;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lis = evconnlistener_new_bind(base, ts_on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                     16, (struct sockaddr *)&sin, sizeof(sin));
    FIXTURE_CHECK(s->lis != NULL);
    socklen_t len = sizeof(s->addr);
    FIXTURE_CHECK(getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&s->addr, &len) == 0);
}

TS_FN void ts_server_stop(struct ts_server *s)
{
    for (int i = 0; i < TS_MAX_CONNS; i++)
        if (s->conns[i])
            bufferevent_free(s->conns[i]);
    for (int i = 0; i < s->n_plain; i++)
        close(s->plain_fds[i]);
    evconnlistener_free(s->lis);
    memset(s, 0, sizeof(*s));
}

/* An address on 127.0.0.1 where nothing listens (bound then closed: connect is refused). */
TS_FN struct sockaddr_in ts_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    FIXTURE_CHECK(fd >= 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FIXTURE_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    socklen_t len = sizeof(sin);
    FIXTURE_CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
    close(fd);
    return sin;
}

/* A listener on 127.0.0.1 whose accept queue is full: the kernel drops a further SYN, so a
 * connect to addr hangs until the client's own timeout. */
#define TS_QUEUE_FILLERS 3

struct ts_full_listener {
    int lfd;
    int fillers[TS_QUEUE_FILLERS]; /* connections that fill the queue; never accepted */
    struct sockaddr_in addr;
};

TS_FN void ts_full_listener_open(struct ts_full_listener *f)
{
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    FIXTURE_CHECK(f->lfd >= 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sin);
    FIXTURE_CHECK(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    FIXTURE_CHECK(listen(f->lfd, 0) == 0);
    FIXTURE_CHECK(getsockname(f->lfd, (struct sockaddr *)&sin, &len) == 0);
    f->addr = sin;
    for (int i = 0; i < TS_QUEUE_FILLERS; i++) {
        f->fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        FIXTURE_CHECK(f->fillers[i] >= 0);
        connect(f->fillers[i], (struct sockaddr *)&sin, sizeof(sin)); /* EINPROGRESS or queued */
    }
}

TS_FN void ts_full_listener_close(struct ts_full_listener *f)
{
    for (int i = 0; i < TS_QUEUE_FILLERS; i++)
        close(f->fillers[i]);
    close(f->lfd);
}

#endif
