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
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "output/csvout.h"
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
    struct zwriter_opts o = { .level = 19, .flush_interval_sec = 0.0, .compress = -1 };
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
    assert_int_equal(zwriter_write(w, "tiny\n", 5), ZWRITER_OK); /* staged */
    enum zwriter_status st = zwriter_close(w, &err);
    assert_int_equal(st, ZWRITER_ERR_WRITE);
    expect_enospc(&err);
}

static void test_dev_full_zstd(void **state)
{
    (void)state;
    struct zwriter_opts o = { .flush_interval_sec = -1.0, .compress = 1 };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts("/dev/full", &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "a,b\n", 4), ZWRITER_OK);
    enum zwriter_status st = zwriter_tick(w, 1.0);
    assert_int_equal(st, ZWRITER_ERR_WRITE);
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

/* ---- injected write(2): short writes and a disk that fills up ---------------------------- */

static size_t inj_max_per_call; /* a call writes at most this many bytes (0 = no limit) */
static long inj_budget;         /* bytes the "disk" still takes; < 0 = unlimited */
static int inj_calls;

static ssize_t inj_write(int fd, const void *buf, size_t len)
{
    inj_calls++;
    if (inj_max_per_call && len > inj_max_per_call)
        len = inj_max_per_call;
    if (inj_budget >= 0) {
        if (inj_budget == 0) {
            errno = ENOSPC;
            return -1;
        }
        if ((long)len > inj_budget)
            len = (size_t)inj_budget;
        inj_budget -= (long)len;
    }
    return write(fd, buf, len);
}

static void inj_reset(size_t max_per_call, long budget)
{
    inj_max_per_call = max_per_call;
    inj_budget = budget;
    inj_calls = 0;
}

