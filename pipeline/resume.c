/*
 * resume: the earlier output is parsed with libcsv (a detail cell may hold quoted commas or line
 * breaks) from the lines the input module streams, which already handles .zst and truncation.
 * A row counts only when it has every column of the domain table: a row cut by a kill is
 * scanned again.
 */
#include "pipeline/resume.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "output/csvout.h"
#include "pipeline/input.h"

#define RANK_MAX 100000000L /* a rank above this is not tracked (never seen in real lists) */

struct resume {
    uint8_t *bits;
    size_t n_bytes;
    size_t count;
};

struct parse_state {
    struct resume *r;
    size_t field, n_columns, stamp_column;
    long rank;
    int rank_ok, header_done;
    int stamp_ok;          /* scanned_at is a whole timestamp "YYYY-MM-DDThh:mm:ssZ" */
};

static int mark(struct resume *r, long rank)
{
    if (rank < 0 || rank > RANK_MAX)
        return 0;
    size_t byte = (size_t)rank / 8;
    if (byte >= r->n_bytes) {
        size_t n = r->n_bytes ? r->n_bytes : 4096;
        while (n <= byte)
            n *= 2;
        uint8_t *b = realloc(r->bits, n);
        if (!b)
            return -1;
        memset(b + r->n_bytes, 0, n - r->n_bytes);
        r->bits = b;
        r->n_bytes = n;
    }
    if (!(r->bits[byte] & (1u << (rank % 8)))) {
        r->bits[byte] |= (uint8_t)(1u << (rank % 8));
        r->count++;
    }
    return 0;
}

static void on_field(void *data, size_t len, void *arg)
{
    struct parse_state *st = arg;
    if (st->field == 1 && st->header_done) { /* rank is the second column */
        char buf[32];
        char *end;
        if (len > 0 && len < sizeof(buf)) {
            memcpy(buf, data, len);
            buf[len] = '\0';
            st->rank = strtol(buf, &end, 10);
            st->rank_ok = *end == '\0';
        }
    }
    /* a row cut by a kill lacks columns, or is cut inside scanned_at (once the last column) */
    if (st->field == st->stamp_column)
        st->stamp_ok = len == 20 && ((const char *)data)[19] == 'Z';
    st->field++;
}

static void on_row(int term, void *arg)
{
    (void)term;
    struct parse_state *st = arg;
    if (!st->header_done)
        st->header_done = 1;
    else if (st->field == st->n_columns && st->rank_ok && st->stamp_ok)
        mark(st->r, st->rank);
    st->field = 0;
    st->rank_ok = 0;
    st->stamp_ok = 0;
}

struct resume *resume_load(const char *path, char *err, size_t errlen)
{
    struct csv_parser p;
    struct resume *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct input *in = input_open(path, err, errlen);
    if (!in) {
        free(r);
        return NULL;
    }
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        snprintf(err, errlen, "out of memory");
        input_close(in);
        free(r);
        return NULL;
    }
    struct parse_state st = {.r = r};
    const struct csvout_column *cols = csvout_schema(CSVOUT_DOMAIN, &st.n_columns);
    for (size_t i = 0; i < st.n_columns; i++)
        if (strcmp(cols[i].name, "scanned_at") == 0)
            st.stamp_column = i;
    struct input_line line;
    int rc;
    while ((rc = input_next(in, &line)) > 0) {
        csv_parse(&p, line.text, line.len, on_field, on_row, &st);
        csv_parse(&p, "\n", 1, on_field, on_row, &st);
    }
    csv_free(&p); /* no csv_fini: an unterminated quoted field at the end is a cut row */
    if (rc < 0 && input_status(in) != INPUT_ERR_TRUNCATED) {
        snprintf(err, errlen, "resume %s: %s", path, input_error(in));
        input_close(in);
        resume_free(r);
        return NULL;
    }
    input_close(in);
    return r;
}

int resume_done(const struct resume *r, long rank)
{
    if (rank < 0 || (size_t)rank / 8 >= r->n_bytes)
        return 0;
    return (r->bits[(size_t)rank / 8] >> (rank % 8)) & 1;
}

size_t resume_count(const struct resume *r)
{
    return r->count;
}

void resume_free(struct resume *r)
{
    if (!r)
        return;
    free(r->bits);
    free(r);
}
