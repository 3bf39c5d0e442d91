/* test_addrlimit: per-address connection caps, FIFO order, release of queued tickets, rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "pipeline/addrlimit.h"

static int order[16];
static int n_started;

static void go(struct addrlimit_ticket *t)
{
    order[n_started++] = (int)(intptr_t)t->arg;
}

static void init_tickets(struct addrlimit_ticket *t, int n)
{
    memset(t, 0, sizeof(*t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        t[i].go = go;
        t[i].arg = (void *)(intptr_t)i;
    }
    n_started = 0;
}

static void test_cap_and_fifo(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct addrlimit *l = addrlimit_new(base, 2, 0);
    struct addrlimit_ticket t[5];
    init_tickets(t, 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(addrlimit_acquire(l, "192.0.2.1", &t[i]), 0);
    assert_int_equal(addrlimit_acquire(l, "192.0.2.2", &t[4]), 0); /* another address: free */
    assert_int_equal(n_started, 3);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 4);
    addrlimit_release(&t[2]); /* abandoned while queued: never starts */
    addrlimit_release(&t[0]);
    assert_int_equal(n_started, 4);
    assert_int_equal(order[3], 3);
    addrlimit_release(&t[0]); /* idle now: no-op */
    assert_int_equal(n_started, 4);
    addrlimit_release(&t[1]);
    addrlimit_release(&t[3]);
    addrlimit_release(&t[4]);
    addrlimit_free(l);
    event_base_free(base);
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void test_rate(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct addrlimit *l = addrlimit_new(base, 100, 20); /* 20 new connections/s */
    struct addrlimit_ticket t[5];
    init_tickets(t, 5);
    double t0 = now();
    for (int i = 0; i < 5; i++)
        addrlimit_acquire(l, "198.51.100.7", &t[i]);
    assert_int_equal(n_started, 1); /* the bucket holds one token */
    while (n_started < 5 && now() - t0 < 5)
        event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(n_started, 5);
    /* four more tokens at 20/s take at least 0.2 s */
    assert_true(now() - t0 >= 0.19);
    for (int i = 0; i < 5; i++)
        addrlimit_release(&t[i]);
    addrlimit_free(l);
    event_base_free(base);
}

static void release_inside(struct addrlimit_ticket *t)
{
    order[n_started++] = (int)(intptr_t)t->arg;
    addrlimit_release(t); /* a connection that fails at once */
}

static void test_synchronous_release(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct addrlimit *l = addrlimit_new(base, 1, 0);
    struct addrlimit_ticket t[3];
    init_tickets(t, 3);
    for (int i = 0; i < 3; i++)
        t[i].go = release_inside;
    for (int i = 0; i < 3; i++)
        addrlimit_acquire(l, "203.0.113.9", &t[i]);
    assert_int_equal(n_started, 3); /* each failure let the next one go */
    addrlimit_free(l);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_and_fifo),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_synchronous_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