/* "rank,row-<rank>-xxxx...\n" rows of varying length. */
static size_t make_row(char *buf, size_t size, int rank)
{
    int pad = 20 + (rank * 37) % 180;
    return (size_t)snprintf(buf, size, "%d,row-%d-%.*s\n", rank, rank, pad,
                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                            "xxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* Checks that text[0..len) is rows 1..n, each whole, in order; returns n (-1 on a cut row). */
static int count_whole_rows(const char *text, size_t len)
{
    char want[512];
    size_t off = 0;
    int rank = 0;
    while (off < len) {
        size_t n = make_row(want, sizeof(want), ++rank);
        if (len - off < n || memcmp(text + off, want, n) != 0)
            return -1;
        off += n;
    }
    return rank;
}

static struct zwriter *open_injected(const char *path, int compress)
{
    struct zwriter_opts o = { 0, -1.0, compress, 0, inj_write };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    return w;
}

/* write(2) taking 7 bytes per call: every row still arrives whole and in order. */
static void test_plain_short_writes_complete(void **state)
{
    (void)state;
    char path[128], row[512];
    files_tmp_path(path, sizeof(path), "short.csv");
    inj_reset(7, -1);
    struct zwriter *w = open_injected(path, 0);
    for (int r = 1; r <= 1000; r++)
        assert_int_equal(zwriter_write(w, row, make_row(row, sizeof(row), r)), ZWRITER_OK);
    assert_int_equal(zwriter_close(w, NULL), ZWRITER_OK);
    assert_true(inj_calls > 1000);
    size_t n;
    char *f = files_slurp(path, &n);
    assert_int_equal(count_whole_rows(f, n), 1000);
    free(f);
}

/* The disk fills up in the middle of a piece: the file is cut back to the last whole piece, the
 * error is ENOSPC and sticky, and nothing after it is written. */
static void test_plain_enospc_keeps_whole_rows(void **state)
{
    (void)state;
    char path[128], row[512];
    files_tmp_path(path, sizeof(path), "enospc.csv");
    inj_reset(1000, 150000); /* 150,000 bytes fit: the third 64 KiB piece is cut */
    struct zwriter *w = open_injected(path, 0);
    enum zwriter_status st = ZWRITER_OK;
    int r;
    for (r = 1; r <= 5000 && st == ZWRITER_OK; r++)
        st = zwriter_write(w, row, make_row(row, sizeof(row), r));
    assert_int_equal(st, ZWRITER_ERR_WRITE);
    assert_int_equal(zwriter_error(w)->sys_errno, ENOSPC);
    assert_int_equal(zwriter_write(w, "x\n", 2), ZWRITER_ERR_WRITE);
    struct zwriter_error err;
    assert_int_equal(zwriter_close(w, &err), ZWRITER_ERR_WRITE);
    assert_int_equal(err.sys_errno, ENOSPC);
    size_t n;
    char *f = files_slurp(path, &n);
    assert_true(n > 0 && n < 150000);
    assert_int_equal(f[n - 1], '\n');
    assert_true(count_whole_rows(f, n) > 0); /* whole rows only, none cut */
    free(f);
}

/* Read while the writer is open (what a kill leaves): the file ends at a row boundary. */
static void test_plain_rows_never_split_on_disk(void **state)
{
    (void)state;
    char path[128], row[512];
    files_tmp_path(path, sizeof(path), "live.csv");
    struct zwriter *w = zwriter_open(path, &(struct zwriter_error){0});
    assert_non_null(w);
    for (int r = 1; r <= 3000; r++) {
        assert_int_equal(zwriter_write(w, row, make_row(row, sizeof(row), r)), ZWRITER_OK);
        if (r % 250 == 0) {
            size_t n;
            char *f = files_slurp(path, &n);
            assert_true(count_whole_rows(f, n) >= 0);
            free(f);
        }
    }
    assert_int_equal(zwriter_close(w, NULL), ZWRITER_OK);
}

/* Frames are written in one piece: a disk that fills up inside the second frame leaves the first
 * frame alone, readable by a strict decoder. */
static void test_zstd_enospc_keeps_whole_frames(void **state)
{
    (void)state;
    char path[128], row[512];
    files_tmp_path(path, sizeof(path), "enospc.csv.zst");
    inj_reset(0, -1);
    struct zwriter *w = open_injected(path, 1);
    int r = 1;
    for (; r <= 500; r++)
        assert_int_equal(zwriter_write(w, row, make_row(row, sizeof(row), r)), ZWRITER_OK);
    assert_int_equal(zwriter_flush(w), ZWRITER_OK);
    size_t first;
    free(files_slurp(path, &first));
    inj_budget = 20; /* the next frame does not fit */
    for (; r <= 1000; r++)
        assert_int_equal(zwriter_write(w, row, make_row(row, sizeof(row), r)), ZWRITER_OK);
    assert_int_equal(zwriter_flush(w), ZWRITER_ERR_WRITE);
    assert_int_equal(zwriter_close(w, NULL), ZWRITER_ERR_WRITE);
    size_t zlen, plen;
    unsigned char *z = files_slurp(path, &zlen);
    assert_int_equal(zlen, first);
    assert_int_equal(count_frames(z, zlen), 1);
    char *plain = files_unzstd(z, zlen, &plen);
    assert_non_null(plain);
    assert_int_equal(count_whole_rows(plain, plen), 500);
    free(plain);
    free(z);
}

static void test_zstd_short_writes_complete(void **state)
{
    (void)state;
    char path[128], row[512];
    files_tmp_path(path, sizeof(path), "short.csv.zst");
    inj_reset(5, -1);
    struct zwriter *w = open_injected(path, 1);
    for (int r = 1; r <= 2000; r++) {
        assert_int_equal(zwriter_write(w, row, make_row(row, sizeof(row), r)), ZWRITER_OK);
        if (r % 500 == 0)
            assert_int_equal(zwriter_flush(w), ZWRITER_OK);
    }
    assert_int_equal(zwriter_close(w, NULL), ZWRITER_OK);
    size_t zlen, plen;
    unsigned char *z = files_slurp(path, &zlen);
    assert_int_equal(count_frames(z, zlen), 4);
    char *plain = files_unzstd(z, zlen, &plen);
    assert_non_null(plain);
    assert_int_equal(count_whole_rows(plain, plen), 2000);
    free(plain);
    free(z);
}

/* A pipe whose reader goes away: EPIPE is reported (SIGPIPE ignored), and what the reader got
 * before is whole rows. */
static void test_pipe_gets_whole_rows(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char path[64], row[512];
    snprintf(path, sizeof(path), "/dev/fd/%d", p[1]);
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err); /* /dev/fd/N exists and is a FIFO: in place */
    assert_non_null(w);
    int r;
    for (r = 1; r <= 40; r++) /* ~5 KB: fits the pipe */
        assert_int_equal(zwriter_write(w, row, make_row(row, sizeof(row), r)), ZWRITER_OK);
    assert_int_equal(zwriter_flush(w), ZWRITER_OK);
    char got[65536];
    ssize_t n = read(p[0], got, sizeof(got));
    assert_true(n > 0);
    assert_int_equal(count_whole_rows(got, (size_t)n), 40);
    close(p[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    zwriter_write(w, row, make_row(row, sizeof(row), r));
    assert_int_equal(zwriter_flush(w), ZWRITER_ERR_WRITE);
    assert_int_equal(zwriter_error(w)->sys_errno, EPIPE);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_ERR_WRITE);
    signal(SIGPIPE, old);
    close(p[1]);
}

/* A scan killed before its first tick leaves a CSV with its header, not an empty file. */
static void test_header_published_at_open(void **state)
{
    (void)state;
    char path[128];
    struct zwriter_error err;
    const char *names[] = { "hdr.csv", "hdr.csv.zst" };
    for (int i = 0; i < 2; i++) {
        files_tmp_path(path, sizeof(path), names[i]);
        struct csvout *c = csvout_open(path, SCHEMA_DOMAIN, &err);
        assert_non_null(c);
        size_t n, plen;
        char *f = files_slurp(path, &n);
        char *text = i ? files_unzstd(f, n, &plen) : f;
        assert_non_null(text);
        assert_true(strncmp(text, "domain,rank,", 12) == 0);
        assert_non_null(strchr(text, '\n'));
        if (i)
            free(text);
        free(f);
        assert_int_equal(csvout_close(c, &err), ZWRITER_OK);
    }
}

static char *partial_of(char *buf, size_t size, const char *path)
{
    assert_non_null(zwriter_partial_path(path, buf, size));
    return buf;
}

/* Partial mode: PATH keeps the earlier results until the new run closes successfully. */
static void test_partial_renamed_at_close(void **state)
{
    (void)state;
    char path[128], work[160];
    files_tmp_path(path, sizeof(path), "pub.csv");
    files_write_text(path, "earlier results\n");
    struct zwriter_opts o = { 0, -1.0, -1, 1, NULL };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    assert_string_equal(zwriter_work_path(w), partial_of(work, sizeof(work), path));
    assert_int_equal(zwriter_write(w, "new\n", 4), ZWRITER_OK);
    assert_int_equal(zwriter_flush(w), ZWRITER_OK);
    files_expect_text(path, "earlier results\n");
    files_expect_text(work, "new\n");
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
    files_expect_text(path, "new\n");
    assert_int_equal(access(work, F_OK), -1);
}

/* An output that is a symlink: the link stays, its target gets the new results. */
static void test_partial_through_symlink(void **state)
{
    (void)state;
    char target[128], link[128];
    files_tmp_path(target, sizeof(target), "target.csv");
    files_tmp_path(link, sizeof(link), "link.csv");
    files_write_text(target, "earlier\n");
    assert_int_equal(symlink(target, link), 0);
    struct zwriter_opts o = { .flush_interval_sec = -1.0, .compress = -1, .partial = 1 };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts(link, &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "new\n", 4), ZWRITER_OK);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    files_expect_text(target, "new\n");
}

static void test_partial_kept_or_discarded(void **state)
{
    (void)state;
    char path[128], work[160];
    files_tmp_path(path, sizeof(path), "keep.csv.zst");
    partial_of(work, sizeof(work), path);
    files_write_text(path, "earlier\n");
    struct zwriter_opts o = { 0, -1.0, -1, 1, NULL };
    struct zwriter_error err;
    struct zwriter *w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "row\n", 4), ZWRITER_OK);
    assert_int_equal(zwriter_close_as(w, ZWRITER_KEEP_PARTIAL, &err), ZWRITER_OK);
    size_t n, plen;
    files_expect_text(path, "earlier\n");
    char *f = files_slurp(work, &n);
    char *plain = files_unzstd(f, n, &plen);
    assert_non_null(plain);
    assert_string_equal(plain, "row\n");
    free(plain);
    free(f);
    assert_int_equal(unlink(work), 0);

    w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_close_as(w, ZWRITER_DISCARD, &err), ZWRITER_OK);
    assert_int_equal(access(work, F_OK), -1);
    files_expect_text(path, "earlier\n");

    /* a writer with an error is never published, whatever the caller asks */
    inj_reset(0, 0);
    struct zwriter_opts bad = { 0, -1.0, 0, 1, inj_write };
    w = zwriter_open_opts(path, &bad, &err);
    assert_non_null(w);
    zwriter_write(w, "row\n", 4);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_ERR_WRITE);
    files_expect_text(path, "earlier\n");
    assert_int_equal(access(work, F_OK), 0);
    assert_int_equal(unlink(work), 0);
}

