/*
 * test_csvin: reading tables back through the schema.  Rows written by csvout are read back into
 * equal records (domain and MX); the header is matched by name; rows of any length (a 5 kB row, a
 * quoted multi-line cell) come back whole and do not swallow later rows; a cut final row (plain,
 * open quote, cut zstd frame) is never returned and is reported as truncated; a malformed row
 * names its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "tests/support/files.h"
#include "tests/support/rows.h"

#define T_2026 ROWS_T_2026

#define HEADER "domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode," \
               "policy_max_age,policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua," \
               "verdict,issues,detail,scanned_at\n"
#define ROW(d, r, detail) d "," r ",,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,," \
                          detail ",2026-11-22T06:10:33Z\n"

/* ---- helpers ---- */

/* The sample row (tests/support/rows.h) as domain d<rank>.example.com. */
static void full_result(struct domain_result *r, long rank)
{
    rows_full(r);
    snprintf(r->domain, sizeof(r->domain), "d%ld.example.com", rank);
    r->rank = rank;
}

/* Fills every list cell (about 1 KiB each) so that the row is over 4 kB, and puts quotes, commas
 * and a line break into detail. */
static void long_result(struct domain_result *r, long rank)
{
    full_result(r, rank);
    for (int i = 0; i < 40; i++) {
        char host[64];
        snprintf(host, sizeof(host), "mx%02d.a-rather-long-mail-host-name.example.com", i);
        result_list_add(r->mx, sizeof(r->mx), host);
        result_list_add(r->policy_mx, sizeof(r->policy_mx), host);
        result_list_add(r->tlsrpt_rua, sizeof(r->tlsrpt_rua), "mailto:x@example.com");
    }
    r->mx_coverage = MX_COVERAGE_PARTIAL;
    for (int i = 0; i < 30; i++)
        result_add_detail(r, "mx%02d: 554 \"no\", go away\nreally", i);
}

/* Every column of a and b formats to the same text. */
static void assert_same_record(enum schema_table t, const void *a, const void *b)
{
    size_t n;
    const struct cell_column *cols = schema_columns(t, &n);
    char sa[2048], sb[2048];
    for (size_t i = 0; i < n; i++) {
        const char *ca = cell_format(&cols[i], a, sa, sizeof(sa));
        const char *cb = cell_format(&cols[i], b, sb, sizeof(sb));
        if (strcmp(ca, cb) != 0)
            fail_msg("column %s: \"%s\" != \"%s\"", cols[i].name, ca, cb);
    }
}

static char *write_domains(const char *name, const struct domain_result *rs, size_t n, size_t *len)
{
    char path[128];
    files_tmp_path(path, sizeof(path), name);
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_DOMAIN, &err);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(csvout_write_domain(c, &rs[i]), ZWRITER_OK);
        assert_int_equal(csvout_tick(c, 10.0 * (double)i), ZWRITER_OK);
    }
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    return files_slurp(path, len);
}

/* Reads every row of data; returns the number of rows, *st gets the final status. */
static size_t read_all(const void *data, size_t len, enum schema_table t, long *ranks, size_t max,
                       struct csvin_error *e)
{
    struct csvin *in = csvin_open_mem(data, len, t);
    assert_non_null(in);
    size_t n = 0;
    void *rec = malloc(schema_record_size(t));
    int r;
    while ((r = csvin_next(in, rec)) == 1) {
        if (t == SCHEMA_DOMAIN && n < max)
            ranks[n] = ((struct domain_result *)rec)->rank;
        n++;
    }
    *e = *csvin_error(in);
    assert_int_equal(r == 0, e->status == CSVIN_OK);
    free(rec);
    csvin_close(in);
    return n;
}

/* ---- tests ---- */

