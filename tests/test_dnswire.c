/*
 * test_dnswire: the answer-section walker.  A reply with a compressed owner name and two records
 * (TXT, TLSA) is walked record by record; the top bit of a TTL reads as 0; a pointer outside the
 * reply, a record cut inside its RDATA, a header cut short and obsolete label types are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/dnswire.h"

/* header (id 1, QR, 1 question, 2 answers), question "a.test" TXT IN, then two answers whose
 * owner is a pointer to offset 12: a TXT "x" with TTL 0x80000001 and a TLSA 3 1 1 <1 byte>. */
static const unsigned char reply[] = {
    0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
    1, 'a', 4, 't', 'e', 's', 't', 0, 0, 16, 0, 1,
    0xC0, 12, 0, 16, 0, 1, 0x80, 0, 0, 1, 0, 2, 1, 'x',
    0xC0, 12, 0, 52, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 3, 1, 1, 0xAB,
};

static void test_walk(void **state)
{
    (void)state;
    struct dnswire w;
    struct dnswire_rr rr;
    assert_int_equal(dnswire_open(&w, reply, (int)sizeof(reply)), 0);
    assert_int_equal(dnswire_next(&w, &rr), 1);
    assert_int_equal(rr.type, 16);
    assert_int_equal(rr.ttl, 0); /* RFC 2181 §8 */
    assert_int_equal(rr.rdlen, 2);
    assert_memory_equal(rr.rdata, "\001x", 2);
    assert_int_equal(dnswire_next(&w, &rr), 1);
    assert_int_equal(rr.type, 52);
    assert_int_equal(rr.ttl, 3600);
    assert_int_equal(rr.rdlen, 4);
    assert_int_equal(rr.rdata[3], 0xAB);
    assert_int_equal(dnswire_next(&w, &rr), 0);
    assert_int_equal(dnswire_next(&w, &rr), 0);
}

static void test_cut_and_bad(void **state)
{
    (void)state;
    struct dnswire w;
    struct dnswire_rr rr;
    unsigned char buf[sizeof(reply)];
    /* every cut inside the last record's RDATA or header is malformed, never a short record */
    for (int len = 38; len < (int)sizeof(reply); len++) {
        assert_int_equal(dnswire_open(&w, reply, len), 0);
        assert_int_equal(dnswire_next(&w, &rr), 1);
        assert_int_equal(dnswire_next(&w, &rr), -1);
    }
    assert_int_equal(dnswire_open(&w, reply, 11), -1);    /* no whole header */
    assert_int_equal(dnswire_open(&w, reply, 20), -1);    /* question cut */
    assert_int_equal(dnswire_open(&w, NULL, 0), -1);
    memcpy(buf, reply, sizeof(buf));
    buf[25] = 200; /* the first answer's owner points past the end */
    assert_int_equal(dnswire_open(&w, buf, (int)sizeof(buf)), 0);
    assert_int_equal(dnswire_next(&w, &rr), -1);
    memcpy(buf, reply, sizeof(buf));
    buf[24] = 0x40; /* an obsolete extended label type */
    assert_int_equal(dnswire_open(&w, buf, (int)sizeof(buf)), 0);
    assert_int_equal(dnswire_next(&w, &rr), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_cut_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