/* An earlier run's unfinished results are never overwritten. */
static void test_partial_never_overwritten(void **state)
{
    (void)state;
    char path[128], work[160];
    files_tmp_path(path, sizeof(path), "stale.csv");
    partial_of(work, sizeof(work), path);
    files_write_text(work, "killed run's rows\n");
    struct zwriter_opts o = { 0, -1.0, -1, 1, NULL };
    struct zwriter_error err;
    assert_int_equal(zwriter_check_path(path, 1, &err), ZWRITER_ERR_OPEN);
    assert_int_equal(err.sys_errno, EEXIST);
    assert_null(zwriter_open_opts(path, &o, &err));
    assert_int_equal(err.status, ZWRITER_ERR_OPEN);
    assert_non_null(strstr(zwriter_strerror(&err), "--resume"));
    files_expect_text(work, "killed run's rows\n");
    assert_int_equal(zwriter_check_path(path, 0, &err), ZWRITER_OK);
    /* an empty one (a run killed between open and header) is fair game */
    files_write_text(work, "");
    assert_int_equal(zwriter_check_path(path, 1, &err), ZWRITER_OK);
    unlink(work);
}

/* The work file is one the writer creates: a symlink planted at its name (dangling or not) is
 * refused, never followed; the file it points to stays as it was (issue 20). */
