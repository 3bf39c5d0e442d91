/*
 * csvout: the four schema tables (domain, MX, domain-MX edge, changes), their cell formatters, the
 * row writer on top of zwriter, and the cell parsers that csvin reads rows back with.  A row is
 * assembled in one growing buffer and handed to zwriter in one call, so a frame end (tick) never
 * falls inside a row.
 */
#include "output/csvout.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

/* Large enough for any formatted cell: the biggest record fields are RESULT_LIST_MAX /
 * RESULT_DETAIL_MAX (1024) and the issue list (< 1024). */
#define CELL_SCRATCH 2048

struct csvout {
    struct zwriter *w;
    enum csvout_table table;
    char *row;   /* the row being assembled */
    size_t cap;
    size_t len;
    int oom;     /* a row was lost to out-of-memory: sticky, reported at close */
    int guard;   /* --csv-formula-guard: text cells prefixed, CSVOUT_GUARD_COLUMN at the end */
};

/* ---- the enums' formatters, with the int signature a column holds ---- */

#define ENUM_STR(en)                                \
    static const char *en##_str_int(int v)          \
    {                                               \
        return en##_str((enum en)v);                \
    }

ENUM_STR(txt_status)
ENUM_STR(policy_status)
ENUM_STR(starttls_status)
ENUM_STR(verdict)
ENUM_STR(smtp_probe_status)
ENUM_STR(policy_mode)
ENUM_STR(mx_coverage)
ENUM_STR(change_code)
ENUM_STR(change_severity)
ENUM_STR(dns_sec)
ENUM_STR(dane_status)

/* A lookup's outcome cell: empty for an answer with records (or no lookup), else the status. */
static const char *dns_outcome_str_int(int v)
{
    return v == DNS_OK ? "" : dns_status_str((enum dns_status)v);
}

static int dns_outcome_parse(const char *s)
{
    return *s == '\0' ? DNS_OK : dns_status_parse(s);
}

/* A column is stored as an int when it is an enum: the record's enums must be int-sized. */
_Static_assert(sizeof(enum txt_status) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum verdict) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum smtp_probe_status) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum policy_mode) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum mx_coverage) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum dns_status) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum dns_sec) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum dane_status) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum change_code) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum change_severity) == sizeof(int), "enum columns are read as int");

/* One table line = one column.  R is the row record type, F its field. */
#define FIELD(R, F) offsetof(R, F), sizeof(((R *)0)->F)
#define C_STR(R, name, F, desc) { name, COL_STR, FIELD(R, F), 0, 0, NULL, NULL, desc }
#define C_LONG(R, name, F, min, none, desc) { name, COL_LONG, FIELD(R, F), min, none, NULL, NULL, desc }
#define C_INT(R, name, F, min, none, desc) { name, COL_INT, FIELD(R, F), min, none, NULL, NULL, desc }
#define C_ENUM(R, name, F, en, desc) { name, COL_ENUM, FIELD(R, F), 0, 0, en##_str_int, en##_parse, desc }
#define C_TYPED(R, name, type, F, desc) { name, type, FIELD(R, F), 0, 0, NULL, NULL, desc }

/* Columns every file of ours has (the first version's); later ones are optional when reading. */
#define DOMAIN_FIRST_VERSION_COLUMNS 18
#define MX_FIRST_VERSION_COLUMNS 20
#define EDGE_FIRST_VERSION_COLUMNS 8
#define CHANGES_FIRST_VERSION_COLUMNS 7

/* ---- domain table ---- */

#define D struct domain_result

