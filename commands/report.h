/*
 * report: one domain explained, for `mtasts-scan check` (commands/check.c).  Pure formatting of
 * what a scan found about one domain (the classified row plus the evidence the scan keeps only for
 * reports: every TXT record, the policy text, each policy-host address's fetch, each MX address's
 * probe) as a terminal report (80 columns, colour on request) or one JSON object, with every
 * finding's code, severity, RFC rule and a fix written for that domain.  It judges nothing itself:
 * the verdict, the codes, which domain fails (classify_is_failure) and which certificates expire
 * soon (classify_expiring_soon) are scanner/classify's; which TXT records count is txt's
 * (txt_is_candidate); the severities, rules and fix templates (and how a template is filled in) are scanner/codes'.  No network, no
 * globals: tests/test_report.c pins it down.
 */
#ifndef MTASTS_REPORT_H
#define MTASTS_REPORT_H

#include <stdio.h>

#include "scanner/dns.h"
#include "scanner/https_fetch.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"
#include "scanner/txt.h"

#define REPORT_WIDTH 80

/* One STARTTLS probe of one MX address (borrowed). */
struct report_probe {
    const char *host;
    const char *addr;
    const struct smtp_probe_result *res;
};

/* Everything the report shows about one domain; every pointer borrowed, NULL/0 = not known. */
struct report_view {
    const struct domain_result *row;         /* required */
    const struct dns_mx_answer *mx;          /* the MX answer (preferences) */
    const struct txt_record *sts_txt;        /* every record at _mta-sts, as published (the
                                                text form escapes for the terminal, the JSON
                                                carries the bytes) */
    size_t n_sts_txt;
    const struct txt_record *tlsrpt_txt;     /* every record at _smtp._tls, as published */
    size_t n_tlsrpt_txt;
    long tlsrpt_ttl;                         /* -1 unknown */
    const char *const *policy_addr;          /* addresses of mta-sts.<d>, in answer order */
    size_t n_policy_addr;
    const char *const *fetch_addr;           /* the addresses fetched, in order ... */
    const struct https_fetch_result *fetch;  /* ... and their results */
    size_t n_fetch;
    const char *policy_body;                 /* the policy as served, NUL-terminated */
    const struct report_probe *probes;       /* every MX probe, any order */
    size_t n_probes;
    int n_resolvers;                         /* resolvers compared (>= 2 with --resolver x2) */
    long expiry_days;                        /* the cert_expiring_soon window (for the text) */
};

/* Writes the fix of code c for the domain of v: issue_fix_fill (scanner/codes) with {hosts} the
 * hosts the code concerns, from the row's MX edges and the probes.  Always NUL-terminated. */
void report_fix(enum issue_code c, const struct report_view *v, char *buf, size_t size);

/* The report as text for a terminal, lines at most REPORT_WIDTH columns; colour: ANSI colours. */
void report_text(FILE *out, const struct report_view *v, int colour);

/* The report as one JSON object on one line (docs/check.md lists the fields). */
void report_json(FILE *out, const struct report_view *v);

/* Prints text wrapped at width columns (UTF-8 aware: a character counts one column), the first
 * line after first_indent spaces, the following after more_indent. */
void report_wrap(FILE *out, const char *text, int first_indent, int more_indent, int width);

#endif
