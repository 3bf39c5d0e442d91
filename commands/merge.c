/*
 * merge: the operands (its options are rows of the option table, pipeline/config.c), the row pass (every file through csvin into one csvout), and the checks
 * (key multiset, rank bitmap, a second pass over --input for the lines without a row).
 */
#include "commands/merge.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "pipeline/config.h"
#include "pipeline/input.h"
#include "pipeline/paths.h"
#include "pipeline/resume.h"
#include "lib/growbuf.h"

#define RANK_BITS_MAX (1L << 28) /* ranks above this are not checked for gaps (32 MiB of bits) */
#define REPORT_MAX 20            /* individual findings printed per kind */

struct merge {
    const char *output, *input;
    int mx, quiet;
    enum schema_table table;  /* domains; MX (--mx); edges (found by the first file's header) */
    FILE *err;
    struct csvout *out;
    struct resume *keys;      /* without --input: keys seen; with: the input's lines still unmatched */
    uint8_t *ranks;           /* bit per rank seen */
    long max_rank;
    unsigned long rows, written, duplicates, unexpected, missing, truncated_files;
    unsigned long repeated;   /* --mx: rows of a (host, address) already written, dropped */
    unsigned long refused;    /* cut or empty files without --allow-partial: the merge fails */
    int allow_partial;        /* --allow-partial: merge the complete rows of cut files, skip empty ones */
    int fatal;
};


static int mark_rank(struct merge *m, long rank)
{
    if (rank < 1 || rank > RANK_BITS_MAX)
        return 0;
    size_t have = m->max_rank > 0 ? (size_t)m->max_rank / 8 + 1 : 0;
    if ((size_t)rank / 8 >= have) {
        size_t cap = have;
        if (growbuf_reserve(&m->ranks, &cap, (size_t)rank / 8 + 1, 1, 4096) != 0)
            return -1;
        memset(m->ranks + have, 0, cap - have);
        m->max_rank = (long)(cap * 8 - 1);
    }
    m->ranks[rank / 8] |= (uint8_t)(1u << (rank % 8));
    return 0;
}

/* Decides whether a domain row is written and records what it means.  1 = write. */
static int check_row(struct merge *m, const struct domain_result *r, const char *path, long line)
{
    if (mark_rank(m, r->rank) != 0 || m->keys == NULL)
        return -1;
    if (m->input) {
        int t = resume_take(m->keys, r->rank, r->domain);
        if (t == 1)
            return 1;
        if (t < 0) {
            if (m->unexpected++ < REPORT_MAX)
                fprintf(m->err, "merge: %s line %ld: rank %ld, domain %s is not a line of %s\n",
                        path, line, r->rank, r->domain, m->input);
            return 1;
        }
    } else {
        long before = resume_add(m->keys, r->rank, r->domain);
        if (before < 0)
            return -1;
        if (before == 0)
            return 1;
    }
    if (m->duplicates++ < REPORT_MAX)
        fprintf(m->err, "merge: %s line %ld: duplicate row (rank %ld, domain %s): dropped\n", path,
                line, r->rank, r->domain);
    return 0;
}

/* MX and edge tables: 1 = write the row, 0 = its key was written already (dropped and counted),
 * -1 = out of memory.  An MX row's key is (host, address): a host that domains of several
 * shards (or a run and its resume) share is probed in each, and the first row is kept, so the
 * merged table counts every probed address once.  An edge's key is (rank, domain, MX host). */
static int check_repeat(struct merge *m, const void *rec, const char *path, long line)
{
    char key[2 * RESULT_NAME_MAX + 80];
    long rank = 0;
    if (m->table == SCHEMA_MX) {
        const struct schema_mx_row *x = rec;
        snprintf(key, sizeof(key), "%s\n%s", x->mx_host, x->address);
    } else {
        const struct schema_edge_row *e = rec;
        snprintf(key, sizeof(key), "%s\n%s", e->domain, e->mx_host);
        rank = e->rank;
    }
    for (char *p = key; *p; p++) /* host names compare without case */
        *p = (char)tolower((unsigned char)*p);
    long before = resume_add(m->keys, rank, key);
    if (before <= 0)
        return before < 0 ? -1 : 1;
    if (m->table == SCHEMA_MX) {
        m->repeated++;
        return 0;
    }
    if (m->duplicates++ < REPORT_MAX)
        fprintf(m->err, "merge: %s line %ld: duplicate edge row: dropped\n", path, line);
    return 0;
}

