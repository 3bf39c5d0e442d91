/*
 * result: the typed row of one domain (enums, integers, times; lists stay ';'-joined text), filled
 * by scanner/classify from the facts the stages collected, and read by the CSV writers (the domain
 * table and the domain-MX edge table).  Fixed-size buffers keep a row's size a known constant;
 * values that do not fit are cut and marked "...".  A scan holds one row per engine, built when a
 * domain ends (pipeline/domain's domain_env.row), not one per domain in flight, so the buffers'
 * size does not grow with --concurrency.
 */
#ifndef MTASTS_RESULT_H
#define MTASTS_RESULT_H

#include <stdint.h>
#include <time.h>

#include "scanner/codes.h"
#include "scanner/dane.h"
#include "scanner/dns.h"
#include "scanner/policy.h"
#include "scanner/smtp_probe.h"
#include "scanner/txt.h"

#define RESULT_NAME_MAX 256   /* a DNS name plus NUL */
#define RESULT_LIST_MAX 1024  /* ';'-joined lists */
#define RESULT_DETAIL_MAX 1024
#define RESULT_RECORD_MAX 512  /* published TXT record text (cut and marked "...") */

enum policy_status {
    POLICY_STATUS_NOT_FETCHED = 0, /* no valid TXT, or the stage was skipped */
    POLICY_STATUS_OK,              /* fetched and valid */
    POLICY_STATUS_FETCH_FAILED,    /* DNS, TCP, TLS or HTTP failure */
    POLICY_STATUS_INVALID          /* fetched but the body breaks RFC 8461 §3.2 */
};
const char *policy_status_str(enum policy_status s);
int policy_status_parse(const char *s); /* -1 when s is not a policy_status */

enum starttls_status {
    STARTTLS_NOT_PROBED = 0,
    STARTTLS_ALL_OK,
    STARTTLS_SOME_FAILED,
    STARTTLS_NONE_OK
};
const char *starttls_status_str(enum starttls_status s);
int starttls_status_parse(const char *s); /* -1 when s is not a starttls_status */

/* How the MX hosts relate to a valid enforce/testing policy's mx patterns. */
enum mx_coverage {
    MX_COVERAGE_NOT_CHECKED = 0, /* no valid enforce/testing policy: empty cell */
    MX_COVERAGE_ALL,
    MX_COVERAGE_NONE,
    MX_COVERAGE_PARTIAL
};
const char *mx_coverage_str(enum mx_coverage c); /* "", "all", "none", "partial" */
/* Parses a cell written by mx_coverage_str: the coverage named s ("" = not checked), or -1. */
int mx_coverage_parse(const char *s);

/* Whether a sender's mail reaches the domain (sts_delivery, dane_sts_delivery; docs/codes.md has
 * the rule per case): through every MX host, some, none; unchecked when a host that decides it
 * could not be judged; not judged (empty cell) when the sender's checks do not apply. */
enum delivery {
    DELIVERY_NOT_JUDGED = 0,
    DELIVERY_ALL,
    DELIVERY_SOME,
    DELIVERY_NONE,
    DELIVERY_UNCHECKED
};
const char *delivery_str(enum delivery d); /* "", "all", "some", "none", "unchecked" */
int delivery_parse(const char *s);         /* -1 when s is not a delivery */

/* What the STARTTLS probes of one MX host came to, for the edge table. */
enum mx_probe_state {
    MX_PROBE_NOT_PROBED = 0, /* mode, stage skipped, or the domain ended earlier */
    MX_PROBE_NO_ADDRESS,     /* the host has no A/AAAA (or its lookup failed): nothing to probe */
    MX_PROBE_DONE            /* probed: see fail_status / issues */
};

