/*
 * cell: per-type formatting and parsing of one cell (see cell.h).
 */
#include "output/cell.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/isotime.h"
#include "scanner/result.h"

static long get_long(const struct cell_column *col, const void *rec)
{
    const char *p = (const char *)rec + col->offset;
    if (col->type == COL_LONG) {
        long v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    int v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void set_long(const struct cell_column *col, void *rec, long v)
{
    char *p = (char *)rec + col->offset;
    if (col->type == COL_LONG) {
        memcpy(p, &v, sizeof(v));
        return;
    }
    int i = (int)v;
    memcpy(p, &i, sizeof(i));
}

const char *cell_format(const struct cell_column *col, const void *rec, char *scratch,
                               size_t size)
{
    const char *p = (const char *)rec + col->offset;
    switch (col->type) {
    case COL_STR:
        return p;
    case COL_LONG:
    case COL_INT: {
        long v = get_long(col, rec);
        if (v < col->min)
            return "";
        snprintf(scratch, size, "%ld", v);
        return scratch;
    }
    case COL_ENUM:
    case COL_YESNO: {
        int v;
        memcpy(&v, p, sizeof(v));
        if (col->type == COL_ENUM)
            return col->str(v);
        return v < 0 ? "" : v ? "yes" : "no";
    }
    case COL_ISSUES:
        issue_set_format((const struct issue_set *)(const void *)p, scratch, size);
        return scratch;
    case COL_TIME: {
        time_t t;
        memcpy(&t, p, sizeof(t));
        return isotime_format(t, scratch, size);
    }
    case COL_MS: {
        double ms;
        memcpy(&ms, p, sizeof(ms));
        if (ms < 0)
            return "";
        snprintf(scratch, size, "%.1f", ms);
        return scratch;
    }
    }
    return "";
}

/* Parses a whole decimal number (no blanks, no sign other than '-'). */
static int parse_long(const char *s, long *v)
{
    char *end;
    if (*s == '\0' || *s == ' ' || *s == '+')
        return -1;
    errno = 0;
    *v = strtol(s, &end, 10);
    return *end != '\0' || errno != 0 ? -1 : 0;
}

static int parse_ms(const char *s, double *v)
{
    char *end;
    if (*s == '\0' || *s == ' ')
        return -1;
    errno = 0;
    *v = strtod(s, &end);
    return *end != '\0' || errno != 0 || !(*v >= 0) ? -1 : 0;
}

static int bad_cell(char *err, size_t errlen, const char *why, const char *text)
{
    snprintf(err, errlen, "%s \"%.40s%s\"", why, text, strlen(text) > 40 ? "..." : "");
    return -1;
}

/* Parses a NUL-terminated cell that is not a string column. */
static int parse_typed(const struct cell_column *col, void *rec, const char *s, char *err,
                       size_t errlen)
{
    char *p = (char *)rec + col->offset;
    switch (col->type) {
    case COL_STR:
        break;
    case COL_LONG:
    case COL_INT: {
        long v = col->none;
        if (*s != '\0' && (parse_long(s, &v) != 0 || v < col->min ||
                           (col->type == COL_INT && (v > INT_MAX || v < INT_MIN))))
            return bad_cell(err, errlen, "not a number in range:", s);
        set_long(col, rec, v);
        return 0;
    }
    case COL_ENUM:
    case COL_YESNO: {
        int v = col->type == COL_ENUM ? col->parse(s)
              : *s == '\0' ? -1 : strcmp(s, "yes") == 0 ? 1 : strcmp(s, "no") == 0 ? 0 : -2;
        if (v < -1 || (col->type == COL_ENUM && v < 0))
            return bad_cell(err, errlen, "unknown value", s);
        memcpy(p, &v, sizeof(v));
        return 0;
    }
    case COL_ISSUES: {
        struct issue_set set;
        if (issue_set_parse(s, &set) != 0)
            return bad_cell(err, errlen, "unknown issue code in", s);
        memcpy(p, &set, sizeof(set));
        return 0;
    }
    case COL_TIME: {
        time_t t = 0;
        if (*s != '\0' && isotime_parse(s, &t) != 0)
            return bad_cell(err, errlen, "not a UTC ISO 8601 time:", s);
        memcpy(p, &t, sizeof(t));
        return 0;
    }
    case COL_MS: {
        double ms = -1;
        if (*s != '\0' && parse_ms(s, &ms) != 0)
            return bad_cell(err, errlen, "not a duration in ms:", s);
        memcpy(p, &ms, sizeof(ms));
        return 0;
    }
    }
    return bad_cell(err, errlen, "column of unknown type:", col->name);
}

int cell_parse(const struct cell_column *col, void *rec, const char *text, size_t len,
                      char *err, size_t errlen)
{
    if (memchr(text, '\0', len) != NULL)
        return bad_cell(err, errlen, "NUL byte in cell", "");
    if (col->type == COL_STR) {
        /* cut as the scanner cuts: the buffer's last bytes become "..." */
        char *dst = (char *)rec + col->offset;
        size_t n = len < col->size ? len : col->size - 1;
        memcpy(dst, text, n);
        dst[n] = '\0';
        if (len >= col->size && col->size >= 4)
            memcpy(dst + col->size - 4, "...", 4);
        return 0;
    }
    char cell[64]; /* every typed value is short; a longer cell cannot be one */
    if (len >= sizeof(cell)) {
        char head[44];
        snprintf(head, sizeof(head), "%.*s", (int)(len < 40 ? len : 40), text);
        return bad_cell(err, errlen, "cell too long for its type:", head);
    }
    memcpy(cell, text, len);
    cell[len] = '\0';
    return parse_typed(col, rec, cell, err, errlen);
}
