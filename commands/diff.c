/*
 * diff: the `diff` subcommand (commands/diff.h): options, the files' checks, NEW streamed through
 * the monitor (pipeline/monitor.h), the changes table published or discarded, the exit status.
 */
#include "commands/diff.h"

#include <stdlib.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "output/zwriter.h"
#include "pipeline/config.h"
#include "pipeline/monitor.h"
#include "pipeline/paths.h"
#include "scanner/changes.h"
#include "scanner/result.h"

/* The operands and the files' checks after the option table has parsed the options (the same
 * validation and messages as the scan's: pipeline/config.c).  0, 1 (--help printed) or -1. */
static int parse_args(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    config_defaults_for(cfg, CONFIG_CMD_DIFF);
    int r = config_parse_command(cfg, CONFIG_CMD_DIFF, argc, argv, out, err);
    if (r != 0)
        return r;
    if (cfg->n_args != 2) {
        fprintf(err, "diff: give exactly two domain tables, OLD and NEW\n");
        config_print_usage(CONFIG_CMD_DIFF, err);
        return -1;
    }
    struct paths p = {.n = 0};
    paths_add(&p, "-o", cfg->output, PATHS_WRITE_PARTIAL);
    paths_add(&p, "OLD", cfg->args[0], PATHS_READ);
    paths_add(&p, "NEW", cfg->args[1], PATHS_READ);
    paths_add(&p, "--old-mx", cfg->old_mx, PATHS_READ);
    paths_add(&p, "--new-mx", cfg->new_mx, PATHS_READ);
    return paths_check(&p, "diff", err) != 0 ? -1 : 0;
}

/* Reads an MX table's certificate dates into m (OLD's when old, else NEW's; option names the flag
 * in messages). */
static int load_mx(struct monitor *m, int old, const char *option, const char *path, FILE *err)
{
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_MX, &e);
    struct schema_mx_row *row = malloc(sizeof(*row));
    if (in == NULL || row == NULL) {
        fprintf(err, "diff: %s %s\n", option, in == NULL ? e.text : "out of memory");
        csvin_close(in);
        free(row);
        return -1;
    }
    int rc, ret = 0;
    while ((rc = csvin_next(in, row)) == 1)
        if ((old ? monitor_old_mx_cert : monitor_mx_cert)(m, row->mx_host, row->probe.tls.not_after) != 0) {
            fprintf(err, "diff: %s %s: out of memory\n", option, path);
            ret = -1;
            break;
        }
    if (rc < 0 && ret == 0) {
        const struct csvin_error *ce = csvin_error(in);
        fprintf(err, "diff: %s %s\n", option, ce->text);
        ret = ce->status == CSVIN_ERR_TRUNCATED ? 0 : -1;
    }
    csvin_close(in);
    free(row);
    return ret;
}

/* Streams NEW through the monitor, counting in row_failures its rows that --fail-on lists.  -1 on a fatal error (reported). */
static int stream_new(struct monitor *m, const struct config *cfg, const char *path,
                      int *partial, unsigned long *row_failures, FILE *err)
{
    if (zwriter_is_partial_path(path)) {
        if (monitor_incomplete(err, "diff: NEW", path, "work", NULL, cfg->allow_partial) != 0)
            return -1;
        *partial = 1;
    }
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_DOMAIN, &e);
    struct domain_result *r = malloc(sizeof(*r));
    if (in == NULL || r == NULL) {
        fprintf(err, "diff: %s\n", in == NULL ? e.text : "out of memory");
        csvin_close(in);
        free(r);
        return -1;
    }
    int rc, ret = 0;
    while ((rc = csvin_next(in, r)) == 1) {
        /* --fail-on's verdicts and issue codes match NEW's rows, as they match a scan's */
        if (cfg->has_fail_on && changes_failon_result(&cfg->fail_on, r))
            (*row_failures)++;
        if (monitor_domain(m, monitor_find(m, r->domain), r) != 0) { /* a write error is reported at close */
            ret = -1;
            break;
        }
    }
    if (rc < 0 && ret == 0) {
        const struct csvin_error *ce = csvin_error(in);
        if (ce->status == CSVIN_ERR_TRUNCATED) {
            ret = monitor_incomplete(err, "diff: NEW", path, "cut", ce->text, cfg->allow_partial);
            *partial = 1;
        } else {
            fprintf(err, "diff: %s\n", ce->text);
            ret = -1;
        }
    }
    csvin_close(in);
    free(r);
    return ret;
}

int diff_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct config cfg;
    int r = parse_args(&cfg, argc, argv, out, err);
    if (r != 0)
        return r > 0 ? DIFF_EXIT_OK : DIFF_EXIT_USAGE;
    const char *old = cfg.args[0], *new = cfg.args[1];
    struct changes_opts opts;
    changes_opts_defaults(&opts);
    opts.expiry_days = cfg.expiry_days;
    opts.testing_days = cfg.testing_days;
    struct zwriter_error zerr;
    struct csvout *changes = NULL;
    struct monitor *m = monitor_open("diff: OLD", old, NULL, &opts,
                                               cfg.has_fail_on ? &cfg.fail_on : NULL,
                                               cfg.allow_partial, err);
    /* CHANGES is written as its work file and renamed at the end (output/zwriter.h), like a
     * scan's outputs: a diff that fails leaves an existing CHANGES as it was. */
    const struct zwriter_opts wopts = {.flush_interval_sec = -1.0, .compress = -1, .partial = 1};
    if (m != NULL && (changes = csvout_open_guard(cfg.output, SCHEMA_CHANGES, &wopts, cfg.csv_formula_guard, &zerr)) == NULL)
        fprintf(err, "diff: %s\n", zwriter_strerror(&zerr));
    if (m == NULL || changes == NULL) {
        monitor_free(m);
        return DIFF_EXIT_FATAL;
    }
    monitor_set_output(m, changes);
    int partial = 0;
    unsigned long row_failures = 0;
    int fatal = (cfg.new_mx && load_mx(m, 0, "--new-mx", cfg.new_mx, err) != 0) ||
                (cfg.old_mx && load_mx(m, 1, "--old-mx", cfg.old_mx, err) != 0) ||
                stream_new(m, &cfg, new, &partial, &row_failures, err) != 0;
    /* after a fatal error, or from an incomplete NEW (--allow-partial), NEW's missing domains are
     * not "removed" */
    if (!fatal && partial)
        fprintf(err, "diff: NEW is incomplete: OLD's domains missing from it are not listed as "
                     "domain_removed\n");
    monitor_finish(m, !fatal && !partial);
    unsigned long failures = monitor_failures(m);
    monitor_free(m);
    /* the first write error, if any; a failed diff's work file is removed */
    if (csvout_finish(changes) != ZWRITER_OK)
        fatal = 1;
    if (csvout_close_as(changes, fatal ? ZWRITER_DISCARD : ZWRITER_PUBLISH, &zerr) != ZWRITER_OK) {
        fprintf(err, "diff: %s\n", zwriter_strerror(&zerr));
        fatal = 1;
    }
    if (fatal)
        return DIFF_EXIT_FATAL;
    if (failures || row_failures) {
        fprintf(err, "diff: %lu changes and %lu rows of NEW (verdict or issue code) listed in --fail-on\n",
                failures, row_failures);
        return DIFF_EXIT_FAIL_ON;
    }
    return DIFF_EXIT_OK;
}
