/*
 * codes: string tables for verdicts and issue codes.  The switches have no default so that the
 * compiler (-Wswitch) flags a new code that has no string yet.
 */
#include "scanner/codes.h"

#include <stdio.h>
#include <string.h>

const char *verdict_str(enum verdict v)
{
    switch (v) {
    case VERDICT_NOT_DEPLOYED: return "not_deployed";
    case VERDICT_ENFORCE_OK: return "enforce_ok";
    case VERDICT_TESTING_OK: return "testing_ok";
    case VERDICT_MODE_NONE: return "mode_none";
    case VERDICT_WOULD_FAIL: return "would_fail";
    case VERDICT_INVALID: return "invalid";
    case VERDICT_DNS_ERROR: return "dns_error";
    case VERDICT_NO_MAIL: return "no_mail";
    case VERDICT_INPUT_INVALID: return "input_invalid";
    case VERDICT_STS_UNCHECKED: return "sts_unchecked";
    case VERDICT_SCANNER_ERROR: return "scanner_error";
    case VERDICT_EXCLUDED: return "excluded";
    case VERDICT__COUNT: break;
    }
    return "unknown";
}

const char *issue_str(enum issue_code c)
{
    switch (c) {
    case ISSUE_TXT_INVALID: return "txt_invalid";
    case ISSUE_TXT_MULTIPLE: return "txt_multiple";
    case ISSUE_POLICY_HOST_UNRESOLVED: return "policy_host_unresolved";
    case ISSUE_POLICY_CONNECT_FAILED: return "policy_connect_failed";
    case ISSUE_POLICY_TIMEOUT: return "policy_timeout";
    case ISSUE_POLICY_TLS_FAILED: return "policy_tls_failed";
    case ISSUE_POLICY_CERT_EXPIRED: return "policy_cert_expired";
    case ISSUE_POLICY_CERT_HOSTNAME_MISMATCH: return "policy_cert_hostname_mismatch";
    case ISSUE_POLICY_CERT_UNTRUSTED: return "policy_cert_untrusted";
    case ISSUE_POLICY_HTTP_REDIRECT: return "policy_http_redirect";
    case ISSUE_POLICY_HTTP_STATUS: return "policy_http_status";
    case ISSUE_POLICY_CONTENT_TYPE: return "policy_content_type";
    case ISSUE_POLICY_TOO_LARGE: return "policy_too_large";
    case ISSUE_POLICY_SYNTAX: return "policy_syntax";
    case ISSUE_POLICY_VERSION_INVALID: return "policy_version_invalid";
    case ISSUE_POLICY_MODE_INVALID: return "policy_mode_invalid";
    case ISSUE_POLICY_MAX_AGE_INVALID: return "policy_max_age_invalid";
    case ISSUE_POLICY_MX_MISSING: return "policy_mx_missing";
    case ISSUE_MX_NOT_COVERED: return "mx_not_covered";
    case ISSUE_MX_STARTTLS_MISSING: return "mx_starttls_missing";
    case ISSUE_MX_CONNECT_FAILED: return "mx_connect_failed";
    case ISSUE_MX_CERT_EXPIRED: return "mx_cert_expired";
    case ISSUE_MX_CERT_HOSTNAME_MISMATCH: return "mx_cert_hostname_mismatch";
    case ISSUE_MX_CERT_UNTRUSTED: return "mx_cert_untrusted";
    case ISSUE_TLSRPT_MISSING: return "tlsrpt_missing";
    case ISSUE_TLSRPT_INVALID: return "tlsrpt_invalid";
    case ISSUE_TLSRPT_MULTIPLE: return "tlsrpt_multiple";
    case ISSUE_POLICY_MAX_AGE_SHORT: return "policy_max_age_short";
    case ISSUE_MX_TLS_FAILED: return "mx_tls_failed";
    case ISSUE_DOMAIN_TIMEOUT: return "domain_timeout";
    case ISSUE_SCANNER_ERROR: return "scanner_error";
    case ISSUE_ADDR_EXCLUDED: return "addr_excluded";
    case ISSUE__COUNT: break;
    }
    return "unknown";
}

int verdict_from_str(const char *s)
{
    for (int v = 0; v < VERDICT__COUNT; v++)
        if (strcmp(s, verdict_str((enum verdict)v)) == 0)
            return v;
    return -1;
}

int issue_from_str(const char *s)
{
    for (int c = 0; c < ISSUE__COUNT; c++)
        if (strcmp(s, issue_str((enum issue_code)c)) == 0)
            return c;
    return -1;
}

size_t issue_set_format(const struct issue_set *s, char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return 0;
    buf[0] = '\0';
    for (int c = 0; c < ISSUE__COUNT; c++) {
        if (!issue_set_has(s, (enum issue_code)c))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? ";" : "", issue_str((enum issue_code)c));
        if (n < 0 || (size_t)n >= size - len) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    return len;
}

int verdict_parse(const char *s)
{
    return verdict_from_str(s);
}

int issue_parse(const char *s)
{
    return issue_from_str(s);
}

int issue_set_parse(const char *text, struct issue_set *s)
{
    s->bits = 0;
    while (*text) {
        const char *end = strchr(text, ';');
        size_t len = end ? (size_t)(end - text) : strlen(text);
        char item[64];
        if (len >= sizeof(item))
            return -1;
        memcpy(item, text, len);
        item[len] = '\0';
        int c = issue_from_str(item);
        if (c < 0)
            return -1;
        issue_set_add(s, (enum issue_code)c);
        text += len;
        if (*text == ';') {
            text++;
            if (*text == '\0')
                return -1; /* a trailing ';' is not what the writer makes */
        }
    }
    return 0;
}
