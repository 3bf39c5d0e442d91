/* enumname: enum values to and from their names through one table per enum (see enumname.h). */
#include "lib/enumname.h"

#include <string.h>

const char *enum_name_str(const struct enum_name *table, size_t n, int value, const char *unknown)
{
    if (value >= 0 && (size_t)value < n && table[value].value == value) /* dense tables: direct */
        return table[value].name;
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return unknown;
}

int enum_name_parse(const struct enum_name *table, size_t n, const char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, s) == 0)
            return table[i].value;
    return -1;
}
