/*
 * txt: pure parsers for the _mta-sts TXT record (RFC 8461 §3.1) and the _smtp._tls TXT record
 * (RFC 8460 §3).  Both records share one grammar:
 *
 *   record      = version 1*(field-delim field) [field-delim]
 *   field-delim = *WSP ";" *WSP
 *   field       = known-field / ext-name "=" ext-value
 *   ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * with the known field sts-id = %s"id=" 1*32(ALPHA / DIGIT) for MTA-STS and
 * tlsrpt-rua = %s"rua=" uri *(*WSP "," *WSP uri) for TLS-RPT.
 *
 * Decisions beyond the RFC text (documented in docs/codes.md, tested in tests/test_txt.c):
 * - a record counts as a candidate when it starts with the version (case-sensitive) followed by
 *   *WSP ";" (WSP = SP or TAB), so "v=STSv1 ; id=1" and "v=STSv1<TAB>; id=1" count; everything
 *   else is discarded before counting.  This follows the ABNF (field-delim = *WSP ";" *WSP); the
 *   prose of RFC 8461 §3.1 ("records that do not begin with v=STSv1;") reads stricter, a conflict
 *   reported as erratum 6285.  txt_is_candidate is the one place of this rule: the scan, `check`
 *   (pipeline/domain.c) and its report (commands/report.c) all call it;
 * - the known field is required; when it is repeated the first occurrence wins, but every
 *   occurrence must still be well formed (the ABNF allows the repetition, not a bad value);
 * - a field whose name is not the known field is an extension even when it differs only in case
 *   ("ID=1" is an extension, so the record then lacks its id): the names are %s in the ABNF;
 * - whitespace after the last field without a closing ";" is not allowed (the ABNF only allows
 *   WSP inside field-delim), and an empty field (";;") is invalid;
 * - a rua URI is "mailto:" or "https:" (scheme case-insensitive) followed by at least one byte in
 *   %x21-7E other than "," and ";".
 */
#include "scanner/txt.h"

#include "lib/enumname.h"
#include "scanner/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TXT_EXT_NAME_MAX 32

/* The names of the record-set statuses (CSV cells, check's JSON; lib/enumname). */
static const struct enum_name txt_status_names[] = {
    {TXT_STATUS_NOT_QUERIED, "not_queried"},
    {TXT_STATUS_OK, "ok"},
    {TXT_STATUS_MISSING, "missing"},
    {TXT_STATUS_INVALID, "invalid"},
    {TXT_STATUS_MULTIPLE, "multiple"},
    {TXT_STATUS_ERROR, "error"},
};
ENUM_NAMES_DEFINE_PARSE(txt_status, enum txt_status, TXT_STATUS_ERROR + 1, "unknown")

static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_ext_value_char(unsigned char c)
{
    return (c >= 0x21 && c <= 0x3a) || c == 0x3c || (c >= 0x3e && c <= 0x7e);
}

/* A view of bytes inside a record. */
struct span {
    const unsigned char *p;
    size_t len;
};

static int span_eq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* Case-insensitive prefix test for ASCII literals. */
static int span_has_iprefix(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

int txt_is_candidate(const char *data, size_t len, const char *version, size_t *delim)
{
    size_t vlen = strlen(version);
    if (data == NULL || len < vlen || memcmp(data, version, vlen) != 0)
        return 0;
    size_t i = vlen;
    while (i < len && is_wsp((unsigned char)data[i]))
        i++;
    if (i >= len || data[i] != ';')
        return 0;
    if (delim)
        *delim = i;
    return 1;
}

static int is_candidate(const struct txt_record *rec, const char *version, size_t *after)
{
    return txt_is_candidate((const char *)rec->data, rec->len, version, after);
}

/* Per-record parse state shared by both record kinds. */
struct field_parser {
    const char *known;                   /* "id" or "rua" */
    int (*check_known)(struct span value, struct field_parser *fp);
    struct span first_known;             /* value of the first known field */
    int n_known;
    char error[128];
};

/* Records the first problem; returns -1 so callers can "return fail(...)". */
static int fail(struct field_parser *fp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct field_parser *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fp->error, sizeof(fp->error), fmt, ap);
    va_end(ap);
    return -1;
}

