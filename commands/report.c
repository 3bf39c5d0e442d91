/*
 * report: the text and JSON forms of one domain's report.  Both walk the same steps in the order a
 * sender takes them (MX, _mta-sts TXT, policy host, policy, coverage, STARTTLS, TLS-RPT), then the
 * findings.  Text lines are wrapped to REPORT_WIDTH columns by report_wrap, so long certificate
 * names or detail texts never overflow a terminal; the JSON is written by lib/jsonw (compact).
 */
#include "commands/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/isotime.h"
#include "lib/jsonw.h"
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
        if (len > r->len - off) /* lengths that do not add up: never read past the record */
            len = r->len - off;
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
    char hosts[RESULT_LIST_MAX];
    hosts_of(c, v, c == ISSUE_MX_NOT_COVERED ? "` and `mx: " : ", ", hosts, sizeof(hosts));
    issue_fix_fill(c, v->row->domain, hosts, buf, size);
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

/* A string member; a NULL string is written as "" (the report's strings are never absent). */
static void jstr(struct jsonw *w, const char *key, const char *val)
{
    jsonw_string(w, key, val ? val : "");
}

/* A number member, null when not present. */
static void jlong(struct jsonw *w, const char *key, long val, int present)
{
    if (present)
        jsonw_long(w, key, val);
    else
        jsonw_null(w, key);
}

/* A ';'-joined list as a JSON array of strings. */
static void jlist(struct jsonw *w, const char *key, const char *list)
{
    jsonw_array(w, key);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ";");
        jsonw_string_len(w, NULL, p, n);
        p += n + (p[n] == ';');
    }
    jsonw_end(w);
}

/* The records as published: "text" (the strings joined, as a sender parses the record), "strings"
 * (for a record of several character-strings: each, in order) and "candidate".  The bytes are
 * the record's own, escaped only as JSON escapes them (no \xHH: that form is the terminal's and
 * the CSV cells'). */
static void json_records(struct jsonw *w, const char *key, const struct txt_record *recs, size_t n,
                         const char *version)
{
    jsonw_array(w, key);
    for (size_t i = 0; i < n; i++) {
        const struct txt_record *r = &recs[i];
        jsonw_object(w, NULL);
        jsonw_string_len(w, "text", (const char *)r->data, r->len);
        if (r->n_strings > 1) {
            size_t off = 0;
            jsonw_array(w, "strings");
            for (size_t k = 0; k < r->n_strings; k++) {
                size_t len = k + 1 == r->n_strings ? r->len - off : r->string_len[k];
                if (len > r->len - off) /* lengths that do not add up: never read past it */
                    len = r->len - off;
                jsonw_string_len(w, NULL, (const char *)r->data + off, len);
                off += len;
            }
            jsonw_end(w);
        }
        jsonw_bool(w, "candidate", is_candidate(r, version));
        jsonw_end(w);
    }
    jsonw_end(w);
}

static void json_fetches(struct jsonw *w, const struct report_view *v)
{
    jsonw_array(w, "fetches");
    for (size_t i = 0; i < v->n_fetch; i++) {
        const struct https_fetch_result *x = &v->fetch[i];
        jsonw_object(w, NULL);
        jstr(w, "address", v->fetch_addr[i]);
        jstr(w, "status", https_fetch_status_str(x->status));
        jstr(w, "detail", x->detail);
        jstr(w, "tls_version", x->tls_version);
        jlong(w, "http_status", x->http_status, x->http_status != 0);
        jstr(w, "content_type", x->content_type);
        jlong(w, "size", (long)x->body_len, x->status == HTTPS_FETCH_OK);
        if (x->handshake_done) {
            jsonw_object(w, "cert");
            jlist(w, "names", x->cert.sans);
            jstr(w, "issuer", x->cert.issuer);
            jsonw_time(w, "not_after", x->cert.not_after);
            jsonw_end(w);
        } else {
            jsonw_null(w, "cert");
        }
        jsonw_end(w);
    }
    jsonw_end(w);
}

static void json_probes(struct jsonw *w, const struct report_view *v)
{
    jsonw_array(w, "probes");
    for (size_t i = 0; i < v->n_probes; i++) {
        const struct smtp_probe_result *x = v->probes[i].res;
        jsonw_object(w, NULL);
        jstr(w, "host", v->probes[i].host);
        jstr(w, "address", v->probes[i].addr);
        jstr(w, "status", smtp_probe_status_str(x->status));
        jstr(w, "tls_version", x->tls.version);
        jstr(w, "cipher", x->tls.cipher);
        jstr(w, "cert_subject", x->tls.subject);
        jlist(w, "cert_names", x->tls.sans);
        jstr(w, "cert_issuer", x->tls.issuer);
        char when[32]; /* "" when unknown, as the text cell of earlier versions was */
        jstr(w, "cert_not_after", isotime_format(x->tls.not_after, when, sizeof(when)));
        jstr(w, "verify_error", x->tls.error);
        jstr(w, "error", x->error);
        jsonw_end(w);
    }
    jsonw_end(w);
}

