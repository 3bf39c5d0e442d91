/*
 * test_metadata: the --metadata record.  The JSON string escaping byte by byte (quotes,
 * backslashes, control bytes, DEL, valid and invalid UTF-8); the record's fields and nesting for
 * a known configuration, read back by a strict little JSON checker; every option of the table has
 * an effective value (an option added without one in config_values fails here); the atomic file
 * write and its error.  tests/analysis/metadata.sh checks real runs (completed, interrupted,
 * failed) with python3 -m json.tool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "pipeline/metadata.h"
#include "lib/utf8text.h"
#include "tests/support/files.h"

/* The text f received, as a C string (caller frees). */
static char *captured(FILE *f)
{
    long n = ftell(f);
    assert_true(n >= 0);
    char *buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    return buf;
}

static char *escaped(const char *s, size_t len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    utf8text_json_string(f, s, len);
    char *out = captured(f);
    fclose(f);
    return out;
}

static void test_escaping(void **state)
{
    (void)state;
    struct { const char *in; size_t len; const char *out; } cases[] = {
        {"plain", 5, "\"plain\""},
        {"", 0, "\"\""},
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"l1\nl2\tx\r", 8, "\"l1\\nl2\\tx\\u000d\""},
        {"\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""},
        {"nul\0x", 5, "\"nul\\u0000x\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\""},
        {"bad\xff", 4, "\"bad\\ufffd\""},
        {"cut\xc3", 4, "\"cut\\ufffd\""},                   /* sequence cut by the end */
        {"over\xc0\xaf", 6, "\"over\\ufffd\\ufffd\""},       /* overlong '/' */
        {"sur\xed\xa0\x80", 6, "\"sur\\ufffd\\ufffd\\ufffd\""}, /* a UTF-16 surrogate */
        {"/", 1, "\"/\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = escaped(cases[i].in, cases[i].len);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

/* ---- a strict JSON checker (enough for the record: objects, arrays, strings, numbers,
 *      true/false/null); returns the position after the value or NULL ---- */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static const char *value(const char *p);

static const char *string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
                        return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || *p == '\0')
                return NULL;
        }
        p++;
    }
    return p + 1;
}

static const char *number(const char *p)
{
    const char *s = p;
    if (*p == '-')
        p++;
    while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')
        p++;
    return p > s ? p : NULL;
}

static const char *container(const char *p, char close, int keyed)
{
    p = ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (keyed) {
            p = string(ws(p));
            if (!p || *(p = ws(p)) != ':')
                return NULL;
            p++;
        }
        p = value(p);
        if (!p)
            return NULL;
        p = ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *value(const char *p)
{
    p = ws(p);
    switch (*p) {
    case '{': return container(p, '}', 1);
    case '[': return container(p, ']', 0);
    case '"': return string(p);
    case 't': return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f': return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n': return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default: return number(p);
    }
}

static int valid_json(const char *text)
{
    const char *end = value(text);
    return end && *ws(end) == '\0';
}

static void test_checker_rejects(void **state)
{
    (void)state; /* the checker itself must be able to fail */
    assert_true(valid_json("{\"a\": [1, true, null, \"x\\n\"]}\n"));
    assert_false(valid_json("{\"a\": 1,}"));
    assert_false(valid_json("{\"a\": \"x\ny\"}"));
    assert_false(valid_json("{\"a\": \"\\x41\"}"));
    assert_false(valid_json("{\"a\": 1} trailing"));
}

static char *record(struct metadata *m)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(metadata_write_json(m, f), 0);
    char *out = captured(f);
    fclose(f);
    return out;
}

