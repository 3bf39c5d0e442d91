/*
 * test_jsonw: the one JSON writer.  Each layout (compact for check, lines for --metadata, one line
 * for the summary's groups) byte for byte, separators in nested and empty containers, strings
 * escaped through utf8text, numbers, bools, null, times through isotime, and a writer that stops
 * (rather than overflows) when nested too deep.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/jsonw.h"

struct mem {
    char *buf;
    size_t len;
    FILE *f;
};

static struct jsonw *start(struct mem *m, struct jsonw *w, enum jsonw_layout layout)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
    jsonw_init(w, m->f, layout);
    return w;
}

static void expect(struct mem *m, const char *want)
{
    assert_int_equal(fclose(m->f), 0);
    assert_string_equal(m->buf, want);
    free(m->buf);
}

/* One document with every kind of value, written in the given layout. */
static void sample(struct jsonw *w)
{
    jsonw_object(w, NULL);
    jsonw_string(w, "s", "a\"b\\c\x01\t\xff");
    jsonw_string(w, "none", NULL);
    jsonw_long(w, "neg", -42);
    jsonw_ulong(w, "big", 18446744073709551615ULL);
    jsonw_double(w, "pi", 3.25);
    jsonw_double(w, "inf", INFINITY);
    jsonw_bool(w, "yes", 1);
    jsonw_bool(w, "no", 0);
    jsonw_null(w, "nil");
    jsonw_time(w, "at", (time_t)1795327833);
    jsonw_time(w, "unknown", 0);
    jsonw_array(w, "list");
    jsonw_string_len(w, NULL, "abc", 2);
    jsonw_object(w, NULL);
    jsonw_end(w);
    jsonw_array(w, NULL);
    jsonw_end(w);
    jsonw_long(w, NULL, 7);
    jsonw_end(w);
    jsonw_object(w, "empty");
    jsonw_end(w);
    jsonw_end(w);
}

static void test_compact(void **state)
{
    (void)state;
    struct mem m;
    struct jsonw w;
    sample(start(&m, &w, JSONW_COMPACT));
    assert_int_equal(jsonw_failed(&w), 0);
    expect(&m, "{\"s\":\"a\\\"b\\\\c\\u0001\\t\\ufffd\",\"none\":null,\"neg\":-42,"
               "\"big\":18446744073709551615,\"pi\":3.25,\"inf\":null,\"yes\":true,\"no\":false,"
               "\"nil\":null,\"at\":\"2026-11-22T06:10:33Z\",\"unknown\":null,"
               "\"list\":[\"ab\",{},[],7],\"empty\":{}}");
}

static void test_lines(void **state)
{
    (void)state;
    struct mem m;
    struct jsonw w;
    start(&m, &w, JSONW_LINES);
    jsonw_object(&w, NULL);
    jsonw_string(&w, "format", "x");
    jsonw_object(&w, "tool");
    jsonw_string(&w, "name", "mtasts-scan");
    jsonw_end(&w);
    jsonw_array(&w, "servers");
    jsonw_string(&w, NULL, "127.0.0.1");
    jsonw_string(&w, NULL, "::1");
    jsonw_end(&w);
    jsonw_array(&w, "none");
    jsonw_end(&w);
    jsonw_end(&w);
    expect(&m, "{\n"
               "  \"format\": \"x\",\n"
               "  \"tool\": {\n"
               "    \"name\": \"mtasts-scan\"\n"
               "  },\n"
               "  \"servers\": [\n"
               "    \"127.0.0.1\",\n"
               "    \"::1\"\n"
               "  ],\n"
               "  \"none\": []\n"
               "}");
}

/* The summary's form: lines outside, a group on one line. */
static void test_one_line_inside_lines(void **state)
{
    (void)state;
    struct mem m;
    struct jsonw w;
    start(&m, &w, JSONW_LINES);
    jsonw_object(&w, NULL);
    jsonw_ulong(&w, "total", 10);
    jsonw_object_layout(&w, "verdicts", JSONW_ONE_LINE);
    jsonw_ulong(&w, "enforce_ok", 1);
    jsonw_ulong(&w, "invalid", 2);
    jsonw_array(&w, "inherited");
    jsonw_bool(&w, NULL, 1);
    jsonw_bool(&w, NULL, 0);
    jsonw_end(&w);
    jsonw_end(&w);
    jsonw_array_layout(&w, "c", JSONW_COMPACT);
    jsonw_long(&w, NULL, 1);
    jsonw_long(&w, NULL, 2);
    jsonw_end(&w);
    jsonw_end(&w);
    expect(&m, "{\n"
               "  \"total\": 10,\n"
               "  \"verdicts\": {\"enforce_ok\": 1, \"invalid\": 2, \"inherited\": [true, false]},\n"
               "  \"c\": [1,2]\n"
               "}");
}

/* A bare value as the whole document; an end without an open container writes nothing. */
static void test_scalar_document(void **state)
{
    (void)state;
    struct mem m;
    struct jsonw w;
    start(&m, &w, JSONW_LINES);
    jsonw_string(&w, NULL, "alone");
    jsonw_end(&w);
    expect(&m, "\"alone\"");
}

static void test_too_deep(void **state)
{
    (void)state;
    struct mem m;
    struct jsonw w;
    start(&m, &w, JSONW_COMPACT);
    for (int i = 0; i < JSONW_DEPTH_MAX; i++)
        jsonw_array(&w, NULL);
    assert_int_equal(jsonw_failed(&w), 0);
    jsonw_array(&w, NULL); /* one too many: the writer stops */
    assert_int_equal(jsonw_failed(&w), 1);
    jsonw_long(&w, NULL, 1);
    for (int i = 0; i <= JSONW_DEPTH_MAX; i++)
        jsonw_end(&w);
    char want[JSONW_DEPTH_MAX + 1];
    memset(want, '[', JSONW_DEPTH_MAX);
    want[JSONW_DEPTH_MAX] = '\0';
    expect(&m, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_one_line_inside_lines),
        cmocka_unit_test(test_scalar_document),
        cmocka_unit_test(test_too_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
