/*
 * test_csvout: the domain and MX CSVs.  Header rows are checked against the exact contract;
 * rows are read back with libcsv's own parser (csv_parse), so quoting of commas, quotes, newlines
 * and blanks is proven by a round trip, not by string comparison; a .csv.zst file is decompressed
 * with libzstd and parsed the same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <csv.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "tests/support/files.h"
#include "tests/support/rows.h"

static const char *DOMAIN_HEADER =
    "domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode,policy_max_age,"
    "policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua,verdict,issues,detail,"
    "scanned_at,sts_record,tlsrpt_record,sts_ttl,policy_sha256,policy_cert_not_after,"
    "policy_cert_issuer,policy_cert_sans,mx_dns,sts_dns,tlsrpt_dns,policy_host_dns,implicit_mx_dns,retried,testing_since,mx_dnssec,dane_status,"
    "sts_delivery,dane_sts_delivery\n";

static const char *MX_HEADER =
    "mx_host,address,probe_status,greeting_code,starttls_offered,tls_version,cipher,"
    "cert_subject,cert_sans,cert_not_after,cert_issuer,verify_ok,verify_error,error,connect_ms,"
    "greeting_ms,tls_ms,total_ms,domains_sharing,probed_at,dane_match,tlsa,tlsa_dnssec\n";

#define T_2026 ROWS_T_2026

/* ---- a small table filled by libcsv's parser ---- */

#define MAX_ROWS 16
#define MAX_FIELDS 64

struct table {
    char *cell[MAX_ROWS][MAX_FIELDS];
    size_t nfields[MAX_ROWS];
    size_t nrows;
};

static void on_field(void *s, size_t len, void *data)
{
    struct table *t = data;
    assert_true(t->nrows < MAX_ROWS);
    size_t i = t->nfields[t->nrows]++;
    assert_true(i < MAX_FIELDS);
    char *c = malloc(len + 1);
    if (len)
        memcpy(c, s, len);
    c[len] = '\0';
    t->cell[t->nrows][i] = c;
}

static void on_row(int term, void *data)
{
    (void)term;
    struct table *t = data;
    t->nrows++;
}

static void parse_csv(const char *text, size_t len, struct table *t)
{
    struct csv_parser p;
    memset(t, 0, sizeof(*t));
    assert_int_equal(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
    assert_int_equal(csv_parse(&p, text, len, on_field, on_row, t), len);
    assert_int_equal(csv_fini(&p, on_field, on_row, t), 0);
    csv_free(&p);
}

static void table_free(struct table *t)
{
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t i = 0; i < t->nfields[r]; i++)
            free(t->cell[r][i]);
}

/* Column index by name in the header row of t. */
static size_t col(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->nfields[0]; i++)
        if (strcmp(t->cell[0][i], name) == 0)
            return i;
    fail_msg("no column %s", name);
    return 0;
}

/* Reads the CSV file at path into t with libcsv; returns the raw text (caller frees). */
static char *read_csv(const char *path, struct table *t)
{
    size_t len;
    char *text = files_slurp(path, &len);
    parse_csv(text, len, t);
    return text;
}

/* ---- records ---- */

static void write_domains(const char *path, const struct domain_result *rs, size_t n)
{
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_DOMAIN, &err);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(csvout_write_domain(c, &rs[i]), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
}

/* ---- tests ---- */

static void test_domain_header_exact(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "header.csv");
    write_domains(path, NULL, 0);
    files_expect_text(path, DOMAIN_HEADER);
}

static void test_mx_header_exact(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "mxheader.csv");
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_MX, &err);
    assert_non_null(c);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    files_expect_text(path, MX_HEADER);
}

static void test_schema_drives_docs(void **state)
{
    (void)state;
    size_t n;
    const struct cell_column *cols = schema_columns(SCHEMA_DOMAIN, &n);
    assert_int_equal(n, 36);
    assert_string_equal(cols[0].name, "domain");
    assert_string_equal(cols[17].name, "scanned_at");
    char *doc = NULL;
    size_t doclen = 0;
    FILE *f = open_memstream(&doc, &doclen);
    schema_print(f);
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(strstr(doc, cols[i].name));
        assert_non_null(strstr(doc, cols[i].description));
    }
    cols = schema_columns(SCHEMA_MX, &n);
    assert_int_equal(n, 23);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(doc, cols[i].description));
    free(doc);
}