static void json_mx(struct jsonw *w, const struct report_view *v, const struct policy *pol)
{
    const struct domain_result *r = v->row;
    jsonw_array(w, "mx");
    for (size_t i = 0; i < r->n_mx; i++) {
        const struct result_mx *e = &r->mxs[i];
        char codes[RESULT_LIST_MAX];
        jsonw_object(w, NULL);
        jstr(w, "host", e->host);
        jlong(w, "preference", e->preference, e->preference >= 0);
        if (e->covered < 0)
            jsonw_null(w, "covered");
        else
            jsonw_bool(w, "covered", e->covered);
        jsonw_string(w, "pattern", e->covered > 0 ? matching_pattern(pol, e->host) : NULL);
        jstr(w, "probe", e->state == MX_PROBE_NOT_PROBED ? "not_probed"
                         : e->state == MX_PROBE_NO_ADDRESS ? "no_address"
                         : e->failed ? smtp_probe_status_str(e->fail_status) : "ok");
        issue_set_format(&e->issues, codes, sizeof(codes));
        jlist(w, "issues", codes);
        jsonw_end(w);
    }
    jsonw_end(w);
}

static void json_findings(struct jsonw *w, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    jsonw_array(w, "findings");
    for (int c = 0; c < ISSUE__COUNT; c++) {
        if (!issue_set_has(&r->issues, (enum issue_code)c))
            continue;
        char fix[2048];
        report_fix((enum issue_code)c, v, fix, sizeof(fix));
        jsonw_object(w, NULL);
        jstr(w, "code", issue_str((enum issue_code)c));
        jstr(w, "severity", issue_severity_str(issue_severity((enum issue_code)c)));
        jstr(w, "rule", issue_rule((enum issue_code)c));
        jstr(w, "fix", fix);
        jsonw_end(w);
    }
    jsonw_end(w);
}

/* Opens the object key of a looked-up name (prefix + domain) with its "name" and "dns" outcome. */
static void json_lookup(struct jsonw *w, const char *key, const char *prefix, const char *domain,
                        enum dns_status dns)
{
    char name[RESULT_NAME_MAX + 16];
    snprintf(name, sizeof(name), "%s%s", prefix, domain);
    jsonw_object(w, key);
    jstr(w, "name", name);
    jstr(w, "dns", dns_outcome(dns));
}

void report_json(FILE *out, const struct report_view *v)
{
    const struct domain_result *r = v->row;
    struct policy *pol = NULL;
    char buf[RESULT_NAME_MAX + 64];
    struct jsonw jw, *w = &jw;
    if (v->policy_body && (pol = malloc(sizeof(*pol))) != NULL)
        policy_parse(v->policy_body, strlen(v->policy_body), pol);
    jsonw_init(w, out, JSONW_COMPACT);
    jsonw_object(w, NULL);
    jstr(w, "domain", r->domain);
    jstr(w, "verdict", verdict_str(r->verdict));
    jsonw_bool(w, "failure", classify_is_failure(r));
    jsonw_time(w, "scanned_at", r->scanned_at);
    jstr(w, "mx_dns", dns_outcome(r->mx_dns));
    jsonw_bool(w, "null_mx", v->mx && v->mx->null_mx);
    json_mx(w, v, pol);

    json_lookup(w, "sts", "_mta-sts.", r->domain, r->sts_dns);
    jstr(w, "status", txt_status_str(r->txt_status));
    jlong(w, "ttl", r->sts_ttl, r->sts_ttl >= 0);
    jstr(w, "id", r->sts_id);
    json_records(w, "records", v->sts_txt, v->n_sts_txt, "v=STSv1");
    jsonw_end(w);

    json_lookup(w, "policy_host", "mta-sts.", r->domain, r->policy_host_dns);
    jsonw_array(w, "addresses");
    for (size_t i = 0; i < v->n_policy_addr; i++)
        jstr(w, NULL, v->policy_addr[i]);
    jsonw_end(w);
    json_fetches(w, v);
    jsonw_end(w);

    jsonw_object(w, "policy");
    snprintf(buf, sizeof(buf), "https://mta-sts.%s/.well-known/mta-sts.txt", r->domain);
    jstr(w, "url", buf);
    jstr(w, "status", policy_status_str(r->policy_status));
    jlong(w, "http_status", r->http_status, r->http_status != 0);
    jstr(w, "sha256", r->policy_sha256);
    jsonw_string(w, "text", v->policy_body); /* null: no policy body */
    jstr(w, "mode", policy_mode_str(r->policy_mode));
    jlong(w, "max_age", r->policy_max_age, r->policy_max_age >= 0);
    jlist(w, "mx_patterns", r->policy_mx);
    jstr(w, "coverage", mx_coverage_str(r->mx_coverage));
    jsonw_end(w);

    jsonw_object(w, "starttls");
    jstr(w, "status", starttls_status_str(r->starttls_status));
    json_probes(w, v);
    jsonw_end(w);

    json_lookup(w, "tlsrpt", "_smtp._tls.", r->domain, r->tlsrpt_dns);
    jstr(w, "status", txt_status_str(r->tlsrpt_status));
    jlong(w, "ttl", v->tlsrpt_ttl, v->tlsrpt_ttl >= 0);
    json_records(w, "records", v->tlsrpt_txt, v->n_tlsrpt_txt, "v=TLSRPTv1");
    jlist(w, "rua", r->tlsrpt_rua);
    jsonw_end(w);

    jsonw_long(w, "resolvers_compared", (long)v->n_resolvers);
    json_findings(w, v);
    jstr(w, "detail", r->detail);
    jsonw_end(w);
    fputc('\n', out);
    free(pol);
}
