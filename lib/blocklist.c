/*
 * blocklist: the --blocklist parser and matcher (format and semantics in blocklist.h).
 * Entry texts live in one arena; suffixes in an open-addressing hash set of arena offsets;
 * prefixes in an array indexed by an open-addressing hash set keyed by (family, length, masked
 * address), with a bit per prefix length in use so that a match probes only those lengths.
 */
#include "lib/blocklist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/enumname.h"
#include "lib/growbuf.h"
#include "lib/strhash.h"

/* A prefix as held: the entry's bytes without its 256-byte text (a million prefixes stay ~40 MB). */
struct prefix {
    unsigned char addr[16]; /* masked; 4 bytes used for V4 */
    unsigned char kind;     /* enum blocklist_kind */
    unsigned char len;      /* bits */
    size_t text;            /* arena offset of the canonical "addr/len" */
};

/* A hash set slot: the key's hash beside the reference, so that a probe past another key costs no
 * read of that key (at a million entries each such read is a cache miss). */
struct slot {
    uint32_t hash;
    uint32_t ref;           /* 0 = empty; else arena offset + 1 (names) or index + 1 (prefixes) */
};

struct blocklist {
    char *arena;            /* NUL-terminated entry texts, back to back (< 4 GiB: refs are 32-bit) */
    size_t arena_len, arena_cap;
    struct slot *names;     /* hash set of suffixes */
    size_t n_names, cap_names;
    struct prefix *prefixes;
    size_t n_prefixes, cap_prefixes;
    struct slot *pslots;    /* hash set over prefixes */
    size_t cap_pslots;
    uint64_t lens[2][3];    /* [V4/V6] bit L: some prefix of length L is listed */
};

static const struct enum_name blocklist_status_names[] = {
    {BLOCKLIST_OK, "ok"},
    {BLOCKLIST_EMPTY, "no entry"},
    {BLOCKLIST_BAD_ENTRY, "not an IP address, CIDR prefix or domain name"},
    {BLOCKLIST_BAD_PREFIX, "bad prefix length"},
    {BLOCKLIST_EXTRA_TEXT, "more than one entry on the line (use one line each)"},
    {BLOCKLIST_LINE_TOO_LONG, "line too long"},
    {BLOCKLIST_NO_MEMORY, "out of memory"},
    {BLOCKLIST_IO, "cannot read the file"},
    {BLOCKLIST_NOT_ASCII, "not ASCII: write an internationalized name in punycode (xn--..., e.g. `idn2 NAME`)"},
    {BLOCKLIST_DASH, "a label starts or ends with '-' (not a host name; an option pasted into the file?)"},
};
ENUM_NAMES_DEFINE(blocklist_status, enum blocklist_status, BLOCKLIST_STATUS__COUNT, "unknown")

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
    /* inside ::ffff:0:0/96: the IPv4 entry it maps, so it also lists the address reached over IPv4 */
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (v6 && out->prefix >= 96 && memcmp(out->addr, v4mapped, sizeof(v4mapped)) == 0) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->prefix -= 96;
        v6 = 0;
    }
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
            if (word[i - 1] == '-')
                return BLOCKLIST_DASH;
            label = 0;
            all_digits = 1;
        } else if (c == '-' && label == 0) {
            return BLOCKLIST_DASH;
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
    if (word[len - 1] == '-')
        return BLOCKLIST_DASH;
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
    for (size_t k = 0; k < wlen; k++)
        if ((unsigned char)word[k] > 0x7f)
            return BLOCKLIST_NOT_ASCII;
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
    bl->cap_pslots = 64;
    bl->names = calloc(bl->cap_names, sizeof(*bl->names));
    bl->pslots = calloc(bl->cap_pslots, sizeof(*bl->pslots));
    if (!bl->names || !bl->pslots) {
        blocklist_free(bl);
        return NULL;
    }
    return bl;
}

void blocklist_free(struct blocklist *bl)
{
    if (!bl)
        return;
    free(bl->arena);
    free(bl->names);
    free(bl->prefixes);
    free(bl->pslots);
    free(bl);
}

/* Copies text (with its NUL) to the arena: its offset, or SIZE_MAX when out of memory (or past
 * the 4 GiB that 32-bit refs reach). */
static size_t arena_add(struct blocklist *bl, const char *text)
{
    size_t n = strlen(text) + 1;
    if (bl->arena_len + n >= UINT32_MAX)
        return SIZE_MAX;
    if (growbuf_reserve(&bl->arena, &bl->arena_cap, bl->arena_len + n, 1, 4096) != 0)
        return SIZE_MAX;
    size_t off = bl->arena_len;
    memcpy(bl->arena + off, text, n);
    bl->arena_len += n;
    return off;
}

