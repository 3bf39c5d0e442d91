/*
 * zwriter: the byte sink every result file goes through.  It owns a raw file descriptor (or
 * borrows stdout's for "-") and, for a path ending in ".zst", a libzstd streaming context.
 *
 * Units.  Each zwriter_write() call is one UNIT (csvout passes exactly one CSV row, or the
 * header): the file only ever receives whole units, so a reader never meets half a row.
 *   - plain: units are staged in the writer's own buffer and handed to the kernel with write(2)
 *     at unit boundaries only (when 64 KiB are staged, at every tick, at flush and close);
 *   - ".zst": units are compressed into an in-memory frame; the frame is ended (ZSTD_e_end) and
 *     written with write(2) as one piece at every zwriter_tick() more than flush_interval seconds
 *     after the previous frame, when it grows past a few MiB, and at flush and close.
 *     Concatenated frames are one valid zstd stream.
 * A short write is continued until the piece is out.  When the piece cannot be completed (ENOSPC,
 * EIO, EPIPE...), a regular file is cut back with ftruncate() to the end of the last complete
 * piece, so it stays readable, and the error is reported.  A kill between two write(2) calls
 * therefore leaves only complete rows / frames.  Caveat, measured on Linux: a kill -9 that lands
 * DURING a write(2) of several pages can stop it at a page boundary (the kernel checks fatal
 * signals between pages); the window is the few microseconds the call lasts.
 *
 * Work files (opts.partial = 1).  A regular-file output PATH is written as its work file and
 * renamed to PATH by zwriter_close() only when everything reached the file, so an existing PATH is
 * never truncated or half-replaced: a run that fails or is killed leaves PATH untouched and its
 * own rows in the work file.  The work file is PATH.partial, except that ".partial" goes before a
 * final ".zst" (out.csv.zst -> out.csv.partial.zst), so tools that choose the decompressor by
 * the suffix (pandas, DuckDB, zstd) read a killed scan's file as they read the finished one.  An
 * existing non-empty work file (an earlier run's unfinished results) is never overwritten:
 * opening fails with EEXIST; so does anything at that name that is not a regular file (a
 * symlink, even a dangling one, is never followed).  The work file is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so the run writes only a file it made itself.  "-" and paths that
 * exist and are not regular files (/dev/null, a FIFO) are written directly, never replaced.
 *
 * Errors are sticky: the first failure is kept with its errno text, every later call returns it
 * without writing, and zwriter_close() returns it, so the caller can stop the scan with one clear
 * message.  Nothing is ever silently dropped.
 *
 * Note for the caller: writing to a closed pipe raises SIGPIPE, which kills the process before
 * EPIPE can be reported; a program that wants the message must ignore SIGPIPE.
 */
#ifndef MTASTS_ZWRITER_H
#define MTASTS_ZWRITER_H

#include <stddef.h>
#include <sys/types.h>