static void test_round_trip_domain(void **state)
{
    (void)state;
    struct domain_result *rs = calloc(4, sizeof(*rs));
    full_result(&rs[0], 1);
    long_result(&rs[1], 2);
    result_init(&rs[2]);
    result_copy(rs[2].domain, sizeof(rs[2].domain), " not a domain, \"quoted\"");
    rs[2].rank = 3;
    rs[2].verdict = VERDICT_INPUT_INVALID;
    full_result(&rs[3], 4);
    size_t len;
    char *text = write_domains("rt.csv", rs, 4, &len);
    assert_true(strlen(strchr(text, '\n')) > 4096); /* the long row is over 4 kB */

    struct csvin *in = csvin_open_mem(text, len, SCHEMA_DOMAIN);
    struct domain_result got;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(csvin_next(in, &got), 1);
        assert_same_record(SCHEMA_DOMAIN, &rs[i], &got);
    }
    assert_int_equal(got.rank, 4);
    assert_int_equal(got.verdict, VERDICT_WOULD_FAIL);
    assert_int_equal(got.scanned_at, T_2026);
    assert_int_equal(csvin_next(in, &got), 0);
    assert_int_equal(csvin_error(in)->status, CSVIN_OK);
    csvin_close(in);
    free(text);
    free(rs);
}

static void test_round_trip_zstd_file(void **state)
{
    (void)state;
    struct domain_result rs[3];
    full_result(&rs[0], 7);
    long_result(&rs[1], 8);
    full_result(&rs[2], 9);
    size_t len;
    free(write_domains("rt.csv.zst", rs, 3, &len));
    char path[128];
    files_tmp_path(path, sizeof(path), "rt.csv.zst");
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_DOMAIN, &e);
    assert_non_null(in);
    struct domain_result got;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(csvin_next(in, &got), 1);
        assert_same_record(SCHEMA_DOMAIN, &rs[i], &got);
    }
    assert_int_equal(csvin_next(in, &got), 0);
    csvin_close(in);
}

static void test_round_trip_mx(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "mx.csv");
    struct smtp_probe_result p;
    memset(&p, 0, sizeof(p));
    p.status = SMTP_PROBE_CERT_INVALID;
    p.greeting_code = 220;
    p.starttls_offered = 1;
    p.tls.flags = TLSCHECK_EXPIRED;
    result_copy(p.tls.version, sizeof(p.tls.version), "TLSv1.3");
    result_copy(p.tls.subject, sizeof(p.tls.subject), "CN=mx, O=\"Quoted, Inc\"");
    p.tls.not_after = 1767225600; /* 2026-01-01T00:00:00Z */
    result_copy(p.error, sizeof(p.error), "certificate has expired");
    p.connect_ms = 1.5;
    p.greeting_ms = 2.25;
    p.tls_ms = -1;
    p.total_ms = 30;
    struct schema_mx_row want[2];
    schema_mx_row_fill(&want[0], "mx1.example.com", "192.0.2.1", &p, 17, T_2026);
    p.status = SMTP_PROBE_TIMEOUT;
    p.starttls_offered = -1;
    p.greeting_code = 0;
    schema_mx_row_fill(&want[1], "mx2.example.com", "2001:db8::25", &p, -1, 0);
    struct zwriter_error err;
    struct csvout *c = csvout_open(path, SCHEMA_MX, &err);
    for (int i = 0; i < 2; i++)
        assert_int_equal(csvout_write_record(c, &want[i]), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &err), ZWRITER_OK);

    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_MX, &e);
    struct schema_mx_row got;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(csvin_next(in, &got), 1);
        assert_same_record(SCHEMA_MX, &want[i], &got);
    }
    assert_int_equal(got.verify_ok, -1);
    assert_int_equal(got.domains_sharing, -1);
    assert_int_equal(got.probe.status, SMTP_PROBE_TIMEOUT);
    assert_int_equal(csvin_next(in, &got), 0);
    csvin_close(in);
    /* a domain table is not an MX table */
    in = csvin_open(path, SCHEMA_DOMAIN, &e);
    struct domain_result d;
    assert_int_equal(csvin_next(in, &d), -1);
    assert_int_equal(csvin_error(in)->status, CSVIN_ERR_HEADER);
    csvin_close(in);
}