static void test_all_domain_columns(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "full.csv");
    struct domain_result r[2];
    rows_full(&r[0]);
    result_init(&r[1]);
    result_copy(r[1].domain, sizeof(r[1].domain), "empty.example");
    write_domains(path, r, 2);

    struct table t;
    char *text = read_csv(path, &t);
    assert_int_equal(t.nrows, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(t.nfields[i], 36);
    const char *want[] = {
        "example.com", "42", "mx1.example.com;mx2.example.com", "ok", "20260101T000000", "ok",
        "200", "enforce", "604800", "mx1.example.com;*.example.com", "all", "some_failed",
        "missing", "mailto:tls@example.com", "would_fail", "mx_starttls_missing;tlsrpt_missing",
        "mx2.example.com: no STARTTLS", "2026-11-22T06:10:33Z",
    };
    for (size_t i = 0; i < 18; i++)
        assert_string_equal(t.cell[1][i], want[i]);
    /* the empty record: no-value cells are empty, statuses are their stable strings */
    assert_string_equal(t.cell[2][col(&t, "rank")], "");
    assert_string_equal(t.cell[2][col(&t, "http_status")], "");
    assert_string_equal(t.cell[2][col(&t, "policy_max_age")], "");
    assert_string_equal(t.cell[2][col(&t, "txt_status")], "not_queried");
    assert_string_equal(t.cell[2][col(&t, "policy_status")], "not_fetched");
    assert_string_equal(t.cell[2][col(&t, "starttls_status")], "not_probed");
    assert_string_equal(t.cell[2][col(&t, "verdict")], "not_deployed");
    assert_string_equal(t.cell[2][col(&t, "issues")], "");
    assert_string_equal(t.cell[2][col(&t, "scanned_at")], "");
    assert_string_equal(t.cell[2][col(&t, "mx_dnssec")], "unchecked");
    assert_string_equal(t.cell[1][col(&t, "mx_dnssec")], "secure");
    assert_string_equal(t.cell[2][col(&t, "dane_status")], "unchecked");
    assert_string_equal(t.cell[1][col(&t, "dane_status")], "failed");
    assert_string_equal(t.cell[1][col(&t, "sts_delivery")], "some");
    assert_string_equal(t.cell[1][col(&t, "dane_sts_delivery")], "none");
    assert_string_equal(t.cell[2][col(&t, "sts_delivery")], ""); /* not judged */
    assert_string_equal(t.cell[2][col(&t, "dane_sts_delivery")], "");
    /* a bare row: nothing needed quoting */
    assert_null(strchr(strchr(text, '\n') + 1, '"'));
    table_free(&t);
    free(text);
}

static void test_quoting_round_trip(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "quote.csv");
    const char *nasty[] = {
        "a,b", "say \"hi\"", "line1\nline2", "cr\rhere", " leading", "trailing ", "\t tab",
        "\"", ",", "\"\"\"", "plain;list;x",
    };
    size_t n = sizeof(nasty) / sizeof(nasty[0]);
    struct domain_result r[16];
    for (size_t i = 0; i < n; i++) {
        result_init(&r[i]);
        result_copy(r[i].domain, sizeof(r[i].domain), nasty[i]);
        result_copy(r[i].detail, sizeof(r[i].detail), nasty[n - 1 - i]);
        r[i].rank = (long)i;
        r[i].verdict = VERDICT_INPUT_INVALID;
    }
    write_domains(path, r, n);
    struct table t;
    char *text = read_csv(path, &t);
    assert_int_equal(t.nrows, n + 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t.nfields[i + 1], 36);
        assert_string_equal(t.cell[i + 1][col(&t, "domain")], nasty[i]);
        assert_string_equal(t.cell[i + 1][col(&t, "detail")], nasty[n - 1 - i]);
        assert_string_equal(t.cell[i + 1][col(&t, "verdict")], "input_invalid");
    }
    /* the plain list field was not quoted */
    assert_non_null(strstr(text, "\nplain;list;x,"));
    table_free(&t);
    free(text);
}

static void test_long_fields(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "long.csv");
    struct domain_result r;
    rows_full(&r);
    memset(r.detail, '"', sizeof(r.detail) - 1); /* worst case for quoting: all quotes */
    r.detail[sizeof(r.detail) - 1] = '\0';
    memset(r.mx, ',', sizeof(r.mx) - 1);
    r.mx[sizeof(r.mx) - 1] = '\0';
    write_domains(path, &r, 1);
    struct table t;
    char *text = read_csv(path, &t);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(t.cell[1][col(&t, "detail")], r.detail);
    assert_string_equal(t.cell[1][col(&t, "mx")], r.mx);
    table_free(&t);
    free(text);
}

