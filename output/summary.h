/*
 * summary: the scan's adoption counters, fed one finished domain at a time, and their two
 * renderings: a human-readable report (stderr or a file at the end of a scan) and a small JSON
 * object whose keys are the stable vocabulary strings (verdict_str, issue_str, *_status_str), so
 * scripts can read it.  Pure counting: no I/O until a print function is called.
 */
#ifndef MTASTS_SUMMARY_H
#define MTASTS_SUMMARY_H

#include <stdio.h>

#include "scanner/result.h"

#define SUMMARY_TXT_N (TXT_STATUS_ERROR + 1)
#define SUMMARY_POLICY_N (POLICY_STATUS_INVALID + 1)
#define SUMMARY_STARTTLS_N (STARTTLS_NONE_OK + 1)

/* Policy modes counted among domains whose policy was fetched and valid. */
enum summary_mode { SUMMARY_MODE_ENFORCE = 0, SUMMARY_MODE_TESTING, SUMMARY_MODE_NONE, SUMMARY_MODE__COUNT };

/* Plain counters; read them directly.  Percentages of adoption use `domains` (input lines that
 * were valid domain names) as denominator, verdict percentages use `total`. */
struct summary {
    unsigned long total;          /* every row added, input_invalid included */
    unsigned long domains;        /* total minus input_invalid */
    unsigned long with_mx;        /* at least one MX host listed */
    unsigned long sts_and_tlsrpt; /* valid _mta-sts TXT and valid TLS-RPT record */
    unsigned long by_verdict[VERDICT__COUNT];
    unsigned long by_issue[ISSUE__COUNT];
    unsigned long by_txt[SUMMARY_TXT_N];
    unsigned long by_policy[SUMMARY_POLICY_N];
    unsigned long by_mode[SUMMARY_MODE__COUNT];
    unsigned long by_starttls[SUMMARY_STARTTLS_N];
    unsigned long by_tlsrpt[SUMMARY_TXT_N];
};

/* Zeroes every counter. */
void summary_init(struct summary *s);

/* Counts one finished domain (r borrowed).  input_invalid rows count only in total and verdicts. */
void summary_add(struct summary *s, const struct domain_result *r);

/* The mode's stable string: "enforce", "testing", "none". */
const char *summary_mode_str(enum summary_mode m);

/* Prints the adoption report: totals, % with MX, % with a valid _mta-sts TXT, policies by mode,
 * verdict counts with %, the most frequent issue codes, TLS-RPT adoption. */
void summary_print(const struct summary *s, FILE *f);

/* Writes one JSON object (keys = stable strings, every key present even when 0) and a newline.
 * Returns 0, or -1 when f reports a write error. */
int summary_write_json(const struct summary *s, FILE *f);

#endif
