/*
 * test_merge: `mtasts-scan merge` over real files: shards (plain and .zst) become one table with
 * one header and every row once; duplicates are dropped and exit 3; --input names the lines
 * without a row (exit 4) and allows a key as often as the list repeats it; a truncated shard is
 * named and its complete rows merged; a file that is not a table is fatal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "commands/merge.h"
#include "tests/support/files.h"

#define HEADER "domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode," \
               "policy_max_age,policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua," \
               "verdict,issues,detail,scanned_at\n"
#define ROW(d, r) d "," r ",,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,," \
                  "2026-11-22T06:10:33Z\n"

static char *put(const char *name, const char *text)
{
    static char paths[16][128];
    static int next;
    char *p = paths[next++ % 16];
    files_tmp_path(p, 128, name);
    files_write_text(p, text);
    return p;
}

/* Runs merge with the arguments (NULL-terminated); *msg gets stderr (caller frees). */
static int run(char **msg, ...)
{
    char *argv[32] = {"merge"};
    int argc = 1;
    va_list ap;
    va_start(ap, msg);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    size_t len;
    FILE *err = open_memstream(msg, &len);
    int r = merge_main(argc, argv, stdout, err);
    fclose(err);
    return r;
}

/* Ranks of the merged domain table, in order; returns how many. */
static size_t ranks_of(const char *path, long *ranks, size_t max)
{
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_DOMAIN, &e);
    assert_non_null(in);
    struct domain_result r;
    size_t n = 0;
    while (csvin_next(in, &r) == 1)
        if (n < max)
            ranks[n++] = r.rank;
    assert_int_equal(csvin_error(in)->status, CSVIN_OK);
    csvin_close(in);
    return n;
}

static void test_shards_one_header(void **state)
{
    (void)state;
    char *a = put("a.csv", HEADER ROW("a.test", "1") ROW("c.test", "3"));
    char *b = put("b.csv", HEADER ROW("b.test", "2") ROW("d.test", "4"));
    char out[128];
    files_tmp_path(out, sizeof(out), "all.csv.zst");
    char *msg;
    assert_int_equal(run(&msg, "-o", out, a, b, NULL), MERGE_EXIT_OK);
    assert_non_null(strstr(msg, "4 rows read, 4 written"));
    assert_null(strstr(msg, "no row"));
    free(msg);
    long ranks[8];
    assert_int_equal(ranks_of(out, ranks, 8), 4);
    assert_int_equal(ranks[0], 1);
    assert_int_equal(ranks[3], 4);
    /* exactly one header: decompress and count */
    size_t zlen, len;
    char *z = files_slurp(out, &zlen);
    char *text = files_unzstd(z, zlen, &len);
    assert_non_null(text);
    /* the merged header is the binary's whole schema: the inputs' columns come first */
    assert_int_equal(strncmp(text, HEADER, strlen(HEADER) - 1), 0);
    assert_null(strstr(text + 1, "domain,rank"));
    free(z);
    free(text);
}

static void test_duplicates_exit_3(void **state)
{
    (void)state;
    char *a = put("d1.csv", HEADER ROW("a.test", "1") ROW("b.test", "2"));
    char *b = put("d2.csv", HEADER ROW("b.test", "2") ROW("c.test", "2") ROW("e.test", "5"));
    char out[128];
    files_tmp_path(out, sizeof(out), "dup.csv");
    char *msg;
    assert_int_equal(run(&msg, "-o", out, a, b, NULL), MERGE_EXIT_DUPLICATES);
    assert_non_null(strstr(msg, "d2.csv line 2: duplicate row (rank 2, domain b.test)"));
    assert_non_null(strstr(msg, "ranks 3-4: no row")); /* gaps are reported */
    free(msg);
    long ranks[8];
    assert_int_equal(ranks_of(out, ranks, 8), 4); /* b.test once; c.test (same rank) kept */
}

