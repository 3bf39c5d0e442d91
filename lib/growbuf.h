/*
 * growbuf: the one rule for growing a heap array (a row being assembled, staged bytes, a table's
 * entries): the capacity doubles, from a first size, until what is wanted fits.  Pure apart from
 * realloc; out of memory is an error the caller reports, never a crash.
 */
#ifndef MTASTS_GROWBUF_H
#define MTASTS_GROWBUF_H

#include <stddef.h>

/* Makes the array at *arrayp (arrayp points to the array's pointer, of any object type; NULL when
 * nothing is allocated yet) hold at least need elements of elem bytes: when *cap < need, the
 * capacity doubles from *cap (from first when *cap is 0) until it fits and the array is realloc'd,
 * its contents kept, *cap updated.  Returns 0, or -1 on out-of-memory or overflow (the array and
 * *cap untouched). */
int growbuf_reserve(void *arrayp, size_t *cap, size_t need, size_t elem, size_t first);

#endif
