/*
 * main: mtasts-scan's entry point.  Parses the command line into the configuration object and
 * hands it to the scan driver (pipeline/scan.c).  Data flows input -> pipeline -> scanner stages
 * -> classify -> output; see README.md for the map.
 */
#include <stdio.h>
#include <string.h>

#include "output/csvout.h"
#include "pipeline/config.h"
#include "pipeline/merge.h"
#include "pipeline/scan.h"

int main(int argc, char **argv)
{
    /* Subcommands come before option parsing: `merge` (pipeline/merge.h) and `schema
     * [--markdown]` (the columns as docs/codes.md lists them; --schema stays the plain list). */
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc - 1, argv + 1, stdout, stderr);
    if (argc > 1 && strcmp(argv[1], "schema") == 0) {
        if (argc > 2 && strcmp(argv[2], "--markdown") == 0)
            csvout_print_schema_markdown(stdout);
        else
            csvout_print_schema(stdout);
        return fflush(stdout) == 0 ? SCAN_EXIT_OK : SCAN_EXIT_FATAL;
    }
    struct config cfg;
    config_defaults(&cfg);
    int r = config_parse_args(&cfg, argc, argv, stdout, stderr);
    if (r > 0)
        return SCAN_EXIT_OK;
    if (r < 0 || config_check_files(&cfg, stderr) < 0)
        return SCAN_EXIT_USAGE;
    return scan_run(&cfg);
}
