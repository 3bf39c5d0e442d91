/*
 * scan: the driver.  Owns the event loop and every long-lived object of one scan (input, DNS
 * stage, TLS context, MX cache, the preallocated domain pool, the writers, the counters), starts a
 * domain whenever a pool slot is free and the rate limit allows, writes each row when its domain
 * finishes, and stops when the input is exhausted and nothing is in flight.
 */
#ifndef MTASTS_SCAN_H
#define MTASTS_SCAN_H

#include "pipeline/config.h"

/* Exit statuses of mtasts-scan. */
enum scan_exit {
    SCAN_EXIT_OK = 0,
    SCAN_EXIT_FATAL = 1,       /* output could not be written, input could not be read */
    SCAN_EXIT_USAGE = 2,
    SCAN_EXIT_FAIL_ON = 3,     /* a --fail-on finding (verdict, issue code, change) occurred */
    SCAN_EXIT_NO_RESOLVER = 4, /* the first --dns-abort-after lookups all got no answer */
    SCAN_EXIT_INTERRUPTED = 130
};

/* Runs the whole scan described by cfg; returns an enum scan_exit. */
int scan_run(const struct config *cfg);

#endif
