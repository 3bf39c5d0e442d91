/*
 * classify: the one place that judges.  A pure function from the facts the stages collected about
 * one domain (typed DNS outcomes, the TXT records and their parse, the policy fetch and parse, the
 * raw STARTTLS probe outcomes of each MX host) to the whole row: every column of the domain table,
 * the verdict, every issue code that applies, and the domain's MX edges, following the order
 * documented in docs/codes.md.  pipeline/domain and pipeline/mxcache collect facts and never
 * decide; no network, no globals: the table-driven tests in tests/test_classify.c pin it down.
 */
#ifndef MTASTS_CLASSIFY_H
#define MTASTS_CLASSIFY_H

#include <arpa/inet.h>
#include <time.h>

#include "scanner/dns.h"
#include "scanner/https_fetch.h"
#include "scanner/policy.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"
#include "scanner/txt.h"

/* What the STARTTLS probes of one MX host found, as facts: collected by pipeline/mxcache (one per
 * host, shared by every domain that uses it), judged by classify_domain.  A compact copy of each
 * probe result: a status and certificate flags per address, and the text of the first address
 * whose probe did not end ok, so a domain's memory stays a small constant. */
struct classify_probes {
    enum dns_status addr_dns;   /* the host's A/AAAA lookup */
    int n_addr;                 /* addresses probed (0: none to probe) */
    struct {
        unsigned char status;   /* enum smtp_probe_status */
        unsigned char tls_flags;/* enum tlscheck_flag, when the handshake completed */
        unsigned char dane;     /* enum dane_match of its chain (DANE_MATCH_NONE: not judged) */
    } addr[DNS_ADDR_MAX];
    int first_bad;              /* index of the first address whose probe did not end ok; -1 */
    char bad_addr[INET6_ADDRSTRLEN];
    char bad_error[160];        /* its error text (or certificate errors) */
    char skipped[128];          /* on the --blocklist, never contacted: "ADDR (ENTRY), ..." or
                                   "HOST (ENTRY)"; "" = none.  n_addr 0 with skipped: not probed */
    time_t cert_not_after;      /* earliest certificate expiry of the handshakes; 0 none */
    /* The host's facts for DANE (RFC 7672 §2.2.2), from pipeline/mxcache; small numbers only:
     * the TLSA records themselves stay in the MX cache's entry for the host. */
    unsigned char addr_sec;     /* enum dns_sec of its address records */
    unsigned char tlsa_queried; /* 1: its TLSA records were looked up (secure address records) */
    unsigned char tlsa_sec;     /* enum dns_sec of that lookup (bogus: the host is bogus) */
    unsigned char tlsa_dns;     /* enum dns_status of that lookup */
    unsigned char n_tlsa;       /* TLSA records published (beyond DANE_TLSA_MAX counted too) */
    unsigned char n_tlsa_usable;/* of those, usable by an SMTP client (RFC 7672 §3.1.3) */
};

/* Empties p (no address, no failure) with the host lookup's outcome. */
void classify_probes_init(struct classify_probes *p, enum dns_status addr_dns);

/* Records the host's TLSA lookup (set borrowed): its outcome, DNSSEC status and record counts. */
void classify_probes_set_tlsa(struct classify_probes *p, const struct dane_tlsa_set *set);

/* Records one finished probe of address addr (text form); r borrowed.  Addresses beyond
 * DNS_ADDR_MAX are ignored. */
void classify_probes_add(struct classify_probes *p, const char *addr,
                         const struct smtp_probe_result *r);

/* One policy-host address whose fetch failed (the fetch tries each address in answer order,
 * IPv4 first, until one serves the policy). */
struct classify_fetch_try {
    char addr[INET6_ADDRSTRLEN];
    enum https_fetch_status status;
};

/* Thresholds of the advisory codes; 0 in a field = the default below; expiry_days < 0: never. */
#define CLASSIFY_MAX_AGE_MIN_ENFORCE 604800L /* one week: policy_max_age_short under enforce */
#define CLASSIFY_MAX_AGE_MIN_TESTING 86400L  /* one day: under testing */
#define CLASSIFY_STS_TTL_MIN 300L            /* sts_ttl_unusual outside [MIN, MAX] */
#define CLASSIFY_STS_TTL_MAX 3600L
#define CLASSIFY_EXPIRY_DAYS 30L             /* cert_expiring_soon within this many days */

struct classify_thresholds {
    long max_age_min_enforce, max_age_min_testing;
    long expiry_days;
};

/* One MX host as the classifier sees it. */
struct classify_mx {
    const char *host;
    int preference;                      /* -1 for the implicit MX */
    const struct classify_probes *probes;/* NULL: not probed (mode, or no STARTTLS stage) */
};

