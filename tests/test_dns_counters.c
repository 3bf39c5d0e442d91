/* test_dns_counters: the DNS outcome as reported (detail text, failures by cause) and the
 * no-resolver detection behind --dns-abort-after (issue 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* A reply to "ex.test MX" with one answer, MX 10 mx.ex.test (compressed). */
static const unsigned char MX_REPLY[] = {
    0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,            /* header: 1 question, 1 answer */
    2, 'e', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1,        /* ex.test MX IN */
    0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0x0e, 0x10, 0, 7,           /* name, MX IN, TTL, rdlength 7 */
    0, 10, 2, 'm', 'x', 0xc0, 0x0c};                          /* 10 mx.ex.test */

static void test_wellformed(void **state)
{
    (void)state;
    assert_true(dns_answer_wellformed(MX_REPLY, (int)sizeof(MX_REPLY)));
    /* every cut-short copy is malformed: c-ares passes these on as ARES_SUCCESS */
    for (int len = 0; len < (int)sizeof(MX_REPLY); len++)
        if (dns_answer_wellformed(MX_REPLY, len))
            fail_msg("accepted the first %d bytes", len);
    assert_false(dns_answer_wellformed(NULL, 0));
    unsigned char bad[sizeof(MX_REPLY)];
    memcpy(bad, MX_REPLY, sizeof(bad));
    bad[26] = 0xc0, bad[27] = 0xff; /* a pointer past the end */
    assert_false(dns_answer_wellformed(bad, (int)sizeof(bad)));
    memcpy(bad, MX_REPLY, sizeof(bad));
    bad[12] = 0x40; /* a reserved label type */
    assert_false(dns_answer_wellformed(bad, (int)sizeof(bad)));
    memcpy(bad, MX_REPLY, sizeof(bad));
    bad[7] = 0; /* no answer record: the question alone is well formed (NODATA) */
    assert_true(dns_answer_wellformed(bad, 25));
    /* random damage never reads outside the buffer (the sanitizer build checks it): each copy
     * is exactly as long as the bytes it holds */
    srand(9);
    for (int round = 0; round < 20000; round++) {
        int len = rand() % (int)sizeof(MX_REPLY) + 1;
        unsigned char *p = malloc((size_t)len);
        memcpy(p, MX_REPLY, (size_t)len);
        for (int k = rand() % 4; k >= 0; k--)
            p[rand() % len] = (unsigned char)rand();
        (void)dns_answer_wellformed(p, len);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_failures_by_cause),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_wellformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
