/*
 * changes: the change rules (one small function per family of codes), the vocabulary of change
 * codes and severities, and --fail-on.  Every rule reads two changes_view and emits rows; none
 * touches a file.
 */
#include "scanner/changes.h"

#include "lib/enumname.h"
#include "lib/isotime.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DAY 86400L
#define LIST_ITEMS_MAX 64 /* items of a ';'-joined list the set rules look at */

/* The names of the change codes and severities (the changes table, --fail-on; lib/enumname). */
static const struct enum_name change_code_names[] = {
    {CHANGE_DOMAIN_ADDED, "domain_added"},
    {CHANGE_DOMAIN_REMOVED, "domain_removed"},
    {CHANGE_SCAN_INCOMPLETE, "scan_incomplete"},
    {CHANGE_POLICY_CHANGED_ID_UNCHANGED, "policy_changed_id_unchanged"},
    {CHANGE_POLICY_REFORMATTED, "policy_reformatted"},
    {CHANGE_ID_CHANGED_POLICY_UNCHANGED, "id_changed_policy_unchanged"},
    {CHANGE_MODE_UPGRADED, "mode_upgraded"},
    {CHANGE_MODE_DOWNGRADED, "mode_downgraded"},
    {CHANGE_MAX_AGE_CHANGED, "max_age_changed"},
    {CHANGE_VERDICT_REGRESSED, "verdict_regressed"},
    {CHANGE_VERDICT_IMPROVED, "verdict_improved"},
    {CHANGE_MX_ADDED_UNCOVERED, "mx_added_uncovered"},
    {CHANGE_MX_REMOVED, "mx_removed"},
    {CHANGE_POLICY_MX_CHANGED, "policy_mx_changed"},
    {CHANGE_STS_REMOVED_WITHOUT_NONE, "sts_removed_without_none"},
    {CHANGE_STS_REMOVED, "sts_removed"},
    {CHANGE_STS_ADDED, "sts_added"},
    {CHANGE_TLSRPT_ADDED, "tlsrpt_added"},
    {CHANGE_TLSRPT_REMOVED, "tlsrpt_removed"},
    {CHANGE_TLSRPT_RUA_CHANGED, "tlsrpt_rua_changed"},
    {CHANGE_CERT_EXPIRING, "cert_expiring"},
    {CHANGE_CERT_EXPIRED, "cert_expired"},
    {CHANGE_STUCK_IN_TESTING, "stuck_in_testing"},
};
ENUM_NAMES_DEFINE_PARSE(change_code, enum change_code, CHANGE__COUNT, "unknown")

static const struct enum_name change_severity_names[] = {
    {CHANGE_SEVERITY_INFO, "info"},
    {CHANGE_SEVERITY_WARNING, "warning"},
    {CHANGE_SEVERITY_ERROR, "error"},
};
ENUM_NAMES_DEFINE_PARSE(change_severity, enum change_severity, CHANGE_SEVERITY__COUNT, "unknown")

