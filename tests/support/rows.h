/*
 * rows: header-only sample row records (static functions, for the cmocka tests only), so that the
 * writer's and the reader's tests describe their typical domain once.  ROWS_T_2026 is the time the
 * samples were scanned (2026-11-22T06:10:33Z).
 */
#ifndef MTASTS_TEST_ROWS_H
#define MTASTS_TEST_ROWS_H

#include <time.h>

#include "scanner/result.h"

#define ROWS_FN static __attribute__((unused))
#define ROWS_T_2026 ((time_t)1795327833) /* 2026-11-22T06:10:33Z */

/* An enforcing example.com (rank 42) whose second MX host offers no STARTTLS: verdict would_fail,
 * most cells filled (the detail and DANE ones too). */
ROWS_FN void rows_full(struct domain_result *r)
{
    result_init(r);
    result_copy(r->domain, sizeof(r->domain), "example.com");
    r->rank = 42;
    r->mx_dnssec = DNS_SEC_SECURE;
    r->dane_status = DANE_STATUS_FAILED;
    r->sts_delivery = DELIVERY_SOME;
    r->dane_sts_delivery = DELIVERY_NONE;
    result_copy(r->mx, sizeof(r->mx), "mx1.example.com;mx2.example.com");
    r->txt_status = TXT_STATUS_OK;
    result_copy(r->sts_id, sizeof(r->sts_id), "20260101T000000");
    r->policy_status = POLICY_STATUS_OK;
    r->http_status = 200;
    r->policy_mode = POLICY_MODE_ENFORCE;
    r->policy_max_age = 604800;
    result_copy(r->policy_mx, sizeof(r->policy_mx), "mx1.example.com;*.example.com");
    r->mx_coverage = MX_COVERAGE_ALL;
    r->starttls_status = STARTTLS_SOME_FAILED;
    r->tlsrpt_status = TXT_STATUS_MISSING;
    result_copy(r->tlsrpt_rua, sizeof(r->tlsrpt_rua), "mailto:tls@example.com");
    r->verdict = VERDICT_WOULD_FAIL;
    issue_set_add(&r->issues, ISSUE_TLSRPT_MISSING);
    issue_set_add(&r->issues, ISSUE_MX_STARTTLS_MISSING);
    result_add_detail(r, "mx2.example.com: no STARTTLS");
    r->scanned_at = ROWS_T_2026;
}

#endif
