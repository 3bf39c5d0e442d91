/*
 * csvout: the four CSV tables the tool writes and their schema.  Each table is described ONCE,
 * ZMap-style, by a table of {name, description, formatter, parser}; that table writes the header
 * row, every data row, the text of csvout_print_schema() (for --help and docs), and reads cells
 * back (csvin), so they cannot disagree.
 *
 * Domain CSV: one row per input line (including input_invalid lines).  MX CSV: one row per probed
 * (MX host, address).  Domain-MX CSV: one row per (domain, MX host).  Changes CSV: one row per
 * (domain, change) of `diff` / --changes-output.  Column names and order are a contract with users' notebooks: add columns at
 * the end only.  A cell that has no value is empty; statuses are the stable *_str() strings; lists
 * stay ';'-joined as the result record has them; times are UTC ISO 8601 ("2026-11-22T06:10:33Z").
 * Rows end with "\n".  A field is quoted (by libcsv's csv_write2, which doubles quotes) when it
 * holds a comma, a quote, CR, LF, or leading/trailing space or tab (which CSV readers such as
 * libcsv trim); other fields are written bare.  Output goes through zwriter, so a ".zst" path is
 * compressed in complete frames and every write error is reported.
 *
 * Formula guard (--csv-formula-guard, csvout_open_guard): cells are data, exact by default, so a
 * hostile MX name "=cmd|..." is written as it is and a spreadsheet would run it.  A guarded file
 * prefixes ' to every text cell (COL_STR) that starts with = + - @ or ' (the apostrophe too, so
 * the change is reversible: a spreadsheet shows the cell exactly as the data is) and ends every
 * row with an extra column, CSVOUT_GUARD_COLUMN = "yes", that says so.  csvin sees that column
 * and takes the ' off again, so --resume, merge, diff and --previous read a guarded file as the
 * data it holds; other readers see the column and the prefixed cells.
 */
#ifndef MTASTS_CSVOUT_H
#define MTASTS_CSVOUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "output/cell.h"
#include "output/zwriter.h"
#include "scanner/changes.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"

enum csvout_table {
    CSVOUT_DOMAIN = 0, /* one row per domain (struct domain_result) */
    CSVOUT_MX = 1,     /* one row per probed MX address (struct csvout_mx_row) */
    CSVOUT_EDGE = 2,   /* one row per (domain, MX host) (struct csvout_edge_row) */
    CSVOUT_CHANGES = 3 /* one row per (domain, change) of `diff` (struct changes_row) */
};

/* One (domain, MX host) edge as the edge CSV sees it: an owned, flat, typed record built from
 * a domain's r->mxs[i] (csvout_edge_row_fill), described by offsets like the other tables. */
struct csvout_edge_row {
    char domain[RESULT_NAME_MAX];
    long rank;
    char mx_host[RESULT_NAME_MAX];
    int preference;          /* -1: the implicit MX (empty cell) */
    int covered;             /* 1 yes, 0 no, -1 no valid enforce/testing policy (empty) */
    char probe_status[32];   /* not_probed, no_address, ok, or an smtp_probe_status */
    struct issue_set issues;
    int addresses_probed;    /* -1: not probed (empty) */
};

/* Resets e to its every-cell-empty state. */
void csvout_edge_row_init(struct csvout_edge_row *e);

/* Fills e from the i-th MX edge of r (i < r->n_mx). */
void csvout_edge_row_fill(struct csvout_edge_row *e, const struct domain_result *r, size_t i);

/* One probed (host, address) as the MX CSV sees it: an owned, flat, typed record, so that the
 * schema can describe every cell by its offset and csvin can read a row back into it.  verify_ok
 * is kept as a column of its own (the probe's certificate flags are not in the CSV). */
struct csvout_mx_row {
    char mx_host[RESULT_NAME_MAX];
    char address[64];                     /* text form, e.g. "192.0.2.1" or "2001:db8::1" */
    struct smtp_probe_result probe;
    int verify_ok;                        /* -1 no handshake (empty cell), 0 no, 1 yes */
    long domains_sharing;                 /* < 0 = unknown (empty cell) */
    time_t probed_at;                     /* 0 = unknown (empty cell) */
};

