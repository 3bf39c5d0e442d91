/*
 * paths: a command's written and read files checked against each other (see paths.h).
 */
#include "pipeline/paths.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/zwriter.h"

void paths_add(struct paths *p, const char *option, const char *path, enum paths_work kind)
{
    if (path == NULL || p->n >= PATHS_MAX)
        return;
    p->item[p->n++] = (struct paths_item){option, path, kind};
}

/* The directory of path resolved (realpath) into buf plus its last component in *base; -1 when
 * the directory does not exist. */
static int split_resolved(const char *path, char *buf, size_t size, const char **base)
{
    char a[PATH_MAX], b[PATH_MAX], real[PATH_MAX];
    if (strlen(path) >= sizeof(a))
        return -1;
    strcpy(a, path);
    strcpy(b, path);
    const char *dir = dirname(a);
    *base = basename(b);
    if (realpath(dir, real) == NULL)
        return -1;
    int n = snprintf(buf, size, "%s/%s", real, *base);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

int paths_same(const char *a, const char *b)
{
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb)
        return 0; /* one exists, the other not: two files */
    if (strcmp(a, b) == 0)
        return 1;
    char ra[PATH_MAX + 8], rb[PATH_MAX + 8];
    const char *ba, *bb;
    return split_resolved(a, ra, sizeof(ra), &ba) == 0 && split_resolved(b, rb, sizeof(rb), &bb) == 0 &&
           strcmp(ra, rb) == 0;
}

/* The work-file name of a written item into buf ("" when it has none). */
static const char *work_name(const struct paths_item *it, char *buf, size_t size)
{
    buf[0] = '\0';
    if (strcmp(it->path, "-") == 0)
        return buf;
    if (it->kind == PATHS_WRITE_PARTIAL) {
        if (zwriter_partial_path(it->path, buf, size) == NULL)
            buf[0] = '\0';
    } else if (it->kind == PATHS_WRITE_TMP && (size_t)snprintf(buf, size, "%s.tmp", it->path) >= size)
        buf[0] = '\0';
    return buf;
}

int paths_check(const struct paths *p, const char *prog, FILE *err)
{
    for (int i = 0; i < p->n; i++) {
        const struct paths_item *a = &p->item[i];
        char wa[PATH_MAX];
        const char *na[2] = {a->path, work_name(a, wa, sizeof(wa))};
        for (int j = 0; j < i; j++) {
            const struct paths_item *b = &p->item[j];
            if (a->kind == PATHS_READ && b->kind == PATHS_READ)
                continue; /* reading one file twice harms nothing */
            char wb[PATH_MAX];
            const char *nb[2] = {b->path, work_name(b, wb, sizeof(wb))};
            for (int x = 0; x < 2; x++)
                for (int y = 0; y < 2; y++) {
                    if (!na[x][0] || !nb[y][0] || (x == 1 && a->kind == PATHS_READ) ||
                        (y == 1 && b->kind == PATHS_READ) || !paths_same(na[x], nb[y]))
                        continue;
                    const struct paths_item *w = b->kind != PATHS_READ ? b : a; /* to rename */
                    fprintf(err, "%s: %s%s and %s%s name the same file %s: %s; give %s another name\n",
                            prog, b->option, y ? " (its work file)" : "", a->option,
                            x ? " (its work file)" : "", na[x],
                            a->kind == PATHS_READ || b->kind == PATHS_READ
                                ? "a file the run reads is never written"
                                : "each output needs its own file",
                            w->option);
                    return -1;
                }
        }
    }
    return 0;
}
