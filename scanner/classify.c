/*
 * classify: the whole row of one domain from its facts.  The order of the checks is the order of
 * the verdicts' precedence (docs/codes.md): input_invalid > excluded > dns_error > no_mail > invalid (a
 * broken or repeated v=STSv1 record) > not_deployed > sts_unchecked > invalid (the policy) >
 * mode_none > would_fail > enforce_ok / testing_ok.  Issue codes are collected for every fact that was
 * observed, whatever the verdict; the descriptive columns (records, TTL, digest, certificate, DNS
 * outcomes, MX edges) are filled whatever the verdict too.
 */
#include "scanner/classify.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/isotime.h"
#include "scanner/tlscheck.h"

enum issue_code classify_fetch_issue(enum https_fetch_status s)
{
    switch (s) {
    case HTTPS_FETCH_OK: break;
    case HTTPS_FETCH_CONNECT_FAILED: return ISSUE_POLICY_CONNECT_FAILED;
    case HTTPS_FETCH_TIMEOUT: return ISSUE_POLICY_TIMEOUT;
    case HTTPS_FETCH_TLS_FAILED: return ISSUE_POLICY_TLS_FAILED;
    case HTTPS_FETCH_CERT_EXPIRED: return ISSUE_POLICY_CERT_EXPIRED;
    case HTTPS_FETCH_CERT_HOSTNAME_MISMATCH: return ISSUE_POLICY_CERT_HOSTNAME_MISMATCH;
    case HTTPS_FETCH_CERT_UNTRUSTED: return ISSUE_POLICY_CERT_UNTRUSTED;
    case HTTPS_FETCH_REDIRECT: return ISSUE_POLICY_HTTP_REDIRECT;
    case HTTPS_FETCH_HTTP_STATUS: return ISSUE_POLICY_HTTP_STATUS;
    case HTTPS_FETCH_CONTENT_TYPE: return ISSUE_POLICY_CONTENT_TYPE;
    case HTTPS_FETCH_TOO_LARGE: return ISSUE_POLICY_TOO_LARGE;
    case HTTPS_FETCH_PROTOCOL: return ISSUE_POLICY_HTTP_STATUS;
    case HTTPS_FETCH_INTERNAL_ERROR: return ISSUE_SCANNER_ERROR;
    }
    return ISSUE_POLICY_TLS_FAILED;
}

static void add_cert_issues(unsigned flags, struct issue_set *out)
{
    if (flags & TLSCHECK_EXPIRED)
        issue_set_add(out, ISSUE_MX_CERT_EXPIRED);
    if (flags & TLSCHECK_HOSTNAME_MISMATCH)
        issue_set_add(out, ISSUE_MX_CERT_HOSTNAME_MISMATCH);
    if (flags & (TLSCHECK_UNTRUSTED | TLSCHECK_OTHER))
        issue_set_add(out, ISSUE_MX_CERT_UNTRUSTED);
}

/* The mx_* codes of one probe outcome (status and certificate flags). */
static void probe_issues(enum smtp_probe_status st, unsigned tls_flags, struct issue_set *out)
{
    switch (st) {
    case SMTP_PROBE_OK: break;
    case SMTP_PROBE_CONNECT_FAILED:
    case SMTP_PROBE_TIMEOUT:
    case SMTP_PROBE_PROTOCOL: issue_set_add(out, ISSUE_MX_CONNECT_FAILED); break;
    case SMTP_PROBE_STARTTLS_MISSING: issue_set_add(out, ISSUE_MX_STARTTLS_MISSING); break;
    case SMTP_PROBE_TLS_FAILED: issue_set_add(out, ISSUE_MX_TLS_FAILED); break;
    case SMTP_PROBE_CERT_INVALID:
        add_cert_issues(tls_flags ? tls_flags : TLSCHECK_OTHER, out);
        break;
    case SMTP_PROBE_INTERNAL_ERROR: issue_set_add(out, ISSUE_SCANNER_ERROR); break;
    }
}

void classify_probes_init(struct classify_probes *p, enum dns_status addr_dns)
{
    memset(p, 0, sizeof(*p));
    p->addr_dns = addr_dns;
    p->first_bad = -1;
}

void classify_probes_set_tlsa(struct classify_probes *p, const struct dane_tlsa_set *set)
{
    size_t n = set->n + set->n_extra, usable = dane_usable_count(set);
    p->tlsa_queried = 1;
    p->tlsa_sec = (unsigned char)set->sec;
    p->tlsa_dns = (unsigned char)set->status;
    p->n_tlsa = (unsigned char)(n > 255 ? 255 : n);
    p->n_tlsa_usable = (unsigned char)usable;
}

void classify_probes_add(struct classify_probes *p, const char *addr,
                         const struct smtp_probe_result *r)
{
    if (p->n_addr >= DNS_ADDR_MAX)
        return;
    int i = p->n_addr++;
    p->addr[i].status = (unsigned char)r->status;
    p->addr[i].tls_flags = (unsigned char)r->tls.flags;
    p->addr[i].dane = (unsigned char)r->dane.match;
    time_t t = r->tls.not_after;
    if (t != 0 && (p->cert_not_after == 0 || t < p->cert_not_after))
        p->cert_not_after = t;
    if (r->status == SMTP_PROBE_OK || p->first_bad >= 0)
        return;
    p->first_bad = i;
    result_copy(p->bad_addr, sizeof(p->bad_addr), addr);
    result_copy(p->bad_error, sizeof(p->bad_error), r->error[0] ? r->error : r->tls.error);
}