static const struct cell_column domain_columns[] = {
    C_STR(D, "domain", domain, "domain as given (lower-cased, no trailing dot); the raw line for input_invalid"),
    C_LONG(D, "rank", rank, 0, -1, "Tranco rank from the input, or the input line number when the input has none"),
    C_STR(D, "mx", mx, "MX hosts by preference, ';'-joined (empty: no MX, implicit MX not listed)"),
    C_ENUM(D, "txt_status", txt_status, txt_status, "_mta-sts TXT lookup: not_queried, ok, missing, invalid, multiple, error"),
    C_STR(D, "sts_id", sts_id, "id= of the valid _mta-sts TXT record"),
    C_ENUM(D, "policy_status", policy_status, policy_status, "policy fetch: not_fetched, ok, fetch_failed, invalid"),
    C_INT(D, "http_status", http_status, 1, 0, "HTTP status of the policy fetch (empty: no HTTP response)"),
    C_ENUM(D, "policy_mode", policy_mode, policy_mode, "mode of a valid policy: enforce, testing, none"),
    C_LONG(D, "policy_max_age", policy_max_age, 0, -1, "max_age of the policy in seconds (empty: none)"),
    C_STR(D, "policy_mx", policy_mx, "mx patterns of the policy, ';'-joined"),
    C_ENUM(D, "mx_coverage", mx_coverage, mx_coverage, "MX hosts matched by the policy: all, none, partial"),
    C_ENUM(D, "starttls_status", starttls_status, starttls_status, "STARTTLS probes of the MX: not_probed, all_ok, some_failed, none_ok"),
    C_ENUM(D, "tlsrpt_status", tlsrpt_status, txt_status, "_smtp._tls TXT lookup (RFC 8460): same values as txt_status"),
    C_STR(D, "tlsrpt_rua", tlsrpt_rua, "rua= destinations of the TLS-RPT record, ';'-joined"),
    C_ENUM(D, "verdict", verdict, verdict, "one stable verdict per domain (docs/codes.md)"),
    C_TYPED(D, "issues", COL_ISSUES, issues, "every stable issue code that applies, ';'-joined in code order"),
    C_STR(D, "detail", detail, "human-readable reasons, '; '-joined"),
    C_TYPED(D, "scanned_at", COL_TIME, scanned_at, "UTC time the domain's scan finished, ISO 8601"),
    C_STR(D, "sts_record", sts_record, "the _mta-sts record(s) starting with v=STSv1 as published, several '|'-joined, unprintable bytes, '\\' and '|' as \\xHH, cut with ... past 511 bytes"),
    C_STR(D, "tlsrpt_record", tlsrpt_record, "the _smtp._tls record(s) starting with v=TLSRPTv1, written like sts_record"),
    C_LONG(D, "sts_ttl", sts_ttl, 0, -1, "TTL in seconds of the _mta-sts TXT answer (empty: no TXT record)"),
    C_STR(D, "policy_sha256", policy_sha256, "hex SHA-256 of the policy body as served (empty: no body)"),
    C_TYPED(D, "policy_cert_not_after", COL_TIME, policy_cert_not_after, "policy host certificate expiry, UTC ISO 8601 (empty: no TLS handshake)"),
    C_STR(D, "policy_cert_issuer", policy_cert_issuer, "issuer of the policy host certificate (RFC 2253)"),
    C_STR(D, "policy_cert_sans", policy_cert_sans, "DNS subjectAltNames of the policy host certificate, ';'-joined"),
    C_ENUM(D, "mx_dns", mx_dns, dns_outcome, "MX lookup outcome when not an answer with records: nxdomain, nodata, servfail, refused, timeout, ..."),
    C_ENUM(D, "sts_dns", sts_dns, dns_outcome, "_mta-sts TXT lookup outcome, as mx_dns"),
    C_ENUM(D, "tlsrpt_dns", tlsrpt_dns, dns_outcome, "_smtp._tls TXT lookup outcome, as mx_dns"),
    C_ENUM(D, "policy_host_dns", policy_host_dns, dns_outcome, "A/AAAA lookup of mta-sts.<domain>, as mx_dns (empty also: not looked up)"),
    C_ENUM(D, "implicit_mx_dns", implicit_mx_dns, dns_outcome, "A/AAAA lookup of the domain when it has no MX, as mx_dns (empty also: not looked up)"),
    C_STR(D, "retried", retried, "steps whose connection or greeting/handshake timed out and were tried again (--retry-timeouts), ';'-joined: policy_fetch, mx_probe (empty: none); the row holds the last try's result"),
    C_TYPED(D, "testing_since", COL_TIME, testing_since, "valid policy in mode testing: UTC time since which it has been in testing without a break, as far as --previous scans show (this scan's time without one); empty: not in mode testing"),
    C_ENUM(D, "mx_dnssec", mx_dnssec, dns_sec, "DNSSEC status of the MX RRset from a validating resolver (AD bit, RFC 6840): secure, insecure, bogus (SERVFAIL that answers with CD set); unchecked: the resolver does not validate (--metadata dnssec) or the lookup failed"),
    C_ENUM(D, "dane_status", dane_status, dane_status, "DANE for SMTP (RFC 7672) of the MX hosts: none (the MX RRset is insecure, or no MX host has usable TLSA in a secure zone), ok (every MX host with secure usable TLSA matched), failed (at least one did not), bogus (DNSSEC validation failed for the MX or a TLSA lookup), unchecked (no validating resolver, the MX lookup failed, or the TLSA records of a secure MX RRset were not looked up)"),
};