/* Streams one file's rows into the output.  Returns 0, or -1 on a fatal error (reported). */
static int merge_file(struct merge *m, const char *path, void *rec)
{
    enum schema_table t = m->table;
    struct csvin_error e;
    struct csvin *in = csvin_open(path, t, &e);
    if (in == NULL) {
        fprintf(m->err, "merge: %s\n", e.text);
        return -1;
    }
    int rc;
    while ((rc = csvin_next(in, rec)) == 1) {
        m->rows++;
        int keep = t == SCHEMA_DOMAIN ? check_row(m, rec, path, csvin_line(in))
                                      : check_repeat(m, rec, path, csvin_line(in));
        if (keep < 0) {
            fprintf(m->err, "merge: out of memory\n");
            csvin_close(in);
            return -1;
        }
        if (keep == 0)
            continue;
        if (csvout_write_record(m->out, rec) != ZWRITER_OK) {
            fprintf(m->err, "merge: %s\n", zwriter_strerror(csvout_error(m->out)));
            csvin_close(in);
            return -1;
        }
        m->written++;
    }
    const struct csvin_error *ce = csvin_error(in);
    int ret = 0;
    /* A cut or empty file is a shard that did not finish or a copy cut short: without --input
     * nothing else would notice the rows it lacks (issue 20: 777 of 2,004 rows, exit 0).  The
     * other files are still read, so that every such file is named before the merge fails. */
    if (rc < 0 && (ce->status == CSVIN_ERR_TRUNCATED || ce->status == CSVIN_ERR_EMPTY)) {
        int cut = ce->status == CSVIN_ERR_TRUNCATED;
        m->truncated_files += (unsigned long)cut;
        if (m->allow_partial) {
            fprintf(m->err, cut ? "merge: %s; --allow-partial: its complete rows are merged, the cut row is not\n"
                                : "merge: %s: empty file (not even a header); --allow-partial: no rows from it\n",
                    cut ? ce->text : path);
        } else {
            m->refused++;
            fprintf(m->err, cut ? "merge: %s: a cut shard (a copy cut short, or a file cut after its scan); "
                                  "give the whole file, or --allow-partial to merge its complete rows\n"
                                : "merge: %s: empty file (not even a header): not a shard's output; remove it, "
                                  "or --allow-partial to merge the other files\n",
                    cut ? ce->text : path);
        }
    } else if (rc < 0) {
        fprintf(m->err, "merge: %s\n", ce->text);
        ret = -1;
    }
    csvin_close(in);
    return ret;
}

/* Calls fn for every --input line that makes a row (a domain or an invalid line), in order.
 * Returns 0, or -1 after a message (the input could not be read, or fn failed: out of memory). */
