/*
 * result: helpers for the fixed-size per-domain result record.
 */
#include "scanner/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *policy_status_str(enum policy_status s)
{
    switch (s) {
    case POLICY_STATUS_NOT_FETCHED: return "not_fetched";
    case POLICY_STATUS_OK: return "ok";
    case POLICY_STATUS_FETCH_FAILED: return "fetch_failed";
    case POLICY_STATUS_INVALID: return "invalid";
    }
    return "unknown";
}

const char *starttls_status_str(enum starttls_status s)
{
    switch (s) {
    case STARTTLS_NOT_PROBED: return "not_probed";
    case STARTTLS_ALL_OK: return "all_ok";
    case STARTTLS_SOME_FAILED: return "some_failed";
    case STARTTLS_NONE_OK: return "none_ok";
    }
    return "unknown";
}

/* The enums above are dense from 0, so a parser tries each value's string (the switches stay the
 * one place that names them). */
int policy_status_parse(const char *s)
{
    for (int v = POLICY_STATUS_NOT_FETCHED; v <= POLICY_STATUS_INVALID; v++)
        if (strcmp(s, policy_status_str((enum policy_status)v)) == 0)
            return v;
    return -1;
}

int starttls_status_parse(const char *s)
{
    for (int v = STARTTLS_NOT_PROBED; v <= STARTTLS_NONE_OK; v++)
        if (strcmp(s, starttls_status_str((enum starttls_status)v)) == 0)
            return v;
    return -1;
}

const char *mx_coverage_str(enum mx_coverage c)
{
    switch (c) {
    case MX_COVERAGE_NOT_CHECKED: return "";
    case MX_COVERAGE_ALL: return "all";
    case MX_COVERAGE_NONE: return "none";
    case MX_COVERAGE_PARTIAL: return "partial";
    }
    return "unknown";
}

int mx_coverage_parse(const char *s)
{
    for (int c = MX_COVERAGE_NOT_CHECKED; c <= MX_COVERAGE_PARTIAL; c++)
        if (strcmp(s, mx_coverage_str((enum mx_coverage)c)) == 0)
            return c;
    return -1;
}

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
