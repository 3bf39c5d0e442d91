/*
 * test_resume: which input lines an earlier, interrupted output counts as done.  Rows are keyed by
 * (rank, domain) as a multiset; rows of any length count; a cut last row (plain or zstd) is scanned
 * again; an input_invalid line's key is the raw text the scan writes in `domain`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "output/csvout.h"
#include "pipeline/resume.h"

#define HEADER "domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode," \
               "policy_max_age,policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua," \
               "verdict,issues,detail,scanned_at\n"
#define ROW(d, r, detail) d "," r ",,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,," \
                          detail ",2026-11-22T06:10:33Z\n"

static const char *body =
    HEADER
    ROW("a.test", "1", "")
    ROW("b.test", "2", "\"a detail, with a comma\nand a line break\"")
    ROW("c.test", "7", "")
    "d.test,9,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,,2026-11-22T06:1";

static char *write_file(const void *data, size_t len, const char *suffix)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/test_resume_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static struct resume *load_text(const char *text, char *err, size_t errlen)
{
    char *path = write_file(text, strlen(text), ".csv");
    struct resume *r = resume_load(path, err, errlen);
    unlink(path);
    free(path);
    return r;
}

/* Input line -> 1 when resume says skip it. */
static int skips(struct resume *r, const char *line)
{
    struct input_entry e;
    enum input_line_kind kind = input_parse_line(line, strlen(line), 1, &e);
    assert_true(kind != INPUT_SKIP);
    return resume_take_entry(r, kind, &e);
}

static void check(struct resume *r)
{
    assert_non_null(r);
    assert_int_equal(resume_count(r), 3);
    assert_true(resume_truncated(r));
    assert_true(skips(r, "1,a.test"));
    assert_true(skips(r, "2,b.test"));
    assert_true(skips(r, "7,c.test"));
    assert_false(skips(r, "9,d.test")); /* cut inside scanned_at: scanned again */
    assert_false(skips(r, "3,c.test"));
    assert_false(skips(r, "1,a.test")); /* once per row */
}

static void test_plain_cut_file(void **state)
{
    (void)state;
    char err[256];
    struct resume *r = load_text(body, err, sizeof(err));
    check(r);
    resume_free(r);
}

static void test_truncated_zstd(void **state)
{
    (void)state;
    /* the complete rows as one frame, then a second frame cut in the middle */
    const char *cut = strstr(body, "d.test");
    size_t n1 = (size_t)(cut - body);
    size_t cap = ZSTD_compressBound(strlen(body)) * 2;
    char *z = malloc(cap);
    size_t a = ZSTD_compress(z, cap, body, n1, 3);
    size_t b = ZSTD_compress(z + a, cap - a, cut, strlen(cut), 3);
    assert_false(ZSTD_isError(a) || ZSTD_isError(b));
    char *path = write_file(z, a + b / 2, ".csv.zst");
    char err[256];
    struct resume *r = resume_load(path, err, sizeof(err));
    check(r);
    resume_free(r);
    unlink(path);
    free(path);
    free(z);
}

/* The defect: rows over 4096 bytes (INPUT_LINE_MAX) were cut, and a cut inside a quoted cell
 * swallowed every later row. */
