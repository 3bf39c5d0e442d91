/*
 * result: helpers for the fixed-size per-domain result record.
 */
#include "scanner/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/enumname.h"

/* The names of the statuses (CSV cells, check's JSON), one table each (lib/enumname). */
static const struct enum_name policy_status_names[] = {
    {POLICY_STATUS_NOT_FETCHED, "not_fetched"},
    {POLICY_STATUS_OK, "ok"},
    {POLICY_STATUS_FETCH_FAILED, "fetch_failed"},
    {POLICY_STATUS_INVALID, "invalid"},
};
ENUM_NAMES_DEFINE_PARSE(policy_status, enum policy_status, POLICY_STATUS_INVALID + 1, "unknown")

static const struct enum_name starttls_status_names[] = {
    {STARTTLS_NOT_PROBED, "not_probed"},
    {STARTTLS_ALL_OK, "all_ok"},
    {STARTTLS_SOME_FAILED, "some_failed"},
    {STARTTLS_NONE_OK, "none_ok"},
};
ENUM_NAMES_DEFINE_PARSE(starttls_status, enum starttls_status, STARTTLS_NONE_OK + 1, "unknown")

static const struct enum_name mx_coverage_names[] = {
    {MX_COVERAGE_NOT_CHECKED, ""},
    {MX_COVERAGE_ALL, "all"},
    {MX_COVERAGE_NONE, "none"},
    {MX_COVERAGE_PARTIAL, "partial"},
};
ENUM_NAMES_DEFINE_PARSE(mx_coverage, enum mx_coverage, MX_COVERAGE_PARTIAL + 1, "unknown")

static const struct enum_name delivery_names[] = {
    {DELIVERY_NOT_JUDGED, ""},
    {DELIVERY_ALL, "all"},
    {DELIVERY_SOME, "some"},
    {DELIVERY_NONE, "none"},
    {DELIVERY_UNCHECKED, "unchecked"},
};
ENUM_NAMES_DEFINE_PARSE(delivery, enum delivery, DELIVERY_UNCHECKED + 1, "unknown")

void result_init(struct domain_result *r)
{
    memset(r, 0, sizeof(*r));
    r->rank = -1;
    r->policy_max_age = -1;
    r->sts_ttl = -1;
}

static void mark_cut(char *buf, size_t size)
{
    if (size >= 4)
        memcpy(buf + size - 4, "...", 4);
}

void result_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n < size) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, size - 1);
    dst[size - 1] = '\0';
    mark_cut(dst, size);
}

static void append(char *buf, size_t size, const char *sep, const char *item)
{
    size_t len = strlen(buf);
    if (len + 4 >= size && len >= 3 && strcmp(buf + len - 3, "...") == 0)
        return; /* already cut */
    int n = snprintf(buf + len, size - len, "%s%s", len ? sep : "", item);
    if (n < 0 || (size_t)n >= size - len)
        mark_cut(buf, size);
}

void result_list_add(char *list, size_t size, const char *item)
{
    append(list, size, ";", item);
}

void result_add_detail(struct domain_result *r, const char *fmt, ...)
{
    char tmp[RESULT_DETAIL_MAX + 1]; /* one byte more than fits, so that append() sees and marks a cut */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    append(r->detail, sizeof(r->detail), "; ", tmp);
}
