/*
 * result: everything the scan learns about one domain, filled by the stages and read by the
 * classifier and the CSV writer.  Fixed-size buffers keep a domain's memory a known constant, so
 * the scan's memory is bounded by --concurrency; values that do not fit are cut and marked "...".
 */
#ifndef MTASTS_RESULT_H
#define MTASTS_RESULT_H

#include <stdint.h>
#include <time.h>

#include "scanner/codes.h"

/* State of a looked-up TXT record set (_mta-sts or _smtp._tls). */
enum txt_status {
    TXT_STATUS_NOT_QUERIED = 0,
    TXT_STATUS_OK,        /* exactly one valid record */
    TXT_STATUS_MISSING,   /* NXDOMAIN / no data / no record with the version prefix */
    TXT_STATUS_INVALID,   /* one record with the prefix, but it does not parse */
    TXT_STATUS_MULTIPLE,  /* more than one record with the prefix */
    TXT_STATUS_ERROR      /* the lookup itself failed (SERVFAIL, timeout, refused) */
};
const char *txt_status_str(enum txt_status s);
/* The status named s (as txt_status_str writes it), or -1. */
int txt_status_parse(const char *s);

enum policy_status {
    POLICY_STATUS_NOT_FETCHED = 0, /* no valid TXT, or the stage was skipped */
    POLICY_STATUS_OK,              /* fetched and valid */
    POLICY_STATUS_FETCH_FAILED,    /* DNS, TCP, TLS or HTTP failure */
    POLICY_STATUS_INVALID          /* fetched but the body breaks RFC 8461 §3.2 */
};
const char *policy_status_str(enum policy_status s);
int policy_status_parse(const char *s); /* -1 when s is not a policy_status */

enum starttls_status {
    STARTTLS_NOT_PROBED = 0,
    STARTTLS_ALL_OK,
    STARTTLS_SOME_FAILED,
    STARTTLS_NONE_OK
};
const char *starttls_status_str(enum starttls_status s);
int starttls_status_parse(const char *s); /* -1 when s is not a starttls_status */

#define RESULT_NAME_MAX 256   /* a DNS name plus NUL */
#define RESULT_LIST_MAX 1024  /* ';'-joined lists */
#define RESULT_DETAIL_MAX 1024

struct domain_result {
    char domain[RESULT_NAME_MAX]; /* as given (lower-cased, no trailing dot) or the raw line when invalid */
    long rank;                    /* Tranco rank, or line number when the input has none */
    char mx[RESULT_LIST_MAX];     /* MX hosts by preference, ';'-joined; implicit MX not listed */
    enum txt_status txt_status;
    char sts_id[33];
    enum policy_status policy_status;
    int http_status;              /* 0 when no HTTP response */
    char policy_mode[16];         /* enforce / testing / none, empty when no valid policy */
    long policy_max_age;          /* -1 when none */
    char policy_mx[RESULT_LIST_MAX];
    char mx_coverage[RESULT_LIST_MAX]; /* all / none / partial; uncovered hosts go to detail */
    enum starttls_status starttls_status;
    enum txt_status tlsrpt_status;
    char tlsrpt_rua[RESULT_LIST_MAX];
    enum verdict verdict;
    struct issue_set issues;
    char detail[RESULT_DETAIL_MAX]; /* "; "-joined human-readable reasons */
    time_t scanned_at;
};

/* Resets r to the empty state (rank -1, max_age -1). */
void result_init(struct domain_result *r);

/* Appends a formatted reason to r->detail, "; "-separated; cut with "..." when full. */
void result_add_detail(struct domain_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies src into a fixed buffer, marking a cut with "...". */
void result_copy(char *dst, size_t size, const char *src);

/* Appends item to a ';'-joined list in a fixed buffer. */
void result_list_add(char *list, size_t size, const char *item);

#endif