static void fill_probe(struct smtp_probe_result *p)
{
    memset(p, 0, sizeof(*p));
    p->status = SMTP_PROBE_CERT_INVALID;
    p->greeting_code = 220;
    p->starttls_offered = 1;
    p->tls.flags = 2; /* hostname mismatch */
    strcpy(p->tls.version, "TLSv1.3");
    strcpy(p->tls.cipher, "TLS_AES_256_GCM_SHA384");
    strcpy(p->tls.subject, "CN=mail.other.example, O=Other, Inc.");
    strcpy(p->tls.sans, "mail.other.example;other.example");
    p->tls.not_after = 1798761600; /* 2027-01-01T00:00:00Z: written as such (a time cell) */
    strcpy(p->tls.issuer, "CN=Test CA");
    strcpy(p->tls.error, "hostname mismatch");
    strcpy(p->error, "certificate not valid for \"mx1.example.com\"");
    p->connect_ms = 1.25;
    p->greeting_ms = 20.0;
    p->tls_ms = 33.333;
    p->total_ms = 60.0;
}

static void test_mx_rows(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "mx.csv");
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_MX, &err);
    assert_non_null(c);
    struct smtp_probe_result p;
    fill_probe(&p);
    assert_int_equal(csvout_write_mx(c, "mx1.example.com", "192.0.2.1", &p, 17, T_2026), ZWRITER_OK);
    struct smtp_probe_result q;
    memset(&q, 0, sizeof(q));
    q.status = SMTP_PROBE_CONNECT_FAILED;
    q.starttls_offered = -1;
    q.connect_ms = q.greeting_ms = q.tls_ms = -1;
    q.total_ms = 3000.0;
    strcpy(q.error, "connection refused");
    assert_int_equal(csvout_write_mx(c, "mx2.example.com", "2001:db8::25", &q, -1, T_2026), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);

    struct table t;
    char *text = read_csv(path, &t);
    assert_int_equal(t.nrows, 3);
    assert_int_equal(t.nfields[1], 23);
    assert_int_equal(t.nfields[2], 23);
    const char *want1[] = {
        "mx1.example.com", "192.0.2.1", "cert_invalid", "220", "yes", "TLSv1.3",
        "TLS_AES_256_GCM_SHA384", "CN=mail.other.example, O=Other, Inc.",
        "mail.other.example;other.example", "2027-01-01T00:00:00Z", "CN=Test CA", "no",
        "hostname mismatch", "certificate not valid for \"mx1.example.com\"", "1.2", "20.0",
        "33.3", "60.0", "17", "2026-11-22T06:10:33Z",
    };
    for (size_t i = 0; i < 20; i++)
        assert_string_equal(t.cell[1][i], want1[i]);
    assert_string_equal(t.cell[2][col(&t, "probe_status")], "connect_failed");
    assert_string_equal(t.cell[2][col(&t, "greeting_code")], "");
    assert_string_equal(t.cell[2][col(&t, "starttls_offered")], "");
    assert_string_equal(t.cell[2][col(&t, "verify_ok")], "");
    assert_string_equal(t.cell[2][col(&t, "connect_ms")], "");
    assert_string_equal(t.cell[2][col(&t, "total_ms")], "3000.0");
    assert_string_equal(t.cell[2][col(&t, "domains_sharing")], "");
    assert_string_equal(t.cell[2][col(&t, "address")], "2001:db8::25");
    assert_string_equal(t.cell[1][col(&t, "dane_match")], ""); /* no TLSA records */
    assert_string_equal(t.cell[1][col(&t, "tlsa")], "");
    assert_string_equal(t.cell[1][col(&t, "tlsa_dnssec")], "");
    table_free(&t);
    free(text);
}

/* DANE cells (issue 21): the MX table's per-address dane_match and the host's TLSA records as
 * published with their DNSSEC status; the edge table's worst match and TLSA status. */