static void test_input_lines(void **state)
{
    (void)state;
    char *list = put("list.txt", "1,a.test\n2,a.test\n2,b.test\n3,c.test\n3,c.test\n4,bad domain!\n");
    char *a = put("i1.csv", HEADER ROW("a.test", "1") ROW("c.test", "3") ROW("c.test", "3"));
    char *b = put("i2.csv", HEADER ROW("a.test", "2") "\"bad domain!\",4,,not_queried,,not_fetched,,,,,,"
                            "not_probed,not_queried,,input_invalid,,x,2026-11-22T06:10:33Z\n");
    char out[128];
    files_tmp_path(out, sizeof(out), "in.csv");
    char *msg;
    /* the repeated line 3,c.test is allowed twice; 2,b.test has no row */
    assert_int_equal(run(&msg, "--input", list, "-o", out, a, b, NULL), MERGE_EXIT_MISSING);
    assert_non_null(strstr(msg, "line 3 (rank 2, b.test) has no row"));
    assert_non_null(strstr(msg, "1 lines of"));
    assert_null(strstr(msg, "duplicate row"));
    free(msg);
    /* a row not in the list */
    char *c = put("i3.csv", HEADER ROW("b.test", "2") ROW("z.test", "9"));
    assert_int_equal(run(&msg, "--input", list, "-o", out, a, b, c, NULL), MERGE_EXIT_DUPLICATES);
    assert_non_null(strstr(msg, "rank 9, domain z.test is not a line of"));
    free(msg);
}

/* A cut shard was merged with exit 0 (issue 20: 777 of 2,004 rows): it is an error that names the
 * file, unless --allow-partial, which merges its complete rows with a warning. */
static void test_truncated_named(void **state)
{
    (void)state;
    char *a = put("t1.csv", HEADER ROW("a.test", "1") "b.test,2,,miss");
    char *b = put("t2.csv", HEADER ROW("b.test", "2"));
    char out[128];
    files_tmp_path(out, sizeof(out), "t.csv");
    char *msg;
    assert_int_equal(run(&msg, "-o", out, a, b, NULL), MERGE_EXIT_FATAL);
    assert_non_null(strstr(msg, "t1.csv: truncated"));
    assert_non_null(strstr(msg, "--allow-partial"));
    assert_non_null(strstr(msg, "none written"));
    free(msg);
    assert_int_equal(access(out, F_OK), -1); /* nothing published */
    assert_int_equal(run(&msg, "--allow-partial", "-o", out, a, b, NULL), MERGE_EXIT_OK);
    assert_non_null(strstr(msg, "t1.csv: truncated"));
    assert_non_null(strstr(msg, "--allow-partial: its complete rows are merged"));
    free(msg);
    long ranks[8];
    assert_int_equal(ranks_of(out, ranks, 8), 2);
}

/* A .zst shard cut inside a frame, and an empty file (it counted as a shard): errors naming the
 * file, every such file named; --allow-partial merges the rest. */
static void test_cut_zst_and_empty(void **state)
{
    (void)state;
    char text[8192] = HEADER;
    for (int i = 1; i <= 60; i++) {
        char row[256];
        snprintf(row, sizeof(row), "d%d.test,%d,,missing,,not_fetched,,,,,,not_probed,missing,,"
                 "not_deployed,,,2026-11-22T06:10:33Z\n", i, i);
        strcat(text, row);
    }
    char z[8192];
    size_t zlen = ZSTD_compress(z, sizeof(z), text, strlen(text), 1);
    assert_false(ZSTD_isError(zlen));
    char zpath[128];
    files_tmp_path(zpath, sizeof(zpath), "cut.csv.zst");
    FILE *f = fopen(zpath, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(z, 1, zlen * 2 / 3, f), zlen * 2 / 3);
    fclose(f);
    char *empty = put("empty.csv", "");
    char *good = put("g.csv", HEADER ROW("x.test", "100"));
    char out[128];
    files_tmp_path(out, sizeof(out), "z.csv");
    char *msg;
    assert_int_equal(run(&msg, "-o", out, zpath, empty, good, NULL), MERGE_EXIT_FATAL);
    assert_non_null(strstr(msg, "cut.csv.zst: truncated"));
    assert_non_null(strstr(msg, "empty.csv: empty file"));
    assert_non_null(strstr(msg, "2 cut or empty files"));
    free(msg);
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(run(&msg, "-o", out, empty, NULL), MERGE_EXIT_FATAL);
    free(msg);
    assert_int_equal(run(&msg, "--allow-partial", "-o", out, zpath, empty, good, NULL), MERGE_EXIT_OK);
    assert_non_null(strstr(msg, "empty.csv: empty file"));
    free(msg);
    long ranks[80];
    size_t n = ranks_of(out, ranks, 80);
    assert_true(n >= 1 && n < 61); /* the whole rows of the cut shard, and x.test */
    assert_int_equal(ranks[n - 1], 100);
    /* a header-only file is a shard without domains, not an error */
    char *hdr = put("hdr.csv", HEADER);
    assert_int_equal(run(&msg, "-o", out, hdr, good, NULL), MERGE_EXIT_OK);
    free(msg);
}

