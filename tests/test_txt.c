/*
 * test_txt: the _mta-sts (RFC 8461 §3.1) and _smtp._tls (RFC 8460 §3) TXT record-set judges:
 * discard and count rules, field grammar, id / rua values, and the decisions documented in
 * scanner/txt.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/txt.h"

#define MAX_RECS 8

/* Judges the record set given as C strings (NULL-terminated list). */
static struct txt_sts sts_set(const char *const *strs)
{
    struct txt_record recs[MAX_RECS];
    size_t n = 0;
    for (; strs[n] != NULL; n++) {
        recs[n].data = (const unsigned char *)strs[n];
        recs[n].len = strlen(strs[n]);
    }
    struct txt_sts out;
    txt_parse_sts(recs, n, &out);
    return out;
}

static struct txt_sts sts1(const char *s)
{
    const char *strs[] = { s, NULL };
    return sts_set(strs);
}

static struct txt_tlsrpt rpt_set(const char *const *strs)
{
    struct txt_record recs[MAX_RECS];
    size_t n = 0;
    for (; strs[n] != NULL; n++) {
        recs[n].data = (const unsigned char *)strs[n];
        recs[n].len = strlen(strs[n]);
    }
    struct txt_tlsrpt out;
    txt_parse_tlsrpt(recs, n, &out);
    return out;
}

static struct txt_tlsrpt rpt1(const char *s)
{
    const char *strs[] = { s, NULL };
    return rpt_set(strs);
}

static void assert_sts_ok(const char *rec, const char *id)
{
    struct txt_sts o = sts1(rec);
    if (o.status != TXT_STATUS_OK)
        print_error("record '%s': %s (%s)\n", rec, txt_status_str(o.status), o.error);
    assert_int_equal(o.status, TXT_STATUS_OK);
    assert_string_equal(o.id, id);
}

static void assert_sts_status(const char *rec, enum txt_status st)
{
    struct txt_sts o = sts1(rec);
    if (o.status != st)
        print_error("record '%s': got %s, want %s (%s)\n", rec, txt_status_str(o.status),
                    txt_status_str(st), o.error);
    assert_int_equal(o.status, st);
    if (st != TXT_STATUS_OK)
        assert_true(o.error[0] != '\0');
    assert_string_equal(o.id, "");
}

static void test_sts_basic(void **state)
{
    (void)state;
    assert_sts_ok("v=STSv1; id=20160831085700Z;", "20160831085700Z");
    assert_sts_ok("v=STSv1; id=20160831085700Z", "20160831085700Z");
    assert_sts_ok("v=STSv1;id=abc", "abc");
    assert_sts_ok("v=STSv1; id=1", "1");
    assert_sts_ok("v=STSv1;\tid=x1\t;\t", "x1");
    assert_sts_ok("v=STSv1 ; id=1", "1");     /* WSP before the first ';' */
    assert_sts_ok("v=STSv1\t;id=1 ;", "1");
    assert_sts_ok("v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012");
}

static void test_sts_id_invalid(void **state)
{
    (void)state;
    assert_sts_status("v=STSv1; id=123456789012345678901234567890123", TXT_STATUS_INVALID); /* 33 */
    assert_sts_status("v=STSv1; id=", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=2019-01-01", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=abc_def", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=abc def", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=\"abc\"", TXT_STATUS_INVALID);
}

static void test_sts_id_missing(void **state)
{
    (void)state;
    assert_sts_status("v=STSv1;", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; ", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; foo=bar", TXT_STATUS_INVALID);
    /* The field names are case-sensitive: ID= is an extension, so id is missing. */
    assert_sts_status("v=STSv1; ID=123", TXT_STATUS_INVALID);
    struct txt_sts o = sts1("v=STSv1; ID=123");
    assert_non_null(strstr(o.error, "id="));
}

static void test_sts_id_repeated(void **state)
{
    (void)state;
    /* Decision: the first id wins; every repetition must still be well formed. */
    assert_sts_ok("v=STSv1; id=first; id=second", "first");
    assert_sts_status("v=STSv1; id=first; id=bad-one", TXT_STATUS_INVALID);
}