/* Resets a row to "nothing known" (every cell empty; status ok). */
void csvout_mx_row_init(struct csvout_mx_row *m);

/* Fills m from one probe's outcome (copied; nothing borrowed after return). */
void csvout_mx_row_fill(struct csvout_mx_row *m, const char *host, const char *address_text,
                        const struct smtp_probe_result *p, long domains_sharing, time_t probed_at);

/* 1 when a file of table t must have column i to be read: the columns of the first version
 * (domain 18, MX 20) are; every column added after them is optional, so that a file written
 * before it existed still reads (the record keeps its initial value).  New columns therefore
 * need nothing but their one table line. */
int csvout_column_required(enum csvout_table t, size_t i);

/* "domain" or "MX", for messages. */
const char *csvout_table_str(enum csvout_table t);

/* The schema of table t; *n gets the number of columns.  Static storage. */
const struct cell_column *csvout_schema(enum csvout_table t, size_t *n);

/* The column named name in table t, or NULL; *index (may be NULL) gets its position. */
const struct cell_column *csvout_find_column(enum csvout_table t, const char *name, size_t *index);

/* Size of table t's row record (struct domain_result or struct csvout_mx_row). */
size_t csvout_record_size(enum csvout_table t);

/* Resets rec (a record of table t) to its initial, every-cell-empty state. */
void csvout_record_init(enum csvout_table t, void *rec);

/* Prints the four schemas (name and description of every column, in order) to f. */
void csvout_print_schema(FILE *f);

/* Prints the four schemas as the Markdown of docs/codes.md's "Columns" section (tables of name, type,
 * meaning); tests/integration/schema_docs.sh checks that the document holds exactly this. */
void csvout_print_schema_markdown(FILE *f);

struct csvout;

/* Opens path ("-" = stdout; ".zst" = compressed) for table t and writes the header row.  Returns
 * NULL and fills *err on failure.  Caller frees with csvout_close(). */
struct csvout *csvout_open(const char *path, enum csvout_table t, struct zwriter_error *err);

/* As csvout_open() with zwriter options (NULL = defaults). */
struct csvout *csvout_open_opts(const char *path, enum csvout_table t,
                                const struct zwriter_opts *opts, struct zwriter_error *err);

/* The extra last column of a guarded file (see the formula guard above). */
#define CSVOUT_GUARD_COLUMN "csv_formula_guard"

/* As csvout_open_opts(); formula_guard = 1 writes a guarded file (see the formula guard above). */
struct csvout *csvout_open_guard(const char *path, enum csvout_table t, const struct zwriter_opts *opts,
                                 int formula_guard, struct zwriter_error *err);

/* 1 when a guarded file changes the text cell s (it starts with = + - @ or '). */
int csvout_guard_needed(const char *s);

/* Appends one domain row; c must be a CSVOUT_DOMAIN writer.  r borrowed.  Returns the writer's
 * (sticky) status. */
enum zwriter_status csvout_write_domain(struct csvout *c, const struct domain_result *r);

/* Appends one MX row; c must be a CSVOUT_MX writer.  Everything borrowed.  domains_sharing < 0
 * and probed_at 0 give empty cells. */
enum zwriter_status csvout_write_mx(struct csvout *c, const char *host, const char *address_text,
                                    const struct smtp_probe_result *p, long domains_sharing,
                                    time_t probed_at);

/* Appends one row of c's table from its record (struct domain_result or struct csvout_mx_row),
 * e.g. a row read back by csvin.  rec borrowed. */
enum zwriter_status csvout_write_record(struct csvout *c, const void *rec);

/* Appends the rows of r's MX edges (none when it has no MX host); c must be a CSVOUT_EDGE
 * writer.  r borrowed.  Returns the writer's (sticky) status. */
enum zwriter_status csvout_write_edges(struct csvout *c, const struct domain_result *r);

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
