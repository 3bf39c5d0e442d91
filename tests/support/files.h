/*
 * files: header-only helpers (static functions, for the cmocka tests only) for tests that write
 * and read real files:
 *   - one temporary directory per test program, made by the group setup files_setup_dir and
 *     removed with everything in it by the group teardown files_remove_dir;
 *   - files_tmp_path: a path inside that directory;
 *   - files_slurp: a whole file read back (it must exist: a missing file fails the test);
 *     files_expect_text: the file holds exactly this text;
 *   - files_write / files_write_text: a file (re)written with the bytes or text given (a failed
 *     write fails the test);
 *   - files_make_node / files_is_node: a device (or FIFO) in that directory, and whether it still
 *     is one;
 *   - files_unzstd: every zstd frame of a buffer decompressed, strictly (corrupt input or input
 *     that ends inside a frame gives NULL, so a test can also assert that a cut is detected);
 *   - files_zstd_frames: data compressed as several zstd frames, cut where the test says.
 * Buffers returned here are the caller's to free and carry one spare NUL byte after the data, so
 * text can be compared as a C string.
 */
#ifndef MTASTS_TEST_FILES_H
#define MTASTS_TEST_FILES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#define FILES_FN static __attribute__((unused))
#define FILES_DIR_MAX 64

/* The test program's temporary directory ("" before files_setup_dir).  A function-local static
 * rather than a global defined in a header; each test program is one translation unit. */
FILES_FN char *files_dir(void)
{
    static char dir[FILES_DIR_MAX];
    return dir;
}

/* cmocka group setup: makes a fresh /tmp/mtasts-test.XXXXXX. */
FILES_FN int files_setup_dir(void **state)
{
    (void)state;
    char *dir = files_dir();
    snprintf(dir, FILES_DIR_MAX, "/tmp/mtasts-test.XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

/* cmocka group teardown: removes the directory and every file the tests left in it. */
FILES_FN int files_remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", files_dir());
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes "<dir>/<name>" to buf. */
FILES_FN void files_tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", files_dir(), name);
}

/* Reads the whole file at path; *len is its size.  Caller frees. */
FILES_FN void *files_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            buf = realloc(buf, (cap *= 2) + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Makes "<dir>/<name>" a node that is not a regular file, written in place by the writers: the
 * character device 1:3 (what /dev/null is) made with mknod in the test's own directory, never
 * the system's; where mknod is not allowed (not root), a FIFO that this process holds open for
 * reading, so writes to it neither block nor fail.  Returns the reading descriptor (-1 for a
 * device), for the caller to close. */
FILES_FN int files_make_node(char *buf, size_t size, const char *name)
{
    files_tmp_path(buf, size, name);
    if (mknod(buf, S_IFCHR | 0666, makedev(1, 3)) == 0)
        return -1;
    assert_int_equal(mkfifo(buf, 0666), 0);
    int fd = open(buf, O_RDWR | O_NONBLOCK);
    assert_true(fd >= 0);
    return fd;
}

/* Makes "<dir>/<name>" the character device 1:7 (what /dev/full is: every write fails with
 * ENOSPC) in the test's own directory.  0, or -1 where mknod is not allowed (not root): the
 * caller then simulates a full disk with RLIMIT_FSIZE as well. */
FILES_FN int files_make_full(char *buf, size_t size, const char *name)
{
    files_tmp_path(buf, size, name);
    return mknod(buf, S_IFCHR | 0666, makedev(1, 7)) == 0 ? 0 : -1;
}

/* 1 when path is still the node files_make_node made (not replaced by a regular file). */
FILES_FN int files_is_node(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode));
}

/* Fails the test unless the file at path holds exactly text. */
FILES_FN void files_expect_text(const char *path, const char *text)
{
    size_t len;
    char *got = files_slurp(path, &len);
    assert_string_equal(got, text);
    assert_int_equal(len, strlen(text));
    free(got);
}

/* Writes data[0..len) to path (created or truncated); any failure fails the test. */
FILES_FN void files_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* files_write of the NUL-terminated text. */
FILES_FN void files_write_text(const char *path, const char *text)
{
    files_write(path, text, strlen(text));
}

/* Streams every frame of src through ZSTD_decompressStream.  Returns the decompressed bytes
 * (*outlen of them; caller frees) or NULL when the data is corrupt or ends inside a frame. */
FILES_FN void *files_unzstd(const void *src, size_t len, size_t *outlen)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    assert_non_null(d);
    size_t cap = 1 << 16, n = 0, last = 0;
    char *out = malloc(cap + 1);
    assert_non_null(out);
    ZSTD_inBuffer in = { src, len, 0 };
    while (in.pos < in.size) {
        if (cap - n < ZSTD_DStreamOutSize()) {
            out = realloc(out, (cap *= 2) + 1);
            assert_non_null(out);
        }
        ZSTD_outBuffer o = { out + n, cap - n, 0 };
        last = ZSTD_decompressStream(d, &o, &in);
        if (ZSTD_isError(last))
            break;
        n += o.pos;
    }
    ZSTD_freeDCtx(d);
    if (last != 0) { /* a decoder error, or the input ended inside a frame */
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *outlen = n;
    return out;
}

/* Compresses data[0..len) as ncuts + 1 zstd frames, the k-th ending at cuts[k] (ascending offsets;
 * the last frame ends at len).  Returns the frames (*zlen bytes; caller frees). */
FILES_FN char *files_zstd_frames(const char *data, size_t len, const size_t *cuts, size_t ncuts,
                                 size_t *zlen)
{
    size_t cap = ZSTD_compressBound(len) + 64 * (ncuts + 1), off = 0, from = 0;
    char *z = malloc(cap);
    assert_non_null(z);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        size_t r = ZSTD_compress(z + off, cap - off, data + from, to - from, 3);
        assert_false(ZSTD_isError(r));
        off += r;
        from = to;
    }
    *zlen = off;
    return z;
}

#endif