#undef D

/* ---- MX table ---- */

#define M struct csvout_mx_row

static const struct cell_column mx_columns[] = {
    C_STR(M, "mx_host", mx_host, "MX host name probed"),
    C_STR(M, "address", address, "IP address probed (port 25)"),
    C_ENUM(M, "probe_status", probe.status, smtp_probe_status, "ok, connect_failed, timeout, protocol, starttls_missing, tls_failed, cert_invalid, internal_error (the scanner failed: not a fact about the host)"),
    C_INT(M, "greeting_code", probe.greeting_code, 1, 0, "SMTP greeting reply code (empty: none received)"),
    C_TYPED(M, "starttls_offered", COL_YESNO, probe.starttls_offered, "EHLO advertised STARTTLS: yes, no (empty: not reached)"),
    C_STR(M, "tls_version", probe.tls.version, "negotiated TLS version, e.g. TLSv1.3"),
    C_STR(M, "cipher", probe.tls.cipher, "negotiated cipher suite"),
    C_STR(M, "cert_subject", probe.tls.subject, "subject of the server certificate"),
    C_STR(M, "cert_sans", probe.tls.sans, "DNS subjectAltNames of the certificate, ';'-joined"),
    C_TYPED(M, "cert_not_after", COL_TIME, probe.tls.not_after, "certificate expiry, UTC ISO 8601"),
    C_STR(M, "cert_issuer", probe.tls.issuer, "issuer of the server certificate"),
    C_TYPED(M, "verify_ok", COL_YESNO, verify_ok, "certificate valid for the MX name: yes, no (empty: no handshake)"),
    C_STR(M, "verify_error", probe.tls.error, "certificate verification errors, '; '-joined"),
    C_STR(M, "error", probe.error, "what went wrong, human readable"),
    C_TYPED(M, "connect_ms", COL_MS, probe.connect_ms, "TCP connect time in ms (empty: step not reached)"),
    C_TYPED(M, "greeting_ms", COL_MS, probe.greeting_ms, "time to the greeting in ms (empty: step not reached)"),
    C_TYPED(M, "tls_ms", COL_MS, probe.tls_ms, "TLS handshake time in ms (empty: step not reached)"),
    C_TYPED(M, "total_ms", COL_MS, probe.total_ms, "whole probe in ms"),
    C_LONG(M, "domains_sharing", domains_sharing, 0, -1, "number of scanned domains whose MX set includes this host (empty: unknown)"),
    C_TYPED(M, "probed_at", COL_TIME, probed_at, "UTC time of the probe, ISO 8601"),
};

#undef M

/* The handshake completed (so the certificate was judged) only for these two outcomes. */
static int handshake_done(const struct smtp_probe_result *p)
{
    return p->status == SMTP_PROBE_OK || p->status == SMTP_PROBE_CERT_INVALID;
}

void csvout_mx_row_init(struct csvout_mx_row *m)
{
    memset(m, 0, sizeof(*m));
    m->probe.starttls_offered = -1;
    m->probe.connect_ms = m->probe.greeting_ms = m->probe.tls_ms = m->probe.total_ms = -1;
    m->verify_ok = -1;
    m->domains_sharing = -1;
}

