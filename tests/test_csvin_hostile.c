/*
 * test_csvin_hostile: the table reader (output/csvin) against input that never ends or is built to
 * make it grow (issue 20: `--previous /dev/zero` grew to 24 GB, diff and merge ~55 MB/s).
 *   - the limits, one by one, in memory: a header over CSVIN_HEADER_MAX, a cell over
 *     CSVIN_CELL_MAX, a row over CSVIN_ROW_MAX made of small cells, a quoted cell that runs over
 *     many lines, a zstd "bomb" (1 MB compressed to a few bytes, repeated): each is
 *     CSVIN_ERR_TOO_LONG with a message; rows near the limits and blank lines are still read;
 *   - a UTF-8 byte order mark before the header (a spreadsheet's "CSV UTF-8") is accepted;
 *   - the interrupt flag (csvin_set_interrupt) stops a reader at its next block;
 *   - a property test: endless hostile streams (NUL bytes, a header without end, an open quote,
 *     cells without end, blank lines, legit rows, seeded random bytes, zstd frames) are piped
 *     into a reader in a child process; the reader ends by itself with TOO_LONG (or, for the
 *     streams that are valid CSV forever, is stopped by the interrupt flag from an alarm) and
 *     its peak RSS stays under 96 MiB.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "output/csvin.h"
#include "output/schema.h"

#define HEADER "domain,rank,mx,txt_status,sts_id,policy_status,http_status,policy_mode," \
               "policy_max_age,policy_mx,mx_coverage,starttls_status,tlsrpt_status,tlsrpt_rua," \
               "verdict,issues,detail,scanned_at\n"
#define ROW(d, detail) d ",1,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,," \
                       detail ",2026-11-22T06:10:33Z\n"

/* Reads every row of len bytes at data; the final csvin_next result, the rows in *rows. */
static int read_all(const void *data, size_t len, long *rows, enum csvin_status *st)
{
    struct csvin *in = csvin_open_mem(data, len, SCHEMA_DOMAIN);
    assert_non_null(in);
    struct domain_result *r = malloc(sizeof(*r));
    assert_non_null(r);
    int rc;
    *rows = 0;
    while ((rc = csvin_next(in, r)) == 1)
        ++*rows;
    *st = csvin_error(in)->status;
    if (rc < 0)
        assert_true(strlen(csvin_error(in)->text) > 0);
    free(r);
    csvin_close(in);
    return rc;
}