int changes_verdict_level(enum verdict v)
{
    switch (v) {
    case VERDICT_ENFORCE_OK: return 4;
    case VERDICT_TESTING_OK: return 3;
    case VERDICT_MODE_NONE:
    case VERDICT_NOT_DEPLOYED:
    case VERDICT_NO_MAIL:
    case VERDICT_STS_UNCHECKED: return 2;
    case VERDICT_WOULD_FAIL:
    case VERDICT_INVALID:
    case VERDICT_DNS_ERROR: return 1;
    case VERDICT_INPUT_INVALID:
    case VERDICT_SCANNER_ERROR:
    case VERDICT_EXCLUDED:
    case VERDICT__COUNT: return 0;
    }
    return 0;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

void changes_view_from_result(struct changes_view *v, const struct domain_result *r)
{
    memset(v, 0, sizeof(*v));
    v->domain = r->domain;
    v->rank = r->rank;
    v->scanned_at = r->scanned_at;
    v->verdict = r->verdict;
    v->txt_status = r->txt_status;
    v->sts_id = r->sts_id;
    v->policy_status = r->policy_status;
    v->policy_mode = r->policy_mode;
    v->policy_max_age = r->policy_max_age;
    v->policy_mx = r->policy_mx;
    v->policy_sha256 = r->policy_sha256;
    v->mx = r->mx;
    v->mx_answered = r->mx_dns == DNS_OK || r->mx_dns == DNS_NXDOMAIN || r->mx_dns == DNS_NODATA;
    v->tlsrpt_status = r->tlsrpt_status;
    v->tlsrpt_rua = r->tlsrpt_rua;
    v->policy_cert_not_after = r->policy_cert_not_after;
    v->testing_since = r->testing_since;
    v->incomplete = r->verdict == VERDICT_SCANNER_ERROR ||
                    issue_set_has(&r->issues, ISSUE_DOMAIN_TIMEOUT) ||
                    issue_set_has(&r->issues, ISSUE_SCANNER_ERROR);
}

void changes_row_init(struct changes_row *row)
{
    memset(row, 0, sizeof(*row));
    row->rank = -1;
}

void changes_opts_defaults(struct changes_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->expiry_days = CHANGES_EXPIRY_DAYS;
    o->testing_days = CHANGES_TESTING_DAYS;
}

/* ---- emitting ---- */

struct emitter {
    const struct changes_view *key; /* NEW, or OLD for a removed domain */
    changes_emit_fn emit;
    void *ctx;
    int rows;
};

static void emit(struct emitter *e, enum change_code c, enum change_severity sev,
                 const char *before, const char *after, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void emit(struct emitter *e, enum change_code c, enum change_severity sev,
                 const char *before, const char *after, const char *fmt, ...)
{
    struct changes_row row;
    changes_row_init(&row);
    result_copy(row.domain, sizeof(row.domain), nz(e->key->domain));
    row.rank = e->key->rank;
    row.change = c;
    row.severity = sev;
    result_copy(row.before, sizeof(row.before), nz(before));
    result_copy(row.after, sizeof(row.after), nz(after));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row.detail, sizeof(row.detail), fmt, ap);
    va_end(ap);
    e->emit(e->ctx, &row);
    e->rows++;
}

/* ---- ';'-joined lists as sets ---- */

struct list {
    char buf[RESULT_LIST_MAX];
    const char *item[LIST_ITEMS_MAX];
    size_t n;
};

/* Splits s (cut lists end in "...": that last, partial item is left out). */
static void list_split(struct list *l, const char *s)
{
    l->n = 0;
    snprintf(l->buf, sizeof(l->buf), "%s", nz(s));
    char *save = NULL;
    for (char *t = strtok_r(l->buf, ";", &save); t && l->n < LIST_ITEMS_MAX;
         t = strtok_r(NULL, ";", &save)) {
        size_t len = strlen(t);
        if (len >= 3 && strcmp(t + len - 3, "...") == 0)
            continue;
        l->item[l->n++] = t;
    }
}

static int list_has(const struct list *l, const char *item)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->item[i], item) == 0)
            return 1;
    return 0;
}

/* Same items, whatever the order and case (a policy's mx lines are a set). */
static int list_same_set(const struct list *a, const struct list *b)
{
    for (size_t i = 0; i < a->n; i++)
        if (!list_has(b, a->item[i]))
            return 0;
    for (size_t i = 0; i < b->n; i++)
        if (!list_has(a, b->item[i]))
            return 0;
    return 1;
}

/* The items of a missing from b, ';'-joined into out. */
static void list_minus(const struct list *a, const struct list *b, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < a->n; i++)
        if (!list_has(b, a->item[i]))
            result_list_add(out, size, a->item[i]);
}

/* ---- the rules ---- */

static int has_policy(const struct changes_view *v)
{
    return v->policy_status == POLICY_STATUS_OK && v->policy_mode != POLICY_MODE_UNSET;
}

static int mode_rank(enum policy_mode m)
{
    switch (m) {
    case POLICY_MODE_NONE: return 1;
    case POLICY_MODE_TESTING: return 2;
    case POLICY_MODE_ENFORCE: return 3;
    case POLICY_MODE_UNSET: return 0;
    }
    return 0;
}

