/*
 * test_input: the pure line parser (every accepted form, every skip, every invalid reason, raw
 * text escaping and cutting) and the streaming reader (LF/CRLF, a last line without LF, a
 * 10,000-character line and a 1 MB line cut without being stored, NUL bytes, buffer boundaries,
 * zstd single- and multi-frame input, zstd detected by magic number, stdin, a truncated .zst that
 * still delivers every line before the cut, corrupt zstd, a missing file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "pipeline/input.h"
#include "tests/support/files.h"

/* ---- parser ---- */

static enum input_line_kind parse(const char *s, long line_no, struct input_entry *e)
{
    memset(e, 0x5a, sizeof(*e)); /* garbage in: every field must be set */
    return input_parse_line(s, strlen(s), line_no, e);
}

static void expect_domain(const char *line, long line_no, const char *domain, long rank)
{
    struct input_entry e;
    assert_int_equal(parse(line, line_no, &e), INPUT_DOMAIN);
    assert_string_equal(e.domain, domain);
    assert_int_equal(e.rank, rank);
    assert_int_equal(e.line_no, line_no);
    assert_string_equal(e.reason, "");
}

static void expect_skip(const char *line, long line_no)
{
    struct input_entry e;
    assert_int_equal(parse(line, line_no, &e), INPUT_SKIP);
}

static void expect_invalid(const char *line, long line_no, const char *reason, long rank)
{
    struct input_entry e;
    assert_int_equal(parse(line, line_no, &e), INPUT_INVALID);
    assert_string_equal(e.reason, reason);
    assert_int_equal(e.rank, rank);
    assert_string_equal(e.domain, "");
}

static void test_parse_plain_domains(void **state)
{
    (void)state;
    expect_domain("example.com", 7, "example.com", 7); /* rank = line number */
    expect_domain("Example.COM.", 1, "example.com", 1);
    expect_domain("  example.com \r", 3, "example.com", 3);
    expect_domain("\texample.org\t", 3, "example.org", 3);
    expect_domain("mail.sub.example.co.uk", 2, "mail.sub.example.co.uk", 2);
    expect_domain("xn--bcher-kva.de", 2, "xn--bcher-kva.de", 2);
    expect_domain("3com.com", 2, "3com.com", 2);
    expect_domain("a-b.c-d.example", 2, "a-b.c-d.example", 2);
    expect_domain("example.xn--p1ai", 2, "example.xn--p1ai", 2);
}

static void test_parse_tranco(void **state)
{
    (void)state;
    expect_domain("1,google.com", 1, "google.com", 1);
    expect_domain("42,Example.org\r", 50, "example.org", 42);
    expect_domain("2,example.org,extra,cols", 9, "example.org", 2);
    expect_domain(" 3 , example.net ", 9, "example.net", 3);
    expect_domain("0,example.net", 9, "example.net", 0);
}

static void test_parse_skips(void **state)
{
    (void)state;
    expect_skip("", 1);
    expect_skip("   ", 2);
    expect_skip("\r", 2);
    expect_skip("# a comment, with commas", 2);
    expect_skip("   # indented comment", 2);
    expect_skip("rank,domain", 1);
    expect_skip("Rank,Domain\r", 1);
    expect_skip("rank,domain,extra", 1);
    expect_skip("domain", 1);
    expect_skip("Domain", 5);
    expect_skip("\xEF\xBB\xBF" "rank,domain", 1); /* BOM then header */
}

static void test_parse_invalid_names(void **state)
{
    (void)state;
    expect_invalid("bücher.de", 4, "non-ASCII name: convert to A-label (punycode)", 4);
    expect_invalid("localhost", 5, "single label: a domain needs at least two labels", 5);
    expect_invalid("com.", 5, "single label: a domain needs at least two labels", 5);
    expect_invalid("192.0.2.1", 5, "numeric top-level label (an IP address is not a domain)", 5);
    expect_invalid("a..b", 5, "empty label", 5);
    expect_invalid(".example.com", 5, "empty label", 5);
    expect_invalid("example.com..", 5, "empty label", 5);
    expect_invalid(".", 5, "empty domain", 5);
    expect_invalid("-a.com", 5, "label starts or ends with '-'", 5);
    expect_invalid("a-.com", 5, "label starts or ends with '-'", 5);
    expect_invalid("_dmarc.example.com", 5,
                   "underscore: not a valid mail domain (letters, digits, '-' only)", 5);
    expect_invalid("exa mple.com", 5, "invalid character ' '", 5);
    expect_invalid("exa\x01mple.com", 5, "invalid character \\x01", 5);
    expect_invalid("http://example.com/", 5, "invalid character ':'", 5);
    expect_invalid("\"example.com\"", 5, "invalid character '\"'", 5);
}