static void test_fatal_and_usage(void **state)
{
    (void)state;
    char *a = put("f1.csv", "rank,domain\n1,a.test\n");
    char *b = put("f2.csv", HEADER ROW("a.test", "x"));
    char out[128];
    files_tmp_path(out, sizeof(out), "f.csv");
    char *msg;
    assert_int_equal(run(&msg, "-o", out, a, NULL), MERGE_EXIT_FATAL);
    assert_non_null(strstr(msg, "missing column"));
    free(msg);
    assert_int_equal(run(&msg, "-o", out, b, NULL), MERGE_EXIT_FATAL);
    assert_non_null(strstr(msg, "line 2"));
    free(msg);
    assert_int_equal(run(&msg, "-o", b, b, NULL), MERGE_EXIT_USAGE); /* would overwrite an input */
    free(msg);
    assert_int_equal(run(&msg, a, NULL), MERGE_EXIT_USAGE);
    free(msg);
}

/* A merge whose output cannot be written (a full disk) says so and never claims rows were
 * "written to" ALL; ALL is left as it was (here: not there) and no work file stays (issue 20). */
static void test_full_disk(void **state)
{
    (void)state;
    char big[64 * 1024] = HEADER;
    for (int i = 1; i <= 600; i++) {
        char row[256];
        snprintf(row, sizeof(row), "d%d.test,%d,,missing,,not_fetched,,,,,,not_probed,missing,,"
                                   "not_deployed,,,2026-11-22T06:10:33Z\n", i, i);
        strcat(big, row);
    }
    char *a = put("full1.csv", big);
    char out[128], work[160], *msg;
    files_tmp_path(out, sizeof(out), "full-all.csv");
    snprintf(work, sizeof(work), "%s.partial", out);
    /* a file system that takes 4 KiB at most: RLIMIT_FSIZE (EFBIG, SIGXFSZ ignored) */
    struct rlimit old, lim = {4096, 4096};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim.rlim_max = old.rlim_max;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = run(&msg, "-o", out, a, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, MERGE_EXIT_FATAL);
    assert_null(strstr(msg, "written to"));
    assert_non_null(strstr(msg, "none written"));
    free(msg);
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(access(work, F_OK), -1);
    /* the device /dev/full is, made in the test's directory where mknod is allowed */
    char full[128];
    if (files_make_full(full, sizeof(full), "full-dev") == 0) {
        assert_int_equal(run(&msg, "-o", full, a, NULL), MERGE_EXIT_FATAL);
        assert_null(strstr(msg, "written to"));
        assert_non_null(strstr(msg, "No space left on device"));
        free(msg);
        assert_true(files_is_node(full));
    }
}