/* The parsed policy (what a sender applies) is the same: mode, max_age and the mx set. */
static int same_parsed_policy(const struct changes_view *a, const struct changes_view *b)
{
    if (!has_policy(a) || !has_policy(b) || a->policy_mode != b->policy_mode ||
        a->policy_max_age != b->policy_max_age)
        return 0;
    struct list la, lb;
    list_split(&la, a->policy_mx);
    list_split(&lb, b->policy_mx);
    return list_same_set(&la, &lb);
}

/* §3.1: the id names the policy; bytes, id and parsed fields compared. */
static void rule_policy_id(struct emitter *e, const struct changes_view *o, const struct changes_view *n)
{
    if (!*nz(o->policy_sha256) || !*nz(n->policy_sha256) || !*nz(o->sts_id) || !*nz(n->sts_id))
        return;
    int same_bytes = strcmp(o->policy_sha256, n->policy_sha256) == 0;
    int same_id = strcmp(o->sts_id, n->sts_id) == 0;
    if (!same_bytes && same_id) {
        if (same_parsed_policy(o, n))
            emit(e, CHANGE_POLICY_REFORMATTED, CHANGE_SEVERITY_INFO, o->policy_sha256,
                 n->policy_sha256, "policy bytes changed (id %s kept) but mode, max_age and mx are the same",
                 n->sts_id);
        else
            emit(e, CHANGE_POLICY_CHANGED_ID_UNCHANGED, CHANGE_SEVERITY_ERROR, o->policy_sha256,
                 n->policy_sha256,
                 "policy changed but id %s did not: senders keep the cached policy until max_age ends (RFC 8461 §3.1)",
                 n->sts_id);
    } else if (same_bytes && !same_id) {
        emit(e, CHANGE_ID_CHANGED_POLICY_UNCHANGED, CHANGE_SEVERITY_INFO, o->sts_id, n->sts_id,
             "id changed, policy bytes identical: senders refetch the same policy");
    }
}

static void rule_policy_fields(struct emitter *e, const struct changes_view *o, const struct changes_view *n)
{
    if (!has_policy(o) || !has_policy(n))
        return;
    int ro = mode_rank(o->policy_mode), rn = mode_rank(n->policy_mode);
    if (rn != ro)
        emit(e, rn > ro ? CHANGE_MODE_UPGRADED : CHANGE_MODE_DOWNGRADED,
             rn > ro ? CHANGE_SEVERITY_INFO : CHANGE_SEVERITY_WARNING,
             policy_mode_str(o->policy_mode), policy_mode_str(n->policy_mode), "mode %s -> %s",
             policy_mode_str(o->policy_mode), policy_mode_str(n->policy_mode));
    if (o->policy_max_age != n->policy_max_age) {
        char b[32], a[32];
        snprintf(b, sizeof(b), "%ld", o->policy_max_age);
        snprintf(a, sizeof(a), "%ld", n->policy_max_age);
        emit(e, CHANGE_MAX_AGE_CHANGED, CHANGE_SEVERITY_INFO, b, a, "max_age %s -> %s s", b, a);
    }
    struct list lo, ln;
    list_split(&lo, o->policy_mx);
    list_split(&ln, n->policy_mx);
    if (!list_same_set(&lo, &ln))
        emit(e, CHANGE_POLICY_MX_CHANGED, CHANGE_SEVERITY_INFO, o->policy_mx, n->policy_mx,
             "the policy's mx patterns changed");
}

static int level_severity(int level)
{
    return level <= 1 ? CHANGE_SEVERITY_ERROR : CHANGE_SEVERITY_WARNING;
}

static void rule_verdict(struct emitter *e, const struct changes_view *o, const struct changes_view *n)
{
    int lo = changes_verdict_level(o->verdict), ln = changes_verdict_level(n->verdict);
    if (lo == 0 || ln == 0 || lo == ln)
        return;
    const char *b = verdict_str(o->verdict), *a = verdict_str(n->verdict);
    if (ln < lo)
        emit(e, CHANGE_VERDICT_REGRESSED, (enum change_severity)level_severity(ln), b, a,
             "verdict %s -> %s", b, a);
    else
        emit(e, CHANGE_VERDICT_IMPROVED, CHANGE_SEVERITY_INFO, b, a, "verdict %s -> %s", b, a);
}

