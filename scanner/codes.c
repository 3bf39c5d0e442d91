/*
 * codes: the tables of verdicts and issue codes.  Verdict names are a lib/enumname table; each issue
 * code is one row of issue_defs (name, severity, rule, fix).  ENUM_NAMES_COVER fails the build on a
 * value without its row.
 */
#include "scanner/codes.h"

#include <stdio.h>
#include <string.h>

#include "lib/enumname.h"

/* The verdict names (the verdict column, check, the summary; lib/enumname). */
static const struct enum_name verdict_names[] = {
    {VERDICT_NOT_DEPLOYED, "not_deployed"},
    {VERDICT_ENFORCE_OK, "enforce_ok"},
    {VERDICT_TESTING_OK, "testing_ok"},
    {VERDICT_MODE_NONE, "mode_none"},
    {VERDICT_WOULD_FAIL, "would_fail"},
    {VERDICT_INVALID, "invalid"},
    {VERDICT_DNS_ERROR, "dns_error"},
    {VERDICT_NO_MAIL, "no_mail"},
    {VERDICT_INPUT_INVALID, "input_invalid"},
    {VERDICT_STS_UNCHECKED, "sts_unchecked"},
    {VERDICT_SCANNER_ERROR, "scanner_error"},
    {VERDICT_EXCLUDED, "excluded"},
};
ENUM_NAMES_DEFINE(verdict, enum verdict, VERDICT__COUNT, "unknown")

static const struct enum_name issue_severity_names[] = {
    {SEVERITY_INFO, "info"},
    {SEVERITY_WARNING, "warning"},
    {SEVERITY_ERROR, "error"},
};
ENUM_NAMES_DEFINE_PARSE(issue_severity, enum issue_severity, SEVERITY_ERROR + 1, "unknown")

/* Everything said about an issue code, one row per code (so a new code is one row): its name (the
 * issues column, check, the summary; a contract: docs/codes.md), its severity, the rule it rests
 * on and the fix template.  Rows begin with their struct enum_name (lib/enumname's row lookup);
 * ENUM_NAMES_COVER fails the build on a code without a row. */
struct issue_def {
    struct enum_name code;
    enum issue_severity severity;
    const char *rule;
    const char *fix;
};