static void test_parse_invalid_tranco(void **state)
{
    (void)state;
    expect_invalid("5,bad_domain.com", 9, "underscore: not a valid mail domain (letters, digits, '-' only)", 5);
    expect_invalid("5,", 9, "empty domain", 5);
    expect_invalid("5, ,x", 9, "empty domain", 5);
    expect_invalid("abc,example.com", 9, "expected 'rank,domain': first column is not a number", 9);
    expect_invalid("-1,example.com", 9, "expected 'rank,domain': first column is not a number", 9);
    expect_invalid("example.com,1", 9, "expected 'rank,domain': first column is not a number", 9);
    expect_invalid("1234567890123456789,example.com", 9, "rank out of range", 9);
    expect_invalid("7,bücher.de", 9, "non-ASCII name: convert to A-label (punycode)", 7);
    /* a BOM only counts on line 1 */
    expect_domain("\xEF\xBB\xBF" "example.com", 1, "example.com", 1);
    expect_invalid("\xEF\xBB\xBF" "example.com", 2, "non-ASCII name: convert to A-label (punycode)", 2);
}

static void test_parse_lengths(void **state)
{
    (void)state;
    char label63[64], label64[65], line[600];
    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'b', 64);
    label64[64] = '\0';
    snprintf(line, sizeof(line), "%s.com", label63);
    expect_domain(line, 1, line, 1);
    snprintf(line, sizeof(line), "%s.com", label64);
    expect_invalid(line, 1, "label longer than 63 characters", 1);

    /* three 63-character labels, one of 61: 253 characters, the maximum */
    char name[300];
    snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
    assert_int_equal(strlen(name), 253);
    expect_domain(name, 1, name, 1);
    snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
    assert_int_equal(strlen(name), 254);
    expect_invalid(name, 1, "name longer than 253 characters", 1);
    /* 253 plus the trailing dot is still fine */
    snprintf(name, sizeof(name), "%s.%s.%s.%.61s.", label63, label63, label63, label63);
    struct input_entry e;
    assert_int_equal(parse(name, 1, &e), INPUT_DOMAIN);
    assert_int_equal(strlen(e.domain), 253);
}

static void test_parse_long_line(void **state)
{
    (void)state;
    size_t n = 10000;
    char *line = malloc(n + 1);
    memset(line, 'x', n);
    memcpy(line + n - 4, ".com", 4);
    line[n] = '\0';
    struct input_entry e;
    assert_int_equal(input_parse_line(line, n, 12, &e), INPUT_INVALID);
    assert_string_equal(e.reason, "line longer than 4096 bytes");
    assert_int_equal(e.rank, 12);
    assert_int_equal(strlen(e.raw), RESULT_NAME_MAX - 1);
    assert_string_equal(e.raw + strlen(e.raw) - 3, "...");
    /* exactly the limit is parsed (and here fails for its name length, not the line length) */
    assert_int_equal(input_parse_line(line + n - INPUT_LINE_MAX, INPUT_LINE_MAX, 1, &e), INPUT_INVALID);
    assert_string_equal(e.reason, "name longer than 253 characters");
    /* a long line of blanks around a domain is fine: the limit is on the line, not trimmed text */
    memset(line, ' ', INPUT_LINE_MAX);
    memcpy(line + 100, "ok.example", 10);
    assert_int_equal(input_parse_line(line, INPUT_LINE_MAX, 1, &e), INPUT_DOMAIN);
    assert_string_equal(e.domain, "ok.example");
    free(line);
}

