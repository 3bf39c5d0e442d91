/*
 * csvin: the byte source (file or memory, plain or zstd), libcsv fed one physical line at a
 * time, and the header map from the file's column positions to the schema's columns.
 *
 * Why one line at a time: libcsv calls back for every row a buffer completes, but csvin_next()
 * hands out one row per call into the caller's record.  A row can only end at a '\n' (the only
 * row terminator we give libcsv), so a buffer that ends at the first '\n' completes at most one
 * row, and nothing needs queueing.
 */
#include "output/csvin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <zstd.h>

#include "lib/enumname.h"
#include "lib/growbuf.h"
#include "output/cell.h"

#define RAW_CHUNK 65536

struct csvin {
    enum schema_table table;
    const struct cell_column *cols;
    size_t ncols;
    char name[256];           /* path or "(memory)", for messages */

    /* source */
    FILE *f;                  /* NULL for memory */
    int own_f;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    int src_eof;
    int sniffed, zstd;
    ZSTD_DStream *z;
    size_t z_ret;             /* last ZSTD_decompressStream result: 0 = at a frame boundary */
    unsigned char *raw;       /* compressed bytes (zstd) */
    size_t raw_len, raw_pos;
    unsigned char *buf;       /* CSV text */
    size_t buf_len, buf_pos;
    unsigned long long bytes; /* CSV text bytes seen */

    /* parser */
    struct csv_parser p;
    int header_done;
    long *map;                /* header position -> schema column, -1 = ignored */
    int guarded;              /* the header has SCHEMA_GUARD_COLUMN: text cells carry a ' to drop */
    size_t nheader, map_cap;
    void *rec;                /* the caller's record while a row is read */
    size_t field;
    int row_ready, row_cut, finishing;
    size_t row_bytes;         /* CSV text of the row (or header) being parsed, for the limits */
    int row_ended;            /* on_row ran during the current feed */
    long line;                /* physical lines completed */
    long row_line;
    struct csvin_error err;
};

static const struct enum_name csvin_status_names[] = {
    {CSVIN_OK, "ok"},
    {CSVIN_ERR_NOMEM, "out of memory"},
    {CSVIN_ERR_OPEN, "cannot open"},
    {CSVIN_ERR_READ, "read error"},
    {CSVIN_ERR_ZSTD, "corrupt zstd data"},
    {CSVIN_ERR_TRUNCATED, "truncated"},
    {CSVIN_ERR_EMPTY, "empty (no header)"},
    {CSVIN_ERR_HEADER, "not a table of ours (header)"},
    {CSVIN_ERR_ROW, "malformed row"},
    {CSVIN_ERR_TOO_LONG, "header, cell or row over its size limit"},
    {CSVIN_ERR_INTERRUPTED, "interrupted"},
};
ENUM_NAMES_DEFINE(csvin_status, enum csvin_status, CSVIN_STATUS__COUNT, "unknown")

static const volatile sig_atomic_t *interrupt_flag;

void csvin_set_interrupt(const volatile sig_atomic_t *flag)
{
    interrupt_flag = flag;
}

static int interrupted(void)
{
    return interrupt_flag != NULL && *interrupt_flag != 0;
}