static int each_input_entry(struct merge *m,
                            int (*fn)(struct merge *m, enum input_line_kind kind,
                                      const struct input_entry *e))
{
    char errbuf[512];
    struct input *in = input_open(m->input, errbuf, sizeof(errbuf));
    if (in == NULL) {
        fprintf(m->err, "merge: --input %s\n", errbuf);
        return -1;
    }
    struct input_line line;
    struct input_entry e;
    int rc;
    while ((rc = input_next(in, &line)) > 0) {
        enum input_line_kind kind = input_parse_line(line.text, line.len, line.line_no, &e);
        if (kind != INPUT_SKIP && fn(m, kind, &e) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0)
        fprintf(m->err, "merge: --input %s: %s\n", m->input,
                input_error(in)[0] ? input_error(in) : "out of memory");
    input_close(in);
    return rc < 0 ? -1 : 0;
}

/* First pass: the input's keys (one per line that makes a row). */
static int add_key(struct merge *m, enum input_line_kind kind, const struct input_entry *e)
{
    char domain[RESULT_NAME_MAX];
    result_copy(domain, sizeof(domain), resume_entry_domain(kind, e));
    return resume_add(m->keys, e->rank, domain) < 0 ? -1 : 0;
}

/* Second pass: a line whose key has no count left has no row. */
static int find_missing(struct merge *m, enum input_line_kind kind, const struct input_entry *e)
{
    if (resume_take_entry(m->keys, kind, e) && m->missing++ < REPORT_MAX)
        fprintf(m->err, "merge: %s line %ld (rank %ld, %s) has no row\n", m->input, e->line_no,
                e->rank, resume_entry_domain(kind, e));
    return 0;
}

/* Prints the gaps in 1..highest rank seen as ranges. */
static void report_rank_gaps(struct merge *m)
{
    long hi = 0;
    for (long r = m->max_rank; r >= 1 && hi == 0; r--)
        if (m->ranks[r / 8] & (1u << (r % 8)))
            hi = r;
    unsigned long gaps = 0, ranges = 0;
    for (long r = 1; r <= hi; r++) {
        if (m->ranks[r / 8] & (1u << (r % 8)))
            continue;
        long end = r;
        while (end + 1 <= hi && !(m->ranks[(end + 1) / 8] & (1u << ((end + 1) % 8))))
            end++;
        gaps += (unsigned long)(end - r + 1);
        if (ranges++ < REPORT_MAX) {
            if (end > r)
                fprintf(m->err, "merge: ranks %ld-%ld: no row\n", r, end);
            else
                fprintf(m->err, "merge: rank %ld: no row\n", r);
        }
        r = end;
    }
    if (gaps > 0)
        fprintf(m->err, "merge: %lu ranks of 1..%ld have no row (%lu ranges)\n", gaps, hi, ranges);
}

/* The operands and their checks after the option table has parsed the options
 * (pipeline/config.c).  0, 1 (--help printed) or -1. */
static int parse_args(struct merge *m, struct config *cfg, int argc, char **argv, FILE *out)
{
    config_defaults_for(cfg, CONFIG_CMD_MERGE);
    int r = config_parse_command(cfg, CONFIG_CMD_MERGE, argc, argv, out, m->err);
    if (r != 0)
        return r;
    m->output = cfg->output;
    m->input = cfg->input_list;
    m->mx = cfg->mx_tables;
    m->quiet = cfg->quiet;
    m->allow_partial = cfg->allow_partial;
    if (m->output == NULL || cfg->n_args == 0) {
        fprintf(m->err, "merge: give -o ALL and at least one file to merge\n");
        config_print_usage(CONFIG_CMD_MERGE, m->err);
        return -1;
    }
    if (m->mx && m->input) {
        fprintf(m->err, "merge: --input checks domain tables; it does not apply to --mx\n");
        return -1;
    }
    /* -o (and its work file) is none of the files read: checked pair by pair, there may be
     * thousands of shards. */
    for (int i = -1; i < cfg->n_args; i++) {
        struct paths p = {.n = 0};
        paths_add(&p, "-o", m->output, PATHS_WRITE_PARTIAL);
        if (i < 0)
            paths_add(&p, "--input", m->input, PATHS_READ);
        else
            paths_add(&p, "OUT", cfg->args[i], PATHS_READ);
        if (paths_check(&p, "merge", m->err) != 0)
            return -1;
    }
    return 0;
}

/* 1 when path's header is not a domain table's but an edge table's (--domain-mx-output): edge
 * tables are merged like MX tables, found by their header. */
static int is_edge_table(const char *path)
{
    if (strcmp(path, "-") == 0)
        return 0;
    enum schema_table tables[2] = {SCHEMA_DOMAIN, SCHEMA_EDGE};
    int header_ok[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        struct csvin_error e;
        void *rec = malloc(schema_record_size(tables[i]));
        struct csvin *in = rec ? csvin_open(path, tables[i], &e) : NULL;
        /* the header is read with the first row */
        if (in != NULL && (csvin_next(in, rec) >= 0 || csvin_error(in)->status != CSVIN_ERR_HEADER))
            header_ok[i] = 1;
        csvin_close(in);
        free(rec);
    }
    return !header_ok[0] && header_ok[1];
}

static int finish(struct merge *m)
{
    if (m->table == SCHEMA_DOMAIN && m->input && each_input_entry(m, find_missing) != 0)
        m->fatal = 1;
    else if (m->table == SCHEMA_DOMAIN && !m->input)
        report_rank_gaps(m);
    if (!m->quiet) {
        if (m->fatal) /* nothing was published: no rows are in ALL */
            fprintf(m->err, "merge: %lu rows read, none written: %s %s; %lu duplicates dropped",
                    m->rows, m->output,
                    strcmp(m->output, "-") == 0 ? "got an incomplete table" : "left as it was",
                    m->duplicates);
        else
            fprintf(m->err, "merge: %lu rows read, %lu written to %s; %lu duplicates dropped",
                    m->rows, m->written, m->output, m->duplicates);
        if (m->input)
            fprintf(m->err, "; %lu rows not in %s; %lu lines of it without a row", m->unexpected,
                    m->input, m->missing);
        if (m->truncated_files)
            fprintf(m->err, "; %lu truncated files", m->truncated_files);
        if (m->repeated)
            fprintf(m->err, "; %lu repeated MX rows (host, address) dropped, the first kept",
                    m->repeated);
        fputc('\n', m->err);
    }
    if (m->fatal)
        return MERGE_EXIT_FATAL;
    if (m->duplicates || m->unexpected)
        return MERGE_EXIT_DUPLICATES;
    return m->missing ? MERGE_EXIT_MISSING : MERGE_EXIT_OK;
}

int merge_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct merge m;
    struct config cfg;
    memset(&m, 0, sizeof(m));
    m.err = err;
    int r = parse_args(&m, &cfg, argc, argv, out);
    if (r != 0)
        return r > 0 ? MERGE_EXIT_OK : MERGE_EXIT_USAGE;
    m.table = m.mx ? SCHEMA_MX : SCHEMA_DOMAIN;
    if (!m.mx && is_edge_table(cfg.args[0])) {
        if (m.input) {
            fprintf(err, "merge: --input checks domain tables; %s is an edge table "
                         "(--domain-mx-output)\n", cfg.args[0]);
            return MERGE_EXIT_USAGE;
        }
        m.table = SCHEMA_EDGE;
    }
    enum schema_table t = m.table;
    void *rec = malloc(schema_record_size(t));
    m.keys = resume_new();
    if (rec == NULL || m.keys == NULL) {
        fprintf(err, "merge: out of memory\n");
        m.fatal = 1;
        goto done;
    }
    if (m.input && each_input_entry(&m, add_key) != 0) {
        m.fatal = 1;
        goto done;
    }
    /* ALL is written as its work file and renamed when the merge ends (zwriter.h): a merge that
     * fails leaves an existing ALL as it was and removes its work file.  An existing non-empty
     * work file is refused, never replaced: ALL.partial may be a killed scan's only rows. */
    struct zwriter_error zerr;
    const struct zwriter_opts wopts = {.flush_interval_sec = -1.0, .compress = -1, .partial = 1};
    m.out = csvout_open_guard(m.output, t, &wopts, cfg.csv_formula_guard, &zerr);
    if (m.out == NULL) {
        fprintf(err, "merge: %s\n", zwriter_strerror(&zerr));
        m.fatal = 1;
        goto done;
    }
    for (int i = 0; i < cfg.n_args && !m.fatal; i++)
        if (merge_file(&m, cfg.args[i], rec) != 0)
            m.fatal = 1;
    if (m.refused) {
        fprintf(err, "merge: %lu cut or empty file%s: nothing merged\n", m.refused, m.refused > 1 ? "s" : "");
        m.fatal = 1;
    }
    if (csvout_finish(m.out) != ZWRITER_OK) /* the last frame did not reach the disk */
        m.fatal = 1;
    if (csvout_close_as(m.out, m.fatal ? ZWRITER_DISCARD : ZWRITER_PUBLISH, &zerr) != ZWRITER_OK) {
        fprintf(err, "merge: %s\n", zwriter_strerror(&zerr));
        m.fatal = 1;
    }
    m.out = NULL;
    r = finish(&m);
done:
    if (m.out)
        csvout_close_as(m.out, ZWRITER_DISCARD, NULL);
    free(rec);
    free(m.ranks);
    resume_free(m.keys);
    return m.fatal ? MERGE_EXIT_FATAL : r;
}
