/* test_ratelimit: the token bucket with an explicit clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/ratelimit.h"

static void test_burst_then_rate(void **state)
{
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r, 10, 3, 100.0);
    assert_true(ratelimit_take(&r, 100.0));
    assert_true(ratelimit_take(&r, 100.0));
    assert_true(ratelimit_take(&r, 100.0));
    assert_false(ratelimit_take(&r, 100.0));
    assert_true(ratelimit_wait(&r, 100.0) > 0.09 && ratelimit_wait(&r, 100.0) < 0.11);
    assert_false(ratelimit_take(&r, 100.05));
    assert_true(ratelimit_take(&r, 100.101));
    /* a long pause refills only up to the burst */
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_take(&r, 200.0));
    assert_false(ratelimit_take(&r, 200.0));
}

static void test_unlimited(void **state)
{
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r, 0, 1, 0);
    for (int i = 0; i < 100000; i++)
        assert_true(ratelimit_take(&r, 0));
    assert_true(ratelimit_wait(&r, 0) == 0);
}

static void test_steady_count(void **state)
{
    (void)state;
    struct ratelimit r;
    ratelimit_init(&r, 100, 1, 0);
    int taken = 0;
    /* 10 s at 100/s plus the initial token; the clock is sampled every 0.1 ms, so a token may
     * be seen up to one step late (at most 1% here), never early. */
    for (int step = 0; step < 100000; step++)
        taken += ratelimit_take(&r, step / 10000.0);
    assert_in_range(taken, 985, 1001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_steady_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
