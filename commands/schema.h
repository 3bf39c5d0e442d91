/*
 * schema: `mtasts-scan schema [--markdown | --options-markdown]`, the tool describing its own
 * contract.  The columns of every table (plain, or as docs/codes.md lists them) come from the
 * schema in output/schema; the option table (as docs/options.md lists it) from pipeline/config.
 * The docs are generated from here and tests fail when they drift (schema_docs, options_docs).
 */
#ifndef MTASTS_SCHEMA_H
#define MTASTS_SCHEMA_H

#include <stdio.h>

/* argv[0] is "schema".  Writes to out; returns the scan's exit status (0, or 1 when out failed). */
int schema_main(int argc, char **argv, FILE *out);

#endif
