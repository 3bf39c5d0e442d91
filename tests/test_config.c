/* test_config: command-line parsing into the configuration object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/config.h"

static int parse(struct config *cfg, const char *const *args, size_t n)
{
    char *argv[32];
    argv[0] = (char *)"mtasts-scan";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    config_defaults(cfg);
    FILE *sink = fopen("/dev/null", "w");
    int r = config_parse_args(cfg, (int)n + 1, argv, sink, sink);
    fclose(sink);
    return r;
}

static void test_defaults(void **state)
{
    (void)state;
    struct config cfg;
    assert_int_equal(parse(&cfg, NULL, 0), 0);
    assert_string_equal(cfg.input, "-");
    assert_string_equal(cfg.output, "-");
    assert_int_equal(cfg.starttls, STARTTLS_MODE_STS);
    assert_int_equal(cfg.concurrency, 1000);
    assert_true(cfg.rate == 1000);
    assert_string_equal(cfg.resolvers, "");
    assert_null(cfg.mx_output);
    /* 3 tries of t, 2t, 4t fit in the 10 s --timeout */
    assert_true(config_dns_timeout(&cfg) > 1.42 && config_dns_timeout(&cfg) < 1.43);
    const char *a[] = {"--dns-timeout", "0.5"};
    assert_int_equal(parse(&cfg, a, 2), 0);
    assert_true(config_dns_timeout(&cfg) == 0.5);
}

static void test_contract_options(void **state)
{
    (void)state;
    struct config cfg;
    const char *a[] = {"-o", "out.csv.zst", "--mx-output", "mx.csv", "--resolver", "127.0.0.1:5353",
                       "--resolver", "::1,10.0.0.1", "--ca-file", "ca.pem", "--concurrency", "50",
                       "--rate", "12.5", "--timeout", "3", "--retries", "4", "--starttls", "all",
                       "-q", "input.txt"};
    assert_int_equal(parse(&cfg, a, sizeof(a) / sizeof(a[0])), 0);
    assert_string_equal(cfg.output, "out.csv.zst");
    assert_string_equal(cfg.mx_output, "mx.csv");
    assert_string_equal(cfg.resolvers, "127.0.0.1:5353,::1,10.0.0.1");
    assert_string_equal(cfg.ca_file, "ca.pem");
    assert_int_equal(cfg.concurrency, 50);
    assert_true(cfg.rate == 12.5);
    assert_true(cfg.timeout_sec == 3);
    assert_int_equal(cfg.retries, 4);
    assert_int_equal(cfg.starttls, STARTTLS_MODE_ALL);
    assert_int_equal(cfg.progress, PROGRESS_OFF);
    assert_string_equal(cfg.input, "input.txt");
}

static void test_bad_values(void **state)
{
    (void)state;
    struct config cfg;
    const char *bad[][2] = {{"--concurrency", "0"}, {"--concurrency", "12x"}, {"--rate", "-1"},
                            {"--starttls", "some"}, {"--timeout", "0"}, {"--shard", "3/3"},
                            {"--shard", "1"}, {"--smtp-port", "70000"}, {"--retries", "99"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(&cfg, bad[i], 2), -1);
    const char *two_inputs[] = {"a.txt", "b.txt"};
    assert_int_equal(parse(&cfg, two_inputs, 2), -1);
    const char *unknown[] = {"--frobnicate"};
    assert_int_equal(parse(&cfg, unknown, 1), -1);
}

static void test_shard_and_exit_options(void **state)
{
    (void)state;
    struct config cfg;
    const char *a[] = {"--shard", "2/5", "--dns-only", "--policy-all"};
    assert_int_equal(parse(&cfg, a, 4), 0);
    assert_int_equal(cfg.shard_index, 2);
    assert_int_equal(cfg.shard_count, 5);
    assert_true(cfg.dns_only && cfg.policy_all);
    const char *h[] = {"--help"};
    assert_int_equal(parse(&cfg, h, 1), 1);
    const char *v[] = {"--version"};
    assert_int_equal(parse(&cfg, v, 1), 1);
    const char *s[] = {"--schema"};
    assert_int_equal(parse(&cfg, s, 1), 1);
}

static void test_scale_options(void **state)
{
    (void)state;
    struct config cfg;
    assert_int_equal(parse(&cfg, NULL, 0), 0);
    assert_int_equal(cfg.n_blocklist, 0);
    assert_true(cfg.dns_rate == 0); /* unlimited unless asked */
    const char *a[] = {"--blocklist", "optout.blocklist", "--dns-rate", "250.5", "--blocklist", "zmap.conf"};
    assert_int_equal(parse(&cfg, a, 6), 0);
    assert_int_equal(cfg.n_blocklist, 2); /* a second list adds to the first */
    assert_string_equal(cfg.blocklist[0], "optout.blocklist");
    assert_string_equal(cfg.blocklist[1], "zmap.conf");
    assert_true(cfg.dns_rate == 250.5);
    const char *many[18];
    for (int i = 0; i < 18; i += 2) {
        many[i] = "--blocklist";
        many[i + 1] = "x";
    }
    assert_int_equal(parse(&cfg, many, 16), 0);
    assert_int_equal(parse(&cfg, many, 18), -1); /* a ninth is refused, not dropped */
    const char *bad[][2] = {{"--dns-rate", "-1"}, {"--dns-rate", "fast"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(&cfg, bad[i], 2), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_contract_options),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_shard_and_exit_options),
        cmocka_unit_test(test_scale_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
