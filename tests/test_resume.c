/* test_resume: which rows of an earlier, interrupted output count as done. */
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

#include "pipeline/resume.h"

#define HEADER "domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode," \
               "policy_max_age,policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua," \
               "verdict,issues,detail,scanned_at,sts_record,tlsrpt_record,sts_ttl,policy_sha256," \
               "policy_cert_not_after,policy_cert_issuer,policy_cert_sans,mx_dns,sts_dns,tlsrpt_dns," \
               "policy_host_dns,implicit_mx_dns\n"
#define ROW(d, r, detail) d "," r ",,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,," \
                          detail ",2026-11-22T06:10:33Z,,,,,,,,,nxdomain,nxdomain,,\n"

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

static void check(struct resume *r)
{
    assert_non_null(r);
    assert_int_equal(resume_count(r), 3);
    assert_true(resume_done(r, 1));
    assert_true(resume_done(r, 2));
    assert_true(resume_done(r, 7));
    assert_false(resume_done(r, 9)); /* cut inside scanned_at: scanned again */
    assert_false(resume_done(r, 3));
    assert_false(resume_done(r, 100000));
    assert_false(resume_done(r, -1));
}

static void test_plain_cut_file(void **state)
{
    (void)state;
    char err[256];
    char *path = write_file(body, strlen(body), ".csv");
    struct resume *r = resume_load(path, err, sizeof(err));
    check(r);
    resume_free(r);
    unlink(path);
    free(path);
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

static void test_missing_file(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(resume_load("/nonexistent/out.csv", err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_cut_file),
        cmocka_unit_test(test_truncated_zstd),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
