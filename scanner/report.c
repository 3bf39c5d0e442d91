/*
 * report: the text and JSON forms of one domain's report.  Both walk the same steps in the order a
 * sender takes them (MX, _mta-sts TXT, policy host, policy, coverage, STARTTLS, TLS-RPT), then the
 * findings.  Text lines are wrapped to REPORT_WIDTH columns by report_wrap, so long certificate
 * names or detail texts never overflow a terminal.
 */
#include "scanner/report.h"

#include "scanner/utf8text.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/isotime.h"
#include "scanner/classify.h"
#include "scanner/policy.h"
#include "scanner/tlscheck.h"

/* ---- helpers ------------------------------------------------------------------------------- */

/* 1 when record r counts for version (the rule of txt_is_candidate, on the bytes as published). */
static int is_candidate(const struct txt_record *r, const char *version)
{
    return txt_is_candidate((const char *)r->data, r->len, version, NULL);
}

/* Appends data[0..len) to p as printable text for the terminal (bytes outside 0x20-0x7e, '\\'
 * and, when quoted, '"' as \xHH); returns the end.  p has room for 4 bytes per input byte. */
static char *put_printable(char *p, const unsigned char *data, size_t len, int quoted)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = data[i];
        if (c >= 0x20 && c <= 0x7e && c != '\\' && !(quoted && c == '"'))
            *p++ = (char)c;
        else
            p += sprintf(p, "\\x%02x", c);
    }
    *p = '\0';
    return p;
}

/* Record r for the terminal: its strings joined in quotes ("v=STSv1; id=1") or, for a record
 * published as several character-strings, each string quoted as published ("v=STSv1;" " id=1").
 * malloc'd, NULL when out of memory. */
static char *record_shown(const struct txt_record *r)
{
    size_t n = r->n_strings < 2 ? 1 : r->n_strings;
    char *out = malloc(r->len * 4 + 3 * n + 1), *p = out;
    size_t off = 0;
    for (size_t s = 0; out && s < n; s++) {
        size_t len = s + 1 == n ? r->len - off : r->string_len[s];
        p += sprintf(p, "%s\"", s ? " " : "");
        p = put_printable(p, r->data + off, len, n > 1);
        p += sprintf(p, "\"");
        off += len;
    }
    return out;
}

static void list_add(char *buf, size_t size, const char *sep, const char *item)
{
    size_t len = strlen(buf);
    if (strstr(buf, item) && len) /* a host named twice (two addresses) is listed once */
        return;
    snprintf(buf + len, size - len, "%s%s", len ? sep : "", item);
}

/* The time as text, "-" when unknown. */
static void iso_write(time_t t, char *buf, size_t size)
{
    if (isotime_format(t, buf, size)[0] == '\0')
        snprintf(buf, size, "-");
}

/* classify's cert_expiring_soon rule, for naming the hosts it concerns. */
static int expiring(const struct report_view *v, time_t t)
{
    return classify_expiring_soon(t, v->row->scanned_at, v->expiry_days);
}

