/*
 * test_changes: every change rule of scanner/changes.c on pairs of domain rows (both directions
 * of verdict and mode moves, a policy changed only in whitespace/line endings, certificates at the
 * edges of the window), --fail-on parsing and matching, and `mtasts-scan diff` over real files
 * whose rows are in different orders (the changes table read back through the schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "commands/diff.h"
#include "pipeline/monitor.h"
#include "scanner/changes.h"
#include "tests/support/files.h"

#define DAY 86400L
#define T0 1795000000L /* 2026-11-18T11:06:40Z */
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* ---- collecting rows ---- */

struct rows {
    struct changes_row row[32];
    int n;
};

static void collect(void *ctx, const struct changes_row *row)
{
    struct rows *r = ctx;
    assert_true(r->n < 32);
    r->row[r->n++] = *row;
}

static const struct changes_row *find(const struct rows *r, enum change_code c)
{
    for (int i = 0; i < r->n; i++)
        if (r->row[i].change == c)
            return &r->row[i];
    return NULL;
}

/* A deployed, enforcing, passing domain scanned at T0. */
static void deployed(struct domain_result *r, const char *domain)
{
    result_init(r);
    snprintf(r->domain, sizeof(r->domain), "%s", domain);
    r->rank = 7;
    snprintf(r->mx, sizeof(r->mx), "mx1.%s;mx2.%s", domain, domain);
    r->txt_status = TXT_STATUS_OK;
    snprintf(r->sts_id, sizeof(r->sts_id), "id1");
    r->policy_status = POLICY_STATUS_OK;
    r->http_status = 200;
    r->policy_mode = POLICY_MODE_ENFORCE;
    r->policy_max_age = 604800;
    snprintf(r->policy_mx, sizeof(r->policy_mx), "*.%s", domain);
    r->mx_coverage = MX_COVERAGE_ALL;
    r->tlsrpt_status = TXT_STATUS_OK;
    snprintf(r->tlsrpt_rua, sizeof(r->tlsrpt_rua), "mailto:tls@%s", domain);
    r->verdict = VERDICT_ENFORCE_OK;
    r->scanned_at = T0;
    snprintf(r->policy_sha256, sizeof(r->policy_sha256), SHA_A);
    r->policy_cert_not_after = T0 + 365 * DAY;
}

static time_t no_mx_cert(void *ctx, const char *host)
{
    (void)ctx;
    (void)host;
    return 0;
}

/* Runs the rules on (old, new); either may be NULL. */
static struct rows detect_opts(const struct domain_result *o, const struct domain_result *n,
                               const struct changes_opts *opts)
{
    struct changes_view ov, nv;
    if (o)
        changes_view_from_result(&ov, o);
    if (n)
        changes_view_from_result(&nv, n);
    struct rows rows;
    memset(&rows, 0, sizeof(rows));
    int k = changes_detect(o ? &ov : NULL, n ? &nv : NULL, opts, collect, &rows);
    assert_int_equal(k, rows.n);
    return rows;
}

static struct rows detect(const struct domain_result *o, const struct domain_result *n)
{
    struct changes_opts opts;
    changes_opts_defaults(&opts);
    opts.mx_cert = no_mx_cert;
    return detect_opts(o, n, &opts);
}

/* ---- the rules ---- */

static void test_identical_rows_no_change(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    b.scanned_at = T0 + DAY;
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 0);
}

static void test_policy_changed_id_unchanged(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    snprintf(b.policy_sha256, sizeof(b.policy_sha256), SHA_B);
    b.policy_max_age = 86400;
    struct rows r = detect(&a, &b);
    const struct changes_row *c = find(&r, CHANGE_POLICY_CHANGED_ID_UNCHANGED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_ERROR);
    assert_string_equal(c->before, SHA_A);
    assert_string_equal(c->after, SHA_B);
    assert_string_equal(c->domain, "example.com");
    assert_int_equal(c->rank, 7);
    assert_non_null(find(&r, CHANGE_MAX_AGE_CHANGED));
    assert_null(find(&r, CHANGE_POLICY_REFORMATTED));
    /* the same change with a new id is a proper rotation: only the field codes */
    snprintf(b.sts_id, sizeof(b.sts_id), "id2");
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_POLICY_CHANGED_ID_UNCHANGED));
    assert_null(find(&r, CHANGE_ID_CHANGED_POLICY_UNCHANGED));
    assert_non_null(find(&r, CHANGE_MAX_AGE_CHANGED));
}

/* Only whitespace / line endings / mx order changed: the bytes' hash differs, what a sender
 * applies does not.  Decision (docs/codes.md): policy_reformatted (info), not an error. */
