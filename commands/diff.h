/*
 * diff: the `mtasts-scan diff OLD NEW` command line.  Its options are rows of the option table
 * (pipeline/config.c, the same validation and messages as the scan's); the files are checked
 * (pipeline/paths.h), then OLD is loaded into a monitor (pipeline/monitor.h, the engine a scan
 * runs for --previous), NEW is streamed through it and the changes table is published.  NEW's
 * verdicts and issue codes listed in --fail-on are counted here, as a scan counts its rows'.
 */
#ifndef MTASTS_COMMANDS_DIFF_H
#define MTASTS_COMMANDS_DIFF_H

#include <stdio.h>

enum diff_exit {
    DIFF_EXIT_OK = 0,
    DIFF_EXIT_FATAL = 1,   /* a file unreadable, not a domain table, or malformed; a write error */
    DIFF_EXIT_USAGE = 2,
    DIFF_EXIT_FAIL_ON = 3  /* a change (or verdict / issue) listed in --fail-on occurred */
};

/* The `diff` subcommand: argv[0] is "diff".  Returns an enum diff_exit. */
int diff_main(int argc, char **argv, FILE *out, FILE *err);

#endif
