/* enumname: enum values to and from their names through one table per enum (see enumname.h). */
#include "lib/enumname.h"

#include <string.h>

static const struct enum_name *row_at(const void *rows, size_t stride, size_t i)
{
    return (const struct enum_name *)((const char *)rows + i * stride);
}

const void *enum_name_row(const void *rows, size_t n, size_t stride, int value)
{
    if (value >= 0 && (size_t)value < n && row_at(rows, stride, (size_t)value)->value == value)
        return row_at(rows, stride, (size_t)value); /* dense tables: direct */
    for (size_t i = 0; i < n; i++)
        if (row_at(rows, stride, i)->value == value)
            return row_at(rows, stride, i);
    return NULL;
}

const void *enum_name_row_named(const void *rows, size_t n, size_t stride, const char *s)
{
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(row_at(rows, stride, i)->name, s) == 0)
            return row_at(rows, stride, i);
    return NULL;
}

const char *enum_name_str(const struct enum_name *table, size_t n, int value, const char *unknown)
{
    const struct enum_name *row = enum_name_row(table, n, sizeof(*table), value);
    return row ? row->name : unknown;
}

int enum_name_parse(const struct enum_name *table, size_t n, const char *s)
{
    const struct enum_name *row = enum_name_row_named(table, n, sizeof(*table), s);
    return row ? row->value : -1;
}
