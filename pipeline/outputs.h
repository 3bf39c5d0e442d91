/*
 * outputs: the result files of one bulk scan (-o, --mx-output, --domain-mx-output,
 * --summary-json, --changes-output) as one table, so that checking the paths before anything is
 * opened, opening, the periodic flush, finishing, publishing and reporting an error once are
 * written once for all of them.  Each file is written as PATH.partial (output/zwriter.h) and the
 * work files are published together at the end, only when every one was written completely and
 * the run completed (not failed, not interrupted); otherwise they are kept and named on stderr,
 * and earlier files stay as they were.
 */
#ifndef MTASTS_OUTPUTS_H
#define MTASTS_OUTPUTS_H

#include <stddef.h>
#include <stdio.h>

#include "output/csvout.h"
#include "output/summary.h"
#include "pipeline/config.h"

enum outputs_id { OUTPUTS_DOMAIN = 0, OUTPUTS_MX, OUTPUTS_EDGE, OUTPUTS_SUMMARY, OUTPUTS_CHANGES,
                  OUTPUTS__COUNT };

/* Called once per failure that stops the scan ("writing results", the writer's message).  The
 * scan prints it (only its first fatal error) and exits with status 1. */
typedef void (*outputs_fail_fn)(void *arg, const char *what, const char *msg);

struct outputs_file {
    const char *option;   /* "-o", for messages */
    const char *path;     /* NULL = not asked for */
    enum schema_table table;
    int is_csv;           /* 0: the summary JSON, written only at the end */
    struct csvout *c;     /* open CSV writer, NULL otherwise */
    int reported;         /* its error went to fail: said once */
};

struct outputs {
    struct outputs_file f[OUTPUTS__COUNT];
    outputs_fail_fn fail;
    void *fail_arg;
    int failed;           /* fail was called */
    int formula_guard;    /* --csv-formula-guard: every CSV output is a guarded file (csvout.h) */
};

/* Fills the table from cfg (cfg = NULL: no file at all, as for `check`).  A new output option is
 * one line in outputs.c. */
void outputs_init(struct outputs *o, const struct config *cfg, outputs_fail_fn fail, void *arg);

/* Checks every path before any is opened, so that a bad --mx-output (or a left-over
 * PATH.partial) cannot cost a byte of an existing -o file: no file the scan writes (the outputs,
 * --metadata, their work files) is another of them or a file it reads (INPUT, --resume,
 * --previous, --blocklist, --ca-file; pipeline/paths.h), and each output is writable.  Returns
 * 0; -2 after one line on err when two options name one file (a usage error); -1 after one line
 * when a path cannot be written. */
int outputs_check(const struct outputs *o, const struct config *cfg, FILE *err);

/* Opens the CSV outputs as work files.  Returns 0, or -1 with a message in err. */
int outputs_open(struct outputs *o, char *err, size_t errlen);

/* The open CSV writer of id, NULL when that output was not asked for. */
struct csvout *outputs_csv(const struct outputs *o, enum outputs_id id);

/* The writer of id has a (sticky) error: reports it through fail, once. */
void outputs_failed(struct outputs *o, enum outputs_id id);

/* The periodic flush of every open writer (csvout_tick); failures go through fail. */
void outputs_tick(struct outputs *o, double now);

/* Ends every output: finishes the CSV writers, writes --summary-json from sum (when started),
 * then publishes all (started, !incomplete and no error while finishing), keeps all as work files
 * (incomplete: the run failed or was interrupted; the file names go to log) or removes them
 * (!started: set-up failed).  Errors go through fail. */
void outputs_close(struct outputs *o, int started, int incomplete, const struct summary *sum,
                   FILE *log);

#endif