/* One (domain, MX host) edge: filled by classify, written to --domain-mx-output. */
struct result_mx {
    char host[RESULT_NAME_MAX];
    int preference;              /* -1 for the implicit MX (the domain itself, RFC 5321 §5.1) */
    int covered;                 /* 1 / 0 against the valid enforce/testing policy; -1 no policy */
    enum mx_probe_state state;
    int n_addr;                  /* addresses probed */
    int failed;                  /* 1 when an address's probe did not end ok */
    enum smtp_probe_status fail_status; /* of the first such address, when failed */
    struct issue_set issues;     /* mx_* codes of this host (empty = a sender would deliver) */
    unsigned char dane_match;    /* enum dane_match of the host's addresses: the worst one */
    unsigned char tlsa_queried;  /* 1: its TLSA records were looked up (then tlsa_dnssec) */
    unsigned char tlsa_dnssec;   /* enum dns_sec of that lookup */
    unsigned char dane_state;    /* enum dane_status of the host for this domain (classify) */
};


struct domain_result {
    char domain[RESULT_NAME_MAX]; /* as given (lower-cased, no trailing dot) or the raw line when invalid */
    long rank;                    /* Tranco rank, or line number when the input has none */
    char mx[RESULT_LIST_MAX];     /* MX hosts by preference, ';'-joined; implicit MX not listed */
    enum txt_status txt_status;
    char sts_id[33];
    enum policy_status policy_status;
    int http_status;              /* 0 when no HTTP response */
    enum policy_mode policy_mode; /* UNSET (empty cell) unless a policy was fetched and parsed */
    long policy_max_age;          /* -1 when none */
    char policy_mx[RESULT_LIST_MAX];
    enum mx_coverage mx_coverage; /* uncovered hosts go to detail */
    enum starttls_status starttls_status;
    enum txt_status tlsrpt_status;
    char tlsrpt_rua[RESULT_LIST_MAX];
    enum verdict verdict;
    struct issue_set issues;
    char detail[RESULT_DETAIL_MAX]; /* "; "-joined human-readable reasons */
    time_t scanned_at;
    /* Added after the first schema (columns at the end of the table): */
    char sts_record[RESULT_RECORD_MAX];    /* the v=STSv1 record(s) as published, see txt.h */
    char tlsrpt_record[RESULT_RECORD_MAX]; /* the v=TLSRPTv1 record(s) */
    long sts_ttl;                          /* TTL of the _mta-sts TXT answer; -1 none */
    char policy_sha256[65];                /* hex SHA-256 of the body as served; "" none */
    time_t policy_cert_not_after;          /* policy host certificate; 0 no handshake */
    char policy_cert_issuer[256];
    char policy_cert_sans[512];
    /* Outcome of each lookup; DNS_OK (empty cell) when it answered with records or was not made. */
    enum dns_status mx_dns, sts_dns, tlsrpt_dns, policy_host_dns, implicit_mx_dns;
    char retried[64];   /* steps that timed out connecting and were tried again (--retry-timeouts) */
    time_t testing_since; /* valid policy in mode testing: since when without a break, carried
                             over --previous scans (classify, from the old row's value that
                             pipeline/monitor finds); 0 = not in mode testing */
    enum dns_sec mx_dnssec; /* the MX RRset's DNSSEC status (the MX answer's, as the resolver
                               validated it); unchecked without a validating resolver */
    enum dane_status dane_status; /* DANE for the domain's MX hosts (classify, RFC 7672) */
    enum delivery sts_delivery;      /* a sender enforcing MTA-STS only */
    enum delivery dane_sts_delivery; /* one that also validates DANE (RFC 8461 §2) */
    /* The edge table: one entry per MX host (or the implicit MX), in preference order. */
    size_t n_mx;
    struct result_mx mxs[DNS_MX_MAX];
};

/* Resets r to the empty state (rank -1, max_age -1, sts_ttl -1). */
void result_init(struct domain_result *r);

/* Appends a formatted reason to r->detail, "; "-separated; cut with "..." when full. */
void result_add_detail(struct domain_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies src into a fixed buffer, marking a cut with "...". */
void result_copy(char *dst, size_t size, const char *src);

/* Appends item to a ';'-joined list in a fixed buffer. */
void result_list_add(char *list, size_t size, const char *item);

#endif