/* Judges one probed MX host: its edge (state, codes) and a short reason for the detail column. */
static void judge_probes(const struct classify_probes *p, struct result_mx *e, char *why,
                         size_t size)
{
    why[0] = '\0';
    e->n_addr = p->n_addr;
    if (p->n_addr == 0) {
        e->state = MX_PROBE_NO_ADDRESS;
        /* a lookup the scanner could not make says nothing about the host */
        issue_set_add(&e->issues, p->addr_dns == DNS_INTERNAL_ERROR ? ISSUE_SCANNER_ERROR
                                                                    : ISSUE_MX_CONNECT_FAILED);
        snprintf(why, size, "no address (%s)", p->bad_error[0] ? p->bad_error : dns_status_str(p->addr_dns));
        return;
    }
    e->state = MX_PROBE_DONE;
    for (int i = 0; i < p->n_addr; i++)
        probe_issues((enum smtp_probe_status)p->addr[i].status, p->addr[i].tls_flags, &e->issues);
    if (p->first_bad < 0)
        return;
    e->failed = 1;
    e->fail_status = (enum smtp_probe_status)p->addr[p->first_bad].status;
    snprintf(why, size, "%s at %s: %s", smtp_probe_status_str(e->fail_status), p->bad_addr,
             p->bad_error);
}

/* The status of a TXT record set from its lookup and its parse. */
static enum txt_status txt_state(enum dns_status dns, enum txt_status parsed)
{
    if (dns_status_failed(dns))
        return TXT_STATUS_ERROR;
    if (dns != DNS_OK)
        return TXT_STATUS_MISSING;
    return parsed;
}

static void note_tlsrpt(const struct classify_facts *f, struct domain_result *r)
{
    r->tlsrpt_status = txt_state(f->tlsrpt_dns, f->tlsrpt ? f->tlsrpt->status : TXT_STATUS_MISSING);
    if (r->tlsrpt_status == TXT_STATUS_OK && f->tlsrpt)
        result_copy(r->tlsrpt_rua, sizeof(r->tlsrpt_rua), f->tlsrpt->rua);
    if (r->tlsrpt_status == TXT_STATUS_INVALID) {
        issue_set_add(&r->issues, ISSUE_TLSRPT_INVALID);
        result_add_detail(r, "TLS-RPT record: %s", f->tlsrpt->error);
    } else if (r->tlsrpt_status == TXT_STATUS_MULTIPLE) {
        issue_set_add(&r->issues, ISSUE_TLSRPT_MULTIPLE);
    } else if (r->tlsrpt_status == TXT_STATUS_ERROR) {
        result_add_detail(r, "_smtp._tls TXT lookup: %s", dns_status_str(f->tlsrpt_dns));
    }
}

/* What the --blocklist kept the scan from contacting (addr_excluded); never a failure. */
static void note_skipped(const struct classify_facts *f, struct domain_result *r)
{
    if (f->policy_skipped && f->policy_skipped[0]) {
        issue_set_add(&r->issues, ISSUE_ADDR_EXCLUDED);
        result_add_detail(r, "mta-sts host address on the blocklist, not contacted: %s",
                          f->policy_skipped);
    }
    for (size_t i = 0; i < f->n_mx; i++) {
        const struct classify_probes *p = f->mx[i].probes;
        if (!p || !p->skipped[0])
            continue;
        issue_set_add(&r->issues, ISSUE_ADDR_EXCLUDED);
        result_add_detail(r, "MX %s on the blocklist, not contacted: %s", f->mx[i].host, p->skipped);
    }
}

/* DNS-level verdicts; 1 when one was reached. */
static int verdict_from_dns(const struct classify_facts *f, struct domain_result *r)
{
    if (dns_status_failed(f->mx_dns) || dns_status_failed(f->sts_dns)) {
        r->verdict = VERDICT_DNS_ERROR;
        if (dns_status_failed(f->mx_dns))
            result_add_detail(r, "MX lookup: %s", dns_status_str(f->mx_dns));
        if (dns_status_failed(f->sts_dns))
            result_add_detail(r, "_mta-sts TXT lookup: %s", dns_status_str(f->sts_dns));
        return 1;
    }
    if (f->null_mx) {
        r->verdict = VERDICT_NO_MAIL;
        result_add_detail(r, "null MX (RFC 7505)");
        return 1;
    }
    if (f->mx_dns != DNS_OK && f->implicit_addr != DNS_OK) {
        r->verdict = dns_status_failed(f->implicit_addr) ? VERDICT_DNS_ERROR : VERDICT_NO_MAIL;
        result_add_detail(r, "no MX and no address for the implicit MX (%s)",
                          dns_status_str(f->implicit_addr));
        return 1;
    }
    return 0;
}

