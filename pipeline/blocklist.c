/*
 * blocklist: the --blocklist parser and matcher (format and semantics in blocklist.h).
 * Suffixes live in an open-addressing hash set of strings, prefixes in a plain array.
 */
#include "pipeline/blocklist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/strhash.h"

struct blocklist {
    char **names;          /* hash set of suffixes; NULL = empty slot */
    size_t n_names, cap_names;
    struct blocklist_entry *prefixes;
    size_t n_prefixes, cap_prefixes;
};

const char *blocklist_status_str(enum blocklist_status s)
{
    switch (s) {
    case BLOCKLIST_OK: return "ok";
    case BLOCKLIST_EMPTY: return "no entry";
    case BLOCKLIST_BAD_ENTRY: return "not an IP address, CIDR prefix or domain name";
    case BLOCKLIST_BAD_PREFIX: return "bad prefix length";
    case BLOCKLIST_EXTRA_TEXT: return "more than one entry on the line (use one line each)";
    case BLOCKLIST_LINE_TOO_LONG: return "line too long";
    case BLOCKLIST_NO_MEMORY: return "out of memory";
    case BLOCKLIST_IO: return "cannot read the file";
    }
    return "unknown";
}

/* ---- parsing ------------------------------------------------------------------------------ */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Keeps the first prefix bits of addr (nbytes long), zeroes the rest. */
static void mask_addr(unsigned char *addr, size_t nbytes, int prefix)
{
    for (size_t i = 0; i < nbytes; i++) {
        int keep = prefix - (int)(i * 8);
        if (keep >= 8)
            continue;
        unsigned mask = keep <= 0 ? 0u : (0xffu << (8 - keep)) & 0xffu;
        addr[i] = (unsigned char)(addr[i] & mask);
    }
}

static enum blocklist_status parse_prefix(const char *word, struct blocklist_entry *out)
{
    char buf[BLOCKLIST_TEXT_MAX + 8], addrtext[INET6_ADDRSTRLEN];
    if (strlen(word) >= sizeof(buf))
        return BLOCKLIST_BAD_ENTRY;
    snprintf(buf, sizeof(buf), "%s", word);
    char *slash = strchr(buf, '/');
    int v6 = strchr(buf, ':') != NULL;
    int max = v6 ? 128 : 32;
    out->prefix = max;
    if (slash) {
        *slash = '\0';
        const char *p = slash + 1;
        if (*p == '\0' || strlen(p) > 3)
            return BLOCKLIST_BAD_PREFIX;
        int n = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return BLOCKLIST_BAD_PREFIX;
            n = n * 10 + (*p - '0');
        }
        if (n > max)
            return BLOCKLIST_BAD_PREFIX;
        out->prefix = n;
    }
    memset(out->addr, 0, sizeof(out->addr));
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, out->addr) != 1)
        return BLOCKLIST_BAD_ENTRY;
    out->kind = v6 ? BLOCKLIST_V6 : BLOCKLIST_V4;
    mask_addr(out->addr, v6 ? 16 : 4, out->prefix);
    inet_ntop(v6 ? AF_INET6 : AF_INET, out->addr, addrtext, sizeof(addrtext));
    snprintf(out->text, sizeof(out->text), "%s/%d", addrtext, out->prefix);
    return BLOCKLIST_OK;
}

/* A domain suffix: LDH labels (underscore allowed, as in _mta-sts names), 1..63 bytes each, at
 * most 253 bytes; one leading "." or "*." and one trailing "." are dropped; lower-cased.  A last
 * label of digits only is refused: it is a mistyped address, not a name. */
static enum blocklist_status parse_name(const char *word, struct blocklist_entry *out)
{
    if (strncmp(word, "*.", 2) == 0)
        word += 2;
    else if (word[0] == '.')
        word++;
    size_t len = strlen(word);
    if (len > 0 && word[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return BLOCKLIST_BAD_ENTRY;
    size_t label = 0;
    int all_digits = 1;
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)word[i]);
        if (c == '.') {
            if (label == 0)
                return BLOCKLIST_BAD_ENTRY;
            label = 0;
            all_digits = 1;
        } else if (isalnum((unsigned char)c) || c == '-' || c == '_') {
            if (++label > 63)
                return BLOCKLIST_BAD_ENTRY;
            all_digits &= c >= '0' && c <= '9';
        } else {
            return BLOCKLIST_BAD_ENTRY;
        }
        out->text[i] = c;
    }
    if (label == 0 || all_digits)
        return BLOCKLIST_BAD_ENTRY;
    out->text[len] = '\0';
    out->kind = BLOCKLIST_DOMAIN;
    out->prefix = 0;
    memset(out->addr, 0, sizeof(out->addr));
    return BLOCKLIST_OK;
}

