/*
 * csvout: the domain and MX schema tables, their cell formatters, and the row writer on top of
 * zwriter.  A row is assembled in one growing buffer and handed to zwriter in one call, so a
 * frame end (tick) never falls inside a row.
 */
#include "output/csvout.h"

#include <assert.h>
#include <errno.h>
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
};

/* ---- shared cell helpers ---- */

/* A formatter that returns a string already in the record (or a constant). */
#define STR_CELL(fn, expr)                                             \
    static const char *fn(const void *rec, char *scratch, size_t size) \
    {                                                                  \
        (void)scratch;                                                 \
        (void)size;                                                    \
        return (expr);                                                 \
    }

/* A formatter for a number that has a "no value" range (cond true = empty cell). */
#define NUM_CELL(fn, value, empty_if)                                  \
    static const char *fn(const void *rec, char *scratch, size_t size) \
    {                                                                  \
        long v = (long)(value);                                        \
        if (empty_if)                                                  \
            return "";                                                 \
        snprintf(scratch, size, "%ld", v);                             \
        return scratch;                                                \
    }

/* Milliseconds with one decimal; -1 (step not reached) = empty. */
#define MS_CELL(fn, value)                                             \
    static const char *fn(const void *rec, char *scratch, size_t size) \
    {                                                                  \
        double ms = (value);                                           \
        if (ms < 0)                                                    \
            return "";                                                 \
        snprintf(scratch, size, "%.1f", ms);                           \
        return scratch;                                                \
    }

char *csvout_format_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (size > 0)
        buf[0] = '\0';
    if (t == 0 || gmtime_r(&t, &tm) == NULL)
        return buf;
    if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && size > 0)
        buf[0] = '\0';
    return buf;
}

/* ---- domain table ---- */

#define DR ((const struct domain_result *)rec)

STR_CELL(d_domain, DR->domain)
NUM_CELL(d_rank, DR->rank, v < 0)
STR_CELL(d_mx, DR->mx)
STR_CELL(d_txt_status, txt_status_str(DR->txt_status))
STR_CELL(d_sts_id, DR->sts_id)
STR_CELL(d_policy_status, policy_status_str(DR->policy_status))
NUM_CELL(d_http_status, DR->http_status, v <= 0)
STR_CELL(d_policy_mode, DR->policy_mode)
NUM_CELL(d_policy_max_age, DR->policy_max_age, v < 0)
STR_CELL(d_policy_mx, DR->policy_mx)
STR_CELL(d_mx_coverage, DR->mx_coverage)
STR_CELL(d_starttls_status, starttls_status_str(DR->starttls_status))
STR_CELL(d_tlsrpt_status, txt_status_str(DR->tlsrpt_status))
STR_CELL(d_tlsrpt_rua, DR->tlsrpt_rua)
STR_CELL(d_verdict, verdict_str(DR->verdict))
STR_CELL(d_detail, DR->detail)

static const char *d_issues(const void *rec, char *scratch, size_t size)
{
    issue_set_format(&DR->issues, scratch, size);
    return scratch;
}

static const char *d_scanned_at(const void *rec, char *scratch, size_t size)
{
    return csvout_format_time(DR->scanned_at, scratch, size);
}

static const struct csvout_column domain_columns[] = {
    { "domain", "domain as given (lower-cased, no trailing dot); the raw line for input_invalid", d_domain },
    { "rank", "Tranco rank from the input, or the input line number when the input has none", d_rank },
    { "mx", "MX hosts by preference, ';'-joined (empty: no MX, implicit MX not listed)", d_mx },
    { "txt_status", "_mta-sts TXT lookup: not_queried, ok, missing, invalid, multiple, error", d_txt_status },
    { "sts_id", "id= of the valid _mta-sts TXT record", d_sts_id },
    { "policy_status", "policy fetch: not_fetched, ok, fetch_failed, invalid", d_policy_status },
    { "http_status", "HTTP status of the policy fetch (empty: no HTTP response)", d_http_status },
    { "policy_mode", "mode of a valid policy: enforce, testing, none", d_policy_mode },
    { "policy_max_age", "max_age of the policy in seconds (empty: none)", d_policy_max_age },
    { "policy_mx", "mx patterns of the policy, ';'-joined", d_policy_mx },
    { "mx_coverage", "MX hosts matched by the policy: all, none, partial", d_mx_coverage },
    { "starttls_status", "STARTTLS probes of the MX: not_probed, all_ok, some_failed, none_ok", d_starttls_status },
    { "tlsrpt_status", "_smtp._tls TXT lookup (RFC 8460): same values as txt_status", d_tlsrpt_status },
    { "tlsrpt_rua", "rua= destinations of the TLS-RPT record, ';'-joined", d_tlsrpt_rua },
    { "verdict", "one stable verdict per domain (docs/codes.md)", d_verdict },
    { "issues", "every stable issue code that applies, ';'-joined in code order", d_issues },
    { "detail", "human-readable reasons, '; '-joined", d_detail },
    { "scanned_at", "UTC time the domain's scan finished, ISO 8601", d_scanned_at },
};

/* ---- MX table ---- */

#define MR ((const struct csvout_mx_row *)rec)
#define MP (MR->probe)

/* The handshake completed (so the certificate was judged) only for these two outcomes. */
static int handshake_done(const struct smtp_probe_result *p)
{
    return p->status == SMTP_PROBE_OK || p->status == SMTP_PROBE_CERT_INVALID;
}

static const char *yes_no(int v)
{
    return v < 0 ? "" : v ? "yes" : "no";
}