/* mx_coverage, each edge's covered flag, and mx_not_covered, against a valid enforce/testing
 * policy; returns the number of uncovered hosts. */
static size_t note_coverage(const struct classify_facts *f, struct domain_result *r)
{
    char hosts[RESULT_LIST_MAX] = "";
    size_t uncovered = 0;
    for (size_t i = 0; i < r->n_mx; i++) {
        r->mxs[i].covered = policy_covers(f->policy, r->mxs[i].host);
        if (r->mxs[i].covered)
            continue;
        uncovered++;
        result_list_add(hosts, sizeof(hosts), r->mxs[i].host);
    }
    if (uncovered == 0) {
        r->mx_coverage = MX_COVERAGE_ALL;
        return 0;
    }
    r->mx_coverage = uncovered == r->n_mx ? MX_COVERAGE_NONE : MX_COVERAGE_PARTIAL;
    issue_set_add(&r->issues, ISSUE_MX_NOT_COVERED);
    result_add_detail(r, "MX not covered by policy: %s", hosts);
    return uncovered;
}

/* The edges (one per MX host, probes judged) and the STARTTLS summary; mx_* codes of probed
 * hosts go to the domain's issues and their reasons to detail.  Returns the failing hosts. */
static size_t note_mx_hosts(const struct classify_facts *f, struct domain_result *r)
{
    size_t probed = 0, failed = 0;
    r->n_mx = f->n_mx < DNS_MX_MAX ? f->n_mx : DNS_MX_MAX;
    for (size_t i = 0; i < r->n_mx; i++) {
        const struct classify_mx *m = &f->mx[i];
        struct result_mx *e = &r->mxs[i];
        char why[256];
        result_copy(e->host, sizeof(e->host), m->host);
        e->preference = m->preference;
        e->covered = -1;
        if (m->probes == NULL || (m->probes->n_addr == 0 && m->probes->skipped[0]))
            continue; /* not probed; every address on the blocklist is no failure */
        probed++;
        judge_probes(m->probes, e, why, sizeof(why));
        if (e->issues.bits == 0)
            continue;
        failed++;
        r->issues.bits |= e->issues.bits;
        result_add_detail(r, "MX %s: %s", m->host, why[0] ? why : "fails");
    }
    if (probed == 0)
        r->starttls_status = STARTTLS_NOT_PROBED;
    else if (failed == 0)
        r->starttls_status = STARTTLS_ALL_OK;
    else if (failed < probed)
        r->starttls_status = STARTTLS_SOME_FAILED;
    else
        r->starttls_status = STARTTLS_NONE_OK;
    return failed;
}

/* ---- DANE (RFC 7672) ---------------------------------------------------------------------- */

/* How bad a match is, for the edge's one value: failed > no_chain > unusable > error > ok > none. */
static int dane_match_rank(enum dane_match m)
{
    switch (m) {
    case DANE_MATCH_FAILED: return 5;
    case DANE_MATCH_NO_CHAIN: return 4;
    case DANE_MATCH_UNUSABLE: return 3;
    case DANE_MATCH_ERROR: return 2;
    case DANE_MATCH_OK: return 1;
    case DANE_MATCH_NONE:
    case DANE_MATCH__COUNT: break;
    }
    return 0;
}

/* What a probe that got no chain says about DANE: a server that refuses STARTTLS or the
 * handshake fails a DANE sender (RFC 7672 §2.2); one that could not be reached says nothing. */
static int no_chain_is_failure(enum smtp_probe_status st)
{
    return st == SMTP_PROBE_STARTTLS_MISSING || st == SMTP_PROBE_TLS_FAILED;
}

/* One MX host's DANE state for a domain whose MX RRset is secure (RFC 7672 §2.2.2-§3), from the
 * facts of its cache entry; the DANE codes go to the domain's issues (never to the edge's mx_*
 * codes, which are MTA-STS's) and a reason to detail.  The edge's dane_match and tlsa_dnssec are
 * filled whatever the RRset (facts of the host). */
