/*
 * policy: pure parser for the MTA-STS policy file (RFC 8461 §3.2) and the MX pattern matcher
 * (§4.1).  Never touches the network.
 */
#ifndef MTASTS_POLICY_H
#define MTASTS_POLICY_H

#include <stddef.h>

#include "scanner/codes.h"

#define POLICY_MX_MAX 32

enum policy_mode { POLICY_MODE_UNSET = 0, POLICY_MODE_ENFORCE, POLICY_MODE_TESTING, POLICY_MODE_NONE };
const char *policy_mode_str(enum policy_mode m); /* "enforce", "testing", "none", "" */
/* Parses a cell written by policy_mode_str: the mode named s ("" = UNSET), or -1 when unknown. */
int policy_mode_parse(const char *s);

struct policy {
    enum policy_mode mode;
    long max_age;                 /* -1 when absent or invalid */
    char mx[POLICY_MX_MAX][256];  /* patterns as written, lower-cased, trailing dot removed */
    size_t n_mx;
    int valid;                    /* no invalidating issue found */
    struct issue_set issues;      /* policy_* codes (incl. advisory policy_max_age_short) */
    char error[256];              /* first problem, human readable, for the detail column */
};

/* Parses body[0..len) into out.  Always fills out; out->valid says whether a sender may use it. */
void policy_parse(const char *body, size_t len, struct policy *out);

/* 1 when host matches pattern per §4.1: case-insensitive, trailing dots ignored, "*.d" matches
 * exactly one extra leftmost label. */
int policy_mx_match(const char *pattern, const char *host);

/* 1 when host matches any of p's mx patterns. */
int policy_covers(const struct policy *p, const char *host);

#endif
