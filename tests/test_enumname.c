/*
 * test_enumname: the one enum <-> name mapping.  The helper itself (dense and sparse tables,
 * unknown values and names), then every enum named through it: each value's name parses back to
 * the value, names are distinct, and an out-of-range value gets the documented fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/blocklist.h"
#include "lib/enumname.h"
#include "output/csvin.h"
#include "output/zwriter.h"
#include "pipeline/config.h"
#include "pipeline/domain.h"
#include "pipeline/input.h"
#include "pipeline/metadata.h"
#include "scanner/http_response.h"
#include "scanner/https_fetch.h"
#include "scanner/smtp_reply.h"
#include "scanner/changes.h"
#include "output/summary.h"
#include "scanner/codes.h"
#include "scanner/dane.h"
#include "scanner/dns.h"
#include "scanner/policy.h"
#include "scanner/result.h"
#include "scanner/smtp_probe.h"
#include "scanner/txt.h"

static void test_helper(void **state)
{
    (void)state;
    static const struct enum_name dense[] = {{0, "zero"}, {1, "one"}, {2, ""}};
    static const struct enum_name sparse[] = {{5, "five"}, {-3, "minus"}};
    ENUM_NAMES_COVER(dense, 3);
    assert_string_equal(enum_name_str(dense, ENUM_NAMES_N(dense), 1, "?"), "one");
    assert_string_equal(enum_name_str(dense, ENUM_NAMES_N(dense), 2, "?"), "");
    assert_string_equal(enum_name_str(dense, ENUM_NAMES_N(dense), 3, "?"), "?");
    assert_string_equal(enum_name_str(dense, ENUM_NAMES_N(dense), -1, "?"), "?");
    assert_int_equal(enum_name_parse(dense, ENUM_NAMES_N(dense), "zero"), 0);
    assert_int_equal(enum_name_parse(dense, ENUM_NAMES_N(dense), ""), 2);
    assert_int_equal(enum_name_parse(dense, ENUM_NAMES_N(dense), "Zero"), -1); /* exact */
    assert_int_equal(enum_name_parse(dense, ENUM_NAMES_N(dense), "zero "), -1);
    assert_int_equal(enum_name_parse(dense, ENUM_NAMES_N(dense), NULL), -1);
    assert_string_equal(enum_name_str(sparse, ENUM_NAMES_N(sparse), 5, "?"), "five");
    assert_string_equal(enum_name_str(sparse, ENUM_NAMES_N(sparse), -3, "?"), "minus");
    assert_string_equal(enum_name_str(sparse, ENUM_NAMES_N(sparse), 0, "?"), "?");
    assert_int_equal(enum_name_parse(sparse, ENUM_NAMES_N(sparse), "minus"), -3);
}

/* A table whose rows say more than the name (as codes' issue table): rows are found by value and
 * by name through their leading struct enum_name, whatever the row size. */
static void test_rows(void **state)
{
    (void)state;
    struct wide { struct enum_name n; int extra; const char *text; };
    static const struct wide rows[] = {{{0, "zero"}, 10, "a"}, {{1, "one"}, 11, "b"}, {{7, "seven"}, 17, "c"}};
    const size_t n = ENUM_NAMES_N(rows);
    const struct wide *w = enum_name_row(rows, n, sizeof(rows[0]), 1);
    assert_ptr_equal(w, &rows[1]);
    assert_ptr_equal(enum_name_row(rows, n, sizeof(rows[0]), 7), &rows[2]); /* sparse: searched */
    assert_null(enum_name_row(rows, n, sizeof(rows[0]), 2));
    assert_null(enum_name_row(rows, n, sizeof(rows[0]), -1));
    assert_ptr_equal(enum_name_row_named(rows, n, sizeof(rows[0]), "seven"), &rows[2]);
    assert_null(enum_name_row_named(rows, n, sizeof(rows[0]), "eight"));
    assert_null(enum_name_row_named(rows, n, sizeof(rows[0]), NULL));
}

typedef const char *(*str_fn)(int v);
typedef int (*parse_fn)(const char *s);