static void test_header_by_name(void **state)
{
    (void)state;
    /* columns reordered, an unknown column in the middle, CRLF line ends */
    const char *text =
        "rank,extra,scanned_at,detail,issues,verdict,tlsrpt_rua,tlsrpt_status,starttls_status,"
        "mx_coverage,policy_mx,policy_max_age,policy_mode,http_status,policy_status,sts_id,"
        "txt_status,mx,domain\r\n"
        "5,whatever,2026-11-22T06:10:33Z,,txt_invalid;tlsrpt_missing,invalid,,missing,not_probed,"
        ",,,,,not_fetched,,invalid,mx.a.test,a.test\r\n";
    struct csvin *in = csvin_open_mem(text, strlen(text), SCHEMA_DOMAIN);
    struct domain_result r;
    assert_int_equal(csvin_next(in, &r), 1);
    assert_string_equal(r.domain, "a.test");
    assert_int_equal(r.rank, 5);
    assert_string_equal(r.mx, "mx.a.test");
    assert_int_equal(r.txt_status, TXT_STATUS_INVALID);
    assert_int_equal(r.verdict, VERDICT_INVALID);
    assert_true(issue_set_has(&r.issues, ISSUE_TXT_INVALID));
    assert_true(issue_set_has(&r.issues, ISSUE_TLSRPT_MISSING));
    assert_int_equal(r.http_status, 0);
    assert_int_equal(r.policy_max_age, -1);
    assert_int_equal(csvin_next(in, &r), 0);
    csvin_close(in);
}

static void test_missing_columns_named(void **state)
{
    (void)state;
    const char *text = "domain,mx,txt_status\na.test,,ok\n";
    struct csvin *in = csvin_open_mem(text, strlen(text), SCHEMA_DOMAIN);
    struct domain_result r;
    assert_int_equal(csvin_next(in, &r), -1);
    const struct csvin_error *e = csvin_error(in);
    assert_int_equal(e->status, CSVIN_ERR_HEADER);
    assert_non_null(strstr(e->text, "rank"));
    assert_non_null(strstr(e->text, "scanned_at"));
    assert_null(strstr(e->text, "txt_status"));
    assert_int_equal(csvin_next(in, &r), -1); /* sticky */
    csvin_close(in);
}

/* The defect of the old resume: a row over 4096 bytes, a quoted cell with a line break, more rows
 * after them; every row comes back. */
static void test_long_rows_then_more(void **state)
{
    (void)state;
    size_t big = 5000;
    char *detail = malloc(big + 3);
    detail[0] = '"';
    for (size_t i = 1; i <= big; i++)
        detail[i] = i % 100 == 0 ? '\n' : i % 7 == 0 ? ',' : 'x';
    detail[big + 1] = '"';
    detail[big + 2] = '\0';
    size_t cap = 2 * big + 4096;
    char *text = malloc(cap);
    snprintf(text, cap, HEADER ROW("a.test", "1", "") ROW("b.test", "2", "%s") ROW("c.test", "3", "%s")
             ROW("d.test", "4", ""), detail, detail);
    long ranks[8];
    struct csvin_error e;
    assert_int_equal(read_all(text, strlen(text), SCHEMA_DOMAIN, ranks, 8, &e), 4);
    assert_int_equal(e.status, CSVIN_OK);
    assert_int_equal(ranks[0], 1);
    assert_int_equal(ranks[1], 2);
    assert_int_equal(ranks[2], 3);
    assert_int_equal(ranks[3], 4);
    /* the long detail is cut to the record's buffer and marked */
    struct csvin *in = csvin_open_mem(text, strlen(text), SCHEMA_DOMAIN);
    struct domain_result r;
    assert_int_equal(csvin_next(in, &r), 1);
    assert_int_equal(csvin_next(in, &r), 1);
    assert_int_equal(strlen(r.detail), RESULT_DETAIL_MAX - 1);
    assert_string_equal(r.detail + RESULT_DETAIL_MAX - 4, "...");
    assert_int_equal(csvin_next(in, &r), 1);
    assert_int_equal(csvin_line(in), 3 + 51); /* row 2 begins on line 3 and spans 51 lines */
    csvin_close(in);
    free(text);
    free(detail);
}

