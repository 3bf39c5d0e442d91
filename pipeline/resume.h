/*
 * resume: continuing a scan that was interrupted.  Loads the domain CSV an earlier run wrote
 * (plain or .zst, possibly cut short by a kill or a full disk) and remembers the rank of every
 * complete row, so that the new run skips those input lines and writes only the rest.  Memory is
 * a bit set over ranks: 1M ranks cost 128 KiB.
 */
#ifndef MTASTS_RESUME_H
#define MTASTS_RESUME_H

#include <stddef.h>

struct resume;

/* Reads path.  Returns NULL with err filled when it cannot be read at all; a truncated .zst is
 * not an error (every complete row before the cut counts).  Free with resume_free. */
struct resume *resume_load(const char *path, char *err, size_t errlen);

/* 1 when a complete row with this rank was found. */
int resume_done(const struct resume *r, long rank);

/* Number of complete rows found. */
size_t resume_count(const struct resume *r);

void resume_free(struct resume *r);

#endif
