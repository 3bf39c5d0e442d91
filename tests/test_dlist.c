/*
 * test_dlist: the lists threaded through their nodes: push at the front keeps the newest first,
 * and unlinking the first, a middle or the last node leaves the others linked both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/dlist.h"

struct node {
    int v;
    struct node *prev, *next;
};

/* The values from head on, checking every back link; returns how many. */
static int walk(const struct node *head, int *out)
{
    int n = 0;
    const struct node *before = NULL;
    for (const struct node *x = head; x; x = x->next) {
        assert_ptr_equal(x->prev, before);
        out[n++] = x->v;
        before = x;
    }
    return n;
}

static void test_push_and_unlink(void **state)
{
    (void)state;
    struct node a = {1, NULL, NULL}, b = {2, NULL, NULL}, c = {3, NULL, NULL}, d = {4, NULL, NULL};
    struct node *head = NULL;
    int v[4];
    DLIST_PUSH_FRONT(head, &a, prev, next);
    DLIST_PUSH_FRONT(head, &b, prev, next);
    DLIST_PUSH_FRONT(head, &c, prev, next);
    DLIST_PUSH_FRONT(head, &d, prev, next);
    assert_int_equal(walk(head, v), 4);
    assert_int_equal(v[0], 4);
    assert_int_equal(v[3], 1);
    DLIST_UNLINK(head, &c, prev, next); /* a middle node */
    assert_int_equal(walk(head, v), 3);
    assert_int_equal(v[0], 4);
    assert_int_equal(v[1], 2);
    DLIST_UNLINK(head, &d, prev, next); /* the first */
    assert_ptr_equal(head, &b);
    assert_int_equal(walk(head, v), 2);
    DLIST_UNLINK(head, &a, prev, next); /* the last */
    assert_int_equal(walk(head, v), 1);
    assert_int_equal(v[0], 2);
    DLIST_UNLINK(head, &b, prev, next); /* the only one */
    assert_null(head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_and_unlink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
