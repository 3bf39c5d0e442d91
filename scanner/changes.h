/*
 * changes: the rules that compare one domain's row in two scans (an older OLD, a newer NEW) and
 * name what changed, with a stable change code and a severity (docs/codes.md, "Changes").  Pure:
 * the rules read two compact views of a domain row (struct changes_view), a lookup of MX
 * certificate expiry dates supplied by the caller, and report rows through a callback; the file
 * handling (an index of OLD, streaming NEW, the changes CSV) is pipeline/monitor.c's.
 *
 * Also here, because the diff and the scan share it: --fail-on, a list of change codes,
 * severities, verdicts and issue codes whose occurrence makes the run exit 3.
 */
#ifndef MTASTS_CHANGES_H
#define MTASTS_CHANGES_H

#include <stdint.h>
#include <time.h>

#include "scanner/codes.h"
#include "scanner/result.h"

/* Change codes: a contract like verdicts and issue codes (add at the end, never rename). */
enum change_code {
    CHANGE_DOMAIN_ADDED = 0,             /* in NEW only */
    CHANGE_DOMAIN_REMOVED,               /* in OLD only */
    CHANGE_SCAN_INCOMPLETE,              /* a side is scanner_error / domain_timeout: not compared */
    CHANGE_POLICY_CHANGED_ID_UNCHANGED,  /* §3.1: the id MUST change with the policy */
    CHANGE_POLICY_REFORMATTED,           /* bytes differ, same mode/max_age/mx set, same id */
    CHANGE_ID_CHANGED_POLICY_UNCHANGED,  /* same bytes, new id */
    CHANGE_MODE_UPGRADED,                /* none < testing < enforce */
    CHANGE_MODE_DOWNGRADED,
    CHANGE_MAX_AGE_CHANGED,
    CHANGE_VERDICT_REGRESSED,            /* order: changes_verdict_level() */
    CHANGE_VERDICT_IMPROVED,
    CHANGE_MX_ADDED_UNCOVERED,           /* new MX host not matched by NEW's policy (§4.1) */
    CHANGE_MX_REMOVED,
    CHANGE_POLICY_MX_CHANGED,
    CHANGE_STS_REMOVED_WITHOUT_NONE,     /* §8.3: publish mode none before removing */
    CHANGE_STS_REMOVED,                  /* removed after a mode none policy (the §8.3 way) */
    CHANGE_STS_ADDED,
    CHANGE_TLSRPT_ADDED,
    CHANGE_TLSRPT_REMOVED,
    CHANGE_TLSRPT_RUA_CHANGED,
    CHANGE_CERT_EXPIRING,                /* policy host or MX cert expires within --expiry-days */
    CHANGE_CERT_EXPIRED,
    CHANGE_STUCK_IN_TESTING,             /* testing in both, scans >= --testing-days apart */
    CHANGE__COUNT
};
const char *change_code_str(enum change_code c);
int change_code_parse(const char *s); /* -1 when s is not a change code */

enum change_severity {
    CHANGE_SEVERITY_INFO = 0,
    CHANGE_SEVERITY_WARNING,
    CHANGE_SEVERITY_ERROR,
    CHANGE_SEVERITY__COUNT
};
const char *change_severity_str(enum change_severity s); /* "info", "warning", "error" */
int change_severity_parse(const char *s);                /* -1 when unknown */

/* The order of verdicts that verdict_regressed / verdict_improved follow (higher is better):
 * 4 enforce_ok; 3 testing_ok; 2 mode_none, not_deployed, no_mail, sts_unchecked (nothing
 * promised, nothing broken); 1 would_fail, invalid, dns_error (a sender's delivery or policy
 * lookup fails); 0 input_invalid, scanner_error, excluded (not facts about the domain, or not
 * looked at: no move is reported to or from them). */
int changes_verdict_level(enum verdict v);