static void test_truncated_plain(void **state)
{
    (void)state;
    long ranks[8];
    struct csvin_error e;
    const char *base = HEADER ROW("a.test", "1", "") ROW("b.test", "2", "");
    /* cut inside the last cell, after the last cell (no "\n"), inside an open quoted cell */
    const char *cuts[] = {
        HEADER ROW("a.test", "1", "") ROW("b.test", "2", "") "c.test,3,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,,2026-11-22T06:1",
        HEADER ROW("a.test", "1", "") ROW("b.test", "2", "") "c.test,3,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,,2026-11-22T06:10:33Z",
        HEADER ROW("a.test", "1", "") ROW("b.test", "2", "") "c.test,3,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,\"a, b\nc",
        HEADER ROW("a.test", "1", "") ROW("b.test", "2", "") "c.te",
    };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        assert_int_equal(read_all(cuts[i], strlen(cuts[i]), SCHEMA_DOMAIN, ranks, 8, &e), 2);
        assert_int_equal(e.status, CSVIN_ERR_TRUNCATED);
        assert_int_equal(ranks[1], 2);
    }
    assert_int_equal(read_all(base, strlen(base), SCHEMA_DOMAIN, ranks, 8, &e), 2);
    assert_int_equal(e.status, CSVIN_OK);
    /* a header cut short, and nothing at all */
    assert_int_equal(read_all("domain,ra", 9, SCHEMA_DOMAIN, ranks, 8, &e), 0);
    assert_int_equal(e.status, CSVIN_ERR_TRUNCATED);
    assert_int_equal(read_all("", 0, SCHEMA_DOMAIN, ranks, 8, &e), 0);
    assert_int_equal(e.status, CSVIN_ERR_EMPTY);
    /* a header alone is a complete, empty table */
    assert_int_equal(read_all(HEADER, strlen(HEADER), SCHEMA_DOMAIN, ranks, 8, &e), 0);
    assert_int_equal(e.status, CSVIN_OK);
}

static void test_zstd_frames_and_cut(void **state)
{
    (void)state;
    const char *text = HEADER ROW("a.test", "1", "") ROW("b.test", "2", "\"x,\ny\"") ROW("c.test", "3", "");
    size_t n = strlen(text);
    /* frames that end mid-row: the stream is one text */
    size_t cuts[] = {10, strlen(HEADER) + 5, n - 30};
    size_t zlen;
    char *z = files_zstd_frames(text, strlen(text), cuts, 3, &zlen);
    long ranks[8];
    struct csvin_error e;
    assert_int_equal(read_all(z, zlen, SCHEMA_DOMAIN, ranks, 8, &e), 3);
    assert_int_equal(e.status, CSVIN_OK);
    assert_int_equal(ranks[2], 3);
    free(z);
    /* complete rows in one frame, the last row's frame cut in half: truncated, 2 rows */
    size_t at[] = {(size_t)(strstr(text, "c.test") - text)};
    z = files_zstd_frames(text, strlen(text), at, 1, &zlen);
    size_t first = ZSTD_findFrameCompressedSize(z, zlen);
    assert_false(ZSTD_isError(first));
    assert_int_equal(read_all(z, first + (zlen - first) / 2, SCHEMA_DOMAIN, ranks, 8, &e), 2);
    assert_int_equal(e.status, CSVIN_ERR_TRUNCATED);
    assert_non_null(strstr(e.text, "zstd frame"));
    /* cut exactly at the frame boundary: a complete table */
    assert_int_equal(read_all(z, first, SCHEMA_DOMAIN, ranks, 8, &e), 2);
    assert_int_equal(e.status, CSVIN_OK);
    /* garbage after the magic number */
    memset(z + 6, 0xff, 12);
    read_all(z, first, SCHEMA_DOMAIN, ranks, 8, &e);
    assert_int_equal(e.status, CSVIN_ERR_ZSTD);
    free(z);
}

