/*
 * smtp_probe: one non-blocking STARTTLS probe of an MX address on the scan's libevent loop:
 * greeting, EHLO, STARTTLS, TLS handshake with SNI = MX host, certificate judged against the trust
 * store and the MX name, QUIT.  Never sends MAIL, RCPT or DATA.  Timeouts at every step; a server
 * that sends garbage, closes early or never stops talking is classified, never hangs.
 */
#ifndef MTASTS_SMTP_PROBE_H
#define MTASTS_SMTP_PROBE_H

#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "scanner/dane.h"
#include "scanner/tlscheck.h"

enum smtp_probe_status {
    SMTP_PROBE_OK = 0,            /* STARTTLS and a certificate valid for the MX name */
    SMTP_PROBE_CONNECT_FAILED,    /* refused / unreachable */
    SMTP_PROBE_TIMEOUT,           /* connect or any later step timed out (step in detail) */
    SMTP_PROBE_PROTOCOL,          /* garbage, early close, non-2xx greeting/EHLO, over-long reply */
    SMTP_PROBE_STARTTLS_MISSING,  /* EHLO did not advertise STARTTLS, or STARTTLS was refused */
    SMTP_PROBE_TLS_FAILED,        /* handshake failed (not a certificate problem) */
    SMTP_PROBE_CERT_INVALID,      /* handshake done, certificate flags in tls.flags */
    SMTP_PROBE_INTERNAL_ERROR     /* the scanner failed (out of memory): says nothing about the
                                     host */
};
const char *smtp_probe_status_str(enum smtp_probe_status s);

/* The status named s (as smtp_probe_status_str writes it), or -1. */
int smtp_probe_status_parse(const char *s);

/* Bytes of one reply kept while it is incomplete: a server that sends more without finishing
 * its reply is a PROTOCOL error, so a probe's read buffer never grows past this. */
#define SMTP_PROBE_READ_MAX 32768

struct smtp_probe_opts {
    double timeout_sec;
    const char *ehlo_name;
    /* DANE (RFC 7672): the host's secure TLSA records, judged against the chain this same
     * connection receives (dane_check, after the MTA-STS judgement, which it does not change);
     * NULL = no DANE.  Both borrowed until the callback has run; dane_ctx from dane_ctx_new. */
    const struct dane_tlsa_set *tlsa;
    SSL_CTX *dane_ctx;
};

struct smtp_probe_result {
    enum smtp_probe_status status;
    int greeting_code;          /* 0 when none */
    int starttls_offered;       /* -1 unknown, 0 no, 1 yes */
    struct tlscheck_info tls;   /* filled when the handshake completed */
    char error[256];            /* what went wrong, human readable */
    double connect_ms, greeting_ms, tls_ms, total_ms; /* -1 when the step was not reached */
    struct dane_result dane;    /* with opts->tlsa: the chain against it (no_chain when no
                                   handshake was made); DANE_MATCH_NONE without */
};

struct smtp_probe;

/* Called once from the loop when the probe ends; res borrowed until it returns.  The probe frees
 * itself after. */
typedef void (*smtp_probe_cb)(const struct smtp_probe_result *res, void *arg);

/* Starts a probe of mx_host at addr (port included in addr).  NULL only on OOM; the callback is
 * never called before this returns. */
struct smtp_probe *smtp_probe_start(struct event_base *base, SSL_CTX *ctx,
                                    const struct sockaddr *addr, socklen_t addrlen,
                                    const char *mx_host, const struct smtp_probe_opts *opts,
                                    smtp_probe_cb cb, void *arg);

/* Aborts a probe without calling its callback. */
void smtp_probe_cancel(struct smtp_probe *p);

#endif