void csvout_mx_row_fill(struct csvout_mx_row *m, const char *host, const char *address_text,
                        const struct smtp_probe_result *p, long domains_sharing, time_t probed_at)
{
    result_copy(m->mx_host, sizeof(m->mx_host), host);
    result_copy(m->address, sizeof(m->address), address_text);
    m->probe = *p;
    m->verify_ok = handshake_done(p) ? p->tls.flags == 0 : -1;
    m->domains_sharing = domains_sharing;
    m->probed_at = probed_at;
}

/* ---- domain-MX edge table ---- */

#define E struct csvout_edge_row

static const struct cell_column edge_columns[] = {
    C_STR(E, "domain", domain, "domain, as in the domain table"),
    C_LONG(E, "rank", rank, 0, -1, "rank, as in the domain table (join key with domain)"),
    C_STR(E, "mx_host", mx_host, "one MX host of the domain (the domain itself for the implicit MX)"),
    C_INT(E, "preference", preference, 0, -1, "MX preference (empty: implicit MX, RFC 5321 §5.1)"),
    C_TYPED(E, "covered_by_policy", COL_YESNO, covered, "host matches the valid enforce/testing policy's mx patterns: yes, no (empty: no such policy)"),
    C_STR(E, "probe_status", probe_status, "not_probed, no_address, ok, or the probe status of the first failing address (as the MX table's probe_status)"),
    C_TYPED(E, "probe_issues", COL_ISSUES, issues, "mx_* codes the host's probes mean for this domain, ';'-joined (empty: passes or not probed)"),
    C_INT(E, "addresses_probed", addresses_probed, 0, -1, "addresses of the host probed (empty: not probed)"),
};

#undef E

/* ---- changes table (`diff`, --changes-output) ---- */

#define CH struct changes_row

static const struct cell_column changes_columns[] = {
    C_STR(CH, "domain", domain, "domain, as in the domain tables compared"),
    C_LONG(CH, "rank", rank, 0, -1, "rank in the new scan (the old scan's for domain_removed)"),
    C_ENUM(CH, "change", change, change_code, "stable change code (docs/codes.md, Changes)"),
    C_ENUM(CH, "severity", severity, change_severity, "info, warning, error"),
    C_STR(CH, "before", before, "the value in the old scan (empty: none or not applicable)"),
    C_STR(CH, "after", after, "the value in the new scan (empty: none or not applicable)"),
    C_STR(CH, "detail", detail, "what changed and why it matters, human readable"),
};

#undef CH

static const char *edge_probe_status(const struct result_mx *e)
{
    switch (e->state) {
    case MX_PROBE_NOT_PROBED: return "not_probed";
    case MX_PROBE_NO_ADDRESS: return "no_address";
    case MX_PROBE_DONE: return e->failed ? smtp_probe_status_str(e->fail_status) : "ok";
    }
    return "unknown";
}

void csvout_edge_row_init(struct csvout_edge_row *e)
{
    memset(e, 0, sizeof(*e));
    e->rank = -1;
    e->preference = -1;
    e->covered = -1;
    e->addresses_probed = -1;
}

void csvout_edge_row_fill(struct csvout_edge_row *e, const struct domain_result *r, size_t i)
{
    const struct result_mx *m = &r->mxs[i];
    csvout_edge_row_init(e);
    result_copy(e->domain, sizeof(e->domain), r->domain);
    e->rank = r->rank;
    result_copy(e->mx_host, sizeof(e->mx_host), m->host);
    e->preference = m->preference;
    e->covered = m->covered;
    result_copy(e->probe_status, sizeof(e->probe_status), edge_probe_status(m));
    e->issues = m->issues;
    e->addresses_probed = m->state == MX_PROBE_DONE ? m->n_addr : -1;
}

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

const struct cell_column *csvout_schema(enum csvout_table t, size_t *n)
{
    switch (t) {
    case CSVOUT_DOMAIN:
        *n = N_ITEMS(domain_columns);
        return domain_columns;
    case CSVOUT_MX:
        *n = N_ITEMS(mx_columns);
        return mx_columns;
    case CSVOUT_EDGE:
        *n = N_ITEMS(edge_columns);
        return edge_columns;
    case CSVOUT_CHANGES:
        *n = N_ITEMS(changes_columns);
        return changes_columns;
    }
    *n = 0;
    return NULL;
}