/* A new MX host that NEW's enforce/testing policy does not cover: senders refuse (enforce) or
 * report (testing) mail to it (§4.1). */
static void rule_mx(struct emitter *e, const struct changes_view *o, const struct changes_view *n)
{
    if (!o->mx_answered || !n->mx_answered)
        return;
    struct list lo, ln, pats;
    list_split(&lo, o->mx);
    list_split(&ln, n->mx);
    char removed[RESULT_LIST_MAX];
    list_minus(&lo, &ln, removed, sizeof(removed));
    if (has_policy(n) && n->policy_mode != POLICY_MODE_NONE) {
        list_split(&pats, n->policy_mx);
        char uncovered[RESULT_LIST_MAX] = "";
        for (size_t i = 0; i < ln.n; i++) {
            if (list_has(&lo, ln.item[i]))
                continue;
            int covered = 0;
            for (size_t j = 0; j < pats.n && !covered; j++)
                covered = policy_mx_match(pats.item[j], ln.item[i]);
            if (!covered)
                result_list_add(uncovered, sizeof(uncovered), ln.item[i]);
        }
        if (uncovered[0])
            emit(e, CHANGE_MX_ADDED_UNCOVERED,
                 n->policy_mode == POLICY_MODE_ENFORCE ? CHANGE_SEVERITY_ERROR : CHANGE_SEVERITY_WARNING,
                 o->mx, n->mx, "new MX %s not matched by the policy's mx patterns (%s)", uncovered,
                 n->policy_mx);
    }
    if (removed[0])
        emit(e, CHANGE_MX_REMOVED, CHANGE_SEVERITY_INFO, o->mx, n->mx, "MX %s removed", removed);
}

/* §8.3: a domain leaving MTA-STS publishes mode none (long enough for cached policies to
 * expire) before removing the record; otherwise senders keep enforcing the cached policy. */
static void rule_sts(struct emitter *e, const struct changes_view *o, const struct changes_view *n)
{
    if (o->txt_status == TXT_STATUS_OK && n->txt_status == TXT_STATUS_MISSING) {
        if (has_policy(o) && o->policy_mode == POLICY_MODE_NONE)
            emit(e, CHANGE_STS_REMOVED, CHANGE_SEVERITY_INFO, o->sts_id, "",
                 "_mta-sts record removed after a mode none policy (RFC 8461 §8.3)");
        else
            emit(e, CHANGE_STS_REMOVED_WITHOUT_NONE, CHANGE_SEVERITY_ERROR, o->sts_id, "",
                 "_mta-sts record removed while the last policy seen was %s, not none: senders keep the cached policy (RFC 8461 §8.3)",
                 has_policy(o) ? policy_mode_str(o->policy_mode) : "unknown");
    } else if (o->txt_status == TXT_STATUS_MISSING && n->txt_status == TXT_STATUS_OK) {
        emit(e, CHANGE_STS_ADDED, CHANGE_SEVERITY_INFO, "", n->sts_id, "_mta-sts record published");
    }
}

static void rule_tlsrpt(struct emitter *e, const struct changes_view *o, const struct changes_view *n)
{
    if (o->tlsrpt_status == TXT_STATUS_MISSING && n->tlsrpt_status == TXT_STATUS_OK)
        emit(e, CHANGE_TLSRPT_ADDED, CHANGE_SEVERITY_INFO, "", n->tlsrpt_rua, "_smtp._tls record published");
    else if (o->tlsrpt_status == TXT_STATUS_OK && n->tlsrpt_status == TXT_STATUS_MISSING)
        emit(e, CHANGE_TLSRPT_REMOVED, CHANGE_SEVERITY_WARNING, o->tlsrpt_rua, "",
             "_smtp._tls record removed: failures are no longer reported (RFC 8460)");
    else if (o->tlsrpt_status == TXT_STATUS_OK && n->tlsrpt_status == TXT_STATUS_OK &&
             strcmp(nz(o->tlsrpt_rua), nz(n->tlsrpt_rua)) != 0)
        emit(e, CHANGE_TLSRPT_RUA_CHANGED, CHANGE_SEVERITY_INFO, o->tlsrpt_rua, n->tlsrpt_rua,
             "TLS-RPT report destinations changed");
}

