/*
 * monitor: scans over time, the engine.  A monitor runs inside a scan for `--previous OLD
 * --changes-output FILE`, and `mtasts-scan diff OLD NEW` (commands/diff.h) drives the same monitor
 * over two domain tables (plain or .zst, any row order); either way it writes the changes table
 * (output/csvout.h SCHEMA_CHANGES).  The rules are scanner/changes.c's; this module owns the
 * files and the memory:
 *   - OLD is loaded once into a compact index keyed by domain (the few fields the rules read,
 *     strings in an arena: about 150 bytes a domain), then NEW streams through csvin row by row,
 *     so memory is bounded by OLD's size, never NEW's;
 *   - domains of OLD that NEW never had are reported (domain_removed) after NEW ends;
 *   - MX certificate dates come from NEW's MX table (--new-mx) or, in a scan, from its probes.
 * Rows are read through the schema (csvin), never by column position.
 */
#ifndef MTASTS_MONITOR_H
#define MTASTS_MONITOR_H

#include <stdio.h>
#include <time.h>

#include "output/csvout.h"

#include "scanner/changes.h"
#include "scanner/result.h"

struct monitor;

/* Loads previous (a domain table) into the index; changes rows go to out (a SCHEMA_CHANGES
 * writer, borrowed until monitor_free; NULL = count only).  o and f (f may be NULL) are
 * copied.  label (static) starts every message about previous ("mtasts-scan: --previous").
 * An incomplete previous (named as a work file, NAME.partial, or cut inside a row or zstd frame:
 * a scan that did not finish, whose missing domains would all read as domain_added) is refused
 * unless allow_partial (--allow-partial), which compares its complete rows with a warning.
 * Returns NULL after printing why to err.  Caller frees with monitor_free(). */
struct monitor *monitor_open(const char *label, const char *previous, struct csvout *out,
                                       const struct changes_opts *o, const struct changes_failon *f,
                                       int allow_partial, FILE *err);

/* In a scan, MX rows (and their certificate dates) are written when the MX cache lets them go,
 * often after the domains finish: from this call on, the certificate rules of each domain wait
 * for monitor_finish (which must then come after the last monitor_mx_cert).  The
 * domains kept for it are those that can have a certificate alert (a TLS handshake with the
 * policy host, or a valid _mta-sts record). */
void monitor_defer_certs(struct monitor *m);

/* Remembers the certificate expiry an MX probe saw (the MX table's cert_not_after; 0, unknown,
 * ignored).  The earliest date of a host's addresses is kept.  -1 on out-of-memory. */
int monitor_mx_cert(struct monitor *m, const char *host, time_t not_after);

/* The same for OLD's MX hosts (`diff --old-mx`): the certificate dates the old scan saw. */
int monitor_old_mx_cert(struct monitor *m, const char *host, time_t not_after);

/* Changes rows go to out from now on (a SCHEMA_CHANGES writer, borrowed until monitor_free):
 * `diff` opens its output only once OLD has loaded. */
void monitor_set_output(struct monitor *m, struct csvout *out);

/* An incomplete table (see monitor_open), label and path naming it: refused (-1, said on
 * err) unless allow, then a warning (0).  why is "work" (named as a work file) or "cut"
 * (truncated); text is the reader's message for a cut file (NULL: path is named). */
int monitor_incomplete(FILE *err, const char *label, const char *path, const char *why,
                       const char *text, int allow);

/* One row of the previous scan, as the index keeps it (opaque). */
struct monitor_old;

/* The previous scan's row of domain, NULL when it had none.  A scan looks each domain up once,
 * when it finishes: the row's testing_since is a fact for classify (monitor_old_testing_since), then
 * the same pointer goes to monitor_domain.  Borrowed until monitor_free. */
struct monitor_old *monitor_find(struct monitor *m, const char *domain);

/* Since when the old row's valid policy had been in mode testing (its testing_since, or its scan
 * time for a file without the column); 0 when it was not in mode testing, or old is NULL.  A
 * policy in mode testing in both scans keeps the start of its run (classify places it), so a
 * series of daily scans extends stuck_in_testing. */
time_t monitor_old_testing_since(const struct monitor_old *old);

/* Compares one finished domain of the new scan with its old row (old: monitor_find's answer
 * for r->domain, NULL = none) and writes the changes.  r borrowed.  Returns 0, -1 on a write error
 * (the writer's sticky error, not printed here) or -2 on out-of-memory (printed). */
int monitor_domain(struct monitor *m, struct monitor_old *old, const struct domain_result *r);

/* Writes domain_removed for every old domain not seen (unless list_removed is 0: an interrupted
 * scan did not see them all) and the deferred certificate rows, and prints the one-line summary
 * ("changes: N (...)") to err.  The writer stays open (its owner finishes it).  Returns 0, or -1
 * on a write error (not printed here). */
int monitor_finish(struct monitor *m, int list_removed);

/* Changes rows written so far that --fail-on lists (a scan counts its rows' verdicts and issue
 * codes itself; `diff` counts NEW's). */
unsigned long monitor_failures(const struct monitor *m);

/* Frees m (not the writer).  NULL is a no-op. */
void monitor_free(struct monitor *m);

#endif
