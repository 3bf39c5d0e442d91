/*
 * progress: the once-a-second status line on stderr (ZMap style: results to files, status to
 * stderr).  It only reads counters that the scan keeps; it owns nothing.
 */
#ifndef MTASTS_PROGRESS_H
#define MTASTS_PROGRESS_H

#include <stdio.h>

#include "scanner/codes.h"

struct progress_view {
    double elapsed_sec;
    unsigned long done, total;       /* total 0 = unknown (stdin, .zst) */
    unsigned long in_flight;
    unsigned long dns_sent, dns_timeouts, https_fetches, smtp_probes;
    const unsigned long *by_verdict; /* VERDICT__COUNT entries */
};

/* Prints one status line ("\r"-terminated on a tty, "\n" otherwise). */
void progress_print(FILE *f, const struct progress_view *v, int tty);

#endif
