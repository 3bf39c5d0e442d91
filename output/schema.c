/*
 * schema: the four tables' columns (domain, MX, domain-MX edge, changes), each described once by a
 * table of typed column descriptors, the flat row records of the MX and edge tables, and the
 * printed schema (--schema, docs/codes.md).  csvout writes and csvin reads through these tables.
 */
#include "output/schema.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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
ENUM_STR(delivery)

/* dane_match: "" for none (no TLSA records judged). */
static const char *dane_match_str_int(int v)
{
    return dane_match_str((enum dane_match)v);
}

/* tlsa_dnssec: the DNSSEC status of a TLSA lookup; empty when none was made. */
static const char *tlsa_sec_str_int(int v)
{
    return v == DNS_SEC__COUNT ? "" : dns_sec_str((enum dns_sec)v);
}

static int tlsa_sec_parse(const char *s)
{
    return *s == '\0' ? DNS_SEC__COUNT : dns_sec_parse(s);
}

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
_Static_assert(sizeof(enum dane_match) == sizeof(int), "enum columns are read as int");
_Static_assert(sizeof(enum delivery) == sizeof(int), "enum columns are read as int");
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
    C_ENUM(D, "dane_status", dane_status, dane_status, "DANE for SMTP (RFC 7672) of the MX hosts: none (the MX RRset is insecure, or no MX host has usable TLSA in a secure zone), ok (every MX host with secure usable TLSA matched), failed (at least one did not, or refused STARTTLS), bogus (DNSSEC validation failed for the MX RRset, an MX host's addresses or its TLSA lookup), unchecked (no validating resolver, the MX lookup failed, or an MX host behind a secure MX RRset could not be judged); docs/codes.md has the rule per value"),
    C_ENUM(D, "sts_delivery", sts_delivery, delivery, "whether a sender that enforces MTA-STS (only) delivers, under a valid enforce policy: all (every MX host covered and passing), some (at least one does, at least one does not: mail goes to those), none, unchecked (a host that decides it was not probed); empty: no enforce policy to enforce (docs/codes.md, What a sender would do)"),
    C_ENUM(D, "dane_sts_delivery", dane_sts_delivery, delivery, "the same for a sender that also validates DNSSEC and DANE (RFC 8461 §2: a failing DANE host takes no mail whatever MTA-STS says): all, some, none, unchecked (no validating resolver, or a host that decides it could not be judged); empty: neither an enforce policy nor a secure MX RRset applies, or no mail host"),
};

#undef D

/* ---- MX table ---- */

#define M struct schema_mx_row

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
    C_ENUM(M, "dane_match", probe.dane.match, dane_match, "DANE (RFC 7672) in this STARTTLS connection, against the host's secure TLSA records (OpenSSL's DANE code): ok, failed (no usable record matches the chain served), unusable (no record usable for SMTP), no_chain (no handshake: STARTTLS refused or failed, or not reached), error (the scanner failed); empty: no secure TLSA records"),
    C_STR(M, "tlsa", tlsa, "the host's TLSA records at _25._tcp.<host> as published, \"usage selector mtype hex\", ';'-joined (empty: none, or not looked up)"),
    C_ENUM(M, "tlsa_dnssec", tlsa_dnssec, tlsa_sec, "DNSSEC status of the host's TLSA lookup: secure, insecure, bogus, unchecked (the lookup failed); empty: not looked up (the host's address records are not DNSSEC-secure, RFC 7672 §2.2.2)"),
};

#undef M

/* The handshake completed (so the certificate was judged) only for these two outcomes. */
static int handshake_done(const struct smtp_probe_result *p)
{
    return p->status == SMTP_PROBE_OK || p->status == SMTP_PROBE_CERT_INVALID;
}

void schema_mx_row_init(struct schema_mx_row *m)
{
    memset(m, 0, sizeof(*m));
    m->probe.starttls_offered = -1;
    m->probe.connect_ms = m->probe.greeting_ms = m->probe.tls_ms = m->probe.total_ms = -1;
    m->verify_ok = -1;
    m->domains_sharing = -1;
    m->tlsa_dnssec = DNS_SEC__COUNT;
}

