/*
 * csvout: the row writer of the four tables on top of zwriter; the columns are output/schema's,
 * the cells output/cell's.  A row is assembled in one growing buffer and handed to zwriter in one
 * call, so a frame end (tick) never falls inside a row.
 */
#include "output/csvout.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "lib/growbuf.h"

/* Large enough for any formatted cell: the biggest record fields are RESULT_LIST_MAX /
 * RESULT_DETAIL_MAX (1024) and the issue list (< 1024). */
#define CELL_SCRATCH 2048

struct csvout {
    struct zwriter *w;
    enum schema_table table;
    char *row;   /* the row being assembled */
    size_t cap;
    size_t len;
    int oom;     /* a row was lost to out-of-memory: sticky, reported at close */
    int guard;   /* --csv-formula-guard: text cells prefixed, SCHEMA_GUARD_COLUMN at the end */
};

/* ---- row assembly ---- */

/* libcsv's parser trims unquoted leading/trailing blanks, so those fields must be quoted too. */
static int needs_quote(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static int row_reserve(struct csvout *c, size_t more)
{
    return growbuf_reserve(&c->row, &c->cap, c->len + more, 1, 4096);
}

/* Appends one cell and its separator ("," or "\n" after the last); guard = 1 puts a ' before it. */
static int row_add_guarded(struct csvout *c, const char *cell, int guard, int last)
{
    char *guarded = NULL; /* rare (a hostile cell): its own copy */
    if (guard) {
        size_t n = strlen(cell);
        if ((guarded = malloc(n + 2)) == NULL)
            return -1;
        guarded[0] = '\'';
        memcpy(guarded + 1, cell, n + 1);
        cell = guarded;
    }
    size_t len = strlen(cell);
    /* worst case: every byte a doubled quote, plus the two enclosing quotes and the separator */
    if (row_reserve(c, 2 * len + 3) != 0) {
        free(guarded);
        return -1;
    }
    if (needs_quote(cell, len))
        c->len += csv_write2(c->row + c->len, c->cap - c->len, cell, len, CSV_QUOTE);
    else {
        memcpy(c->row + c->len, cell, len);
        c->len += len;
    }
    c->row[c->len++] = last ? '\n' : ',';
    free(guarded);
    return 0;
}

static int row_add(struct csvout *c, const char *cell, int last)
{
    return row_add_guarded(c, cell, 0, last);
}

static enum zwriter_status nomem(struct csvout *c)
{
    c->oom = 1;
    return ZWRITER_ERR_NOMEM;
}

/* Formats rec through table t and writes the row. */
static enum zwriter_status write_record(struct csvout *c, const void *rec)
{
    const struct zwriter_error *e = zwriter_error(c->w);
    if (e->status != ZWRITER_OK)
        return e->status;
    if (c->oom)
        return ZWRITER_ERR_NOMEM;
    size_t n;
    const struct cell_column *cols = schema_columns(c->table, &n);
    char scratch[CELL_SCRATCH];
    c->len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *cell = cell_format(&cols[i], rec, scratch, sizeof(scratch));
        int guard = c->guard && cols[i].type == COL_STR && schema_guard_needed(cell);
        if (row_add_guarded(c, cell, guard, i + 1 == n && !c->guard) != 0)
            return nomem(c);
    }
    if (c->guard && row_add(c, "yes", 1) != 0)
        return nomem(c);
    return zwriter_write(c->w, c->row, c->len);
}

static enum zwriter_status write_header(struct csvout *c)
{
    size_t n;
    const struct cell_column *cols = schema_columns(c->table, &n);
    c->len = 0;
    for (size_t i = 0; i < n; i++)
        if (row_add(c, cols[i].name, i + 1 == n && !c->guard) != 0)
            return nomem(c);
    if (c->guard && row_add(c, SCHEMA_GUARD_COLUMN, 1) != 0)
        return nomem(c);
    return zwriter_write(c->w, c->row, c->len);
}

