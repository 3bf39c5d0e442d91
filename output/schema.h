/*
 * schema: the four tables the tool writes and reads, each described ONCE, ZMap-style, by a table
 * of typed column descriptors {name, type, place in the row record, meaning} (struct cell_column).
 * That table is the header row and every cell that csvout writes, the cells that csvin reads back,
 * the text of schema_print() (--schema) and docs/codes.md's column list, so they cannot disagree.
 * The writer and the reader both depend on this module; neither depends on the other.
 *
 * Domain table: one row per input line (including input_invalid lines).  MX table: one row per
 * probed (MX host, address).  Domain-MX table: one row per (domain, MX host).  Changes table: one
 * row per (domain, change) of `diff` / --changes-output.  Column names and order are a contract
 * with users' notebooks: add columns at the end only (one line in the table of schema.c).  A cell
 * that has no value is empty; statuses are the stable *_str() strings; lists stay ';'-joined as
 * the result record has them; times are UTC ISO 8601 ("2026-11-22T06:10:33Z").
 *
 * Formula guard (--csv-formula-guard): a guarded file prefixes ' to every text cell (COL_STR) that
 * starts with = + - @ or ' (schema_guard_needed; the apostrophe too, so the change is reversible)
 * and ends every row with an extra column, SCHEMA_GUARD_COLUMN = "yes", that says so.  csvout
 * writes it (csvout_open_guard); csvin sees the column and takes the ' off again.
 */
#ifndef MTASTS_OUTPUT_SCHEMA_H
#define MTASTS_OUTPUT_SCHEMA_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "output/cell.h"
#include "scanner/changes.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"

enum schema_table {
    SCHEMA_DOMAIN = 0, /* one row per domain (struct domain_result) */
    SCHEMA_MX = 1,     /* one row per probed MX address (struct schema_mx_row) */
    SCHEMA_EDGE = 2,   /* one row per (domain, MX host) (struct schema_edge_row) */
    SCHEMA_CHANGES = 3 /* one row per (domain, change) of `diff` (struct changes_row) */
};

/* One (domain, MX host) edge as the edge CSV sees it: an owned, flat, typed record built from
 * a domain's r->mxs[i] (schema_edge_row_fill), described by offsets like the other tables. */
struct schema_edge_row {
    char domain[RESULT_NAME_MAX];
    long rank;
    char mx_host[RESULT_NAME_MAX];
    int preference;          /* -1: the implicit MX (empty cell) */
    int covered;             /* 1 yes, 0 no, -1 no valid enforce/testing policy (empty) */
    char probe_status[32];   /* not_probed, no_address, ok, or an smtp_probe_status */
    struct issue_set issues;
    int addresses_probed;    /* -1: not probed (empty) */
    int dane_match;          /* enum dane_match, the host's worst address (none: empty) */
    int tlsa_dnssec;         /* enum dns_sec of the host's TLSA lookup; DNS_SEC__COUNT: none */
};

/* Resets e to its every-cell-empty state. */
void schema_edge_row_init(struct schema_edge_row *e);

/* Fills e from the i-th MX edge of r (i < r->n_mx). */
void schema_edge_row_fill(struct schema_edge_row *e, const struct domain_result *r, size_t i);

/* The TLSA records of a host as the MX table writes them ("3 1 1 <hex>;..."), cut with "...". */
#define SCHEMA_TLSA_TEXT_MAX 1024

/* One probed (host, address) as the MX CSV sees it: an owned, flat, typed record, so that the
 * schema can describe every cell by its offset and csvin can read a row back into it.  verify_ok
 * is kept as a column of its own (the probe's certificate flags are not in the CSV). */
struct schema_mx_row {
    char mx_host[RESULT_NAME_MAX];
    char address[64];                     /* text form, e.g. "192.0.2.1" or "2001:db8::1" */
    struct smtp_probe_result probe;
    int verify_ok;                        /* -1 no handshake (empty cell), 0 no, 1 yes */
    long domains_sharing;                 /* < 0 = unknown (empty cell) */
    time_t probed_at;                     /* 0 = unknown (empty cell) */
    char tlsa[SCHEMA_TLSA_TEXT_MAX];      /* the host's TLSA records as published, ';'-joined */
    int tlsa_dnssec;                      /* enum dns_sec of that lookup; DNS_SEC__COUNT: none */
};

/* Resets a row to "nothing known" (every cell empty; status ok). */
void schema_mx_row_init(struct schema_mx_row *m);

/* Fills m from one probe's outcome (copied; nothing borrowed after return); no TLSA lookup. */
void schema_mx_row_fill(struct schema_mx_row *m, const char *host, const char *address_text,
                        const struct smtp_probe_result *p, long domains_sharing, time_t probed_at);

/* Adds the host's TLSA lookup to m: its DNSSEC status sec and its records (set, may be NULL when
 * none were published).  set borrowed. */
void schema_mx_row_set_tlsa(struct schema_mx_row *m, enum dns_sec sec,
                            const struct dane_tlsa_set *set);

/* 1 when a file of table t must have column i to be read: the columns of the first version
 * (domain 18, MX 20) are; every column added after them is optional, so that a file written
 * before it existed still reads (the record keeps its initial value).  New columns therefore
 * need nothing but their one table line. */
int schema_column_required(enum schema_table t, size_t i);

/* "domain" or "MX", for messages. */
const char *schema_table_str(enum schema_table t);

/* The schema of table t; *n gets the number of columns.  Static storage. */
const struct cell_column *schema_columns(enum schema_table t, size_t *n);

/* The column named name in table t, or NULL; *index (may be NULL) gets its position. */
const struct cell_column *schema_find_column(enum schema_table t, const char *name, size_t *index);

/* Size of table t's row record (struct domain_result or struct schema_mx_row). */
size_t schema_record_size(enum schema_table t);

/* Resets rec (a record of table t) to its initial, every-cell-empty state. */
void schema_record_init(enum schema_table t, void *rec);

/* Prints the four schemas (name and description of every column, in order) to f. */
void schema_print(FILE *f);

/* Prints the four schemas as the Markdown of docs/codes.md's "Columns" section (tables of name, type,
 * meaning); tests/integration/schema_docs.sh checks that the document holds exactly this. */
void schema_print_markdown(FILE *f);

/* The extra last column of a guarded file (see the formula guard above). */
#define SCHEMA_GUARD_COLUMN "csv_formula_guard"

/* 1 when a guarded file changes the text cell s (it starts with = + - @ or '). */
int schema_guard_needed(const char *s);

#endif
