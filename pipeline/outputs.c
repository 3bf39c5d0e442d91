/*
 * outputs: the scan's result files as one table (see outputs.h).
 */
#include "pipeline/outputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/zwriter.h"
#include "pipeline/paths.h"

void outputs_init(struct outputs *o, const struct config *c, outputs_fail_fn fail, void *arg)
{
    memset(o, 0, sizeof(*o));
    o->fail = fail;
    o->fail_arg = arg;
    if (!c)
        return;
    o->formula_guard = c->csv_formula_guard;
    o->f[OUTPUTS_DOMAIN] = (struct outputs_file){"-o", c->output, SCHEMA_DOMAIN, 1, NULL, 0};
    o->f[OUTPUTS_MX] = (struct outputs_file){"--mx-output", c->mx_output, SCHEMA_MX, 1, NULL, 0};
    o->f[OUTPUTS_EDGE] = (struct outputs_file){"--domain-mx-output", c->domain_mx_output,
                                               SCHEMA_EDGE, 1, NULL, 0};
    o->f[OUTPUTS_SUMMARY] = (struct outputs_file){"--summary-json", c->summary_json, 0, 0, NULL, 0};
    o->f[OUTPUTS_CHANGES] = (struct outputs_file){"--changes-output", c->changes_output,
                                                  SCHEMA_CHANGES, 1, NULL, 0};
}

static void fail(struct outputs *o, const char *what, const char *msg)
{
    o->failed = 1;
    if (o->fail)
        o->fail(o->fail_arg, what, msg);
}

int outputs_check(const struct outputs *o, const struct config *cfg, FILE *err)
{
    struct zwriter_error zerr;
    struct paths p = {.n = 0};
    for (int i = 0; i < OUTPUTS__COUNT; i++)
        paths_add(&p, o->f[i].option, o->f[i].path, PATHS_WRITE_PARTIAL);
    if (o->f[OUTPUTS_DOMAIN].path) /* a scan, not a report: --metadata is one of its files */
        paths_add(&p, "--metadata", cfg->metadata, PATHS_WRITE_TMP);
    paths_add(&p, "INPUT", cfg->input, PATHS_READ);
    paths_add(&p, "--resume", cfg->resume, PATHS_READ);
    paths_add(&p, "--previous", cfg->previous, PATHS_READ);
    for (int i = 0; i < cfg->n_blocklist; i++)
        paths_add(&p, "--blocklist", cfg->blocklist[i], PATHS_READ);
    paths_add(&p, "--ca-file", cfg->ca_file, PATHS_READ);
    if (paths_check(&p, "mtasts-scan", err) != 0)
        return -2;
    if (cfg->resume && cfg->input && paths_same(cfg->resume, cfg->input)) {
        fprintf(err, "mtasts-scan: --resume %s: give the new results another -o file "
                     "(the earlier one is read, never overwritten)\n", cfg->resume);
        return -1;
    }
    for (int i = 0; i < OUTPUTS__COUNT; i++) {
        const struct outputs_file *f = &o->f[i];
        if (f->path && zwriter_check_path(f->path, 1, &zerr) != ZWRITER_OK) {
            fprintf(err, "mtasts-scan: %s: %s\n", f->option, zwriter_strerror(&zerr));
            return -1;
        }
    }
    return 0;
}

int outputs_open(struct outputs *o, char *err, size_t errlen)
{
    struct zwriter_error zerr;
    const struct zwriter_opts opts = {.flush_interval_sec = -1.0, .compress = -1, .partial = 1};
    for (int i = 0; i < OUTPUTS__COUNT; i++) {
        struct outputs_file *f = &o->f[i];
        if (!f->path || !f->is_csv)
            continue;
        f->c = csvout_open_guard(f->path, f->table, &opts, o->formula_guard, &zerr);
        if (!f->c) {
            snprintf(err, errlen, "%s", zwriter_strerror(&zerr));
            return -1;
        }
    }
    return 0;
}

