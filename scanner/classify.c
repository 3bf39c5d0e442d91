/*
 * classify: verdict and issue codes for one domain.  The order of the checks is the order of the
 * verdicts' precedence (docs/codes.md): input_invalid > excluded > dns_error > no_mail > not_deployed >
 * invalid > mode_none > would_fail > enforce_ok / testing_ok.  Issue codes are collected for every
 * fact that was observed, whatever the verdict.
 */
#include "scanner/classify.h"

#include <string.h>

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

void classify_probe_issues(const struct smtp_probe_result *p, struct issue_set *out)
{
    out->bits = 0;
    switch (p->status) {
    case SMTP_PROBE_OK: break;
    case SMTP_PROBE_CONNECT_FAILED:
    case SMTP_PROBE_TIMEOUT:
    case SMTP_PROBE_PROTOCOL: issue_set_add(out, ISSUE_MX_CONNECT_FAILED); break;
    case SMTP_PROBE_STARTTLS_MISSING: issue_set_add(out, ISSUE_MX_STARTTLS_MISSING); break;
    case SMTP_PROBE_TLS_FAILED: issue_set_add(out, ISSUE_MX_TLS_FAILED); break;
    case SMTP_PROBE_CERT_INVALID:
        add_cert_issues(p->tls.flags ? p->tls.flags : TLSCHECK_OTHER, out);
        break;
    }
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
        if (!f->mx[i].skipped || !f->mx[i].skipped[0])
            continue;
        issue_set_add(&r->issues, ISSUE_ADDR_EXCLUDED);
        result_add_detail(r, "MX %s on the blocklist, not contacted: %s", f->mx[i].host,
                          f->mx[i].skipped);
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

static void note_coverage(const struct classify_facts *f, struct domain_result *r, size_t *uncovered)
{
    char hosts[RESULT_LIST_MAX] = "";
    *uncovered = 0;
    for (size_t i = 0; i < f->n_mx; i++) {
        if (policy_covers(f->policy, f->mx[i].host))
            continue;
        (*uncovered)++;
        result_list_add(hosts, sizeof(hosts), f->mx[i].host);
    }
    if (f->n_mx == 0 || *uncovered == 0) {
        result_copy(r->mx_coverage, sizeof(r->mx_coverage), "all");
        return;
    }
    result_copy(r->mx_coverage, sizeof(r->mx_coverage), *uncovered == f->n_mx ? "none" : "partial");
    issue_set_add(&r->issues, ISSUE_MX_NOT_COVERED);
    result_add_detail(r, "MX not covered by policy: %s", hosts);
}

/* STARTTLS summary and mx_* codes; returns the number of probed MX hosts that fail. */
static size_t note_starttls(const struct classify_facts *f, struct domain_result *r)
{
    size_t probed = 0, failed = 0;
    for (size_t i = 0; i < f->n_mx; i++) {
        const struct classify_mx *m = &f->mx[i];
        if (!m->probed)
            continue;
        probed++;
        if (m->problems.bits == 0)
            continue;
        failed++;
        r->issues.bits |= m->problems.bits;
        result_add_detail(r, "MX %s: %s", m->host, m->why ? m->why : "fails");
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

/* The policy part, for a domain with a valid TXT record. */
static void verdict_from_policy(const struct classify_facts *f, struct domain_result *r)
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
    if (!f->fetch_done || !f->fetch || f->fetch->status != HTTPS_FETCH_OK) {
        r->verdict = VERDICT_INVALID;
        enum https_fetch_status st = f->fetch ? f->fetch->status : HTTPS_FETCH_CONNECT_FAILED;
        issue_set_add(&r->issues, classify_fetch_issue(st));
        if (f->fetch && f->fetch->detail[0])
            result_add_detail(r, "policy fetch: %s", f->fetch->detail);
        return;
    }
    r->issues.bits |= f->policy->issues.bits;
    if (!f->policy->valid) {
        r->verdict = VERDICT_INVALID;
        result_add_detail(r, "policy: %s", f->policy->error);
        return;
    }
    if (f->policy->mode == POLICY_MODE_NONE) {
        r->verdict = VERDICT_MODE_NONE;
        return;
    }
    size_t uncovered = 0;
    note_coverage(f, r, &uncovered);
    size_t failing = 0;
    for (size_t i = 0; i < f->n_mx; i++)
        if (f->mx[i].probed && f->mx[i].problems.bits)
            failing++;
    if (uncovered || failing)
        r->verdict = VERDICT_WOULD_FAIL;
    else
        r->verdict = f->policy->mode == POLICY_MODE_ENFORCE ? VERDICT_ENFORCE_OK : VERDICT_TESTING_OK;
    if (f->starttls_disabled)
        result_add_detail(r, "STARTTLS not probed (--starttls none): verdict on policy and coverage only");
}

void classify_domain(const struct classify_facts *f, struct domain_result *r)
{
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
    r->txt_status = txt_state(f->sts_dns, f->sts ? f->sts->status : TXT_STATUS_MISSING);
    if (r->txt_status == TXT_STATUS_OK)
        result_copy(r->sts_id, sizeof(r->sts_id), f->sts->id);
    note_tlsrpt(f, r);
    note_skipped(f, r);
    if (verdict_from_dns(f, r))
        return;
    note_starttls(f, r);
    if (r->txt_status == TXT_STATUS_INVALID || r->txt_status == TXT_STATUS_MULTIPLE) {
        issue_set_add(&r->issues, r->txt_status == TXT_STATUS_INVALID ? ISSUE_TXT_INVALID
                                                                     : ISSUE_TXT_MULTIPLE);
        if (f->sts->error[0])
            result_add_detail(r, "_mta-sts record: %s", f->sts->error);
    }
    if (r->txt_status != TXT_STATUS_OK) {
        r->verdict = VERDICT_NOT_DEPLOYED;
        return;
    }
    if (r->tlsrpt_status == TXT_STATUS_MISSING)
        issue_set_add(&r->issues, ISSUE_TLSRPT_MISSING);
    verdict_from_policy(f, r);
}
