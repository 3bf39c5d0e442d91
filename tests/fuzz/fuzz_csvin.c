/*
 * fuzz_csvin: libFuzzer target for the table reader (output/csvin.c) over arbitrary bytes, plain
 * or zstd.  The first byte picks the table (even = domain, odd = MX).  Traps when an invariant
 * breaks: the reader ends, an error is sticky and has a known status, and every row it returns
 * round-trips cell by cell through the schema (formatting a cell and parsing it back gives the
 * same text).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/csvin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void check_round_trip(enum schema_table t, const void *rec, void *scratch_rec)
{
    size_t n;
    const struct cell_column *cols = schema_columns(t, &n);
    char a[2048], b[2048], err[160];
    for (size_t i = 0; i < n; i++) {
        const char *cell = cell_format(&cols[i], rec, a, sizeof(a));
        schema_record_init(t, scratch_rec);
        check(cell_parse(&cols[i], scratch_rec, cell, strlen(cell), err, sizeof(err)) == 0);
        check(strcmp(cell_format(&cols[i], scratch_rec, b, sizeof(b)), cell) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum schema_table t = data[0] & 1 ? SCHEMA_MX : SCHEMA_DOMAIN;
    struct csvin *in = csvin_open_mem(data + 1, size - 1, t);
    if (in == NULL)
        return 0;
    void *rec = malloc(schema_record_size(t));
    void *back = malloc(schema_record_size(t));
    int r;
    size_t rows = 0;
    while ((r = csvin_next(in, rec)) == 1) {
        check(++rows <= size); /* every row costs at least one byte */
        check_round_trip(t, rec, back);
    }
    const struct csvin_error *e = csvin_error(in);
    check((r == 0) == (e->status == CSVIN_OK));
    check(e->status <= CSVIN_ERR_TOO_LONG); /* no interrupt flag here */
    check(memchr(e->text, '\0', sizeof(e->text)) != NULL);
    if (r < 0)
        check(csvin_next(in, rec) == -1);
    free(rec);
    free(back);
    csvin_close(in);
    return 0;
}
