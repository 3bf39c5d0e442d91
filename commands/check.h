/*
 * check: `mtasts-scan check DOMAIN...`, one domain explained.  Runs the scan's own stages
 * (pipeline/scan with report hooks: same DNS, policy fetch, STARTTLS probes and classifier as a
 * bulk scan) over the domains given, keeps the evidence the bulk scan does not (records as
 * published, policy text, per-address fetches and probes), compares the answers of several
 * --resolver when given, and prints one report per domain (commands/report) as text or JSON.
 *
 * Exit status: 0 when every domain is enforce_ok, testing_ok, mode_none or not_deployed with no
 * finding of severity error; 1 when one is not; 2 on a usage or runtime error.
 */
#ifndef MTASTS_CHECK_H
#define MTASTS_CHECK_H

#include <stdio.h>

enum check_exit {
    CHECK_EXIT_OK = 0,
    CHECK_EXIT_FINDINGS = 1, /* a domain fails or has an error-severity finding */
    CHECK_EXIT_ERROR = 2     /* usage error, or the scan itself failed */
};

/* argv[0] is "check".  Reports go to out, errors to err.  Returns an enum check_exit. */
int check_main(int argc, char **argv, FILE *out, FILE *err);

#endif
