/*
 * strhash: FNV-1a over a NUL-terminated string, for the scan's small hash tables (MX jobs by host
 * name, politeness slots by address).  Header-only: one short inline function.
 */
#ifndef MTASTS_STRHASH_H
#define MTASTS_STRHASH_H

#include <stdint.h>

static inline uint32_t strhash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

#endif