/* Records the first error only: later ones are consequences. */
__attribute__((format(printf, 4, 5)))
static void fail(struct csvin *in, enum csvin_status st, long line, const char *fmt, ...)
{
    if (in->err.status != CSVIN_OK)
        return;
    in->err.status = st;
    in->err.line = line;
    int n = line > 0 ? snprintf(in->err.text, sizeof(in->err.text), "%s line %ld: ", in->name, line)
                     : snprintf(in->err.text, sizeof(in->err.text), "%s: ", in->name);
    if (n < 0 || (size_t)n >= sizeof(in->err.text))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->err.text + n, sizeof(in->err.text) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- libcsv callbacks ---- */

static int is_term(unsigned char c)
{
    return c == '\n';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int header_field(struct csvin *in, const char *s, size_t len)
{
    if (growbuf_reserve(&in->map, &in->map_cap, in->nheader + 1, sizeof(*in->map), 32) != 0)
        return -1;
    char name[64];
    long idx = -1;
    if (len < sizeof(name) && memchr(s, '\0', len) == NULL) {
        memcpy(name, s, len);
        name[len] = '\0';
        size_t i;
        if (schema_find_column(in->table, name, &i) != NULL)
            idx = (long)i;
        else if (strcmp(name, SCHEMA_GUARD_COLUMN) == 0)
            in->guarded = 1;
        for (size_t k = 0; idx >= 0 && k < in->nheader; k++)
            if (in->map[k] == idx)
                fail(in, CSVIN_ERR_HEADER, 0, "column %s appears twice in the header", name);
    }
    in->map[in->nheader++] = idx;
    return 0;
}

static void on_field(void *data, size_t len, void *arg)
{
    struct csvin *in = arg;
    size_t i = in->field++;
    if (i == 0)
        in->row_line = in->line + 1;
    if (in->finishing || in->err.status != CSVIN_OK)
        return;
    if (!in->header_done) {
        if (header_field(in, data, len) != 0)
            fail(in, CSVIN_ERR_NOMEM, 0, "header: %s", strerror(ENOMEM));
        return;
    }
    if (len > CSVIN_CELL_MAX) {
        fail(in, CSVIN_ERR_TOO_LONG, in->row_line, "a cell of %zu bytes (the limit is %d): not a table of ours",
             len, CSVIN_CELL_MAX);
        return;
    }
    if (i >= in->nheader || in->map[i] < 0)
        return; /* a cell of an ignored column, or one too many (counted at the row's end) */
    const struct cell_column *col = &in->cols[in->map[i]];
    if (in->guarded && col->type == COL_STR && len > 0 && ((const char *)data)[0] == '\'') {
        data = (char *)data + 1; /* the formula guard's prefix (schema.h): the data is what follows */
        len--;
    }
    char why[160];
    if (cell_parse(col, in->rec, data, len, why, sizeof(why)) != 0)
        fail(in, CSVIN_ERR_ROW, in->row_line, "column %s: %s", col->name, why);
}

static void check_header(struct csvin *in)
{
    char missing[400] = "";
    size_t n_missing = 0;
    for (size_t c = 0; c < in->ncols; c++) {
        if (!schema_column_required(in->table, c))
            continue;
        int found = 0;
        for (size_t k = 0; k < in->nheader && !found; k++)
            found = in->map[k] == (long)c;
        if (!found) {
            size_t len = strlen(missing);
            snprintf(missing + len, sizeof(missing) - len, "%s%s", n_missing ? ", " : "", in->cols[c].name);
            n_missing++;
        }
    }
    if (n_missing > 0)
        fail(in, CSVIN_ERR_HEADER, 0, "not a %s table: missing column%s %s",
             schema_table_str(in->table), n_missing > 1 ? "s" : "", missing);
}

static void on_row(int term, void *arg)
{
    struct csvin *in = arg;
    size_t fields = in->field;
    in->field = 0;
    in->row_ended = 1;
    if (term == -1) { /* csv_fini: the data ended inside this row */
        in->row_cut = 1;
        return;
    }
    if (in->err.status != CSVIN_OK)
        return;
    if (!in->header_done) {
        in->header_done = 1;
        check_header(in);
        return;
    }
    if (fields != in->nheader) {
        fail(in, CSVIN_ERR_ROW, in->row_line, "%zu cells, the header has %zu", fields, in->nheader);
        return;
    }
    in->row_ready = 1;
}

/* ---- byte source ---- */

static size_t source_read(struct csvin *in, unsigned char *dst, size_t cap)
{
    if (in->f == NULL) {
        size_t n = in->mem_len - in->mem_pos < cap ? in->mem_len - in->mem_pos : cap;
        memcpy(dst, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        return n;
    }
    size_t n = fread(dst, 1, cap, in->f);
    if (n == 0 && ferror(in->f)) {
        if (interrupted())
            fail(in, CSVIN_ERR_INTERRUPTED, 0, "interrupted while reading");
        else
            fail(in, CSVIN_ERR_READ, 0, "read: %s", strerror(errno ? errno : EIO));
    }
    return n;
}

/* Reads raw bytes; on the first read decides whether the source is zstd. */
static int raw_fill(struct csvin *in)
{
    in->raw_pos = 0;
    in->raw_len = in->src_eof ? 0 : source_read(in, in->raw, RAW_CHUNK);
    if (in->raw_len == 0)
        in->src_eof = 1;
    if (!in->sniffed && in->raw_len > 0) {
        static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
        in->sniffed = 1;
        in->zstd = in->raw_len >= 4 && memcmp(in->raw, magic, 4) == 0;
        if (in->zstd && (in->z = ZSTD_createDStream()) == NULL) {
            fail(in, CSVIN_ERR_NOMEM, 0, "zstd: %s", strerror(ENOMEM));
            return -1;
        }
    }
    return in->err.status == CSVIN_OK ? 0 : -1;
}

/* Refills buf with CSV text.  Returns 1 = text, 0 = end of the source, -1 = error. */
static int text_fill(struct csvin *in)
{
    in->buf_pos = in->buf_len = 0;
    for (;;) {
        if (interrupted()) {
            fail(in, CSVIN_ERR_INTERRUPTED, 0, "interrupted while reading");
            return -1;
        }
        if (in->raw_pos == in->raw_len) {
            if (!in->src_eof && raw_fill(in) != 0)
                return -1;
            /* At a frame boundary with no more input: the end.  (Calling the decoder again
             * would start a new frame and report it unfinished.) */
            if (in->raw_pos == in->raw_len && (!in->zstd || in->z_ret == 0))
                return 0;
        }
        if (!in->zstd) {
            if (in->raw_len == 0)
                return 0;
            memcpy(in->buf, in->raw, in->raw_len);
            in->buf_len = in->raw_len;
            in->raw_pos = in->raw_len;
            return 1;
        }
        ZSTD_inBuffer zin = {in->raw, in->raw_len, in->raw_pos};
        ZSTD_outBuffer zout = {in->buf, RAW_CHUNK, 0};
        size_t r = ZSTD_decompressStream(in->z, &zout, &zin);
        in->raw_pos = zin.pos;
        if (ZSTD_isError(r)) {
            fail(in, CSVIN_ERR_ZSTD, 0, "zstd: %s", ZSTD_getErrorName(r));
            return -1;
        }
        in->z_ret = r;
        if (zout.pos > 0) {
            in->buf_len = zout.pos;
            return 1;
        }
        if (in->src_eof && in->raw_pos == in->raw_len)
            return 0; /* nothing more will come: z_ret says whether a frame was cut */
    }
}

/* Feeds libcsv up to and including the next '\n' of buf; refuses, before libcsv buffers it, text
 * that would take the header or the row past its limit. */
static int feed_line(struct csvin *in)
{
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    if (in->bytes == 0 && in->buf_len - in->buf_pos >= 3 && memcmp(in->buf + in->buf_pos, bom, 3) == 0)
        in->buf_pos += 3; /* a byte order mark opens the text: not part of the first column's name */
    const unsigned char *start = in->buf + in->buf_pos;
    size_t avail = in->buf_len - in->buf_pos;
    const unsigned char *nl = memchr(start, '\n', avail);
    size_t len = nl ? (size_t)(nl - start) + 1 : avail;
    size_t limit = in->header_done ? CSVIN_ROW_MAX : CSVIN_HEADER_MAX;
    if (len > limit || in->row_bytes > limit - len) {
        fail(in, CSVIN_ERR_TOO_LONG, in->line + 1, "the %s is over %d bytes: not a table of ours",
             in->header_done ? "row" : "header", (int)limit);
        return -1;
    }
    in->bytes += len;
    in->row_bytes += len;
    in->row_ended = 0;
    if (csv_parse(&in->p, start, len, on_field, on_row, in) != len) {
        fail(in, CSVIN_ERR_ROW, in->field > 0 ? in->row_line : in->line + 1, "%s",
             csv_strerror(csv_error(&in->p)));
        return -1;
    }
    /* Rows end only at the '\n' a feed ends with; a blank line leaves libcsv where it was,
     * between rows (pstate 0, libcsv's ROW_NOT_BEGUN: stable since libcsv 3.0), and must not
     * count towards the next row. */
    if (in->row_ended || (nl && in->p.pstate == 0))
        in->row_bytes = 0;
    in->buf_pos += len;
    if (nl)
        in->line++;
    return in->err.status == CSVIN_OK ? 0 : -1;
}

/* The source has ended: a row in progress was cut. */
static int finish(struct csvin *in)
{
    in->finishing = 1;
    csv_fini(&in->p, on_field, on_row, in);
    if (in->bytes == 0 && !in->zstd) {
        fail(in, CSVIN_ERR_EMPTY, 0, "empty file: no header");
        return -1;
    }
    if (in->row_cut || (in->zstd && in->z_ret != 0)) {
        fail(in, CSVIN_ERR_TRUNCATED, 0, "truncated: the file ends inside %s after line %ld",
             in->zstd && in->z_ret != 0 ? "a zstd frame" : "a row", in->line);
        return -1;
    }
    if (!in->header_done) {
        fail(in, CSVIN_ERR_EMPTY, 0, "empty file: no header");
        return -1;
    }
    return 0;
}

int csvin_next(struct csvin *in, void *rec)
{
    if (in->err.status != CSVIN_OK)
        return -1;
    in->rec = rec;
    schema_record_init(in->table, rec);
    in->row_ready = 0;
    while (!in->row_ready) {
        if (in->buf_pos == in->buf_len) {
            int r = text_fill(in);
            if (r < 0)
                return -1;
            if (r == 0)
                return finish(in);
        }
        if (feed_line(in) != 0)
            return -1;
    }
    return 1;
}

/* ---- open / close ---- */

static struct csvin *csvin_new(enum schema_table t, const char *name)
{
    struct csvin *in = calloc(1, sizeof(*in));
    if (in == NULL)
        return NULL;
    in->raw = malloc(RAW_CHUNK);
    in->buf = malloc(RAW_CHUNK);
    if (in->raw == NULL || in->buf == NULL || csv_init(&in->p, CSV_STRICT) != 0) {
        free(in->raw);
        free(in->buf);
        free(in);
        return NULL;
    }
    csv_set_term_func(&in->p, is_term);
    csv_set_space_func(&in->p, is_space);
    /* libcsv grows its field buffer by blk_size (128 bytes by default): a cell near the row limit
     * would take thousands of reallocs, each a copy where realloc cannot grow in place. */
    csv_set_blk_size(&in->p, 16384);
    in->table = t;
    in->cols = schema_columns(t, &in->ncols);
    snprintf(in->name, sizeof(in->name), "%s", name);
    return in;
}

struct csvin *csvin_open(const char *path, enum schema_table t, struct csvin_error *err)
{
    memset(err, 0, sizeof(*err));
    struct csvin *in = csvin_new(t, strcmp(path, "-") == 0 ? "(stdin)" : path);
    if (in == NULL) {
        err->status = CSVIN_ERR_NOMEM;
        snprintf(err->text, sizeof(err->text), "open %s: %s", path, strerror(ENOMEM));
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        in->f = stdin;
    } else if ((in->f = fopen(path, "rb")) == NULL) {
        err->status = CSVIN_ERR_OPEN;
        snprintf(err->text, sizeof(err->text), "open %s: %s", path, strerror(errno));
        csvin_close(in);
        return NULL;
    } else {
        in->own_f = 1;
    }
    return in;
}

struct csvin *csvin_open_mem(const void *data, size_t len, enum schema_table t)
{
    struct csvin *in = csvin_new(t, "(memory)");
    if (in == NULL)
        return NULL;
    in->mem = data;
    in->mem_len = len;
    return in;
}

const struct csvin_error *csvin_error(const struct csvin *in)
{
    return &in->err;
}

long csvin_line(const struct csvin *in)
{
    return in->row_line;
}

void csvin_close(struct csvin *in)
{
    if (in == NULL)
        return;
    if (in->own_f)
        fclose(in->f);
    ZSTD_freeDStream(in->z);
    csv_free(&in->p);
    free(in->map);
    free(in->raw);
    free(in->buf);
    free(in);
}