static void test_mx_tables(void **state)
{
    (void)state;
    const char *h = "mx_host,address,probe_status,greeting_code,starttls_offered,tls_version,cipher,"
                    "cert_subject,cert_sans,cert_not_after,cert_issuer,verify_ok,verify_error,error,"
                    "connect_ms,greeting_ms,tls_ms,total_ms,domains_sharing,probed_at,dane_match,tlsa,"
                    "tlsa_dnssec\n";
    char t1[1024], t2[1024];
    snprintf(t1, sizeof(t1), "%smx.a.test,192.0.2.1,ok,220,yes,TLSv1.3,X,CN=a,mx.a.test,,CN=ca,yes,,,1.0,2.0,3.0,4.0,2,,,,\n", h);
    snprintf(t2, sizeof(t2), "%smx.a.test,192.0.2.1,timeout,,,,,,,,,,,timed out,,,,5000.0,,,,,\n", h);
    char *a = put("m1.csv", t1);
    char *b = put("m2.csv", t2);
    char out[128];
    files_tmp_path(out, sizeof(out), "mx.csv");
    char t3[1024];
    snprintf(t3, sizeof(t3), "%sMX.A.test,192.0.2.2,ok,220,yes,TLSv1.3,X,CN=a,mx.a.test,,CN=ca,yes,,,1.0,2.0,3.0,4.0,1,,,,\n", h);
    char *c = put("m4.csv", t3);
    char *msg;
    /* (host, address) probed in two files (two shards, or a run and its resume): kept once, the
     * first row; another address of the host stays (issue 20: repeated hosts inflated the
     * report's TLS counts) */
    assert_int_equal(run(&msg, "--mx", "-o", out, a, b, c, NULL), MERGE_EXIT_OK);
    assert_non_null(strstr(msg, "3 rows read, 2 written"));
    assert_non_null(strstr(msg, "1 repeated MX rows"));
    free(msg);
    size_t len;
    char *text = files_slurp(out, &len);
    char want[2048];
    snprintf(want, sizeof(want), "%s%s", t1, t3 + strlen(h));
    assert_string_equal(text, want); /* byte for byte: the schema writes what it read */
    free(text);
    /* a domain table is not an MX table */
    char *d = put("m3.csv", HEADER ROW("a.test", "1"));
    assert_int_equal(run(&msg, "--mx", "-o", out, d, NULL), MERGE_EXIT_FATAL);
    free(msg);
}

/* Edge tables (--domain-mx-output) merge too, found by their header; a repeated (rank, domain,
 * MX host) is a duplicate (dropped, exit 3). */
static void test_edge_tables(void **state)
{
    (void)state;
    char p1[128], p2[128], out[128];
    files_tmp_path(p1, sizeof(p1), "e1.csv");
    files_tmp_path(p2, sizeof(p2), "e2.csv.zst");
    files_tmp_path(out, sizeof(out), "edges.csv");
    const char *paths[] = {p1, p2};
    const char *hosts[2][2] = {{"mx1.a.test", "mx2.a.test"}, {"mx2.a.test", "mx1.b.test"}};
    const char *domains[2][2] = {{"a.test", "a.test"}, {"a.test", "b.test"}};
    for (int f = 0; f < 2; f++) {
        struct zwriter_error ze;
        struct csvout *c = csvout_open(paths[f], SCHEMA_EDGE, &ze);
        assert_non_null(c);
        for (int i = 0; i < 2; i++) {
            struct schema_edge_row e;
            schema_edge_row_init(&e);
            snprintf(e.domain, sizeof(e.domain), "%s", domains[f][i]);
            snprintf(e.mx_host, sizeof(e.mx_host), "%s", hosts[f][i]);
            e.rank = strcmp(domains[f][i], "a.test") == 0 ? 1 : 2;
            e.preference = 10;
            snprintf(e.probe_status, sizeof(e.probe_status), "ok");
            assert_int_equal(csvout_write_record(c, &e), ZWRITER_OK);
        }
        assert_int_equal(csvout_close(c, &ze), ZWRITER_OK);
    }
    char *msg;
    int rc = run(&msg, "-o", out, p1, p2, NULL);
    assert_int_equal(rc, MERGE_EXIT_DUPLICATES);
    assert_non_null(strstr(msg, "4 rows read, 3 written"));
    assert_non_null(strstr(msg, "duplicate edge row"));
    free(msg);
    struct csvin_error e;
    struct csvin *in = csvin_open(out, SCHEMA_EDGE, &e);
    assert_non_null(in);
    struct schema_edge_row row;
    int n = 0;
    while (csvin_next(in, &row) == 1)
        n++;
    assert_int_equal(csvin_error(in)->status, CSVIN_OK);
    csvin_close(in);
    assert_int_equal(n, 3);
    assert_int_equal(run(&msg, "--input", p1, "-o", out, p1, NULL), MERGE_EXIT_USAGE);
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards_one_header),
        cmocka_unit_test(test_duplicates_exit_3),
        cmocka_unit_test(test_input_lines),
        cmocka_unit_test(test_truncated_named),
        cmocka_unit_test(test_cut_zst_and_empty),
        cmocka_unit_test(test_fatal_and_usage),
        cmocka_unit_test(test_mx_tables),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_edge_tables),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
