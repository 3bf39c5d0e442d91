/*
 * zwriter: the byte sink every result file goes through.  It owns the FILE (or borrows stdout for
 * "-") and, for a path ending in ".zst", a libzstd streaming context.  Compressed output is cut
 * into COMPLETE zstd frames (ZSTD_e_end) at every zwriter_tick() that comes more than
 * flush_interval seconds after the previous frame end, and at close: concatenated frames are one
 * valid zstd stream, so a scan that is killed leaves a file that `zstd -d` reads fully up to the
 * last tick.  Plain files are stdio-buffered and fflush()ed on the same schedule.
 *
 * Errors are sticky: the first failure (ENOSPC, EIO, EPIPE, a libzstd error, ...) is kept with its
 * errno text, every later call returns it without writing, and zwriter_close() returns it, so the
 * caller can stop the scan with one clear message.  Nothing is ever silently dropped.
 *
 * Note for the caller: writing to a closed pipe raises SIGPIPE, which kills the process before
 * EPIPE can be reported; a program that wants the message must ignore SIGPIPE.
 */
#ifndef MTASTS_ZWRITER_H
#define MTASTS_ZWRITER_H

#include <stddef.h>

enum zwriter_status {
    ZWRITER_OK = 0,
    ZWRITER_ERR_NOMEM = 1,  /* out of memory (writer or zstd context) */
    ZWRITER_ERR_OPEN = 2,   /* fopen failed (errno kept) */
    ZWRITER_ERR_WRITE = 3,  /* fwrite failed: ENOSPC, EIO, EPIPE, ... (errno kept) */
    ZWRITER_ERR_FLUSH = 4,  /* fflush failed (errno kept) */
    ZWRITER_ERR_CLOSE = 5,  /* fclose failed: data may not have reached the disk (errno kept) */
    ZWRITER_ERR_ZSTD = 6    /* libzstd reported an error (its name in the text) */
};

/* A short stable name of the status, e.g. "write_failed". */
const char *zwriter_status_str(enum zwriter_status s);

/* An error as reported to the caller: the status, the errno behind it (0 when none) and a full
 * message such as "write out.csv.zst: No space left on device". */
struct zwriter_error {
    enum zwriter_status status;
    int sys_errno;
    char text[512];
};

/* The message of e ("ok" when e->status is ZWRITER_OK).  Borrowed from e. */
const char *zwriter_strerror(const struct zwriter_error *e);

#define ZWRITER_DEFAULT_LEVEL 3
#define ZWRITER_DEFAULT_FLUSH_SEC 2.0

struct zwriter_opts {
    int level;                 /* zstd level; 0 = ZWRITER_DEFAULT_LEVEL */
    double flush_interval_sec; /* < 0 = default; 0 = every tick ends a frame / flushes */
    int compress;              /* -1 = by the ".zst" suffix, 0 = never, 1 = always */
};

struct zwriter;

/* Opens path for writing ("-" = stdout, which is borrowed, never closed).  The file is created or
 * truncated.  Returns NULL and fills *err on failure.  Caller frees with zwriter_close(). */
struct zwriter *zwriter_open(const char *path, struct zwriter_error *err);

/* As zwriter_open() with explicit options (opts NULL = defaults). */
struct zwriter *zwriter_open_opts(const char *path, const struct zwriter_opts *opts,
                                  struct zwriter_error *err);

/* Appends len bytes.  Returns ZWRITER_OK or the (sticky) error. */
enum zwriter_status zwriter_write(struct zwriter *w, const void *buf, size_t len);

/* Time hook, called often (e.g. once a second) with a clock in seconds (any origin, monotonic
 * preferred).  Ends the current zstd frame (plain: fflush) when more than the flush interval has
 * passed since the last frame end and something was written since; the first tick always does. */
enum zwriter_status zwriter_tick(struct zwriter *w, double now);

/* Ends the current frame and flushes now, whatever the time (e.g. before a planned stop). */
enum zwriter_status zwriter_flush(struct zwriter *w);

/* The sticky error of w (status ZWRITER_OK while none).  Borrowed until zwriter_close(). */
const struct zwriter_error *zwriter_error(const struct zwriter *w);

/* Number of complete zstd frames written so far (0 for plain output); for tests and the status
 * line. */
unsigned long zwriter_frames(const struct zwriter *w);

/* Ends the last frame, flushes and closes the file, frees w (NULL is a no-op).  Returns the first
 * error met during the writer's life or at close, and fills *err (may be NULL) with it. */
enum zwriter_status zwriter_close(struct zwriter *w, struct zwriter_error *err);

#endif
