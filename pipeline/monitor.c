/*
 * monitor: the string arena, the compact index of the old scan, the MX certificate map and the
 * monitor itself (rules -> changes CSV, counts, --fail-on).  The `diff` command line that drives
 * it over two files is commands/diff.c.
 */
#include "pipeline/monitor.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/csvin.h"
#include "output/csvout.h"
#include "lib/growbuf.h"
#include "lib/strhash.h"

#define ARENA_CHUNK (1u << 20)
#define ENTRY_BLOCK 65536 /* entries per block: the index grows without reallocating them */
#define REPORT_MAX 20

/* ---- string arena: strings live until the arena is freed ---- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

struct arena {
    struct arena_chunk *head;
};

/* A copy of s in the arena ("" is not copied); NULL on out-of-memory. */
static const char *arena_str(struct arena *a, const char *s)
{
    if (s[0] == '\0')
        return "";
    size_t len = strlen(s) + 1;
    struct arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < len) {
        size_t cap = len > ARENA_CHUNK / 4 ? len : ARENA_CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->used = 0;
        c->cap = cap;
        if (len > ARENA_CHUNK / 4 && a->head) { /* a big string: keep filling the current chunk */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    char *p = c->data + c->used;
    memcpy(p, s, len);
    c->used += len;
    return p;
}

static void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* ---- index: open addressing over entry numbers (1-based; 0 = empty slot) ---- */

struct table {
    uint32_t *slot;
    size_t cap; /* power of two */
    size_t n;
};

typedef const char *(*key_fn)(const void *owner, uint32_t i);

/* The slot holding key, or the empty slot where it would go. */
static uint32_t *table_find(const struct table *t, const char *key, key_fn kf, const void *owner)
{
    size_t mask = t->cap - 1;
    for (size_t h = strhash(key) & mask;; h = (h + 1) & mask)
        if (t->slot[h] == 0 || strcmp(kf(owner, t->slot[h]), key) == 0)
            return &t->slot[h];
}

/* Makes room for one more entry (load <= 1/2). */
static int table_reserve(struct table *t, key_fn kf, const void *owner)
{
    if (t->cap && (t->n + 1) * 2 <= t->cap)
        return 0;
    struct table nt = {NULL, t->cap ? t->cap * 2 : 1024, t->n};
    nt.slot = calloc(nt.cap, sizeof(*nt.slot));
    if (nt.slot == NULL)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i])
            *table_find(&nt, kf(owner, t->slot[i]), kf, owner) = t->slot[i];
    free(t->slot);
    *t = nt;
    return 0;
}

/* What the rules need of one old row: about 90 bytes plus its strings. */
struct monitor_old {
    const char *domain, *sts_id, *policy_sha256, *mx, *policy_mx, *tlsrpt_rua;
    long rank, max_age;
    time_t scanned_at, cert, testing_since;
    uint8_t verdict, txt, policy_status, mode, tlsrpt, mx_answered, incomplete, seen;
};

struct old_index {
    struct monitor_old **block;
    size_t n_blocks, n;
    struct table t;
    struct arena strings;
};

static struct monitor_old *old_at(const struct old_index *x, uint32_t i)
{
    return &x->block[(i - 1) / ENTRY_BLOCK][(i - 1) % ENTRY_BLOCK];
}

static const char *old_key(const void *owner, uint32_t i)
{
    return old_at(owner, i)->domain;
}

/* Copies the compared fields of r into e.  -1 on out-of-memory. */
static int old_fill(struct old_index *x, struct monitor_old *e, const struct domain_result *r)
{
    struct changes_view v;
    changes_view_from_result(&v, r);
    e->domain = arena_str(&x->strings, v.domain);
    e->sts_id = arena_str(&x->strings, v.sts_id);
    e->policy_sha256 = arena_str(&x->strings, v.policy_sha256);
    e->mx = arena_str(&x->strings, v.mx);
    e->policy_mx = arena_str(&x->strings, v.policy_mx);
    e->tlsrpt_rua = arena_str(&x->strings, v.tlsrpt_rua);
    if (!e->domain || !e->sts_id || !e->policy_sha256 || !e->mx || !e->policy_mx || !e->tlsrpt_rua)
        return -1;
    e->rank = v.rank;
    e->max_age = v.policy_max_age;
    e->scanned_at = v.scanned_at;
    e->cert = v.policy_cert_not_after;
    e->testing_since = v.testing_since;
    e->verdict = (uint8_t)v.verdict;
    e->txt = (uint8_t)v.txt_status;
    e->policy_status = (uint8_t)v.policy_status;
    e->mode = (uint8_t)v.policy_mode;
    e->tlsrpt = (uint8_t)v.tlsrpt_status;
    e->mx_answered = (uint8_t)v.mx_answered;
    e->incomplete = (uint8_t)v.incomplete;
    e->seen = 0;
    return 0;
}