static void test_dane_columns(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "mx-dane.csv");
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_MX, &err);
    assert_non_null(c);
    struct smtp_probe_result p;
    fill_probe(&p);
    p.dane.match = DANE_MATCH_FAILED;
    struct dane_tlsa_set set;
    memset(&set, 0, sizeof(set));
    set.status = DNS_OK;
    set.sec = DNS_SEC_SECURE;
    set.n = 2;
    set.rec[0] = (struct dane_tlsa){.usage = 3, .selector = 1, .mtype = 1, .len = 2, .data = {0xab, 0xcd}};
    set.rec[1] = (struct dane_tlsa){.usage = 2, .selector = 0, .mtype = 1, .len = 1, .data = {0x01}};
    struct schema_mx_row row;
    schema_mx_row_fill(&row, "mx1.example.com", "192.0.2.1", &p, 3, T_2026);
    schema_mx_row_set_tlsa(&row, DNS_SEC_SECURE, &set);
    assert_int_equal(csvout_write_record(c, &row), ZWRITER_OK);
    p.dane.match = DANE_MATCH_NONE;
    schema_mx_row_fill(&row, "mx2.example.com", "192.0.2.2", &p, 3, T_2026);
    schema_mx_row_set_tlsa(&row, DNS_SEC_INSECURE, NULL); /* looked up, nothing published */
    assert_int_equal(csvout_write_record(c, &row), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    struct table t;
    char *text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "dane_match")], "failed");
    assert_string_equal(t.cell[1][col(&t, "tlsa")], "3 1 1 abcd;2 0 1 01");
    assert_string_equal(t.cell[1][col(&t, "tlsa_dnssec")], "secure");
    assert_string_equal(t.cell[2][col(&t, "dane_match")], "");
    assert_string_equal(t.cell[2][col(&t, "tlsa")], "");
    assert_string_equal(t.cell[2][col(&t, "tlsa_dnssec")], "insecure");
    table_free(&t);
    free(text);

    struct domain_result r;
    result_init(&r);
    result_copy(r.domain, sizeof(r.domain), "example.com");
    r.rank = 1;
    r.n_mx = 2;
    result_copy(r.mxs[0].host, sizeof(r.mxs[0].host), "mx1.example.com");
    r.mxs[0].state = MX_PROBE_DONE;
    r.mxs[0].n_addr = 1;
    r.mxs[0].dane_match = DANE_MATCH_OK;
    r.mxs[0].tlsa_queried = 1;
    r.mxs[0].tlsa_dnssec = DNS_SEC_SECURE;
    result_copy(r.mxs[1].host, sizeof(r.mxs[1].host), "mx2.example.com");
    files_tmp_path(path, sizeof(path), "edge-dane.csv");
    c = csvout_open(path, SCHEMA_EDGE, &err);
    assert_non_null(c);
    assert_int_equal(csvout_write_edges(c, &r), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "dane_match")], "ok");
    assert_string_equal(t.cell[1][col(&t, "tlsa_dnssec")], "secure");
    assert_string_equal(t.cell[2][col(&t, "dane_match")], "");
    assert_string_equal(t.cell[2][col(&t, "tlsa_dnssec")], ""); /* not looked up */
    table_free(&t);
    free(text);
}

static void test_verify_ok_yes_and_no_starttls(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "mx2.csv");
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_MX, &err);
    struct smtp_probe_result p;
    fill_probe(&p);
    p.status = SMTP_PROBE_OK;
    p.tls.flags = 0;
    csvout_write_mx(c, "a", "192.0.2.2", &p, 0, 0);
    p.status = SMTP_PROBE_STARTTLS_MISSING;
    p.starttls_offered = 0;
    csvout_write_mx(c, "b", "192.0.2.3", &p, 0, 0);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    struct table t;
    char *text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "verify_ok")], "yes");
    assert_string_equal(t.cell[1][col(&t, "domains_sharing")], "0");
    assert_string_equal(t.cell[1][col(&t, "probed_at")], "");
    assert_string_equal(t.cell[2][col(&t, "verify_ok")], "");
    assert_string_equal(t.cell[2][col(&t, "starttls_offered")], "no");
    table_free(&t);
    free(text);
}

static void test_zstd_round_trip(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "rows.csv.zst");
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_DOMAIN, &err);
    assert_non_null(c);
    struct domain_result r;
    rows_full(&r);
    for (int i = 0; i < 5; i++) {
        r.rank = i + 1;
        assert_int_equal(csvout_write_domain(c, &r), ZWRITER_OK);
        assert_int_equal(csvout_tick(c, 10.0 * i), ZWRITER_OK); /* a frame per row */
    }
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);

    size_t zlen;
    char *z = files_slurp(path, &zlen);
    assert_int_equal((unsigned char)z[0], 0x28); /* zstd magic 28 B5 2F FD */
    size_t plen = 0;
    char *plain = files_unzstd(z, zlen, &plen);
    assert_non_null(plain); /* not corrupt, and ended on a frame boundary */
    struct table t;
    parse_csv(plain, plen, &t);
    assert_int_equal(t.nrows, 6);
    for (size_t i = 1; i < 6; i++) {
        char want[8];
        snprintf(want, sizeof(want), "%zu", i);
        assert_string_equal(t.cell[i][col(&t, "rank")], want);
        assert_string_equal(t.cell[i][col(&t, "scanned_at")], "2026-11-22T06:10:33Z");
    }
    assert_memory_equal(plain, DOMAIN_HEADER, strlen(DOMAIN_HEADER));
    table_free(&t);
    free(plain);
    free(z);
}

