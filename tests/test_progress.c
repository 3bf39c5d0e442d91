/* test_progress: the status line fits the terminal (issue 9: at 80 or 200 columns a 200-260
 * character line wrapped and every redraw left stale rows behind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/progress.h"

/* A busy scan: every counter large, every verdict seen, so the full line is at its longest. */
static struct progress_view busy(unsigned long *by_verdict)
{
    for (int i = 0; i < VERDICT__COUNT; i++)
        by_verdict[i] = 123456 + (unsigned long)i;
    struct progress_view v = {.elapsed_sec = 12345, .done = 1234567, .total = 9999999,
                              .in_flight = 100000, .dns_sent = 98765432, .dns_timeouts = 1234567,
                              .https_fetches = 7654321, .smtp_probes = 1234567,
                              .by_verdict = by_verdict};
    return v;
}

static void test_unlimited_has_every_field(void **state)
{
    (void)state;
    unsigned long bv[VERDICT__COUNT];
    struct progress_view v = busy(bv);
    char line[1024];
    size_t n = progress_format(line, sizeof(line), &v, 0);
    assert_int_equal(n, strlen(line));
    assert_true(n > 200); /* the line this test is about */
    assert_non_null(strstr(line, "1234567/9999999 (12.3%) done"));
    assert_non_null(strstr(line, "ETA "));
    assert_non_null(strstr(line, "100000 in flight"));
    assert_non_null(strstr(line, "dns 98765432 sent 1234567 timeouts"));
    assert_non_null(strstr(line, "https 7654321"));
    assert_non_null(strstr(line, "smtp 1234567"));
    assert_non_null(strstr(line, "sts_unchecked 123465"));
}

static void test_fits_each_width(void **state)
{
    (void)state;
    unsigned long bv[VERDICT__COUNT];
    struct progress_view v = busy(bv);
    char line[1024];
    for (int width = 1; width <= 300; width++) {
        size_t n = progress_format(line, sizeof(line), &v, width);
        assert_int_equal(n, strlen(line));
        /* one column spare: a line that fills the last column wraps on some terminals */
        assert_true(n <= (size_t)(width > 1 ? width - 1 : 1));
    }
}

static void test_narrow_keeps_progress_rate_eta(void **state)
{
    (void)state;
    unsigned long bv[VERDICT__COUNT];
    struct progress_view v = busy(bv);
    char line[1024];
    progress_format(line, sizeof(line), &v, 80);
    assert_non_null(strstr(line, "12345s 1234567/9999999 (12.3%) done"));
    assert_non_null(strstr(line, "/s"));
    assert_non_null(strstr(line, "ETA "));
    assert_null(strstr(line, "sts_unchecked")); /* the least useful go first */
    /* 200 columns keep more than 80 do, and the stage counters */
    char wide[1024];
    progress_format(wide, sizeof(wide), &v, 200);
    assert_true(strlen(wide) > strlen(line));
    assert_non_null(strstr(wide, "dns 98765432 sent"));
    /* a small scan: the first verdict outranks the stage counters at 80 columns; 200 hold all */
    unsigned long few[VERDICT__COUNT] = {3, 1};
    struct progress_view small = {.elapsed_sec = 2, .done = 4, .total = 10, .in_flight = 6,
                                  .dns_sent = 20, .by_verdict = few};
    progress_format(line, sizeof(line), &small, 80);
    assert_string_equal(line, "2s 4/10 (40.0%) done, 2/s, ETA 3s, 6 in flight | not_deployed 3");
    progress_format(line, sizeof(line), &small, 200);
    assert_string_equal(line, "2s 4/10 (40.0%) done, 2/s, ETA 3s, 6 in flight | dns 20 sent 0 "
                              "timeouts | https 0 | smtp 0 | not_deployed 3 enforce_ok 1");
}

static void test_term_width_fallbacks(void **state)
{
    (void)state;
    FILE *f = tmpfile(); /* not a terminal: TIOCGWINSZ fails */
    assert_non_null(f);
    setenv("COLUMNS", "57", 1);
    assert_int_equal(progress_term_width(fileno(f)), 57);
    setenv("COLUMNS", "junk", 1);
    assert_int_equal(progress_term_width(fileno(f)), 80);
    unsetenv("COLUMNS");
    assert_int_equal(progress_term_width(fileno(f)), 80);
    fclose(f);
}

static void test_print_line_ends(void **state)
{
    (void)state;
    unsigned long bv[VERDICT__COUNT] = {0};
    struct progress_view v = {.elapsed_sec = 1, .done = 1, .by_verdict = bv};
    char buf[512] = "";
    FILE *f = tmpfile();
    progress_print(f, &v, 0);
    progress_print(f, &v, 1);
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "1s 1 done, 1/s, 0 in flight | dns 0 sent 0 timeouts | https 0 | smtp 0\n"
                             "\r\033[K1s 1 done, 1/s, 0 in flight | dns 0 sent 0 timeouts | https 0 | smtp 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlimited_has_every_field),
        cmocka_unit_test(test_fits_each_width),
        cmocka_unit_test(test_narrow_keeps_progress_rate_eta),
        cmocka_unit_test(test_term_width_fallbacks),
        cmocka_unit_test(test_print_line_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