static void old_view(const struct monitor_old *e, struct changes_view *v)
{
    memset(v, 0, sizeof(*v));
    v->domain = e->domain;
    v->rank = e->rank;
    v->scanned_at = e->scanned_at;
    v->testing_since = e->testing_since;
    v->verdict = (enum verdict)e->verdict;
    v->txt_status = (enum txt_status)e->txt;
    v->sts_id = e->sts_id;
    v->policy_status = (enum policy_status)e->policy_status;
    v->policy_mode = (enum policy_mode)e->mode;
    v->policy_max_age = e->max_age;
    v->policy_mx = e->policy_mx;
    v->policy_sha256 = e->policy_sha256;
    v->mx = e->mx;
    v->mx_answered = e->mx_answered;
    v->tlsrpt_status = (enum txt_status)e->tlsrpt;
    v->tlsrpt_rua = e->tlsrpt_rua;
    v->policy_cert_not_after = e->cert;
    v->incomplete = e->incomplete;
}

/* Adds (or, for a domain seen before, replaces) r.  1 = replaced, 0 = added, -1 = OOM. */
static int old_add(struct old_index *x, const struct domain_result *r)
{
    if (table_reserve(&x->t, old_key, x) != 0)
        return -1;
    uint32_t *slot = table_find(&x->t, r->domain, old_key, x);
    if (*slot)
        return old_fill(x, old_at(x, *slot), r) == 0 ? 1 : -1;
    if (x->n == x->n_blocks * ENTRY_BLOCK) {
        struct monitor_old **b = realloc(x->block, (x->n_blocks + 1) * sizeof(*b));
        if (b == NULL)
            return -1;
        x->block = b;
        if ((b[x->n_blocks] = malloc(ENTRY_BLOCK * sizeof(struct monitor_old))) == NULL)
            return -1;
        x->n_blocks++;
    }
    if (x->n >= UINT32_MAX - 1 || old_fill(x, old_at(x, (uint32_t)x->n + 1), r) != 0)
        return -1;
    *slot = (uint32_t)++x->n;
    x->t.n++;
    return 0;
}

static struct monitor_old *old_lookup(const struct old_index *x, const char *domain)
{
    if (x->t.cap == 0)
        return NULL;
    uint32_t i = *table_find(&x->t, domain, old_key, x);
    return i ? old_at(x, i) : NULL;
}

static void old_free(struct old_index *x)
{
    for (size_t i = 0; i < x->n_blocks; i++)
        free(x->block[i]);
    free(x->block);
    free(x->t.slot);
    arena_free(&x->strings);
}

/* ---- MX certificates: host -> earliest expiry ---- */

struct mx_cert {
    const char *host;
    time_t not_after;
};

struct mx_certs {
    struct mx_cert *v;
    size_t n, cap;
    struct table t;
    struct arena strings;
};

static const char *mx_key(const void *owner, uint32_t i)
{
    return ((const struct mx_certs *)owner)->v[i - 1].host;
}

static void lower(char *dst, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        dst[i] = (char)tolower((unsigned char)s[i]);
    dst[i] = '\0';
}

static int mx_certs_add(struct mx_certs *c, const char *host, time_t not_after)
{
    char key[RESULT_NAME_MAX];
    lower(key, sizeof(key), host);
    if (table_reserve(&c->t, mx_key, c) != 0)
        return -1;
    uint32_t *slot = table_find(&c->t, key, mx_key, c);
    if (*slot) {
        struct mx_cert *e = &c->v[*slot - 1];
        if (not_after < e->not_after)
            e->not_after = not_after;
        return 0;
    }
    if (growbuf_reserve(&c->v, &c->cap, c->n + 1, sizeof(*c->v), 256) != 0)
        return -1;
    const char *h = arena_str(&c->strings, key);
    if (h == NULL)
        return -1;
    c->v[c->n].host = h;
    c->v[c->n].not_after = not_after;
    *slot = (uint32_t)++c->n;
    c->t.n++;
    return 0;
}