static void test_record(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    char *argv[] = {"mtasts-scan", "--list-id", "tranco \"Z\"\x01", "-o", "out.csv", "in\xfftxt", NULL};
    assert_int_equal(config_parse_args(&cfg, 6, argv, stdout, stderr), 0);
    cfg.argc = 6;
    cfg.argv = argv;
    struct metadata m;
    metadata_init(&m, &cfg);
    unsigned long verdicts[VERDICT__COUNT] = {0};
    verdicts[VERDICT_ENFORCE_OK] = 7;
    struct dns_counters dc = {.sent = 11, .answered = 9, .failed = 1, .timed_out = 1};
    m.by_verdict = verdicts;
    m.dns = &dc;
    m.rows = 7;

    char *running = record(&m);
    assert_true(valid_json(running));
    assert_non_null(strstr(running, "\"status\": \"running\""));
    assert_non_null(strstr(running, "\"exit_status\": null"));
    assert_non_null(strstr(running, "\"ended\": null"));
    /* the DNSSEC probe has not answered yet: nothing known */
    assert_non_null(strstr(running, "\"probe\": null"));
    assert_non_null(strstr(running, "\"resolver_validates\": null"));
    free(running);
    m.dnssec_probed = 1;
    m.dnssec_probe = DNS_TIMEOUT;
    m.dnssec_validation = DNS_VALIDATION_UNKNOWN;
    running = record(&m);
    assert_non_null(strstr(running, "\"probe\": \"timeout\""));
    assert_non_null(strstr(running, "\"resolver_validates\": null"));
    free(running);
    m.dnssec_probe = DNS_OK;
    m.dnssec_validation = DNS_VALIDATION_YES;

    m.status = METADATA_INTERRUPTED;
    m.exit_status = 130;
    m.ended = m.started + 5;
    m.duration_sec = 5.25;
    metadata_reason(&m, "Interrupt: %s", "stopped");
    metadata_reason(&m, "a later reason is ignored");
    strcpy(m.input_sha256, "ab");
    char *text = record(&m);
    assert_true(valid_json(text));
    assert_non_null(strstr(text, "\"format\": \"mtasts-scan-metadata\""));
    assert_non_null(strstr(text, "\"status\": \"interrupted\""));
    assert_non_null(strstr(text, "\"reason\": \"Interrupt: stopped\""));
    assert_non_null(strstr(text, "\"exit_status\": 130"));
    assert_non_null(strstr(text, "\"duration_sec\": 5.25"));
    assert_non_null(strstr(text, "\"list_id\": \"tranco \\\"Z\\\"\\u0001\""));
    assert_non_null(strstr(text, "\"path\": \"in\\ufffdtxt\""));
    assert_non_null(strstr(text, "\"output\": \"out.csv\""));
    assert_non_null(strstr(text, "\"concurrency\": 1000"));
    assert_non_null(strstr(text, "\"dns-only\": false"));
    assert_non_null(strstr(text, "\"ca-file\": null"));
    assert_non_null(strstr(text, "\"shard\": \"0/1\""));
    assert_non_null(strstr(text, "\"enforce_ok\": 7"));
    assert_non_null(strstr(text, "\"sent\": 11"));
    assert_non_null(strstr(text, "\"sha256\": \"ab\""));
    assert_non_null(strstr(text, "\"source\": \"system\""));
    assert_null(strstr(text, "a later reason"));
    assert_non_null(strstr(text, "\"probe\": \"ok\""));
    assert_non_null(strstr(text, "\"resolver_validates\": true"));
    free(text);
}

static void test_every_option_has_a_value(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    struct config_value vals[CONFIG_VALUES_MAX];
    size_t n = config_values(&cfg, vals, CONFIG_VALUES_MAX);
    assert_true(n > 20);
    assert_true(n <= CONFIG_VALUES_MAX); /* metadata.c keeps this many values */
    for (size_t i = 0; i < n; i++) {
        assert_non_null(vals[i].name);
        if (vals[i].type == CONFIG_VALUE_STRING)
            assert_string_not_equal(vals[i].str, "unknown");
        assert_string_not_equal(vals[i].name, "help");
        assert_string_not_equal(vals[i].name, "version");
    }
}

static void test_write_file(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    struct metadata m;
    metadata_init(&m, &cfg);
    char path[256], tmp[300], err[512];
    files_tmp_path(path, sizeof(path), "meta.json");
    assert_int_equal(metadata_write(&m, path, err, sizeof(err)), 0);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0); /* renamed into place */
    size_t len;
    char *text = files_slurp(path, &len);
    assert_true(valid_json(text));
    free(text);
    assert_int_equal(metadata_write(&m, "/nonexistent-dir/meta.json", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/meta.json"));
}

/* --metadata naming a device is written in place (never turned into a regular file), and a
 * symlink planted at FILE.tmp is refused, never followed (issue 20). */
static void test_write_no_harm(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    struct metadata m;
    metadata_init(&m, &cfg);
    char path[256], tmp[300], victim[256], err[512];
    int rd = files_make_node(path, sizeof(path), "meta-node");
    assert_int_equal(metadata_write(&m, path, err, sizeof(err)), 0);
    assert_true(files_is_node(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
    if (rd >= 0)
        close(rd);

    files_tmp_path(path, sizeof(path), "meta-planted.json");
    files_tmp_path(victim, sizeof(victim), "meta-victim.txt");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    files_write_text(victim, "precious\n");
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(metadata_write(&m, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "symlink"));
    files_expect_text(victim, "precious\n");
    assert_int_equal(access(path, F_OK), -1);
    unlink(tmp);
    /* a regular FILE.tmp left by a killed write is replaced */
    files_write_text(tmp, "{half");
    assert_int_equal(metadata_write(&m, path, err, sizeof(err)), 0);
    size_t len;
    char *text = files_slurp(path, &len);
    assert_true(valid_json(text));
    free(text);
}

static void test_status_strings(void **state)
{
    (void)state; /* contract: docs/metadata.md */
    assert_string_equal(metadata_status_str(METADATA_RUNNING), "running");
    assert_string_equal(metadata_status_str(METADATA_COMPLETED), "completed");
    assert_string_equal(metadata_status_str(METADATA_INTERRUPTED), "interrupted");
    assert_string_equal(metadata_status_str(METADATA_FAILED), "failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_checker_rejects),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_every_option_has_a_value),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_write_no_harm),
        cmocka_unit_test(test_status_strings),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
