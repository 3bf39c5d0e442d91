/*
 * scan: the driver.  Owns the event loop and every long-lived object of one scan (input, DNS
 * stage, TLS context, MX cache, the preallocated domain pool, the result files through
 * pipeline/outputs, the counters), starts a domain whenever a pool slot is free and the rate
 * limit allows, writes each row when its domain finishes, and stops when the input is exhausted
 * and nothing is in flight.
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

struct domain;
struct smtp_probe_result;

/* A scan for a report (`mtasts-scan check`, commands/check.c): the domains come from
 * cfg->domains (cfg->check_mode), no CSV is written, and instead: */
struct scan_hooks {
    /* each finished domain: its facts in d (the report may take d->evidence and set it NULL),
     * its row in d->result; d is recycled after the hook returns */
    void (*report)(struct domain *d, void *arg);
    /* each MX probe's full result (borrowed), when the host leaves the MX cache or at the end */
    void (*mx_probe)(const char *host, const char *addr, const struct smtp_probe_result *res,
                     void *arg);
    void *arg;
};

/* The same stages as scan_run over cfg->domains, handing every result to hooks. */
int scan_run_hooks(const struct config *cfg, const struct scan_hooks *hooks);

#endif