static void test_parse_nul_and_raw_escaping(void **state)
{
    (void)state;
    struct input_entry e;
    const char nul[] = "exam\0ple.com";
    assert_int_equal(input_parse_line(nul, sizeof(nul) - 1, 3, &e), INPUT_INVALID);
    assert_string_equal(e.reason, "NUL byte in line");
    assert_string_equal(e.raw, "exam\\x00ple.com");

    /* valid UTF-8 kept, invalid bytes escaped */
    assert_int_equal(parse("  bücher.de  ", 2, &e), INPUT_INVALID);
    assert_string_equal(e.raw, "bücher.de");
    assert_int_equal(parse("\xff\xfe.com", 2, &e), INPUT_INVALID);
    assert_string_equal(e.raw, "\\xff\\xfe.com");
    assert_int_equal(parse("\xed\xa0\x80.com", 2, &e), INPUT_INVALID); /* UTF-16 surrogate */
    assert_string_equal(e.raw, "\\xed\\xa0\\x80.com");
    assert_int_equal(parse("\xc0\xae.com", 2, &e), INPUT_INVALID); /* overlong '.' */
    assert_string_equal(e.raw, "\\xc0\\xae.com");
    assert_int_equal(parse("tab\there.com", 2, &e), INPUT_INVALID);
    assert_string_equal(e.raw, "tab\\x09here.com");

    /* a cut never splits a UTF-8 sequence: 200 x "é" (400 bytes) */
    char line[512] = "";
    for (int i = 0; i < 200; i++)
        strcat(line, "\xc3\xa9");
    assert_int_equal(parse(line, 2, &e), INPUT_INVALID);
    size_t len = strlen(e.raw);
    assert_true(len <= RESULT_NAME_MAX - 1);
    assert_string_equal(e.raw + len - 3, "...");
    assert_int_equal((len - 3) % 2, 0);
    for (size_t i = 0; i < len - 3; i += 2)
        assert_memory_equal(e.raw + i, "\xc3\xa9", 2);

    /* exactly 255 bytes fit without a cut mark */
    memset(line, 'a', 255);
    line[255] = '\0';
    assert_int_equal(parse(line, 2, &e), INPUT_INVALID);
    assert_string_equal(e.raw, line);
    /* with a rank column, raw is the domain field as given (it fills the domain column) */
    assert_int_equal(parse("1,Example.com", 2, &e), INPUT_DOMAIN);
    assert_string_equal(e.raw, "Example.com");
    assert_int_equal(parse("7,bad..name,extra", 2, &e), INPUT_INVALID);
    assert_string_equal(e.raw, "bad..name");
    assert_int_equal(e.rank, 7);
}

/* ---- reader ---- */

struct lines {
    char **text;
    size_t *len;
    long *no;
    size_t n, cap;
};

/* Reads everything; returns input_next's last result (0 = clean end, -1 = error). */
static int read_all(struct input *in, struct lines *ls)
{
    memset(ls, 0, sizeof(*ls));
    struct input_line l;
    int r;
    while ((r = input_next(in, &l)) == 1) {
        if (ls->n == ls->cap) {
            ls->cap = ls->cap ? ls->cap * 2 : 64;
            ls->text = realloc(ls->text, ls->cap * sizeof(*ls->text));
            ls->len = realloc(ls->len, ls->cap * sizeof(*ls->len));
            ls->no = realloc(ls->no, ls->cap * sizeof(*ls->no));
        }
        assert_int_equal(l.text[l.len], '\0');
        ls->text[ls->n] = malloc(l.len + 1);
        memcpy(ls->text[ls->n], l.text, l.len + 1);
        ls->len[ls->n] = l.len;
        ls->no[ls->n] = l.line_no;
        ls->n++;
    }
    return r;
}

static void lines_free(struct lines *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->text[i]);
    free(ls->text);
    free(ls->len);
    free(ls->no);
}

static struct input *open_ok(const char *path)
{
    char err[512];
    struct input *in = input_open(path, err, sizeof(err));
    if (in == NULL)
        fail_msg("input_open(%s): %s", path, err);
    return in;
}

