/*
 * test_zwriter: plain and zstd output round trips through libzstd, the frame schedule of
 * zwriter_tick() (a file read while its writer is still open decompresses completely up to the
 * last tick: what a killed scan leaves), and write errors that must surface (/dev/full, a missing
 * directory) with their errno text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "output/zwriter.h"
#include "tests/support/files.h"

/* Counts the complete frames in src. */
static int count_frames(const unsigned char *src, size_t len)
{
    int frames = 0;
    while (len > 0) {
        size_t f = ZSTD_findFrameCompressedSize(src, len);
        if (ZSTD_isError(f))
            return -1;
        src += f;
        len -= f;
        frames++;
    }
    return frames;
}

/* Deterministic, moderately compressible test data. */
static char *make_data(size_t len)
{
    char *d = malloc(len);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (char)("abcdefgh,\n0123"[(x >> 16) % 14]);
    }
    return d;
}

static void test_plain_round_trip(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "plain.csv");
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err);
    assert_non_null(w);
    assert_int_equal(err.status, ZWRITER_OK);
    size_t len = 200000;
    char *data = make_data(len);
    assert_int_equal(zwriter_write(w, data, 1000), ZWRITER_OK);
    assert_int_equal(zwriter_write(w, data + 1000, len - 1000), ZWRITER_OK);
    assert_int_equal(zwriter_frames(w), 0);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
    size_t got;
    unsigned char *file = files_slurp(path, &got);
    assert_int_equal(got, len);
    assert_memory_equal(file, data, len);
    free(file);
    free(data);
}

static void test_zstd_round_trip(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "round.csv.zst");
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err);
    assert_non_null(w);
    size_t len = 700000; /* several zstd blocks */
    char *data = make_data(len);
    for (size_t off = 0; off < len; off += 7001) {
        size_t n = len - off < 7001 ? len - off : 7001;
        assert_int_equal(zwriter_write(w, data + off, n), ZWRITER_OK);
    }
    assert_int_equal(zwriter_close(w, NULL), ZWRITER_OK);
    size_t zlen, plen;
    unsigned char *z = files_slurp(path, &zlen);
    assert_true(zlen < len); /* it really is compressed */
    assert_int_equal(count_frames(z, zlen), 1);
    unsigned char *plain = files_unzstd(z, zlen, &plen);
    assert_non_null(plain);
    assert_int_equal(plen, len);
    assert_memory_equal(plain, data, len);
    free(plain);
    free(z);
    free(data);
}

/* A scan killed after a tick: the file on disk, read while the writer is still open, holds
 * complete frames with every byte written before the tick. */
static void test_frames_readable_before_close(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "live.csv.zst");
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err);
    assert_non_null(w);
    const char *a = "domain,rank\nexample.com,1\n";
    const char *b = "example.org,2\n";
    const char *c = "example.net,3\n";

    assert_int_equal(zwriter_write(w, a, strlen(a)), ZWRITER_OK);
    assert_int_equal(zwriter_tick(w, 100.0), ZWRITER_OK); /* first tick ends a frame */
    assert_int_equal(zwriter_frames(w), 1);
    assert_int_equal(zwriter_write(w, b, strlen(b)), ZWRITER_OK);
    assert_int_equal(zwriter_tick(w, 101.0), ZWRITER_OK); /* within 2 s: no frame */
    assert_int_equal(zwriter_frames(w), 1);
    assert_int_equal(zwriter_tick(w, 102.5), ZWRITER_OK);
    assert_int_equal(zwriter_frames(w), 2);
    assert_int_equal(zwriter_tick(w, 110.0), ZWRITER_OK); /* nothing new: no empty frame */
    assert_int_equal(zwriter_frames(w), 2);
    assert_int_equal(zwriter_write(w, c, strlen(c)), ZWRITER_OK); /* not yet on disk */

    size_t zlen, plen;
    unsigned char *z = files_slurp(path, &zlen);
    assert_int_equal(count_frames(z, zlen), 2);
    unsigned char *plain = files_unzstd(z, zlen, &plen);
    assert_non_null(plain);
    assert_int_equal(plen, strlen(a) + strlen(b));
    assert_memory_equal(plain, a, strlen(a));
    assert_memory_equal(plain + strlen(a), b, strlen(b));
    free(plain);
    free(z);

    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
    z = files_slurp(path, &zlen);
    assert_int_equal(count_frames(z, zlen), 3);
    plain = files_unzstd(z, zlen, &plen);
    assert_non_null(plain);
    assert_int_equal(plen, strlen(a) + strlen(b) + strlen(c));
    assert_memory_equal(plain + plen - strlen(c), c, strlen(c));
    free(plain);
    free(z);
}

