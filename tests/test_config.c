/* test_config: command-line parsing into the configuration object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/config.h"
#include "scanner/classify.h"
#include "tests/support/tls_server.h"

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

/* Parses args like parse(), with what goes to out and err captured into the two buffers. */
static int parse_capture(struct config *cfg, const char *const *args, size_t n, char *out,
                         char *err, size_t len)
{
    char *argv[32];
    argv[0] = (char *)"mtasts-scan";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    config_defaults(cfg);
    FILE *o = tmpfile(), *e = tmpfile();
    int r = config_parse_args(cfg, (int)n + 1, argv, o, e);
    FILE *f[2] = {o, e};
    char *buf[2] = {out, err};
    for (int i = 0; i < 2; i++) {
        rewind(f[i]);
        size_t got = fread(buf[i], 1, len - 1, f[i]);
        buf[i][got] = '\0';
        fclose(f[i]);
    }
    return r;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
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
    const char *ok[] = {"--ehlo-name", "[192.0.2.1]", "--user-agent", "scan/1.0 (+https://x.example)"};
    assert_int_equal(parse(&cfg, ok, 4), 0);
    assert_string_equal(cfg.ehlo_name, "[192.0.2.1]");
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

/* Issue 9: a bad value gets one line naming the option, the value and what is expected. */
static void test_error_lines(void **state)
{
    (void)state;
    struct config cfg;
    char out[4096], err[4096];
    const struct {
        const char *opt, *val, *expect;
    } cases[] = {
        {"--resolver", "127.0.0.1:99999", "IP:PORT"},
        {"--resolver", "1.2.3:x", "IP:PORT"},
        {"--resolver", "dns.example", "[ADDR]:PORT"},
        {"--resolver", "::1]:53", "PORT from 1 to 65535"},
        {"--resolver", "127.0.0.1:0", "PORT from 1 to 65535"},
        {"--resolver", "127.0.0.1,", "IP or IP:PORT"},
        {"--shard", "3/3", "I/N with 0 <= I < N"},
        {"--shard", "1", "I/N"},
        {"--shard", "-1/4", "I/N"},
        {"--concurrency", "0", "expected a whole number from 1 to 1000000"},
        {"--rate", "nan", "expected a number from 0 to 1000000000"},
        {"--rate", "inf", "expected a number from 0 to 1000000000"},
        {"--timeout", "0", "expected a number from 0.05 to 3600"},
        {"--retries", "99", "from 0 to 20"},
        {"--smtp-port", "70000", "from 1 to 65535"},
        {"--https-port", "0", "from 1 to 65535"},
        {"--mx-addr-max", "9", "from 1 to 8"},
        {"--tls-threads", "65", "from 0 to 64"},
        {"--dns-abort-after", "-1", "from 0 to 1000000000"},
        {"--starttls", "some", "all, sts or none"},
        {"--ehlo-name", "", "a host name"},
        {"--ehlo-name", "mx.example\r\nMAIL FROM:<a@b>", "a host name"},
        {"--user-agent", "ua\r\nX-Injected: 1", "no control characters"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *a[] = {cases[i].opt, cases[i].val};
        assert_int_equal(parse_capture(&cfg, a, 2, out, err, sizeof(err)), -1);
        char want[256];
        snprintf(want, sizeof(want), "mtasts-scan: invalid value '%s' for %s: ",
                 strchr(cases[i].val, '\r') ? "" : cases[i].val, cases[i].opt);
        if (strchr(cases[i].val, '\r')) /* shown escaped, still one line */
            snprintf(want, sizeof(want), "mtasts-scan: invalid value '%.*s\\x0d\\x0a",
                     (int)strcspn(cases[i].val, "\r"), cases[i].val);
        if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, cases[i].expect) ||
            count_lines(err) != 1)
            fail_msg("%s %s gave: %s", cases[i].opt, cases[i].val, err);
        assert_null(strstr(err, "error:")); /* no OpenSSL error stack */
    }
}