static void test_read_lf_crlf_last_line(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "mixed.txt");
    const char data[] = "a.com\r\nb.com\n\n#c\nlast.com";
    files_write(path, data, sizeof(data) - 1);
    struct input *in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), 0);
    assert_int_equal(ls.n, 5);
    assert_string_equal(ls.text[0], "a.com\r"); /* the parser drops the CR */
    assert_string_equal(ls.text[1], "b.com");
    assert_string_equal(ls.text[2], "");
    assert_string_equal(ls.text[3], "#c");
    assert_string_equal(ls.text[4], "last.com");
    assert_int_equal(ls.no[4], 5);
    assert_int_equal(input_next(in, &(struct input_line){0}), 0); /* stays at EOF */
    struct input_entry e;
    assert_int_equal(input_parse_line(ls.text[0], ls.len[0], ls.no[0], &e), INPUT_DOMAIN);
    assert_string_equal(e.domain, "a.com");
    lines_free(&ls);
    input_close(in);
}

static void test_read_empty_and_trailing_newline(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "empty.txt");
    files_write(path, "", 0);
    struct input *in = open_ok(path);
    struct input_line l;
    assert_int_equal(input_next(in, &l), 0);
    input_close(in);

    files_write(path, "x.com\n", 6);
    in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), 0);
    assert_int_equal(ls.n, 1); /* no phantom empty line after the final LF */
    lines_free(&ls);
    input_close(in);
}

static void test_read_long_lines_cut(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "long.txt");
    size_t big = 1 << 20;
    char *data = malloc(big + 100);
    size_t o = 0;
    o += (size_t)sprintf(data + o, "first.com\n");
    memset(data + o, 'y', 10000); /* 10,000-character line */
    o += 10000;
    data[o++] = '\n';
    o += (size_t)sprintf(data + o, "middle.com\n");
    size_t mb = big - o - 20;
    memset(data + o, 'z', mb); /* ~1 MB line, longer than every buffer */
    o += mb;
    data[o++] = '\n';
    o += (size_t)sprintf(data + o, "after.com\n");
    files_write(path, data, o);

    struct input *in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), 0);
    assert_int_equal(ls.n, 5);
    assert_string_equal(ls.text[0], "first.com");
    assert_int_equal(ls.len[1], INPUT_LINE_MAX + 1);
    assert_string_equal(ls.text[2], "middle.com");
    assert_int_equal(ls.len[3], INPUT_LINE_MAX + 1);
    assert_string_equal(ls.text[4], "after.com");
    assert_int_equal(ls.no[4], 5);
    struct input_entry e;
    assert_int_equal(input_parse_line(ls.text[1], ls.len[1], ls.no[1], &e), INPUT_INVALID);
    assert_string_equal(e.reason, "line longer than 4096 bytes");
    assert_int_equal(e.rank, 2);
    lines_free(&ls);
    input_close(in);
    free(data);
}

static void test_read_nul_byte(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "nul.txt");
    const char data[] = "a\0b.com\nok.com\n";
    files_write(path, data, sizeof(data) - 1);
    struct input *in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), 0);
    assert_int_equal(ls.n, 2);
    assert_int_equal(ls.len[0], 7);
    assert_memory_equal(ls.text[0], "a\0b.com", 7);
    struct input_entry e;
    assert_int_equal(input_parse_line(ls.text[0], ls.len[0], 1, &e), INPUT_INVALID);
    assert_string_equal(e.reason, "NUL byte in line");
    lines_free(&ls);
    input_close(in);
}

/* "<i>,d<i>.example" lines of varying length, enough to cross every buffer boundary. */
static char *make_list(size_t n_lines, size_t *len)
{
    size_t cap = n_lines * 64 + 1, o = 0;
    char *d = malloc(cap);
    for (size_t i = 1; i <= n_lines; i++)
        o += (size_t)snprintf(d + o, cap - o, "%zu,d%zu.%.*sexample%s\n", i, i, (int)(i % 23), "pad-pad-pad-pad-pad-pad-pad",
                              i % 3 == 0 ? "\r" : "");
    *len = o;
    return d;
}

/* Every line read equals the corresponding line of data, byte for byte (so none was cut). */
static void check_prefix(const struct lines *ls, const char *data)
{
    const char *p = data;
    for (size_t i = 0; i < ls->n; i++) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_int_equal(ls->len[i], (size_t)(nl - p));
        assert_memory_equal(ls->text[i], p, ls->len[i]);
        p = nl + 1;
    }
}

