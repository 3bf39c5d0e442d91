/*
 * csvout: the writer of the four tables whose columns output/schema describes.  Rows end with "\n".
 * A field is quoted (by libcsv's csv_write2, which doubles quotes) when it holds a comma, a quote,
 * CR, LF, or leading/trailing space or tab (which CSV readers such as libcsv trim); other fields
 * are written bare.  Output goes through zwriter, so a ".zst" path is compressed in complete
 * frames and every write error is reported.
 *
 * Formula guard (--csv-formula-guard, csvout_open_guard): cells are data, exact by default, so a
 * hostile MX name "=cmd|..." is written as it is and a spreadsheet would run it.  A guarded file
 * is written as schema.h describes (a ' before text cells that schema_guard_needed, and the
 * SCHEMA_GUARD_COLUMN at the end of every row); csvin reads it back as the data it holds.
 */
#ifndef MTASTS_CSVOUT_H
#define MTASTS_CSVOUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "output/schema.h"
#include "output/zwriter.h"
#include "scanner/result.h"

struct csvout;

/* Opens path ("-" = stdout; ".zst" = compressed) for table t and writes the header row.  Returns
 * NULL and fills *err on failure.  Caller frees with csvout_close(). */
struct csvout *csvout_open(const char *path, enum schema_table t, struct zwriter_error *err);

/* As csvout_open() with zwriter options (NULL = defaults). */
struct csvout *csvout_open_opts(const char *path, enum schema_table t,
                                const struct zwriter_opts *opts, struct zwriter_error *err);

/* As csvout_open_opts(); formula_guard = 1 writes a guarded file (see the formula guard above). */
struct csvout *csvout_open_guard(const char *path, enum schema_table t, const struct zwriter_opts *opts,
                                 int formula_guard, struct zwriter_error *err);

/* Appends one domain row; c must be a SCHEMA_DOMAIN writer.  r borrowed.  Returns the writer's
 * (sticky) status. */
enum zwriter_status csvout_write_domain(struct csvout *c, const struct domain_result *r);

/* Appends one MX row; c must be a SCHEMA_MX writer.  Everything borrowed.  domains_sharing < 0
 * and probed_at 0 give empty cells. */
enum zwriter_status csvout_write_mx(struct csvout *c, const char *host, const char *address_text,
                                    const struct smtp_probe_result *p, long domains_sharing,
                                    time_t probed_at);

/* Appends one row of c's table from its record (struct domain_result or struct schema_mx_row),
 * e.g. a row read back by csvin.  rec borrowed. */
enum zwriter_status csvout_write_record(struct csvout *c, const void *rec);

/* Appends the rows of r's MX edges (none when it has no MX host); c must be a SCHEMA_EDGE
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
