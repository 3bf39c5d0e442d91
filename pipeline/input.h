/*
 * input: the domain list.  The reader streams a file ("-" = stdin) line by line with fixed
 * buffers (memory does not grow with the file or with a line's length), decompressing zstd on
 * the fly (a ".zst" path, or any input that starts with the zstd magic number, stdin included;
 * concatenated frames are one stream).  A file that ends inside a zstd frame is an error, after
 * every complete line before the cut has been delivered.
 *
 * The line parser is a pure function.  Accepted lines: "domain" or Tranco-style "rank,domain"
 * (further CSV columns ignored), LF or CRLF, surrounding blanks trimmed, a UTF-8 BOM on line 1
 * ignored.  Skipped: blank lines, '#' comments, and header lines ("rank,domain", "domain", ...:
 * see input_parse_line).  A usable domain is lower-cased, loses one trailing dot, and must be:
 *   - LDH labels of 1..63 characters: letters, digits, '-' not at a label's start or end
 *     (A-labels "xn--..." are LDH, so IDNs in punycode are fine);
 *   - no underscore: mail domains are host names, and the MTA-STS policy host
 *     mta-sts.<domain> needs a WebPKI certificate, which cannot name an underscore label;
 *   - at least two labels: a TLD alone has no MTA-STS deployment in practice;
 *   - not all-numeric in its last label (rejects IPv4 literals such as 192.0.2.1);
 *   - 253 characters at most.
 * A non-ASCII name is invalid with the reason "non-ASCII name: convert to A-label (punycode)".
 * Invalid lines are reported, not dropped, so the caller writes a row with verdict input_invalid.
 */
#ifndef MTASTS_INPUT_H
#define MTASTS_INPUT_H

#include <stddef.h>

#include "scanner/result.h"

/* Longest line (without its LF) that is parsed; longer lines are INVALID. */
#define INPUT_LINE_MAX 4096

enum input_status {
    INPUT_OK = 0,
    INPUT_ERR_NOMEM = 1,
    INPUT_ERR_OPEN = 2,      /* fopen failed (errno in the message) */
    INPUT_ERR_READ = 3,      /* read error (EIO, ...) */
    INPUT_ERR_ZSTD = 4,      /* corrupt zstd data (libzstd's reason in the message) */
    INPUT_ERR_TRUNCATED = 5, /* the file ends inside a zstd frame */
    INPUT_STATUS__COUNT
};
const char *input_status_str(enum input_status s);

/* One line as read.  text is NUL-terminated but may hold NUL bytes itself (len counts them);
 * it excludes the LF.  A line longer than INPUT_LINE_MAX is cut to INPUT_LINE_MAX + 1 bytes (the
 * rest is skipped without being stored) so that the parser sees it is too long. */
struct input_line {
    const char *text; /* borrowed until the next input_next() or input_close() */
    size_t len;
    long line_no;     /* 1-based, every physical line counted */
};

struct input;

/* Opens path ("-" = stdin, borrowed and not closed).  Returns NULL and writes a message such as
 * "open list.txt: No such file or directory" to err (errlen bytes) on failure.  Caller frees with
 * input_close(). */
struct input *input_open(const char *path, char *err, size_t errlen);

/* Reads the next line into *out: 1 = a line, 0 = end of input, -1 = error (input_error()).  A
 * last line without LF is delivered; after an error, further calls return -1. */
int input_next(struct input *in, struct input_line *out);

/* The error message ("" while none) and status.  Borrowed until input_close(). */
const char *input_error(const struct input *in);
enum input_status input_status(const struct input *in);

/* Physical lines delivered so far (the last line_no). */
long input_lines_read(const struct input *in);

#define INPUT_SHA256_HEX 65 /* 64 hex digits and a NUL */

/* The SHA-256 of the raw bytes (the file as stored: compressed for .zst), computed while reading.
 * drain: when the reader stopped early (an interrupted scan) and the input is a regular file,
 * read the rest through the hash first (nothing is parsed); stdin and pipes are never drained.
 * Returns 1 with hex filled when every byte up to end of file was hashed, else 0 and hex "".
 * *bytes = raw bytes read.  Can be called more than once. */
int input_digest(struct input *in, int drain, char hex[INPUT_SHA256_HEX], unsigned long long *bytes);

/* Closes the file (not stdin) and frees in.  NULL is a no-op. */
void input_close(struct input *in);

enum input_line_kind {
    INPUT_SKIP = 0,  /* blank, comment or header: nothing to scan, nothing to write */
    INPUT_DOMAIN,    /* entry.domain and entry.rank are set */
    INPUT_INVALID    /* entry.raw, entry.rank and entry.reason are set */
};

struct input_entry {
    char domain[RESULT_NAME_MAX]; /* normalized name (INPUT_DOMAIN), "" otherwise */
    char raw[RESULT_NAME_MAX];    /* the domain field as given ("rank,domain" lines) or the
                                   * whole trimmed line, cut to 255 bytes ("..." marks a cut);
                                   * control bytes and bytes that are not valid UTF-8 are shown
                                   * as \xNN so the CSV cell stays printable UTF-8 */
    long rank;                    /* the line's rank column, or line_no when it has none */
    long line_no;
    char reason[128];             /* why the line is INVALID, "" otherwise */
};

/* Classifies one line (without its LF; a trailing CR is ignored) and fills *out.  Pure: no I/O,
 * no globals.  Header lines skipped: a first field that is one of "domain", "domains", "host",
 * "hostname", "name", "site", "url" alone, or a line of two or more fields whose first field is
 * not a number and whose first two fields hold only letters, '_', '-' and blanks (e.g.
 * "rank,domain", "Rank,Domain"). */
enum input_line_kind input_parse_line(const char *line, size_t len, long line_no,
                                      struct input_entry *out);

/* Classifies one DOMAIN argument of `mtasts-scan check` (position: 1-based, the rank) and fills
 * *out.  Unlike a line it is never skipped: an empty (or all-blank) argument, "#..." or a header
 * word is INVALID with a reason naming the argument, so check reports every argument it was
 * given.  Pure. */
enum input_line_kind input_parse_argument(const char *arg, long position, struct input_entry *out);

#endif