static void rule_testing(struct emitter *e, const struct changes_view *o, const struct changes_view *n,
                         const struct changes_opts *opt)
{
    if (!has_policy(o) || !has_policy(n) || o->policy_mode != POLICY_MODE_TESTING ||
        n->policy_mode != POLICY_MODE_TESTING || o->scanned_at == 0 || n->scanned_at == 0)
        return;
    /* a series of scans extends the span: OLD's testing_since goes back to the first scan of
     * the run in testing (daily scans with --previous carry it) */
    time_t since = changes_testing_since(o, n);
    long days = (long)((n->scanned_at - since) / DAY);
    if (days >= opt->testing_days)
        emit(e, CHANGE_STUCK_IN_TESTING, CHANGE_SEVERITY_WARNING, "testing", "testing",
             "mode testing in both scans, for %ld days (--testing-days %ld)", days, opt->testing_days);
}

time_t changes_testing_since(const struct changes_view *o, const struct changes_view *n)
{
    if (!has_policy(n) || n->policy_mode != POLICY_MODE_TESTING)
        return 0;
    time_t since = n->testing_since ? n->testing_since : n->scanned_at;
    if (o && has_policy(o) && o->policy_mode == POLICY_MODE_TESTING) {
        /* a file from before the column has only its scan time */
        time_t old = o->testing_since ? o->testing_since : o->scanned_at;
        if (old != 0 && (since == 0 || old < since))
            since = old;
    }
    return since;
}

/* Certificates whose expiry NEW saw: the policy host's, and (with MX data) each MX host's of a
 * domain that publishes MTA-STS.  One cert_expired and one cert_expiring row at most, naming
 * every certificate; after = the earliest expiry, before = the earliest expiry the old scan saw
 * for the same certificates (the same date: not renewed since; empty: unknown). */
struct certs {
    char expired[RESULT_DETAIL_MAX], expiring[RESULT_DETAIL_MAX];
    time_t first_expired, first_expiring;
    time_t was_expired, was_expiring; /* earliest old date of the certificates listed */
};

static void earliest(time_t *t, time_t v)
{
    if (v != 0 && (*t == 0 || v < *t))
        *t = v;
}

static void cert_note(struct certs *c, const char *what, time_t not_after, time_t old_not_after,
                      time_t now, long window)
{
    if (not_after == 0 || now == 0)
        return;
    char when[32], item[RESULT_NAME_MAX + 64];
    isotime_format(not_after, when, sizeof(when));
    if (not_after <= now) {
        snprintf(item, sizeof(item), "%s expired %s", what, when);
        result_list_add(c->expired, sizeof(c->expired), item);
        earliest(&c->first_expired, not_after);
        earliest(&c->was_expired, old_not_after);
    } else if (not_after - now < window) {
        snprintf(item, sizeof(item), "%s expires %s (in %ld days)", what, when,
                 (long)((not_after - now) / DAY));
        result_list_add(c->expiring, sizeof(c->expiring), item);
        earliest(&c->first_expiring, not_after);
        earliest(&c->was_expiring, old_not_after);
    }
}

static time_t mx_date(changes_mx_cert_fn fn, void *ctx, const char *host)
{
    return fn ? fn(ctx, host) : 0;
}

static void rule_certs(struct emitter *e, const struct changes_view *o, const struct changes_view *n,
                       const struct changes_opts *opt)
{
    struct certs c;
    memset(&c, 0, sizeof(c));
    long window = opt->expiry_days * DAY;
    char what[RESULT_NAME_MAX + 16];
    snprintf(what, sizeof(what), "policy host mta-sts.%s", nz(n->domain));
    cert_note(&c, what, n->policy_cert_not_after, o ? o->policy_cert_not_after : 0, n->scanned_at,
              window);
    if (opt->mx_cert && n->txt_status == TXT_STATUS_OK) {
        struct list ln;
        list_split(&ln, n->mx);
        for (size_t i = 0; i < ln.n; i++) {
            snprintf(what, sizeof(what), "MX %s", ln.item[i]);
            cert_note(&c, what, opt->mx_cert(opt->mx_cert_ctx, ln.item[i]),
                      mx_date(opt->old_mx_cert, opt->old_mx_cert_ctx, ln.item[i]), n->scanned_at, window);
        }
    }
    char when[32], was[32];
    if (c.expired[0])
        emit(e, CHANGE_CERT_EXPIRED, CHANGE_SEVERITY_ERROR, isotime_format(c.was_expired, was, sizeof(was)),
             isotime_format(c.first_expired, when, sizeof(when)), "certificate %s", c.expired);
    if (c.expiring[0])
        emit(e, CHANGE_CERT_EXPIRING, CHANGE_SEVERITY_WARNING,
             isotime_format(c.was_expiring, was, sizeof(was)),
             isotime_format(c.first_expiring, when, sizeof(when)), "certificate %s (--expiry-days %ld)",
             c.expiring, opt->expiry_days);
}