enum blocklist_status blocklist_parse_line(const char *line, size_t len, struct blocklist_entry *out)
{
    const char *hash = memchr(line, '#', len);
    if (hash)
        len = (size_t)(hash - line);
    size_t i = 0;
    while (i < len && is_space(line[i]))
        i++;
    size_t start = i;
    while (i < len && !is_space(line[i]))
        i++;
    size_t wlen = i - start;
    while (i < len && is_space(line[i]))
        i++;
    if (wlen == 0)
        return i < len ? BLOCKLIST_BAD_ENTRY : BLOCKLIST_EMPTY;
    if (i < len)
        return BLOCKLIST_EXTRA_TEXT;
    char word[BLOCKLIST_TEXT_MAX + 8]; /* "*." + 253 + "." fits */
    if (wlen >= sizeof(word))
        return BLOCKLIST_BAD_ENTRY;
    memcpy(word, line + start, wlen);
    word[wlen] = '\0';
    if (memchr(word, '\0', wlen))
        return BLOCKLIST_BAD_ENTRY;
    /* An address or prefix has a ':' (IPv6) or a '/', or is digits and dots only (IPv4). */
    if (strchr(word, ':') || strchr(word, '/') || strspn(word, "0123456789.") == wlen)
        return parse_prefix(word, out);
    return parse_name(word, out);
}

/* ---- the list ----------------------------------------------------------------------------- */

struct blocklist *blocklist_new(void)
{
    struct blocklist *bl = calloc(1, sizeof(*bl));
    if (!bl)
        return NULL;
    bl->cap_names = 64;
    bl->names = calloc(bl->cap_names, sizeof(*bl->names));
    if (!bl->names) {
        free(bl);
        return NULL;
    }
    return bl;
}

void blocklist_free(struct blocklist *bl)
{
    if (!bl)
        return;
    for (size_t i = 0; i < bl->cap_names; i++)
        free(bl->names[i]);
    free(bl->names);
    free(bl->prefixes);
    free(bl);
}

