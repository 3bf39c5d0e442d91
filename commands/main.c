/*
 * main: mtasts-scan's entry point.  Parses the command line into the configuration object and
 * hands it to the scan driver (pipeline/scan.c).  Data flows input -> pipeline -> scanner stages
 * -> classify -> output; see README.md for the map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/check.h"
#include "commands/diff.h"
#include "commands/merge.h"
#include "commands/schema.h"
#include "pipeline/config.h"
#include "pipeline/scan.h"

int main(int argc, char **argv)
{
    /* Subcommands come before option parsing, each in commands/: check, merge, diff, schema. */
    if (argc > 1 && strcmp(argv[1], "check") == 0) /* one domain explained: commands/check.h */
        return check_main(argc - 1, argv + 1, stdout, stderr);
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc - 1, argv + 1, stdout, stderr);
    if (argc > 1 && strcmp(argv[1], "diff") == 0)
        return diff_main(argc - 1, argv + 1, stdout, stderr);
    if (argc > 1 && strcmp(argv[1], "schema") == 0)
        return schema_main(argc - 1, argv + 1, stdout);
    struct config cfg;
    config_defaults(&cfg);
    /* getopt_long reorders argv: keep the order as typed for the --metadata record */
    char **given = malloc(((size_t)argc + 1) * sizeof(*given));
    if (given) {
        memcpy(given, argv, ((size_t)argc + 1) * sizeof(*given));
        cfg.argc = argc;
        cfg.argv = given;
    }
    int r = config_parse_args(&cfg, argc, argv, stdout, stderr);
    if (r == 0)
        r = config_check_files(&cfg, stderr) < 0 ? SCAN_EXIT_USAGE : scan_run(&cfg);
    else
        r = r > 0 ? SCAN_EXIT_OK : SCAN_EXIT_USAGE;
    free(given);
    return r;
}
