/*
 * test_arena: the per-owner allocator (lib/arena): allocations stay valid and apart until a
 * reset, big ones get a chunk of their own, a reset keeps only the first chunk (so a reused
 * owner holds a small constant), alignment, and an allocation that cannot be had leaves what was
 * allocated intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/arena.h"

static void test_strings_apart_and_packed(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 256);
    assert_int_equal(arena_held(&a), 0); /* nothing taken before the first allocation */
    char *x = arena_strdup(&a, "example.com");
    char *y = arena_strndup(&a, "mx.example.net.extra", 14);
    assert_string_equal(x, "example.com");
    assert_string_equal(y, "mx.example.net");
    assert_ptr_equal(y, x + strlen(x) + 1); /* text is packed, not aligned */
    assert_int_equal(arena_held(&a), 256);
    void *p = arena_alloc(&a, 24);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    arena_free(&a);
}

static void test_growth_and_reset(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 64);
    char *first = arena_strdup(&a, "a.test");
    char *strs[100];
    for (int i = 0; i < 100; i++) { /* 100 x 30 bytes: past the first chunk and the next */
        char buf[32];
        snprintf(buf, sizeof(buf), "host-%03d.example-long-name.test", i);
        strs[i] = arena_strdup(&a, buf);
        assert_non_null(strs[i]);
    }
    for (int i = 0; i < 100; i++) {
        char buf[32];
        snprintf(buf, sizeof(buf), "host-%03d.example-long-name.test", i);
        assert_string_equal(strs[i], buf);
    }
    assert_string_equal(first, "a.test");
    assert_true(arena_held(&a) > 64 + ARENA_CHUNK_MIN);
    /* a request bigger than ARENA_CHUNK_MIN gets a chunk of its size */
    unsigned char *big = arena_alloc(&a, 5000);
    assert_non_null(big);
    memset(big, 0xab, 5000);
    arena_reset(&a);
    assert_int_equal(arena_held(&a), 64); /* the first chunk only */
    char *again = arena_strdup(&a, "b.test");
    assert_ptr_equal(again, first); /* the kept chunk is reused from its start */
    arena_free(&a);
    assert_int_equal(arena_held(&a), 0);
    /* usable again after arena_free */
    assert_string_equal(arena_strdup(&a, "c.test"), "c.test");
    arena_free(&a);
}

/* The first chunk has its configured size whatever the first request: a big first allocation
 * goes to a chunk of its own, which a reset frees. */
static void test_big_first_request(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 128);
    assert_non_null(arena_alloc(&a, 4000));
    assert_int_equal(arena_held(&a), 128 + 4000);
    arena_reset(&a);
    assert_int_equal(arena_held(&a), 128);
    arena_free(&a);
}

static void test_impossible_request(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 64);
    char *x = arena_strdup(&a, "kept.test");
    assert_null(arena_alloc(&a, SIZE_MAX - 8));
    assert_null(arena_strndup(&a, "x", SIZE_MAX));
    assert_string_equal(x, "kept.test");
    assert_string_equal(arena_strdup(&a, "next.test"), "next.test");
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_apart_and_packed),
        cmocka_unit_test(test_growth_and_reset),
        cmocka_unit_test(test_big_first_request),
        cmocka_unit_test(test_impossible_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