int changes_detect(const struct changes_view *old, const struct changes_view *new,
                   const struct changes_opts *o, changes_emit_fn fn, void *ctx)
{
    struct emitter e = {new ? new : old, fn, ctx, 0};
    if (new == NULL) {
        if (old != NULL)
            emit(&e, CHANGE_DOMAIN_REMOVED, CHANGE_SEVERITY_INFO, verdict_str(old->verdict), "",
                 "in the old scan only");
        return e.rows;
    }
    if (old == NULL) {
        emit(&e, CHANGE_DOMAIN_ADDED, CHANGE_SEVERITY_INFO, "", verdict_str(new->verdict),
             "in the new scan only");
    } else if (old->incomplete || new->incomplete) {
        emit(&e, CHANGE_SCAN_INCOMPLETE, CHANGE_SEVERITY_INFO, verdict_str(old->verdict),
             verdict_str(new->verdict), "the %s scan did not finish this domain: not compared",
             old->incomplete ? (new->incomplete ? "old and the new" : "old") : "new");
    } else {
        rule_policy_id(&e, old, new);
        rule_policy_fields(&e, old, new);
        rule_verdict(&e, old, new);
        rule_mx(&e, old, new);
        rule_sts(&e, old, new);
        rule_tlsrpt(&e, old, new);
    }
    if (!new->incomplete && !o->no_certs)
        rule_certs(&e, old && !old->incomplete ? old : NULL, new, o);
    if (old != NULL && !old->incomplete && !new->incomplete)
        rule_testing(&e, old, new, o);
    return e.rows;
}

int changes_detect_certs(const struct changes_view *old, const struct changes_view *new,
                         const struct changes_opts *o, changes_emit_fn fn, void *ctx)
{
    struct emitter e = {new, fn, ctx, 0};
    if (!new->incomplete)
        rule_certs(&e, old && !old->incomplete ? old : NULL, new, o);
    return e.rows;
}

/* ---- --fail-on ---- */

int changes_failon_parse(const char *list, struct changes_failon *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    char buf[4096];
    if (strspn(list, ",") == strlen(list)) {
        snprintf(err, errlen, "an empty list: give change codes, severities, verdicts or issue codes");
        return -1;
    }
    if (strlen(list) >= sizeof(buf)) {
        snprintf(err, errlen, "the list is longer than %zu characters", sizeof(buf) - 1);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int known = 0, v;
        if ((v = change_code_parse(t)) >= 0)
            f->changes |= 1u << v, known = 1;
        if ((v = change_severity_parse(t)) >= 0)
            f->severities |= 1u << v, known = 1;
        if ((v = verdict_parse(t)) >= 0)
            f->verdicts |= 1u << v, known = 1;
        if ((v = issue_parse(t)) >= 0)
            f->issues |= (uint64_t)1 << v, known = 1;
        if (!known) {
            snprintf(err, errlen, "\"%s\" is not a change code, severity, verdict or issue code", t);
            return -1;
        }
    }
    return 0;
}

int changes_failon_row(const struct changes_failon *f, const struct changes_row *row)
{
    return ((f->changes >> row->change) & 1u) || ((f->severities >> row->severity) & 1u);
}

int changes_failon_result(const struct changes_failon *f, const struct domain_result *r)
{
    return ((f->verdicts >> r->verdict) & 1u) || (f->issues & r->issues.bits) != 0;
}