static void test_whitespace_only_policy_change(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    snprintf(a.policy_mx, sizeof(a.policy_mx), "mx1.example.com;*.example.net");
    deployed(&b, "example.com");
    snprintf(b.policy_mx, sizeof(b.policy_mx), "*.example.net;MX1.example.com");
    snprintf(b.policy_sha256, sizeof(b.policy_sha256), SHA_B);
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_POLICY_REFORMATTED);
    assert_int_equal(r.row[0].severity, CHANGE_SEVERITY_INFO);
    /* a policy that no longer parses is not cosmetic */
    b.policy_status = POLICY_STATUS_INVALID;
    b.policy_mode = POLICY_MODE_UNSET;
    b.verdict = VERDICT_INVALID;
    r = detect(&a, &b);
    assert_non_null(find(&r, CHANGE_POLICY_CHANGED_ID_UNCHANGED));
    assert_null(find(&r, CHANGE_POLICY_REFORMATTED));
}

static void test_id_changed_policy_unchanged(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    snprintf(b.sts_id, sizeof(b.sts_id), "id2");
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_ID_CHANGED_POLICY_UNCHANGED);
    assert_string_equal(r.row[0].before, "id1");
    assert_string_equal(r.row[0].after, "id2");
}

static void test_mode_moves_both_directions(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    b.policy_mode = POLICY_MODE_TESTING;
    b.verdict = VERDICT_TESTING_OK;
    snprintf(b.sts_id, sizeof(b.sts_id), "id2");
    snprintf(b.policy_sha256, sizeof(b.policy_sha256), SHA_B);
    struct rows down = detect(&a, &b);
    const struct changes_row *c = find(&down, CHANGE_MODE_DOWNGRADED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_WARNING);
    assert_string_equal(c->before, "enforce");
    assert_string_equal(c->after, "testing");
    assert_null(find(&down, CHANGE_MODE_UPGRADED));
    struct rows up = detect(&b, &a);
    c = find(&up, CHANGE_MODE_UPGRADED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_INFO);
    assert_null(find(&up, CHANGE_MODE_DOWNGRADED));
    /* none < testing */
    a.policy_mode = POLICY_MODE_NONE;
    a.verdict = VERDICT_MODE_NONE;
    up = detect(&a, &b);
    assert_non_null(find(&up, CHANGE_MODE_UPGRADED));
}

static void test_verdict_moves_both_directions(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    b.verdict = VERDICT_WOULD_FAIL;
    struct rows r = detect(&a, &b);
    const struct changes_row *c = find(&r, CHANGE_VERDICT_REGRESSED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_ERROR);
    assert_string_equal(c->before, "enforce_ok");
    assert_string_equal(c->after, "would_fail");
    r = detect(&b, &a);
    c = find(&r, CHANGE_VERDICT_IMPROVED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_INFO);
    assert_null(find(&r, CHANGE_VERDICT_REGRESSED));
    /* a regression that breaks nothing is a warning */
    b.verdict = VERDICT_TESTING_OK;
    r = detect(&a, &b);
    c = find(&r, CHANGE_VERDICT_REGRESSED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_WARNING);
    /* same level: no move (not_deployed and no_mail promise nothing either way) */
    a.verdict = VERDICT_NOT_DEPLOYED;
    b.verdict = VERDICT_NO_MAIL;
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_VERDICT_REGRESSED));
    assert_null(find(&r, CHANGE_VERDICT_IMPROVED));
    /* input_invalid is not a fact about the domain */
    a.verdict = VERDICT_INPUT_INVALID;
    b.verdict = VERDICT_WOULD_FAIL;
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_VERDICT_REGRESSED));
    assert_int_equal(changes_verdict_level(VERDICT_ENFORCE_OK), 4);
    assert_true(changes_verdict_level(VERDICT_DNS_ERROR) < changes_verdict_level(VERDICT_NOT_DEPLOYED));
}

static void test_mx_rules(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    snprintf(b.mx, sizeof(b.mx), "mx1.example.com;mx3.example.com;mail.other.net");
    struct rows r = detect(&a, &b);
    const struct changes_row *c = find(&r, CHANGE_MX_ADDED_UNCOVERED);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_ERROR);
    assert_non_null(strstr(c->detail, "mail.other.net"));
    assert_null(strstr(c->detail, "mx3.example.com")); /* covered by *.example.com */
    c = find(&r, CHANGE_MX_REMOVED);
    assert_non_null(c);
    assert_non_null(strstr(c->detail, "mx2.example.com"));
    /* testing mode: a warning */
    b.policy_mode = a.policy_mode = POLICY_MODE_TESTING;
    r = detect(&a, &b);
    assert_int_equal(find(&r, CHANGE_MX_ADDED_UNCOVERED)->severity, CHANGE_SEVERITY_WARNING);
    /* a covered addition is no alert */
    snprintf(b.mx, sizeof(b.mx), "mx1.example.com;mx2.example.com;mx3.example.com");
    r = detect(&a, &b);
    assert_int_equal(r.n, 0);
    /* an MX lookup that failed says nothing about the MX set */
    snprintf(b.mx, sizeof(b.mx), "%s", "");
    b.mx_dns = DNS_SERVFAIL;
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_MX_REMOVED));
}

