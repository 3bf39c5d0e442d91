/*
 * summary: adoption counters and their text and JSON renderings.
 */
#include "output/summary.h"

#include "lib/enumname.h"
#include "lib/jsonw.h"

#include <string.h>

#define TOP_ISSUES 10

void summary_init(struct summary *s)
{
    memset(s, 0, sizeof(*s));
}

/* The policy modes counted (keys of the summary's policy_mode group). */
static const struct enum_name summary_mode_names[] = {
    {SUMMARY_MODE_ENFORCE, "enforce"},
    {SUMMARY_MODE_TESTING, "testing"},
    {SUMMARY_MODE_NONE, "none"},
};
ENUM_NAMES_DEFINE(summary_mode, enum summary_mode, SUMMARY_MODE__COUNT, "unknown")

static int mode_index(const char *mode)
{
    return enum_name_parse(summary_mode_names, ENUM_NAMES_N(summary_mode_names), mode);
}

/* Enum values out of range would index past the arrays: count only what the record may hold. */
static void count(unsigned long *arr, int n, int idx)
{
    if (idx >= 0 && idx < n)
        arr[idx]++;
}

void summary_add(struct summary *s, const struct domain_result *r)
{
    s->total++;
    count(s->by_verdict, VERDICT__COUNT, (int)r->verdict);
    if (r->verdict == VERDICT_INPUT_INVALID)
        return;
    s->domains++;
    if (r->mx[0] != '\0')
        s->with_mx++;
    for (int c = 0; c < ISSUE__COUNT; c++)
        if (issue_set_has(&r->issues, (enum issue_code)c))
            s->by_issue[c]++;
    count(s->by_txt, SUMMARY_TXT_N, (int)r->txt_status);
    count(s->by_policy, SUMMARY_POLICY_N, (int)r->policy_status);
    count(s->by_starttls, SUMMARY_STARTTLS_N, (int)r->starttls_status);
    count(s->by_tlsrpt, SUMMARY_TXT_N, (int)r->tlsrpt_status);
    if (r->policy_status == POLICY_STATUS_OK)
        count(s->by_mode, SUMMARY_MODE__COUNT, mode_index(policy_mode_str(r->policy_mode)));
    if (r->txt_status == TXT_STATUS_OK && r->tlsrpt_status == TXT_STATUS_OK)
        s->sts_and_tlsrpt++;
}

/* ---- text report ---- */

/* "  12.3%" or "      -" when there is nothing to divide by. */
static void print_pct(FILE *f, unsigned long part, unsigned long whole)
{
    if (whole == 0)
        fprintf(f, "  (   -  )");
    else
        fprintf(f, "  (%5.1f%%)", 100.0 * (double)part / (double)whole);
}

#define NO_PCT ((unsigned long)-1) /* a line without a percentage */

static void line(FILE *f, const char *label, unsigned long v, unsigned long whole)
{
    fprintf(f, "  %-34s %10lu", label, v);
    if (whole != NO_PCT)
        print_pct(f, v, whole);
    fputc('\n', f);
}

static void print_adoption(const struct summary *s, FILE *f)
{
    fprintf(f, "MTA-STS / TLS-RPT adoption\n");
    line(f, "input lines", s->total, NO_PCT);
    line(f, "invalid input lines", s->by_verdict[VERDICT_INPUT_INVALID], s->total);
    line(f, "domains scanned", s->domains, NO_PCT);
    line(f, "with MX records", s->with_mx, s->domains);
    line(f, "valid _mta-sts TXT record", s->by_txt[TXT_STATUS_OK], s->domains);
    line(f, "policy fetched and valid", s->by_policy[POLICY_STATUS_OK], s->domains);
    for (int m = 0; m < SUMMARY_MODE__COUNT; m++) {
        char label[40];
        snprintf(label, sizeof(label), "  mode %s", summary_mode_str((enum summary_mode)m));
        line(f, label, s->by_mode[m], s->by_policy[POLICY_STATUS_OK]);
    }
    line(f, "policy fetch failed", s->by_policy[POLICY_STATUS_FETCH_FAILED], s->domains);
    line(f, "policy invalid", s->by_policy[POLICY_STATUS_INVALID], s->domains);
    line(f, "valid TLS-RPT record", s->by_tlsrpt[TXT_STATUS_OK], s->domains);
    line(f, "  of those with valid _mta-sts TXT", s->sts_and_tlsrpt, s->by_txt[TXT_STATUS_OK]);
}