const struct cell_column *csvout_find_column(enum csvout_table t, const char *name, size_t *index)
{
    size_t n;
    const struct cell_column *cols = csvout_schema(t, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i].name, name) == 0) {
            if (index)
                *index = i;
            return &cols[i];
        }
    return NULL;
}

/* The three per-table facts below are switches without default, so that a new table (enum
 * csvout_table) is flagged by the compiler (-Wswitch) until it has them. */
const char *csvout_table_str(enum csvout_table t)
{
    switch (t) {
    case CSVOUT_DOMAIN: return "domain";
    case CSVOUT_MX: return "MX";
    case CSVOUT_EDGE: return "domain-MX edge";
    case CSVOUT_CHANGES: return "changes";
    }
    return "unknown";
}

int csvout_column_required(enum csvout_table t, size_t i)
{
    switch (t) {
    case CSVOUT_DOMAIN: return i < DOMAIN_FIRST_VERSION_COLUMNS;
    case CSVOUT_MX: return i < MX_FIRST_VERSION_COLUMNS;
    case CSVOUT_EDGE: return i < EDGE_FIRST_VERSION_COLUMNS;
    case CSVOUT_CHANGES: return i < CHANGES_FIRST_VERSION_COLUMNS;
    }
    return 0;
}

size_t csvout_record_size(enum csvout_table t)
{
    switch (t) {
    case CSVOUT_DOMAIN: return sizeof(struct domain_result);
    case CSVOUT_MX: return sizeof(struct csvout_mx_row);
    case CSVOUT_EDGE: return sizeof(struct csvout_edge_row);
    case CSVOUT_CHANGES: return sizeof(struct changes_row);
    }
    return 0;
}

void csvout_record_init(enum csvout_table t, void *rec)
{
    switch (t) {
    case CSVOUT_DOMAIN: result_init(rec); return;
    case CSVOUT_MX: csvout_mx_row_init(rec); return;
    case CSVOUT_EDGE: csvout_edge_row_init(rec); return;
    case CSVOUT_CHANGES: changes_row_init(rec); return;
    }
}

/* ---- printed schema (--schema, docs/codes.md) ---- */

static const char *type_name(const struct cell_column *col)
{
    switch (col->type) {
    case COL_STR: return "text";
    case COL_LONG:
    case COL_INT: return "integer";
    case COL_ENUM: return "code";
    case COL_ISSUES: return "codes";
    case COL_TIME: return "time";
    case COL_MS: return "ms";
    case COL_YESNO: return "yes/no";
    }
    return "?";
}

static void print_table(FILE *f, const char *title, enum csvout_table t)
{
    size_t n;
    const struct cell_column *cols = csvout_schema(t, &n);
    fprintf(f, "%s\n", title);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-17s %s\n", cols[i].name, cols[i].description);
}

void csvout_print_schema(FILE *f)
{
    print_table(f, "Domain CSV (--output), one row per input line:", CSVOUT_DOMAIN);
    fputc('\n', f);
    print_table(f, "MX CSV (--mx-output), one row per probed MX address:", CSVOUT_MX);
    fputc('\n', f);
    print_table(f, "Domain-MX CSV (--domain-mx-output), one row per (domain, MX host):", CSVOUT_EDGE);
    fputc('\n', f);
    print_table(f, "Changes CSV (diff -o, --changes-output), one row per (domain, change):", CSVOUT_CHANGES);
}

static void print_markdown_table(FILE *f, const char *title, enum csvout_table t)
{
    size_t n;
    const struct cell_column *cols = csvout_schema(t, &n);
    fprintf(f, "### %s\n\n| # | column | type | meaning |\n|---|---|---|---|\n", title);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "| %zu | `%s` | %s | ", i + 1, cols[i].name, type_name(&cols[i]));
        for (const char *c = cols[i].description; *c; c++) {
            if (*c == '|')
                fputc('\\', f); /* a '|' would end the Markdown cell */
            fputc(*c, f);
        }
        fputs(" |\n", f);
    }
}

