/*
 * test_growbuf: the one growth rule for heap arrays: nothing happens while the array is big
 * enough, the capacity doubles from the first size (or from the current one) until the wanted
 * count fits, contents are kept, and an impossible size is an error that leaves the array as it
 * was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/growbuf.h"

static void test_bytes(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t cap = 0;
    assert_int_equal(growbuf_reserve(&buf, &cap, 0, 1, 16), 0); /* nothing wanted: nothing made */
    assert_null(buf);
    assert_int_equal(growbuf_reserve(&buf, &cap, 10, 1, 16), 0);
    assert_non_null(buf);
    assert_int_equal(cap, 16);
    memcpy(buf, "0123456789", 10);
    char *same = buf;
    assert_int_equal(growbuf_reserve(&buf, &cap, 16, 1, 16), 0); /* fits: untouched */
    assert_ptr_equal(buf, same);
    assert_int_equal(cap, 16);
    assert_int_equal(growbuf_reserve(&buf, &cap, 100, 1, 16), 0); /* 16 -> 32 -> 64 -> 128 */
    assert_int_equal(cap, 128);
    assert_memory_equal(buf, "0123456789", 10);
    free(buf);
}

struct item {
    long a;
    char b[24];
};

static void test_elements_and_errors(void **state)
{
    (void)state;
    struct item *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        assert_int_equal(growbuf_reserve(&v, &cap, n + 1, sizeof(*v), 4), 0);
        assert_true(cap >= n + 1);
        v[n].a = (long)n;
    }
    assert_int_equal(cap, 1024);
    for (size_t n = 0; n < 1000; n++)
        assert_int_equal(v[n].a, (long)n);
    struct item *kept = v;
    /* too many elements for the address space: an error, the array and cap as they were */
    assert_int_equal(growbuf_reserve(&v, &cap, SIZE_MAX / 8, sizeof(*v), 4), -1);
    assert_ptr_equal(v, kept);
    assert_int_equal(cap, 1024);
    assert_int_equal(growbuf_reserve(&v, &cap, SIZE_MAX, 1, 4), -1);
    assert_int_equal(cap, 1024);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_elements_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
