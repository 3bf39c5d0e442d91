/*
 * classify: the verdict.  A pure function from what the stages found about one domain (DNS
 * answers, the TXT records, the policy fetch and parse, each MX host's probe) to exactly one
 * verdict and every issue code that applies, following the order documented in docs/codes.md.
 * No network, no globals: the table-driven tests in tests/test_classify.c pin it down.
 */
#ifndef MTASTS_CLASSIFY_H
#define MTASTS_CLASSIFY_H

#include "scanner/dns.h"
#include "scanner/https_fetch.h"
#include "scanner/policy.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"
#include "scanner/txt.h"

/* One MX host as the classifier sees it. */
struct classify_mx {
    const char *host;
    int probed;                 /* 0: not probed (mode, or no STARTTLS stage) */
    struct issue_set problems;  /* mx_* codes of this host; empty = a sender would deliver */
    const char *why;            /* short reason for the detail column, may be NULL */
    const char *skipped;        /* on the --blocklist, not contacted: "ADDR (ENTRY), ..." or the
                                   host name; NULL or "" = none.  All skipped: probed is 0 */
};

struct classify_facts {
    int input_invalid;
    const char *input_reason;       /* why the line is unusable */
    enum dns_status mx_dns;         /* MX lookup */
    int null_mx;
    enum dns_status implicit_addr;  /* A/AAAA of the domain when it has no MX (RFC 5321 §5.1) */
    enum dns_status sts_dns;        /* _mta-sts TXT lookup */
    const struct txt_sts *sts;      /* parsed record set, when sts_dns is an answer */
    enum dns_status tlsrpt_dns;
    const struct txt_tlsrpt *tlsrpt;
    int policy_checked;             /* 0 with --dns-only */
    enum dns_status policy_host_dns;/* A/AAAA of mta-sts.<domain> */
    int fetch_done;                 /* an HTTPS fetch ran */
    const struct https_fetch_result *fetch;
    const struct policy *policy;    /* parsed body when the fetch was OK */
    const struct classify_mx *mx;   /* the MX hosts (or the implicit MX) */
    size_t n_mx;
    int starttls_disabled;          /* --starttls none: say the verdict ignores STARTTLS */
    const char *excluded_by;        /* --blocklist entry listing the domain: nothing looked up */
    const char *policy_skipped;     /* listed policy-host addresses, "ADDR (ENTRY), ..." or NULL */
    int policy_excluded;            /* every policy-host address is listed: no fetch */
};

/* Fills r's txt_status, tlsrpt_status, mx_coverage, starttls_status, verdict, issues and adds
 * reasons to r->detail.  Other columns are the caller's. */
void classify_domain(const struct classify_facts *f, struct domain_result *r);

/* Maps a probe result to the mx_* issue codes it means (empty set = the MX passes). */
void classify_probe_issues(const struct smtp_probe_result *p, struct issue_set *out);

/* Maps a failed HTTPS fetch to its policy_* issue code. */
enum issue_code classify_fetch_issue(enum https_fetch_status s);

#endif
