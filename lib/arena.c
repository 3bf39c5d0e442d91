/*
 * arena: a chunk list.  Allocations are bumped from the head chunk; one that does not fit opens a
 * new head chunk of max(n, ARENA_CHUNK_MIN) bytes (the first chunk has first_size bytes), so a
 * chunk's tail is wasted at most once per new chunk.  Text is packed byte by byte, other
 * allocations aligned for any type.
 */
#include "lib/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN _Alignof(max_align_t)

void arena_init(struct arena *a, size_t first_size)
{
    a->head = NULL;
    a->first = NULL;
    a->first_size = first_size;
}

/* A new head chunk with at least n bytes of data (the first chunk: first_size bytes, whatever
 * n); NULL when out of memory. */
static struct arena_chunk *chunk_add(struct arena *a, size_t n)
{
    size_t size = !a->first ? a->first_size : n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
    if (size > SIZE_MAX - sizeof(struct arena_chunk))
        return NULL;
    struct arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    if (!a->first)
        a->first = c;
    return c;
}

/* n bytes at a multiple of align (a power of two) in the head chunk, or in a new one. */
static void *alloc_aligned(struct arena *a, size_t n, size_t align)
{
    for (int tries = 0; tries < 3; tries++) { /* no chunk yet: the first may still be too small */
        struct arena_chunk *c = a->head;
        if (c) {
            size_t at = (c->used + align - 1) & ~(align - 1);
            if (at <= c->size && c->size - at >= n) {
                c->used = at + n;
                return c->data + at;
            }
        }
        if (!chunk_add(a, n))
            return NULL;
    }
    return NULL;
}

void *arena_alloc(struct arena *a, size_t n)
{
    return alloc_aligned(a, n, ALIGN);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = alloc_aligned(a, n + 1, 1); /* text needs no alignment: names pack tightly */
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void arena_reset(struct arena *a)
{
    while (a->head && a->head != a->first) {
        struct arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    if (a->first)
        a->first->used = 0;
}

void arena_free(struct arena *a)
{
    arena_reset(a);
    free(a->first);
    a->head = a->first = NULL;
}

size_t arena_held(const struct arena *a)
{
    size_t n = 0;
    for (const struct arena_chunk *c = a->head; c; c = c->next)
        n += c->size;
    return n;
}
