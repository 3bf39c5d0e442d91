/*
 * csvin: reads a domain or MX table that csvout wrote back into typed records, row by row, through
 * the same schema (schema_columns): --resume, merge and anything else that reads results use it,
 * never column positions.
 *
 * The source is a file ("-" = stdin) or a memory buffer, plain CSV or zstd (recognised by its
 * magic number; concatenated frames are one stream, decoded with libzstd's streaming API).  The
 * CSV is parsed by libcsv (strict quoting), one physical line at a time, so a row may have any
 * length and memory holds one row, not the file.
 *   - The header is matched by NAME: columns are found wherever they are, unknown extra columns
 *     are ignored, a missing required column is an error that names every missing one.
 *   - A row that the file does not finish (no final "\n", an open quoted cell, a cut zstd frame)
 *     is never returned: the reader reports CSVIN_ERR_TRUNCATED after every complete row.
 *   - A malformed row (wrong number of cells, broken quoting, a cell that does not parse as its
 *     column's type) is CSVIN_ERR_ROW, with the line number where the row begins.
 * Rows end with "\n" only ("\r\n" is accepted: a CR before the LF is trimmed); blank lines are
 * skipped.  A UTF-8 byte order mark at the start of the text (a spreadsheet's "CSV UTF-8") is
 * skipped.  A file written with the formula guard (its header has SCHEMA_GUARD_COLUMN, schema.h)
 * reads as the data it holds: the guard's ' is taken off its text cells.
 *
 * Memory is bounded whatever the input (/dev/zero, a line without end, a zstd bomb): the header
 * may hold CSVIN_HEADER_MAX bytes, a cell CSVIN_CELL_MAX, a row CSVIN_ROW_MAX (the scanner's
 * own cells are at most a few kB); past a limit the reader stops with CSVIN_ERR_TOO_LONG before
 * it buffers more.  Reading stays interruptible: see csvin_set_interrupt.
 */
#ifndef MTASTS_CSVIN_H
#define MTASTS_CSVIN_H

#include <signal.h>
#include <stddef.h>

#include "output/schema.h"

enum csvin_status {
    CSVIN_OK = 0,
    CSVIN_ERR_NOMEM = 1,
    CSVIN_ERR_OPEN = 2,      /* fopen failed */
    CSVIN_ERR_READ = 3,      /* read error */
    CSVIN_ERR_ZSTD = 4,      /* corrupt zstd data */
    CSVIN_ERR_TRUNCATED = 5, /* ends inside a row or a zstd frame (after every complete row) */
    CSVIN_ERR_EMPTY = 6,     /* no bytes at all: not even a header */
    CSVIN_ERR_HEADER = 7,    /* a required column is missing or a column is named twice */
    CSVIN_ERR_ROW = 8,       /* a malformed row (line number in the error) */
    CSVIN_ERR_TOO_LONG = 9,  /* the header, a cell or a row is over its limit: not a table of ours */
    CSVIN_ERR_INTERRUPTED = 10, /* the interrupt flag was raised (csvin_set_interrupt) */
    CSVIN_STATUS__COUNT
};

#define CSVIN_HEADER_MAX (64 * 1024)
#define CSVIN_CELL_MAX (64 * 1024)
#define CSVIN_ROW_MAX (1024 * 1024)
const char *csvin_status_str(enum csvin_status s);

struct csvin_error {
    enum csvin_status status;
    long line;       /* physical line (1-based) of the row at fault; 0 when not about a row */
    char text[512];  /* e.g. "rows.csv line 7: column rank: not a number in range: \"x\"" */
};

struct csvin;

/* Opens path ("-" = stdin, not closed) for reading a table t.  Returns NULL and fills *err when
 * the file cannot be opened or memory is short.  Caller frees with csvin_close(). */
struct csvin *csvin_open(const char *path, enum schema_table t, struct csvin_error *err);

/* As csvin_open over len bytes at data (borrowed until csvin_close).  NULL only on OOM. */
struct csvin *csvin_open_mem(const void *data, size_t len, enum schema_table t);

/* Reads the next row into rec (a struct domain_result for SCHEMA_DOMAIN, a struct schema_mx_row
 * for SCHEMA_MX; reset first, so columns the file lacks keep their initial values).  Returns 1 =
 * a row, 0 = end of a complete table, -1 = error (csvin_error(); rec's content is then
 * undefined).  After -1, further calls return -1. */
int csvin_next(struct csvin *in, void *rec);

/* The error (status CSVIN_OK while none).  Borrowed until csvin_close(). */
const struct csvin_error *csvin_error(const struct csvin *in);

/* Physical line (1-based) where the row last returned begins. */
long csvin_line(const struct csvin *in);

/* Process-wide: while *flag is non-zero, every reader stops at its next block of input (64 KiB)
 * or interrupted read with CSVIN_ERR_INTERRUPTED, so a signal handler that raises the flag
 * cuts the loading of a large or endless table short.  NULL (the default) turns the check off.
 * flag is borrowed until it is replaced. */
void csvin_set_interrupt(const volatile sig_atomic_t *flag);

/* Closes the file (not stdin) and frees in.  NULL is a no-op. */
void csvin_close(struct csvin *in);

#endif