static void test_policy_mx_changed(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    snprintf(b.policy_mx, sizeof(b.policy_mx), "*.example.com;mx.backup.net");
    snprintf(b.sts_id, sizeof(b.sts_id), "id2");
    snprintf(b.policy_sha256, sizeof(b.policy_sha256), SHA_B);
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_POLICY_MX_CHANGED);
    assert_string_equal(r.row[0].before, "*.example.com");
    assert_string_equal(r.row[0].after, "*.example.com;mx.backup.net");
}

static void not_deployed(struct domain_result *r, const char *domain)
{
    deployed(r, domain);
    r->txt_status = TXT_STATUS_MISSING;
    r->sts_id[0] = '\0';
    r->policy_status = POLICY_STATUS_NOT_FETCHED;
    r->http_status = 0;
    r->policy_mode = POLICY_MODE_UNSET;
    r->policy_max_age = -1;
    r->policy_mx[0] = '\0';
    r->mx_coverage = MX_COVERAGE_NOT_CHECKED;
    r->policy_sha256[0] = '\0';
    r->policy_cert_not_after = 0;
    r->verdict = VERDICT_NOT_DEPLOYED;
}

static void test_sts_removed_added(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    not_deployed(&b, "example.com");
    struct rows r = detect(&a, &b);
    const struct changes_row *c = find(&r, CHANGE_STS_REMOVED_WITHOUT_NONE);
    assert_non_null(c);
    assert_int_equal(c->severity, CHANGE_SEVERITY_ERROR);
    assert_string_equal(c->before, "id1");
    assert_null(find(&r, CHANGE_STS_REMOVED));
    assert_non_null(find(&r, CHANGE_VERDICT_REGRESSED)); /* enforce_ok -> not_deployed: warning */
    assert_int_equal(find(&r, CHANGE_VERDICT_REGRESSED)->severity, CHANGE_SEVERITY_WARNING);
    /* the §8.3 way: mode none first */
    a.policy_mode = POLICY_MODE_NONE;
    a.verdict = VERDICT_MODE_NONE;
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_STS_REMOVED_WITHOUT_NONE));
    assert_int_equal(find(&r, CHANGE_STS_REMOVED)->severity, CHANGE_SEVERITY_INFO);
    /* a failed lookup is not a removal */
    b.txt_status = TXT_STATUS_ERROR;
    b.verdict = VERDICT_DNS_ERROR;
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_STS_REMOVED));
    assert_null(find(&r, CHANGE_STS_REMOVED_WITHOUT_NONE));
    /* added */
    b.txt_status = TXT_STATUS_MISSING;
    deployed(&a, "example.com");
    r = detect(&b, &a);
    c = find(&r, CHANGE_STS_ADDED);
    assert_non_null(c);
    assert_string_equal(c->after, "id1");
}

static void test_tlsrpt_rules(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    b.tlsrpt_status = TXT_STATUS_MISSING;
    b.tlsrpt_rua[0] = '\0';
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_TLSRPT_REMOVED);
    assert_int_equal(r.row[0].severity, CHANGE_SEVERITY_WARNING);
    r = detect(&b, &a);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_TLSRPT_ADDED);
    deployed(&b, "example.com");
    snprintf(b.tlsrpt_rua, sizeof(b.tlsrpt_rua), "mailto:other@example.net");
    r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_TLSRPT_RUA_CHANGED);
    assert_string_equal(r.row[0].after, "mailto:other@example.net");
}

static time_t mx_cert_table(void *ctx, const char *host)
{
    (void)ctx;
    if (strcmp(host, "mx1.example.com") == 0)
        return T0 + 10 * DAY;
    if (strcmp(host, "mx2.example.com") == 0)
        return T0 - DAY;
    return 0;
}

