/* growbuf: doubling growth of a heap array (see growbuf.h). */
#include "lib/growbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int growbuf_reserve(void *arrayp, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t grown = *cap ? *cap : (first ? first : 1);
    while (grown < need) {
        if (grown > SIZE_MAX / 2)
            return -1;
        grown *= 2;
    }
    if (elem == 0 || grown > SIZE_MAX / elem)
        return -1;
    /* The caller's pointer is read and written as bytes, so that it may be a char *, a long * or a
     * struct pointer without an aliasing cast (POSIX gives every object pointer void *'s
     * representation). */
    void *old;
    memcpy(&old, arrayp, sizeof(old));
    void *p = realloc(old, grown * elem);
    if (p == NULL)
        return -1;
    memcpy(arrayp, &p, sizeof(p));
    *cap = grown;
    return 0;
}