struct classify_facts {
    const char *domain;             /* as given, or the raw line when input_invalid */
    long rank;
    time_t finished_at;             /* scanned_at */
    int input_invalid;
    const char *input_reason;       /* why the line is unusable */
    enum dns_status mx_dns;         /* MX lookup */
    int null_mx;
    const struct dns_mx_answer *mx_answer; /* the MX set (hosts and preferences), may be NULL */
    int implicit_queried;           /* no MX: the domain's own A/AAAA was looked up */
    enum dns_status implicit_addr;  /* its outcome (RFC 5321 §5.1) */
    enum dns_status sts_dns;        /* _mta-sts TXT lookup */
    long sts_ttl;                   /* TTL of its TXT records; -1 none */
    const struct txt_sts *sts;      /* parsed record set, when sts_dns is an answer */
    enum dns_status tlsrpt_dns;
    const struct txt_tlsrpt *tlsrpt;
    int policy_checked;             /* 0 with --dns-only */
    int policy_queried;             /* mta-sts.<domain> was looked up */
    enum dns_status policy_host_dns;/* A/AAAA of mta-sts.<domain> */
    const struct https_fetch_result *fetch; /* NULL when no fetch ran */
    const struct policy *policy;    /* parsed body when the fetch was OK (NULL: not parsed) */
    const struct classify_mx *mx;   /* the MX hosts (or the implicit MX) */
    size_t n_mx;
    int starttls_disabled;          /* --starttls none: say the verdict ignores STARTTLS */
    const char *excluded_by;        /* --blocklist entry listing the domain: nothing looked up */
    const char *policy_skipped;     /* listed policy-host addresses, "ADDR (ENTRY), ..." or NULL */
    int policy_excluded;            /* every policy-host address is listed: no fetch */
    /* Limits of the scanner itself, which are not facts about the domain: */
    const char *cut;                /* steps --domain-timeout cut ("dns", "policy_fetch",
                                       "mx_probe", comma-joined); NULL = none */
    double domain_timeout_sec;
    const char *scanner_error;      /* the step where the scanner failed (out of memory); NULL =
                                       none (fetch and probe results say so by their status) */
    /* The advisory codes added with issue 12 (docs/codes.md): judged only when advisories is set
     * (`mtasts-scan check`, or a scan with --advisories), so that a bulk scan's rows keep their
     * meaning; policy_max_age_short is then judged per mode with the thresholds instead of the
     * parser's fixed one day. */
    int advisories;
    int sts_other_records;          /* TXT records at _mta-sts without the v=STSv1 prefix */
    const struct classify_fetch_try *fetch_failed; /* policy-host addresses that failed, in the */
    size_t n_fetch_failed;                         /* order tried (fetch is the last try) */
    struct classify_thresholds thresholds;
    /* Facts of the scan around the domain, placed in the row by classify (issue 19: the row has
     * one writer): */
    int policy_fetch_retried;       /* the policy fetch was tried again after a timeout */
    int mx_probe_retried;           /* a probe of one of its MX hosts was (--retry-timeouts) */
    time_t previous_testing_since;  /* --previous: since when its valid policy had been in mode
                                       testing at the previous scan (pipeline/monitor); 0 = not, or
                                       no previous scan */
};

/* Fills r (after result_init) from the facts: every column of the domain table and the MX edges.
 * Only check's resolver comparison adds to a row afterwards (classify_resolvers). */
void classify_domain(const struct classify_facts *f, struct domain_result *r);

/* Adds resolvers_disagree with its detail to an already classified row: the answers of several
 * resolvers differ (`mtasts-scan check --resolver A --resolver B`).  differences: one line per
 * record that differs ("_mta-sts.example.com TXT: 192.0.2.1 says ...; 192.0.2.2 says ..."),
 * "; "-joined; "" or NULL = they agree and nothing is added. */
void classify_resolvers(const char *differences, struct domain_result *r);

/* 1 when the domain of row fails (`check` exits 1, the report paints it red): a verdict other
 * than enforce_ok, testing_ok, mode_none and not_deployed, or any code of severity error. */
int classify_is_failure(const struct domain_result *row);

/* 1 when a certificate that expires at not_after (0 = unknown: never) is within expiry_days
 * (0 = CLASSIFY_EXPIRY_DAYS, < 0 = never) after now and not yet expired: the rule of
 * cert_expiring_soon, for the row and for the report's list of the hosts concerned. */
int classify_expiring_soon(time_t not_after, time_t now, long expiry_days);

/* Maps a failed HTTPS fetch to its policy_* issue code. */
enum issue_code classify_fetch_issue(enum https_fetch_status s);

#endif