static void test_certificates(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    deployed(&b, "example.com");
    b.policy_cert_not_after = T0 + 29 * DAY; /* inside the default 30-day window */
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_CERT_EXPIRING);
    assert_int_equal(r.row[0].severity, CHANGE_SEVERITY_WARNING);
    assert_string_equal(r.row[0].after, "2026-12-17T11:06:40Z");
    assert_string_equal(r.row[0].before, "2027-11-18T11:06:40Z"); /* renewed to a shorter one */
    a.policy_cert_not_after = b.policy_cert_not_after;
    r = detect(&a, &b);
    assert_string_equal(r.row[0].before, r.row[0].after); /* the same certificate: not renewed */
    r = detect(NULL, &b);
    assert_string_equal(find(&r, CHANGE_CERT_EXPIRING)->before, ""); /* no old scan to tell */
    b.policy_cert_not_after = T0 + 31 * DAY;
    r = detect(&a, &b);
    assert_int_equal(r.n, 0);
    b.policy_cert_not_after = T0; /* expires the second it was seen */
    r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_CERT_EXPIRED);
    assert_int_equal(r.row[0].severity, CHANGE_SEVERITY_ERROR);
    /* MX certificates from the MX table, with a narrower window */
    struct changes_opts opts;
    changes_opts_defaults(&opts);
    opts.mx_cert = mx_cert_table;
    opts.expiry_days = 11;
    b.policy_cert_not_after = T0 + 365 * DAY;
    r = detect_opts(&a, &b, &opts);
    assert_int_equal(r.n, 2);
    assert_non_null(strstr(find(&r, CHANGE_CERT_EXPIRING)->detail, "MX mx1.example.com"));
    assert_non_null(strstr(find(&r, CHANGE_CERT_EXPIRED)->detail, "MX mx2.example.com"));
    assert_string_equal(find(&r, CHANGE_CERT_EXPIRING)->before, "");
    opts.old_mx_cert = mx_cert_table; /* --old-mx: the same dates the day before */
    r = detect_opts(&a, &b, &opts);
    assert_string_equal(find(&r, CHANGE_CERT_EXPIRING)->before, find(&r, CHANGE_CERT_EXPIRING)->after);
    assert_string_equal(find(&r, CHANGE_CERT_EXPIRED)->before, find(&r, CHANGE_CERT_EXPIRED)->after);
    opts.old_mx_cert = NULL;
    opts.expiry_days = 10; /* exactly 10 days left is outside a 10-day window */
    r = detect_opts(&a, &b, &opts);
    assert_null(find(&r, CHANGE_CERT_EXPIRING));
    /* MX certificates only matter to a domain that publishes MTA-STS */
    not_deployed(&b, "example.com");
    r = detect_opts(&b, &b, &opts);
    assert_int_equal(r.n, 0);
}

static void test_stuck_in_testing(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    a.policy_mode = POLICY_MODE_TESTING;
    a.verdict = VERDICT_TESTING_OK;
    b = a;
    b.scanned_at = T0 + 29 * DAY;
    struct rows r = detect(&a, &b);
    assert_int_equal(r.n, 0);
    b.scanned_at = T0 + 30 * DAY;
    r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_STUCK_IN_TESTING);
    assert_int_equal(r.row[0].severity, CHANGE_SEVERITY_WARNING);
    b.policy_mode = POLICY_MODE_ENFORCE;
    b.verdict = VERDICT_ENFORCE_OK;
    r = detect(&a, &b);
    assert_null(find(&r, CHANGE_STUCK_IN_TESTING));
}

/* A series of scans extends it: day 0, 20 and 40 all in testing, each scan carrying testing_since
 * from the previous one (as --previous does); the pair (day 20, day 40) is only 20 days apart
 * but the run is 40 days long. */
static void test_stuck_in_testing_series(void **state)
{
    (void)state;
    struct domain_result d0, d20, d40;
    deployed(&d0, "example.com");
    d0.policy_mode = POLICY_MODE_TESTING;
    d0.verdict = VERDICT_TESTING_OK;
    d0.testing_since = d0.scanned_at; /* as classify sets it */
    d20 = d0;
    d20.scanned_at = d20.testing_since = T0 + 20 * DAY;
    d40 = d0;
    d40.scanned_at = d40.testing_since = T0 + 40 * DAY;
    struct changes_view v0, v20, v40;
    changes_view_from_result(&v0, &d0);
    changes_view_from_result(&v20, &d20);
    assert_int_equal(changes_testing_since(&v0, &v20), T0); /* carried back */
    d20.testing_since = T0;
    struct rows r = detect(&d20, &d40);
    const struct changes_row *row = find(&r, CHANGE_STUCK_IN_TESTING);
    assert_non_null(row);
    assert_non_null(strstr(row->detail, "for 40 days"));
    /* without the carried start (a plain pair 20 days apart): nothing */
    d20.testing_since = T0 + 20 * DAY;
    r = detect(&d20, &d40);
    assert_null(find(&r, CHANGE_STUCK_IN_TESTING));
    /* a break in the run (enforce on day 20) starts it again on day 40 */
    d20.policy_mode = POLICY_MODE_ENFORCE;
    changes_view_from_result(&v20, &d20);
    changes_view_from_result(&v40, &d40);
    assert_int_equal(changes_testing_since(&v20, &v40), T0 + 40 * DAY);
    assert_int_equal(changes_testing_since(NULL, &v40), T0 + 40 * DAY);
    /* not in testing now: none */
    assert_int_equal(changes_testing_since(&v40, &v20), 0);
    /* an old file without the column: its scan time starts the run */
    d0.testing_since = 0;
    changes_view_from_result(&v0, &d0);
    d20.policy_mode = POLICY_MODE_TESTING;
    changes_view_from_result(&v20, &d20);
    assert_int_equal(changes_testing_since(&v0, &v20), T0);
}