static enum dane_status judge_dane_host(const struct classify_mx *m, struct result_mx *e,
                                        int applies, struct domain_result *r)
{
    const struct classify_probes *p = m->probes;
    e->dane_match = DANE_MATCH_NONE;
    if (!p || (p->n_addr == 0 && p->skipped[0]))
        return DANE_STATUS_UNCHECKED; /* not probed: nothing known */
    e->tlsa_queried = p->tlsa_queried;
    e->tlsa_dnssec = p->tlsa_sec;
    int worst = 0, ok = 0, failed = 0, unusable = 0, starttls = 0;
    for (int i = 0; i < p->n_addr; i++) {
        enum dane_match d = (enum dane_match)p->addr[i].dane;
        enum smtp_probe_status st = (enum smtp_probe_status)p->addr[i].status;
        if (dane_match_rank(d) > worst) {
            worst = dane_match_rank(d);
            e->dane_match = (unsigned char)d;
        }
        ok += d == DANE_MATCH_OK;
        failed += d == DANE_MATCH_FAILED || (d == DANE_MATCH_NO_CHAIN && no_chain_is_failure(st));
        starttls += d == DANE_MATCH_NO_CHAIN && st == SMTP_PROBE_STARTTLS_MISSING;
        unusable += d == DANE_MATCH_UNUSABLE;
    }
    if (!applies)
        return DANE_STATUS_NONE;
    if (p->addr_sec == DNS_SEC_BOGUS || (p->tlsa_queried && p->tlsa_sec == DNS_SEC_BOGUS)) {
        issue_set_add(&r->issues, ISSUE_DANE_DNSSEC_BOGUS);
        result_add_detail(r, "DANE %s: %s records are bogus (DNSSEC validation failed)", m->host,
                          p->addr_sec == DNS_SEC_BOGUS ? "address" : "TLSA");
        return DANE_STATUS_BOGUS;
    }
    if (!p->tlsa_queried) /* insecure addresses: no TLSA lookup (§2.2.2); secure, none to use */
        return p->addr_sec == DNS_SEC_INSECURE || p->addr_sec == DNS_SEC_SECURE
                   ? DANE_STATUS_NONE : DANE_STATUS_UNCHECKED;
    if (dns_status_failed((enum dns_status)p->tlsa_dns))
        return DANE_STATUS_UNCHECKED; /* a sender defers: not known whether it would match */
    if (p->tlsa_sec != DNS_SEC_SECURE || p->n_tlsa == 0)
        return DANE_STATUS_NONE;      /* no secure TLSA RRset: DANE does not apply to the host */
    if (starttls) {
        issue_set_add(&r->issues, ISSUE_DANE_STARTTLS_MISSING);
        result_add_detail(r, "DANE %s: TLSA records published, STARTTLS not offered", m->host);
    }
    if (p->n_tlsa_usable == 0 || (unusable && !ok && !failed)) {
        issue_set_add(&r->issues, ISSUE_DANE_TLSA_UNUSABLE);
        result_add_detail(r, "DANE %s: no TLSA record usable for SMTP (RFC 7672 §3.1.3)", m->host);
        return failed ? DANE_STATUS_FAILED : DANE_STATUS_NONE; /* TLS still mandatory (§2.2) */
    }
    if (failed > starttls) {
        issue_set_add(&r->issues, ISSUE_DANE_TLSA_MISMATCH);
        result_add_detail(r, "DANE %s: the certificate chain served matches no TLSA record", m->host);
    }
    if (failed)
        return DANE_STATUS_FAILED;
    return ok ? DANE_STATUS_OK : DANE_STATUS_UNCHECKED; /* no address reached: not judged */
}

/* dane_status (docs/codes.md): from the MX RRset's DNSSEC status, then over the MX hosts with
 * precedence bogus > failed > unchecked > ok > none.  Without a validating resolver it is
 * unchecked, never none. */
static void note_dane(const struct classify_facts *f, struct domain_result *r)
{
    int applies = r->mx_dnssec == DNS_SEC_SECURE;
    int any[DANE_STATUS__COUNT] = {0};
    for (size_t i = 0; i < r->n_mx && i < f->n_mx; i++) {
        enum dane_status h = judge_dane_host(&f->mx[i], &r->mxs[i], applies, r);
        r->mxs[i].dane_state = (unsigned char)h;
        any[h]++;
    }
    switch (r->mx_dnssec) {
    case DNS_SEC_INSECURE: r->dane_status = DANE_STATUS_NONE; return; /* §2.2.1 */
    case DNS_SEC_BOGUS:
        r->dane_status = DANE_STATUS_BOGUS;
        issue_set_add(&r->issues, ISSUE_DANE_DNSSEC_BOGUS);
        return;
    case DNS_SEC_UNCHECKED:
    case DNS_SEC__COUNT: r->dane_status = DANE_STATUS_UNCHECKED; return;
    case DNS_SEC_SECURE: break;
    }
    static const enum dane_status order[] = {DANE_STATUS_BOGUS, DANE_STATUS_FAILED,
                                             DANE_STATUS_UNCHECKED, DANE_STATUS_OK};
    r->dane_status = DANE_STATUS_NONE;
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (any[order[k]]) {
            r->dane_status = order[k];
            return;
        }
    }
}