static void check_list(const struct lines *ls, size_t n_lines)
{
    assert_int_equal(ls->n, n_lines);
    for (size_t i = 0; i < ls->n; i++) {
        struct input_entry e;
        assert_int_equal(input_parse_line(ls->text[i], ls->len[i], ls->no[i], &e), INPUT_DOMAIN);
        assert_int_equal(e.rank, (long)(i + 1));
        assert_int_equal(ls->no[i], (long)(i + 1));
        char want[32];
        snprintf(want, sizeof(want), "d%zu.", i + 1);
        assert_memory_equal(e.domain, want, strlen(want));
    }
}

/* Writes file (len bytes, plain or compressed) to the temp file name, reads it back to a clean
 * end, and checks that the lines are the n_lines of list, the make_list text it holds. */
static void check_list_file(const char *name, const void *file, size_t len, const char *list,
                            size_t n_lines)
{
    char path[128];
    files_tmp_path(path, sizeof(path), name);
    files_write(path, file, len);
    struct input *in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), 0);
    check_list(&ls, n_lines);
    check_prefix(&ls, list);
    lines_free(&ls);
    input_close(in);
}

static void test_read_plain_many_lines(void **state)
{
    (void)state;
    size_t len, n = 50000;
    char *data = make_list(n, &len);
    check_list_file("many.csv", data, len, data, n);
    free(data);
}

/* Compresses data as one frame per part (parts split at line ends) into *zlen bytes.  Caller frees. */
static char *compress_frames(const char *data, size_t len, int parts, size_t *zlen)
{
    size_t cuts[16], n = 0, start = 0;
    assert_true(parts >= 1 && parts <= 16);
    for (int p = 1; p < parts; p++) {
        size_t stop = len * (size_t)p / (size_t)parts;
        if (stop < start)
            stop = start;
        while (stop < len && stop > 0 && data[stop - 1] != '\n')
            stop++;
        cuts[n++] = start = stop;
    }
    return files_zstd_frames(data, len, cuts, n, zlen);
}

static void test_read_zstd_single_and_multi_frame(void **state)
{
    (void)state;
    size_t len, n = 50000;
    char *data = make_list(n, &len);
    int parts[] = { 1, 7 };
    for (int k = 0; k < 2; k++) {
        size_t zlen;
        char *z = compress_frames(data, len, parts[k], &zlen);
        check_list_file(k ? "multi.csv.zst" : "single.csv.zst", z, zlen, data, n);
        free(z);
    }
    free(data);
}

static void test_read_zstd_by_magic_and_stdin(void **state)
{
    (void)state;
    const char *text = "1,a.example\n2,b.example\n";
    char z[256];
    size_t zlen = ZSTD_compress(z, sizeof(z), text, strlen(text), 3);
    assert_false(ZSTD_isError(zlen));
    char path[128];
    files_tmp_path(path, sizeof(path), "list.bin"); /* no .zst suffix */
    files_write(path, z, zlen);
    struct input *in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), 0);
    assert_int_equal(ls.n, 2);
    assert_string_equal(ls.text[1], "2,b.example");
    lines_free(&ls);
    input_close(in);

    /* the same compressed bytes on stdin */
    assert_non_null(freopen(path, "rb", stdin));
    in = open_ok("-");
    assert_int_equal(read_all(in, &ls), 0);
    assert_int_equal(ls.n, 2);
    assert_string_equal(ls.text[0], "1,a.example");
    lines_free(&ls);
    input_close(in); /* stdin is borrowed: still usable */
    assert_int_equal(fseek(stdin, 0, SEEK_SET), 0);
}

