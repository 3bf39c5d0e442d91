/*
 * arena: an allocator for data that lives and dies together (what one domain holds while it is in
 * flight: its name, its MX hosts, its parsed records).  Allocations are carved from chunks and
 * never freed alone; arena_reset gives everything back at once but keeps the first chunk, so an
 * owner that is reset and reused (a --concurrency slot) holds a small constant between uses and
 * does not go back to malloc for small contents.  Out of memory is an error (NULL), never a
 * crash.  Not thread-safe: one owner.
 */
#ifndef MTASTS_ARENA_H
#define MTASTS_ARENA_H

#include <stddef.h>

/* One chunk: the header of a malloc'd block, its data after it.  Public so that tests can tell
 * the size of the block a chunk takes (sizeof(struct arena_chunk) + its data size). */
struct arena_chunk {
    struct arena_chunk *next; /* the chunk filled before this one */
    size_t size;              /* bytes of data */
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct arena_chunk *head;  /* where allocations come from; NULL until the first */
    struct arena_chunk *first; /* the chunk kept by arena_reset (the list's last) */
    size_t first_size;         /* data size of the first chunk */
};

/* Data size of every chunk after the first, at least (bigger requests get a chunk of their own
 * size). */
#define ARENA_CHUNK_MIN 1024

/* Sets a up, empty; its first chunk (first_size bytes of data, taken at the first allocation)
 * is the one a reset keeps. */
void arena_init(struct arena *a, size_t first_size);

/* n bytes aligned for any type, valid until the next arena_reset or arena_free; NULL when out of
 * memory (a is unchanged). */
void *arena_alloc(struct arena *a, size_t n);

/* A copy of the n bytes at s with a NUL after them, in a; NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* A copy of the string s in a; NULL when out of memory. */
char *arena_strdup(struct arena *a, const char *s);

/* Gives back everything allocated from a: chunks after the first are freed, the first is kept
 * for the next use. */
void arena_reset(struct arena *a);

/* Frees every chunk; a is empty (and may be used again). */
void arena_free(struct arena *a);

/* Bytes of chunk data a holds (used or not). */
size_t arena_held(const struct arena *a);

#endif
