/*
 * resume: continuing a scan that was interrupted, and the row-key multiset that merge shares.
 *
 * A row's key is (rank, domain) as the scan writes them: the normalised name, or for an
 * input_invalid line the raw text the row holds in `domain`.  Keys are kept as a multiset (a count
 * per key), because an input may repeat a rank or a whole line: an input line is skipped when its
 * key still has a count > 0, which is then decremented, so every input line ends up in exactly one
 * complete row across the old and the new output.  Only a 64-bit hash of each key and its count
 * are stored (12 bytes a slot, at most half the slots used): 1M rows cost about 24 MiB.  Two
 * different keys collide with probability about n^2 / 2^65 (3e-8 at 1M rows).
 *
 * The earlier output is read through csvin (output/csvin.h), so rows of any length count, columns
 * are found by name, and a row cut by a kill (or a cut zstd frame) is never counted: that line is
 * scanned again.
 */
#ifndef MTASTS_RESUME_H
#define MTASTS_RESUME_H

#include <stddef.h>

#include "pipeline/input.h"

struct resume;

/* An empty key multiset, or NULL on OOM.  Free with resume_free. */
struct resume *resume_new(void);

/* Reads the domain table at path (plain or .zst; a cut end or an empty file is fine: every
 * complete row before it counts).  Returns NULL with a message in err (errlen bytes) when the file
 * cannot be opened, is not a domain table, holds a malformed row or is corrupt.  Free with
 * resume_free. */
struct resume *resume_load(const char *path, char *err, size_t errlen);

/* As resume_load, and with want_mx also the MX hosts the earlier run asked the MX cache for: of
 * every row whose starttls_status is not not_probed, each host of its `mx` column (the domain
 * itself for an implicit MX).  A killed run loses the MX rows still held in its cache (they are
 * written when a host's count is final), so the resumed run probes those hosts again
 * (pipeline/scan.c); `merge --mx` keeps each (host, address) once. */
struct resume *resume_load_mx(const char *path, int want_mx, char *err, size_t errlen);

/* One MX host of resume_load_mx: its name and how many rows listed it.  Borrowed from r. */
struct resume_mx_host {
    char *host;
    long rows;
};

/* The MX hosts collected (first-seen order); *n gets their number.  Borrowed from r. */
const struct resume_mx_host *resume_mx_hosts(const struct resume *r, size_t *n);

/* Adds one row's key.  Returns how many rows held the key before (0 = first), -1 on OOM. */
long resume_add(struct resume *r, long rank, const char *domain);

/* Takes one row of this key: 1 = taken (its count was > 0 and is decremented), 0 = the key was
 * added but every row of it is taken, -1 = never added. */
int resume_take(struct resume *r, long rank, const char *domain);

/* The domain a scan writes for an input entry (the normalised name, or the raw text of an
 * invalid line), which is the row key's domain.  Borrowed from e. */
const char *resume_entry_domain(enum input_line_kind kind, const struct input_entry *e);

/* resume_take for the row an input entry would produce; 1 = skip this line. */
int resume_take_entry(struct resume *r, enum input_line_kind kind, const struct input_entry *e);

/* Rows added (with repeats). */
size_t resume_count(const struct resume *r);

/* 1 when the loaded file ended inside a row or zstd frame (that row is scanned again). */
int resume_truncated(const struct resume *r);

void resume_free(struct resume *r);

#endif