static int check_ext(struct span name, struct span value, struct field_parser *fp, size_t off)
{
    if (name.len == 0 || name.len > TXT_EXT_NAME_MAX || !is_alnum(name.p[0]))
        return fail(fp, "bad field name at offset %zu (length %zu)", off, name.len);
    for (size_t i = 1; i < name.len; i++) {
        unsigned char c = name.p[i];
        if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
            return fail(fp, "bad character in field name at offset %zu (0x%02x)", off + i, c);
    }
    if (value.len == 0)
        return fail(fp, "empty value at offset %zu", off + name.len + 1);
    for (size_t i = 0; i < value.len; i++)
        if (!is_ext_value_char(value.p[i]))
            return fail(fp, "bad character in field value at offset %zu (0x%02x)",
                        off + name.len + 1 + i, value.p[i]);
    return 0;
}

/* Judges one field (text between delimiters, trimmed) at offset off of the record. */
static int parse_field(struct span field, struct field_parser *fp, size_t off)
{
    const unsigned char *eq = memchr(field.p, '=', field.len);
    if (eq == NULL)
        return fail(fp, "field without '=' at offset %zu", off);
    struct span name = { field.p, (size_t)(eq - field.p) };
    struct span value = { eq + 1, field.len - name.len - 1 };
    if (!span_eq(name, fp->known))
        return check_ext(name, value, fp, off);
    if (fp->check_known(value, fp) != 0)
        return -1;
    if (fp->n_known++ == 0)
        fp->first_known = value;
    return 0;
}

/* Walks the fields after the version; start is the offset of the first ';'.  0 when the record
 * matches the grammar and holds the known field, else -1 with fp->error set. */
static int parse_fields(const struct txt_record *rec, size_t start, struct field_parser *fp)
{
    const unsigned char *d = rec->data;
    size_t len = rec->len, i = start, n_fields = 0;
    while (i < len) {
        /* field-delim: the version or previous field ended right before *WSP ";" *WSP. */
        while (i < len && is_wsp(d[i]))
            i++;
        if (i >= len || d[i] != ';')
            return fail(fp, "expected ';' at offset %zu", i);
        i++;
        while (i < len && is_wsp(d[i]))
            i++;
        if (i >= len)
            break; /* trailing delimiter */
        if (d[i] == ';')
            return fail(fp, "empty field at offset %zu", i);
        size_t end = i;
        while (end < len && d[end] != ';')
            end++;
        size_t field_end = end;
        if (end < len) /* WSP before ';' belongs to the delimiter */
            while (field_end > i && is_wsp(d[field_end - 1]))
                field_end--;
        struct span field = { d + i, field_end - i };
        if (parse_field(field, fp, i) != 0)
            return -1;
        n_fields++;
        i = field_end;
    }
    if (n_fields == 0)
        return fail(fp, "no field after the version");
    if (fp->n_known == 0)
        return fail(fp, "required field %s= missing", fp->known);
    return 0;
}

/* sts-id = 1*32(ALPHA / DIGIT) */
static int check_sts_id(struct span v, struct field_parser *fp)
{
    if (v.len == 0 || v.len > 32)
        return fail(fp, "id must have 1 to 32 characters, has %zu", v.len);
    for (size_t i = 0; i < v.len; i++)
        if (!is_alnum(v.p[i]))
            return fail(fp, "id has a non-alphanumeric character (0x%02x)", v.p[i]);
    return 0;
}

/* Calls fn on each URI of a rua value split at *WSP "," *WSP; stops at the first non-zero. */
static int rua_each(struct span v, int (*fn)(struct span uri, void *arg), void *arg)
{
    size_t i = 0;
    for (;;) {
        size_t end = i;
        while (end < v.len && v.p[end] != ',')
            end++;
        size_t b = i, e = end;
        if (i > 0) /* after a comma */
            while (b < e && is_wsp(v.p[b]))
                b++;
        if (end < v.len) /* before a comma */
            while (e > b && is_wsp(v.p[e - 1]))
                e--;
        struct span uri = { v.p + b, e - b };
        int rc = fn(uri, arg);
        if (rc != 0 || end >= v.len)
            return rc;
        i = end + 1;
    }
}

static int check_uri(struct span uri, void *arg)
{
    struct field_parser *fp = arg;
    size_t scheme;
    if (uri.len == 0)
        return fail(fp, "empty rua URI");
    if (span_has_iprefix(uri, "mailto:"))
        scheme = 7;
    else if (span_has_iprefix(uri, "https:"))
        scheme = 6;
    else
        return fail(fp, "rua URI scheme is not mailto: or https:");
    if (uri.len == scheme)
        return fail(fp, "rua URI has nothing after its scheme");
    for (size_t i = scheme; i < uri.len; i++)
        if (uri.p[i] < 0x21 || uri.p[i] > 0x7e || uri.p[i] == ';')
            return fail(fp, "rua URI has a bad character (0x%02x)", uri.p[i]);
    return 0;
}

