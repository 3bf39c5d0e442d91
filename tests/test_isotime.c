/*
 * test_isotime: the one ISO 8601 form of a time.  Round trips over years 0-9999 (four digits,
 * zero-padded, as strftime's %Y does not write them), the unknown time 0, too small buffers, and
 * every kind of text the parser refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/isotime.h"

#define T_2026 ((time_t)1795327833) /* 2026-11-22T06:10:33Z */

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(isotime_format(T_2026, buf, sizeof(buf)), "2026-11-22T06:10:33Z");
    assert_string_equal(isotime_format_date(T_2026, buf, sizeof(buf)), "2026-11-22");
    assert_string_equal(isotime_format(0, buf, sizeof(buf)), ""); /* unknown */
    assert_string_equal(isotime_format_date(0, buf, sizeof(buf)), "");
    assert_string_equal(isotime_format(-1, buf, sizeof(buf)), "1969-12-31T23:59:59Z");
    /* no room: nothing, not a cut time */
    assert_string_equal(isotime_format(T_2026, buf, ISOTIME_LEN), "");
    assert_string_equal(isotime_format(T_2026, buf, ISOTIME_LEN + 1), "2026-11-22T06:10:33Z");
    assert_string_equal(isotime_format_date(T_2026, buf, ISOTIME_DATE_LEN), "");
    /* A year with no four-digit form is unknown, not "10000-..." */
    assert_string_equal(isotime_format((time_t)253402300800LL, buf, sizeof(buf)), ""); /* 10000-01-01 */
    assert_string_equal(isotime_format((time_t)253402300799LL, buf, sizeof(buf)), "9999-12-31T23:59:59Z");
}

/* Years below 1000 are written with their leading zeros and read back to the same time (fuzz_csvin
 * found "0226-..." read, then written as "226-..." that no reader took). */
static void test_round_trip(void **state)
{
    (void)state;
    const char *texts[] = {"0000-01-01T00:00:00Z", "0001-02-03T04:05:06Z", "0226-11-22T06:10:33Z",
                           "0999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:01Z",
                           "2000-02-29T12:00:00Z", "2026-11-22T06:10:33Z", "9999-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        time_t t = 0;
        char buf[32];
        assert_int_equal(isotime_parse(texts[i], &t), 0);
        assert_string_equal(isotime_format(t, buf, sizeof(buf)), texts[i]);
    }
    time_t t = 0;
    assert_int_equal(isotime_parse("2026-11-22T06:10:33Z", &t), 0);
    assert_int_equal(t, T_2026);
    /* time -> text -> time over a spread of times, before and after 1970 */
    for (long long v = -62167219200LL; v < 253402300800LL; v += 98765432LL) {
        char buf[32];
        time_t back = 0;
        if (v == 0)
            continue;
        assert_int_equal(isotime_parse(isotime_format((time_t)v, buf, sizeof(buf)), &back), 0);
        assert_int_equal((long long)back, v);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    const char *bad[] = {
        "",                      /* empty */
        "2026-11-22T06:10:33",   /* no Z */
        "2026-11-22T06:10:33Z ", /* trailing byte */
        " 226-11-22T06:10:33Z",  /* space for a digit (strptime took it) */
        "226-11-22T06:10:33Z",   /* three-digit year */
        "2026-1-22T06:10:33ZZ",  /* one-digit month */
        "2026-11-22 06:10:33Z",  /* no T */
        "2026/11/22T06:10:33Z",  /* other separators */
        "2026-13-01T00:00:00Z",  /* month 13 */
        "2026-00-01T00:00:00Z",  /* month 0 */
        "2026-02-29T00:00:00Z",  /* not a leap year (timegm would roll over into March) */
        "1900-02-29T00:00:00Z",  /* century, not a leap year */
        "2026-04-31T00:00:00Z",  /* April has 30 days */
        "2026-11-00T00:00:00Z",  /* day 0 */
        "2026-11-22T24:00:00Z",  /* hour 24 */
        "2026-11-22T06:60:00Z",  /* minute 60 */
        "2026-11-22T06:10:60Z",  /* second 60 */
        "2026-11-22T06:10:3aZ",  /* not a digit */
        "+026-11-22T06:10:33Z",  /* sign */
        "2026-11-22T06:10:33+00:00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_t t = 42;
        if (isotime_parse(bad[i], &t) != -1)
            fail_msg("parsed \"%s\"", bad[i]);
        assert_int_equal(t, 42); /* untouched */
    }
    time_t t = 42;
    assert_int_equal(isotime_parse(NULL, &t), -1);
    assert_int_equal(isotime_parse("2000-02-29T00:00:00Z", &t), 0); /* a leap day */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