static void test_added_removed_incomplete(void **state)
{
    (void)state;
    struct domain_result a, b;
    deployed(&a, "example.com");
    struct rows r = detect(NULL, &a);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_DOMAIN_ADDED);
    assert_string_equal(r.row[0].after, "enforce_ok");
    r = detect(&a, NULL);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_DOMAIN_REMOVED);
    assert_int_equal(r.row[0].rank, 7);
    /* a domain the new scan cut short is not compared field by field */
    not_deployed(&b, "example.com");
    issue_set_add(&b.issues, ISSUE_DOMAIN_TIMEOUT);
    r = detect(&a, &b);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].change, CHANGE_SCAN_INCOMPLETE);
}

/* The strings are a contract (docs/codes.md, "Changes"): pinned here in enum order. */
static void test_codes_round_trip(void **state)
{
    (void)state;
    static const char *const pinned[CHANGE__COUNT] = {
        "domain_added", "domain_removed", "scan_incomplete", "policy_changed_id_unchanged",
        "policy_reformatted", "id_changed_policy_unchanged", "mode_upgraded", "mode_downgraded",
        "max_age_changed", "verdict_regressed", "verdict_improved", "mx_added_uncovered",
        "mx_removed", "policy_mx_changed", "sts_removed_without_none", "sts_removed", "sts_added",
        "tlsrpt_added", "tlsrpt_removed", "tlsrpt_rua_changed", "cert_expiring", "cert_expired",
        "stuck_in_testing",
    };
    for (int c = 0; c < CHANGE__COUNT; c++)
        assert_string_equal(change_code_str((enum change_code)c), pinned[c]);
    for (int c = 0; c < CHANGE__COUNT; c++)
        assert_int_equal(change_code_parse(change_code_str((enum change_code)c)), c);
    for (int s = 0; s < CHANGE_SEVERITY__COUNT; s++)
        assert_int_equal(change_severity_parse(change_severity_str((enum change_severity)s)), s);
    assert_int_equal(change_code_parse("nonsense"), -1);
}

static void test_failon(void **state)
{
    (void)state;
    struct changes_failon f;
    char err[128];
    assert_int_equal(changes_failon_parse("warning,sts_added,would_fail,mx_not_covered", &f, err,
                                          sizeof(err)), 0);
    struct changes_row row;
    changes_row_init(&row);
    row.change = CHANGE_MODE_DOWNGRADED;
    row.severity = CHANGE_SEVERITY_WARNING;
    assert_true(changes_failon_row(&f, &row));
    row.severity = CHANGE_SEVERITY_INFO;
    assert_false(changes_failon_row(&f, &row));
    row.change = CHANGE_STS_ADDED;
    assert_true(changes_failon_row(&f, &row));
    struct domain_result r;
    deployed(&r, "example.com");
    assert_false(changes_failon_result(&f, &r));
    r.verdict = VERDICT_WOULD_FAIL;
    assert_true(changes_failon_result(&f, &r));
    r.verdict = VERDICT_ENFORCE_OK;
    issue_set_add(&r.issues, ISSUE_MX_NOT_COVERED);
    assert_true(changes_failon_result(&f, &r));
    assert_int_equal(changes_failon_parse("", &f, err, sizeof(err)), -1);
    assert_int_equal(changes_failon_parse(",", &f, err, sizeof(err)), -1);
    assert_int_equal(changes_failon_parse("error,bogus", &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bogus"));
}

/* ---- diff over files ---- */

static void write_table(const char *path, struct domain_result *rows, const int *order, int n)
{
    struct zwriter_error e;
    struct csvout *c = csvout_open(path, SCHEMA_DOMAIN, &e);
    assert_non_null(c);
    for (int i = 0; i < n; i++)
        assert_int_equal(csvout_write_domain(c, &rows[order[i]]), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &e), ZWRITER_OK);
}

/* Runs diff; returns its exit status.  argv NULL-terminated after "diff". */
static int run_diff(const char *const *args)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"diff";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    int rc = diff_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return rc;
}

/* Reads a changes table back through the schema: "domain change" lines, sorted. */
static int read_changes(const char *path, char lines[][300], int max)
{
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_CHANGES, &e);
    assert_non_null(in);
    struct changes_row row;
    int n = 0;
    while (csvin_next(in, &row) == 1) {
        assert_true(n < max);
        snprintf(lines[n++], 300, "%s %s", row.domain, change_code_str(row.change));
    }
    assert_int_equal(csvin_error(in)->status, CSVIN_OK);
    csvin_close(in);
    qsort(lines, (size_t)n, 300, (int (*)(const void *, const void *))strcmp);
    return n;
}

