/*
 * csvout: the two result CSVs and their schema.  Each CSV is described ONCE, ZMap-style, by a
 * table of {name, description, formatter}; that table writes the header row, every data row and
 * the text of csvout_print_schema() (for --help and docs), so they cannot disagree.
 *
 * Domain CSV: one row per input line (including input_invalid lines).  MX CSV: one row per probed
 * (MX host, address).  Column names and order are a contract with users' notebooks: add columns at
 * the end only.  A cell that has no value is empty; statuses are the stable *_str() strings; lists
 * stay ';'-joined as the result record has them; times are UTC ISO 8601 ("2026-11-22T06:10:33Z").
 * Rows end with "\n".  A field is quoted (by libcsv's csv_write2, which doubles quotes) when it
 * holds a comma, a quote, CR, LF, or leading/trailing space or tab (which CSV readers such as
 * libcsv trim); other fields are written bare.  Output goes through zwriter, so a ".zst" path is
 * compressed in complete frames and every write error is reported.
 */
#ifndef MTASTS_CSVOUT_H
#define MTASTS_CSVOUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "output/zwriter.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"

enum csvout_table {
    CSVOUT_DOMAIN = 0, /* one row per domain (struct domain_result) */
    CSVOUT_MX = 1      /* one row per probed MX address (struct csvout_mx_row) */
};

/* One probed (host, address) as the MX CSV sees it; everything borrowed from the caller. */
struct csvout_mx_row {
    const char *mx_host;
    const char *address;                  /* text form, e.g. "192.0.2.1" or "2001:db8::1" */
    const struct smtp_probe_result *probe;
    long domains_sharing;                 /* < 0 = unknown (empty cell) */
    time_t probed_at;                     /* 0 = unknown (empty cell) */
};

/* A column: its name, a one-line description, and the formatter that turns a row record (a
 * struct domain_result or struct csvout_mx_row) into the cell text.  The formatter returns a
 * pointer into the record or into scratch (size bytes); "" means no value. */
struct csvout_column {
    const char *name;
    const char *description;
    const char *(*format)(const void *rec, char *scratch, size_t size);
};

/* The schema of table t; *n gets the number of columns.  Static storage. */
const struct csvout_column *csvout_schema(enum csvout_table t, size_t *n);

/* Prints both schemas (name and description of every column, in order) to f. */
void csvout_print_schema(FILE *f);

/* Writes "2026-11-22T06:10:33Z" for t into buf (size >= 21); "" when t is 0.  Returns buf. */
char *csvout_format_time(time_t t, char *buf, size_t size);

struct csvout;

/* Opens path ("-" = stdout; ".zst" = compressed) for table t and writes the header row.  Returns
 * NULL and fills *err on failure.  Caller frees with csvout_close(). */
struct csvout *csvout_open(const char *path, enum csvout_table t, struct zwriter_error *err);

/* As csvout_open() with zwriter options (NULL = defaults). */
struct csvout *csvout_open_opts(const char *path, enum csvout_table t,
                                const struct zwriter_opts *opts, struct zwriter_error *err);

/* Appends one domain row; c must be a CSVOUT_DOMAIN writer.  r borrowed.  Returns the writer's
 * (sticky) status. */
enum zwriter_status csvout_write_domain(struct csvout *c, const struct domain_result *r);

/* Appends one MX row; c must be a CSVOUT_MX writer.  Everything borrowed.  domains_sharing < 0
 * and probed_at 0 give empty cells. */
enum zwriter_status csvout_write_mx(struct csvout *c, const char *host, const char *address_text,
                                    const struct smtp_probe_result *p, long domains_sharing,
                                    time_t probed_at);

/* Passes the clock to the zwriter (ends a zstd frame / flushes every couple of seconds). */
enum zwriter_status csvout_tick(struct csvout *c, double now);

/* The underlying writer's sticky error.  Borrowed until csvout_close(). */
const struct zwriter_error *csvout_error(const struct csvout *c);

/* Ends the last frame, publishes the staged rows and closes the descriptor (zwriter_finish());
 * also fails when a row was lost to out-of-memory. */
enum zwriter_status csvout_finish(struct csvout *c);

/* The file being written (PATH.partial in partial mode).  Borrowed until csvout_close(). */
const char *csvout_work_path(const struct csvout *c);

/* Finishes c, applies mode to a partial-mode work file (zwriter_close_as()), frees c (NULL is a
 * no-op).  Returns the first error of the writer's life and fills *err (may be NULL). */
enum zwriter_status csvout_close_as(struct csvout *c, enum zwriter_close_mode mode,
                                    struct zwriter_error *err);

/* csvout_close_as(c, ZWRITER_PUBLISH, err): finishes and closes the file, frees c (NULL is a no-op).  Returns the first error of the
 * writer's life and fills *err (may be NULL). */
enum zwriter_status csvout_close(struct csvout *c, struct zwriter_error *err);

#endif