static void test_write_error_reported(void **state)
{
    (void)state;
    struct zwriter_error err;
    /* The header is published at open, so a full disk is reported there (row writes that fail
     * later are covered by test_zwriter). */
    assert_null(csvout_open("/dev/full", SCHEMA_DOMAIN, &err));
    assert_int_equal(err.status, ZWRITER_ERR_WRITE);
    assert_non_null(strstr(zwriter_strerror(&err), "No space left on device"));
}

static void test_open_error(void **state)
{
    (void)state;
    struct zwriter_error err;
    assert_null(csvout_open("/nonexistent-dir-mtasts/x.csv", SCHEMA_MX, &err));
    assert_int_equal(err.status, ZWRITER_ERR_OPEN);
}

/* Every descriptor points inside its record with the size its type needs, so formatting and
 * parsing through offsets cannot read or write past a field. */
static void test_descriptors_fit_records(void **state)
{
    (void)state;
    for (int t = SCHEMA_DOMAIN; t <= SCHEMA_MX; t++) {
        size_t n;
        const struct cell_column *cols = schema_columns((enum schema_table)t, &n);
        for (size_t i = 0; i < n; i++) {
            const struct cell_column *c = &cols[i];
            assert_true(c->offset + c->size <= schema_record_size((enum schema_table)t));
            switch (c->type) {
            case COL_STR: assert_true(c->size >= 4); break;
            case COL_LONG: assert_int_equal(c->size, sizeof(long)); break;
            case COL_INT:
            case COL_YESNO: assert_int_equal(c->size, sizeof(int)); break;
            case COL_ENUM:
                assert_int_equal(c->size, sizeof(int));
                assert_non_null(c->str);
                assert_non_null(c->parse);
                break;
            case COL_ISSUES: assert_int_equal(c->size, sizeof(struct issue_set)); break;
            case COL_TIME: assert_int_equal(c->size, sizeof(time_t)); break;
            case COL_MS: assert_int_equal(c->size, sizeof(double)); break;
            }
            size_t at;
            assert_ptr_equal(schema_find_column((enum schema_table)t, c->name, &at), c);
            assert_int_equal(at, i);
        }
    }
    assert_null(schema_find_column(SCHEMA_DOMAIN, "nope", NULL));
    /* the first version's columns are required when reading, later ones optional */
    assert_true(schema_column_required(SCHEMA_DOMAIN, 17));
    assert_false(schema_column_required(SCHEMA_DOMAIN, 18));
    assert_true(schema_column_required(SCHEMA_MX, 19));
    assert_false(schema_column_required(SCHEMA_MX, 20));
}