static void test_long_rows_count(void **state)
{
    (void)state;
    size_t big = 5000;
    char *cell = malloc(big + 3);
    cell[0] = '"';
    for (size_t i = 1; i <= big; i++)
        cell[i] = i % 300 == 0 ? '\n' : i % 11 == 0 ? ',' : 'y';
    cell[big + 1] = '"';
    cell[big + 2] = '\0';
    char *plain = malloc(big + 1);
    memset(plain, 'z', big);
    plain[big] = '\0';
    size_t cap = 3 * big + 4096;
    char *text = malloc(cap);
    snprintf(text, cap, HEADER ROW("a.test", "1", "%s") ROW("b.test", "2", "%s") ROW("c.test", "3", "")
             ROW("d.test", "4", ""), plain, cell);
    char err[256];
    struct resume *r = load_text(text, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(resume_count(r), 4);
    assert_false(resume_truncated(r));
    assert_true(skips(r, "1,a.test"));
    assert_true(skips(r, "2,b.test"));
    assert_true(skips(r, "3,c.test"));
    assert_true(skips(r, "4,d.test"));
    resume_free(r);
    free(text);
    free(plain);
    free(cell);
}

/* The defect: keyed by rank alone, "2,b.test" was never scanned when the file held "2,a.test". */
static void test_repeated_rank_and_lines(void **state)
{
    (void)state;
    char err[256];
    struct resume *r = load_text(HEADER ROW("a.test", "2", "") ROW("x.test", "5", "") ROW("x.test", "5", ""),
                                 err, sizeof(err));
    assert_non_null(r);
    assert_true(skips(r, "2,a.test"));
    assert_false(skips(r, "2,b.test"));
    assert_false(skips(r, "3,a.test"));
    /* an input repeating a line twice, three times in the input: two done, the third scanned */
    assert_true(skips(r, "5,x.test"));
    assert_true(skips(r, "5,X.test.")); /* normalised as the scan writes it */
    assert_false(skips(r, "5,x.test"));
    resume_free(r);
}

/* An input_invalid row holds the raw text in domain (quoted when it has commas or blanks). */
static void test_invalid_line_key(void **state)
{
    (void)state;
    const char *line = "4,not a domain, at all";
    struct input_entry e;
    assert_int_equal(input_parse_line(line, strlen(line), 4, &e), INPUT_INVALID);
    struct domain_result d;
    result_init(&d);
    result_copy(d.domain, sizeof(d.domain), e.raw);
    d.rank = e.rank;
    d.verdict = VERDICT_INPUT_INVALID;
    d.scanned_at = 1795327833;
    char path[] = "/tmp/test_resume_inv_XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    struct zwriter_error zerr;
    struct csvout *c = csvout_open(path, SCHEMA_DOMAIN, &zerr);
    assert_int_equal(csvout_write_domain(c, &d), ZWRITER_OK);
    assert_int_equal(csvout_close(c, &zerr), ZWRITER_OK);
    char err[256];
    struct resume *r = resume_load(path, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(resume_count(r), 1);
    assert_true(skips(r, line));
    assert_false(skips(r, line));
    resume_free(r);
    unlink(path);
}

static void test_bad_files(void **state)
{
    (void)state;
    char err[600] = "";
    assert_null(resume_load("/nonexistent/out.csv", err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
    /* not a domain table: the missing columns are named */
    assert_null(load_text("rank,domain\n1,a.test\n", err, sizeof(err)));
    assert_non_null(strstr(err, "scanned_at"));
    /* a malformed row: its line */
    assert_null(load_text(HEADER ROW("a.test", "1", "") ROW("b.test", "two", ""), err, sizeof(err)));
    assert_non_null(strstr(err, "line 3"));
    /* an empty file (killed before the first write) resumes nothing */
    struct resume *r = load_text("", err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(resume_count(r), 0);
    resume_free(r);
}

/* Many keys: the table grows and keeps every count. */
static void test_many_keys(void **state)
{
    (void)state;
    struct resume *r = resume_new();
    char d[32];
    for (long i = 0; i < 100000; i++) {
        snprintf(d, sizeof(d), "d%ld.test", i % 50000);
        assert_int_equal(resume_add(r, i % 50000, d), i >= 50000);
    }
    assert_int_equal(resume_count(r), 100000);
    for (long i = 0; i < 50000; i++) {
        snprintf(d, sizeof(d), "d%ld.test", i);
        assert_int_equal(resume_take(r, i, d), 1);
        assert_int_equal(resume_take(r, i, d), 1);
        assert_int_equal(resume_take(r, i, d), 0);
    }
    assert_int_equal(resume_take(r, 50001, "d50001.test"), -1);
    resume_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_cut_file),
        cmocka_unit_test(test_truncated_zstd),
        cmocka_unit_test(test_long_rows_count),
        cmocka_unit_test(test_repeated_rank_and_lines),
        cmocka_unit_test(test_invalid_line_key),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
