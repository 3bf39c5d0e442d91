/*
 * cell: the cell codec of the tables' schema.  A column is described once (name, type, place in
 * the row record, meaning; the tables themselves are output/schema.c's) and this module turns its
 * value into the cell's text and the text back into the value, one rule per column type.  The
 * writer (csvout) and the reader (csvin) both go through it; the reader takes no cell rule from
 * the writer.
 * Times are UTC ISO 8601 through lib/isotime; issue sets are ';'-joined in code order.
 */
#ifndef MTASTS_CELL_H
#define MTASTS_CELL_H

#include <stddef.h>

/* The type of a column's value in the row record, which says how a cell is formatted and parsed.
 * The value sits at .offset in the record; .size is its size in bytes (the buffer size of a
 * COL_STR). */
enum cell_type {
    COL_STR = 0, /* char[size], NUL-terminated; a longer cell read back is cut and marked "..." */
    COL_LONG,    /* long; a value < .min is "none" (empty cell), and an empty cell reads as .none */
    COL_INT,     /* int, same rule as COL_LONG */
    COL_ENUM,    /* an int-sized enum: .str formats it, .parse reads it (-1 = not a value) */
    COL_ISSUES,  /* struct issue_set: codes ';'-joined in code order */
    COL_TIME,    /* time_t: UTC ISO 8601 "2026-11-22T06:10:33Z"; 0 = empty cell */
    COL_MS,      /* double milliseconds, one decimal; < 0 = step not reached (empty cell) */
    COL_YESNO    /* int: 1 "yes", 0 "no", -1 empty */
};

/* A column, ZMap-style: described once, and both formatted and parsed from this description.
 * Adding a column is one line in the table of schema.c (a COL_* macro there). */
struct cell_column {
    const char *name;
    enum cell_type type;
    size_t offset;                 /* of the value in the row record */
    size_t size;                   /* of the value (COL_STR: the buffer) */
    long min, none;                /* COL_LONG / COL_INT: values below min are "none" */
    const char *(*str)(int v);     /* COL_ENUM */
    int (*parse)(const char *s);   /* COL_ENUM: the value, or -1 when s is not one.  An enum
                                      that can be absent needs a value whose str is "" (and
                                      whose parse takes "") */
    const char *description;
};

/* The text of one cell of rec: a pointer into rec or into scratch (size bytes); "" = no value. */
const char *cell_format(const struct cell_column *col, const void *rec, char *scratch,
                               size_t size);

/* Parses one cell (text of len bytes, no NUL needed; "" = no value) into rec.  Returns 0, or -1
 * with a reason ("not a number", "unknown value "x"") in err (errlen bytes).  A COL_STR cell
 * longer than its buffer is cut and marked "...", as the scanner cuts (not an error). */
int cell_parse(const struct cell_column *col, void *rec, const char *text, size_t len,
                      char *err, size_t errlen);

#endif