/* The slot of name (holding it, or the empty slot where it would go). */
static size_t name_slot(char *const *names, size_t cap, const char *name)
{
    size_t i = strhash(name) & (cap - 1);
    while (names[i] && strcmp(names[i], name) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static enum blocklist_status names_grow(struct blocklist *bl)
{
    size_t cap = bl->cap_names * 2;
    char **names = calloc(cap, sizeof(*names));
    if (!names)
        return BLOCKLIST_NO_MEMORY;
    for (size_t i = 0; i < bl->cap_names; i++)
        if (bl->names[i])
            names[name_slot(names, cap, bl->names[i])] = bl->names[i];
    free(bl->names);
    bl->names = names;
    bl->cap_names = cap;
    return BLOCKLIST_OK;
}

static enum blocklist_status add_name(struct blocklist *bl, const char *name)
{
    if (bl->n_names * 2 >= bl->cap_names && names_grow(bl) != BLOCKLIST_OK)
        return BLOCKLIST_NO_MEMORY;
    size_t i = name_slot(bl->names, bl->cap_names, name);
    if (bl->names[i])
        return BLOCKLIST_OK;
    bl->names[i] = strdup(name);
    if (!bl->names[i])
        return BLOCKLIST_NO_MEMORY;
    bl->n_names++;
    return BLOCKLIST_OK;
}

static enum blocklist_status add_prefix(struct blocklist *bl, const struct blocklist_entry *e)
{
    for (size_t i = 0; i < bl->n_prefixes; i++)
        if (strcmp(bl->prefixes[i].text, e->text) == 0)
            return BLOCKLIST_OK;
    if (bl->n_prefixes == bl->cap_prefixes) {
        size_t cap = bl->cap_prefixes ? bl->cap_prefixes * 2 : 16;
        struct blocklist_entry *p = realloc(bl->prefixes, cap * sizeof(*p));
        if (!p)
            return BLOCKLIST_NO_MEMORY;
        bl->prefixes = p;
        bl->cap_prefixes = cap;
    }
    bl->prefixes[bl->n_prefixes++] = *e;
    return BLOCKLIST_OK;
}

enum blocklist_status blocklist_add(struct blocklist *bl, const struct blocklist_entry *e)
{
    return e->kind == BLOCKLIST_DOMAIN ? add_name(bl, e->text) : add_prefix(bl, e);
}

enum blocklist_status blocklist_add_text(struct blocklist *bl, const char *text, size_t len,
                                         unsigned long *bad_line)
{
    unsigned long line_no = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line_no++;
        *bad_line = line_no;
        if (end - pos > BLOCKLIST_LINE_MAX)
            return BLOCKLIST_LINE_TOO_LONG;
        struct blocklist_entry e;
        enum blocklist_status st = blocklist_parse_line(text + pos, end - pos, &e);
        if (st == BLOCKLIST_OK)
            st = blocklist_add(bl, &e);
        if (st != BLOCKLIST_OK && st != BLOCKLIST_EMPTY)
            return st;
        pos = end + 1;
    }
    *bad_line = 0;
    return BLOCKLIST_OK;
}

/* Adds the entries of one file; 0, or -1 with "FILE[:LINE]: reason" in err. */
static int add_file(struct blocklist *bl, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--blocklist %s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    enum blocklist_status st = BLOCKLIST_OK;
    while (st == BLOCKLIST_OK) {
        if (cap - len < 65536) {
            char *t = realloc(text, cap + 65536);
            if (!t) {
                st = BLOCKLIST_NO_MEMORY;
                break;
            }
            text = t;
            cap += 65536;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (st == BLOCKLIST_OK && ferror(f))
        st = BLOCKLIST_IO;
    fclose(f);
    unsigned long bad_line = 0;
    if (st == BLOCKLIST_OK)
        st = blocklist_add_text(bl, text ? text : "", len, &bad_line);
    free(text);
    if (st == BLOCKLIST_OK)
        return 0;
    if (bad_line)
        snprintf(err, errlen, "--blocklist %s:%lu: %s", path, bad_line, blocklist_status_str(st));
    else
        snprintf(err, errlen, "--blocklist %s: %s", path, blocklist_status_str(st));
    return -1;
}

struct blocklist *blocklist_load_files(const char *const *paths, size_t n, char *err, size_t errlen)
{
    struct blocklist *bl = blocklist_new();
    if (!bl) {
        snprintf(err, errlen, "--blocklist: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (add_file(bl, paths[i], err, errlen) < 0) {
            blocklist_free(bl);
            return NULL;
        }
    }
    return bl;
}

struct blocklist *blocklist_load(const char *path, char *err, size_t errlen)
{
    return blocklist_load_files(&path, 1, err, errlen);
}

size_t blocklist_count(const struct blocklist *bl)
{
    return bl ? bl->n_names + bl->n_prefixes : 0;
}

/* ---- matching ----------------------------------------------------------------------------- */

const char *blocklist_match_domain(const struct blocklist *bl, const char *name)
{
    if (!bl || bl->n_names == 0)
        return NULL;
    /* name itself, then each suffix that starts after a dot: one lookup per label */
    for (const char *p = name; p && *p; ) {
        size_t i = name_slot(bl->names, bl->cap_names, p);
        if (bl->names[i])
            return bl->names[i];
        p = strchr(p, '.');
        if (p)
            p++;
    }
    return NULL;
}

static int prefix_has(const struct blocklist_entry *e, const unsigned char *addr)
{
    int full = e->prefix / 8, rest = e->prefix % 8;
    if (memcmp(e->addr, addr, (size_t)full) != 0)
        return 0;
    return rest == 0 || ((addr[full] ^ e->addr[full]) & (0xff << (8 - rest))) == 0;
}

static const char *match_bytes(const struct blocklist *bl, enum blocklist_kind kind,
                               const unsigned char *addr)
{
    for (size_t i = 0; i < bl->n_prefixes; i++)
        if (bl->prefixes[i].kind == kind && prefix_has(&bl->prefixes[i], addr))
            return bl->prefixes[i].text;
    return NULL;
}

const char *blocklist_match_addr(const struct blocklist *bl, const struct sockaddr *sa)
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!bl || bl->n_prefixes == 0)
        return NULL;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        return match_bytes(bl, BLOCKLIST_V4, (const unsigned char *)&a->sin_addr);
    }
    if (sa->sa_family != AF_INET6)
        return NULL;
    const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    const char *hit = match_bytes(bl, BLOCKLIST_V6, b);
    if (!hit && memcmp(b, v4mapped, sizeof(v4mapped)) == 0)
        hit = match_bytes(bl, BLOCKLIST_V4, b + 12);
    return hit;
}

int blocklist_skip_addr(const struct blocklist *bl, const struct sockaddr *sa, char *note,
                        size_t notelen)
{
    const char *hit = blocklist_match_addr(bl, sa);
    if (!hit)
        return 0;
    char text[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof(text));
    size_t used = strnlen(note, notelen);
    if (notelen > 0 && used < notelen - 1) {
        int n = snprintf(note + used, notelen - used, "%s%s (%s)", used ? ", " : "", text, hit);
        if (n < 0 || (size_t)n >= notelen - used) /* cut: say so rather than show half an entry */
            snprintf(note + used, notelen - used, "%s...", used ? ", " : "");
    }
    return 1;
}
