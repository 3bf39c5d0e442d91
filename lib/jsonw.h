/*
 * jsonw: the one JSON writer of the tool (check --format json, --metadata, --summary-json).  A
 * writer keeps the stack of open objects and arrays, so separators, line breaks and indentation
 * are decided once, here; strings go through utf8text (valid UTF-8 whatever bytes a server sent),
 * times through isotime.  Each container has a layout, given when it is opened or inherited from
 * the one around it.  Callers write a member as (key, value) in an object and (NULL, value) in an
 * array.  Writes to a FILE and keeps no other state: ferror() tells whether the bytes reached it.
 */
#ifndef MTASTS_JSONW_H
#define MTASTS_JSONW_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

enum jsonw_layout {
    JSONW_COMPACT,  /* {"a":1,"b":[true,null]}: no space, no line break */
    JSONW_LINES,    /* one member a line, indented two spaces a level: {\n  "a": 1\n} */
    JSONW_ONE_LINE  /* {"a": 1, "b": 2}: members on one line, a space after ':' and ',' */
};

/* Deeper nesting is a bug of the caller: the writer then stops writing (jsonw_failed). */
#define JSONW_DEPTH_MAX 32

struct jsonw {
    FILE *f;
    int depth;                                  /* containers open */
    int first;                                  /* the innermost one has no member yet */
    int too_deep;                               /* stopped: nesting beyond JSONW_DEPTH_MAX */
    enum jsonw_layout layout[JSONW_DEPTH_MAX + 1]; /* [0]: the outermost value's; [d]: level d's */
    char close[JSONW_DEPTH_MAX + 1];            /* '}' or ']' of level d */
};

/* Starts a writer of one JSON value to f (borrowed); containers are laid out as `layout` unless
 * opened with their own.  Nothing is written until the first value. */
void jsonw_init(struct jsonw *w, FILE *f, enum jsonw_layout layout);

/* Opens an object or array as the member `key` (NULL in an array and for the outermost value),
 * laid out as the container around it (the _layout forms: as given, and so its own members'
 * containers).  Closed by jsonw_end. */
void jsonw_object(struct jsonw *w, const char *key);
void jsonw_array(struct jsonw *w, const char *key);
void jsonw_object_layout(struct jsonw *w, const char *key, enum jsonw_layout layout);
void jsonw_array_layout(struct jsonw *w, const char *key, enum jsonw_layout layout);

/* Closes the innermost open object or array. */
void jsonw_end(struct jsonw *w);

/* Values.  A string is escaped by utf8text_json_string; NULL is written as null. */
void jsonw_string(struct jsonw *w, const char *key, const char *s);
void jsonw_string_len(struct jsonw *w, const char *key, const char *s, size_t len);
void jsonw_long(struct jsonw *w, const char *key, long v);
void jsonw_ulong(struct jsonw *w, const char *key, unsigned long long v);
void jsonw_double(struct jsonw *w, const char *key, double v); /* %.15g; null if not finite */
void jsonw_bool(struct jsonw *w, const char *key, int v);
void jsonw_null(struct jsonw *w, const char *key);

/* t as isotime writes it ("2026-11-22T06:10:33Z"); null when unknown (0). */
void jsonw_time(struct jsonw *w, const char *key, time_t t);

/* 1 when the writer stopped (nesting too deep), 0 otherwise (write errors: ferror(f)). */
int jsonw_failed(const struct jsonw *w);

#endif