/* A growable text buffer for building inputs. */
struct text {
    char *p;
    size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static void repeat(struct text *t, char c, size_t n)
{
    char buf[4096];
    memset(buf, c, sizeof(buf));
    while (n > 0) {
        size_t k = n < sizeof(buf) ? n : sizeof(buf);
        put(t, buf, k);
        n -= k;
    }
}

static void test_header_limit(void **state)
{
    (void)state;
    long rows;
    enum csvin_status st;
    struct text t = {0};
    repeat(&t, 'a', CSVIN_HEADER_MAX + 10); /* no newline at all */
    assert_int_equal(read_all(t.p, t.len, &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_TOO_LONG);
    t.len = 0;
    for (int i = 0; i < 20000; i++) /* many short column names, one line */
        puts_(&t, "col,");
    puts_(&t, "\n");
    assert_int_equal(read_all(t.p, t.len, &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_TOO_LONG);
    free(t.p);

    /* a device that never ends */
    struct csvin_error e;
    struct csvin *in = csvin_open("/dev/zero", SCHEMA_DOMAIN, &e);
    assert_non_null(in);
    struct domain_result r;
    assert_int_equal(csvin_next(in, &r), -1);
    assert_int_equal(csvin_error(in)->status, CSVIN_ERR_TOO_LONG);
    assert_non_null(strstr(csvin_error(in)->text, "/dev/zero line 1: the header is over"));
    csvin_close(in);
}

static void test_cell_and_row_limits(void **state)
{
    (void)state;
    long rows;
    enum csvin_status st;
    struct text t = {0};
    /* one cell over the limit (unquoted), after a good row */
    puts_(&t, HEADER ROW("a.test", ""));
    puts_(&t, "b.test,2,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,");
    repeat(&t, 'x', CSVIN_CELL_MAX + 1);
    puts_(&t, ",2026-11-22T06:10:33Z\n");
    assert_int_equal(read_all(t.p, t.len, &rows, &st), -1);
    assert_int_equal(rows, 1);
    assert_int_equal(st, CSVIN_ERR_TOO_LONG);

    /* a quoted cell running over many short lines */
    t.len = 0;
    puts_(&t, HEADER "c.test,3,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,\"");
    for (int i = 0; i < 2000; i++)
        puts_(&t, "0123456789012345678901234567890123456789\n");
    puts_(&t, "\",2026-11-22T06:10:33Z\n");
    assert_int_equal(read_all(t.p, t.len, &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_TOO_LONG);

    /* a row over the limit made of cells under it */
    t.len = 0;
    puts_(&t, HEADER "d.test,4,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,,"
                     "2026-11-22T06:10:33Z");
    for (int i = 0; i < 40; i++) {
        puts_(&t, ",");
        repeat(&t, 'y', 30000);
    }
    puts_(&t, "\n");
    assert_int_equal(read_all(t.p, t.len, &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_TOO_LONG);
    free(t.p);
}

/* What is not over a limit still reads: a 60 kB cell in an ignored column, and blank lines that
 * add up to more than a row's limit. */
static void test_near_limits_still_read(void **state)
{
    (void)state;
    long rows;
    enum csvin_status st;
    struct text t = {0};
    puts_(&t, "extra," HEADER);
    repeat(&t, 'z', CSVIN_CELL_MAX - 100);
    puts_(&t, "," ROW("a.test", "fine"));
    repeat(&t, '\n', 2 * CSVIN_ROW_MAX);
    puts_(&t, "z," ROW("b.test", "fine"));
    assert_int_equal(read_all(t.p, t.len, &rows, &st), 0);
    assert_int_equal(rows, 2);
    free(t.p);
}

static void test_zstd_bomb(void **state)
{
    (void)state;
    size_t n = 4 * 1024 * 1024;
    char *plain = malloc(n);
    assert_non_null(plain);
    memset(plain, 'a', n);
    size_t cap = ZSTD_compressBound(n);
    char *z = malloc(cap);
    assert_non_null(z);
    size_t zlen = ZSTD_compress(z, cap, plain, n, 19);
    assert_false(ZSTD_isError(zlen));
    assert_true(zlen < 4096);
    long rows;
    enum csvin_status st;
    assert_int_equal(read_all(z, zlen, &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_TOO_LONG);
    free(plain);
    free(z);
}

/* A byte order mark before the header was "missing column domain" (issue 20). */
static void test_bom(void **state)
{
    (void)state;
    long rows;
    enum csvin_status st;
    const char *text = "\xef\xbb\xbf" HEADER ROW("a.test", "");
    assert_int_equal(read_all(text, strlen(text), &rows, &st), 0);
    assert_int_equal(rows, 1);
    /* a BOM alone is an empty file */
    text = "\xef\xbb\xbf";
    assert_int_equal(read_all(text, strlen(text), &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_EMPTY);
}

static void test_interrupt_flag(void **state)
{
    (void)state;
    static volatile sig_atomic_t flag;
    long rows;
    enum csvin_status st;
    const char *text = HEADER ROW("a.test", "");
    flag = 1;
    csvin_set_interrupt(&flag);
    assert_int_equal(read_all(text, strlen(text), &rows, &st), -1);
    assert_int_equal(st, CSVIN_ERR_INTERRUPTED);
    flag = 0;
    assert_int_equal(read_all(text, strlen(text), &rows, &st), 0);
    assert_int_equal(rows, 1);
    csvin_set_interrupt(NULL);
    assert_string_equal(csvin_status_str(CSVIN_ERR_INTERRUPTED), "interrupted");
}

/* ---- the property test: endless hostile streams, bounded memory ---- */

enum stream {
    S_ZEROS,        /* /dev/zero */
    S_HEADER,       /* a header line without end */
    S_OPEN_QUOTE,   /* a row whose quoted cell never closes (line breaks inside) */
    S_CELLS,        /* a row of empty cells without end */
    S_BLANK,        /* valid: blank lines forever */
    S_ROWS,         /* valid: rows forever */
    S_RANDOM,       /* seeded random bytes biased to CSV syntax */
    S_ZSTD,         /* zstd frames of 'a' (1 MiB each) forever */
    S_COUNT
};

static volatile sig_atomic_t alarm_flag;
static void on_alarm(int sig) { alarm_flag = sig; }

/* The generator: writes stream kind to fd until the reader closes its end. */
static void generate(int fd, enum stream kind, unsigned seed)
{
    signal(SIGPIPE, SIG_IGN);
    static char chunk[65536];
    size_t n = sizeof(chunk);
    const char *prefix = "";
    switch (kind) {
    case S_ZEROS: memset(chunk, 0, n); break;
    case S_HEADER: memset(chunk, 'h', n); break;
    case S_OPEN_QUOTE:
        prefix = HEADER "a.test,1,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,\"";
        for (size_t i = 0; i < n; i++)
            chunk[i] = i % 64 == 63 ? '\n' : 'q';
        break;
    case S_CELLS: /* a whole row's cells, then more without end (ignored, but counted) */
        prefix = HEADER "a.test,1,,missing,,not_fetched,,,,,,not_probed,missing,,not_deployed,,,"
                        "2026-11-22T06:10:33Z";
        memset(chunk, ',', n);
        break;
    case S_BLANK: prefix = HEADER; memset(chunk, '\n', n); break;
    case S_ROWS: {
        prefix = HEADER;
        size_t len = 0;
        const char *row = ROW("a.test", "row");
        while (len + strlen(row) < n) {
            memcpy(chunk + len, row, strlen(row));
            len += strlen(row);
        }
        n = len;
        break;
    }
    case S_RANDOM: {
        static const char alphabet[] = "\"\",,,\n\r ab\0\xef";
        unsigned x = seed * 2654435761u + 1;
        prefix = seed % 2 ? HEADER : "";
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            chunk[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
        }
        break;
    }
    case S_ZSTD: {
        char *plain = malloc(1 << 20);
        if (!plain)
            _exit(1);
        memset(plain, 'a', 1 << 20);
        n = ZSTD_compress(chunk, sizeof(chunk), plain, 1 << 20, 3);
        free(plain);
        if (ZSTD_isError(n))
            _exit(1);
        break;
    }
    case S_COUNT: break;
    }
    if (write(fd, prefix, strlen(prefix)) < 0)
        _exit(0);
    for (;;)
        if (write(fd, chunk, n) < 0)
            _exit(0);
}

/* The reader: reads the pipe through csvin_open("/dev/stdin"); an alarm raises the interrupt
 * flag after 1 s.  Exit status: the csvin status of the end (0 = end of a complete table). */
static void read_stream(int fd)
{
    if (dup2(fd, STDIN_FILENO) < 0)
        _exit(100);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    csvin_set_interrupt(&alarm_flag);
    alarm(1);
    struct csvin_error e;
    struct csvin *in = csvin_open("-", SCHEMA_DOMAIN, &e);
    if (!in)
        _exit(101);
    struct domain_result *r = malloc(sizeof(*r));
    if (!r)
        _exit(102);
    while (csvin_next(in, r) == 1)
        ;
    int st = (int)csvin_error(in)->status;
    csvin_close(in);
    _exit(st);
}

/* Runs the reader over kind (from a generator process) in a child; returns its exit status and
 * its peak RSS in KiB.  kind S_COUNT is an empty stream: the reader's own footprint. */
static int run_reader(int kind, unsigned seed, long *max_kb)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t gen = fork();
    assert_true(gen >= 0);
    if (gen == 0) {
        close(p[0]);
        if (kind == S_COUNT)
            _exit(0);
        generate(p[1], (enum stream)kind, seed);
    }
    pid_t rd = fork();
    assert_true(rd >= 0);
    if (rd == 0) {
        close(p[1]);
        read_stream(p[0]);
    }
    close(p[0]);
    close(p[1]);
    int status = 0;
    struct rusage ru;
    assert_int_equal(wait4(rd, &status, 0, &ru), rd);
    kill(gen, SIGKILL);
    waitpid(gen, NULL, 0);
    assert_true(WIFEXITED(status));
    *max_kb = ru.ru_maxrss;
    return WEXITSTATUS(status);
}

static void test_endless_streams_bounded(void **state)
{
    (void)state;
    /* The bound is on growth over the reader's footprint on an empty stream, which a sanitizer
     * build (shadow memory, quarantine) makes far larger than a Release build's few MB. */
    long base_kb = 0;
    run_reader(S_COUNT, 0, &base_kb);
    for (int kind = 0; kind < S_COUNT; kind++) {
        for (unsigned seed = 0; seed < (kind == S_RANDOM ? 6u : 1u); seed++) {
            long max_kb = 0;
            int st = run_reader(kind, seed, &max_kb);
            print_message("stream %d seed %u: status %s, peak RSS %ld KiB (empty stream: %ld KiB)\n", kind,
                          seed, csvin_status_str((enum csvin_status)st), max_kb, base_kb);
            assert_true(max_kb - base_kb < 64 * 1024);
            if (kind == S_BLANK || kind == S_ROWS)
                assert_int_equal(st, CSVIN_ERR_INTERRUPTED); /* valid forever: only the flag ends it */
            else if (kind == S_RANDOM)
                assert_true(st != CSVIN_OK && st != CSVIN_ERR_OPEN && st < 100);
            else
                assert_int_equal(st, CSVIN_ERR_TOO_LONG);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_cell_and_row_limits),
        cmocka_unit_test(test_near_limits_still_read),
        cmocka_unit_test(test_zstd_bomb),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_interrupt_flag),
        cmocka_unit_test(test_endless_streams_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