static void test_read_truncated_zstd(void **state)
{
    (void)state;
    size_t len, n = 20000;
    char *data = make_list(n, &len);
    size_t zlen;
    char *z = compress_frames(data, len, 2, &zlen);
    /* the first frame holds the lines up to about half of data */
    size_t first = ZSTD_findFrameCompressedSize(z, zlen);
    assert_false(ZSTD_isError(first));
    unsigned long long first_plain = ZSTD_getFrameContentSize(z, first);
    size_t lines_in_first = 0;
    for (size_t i = 0; i < first_plain; i++)
        lines_in_first += data[i] == '\n';

    char path[128];
    files_tmp_path(path, sizeof(path), "cut.csv.zst");
    files_write(path, z, first + (zlen - first) / 2); /* cut inside the second frame */
    struct input *in = open_ok(path);
    struct lines ls;
    assert_int_equal(read_all(in, &ls), -1);
    assert_int_equal(input_status(in), INPUT_ERR_TRUNCATED);
    assert_non_null(strstr(input_error(in), "truncated"));
    assert_non_null(strstr(input_error(in), path));
    /* every line of the complete frame arrived, each exactly as written, none beyond the input */
    assert_true(ls.n >= lines_in_first);
    assert_true(ls.n < n);
    check_prefix(&ls, data);
    struct input_line l;
    assert_int_equal(input_next(in, &l), -1); /* sticky */
    lines_free(&ls);
    input_close(in);

    /* a cut inside the only frame: no complete line is invented, the error is reported */
    files_write(path, z, first - 5);
    in = open_ok(path);
    assert_int_equal(read_all(in, &ls), -1);
    assert_int_equal(input_status(in), INPUT_ERR_TRUNCATED);
    assert_true(ls.n < lines_in_first);
    check_prefix(&ls, data);
    lines_free(&ls);
    input_close(in);
    free(z);
    free(data);
}

static void test_read_corrupt_zstd(void **state)
{
    (void)state;
    char path[128];
    files_tmp_path(path, sizeof(path), "bad.csv.zst");
    files_write(path, "this is not zstd\n", 17);
    struct input *in = open_ok(path);
    struct input_line l;
    assert_int_equal(input_next(in, &l), -1);
    assert_int_equal(input_status(in), INPUT_ERR_ZSTD);
    assert_non_null(strstr(input_error(in), "decompress"));
    assert_string_equal(input_status_str(input_status(in)), "zstd_corrupt");
    input_close(in);
}

static void test_open_missing(void **state)
{
    (void)state;
    char err[512];
    assert_null(input_open("/nonexistent-dir-mtasts/list.txt", err, sizeof(err)));
    assert_non_null(strstr(err, "No such file or directory"));
    assert_non_null(strstr(err, "/nonexistent-dir-mtasts/list.txt"));
    input_close(NULL);
}

/* Issue 20/19: a DOMAIN argument of check is never skipped; an empty one names its position. */
static void test_parse_argument(void **state)
{
    (void)state;
    struct input_entry e;
    assert_int_equal(input_parse_argument("Example.COM.", 1, &e), INPUT_DOMAIN);
    assert_string_equal(e.domain, "example.com");
    assert_int_equal(e.rank, 1);
    assert_int_equal(input_parse_argument("", 2, &e), INPUT_INVALID);
    assert_int_equal(e.rank, 2);
    assert_string_equal(e.reason, "argument 2 is empty: give a domain name such as example.com");
    assert_int_equal(input_parse_argument("  ", 3, &e), INPUT_INVALID);
    assert_non_null(strstr(e.reason, "argument 3 is empty"));
    assert_int_equal(input_parse_argument("# comment", 4, &e), INPUT_INVALID);
    assert_int_equal(input_parse_argument("domain", 5, &e), INPUT_INVALID); /* not a header */
    assert_string_equal(e.raw, "domain");
    assert_int_equal(input_parse_argument("a..test", 6, &e), INPUT_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain_domains),
        cmocka_unit_test(test_parse_tranco),
        cmocka_unit_test(test_parse_skips),
        cmocka_unit_test(test_parse_invalid_names),
        cmocka_unit_test(test_parse_invalid_tranco),
        cmocka_unit_test(test_parse_lengths),
        cmocka_unit_test(test_parse_long_line),
        cmocka_unit_test(test_parse_nul_and_raw_escaping),
        cmocka_unit_test(test_read_lf_crlf_last_line),
        cmocka_unit_test(test_read_empty_and_trailing_newline),
        cmocka_unit_test(test_read_long_lines_cut),
        cmocka_unit_test(test_read_nul_byte),
        cmocka_unit_test(test_read_plain_many_lines),
        cmocka_unit_test(test_read_zstd_single_and_multi_frame),
        cmocka_unit_test(test_read_zstd_by_magic_and_stdin),
        cmocka_unit_test(test_read_truncated_zstd),
        cmocka_unit_test(test_read_corrupt_zstd),
        cmocka_unit_test(test_open_missing),
        cmocka_unit_test(test_parse_argument),
    };
    return cmocka_run_group_tests(tests, files_setup_dir, files_remove_dir);
}
