/*
 * input: the streaming line reader (plain or zstd, fixed buffers) and the pure line parser.
 * See input.h for the accepted syntax and the rules a domain must follow.
 */
#include "pipeline/input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "lib/enumname.h"
#include "lib/utf8text.h"

static const unsigned char ZSTD_MAGIC_BYTES[4] = { 0x28, 0xB5, 0x2F, 0xFD };

struct input {
    FILE *fp;
    int own_fp;
    char *path;
    int zstd;                 /* decompressing */
    ZSTD_DCtx *dctx;
    unsigned char *rbuf;      /* raw bytes from the file */
    size_t rsize;
    ZSTD_inBuffer zin;        /* view of rbuf for the decoder */
    size_t zlast;             /* last ZSTD_decompressStream result: 0 = at a frame boundary */
    int zpending;             /* output was full: the decoder may hold more without new input */
    unsigned char *dbuf;      /* decompressed bytes */
    size_t dsize;
    const unsigned char *cur; /* bytes not yet split into lines: rbuf (plain) or dbuf (zstd) */
    size_t pos, end;
    int eof;
    char line[INPUT_LINE_MAX + 2]; /* up to INPUT_LINE_MAX + 1 bytes and a NUL */
    size_t line_len;
    int in_line;              /* bytes of a line were seen (a last line may be empty but present) */
    long line_no;
    enum input_status status;
    char err[512];
    EVP_MD_CTX *sha;          /* SHA-256 of the raw bytes as read (NULL: out of memory) */
    unsigned long long raw_bytes;
    int raw_eof;              /* the raw file was read to its end */
};

static const struct enum_name input_status_names[] = {
    {INPUT_OK, "ok"},
    {INPUT_ERR_NOMEM, "out_of_memory"},
    {INPUT_ERR_OPEN, "open_failed"},
    {INPUT_ERR_READ, "read_failed"},
    {INPUT_ERR_ZSTD, "zstd_corrupt"},
    {INPUT_ERR_TRUNCATED, "zstd_truncated"},
};
ENUM_NAMES_DEFINE(input_status, enum input_status, INPUT_STATUS__COUNT, "unknown")