/* The hosts (or addresses) code c concerns, sep-joined. */
static void hosts_of(enum issue_code c, const struct report_view *v, const char *sep, char *buf,
                     size_t size)
{
    const struct domain_result *r = v->row;
    char policy_host[RESULT_NAME_MAX + 8];
    snprintf(policy_host, sizeof(policy_host), "mta-sts.%s", r->domain);
    buf[0] = '\0';
    switch (c) {
    case ISSUE_MX_NOT_COVERED:
        for (size_t i = 0; i < r->n_mx; i++)
            if (r->mxs[i].covered == 0)
                list_add(buf, size, sep, r->mxs[i].host);
        break;
    case ISSUE_CERT_EXPIRING_SOON:
    case ISSUE_CERT_CHAIN_INCOMPLETE:
        for (size_t i = 0; i < v->n_fetch; i++) {
            const struct https_fetch_result *x = &v->fetch[i];
            if (x->handshake_done && (c == ISSUE_CERT_EXPIRING_SOON ? expiring(v, x->cert.not_after)
                                                                    : (x->cert_flags & TLSCHECK_CHAIN_INCOMPLETE) != 0))
                list_add(buf, size, sep, policy_host);
        }
        for (size_t i = 0; i < v->n_probes; i++) {
            const struct smtp_probe_result *p = v->probes[i].res;
            if (c == ISSUE_CERT_EXPIRING_SOON ? expiring(v, p->tls.not_after)
                                              : (p->tls.flags & TLSCHECK_CHAIN_INCOMPLETE) != 0)
                list_add(buf, size, sep, v->probes[i].host);
        }
        break;
    case ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED:
        for (size_t i = 0; i < v->n_fetch; i++)
            if (v->fetch[i].status != HTTPS_FETCH_OK)
                list_add(buf, size, sep, v->fetch_addr[i]);
        break;
    default:
        for (size_t i = 0; i < r->n_mx; i++)
            if (issue_set_has(&r->mxs[i].issues, c))
                list_add(buf, size, sep, r->mxs[i].host);
        break;
    }
    if (!buf[0])
        snprintf(buf, size, "%s", c == ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED ? "some addresses"
                                                                             : "the hosts concerned");
}

void report_fix(enum issue_code c, const struct report_view *v, char *buf, size_t size)
{
    const char *d = v->row->domain;
    char hosts[RESULT_LIST_MAX];
    hosts_of(c, v, c == ISSUE_MX_NOT_COVERED ? "` and `mx: " : ", ", hosts, sizeof(hosts));
    size_t len = 0;
    buf[0] = '\0';
    for (const char *t = issue_fix(c); *t && len + 1 < size;) {
        char val[RESULT_LIST_MAX + 64];
        const char *end = *t == '{' ? strchr(t, '}') : NULL;
        val[0] = '\0';
        if (end) {
            size_t n = (size_t)(end - t - 1);
            if (n == 6 && strncmp(t + 1, "domain", n) == 0) snprintf(val, sizeof(val), "%s", d);
            else if (n == 8 && strncmp(t + 1, "sts_name", n) == 0) snprintf(val, sizeof(val), "_mta-sts.%s", d);
            else if (n == 11 && strncmp(t + 1, "tlsrpt_name", n) == 0) snprintf(val, sizeof(val), "_smtp._tls.%s", d);
            else if (n == 11 && strncmp(t + 1, "policy_host", n) == 0) snprintf(val, sizeof(val), "mta-sts.%s", d);
            else if (n == 10 && strncmp(t + 1, "policy_url", n) == 0)
                snprintf(val, sizeof(val), "https://mta-sts.%s/.well-known/mta-sts.txt", d);
            else if (n == 5 && strncmp(t + 1, "hosts", n) == 0) snprintf(val, sizeof(val), "%s", hosts);
            else end = NULL; /* not a placeholder: copied as is */
        }
        if (end) {
            len += (size_t)snprintf(buf + len, size - len, "%s", val);
            t = end + 1;
        } else {
            buf[len++] = *t++;
            buf[len] = '\0';
        }
        if (len >= size)
            len = size - 1;
    }
}

/* ---- text ---------------------------------------------------------------------------------- */

/* Columns taken by the UTF-8 character starting at s (continuation bytes take none). */
static int cols(unsigned char ch)
{
    return (ch & 0xC0) == 0x80 ? 0 : 1;
}

void report_wrap(FILE *out, const char *text, int first_indent, int more_indent, int width)
{
    int indent = first_indent;
    const char *p = text;
    do {
        int avail = width - indent, used = 0;
        if (avail < 10)
            avail = 10;
        /* the longest prefix that fits; break after the last space in it, if any */
        const char *q = p, *brk = NULL;
        while (*q && *q != '\n') {
            int w = cols((unsigned char)*q);
            if (used + w > avail)
                break;
            used += w;
            if (*q == ' ')
                brk = q;
            q++;
        }
        const char *end = (*q && *q != '\n' && brk && brk > p) ? brk : q;
        fprintf(out, "%*s%.*s\n", indent, "", (int)(end - p), p);
        p = end;
        while (*p == ' ')
            p++;
        if (*p == '\n')
            p++;
        indent = more_indent;
    } while (*p);
}