static void test_diff_files_any_order(void **state)
{
    (void)state;
    static struct domain_result old[4], new[4];
    deployed(&old[0], "a.example");
    deployed(&old[1], "b.example");
    deployed(&old[2], "c.example");
    deployed(&old[3], "gone.example");
    deployed(&new[0], "a.example");           /* unchanged */
    deployed(&new[1], "b.example");           /* policy changed, id kept */
    snprintf(new[1].policy_sha256, sizeof(new[1].policy_sha256), SHA_B);
    new[1].policy_mode = POLICY_MODE_TESTING;
    new[1].verdict = VERDICT_TESTING_OK;
    not_deployed(&new[2], "c.example");       /* record removed without mode none */
    deployed(&new[3], "new.example");         /* added */
    for (int i = 0; i < 4; i++)
        new[i].scanned_at = T0 + DAY;
    char po[128], pn1[128], pn2[128], ch1[128], ch2[128];
    files_tmp_path(po, sizeof(po), "old.csv");
    files_tmp_path(pn1, sizeof(pn1), "new1.csv.zst");
    files_tmp_path(pn2, sizeof(pn2), "new2.csv");
    files_tmp_path(ch1, sizeof(ch1), "changes1.csv.zst");
    files_tmp_path(ch2, sizeof(ch2), "changes2.csv");
    write_table(po, old, (const int[]){2, 0, 3, 1}, 4);
    write_table(pn1, new, (const int[]){0, 1, 2, 3}, 4);
    write_table(pn2, new, (const int[]){3, 2, 1, 0}, 4);
    assert_int_equal(run_diff((const char *const[]){po, pn1, "-o", ch1, NULL}), DIFF_EXIT_OK);
    assert_int_equal(run_diff((const char *const[]){po, pn2, "-o", ch2, "--fail-on", "error", NULL}),
                     DIFF_EXIT_FAIL_ON);
    char a[16][300], b[16][300];
    int na = read_changes(ch1, a, 16), nb = read_changes(ch2, b, 16);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++)
        assert_string_equal(a[i], b[i]);
    const char *want[] = {
        "b.example mode_downgraded", "b.example policy_changed_id_unchanged",
        "b.example verdict_regressed", "c.example sts_removed_without_none",
        "c.example verdict_regressed", "gone.example domain_removed", "new.example domain_added",
    };
    assert_int_equal(na, 7);
    for (int i = 0; i < na; i++)
        assert_string_equal(a[i], want[i]);
    /* only info findings listed: exit 0 under --fail-on sts_added */
    assert_int_equal(run_diff((const char *const[]){po, pn2, "-o", ch2, "--fail-on", "sts_added", NULL}),
                     DIFF_EXIT_OK);
    assert_int_equal(run_diff((const char *const[]){po, NULL}), DIFF_EXIT_USAGE);
    assert_int_equal(run_diff((const char *const[]){po, pn2, "--fail-on", "nope", NULL}), DIFF_EXIT_USAGE);
    assert_int_equal(run_diff((const char *const[]){po, pn2, "-o", pn2, NULL}), DIFF_EXIT_USAGE);
    struct csvin_error ce; /* NEW was not truncated by the refused -o */
    struct csvin *in = csvin_open(pn2, SCHEMA_DOMAIN, &ce);
    assert_non_null(in);
    int rows = 0;
    while (csvin_next(in, &new[0]) == 1)
        rows++;
    csvin_close(in);
    assert_int_equal(rows, 4);
}

/* Issue 20: `diff --fail-on` lists verdicts and issue codes too; they match NEW's rows (as they
 * match a scan's), so NEW with a would_fail row exits 3 even when nothing changed. */
static void test_diff_fail_on_rows(void **state)
{
    (void)state;
    static struct domain_result rows[2];
    deployed(&rows[0], "a.example");
    deployed(&rows[1], "b.example");
    rows[1].verdict = VERDICT_WOULD_FAIL;
    issue_set_add(&rows[1].issues, ISSUE_MX_NOT_COVERED);
    char po[128], pn[128];
    files_tmp_path(po, sizeof(po), "failon-old.csv");
    files_tmp_path(pn, sizeof(pn), "failon-new.csv");
    write_table(po, rows, (const int[]){0, 1}, 2);
    write_table(pn, rows, (const int[]){1, 0}, 2); /* the same rows: no change at all */
    const char *const no_change[] = {po, pn, "-o", "/dev/null", "--fail-on", "error,warning", NULL};
    assert_int_equal(run_diff(no_change), DIFF_EXIT_OK);
    const char *const verdict[] = {po, pn, "-o", "/dev/null", "--fail-on", "would_fail", NULL};
    assert_int_equal(run_diff(verdict), DIFF_EXIT_FAIL_ON);
    const char *const issue[] = {po, pn, "-o", "/dev/null", "--fail-on", "mx_not_covered", NULL};
    assert_int_equal(run_diff(issue), DIFF_EXIT_FAIL_ON);
    const char *const other[] = {po, pn, "-o", "/dev/null", "--fail-on", "dns_error,no_mail", NULL};
    assert_int_equal(run_diff(other), DIFF_EXIT_OK);
}