/* The policy part, for a domain with a valid TXT record. */
static void verdict_from_policy(const struct classify_facts *f, struct domain_result *r,
                                size_t failing)
{
    if (!f->policy_checked) {
        r->verdict = VERDICT_STS_UNCHECKED;
        return;
    }
    if (f->policy_host_dns != DNS_OK) {
        r->verdict = VERDICT_INVALID;
        issue_set_add(&r->issues, ISSUE_POLICY_HOST_UNRESOLVED);
        result_add_detail(r, "mta-sts host: %s", dns_status_str(f->policy_host_dns));
        return;
    }
    if (f->policy_excluded) {
        r->verdict = VERDICT_EXCLUDED; /* note_skipped said which addresses */
        return;
    }
    if (!f->fetch || f->fetch->status != HTTPS_FETCH_OK || !f->policy) {
        r->verdict = VERDICT_INVALID;
        /* no fetch result, or a body that could not be parsed (out of memory): a failed fetch */
        enum https_fetch_status st = f->fetch && f->fetch->status != HTTPS_FETCH_OK
                                         ? f->fetch->status : HTTPS_FETCH_CONNECT_FAILED;
        issue_set_add(&r->issues, classify_fetch_issue(st));
        if (f->fetch && f->fetch->detail[0])
            result_add_detail(r, "policy fetch: %s", f->fetch->detail);
        return;
    }
        r->issues.bits |= f->policy->issues.bits;
    if (f->advisories) /* then judged with the mode and the thresholds (note_advice) */
        r->issues.bits &= ~((uint64_t)1 << ISSUE_POLICY_MAX_AGE_SHORT);
    if (!f->policy->valid) {
        r->verdict = VERDICT_INVALID;
        result_add_detail(r, "policy: %s", f->policy->error);
        return;
    }
    if (f->policy->mode == POLICY_MODE_NONE) {
        r->verdict = VERDICT_MODE_NONE;
        return;
    }
    size_t uncovered = note_coverage(f, r);
    if (uncovered || failing)
        r->verdict = VERDICT_WOULD_FAIL;
    else
        r->verdict = f->policy->mode == POLICY_MODE_ENFORCE ? VERDICT_ENFORCE_OK : VERDICT_TESTING_OK;
    if (f->starttls_disabled)
        result_add_detail(r, "STARTTLS not probed (--starttls none): verdict on policy and coverage only");
}

/* --domain-timeout finished the domain with what was known: say which steps were cut. */
static void note_cut(const struct classify_facts *f, struct domain_result *r)
{
    if (!f->cut)
        return;
    issue_set_add(&r->issues, ISSUE_DOMAIN_TIMEOUT);
    result_add_detail(r, "domain timeout (%gs) cut: %s", f->domain_timeout_sec, f->cut);
}

/* A step the scanner itself failed (out of memory) leaves the domain unjudged: the verdict says
 * so instead of posing as a fact about the domain.  1 when so.  After note_mx_hosts. */
static int verdict_scanner_error(const struct classify_facts *f, struct domain_result *r)
{
    const char *where = f->scanner_error;
    const enum dns_status lookups[] = {f->mx_dns, f->sts_dns, f->tlsrpt_dns, f->implicit_addr,
                                       f->policy_host_dns};
    for (size_t i = 0; !where && i < sizeof(lookups) / sizeof(lookups[0]); i++)
        if (lookups[i] == DNS_INTERNAL_ERROR)
            where = "dns";
    if (!where && f->fetch && f->fetch->status == HTTPS_FETCH_INTERNAL_ERROR)
        where = "policy fetch";
    for (size_t i = 0; !where && i < r->n_mx; i++)
        if (issue_set_has(&r->mxs[i].issues, ISSUE_SCANNER_ERROR))
            where = "MX probe";
    if (!where)
        return 0;
    r->verdict = VERDICT_SCANNER_ERROR;
    issue_set_add(&r->issues, ISSUE_SCANNER_ERROR);
    result_add_detail(r, "scanner error in %s (out of memory): not a fact about the domain", where);
    return 1;
}

/* The outcome of each lookup that was made; DNS_OK (an empty cell) for an answer with records. */
static void note_dns(const struct classify_facts *f, struct domain_result *r)
{
    r->mx_dns = f->mx_dns;
    r->sts_dns = f->sts_dns;
    r->tlsrpt_dns = f->tlsrpt_dns;
    r->policy_host_dns = f->policy_queried ? f->policy_host_dns : DNS_OK;
    r->implicit_mx_dns = f->implicit_queried ? f->implicit_addr : DNS_OK;
}

/* What was published and served, whatever the verdict: MX set, records, policy, certificate. */
static void note_published(const struct classify_facts *f, struct domain_result *r)
{
    r->mx_dnssec = f->mx_answer ? f->mx_answer->sec : DNS_SEC_UNCHECKED;
    for (size_t i = 0; f->mx_answer && i < f->mx_answer->n; i++)
        result_list_add(r->mx, sizeof(r->mx), f->mx_answer->mx[i].host);
    if (f->sts_dns == DNS_OK && f->sts) {
        result_copy(r->sts_record, sizeof(r->sts_record), f->sts->text);
        r->sts_ttl = f->sts_ttl;
    }
    if (f->tlsrpt_dns == DNS_OK && f->tlsrpt)
        result_copy(r->tlsrpt_record, sizeof(r->tlsrpt_record), f->tlsrpt->text);
    const struct https_fetch_result *x = f->fetch;
    if (x) {
        r->http_status = x->http_status;
        if (x->status == HTTPS_FETCH_OK) /* a body was served and kept */
            result_copy(r->policy_sha256, sizeof(r->policy_sha256), x->body_sha256);
        if (x->handshake_done) {
            r->policy_cert_not_after = x->cert.not_after;
            result_copy(r->policy_cert_issuer, sizeof(r->policy_cert_issuer), x->cert.issuer);
            result_copy(r->policy_cert_sans, sizeof(r->policy_cert_sans), x->cert.sans);
        }
    }
    if (f->policy_checked && f->sts && f->sts->status == TXT_STATUS_OK && f->policy_host_dns != DNS_OK)
        r->policy_status = POLICY_STATUS_FETCH_FAILED;
    if (x)
        r->policy_status = x->status != HTTPS_FETCH_OK || !f->policy ? POLICY_STATUS_FETCH_FAILED
                         : f->policy->valid ? POLICY_STATUS_OK
                                            : POLICY_STATUS_INVALID;
    if (f->policy) {
        r->policy_mode = f->policy->mode;
        /* a series of scans carries the start of the run back (--previous: the previous row's
         * value is a fact; the same rule as changes_testing_since) */
        if (f->policy->valid && f->policy->mode == POLICY_MODE_TESTING) {
            r->testing_since = r->scanned_at;
            if (f->previous_testing_since != 0 &&
                (r->testing_since == 0 || f->previous_testing_since < r->testing_since))
                r->testing_since = f->previous_testing_since;
        }
        r->policy_max_age = f->policy->max_age;
        for (size_t i = 0; i < f->policy->n_mx; i++)
            result_list_add(r->policy_mx, sizeof(r->policy_mx), f->policy->mx[i]);
    }
}