static void test_partial_symlink_planted(void **state)
{
    (void)state;
    char path[128], work[160], victim[128];
    files_tmp_path(path, sizeof(path), "planted.csv");
    files_tmp_path(victim, sizeof(victim), "victim.txt");
    partial_of(work, sizeof(work), path);
    files_write_text(victim, "precious\n");
    assert_int_equal(symlink(victim, work), 0);
    struct zwriter_opts o = { .flush_interval_sec = -1.0, .compress = -1, .partial = 1 };
    struct zwriter_error err;
    assert_int_equal(zwriter_check_path(path, 1, &err), ZWRITER_ERR_OPEN);
    assert_null(zwriter_open_opts(path, &o, &err));
    assert_int_equal(err.sys_errno, EEXIST);
    assert_non_null(strstr(zwriter_strerror(&err), "symlink"));
    files_expect_text(victim, "precious\n");
    unlink(work);
    char missing[128];
    files_tmp_path(missing, sizeof(missing), "nowhere.txt");
    assert_int_equal(symlink(missing, work), 0); /* dangling: open would create its target */
    assert_null(zwriter_open_opts(path, &o, &err));
    assert_int_equal(access(missing, F_OK), -1);
    unlink(work);
    /* an empty regular work file (a run killed before its header) is replaced */
    files_write_text(work, "");
    struct zwriter *w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
}

/* A device (or FIFO) is written in place: it stays what it was, no work file beside it. */
static void test_device_written_in_place(void **state)
{
    (void)state;
    char path[128], work[160];
    int rd = files_make_node(path, sizeof(path), "node.csv");
    partial_of(work, sizeof(work), path);
    struct zwriter_opts o = { .flush_interval_sec = -1.0, .compress = -1, .partial = 1 };
    struct zwriter_error err;
    assert_int_equal(zwriter_check_path(path, 1, &err), ZWRITER_OK);
    struct zwriter *w = zwriter_open_opts(path, &o, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "row\n", 4), ZWRITER_OK);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_OK);
    assert_true(files_is_node(path));
    assert_int_equal(access(work, F_OK), -1);
    if (rd >= 0)
        close(rd);
    unlink(path);
}