static const char *shown_path(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

static int fail(struct input *in, enum input_status st, const char *what, const char *reason)
{
    if (in->status == INPUT_OK) {
        in->status = st;
        snprintf(in->err, sizeof(in->err), "%s %s: %s", what, shown_path(in->path), reason);
    }
    return -1;
}

/* Reads raw bytes into rbuf + off (room: rsize - off).  Returns the count, 0 at EOF, -1 on error.
 * read(2), not fread: fread waits for a full buffer, so on a terminal lines would sit unread and
 * the first Ctrl-D would only end that fread (a second one was needed).  After EOF it returns 0
 * without reading again, which on a terminal would wait for another Ctrl-D. */
static long read_raw_at(struct input *in, size_t off)
{
    if (in->raw_eof)
        return 0;
    ssize_t n;
    do
        n = read(fileno(in->fp), in->rbuf + off, in->rsize - off);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail(in, INPUT_ERR_READ, "read", strerror(errno));
    /* Hashing here sees every byte once, as stored (compressed for .zst), without a second read. */
    if (in->sha && EVP_DigestUpdate(in->sha, in->rbuf + off, (size_t)n) != 1) {
        EVP_MD_CTX_free(in->sha);
        in->sha = NULL;
    }
    in->raw_bytes += (unsigned long long)n;
    in->raw_eof = n == 0;
    return (long)n;
}

static long read_raw(struct input *in)
{
    return read_raw_at(in, 0);
}

/* Produces more decompressed bytes in dbuf.  Returns the count, 0 at a clean end, -1 on error. */
static long fill_zstd(struct input *in)
{
    for (;;) {
        if (in->zin.pos == in->zin.size && !in->zpending) {
            long n = read_raw(in);
            if (n < 0)
                return -1;
            if (n == 0) {
                if (in->zlast != 0)
                    return fail(in, INPUT_ERR_TRUNCATED, "read",
                                "truncated zstd input (the file ends inside a frame)");
                return 0;
            }
            in->zin.src = in->rbuf;
            in->zin.size = (size_t)n;
            in->zin.pos = 0;
        }
        ZSTD_outBuffer out = { in->dbuf, in->dsize, 0 };
        size_t r = ZSTD_decompressStream(in->dctx, &out, &in->zin);
        if (ZSTD_isError(r))
            return fail(in, INPUT_ERR_ZSTD, "decompress", ZSTD_getErrorName(r));
        in->zlast = r;
        in->zpending = out.pos == out.size;
        if (out.pos > 0)
            return (long)out.pos;
    }
}

/* Refills cur/pos/end.  Returns 1 with bytes, 0 at end of input, -1 on error. */
static int fill(struct input *in)
{
    long n;
    if (in->zstd) {
        n = fill_zstd(in);
        in->cur = in->dbuf;
    } else {
        n = read_raw(in);
        in->cur = in->rbuf;
    }
    if (n <= 0)
        return (int)n;
    in->pos = 0;
    in->end = (size_t)n;
    return 1;
}

/* Appends bytes to the line, keeping at most INPUT_LINE_MAX + 1 of them. */
static void line_append(struct input *in, const unsigned char *p, size_t n)
{
    size_t room = INPUT_LINE_MAX + 1 - in->line_len;
    if (n > room)
        n = room;
    memcpy(in->line + in->line_len, p, n);
    in->line_len += n;
}

static int deliver(struct input *in, struct input_line *out)
{
    in->line[in->line_len] = '\0';
    out->text = in->line;
    out->len = in->line_len;
    out->line_no = ++in->line_no;
    in->line_len = 0;
    in->in_line = 0;
    return 1;
}

int input_next(struct input *in, struct input_line *out)
{
    if (in->status != INPUT_OK)
        return -1;
    for (;;) {
        if (in->pos == in->end) {
            int r = in->eof ? 0 : fill(in);
            if (r < 0)
                return -1; /* a partial line before a cut is not a complete line: dropped */
            if (r == 0) {
                in->eof = 1;
                return in->in_line ? deliver(in, out) : 0;
            }
        }
        const unsigned char *start = in->cur + in->pos;
        size_t avail = in->end - in->pos;
        const unsigned char *nl = memchr(start, '\n', avail);
        size_t n = nl ? (size_t)(nl - start) : avail;
        line_append(in, start, n);
        in->in_line = 1;
        in->pos += nl ? n + 1 : n;
        if (nl)
            return deliver(in, out);
    }
}

/* Looks at the first bytes to detect zstd input without a ".zst" name (e.g. stdin). */
static int sniff(struct input *in)
{
    /* a pipe or terminal may deliver fewer bytes than the magic number in one read */
    long n = 0, got;
    while (n < 4 && (got = read_raw_at(in, (size_t)n)) > 0)
        n += got;
    if (in->status != INPUT_OK)
        return -1;
    in->zin.src = in->rbuf;
    in->zin.size = (size_t)n;
    in->zin.pos = 0;
    size_t len = strlen(in->path);
    if ((len > 4 && strcmp(in->path + len - 4, ".zst") == 0) ||
        (n >= 4 && memcmp(in->rbuf, ZSTD_MAGIC_BYTES, 4) == 0))
        in->zstd = 1;
    if (!in->zstd) { /* the bytes read are the first plain bytes */
        in->cur = in->rbuf;
        in->pos = 0;
        in->end = (size_t)n;
        return 0;
    }
    in->dctx = ZSTD_createDCtx();
    in->dsize = ZSTD_DStreamOutSize();
    in->dbuf = malloc(in->dsize);
    if (in->dctx == NULL || in->dbuf == NULL)
        return fail(in, INPUT_ERR_NOMEM, "open", strerror(ENOMEM));
    in->pos = in->end = 0;
    return 0;
}

static int open_file(struct input *in)
{
    if (strcmp(in->path, "-") == 0) {
        in->fp = stdin;
        return 0;
    }
    errno = 0;
    in->fp = fopen(in->path, "rb");
    if (in->fp == NULL)
        return fail(in, INPUT_ERR_OPEN, "open", strerror(errno ? errno : EIO));
    in->own_fp = 1;
    return 0;
}

struct input *input_open(const char *path, char *err, size_t errlen)
{
    struct input *in = calloc(1, sizeof(*in));
    if (in != NULL) {
        in->rsize = ZSTD_DStreamInSize();
        in->rbuf = malloc(in->rsize);
        in->path = strdup(path);
        in->sha = EVP_MD_CTX_new();
        if (in->sha && EVP_DigestInit_ex(in->sha, EVP_sha256(), NULL) != 1) {
            EVP_MD_CTX_free(in->sha);
            in->sha = NULL;
        }
    }
    if (in == NULL || in->rbuf == NULL || in->path == NULL) {
        snprintf(err, errlen, "open %s: %s", shown_path(path), strerror(ENOMEM));
        input_close(in);
        return NULL;
    }
    if (open_file(in) != 0 || sniff(in) != 0) {
        snprintf(err, errlen, "%s", in->err);
        input_close(in);
        return NULL;
    }
    if (errlen > 0)
        err[0] = '\0';
    return in;
}

const char *input_error(const struct input *in)
{
    return in->err;
}

enum input_status input_status(const struct input *in)
{
    return in->status;
}

long input_lines_read(const struct input *in)
{
    return in->line_no;
}

int input_digest(struct input *in, int drain, char hex[INPUT_SHA256_HEX], unsigned long long *bytes)
{
    struct stat st;
    hex[0] = '\0';
    if (drain && !in->raw_eof && in->status == INPUT_OK && fstat(fileno(in->fp), &st) == 0 &&
        S_ISREG(st.st_mode))
        while (read_raw(in) > 0)
            ;
    *bytes = in->raw_bytes;
    if (!in->raw_eof || in->status != INPUT_OK || in->sha == NULL)
        return 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *copy = EVP_MD_CTX_new(); /* a copy, so the call can be repeated */
    int ok = copy && EVP_MD_CTX_copy_ex(copy, in->sha) == 1 && EVP_DigestFinal_ex(copy, md, &len) == 1;
    EVP_MD_CTX_free(copy);
    if (!ok)
        return 0;
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 1;
}

void input_close(struct input *in)
{
    if (in == NULL)
        return;
    if (in->own_fp)
        fclose(in->fp); /* read-only: nothing to lose on close */
    ZSTD_freeDCtx(in->dctx);
    EVP_MD_CTX_free(in->sha);
    free(in->dbuf);
    free(in->rbuf);
    free(in->path);
    free(in);
}

/* ---- the line parser (pure) ------------------------------------------------------------------ */

#define RAW_MAX (RESULT_NAME_MAX - 1)

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **p, const char **e)
{
    while (*p < *e && is_blank((unsigned char)**p))
        (*p)++;
    while (*e > *p && is_blank((unsigned char)(*e)[-1]))
        (*e)--;
}