/* --ca-file is checked before the scan starts (parsing stays pure): one line, no OpenSSL stack */
static void test_ca_file_check(void **state)
{
    (void)state;
    struct config cfg;
    const char *cases[][2] = {{"/nonexistent/missing.pem", "No such file or directory; expected a readable PEM file"},
                              {"/dev/null", "no PEM certificate in it; expected a readable PEM file"}};
    for (size_t i = 0; i < 2; i++) {
        const char *a[] = {"--ca-file", cases[i][0]};
        assert_int_equal(parse(&cfg, a, 2), 0);
        char err[1024];
        FILE *e = tmpfile();
        assert_int_equal(config_check_files(&cfg, e), -1);
        rewind(e);
        err[fread(err, 1, sizeof(err) - 1, e)] = '\0';
        char want[256];
        snprintf(want, sizeof(want), "mtasts-scan: invalid value '%s' for --ca-file: %s", cases[i][0],
                 cases[i][1]);
        assert_memory_equal(err, want, strlen(want));
        assert_int_equal(count_lines(err), 1);
        assert_null(strstr(err, "error:"));
        cfg.dns_only = 1; /* no TLS context is built: nothing to check */
        rewind(e);
        assert_int_equal(config_check_files(&cfg, e), 0);
        assert_int_equal(ftell(e), 0);
        fclose(e);
    }
    /* a CA certificate written here passes */
    struct ts_pki pki;
    ts_pki_init(&pki, "test CA");
    const char *a[] = {"--ca-file", pki.ca_path};
    assert_int_equal(parse(&cfg, a, 2), 0);
    assert_int_equal(config_check_files(&cfg, stderr), 0);
    ts_pki_free(&pki);
    const char *none[] = {"--dns-only"};
    assert_int_equal(parse(&cfg, none, 1), 0);
    assert_int_equal(config_check_files(&cfg, stderr), 0);
}

