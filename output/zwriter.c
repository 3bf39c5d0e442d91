/*
 * zwriter: buffered plain or zstd-framed file output with sticky, errno-carrying errors.
 * See zwriter.h for the frame schedule and why complete frames make a killed scan's file readable.
 */
#include "output/zwriter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#define PLAIN_BUFFER_SIZE (64 * 1024)

struct zwriter {
    FILE *fp;
    int own_fp;               /* 0 for stdout: flushed at close, never fclose()d */
    char *path;               /* for messages; "-" shown as "stdout" */
    ZSTD_CCtx *cctx;          /* NULL for plain output */
    void *obuf;               /* compressed bytes on their way to fp */
    size_t osize;
    double interval;
    double last_end;          /* clock value of the last frame end / flush */
    int have_last;            /* 0 until the first tick */
    int dirty;                /* bytes written since the last frame end / flush */
    unsigned long frames;
    struct zwriter_error err; /* first error, sticky */
};

const char *zwriter_status_str(enum zwriter_status s)
{
    switch (s) {
    case ZWRITER_OK: return "ok";
    case ZWRITER_ERR_NOMEM: return "out_of_memory";
    case ZWRITER_ERR_OPEN: return "open_failed";
    case ZWRITER_ERR_WRITE: return "write_failed";
    case ZWRITER_ERR_FLUSH: return "flush_failed";
    case ZWRITER_ERR_CLOSE: return "close_failed";
    case ZWRITER_ERR_ZSTD: return "zstd_failed";
    }
    return "unknown";
}

const char *zwriter_strerror(const struct zwriter_error *e)
{
    if (e->status == ZWRITER_OK)
        return "ok";
    return e->text;
}

static const char *shown_path(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdout" : path;
}

/* Fills e with status, errno and "<what> <path>: <reason>"; reason is strerror(sys_errno) unless
 * given (libzstd's own error name). */
static void error_fill(struct zwriter_error *e, enum zwriter_status st, int sys_errno,
                       const char *what, const char *path, const char *reason)
{
    e->status = st;
    e->sys_errno = sys_errno;
    if (reason == NULL)
        reason = sys_errno ? strerror(sys_errno) : "unknown error";
    snprintf(e->text, sizeof(e->text), "%s %s: %s", what, shown_path(path), reason);
}

/* Records the first error only: later ones are consequences of it. */
static enum zwriter_status fail(struct zwriter *w, enum zwriter_status st, int sys_errno,
                                const char *what, const char *reason)
{
    if (w->err.status == ZWRITER_OK)
        error_fill(&w->err, st, sys_errno, what, w->path, reason);
    return w->err.status;
}

/* stdio may leave errno 0 on a short write in odd cases; EIO is the honest fallback. */
static int errno_or_eio(void)
{
    return errno ? errno : EIO;
}

static enum zwriter_status raw_write(struct zwriter *w, const void *buf, size_t len)
{
    if (len == 0)
        return ZWRITER_OK;
    errno = 0;
    if (fwrite(buf, 1, len, w->fp) != len)
        return fail(w, ZWRITER_ERR_WRITE, errno_or_eio(), "write", NULL);
    return ZWRITER_OK;
}

/* Feeds len bytes to the compressor in the given mode and writes what it produces.  With
 * ZSTD_e_end, loops until the frame epilogue is fully out. */
static enum zwriter_status zstd_push(struct zwriter *w, const void *buf, size_t len,
                                     ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { buf, len, 0 };
    int finished;
    do {
        ZSTD_outBuffer out = { w->obuf, w->osize, 0 };
        size_t remaining = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        if (ZSTD_isError(remaining))
            return fail(w, ZWRITER_ERR_ZSTD, 0, "compress", ZSTD_getErrorName(remaining));
        if (raw_write(w, w->obuf, out.pos) != ZWRITER_OK)
            return w->err.status;
        finished = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
    } while (!finished);
    return ZWRITER_OK;
}

static enum zwriter_status flush_file(struct zwriter *w)
{
    errno = 0;
    if (fflush(w->fp) != 0)
        return fail(w, ZWRITER_ERR_FLUSH, errno_or_eio(), "flush", NULL);
    return ZWRITER_OK;
}

/* Ends the current frame (if anything was written into it) and pushes the bytes to the kernel. */
static enum zwriter_status end_frame(struct zwriter *w)
{
    if (w->err.status != ZWRITER_OK)
        return w->err.status;
    if (!w->dirty)
        return ZWRITER_OK;
    if (w->cctx != NULL) {
        if (zstd_push(w, NULL, 0, ZSTD_e_end) != ZWRITER_OK)
            return w->err.status;
        w->frames++;
    }
    w->dirty = 0;
    return flush_file(w);
}

