/* test_dns_counters: the DNS outcome as reported (detail text, failures by cause) and the
 * no-resolver detection behind --dns-abort-after (issue 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ares.h>
#include <cmocka.h>

#include "scanner/dns.h"

static void test_status_text(void **state)
{
    (void)state;
    assert_string_equal(dns_status_str(DNS_SERVFAIL), "servfail");
    assert_string_equal(dns_status_str(DNS_REFUSED), "refused");
    assert_string_equal(dns_status_str(DNS_TIMEOUT), "timeout");
    assert_string_equal(dns_status_str(DNS_UNREACHABLE), "unreachable");
    assert_string_equal(dns_status_str(DNS_BADRESP), "malformed");
    /* each c-ares outcome keeps its own word: SERVFAIL is not "unreachable" */
    assert_int_equal(dns_status_from_ares(ARES_ESERVFAIL), DNS_SERVFAIL);
    assert_int_equal(dns_status_from_ares(ARES_EREFUSED), DNS_REFUSED);
    assert_int_equal(dns_status_from_ares(ARES_ECONNREFUSED), DNS_UNREACHABLE);
    assert_int_equal(dns_status_from_ares(ARES_EBADRESP), DNS_BADRESP);
    assert_int_equal(dns_status_from_ares(ARES_EFORMERR), DNS_BADRESP);
}

static void test_failures_by_cause(void **state)
{
    (void)state;
    struct dns_counters c;
    memset(&c, 0, sizeof(c));
    c.by_status[DNS_SERVFAIL] = 2;
    c.by_status[DNS_REFUSED] = 3;
    c.by_status[DNS_TIMEOUT] = 4;
    c.by_status[DNS_UNREACHABLE] = 5;
    c.by_status[DNS_BADRESP] = 6;
    c.by_status[DNS_ERROR] = 7;
    c.by_status[DNS_OK] = 100;
    char buf[200];
    assert_string_equal(dns_counters_failures(&c, buf, sizeof(buf)),
                        "2 servfail, 3 refused, 4 timeout, 5 unreachable, 6 malformed, 7 other");
}

static void test_no_answer(void **state)
{
    (void)state;
    struct dns_counters c;
    memset(&c, 0, sizeof(c));
    assert_false(dns_counters_no_answer(&c, 100, 1)); /* nothing looked up */
    c.failed = 99;
    c.by_status[DNS_UNREACHABLE] = 99;
    assert_false(dns_counters_no_answer(&c, 100, 0)); /* not yet 100 */
    c.failed = 100;
    c.by_status[DNS_UNREACHABLE] = 100;
    assert_int_equal(dns_counters_ended(&c), 100);
    assert_true(dns_counters_no_answer(&c, 100, 0));
    assert_false(dns_counters_no_answer(&c, 0, 0)); /* --dns-abort-after 0: never */
    c.answered = 1;                                 /* one answer: a resolver works */
    assert_false(dns_counters_no_answer(&c, 100, 0));
    assert_false(dns_counters_no_answer(&c, 100, 1));
    /* a finished small scan: no reply at all stops it; SERVFAILs may be the domains' fault */
    memset(&c, 0, sizeof(c));
    c.timed_out = 2;
    c.by_status[DNS_TIMEOUT] = 2;
    c.failed = 1;
    c.by_status[DNS_UNREACHABLE] = 1;
    assert_false(dns_counters_no_answer(&c, 100, 0));
    assert_true(dns_counters_no_answer(&c, 100, 1));
    c.failed = 2;
    c.by_status[DNS_SERVFAIL] = 1;
    assert_false(dns_counters_no_answer(&c, 100, 1));
    /* SERVFAIL on all of the first N: no resolver gives answers either */
    memset(&c, 0, sizeof(c));
    c.failed = 100;
    c.by_status[DNS_SERVFAIL] = 100;
    assert_true(dns_counters_no_answer(&c, 100, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_failures_by_cause),
        cmocka_unit_test(test_no_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