/* printf into a buffer, then wrapped output at indent (continuation indented 2 more). */
static void line(FILE *out, int indent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(FILE *out, int indent, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    report_wrap(out, buf, indent, indent + 2, REPORT_WIDTH);
}

struct paint {
    int on;
};

static const char *colour_of(const struct paint *p, int bad, int warn)
{
    if (!p->on)
        return "";
    return bad ? "\033[1;31m" : warn ? "\033[1;33m" : "\033[1;32m";
}

static const char *reset(const struct paint *p)
{
    return p->on ? "\033[0m" : "";
}

static const char *dns_outcome(enum dns_status s)
{
    return s == DNS_OK ? "answer" : dns_status_str(s);
}

static void text_mx(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    line(out, 0, "1. MX %s: %s", r->domain, r->mx_dns != DNS_OK ? dns_outcome(r->mx_dns)
                                            : v->mx && v->mx->null_mx ? "null MX (RFC 7505)"
                                                                      : "answer");
    if (v->mx)
        for (size_t i = 0; i < v->mx->n; i++)
            line(out, 3, "%5u %s", v->mx->mx[i].pref, v->mx->mx[i].host);
    if (r->n_mx == 1 && r->mxs[0].preference < 0)
        line(out, 3, "no MX: the domain itself is the mail host (implicit MX, RFC 5321 §5.1): %s",
             r->implicit_mx_dns == DNS_OK ? "it has an address" : dns_status_str(r->implicit_mx_dns));
}

static void text_sts(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    char ttl[32] = "";
    if (r->sts_ttl >= 0)
        snprintf(ttl, sizeof(ttl), ", TTL %ld s", r->sts_ttl);
    line(out, 0, "2. _mta-sts.%s TXT: %s%s (lookup: %s)", r->domain, txt_status_str(r->txt_status),
         ttl, dns_outcome(r->sts_dns));
    size_t cands = 0;
    for (size_t i = 0; i < v->n_sts_txt; i++)
        cands += (size_t)is_candidate(&v->sts_txt[i], "v=STSv1");
    for (size_t i = 0; i < v->n_sts_txt; i++) {
        const struct txt_record *t = &v->sts_txt[i];
        const char *why = !is_candidate(t, "v=STSv1") ? "ignored: does not start with \"v=STSv1;\""
                        : cands > 1 ? "one of several v=STSv1 records: none counts"
                        : r->txt_status == TXT_STATUS_OK ? "counted: the one v=STSv1 record"
                                                         : "the one v=STSv1 record, but it does not parse";
        char *shown = record_shown(t);
        line(out, 3, "%s", shown ? shown : "(out of memory)");
        free(shown);
        line(out, 6, "-> %s", why);
    }
    if (r->sts_id[0])
        line(out, 3, "id: %s", r->sts_id);
}

#define NAMES_SHOWN 4

/* The certificate's names ';'-joined as ", "-joined text, the first NAMES_SHOWN of them (shared
 * certificates carry dozens), then how many more. */
static void names_text(const char *names, char *buf, size_t size)
{
    size_t len = 0, n = 0;
    buf[0] = '\0';
    for (const char *p = names; *p;) {
        size_t k = strcspn(p, ";");
        if (n < NAMES_SHOWN)
            len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%.*s", n ? ", " : "",
                                    (int)k, p);
        n++;
        p += k + (p[k] == ';');
    }
    if (n > NAMES_SHOWN && len < size)
        snprintf(buf + len, size - len, " and %zu more", n - NAMES_SHOWN);
    if (n == 0)
        snprintf(buf, size, "(none)");
}