/* Issue 20: what goes wrong with --previous is said with the program's prefix and the option. */
static void test_previous_messages(void **state)
{
    (void)state;
    char bad[128], text[1024];
    files_tmp_path(bad, sizeof(bad), "prev-bad.csv");
    files_write_text(bad, "rank,name\n1,x\n");
    const char *paths[] = {"/nonexistent/prev.csv", bad};
    struct changes_opts o;
    changes_opts_defaults(&o);
    for (int i = 0; i < 2; i++) {
        FILE *err = tmpfile();
        assert_null(monitor_open("mtasts-scan: --previous", paths[i], NULL, &o, NULL, 0, err));
        rewind(err);
        text[fread(text, 1, sizeof(text) - 1, err)] = '\0';
        fclose(err);
        if (strncmp(text, "mtasts-scan: --previous: ", 25) != 0 || !strstr(text, paths[i]))
            fail_msg("%s: %s", paths[i], text);
    }
}

/* A diff that fails (NEW is not a domain table) leaves an existing -o file exactly as it was and
 * no work file: CHANGES is written through CHANGES.partial like a scan's outputs (issue 20). */
static void test_diff_failure_keeps_output(void **state)
{
    (void)state;
    static struct domain_result old[1];
    deployed(&old[0], "a.example");
    char po[128], bad[128], ch[128], work[160];
    files_tmp_path(po, sizeof(po), "keep-old.csv");
    files_tmp_path(bad, sizeof(bad), "keep-bad.csv");
    files_tmp_path(ch, sizeof(ch), "keep-changes.csv");
    snprintf(work, sizeof(work), "%s.partial", ch);
    write_table(po, old, (const int[]){0}, 1);
    files_write_text(bad, "rank,name\n1,x\n");
    files_write_text(ch, "yesterday's changes\n");
    assert_int_equal(run_diff((const char *const[]){po, bad, "-o", ch, NULL}), DIFF_EXIT_FATAL);
    files_expect_text(ch, "yesterday's changes\n");
    assert_int_equal(access(work, F_OK), -1);
}

/* diff and --previous refuse an incomplete table (issue 20: a day cut short read as 1,553
 * domain_added): OLD or NEW named as a work file, or cut inside a row; --allow-partial compares
 * the complete rows with a warning, and an incomplete NEW lists no domain_removed. */
static void test_diff_incomplete_refused(void **state)
{
    (void)state;
    static struct domain_result old[3];
    deployed(&old[0], "a.example");
    deployed(&old[1], "b.example");
    deployed(&old[2], "c.example");
    char po[128], work[128], cut[128], ch[128];
    files_tmp_path(po, sizeof(po), "inc-old.csv");
    files_tmp_path(work, sizeof(work), "inc-day.csv.partial.zst");
    files_tmp_path(cut, sizeof(cut), "inc-cut.csv");
    files_tmp_path(ch, sizeof(ch), "inc-changes.csv");
    write_table(po, old, (const int[]){0, 1, 2}, 3);
    write_table(work, old, (const int[]){0}, 1); /* an interrupted day: 1 of 3 rows */
    write_table(cut, old, (const int[]){0, 1}, 2);
    size_t len;
    char *text = files_slurp(cut, &len);
    files_write(cut, text, len - 20); /* the second row cut in the middle, as by a full disk */
    free(text);
    /* as OLD: refused, or compared with --allow-partial */
    assert_int_equal(run_diff((const char *const[]){work, po, "-o", ch, NULL}), DIFF_EXIT_FATAL);
    assert_int_equal(access(ch, F_OK), -1);
    assert_int_equal(run_diff((const char *const[]){cut, po, "-o", ch, NULL}), DIFF_EXIT_FATAL);
    assert_int_equal(run_diff((const char *const[]){work, po, "-o", ch, "--allow-partial", NULL}), DIFF_EXIT_OK);
    char lines[8][300];
    assert_int_equal(read_changes(ch, lines, 8), 2); /* b and c: domain_added, as told */
    unlink(ch);
    /* as NEW: refused; allowed, no domain_removed for what it lacks */
    assert_int_equal(run_diff((const char *const[]){po, work, "-o", ch, NULL}), DIFF_EXIT_FATAL);
    assert_int_equal(run_diff((const char *const[]){po, cut, "-o", ch, NULL}), DIFF_EXIT_FATAL);
    assert_int_equal(run_diff((const char *const[]){po, cut, "-o", ch, "--allow-partial", NULL}), DIFF_EXIT_OK);
    assert_int_equal(read_changes(ch, lines, 8), 0);
    /* --previous: the same rule */
    struct changes_opts o;
    changes_opts_defaults(&o);
    FILE *err = tmpfile();
    assert_null(monitor_open("mtasts-scan: --previous", work, NULL, &o, NULL, 0, err));
    assert_null(monitor_open("mtasts-scan: --previous", cut, NULL, &o, NULL, 0, err));
    struct monitor *m = monitor_open("mtasts-scan: --previous", cut, NULL, &o, NULL, 1, err);
    assert_non_null(m);
    monitor_free(m);
    rewind(err);
    char msg[1024];
    assert_non_null(fgets(msg, sizeof(msg), err));
    assert_non_null(strstr(msg, "--allow-partial"));
    fclose(err);
    assert_true(zwriter_is_partial_path("x/day.csv.partial"));
    assert_true(zwriter_is_partial_path("day.csv.partial.zst"));
    assert_false(zwriter_is_partial_path("day.csv.zst"));
    assert_false(zwriter_is_partial_path(".partial"));
}

