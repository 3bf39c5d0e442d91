/*
 * dnswire: walks the answer section of a DNS reply as it came off the wire (RFC 1035 §4.1):
 * the header's counts, the question section skipped, then one resource record at a time with its
 * type, TTL and RDATA.  Bounds-checked against the reply's length, no allocation, pure: the DNS
 * stage's reply checks and TTL reader (scanner/dns_reply.c) and the TLSA parser (scanner/dane.c)
 * read replies through it, so a fix to how a name or a record is walked reaches every reader.
 */
#ifndef MTASTS_DNSWIRE_H
#define MTASTS_DNSWIRE_H

struct dnswire_rr {
    unsigned type;                /* RR TYPE (16 TXT, 52 TLSA, ...) */
    unsigned long ttl;            /* seconds; a TTL with the top bit set reads as 0 (RFC 2181 §8) */
    const unsigned char *rdata;   /* inside the reply */
    unsigned rdlen;
};

struct dnswire {
    const unsigned char *abuf;
    int alen;
    int pos;                      /* offset of the next answer record */
    unsigned answers_left;
};

/* Opens the reply abuf: reads the header and skips the question section.  0, or -1 when the
 * reply is shorter than its header or its questions. */
int dnswire_open(struct dnswire *w, const unsigned char *abuf, int alen);

/* The next record of the answer section: 1 with *rr filled, 0 after the last one, -1 when the
 * reply ends inside a record (nothing after that point can be trusted). */
int dnswire_next(struct dnswire *w, struct dnswire_rr *rr);

/* Moves *off past the (possibly compressed) name at abuf + *off: 0, or -1 when the name runs off
 * the end of the reply or a pointer points outside it. */
int dnswire_skip_name(const unsigned char *abuf, int alen, int *off);

#endif
