/*
 * txt: pure parsers for the DNS TXT records of MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3).
 * Input is the record set of one name, each record already the concatenation of its strings.
 * Never touches the network.
 */
#ifndef MTASTS_TXT_H
#define MTASTS_TXT_H

#include <stddef.h>

#include "scanner/result.h"

/* One TXT record: the concatenation of its character-strings (may contain NUL bytes). */
struct txt_record {
    const unsigned char *data;
    size_t len;
};

struct txt_sts {
    enum txt_status status; /* OK, MISSING, INVALID or MULTIPLE */
    char id[33];            /* 1..32 alphanumerics when OK */
    char error[128];        /* why INVALID / MULTIPLE, for the detail column */
};

/* Judges the _mta-sts record set: records not starting with "v=STSv1;" are discarded, exactly
 * one must remain, and it must parse (sts-id = 1*32(ALPHA / DIGIT), extensions allowed). */
void txt_parse_sts(const struct txt_record *recs, size_t n, struct txt_sts *out);

struct txt_tlsrpt {
    enum txt_status status;           /* OK, MISSING, INVALID or MULTIPLE */
    char rua[RESULT_LIST_MAX];        /* ';'-joined URIs (mailto: / https:) when OK */
    char error[128];
};

/* Judges the _smtp._tls record set the same way with "v=TLSRPTv1;" and a required rua= field
 * whose URIs (comma-separated) are mailto: or https:. */
void txt_parse_tlsrpt(const struct txt_record *recs, size_t n, struct txt_tlsrpt *out);

#endif