enum zwriter_status {
    ZWRITER_OK = 0,
    ZWRITER_ERR_NOMEM = 1,  /* out of memory (writer, staging buffer or zstd context) */
    ZWRITER_ERR_OPEN = 2,   /* open failed, or a path check failed (errno kept) */
    ZWRITER_ERR_WRITE = 3,  /* write(2) failed: ENOSPC, EIO, EPIPE, ... (errno kept) */
    ZWRITER_ERR_FLUSH = 4,  /* fsync failed before publishing (errno kept) */
    ZWRITER_ERR_CLOSE = 5,  /* close failed: data may not have reached the disk (errno kept) */
    ZWRITER_ERR_ZSTD = 6,   /* libzstd reported an error (its name in the text) */
    ZWRITER_ERR_RENAME = 7, /* PATH.partial could not be renamed to PATH (errno kept) */
    ZWRITER_STATUS__COUNT
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
#define ZWRITER_PARTIAL_MARK ".partial"

/* 1 when path is named like a work file (NAME.partial, NAME.partial.zst): the rows of a run that
 * did not finish (interrupted, killed or failed), which readers of finished tables refuse. */
int zwriter_is_partial_path(const char *path);

/* Writes the work-file name of path into buf (size bytes): "out.csv" -> "out.csv.partial",
 * "out.csv.zst" -> "out.csv.partial.zst".  Returns buf, or NULL when it does not fit. */
char *zwriter_partial_path(const char *path, char *buf, size_t size);

struct zwriter_opts {
    int level;                 /* zstd level; 0 = ZWRITER_DEFAULT_LEVEL */
    double flush_interval_sec; /* < 0 = default; 0 = every tick ends a frame / publishes */
    int compress;              /* -1 = by the ".zst" suffix, 0 = never, 1 = always */
    int partial;               /* 1 = write the work file, rename at close (see above) */
    /* The write(2) used for every piece; NULL = write(2).  Tests inject short writes here. */
    ssize_t (*write_fn)(int fd, const void *buf, size_t len);
};

/* Checks, without creating or changing anything, that zwriter_open_opts(path) with this partial
 * setting would be able to start: "-" needs an open, writable stdout; a directory, a missing or
 * read-only parent directory, an existing non-regular file that is not writable, or (partial) a
 * non-empty work file fail with ZWRITER_ERR_OPEN and the reason in *err.  Returns
 * err->status. */
enum zwriter_status zwriter_check_path(const char *path, int partial, struct zwriter_error *err);

struct zwriter;

/* Opens path for writing ("-" = stdout, which is borrowed, never closed).  Without opts.partial
 * the file is created or truncated.  Returns NULL and fills *err on failure.  Caller frees with
 * zwriter_close() or zwriter_close_as(). */
struct zwriter *zwriter_open(const char *path, struct zwriter_error *err);

/* As zwriter_open() with explicit options (opts NULL = defaults). */
struct zwriter *zwriter_open_opts(const char *path, const struct zwriter_opts *opts,
                                  struct zwriter_error *err);

/* Appends one unit of len bytes (a whole row): it reaches the file whole or not at all.
 * Returns ZWRITER_OK or the (sticky) error. */
enum zwriter_status zwriter_write(struct zwriter *w, const void *buf, size_t len);

/* Time hook, called often (e.g. once a second) with a clock in seconds (any origin, monotonic
 * preferred).  Ends the current zstd frame (plain: publishes the staged rows) when more than the
 * flush interval has passed since the last one and something was written since; the first tick
 * always does. */
enum zwriter_status zwriter_tick(struct zwriter *w, double now);

/* Ends the current frame and publishes everything staged now, whatever the time (e.g. the header
 * right after open, or before a planned stop). */
enum zwriter_status zwriter_flush(struct zwriter *w);

/* The sticky error of w (status ZWRITER_OK while none).  Borrowed until zwriter_close(). */
const struct zwriter_error *zwriter_error(const struct zwriter *w);

/* Number of complete zstd frames written so far (0 for plain output); for tests and the status
 * line. */
unsigned long zwriter_frames(const struct zwriter *w);

/* The file actually being written: the work file in partial mode, else the path ("-" = stdout).
 * Borrowed until zwriter_close(). */
const char *zwriter_work_path(const struct zwriter *w);

/* Ends the last frame, publishes what is staged, syncs (partial mode) and closes the descriptor;
 * later writes fail.  Idempotent.  Returns the sticky status.  The writer still has to be closed
 * with zwriter_close_as(), which decides what becomes of PATH.partial: a caller with several
 * outputs finishes them all and publishes only when every one succeeded. */
enum zwriter_status zwriter_finish(struct zwriter *w);

enum zwriter_close_mode {
    ZWRITER_PUBLISH = 0,      /* rename PATH.partial to PATH, when the writer had no error */
    ZWRITER_KEEP_PARTIAL = 1, /* leave PATH.partial as it is (the run failed elsewhere) */
    ZWRITER_DISCARD = 2       /* remove PATH.partial (the run never started) */
};

/* Finishes w (when not done yet), then applies mode in partial mode (a writer with an error is
 * never published: its PATH.partial is kept), frees w (NULL is a no-op).  Returns the first error
 * of the writer's life, at close or at rename, and fills *err (may be NULL) with it. */
enum zwriter_status zwriter_close_as(struct zwriter *w, enum zwriter_close_mode mode,
                                     struct zwriter_error *err);

/* zwriter_close_as(w, ZWRITER_PUBLISH, err). */
enum zwriter_status zwriter_close(struct zwriter *w, struct zwriter_error *err);

#endif