/* Every cell of a full record parses back to the same text, and a bad cell is refused. */
static void test_cells_parse_back(void **state)
{
    (void)state;
    struct domain_result r, back;
    rows_full(&r);
    size_t n;
    const struct cell_column *cols = schema_columns(SCHEMA_DOMAIN, &n);
    char a[2048], b[2048], err[160];
    result_init(&back);
    for (size_t i = 0; i < n; i++) {
        const char *cell = cell_format(&cols[i], &r, a, sizeof(a));
        assert_int_equal(cell_parse(&cols[i], &back, cell, strlen(cell), err, sizeof(err)), 0);
        assert_string_equal(cell_format(&cols[i], &back, b, sizeof(b)), cell);
    }
    assert_memory_equal(&r.issues, &back.issues, sizeof(r.issues));
    assert_int_equal(back.scanned_at, T_2026);
    const struct cell_column *rank = schema_find_column(SCHEMA_DOMAIN, "rank", NULL);
    assert_int_equal(cell_parse(rank, &back, "", 0, err, sizeof(err)), 0);
    assert_int_equal(back.rank, -1); /* empty = none */
    assert_int_equal(cell_parse(rank, &back, "-5", 2, err, sizeof(err)), -1);
    assert_int_equal(cell_parse(rank, &back, " 5", 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a number"));
    const struct cell_column *v = schema_find_column(SCHEMA_DOMAIN, "verdict", NULL);
    assert_int_equal(cell_parse(v, &back, "ok", 2, err, sizeof(err)), -1);
    assert_int_equal(cell_parse(v, &back, "", 0, err, sizeof(err)), -1);
    const struct cell_column *d = schema_find_column(SCHEMA_DOMAIN, "sts_id", NULL);
    char longid[100];
    memset(longid, 'x', sizeof(longid));
    assert_int_equal(cell_parse(d, &back, longid, sizeof(longid), err, sizeof(err)), 0);
    assert_int_equal(strlen(back.sts_id), sizeof(back.sts_id) - 1);
    assert_string_equal(back.sts_id + sizeof(back.sts_id) - 4, "..."); /* cut and marked */
    /* A time cell reads through isotime (tested in test_isotime); a bad one is refused. */
    const struct cell_column *at = schema_find_column(SCHEMA_DOMAIN, "scanned_at", NULL);
    assert_int_equal(cell_parse(at, &back, "2026-11-22T06:10:33Z", 20, err, sizeof(err)), 0);
    assert_int_equal(back.scanned_at, T_2026);
    assert_int_equal(cell_parse(at, &back, " 226-11-22T06:10:33Z", 20, err, sizeof(err)), -1);
}

/* The Markdown of docs/codes.md lists every column with its type. */
static void test_schema_markdown(void **state)
{
    (void)state;
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    schema_print_markdown(f);
    fclose(f);
    assert_non_null(strstr(doc, "| 2 | `rank` | integer |"));
    assert_non_null(strstr(doc, "| 16 | `issues` | codes |"));
    assert_non_null(strstr(doc, "| 18 | `scanned_at` | time |"));
    assert_non_null(strstr(doc, "| 12 | `verify_ok` | yes/no |"));
    assert_non_null(strstr(doc, "| 15 | `connect_ms` | ms |"));
    free(doc);
}

/* The columns added at the end: typed values formatted, no value = empty cell. */
static void test_added_domain_columns(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "added.csv");
    struct domain_result r[2];
    rows_full(&r[0]);
    result_copy(r[0].sts_record, sizeof(r[0].sts_record), "v=STSv1; id=1;|v=STSv1; id=2;");
    result_copy(r[0].tlsrpt_record, sizeof(r[0].tlsrpt_record), "v=TLSRPTv1; rua=mailto:a@b.c");
    r[0].sts_ttl = 3600;
    result_copy(r[0].policy_sha256, sizeof(r[0].policy_sha256), "ab01");
    r[0].policy_cert_not_after = T_2026;
    result_copy(r[0].policy_cert_issuer, sizeof(r[0].policy_cert_issuer), "CN=CA,O=Test");
    result_copy(r[0].policy_cert_sans, sizeof(r[0].policy_cert_sans), "mta-sts.example.com");
    r[0].mx_dns = DNS_OK;
    r[0].sts_dns = DNS_NXDOMAIN;
    r[0].tlsrpt_dns = DNS_NODATA;
    r[0].policy_host_dns = DNS_SERVFAIL;
    r[0].implicit_mx_dns = DNS_TIMEOUT;
    result_init(&r[1]);
    write_domains(path, r, 2);
    struct table t;
    char *text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "sts_record")], "v=STSv1; id=1;|v=STSv1; id=2;");
    assert_string_equal(t.cell[1][col(&t, "tlsrpt_record")], "v=TLSRPTv1; rua=mailto:a@b.c");
    assert_string_equal(t.cell[1][col(&t, "sts_ttl")], "3600");
    assert_string_equal(t.cell[1][col(&t, "policy_sha256")], "ab01");
    assert_string_equal(t.cell[1][col(&t, "policy_cert_not_after")], "2026-11-22T06:10:33Z");
    assert_string_equal(t.cell[1][col(&t, "policy_cert_issuer")], "CN=CA,O=Test"); /* quoted: a comma */
    assert_string_equal(t.cell[1][col(&t, "policy_cert_sans")], "mta-sts.example.com");
    assert_string_equal(t.cell[1][col(&t, "mx_dns")], "");
    assert_string_equal(t.cell[1][col(&t, "sts_dns")], "nxdomain");
    assert_string_equal(t.cell[1][col(&t, "tlsrpt_dns")], "nodata");
    assert_string_equal(t.cell[1][col(&t, "policy_host_dns")], "servfail");
    assert_string_equal(t.cell[1][col(&t, "implicit_mx_dns")], "timeout");
    const char *empty[] = {"sts_record", "sts_ttl", "policy_sha256", "policy_cert_not_after",
                           "policy_cert_issuer", "mx_dns", "policy_mode", "mx_coverage"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        assert_string_equal(t.cell[2][col(&t, empty[i])], "");
    table_free(&t);
    free(text);
}