/* The slot of name (hash h) in a names table (holding it, or the empty slot where it would go). */
static size_t name_slot(const char *arena, const struct slot *names, size_t cap, uint32_t h,
                        const char *name)
{
    size_t i = h & (cap - 1);
    while (names[i].ref && (names[i].hash != h || strcmp(arena + names[i].ref - 1, name) != 0))
        i = (i + 1) & (cap - 1);
    return i;
}

/* Doubles the table *slots of *cap slots in place; slots move by their stored hash (keys are all
 * distinct: no compare).  The old table is freed; on out-of-memory it is kept as it was. */
static enum blocklist_status slots_grow(struct slot **slots, size_t *cap)
{
    size_t oldcap = *cap, newcap = oldcap * 2;
    const struct slot *old = *slots;
    struct slot *grown = calloc(newcap, sizeof(*grown));
    if (!grown)
        return BLOCKLIST_NO_MEMORY;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].ref)
            continue;
        size_t j = old[i].hash & (newcap - 1);
        while (grown[j].ref)
            j = (j + 1) & (newcap - 1);
        grown[j] = old[i];
    }
    free(*slots);
    *slots = grown;
    *cap = newcap;
    return BLOCKLIST_OK;
}

static enum blocklist_status add_name(struct blocklist *bl, const char *name)
{
    if (bl->n_names * 2 >= bl->cap_names && slots_grow(&bl->names, &bl->cap_names) != BLOCKLIST_OK)
        return BLOCKLIST_NO_MEMORY;
    uint32_t h = strhash(name);
    size_t i = name_slot(bl->arena, bl->names, bl->cap_names, h, name);
    if (bl->names[i].ref)
        return BLOCKLIST_OK;
    size_t off = arena_add(bl, name);
    if (off == SIZE_MAX)
        return BLOCKLIST_NO_MEMORY;
    bl->names[i].hash = h;
    bl->names[i].ref = (uint32_t)off + 1;
    bl->n_names++;
    return BLOCKLIST_OK;
}

static size_t addr_bytes(int kind) { return kind == BLOCKLIST_V4 ? 4 : 16; }

/* FNV-1a over (family, length, masked address). */
static uint32_t prefix_hash(int kind, int len, const unsigned char *addr)
{
    uint32_t h = 2166136261u;
    h = (h ^ (uint32_t)kind) * 16777619u;
    h = (h ^ (uint32_t)len) * 16777619u;
    for (size_t i = 0; i < addr_bytes(kind); i++)
        h = (h ^ addr[i]) * 16777619u;
    return h;
}

/* The slot of (kind, len, addr) (hash h) in a prefix table (holding it, or the empty slot for it). */
static size_t prefix_slot(const struct prefix *prefixes, const struct slot *slots, size_t cap,
                          uint32_t h, int kind, int len, const unsigned char *addr)
{
    size_t i = h & (cap - 1);
    for (; slots[i].ref; i = (i + 1) & (cap - 1)) {
        if (slots[i].hash != h)
            continue;
        const struct prefix *p = &prefixes[slots[i].ref - 1];
        if (p->kind == kind && p->len == len && memcmp(p->addr, addr, addr_bytes(kind)) == 0)
            break;
    }
    return i;
}

static enum blocklist_status add_prefix(struct blocklist *bl, const struct blocklist_entry *e)
{
    if (bl->n_prefixes * 2 >= bl->cap_pslots && slots_grow(&bl->pslots, &bl->cap_pslots) != BLOCKLIST_OK)
        return BLOCKLIST_NO_MEMORY;
    if (bl->n_prefixes >= UINT32_MAX - 1)
        return BLOCKLIST_NO_MEMORY;
    uint32_t h = prefix_hash((int)e->kind, e->prefix, e->addr);
    size_t i = prefix_slot(bl->prefixes, bl->pslots, bl->cap_pslots, h, (int)e->kind, e->prefix, e->addr);
    if (bl->pslots[i].ref)
        return BLOCKLIST_OK;
    if (growbuf_reserve(&bl->prefixes, &bl->cap_prefixes, bl->n_prefixes + 1, sizeof(*bl->prefixes), 16) != 0)
        return BLOCKLIST_NO_MEMORY;
    size_t off = arena_add(bl, e->text);
    if (off == SIZE_MAX)
        return BLOCKLIST_NO_MEMORY;
    struct prefix *p = &bl->prefixes[bl->n_prefixes];
    memcpy(p->addr, e->addr, sizeof(p->addr));
    p->kind = (unsigned char)e->kind;
    p->len = (unsigned char)e->prefix;
    p->text = off;
    bl->pslots[i].hash = h;
    bl->pslots[i].ref = (uint32_t)++bl->n_prefixes;
    bl->lens[e->kind == BLOCKLIST_V6][e->prefix / 64] |= UINT64_C(1) << (e->prefix % 64);
    return BLOCKLIST_OK;
}