/* The work file keeps a final ".zst", so readers that pick the decompressor by suffix work. */
static void test_partial_path_names(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(zwriter_partial_path("out.csv", buf, sizeof(buf)), "out.csv.partial");
    assert_string_equal(zwriter_partial_path("d/out.csv.zst", buf, sizeof(buf)), "d/out.csv.partial.zst");
    assert_string_equal(zwriter_partial_path(".zst", buf, sizeof(buf)), ".zst.partial");
    assert_string_equal(zwriter_partial_path("summary.json", buf, sizeof(buf)), "summary.json.partial");
    assert_null(zwriter_partial_path("out.csv", buf, 15));
    assert_non_null(zwriter_partial_path("out.csv", buf, 16));
}

static void test_check_path(void **state)
{
    (void)state;
    struct zwriter_error err;
    assert_int_equal(zwriter_check_path("-", 1, &err), ZWRITER_OK);
    assert_int_equal(zwriter_check_path("/dev/null", 1, &err), ZWRITER_OK);
    assert_int_equal(zwriter_check_path("/nodir-mtasts/mx.csv", 1, &err), ZWRITER_ERR_OPEN);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_non_null(strstr(zwriter_strerror(&err), "/nodir-mtasts/mx.csv"));
    assert_int_equal(zwriter_check_path(files_dir(), 1, &err), ZWRITER_ERR_OPEN);
    assert_int_equal(err.sys_errno, EISDIR);
    char path[128];
    files_tmp_path(path, sizeof(path), "plainfile");
    files_write_text(path, "x");
    char below[160];
    snprintf(below, sizeof(below), "%s/out.csv", path);
    assert_int_equal(zwriter_check_path(below, 1, &err), ZWRITER_ERR_OPEN);
    assert_int_equal(err.sys_errno, ENOTDIR);
    files_tmp_path(path, sizeof(path), "fresh.csv");
    assert_int_equal(zwriter_check_path(path, 1, &err), ZWRITER_OK);
    assert_int_equal(access(path, F_OK), -1); /* checked, not created */
}

static void test_write_after_finish_fails(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "fin.csv");
    struct zwriter_error err;
    struct zwriter *w = zwriter_open(path, &err);
    assert_non_null(w);
    assert_int_equal(zwriter_write(w, "a\n", 2), ZWRITER_OK);
    assert_int_equal(zwriter_finish(w), ZWRITER_OK);
    assert_int_equal(zwriter_finish(w), ZWRITER_OK);
    assert_int_equal(zwriter_write(w, "b\n", 2), ZWRITER_ERR_WRITE);
    assert_int_equal(zwriter_close(w, &err), ZWRITER_ERR_WRITE);
    files_expect_text(path, "a\n");
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
        cmocka_unit_test(test_plain_short_writes_complete),
        cmocka_unit_test(test_plain_enospc_keeps_whole_rows),
        cmocka_unit_test(test_plain_rows_never_split_on_disk),
        cmocka_unit_test(test_zstd_enospc_keeps_whole_frames),
        cmocka_unit_test(test_zstd_short_writes_complete),
        cmocka_unit_test(test_pipe_gets_whole_rows),
        cmocka_unit_test(test_header_published_at_open),
        cmocka_unit_test(test_partial_renamed_at_close),
        cmocka_unit_test(test_partial_through_symlink),
        cmocka_unit_test(test_partial_kept_or_discarded),
        cmocka_unit_test(test_partial_never_overwritten),
        cmocka_unit_test(test_partial_symlink_planted),
        cmocka_unit_test(test_device_written_in_place),
        cmocka_unit_test(test_partial_path_names),
        cmocka_unit_test(test_check_path),
        cmocka_unit_test(test_write_after_finish_fails),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
