/*
 * enumname: the one way an enum is mapped to and from the names the CSV cells, the JSON and the
 * options use.  Each enum has one table of {value, name} next to its *_str(), which looks the
 * value up here, and its *_parse(), which looks the name up here; one line after the table,
 * ENUM_NAMES_DEFINE (or ENUM_NAMES_DEFINE_PARSE), defines them and checks with ENUM_NAMES_COVER
 * that the table and the enum agree in size, so the build fails on a value added without a name.
 * Pure.
 */
#ifndef MTASTS_ENUMNAME_H
#define MTASTS_ENUMNAME_H

#include <stddef.h>

struct enum_name {
    int value;
    const char *name;
};

#define ENUM_NAMES_N(table) (sizeof(table) / sizeof((table)[0]))

/* Compile-time check that `table` has one row for each of the `count` values of its enum. */
#define ENUM_NAMES_COVER(table, count) \
    _Static_assert(ENUM_NAMES_N(table) == (size_t)(count), #table " names every value of its enum")

/* The *_str() and *_parse() of an enum whose table is PREFIX_names, defined once here instead of a
 * pair of one-line wrappers beside every table (their prototypes stay in the enum's header):
 *   ENUM_NAMES_STR_FN(txt_status, enum txt_status, "unknown")  defines  txt_status_str(v)
 *   ENUM_NAMES_PARSE_FN(txt_status)                            defines  txt_status_parse(s) */
#define ENUM_NAMES_STR_FN(prefix, type, unknown)                                                 \
    const char *prefix##_str(type v)                                                             \
    {                                                                                            \
        return enum_name_str(prefix##_names, ENUM_NAMES_N(prefix##_names), (int)v, unknown);     \
    }
#define ENUM_NAMES_PARSE_FN(prefix)                                                              \
    int prefix##_parse(const char *s)                                                            \
    {                                                                                            \
        return enum_name_parse(prefix##_names, ENUM_NAMES_N(prefix##_names), s);                 \
    }

/* Everything an enum's table PREFIX_names gives, in one line after the table: the cover check
 * against count (ENUM_NAMES_COVER) and PREFIX_str (ENUM_NAMES_STR_FN); ENUM_NAMES_DEFINE_PARSE
 * adds PREFIX_parse (ENUM_NAMES_PARSE_FN). */
#define ENUM_NAMES_DEFINE(prefix, type, count, unknown) \
    ENUM_NAMES_COVER(prefix##_names, count);            \
    ENUM_NAMES_STR_FN(prefix, type, unknown)
#define ENUM_NAMES_DEFINE_PARSE(prefix, type, count, unknown) \
    ENUM_NAMES_DEFINE(prefix, type, count, unknown)           \
    ENUM_NAMES_PARSE_FN(prefix)

/* The name of value in table (n rows), or `unknown` when no row has it. */
const char *enum_name_str(const struct enum_name *table, size_t n, int value, const char *unknown);

/* The value named exactly s (NULL: none) in table, or -1. */
int enum_name_parse(const struct enum_name *table, size_t n, const char *s);

/* For a table whose rows say more than the name (e.g. codes' issue table: name, severity, rule
 * and fix in one row, so that a new code is one row): each row is a struct of `stride` bytes whose
 * FIRST member is a struct enum_name.  The row of value, or of the name exactly s (NULL: none);
 * NULL when no row has it.  enum_name_str and enum_name_parse are these with stride
 * sizeof(struct enum_name). */
const void *enum_name_row(const void *rows, size_t n, size_t stride, int value);
const void *enum_name_row_named(const void *rows, size_t n, size_t stride, const char *s);

#endif
