/* Unit tests for pipeline/outputs: the path checks made before anything is opened, and the
 * three ways a run ends (published together, kept as work files, discarded), with each writer's
 * error reported once through the callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/outputs.h"
#include "pipeline/paths.h"
#include "tests/support/files.h"

struct fails {
    int n;
    char what[64];
};

static void on_fail(void *arg, const char *what, const char *msg)
{
    struct fails *f = arg;
    (void)msg;
    f->n++;
    snprintf(f->what, sizeof(f->what), "%s", what);
}

/* A configuration with -o and --summary-json in the test directory (names unique per test). */
static void cfg_with(struct config *cfg, char *out, char *sum, const char *tag)
{
    char name[64];
    config_defaults(cfg);
    snprintf(name, sizeof(name), "%s.csv", tag);
    files_tmp_path(out, 512, name);
    snprintf(name, sizeof(name), "%s.json", tag);
    files_tmp_path(sum, 512, name);
    cfg->output = out;
    cfg->summary_json = sum;
}

static FILE *devnull(void)
{
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    return f;
}

static void test_two_options_one_file(void **state)
{
    (void)state;
    struct config cfg;
    char out[512], sum[512];
    cfg_with(&cfg, out, sum, "same");
    cfg.mx_output = out; /* -o and --mx-output name one file */
    struct outputs o;
    outputs_init(&o, &cfg, on_fail, NULL);
    FILE *err = devnull();
    assert_int_equal(outputs_check(&o, &cfg, err), -2); /* a usage error */
    fclose(err);
    assert_int_not_equal(access(out, F_OK), 0); /* nothing created */
}

static void test_resume_is_never_an_output(void **state)
{
    (void)state;
    struct config cfg;
    char out[512], sum[512];
    cfg_with(&cfg, out, sum, "resume");
    files_write_text(out, "earlier rows\n");
    cfg.resume = out;
    struct outputs o;
    outputs_init(&o, &cfg, on_fail, NULL);
    FILE *err = devnull();
    assert_int_equal(outputs_check(&o, &cfg, err), -2);
    fclose(err);
    files_expect_text(out, "earlier rows\n");
}

/* Writes text to the test directory's file name; the path goes to path (512 bytes). */
static void make_file(char *path, const char *name, const char *text)
{
    files_tmp_path(path, 512, name);
    files_write_text(path, text);
}

/* outputs_check's verdict on cfg, and the one line it printed (into msg). */
static int check_msg(const struct config *cfg, char *msg, size_t size)
{
    struct outputs o;
    outputs_init(&o, cfg, on_fail, NULL);
    FILE *err = tmpfile();
    assert_non_null(err);
    int r = outputs_check(&o, cfg, err);
    rewind(err);
    msg[0] = '\0';
    if (!fgets(msg, (int)size, err))
        msg[0] = '\0';
    fclose(err);
    return r;
}

/* Every file the scan writes (outputs, --metadata, their work files) against every file it
 * reads and every other one it writes: refused as a usage error naming both options, before
 * anything is written (issue 20). */