STR_CELL(m_host, MR->mx_host)
STR_CELL(m_address, MR->address)
STR_CELL(m_status, smtp_probe_status_str(MP->status))
NUM_CELL(m_greeting, MP->greeting_code, v <= 0)
STR_CELL(m_starttls, yes_no(MP->starttls_offered))
STR_CELL(m_version, MP->tls.version)
STR_CELL(m_cipher, MP->tls.cipher)
STR_CELL(m_subject, MP->tls.subject)
STR_CELL(m_sans, MP->tls.sans)
STR_CELL(m_not_after, MP->tls.not_after)
STR_CELL(m_issuer, MP->tls.issuer)
STR_CELL(m_verify_ok, handshake_done(MP) ? yes_no(MP->tls.flags == 0) : "")
STR_CELL(m_verify_error, MP->tls.error)
STR_CELL(m_error, MP->error)
MS_CELL(m_connect_ms, MP->connect_ms)
MS_CELL(m_greeting_ms, MP->greeting_ms)
MS_CELL(m_tls_ms, MP->tls_ms)
MS_CELL(m_total_ms, MP->total_ms)
NUM_CELL(m_sharing, MR->domains_sharing, v < 0)

static const char *m_probed_at(const void *rec, char *scratch, size_t size)
{
    return csvout_format_time(MR->probed_at, scratch, size);
}

static const struct csvout_column mx_columns[] = {
    { "mx_host", "MX host name probed", m_host },
    { "address", "IP address probed (port 25)", m_address },
    { "probe_status", "ok, connect_failed, timeout, protocol, starttls_missing, tls_failed, cert_invalid, internal_error (the scanner failed: not a fact about the host)", m_status },
    { "greeting_code", "SMTP greeting reply code (empty: none received)", m_greeting },
    { "starttls_offered", "EHLO advertised STARTTLS: yes, no (empty: not reached)", m_starttls },
    { "tls_version", "negotiated TLS version, e.g. TLSv1.3", m_version },
    { "cipher", "negotiated cipher suite", m_cipher },
    { "cert_subject", "subject of the server certificate", m_subject },
    { "cert_sans", "DNS subjectAltNames of the certificate, ';'-joined", m_sans },
    { "cert_not_after", "certificate expiry, UTC ISO 8601", m_not_after },
    { "cert_issuer", "issuer of the server certificate", m_issuer },
    { "verify_ok", "certificate valid for the MX name: yes, no (empty: no handshake)", m_verify_ok },
    { "verify_error", "certificate verification errors, '; '-joined", m_verify_error },
    { "error", "what went wrong, human readable", m_error },
    { "connect_ms", "TCP connect time in ms (empty: step not reached)", m_connect_ms },
    { "greeting_ms", "time to the greeting in ms (empty: step not reached)", m_greeting_ms },
    { "tls_ms", "TLS handshake time in ms (empty: step not reached)", m_tls_ms },
    { "total_ms", "whole probe in ms", m_total_ms },
    { "domains_sharing", "number of scanned domains whose MX set includes this host (empty: unknown)", m_sharing },
    { "probed_at", "UTC time of the probe, ISO 8601", m_probed_at },
};

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

const struct csvout_column *csvout_schema(enum csvout_table t, size_t *n)
{
    switch (t) {
    case CSVOUT_DOMAIN:
        *n = N_ITEMS(domain_columns);
        return domain_columns;
    case CSVOUT_MX:
        *n = N_ITEMS(mx_columns);
        return mx_columns;
    }
    *n = 0;
    return NULL;
}

static void print_table(FILE *f, const char *title, enum csvout_table t)
{
    size_t n;
    const struct csvout_column *cols = csvout_schema(t, &n);
    fprintf(f, "%s\n", title);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-17s %s\n", cols[i].name, cols[i].description);
}

void csvout_print_schema(FILE *f)
{
    print_table(f, "Domain CSV (--output), one row per input line:", CSVOUT_DOMAIN);
    fputc('\n', f);
    print_table(f, "MX CSV (--mx-output), one row per probed MX address:", CSVOUT_MX);
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

/* Appends one cell and its separator ("," or "\n" after the last). */
static int row_add(struct csvout *c, const char *cell, int last)
{
    size_t len = strlen(cell);
    /* worst case: every byte a doubled quote, plus the two enclosing quotes and the separator */
    if (row_reserve(c, 2 * len + 3) != 0)
        return -1;
    if (needs_quote(cell, len))
        c->len += csv_write2(c->row + c->len, c->cap - c->len, cell, len, CSV_QUOTE);
    else {
        memcpy(c->row + c->len, cell, len);
        c->len += len;
    }
    c->row[c->len++] = last ? '\n' : ',';
    return 0;
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
    const struct csvout_column *cols = csvout_schema(c->table, &n);
    char scratch[CELL_SCRATCH];
    c->len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *cell = cols[i].format(rec, scratch, sizeof(scratch));
        if (row_add(c, cell, i + 1 == n) != 0)
            return nomem(c);
    }
    return zwriter_write(c->w, c->row, c->len);
}

static enum zwriter_status write_header(struct csvout *c)
{
    size_t n;
    const struct csvout_column *cols = csvout_schema(c->table, &n);
    c->len = 0;
    for (size_t i = 0; i < n; i++)
        if (row_add(c, cols[i].name, i + 1 == n) != 0)
            return nomem(c);
    return zwriter_write(c->w, c->row, c->len);
}

struct csvout *csvout_open_opts(const char *path, enum csvout_table t,
                                const struct zwriter_opts *opts, struct zwriter_error *err)
{
    struct csvout *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        memset(err, 0, sizeof(*err));
        err->status = ZWRITER_ERR_NOMEM;
        snprintf(err->text, sizeof(err->text), "open %s: out of memory", path);
        return NULL;
    }
    c->table = t;
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
    struct csvout_mx_row row = { host, address_text, p, domains_sharing, probed_at };
    return write_record(c, &row);
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
