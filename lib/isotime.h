/*
 * isotime: the one text form of a time in every output of the tool, UTC ISO 8601 with a
 * four-digit zero-padded year ("2026-11-22T06:10:33Z", "0226-01-01T00:00:00Z"), and its one
 * parser.  The CSV tables, check's text and JSON, diff's change rows, --metadata and the
 * certificate stage all format through here, so a fix to the form reaches every output at once.
 * A time is a time_t everywhere else; 0 means "unknown" (written as "" or JSON null).  Pure.
 */
#ifndef MTASTS_ISOTIME_H
#define MTASTS_ISOTIME_H

#include <stddef.h>
#include <time.h>

/* Characters of "YYYY-MM-DDTHH:MM:SSZ" and of "YYYY-MM-DD", without the NUL. */
#define ISOTIME_LEN 20
#define ISOTIME_DATE_LEN 10

/* Writes t as "2026-11-22T06:10:33Z" into buf (size > ISOTIME_LEN) and returns buf.  Writes ""
 * when t is 0 (unknown), when its year is outside 0-9999 (no four-digit form) or when buf is too
 * small (nothing rather than a cut time). */
char *isotime_format(time_t t, char *buf, size_t size);

/* As isotime_format, the date alone: "2026-11-22" (size > ISOTIME_DATE_LEN). */
char *isotime_format_date(time_t t, char *buf, size_t size);

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC, digits at their places, a real calendar date,
 * hours 00-23, minutes and seconds 00-59) into *t.  Returns 0, or -1 (and *t untouched) for
 * anything else, so every time that parses is written back byte for byte by isotime_format
 * (except year 1970-01-01T00:00:00Z, which is time_t 0 and so "unknown"). */
int isotime_parse(const char *s, time_t *t);

#endif