void csvout_print_schema_markdown(FILE *f)
{
    print_markdown_table(f, "Domain table (`-o`), one row per input line", CSVOUT_DOMAIN);
    fputc('\n', f);
    print_markdown_table(f, "MX table (`--mx-output`), one row per probed MX address", CSVOUT_MX);
    fputc('\n', f);
    print_markdown_table(f, "Domain-MX edge table (`--domain-mx-output`), one row per (domain, MX host)",
                         CSVOUT_EDGE);
    fputc('\n', f);
    print_markdown_table(f, "Changes table (`diff -o`, `--changes-output`), one row per (domain, change)",
                         CSVOUT_CHANGES);
}

/* ---- row assembly ---- */

/* libcsv's parser trims unquoted leading/trailing blanks, so those fields must be quoted too. */
static int needs_quote(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static int row_reserve(struct csvout *c, size_t more)
{
    if (c->len + more <= c->cap)
        return 0;
    size_t cap = c->cap ? c->cap : 4096;
    while (cap < c->len + more)
        cap *= 2;
    char *p = realloc(c->row, cap);
    if (p == NULL)
        return -1;
    c->row = p;
    c->cap = cap;
    return 0;
}

int csvout_guard_needed(const char *s)
{
    return s[0] != '\0' && strchr("=+-@'", s[0]) != NULL;
}

/* Appends one cell and its separator ("," or "\n" after the last); guard = 1 puts a ' before it. */
static int row_add_guarded(struct csvout *c, const char *cell, int guard, int last)
{
    char *guarded = NULL; /* rare (a hostile cell): its own copy */
    if (guard) {
        size_t n = strlen(cell);
        if ((guarded = malloc(n + 2)) == NULL)
            return -1;
        guarded[0] = '\'';
        memcpy(guarded + 1, cell, n + 1);
        cell = guarded;
    }
    size_t len = strlen(cell);
    /* worst case: every byte a doubled quote, plus the two enclosing quotes and the separator */
    if (row_reserve(c, 2 * len + 3) != 0) {
        free(guarded);
        return -1;
    }
    if (needs_quote(cell, len))
        c->len += csv_write2(c->row + c->len, c->cap - c->len, cell, len, CSV_QUOTE);
    else {
        memcpy(c->row + c->len, cell, len);
        c->len += len;
    }
    c->row[c->len++] = last ? '\n' : ',';
    free(guarded);
    return 0;
}

static int row_add(struct csvout *c, const char *cell, int last)
{
    return row_add_guarded(c, cell, 0, last);
}

static enum zwriter_status nomem(struct csvout *c)
{
    c->oom = 1;
    return ZWRITER_ERR_NOMEM;
}

/* Formats rec through table t and writes the row. */
static enum zwriter_status write_record(struct csvout *c, const void *rec)
{
    const struct zwriter_error *e = zwriter_error(c->w);
    if (e->status != ZWRITER_OK)
        return e->status;
    if (c->oom)
        return ZWRITER_ERR_NOMEM;
    size_t n;
    const struct cell_column *cols = csvout_schema(c->table, &n);
    char scratch[CELL_SCRATCH];
    c->len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *cell = cell_format(&cols[i], rec, scratch, sizeof(scratch));
        int guard = c->guard && cols[i].type == COL_STR && csvout_guard_needed(cell);
        if (row_add_guarded(c, cell, guard, i + 1 == n && !c->guard) != 0)
            return nomem(c);
    }
    if (c->guard && row_add(c, "yes", 1) != 0)
        return nomem(c);
    return zwriter_write(c->w, c->row, c->len);
}

static enum zwriter_status write_header(struct csvout *c)
{
    size_t n;
    const struct cell_column *cols = csvout_schema(c->table, &n);
    c->len = 0;
    for (size_t i = 0; i < n; i++)
        if (row_add(c, cols[i].name, i + 1 == n && !c->guard) != 0)
            return nomem(c);
    if (c->guard && row_add(c, CSVOUT_GUARD_COLUMN, 1) != 0)
        return nomem(c);
    return zwriter_write(c->w, c->row, c->len);
}

