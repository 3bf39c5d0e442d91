/*
 * diff: scans over time.  `mtasts-scan diff OLD NEW` compares two domain tables (plain or .zst,
 * any row order) and writes the changes table (output/csvout.h CSVOUT_CHANGES); the same engine,
 * a diff_monitor, runs inside a scan for `--previous OLD --changes-output FILE`.  The rules are
 * scanner/changes.c's; this module owns the files and the memory:
 *   - OLD is loaded once into a compact index keyed by domain (the few fields the rules read,
 *     strings in an arena: about 150 bytes a domain), then NEW streams through csvin row by row,
 *     so memory is bounded by OLD's size, never NEW's;
 *   - domains of OLD that NEW never had are reported (domain_removed) after NEW ends;
 *   - MX certificate dates come from NEW's MX table (--new-mx) or, in a scan, from its probes.
 * Rows are read through the schema (csvin), never by column position.
 */
#ifndef MTASTS_DIFF_H
#define MTASTS_DIFF_H

#include <stdio.h>
#include <time.h>

#include "output/csvout.h"

#include "scanner/changes.h"
#include "scanner/result.h"

enum diff_exit {
    DIFF_EXIT_OK = 0,
    DIFF_EXIT_FATAL = 1,   /* a file unreadable, not a domain table, or malformed; a write error */
    DIFF_EXIT_USAGE = 2,
    DIFF_EXIT_FAIL_ON = 3  /* a change (or verdict / issue) listed in --fail-on occurred */
};

/* The `diff` subcommand: argv[0] is "diff".  Returns an enum diff_exit. */
int diff_main(int argc, char **argv, FILE *out, FILE *err);

struct diff_monitor;

/* Loads previous (a domain table) into the index; changes rows go to out (a CSVOUT_CHANGES
 * writer, borrowed until diff_monitor_free; NULL = count only).  o and f (f may be NULL) are
 * copied.  label (static) starts every message about previous ("mtasts-scan: --previous").
 * An incomplete previous (named as a work file, NAME.partial, or cut inside a row or zstd frame:
 * a scan that did not finish, whose missing domains would all read as domain_added) is refused
 * unless allow_partial (--allow-partial), which compares its complete rows with a warning.
 * Returns NULL after printing why to err.  Caller frees with diff_monitor_free(). */
struct diff_monitor *diff_monitor_open(const char *label, const char *previous, struct csvout *out,
                                       const struct changes_opts *o, const struct changes_failon *f,
                                       int allow_partial, FILE *err);

/* In a scan, MX rows (and their certificate dates) are written when the MX cache lets them go,
 * often after the domains finish: from this call on, the certificate rules of each domain wait
 * for diff_monitor_finish (which must then come after the last diff_monitor_mx_cert).  The
 * domains kept for it are those that can have a certificate alert (a TLS handshake with the
 * policy host, or a valid _mta-sts record). */
void diff_monitor_defer_certs(struct diff_monitor *m);

/* Remembers the certificate expiry an MX probe saw (the MX table's cert_not_after; 0, unknown,
 * ignored).  The earliest date of a host's addresses is kept.  -1 on out-of-memory. */
int diff_monitor_mx_cert(struct diff_monitor *m, const char *host, time_t not_after);

/* One row of the previous scan, as the index keeps it (opaque). */
struct diff_old;

/* The previous scan's row of domain, NULL when it had none.  A scan looks each domain up once,
 * when it finishes: the row's testing_since is a fact for classify (diff_old_testing_since), then
 * the same pointer goes to diff_monitor_domain.  Borrowed until diff_monitor_free. */
struct diff_old *diff_monitor_find(struct diff_monitor *m, const char *domain);

/* Since when the old row's valid policy had been in mode testing (its testing_since, or its scan
 * time for a file without the column); 0 when it was not in mode testing, or old is NULL.  A
 * policy in mode testing in both scans keeps the start of its run (classify places it), so a
 * series of daily scans extends stuck_in_testing. */
time_t diff_old_testing_since(const struct diff_old *old);

/* Compares one finished domain of the new scan with its old row (old: diff_monitor_find's answer
 * for r->domain, NULL = none) and writes the changes.  r borrowed.  Returns 0, -1 on a write error
 * (the writer's sticky error, not printed here) or -2 on out-of-memory (printed). */
int diff_monitor_domain(struct diff_monitor *m, struct diff_old *old, const struct domain_result *r);

/* Writes domain_removed for every old domain not seen (unless list_removed is 0: an interrupted
 * scan did not see them all) and the deferred certificate rows, and prints the one-line summary
 * ("changes: N (...)") to err.  The writer stays open (its owner finishes it).  Returns 0, or -1
 * on a write error (not printed here). */
int diff_monitor_finish(struct diff_monitor *m, int list_removed);

/* Changes rows written so far that --fail-on lists (a scan counts its rows' verdicts and issue
 * codes itself; `diff` counts NEW's). */
unsigned long diff_monitor_failures(const struct diff_monitor *m);

/* Frees m (not the writer).  NULL is a no-op. */
void diff_monitor_free(struct diff_monitor *m);

#endif