static long or_default(long v, long def)
{
    return v > 0 ? v : def;
}

/* policy_mode_testing and policy_max_age_short, for a valid policy. */
static void note_policy_advice(const struct classify_facts *f, struct domain_result *r)
{
    const struct policy *p = f->policy;
    if (!p || !p->valid || r->policy_status != POLICY_STATUS_OK)
        return;
    if (p->mode == POLICY_MODE_TESTING)
        issue_set_add(&r->issues, ISSUE_POLICY_MODE_TESTING);
    long min = p->mode == POLICY_MODE_ENFORCE
                   ? or_default(f->thresholds.max_age_min_enforce, CLASSIFY_MAX_AGE_MIN_ENFORCE)
               : p->mode == POLICY_MODE_TESTING
                   ? or_default(f->thresholds.max_age_min_testing, CLASSIFY_MAX_AGE_MIN_TESTING)
                   : 0; /* mode none: a withdrawn policy may well be short-lived */
    if (p->max_age >= 0 && p->max_age < min) {
        issue_set_add(&r->issues, ISSUE_POLICY_MAX_AGE_SHORT);
        result_add_detail(r, "max_age %ld below %ld (%s)", p->max_age, min, policy_mode_str(p->mode));
    }
}

/* sts_ttl_unusual and sts_txt_extra_records: only for a domain that publishes a v=STSv1 record
 * (elsewhere the _mta-sts name is beside the point). */
static void note_record_advice(const struct classify_facts *f, struct domain_result *r)
{
    if (r->txt_status != TXT_STATUS_OK && r->txt_status != TXT_STATUS_INVALID &&
        r->txt_status != TXT_STATUS_MULTIPLE)
        return;
    if (f->sts_ttl >= 0 && (f->sts_ttl < CLASSIFY_STS_TTL_MIN || f->sts_ttl > CLASSIFY_STS_TTL_MAX)) {
        issue_set_add(&r->issues, ISSUE_STS_TTL_UNUSUAL);
        result_add_detail(r, "_mta-sts TXT TTL %lds outside %ld-%lds", f->sts_ttl,
                          CLASSIFY_STS_TTL_MIN, CLASSIFY_STS_TTL_MAX);
    }
    if (f->sts_other_records > 0) {
        issue_set_add(&r->issues, ISSUE_STS_TXT_EXTRA_RECORDS);
        result_add_detail(r, "%d other TXT record%s at _mta-sts", f->sts_other_records,
                          f->sts_other_records == 1 ? "" : "s");
    }
}

/* Adds cert_expiring_soon when t (a certificate's expiry, 0 unknown) is within the window and not
 * past (an expired certificate has its own code). */
static void note_expiry(const struct classify_facts *f, struct domain_result *r, const char *host,
                        time_t t)
{
    long days = or_default(f->thresholds.expiry_days, CLASSIFY_EXPIRY_DAYS);
    if (!classify_expiring_soon(t, f->finished_at, f->thresholds.expiry_days))
        return;
    char when[32];
    isotime_format_date(t, when, sizeof(when));
    issue_set_add(&r->issues, ISSUE_CERT_EXPIRING_SOON);
    result_add_detail(r, "certificate of %s expires %s (within %ld days)", host, when, days);
}

/* Certificate advice (expiry soon, incomplete chain) of the policy host and the probed MX hosts,
 * and the policy-host addresses that failed while another served. */
