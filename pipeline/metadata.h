/*
 * metadata: the scan's record of how it was made (--metadata FILE), ZMap's --metadata-file in
 * spirit: tool version and source revision, library versions, the command line and every
 * effective option, resolvers, the input (path, SHA-256, lines, --list-id), shard, host, start and
 * end time, counts by verdict, DNS/HTTPS/SMTP counters, status, reason and exit status.  The
 * format is a contract like the CSV columns: docs/metadata.md describes every field; fields may
 * be added, never renamed or dropped.
 *
 * The driver (pipeline/scan.c) fills a struct metadata as the scan goes and calls
 * metadata_write() at the start (status "running", so a scan killed with SIGKILL still leaves a
 * record), at the end, and when it is interrupted or fails.  The file is replaced atomically
 * (written beside it as FILE.tmp, created with O_EXCL|O_NOFOLLOW, then renamed), so a reader
 * never sees half a record; a device or a FIFO is written in place, never replaced.
 *
 * The JSON writer below is small and strict: strings are escaped per RFC 8259 (quote, backslash,
 * control bytes as \u00XX), bytes that are not valid UTF-8 become U+FFFD, so any input yields
 * valid JSON.
 */
#ifndef MTASTS_METADATA_H
#define MTASTS_METADATA_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "pipeline/config.h"
#include "pipeline/input.h"
#include "scanner/codes.h"
#include "scanner/dns.h"
#include "pipeline/mxcache.h"

enum metadata_status {
    METADATA_RUNNING = 0,    /* written at the start; still there when the process was killed */
    METADATA_COMPLETED,      /* the input was scanned to its end */
    METADATA_INTERRUPTED,    /* SIGINT/SIGTERM: rows already written are kept */
    METADATA_FAILED,         /* set-up, input or output error: see reason */
    METADATA_STATUS__COUNT
};
const char *metadata_status_str(enum metadata_status s);

/* Everything the record holds.  The driver writes the fields directly; pointers are borrowed. */
struct metadata {
    const struct config *cfg;    /* the command line is cfg->argv */
    enum metadata_status status;
    char reason[512];            /* "" = none */
    int exit_status;             /* meaningful unless status is RUNNING */
    time_t started, ended;       /* ended 0 while running */
    double duration_sec;
    /* input */
    char input_sha256[INPUT_SHA256_HEX]; /* "" = unknown (stdin not read to its end, error) */
    unsigned long long input_bytes;
    long input_lines;            /* physical lines the scan read */
    int input_read_complete;     /* the scan read the input to its end */
    /* counts (pointers may be NULL before set-up finished) */
    unsigned long entries, started_domains, rows, skipped_shard, skipped_resume;
    const unsigned long *by_verdict;            /* VERDICT__COUNT entries */
    const struct dns_counters *dns;
    unsigned long https_fetches;
    const struct mxcache_counters *smtp;
    /* the DNSSEC probe at the start (dns_probe_dnssec): unset until it answered */
    int dnssec_probed;
    enum dns_status dnssec_probe;
    enum dns_validation dnssec_validation;
};

/* Zeroes m and sets what is known before the scan starts (time, command line). */
void metadata_init(struct metadata *m, const struct config *cfg);

/* Records the first reason (printf-style); later calls keep the first one. */
void metadata_reason(struct metadata *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes the JSON record to f.  Returns 0, or -1 when f reports a write error. */
int metadata_write_json(const struct metadata *m, FILE *f);

/* Writes the record to path atomically (path.tmp, then rename; a device or FIFO in place).
 * Returns 0, or -1 with a message in err. */
int metadata_write(const struct metadata *m, const char *path, char *err, size_t errlen);

#endif