static void test_malformed_rows_name_line(void **state)
{
    (void)state;
    long ranks[8];
    struct csvin_error e;
    const char *bad_rank = HEADER ROW("a.test", "1", "") ROW("b.test", "2x", "");
    assert_int_equal(read_all(bad_rank, strlen(bad_rank), SCHEMA_DOMAIN, ranks, 8, &e), 1);
    assert_int_equal(e.status, CSVIN_ERR_ROW);
    assert_int_equal(e.line, 3);
    assert_non_null(strstr(e.text, "line 3"));
    assert_non_null(strstr(e.text, "rank"));

    const char *short_row = HEADER ROW("a.test", "1", "") "b.test,2,,missing\n" ROW("c.test", "3", "");
    assert_int_equal(read_all(short_row, strlen(short_row), SCHEMA_DOMAIN, ranks, 8, &e), 1);
    assert_int_equal(e.status, CSVIN_ERR_ROW);
    assert_int_equal(e.line, 3);

    const char *bad_verdict = HEADER "a.test,1,,missing,,not_fetched,,,,,,not_probed,missing,,great,,,2026-11-22T06:10:33Z\n";
    read_all(bad_verdict, strlen(bad_verdict), SCHEMA_DOMAIN, ranks, 8, &e);
    assert_int_equal(e.status, CSVIN_ERR_ROW);
    assert_non_null(strstr(e.text, "verdict"));

    const char *bad_quote = HEADER "a.test,1,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,\"x\"y,2026-11-22T06:10:33Z\n";
    read_all(bad_quote, strlen(bad_quote), SCHEMA_DOMAIN, ranks, 8, &e);
    assert_int_equal(e.status, CSVIN_ERR_ROW);
    assert_int_equal(e.line, 2);

    const char *bad_time = HEADER ROW("a.test", "1", "") "a.test,1,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,,2026-11-22 06:10:33\n";
    read_all(bad_time, strlen(bad_time), SCHEMA_DOMAIN, ranks, 8, &e);
    assert_int_equal(e.status, CSVIN_ERR_ROW);
    assert_non_null(strstr(e.text, "scanned_at"));

    const char *twice = "rank,rank\n1,1\n";
    read_all(twice, strlen(twice), SCHEMA_DOMAIN, ranks, 8, &e);
    assert_int_equal(e.status, CSVIN_ERR_HEADER);
}

static void test_enum_parsers_invert_str(void **state)
{
    (void)state;
    for (int v = 0; v <= TXT_STATUS_ERROR; v++)
        assert_int_equal(txt_status_parse(txt_status_str((enum txt_status)v)), v);
    for (int v = 0; v <= POLICY_STATUS_INVALID; v++)
        assert_int_equal(policy_status_parse(policy_status_str((enum policy_status)v)), v);
    for (int v = 0; v <= STARTTLS_NONE_OK; v++)
        assert_int_equal(starttls_status_parse(starttls_status_str((enum starttls_status)v)), v);
    for (int v = 0; v <= SMTP_PROBE_CERT_INVALID; v++)
        assert_int_equal(smtp_probe_status_parse(smtp_probe_status_str((enum smtp_probe_status)v)), v);
    for (int v = 0; v < VERDICT__COUNT; v++)
        assert_int_equal(verdict_parse(verdict_str((enum verdict)v)), v);
    assert_int_equal(txt_status_parse("OK"), -1);
    assert_int_equal(verdict_parse(""), -1);
    struct issue_set all = {0}, back;
    for (int c = 0; c < ISSUE__COUNT; c++) {
        assert_int_equal(issue_parse(issue_str((enum issue_code)c)), c);
        issue_set_add(&all, (enum issue_code)c);
    }
    char buf[2048];
    issue_set_format(&all, buf, sizeof(buf));
    assert_int_equal(issue_set_parse(buf, &back), 0);
    assert_true(back.bits == all.bits);
    assert_int_equal(issue_set_parse("", &back), 0);
    assert_true(back.bits == 0);
    assert_int_equal(issue_set_parse("txt_invalid;", &back), -1);
    assert_int_equal(issue_set_parse("txt_invalid;nope", &back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_domain),
        cmocka_unit_test(test_round_trip_zstd_file),
        cmocka_unit_test(test_round_trip_mx),
        cmocka_unit_test(test_header_by_name),
        cmocka_unit_test(test_missing_columns_named),
        cmocka_unit_test(test_long_rows_then_more),
        cmocka_unit_test(test_truncated_plain),
        cmocka_unit_test(test_zstd_frames_and_cut),
        cmocka_unit_test(test_malformed_rows_name_line),
        cmocka_unit_test(test_enum_parsers_invert_str),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
