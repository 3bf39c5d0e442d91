/*
 * zwriter: plain or zstd-framed file output that publishes whole units only, with sticky,
 * errno-carrying errors and PATH.partial work files.  See zwriter.h for the rules and why a killed
 * scan's file holds complete rows and frames only.
 */
#include "output/zwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "lib/enumname.h"
#include "lib/growbuf.h"

#define PLAIN_PUBLISH_AT (64 * 1024)      /* plain: staged bytes that trigger a write(2) */
#define FRAME_INPUT_MAX (4 * 1024 * 1024) /* zstd: input bytes after which a frame is ended early */

struct zwriter {
    int fd;
    int own_fd;               /* 0 for stdout: never closed */
    int regular;              /* a regular file: a failed piece is cut off with ftruncate */
    int finished;             /* zwriter_finish() ran: the descriptor is closed */
    char *path;               /* as given; "-" shown as "stdout" */
    char *work_path;          /* PATH.partial in partial mode, else NULL */
    ssize_t (*write_fn)(int fd, const void *buf, size_t len);
    ZSTD_CCtx *cctx;          /* NULL for plain output */
    char *buf;                /* staged rows (plain) or the frame being built (zstd) */
    size_t len, cap;
    size_t frame_input;       /* zstd: bytes fed into the current frame */
    off_t published;          /* file offset after the last complete piece */
    double interval;
    double last_end;          /* clock value of the last frame end / publication */
    int have_last;            /* 0 until the first tick */
    int dirty;                /* units written since the last frame end / publication */
    unsigned long frames;
    struct zwriter_error err; /* first error, sticky */
};

static const struct enum_name zwriter_status_names[] = {
    {ZWRITER_OK, "ok"},
    {ZWRITER_ERR_NOMEM, "out_of_memory"},
    {ZWRITER_ERR_OPEN, "open_failed"},
    {ZWRITER_ERR_WRITE, "write_failed"},
    {ZWRITER_ERR_FLUSH, "flush_failed"},
    {ZWRITER_ERR_CLOSE, "close_failed"},
    {ZWRITER_ERR_ZSTD, "zstd_failed"},
    {ZWRITER_ERR_RENAME, "rename_failed"},
};
ENUM_NAMES_DEFINE(zwriter_status, enum zwriter_status, ZWRITER_STATUS__COUNT, "unknown")

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
 * given (libzstd's own error name, or an explanation). */
static void error_fill(struct zwriter_error *e, enum zwriter_status st, int sys_errno,
                       const char *what, const char *path, const char *reason)
{
    e->status = st;
    e->sys_errno = sys_errno;
    if (reason == NULL)
        reason = sys_errno ? strerror(sys_errno) : "unknown error";
    snprintf(e->text, sizeof(e->text), "%s %s: %s", what, shown_path(path), reason);
}

static void error_clear(struct zwriter_error *e)
{
    e->status = ZWRITER_OK;
    e->sys_errno = 0;
    e->text[0] = '\0';
}

/* Records the first error only: later ones are consequences of it. */
static enum zwriter_status fail_on(struct zwriter *w, enum zwriter_status st, int sys_errno,
                                   const char *what, const char *path, const char *reason)
{
    if (w->err.status == ZWRITER_OK)
        error_fill(&w->err, st, sys_errno, what, path, reason);
    return w->err.status;
}

static enum zwriter_status fail(struct zwriter *w, enum zwriter_status st, int sys_errno,
                                const char *what, const char *reason)
{
    return fail_on(w, st, sys_errno, what, w->work_path ? w->work_path : w->path, reason);
}

/* ---- publishing ------------------------------------------------------------------------- */

/* Waits until a non-blocking descriptor (a borrowed stdout may be one) can take more bytes. */
static void wait_writable(int fd)
{
    struct pollfd p = { fd, POLLOUT, 0 };
    (void)poll(&p, 1, -1); /* an error here shows up in the next write */
}

/* Writes buf[0..len) completely, continuing after short writes.  0, or -1 with errno set. */
static int write_all(struct zwriter *w, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = w->write_fn(w->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_writable(w->fd);
            continue;
        }
        if (n < 0)
            return -1;
        if (n == 0) { /* no progress and no reason: do not spin */
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
        w->published += n;
    }
    return 0;
}

/* Hands the staged piece (whole rows, or whole frames) to the kernel.  On failure a regular file
 * is cut back to the end of the previous piece, so what is on disk stays complete. */
static enum zwriter_status publish(struct zwriter *w)
{
    if (w->err.status != ZWRITER_OK)
        return w->err.status;
    if (w->len == 0)
        return ZWRITER_OK;
    off_t start = w->published;
    if (write_all(w, w->buf, w->len) != 0) {
        int e = errno;
        if (w->regular && ftruncate(w->fd, start) == 0)
            w->published = start;
        return fail(w, ZWRITER_ERR_WRITE, e, "write", NULL);
    }
    w->len = 0;
    return ZWRITER_OK;
}

/* Makes room for at least need more staged bytes. */
static int reserve(struct zwriter *w, size_t need)
{
    return growbuf_reserve(&w->buf, &w->cap, w->len + need, 1, PLAIN_PUBLISH_AT);
}

/* Feeds len bytes to the compressor in the given mode, appending what it produces to the frame
 * in memory.  With ZSTD_e_end, loops until the frame epilogue is out. */
static enum zwriter_status zstd_push(struct zwriter *w, const void *buf, size_t len,
                                     ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { buf, len, 0 };
    int finished;
    do {
        if (reserve(w, ZSTD_CStreamOutSize()) != 0)
            return fail(w, ZWRITER_ERR_NOMEM, ENOMEM, "write", NULL);
        ZSTD_outBuffer out = { w->buf + w->len, w->cap - w->len, 0 };
        size_t remaining = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        if (ZSTD_isError(remaining))
            return fail(w, ZWRITER_ERR_ZSTD, 0, "compress", ZSTD_getErrorName(remaining));
        w->len += out.pos;
        finished = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
    } while (!finished);
    return ZWRITER_OK;
}

/* Ends the current frame (if anything was written into it) and publishes what is staged. */
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
        w->frame_input = 0;
    }
    w->dirty = 0;
    return publish(w);
}

