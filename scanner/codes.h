/*
 * codes: the scanner's stable vocabulary.  Verdicts (exactly one per domain) and issue codes
 * (every one that applies) are strings that reach the CSV and that users' notebooks match on, so
 * they are a contract: add new ones at the end, never rename or drop.  docs/codes.md documents
 * each with its RFC section.
 */
#ifndef MTASTS_CODES_H
#define MTASTS_CODES_H

#include <stdint.h>
#include <stddef.h>

enum verdict {
    VERDICT_NOT_DEPLOYED = 0, /* no valid _mta-sts TXT record (RFC 8461 §3.1) */
    VERDICT_ENFORCE_OK,       /* mode enforce, every MX covered and passing (§4, §5) */
    VERDICT_TESTING_OK,       /* mode testing, every MX covered and passing */
    VERDICT_MODE_NONE,        /* valid policy with mode none (§5) */
    VERDICT_WOULD_FAIL,       /* valid enforce/testing policy but an MX fails or is uncovered */
    VERDICT_INVALID,          /* TXT valid but the policy cannot be fetched or parsed (§3.2, §3.3) */
    VERDICT_DNS_ERROR,        /* DNS failed (SERVFAIL, timeout, refused) */
    VERDICT_NO_MAIL,          /* null MX (RFC 7505) or no mail host at all */
    VERDICT_INPUT_INVALID,    /* the input line is not a usable domain name */
    VERDICT_STS_UNCHECKED,    /* valid TXT record, policy not fetched (--dns-only) */
    VERDICT_SCANNER_ERROR,    /* the scanner itself failed (out of memory): not a fact about the
                                 domain, scan it again */
    VERDICT_EXCLUDED,         /* on the --blocklist: the domain (nothing looked up), or every
                                 address of its policy host (policy not fetched) */
    VERDICT__COUNT
};

/* Issue codes.  Values index a bit set (struct issue_set); keep below 64. */
enum issue_code {
    ISSUE_TXT_INVALID = 0,
    ISSUE_TXT_MULTIPLE,
    ISSUE_POLICY_HOST_UNRESOLVED,
    ISSUE_POLICY_CONNECT_FAILED,
    ISSUE_POLICY_TIMEOUT,
    ISSUE_POLICY_TLS_FAILED,
    ISSUE_POLICY_CERT_EXPIRED,
    ISSUE_POLICY_CERT_HOSTNAME_MISMATCH,
    ISSUE_POLICY_CERT_UNTRUSTED,
    ISSUE_POLICY_HTTP_REDIRECT,
    ISSUE_POLICY_HTTP_STATUS,
    ISSUE_POLICY_CONTENT_TYPE,
    ISSUE_POLICY_TOO_LARGE,
    ISSUE_POLICY_SYNTAX,
    ISSUE_POLICY_VERSION_INVALID,
    ISSUE_POLICY_MODE_INVALID,
    ISSUE_POLICY_MAX_AGE_INVALID,
    ISSUE_POLICY_MX_MISSING,
    ISSUE_MX_NOT_COVERED,
    ISSUE_MX_STARTTLS_MISSING,
    ISSUE_MX_CONNECT_FAILED,
    ISSUE_MX_CERT_EXPIRED,
    ISSUE_MX_CERT_HOSTNAME_MISMATCH,
    ISSUE_MX_CERT_UNTRUSTED,
    ISSUE_TLSRPT_MISSING,
    ISSUE_TLSRPT_INVALID,
    ISSUE_TLSRPT_MULTIPLE,
    /* Added after the first vocabulary: */
    ISSUE_POLICY_MAX_AGE_SHORT,   /* advisory: max_age below one day (§3.2 advises weeks) */
    ISSUE_MX_TLS_FAILED,          /* STARTTLS handshake failed for a reason other than the
                                     certificate (a delivery failure, like mx_connect_failed) */
    ISSUE_DOMAIN_TIMEOUT,         /* --domain-timeout cut the domain; the steps cut are in detail
                                     (dns, policy_fetch, mx_probe) */
    ISSUE_SCANNER_ERROR,          /* the scanner failed (out of memory): not a fact about the domain */
    ISSUE_ADDR_EXCLUDED,          /* an address (or MX host name) on the --blocklist was skipped,
                                     never contacted; the detail column names it */
    /* Added with `mtasts-scan check` (issue 12); advisory unless said otherwise: */
    ISSUE_POLICY_MODE_TESTING,    /* mode testing: senders only report (§5) */
    ISSUE_STS_TTL_UNUSUAL,        /* _mta-sts TXT TTL outside 300-3600 s */
    ISSUE_CERT_EXPIRING_SOON,     /* policy host or MX certificate expires within --expiry-days */
    ISSUE_CERT_CHAIN_INCOMPLETE,  /* the server sent no certificate for its leaf's issuer */
    ISSUE_STS_TXT_EXTRA_RECORDS,  /* other TXT records beside v=STSv1 at _mta-sts.<d> */
    ISSUE_RESOLVERS_DISAGREE,     /* `check` with several --resolver: answers differ */
    ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED, /* one policy-host address failed, another served */
    /* Added with issue 19: */
    ISSUE_DNS_LOOKUP_FAILED,      /* verdict dns_error: the MX, _mta-sts TXT or implicit-MX address
                                     lookup failed (check's finding, so the verdict has a fix) */
    /* Added with issue 21 (DANE, RFC 7672): */
    ISSUE_DANE_DNSSEC_BOGUS,      /* DNSSEC validation failed for the MX RRset, an MX host's address
                                     records or its TLSA lookup (dane_status bogus) */
    ISSUE_DANE_TLSA_MISMATCH,     /* an MX host with secure, usable TLSA served a chain none matches */
    ISSUE_DANE_TLSA_UNUSABLE,     /* an MX host's secure TLSA records are all unusable for SMTP
                                     (PKIX-TA/EE usages, unknown parameters: RFC 7672 §3.1.3) */
    ISSUE_DANE_STARTTLS_MISSING,  /* an MX host with secure TLSA records does not offer STARTTLS */
    ISSUE__COUNT
};