struct csvout *outputs_csv(const struct outputs *o, enum outputs_id id)
{
    return o->f[id].c;
}

void outputs_failed(struct outputs *o, enum outputs_id id)
{
    struct outputs_file *f = &o->f[id];
    if (!f->reported)
        fail(o, "writing results", zwriter_strerror(csvout_error(f->c)));
    f->reported = 1;
}

void outputs_tick(struct outputs *o, double now)
{
    for (int i = 0; i < OUTPUTS__COUNT; i++)
        if (o->f[i].c && csvout_tick(o->f[i].c, now) != ZWRITER_OK)
            outputs_failed(o, (enum outputs_id)i);
}

/* Writes --summary-json as PATH.partial through a zwriter (published with the tables). */
static struct zwriter *write_summary_json(struct outputs *o, const struct summary *sum)
{
    struct outputs_file *f = &o->f[OUTPUTS_SUMMARY];
    char *text = NULL;
    size_t len = 0;
    struct zwriter_error zerr;
    const struct zwriter_opts opts = {.flush_interval_sec = -1.0, .compress = 0, .partial = 1};
    FILE *mem = open_memstream(&text, &len);
    if (!mem || summary_write_json(sum, mem) != 0 || fclose(mem) != 0) {
        fail(o, f->path, strerror(ENOMEM));
        free(text);
        return NULL;
    }
    struct zwriter *w = zwriter_open_opts(f->path, &opts, &zerr);
    if (w && zwriter_write(w, text, len) == ZWRITER_OK)
        zwriter_finish(w);
    free(text);
    if (!w || zwriter_error(w)->status != ZWRITER_OK)
        fail(o, "writing summary", zwriter_strerror(w ? zwriter_error(w) : &zerr));
    return w;
}

/* Closes one work file with mode; says on log where this run's data stays when it is kept. */
static void close_one(struct outputs *o, struct outputs_file *f, struct zwriter *summary,
                      enum zwriter_close_mode mode, FILE *log)
{
    struct zwriter_error zerr;
    char kept[1024];
    snprintf(kept, sizeof(kept), "%s", summary ? zwriter_work_path(summary) : csvout_work_path(f->c));
    enum zwriter_status st = summary ? zwriter_close_as(summary, mode, &zerr)
                                     : csvout_close_as(f->c, mode, &zerr);
    f->c = NULL;
    if (st != ZWRITER_OK && !f->reported)
        fail(o, "writing results", zwriter_strerror(&zerr));
    f->reported = 1;
    if ((mode == ZWRITER_KEEP_PARTIAL || st != ZWRITER_OK) && strcmp(kept, f->path) != 0)
        fprintf(log, "mtasts-scan: %s %s left as it was; this run's %s in %s\n", f->option,
                f->path, summary ? "summary is" : "rows are", kept);
}

void outputs_close(struct outputs *o, int started, int incomplete, const struct summary *sum,
                   FILE *log)
{
    struct zwriter *summary = NULL;
    for (int i = 0; i < OUTPUTS__COUNT; i++)
        if (o->f[i].c && csvout_finish(o->f[i].c) != ZWRITER_OK)
            outputs_failed(o, (enum outputs_id)i);
    if (started && o->f[OUTPUTS_SUMMARY].path)
        summary = write_summary_json(o, sum);
    enum zwriter_close_mode mode = !started ? ZWRITER_DISCARD
                                 : incomplete || o->failed ? ZWRITER_KEEP_PARTIAL : ZWRITER_PUBLISH;
    for (int i = 0; i < OUTPUTS__COUNT; i++)
        if (o->f[i].c)
            close_one(o, &o->f[i], NULL, mode, log);
    if (summary) /* a rename that failed above turns a publication into a kept work file */
        close_one(o, &o->f[OUTPUTS_SUMMARY], summary,
                  incomplete || o->failed ? ZWRITER_KEEP_PARTIAL : ZWRITER_PUBLISH, log);
}