/* ---- opening ---------------------------------------------------------------------------- */

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
    if (w->cctx == NULL)
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
    free(w->buf);
    free(w->path);
    free(w->work_path);
    free(w);
}

/* 1 when path exists and is not a regular file (a device, a FIFO): written in place. */
static int is_special(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

char *zwriter_partial_path(const char *path, char *buf, size_t size)
{
    size_t len = strlen(path);
    size_t stem = len > 4 && strcmp(path + len - 4, ".zst") == 0 ? len - 4 : len;
    int n = snprintf(buf, size, "%.*s%s%s", (int)stem, path, ZWRITER_PARTIAL_MARK, path + stem);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

int zwriter_is_partial_path(const char *path)
{
    size_t len = strlen(path), mark = sizeof(ZWRITER_PARTIAL_MARK) - 1;
    if (len > 4 && strcmp(path + len - 4, ".zst") == 0)
        len -= 4;
    return len > mark && strncmp(path + len - mark, ZWRITER_PARTIAL_MARK, mark) == 0;
}

static char *partial_name(const char *path)
{
    size_t n = strlen(path) + sizeof(ZWRITER_PARTIAL_MARK);
    char *p = malloc(n);
    if (p != NULL)
        zwriter_partial_path(path, p, n);
    return p;
}

static const char PARTIAL_EXISTS[] =
    "exists and holds the results of a run that did not finish (resume from it with "
    "--resume, or move it away)";

static const char WORK_NOT_FILE[] =
    "exists and is not a regular file (a symlink is never followed there): move it away";

/* What is at a work file's name, not following a symlink: 0 nothing (or an empty regular file,
 * left by a run that stopped before its header: replaced), 1 a non-empty regular file (an
 * earlier run's rows, never overwritten), 2 anything else (a symlink, a directory...). */
static int work_state(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISREG(st.st_mode))
        return 2;
    return st.st_size > 0;
}

enum zwriter_status zwriter_check_path(const char *path, int partial, struct zwriter_error *err)
{
    struct stat st;
    error_clear(err);
    if (strcmp(path, "-") == 0) {
        /* A closed stdout's descriptor would be reused by the next open(): refuse it now. */
        int fl = fcntl(STDOUT_FILENO, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
            error_fill(err, ZWRITER_ERR_OPEN, fl < 0 ? errno : EBADF, "open", path, NULL);
        return err->status;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            error_fill(err, ZWRITER_ERR_OPEN, EISDIR, "open", path, NULL);
            return err->status;
        }
        if (!S_ISREG(st.st_mode)) {
            if (access(path, W_OK) != 0)
                error_fill(err, ZWRITER_ERR_OPEN, errno, "open", path, NULL);
            return err->status;
        }
        if (!partial && access(path, W_OK) != 0) {
            error_fill(err, ZWRITER_ERR_OPEN, errno, "open", path, NULL);
            return err->status;
        }
    }
    char *copy = strdup(path);
    if (copy == NULL) {
        error_fill(err, ZWRITER_ERR_NOMEM, ENOMEM, "open", path, NULL);
        return err->status;
    }
    const char *dir = dirname(copy);
    if (stat(dir, &st) != 0)
        error_fill(err, ZWRITER_ERR_OPEN, errno, "open", path, NULL);
    else if (!S_ISDIR(st.st_mode))
        error_fill(err, ZWRITER_ERR_OPEN, ENOTDIR, "open", path, NULL);
    else if (access(dir, W_OK | X_OK) != 0)
        error_fill(err, ZWRITER_ERR_OPEN, errno, "open", path, NULL);
    free(copy);
    if (err->status != ZWRITER_OK || !partial)
        return err->status;
    char *work = partial_name(path);
    if (work == NULL)
        error_fill(err, ZWRITER_ERR_NOMEM, ENOMEM, "open", path, NULL);
    else if (work_state(work) != 0)
        error_fill(err, ZWRITER_ERR_OPEN, EEXIST, "open", work,
                   work_state(work) == 1 ? PARTIAL_EXISTS : WORK_NOT_FILE);
    free(work);
    return err->status;
}

static enum zwriter_status open_file(struct zwriter *w, int partial)
{
    struct stat st;
    if (strcmp(w->path, "-") == 0) {
        w->fd = STDOUT_FILENO;
    } else {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
        struct stat lst;
        char *target;
        /* A symlink is replaced through its target: the rename goes where the link points. */
        if (partial && lstat(w->path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
            (target = realpath(w->path, NULL)) != NULL) {
            free(w->path);
            w->path = target;
        }
        if (partial && !is_special(w->path)) {
            if ((w->work_path = partial_name(w->path)) == NULL)
                return fail(w, ZWRITER_ERR_NOMEM, ENOMEM, "open", NULL);
            int state = work_state(w->work_path);
            if (state != 0)
                return fail(w, ZWRITER_ERR_OPEN, EEXIST, "open",
                            state == 1 ? PARTIAL_EXISTS : WORK_NOT_FILE);
            (void)unlink(w->work_path); /* an empty one; O_EXCL below creates it anew */
            /* A new file, never one planted meanwhile: a symlink at the work name (even a
             * dangling one) or a file that appeared after the check fails with EEXIST. */
            flags |= O_EXCL | O_NOFOLLOW;
        } else
            flags |= O_TRUNC; /* "-", a device or FIFO written in place, or partial = 0 */
        w->fd = open(w->work_path ? w->work_path : w->path, flags, 0666);
        if (w->fd < 0 && errno == EEXIST)
            return fail(w, ZWRITER_ERR_OPEN, EEXIST, "open", WORK_NOT_FILE);
        if (w->fd < 0)
            return fail(w, ZWRITER_ERR_OPEN, errno, "open", NULL);
        w->own_fd = 1;
    }
    if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        w->regular = 1;
        off_t at = lseek(w->fd, 0, SEEK_CUR);
        w->published = at > 0 ? at : 0;
    }
    return ZWRITER_OK;
}

struct zwriter *zwriter_open_opts(const char *path, const struct zwriter_opts *opts,
                                  struct zwriter_error *err)
{
    struct zwriter_opts o = { 0, -1.0, -1, 0, NULL };
    if (opts != NULL)
        o = *opts;
    struct zwriter *w = calloc(1, sizeof(*w));
    if (w == NULL || (w->path = strdup(path)) == NULL) {
        free(w);
        error_fill(err, ZWRITER_ERR_NOMEM, ENOMEM, "open", path, NULL);
        return NULL;
    }
    w->fd = -1;
    w->write_fn = o.write_fn ? o.write_fn : write;
    w->interval = o.flush_interval_sec < 0 ? ZWRITER_DEFAULT_FLUSH_SEC : o.flush_interval_sec;
    if (wants_compression(path, o.compress))
        setup_zstd(w, o.level ? o.level : ZWRITER_DEFAULT_LEVEL);
    if (w->err.status == ZWRITER_OK && reserve(w, PLAIN_PUBLISH_AT) != 0)
        fail(w, ZWRITER_ERR_NOMEM, ENOMEM, "open", NULL);
    if (w->err.status == ZWRITER_OK)
        open_file(w, o.partial);
    if (w->err.status != ZWRITER_OK) {
        *err = w->err;
        if (w->own_fd)
            close(w->fd);
        writer_free(w);
        return NULL;
    }
    error_clear(err);
    return w;
}

struct zwriter *zwriter_open(const char *path, struct zwriter_error *err)
{
    return zwriter_open_opts(path, NULL, err);
}

/* ---- writing ---------------------------------------------------------------------------- */

enum zwriter_status zwriter_write(struct zwriter *w, const void *buf, size_t len)
{
    if (w->err.status != ZWRITER_OK)
        return w->err.status;
    if (w->finished)
        return fail(w, ZWRITER_ERR_WRITE, EBADF, "write", "written after finish");
    if (len == 0)
        return ZWRITER_OK;
    w->dirty = 1;
    if (w->cctx != NULL) {
        if (zstd_push(w, buf, len, ZSTD_e_continue) != ZWRITER_OK)
            return w->err.status;
        w->frame_input += len;
        /* Bounds the memory of one frame at a very high output rate. */
        return w->frame_input >= FRAME_INPUT_MAX ? end_frame(w) : ZWRITER_OK;
    }
    if (reserve(w, len) != 0)
        return fail(w, ZWRITER_ERR_NOMEM, ENOMEM, "write", NULL);
    memcpy(w->buf + w->len, buf, len);
    w->len += len;
    return w->len >= PLAIN_PUBLISH_AT ? publish(w) : ZWRITER_OK;
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

const char *zwriter_work_path(const struct zwriter *w)
{
    return w->work_path ? w->work_path : w->path;
}

/* ---- closing ---------------------------------------------------------------------------- */

enum zwriter_status zwriter_finish(struct zwriter *w)
{
    if (w->finished)
        return w->err.status;
    w->finished = 1;
    end_frame(w);
    if (!w->own_fd)
        return w->err.status;
    /* A work file about to replace PATH must be on disk first, or a crash right after the rename
     * could leave PATH empty. */
    if (w->work_path && w->err.status == ZWRITER_OK && fsync(w->fd) != 0 && errno != EINVAL)
        fail(w, ZWRITER_ERR_FLUSH, errno, "sync", NULL);
    /* close reports a failed final write-back (EIO on NFS...) and must be checked. */
    if (close(w->fd) != 0)
        fail(w, ZWRITER_ERR_CLOSE, errno, "close", NULL);
    w->fd = -1;
    return w->err.status;
}

enum zwriter_status zwriter_close_as(struct zwriter *w, enum zwriter_close_mode mode,
                                     struct zwriter_error *err)
{
    if (w == NULL) {
        if (err != NULL)
            memset(err, 0, sizeof(*err));
        return ZWRITER_OK;
    }
    zwriter_finish(w);
    if (w->work_path && mode == ZWRITER_DISCARD)
        (void)unlink(w->work_path); /* the run never started: nothing of value in it */
    else if (w->work_path && mode == ZWRITER_PUBLISH && w->err.status == ZWRITER_OK &&
             rename(w->work_path, w->path) != 0)
        fail_on(w, ZWRITER_ERR_RENAME, errno, "rename", w->work_path, NULL);
    enum zwriter_status st = w->err.status;
    if (err != NULL)
        *err = w->err;
    writer_free(w);
    return st;
}

enum zwriter_status zwriter_close(struct zwriter *w, struct zwriter_error *err)
{
    return zwriter_close_as(w, ZWRITER_PUBLISH, err);
}
