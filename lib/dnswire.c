/* dnswire: the answer-section walker (see dnswire.h). */
#include "lib/dnswire.h"

#include <stddef.h>

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

int dnswire_skip_name(const unsigned char *abuf, int alen, int *off)
{
    int o = *off;
    for (int labels = 0; labels < 128 && o < alen; labels++) {
        unsigned c = abuf[o];
        if ((c & 0xC0) == 0xC0) { /* a pointer ends the name */
            if (o + 1 >= alen || (int)(((c & 0x3F) << 8) | abuf[o + 1]) >= alen)
                return -1;
            *off = o + 2;
            return 0;
        }
        if (c & 0xC0)
            return -1; /* the 0x40 and 0x80 label types are obsolete (RFC 6891 §5) */
        if (c == 0) {
            *off = o + 1;
            return 0;
        }
        o += 1 + (int)c;
    }
    return -1;
}

int dnswire_open(struct dnswire *w, const unsigned char *abuf, int alen)
{
    w->abuf = abuf;
    w->alen = alen;
    w->pos = 12;
    w->answers_left = 0;
    if (abuf == NULL || alen < 12)
        return -1;
    unsigned qd = be16(abuf + 4);
    for (unsigned i = 0; i < qd; i++) {
        if (dnswire_skip_name(abuf, alen, &w->pos) != 0 || w->pos + 4 > alen)
            return -1;
        w->pos += 4; /* QTYPE, QCLASS */
    }
    w->answers_left = be16(abuf + 6);
    return 0;
}

int dnswire_next(struct dnswire *w, struct dnswire_rr *rr)
{
    if (w->answers_left == 0)
        return 0;
    const unsigned char *a = w->abuf;
    if (dnswire_skip_name(a, w->alen, &w->pos) != 0 || w->pos + 10 > w->alen)
        return -1;
    const unsigned char *p = a + w->pos;
    rr->type = be16(p);
    rr->ttl = (unsigned long)p[4] << 24 | (unsigned long)p[5] << 16 | (unsigned long)p[6] << 8 | p[7];
    if (rr->ttl & 0x80000000UL)
        rr->ttl = 0;
    rr->rdlen = be16(p + 8);
    w->pos += 10;
    if (w->pos + (int)rr->rdlen > w->alen)
        return -1;
    rr->rdata = a + w->pos;
    w->pos += (int)rr->rdlen;
    w->answers_left--;
    return 1;
}