static void text_cert(FILE *out, int indent, const char *names, const char *issuer,
                      const char *not_after)
{
    char shown[1024];
    names_text(names, shown, sizeof(shown));
    line(out, indent, "certificate names: %s", shown);
    line(out, indent, "issuer: %s", issuer[0] ? issuer : "(unknown)");
    line(out, indent, "expires: %s", not_after);
}

static void text_policy_host(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    char addrs[RESULT_LIST_MAX] = "";
    for (size_t i = 0; i < v->n_policy_addr; i++)
        list_add(addrs, sizeof(addrs), " ", v->policy_addr[i]);
    line(out, 0, "3. Policy host mta-sts.%s: %s", r->domain,
         r->policy_host_dns != DNS_OK ? dns_outcome(r->policy_host_dns)
         : addrs[0] ? addrs : "not looked up");
    for (size_t i = 0; i < v->n_fetch; i++) {
        const struct https_fetch_result *x = &v->fetch[i];
        char when[32];
        line(out, 3, "%s: %s%s%s", v->fetch_addr[i], https_fetch_status_str(x->status),
             x->handshake_done ? ", " : "", x->handshake_done ? x->tls_version : "");
        if (x->handshake_done) {
            iso_write(x->cert.not_after, when, sizeof(when));
            text_cert(out, 6, x->cert.sans, x->cert.issuer, when);
        }
        if (x->http_status)
            line(out, 6, "HTTP %d, Content-Type: %s, %zu bytes", x->http_status,
                 x->content_type[0] ? x->content_type : "(none)", x->body_len);
        if (x->status != HTTPS_FETCH_OK && x->detail[0])
            line(out, 6, "%s", x->detail);
    }
}

static void text_policy(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    line(out, 0, "4. Policy https://mta-sts.%s/.well-known/mta-sts.txt: %s", r->domain,
         policy_status_str(r->policy_status));
    if (v->policy_body) {
        if (r->policy_sha256[0])
            line(out, 3, "sha256 %s", r->policy_sha256);
        for (const char *p = v->policy_body; *p;) {
            size_t n = strcspn(p, "\n");
            char buf[512];
            snprintf(buf, sizeof(buf), "| %.*s", (int)(n > 500 ? 500 : n), p);
            for (char *c = buf; *c; c++) /* CR and other controls shown as '?' */
                if ((unsigned char)*c < 0x20)
                    *c = '?';
            line(out, 3, "%s", buf);
            p += n + (p[n] == '\n');
        }
    }
    if (r->policy_mode != POLICY_MODE_UNSET)
        line(out, 3, "mode %s, max_age %ld", policy_mode_str(r->policy_mode), r->policy_max_age);
}

/* The pattern of the served policy that matches host, or NULL. */
static const char *matching_pattern(const struct policy *p, const char *host)
{
    for (size_t i = 0; p && i < p->n_mx; i++)
        if (policy_mx_match(p->mx[i], host))
            return p->mx[i];
    return NULL;
}

static void text_coverage(FILE *out, const struct report_view *v, const struct policy *pol)
{
    const struct domain_result *r = v->row;
    line(out, 0, "5. MX coverage: %s", r->mx_coverage == MX_COVERAGE_NOT_CHECKED
                                          ? "not checked (no enforce/testing policy)"
                                          : mx_coverage_str(r->mx_coverage));
    if (r->mx_coverage == MX_COVERAGE_NOT_CHECKED)
        return;
    for (size_t i = 0; i < r->n_mx; i++) {
        const char *m = matching_pattern(pol, r->mxs[i].host);
        line(out, 3, "%s: %s%s", r->mxs[i].host, m ? "matches mx: " : "matches no mx pattern",
             m ? m : "");
    }
}

static void text_probe(FILE *out, const struct report_probe *p)
{
    const struct smtp_probe_result *x = p->res;
    line(out, 3, "%s %s: %s%s%s", p->host, p->addr, smtp_probe_status_str(x->status),
         x->tls.version[0] ? ", " : "", x->tls.version);
    if (x->tls.version[0]) {
        char when[32];
        iso_write(x->tls.not_after, when, sizeof(when));
        text_cert(out, 6, x->tls.sans, x->tls.issuer, when);
    }
    if (x->tls.error[0])
        line(out, 6, "verify: %s", x->tls.error);
    if (x->error[0] && x->status != SMTP_PROBE_CERT_INVALID) /* else the verify line says it */
        line(out, 6, "%s", x->error);
}