static void test_resolver_forms(void **state)
{
    (void)state;
    const char *good[] = {"127.0.0.1", "127.0.0.1:53", "127.0.0.1:65535", "::1", "[::1]:53",
                          "[2001:db8::1]:5353", "[::1]", "fe80::1"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (config_resolver_check(good[i]) != 0)
            fail_msg("rejected %s", good[i]);
    const char *bad[] = {"", "127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:", "127.0.0.1:53x",
                         "[::1]:", "[::1", "[::1]x", "[127.0.0.1]:53", "1.2.3", "1.2.3.4.5",
                         "dns.example", "::1:53:zz", "[::1]:65536"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (config_resolver_check(bad[i]) != -1)
            fail_msg("accepted '%s'", bad[i]);
    struct config cfg;
    const char *a[] = {"--resolver", "[::1]:53,127.0.0.1:5353", "--resolver", "10.0.0.1"};
    assert_int_equal(parse(&cfg, a, 4), 0);
    assert_string_equal(cfg.resolvers, "[::1]:53,127.0.0.1:5353,10.0.0.1");
}

static void test_version(void **state)
{
    (void)state;
    struct config cfg;
    char out[4096], err[4096];
    const char *v[] = {"--version"};
    assert_int_equal(parse_capture(&cfg, v, 1, out, err, sizeof(out)), 1);
    /* "mtasts-scan VERSION (git REVISION)": the second word stays the bare version */
    char want[64];
    snprintf(want, sizeof(want), "mtasts-scan %s (git ", MTASTS_VERSION);
    assert_memory_equal(out, want, strlen(want));
    const char *rev = out + strlen(want);
    assert_true(rev[0] != ')' && rev[0] != '\n'); /* a revision, or "unknown" */
    assert_int_equal(count_lines(out), 2);
    const char *libs = strchr(out, '\n') + 1;
    assert_non_null(strstr(libs, "libevent 2."));
    assert_non_null(strstr(libs, "c-ares 1."));
    assert_non_null(strstr(libs, "OpenSSL 3."));
    assert_non_null(strstr(libs, "zstd 1."));
    assert_string_equal(err, "");
}

static void test_dns_abort_after(void **state)
{
    (void)state;
    struct config cfg;
    assert_int_equal(parse(&cfg, NULL, 0), 0);
    assert_int_equal(cfg.dns_abort_after, 100);
    const char *a[] = {"--dns-abort-after", "0"};
    assert_int_equal(parse(&cfg, a, 2), 0);
    assert_int_equal(cfg.dns_abort_after, 0);
    char out[16384], err[256];
    const char *h[] = {"--help"};
    assert_int_equal(parse_capture(&cfg, h, 1, out, err, sizeof(out)), 1);
    assert_non_null(strstr(out, "--dns-abort-after N"));
    assert_non_null(strstr(out, "exit status 4"));
}

static void test_input_looks_like_domain(void **state)
{
    (void)state;
    const char *domains[] = {"example.com", "mail.example.co.uk", "EXAMPLE.COM.", "xn--bcher-kva.example"};
    for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
        if (!config_input_looks_like_domain(domains[i]))
            fail_msg("not a domain: %s", domains[i]);
    const char *files[] = {"domains.txt", "top-1m.csv", "top-1m.csv.zst", "./list", "/tmp/x.com",
                           "list", "-", "a.b1", "sites.json", "x..", "."};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (config_input_looks_like_domain(files[i]))
            fail_msg("a domain: %s", files[i]);
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

/* Parses args for cmd like parse_capture(). */
static int parse_cmd(struct config *cfg, enum config_command cmd, const char *const *args, size_t n,
                     char *err, size_t len)
{
    char *argv[32];
    argv[0] = (char *)"cmd";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    config_defaults_for(cfg, cmd);
    FILE *o = fopen("/dev/null", "w"), *e = tmpfile();
    int r = config_parse_command(cfg, cmd, (int)n + 1, argv, o, e);
    rewind(e);
    err[fread(err, 1, len - 1, e)] = '\0';
    fclose(o);
    fclose(e);
    return r;
}

/* Issue 20: a single-value option given twice is refused (the last one no longer silently wins);
 * the repeatable ones (--resolver, --blocklist) and flags are not. */
static void test_repeated_option(void **state)
{
    (void)state;
    struct config cfg;
    char err[1024];
    const char *twice[][4] = {{"--resume", "a.csv", "--resume", "b.csv"},
                              {"-o", "a.csv", "--output", "b.csv"},
                              {"--previous", "a.csv", "--previous", "b.csv"},
                              {"--concurrency", "5", "--concurrency", "6"}};
    for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
        assert_int_equal(parse_cmd(&cfg, CONFIG_CMD_SCAN, twice[i], 4, err, sizeof(err)), -1);
        char want[128];
        snprintf(want, sizeof(want), "given twice ('%s', then '%s'): it takes one value", twice[i][1],
                 twice[i][3]);
        if (!strstr(err, want) || count_lines(err) != 1)
            fail_msg("%s twice gave: %s", twice[i][0], err);
    }
    assert_non_null(strstr(err, "mtasts-scan: --concurrency given twice ('5', then '6')"));
    const char *diff_o[] = {"-o", "a", "-o", "b", "old", "new"};
    assert_int_equal(parse_cmd(&cfg, CONFIG_CMD_DIFF, diff_o, 6, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "mtasts-scan diff: -o given twice"));
    const char *ok[] = {"--resolver", "127.0.0.1", "--resolver", "::1", "--blocklist", "x",
                        "--blocklist", "y", "--dns-only", "--dns-only", "-q", "-q"};
    assert_int_equal(parse_cmd(&cfg, CONFIG_CMD_SCAN, ok, 12, err, sizeof(err)), 0);
    assert_string_equal(cfg.resolvers, "127.0.0.1,::1");
    assert_int_equal(cfg.n_blocklist, 2);
}

/* The command mask: check refuses the bulk scan's options, diff the scan's, the scan check's; the
 * message names the commands that take it. */
static void test_command_masks(void **state)
{
    (void)state;
    struct config cfg;
    char err[1024];
    const struct {
        enum config_command cmd;
        const char *args[2];
        size_t n;
        const char *want;
    } cases[] = {
        {CONFIG_CMD_CHECK, {"--resume", "x"}, 2, "mtasts-scan check: --resume is not an option of check (only of the scan)"},
        {CONFIG_CMD_CHECK, {"-o", "x"}, 2, "mtasts-scan check: -o is not an option of check (only of the scan, diff, merge)"},
        {CONFIG_CMD_CHECK, {"--shard", "0/1"}, 2, "not an option of check"},
        {CONFIG_CMD_CHECK, {"--metadata", "m.json"}, 2, "not an option of check"},
        {CONFIG_CMD_CHECK, {"--fail-on", "error"}, 2, "not an option of check (only of the scan, diff)"},
        {CONFIG_CMD_SCAN, {"--format", "json"}, 2, "mtasts-scan: --format is not an option of the scan (only of check)"},
        {CONFIG_CMD_DIFF, {"--concurrency", "3"}, 2, "mtasts-scan diff: --concurrency is not an option of diff"},
        {CONFIG_CMD_DIFF, {"--mx"}, 1, "only of merge"},
        {CONFIG_CMD_MERGE, {"--expiry-days", "3"}, 2, "mtasts-scan merge: --expiry-days is not an option of merge"},
        {CONFIG_CMD_DIFF, {"--expiry-days", "x"}, 2, "mtasts-scan: invalid value 'x' for --expiry-days: expected a whole number from 0 to 36500"},
        {CONFIG_CMD_DIFF, {"--fail-on", "bogus"}, 2, "mtasts-scan: invalid value 'bogus' for --fail-on: "},
        {CONFIG_CMD_MERGE, {"--frobnicate"}, 1, "mtasts-scan merge: unknown option '--frobnicate'\nTry 'mtasts-scan merge --help'."},
        {CONFIG_CMD_SCAN, {"--resume"}, 1, "mtasts-scan: option '--resume' needs a value"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = parse_cmd(&cfg, cases[i].cmd, cases[i].args, cases[i].n, err, sizeof(err));
        if (r != -1 || !strstr(err, cases[i].want))
            fail_msg("%s: %d %s", cases[i].args[0], r, err);
    }
    /* what diff and merge take, into the same object */
    const char *d[] = {"--testing-days", "7", "--fail-on", "would_fail,error", "--new-mx", "n.csv",
                       "OLD", "NEW", "--allow-partial"};
    assert_int_equal(parse_cmd(&cfg, CONFIG_CMD_DIFF, d, 9, err, sizeof(err)), 0);
    assert_int_equal(cfg.testing_days, 7);
    assert_int_equal(cfg.expiry_days, 30);
    assert_true(cfg.has_fail_on && cfg.allow_partial);
    assert_string_equal(cfg.new_mx, "n.csv");
    assert_string_equal(cfg.output, "-");
    assert_int_equal(cfg.n_args, 2);
    assert_string_equal(cfg.args[1], "NEW");
    const char *m[] = {"-q", "--mx", "--csv-formula-guard", "-o", "all.csv", "a", "b", "c"};
    assert_int_equal(parse_cmd(&cfg, CONFIG_CMD_MERGE, m, 8, err, sizeof(err)), 0);
    assert_true(cfg.quiet && cfg.mx_tables && cfg.csv_formula_guard);
    assert_int_equal(cfg.progress, PROGRESS_AUTO); /* merge's -q is its own row */
    assert_int_equal(cfg.n_args, 3);
    config_defaults_for(&cfg, CONFIG_CMD_MERGE);
    assert_null(cfg.output); /* merge's -o has no default: it is required */
}

/* --help prints each default from the value config_defaults sets (never typed twice). */
static void test_help_defaults(void **state)
{
    (void)state;
    char buf[32768];
    FILE *f = tmpfile();
    config_print_usage(CONFIG_CMD_SCAN, f);
    rewind(f);
    buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
    fclose(f);
    char want[64];
    snprintf(want, sizeof(want), "below SEC (default %ld)", CLASSIFY_MAX_AGE_MIN_ENFORCE);
    assert_non_null(strstr(buf, want));
    snprintf(want, sizeof(want), "below SEC (default %ld)", CLASSIFY_MAX_AGE_MIN_TESTING);
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "domains in flight at most (default 1000)"));
    assert_non_null(strstr(buf, "whose MX hosts are probed (default sts)"));
    assert_null(strstr(buf, "--format")); /* check's */
    struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.max_age_min_enforce, CLASSIFY_MAX_AGE_MIN_ENFORCE);
    assert_int_equal(cfg.expiry_days, CHANGES_EXPIRY_DAYS);
    /* check's own defaults are values too, and its --help prints them */
    config_defaults_for(&cfg, CONFIG_CMD_CHECK);
    assert_true(cfg.check_mode && cfg.advisories);
    /* the scan engine that check runs reads these (a NULL -o crashed check on a terminal) */
    assert_string_equal(cfg.output, "-");
    assert_string_equal(cfg.input, "-");
    assert_non_null(cfg.user_agent);
    assert_non_null(cfg.ehlo_name);
    assert_int_equal(cfg.shard_count, 1);
    assert_int_equal(cfg.dns_abort_after, 0);
    f = tmpfile();
    config_print_usage(CONFIG_CMD_CHECK, f);
    rewind(f);
    buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "0 = never (default 0)"));
    assert_non_null(strstr(buf, "--format FMT"));
    assert_null(strstr(buf, "--resume FILE"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_contract_options),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_shard_and_exit_options),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_ca_file_check),
        cmocka_unit_test(test_resolver_forms),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_dns_abort_after),
        cmocka_unit_test(test_input_looks_like_domain),
        cmocka_unit_test(test_scale_options),
        cmocka_unit_test(test_repeated_option),
        cmocka_unit_test(test_command_masks),
        cmocka_unit_test(test_help_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