void schema_mx_row_fill(struct schema_mx_row *m, const char *host, const char *address_text,
                        const struct smtp_probe_result *p, long domains_sharing, time_t probed_at)
{
    result_copy(m->mx_host, sizeof(m->mx_host), host);
    result_copy(m->address, sizeof(m->address), address_text);
    m->probe = *p;
    m->verify_ok = handshake_done(p) ? p->tls.flags == 0 : -1;
    m->domains_sharing = domains_sharing;
    m->probed_at = probed_at;
    m->tlsa[0] = '\0';
    m->tlsa_dnssec = DNS_SEC__COUNT;
}

void schema_mx_row_set_tlsa(struct schema_mx_row *m, enum dns_sec sec,
                            const struct dane_tlsa_set *set)
{
    m->tlsa_dnssec = sec;
    m->tlsa[0] = '\0';
    for (size_t i = 0; set && i < set->n; i++) {
        char one[300];
        result_list_add(m->tlsa, sizeof(m->tlsa), dane_tlsa_text(&set->rec[i], one, sizeof(one)));
    }
}

/* ---- domain-MX edge table ---- */

#define E struct schema_edge_row

static const struct cell_column edge_columns[] = {
    C_STR(E, "domain", domain, "domain, as in the domain table"),
    C_LONG(E, "rank", rank, 0, -1, "rank, as in the domain table (join key with domain)"),
    C_STR(E, "mx_host", mx_host, "one MX host of the domain (the domain itself for the implicit MX)"),
    C_INT(E, "preference", preference, 0, -1, "MX preference (empty: implicit MX, RFC 5321 §5.1)"),
    C_TYPED(E, "covered_by_policy", COL_YESNO, covered, "host matches the valid enforce/testing policy's mx patterns: yes, no (empty: no such policy)"),
    C_STR(E, "probe_status", probe_status, "not_probed, no_address, ok, or the probe status of the first failing address (as the MX table's probe_status)"),
    C_TYPED(E, "probe_issues", COL_ISSUES, issues, "mx_* codes the host's probes mean for this domain, ';'-joined (empty: passes or not probed)"),
    C_INT(E, "addresses_probed", addresses_probed, 0, -1, "addresses of the host probed (empty: not probed)"),
    C_ENUM(E, "dane_match", dane_match, dane_match, "DANE (RFC 7672) of the host's addresses, the worst of the MX table's dane_match (failed, no_chain, unusable, error, ok); empty: no secure TLSA records or not probed"),
    C_ENUM(E, "tlsa_dnssec", tlsa_dnssec, tlsa_sec, "DNSSEC status of the host's TLSA lookup, as the MX table's tlsa_dnssec (empty: not looked up)"),
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

void schema_edge_row_init(struct schema_edge_row *e)
{
    memset(e, 0, sizeof(*e));
    e->rank = -1;
    e->preference = -1;
    e->covered = -1;
    e->addresses_probed = -1;
    e->tlsa_dnssec = DNS_SEC__COUNT;
}

void schema_edge_row_fill(struct schema_edge_row *e, const struct domain_result *r, size_t i)
{
    const struct result_mx *m = &r->mxs[i];
    schema_edge_row_init(e);
    result_copy(e->domain, sizeof(e->domain), r->domain);
    e->rank = r->rank;
    result_copy(e->mx_host, sizeof(e->mx_host), m->host);
    e->preference = m->preference;
    e->covered = m->covered;
    result_copy(e->probe_status, sizeof(e->probe_status), edge_probe_status(m));
    e->issues = m->issues;
    e->addresses_probed = m->state == MX_PROBE_DONE ? m->n_addr : -1;
    e->dane_match = m->dane_match;
    e->tlsa_dnssec = m->tlsa_queried ? m->tlsa_dnssec : DNS_SEC__COUNT;
}

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

const struct cell_column *schema_columns(enum schema_table t, size_t *n)
{
    switch (t) {
    case SCHEMA_DOMAIN:
        *n = N_ITEMS(domain_columns);
        return domain_columns;
    case SCHEMA_MX:
        *n = N_ITEMS(mx_columns);
        return mx_columns;
    case SCHEMA_EDGE:
        *n = N_ITEMS(edge_columns);
        return edge_columns;
    case SCHEMA_CHANGES:
        *n = N_ITEMS(changes_columns);
        return changes_columns;
    }
    *n = 0;
    return NULL;
}

const struct cell_column *schema_find_column(enum schema_table t, const char *name, size_t *index)
{
    size_t n;
    const struct cell_column *cols = schema_columns(t, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i].name, name) == 0) {
            if (index)
                *index = i;
            return &cols[i];
        }
    return NULL;
}

