/* progress: formats the status line: done/total, rate, in flight, ETA, verdict counts. */
#include "pipeline/progress.h"

void progress_print(FILE *f, const struct progress_view *v, int tty)
{
    double rate = v->elapsed_sec > 0 ? (double)v->done / v->elapsed_sec : 0;
    fprintf(f, "%s%6.0fs %lu", tty ? "\r\033[K" : "", v->elapsed_sec, v->done);
    if (v->total)
        fprintf(f, "/%lu (%.1f%%)", v->total, 100.0 * (double)v->done / (double)v->total);
    fprintf(f, " done, %.0f/s, %lu in flight", rate, v->in_flight);
    if (v->total && rate > 0 && v->total > v->done)
        fprintf(f, ", ETA %.0fs", (double)(v->total - v->done) / rate);
    fprintf(f, " | dns %lu sent %lu timeouts | https %lu | smtp %lu |", v->dns_sent,
            v->dns_timeouts, v->https_fetches, v->smtp_probes);
    for (int i = 0; i < VERDICT__COUNT; i++)
        if (v->by_verdict[i])
            fprintf(f, " %s %lu", verdict_str((enum verdict)i), v->by_verdict[i]);
    fputs(tty ? "" : "\n", f);
    fflush(f);
}
