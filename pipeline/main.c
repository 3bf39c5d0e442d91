/*
 * main: mtasts-scan's entry point.  Parses the command line into the configuration object and
 * hands it to the scan driver (pipeline/scan.c).  Data flows input -> pipeline -> scanner stages
 * -> classify -> output; see README.md for the map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config.h"
#include "pipeline/scan.h"

int main(int argc, char **argv)
{
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
        r = scan_run(&cfg);
    else
        r = r > 0 ? SCAN_EXIT_OK : SCAN_EXIT_USAGE;
    free(given);
    return r;
}