/* The three per-table facts below are switches without default, so that a new table (enum
 * schema_table) is flagged by the compiler (-Wswitch) until it has them. */
const char *schema_table_str(enum schema_table t)
{
    switch (t) {
    case SCHEMA_DOMAIN: return "domain";
    case SCHEMA_MX: return "MX";
    case SCHEMA_EDGE: return "domain-MX edge";
    case SCHEMA_CHANGES: return "changes";
    }
    return "unknown";
}

int schema_column_required(enum schema_table t, size_t i)
{
    switch (t) {
    case SCHEMA_DOMAIN: return i < DOMAIN_FIRST_VERSION_COLUMNS;
    case SCHEMA_MX: return i < MX_FIRST_VERSION_COLUMNS;
    case SCHEMA_EDGE: return i < EDGE_FIRST_VERSION_COLUMNS;
    case SCHEMA_CHANGES: return i < CHANGES_FIRST_VERSION_COLUMNS;
    }
    return 0;
}

size_t schema_record_size(enum schema_table t)
{
    switch (t) {
    case SCHEMA_DOMAIN: return sizeof(struct domain_result);
    case SCHEMA_MX: return sizeof(struct schema_mx_row);
    case SCHEMA_EDGE: return sizeof(struct schema_edge_row);
    case SCHEMA_CHANGES: return sizeof(struct changes_row);
    }
    return 0;
}

void schema_record_init(enum schema_table t, void *rec)
{
    switch (t) {
    case SCHEMA_DOMAIN: result_init(rec); return;
    case SCHEMA_MX: schema_mx_row_init(rec); return;
    case SCHEMA_EDGE: schema_edge_row_init(rec); return;
    case SCHEMA_CHANGES: changes_row_init(rec); return;
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

static void print_table(FILE *f, const char *title, enum schema_table t)
{
    size_t n;
    const struct cell_column *cols = schema_columns(t, &n);
    fprintf(f, "%s\n", title);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-17s %s\n", cols[i].name, cols[i].description);
}

void schema_print(FILE *f)
{
    print_table(f, "Domain CSV (--output), one row per input line:", SCHEMA_DOMAIN);
    fputc('\n', f);
    print_table(f, "MX CSV (--mx-output), one row per probed MX address:", SCHEMA_MX);
    fputc('\n', f);
    print_table(f, "Domain-MX CSV (--domain-mx-output), one row per (domain, MX host):", SCHEMA_EDGE);
    fputc('\n', f);
    print_table(f, "Changes CSV (diff -o, --changes-output), one row per (domain, change):", SCHEMA_CHANGES);
}

static void print_markdown_table(FILE *f, const char *title, enum schema_table t)
{
    size_t n;
    const struct cell_column *cols = schema_columns(t, &n);
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

void schema_print_markdown(FILE *f)
{
    print_markdown_table(f, "Domain table (`-o`), one row per input line", SCHEMA_DOMAIN);
    fputc('\n', f);
    print_markdown_table(f, "MX table (`--mx-output`), one row per probed MX address", SCHEMA_MX);
    fputc('\n', f);
    print_markdown_table(f, "Domain-MX edge table (`--domain-mx-output`), one row per (domain, MX host)",
                         SCHEMA_EDGE);
    fputc('\n', f);
    print_markdown_table(f, "Changes table (`diff -o`, `--changes-output`), one row per (domain, change)",
                         SCHEMA_CHANGES);
}

int schema_guard_needed(const char *s)
{
    return s[0] != '\0' && strchr("=+-@'", s[0]) != NULL;
}