static const char *policy_status_s(int v) { return policy_status_str((enum policy_status)v); }
static const char *starttls_status_s(int v) { return starttls_status_str((enum starttls_status)v); }
static const char *mx_coverage_s(int v) { return mx_coverage_str((enum mx_coverage)v); }
static const char *txt_status_s(int v) { return txt_status_str((enum txt_status)v); }
static const char *policy_mode_s(int v) { return policy_mode_str((enum policy_mode)v); }
static const char *smtp_probe_status_s(int v) { return smtp_probe_status_str((enum smtp_probe_status)v); }
static const char *change_code_s(int v) { return change_code_str((enum change_code)v); }
static const char *change_severity_s(int v) { return change_severity_str((enum change_severity)v); }
static const char *verdict_s(int v) { return verdict_str((enum verdict)v); }
static const char *issue_severity_s(int v) { return issue_severity_str((enum issue_severity)v); }
static const char *issue_s(int v) { return issue_str((enum issue_code)v); }
static const char *dns_status_s(int v) { return dns_status_str((enum dns_status)v); }
static const char *dns_sec_s(int v) { return dns_sec_str((enum dns_sec)v); }
static const char *dane_match_s(int v) { return dane_match_str((enum dane_match)v); }
static const char *summary_mode_s(int v) { return summary_mode_str((enum summary_mode)v); }
static int summary_mode_parse_any(const char *s)
{
    for (int m = 0; m < SUMMARY_MODE__COUNT; m++) /* no parser of its own: names only */
        if (strcmp(s, summary_mode_str((enum summary_mode)m)) == 0)
            return m;
    return -1;
}

static const struct {
    const char *what;
    str_fn str;
    parse_fn parse;
    int count;
    const char *unknown; /* the name of a value outside the enum */
} enums[] = {
    {"policy_status", policy_status_s, policy_status_parse, POLICY_STATUS_INVALID + 1, "unknown"},
    {"starttls_status", starttls_status_s, starttls_status_parse, STARTTLS_NONE_OK + 1, "unknown"},
    {"mx_coverage", mx_coverage_s, mx_coverage_parse, MX_COVERAGE_PARTIAL + 1, "unknown"},
    {"txt_status", txt_status_s, txt_status_parse, TXT_STATUS_ERROR + 1, "unknown"},
    {"policy_mode", policy_mode_s, policy_mode_parse, POLICY_MODE_NONE + 1, ""},
    {"smtp_probe_status", smtp_probe_status_s, smtp_probe_status_parse, SMTP_PROBE_INTERNAL_ERROR + 1, "unknown"},
    {"change_code", change_code_s, change_code_parse, CHANGE__COUNT, "unknown"},
    {"change_severity", change_severity_s, change_severity_parse, CHANGE_SEVERITY__COUNT, "unknown"},
    {"verdict", verdict_s, verdict_parse, VERDICT__COUNT, "unknown"},
    {"issue_severity", issue_severity_s, issue_severity_parse, SEVERITY_ERROR + 1, "unknown"},
    {"issue", issue_s, issue_parse, ISSUE__COUNT, "unknown"},
    {"dns_status", dns_status_s, dns_status_parse, DNS_STATUS__COUNT, "unknown"},
    {"dns_sec", dns_sec_s, dns_sec_parse, DNS_SEC__COUNT, "unknown"},
    {"summary_mode", summary_mode_s, summary_mode_parse_any, SUMMARY_MODE__COUNT, "unknown"},
    {"dane_match", dane_match_s, dane_match_parse, DANE_MATCH__COUNT, "unknown"},
};

static void test_every_enum_round_trips(void **state)
{
    (void)state;
    for (size_t e = 0; e < sizeof(enums) / sizeof(enums[0]); e++) {
        for (int v = 0; v < enums[e].count; v++) {
            const char *name = enums[e].str(v);
            if (enums[e].parse(name) != v)
                fail_msg("%s %d: \"%s\" parses as %d", enums[e].what, v, name, enums[e].parse(name));
            for (int w = 0; w < v; w++)
                if (strcmp(enums[e].str(w), name) == 0)
                    fail_msg("%s %d and %d share the name \"%s\"", enums[e].what, w, v, name);
        }
        assert_string_equal(enums[e].str(enums[e].count), enums[e].unknown);
        assert_string_equal(enums[e].str(-1), enums[e].unknown);
        assert_int_equal(enums[e].parse("no_such_name"), -1);
    }
    /* names that are a contract (docs/codes.md), spot-checked */
    assert_string_equal(verdict_str(VERDICT_ENFORCE_OK), "enforce_ok");
    assert_int_equal(verdict_from_str("would_fail"), VERDICT_WOULD_FAIL);
    assert_string_equal(mx_coverage_str(MX_COVERAGE_NOT_CHECKED), ""); /* an empty cell */
    assert_int_equal(policy_mode_parse(""), POLICY_MODE_UNSET);
    assert_string_equal(smtp_probe_status_str(SMTP_PROBE_CERT_INVALID), "cert_invalid");
    assert_string_equal(change_code_str(CHANGE_STUCK_IN_TESTING), "stuck_in_testing");
    assert_string_equal(issue_str(ISSUE_MX_NOT_COVERED), "mx_not_covered");
    assert_int_equal(issue_from_str("dns_lookup_failed"), ISSUE_DNS_LOOKUP_FAILED);
    assert_string_equal(dns_status_str(DNS_BADRESP), "malformed");
}

