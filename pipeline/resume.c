/*
 * resume: an open-addressing hash table of 64-bit key hashes with a count each (linear probing,
 * grown at half full), filled from csvin rows.
 */
#include "pipeline/resume.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/csvin.h"
#include "lib/growbuf.h"
#include "lib/strhash.h"
#include "scanner/result.h"

struct resume {
    uint64_t *keys;    /* 0 = empty slot */
    uint32_t *counts;
    size_t cap;        /* a power of two */
    size_t used;       /* distinct keys */
    size_t rows;       /* rows added */
    int truncated;
    /* resume_load_mx: the MX hosts, and an index of them (entry + 1 per slot, 0 = empty) */
    struct resume_mx_host *mx;
    size_t n_mx, cap_mx;
    uint32_t *mx_index;
    size_t mx_slots;   /* a power of two, at least twice n_mx */
};

/* FNV-1a over the domain and the rank, then a 64-bit finaliser (splitmix64) so that the low bits
 * used as the slot index are well mixed.  0 is reserved for empty slots. */
static uint64_t key_hash(long rank, const char *domain)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)domain; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    uint64_t rk = (uint64_t)rank;
    for (int i = 0; i < 8; i++, rk >>= 8)
        h = (h ^ (rk & 0xff)) * 1099511628211ull;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h ? h : 1;
}

static size_t slot_of(const struct resume *r, uint64_t k)
{
    size_t i = (size_t)k & (r->cap - 1);
    while (r->keys[i] != 0 && r->keys[i] != k)
        i = (i + 1) & (r->cap - 1);
    return i;
}

static int grow(struct resume *r)
{
    size_t cap = r->cap ? 2 * r->cap : 1024;
    struct resume old = *r;
    r->keys = calloc(cap, sizeof(*r->keys));
    r->counts = calloc(cap, sizeof(*r->counts));
    if (r->keys == NULL || r->counts == NULL) {
        free(r->keys);
        free(r->counts);
        *r = old;
        return -1;
    }
    r->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i] == 0)
            continue;
        size_t s = slot_of(r, old.keys[i]);
        r->keys[s] = old.keys[i];
        r->counts[s] = old.counts[i];
    }
    free(old.keys);
    free(old.counts);
    return 0;
}

