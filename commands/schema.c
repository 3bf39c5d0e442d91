/* schema: the columns and the options printed for the docs (see schema.h). */
#include "commands/schema.h"

#include <string.h>

#include "output/schema.h"
#include "pipeline/config.h"
#include "pipeline/scan.h"

int schema_main(int argc, char **argv, FILE *out)
{
    if (argc > 1 && strcmp(argv[1], "--markdown") == 0)
        schema_print_markdown(out); /* docs/codes.md's column tables */
    else if (argc > 1 && strcmp(argv[1], "--options-markdown") == 0)
        config_print_options_markdown(out); /* docs/options.md's generated table */
    else
        schema_print(out); /* the plain list, as --schema prints it */
    return fflush(out) == 0 ? SCAN_EXIT_OK : SCAN_EXIT_FATAL;
}