static void note_cert_advice(const struct classify_facts *f, struct domain_result *r)
{
    char policy_host[RESULT_NAME_MAX + 8];
    snprintf(policy_host, sizeof(policy_host), "mta-sts.%s", r->domain);
    const struct https_fetch_result *x = f->fetch;
    if (x && x->handshake_done)
        note_expiry(f, r, policy_host, x->cert.not_after);
    if (x && (x->cert_flags & TLSCHECK_CHAIN_INCOMPLETE)) {
        issue_set_add(&r->issues, ISSUE_CERT_CHAIN_INCOMPLETE);
        result_add_detail(r, "%s sends no intermediate certificate", policy_host);
    }
    for (size_t i = 0; i < f->n_mx; i++) {
        const struct classify_probes *p = f->mx[i].probes;
        if (!p)
            continue;
        note_expiry(f, r, f->mx[i].host, p->cert_not_after);
        for (int a = 0; a < p->n_addr; a++) {
            if (!(p->addr[a].tls_flags & TLSCHECK_CHAIN_INCOMPLETE))
                continue;
            issue_set_add(&r->issues, ISSUE_CERT_CHAIN_INCOMPLETE);
            result_add_detail(r, "MX %s sends no intermediate certificate", f->mx[i].host);
            break;
        }
    }
    if (x && x->status == HTTPS_FETCH_OK && f->n_fetch_failed > 0) {
        char addrs[RESULT_LIST_MAX] = "";
        for (size_t i = 0; i < f->n_fetch_failed; i++)
            result_list_add(addrs, sizeof(addrs), f->fetch_failed[i].addr);
        issue_set_add(&r->issues, ISSUE_POLICY_FETCH_OTHER_ADDRESS_FAILED);
        result_add_detail(r, "policy fetch failed at %s (%s), served by another address", addrs,
                          https_fetch_status_str(f->fetch_failed[0].status));
    }
}

int classify_expiring_soon(time_t not_after, time_t now, long expiry_days)
{
    long days = or_default(expiry_days, CLASSIFY_EXPIRY_DAYS);
    return expiry_days >= 0 && not_after != 0 && not_after > now &&
           not_after - now <= (time_t)days * 86400;
}

int classify_is_failure(const struct domain_result *row)
{
    switch (row->verdict) {
    case VERDICT_ENFORCE_OK:
    case VERDICT_TESTING_OK:
    case VERDICT_MODE_NONE:
    case VERDICT_NOT_DEPLOYED:
        break;
    default:
        return 1;
    }
    for (int c = 0; c < ISSUE__COUNT; c++)
        if (issue_set_has(&row->issues, (enum issue_code)c) &&
            issue_severity((enum issue_code)c) == SEVERITY_ERROR)
            return 1;
    return 0;
}

/* The advisory codes (docs/codes.md): reported, never changing the verdict. */
static void note_advice(const struct classify_facts *f, struct domain_result *r)
{
    if (r->verdict == VERDICT_SCANNER_ERROR)
        return;
    if (r->verdict == VERDICT_DNS_ERROR) /* the verdict's finding, with its fix (issue 19) */
        issue_set_add(&r->issues, ISSUE_DNS_LOOKUP_FAILED);
    note_policy_advice(f, r);
    note_record_advice(f, r);
    note_cert_advice(f, r);
}

void classify_resolvers(const char *differences, struct domain_result *r)
{
    if (!differences || !differences[0])
        return;
    issue_set_add(&r->issues, ISSUE_RESOLVERS_DISAGREE);
    result_add_detail(r, "resolvers disagree: %s", differences);
}

static void classify_core(const struct classify_facts *f, struct domain_result *r);

/* ---- what a sender would do (sts_delivery, dane_sts_delivery) ----------------------------- */

enum host_fate { FATE_PASS, FATE_UNKNOWN, FATE_FAIL };

static enum host_fate fate_worst(enum host_fate a, enum host_fate b)
{
    return a > b ? a : b;
}

/* Under a valid enforce policy (RFC 8461 §4, §5): a host takes mail when it is covered and its
 * probes found no mx_* code; unknown when it was not probed (or the scanner failed on it). */
static enum host_fate fate_enforce(const struct result_mx *e)
{
    if (e->covered == 0)
        return FATE_FAIL;
    if (e->state == MX_PROBE_NOT_PROBED || issue_set_has(&e->issues, ISSUE_SCANNER_ERROR))
        return FATE_UNKNOWN;
    return e->state == MX_PROBE_DONE && e->issues.bits == 0 ? FATE_PASS : FATE_FAIL;
}

/* Without an enforced policy the sender delivers opportunistically (in clear text if need be):
 * a host takes mail when it was reached at all. */
static enum host_fate fate_opportunistic(const struct result_mx *e)
{
    if (e->state == MX_PROBE_NOT_PROBED || issue_set_has(&e->issues, ISSUE_SCANNER_ERROR))
        return FATE_UNKNOWN;
    if (e->state == MX_PROBE_NO_ADDRESS || issue_set_has(&e->issues, ISSUE_MX_CONNECT_FAILED))
        return FATE_FAIL;
    return FATE_PASS;
}

/* DANE for a validating sender (RFC 7672): a host whose DANE failed or is bogus takes no mail,
 * whatever MTA-STS says (RFC 8461 §2); unknown without a validating resolver. */
static enum host_fate fate_dane(enum dns_sec mx_sec, const struct result_mx *e)
{
    if (mx_sec == DNS_SEC_INSECURE)
        return FATE_PASS; /* DANE does not apply */
    if (mx_sec != DNS_SEC_SECURE)
        return FATE_UNKNOWN;
    switch ((enum dane_status)e->dane_state) {
    case DANE_STATUS_FAILED:
    case DANE_STATUS_BOGUS: return FATE_FAIL;
    case DANE_STATUS_UNCHECKED: return FATE_UNKNOWN;
    case DANE_STATUS_OK:
    case DANE_STATUS_NONE:
    case DANE_STATUS__COUNT: break;
    }
    return FATE_PASS;
}