struct csvout *csvout_open_opts(const char *path, enum schema_table t,
                                const struct zwriter_opts *opts, struct zwriter_error *err)
{
    return csvout_open_guard(path, t, opts, 0, err);
}

struct csvout *csvout_open_guard(const char *path, enum schema_table t, const struct zwriter_opts *opts,
                                 int formula_guard, struct zwriter_error *err)
{
    struct csvout *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        memset(err, 0, sizeof(*err));
        err->status = ZWRITER_ERR_NOMEM;
        snprintf(err->text, sizeof(err->text), "open %s: out of memory", path);
        return NULL;
    }
    c->table = t;
    c->guard = formula_guard != 0;
    c->w = zwriter_open_opts(path, opts, err);
    if (c->w == NULL) {
        free(c);
        return NULL;
    }
    /* The header is published at once: a file killed before its first row is still a CSV. */
    if (write_header(c) != ZWRITER_OK || zwriter_flush(c->w) != ZWRITER_OK) {
        csvout_close_as(c, ZWRITER_DISCARD, err);
        return NULL;
    }
    return c;
}

struct csvout *csvout_open(const char *path, enum schema_table t, struct zwriter_error *err)
{
    return csvout_open_opts(path, t, NULL, err);
}

enum zwriter_status csvout_write_domain(struct csvout *c, const struct domain_result *r)
{
    assert(c->table == SCHEMA_DOMAIN);
    return write_record(c, r);
}

enum zwriter_status csvout_write_mx(struct csvout *c, const char *host, const char *address_text,
                                    const struct smtp_probe_result *p, long domains_sharing,
                                    time_t probed_at)
{
    assert(c->table == SCHEMA_MX);
    struct schema_mx_row row;
    schema_mx_row_fill(&row, host, address_text, p, domains_sharing, probed_at);
    return write_record(c, &row);
}

enum zwriter_status csvout_write_record(struct csvout *c, const void *rec)
{
    return write_record(c, rec);
}

enum zwriter_status csvout_write_edges(struct csvout *c, const struct domain_result *r)
{
    assert(c->table == SCHEMA_EDGE);
    enum zwriter_status st = zwriter_error(c->w)->status;
    for (size_t i = 0; i < r->n_mx && st == ZWRITER_OK; i++) {
        struct schema_edge_row row;
        schema_edge_row_fill(&row, r, i);
        st = write_record(c, &row);
    }
    return st;
}

enum zwriter_status csvout_tick(struct csvout *c, double now)
{
    return zwriter_tick(c->w, now);
}

const struct zwriter_error *csvout_error(const struct csvout *c)
{
    return zwriter_error(c->w);
}

enum zwriter_status csvout_finish(struct csvout *c)
{
    enum zwriter_status st = zwriter_finish(c->w);
    return st == ZWRITER_OK && c->oom ? ZWRITER_ERR_NOMEM : st;
}

const char *csvout_work_path(const struct csvout *c)
{
    return zwriter_work_path(c->w);
}

enum zwriter_status csvout_close_as(struct csvout *c, enum zwriter_close_mode mode,
                                    struct zwriter_error *err)
{
    if (c == NULL)
        return zwriter_close(NULL, err);
    struct zwriter_error e;
    /* A table that lost a row to out-of-memory is incomplete: never published. */
    enum zwriter_status st = zwriter_close_as(c->w, c->oom && mode == ZWRITER_PUBLISH
                                                        ? ZWRITER_KEEP_PARTIAL : mode, &e);
    if (st == ZWRITER_OK && c->oom) {
        st = e.status = ZWRITER_ERR_NOMEM;
        e.sys_errno = ENOMEM;
        snprintf(e.text, sizeof(e.text), "csv row: %s", strerror(ENOMEM));
    }
    if (err != NULL)
        *err = e;
    free(c->row);
    free(c);
    return st;
}

enum zwriter_status csvout_close(struct csvout *c, struct zwriter_error *err)
{
    return csvout_close_as(c, ZWRITER_PUBLISH, err);
}
