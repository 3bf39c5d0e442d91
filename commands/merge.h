/*
 * merge: the `mtasts-scan merge` subcommand.  Joins the domain tables of one input's shards and
 * resumed runs (plain or .zst each) into one table with one header (plain, or .zst when -o ends
 * in .zst), reading every row through csvin and writing it through csvout, so the result is typed
 * the same way as a scan's own output.  It streams: memory holds the key multiset of
 * pipeline/resume.h (about 24 MiB per 1M rows) and a bit per rank, never the rows.
 *
 * What it checks, on stderr:
 *   - duplicate rows: a (rank, domain) key seen more often than the input has that line (once,
 *     without --input).  The first row of a key is written, later ones are dropped.
 *   - rows whose key is not in --input at all (written, reported).
 *   - missing rows: without --input, gaps in the ranks 1..max seen (a list's ranks need not be
 *     dense, so gaps alone do not fail); with --input FILE, exactly which input lines have no row.
 *   - a cut (truncated) or empty input file, by name: an error (exit 1, nothing published) unless
 *     --allow-partial, which merges a cut file's complete rows and skips an empty file.
 * With --mx the files are MX tables: rows are joined under one header and a (host, address)
 * probed in several files (a host that domains of several shards, or a run and its resume, share
 * is probed in each) is kept once, its first row, so a report counts every address once; the
 * rows dropped are counted on stderr, exit 0.  Edge tables (--domain-mx-output) are recognised
 * by their header and merged the same way, a repeated (rank, domain, MX host) being a duplicate
 * (dropped, exit 3).
 */
#ifndef MTASTS_MERGE_H
#define MTASTS_MERGE_H

#include <stdio.h>

/* Exit statuses of `mtasts-scan merge`. */
enum merge_exit {
    MERGE_EXIT_OK = 0,
    MERGE_EXIT_FATAL = 1,      /* a file cannot be read or written, is not a table, or is malformed */
    MERGE_EXIT_USAGE = 2,
    MERGE_EXIT_DUPLICATES = 3, /* duplicate rows (dropped) or rows not in --input */
    MERGE_EXIT_MISSING = 4     /* with --input: some input lines have no row (no duplicates) */
};

/* Runs `merge` with argv[0] = "merge".  Messages go to err, --help to out.  Returns an enum
 * merge_exit. */
int merge_main(int argc, char **argv, FILE *out, FILE *err);

#endif