/* The scan's path: rows compared as domains finish, certificate rules held back until the MX
 * rows (written late by the MX cache) are known; removed domains listed at the end only when the
 * scan was complete. */

static void test_monitor_deferred_certs(void **state)
{
    (void)state;
    static struct domain_result old[2], cur;
    deployed(&old[0], "a.example");
    deployed(&old[1], "b.example");
    char po[128], pc[128];
    files_tmp_path(po, sizeof(po), "mon-old.csv");
    files_tmp_path(pc, sizeof(pc), "mon-changes.csv");
    write_table(po, old, (const int[]){1, 0}, 2);
    struct changes_opts o;
    changes_opts_defaults(&o);
    FILE *err = tmpfile();
    struct changes_failon f;
    char why[128];
    assert_int_equal(changes_failon_parse("cert_expiring", &f, why, sizeof(why)), 0);
    struct zwriter_error ze;
    struct csvout *out = csvout_open(pc, SCHEMA_CHANGES, &ze);
    assert_non_null(out);
    struct monitor *m = monitor_open("mtasts-scan: --previous", po, out, &o, &f, 0, err);
    assert_non_null(m);
    monitor_defer_certs(m);
    deployed(&cur, "a.example");
    cur.scanned_at = T0 + DAY;
    assert_int_equal(monitor_domain(m, monitor_find(m, cur.domain), &cur), 0);
    assert_int_equal(monitor_failures(m), 0);
    /* the MX row arrives after the domain finished */
    assert_int_equal(monitor_mx_cert(m, "MX1.a.example", 1795996800), 0); /* 2026-11-30T00:00:00Z */
    assert_int_equal(monitor_mx_cert(m, "mx1.a.example", 1798588800), 0); /* 2026-12-30, later: kept earliest */
    assert_int_equal(monitor_mx_cert(m, "mx2.a.example", 0), 0); /* unknown */
    assert_int_equal(monitor_finish(m, 0), 0); /* incomplete scan: b.example not listed */
    assert_int_equal(monitor_failures(m), 1);
    monitor_free(m);
    assert_int_equal(csvout_close(out, &ze), ZWRITER_OK);
    fclose(err);
    char lines[8][300];
    int n = read_changes(pc, lines, 8);
    assert_int_equal(n, 1);
    assert_string_equal(lines[0], "a.example cert_expiring");
    struct csvin_error e;
    struct csvin *in = csvin_open(pc, SCHEMA_CHANGES, &e);
    struct changes_row row;
    assert_int_equal(csvin_next(in, &row), 1);
    assert_string_equal(row.after, "2026-11-30T00:00:00Z");
    assert_int_equal(row.severity, CHANGE_SEVERITY_WARNING);
    assert_non_null(strstr(row.detail, "MX mx1.a.example"));
    csvin_close(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_rows_no_change),
        cmocka_unit_test(test_policy_changed_id_unchanged),
        cmocka_unit_test(test_whitespace_only_policy_change),
        cmocka_unit_test(test_id_changed_policy_unchanged),
        cmocka_unit_test(test_mode_moves_both_directions),
        cmocka_unit_test(test_verdict_moves_both_directions),
        cmocka_unit_test(test_mx_rules),
        cmocka_unit_test(test_policy_mx_changed),
        cmocka_unit_test(test_sts_removed_added),
        cmocka_unit_test(test_tlsrpt_rules),
        cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_stuck_in_testing),
        cmocka_unit_test(test_stuck_in_testing_series),
        cmocka_unit_test(test_added_removed_incomplete),
        cmocka_unit_test(test_codes_round_trip),
        cmocka_unit_test(test_failon),
        cmocka_unit_test(test_diff_files_any_order),
        cmocka_unit_test(test_diff_failure_keeps_output),
        cmocka_unit_test(test_diff_incomplete_refused),
        cmocka_unit_test(test_diff_fail_on_rows),
        cmocka_unit_test(test_previous_messages),
        cmocka_unit_test(test_monitor_deferred_certs),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