struct resume *resume_new(void)
{
    struct resume *r = calloc(1, sizeof(*r));
    if (r != NULL && grow(r) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

long resume_add(struct resume *r, long rank, const char *domain)
{
    if (2 * (r->used + 1) > r->cap && grow(r) != 0)
        return -1;
    uint64_t k = key_hash(rank, domain);
    size_t s = slot_of(r, k);
    if (r->keys[s] == 0) {
        r->keys[s] = k;
        r->used++;
    }
    r->rows++;
    long before = r->counts[s];
    if (r->counts[s] < UINT32_MAX)
        r->counts[s]++;
    return before;
}

int resume_take(struct resume *r, long rank, const char *domain)
{
    size_t s = slot_of(r, key_hash(rank, domain));
    if (r->keys[s] == 0)
        return -1;
    if (r->counts[s] == 0)
        return 0;
    r->counts[s]--;
    return 1;
}

const char *resume_entry_domain(enum input_line_kind kind, const struct input_entry *e)
{
    return kind == INPUT_INVALID ? e->raw : e->domain;
}

int resume_take_entry(struct resume *r, enum input_line_kind kind, const struct input_entry *e)
{
    /* the row's domain cell is the record's fixed buffer: cut exactly as the scan cuts it */
    char domain[RESULT_NAME_MAX];
    result_copy(domain, sizeof(domain), resume_entry_domain(kind, e));
    return resume_take(r, e->rank, domain) == 1;
}

/* Counts one row's use of host.  0, or -1 on out of memory. */
static int mx_note(struct resume *r, const char *host, size_t len)
{
    if (len == 0 || len >= RESULT_NAME_MAX)
        return 0;
    char name[RESULT_NAME_MAX];
    memcpy(name, host, len);
    name[len] = '\0';
    if (2 * (r->n_mx + 1) > r->mx_slots) { /* grow and rehash */
        size_t slots = r->mx_slots ? 2 * r->mx_slots : 1024;
        uint32_t *idx = calloc(slots, sizeof(*idx));
        if (idx == NULL)
            return -1;
        for (size_t i = 0; i < r->n_mx; i++) {
            size_t s = strhash(r->mx[i].host) & (slots - 1);
            while (idx[s])
                s = (s + 1) & (slots - 1);
            idx[s] = (uint32_t)(i + 1);
        }
        free(r->mx_index);
        r->mx_index = idx;
        r->mx_slots = slots;
    }
    size_t s = strhash(name) & (r->mx_slots - 1);
    for (; r->mx_index[s]; s = (s + 1) & (r->mx_slots - 1))
        if (strcmp(r->mx[r->mx_index[s] - 1].host, name) == 0) {
            r->mx[r->mx_index[s] - 1].rows++;
            return 0;
        }
    if (growbuf_reserve(&r->mx, &r->cap_mx, r->n_mx + 1, sizeof(*r->mx), 256) != 0)
        return -1;
    char *copy = strdup(name);
    if (copy == NULL)
        return -1;
    r->mx[r->n_mx] = (struct resume_mx_host){copy, 1};
    r->mx_index[s] = (uint32_t)(++r->n_mx);
    return 0;
}

/* The MX hosts a finished row asked for (see resume_load_mx). */
static int mx_note_row(struct resume *r, const struct domain_result *row)
{
    if (row->starttls_status == STARTTLS_NOT_PROBED)
        return 0;
    if (row->mx[0] == '\0') /* the implicit MX: the domain itself was probed */
        return mx_note(r, row->domain, strlen(row->domain));
    for (const char *p = row->mx; *p;) {
        size_t n = strcspn(p, ";");
        if (mx_note(r, p, n) != 0)
            return -1;
        p += n + (p[n] == ';');
    }
    return 0;
}

const struct resume_mx_host *resume_mx_hosts(const struct resume *r, size_t *n)
{
    *n = r->n_mx;
    return r->mx;
}

struct resume *resume_load(const char *path, char *err, size_t errlen)
{
    return resume_load_mx(path, 0, err, errlen);
}

struct resume *resume_load_mx(const char *path, int want_mx, char *err, size_t errlen)
{
    struct resume *r = resume_new();
    struct domain_result *row = malloc(sizeof(*row));
    struct csvin_error e;
    struct csvin *in = r && row ? csvin_open(path, SCHEMA_DOMAIN, &e) : NULL;
    if (in == NULL) {
        snprintf(err, errlen, "resume: %s", r && row ? e.text : "out of memory");
        goto fail;
    }
    int rc;
    while ((rc = csvin_next(in, row)) == 1)
        if (resume_add(r, row->rank, row->domain) < 0 || (want_mx && mx_note_row(r, row) != 0)) {
            snprintf(err, errlen, "resume %s: out of memory", path);
            goto fail;
        }
    enum csvin_status st = csvin_error(in)->status;
    if (rc < 0 && st != CSVIN_ERR_TRUNCATED && st != CSVIN_ERR_EMPTY) {
        snprintf(err, errlen, "resume: %s", csvin_error(in)->text);
        goto fail;
    }
    r->truncated = st == CSVIN_ERR_TRUNCATED;
    csvin_close(in);
    free(row);
    return r;
fail:
    csvin_close(in);
    free(row);
    resume_free(r);
    return NULL;
}

size_t resume_count(const struct resume *r)
{
    return r->rows;
}

int resume_truncated(const struct resume *r)
{
    return r->truncated;
}

void resume_free(struct resume *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_mx; i++)
        free(r->mx[i].host);
    free(r->mx);
    free(r->mx_index);
    free(r->keys);
    free(r->counts);
    free(r);
}