static void text_starttls(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    line(out, 0, "6. STARTTLS: %s", starttls_status_str(r->starttls_status));
    for (size_t i = 0; i < r->n_mx; i++) {
        int shown = 0;
        for (size_t k = 0; k < v->n_probes; k++) {
            if (strcmp(v->probes[k].host, r->mxs[i].host) != 0)
                continue;
            text_probe(out, &v->probes[k]);
            shown = 1;
        }
        if (!shown && r->mxs[i].state == MX_PROBE_NO_ADDRESS)
            line(out, 3, "%s: no address to probe", r->mxs[i].host);
        else if (!shown && r->mxs[i].state == MX_PROBE_NOT_PROBED)
            line(out, 3, "%s: not probed", r->mxs[i].host);
    }
}

static void text_tlsrpt(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    char ttl[32] = "";
    if (v->tlsrpt_ttl >= 0)
        snprintf(ttl, sizeof(ttl), ", TTL %ld s", v->tlsrpt_ttl);
    line(out, 0, "7. TLS-RPT _smtp._tls.%s TXT: %s%s (lookup: %s)", r->domain,
         txt_status_str(r->tlsrpt_status), ttl, dns_outcome(r->tlsrpt_dns));
    for (size_t i = 0; i < v->n_tlsrpt_txt; i++) {
        const char *ign = is_candidate(&v->tlsrpt_txt[i], "v=TLSRPTv1") ? "" : " (ignored: no v=TLSRPTv1 prefix)";
        char *shown = record_shown(&v->tlsrpt_txt[i]);
        line(out, 3, "%s%s", shown ? shown : "(out of memory)", ign);
        free(shown);
    }
    for (const char *p = r->tlsrpt_rua; *p;) {
        size_t n = strcspn(p, ";");
        line(out, 3, "report to: %.*s", (int)n, p);
        p += n + (p[n] == ';');
    }
}

static void text_findings(FILE *out, const struct report_view *v, const struct paint *pt)
{
    const struct domain_result *r = v->row;
    int n = 0;
    for (int c = 0; c < ISSUE__COUNT; c++)
        n += issue_set_has(&r->issues, (enum issue_code)c);
    line(out, 0, "Findings: %d", n);
    for (int c = 0; c < ISSUE__COUNT; c++) {
        if (!issue_set_has(&r->issues, (enum issue_code)c))
            continue;
        enum issue_severity sv = issue_severity((enum issue_code)c);
        char fix[2048];
        report_fix((enum issue_code)c, v, fix, sizeof(fix));
        fprintf(out, "   %s%s%s %s\n", colour_of(pt, sv == SEVERITY_ERROR, sv == SEVERITY_WARNING),
                issue_severity_str(sv), reset(pt), issue_str((enum issue_code)c));
        line(out, 6, "rule: %s", issue_rule((enum issue_code)c));
        line(out, 6, "fix: %s", fix);
    }
    if (r->detail[0])
        line(out, 0, "Detail: %s", r->detail);
}

