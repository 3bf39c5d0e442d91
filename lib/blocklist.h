/*
 * blocklist: what the scan must never contact (--blocklist FILE, an operator's opt-out list).
 * The file format follows ZMap's conf/blocklist.conf: one entry per line, '#' starts a comment
 * (whole line or after the entry), blank lines are ignored.  An entry is
 *
 *   192.0.2.0/24, 192.0.2.7        an IPv4 prefix (a bare address is a /32)
 *   2001:db8::/32, 2001:db8::1     an IPv6 prefix (a bare address is a /128)
 *   example.com, .example.com      a domain suffix: example.com and every name under it
 *                                  (mail.example.com), matched on label boundaries, so
 *                                  notexample.com is not listed
 *
 * Unlike ZMap, a name is not resolved to addresses: it is a suffix of names the scan must not look
 * up or connect to.  Host bits after the prefix are ignored (10.1.2.3/8 is 10.0.0.0/8), as in
 * ZMap.  An IPv6 entry inside ::ffff:0:0/96 (IPv4-mapped, ::ffff:192.0.2.7) is the IPv4 entry it
 * maps (192.0.2.7/32), so it lists the IPv4 address however it is reached; a shorter IPv6 prefix
 * (::/0) lists IPv6 addresses only, never the whole IPv4 space.  A UTF-8 byte order mark at the
 * start of the file is skipped.  A line that is none of these is an error with its line number: a
 * typo in an opt-out list must stop the scan, not silently scan the domain.  Names are ASCII
 * (internationalized names are written in punycode, xn--...) and no label starts or ends with '-',
 * as in the domain list (so "-x", an option pasted into the file, is refused).
 *
 * The parser (blocklist_parse_line) is a pure function.  The list is indexed so that a million
 * entries load in about a second and a match costs a few hash lookups, never a scan of the list:
 * names in a hash set of suffixes (one lookup per label of the name), prefixes in one hash set
 * keyed by (family, length, masked address), probed once per prefix length in use (at most 33
 * lookups for IPv4, 129 for IPv6), longest first.  Entry texts live in one arena.
 */
#ifndef MTASTS_BLOCKLIST_H
#define MTASTS_BLOCKLIST_H

#include <stddef.h>
#include <sys/socket.h>

enum blocklist_status {
    BLOCKLIST_OK = 0,
    BLOCKLIST_EMPTY,        /* blank or comment-only line: nothing to add */
    BLOCKLIST_BAD_ENTRY,    /* neither an address, a prefix nor a domain name */
    BLOCKLIST_BAD_PREFIX,   /* prefix length missing, not a number, or too long for the family */
    BLOCKLIST_EXTRA_TEXT,   /* a second word on the line (one entry per line) */
    BLOCKLIST_LINE_TOO_LONG,
    BLOCKLIST_NO_MEMORY,
    BLOCKLIST_IO,           /* the file cannot be opened or read */
    BLOCKLIST_NOT_ASCII,    /* a byte over 0x7f: an internationalized name not in punycode */
    BLOCKLIST_DASH,         /* a label starts or ends with '-' ("-x": an option in the file?) */
    BLOCKLIST_STATUS__COUNT
};
const char *blocklist_status_str(enum blocklist_status s);

enum blocklist_kind { BLOCKLIST_DOMAIN, BLOCKLIST_V4, BLOCKLIST_V6 };

#define BLOCKLIST_LINE_MAX 1024
#define BLOCKLIST_TEXT_MAX 256 /* an entry as written back: a name (253) or "addr/len" */

/* One parsed entry.  text is the canonical form (lower-case name without dots at the ends, or
 * the masked "addr/len") that matches return and the rows cite. */
struct blocklist_entry {
    enum blocklist_kind kind;
    unsigned char addr[16];  /* network order, masked to prefix; 4 bytes used for V4 */
    int prefix;              /* bits */
    char text[BLOCKLIST_TEXT_MAX];
};

/* Parses one line (no terminator needed; a trailing CR is ignored; a leading UTF-8 byte order mark
 * is not skipped here: only the first line of a text or file may carry one).  BLOCKLIST_OK fills out;
 * BLOCKLIST_EMPTY for blank/comment lines; otherwise the reason the line is not an entry. */
enum blocklist_status blocklist_parse_line(const char *line, size_t len, struct blocklist_entry *out);

struct blocklist;

/* An empty list; NULL when out of memory.  Free with blocklist_free. */
struct blocklist *blocklist_new(void);
void blocklist_free(struct blocklist *bl);

enum blocklist_status blocklist_add(struct blocklist *bl, const struct blocklist_entry *e);

/* Adds every line of text (LF or CRLF lines; a UTF-8 byte order mark at the start is skipped).
 * Stops at the first bad line: its number (1-based) goes to *bad_line. */
enum blocklist_status blocklist_add_text(struct blocklist *bl, const char *text, size_t len,
                                         unsigned long *bad_line);

/* Reads a blocklist file, streamed line by line (a line over BLOCKLIST_LINE_MAX stops it, so a
 * device such as /dev/zero is an error, not unbounded memory); NULL with "FILE:LINE: reason" in
 * err on failure.  Caller frees. */
struct blocklist *blocklist_load(const char *path, char *err, size_t errlen);

/* One list from n files (--blocklist is repeatable: an opt-out list and, say, ZMap's reserved
 * ranges); NULL with the first error in err.  Caller frees. */
struct blocklist *blocklist_load_files(const char *const *paths, size_t n, char *err, size_t errlen);

/* Entries held (duplicates counted once). */
size_t blocklist_count(const struct blocklist *bl);

/* The entry (canonical text, owned by bl, valid until bl is freed or added to) that lists name
 * (lower-case, no trailing dot), or NULL.  bl may be NULL (no list: nothing is listed). */
const char *blocklist_match_domain(const struct blocklist *bl, const char *name);

/* The entry that lists the address (AF_INET or AF_INET6; an IPv4-mapped IPv6 address is also
 * checked against the IPv4 prefixes), or NULL; the longest listed prefix when several list it.
 * Text owned as for blocklist_match_domain.  bl may be NULL. */
const char *blocklist_match_addr(const struct blocklist *bl, const struct sockaddr *sa);

/* The scan's hook where it is about to connect: 1 when sa is listed, and then "ADDR (ENTRY)" is
 * appended to note (", "-separated, cut when full) so the row can say what was skipped; 0 when
 * the address may be contacted. */
int blocklist_skip_addr(const struct blocklist *bl, const struct sockaddr *sa, char *note,
                        size_t notelen);

#endif
