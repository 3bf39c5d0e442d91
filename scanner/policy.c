/*
 * policy: pure parser for the MTA-STS policy file (RFC 8461 §3.2) and the MX pattern matcher
 * (§4.1).
 *
 * The body is a list of lines "key:" *WSP value *WSP ending in LF or CRLF (the last terminator is
 * optional).  Keys follow sts-policy-ext-name and are case-sensitive (%s"version" ...).  Problems
 * become issue codes in out->issues; every code except the advisory ISSUE_POLICY_MAX_AGE_SHORT
 * makes the policy invalid.
 *
 * Decisions beyond the RFC text (documented in docs/codes.md, tested in tests/test_policy.c):
 * - empty lines, and lines holding only WSP, are ignored (the ABNF has none, but they carry no
 *   meaning and appear in hand-written files);
 * - a repeated version / mode / max_age line: the first wins, later ones are ignored unchecked;
 *   unknown keys are ignored (their values unchecked);
 * - every mx line is checked, but only the first POLICY_MX_MAX are kept;
 * - mx is required (ISSUE_POLICY_MX_MISSING when no mx line at all) unless mode is none; a mx line
 *   whose value is not a domain is ISSUE_POLICY_SYNTAX;
 * - mx labels follow RFC 5321 Domain (letters, digits, inner hyphens, 1..63 bytes), the name
 *   without "*." at most 253 bytes; one trailing dot is removed;
 * - any NUL byte in the body is ISSUE_POLICY_SYNTAX.
 */
#include "scanner/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/enumname.h"

#define POLICY_KEY_MAX 32
#define POLICY_NAME_MAX 253
#define POLICY_LABEL_MAX 63
#define POLICY_MAX_AGE_LIMIT 31557600L /* one year, RFC 8461 §3.2 */
#define POLICY_MAX_AGE_SHORT 86400L    /* below one day: advisory */

/* The names of the modes (the policy's own "mode:" values; "" unset: an empty cell). */
static const struct enum_name policy_mode_names[] = {
    {POLICY_MODE_UNSET, ""},
    {POLICY_MODE_ENFORCE, "enforce"},
    {POLICY_MODE_TESTING, "testing"},
    {POLICY_MODE_NONE, "none"},
};
ENUM_NAMES_DEFINE_PARSE(policy_mode, enum policy_mode, POLICY_MODE_NONE + 1, "")

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* Bytes of one line, or part of one. */
struct span {
    const char *p;
    size_t len;
};

static int span_eq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* Parse state besides the output. */
struct parser {
    struct policy *out;
    size_t line_no;
    int seen_version, seen_mode, seen_max_age, seen_mx;
};

/* Adds an issue; the first problem also goes to out->error. */
static void problem(struct parser *ps, enum issue_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(struct parser *ps, enum issue_code code, const char *fmt, ...)
{
    issue_set_add(&ps->out->issues, code);
    if (ps->out->error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->out->error, sizeof(ps->out->error), fmt, ap);
    va_end(ap);
}

/* sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static int key_ok(struct span k)
{
    if (k.len == 0 || k.len > POLICY_KEY_MAX || !is_alnum(k.p[0]))
        return 0;
    for (size_t i = 1; i < k.len; i++)
        if (!is_alnum(k.p[i]) && k.p[i] != '_' && k.p[i] != '-' && k.p[i] != '.')
            return 0;
    return 1;
}

/* max_age = 1*10DIGIT, at most 31557600; -1 when not. */
static long parse_max_age(struct span v)
{
    if (v.len == 0 || v.len > 10)
        return -1;
    long n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        n = n * 10 + (v.p[i] - '0'); /* 10 digits fit a 64-bit long... */
        if (n > POLICY_MAX_AGE_LIMIT)  /* ...and stopping here keeps 32-bit longs safe too */
            return -1;
    }
    return n;
}

/* 1 when name[0..len) is an RFC 5321 Domain: LDH labels that start and end alphanumeric. */
static int domain_ok(const char *name, size_t len)
{
    if (len == 0 || len > POLICY_NAME_MAX)
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '.') {
            if (!is_alnum(name[i]) && name[i] != '-')
                return 0;
            continue;
        }
        size_t label = i - start;
        if (label == 0 || label > POLICY_LABEL_MAX)
            return 0;
        if (name[start] == '-' || name[i - 1] == '-')
            return 0;
        start = i + 1;
    }
    return 1;
}

/* Checks and stores one mx pattern: ["*."] Domain, trailing dot tolerated. */
static void handle_mx(struct parser *ps, struct span v)
{
    struct policy *out = ps->out;
    ps->seen_mx = 1;
    if (v.len > 0 && v.p[v.len - 1] == '.')
        v.len--;
    size_t prefix = (v.len >= 2 && v.p[0] == '*' && v.p[1] == '.') ? 2 : 0;
    if (!domain_ok(v.p + prefix, v.len - prefix)) {
        problem(ps, ISSUE_POLICY_SYNTAX, "line %zu: mx value is not a domain name", ps->line_no);
        return;
    }
    if (out->n_mx >= POLICY_MX_MAX)
        return; /* kept the first POLICY_MX_MAX; the rest only had to be well formed */
    char *dst = out->mx[out->n_mx++];
    for (size_t i = 0; i < v.len; i++) /* v.len <= 255 < sizeof(out->mx[0]) */
        dst[i] = lower_ascii(v.p[i]);
    dst[v.len] = '\0';
}