const char *verdict_str(enum verdict v);
const char *issue_str(enum issue_code c);

/* Parses a verdict / issue string back; returns -1 when unknown. */
int verdict_from_str(const char *s);
int issue_from_str(const char *s);

/* The same, named as every other vocabulary's parser (*_parse beside *_str). */
int verdict_parse(const char *s);
int issue_parse(const char *s);

/* How bad a finding is, one scale for `mtasts-scan check`'s exit status and the monitoring
 * --fail-on: error = a sender cannot use the policy or cannot deliver under it; warning = works
 * today but is fragile or will break; info = worth knowing, nothing to fix urgently. */
enum issue_severity { SEVERITY_INFO = 0, SEVERITY_WARNING, SEVERITY_ERROR };
const char *issue_severity_str(enum issue_severity s);
int issue_severity_parse(const char *s); /* -1 when unknown */

/* The severity of a code (defined once, here; docs/codes.md lists it). */
enum issue_severity issue_severity(enum issue_code c);

/* The rule a code rests on, in one sentence with its RFC section ("" never: every code has one). */
const char *issue_rule(enum issue_code c);

/* The fix, in general terms, as a template: {domain}, {sts_name} (_mta-sts.<d>), {tlsrpt_name}
 * (_smtp._tls.<d>), {policy_host} (mta-sts.<d>), {policy_url}, {hosts} (the hosts concerned) are
 * filled in by issue_fix_fill; docs/codes.md shows the template. */
const char *issue_fix(enum issue_code c);

/* Writes the fix of code c for domain into buf (size bytes, always NUL-terminated when size > 0):
 * issue_fix's template with its placeholders filled in, {hosts} with hosts (borrowed; the report
 * says which hosts a finding concerns).  A '{' that starts no placeholder is copied as it is. */
void issue_fix_fill(enum issue_code c, const char *domain, const char *hosts, char *buf, size_t size);

/* A set of issue codes, in code order when printed. */
struct issue_set {
    uint64_t bits;
};

static inline void issue_set_add(struct issue_set *s, enum issue_code c) { s->bits |= (uint64_t)1 << c; }
static inline int issue_set_has(const struct issue_set *s, enum issue_code c) { return (int)((s->bits >> c) & 1u); }

/* Writes the set as "code;code;..." into buf (always NUL-terminated); returns the length. */
size_t issue_set_format(const struct issue_set *s, char *buf, size_t size);

/* Parses "code;code;..." (as issue_set_format writes it; "" = empty set) into *s.  Returns 0, or
 * -1 when an item is not an issue code (*s then holds the codes before it). */
int issue_set_parse(const char *text, struct issue_set *s);

#endif