/* all / some / none / unchecked from the hosts' fates: some as soon as one passes and one fails,
 * whatever the unknown ones do. */
static enum delivery delivery_of(size_t pass, size_t fail, size_t unknown)
{
    if (pass > 0 && fail > 0)
        return DELIVERY_SOME;
    if (unknown > 0 || pass + fail == 0)
        return DELIVERY_UNCHECKED;
    return fail == 0 ? DELIVERY_ALL : DELIVERY_NONE;
}

/* The two delivery columns (docs/codes.md, "What a sender would do"), after the verdict. */
static void note_delivery(struct domain_result *r)
{
    int enforce = r->policy_mode == POLICY_MODE_ENFORCE &&
                  (r->verdict == VERDICT_ENFORCE_OK || r->verdict == VERDICT_WOULD_FAIL);
    int policy_unknown = r->verdict == VERDICT_STS_UNCHECKED;
    if (r->mx_dnssec == DNS_SEC_BOGUS) { /* a validating sender cannot find the mail hosts */
        r->dane_sts_delivery = DELIVERY_NONE;
        return;
    }
    switch (r->verdict) {
    case VERDICT_DNS_ERROR: case VERDICT_NO_MAIL: case VERDICT_INPUT_INVALID:
    case VERDICT_EXCLUDED: case VERDICT_SCANNER_ERROR: case VERDICT__COUNT:
        return; /* no mail host to judge, or nothing known */
    default:
        break;
    }
    if (r->n_mx == 0)
        return;
    size_t sts[3] = {0}, both[3] = {0};
    for (size_t i = 0; i < r->n_mx; i++) {
        const struct result_mx *e = &r->mxs[i];
        enum host_fate s = policy_unknown ? FATE_UNKNOWN
                         : enforce ? fate_enforce(e) : fate_opportunistic(e);
        sts[s]++;
        both[fate_worst(s, fate_dane(r->mx_dnssec, e))]++;
    }
    if (enforce)
        r->sts_delivery = delivery_of(sts[FATE_PASS], sts[FATE_FAIL], sts[FATE_UNKNOWN]);
    if (enforce || policy_unknown || r->mx_dnssec != DNS_SEC_INSECURE)
        r->dane_sts_delivery = delivery_of(both[FATE_PASS], both[FATE_FAIL], both[FATE_UNKNOWN]);
}

void classify_domain(const struct classify_facts *f, struct domain_result *r)
{
    classify_core(f, r);
    note_delivery(r);
    if (!f->input_invalid && f->advisories)
        note_advice(f, r);
}

/* Everything but the advisory codes, in the order of the verdicts' precedence. */
static void classify_core(const struct classify_facts *f, struct domain_result *r)
{
    result_copy(r->domain, sizeof(r->domain), f->domain ? f->domain : "");
    r->rank = f->rank;
    r->scanned_at = f->finished_at;
    if (f->policy_fetch_retried)
        result_list_add(r->retried, sizeof(r->retried), "policy_fetch");
    if (f->mx_probe_retried)
        result_list_add(r->retried, sizeof(r->retried), "mx_probe");
    if (f->input_invalid) {
        r->verdict = VERDICT_INPUT_INVALID;
        result_add_detail(r, "%s", f->input_reason ? f->input_reason : "invalid input line");
        return;
    }
    if (f->excluded_by) {
        r->verdict = VERDICT_EXCLUDED;
        result_add_detail(r, "on the blocklist (%s): not looked up", f->excluded_by);
        return;
    }
    note_dns(f, r);
    note_published(f, r);
    r->txt_status = txt_state(f->sts_dns, f->sts ? f->sts->status : TXT_STATUS_MISSING);
    if (r->txt_status == TXT_STATUS_OK)
        result_copy(r->sts_id, sizeof(r->sts_id), f->sts->id);
    note_tlsrpt(f, r);
    note_skipped(f, r);
    note_cut(f, r);
    size_t failing = note_mx_hosts(f, r); /* no host was probed when a DNS verdict follows */
    note_dane(f, r);
    if (verdict_scanner_error(f, r))
        return;
    if (verdict_from_dns(f, r))
        return;
    /* RFC 8461 §3.1: records without the v=STSv1 prefix were discarded by the parser; one that has
     * it but does not parse, or several, mean the domain tried to deploy MTA-STS and failed. */
    if (r->txt_status == TXT_STATUS_INVALID || r->txt_status == TXT_STATUS_MULTIPLE) {
        issue_set_add(&r->issues, r->txt_status == TXT_STATUS_INVALID ? ISSUE_TXT_INVALID
                                                                     : ISSUE_TXT_MULTIPLE);
        if (f->sts->error[0])
            result_add_detail(r, "_mta-sts record: %s", f->sts->error);
        r->verdict = VERDICT_INVALID;
        return;
    }
    if (r->txt_status != TXT_STATUS_OK) {
        r->verdict = VERDICT_NOT_DEPLOYED;
        return;
    }
    if (r->tlsrpt_status == TXT_STATUS_MISSING)
        issue_set_add(&r->issues, ISSUE_TLSRPT_MISSING);
    verdict_from_policy(f, r, failing);
}
