/*
 * progress: formats the status line: done/total, rate, ETA, in flight, DNS/HTTPS/SMTP work,
 * verdict counts.  Each field is a segment with a rank; on a narrow terminal the segments of
 * highest rank go first, so an 80-column line keeps progress, rate and ETA.
 */
#include "pipeline/progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SEG_MAX (8 + VERDICT__COUNT)

struct segment {
    char text[96];
    int rank; /* dropped in decreasing rank order when the line is too wide */
};

static void seg_add(struct segment *s, size_t *n, int rank, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void seg_add(struct segment *s, size_t *n, int rank, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s[*n].text, sizeof(s[*n].text), fmt, ap);
    va_end(ap);
    s[(*n)++].rank = rank;
}

static size_t segments(const struct progress_view *v, struct segment *s)
{
    size_t n = 0;
    double rate = v->elapsed_sec > 0 ? (double)v->done / v->elapsed_sec : 0;
    if (v->total)
        seg_add(s, &n, 0, "%.0fs %lu/%lu (%.1f%%) done", v->elapsed_sec, v->done, v->total,
                100.0 * (double)v->done / (double)v->total);
    else
        seg_add(s, &n, 0, "%.0fs %lu done", v->elapsed_sec, v->done);
    seg_add(s, &n, 1, ", %.0f/s", rate);
    if (v->total && rate > 0 && v->total > v->done)
        seg_add(s, &n, 2, ", ETA %.0fs", (double)(v->total - v->done) / rate);
    seg_add(s, &n, 4, ", %lu in flight", v->in_flight);
    seg_add(s, &n, 5, " | dns %lu sent %lu timeouts", v->dns_sent, v->dns_timeouts);
    seg_add(s, &n, 6, " | https %lu", v->https_fetches);
    seg_add(s, &n, 6, " | smtp %lu", v->smtp_probes);
    int first = 1;
    for (int i = 0; i < VERDICT__COUNT; i++)
        if (v->by_verdict && v->by_verdict[i]) {
            /* verdicts rank after the stage counters except the most common few: rank 3 keeps
             * the first one (in table order) up to the end */
            seg_add(s, &n, first ? 3 : 7 + i, "%s%s %lu", first ? " | " : " ",
                    verdict_str((enum verdict)i), v->by_verdict[i]);
            first = 0;
        }
    return n;
}

size_t progress_format(char *buf, size_t len, const struct progress_view *v, int width)
{
    struct segment s[SEG_MAX];
    size_t n = segments(v, s), total = 0;
    int keep[SEG_MAX];
    for (size_t i = 0; i < n; i++) {
        keep[i] = 1;
        total += strlen(s[i].text);
    }
    size_t limit = width > 1 ? (size_t)width - 1 : (width == 1 ? 1 : (size_t)-1);
    /* drop the segment of highest rank (the last one of that rank first) until it fits */
    while (total > limit) {
        int worst = -1;
        for (size_t i = 1; i < n; i++)
            if (keep[i] && (worst < 0 || s[i].rank >= s[worst].rank))
                worst = (int)i;
        if (worst < 0)
            break;
        keep[worst] = 0;
        total -= strlen(s[worst].text);
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        if (!keep[i])
            continue;
        size_t k = strlen(s[i].text);
        if (k > len - used - 1)
            k = len - used - 1;
        memcpy(buf + used, s[i].text, k);
        used += k;
        buf[used] = '\0';
    }
    if (used > limit) { /* the first segment alone is too wide: cut it */
        used = limit;
        buf[used] = '\0';
    }
    return used;
}

int progress_term_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long w = c ? strtol(c, NULL, 10) : 0;
    return w > 0 && w < 10000 ? (int)w : 80;
}

void progress_print(FILE *f, const struct progress_view *v, int in_place)
{
    char line[1024];
    int fd = fileno(f);
    progress_format(line, sizeof(line), v, fd >= 0 && isatty(fd) ? progress_term_width(fd) : 0);
    fprintf(f, "%s%s%s", in_place ? "\r\033[K" : "", line, in_place ? "" : "\n");
    fflush(f);
}