static int check_rua(struct span v, struct field_parser *fp)
{
    return rua_each(v, check_uri, fp);
}

static int add_uri(struct span uri, void *arg)
{
    struct txt_tlsrpt *out = arg;
    char tmp[TXT_RUA_MAX + 1];
    size_t n = uri.len < sizeof(tmp) - 1 ? uri.len : sizeof(tmp) - 1;
    memcpy(tmp, uri.p, n);
    tmp[n] = '\0';
    result_list_add(out->rua, sizeof(out->rua), tmp);
    return 0;
}

/* Shared judgement of a record set: discard, count, parse the one candidate.  Returns the status
 * and leaves the parse state (first known field) in fp; error gets the reason. */
static enum txt_status judge(const struct txt_record *recs, size_t n, const char *version,
                             struct field_parser *fp, char *error, size_t error_size)
{
    size_t count = 0, which = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        size_t after;
        if (!is_candidate(&recs[i], version, &after))
            continue;
        if (count++ == 0) {
            which = i;
            start = after;
        }
    }
    if (count == 0) {
        snprintf(error, error_size, "no record starting with %s;", version);
        return TXT_STATUS_MISSING;
    }
    if (count > 1) {
        snprintf(error, error_size, "%zu records start with %s;", count, version);
        return TXT_STATUS_MULTIPLE;
    }
    if (parse_fields(&recs[which], start, fp) != 0) {
        snprintf(error, error_size, "%s", fp->error);
        return TXT_STATUS_INVALID;
    }
    return TXT_STATUS_OK;
}

void txt_parse_sts(const struct txt_record *recs, size_t n, struct txt_sts *out)
{
    struct field_parser fp = { .known = "id", .check_known = check_sts_id };
    memset(out, 0, sizeof(*out));
    out->status = judge(recs, n, "v=STSv1", &fp, out->error, sizeof(out->error));
    txt_record_text(recs, n, "v=STSv1", out->text, sizeof(out->text));
    if (out->status == TXT_STATUS_OK) {
        memcpy(out->id, fp.first_known.p, fp.first_known.len); /* checked: 1..32 bytes */
        out->id[fp.first_known.len] = '\0';
    }
}

void txt_parse_tlsrpt(const struct txt_record *recs, size_t n, struct txt_tlsrpt *out)
{
    struct field_parser fp = { .known = "rua", .check_known = check_rua };
    memset(out, 0, sizeof(*out));
    out->status = judge(recs, n, "v=TLSRPTv1", &fp, out->error, sizeof(out->error));
    txt_record_text(recs, n, "v=TLSRPTv1", out->text, sizeof(out->text));
    if (out->status == TXT_STATUS_OK)
        rua_each(fp.first_known, add_uri, out);
}

/* Appends k bytes of s to buf (len bytes used); 0 when they do not fit with the NUL. */
static int text_append(char *buf, size_t size, size_t *len, const char *s, size_t k)
{
    if (*len + k + 1 > size)
        return 0;
    memcpy(buf + *len, s, k);
    *len += k;
    buf[*len] = '\0';
    return 1;
}

/* Appends one record byte, escaped when it is not printable or is '\' or the separator '|'. */
static int text_put(char *buf, size_t size, size_t *len, unsigned char c)
{
    char tmp[5];
    if (c >= 0x20 && c <= 0x7e && c != '\\' && c != '|') {
        tmp[0] = (char)c;
        return text_append(buf, size, len, tmp, 1);
    }
    snprintf(tmp, sizeof(tmp), "\\x%02x", c);
    return text_append(buf, size, len, tmp, 4);
}

void txt_record_text(const struct txt_record *recs, size_t n, const char *version, char *buf,
                     size_t size)
{
    size_t len = 0, shown = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t after;
        if (!is_candidate(&recs[i], version, &after))
            continue;
        int ok = shown++ == 0 || text_append(buf, size, &len, "|", 1);
        for (size_t k = 0; ok && k < recs[i].len; k++)
            ok = text_put(buf, size, &len, recs[i].data[k]);
        if (!ok) {
            if (size >= 4)
                memcpy(buf + (len + 4 <= size ? len : size - 4), "...", 4);
            return;
        }
    }
}