static int wants_compression(const char *path, int compress)
{
    if (compress >= 0)
        return compress;
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".zst") == 0;
}

static enum zwriter_status setup_zstd(struct zwriter *w, int level)
{
    w->cctx = ZSTD_createCCtx();
    w->osize = ZSTD_CStreamOutSize();
    w->obuf = malloc(w->osize);
    if (w->cctx == NULL || w->obuf == NULL)
        return fail(w, ZWRITER_ERR_NOMEM, ENOMEM, "open", NULL);
    size_t r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(r))
        return fail(w, ZWRITER_ERR_ZSTD, 0, "open", ZSTD_getErrorName(r));
    return ZWRITER_OK;
}

static void writer_free(struct zwriter *w)
{
    ZSTD_freeCCtx(w->cctx);
    free(w->obuf);
    free(w->path);
    free(w);
}

static enum zwriter_status open_file(struct zwriter *w)
{
    if (strcmp(w->path, "-") == 0) {
        w->fp = stdout;
        return ZWRITER_OK;
    }
    errno = 0;
    w->fp = fopen(w->path, "wb");
    if (w->fp == NULL)
        return fail(w, ZWRITER_ERR_OPEN, errno_or_eio(), "open", NULL);
    w->own_fp = 1;
    /* stdio picks the buffer; failure to enlarge it is harmless, so the result is not checked. */
    (void)setvbuf(w->fp, NULL, _IOFBF, PLAIN_BUFFER_SIZE);
    return ZWRITER_OK;
}

struct zwriter *zwriter_open_opts(const char *path, const struct zwriter_opts *opts,
                                  struct zwriter_error *err)
{
    struct zwriter_opts o = { 0, -1.0, -1 };
    if (opts != NULL)
        o = *opts;
    struct zwriter *w = calloc(1, sizeof(*w));
    if (w == NULL || (w->path = strdup(path)) == NULL) {
        free(w);
        error_fill(err, ZWRITER_ERR_NOMEM, ENOMEM, "open", path, NULL);
        return NULL;
    }
    w->interval = o.flush_interval_sec < 0 ? ZWRITER_DEFAULT_FLUSH_SEC : o.flush_interval_sec;
    if (wants_compression(path, o.compress))
        setup_zstd(w, o.level ? o.level : ZWRITER_DEFAULT_LEVEL);
    if (w->err.status == ZWRITER_OK)
        open_file(w);
    if (w->err.status != ZWRITER_OK) {
        *err = w->err;
        writer_free(w);
        return NULL;
    }
    err->status = ZWRITER_OK;
    err->sys_errno = 0;
    err->text[0] = '\0';
    return w;
}

struct zwriter *zwriter_open(const char *path, struct zwriter_error *err)
{
    return zwriter_open_opts(path, NULL, err);
}

enum zwriter_status zwriter_write(struct zwriter *w, const void *buf, size_t len)
{
    if (w->err.status != ZWRITER_OK)
        return w->err.status;
    if (len == 0)
        return ZWRITER_OK;
    w->dirty = 1;
    if (w->cctx != NULL)
        return zstd_push(w, buf, len, ZSTD_e_continue);
    return raw_write(w, buf, len);
}

enum zwriter_status zwriter_tick(struct zwriter *w, double now)
{
    if (w->err.status != ZWRITER_OK)
        return w->err.status;
    if (w->have_last && now - w->last_end < w->interval)
        return ZWRITER_OK;
    w->have_last = 1;
    w->last_end = now;
    return end_frame(w);
}

enum zwriter_status zwriter_flush(struct zwriter *w)
{
    return end_frame(w);
}

const struct zwriter_error *zwriter_error(const struct zwriter *w)
{
    return &w->err;
}

unsigned long zwriter_frames(const struct zwriter *w)
{
    return w->frames;
}

enum zwriter_status zwriter_close(struct zwriter *w, struct zwriter_error *err)
{
    if (w == NULL) {
        if (err != NULL)
            memset(err, 0, sizeof(*err));
        return ZWRITER_OK;
    }
    end_frame(w);
    if (w->own_fp) {
        errno = 0;
        /* fclose reports a failed final write-back (ENOSPC, EIO on NFS...) and must be checked. */
        if (fclose(w->fp) != 0)
            fail(w, ZWRITER_ERR_CLOSE, errno_or_eio(), "close", NULL);
    } else if (w->err.status == ZWRITER_OK) {
        flush_file(w);
    }
    enum zwriter_status st = w->err.status;
    if (err != NULL)
        *err = w->err;
    writer_free(w);
    return st;
}