static time_t mx_certs_get(void *ctx, const char *host)
{
    struct mx_certs *c = ctx;
    if (c->t.cap == 0)
        return 0;
    char key[RESULT_NAME_MAX];
    lower(key, sizeof(key), host);
    uint32_t i = *table_find(&c->t, key, mx_key, c);
    return i ? c->v[i - 1].not_after : 0;
}

static void mx_certs_free(struct mx_certs *c)
{
    free(c->v);
    free(c->t.slot);
    arena_free(&c->strings);
}

/* ---- the monitor ---- */

struct monitor {
    struct old_index old;
    struct old_index pending; /* new rows whose certificate rules wait (monitor_defer_certs) */
    int defer_certs;
    struct mx_certs certs, old_certs; /* NEW's and (diff --old-mx) OLD's MX certificate dates */
    struct changes_opts opts;
    struct changes_failon failon;
    int has_failon;
    struct csvout *out;       /* borrowed */
    FILE *err;
    int write_failed;
    unsigned long by_code[CHANGE__COUNT], by_severity[CHANGE_SEVERITY__COUNT];
    unsigned long rows, failures, old_rows, old_duplicates, new_rows;
    const char *label;          /* what OLD is, before its messages ("mtasts-scan: --previous") */
};

static void on_change(void *ctx, const struct changes_row *row)
{
    struct monitor *m = ctx;
    m->rows++;
    m->by_code[row->change]++;
    m->by_severity[row->severity]++;
    if (m->has_failon && changes_failon_row(&m->failon, row))
        m->failures++;
    if (m->out && !m->write_failed && csvout_write_record(m->out, row) != ZWRITER_OK)
        m->write_failed = 1; /* the writer's sticky error: its owner reports it */
}

int monitor_incomplete(FILE *err, const char *label, const char *path, const char *why,
                      const char *text, int allow)
{
    const char *what = strcmp(why, "work") == 0
                           ? "is a work file (NAME.partial): the rows of a scan that did not finish"
                           : "ends in a cut row or zstd frame: a scan that did not finish";
    if (allow) {
        fprintf(err, "%s: %s %s; --allow-partial: its complete rows are compared\n", label,
                text ? text : path, what);
        return 0;
    }
    fprintf(err, "%s: %s %s, whose missing domains would read as added or removed; give a "
                 "finished table, or --allow-partial to compare its complete rows\n",
            label, text ? text : path, what);
    return -1;
}

/* Reads a whole domain table into the index.  -1 on a fatal error (reported). */
static int load_old(struct monitor *m, const char *path, int allow_partial)
{
    if (zwriter_is_partial_path(path) && monitor_incomplete(m->err, m->label, path, "work", NULL, allow_partial) != 0)
        return -1;
    struct csvin_error e;
    struct csvin *in = csvin_open(path, SCHEMA_DOMAIN, &e);
    struct domain_result *r = malloc(sizeof(*r));
    if (in == NULL || r == NULL) {
        fprintf(m->err, "%s: %s\n", m->label, in == NULL ? e.text : "out of memory");
        csvin_close(in);
        free(r);
        return -1;
    }
    int rc, ret = 0;
    while ((rc = csvin_next(in, r)) == 1) {
        m->old_rows++;
        int a = old_add(&m->old, r);
        if (a < 0) {
            fprintf(m->err, "%s: %s: out of memory after %lu rows\n", m->label, path, m->old_rows);
            ret = -1;
            break;
        }
        if (a == 1 && m->old_duplicates++ < REPORT_MAX)
            fprintf(m->err, "%s: %s line %ld: domain %s again: the later row is compared\n",
                    m->label, path, csvin_line(in), r->domain);
    }
    if (rc < 0 && ret == 0) {
        const struct csvin_error *ce = csvin_error(in);
        if (ce->status == CSVIN_ERR_TRUNCATED)
            ret = monitor_incomplete(m->err, m->label, path, "cut", ce->text, allow_partial);
        else {
            fprintf(m->err, "%s: %s\n", m->label, ce->text);
            ret = -1;
        }
    }
    csvin_close(in);
    free(r);
    return ret;
}