/* The domain-MX edge table: header, one row per MX host, typed cells. */
static void test_edge_rows(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "edges.csv");
    struct domain_result r;
    result_init(&r);
    result_copy(r.domain, sizeof(r.domain), "example.com");
    r.rank = 5;
    r.n_mx = 3;
    struct result_mx *e = r.mxs;
    result_copy(e[0].host, sizeof(e[0].host), "mx1.example.com");
    e[0].preference = 10;
    e[0].covered = 1;
    e[0].state = MX_PROBE_DONE;
    e[0].n_addr = 2;
    result_copy(e[1].host, sizeof(e[1].host), "mx2.example.com");
    e[1].preference = 20;
    e[1].covered = 0;
    e[1].state = MX_PROBE_DONE;
    e[1].n_addr = 1;
    e[1].failed = 1;
    e[1].fail_status = SMTP_PROBE_CERT_INVALID;
    issue_set_add(&e[1].issues, ISSUE_MX_CERT_EXPIRED);
    issue_set_add(&e[1].issues, ISSUE_MX_CERT_HOSTNAME_MISMATCH);
    result_copy(e[2].host, sizeof(e[2].host), "example.com");
    e[2].preference = -1;
    e[2].covered = -1;
    e[2].state = MX_PROBE_NO_ADDRESS;
    issue_set_add(&e[2].issues, ISSUE_MX_CONNECT_FAILED);
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_EDGE, &err);
    assert_non_null(c);
    assert_int_equal(csvout_write_edges(c, &r), ZWRITER_OK);
    r.n_mx = 0; /* a domain without MX hosts writes nothing */
    assert_int_equal(csvout_write_edges(c, &r), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    size_t len;
    char *text = files_slurp(path, &len);
    assert_string_equal(text,
        "domain,rank,mx_host,preference,covered_by_policy,probe_status,probe_issues,addresses_probed,"
        "dane_match,tlsa_dnssec\n"
        "example.com,5,mx1.example.com,10,yes,ok,,2,,\n"
        "example.com,5,mx2.example.com,20,no,cert_invalid,mx_cert_expired;mx_cert_hostname_mismatch,1,,\n"
        "example.com,5,example.com,,,no_address,mx_connect_failed,,,\n");
    free(text);
}

/* CSV formula injection (issue 20): hostile MX names start cells with = + - @.  By default the data
 * is exact; --csv-formula-guard prefixes ' to such text cells (and to cells starting with ',
 * which makes it reversible), adds the csv_formula_guard column, and csvin reads the data back
 * exactly.  Numbers (a negative COL_LONG) are never prefixed. */
static const char *const HOSTILE[] = {"=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1+1)", "'quoted"};

static void hostile_result(struct domain_result *r)
{
    rows_full(r);
    r->mx[0] = '\0';
    for (size_t i = 0; i < sizeof(HOSTILE) / sizeof(HOSTILE[0]); i++)
        result_list_add(r->mx, sizeof(r->mx), HOSTILE[i]);
    result_copy(r->policy_mx, sizeof(r->policy_mx), "-x.example");
    result_copy(r->detail, sizeof(r->detail), "@here, and =there");
    r->n_mx = 5;
    for (int i = 0; i < 5; i++) {
        result_copy(r->mxs[i].host, sizeof(r->mxs[i].host), HOSTILE[i]);
        r->mxs[i].preference = 10;
        r->mxs[i].covered = 0;
        r->mxs[i].state = MX_PROBE_NO_ADDRESS;
    }
}