static void handle_field(struct parser *ps, struct span key, struct span v)
{
    struct policy *out = ps->out;
    if (span_eq(key, "mx")) {
        handle_mx(ps, v);
    } else if (span_eq(key, "version")) {
        if (ps->seen_version++)
            return;
        if (!span_eq(v, "STSv1"))
            problem(ps, ISSUE_POLICY_VERSION_INVALID, "line %zu: version is not STSv1", ps->line_no);
    } else if (span_eq(key, "mode")) {
        if (ps->seen_mode++)
            return;
        if (span_eq(v, "enforce"))
            out->mode = POLICY_MODE_ENFORCE;
        else if (span_eq(v, "testing"))
            out->mode = POLICY_MODE_TESTING;
        else if (span_eq(v, "none"))
            out->mode = POLICY_MODE_NONE;
        else
            problem(ps, ISSUE_POLICY_MODE_INVALID,
                    "line %zu: mode is not enforce, testing or none", ps->line_no);
    } else if (span_eq(key, "max_age")) {
        if (ps->seen_max_age++)
            return;
        out->max_age = parse_max_age(v);
        if (out->max_age < 0)
            problem(ps, ISSUE_POLICY_MAX_AGE_INVALID,
                    "line %zu: max_age is not 1 to 10 digits up to 31557600", ps->line_no);
    }
    /* Other keys are extensions: ignored. */
}

/* Splits one line (terminator removed) into key and trimmed value. */
static void handle_line(struct parser *ps, struct span line)
{
    size_t b = 0;
    while (b < line.len && is_wsp(line.p[b]))
        b++;
    if (b == line.len)
        return; /* empty or WSP-only line: ignored */
    const char *colon = memchr(line.p, ':', line.len);
    if (colon == NULL) {
        problem(ps, ISSUE_POLICY_SYNTAX, "line %zu: no ':'", ps->line_no);
        return;
    }
    struct span key = { line.p, (size_t)(colon - line.p) };
    if (!key_ok(key)) {
        problem(ps, ISSUE_POLICY_SYNTAX, "line %zu: bad key", ps->line_no);
        return;
    }
    struct span v = { colon + 1, line.len - key.len - 1 };
    while (v.len > 0 && is_wsp(v.p[0])) {
        v.p++;
        v.len--;
    }
    while (v.len > 0 && is_wsp(v.p[v.len - 1]))
        v.len--;
    handle_field(ps, key, v);
}

/* Raises the codes for required fields that never appeared. */
static void check_required(struct parser *ps)
{
    struct policy *out = ps->out;
    if (!ps->seen_version)
        problem(ps, ISSUE_POLICY_VERSION_INVALID, "version missing");
    if (!ps->seen_mode)
        problem(ps, ISSUE_POLICY_MODE_INVALID, "mode missing");
    if (!ps->seen_max_age)
        problem(ps, ISSUE_POLICY_MAX_AGE_INVALID, "max_age missing");
    if (!ps->seen_mx && out->mode != POLICY_MODE_NONE)
        problem(ps, ISSUE_POLICY_MX_MISSING, "mx missing");
    if (out->max_age >= 0 && out->max_age < POLICY_MAX_AGE_SHORT)
        issue_set_add(&out->issues, ISSUE_POLICY_MAX_AGE_SHORT); /* advisory: no error text */
}

void policy_parse(const char *body, size_t len, struct policy *out)
{
    struct parser ps = { .out = out };
    memset(out, 0, sizeof(*out));
    out->max_age = -1;

    const char *nul = len ? memchr(body, '\0', len) : NULL;
    if (nul != NULL)
        problem(&ps, ISSUE_POLICY_SYNTAX, "NUL byte at offset %zu", (size_t)(nul - body));

    size_t pos = 0;
    while (pos < len) {
        const char *lf = memchr(body + pos, '\n', len - pos);
        size_t end = lf ? (size_t)(lf - body) : len;
        struct span line = { body + pos, end - pos };
        if (line.len > 0 && line.p[line.len - 1] == '\r')
            line.len--;
        ps.line_no++;
        handle_line(&ps, line);
        pos = end + 1;
    }
    check_required(&ps);

    struct issue_set invalidating = out->issues;
    invalidating.bits &= ~((uint64_t)1 << ISSUE_POLICY_MAX_AGE_SHORT);
    out->valid = invalidating.bits == 0;
}

/* Length of name without one trailing dot. */
static size_t trimmed_len(const char *name)
{
    size_t n = strlen(name);
    return (n > 0 && name[n - 1] == '.') ? n - 1 : n;
}

static int ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower_ascii(a[i]) != lower_ascii(b[i]))
            return 0;
    return 1;
}

int policy_mx_match(const char *pattern, const char *host)
{
    size_t plen = trimmed_len(pattern), hlen = trimmed_len(host);
    if (plen == 0 || hlen == 0)
        return 0;
    if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* "*.d" matches exactly one extra leftmost label: host = label "." d, no dot in label. */
        const char *dot = memchr(host, '.', hlen);
        if (dot == NULL || dot == host)
            return 0;
        size_t rest = hlen - (size_t)(dot - host) - 1;
        return rest == plen - 2 && ieq(dot + 1, pattern + 2, rest);
    }
    return plen == hlen && ieq(pattern, host, plen);
}

int policy_covers(const struct policy *p, const char *host)
{
    for (size_t i = 0; i < p->n_mx; i++)
        if (policy_mx_match(p->mx[i], host))
            return 1;
    return 0;
}