/* A truncated last frame (what a kill in the middle of a frame would leave without the frame
 * schedule) is detected by the decoder used in these tests: a check that the helper is strict. */
static void test_helper_detects_truncation(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "trunc.zst");
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err);
    char *data = make_data(5000);
    zwriter_write(w, data, 5000);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
    size_t zlen, plen;
    unsigned char *z = files_slurp(path, &zlen);
    assert_null(files_unzstd(z, zlen - 3, &plen));
    free(z);
    free(data);
}

static void test_plain_tick_flushes(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "tick.csv");
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err);
    assert_non_null(w);
    zwriter_write(w, "a,b\n", 4);
    size_t n;
    unsigned char *f = files_slurp(path, &n);
    assert_int_equal(n, 0); /* still in the stdio buffer */
    free(f);
    assert_int_equal(zwriter_tick(w, 5.0), ZWRITER_OK);
    f = files_slurp(path, &n);
    assert_int_equal(n, 4);
    free(f);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
}

static void test_flush_interval_option(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "every.zst");
    struct zwriter_opts o = { 19, 0.0, -1 };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    for (int i = 0; i < 5; i++) {
        zwriter_write(w, "row\n", 4);
        assert_int_equal(zwriter_tick(w, 1.0), ZWRITER_OK); /* interval 0: every tick */
    }
    assert_int_equal(zwriter_frames(w), 5);
    assert_int_equal(zwriter_flush(w), ZWRITER_OK); /* nothing new */
    assert_int_equal(zwriter_frames(w), 5);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
}

static void expect_enospc(const struct zwriter_error *e)
{
    assert_int_not_equal(e->status, ZWRITER_OK);
    assert_int_equal(e->sys_errno, ENOSPC);
    assert_non_null(strstr(zwriter_strerror(e), "/dev/full"));
    assert_non_null(strstr(zwriter_strerror(e), strerror(ENOSPC)));
}

static void test_dev_full_plain(void **state)
{
    (void)state;
    struct zwriter_error err;
    struct zwriter *w = zwriter_open("/dev/full", &err);
    assert_non_null(w);
    char *data = make_data(300000); /* more than the stdio buffer: fails in write */
    enum zwriter_status st = zwriter_write(w, data, 300000);
    assert_int_equal(st, ZWRITER_ERR_WRITE);
    expect_enospc(zwriter_error(w));
    /* sticky: the next write reports the same error without trying */
    assert_int_equal(zwriter_write(w, "x", 1), ZWRITER_ERR_WRITE);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_ERR_WRITE);
    expect_enospc(&err);
    free(data);
}

static void test_dev_full_small_write_fails_at_close(void **state)
{
    (void)state;
    struct zwriter_error err;
    struct zwriter *w = zwriter_open("/dev/full", &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "tiny\n", 5), ZWRITER_OK); /* buffered */
    enum zwriter_status st = zwriter_close(w, &err);
    assert_true(st == ZWRITER_ERR_FLUSH || st == ZWRITER_ERR_CLOSE);
    expect_enospc(&err);
}

static void test_dev_full_zstd(void **state)
{
    (void)state;
    struct zwriter_opts o = { 0, -1.0, 1 };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts("/dev/full", &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "a,b\n", 4), ZWRITER_OK);
    enum zwriter_status st = zwriter_tick(w, 1.0);
    assert_true(st == ZWRITER_ERR_WRITE || st == ZWRITER_ERR_FLUSH);
    expect_enospc(zwriter_error(w));
    assert_int_equal(zwriter_close(w, &err), st);
}

static void test_open_missing_dir(void **state)
{
    (void)state;
    struct zwriter_error err;
    struct zwriter *w = zwriter_open("/nonexistent-dir-mtasts/out.csv.zst", &err);
    assert_null(w);
    assert_int_equal(err.status, ZWRITER_ERR_OPEN);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_non_null(strstr(zwriter_strerror(&err), "No such file or directory"));
    assert_string_equal(zwriter_status_str(err.status), "open_failed");
}

static void test_close_null(void **state)
{
    (void)state;
    struct zwriter_error err;
    assert_int_equal(zwriter_close(NULL, &err), ZWRITER_OK);
    assert_string_equal(zwriter_strerror(&err), "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_round_trip),
        cmocka_unit_test(test_zstd_round_trip),
        cmocka_unit_test(test_frames_readable_before_close),
        cmocka_unit_test(test_helper_detects_truncation),
        cmocka_unit_test(test_plain_tick_flushes),
        cmocka_unit_test(test_flush_interval_option),
        cmocka_unit_test(test_dev_full_plain),
        cmocka_unit_test(test_dev_full_small_write_fails_at_close),
        cmocka_unit_test(test_dev_full_zstd),
        cmocka_unit_test(test_open_missing_dir),
        cmocka_unit_test(test_close_null),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