enum blocklist_status blocklist_add(struct blocklist *bl, const struct blocklist_entry *e)
{
    return e->kind == BLOCKLIST_DOMAIN ? add_name(bl, e->text) : add_prefix(bl, e);
}

/* One line of a text or file: *line_no counts it; the first may start with a UTF-8 BOM. */
static enum blocklist_status add_line(struct blocklist *bl, const char *line, size_t len,
                                      unsigned long *line_no)
{
    if (++*line_no == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
        line += 3;
        len -= 3;
    }
    if (len > BLOCKLIST_LINE_MAX)
        return BLOCKLIST_LINE_TOO_LONG;
    struct blocklist_entry e;
    enum blocklist_status st = blocklist_parse_line(line, len, &e);
    if (st == BLOCKLIST_OK)
        st = blocklist_add(bl, &e);
    return st == BLOCKLIST_EMPTY ? BLOCKLIST_OK : st;
}

enum blocklist_status blocklist_add_text(struct blocklist *bl, const char *text, size_t len,
                                         unsigned long *bad_line)
{
    unsigned long line_no = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        enum blocklist_status st = add_line(bl, text + pos, end - pos, &line_no);
        if (st != BLOCKLIST_OK) {
            *bad_line = line_no;
            return st;
        }
        pos = end + 1;
    }
    *bad_line = 0;
    return BLOCKLIST_OK;
}

/* Streams the lines of f into bl through a fixed buffer (a line longer than the limit is an
 * error before more is read); *line_no is the line that failed. */
static enum blocklist_status add_stream(struct blocklist *bl, FILE *f, unsigned long *line_no)
{
    enum { CHUNK = 1 << 16 };
    _Static_assert(CHUNK > BLOCKLIST_LINE_MAX + 1, "a whole line fits in the buffer");
    char *buf = malloc(CHUNK);
    if (!buf)
        return BLOCKLIST_NO_MEMORY;
    enum blocklist_status st = BLOCKLIST_OK;
    size_t have = 0;
    for (;;) {
        size_t n = fread(buf + have, 1, CHUNK - have, f);
        have += n;
        size_t pos = 0;
        const char *nl;
        while (st == BLOCKLIST_OK && (nl = memchr(buf + pos, '\n', have - pos)) != NULL) {
            st = add_line(bl, buf + pos, (size_t)(nl - buf) - pos, line_no);
            pos = (size_t)(nl - buf) + 1;
        }
        if (st != BLOCKLIST_OK)
            break;
        if (n == 0) { /* end of file (or an error): the last line may lack its newline */
            if (ferror(f))
                st = BLOCKLIST_IO;
            else if (pos < have)
                st = add_line(bl, buf + pos, have - pos, line_no);
            break;
        }
        if (have - pos > BLOCKLIST_LINE_MAX) {
            ++*line_no;
            st = BLOCKLIST_LINE_TOO_LONG;
            break;
        }
        memmove(buf, buf + pos, have - pos);
        have -= pos;
    }
    free(buf);
    return st;
}

/* Adds the entries of one file; 0, or -1 with "FILE[:LINE]: reason" in err. */
static int add_file(struct blocklist *bl, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--blocklist %s: %s", path, strerror(errno));
        return -1;
    }
    unsigned long line_no = 0;
    enum blocklist_status st = add_stream(bl, f, &line_no);
    fclose(f);
    if (st == BLOCKLIST_OK)
        return 0;
    if (st != BLOCKLIST_NO_MEMORY && st != BLOCKLIST_IO && line_no)
        snprintf(err, errlen, "--blocklist %s:%lu: %s", path, line_no, blocklist_status_str(st));
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
        size_t i = name_slot(bl->arena, bl->names, bl->cap_names, strhash(p), p);
        if (bl->names[i].ref)
            return bl->arena + bl->names[i].ref - 1;
        p = strchr(p, '.');
        if (p)
            p++;
    }
    return NULL;
}

/* The longest listed prefix of kind holding addr: one lookup per prefix length in use. */
static const char *match_bytes(const struct blocklist *bl, enum blocklist_kind kind,
                               const unsigned char *addr)
{
    const uint64_t *lens = bl->lens[kind == BLOCKLIST_V6];
    size_t nbytes = addr_bytes((int)kind);
    for (int len = kind == BLOCKLIST_V6 ? 128 : 32; len >= 0; len--) {
        if (!(lens[len / 64] & (UINT64_C(1) << (len % 64))))
            continue;
        unsigned char key[16] = {0};
        memcpy(key, addr, nbytes);
        mask_addr(key, nbytes, len);
        size_t i = prefix_slot(bl->prefixes, bl->pslots, bl->cap_pslots,
                               prefix_hash((int)kind, len, key), (int)kind, len, key);
        if (bl->pslots[i].ref)
            return bl->arena + bl->prefixes[bl->pslots[i].ref - 1].text;
    }
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
