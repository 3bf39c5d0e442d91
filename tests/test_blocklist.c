/*
 * test_blocklist: the --blocklist parser (one line at a time, whole texts with line numbers, the
 * file loader) and the matchers (suffixes on label boundaries, IPv4/IPv6 CIDR, IPv4-mapped IPv6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "lib/blocklist.h"
#include "scanner/classify.h"

static enum blocklist_status parse(const char *line, struct blocklist_entry *e)
{
    return blocklist_parse_line(line, strlen(line), e);
}

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return ss;
}

static const char *match_addr(const struct blocklist *bl, const char *text)
{
    struct sockaddr_storage ss = addr(text);
    return blocklist_match_addr(bl, (struct sockaddr *)&ss);
}

static struct blocklist *from_text(const char *text)
{
    struct blocklist *bl = blocklist_new();
    unsigned long bad = 99;
    assert_non_null(bl);
    assert_int_equal(blocklist_add_text(bl, text, strlen(text), &bad), BLOCKLIST_OK);
    assert_int_equal(bad, 0);
    return bl;
}

static void test_parse_entries(void **state)
{
    (void)state;
    struct blocklist_entry e;
    assert_int_equal(parse("10.0.0.0/8", &e), BLOCKLIST_OK);
    assert_int_equal(e.kind, BLOCKLIST_V4);
    assert_int_equal(e.prefix, 8);
    assert_string_equal(e.text, "10.0.0.0/8");
    /* host bits are dropped, as ZMap does */
    assert_int_equal(parse("  10.1.2.3/8   # RFC1918", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "10.0.0.0/8");
    assert_int_equal(parse("192.0.2.7", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "192.0.2.7/32");
    assert_int_equal(parse("192.0.2.7/0", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "0.0.0.0/0");
    assert_int_equal(parse("2001:DB8:0:0:1::/33\r", &e), BLOCKLIST_OK);
    assert_int_equal(e.kind, BLOCKLIST_V6);
    assert_string_equal(e.text, "2001:db8::/33");
    assert_int_equal(parse("::1", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "::1/128");
    assert_int_equal(parse("Example.COM.", &e), BLOCKLIST_OK);
    assert_int_equal(e.kind, BLOCKLIST_DOMAIN);
    assert_string_equal(e.text, "example.com");
    assert_int_equal(parse("*.example.org", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "example.org");
    assert_int_equal(parse(".example.net\t# opted out 2026-11-30", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "example.net");
    assert_int_equal(parse("_mta-sts.x-y.test", &e), BLOCKLIST_OK);
    assert_int_equal(parse("test", &e), BLOCKLIST_OK); /* a whole TLD */
}

static void test_parse_empty_and_bad(void **state)
{
    (void)state;
    struct blocklist_entry e;
    assert_int_equal(parse("", &e), BLOCKLIST_EMPTY);
    assert_int_equal(parse("   \t\r", &e), BLOCKLIST_EMPTY);
    assert_int_equal(parse("# only a comment 10.0.0.0/8", &e), BLOCKLIST_EMPTY);
    assert_int_equal(parse("10.0.0.0/33", &e), BLOCKLIST_BAD_PREFIX);
    assert_int_equal(parse("10.0.0.0/", &e), BLOCKLIST_BAD_PREFIX);
    assert_int_equal(parse("10.0.0.0/8x", &e), BLOCKLIST_BAD_PREFIX);
    assert_int_equal(parse("10.0.0.0/-1", &e), BLOCKLIST_BAD_PREFIX);
    assert_int_equal(parse("2001:db8::/129", &e), BLOCKLIST_BAD_PREFIX);
    assert_int_equal(parse("10.0.0", &e), BLOCKLIST_BAD_ENTRY);      /* not an address */
    assert_int_equal(parse("10.0.0.256", &e), BLOCKLIST_BAD_ENTRY);
    assert_int_equal(parse("2001:db8::g", &e), BLOCKLIST_BAD_ENTRY);
    assert_int_equal(parse("a..b", &e), BLOCKLIST_BAD_ENTRY);
    assert_int_equal(parse("exa mple.com", &e), BLOCKLIST_EXTRA_TEXT);
    assert_int_equal(parse("a.com b.com", &e), BLOCKLIST_EXTRA_TEXT);
    assert_int_equal(parse("ex!ample.com", &e), BLOCKLIST_BAD_ENTRY);
    assert_int_equal(parse("example.com/24", &e), BLOCKLIST_BAD_ENTRY);
    assert_int_equal(parse(".", &e), BLOCKLIST_BAD_ENTRY);
    assert_int_equal(parse("*.", &e), BLOCKLIST_BAD_ENTRY);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".com");
    assert_int_equal(parse(label, &e), BLOCKLIST_BAD_ENTRY); /* 64-byte label */
    assert_int_equal(blocklist_parse_line("a\0b.com", 7, &e), BLOCKLIST_BAD_ENTRY);
}

static void test_domain_suffix_on_label_boundaries(void **state)
{
    (void)state;
    struct blocklist *bl = from_text("example.com\n# comment\n\nco.uk\n");
    assert_int_equal(blocklist_count(bl), 2);
    assert_string_equal(blocklist_match_domain(bl, "example.com"), "example.com");
    assert_string_equal(blocklist_match_domain(bl, "mail.example.com"), "example.com");
    assert_string_equal(blocklist_match_domain(bl, "a.b.example.com"), "example.com");
    assert_null(blocklist_match_domain(bl, "notexample.com"));
    assert_null(blocklist_match_domain(bl, "example.com.evil.net"));
    assert_null(blocklist_match_domain(bl, "com"));
    assert_string_equal(blocklist_match_domain(bl, "bbc.co.uk"), "co.uk");
    assert_null(blocklist_match_domain(bl, "uk"));
    assert_null(blocklist_match_domain(NULL, "example.com"));
    blocklist_free(bl);
}

static void test_prefix_match(void **state)
{
    (void)state;
    struct blocklist *bl = from_text("192.0.2.0/25\n10.0.0.0/8\n198.51.100.7\n2001:db8:ff00::/40\n::1\n");
    assert_string_equal(match_addr(bl, "192.0.2.0"), "192.0.2.0/25");
    assert_string_equal(match_addr(bl, "192.0.2.127"), "192.0.2.0/25");
    assert_null(match_addr(bl, "192.0.2.128"));
    assert_string_equal(match_addr(bl, "10.255.255.255"), "10.0.0.0/8");
    assert_null(match_addr(bl, "11.0.0.0"));
    assert_string_equal(match_addr(bl, "198.51.100.7"), "198.51.100.7/32");
    assert_null(match_addr(bl, "198.51.100.6"));
    assert_string_equal(match_addr(bl, "2001:db8:ff12::5"), "2001:db8:ff00::/40");
    assert_null(match_addr(bl, "2001:db8:fe00::5"));
    assert_string_equal(match_addr(bl, "::1"), "::1/128");
    assert_null(match_addr(bl, "::2"));
    /* an IPv4-mapped IPv6 address is the IPv4 address */
    assert_string_equal(match_addr(bl, "::ffff:10.1.2.3"), "10.0.0.0/8");
    assert_null(match_addr(bl, "::ffff:11.1.2.3"));
    assert_null(match_addr(NULL, "10.0.0.1"));
    blocklist_free(bl);

    bl = from_text("0.0.0.0/0\n");
    assert_string_equal(match_addr(bl, "203.0.113.9"), "0.0.0.0/0");
    assert_null(match_addr(bl, "2001:db8::1")); /* an IPv4 prefix never lists IPv6 */
    blocklist_free(bl);
}

static void test_skip_addr_note(void **state)
{
    (void)state;
    struct blocklist *bl = from_text("192.0.2.0/24\n2001:db8::/32\n");
    char note[64] = "";
    struct sockaddr_storage a = addr("192.0.2.5"), b = addr("2001:db8::1"), ok = addr("203.0.113.1");
    assert_int_equal(blocklist_skip_addr(bl, (struct sockaddr *)&ok, note, sizeof(note)), 0);
    assert_string_equal(note, "");
    assert_int_equal(blocklist_skip_addr(bl, (struct sockaddr *)&a, note, sizeof(note)), 1);
    assert_string_equal(note, "192.0.2.5 (192.0.2.0/24)");
    assert_int_equal(blocklist_skip_addr(bl, (struct sockaddr *)&b, note, sizeof(note)), 1);
    assert_string_equal(note, "192.0.2.5 (192.0.2.0/24), 2001:db8::1 (2001:db8::/32)");
    /* full: cut with "...", still NUL-terminated, still reports the skip */
    assert_int_equal(blocklist_skip_addr(bl, (struct sockaddr *)&b, note, sizeof(note)), 1);
    assert_true(strlen(note) < sizeof(note));
    assert_non_null(strstr(note, "..."));
    blocklist_free(bl);
}

static void test_text_reports_bad_line(void **state)
{
    (void)state;
    struct blocklist *bl = blocklist_new();
    const char *text = "# opt-outs\r\nexample.com\r\n10.0.0.0/40\r\nfine.test\r\n";
    unsigned long bad = 0;
    assert_int_equal(blocklist_add_text(bl, text, strlen(text), &bad), BLOCKLIST_BAD_PREFIX);
    assert_int_equal(bad, 3);
    blocklist_free(bl);

    bl = blocklist_new();
    char *big = malloc(BLOCKLIST_LINE_MAX + 10);
    memset(big, 'a', BLOCKLIST_LINE_MAX + 9);
    big[BLOCKLIST_LINE_MAX + 9] = '\0';
    assert_int_equal(blocklist_add_text(bl, big, strlen(big), &bad), BLOCKLIST_LINE_TOO_LONG);
    assert_int_equal(bad, 1);
    free(big);
    blocklist_free(bl);

    /* duplicates count once */
    bl = from_text("a.test\nA.test.\n10.0.0.0/8\n10.9.9.9/8\n");
    assert_int_equal(blocklist_count(bl), 2);
    blocklist_free(bl);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_blocklist_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# header\nexample.com\n192.0.2.0/24 # doc net\n", f);
    fclose(f);
    char err[256] = "";
    struct blocklist *bl = blocklist_load(path, err, sizeof(err));
    assert_non_null(bl);
    assert_int_equal(blocklist_count(bl), 2);
    blocklist_free(bl);

    f = fopen(path, "w");
    fputs("example.com\nnot an entry\n", f);
    fclose(f);
    assert_null(blocklist_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, ":2: "));
    unlink(path);
    assert_null(blocklist_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, path));

    /* several files make one list; an error names its file */
    char path2[] = "/tmp/test_blocklist_XXXXXX";
    fd = mkstemp(path2);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("10.0.0.0/8\n", f);
    fclose(f);
    f = fopen(path, "w");
    fputs("example.com\n", f);
    fclose(f);
    const char *both[] = {path, path2};
    bl = blocklist_load_files(both, 2, err, sizeof(err));
    assert_non_null(bl);
    assert_int_equal(blocklist_count(bl), 2);
    assert_non_null(blocklist_match_domain(bl, "a.example.com"));
    assert_non_null(match_addr(bl, "10.9.8.7"));
    blocklist_free(bl);
    f = fopen(path2, "w");
    fputs("# ok\n10.0.0.0/99\n", f);
    fclose(f);
    assert_null(blocklist_load_files(both, 2, err, sizeof(err)));
    assert_non_null(strstr(err, path2));
    assert_non_null(strstr(err, ":2: "));
    unlink(path2);
    unlink(path);

    /* an empty file (the shipped opt-out list) is a valid, empty list */
    strcpy(path, "/tmp/test_blocklist_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    bl = blocklist_load(path, err, sizeof(err));
    assert_non_null(bl);
    assert_int_equal(blocklist_count(bl), 0);
    assert_null(blocklist_match_domain(bl, "example.com"));
    assert_null(match_addr(bl, "10.0.0.1"));
    blocklist_free(bl);
    unlink(path);
}

static void test_shipped_optout_file_loads(void **state)
{
    (void)state;
    const char *src = getenv("MTASTS_SOURCE_DIR");
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s/datasets/optout.blocklist", src ? src : ".");
    struct blocklist *bl = blocklist_load(path, err, sizeof(err));
    if (!bl)
        fail_msg("%s", err);
    blocklist_free(bl);
}

static void test_many_names(void **state)
{
    (void)state;
    struct blocklist *bl = blocklist_new();
    char name[64];
    struct blocklist_entry e;
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "d%d.example", i);
        assert_int_equal(parse(name, &e), BLOCKLIST_OK);
        assert_int_equal(blocklist_add(bl, &e), BLOCKLIST_OK);
    }
    assert_int_equal(blocklist_count(bl), 5000);
    for (int i = 0; i < 5000; i += 7) {
        snprintf(name, sizeof(name), "mx.d%d.example", i);
        assert_non_null(blocklist_match_domain(bl, name));
    }
    assert_null(blocklist_match_domain(bl, "d5000.example"));
    blocklist_free(bl);
}

/* An IPv4-mapped IPv6 entry is the IPv4 entry (issue 20: ::ffff:127.2.18.1 did not list
 * 127.2.18.1); a shorter IPv6 prefix never lists IPv4. */
static void test_mapped_entries(void **state)
{
    (void)state;
    struct blocklist_entry e;
    assert_int_equal(parse("::ffff:127.2.18.1", &e), BLOCKLIST_OK);
    assert_int_equal(e.kind, BLOCKLIST_V4);
    assert_int_equal(e.prefix, 32);
    assert_string_equal(e.text, "127.2.18.1/32");
    assert_int_equal(parse("::FFFF:10.9.0.0/104", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "10.0.0.0/8");
    assert_int_equal(parse("::ffff:0:0/96", &e), BLOCKLIST_OK);
    assert_string_equal(e.text, "0.0.0.0/0");
    assert_int_equal(parse("::ffff:0:0/95", &e), BLOCKLIST_OK); /* wider than the mapped range */
    assert_int_equal(e.kind, BLOCKLIST_V6);

    struct blocklist *bl = from_text("::ffff:127.2.18.1\n::ffff:198.51.100.0/120\n");
    assert_string_equal(match_addr(bl, "127.2.18.1"), "127.2.18.1/32");
    assert_string_equal(match_addr(bl, "::ffff:127.2.18.1"), "127.2.18.1/32");
    assert_null(match_addr(bl, "127.2.18.2"));
    assert_string_equal(match_addr(bl, "198.51.100.77"), "198.51.100.0/24");
    assert_null(match_addr(bl, "198.51.101.1"));
    blocklist_free(bl);
    /* the same address written both ways is one entry */
    bl = from_text("127.2.18.1\n::ffff:127.2.18.1\n");
    assert_int_equal(blocklist_count(bl), 1);
    blocklist_free(bl);

    bl = from_text("::/0\n");
    assert_non_null(match_addr(bl, "2001:db8::1"));
    assert_non_null(match_addr(bl, "::ffff:192.0.2.1")); /* an IPv6 address in ::/0 */
    assert_null(match_addr(bl, "192.0.2.1"));            /* IPv4 is not in an IPv6 entry */
    blocklist_free(bl);
}

/* A leading or trailing dash is no host name ("-x" was taken as a domain); the message says so. */
static void test_dash_names(void **state)
{
    (void)state;
    struct blocklist_entry e;
    assert_int_equal(parse("-x", &e), BLOCKLIST_DASH);
    assert_int_equal(parse("--blocklist", &e), BLOCKLIST_DASH);
    assert_int_equal(parse("-1", &e), BLOCKLIST_DASH);
    assert_int_equal(parse("a.-x.com", &e), BLOCKLIST_DASH);
    assert_int_equal(parse("x-.com", &e), BLOCKLIST_DASH);
    assert_int_equal(parse("a.x-", &e), BLOCKLIST_DASH);
    assert_int_equal(parse(".-x.com", &e), BLOCKLIST_DASH);
    assert_int_equal(parse("a-b.x--y.com", &e), BLOCKLIST_OK);
    assert_int_equal(parse("xn--bcher-kva.example", &e), BLOCKLIST_OK);
    assert_non_null(strstr(blocklist_status_str(BLOCKLIST_DASH), "'-'"));
}

/* A UTF-8 BOM opens the first line only; elsewhere, like any non-ASCII name, it asks for punycode. */
static void test_bom_and_non_ascii(void **state)
{
    (void)state;
    struct blocklist *bl = from_text("\xef\xbb\xbf" "example.com\n10.0.0.0/8\n");
    assert_int_equal(blocklist_count(bl), 2);
    assert_non_null(blocklist_match_domain(bl, "example.com"));
    blocklist_free(bl);
    bl = from_text("\xef\xbb\xbf# opt-outs\n");
    assert_int_equal(blocklist_count(bl), 0);
    blocklist_free(bl);

    unsigned long bad = 0;
    bl = blocklist_new();
    const char *two = "a.test\n\xef\xbb\xbf" "b.test\n";
    assert_int_equal(blocklist_add_text(bl, two, strlen(two), &bad), BLOCKLIST_NOT_ASCII);
    assert_int_equal(bad, 2);
    blocklist_free(bl);

    struct blocklist_entry e;
    assert_int_equal(parse("b\xc3\xbc" "cher.de", &e), BLOCKLIST_NOT_ASCII);
    assert_int_equal(parse("  b\xc3\xbc" "cher.de # B\xc3\xbc" "cher", &e), BLOCKLIST_NOT_ASCII);
    assert_int_equal(parse("example.com # opt-out from J\xc3\xbcrgen", &e), BLOCKLIST_OK);
    assert_non_null(strstr(blocklist_status_str(BLOCKLIST_NOT_ASCII), "punycode"));

    /* the file loader: BOM accepted, the punycode hint with FILE:LINE */
    char path[] = "/tmp/test_blocklist_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("\xef\xbb\xbf" "example.com\r\n192.0.2.0/24\r\n", f);
    fclose(f);
    char err[256] = "";
    bl = blocklist_load(path, err, sizeof(err));
    assert_non_null(bl);
    assert_int_equal(blocklist_count(bl), 2);
    blocklist_free(bl);
    f = fopen(path, "w");
    fputs("example.com\nm\xc3\xbcller.example\n", f);
    fclose(f);
    assert_null(blocklist_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, ":2: "));
    assert_non_null(strstr(err, "punycode"));
    unlink(path);
}

/* Several prefixes list an address: the longest wins, whatever the order of the file. */
static void test_longest_prefix(void **state)
{
    (void)state;
    struct blocklist *bl = from_text("10.0.0.0/8\n10.1.0.0/16\n10.1.2.3\n2001:db8::/32\n2001:db8:1::/48\n");
    assert_string_equal(match_addr(bl, "10.1.2.3"), "10.1.2.3/32");
    assert_string_equal(match_addr(bl, "10.1.2.4"), "10.1.0.0/16");
    assert_string_equal(match_addr(bl, "10.2.0.0"), "10.0.0.0/8");
    assert_string_equal(match_addr(bl, "2001:db8:1::9"), "2001:db8:1::/48");
    assert_string_equal(match_addr(bl, "2001:db8:2::9"), "2001:db8::/32");
    blocklist_free(bl);
}

/* A device or a line without end is an error at once, not unbounded memory. */
static void test_load_endless_line(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(blocklist_load("/dev/zero", err, sizeof(err)));
    assert_non_null(strstr(err, "/dev/zero:1: line too long"));
}

/* Loading is indexed (issue 20: 100k entries took 10 s, 50k /32s 8.7 s, quadratic): 200k /32s
 * and 200k names load well within a few seconds even on a loaded machine, and each matches. */
static void test_many_prefixes(void **state)
{
    (void)state;
    enum { N = 200000 };
    size_t cap = (size_t)N * 48, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "10.%d.%d.%d\nn%d.example\n", (i >> 16) & 255,
                                (i >> 8) & 255, i & 255, i);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct blocklist *bl = from_text(text);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(blocklist_count(bl), 2 * N);
    assert_true(s < 10.0);
    char a[32];
    for (int i = 0; i < N; i += 997) {
        snprintf(a, sizeof(a), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        assert_non_null(match_addr(bl, a));
    }
    assert_null(match_addr(bl, "10.200.0.0"));
    assert_null(match_addr(bl, "11.0.0.1"));
    free(text);
    blocklist_free(bl);
}

/* What the classifier makes of the blocklist's facts (scanner/classify.c). */
static void test_classify_excluded(void **state)
{
    (void)state;
    struct classify_facts f;
    struct domain_result r;
    memset(&f, 0, sizeof(f));
    result_init(&r);
    f.excluded_by = "example.com";
    f.mx_dns = DNS_SERVFAIL; /* never looked up: nothing else may decide */
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_EXCLUDED);
    assert_int_equal(r.issues.bits, 0);
    assert_non_null(strstr(r.detail, "example.com"));

    /* every policy-host address listed: excluded, with addr_excluded naming the address */
    struct txt_sts sts;
    memset(&sts, 0, sizeof(sts));
    sts.status = TXT_STATUS_OK;
    strcpy(sts.id, "1");
    struct classify_probes probes;
    classify_probes_init(&probes, DNS_OK);
    snprintf(probes.skipped, sizeof(probes.skipped), "192.0.2.9 (192.0.2.0/24)");
    struct classify_mx mx = {.host = "mx.a.test", .preference = 10, .probes = &probes};
    memset(&f, 0, sizeof(f));
    result_init(&r);
    f.sts = &sts;
    f.policy_checked = 1;
    f.policy_skipped = "198.51.100.1 (198.51.100.0/24)";
    f.policy_excluded = 1;
    f.mx = &mx;
    f.n_mx = 1;
    classify_domain(&f, &r);
    assert_int_equal(r.verdict, VERDICT_EXCLUDED);
    assert_true(issue_set_has(&r.issues, ISSUE_ADDR_EXCLUDED));
    assert_false(issue_set_has(&r.issues, ISSUE_POLICY_CONNECT_FAILED));
    assert_non_null(strstr(r.detail, "198.51.100.1"));
    assert_non_null(strstr(r.detail, "MX mx.a.test"));
    assert_non_null(strstr(r.detail, "192.0.2.9"));
    assert_int_equal(r.starttls_status, STARTTLS_NOT_PROBED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_entries),
        cmocka_unit_test(test_parse_empty_and_bad),
        cmocka_unit_test(test_domain_suffix_on_label_boundaries),
        cmocka_unit_test(test_prefix_match),
        cmocka_unit_test(test_skip_addr_note),
        cmocka_unit_test(test_text_reports_bad_line),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_shipped_optout_file_loads),
        cmocka_unit_test(test_many_names),
        cmocka_unit_test(test_mapped_entries),
        cmocka_unit_test(test_dash_names),
        cmocka_unit_test(test_bom_and_non_ascii),
        cmocka_unit_test(test_longest_prefix),
        cmocka_unit_test(test_load_endless_line),
        cmocka_unit_test(test_many_prefixes),
        cmocka_unit_test(test_classify_excluded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