static void test_sts_extensions(void **state)
{
    (void)state;
    assert_sts_ok("v=STSv1; id=1; ext=value", "1");
    assert_sts_ok("v=STSv1; foo.bar-baz_1=x!<>~; id=2;", "2");
    assert_sts_ok("v=STSv1; id=3; a=\"quoted\"", "3");
    assert_sts_ok("v=STSv1; id=4; n2345678901234567890123456789012=v", "4"); /* 32-char name */
    assert_sts_status("v=STSv1; id=4; n23456789012345678901234567890123=v", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=1; _ext=v", TXT_STATUS_INVALID);   /* name starts with _ */
    assert_sts_status("v=STSv1; id=1; ext=", TXT_STATUS_INVALID);     /* empty value */
    assert_sts_status("v=STSv1; id=1; ext=a=b", TXT_STATUS_INVALID);  /* '=' in value */
    assert_sts_status("v=STSv1; id=1; ext=a b", TXT_STATUS_INVALID);  /* SP in value */
    assert_sts_status("v=STSv1; id=1; =v", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=1; ext", TXT_STATUS_INVALID);      /* no '=' */
    assert_sts_status("v=STSv1; id=1; e\xc3\xa9=v", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=1; ext=\xc3\xa9", TXT_STATUS_INVALID);
}

static void test_sts_delimiters(void **state)
{
    (void)state;
    assert_sts_status("v=STSv1;; id=1", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=1;;", TXT_STATUS_INVALID);
    assert_sts_status("v=STSv1; id=1; ; ext=v", TXT_STATUS_INVALID);
    /* Trailing WSP is only allowed inside a delimiter (ABNF), i.e. before or after a ';'. */
    assert_sts_status("v=STSv1; id=1 ", TXT_STATUS_INVALID);
    assert_sts_ok("v=STSv1; id=1 ; ", "1");
    /* Fields must be separated by ';', not by space. */
    assert_sts_status("v=STSv1; id=1 ext=v", TXT_STATUS_INVALID);
}

static void test_sts_discarded(void **state)
{
    (void)state;
    /* Not starting with v=STSv1 *WSP ";": discarded before counting, so MISSING. */
    assert_sts_status("v=STSv10; id=1", TXT_STATUS_MISSING);
    assert_sts_status("v=stsv1; id=1", TXT_STATUS_MISSING);
    assert_sts_status("V=STSv1; id=1", TXT_STATUS_MISSING);
    assert_sts_status(" v=STSv1; id=1", TXT_STATUS_MISSING);
    assert_sts_status("v=STSv1", TXT_STATUS_MISSING);
    assert_sts_status("v=STSv1 id=1", TXT_STATUS_MISSING);
    assert_sts_status("v=spf1 -all", TXT_STATUS_MISSING);
    assert_sts_status("", TXT_STATUS_MISSING);
    const char *none[] = { NULL };
    struct txt_sts o = sts_set(none);
    assert_int_equal(o.status, TXT_STATUS_MISSING);
}

static void test_sts_record_sets(void **state)
{
    (void)state;
    /* Multiple TXT records with one valid: the others are discarded. */
    const char *one_valid[] = { "v=spf1 -all", "google-site-verification=abc",
                                "v=STSv1; id=20240101", "v=STSv10; id=2", NULL };
    struct txt_sts o = sts_set(one_valid);
    assert_int_equal(o.status, TXT_STATUS_OK);
    assert_string_equal(o.id, "20240101");

    /* Two candidates: MULTIPLE, even if identical or one is broken. */
    const char *two[] = { "v=STSv1; id=1", "v=STSv1; id=2", NULL };
    o = sts_set(two);
    assert_int_equal(o.status, TXT_STATUS_MULTIPLE);
    assert_string_equal(o.id, "");
    assert_non_null(strstr(o.error, "2 records"));
    const char *broken[] = { "v=STSv1; id=1", "v=STSv1;;", "x", NULL };
    o = sts_set(broken);
    assert_int_equal(o.status, TXT_STATUS_MULTIPLE);

    /* One candidate that is broken: INVALID, not MISSING. */
    const char *bad[] = { "v=spf1 -all", "v=STSv1; id=toolong-", NULL };
    o = sts_set(bad);
    assert_int_equal(o.status, TXT_STATUS_INVALID);
}

static void test_sts_split_strings(void **state)
{
    (void)state;
    /* A TXT record of several character-strings arrives concatenated without separators:
     * "v=STSv1; id=2024" "0101" becomes one record. */
    char joined[64];
    snprintf(joined, sizeof(joined), "%s%s", "v=STSv1; id=2024", "0101");
    assert_sts_ok(joined, "20240101");
    snprintf(joined, sizeof(joined), "%s%s", "v=STSv1;", " id=abc;");
    assert_sts_ok(joined, "abc");
}

static void test_sts_embedded_nul(void **state)
{
    (void)state;
    static const unsigned char d1[] = "v=STSv1; id=12\0" "34";
    struct txt_record r = { .data = d1, .len = sizeof(d1) - 1 };
    struct txt_sts o;
    txt_parse_sts(&r, 1, &o);
    assert_int_equal(o.status, TXT_STATUS_INVALID);

    static const unsigned char d2[] = "v=STSv1; id=1; x=a\0";
    r.data = d2;
    r.len = sizeof(d2) - 1;
    txt_parse_sts(&r, 1, &o);
    assert_int_equal(o.status, TXT_STATUS_INVALID);

    /* A NUL inside the version makes it a different record. */
    static const unsigned char d3[] = "v=STS\0v1; id=1";
    r.data = d3;
    r.len = sizeof(d3) - 1;
    txt_parse_sts(&r, 1, &o);
    assert_int_equal(o.status, TXT_STATUS_MISSING);
}

static void assert_rpt_ok(const char *rec, const char *rua)
{
    struct txt_tlsrpt o = rpt1(rec);
    if (o.status != TXT_STATUS_OK)
        print_error("record '%s': %s (%s)\n", rec, txt_status_str(o.status), o.error);
    assert_int_equal(o.status, TXT_STATUS_OK);
    assert_string_equal(o.rua, rua);
}

static void assert_rpt_status(const char *rec, enum txt_status st)
{
    struct txt_tlsrpt o = rpt1(rec);
    if (o.status != st)
        print_error("record '%s': got %s, want %s (%s)\n", rec, txt_status_str(o.status),
                    txt_status_str(st), o.error);
    assert_int_equal(o.status, st);
    assert_true(o.error[0] != '\0');
    assert_string_equal(o.rua, "");
}

/* The candidate rule alone (txt_is_candidate, used by the scan, check and its report): version,
 * then SP or TAB, then ';'; the offset of the ';' is handed back. */
static void test_is_candidate(void **state)
{
    (void)state;
    size_t at = 0;
    assert_true(txt_is_candidate("v=STSv1;id=1", 12, "v=STSv1", &at));
    assert_int_equal(at, 7);
    assert_true(txt_is_candidate("v=STSv1\t; id=1", 15, "v=STSv1", &at));
    assert_int_equal(at, 8);
    assert_true(txt_is_candidate("v=STSv1 \t ;", 11, "v=STSv1", NULL));
    assert_true(txt_is_candidate("v=TLSRPTv1;rua=mailto:a@b", 25, "v=TLSRPTv1", NULL));
    assert_false(txt_is_candidate("v=STSv1", 7, "v=STSv1", NULL));
    assert_false(txt_is_candidate("v=STSv1\\x09; id=1", 18, "v=STSv1", NULL)); /* display text */
    assert_false(txt_is_candidate("v=STSv10;", 9, "v=STSv1", NULL));
    assert_false(txt_is_candidate(" v=STSv1;", 9, "v=STSv1", NULL));
    assert_false(txt_is_candidate("v=STSv1\0;", 9, "v=STSv1", NULL));
    assert_false(txt_is_candidate("v=STSv1;", 5, "v=STSv1", NULL)); /* len bounds the read */
    assert_false(txt_is_candidate(NULL, 0, "v=STSv1", NULL));
}

static void test_tlsrpt_basic(void **state)
{
    (void)state;
    assert_rpt_ok("v=TLSRPTv1; rua=mailto:tlsrpt@example.com", "mailto:tlsrpt@example.com");
    assert_rpt_ok("v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt;",
                  "https://reporting.example.com/v1/tlsrpt");
    assert_rpt_ok("v=TLSRPTv1 ; rua=MAILTO:a@example.com", "MAILTO:a@example.com");
    assert_rpt_ok("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.net/x",
                  "mailto:a@example.com;https://r.example.net/x");
    assert_rpt_ok("v=TLSRPTv1; rua=mailto:a@example.com ,\thttps://r.example.net/x ; ext=1",
                  "mailto:a@example.com;https://r.example.net/x");
    assert_rpt_ok("v=TLSRPTv1; ext=1; rua=HTTPS:r.example", "HTTPS:r.example");
}

static void test_tlsrpt_invalid(void **state)
{
    (void)state;
    assert_rpt_status("v=TLSRPTv1;", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; ruf=mailto:a@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; RUA=mailto:a@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=mailto:", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=https:", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=http://r.example.com/", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=a@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=mailto:a@example.com,", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua= mailto:a@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=mailto:a b@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1;; rua=mailto:a@example.com", TXT_STATUS_INVALID);
    assert_rpt_status("v=TLSRPTv1; rua=mailto:a@example.com; rua=ftp://x", TXT_STATUS_INVALID);
}

static void test_tlsrpt_repeated_rua(void **state)
{
    (void)state;
    assert_rpt_ok("v=TLSRPTv1; rua=mailto:first@example.com; rua=mailto:second@example.com",
                  "mailto:first@example.com");
}

static void test_tlsrpt_sets(void **state)
{
    (void)state;
    assert_rpt_status("v=TLSRPTv10; rua=mailto:a@example.com", TXT_STATUS_MISSING);
    assert_rpt_status("v=tlsrptv1; rua=mailto:a@example.com", TXT_STATUS_MISSING);
    assert_rpt_status("v=STSv1; id=1", TXT_STATUS_MISSING);
    const char *sets[] = { "v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com", NULL };
    struct txt_tlsrpt o = rpt_set(sets);
    assert_int_equal(o.status, TXT_STATUS_OK);
    assert_string_equal(o.rua, "mailto:a@example.com");
    const char *two[] = { "v=TLSRPTv1; rua=mailto:a@example.com",
                          "v=TLSRPTv1; rua=mailto:b@example.com", NULL };
    o = rpt_set(two);
    assert_int_equal(o.status, TXT_STATUS_MULTIPLE);
    assert_string_equal(o.rua, "");
}

static void test_tlsrpt_long_rua_cut(void **state)
{
    (void)state;
    /* Many URIs: the list is cut safely and marked with "...". */
    char rec[4 * TXT_RUA_MAX];
    size_t pos = (size_t)snprintf(rec, sizeof(rec), "v=TLSRPTv1; rua=");
    for (int i = 0; i < 100; i++)
        pos += (size_t)snprintf(rec + pos, sizeof(rec) - pos, "%smailto:reports%02d@example.com",
                                i ? "," : "", i);
    struct txt_tlsrpt o = rpt1(rec);
    assert_int_equal(o.status, TXT_STATUS_OK);
    size_t n = strlen(o.rua);
    assert_true(n < sizeof(o.rua));
    assert_true(n >= 3);
    assert_string_equal(o.rua + n - 3, "...");
    assert_memory_equal(o.rua, "mailto:reports00@example.com;mailto:reports01@", 46);
}

/* The record text column: candidates only, as published, several joined, escaped, cut marked. */
static void test_record_text(void **state)
{
    (void)state;
    const char *with_spf[] = { "v=spf1 -all", "v=STSv1; id=abc;", NULL };
    struct txt_sts o = sts_set(with_spf);
    assert_string_equal(o.text, "v=STSv1; id=abc;"); /* the discarded record is not shown */
    const char *two[] = { "v=STSv1; id=1;", "x", "v=STSv1; id=2;", NULL };
    o = sts_set(two);
    assert_int_equal(o.status, TXT_STATUS_MULTIPLE);
    assert_string_equal(o.text, "v=STSv1; id=1;|v=STSv1; id=2;");
    o = sts1("v=STSv1; id=a|b\\c");
    assert_int_equal(o.status, TXT_STATUS_INVALID);
    assert_string_equal(o.text, "v=STSv1; id=a\\x7cb\\x5cc"); /* the separator stays unambiguous */
    o = sts1("v=spf1 -all");
    assert_string_equal(o.text, "");
    struct txt_tlsrpt r = rpt1("v=TLSRPTv1; rua=mailto:a@example.com");
    assert_string_equal(r.text, "v=TLSRPTv1; rua=mailto:a@example.com");

    /* unprintable bytes (a NUL, a tab) are escaped */
    const unsigned char nul[] = "v=STSv1;\tid=1\0x";
    struct txt_record rec = { .data = nul, .len = sizeof(nul) - 1 };
    char buf[64];
    txt_record_text(&rec, 1, "v=STSv1", buf, sizeof(buf));
    assert_string_equal(buf, "v=STSv1;\\x09id=1\\x00x");

    /* a record longer than the cell: cut, marked with "...", never past the buffer */
    char longrec[2001];
    memset(longrec, 'a', sizeof(longrec) - 1);
    longrec[sizeof(longrec) - 1] = '\0';
    memcpy(longrec, "v=STSv1; id=1; e=", 17);
    struct txt_record big = { .data = (const unsigned char *)longrec, .len = strlen(longrec) };
    char small[32];
    txt_record_text(&big, 1, "v=STSv1", small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_string_equal(small + sizeof(small) - 4, "...");
    assert_memory_equal(small, "v=STSv1; id=1; e=aaaa", 21);
    /* cut inside an escape: still NUL-terminated and marked */
    unsigned char ctl[40];
    memcpy(ctl, "v=STSv1;", 8);
    memset(ctl + 8, 1, sizeof(ctl) - 8);
    struct txt_record c = { .data = ctl, .len = sizeof(ctl) };
    char tiny[16];
    txt_record_text(&c, 1, "v=STSv1", tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    assert_string_equal(tiny + strlen(tiny) - 3, "...");
    /* the parse result's own buffer holds a full-size record cut and marked too */
    o = sts1(longrec);
    assert_int_equal(strlen(o.text), TXT_TEXT_MAX - 1);
    assert_string_equal(o.text + TXT_TEXT_MAX - 4, "...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sts_basic),
        cmocka_unit_test(test_sts_id_invalid),
        cmocka_unit_test(test_sts_id_missing),
        cmocka_unit_test(test_sts_id_repeated),
        cmocka_unit_test(test_sts_extensions),
        cmocka_unit_test(test_sts_delimiters),
        cmocka_unit_test(test_sts_discarded),
        cmocka_unit_test(test_sts_record_sets),
        cmocka_unit_test(test_sts_split_strings),
        cmocka_unit_test(test_sts_embedded_nul),
        cmocka_unit_test(test_is_candidate),
        cmocka_unit_test(test_tlsrpt_basic),
        cmocka_unit_test(test_tlsrpt_invalid),
        cmocka_unit_test(test_tlsrpt_repeated_rua),
        cmocka_unit_test(test_tlsrpt_sets),
        cmocka_unit_test(test_tlsrpt_long_rua_cut),
        cmocka_unit_test(test_record_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