void report_text(FILE *out, const struct report_view *v, int colour)
{
    const struct domain_result *r = v->row;
    struct paint pt = {colour};
    int bad = classify_is_failure(r);
    int warn = !bad && r->verdict != VERDICT_ENFORCE_OK;
    fprintf(out, "%s%s%s: %s\n", colour_of(&pt, bad, warn), r->domain, reset(&pt), verdict_str(r->verdict));
    if (r->verdict == VERDICT_INPUT_INVALID) {
        line(out, 3, "%s", r->detail);
        return;
    }
    struct policy *pol = NULL;
    if (v->policy_body && (pol = malloc(sizeof(*pol))) != NULL)
        policy_parse(v->policy_body, strlen(v->policy_body), pol);
    text_mx(out, v);
    text_sts(out, v);
    text_policy_host(out, v);
    text_policy(out, v);
    text_coverage(out, v, pol);
    text_starttls(out, v);
    text_tlsrpt(out, v);
    if (v->n_resolvers > 1)
        line(out, 0, "Resolvers compared: %d, %s", v->n_resolvers,
             issue_set_has(&r->issues, ISSUE_RESOLVERS_DISAGREE) ? "they disagree" : "they agree");
    text_findings(out, v, &pt);
    free(pol);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

void report_json_string(FILE *out, const char *s)
{
    utf8text_json_string(out, s ? s : "", s ? strlen(s) : 0);
}

static void jkey(FILE *out, int *first, const char *key)
{
    fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
    *first = 0;
}

static void jstr(FILE *out, int *first, const char *key, const char *val)
{
    jkey(out, first, key);
    report_json_string(out, val);
}

static void jlong(FILE *out, int *first, const char *key, long val, int present)
{
    jkey(out, first, key);
    if (present)
        fprintf(out, "%ld", val);
    else
        fputs("null", out);
}

/* "key":[ (closed by the caller with ']'): the arrays of objects below all start so. */
static void jarray_open(FILE *out, int *first, const char *key)
{
    jkey(out, first, key);
    fputc('[', out);
}

/* The index-th object of an array: its separator and '{'; *f starts its own key list. */
static void jitem_open(FILE *out, size_t index, int *f)
{
    fprintf(out, "%s{", index ? "," : "");
    *f = 1;
}

/* A ';'-joined list as a JSON array of strings. */
static void jlist(FILE *out, int *first, const char *key, const char *list)
{
    jarray_open(out, first, key);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ";");
        char item[RESULT_LIST_MAX];
        snprintf(item, sizeof(item), "%.*s", (int)n, p);
        report_json_string(out, item);
        p += n + (p[n] == ';');
        if (*p)
            fputc(',', out);
    }
    fputc(']', out);
}

static void jtime(FILE *out, int *first, const char *key, time_t t)
{
    char buf[32];
    jkey(out, first, key);
    if (isotime_format(t, buf, sizeof(buf))[0] == '\0') {
        fputs("null", out);
        return;
    }
    report_json_string(out, buf);
}

/* The records as published: "text" (the strings joined, as a sender parses the record), "strings"
 * (for a record of several character-strings: each, in order) and "candidate".  The bytes are
 * the record's own, escaped only as JSON escapes them (no \xHH: that form is the terminal's and
 * the CSV cells'). */