static char *write_hostile(const char *name, enum schema_table t, int guard, const void *rec)
{
    static char path[128];
    files_tmp_path(path, sizeof(path), name);
    struct zwriter_error err;
    struct csvout *c = csvout_open_guard(path, t, NULL, guard, &err);
    assert_non_null(c);
    if (t == SCHEMA_EDGE)
        assert_int_equal(csvout_write_edges(c, rec), ZWRITER_OK);
    else
        assert_int_equal(csvout_write_record(c, rec), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    return path;
}

static void test_formula_guard(void **state)
{
    (void)state;
    struct domain_result r;
    hostile_result(&r);
    struct table t;

    /* default: the cells are the data */
    char *path = write_hostile("hostile.csv", SCHEMA_DOMAIN, 0, &r);
    char *text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "mx")], r.mx);
    assert_int_equal(t.cell[1][col(&t, "mx")][0], '=');
    assert_null(strstr(text, "csv_formula_guard"));
    table_free(&t);
    free(text);

    /* guarded: every text cell that starts with = + - @ ' gets a ', the marker column says so */
    path = write_hostile("guarded.csv", SCHEMA_DOMAIN, 1, &r);
    text = read_csv(path, &t);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(t.cell[0][t.nfields[0] - 1], "csv_formula_guard");
    assert_string_equal(t.cell[1][t.nfields[1] - 1], "yes");
    const char *mx = t.cell[1][col(&t, "mx")];
    assert_int_equal(mx[0], '\'');
    assert_string_equal(mx + 1, r.mx);
    assert_string_equal(t.cell[1][col(&t, "policy_mx")], "'-x.example");
    assert_string_equal(t.cell[1][col(&t, "detail")], "'@here, and =there");
    assert_string_equal(t.cell[1][col(&t, "domain")], "example.com"); /* untouched */
    table_free(&t);
    free(text);
    /* read back through csvin: the data, exactly */
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_DOMAIN, &e);
    assert_non_null(in);
    struct domain_result back;
    assert_int_equal(csvin_next(in, &back), 1);
    assert_string_equal(back.mx, r.mx);
    assert_string_equal(back.policy_mx, r.policy_mx);
    assert_string_equal(back.detail, r.detail);
    assert_string_equal(back.domain, r.domain);
    assert_int_equal(csvin_next(in, &back), 0);
    csvin_close(in);

    /* the edge table's mx_host: one row per hostile host, each guarded, each read back exactly */
    path = write_hostile("guarded-edges.csv", SCHEMA_EDGE, 1, &r);
    text = read_csv(path, &t);
    assert_int_equal(t.nrows, 6);
    for (int i = 0; i < 5; i++) {
        const char *cell = t.cell[i + 1][col(&t, "mx_host")];
        assert_int_equal(cell[0], '\'');
        assert_string_equal(cell + 1, HOSTILE[i]);
    }
    table_free(&t);
    free(text);
    in = csvin_open(path, SCHEMA_EDGE, &e);
    assert_non_null(in);
    struct schema_edge_row er;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(csvin_next(in, &er), 1);
        assert_string_equal(er.mx_host, HOSTILE[i]);
    }
    csvin_close(in);

    /* the MX table: mx_host and error text; the changes table: before/after */
    struct schema_mx_row m;
    schema_mx_row_init(&m);
    result_copy(m.mx_host, sizeof(m.mx_host), "=HYPERLINK(\"http://x\")");
    result_copy(m.address, sizeof(m.address), "192.0.2.1");
    path = write_hostile("guarded-mx.csv", SCHEMA_MX, 1, &m);
    text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "mx_host")], "'=HYPERLINK(\"http://x\")");
    assert_string_equal(t.cell[1][col(&t, "address")], "192.0.2.1");
    table_free(&t);
    free(text);
    struct changes_row ch;
    changes_row_init(&ch);
    result_copy(ch.domain, sizeof(ch.domain), "example.com");
    result_copy(ch.before, sizeof(ch.before), "mx.example.com");
    result_copy(ch.after, sizeof(ch.after), "+1");
    path = write_hostile("guarded-changes.csv", SCHEMA_CHANGES, 1, &ch);
    text = read_csv(path, &t);
    assert_string_equal(t.cell[1][col(&t, "before")], "mx.example.com");
    assert_string_equal(t.cell[1][col(&t, "after")], "'+1");
    table_free(&t);
    free(text);

    assert_true(schema_guard_needed("=1") && schema_guard_needed("'") && !schema_guard_needed("a=1") &&
                !schema_guard_needed(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_header_exact),
        cmocka_unit_test(test_mx_header_exact),
        cmocka_unit_test(test_schema_drives_docs),
        cmocka_unit_test(test_all_domain_columns),
        cmocka_unit_test(test_quoting_round_trip),
        cmocka_unit_test(test_long_fields),
        cmocka_unit_test(test_mx_rows),
        cmocka_unit_test(test_verify_ok_yes_and_no_starttls),
        cmocka_unit_test(test_zstd_round_trip),
        cmocka_unit_test(test_write_error_reported),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_descriptors_fit_records),
        cmocka_unit_test(test_cells_parse_back),
        cmocka_unit_test(test_schema_markdown),
        cmocka_unit_test(test_added_domain_columns),
        cmocka_unit_test(test_edge_rows),
        cmocka_unit_test(test_dane_columns),
        cmocka_unit_test(test_formula_guard),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