static void print_verdicts(const struct summary *s, FILE *f)
{
    fprintf(f, "Verdicts (%% of input lines)\n");
    for (int v = 0; v < VERDICT__COUNT; v++)
        line(f, verdict_str((enum verdict)v), s->by_verdict[v], s->total);
}

/* Issue codes by count, highest first (ties in code order); at most TOP_ISSUES, none at 0. */
static void print_top_issues(const struct summary *s, FILE *f)
{
    int order[ISSUE__COUNT];
    for (int i = 0; i < ISSUE__COUNT; i++)
        order[i] = i;
    for (int i = 1; i < ISSUE__COUNT; i++) { /* insertion sort: stable, 29 items */
        int x = order[i], j = i;
        for (; j > 0 && s->by_issue[order[j - 1]] < s->by_issue[x]; j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
    fprintf(f, "Top issues (%% of domains scanned)\n");
    for (int i = 0; i < ISSUE__COUNT && i < TOP_ISSUES; i++) {
        if (s->by_issue[order[i]] == 0)
            break;
        line(f, issue_str((enum issue_code)order[i]), s->by_issue[order[i]], s->domains);
    }
}

void summary_print(const struct summary *s, FILE *f)
{
    print_adoption(s, f);
    print_verdicts(s, f);
    print_top_issues(s, f);
}

/* ---- JSON ---- */

typedef const char *(*name_fn)(int i);

static const char *verdict_name(int i) { return verdict_str((enum verdict)i); }
static const char *issue_name(int i) { return issue_str((enum issue_code)i); }
static const char *txt_name(int i) { return txt_status_str((enum txt_status)i); }
static const char *policy_name(int i) { return policy_status_str((enum policy_status)i); }
static const char *mode_name(int i) { return summary_mode_str((enum summary_mode)i); }
static const char *starttls_name(int i) { return starttls_status_str((enum starttls_status)i); }

/* One counter group, on one line: {"name": count, ...}. */
static void json_group(struct jsonw *w, const char *key, const unsigned long *v, int n, name_fn name)
{
    jsonw_object_layout(w, key, JSONW_ONE_LINE);
    for (int i = 0; i < n; i++)
        jsonw_ulong(w, name(i), v[i]);
    jsonw_end(w);
}

int summary_write_json(const struct summary *s, FILE *f)
{
    struct jsonw w;
    jsonw_init(&w, f, JSONW_LINES);
    jsonw_object(&w, NULL);
    jsonw_ulong(&w, "total", s->total);
    jsonw_ulong(&w, "domains", s->domains);
    jsonw_ulong(&w, "input_invalid", s->by_verdict[VERDICT_INPUT_INVALID]);
    jsonw_ulong(&w, "with_mx", s->with_mx);
    jsonw_ulong(&w, "sts_and_tlsrpt", s->sts_and_tlsrpt);
    json_group(&w, "verdicts", s->by_verdict, VERDICT__COUNT, verdict_name);
    json_group(&w, "issues", s->by_issue, ISSUE__COUNT, issue_name);
    json_group(&w, "txt_status", s->by_txt, SUMMARY_TXT_N, txt_name);
    json_group(&w, "policy_status", s->by_policy, SUMMARY_POLICY_N, policy_name);
    json_group(&w, "policy_mode", s->by_mode, SUMMARY_MODE__COUNT, mode_name);
    json_group(&w, "starttls_status", s->by_starttls, SUMMARY_STARTTLS_N, starttls_name);
    json_group(&w, "tlsrpt_status", s->by_tlsrpt, SUMMARY_TXT_N, txt_name);
    jsonw_end(&w);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