/* The statuses named for messages only (no parser): every value has its own text, and a value
 * outside the enum reads "unknown". */
static const char *input_status_s(int v) { return input_status_str((enum input_status)v); }
static const char *metadata_status_s(int v) { return metadata_status_str((enum metadata_status)v); }
static const char *starttls_mode_s(int v) { return starttls_mode_str((enum starttls_mode)v); }
static const char *zwriter_status_s(int v) { return zwriter_status_str((enum zwriter_status)v); }
static const char *csvin_status_s(int v) { return csvin_status_str((enum csvin_status)v); }
static const char *blocklist_status_s(int v) { return blocklist_status_str((enum blocklist_status)v); }
static const char *http_parse_status_s(int v) { return http_parse_status_str((enum http_parse_status)v); }
static const char *smtp_reply_status_s(int v) { return smtp_reply_status_str((enum smtp_reply_status)v); }
static const char *https_fetch_status_s(int v) { return https_fetch_status_str((enum https_fetch_status)v); }
static const char *dns_validation_s(int v) { return dns_validation_str((enum dns_validation)v); }
static const char *domain_stage_s(int v) { return domain_stage_str((enum domain_stage)v); }

static void test_message_enums(void **state)
{
    (void)state;
    static const struct {
        str_fn str;
        int count;
    } msgs[] = {
        {input_status_s, INPUT_STATUS__COUNT},
        {metadata_status_s, METADATA_STATUS__COUNT},
        {starttls_mode_s, STARTTLS_MODE__COUNT},
        {zwriter_status_s, ZWRITER_STATUS__COUNT},
        {csvin_status_s, CSVIN_STATUS__COUNT},
        {blocklist_status_s, BLOCKLIST_STATUS__COUNT},
        {http_parse_status_s, HTTP_PARSE_STATUS__COUNT},
        {smtp_reply_status_s, SMTP_REPLY_STATUS__COUNT},
        {https_fetch_status_s, HTTPS_FETCH_INTERNAL_ERROR + 1},
        {domain_stage_s, DOMAIN_DONE + 1},
    };
    for (size_t e = 0; e < sizeof(msgs) / sizeof(msgs[0]); e++) {
        for (int v = 0; v < msgs[e].count; v++) {
            assert_string_not_equal(msgs[e].str(v), "unknown");
            for (int w = 0; w < v; w++)
                assert_string_not_equal(msgs[e].str(w), msgs[e].str(v));
        }
        assert_string_equal(msgs[e].str(msgs[e].count), "unknown");
        assert_string_equal(msgs[e].str(-1), "unknown");
    }
    /* texts that users see, spot-checked */
    assert_string_equal(zwriter_status_str(ZWRITER_ERR_WRITE), "write_failed");
    assert_string_equal(csvin_status_str(CSVIN_ERR_HEADER), "not a table of ours (header)");
    assert_string_equal(starttls_mode_str(STARTTLS_MODE_STS), "sts");
    assert_string_equal(https_fetch_status_str(HTTPS_FETCH_CERT_UNTRUSTED), "cert_untrusted");
    /* dns_validation names its unknown value "unknown" itself (--metadata) */
    assert_string_equal(dns_validation_s(DNS_VALIDATION_NO), "no");
    assert_string_equal(dns_validation_s(DNS_VALIDATION_YES), "yes");
    assert_string_equal(dns_validation_s(DNS_VALIDATION_UNKNOWN), "unknown");
    assert_string_equal(dns_validation_s(DNS_VALIDATION_YES + 1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helper),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_every_enum_round_trips),
        cmocka_unit_test(test_message_enums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