/* What the rules read of one domain row.  Strings are borrowed ("" = none, never NULL). */
struct changes_view {
    const char *domain;
    long rank;
    time_t scanned_at;
    enum verdict verdict;
    enum txt_status txt_status;
    const char *sts_id;
    enum policy_status policy_status;
    enum policy_mode policy_mode;
    long policy_max_age;
    const char *policy_mx;      /* ';'-joined patterns */
    const char *policy_sha256;
    const char *mx;             /* ';'-joined hosts ("" = no MX) */
    int mx_answered;            /* the MX lookup answered (records, NODATA or NXDOMAIN) */
    enum txt_status tlsrpt_status;
    const char *tlsrpt_rua;
    time_t policy_cert_not_after;
    time_t testing_since;       /* the row's testing_since (0: none, or a file older than it) */
    int incomplete;             /* scanner_error or domain_timeout: facts may be missing */
};

/* Points v at r's fields (borrowed while r lives). */
void changes_view_from_result(struct changes_view *v, const struct domain_result *r);

/* One row of the changes table (SCHEMA_CHANGES). */
struct changes_row {
    char domain[RESULT_NAME_MAX];
    long rank;
    enum change_code change;
    enum change_severity severity;
    char before[RESULT_LIST_MAX];
    char after[RESULT_LIST_MAX];
    char detail[RESULT_DETAIL_MAX];
};

/* Resets row to every-cell-empty (rank -1). */
void changes_row_init(struct changes_row *row);

typedef void (*changes_emit_fn)(void *ctx, const struct changes_row *row);

/* Expiry of the certificate of MX host (lower-case name); 0 = unknown.  NULL = no MX data. */
typedef time_t (*changes_mx_cert_fn)(void *ctx, const char *host);

#define CHANGES_EXPIRY_DAYS 30L  /* the default cert_expiring window (--expiry-days) */
#define CHANGES_TESTING_DAYS 30L /* the default stuck_in_testing distance (--testing-days) */

struct changes_opts {
    long expiry_days;           /* cert_expiring window, from NEW's scanned_at (CHANGES_EXPIRY_DAYS) */
    long testing_days;          /* stuck_in_testing: scans at least this far apart (CHANGES_TESTING_DAYS) */
    changes_mx_cert_fn mx_cert; /* NEW's MX certificates; may be NULL */
    void *mx_cert_ctx;
    changes_mx_cert_fn old_mx_cert; /* OLD's, for the `before` of certificate rows; may be NULL */
    void *old_mx_cert_ctx;
    int no_certs;               /* changes_detect leaves the certificate rules out (a scan runs
                                   them with changes_detect_certs once its MX rows are known) */
};

void changes_opts_defaults(struct changes_opts *o);

/* Since when NEW's valid policy has been in mode testing without a break, as far as OLD shows:
 * OLD's testing_since (its scan time for a file without the column) when both are in mode
 * testing, else NEW's own.  0 when NEW is not in mode testing.  old may be NULL.  Pure. */
time_t changes_testing_since(const struct changes_view *old, const struct changes_view *new);

/* Reports every change between old and new (either may be NULL: domain added / removed) through
 * emit, in code order, one row per (domain, change).  Returns the number of rows. */
int changes_detect(const struct changes_view *old, const struct changes_view *new,
                   const struct changes_opts *o, changes_emit_fn emit, void *ctx);

/* The certificate rules alone (cert_expired, cert_expiring) for new; old (may be NULL) gives the
 * rows' `before`.  Returns the rows. */
int changes_detect_certs(const struct changes_view *old, const struct changes_view *new,
                         const struct changes_opts *o, changes_emit_fn emit, void *ctx);

/* ---- --fail-on ---- */

struct changes_failon {
    uint32_t changes;     /* bit per enum change_code */
    uint32_t severities;  /* bit per enum change_severity */
    uint32_t verdicts;    /* bit per enum verdict */
    uint64_t issues;      /* bit per enum issue_code */
};

/* Parses "error,would_fail,mx_not_covered,...": each comma-separated item is a change code, a
 * severity, a verdict or an issue code (a name that is several sets all of them).  Returns 0, or
 * -1 with the unknown item named in err (errlen bytes). */
int changes_failon_parse(const char *list, struct changes_failon *f, char *err, size_t errlen);

/* 1 when f lists the change row's code or severity. */
int changes_failon_row(const struct changes_failon *f, const struct changes_row *row);

/* 1 when f lists r's verdict or one of its issue codes (plain scans). */
int changes_failon_result(const struct changes_failon *f, const struct domain_result *r);

#endif