struct monitor *monitor_open(const char *label, const char *previous, struct csvout *out,
                                       const struct changes_opts *o, const struct changes_failon *f,
                                       int allow_partial, FILE *err)
{
    struct monitor *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        fprintf(err, "%s: out of memory\n", label);
        return NULL;
    }
    m->err = err;
    m->label = label;
    m->opts = *o;
    m->opts.mx_cert = mx_certs_get;
    m->opts.mx_cert_ctx = &m->certs;
    m->opts.old_mx_cert = mx_certs_get;
    m->opts.old_mx_cert_ctx = &m->old_certs;
    if (f) {
        m->failon = *f;
        m->has_failon = 1;
    }
    if (load_old(m, previous, allow_partial) != 0) {
        monitor_free(m);
        return NULL;
    }
    m->out = out;
    return m;
}

void monitor_defer_certs(struct monitor *m)
{
    m->defer_certs = 1;
    m->opts.no_certs = 1;
}

static int note_mx_cert(struct mx_certs *c, const char *host, time_t not_after)
{
    return not_after == 0 ? 0 : mx_certs_add(c, host, not_after);
}

int monitor_mx_cert(struct monitor *m, const char *host, time_t not_after)
{
    return note_mx_cert(&m->certs, host, not_after);
}

int monitor_old_mx_cert(struct monitor *m, const char *host, time_t not_after)
{
    return note_mx_cert(&m->old_certs, host, not_after);
}

void monitor_set_output(struct monitor *m, struct csvout *out)
{
    m->out = out;
}

struct monitor_old *monitor_find(struct monitor *m, const char *domain)
{
    return old_lookup(&m->old, domain);
}

time_t monitor_old_testing_since(const struct monitor_old *old)
{
    struct changes_view ov;
    if (!old)
        return 0;
    old_view(old, &ov);
    return changes_testing_since(NULL, &ov); /* the old row alone: the start of its run */
}

int monitor_domain(struct monitor *m, struct monitor_old *e, const struct domain_result *r)
{
    struct changes_view nv, ov;
    changes_view_from_result(&nv, r);
    if (e) {
        e->seen = 1;
        old_view(e, &ov);
    }
    m->new_rows++;
    changes_detect(e ? &ov : NULL, &nv, &m->opts, on_change, m);
    if (m->defer_certs && !nv.incomplete &&
        (nv.txt_status == TXT_STATUS_OK || nv.policy_cert_not_after != 0) &&
        old_add(&m->pending, r) < 0) {
        fprintf(m->err, "changes: out of memory\n");
        return -2;
    }
    return m->write_failed ? -1 : 0;
}

static void print_summary(struct monitor *m)
{
    fprintf(m->err, "changes: %lu (error %lu, warning %lu, info %lu)", m->rows,
            m->by_severity[CHANGE_SEVERITY_ERROR], m->by_severity[CHANGE_SEVERITY_WARNING],
            m->by_severity[CHANGE_SEVERITY_INFO]);
    const char *sep = ": ";
    for (int c = 0; c < CHANGE__COUNT; c++)
        if (m->by_code[c]) {
            fprintf(m->err, "%s%s %lu", sep, change_code_str((enum change_code)c), m->by_code[c]);
            sep = ", ";
        }
    fprintf(m->err, " [%lu old rows, %lu new rows]\n", m->old_rows, m->new_rows);
}

int monitor_finish(struct monitor *m, int list_removed)
{
    for (size_t i = 1; list_removed && i <= m->old.n; i++) {
        const struct monitor_old *e = old_at(&m->old, (uint32_t)i);
        if (e->seen)
            continue;
        struct changes_view ov;
        old_view(e, &ov);
        changes_detect(&ov, NULL, &m->opts, on_change, m);
    }
    for (size_t i = 1; i <= m->pending.n; i++) {
        struct changes_view nv, ov;
        const struct monitor_old *n = old_at(&m->pending, (uint32_t)i);
        const struct monitor_old *o = old_lookup(&m->old, n->domain);
        old_view(n, &nv);
        if (o)
            old_view(o, &ov);
        changes_detect_certs(o ? &ov : NULL, &nv, &m->opts, on_change, m);
    }
    print_summary(m);
    return m->write_failed ? -1 : 0;
}

unsigned long monitor_failures(const struct monitor *m)
{
    return m->failures;
}

void monitor_free(struct monitor *m)
{
    if (m == NULL)
        return;
    old_free(&m->old);
    old_free(&m->pending);
    mx_certs_free(&m->certs);
    mx_certs_free(&m->old_certs);
    free(m);
}