/* Output length of the piece at s: printable ASCII and valid UTF-8 as is, other bytes as \xNN. */
static size_t raw_piece(const unsigned char *s, size_t n, size_t *consumed)
{
    if (s[0] >= 0x20 && s[0] < 0x7f) {
        *consumed = 1;
        return 1;
    }
    size_t k = s[0] >= 0x80 ? utf8text_seq_len(s, n) : 0;
    *consumed = k ? k : 1;
    return k ? k : 4;
}

static size_t raw_emit(char *dst, const unsigned char *s, size_t consumed, size_t outlen)
{
    if (outlen == 4 && consumed == 1)
        snprintf(dst, 5, "\\x%02x", s[0]);
    else
        memcpy(dst, s, consumed);
    return outlen;
}

/* Copies the line into out->raw as printable UTF-8, cut with "..." to RAW_MAX bytes. */
static void raw_copy(struct input_entry *out, const char *line, size_t len)
{
    const unsigned char *s = (const unsigned char *)line;
    size_t total = 0, used, i;
    for (i = 0; i < len && total <= RAW_MAX; i += used)
        total += raw_piece(s + i, len - i, &used);
    size_t limit = total <= RAW_MAX ? RAW_MAX : RAW_MAX - 3;
    size_t o = 0;
    for (i = 0; i < len; i += used) {
        size_t w = raw_piece(s + i, len - i, &used);
        if (o + w > limit)
            break;
        o += raw_emit(out->raw + o, s + i, used, w);
    }
    if (i < len) {
        memcpy(out->raw + o, "...", 3);
        o += 3;
    }
    out->raw[o] = '\0';
}

static enum input_line_kind invalid(struct input_entry *out, const char *reason)
{
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
    out->domain[0] = '\0';
    return INPUT_INVALID;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int field_is(const char *p, size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)p[i]) != word[i])
            return 0;
    return 1;
}

static int header_word(const char *p, size_t n)
{
    static const char *const words[] = { "domain", "domains", "host", "hostname", "name", "site", "url" };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (field_is(p, n, words[i]))
            return 1;
    return 0;
}

static int wordish(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = lower((unsigned char)p[i]);
        if (!((c >= 'a' && c <= 'z') || c == '_' || c == '-' || c == ' '))
            return 0;
    }
    return 1;
}

/* Parses an unsigned decimal of at most 18 digits (fits a long).  0 = ok, -1 = not a number,
 * -2 = too large. */
static int parse_rank(const char *p, size_t n, long *rank)
{
    if (n == 0)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        if (i >= 18)
            return -2;
        v = v * 10 + (p[i] - '0');
    }
    *rank = v;
    return 0;
}

