/*
 * txt: pure parsers for the DNS TXT records of MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3).
 * Input is the record set of one name, each record already the concatenation of its strings.
 * Never touches the network.
 */
#ifndef MTASTS_TXT_H
#define MTASTS_TXT_H

#include <stddef.h>

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

/* The candidate rule of RFC 8461 §3.1 and RFC 8460 §3, the one copy every caller uses: 1 when
 * the record data[0..len) (its strings joined, as published: may hold any byte) starts with
 * version (case-sensitive, e.g. "v=STSv1") followed by *WSP ";", WSP being SP or TAB as in the
 * ABNF's field-delim (erratum 6285 reports that the prose reads stricter; docs/codes.md says why
 * the ABNF is followed).  *delim, when not NULL, then gets the offset of the ';'.  Pure. */
int txt_is_candidate(const char *data, size_t len, const char *version, size_t *delim);

#define TXT_RUA_MAX 1024   /* ';'-joined rua URIs (the row's list size) */
#define TXT_TEXT_MAX 512   /* the published record(s) as text */

/* One TXT record: the concatenation of its character-strings (may contain NUL bytes). */
#define TXT_STRINGS_MAX 32

struct txt_record {
    const unsigned char *data;
    size_t len;
    /* The character-strings as published (the parsers read only data/len, concatenated, RFC
     * 8461 §3.1); for showing a record string by string.  n_strings 0 = not known; past
     * TXT_STRINGS_MAX strings the last length counts the rest. */
    size_t n_strings;
    unsigned short string_len[TXT_STRINGS_MAX];
};

struct txt_sts {
    enum txt_status status; /* OK, MISSING, INVALID or MULTIPLE */
    char id[33];            /* 1..32 alphanumerics when OK */
    char error[128];        /* why INVALID / MULTIPLE, for the detail column */
    char text[TXT_TEXT_MAX];/* the candidate record(s) as published, see txt_record_text() */
};

/* Judges the _mta-sts record set: records not starting with "v=STSv1;" are discarded, exactly
 * one must remain, and it must parse (sts-id = 1*32(ALPHA / DIGIT), extensions allowed). */
void txt_parse_sts(const struct txt_record *recs, size_t n, struct txt_sts *out);

struct txt_tlsrpt {
    enum txt_status status;           /* OK, MISSING, INVALID or MULTIPLE */
    char rua[TXT_RUA_MAX];            /* ';'-joined URIs (mailto: / https:) when OK */
    char error[128];
    char text[TXT_TEXT_MAX];          /* the candidate record(s) as published */
};

/* Judges the _smtp._tls record set the same way with "v=TLSRPTv1;" and a required rua= field
 * whose URIs (comma-separated) are mailto: or https:. */
void txt_parse_tlsrpt(const struct txt_record *recs, size_t n, struct txt_tlsrpt *out);

/* Writes the records of recs that start with version (the candidates a sender considers; the
 * others are discarded, RFC 8461 §3.1) into buf as text: several are joined with "|" in answer
 * order; bytes outside 0x20-0x7e and the bytes '\\' and '|' are written as "\\xHH", so the text is
 * one printable line and the joins are unambiguous.  Cut and marked "..." when it does not fit;
 * "" when there is no candidate.  Pure. */
void txt_record_text(const struct txt_record *recs, size_t n, const char *version, char *buf,
                     size_t size);

#endif