static void json_records(FILE *out, int *first, const char *key, const struct txt_record *recs,
                         size_t n, const char *version)
{
    jarray_open(out, first, key);
    for (size_t i = 0; i < n; i++) {
        const struct txt_record *r = &recs[i];
        int f;
        jitem_open(out, i, &f);
        jkey(out, &f, "text");
        utf8text_json_string(out, (const char *)r->data, r->len);
        if (r->n_strings > 1) {
            size_t off = 0;
            jarray_open(out, &f, "strings");
            for (size_t k = 0; k < r->n_strings; k++) {
                size_t len = k + 1 == r->n_strings ? r->len - off : r->string_len[k];
                fputs(k ? "," : "", out);
                utf8text_json_string(out, (const char *)r->data + off, len);
                off += len;
            }
            fputc(']', out);
        }
        jkey(out, &f, "candidate");
        fputs(is_candidate(r, version) ? "true" : "false", out);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_fetches(FILE *out, int *first, const struct report_view *v)
{
    jarray_open(out, first, "fetches");
    for (size_t i = 0; i < v->n_fetch; i++) {
        const struct https_fetch_result *x = &v->fetch[i];
        int f;
        jitem_open(out, i, &f);
        jstr(out, &f, "address", v->fetch_addr[i]);
        jstr(out, &f, "status", https_fetch_status_str(x->status));
        jstr(out, &f, "detail", x->detail);
        jstr(out, &f, "tls_version", x->tls_version);
        jlong(out, &f, "http_status", x->http_status, x->http_status != 0);
        jstr(out, &f, "content_type", x->content_type);
        jlong(out, &f, "size", (long)x->body_len, x->status == HTTPS_FETCH_OK);
        jkey(out, &f, "cert");
        if (x->handshake_done) {
            int g = 1;
            fputc('{', out);
            jlist(out, &g, "names", x->cert.sans);
            jstr(out, &g, "issuer", x->cert.issuer);
            jtime(out, &g, "not_after", x->cert.not_after);
            fputc('}', out);
        } else {
            fputs("null", out);
        }
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_probes(FILE *out, int *first, const struct report_view *v)
{
    jarray_open(out, first, "probes");
    for (size_t i = 0; i < v->n_probes; i++) {
        const struct smtp_probe_result *x = v->probes[i].res;
        int f;
        jitem_open(out, i, &f);
        jstr(out, &f, "host", v->probes[i].host);
        jstr(out, &f, "address", v->probes[i].addr);
        jstr(out, &f, "status", smtp_probe_status_str(x->status));
        jstr(out, &f, "tls_version", x->tls.version);
        jstr(out, &f, "cipher", x->tls.cipher);
        jstr(out, &f, "cert_subject", x->tls.subject);
        jlist(out, &f, "cert_names", x->tls.sans);
        jstr(out, &f, "cert_issuer", x->tls.issuer);
        char when[32]; /* "" when unknown, as the text cell of earlier versions was */
        jstr(out, &f, "cert_not_after", isotime_format(x->tls.not_after, when, sizeof(when)));
        jstr(out, &f, "verify_error", x->tls.error);
        jstr(out, &f, "error", x->error);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_mx(FILE *out, int *first, const struct report_view *v, const struct policy *pol)
{
    const struct domain_result *r = v->row;
    jarray_open(out, first, "mx");
    for (size_t i = 0; i < r->n_mx; i++) {
        const struct result_mx *e = &r->mxs[i];
        char codes[RESULT_LIST_MAX];
        int f;
        jitem_open(out, i, &f);
        jstr(out, &f, "host", e->host);
        jlong(out, &f, "preference", e->preference, e->preference >= 0);
        jkey(out, &f, "covered");
        fputs(e->covered < 0 ? "null" : e->covered ? "true" : "false", out);
        const char *m = e->covered > 0 ? matching_pattern(pol, e->host) : NULL;
        jkey(out, &f, "pattern");
        if (m)
            report_json_string(out, m);
        else
            fputs("null", out);
        jstr(out, &f, "probe", e->state == MX_PROBE_NOT_PROBED ? "not_probed"
                               : e->state == MX_PROBE_NO_ADDRESS ? "no_address"
                               : e->failed ? smtp_probe_status_str(e->fail_status) : "ok");
        issue_set_format(&e->issues, codes, sizeof(codes));
        jlist(out, &f, "issues", codes);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_findings(FILE *out, int *first, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    size_t n = 0;
    jarray_open(out, first, "findings");
    for (int c = 0; c < ISSUE__COUNT; c++) {
        if (!issue_set_has(&r->issues, (enum issue_code)c))
            continue;
        char fix[2048];
        int f;
        report_fix((enum issue_code)c, v, fix, sizeof(fix));
        jitem_open(out, n++, &f);
        jstr(out, &f, "code", issue_str((enum issue_code)c));
        jstr(out, &f, "severity", issue_severity_str(issue_severity((enum issue_code)c)));
        jstr(out, &f, "rule", issue_rule((enum issue_code)c));
        jstr(out, &f, "fix", fix);
        fputc('}', out);
    }
    fputc(']', out);
}

void report_json(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    struct policy *pol = NULL;
    char buf[RESULT_NAME_MAX + 64];
    int f = 1, g;
    if (v->policy_body && (pol = malloc(sizeof(*pol))) != NULL)
        policy_parse(v->policy_body, strlen(v->policy_body), pol);
    fputc('{', out);
    jstr(out, &f, "domain", r->domain);
    jstr(out, &f, "verdict", verdict_str(r->verdict));
    jkey(out, &f, "failure");
    fputs(classify_is_failure(r) ? "true" : "false", out);
    jtime(out, &f, "scanned_at", r->scanned_at);
    jstr(out, &f, "mx_dns", dns_outcome(r->mx_dns));
    jkey(out, &f, "null_mx");
    fputs(v->mx && v->mx->null_mx ? "true" : "false", out);
    json_mx(out, &f, v, pol);

    jkey(out, &f, "sts");
    g = 1;
    fputc('{', out);
    snprintf(buf, sizeof(buf), "_mta-sts.%s", r->domain);
    jstr(out, &g, "name", buf);
    jstr(out, &g, "dns", dns_outcome(r->sts_dns));
    jstr(out, &g, "status", txt_status_str(r->txt_status));
    jlong(out, &g, "ttl", r->sts_ttl, r->sts_ttl >= 0);
    jstr(out, &g, "id", r->sts_id);
    json_records(out, &g, "records", v->sts_txt, v->n_sts_txt, "v=STSv1");
    fputc('}', out);

    jkey(out, &f, "policy_host");
    g = 1;
    fputc('{', out);
    snprintf(buf, sizeof(buf), "mta-sts.%s", r->domain);
    jstr(out, &g, "name", buf);
    jstr(out, &g, "dns", dns_outcome(r->policy_host_dns));
    jarray_open(out, &g, "addresses");
    for (size_t i = 0; i < v->n_policy_addr; i++) {
        fputs(i ? "," : "", out);
        report_json_string(out, v->policy_addr[i]);
    }
    fputc(']', out);
    json_fetches(out, &g, v);
    fputc('}', out);

    jkey(out, &f, "policy");
    g = 1;
    fputc('{', out);
    snprintf(buf, sizeof(buf), "https://mta-sts.%s/.well-known/mta-sts.txt", r->domain);
    jstr(out, &g, "url", buf);
    jstr(out, &g, "status", policy_status_str(r->policy_status));
    jlong(out, &g, "http_status", r->http_status, r->http_status != 0);
    jstr(out, &g, "sha256", r->policy_sha256);
    jkey(out, &g, "text");
    if (v->policy_body)
        report_json_string(out, v->policy_body);
    else
        fputs("null", out);
    jstr(out, &g, "mode", policy_mode_str(r->policy_mode));
    jlong(out, &g, "max_age", r->policy_max_age, r->policy_max_age >= 0);
    jlist(out, &g, "mx_patterns", r->policy_mx);
    jstr(out, &g, "coverage", mx_coverage_str(r->mx_coverage));
    fputc('}', out);

    jkey(out, &f, "starttls");
    g = 1;
    fputc('{', out);
    jstr(out, &g, "status", starttls_status_str(r->starttls_status));
    json_probes(out, &g, v);
    fputc('}', out);

    jkey(out, &f, "tlsrpt");
    g = 1;
    fputc('{', out);
    snprintf(buf, sizeof(buf), "_smtp._tls.%s", r->domain);
    jstr(out, &g, "name", buf);
    jstr(out, &g, "dns", dns_outcome(r->tlsrpt_dns));
    jstr(out, &g, "status", txt_status_str(r->tlsrpt_status));
    jlong(out, &g, "ttl", v->tlsrpt_ttl, v->tlsrpt_ttl >= 0);
    json_records(out, &g, "records", v->tlsrpt_txt, v->n_tlsrpt_txt, "v=TLSRPTv1");
    jlist(out, &g, "rua", r->tlsrpt_rua);
    fputc('}', out);

    jlong(out, &f, "resolvers_compared", v->n_resolvers, 1);
    json_findings(out, &f, v);
    jstr(out, &f, "detail", r->detail);
    fputs("}\n", out);
    free(pol);
}
