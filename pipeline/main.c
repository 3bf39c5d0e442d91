/*
 * main: mtasts-scan's entry point.  Parses the command line into the configuration object and
 * hands it to the scan driver (pipeline/scan.c).  Data flows input -> pipeline -> scanner stages
 * -> classify -> output; see README.md for the map.
 */
#include <stdio.h>

#include "pipeline/config.h"
#include "pipeline/scan.h"

int main(int argc, char **argv)
{
    struct config cfg;
    config_defaults(&cfg);
    int r = config_parse_args(&cfg, argc, argv, stdout, stderr);
    if (r > 0)
        return SCAN_EXIT_OK;
    if (r < 0 || config_check_files(&cfg, stderr) < 0)
        return SCAN_EXIT_USAGE;
    return scan_run(&cfg);
}