struct csvout *csvout_open_opts(const char *path, enum csvout_table t,
                                const struct zwriter_opts *opts, struct zwriter_error *err)
{
    return csvout_open_guard(path, t, opts, 0, err);
}

struct csvout *csvout_open_guard(const char *path, enum csvout_table t, const struct zwriter_opts *opts,
                                 int formula_guard, struct zwriter_error *err)
{
    struct csvout *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        memset(err, 0, sizeof(*err));
        err->status = ZWRITER_ERR_NOMEM;
        snprintf(err->text, sizeof(err->text), "open %s: out of memory", path);
        return NULL;
    }
    c->table = t;
    c->guard = formula_guard != 0;
    c->w = zwriter_open_opts(path, opts, err);
    if (c->w == NULL) {
        free(c);
        return NULL;
    }
    /* The header is published at once: a file killed before its first row is still a CSV. */
    if (write_header(c) != ZWRITER_OK || zwriter_flush(c->w) != ZWRITER_OK) {
        csvout_close_as(c, ZWRITER_DISCARD, err);
        return NULL;
    }
    return c;
}

struct csvout *csvout_open(const char *path, enum csvout_table t, struct zwriter_error *err)
{
    return csvout_open_opts(path, t, NULL, err);
}

enum zwriter_status csvout_write_domain(struct csvout *c, const struct domain_result *r)
{
    assert(c->table == CSVOUT_DOMAIN);
    return write_record(c, r);
}

enum zwriter_status csvout_write_mx(struct csvout *c, const char *host, const char *address_text,
                                    const struct smtp_probe_result *p, long domains_sharing,
                                    time_t probed_at)
{
    assert(c->table == CSVOUT_MX);
    struct csvout_mx_row row;
    csvout_mx_row_fill(&row, host, address_text, p, domains_sharing, probed_at);
    return write_record(c, &row);
}

enum zwriter_status csvout_write_record(struct csvout *c, const void *rec)
{
    return write_record(c, rec);
}

enum zwriter_status csvout_write_edges(struct csvout *c, const struct domain_result *r)
{
    assert(c->table == CSVOUT_EDGE);
    enum zwriter_status st = zwriter_error(c->w)->status;
    for (size_t i = 0; i < r->n_mx && st == ZWRITER_OK; i++) {
        struct csvout_edge_row row;
        csvout_edge_row_fill(&row, r, i);
        st = write_record(c, &row);
    }
    return st;
}

enum zwriter_status csvout_tick(struct csvout *c, double now)
{
    return zwriter_tick(c->w, now);
}

const struct zwriter_error *csvout_error(const struct csvout *c)
{
    return zwriter_error(c->w);
}

enum zwriter_status csvout_finish(struct csvout *c)
{
    enum zwriter_status st = zwriter_finish(c->w);
    return st == ZWRITER_OK && c->oom ? ZWRITER_ERR_NOMEM : st;
}

const char *csvout_work_path(const struct csvout *c)
{
    return zwriter_work_path(c->w);
}

enum zwriter_status csvout_close_as(struct csvout *c, enum zwriter_close_mode mode,
                                    struct zwriter_error *err)
{
    if (c == NULL)
        return zwriter_close(NULL, err);
    struct zwriter_error e;
    /* A table that lost a row to out-of-memory is incomplete: never published. */
    enum zwriter_status st = zwriter_close_as(c->w, c->oom && mode == ZWRITER_PUBLISH
                                                        ? ZWRITER_KEEP_PARTIAL : mode, &e);
    if (st == ZWRITER_OK && c->oom) {
        st = e.status = ZWRITER_ERR_NOMEM;
        e.sys_errno = ENOMEM;
        snprintf(e.text, sizeof(e.text), "csv row: %s", strerror(ENOMEM));
    }
    if (err != NULL)
        *err = e;
    free(c->row);
    free(c);
    return st;
}

enum zwriter_status csvout_close(struct csvout *c, struct zwriter_error *err)
{
    return csvout_close_as(c, ZWRITER_PUBLISH, err);
}