static void test_written_paths_against_read_paths(void **state)
{
    (void)state;
    struct config cfg;
    char out[512], sum[512], list[512], prev[512], block[512], ca[512], msg[1024], partial[600];
    make_file(list, "w-list.txt", "example.com\n");
    make_file(prev, "w-prev.csv", "earlier scan\n");
    make_file(block, "w-block.txt", "# none\n");
    make_file(ca, "w-ca.pem", "not read here\n");
    struct { const char *written, *read; } cases[] = {
        {"--metadata", "-o"}, {"--metadata", "--previous"}, {"--metadata", "INPUT"},
        {"-o", "INPUT"}, {"--summary-json", "INPUT"}, {"--mx-output", "--blocklist"},
        {"--domain-mx-output", "--ca-file"}, {"--metadata", "--resume"},
        {"--changes-output", "--previous"}, {"--metadata", "--summary-json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg_with(&cfg, out, sum, "w");
        cfg.input = list;
        const char *victim = strcmp(cases[i].read, "-o") == 0 ? out
                             : strcmp(cases[i].read, "--summary-json") == 0 ? sum
                             : strcmp(cases[i].read, "--previous") == 0 ? prev
                             : strcmp(cases[i].read, "--resume") == 0 ? prev
                             : strcmp(cases[i].read, "--blocklist") == 0 ? block
                             : strcmp(cases[i].read, "--ca-file") == 0 ? ca : list;
        if (strcmp(cases[i].read, "--previous") == 0)
            cfg.previous = prev;
        if (strcmp(cases[i].read, "--resume") == 0)
            cfg.resume = prev;
        if (strcmp(cases[i].read, "--blocklist") == 0)
            cfg.blocklist[cfg.n_blocklist++] = block;
        if (strcmp(cases[i].read, "--ca-file") == 0)
            cfg.ca_file = ca;
        const char *w = cases[i].written;
        if (strcmp(w, "--metadata") == 0) cfg.metadata = victim;
        else if (strcmp(w, "-o") == 0) cfg.output = victim;
        else if (strcmp(w, "--summary-json") == 0) cfg.summary_json = victim;
        else if (strcmp(w, "--mx-output") == 0) cfg.mx_output = victim;
        else if (strcmp(w, "--domain-mx-output") == 0) cfg.domain_mx_output = victim;
        else if (strcmp(w, "--changes-output") == 0) cfg.changes_output = victim;
        assert_int_equal(check_msg(&cfg, msg, sizeof(msg)), -2);
        assert_non_null(strstr(msg, "name the same file"));
        assert_non_null(strstr(msg, cases[i].written));
        assert_non_null(strstr(msg, cases[i].read));
    }
    /* A written file's work file is its too: --resume w.csv.partial with -o w.csv. */
    cfg_with(&cfg, out, sum, "w");
    snprintf(partial, sizeof(partial), "%s.partial", out);
    files_write_text(partial, "a killed run's rows\n");
    cfg.resume = partial;
    assert_int_equal(check_msg(&cfg, msg, sizeof(msg)), -2);
    assert_non_null(strstr(msg, "-o (its work file) and --resume"));
    unlink(partial);
    /* Names of files not there yet: "dir/./x" is "dir/x". */
    cfg_with(&cfg, out, sum, "w-new");
    char other[600];
    files_tmp_path(other, 512, "./w-new.csv");
    cfg.metadata = other;
    assert_int_equal(check_msg(&cfg, msg, sizeof(msg)), -2);
    /* Nothing shared: accepted; and the files the refusals named are as they were. */
    cfg_with(&cfg, out, sum, "w-ok");
    cfg.input = list;
    cfg.previous = prev;
    cfg.metadata = "/dev/null"; /* a device is written in place: it never conflicts */
    cfg.mx_output = "/dev/null";
    assert_int_equal(check_msg(&cfg, msg, sizeof(msg)), 0);
    files_expect_text(list, "example.com\n");
    files_expect_text(prev, "earlier scan\n");
}

static void test_paths_same(void **state)
{
    (void)state;
    char a[512], b[512], dot[600];
    make_file(a, "same-a", "x");
    files_tmp_path(b, sizeof(b), "same-b");
    assert_int_equal(link(a, b), 0); /* a hard link is the same file */
    assert_true(paths_same(a, b));
    snprintf(dot, sizeof(dot), "%s/../%s/same-a", files_dir(), strrchr(files_dir(), '/') + 1);
    assert_true(paths_same(a, dot));
    assert_false(paths_same(a, "-"));
    assert_false(paths_same("/dev/null", "/dev/null")); /* a device is written in place */
    files_tmp_path(b, sizeof(b), "same-missing");
    assert_false(paths_same(a, b));
    assert_true(paths_same(b, b));
}

/* Writes one domain row and ends the run; returns the number of fail calls. */
static int run(const char *tag, int started, int failed, char *out, char *sum)
{
    struct config cfg;
    cfg_with(&cfg, out, sum, tag);
    struct fails fl = {0};
    struct outputs o;
    struct summary s;
    summary_init(&s);
    outputs_init(&o, &cfg, on_fail, &fl);
    FILE *err = devnull();
    assert_int_equal(outputs_check(&o, &cfg, err), 0);
    char msg[256];
    assert_int_equal(outputs_open(&o, msg, sizeof(msg)), 0);
    assert_non_null(outputs_csv(&o, OUTPUTS_DOMAIN));
    assert_null(outputs_csv(&o, OUTPUTS_MX));
    struct domain_result r;
    result_init(&r);
    result_copy(r.domain, sizeof(r.domain), "example.test");
    r.rank = 1;
    assert_int_equal(csvout_write_domain(outputs_csv(&o, OUTPUTS_DOMAIN), &r), ZWRITER_OK);
    outputs_close(&o, started, failed, &s, err);
    fclose(err);
    return fl.n;
}

static void test_published_together(void **state)
{
    (void)state;
    char out[512], sum[512], work[600];
    assert_int_equal(run("ok", 1, 0, out, sum), 0);
    size_t len;
    char *rows = files_slurp(out, &len);
    assert_non_null(strstr(rows, "\nexample.test,1,"));
    free(rows);
    assert_int_equal(access(sum, F_OK), 0);
    snprintf(work, sizeof(work), "%s.partial", out);
    assert_int_not_equal(access(work, F_OK), 0);
}

static void test_failed_run_keeps_work_files(void **state)
{
    (void)state;
    char out[512], sum[512], work[600];
    assert_int_equal(run("failed", 1, 1, out, sum), 0);
    assert_int_not_equal(access(out, F_OK), 0); /* the name is not taken */
    assert_int_not_equal(access(sum, F_OK), 0);
    snprintf(work, sizeof(work), "%s.partial", out);
    assert_int_equal(access(work, F_OK), 0); /* this run's rows stay */
}

static void test_setup_failure_discards(void **state)
{
    (void)state;
    char out[512], sum[512], work[600];
    assert_int_equal(run("discard", 0, 1, out, sum), 0);
    snprintf(work, sizeof(work), "%s.partial", out);
    assert_int_not_equal(access(out, F_OK), 0);
    assert_int_not_equal(access(work, F_OK), 0);
    assert_int_not_equal(access(sum, F_OK), 0); /* never written */
}

/* A writer in error is reported once, however often the scan runs into it. */
static void test_error_reported_once(void **state)
{
    (void)state;
    struct config cfg;
    char out[512], sum[512];
    cfg_with(&cfg, out, sum, "full");
    cfg.output = "-"; /* standard output, a pipe whose reader goes away after the header */
    cfg.summary_json = NULL;
    fflush(stdout);
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0 && pipe(p) == 0);
    dup2(p[1], STDOUT_FILENO);
    close(p[1]);
    struct fails fl = {0};
    struct outputs o;
    outputs_init(&o, &cfg, on_fail, &fl);
    char msg[256];
    if (outputs_open(&o, msg, sizeof(msg)) != 0)
        fail_msg("open: %s", msg);
    close(p[0]); /* every later write fails with EPIPE */
    struct domain_result r;
    result_init(&r);
    result_copy(r.domain, sizeof(r.domain), "example.test");
    struct csvout *c = outputs_csv(&o, OUTPUTS_DOMAIN);
    for (int i = 0; i < 3; i++) {
        if (csvout_write_domain(c, &r) != ZWRITER_OK)
            outputs_failed(&o, OUTPUTS_DOMAIN);
        outputs_tick(&o, 1e9 + i);
    }
    struct summary s;
    summary_init(&s);
    FILE *err = devnull();
    outputs_close(&o, 1, 0, &s, err);
    fclose(err);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(fl.n, 1);
    assert_string_equal(fl.what, "writing results");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_options_one_file),
        cmocka_unit_test(test_resume_is_never_an_output),
        cmocka_unit_test(test_written_paths_against_read_paths),
        cmocka_unit_test(test_paths_same),
        cmocka_unit_test(test_published_together),
        cmocka_unit_test(test_failed_run_keeps_work_files),
        cmocka_unit_test(test_setup_failure_discards),
        cmocka_unit_test(test_error_reported_once),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
