/*
 * progress: the once-a-second status line on stderr (ZMap style: results to files, status to
 * stderr).  It only reads counters that the scan keeps; it owns nothing.  On a terminal the line
 * is fitted to the terminal's width (fields of least use dropped first), so it never wraps and
 * an in-place redraw leaves nothing behind.
 */
#ifndef MTASTS_PROGRESS_H
#define MTASTS_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "scanner/codes.h"

struct progress_view {
    double elapsed_sec;
    unsigned long done, total;       /* total 0 = unknown (stdin, .zst) */
    unsigned long in_flight;
    unsigned long dns_sent, dns_timeouts, https_fetches, smtp_probes;
    const unsigned long *by_verdict; /* VERDICT__COUNT entries */
};

/* Formats the status line into buf (NUL-terminated, no line end) in at most width - 1 columns
 * (one spare, so a terminal never wraps it), or unlimited with width 0.  Fields are dropped,
 * least useful first, until the line fits; the first (elapsed, done/total) is cut as a last
 * resort.  Returns the length.  Pure. */
size_t progress_format(char *buf, size_t len, const struct progress_view *v, int width);

/* The width of the terminal on fd: TIOCGWINSZ, else $COLUMNS, else 80. */
int progress_term_width(int fd);

/* Prints one status line: redrawn in place ("\r", erase) when in_place, else "\n"-terminated.
 * On a terminal the line is fitted to its width. */
void progress_print(FILE *f, const struct progress_view *v, int in_place);

#endif