static const struct issue_def issue_defs[] = {
    {{ISSUE_TXT_INVALID, "txt_invalid"}, SEVERITY_ERROR,
     "RFC 8461 §3.1: the _mta-sts TXT record must be \"v=STSv1;\" followed by \"id=\" and 1 to 32 letters or digits.",
     "publish exactly \"v=STSv1; id=ID;\" (ID: 1 to 32 letters or digits, e.g. the date) as the {sts_name} TXT record"},
    {{ISSUE_TXT_MULTIPLE, "txt_multiple"}, SEVERITY_ERROR,
     "RFC 8461 §3.1: with more than one v=STSv1 record a sender must treat the domain as having no policy.",
     "keep one v=STSv1 record at {sts_name} TXT and delete the others"},
    {{ISSUE_POLICY_HOST_UNRESOLVED, "policy_host_unresolved"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: the policy is fetched from https://mta-sts.DOMAIN/, so that host must resolve.",
     "add an A and/or AAAA record for {policy_host} pointing at the web server that serves {policy_url}"},
    {{ISSUE_POLICY_CONNECT_FAILED, "policy_connect_failed"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: the policy host must accept HTTPS connections on port 443.",
     "make the web server at {policy_host} listen on port 443 (check firewall and the A/AAAA records)"},
    {{ISSUE_POLICY_TIMEOUT, "policy_timeout"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: senders give up on a policy fetch that takes too long (a minute at most is suggested).",
     "make {policy_host} answer {policy_url} promptly (check firewall rules that drop packets)"},
    {{ISSUE_POLICY_TLS_FAILED, "policy_tls_failed"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: the policy must be served over HTTPS with TLS 1.2 or later.",
     "serve {policy_url} over TLS 1.2 or later on {policy_host}:443"},
    {{ISSUE_POLICY_CERT_EXPIRED, "policy_cert_expired"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: the policy host's certificate must be valid (not expired, not yet valid).",
     "renew the certificate of {policy_host} and install it on the web server"},
    {{ISSUE_POLICY_CERT_HOSTNAME_MISMATCH, "policy_cert_hostname_mismatch"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: the policy host's certificate must be valid for mta-sts.DOMAIN.",
     "install a certificate whose subjectAltName includes {policy_host}"},
    {{ISSUE_POLICY_CERT_UNTRUSTED, "policy_cert_untrusted"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: the policy host's certificate must chain to a root the sender trusts.",
     "install a certificate for {policy_host} from a publicly trusted CA, with its intermediates"},
    {{ISSUE_POLICY_HTTP_REDIRECT, "policy_http_redirect"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: senders must not follow HTTP redirects when fetching the policy.",
     "serve {policy_url} directly with status 200 instead of redirecting"},
    {{ISSUE_POLICY_HTTP_STATUS, "policy_http_status"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: only a 200 response carries a policy.",
     "make {policy_url} answer 200 with the policy file"},
    {{ISSUE_POLICY_CONTENT_TYPE, "policy_content_type"}, SEVERITY_ERROR,
     "RFC 8461 §3.2: the policy must be served as text/plain.",
     "serve {policy_url} with Content-Type: text/plain"},
    {{ISSUE_POLICY_TOO_LARGE, "policy_too_large"}, SEVERITY_ERROR,
     "RFC 8461 §3.3: senders may stop reading a policy after 64 KiB.",
     "shorten the policy at {policy_url} to well under 64 KiB (comments and blank lines can go)"},
    {{ISSUE_POLICY_SYNTAX, "policy_syntax"}, SEVERITY_ERROR,
     "RFC 8461 §3.2: every line of the policy is \"key: value\" and mx values are host names or *.patterns.",
     "fix the lines of {policy_url} so each is \"key: value\" (version, mode, mx, max_age), then publish a new id in {sts_name} TXT"},
    {{ISSUE_POLICY_VERSION_INVALID, "policy_version_invalid"}, SEVERITY_ERROR,
     "RFC 8461 §3.2: the policy must contain \"version: STSv1\".",
     "put \"version: STSv1\" in {policy_url}, then publish a new id in {sts_name} TXT"},
    {{ISSUE_POLICY_MODE_INVALID, "policy_mode_invalid"}, SEVERITY_ERROR,
     "RFC 8461 §3.2: mode must be exactly enforce, testing or none.",
     "set \"mode: enforce\" (or testing, or none) in {policy_url}, then publish a new id in {sts_name} TXT"},
    {{ISSUE_POLICY_MAX_AGE_INVALID, "policy_max_age_invalid"}, SEVERITY_ERROR,
     "RFC 8461 §3.2: max_age is a number of seconds from 0 to 31557600.",
     "set \"max_age: 604800\" (0 to 31557600) in {policy_url}, then publish a new id in {sts_name} TXT"},
    {{ISSUE_POLICY_MX_MISSING, "policy_mx_missing"}, SEVERITY_ERROR,
     "RFC 8461 §3.2: an enforce or testing policy needs at least one mx line.",
     "add one \"mx:\" line per MX host (or *.pattern) to {policy_url}, then publish a new id in {sts_name} TXT"},
    {{ISSUE_MX_NOT_COVERED, "mx_not_covered"}, SEVERITY_ERROR,
     "RFC 8461 §4.1: a sender only delivers to MX hosts that match an mx pattern of the policy.",
     "add `mx: {hosts}` to {policy_url}, then publish a new id in {sts_name} TXT"},
    {{ISSUE_MX_STARTTLS_MISSING, "mx_starttls_missing"}, SEVERITY_ERROR,
     "RFC 8461 §4.2, §5: under a policy every MX host must offer STARTTLS.",
     "enable STARTTLS with a valid certificate on {hosts}"},
    {{ISSUE_MX_CONNECT_FAILED, "mx_connect_failed"}, SEVERITY_ERROR,
     "RFC 8461 §5: a sender cannot deliver to an MX host it cannot reach over SMTP.",
     "make {hosts} accept SMTP on port 25, or remove it from the MX records of {domain}"},
    {{ISSUE_MX_CERT_EXPIRED, "mx_cert_expired"}, SEVERITY_ERROR,
     "RFC 8461 §4.2: the MX host's certificate must be valid (not expired, not yet valid).",
     "renew the certificate of {hosts} and reload the mail server"},
    {{ISSUE_MX_CERT_HOSTNAME_MISMATCH, "mx_cert_hostname_mismatch"}, SEVERITY_ERROR,
     "RFC 8461 §4.2: the MX host's certificate must be valid for the MX host name.",
     "install a certificate whose subjectAltName includes {hosts} (the MX name, not the server's own name)"},
    {{ISSUE_MX_CERT_UNTRUSTED, "mx_cert_untrusted"}, SEVERITY_ERROR,
     "RFC 8461 §4.2: the MX host's certificate must chain to a root the sender trusts.",
     "install a certificate for {hosts} from a publicly trusted CA, with its intermediates"},
    {{ISSUE_TLSRPT_MISSING, "tlsrpt_missing"}, SEVERITY_INFO,
     "RFC 8460 §3: a v=TLSRPTv1 record at _smtp._tls.DOMAIN tells senders where to report TLS failures.",
     "publish \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\" as the {tlsrpt_name} TXT record"},
    {{ISSUE_TLSRPT_INVALID, "tlsrpt_invalid"}, SEVERITY_WARNING,
     "RFC 8460 §3: the record is \"v=TLSRPTv1;\" with rua= mailto: or https: URIs.",
     "publish \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\" (mailto: or https: URIs only) as the {tlsrpt_name} TXT record"},
    {{ISSUE_TLSRPT_MULTIPLE, "tlsrpt_multiple"}, SEVERITY_WARNING,
     "RFC 8460 §3: with more than one v=TLSRPTv1 record senders must not report.",
     "keep one v=TLSRPTv1 record at {tlsrpt_name} TXT and delete the others"},
    {{ISSUE_POLICY_MAX_AGE_SHORT, "policy_max_age_short"}, SEVERITY_WARNING,
     "RFC 8461 §3.2: max_age should be weeks or more, so the policy outlives an attack window.",
     "raise max_age in {policy_url} (604800, one week, or more once stable), then publish a new id in {sts_name} TXT"},
    {{ISSUE_MX_TLS_FAILED, "mx_tls_failed"}, SEVERITY_ERROR,
     "RFC 8461 §4.2, §5: the STARTTLS handshake with every MX host must succeed (TLS 1.2 or later).",
     "enable TLS 1.2 or later with current ciphers on {hosts}"},
    {{ISSUE_DOMAIN_TIMEOUT, "domain_timeout"}, SEVERITY_WARNING,
     "Limit of the scanner: --domain-timeout ended the domain before every step answered.",
     "scan {domain} again with a larger --domain-timeout or --timeout"},
    {{ISSUE_SCANNER_ERROR, "scanner_error"}, SEVERITY_ERROR, /* nothing could be vouched for: scan again */
     "Limit of the scanner: it failed (out of memory) on a step; not a fact about the domain.",
     "scan {domain} again (the scanner ran out of memory)"},
    {{ISSUE_ADDR_EXCLUDED, "addr_excluded"}, SEVERITY_INFO, /* the scan's own restraint, not a fact about the domain */
     "Limit of the scanner: an address or MX host on the --blocklist was never contacted; not a fact about the domain.",
     "nothing to change at {domain}; to check what was skipped, scan without the --blocklist entry (only with its owner's consent)"},
    {{ISSUE_POLICY_MODE_TESTING, "policy_mode_testing"}, SEVERITY_INFO,
     "RFC 8461 §5: in testing mode senders deliver even when MX checks fail and only report.",
     "once TLS-RPT reports show no failures, set \"mode: enforce\" in {policy_url}, then publish a new id in {sts_name} TXT"},
    {{ISSUE_STS_TTL_UNUSUAL, "sts_ttl_unusual"}, SEVERITY_INFO,
     "RFC 8461 §3.1, §8.3: senders see a new id only after the TXT TTL; 300 to 3600 s is usual.",
     "set the TTL of {sts_name} TXT between 300 and 3600 seconds"},
    {{ISSUE_CERT_EXPIRING_SOON, "cert_expiring_soon"}, SEVERITY_WARNING,
     "RFC 8461 §3.3, §4.2: an expired certificate breaks the policy fetch or delivery.",
     "renew the certificate of {hosts} before it expires (automate renewal)"},
    {{ISSUE_CERT_CHAIN_INCOMPLETE, "cert_chain_incomplete"}, SEVERITY_ERROR, /* the certificate does not verify: a sender refuses */
     "RFC 8446 §4.4.2, RFC 8461 §3.3, §4.2: a server must send the intermediates that chain its certificate to a trusted root.",
     "configure {hosts} to send the full chain (leaf and intermediates, e.g. fullchain.pem), not the leaf alone"},
    {{ISSUE_STS_TXT_EXTRA_RECORDS, "sts_txt_extra_records"}, SEVERITY_INFO,
     "RFC 8461 §3.1: records at _mta-sts.DOMAIN not starting with v=STSv1 are ignored.",
     "delete the TXT records at {sts_name} that do not start with v=STSv1 (SPF belongs at {domain})"},
    {{ISSUE_RESOLVERS_DISAGREE, "resolvers_disagree"}, SEVERITY_WARNING,
     "RFC 8461 §3.1: senders use whatever their resolver answers, so all resolvers should agree.",
     "wait for the TTL of the changed records to pass, or make every authoritative server of {domain} serve the same records"},
    {{ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED, "policy_fetch_other_address_failed"}, SEVERITY_WARNING,
     "RFC 8461 §3.3: a sender may try any address of the policy host; each must serve the policy.",
     "make every address of {policy_host} ({hosts} failed) serve {policy_url}, or remove the failing A/AAAA records"},
    {{ISSUE_DNS_LOOKUP_FAILED, "dns_lookup_failed"}, SEVERITY_ERROR, /* a sender cannot find the policy or the mail hosts */
     "RFC 8461 §3.1, §5: a sender must look up the MX and _mta-sts TXT records of a domain to find and apply its policy.",
     "make every authoritative name server of {domain} answer the MX query for {domain} and the TXT query for {sts_name} (the detail says which lookup failed and how), then check again"},
    {{ISSUE_DANE_DNSSEC_BOGUS, "dane_dnssec_bogus"}, SEVERITY_ERROR, /* a validating sender cannot find the mail hosts */
     "RFC 7672 §2.1.1, RFC 4035 §5.5: a validating sender treats a bogus MX RRset as a lookup failure and defers the mail.",
     "repair the DNSSEC chain of {domain}: make the DS records in its parent zone match a DNSKEY the zone is signed with and re-sign expired signatures (check with a validating resolver, e.g. delv {domain} MX), then check again"},
    {{ISSUE_DANE_TLSA_MISMATCH, "dane_tlsa_mismatch"}, SEVERITY_ERROR, /* a DANE sender does not deliver there */
     "RFC 7672 §2.2, §3.1: a DANE sender delivers to an MX host with usable TLSA records only when the certificate chain it serves matches one of them.",
     "publish at _25._tcp.<host> for {hosts} a TLSA 3 1 1 record of the key now served (SHA-256 of its SubjectPublicKeyInfo) beside the old one, or serve the certificate the records name; roll keys over by publishing the next key's record at least two TTLs before switching"},
    {{ISSUE_DANE_TLSA_UNUSABLE, "dane_tlsa_unusable"}, SEVERITY_WARNING, /* unauthenticated TLS: no DANE protection */
     "RFC 7672 §3.1.3: only DANE-TA(2) and DANE-EE(3) records with known parameters authenticate an SMTP server; with none of them a sender uses TLS without authentication.",
     "replace the TLSA records at _25._tcp.<host> for {hosts} by DANE-EE records (3 1 1 with the SHA-256 of the served key) or DANE-TA records (2 1 1 of the issuing CA's key)"},
    {{ISSUE_DANE_STARTTLS_MISSING, "dane_starttls_missing"}, SEVERITY_ERROR, /* a DANE sender does not deliver there */
     "RFC 7672 §2.2: an MX host with a secure, non-empty TLSA RRset must offer STARTTLS; a DANE sender does not deliver to it in clear text.",
     "enable STARTTLS on {hosts} with a certificate the TLSA records match, or remove the TLSA records at _25._tcp.<host>"},
};
ENUM_NAMES_COVER(issue_defs, ISSUE__COUNT);

static const struct issue_def *issue_def(enum issue_code c)
{
    return enum_name_row(issue_defs, ENUM_NAMES_N(issue_defs), sizeof(issue_defs[0]), (int)c);
}

const char *issue_str(enum issue_code c)
{
    const struct issue_def *d = issue_def(c);
    return d ? d->code.name : "unknown";
}

enum issue_severity issue_severity(enum issue_code c)
{
    const struct issue_def *d = issue_def(c);
    return d ? d->severity : SEVERITY_ERROR;
}

const char *issue_rule(enum issue_code c)
{
    const struct issue_def *d = issue_def(c);
    return d ? d->rule : "";
}

const char *issue_fix(enum issue_code c)
{
    const struct issue_def *d = issue_def(c);
    return d ? d->fix : "";
}

/* The placeholders of the fix templates: each is the domain (the hosts for {hosts}) between a
 * prefix and a suffix. */
static const struct {
    const char *name;
    const char *prefix, *suffix;
} fix_placeholders[] = {
    {"domain", "", ""},
    {"sts_name", "_mta-sts.", ""},
    {"tlsrpt_name", "_smtp._tls.", ""},
    {"policy_host", "mta-sts.", ""},
    {"policy_url", "https://mta-sts.", "/.well-known/mta-sts.txt"},
    {"hosts", "", ""},
};

void issue_fix_fill(enum issue_code c, const char *domain, const char *hosts, char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (const char *t = issue_fix(c); *t && len + 1 < size;) {
        const char *end = *t == '{' ? strchr(t, '}') : NULL;
        size_t p = 0, n_p = sizeof(fix_placeholders) / sizeof(fix_placeholders[0]);
        for (; end && p < n_p; p++)
            if (strlen(fix_placeholders[p].name) == (size_t)(end - t - 1) &&
                strncmp(t + 1, fix_placeholders[p].name, (size_t)(end - t - 1)) == 0)
                break;
        if (end && p < n_p) {
            const char *arg = strcmp(fix_placeholders[p].name, "hosts") == 0 ? hosts : domain;
            len += (size_t)snprintf(buf + len, size - len, "%s%s%s", fix_placeholders[p].prefix, arg,
                                    fix_placeholders[p].suffix);
            t = end + 1;
        } else { /* not a placeholder: copied as is */
            buf[len++] = *t++;
            buf[len] = '\0';
        }
        if (len >= size)
            len = size - 1;
    }
}

int verdict_from_str(const char *s)
{
    return enum_name_parse(verdict_names, ENUM_NAMES_N(verdict_names), s);
}

int issue_from_str(const char *s)
{
    const struct issue_def *d = enum_name_row_named(issue_defs, ENUM_NAMES_N(issue_defs), sizeof(issue_defs[0]), s);
    return d ? d->code.value : -1;
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