/* Checks one label's characters; NULL when fine, else the reason (written into buf if needed). */
static const char *label_problem(const char *l, size_t n, char *buf, size_t size)
{
    if (n == 0)
        return "empty label";
    if (n > 63)
        return "label longer than 63 characters";
    if (l[0] == '-' || l[n - 1] == '-')
        return "label starts or ends with '-'";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            continue;
        if (c == '_')
            return "underscore: not a valid mail domain (letters, digits, '-' only)";
        if (c >= 0x20 && c < 0x7f)
            snprintf(buf, size, "invalid character '%c'", c);
        else
            snprintf(buf, size, "invalid character \\x%02x", c);
        return buf;
    }
    return NULL;
}

/* Validates and normalizes a domain field into out->domain.  Returns the line kind. */
static enum input_line_kind check_domain(const char *p, size_t n, struct input_entry *out)
{
    if (n > 0 && p[n - 1] == '.')
        n--;
    if (n == 0)
        return invalid(out, "empty domain");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return invalid(out, "non-ASCII name: convert to A-label (punycode)");
    if (n > 253)
        return invalid(out, "name longer than 253 characters");
    char name[254];
    for (size_t i = 0; i < n; i++)
        name[i] = (char)lower((unsigned char)p[i]);
    name[n] = '\0';
    size_t labels = 0, start = 0, last = 0;
    char why[64];
    for (size_t i = 0; i <= n; i++) {
        if (i < n && name[i] != '.')
            continue;
        const char *problem = label_problem(name + start, i - start, why, sizeof(why));
        if (problem != NULL)
            return invalid(out, problem);
        labels++;
        last = start;
        start = i + 1;
    }
    if (labels < 2)
        return invalid(out, "single label: a domain needs at least two labels");
    if (strspn(name + last, "0123456789") == n - last)
        return invalid(out, "numeric top-level label (an IP address is not a domain)");
    memcpy(out->domain, name, n + 1);
    out->reason[0] = '\0';
    return INPUT_DOMAIN;
}

enum input_line_kind input_parse_line(const char *line, size_t len, long line_no,
                                      struct input_entry *out)
{
    out->domain[0] = out->raw[0] = out->reason[0] = '\0';
    out->line_no = line_no;
    out->rank = line_no;
    const char *p = line, *e = line + (len > INPUT_LINE_MAX ? INPUT_LINE_MAX : len);
    if (line_no == 1 && e - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 byte order mark written by some spreadsheet exports */
    trim(&p, &e);
    raw_copy(out, p, (size_t)(e - p));
    if (len > INPUT_LINE_MAX)
        return invalid(out, "line longer than 4096 bytes");
    if (memchr(p, '\0', (size_t)(e - p)) != NULL)
        return invalid(out, "NUL byte in line");
    if (p == e || *p == '#')
        return INPUT_SKIP;

    const char *comma = memchr(p, ',', (size_t)(e - p));
    if (comma == NULL) {
        if (header_word(p, (size_t)(e - p)))
            return INPUT_SKIP;
        return check_domain(p, (size_t)(e - p), out);
    }
    const char *f1 = p, *f1e = comma, *f2 = comma + 1, *f2e = e;
    const char *comma2 = memchr(f2, ',', (size_t)(e - f2));
    if (comma2 != NULL)
        f2e = comma2; /* further columns are ignored */
    trim(&f1, &f1e);
    trim(&f2, &f2e);
    long rank;
    int r = parse_rank(f1, (size_t)(f1e - f1), &rank);
    if (r == -2)
        return invalid(out, "rank out of range");
    if (r == -1) {
        if (wordish(f1, (size_t)(f1e - f1)) && wordish(f2, (size_t)(f2e - f2)))
            return INPUT_SKIP;
        return invalid(out, "expected 'rank,domain': first column is not a number");
    }
    out->rank = rank;
    raw_copy(out, f2, (size_t)(f2e - f2)); /* the domain column shows the domain as given */
    return check_domain(f2, (size_t)(f2e - f2), out);
}

enum input_line_kind input_parse_argument(const char *arg, long position, struct input_entry *out)
{
    size_t len = strlen(arg);
    const char *p = arg, *e = arg + (len > INPUT_LINE_MAX ? INPUT_LINE_MAX : len);
    char why[128];
    out->domain[0] = out->raw[0] = out->reason[0] = '\0';
    out->line_no = position;
    out->rank = position;
    trim(&p, &e);
    raw_copy(out, p, (size_t)(e - p));
    if (len > INPUT_LINE_MAX) {
        snprintf(why, sizeof(why), "argument %ld is longer than 4096 bytes", position);
        return invalid(out, why);
    }
    if (p == e) {
        snprintf(why, sizeof(why), "argument %ld is empty: give a domain name such as example.com",
                 position);
        return invalid(out, why);
    }
    return check_domain(p, (size_t)(e - p), out);
}
