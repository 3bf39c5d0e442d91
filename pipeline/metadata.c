/*
 * metadata: the --metadata JSON record (see metadata.h, and docs/metadata.md for every field).
 */
#include "pipeline/metadata.h"

#include "lib/isotime.h"
#include "pipeline/input.h"
#include "lib/utf8text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ares.h>
#include <csv.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <zstd.h>

/* The source revision, `git describe` at build time (cmake/revision.cmake, the one --version
 * prints); "unknown" (null in the record) when built outside a git checkout. */
#include "mtasts_revision.h"

#define METADATA_FORMAT_VERSION 1

const char *metadata_status_str(enum metadata_status s)
{
    switch (s) {
    case METADATA_RUNNING: return "running";
    case METADATA_COMPLETED: return "completed";
    case METADATA_INTERRUPTED: return "interrupted";
    case METADATA_FAILED: return "failed";
    }
    return "unknown";
}

void metadata_init(struct metadata *m, const struct config *cfg)
{
    memset(m, 0, sizeof(*m));
    m->cfg = cfg;
    m->status = METADATA_RUNNING;
    m->started = time(NULL);
    m->input_lines = -1;
}

void metadata_reason(struct metadata *m, const char *fmt, ...)
{
    if (m->reason[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->reason, sizeof(m->reason), fmt, ap);
    va_end(ap);
}

/* ---- the JSON writer ---------------------------------------------------------------------- */

/* Writers of one "key": value pair; `first` says whether a comma goes before it. */
struct jw {
    FILE *f;
    int depth;
    int first;
};

static void jw_key(struct jw *w, const char *key)
{
    if (w->depth > 0) /* the outermost value starts the file, without a line break */
        fprintf(w->f, "%s\n%*s", w->first ? "" : ",", 2 * w->depth, "");
    w->first = 0;
    if (key) {
        utf8text_json_string(w->f, key, strlen(key));
        fputs(": ", w->f);
    }
}

static void jw_str(struct jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    if (v)
        utf8text_json_string(w->f, v, strlen(v));
    else
        fputs("null", w->f);
}

/* A string, or null when empty. */
static void jw_str_or_null(struct jw *w, const char *key, const char *v)
{
    jw_str(w, key, v && v[0] ? v : NULL);
}

static void jw_ulong(struct jw *w, const char *key, unsigned long long v)
{
    jw_key(w, key);
    fprintf(w->f, "%llu", v);
}

static void jw_num(struct jw *w, const char *key, double v)
{
    jw_key(w, key);
    fprintf(w->f, "%.15g", v);
}

static void jw_bool(struct jw *w, const char *key, int v)
{
    jw_key(w, key);
    fputs(v ? "true" : "false", w->f);
}

static void jw_null(struct jw *w, const char *key)
{
    jw_key(w, key);
    fputs("null", w->f);
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
    jw_key(w, key);
    fputc(bracket, w->f);
    w->depth++;
    w->first = 1;
}

static void jw_close(struct jw *w, char bracket)
{
    w->depth--;
    if (!w->first)
        fprintf(w->f, "\n%*s", 2 * w->depth, "");
    fputc(bracket, w->f);
    w->first = 0;
}

static void jw_time(struct jw *w, const char *key, time_t t)
{
    char buf[32];
    if (isotime_format(t, buf, sizeof(buf))[0] == '\0') {
        jw_null(w, key);
        return;
    }
    jw_str(w, key, buf);
}

/* ---- the record's sections ---------------------------------------------------------------- */

static void write_tool(struct jw *w)
{
    jw_open(w, "tool", '{');
    jw_str(w, "name", "mtasts-scan");
    jw_str(w, "version", MTASTS_VERSION);
    jw_str_or_null(w, "revision", strcmp(MTASTS_REVISION, "unknown") == 0 ? "" : MTASTS_REVISION);
    jw_close(w, '}');
    char csv_version[32];
    snprintf(csv_version, sizeof(csv_version), "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
    jw_open(w, "libraries", '{');
    jw_str(w, "libevent", event_get_version());
    jw_str(w, "c-ares", ares_version(NULL));
    jw_str(w, "openssl", OpenSSL_version(OPENSSL_VERSION));
    jw_str(w, "zstd", ZSTD_versionString());
    jw_str(w, "libcsv", csv_version);
    jw_close(w, '}');
}

static void write_options(struct jw *w, const struct config *cfg)
{
    jw_open(w, "command_line", '[');
    for (int i = 0; cfg->argv && i < cfg->argc; i++)
        jw_str(w, NULL, cfg->argv[i]);
    jw_close(w, ']');
    struct config_value vals[CONFIG_VALUES_MAX];
    size_t n = config_values(cfg, vals, sizeof(vals) / sizeof(vals[0]));
    if (n > sizeof(vals) / sizeof(vals[0]))
        n = sizeof(vals) / sizeof(vals[0]); /* test_metadata keeps the table below the maximum */
    jw_open(w, "options", '{');
    for (size_t i = 0; i < n; i++) {
        switch (vals[i].type) {
        case CONFIG_VALUE_NULL: jw_null(w, vals[i].name); break;
        case CONFIG_VALUE_STRING: jw_str(w, vals[i].name, vals[i].str); break;
        case CONFIG_VALUE_NUMBER: jw_num(w, vals[i].name, vals[i].num); break;
        case CONFIG_VALUE_BOOL: jw_bool(w, vals[i].name, vals[i].flag); break;
        }
    }
    jw_close(w, '}');
}

/* The servers c-ares reads from the system configuration when --resolver is not given. */
static void write_system_resolvers(struct jw *w)
{
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        char addr[256];
        if (sscanf(line, " nameserver %255s", addr) == 1)
            jw_str(w, NULL, addr);
    }
    if (f)
        fclose(f);
}

static void write_resolvers(struct jw *w, const struct config *cfg)
{
    jw_open(w, "resolvers", '{');
    jw_str(w, "source", cfg->resolvers[0] ? "option" : "system");
    jw_open(w, "servers", '[');
    if (cfg->resolvers[0]) {
        const char *p = cfg->resolvers;
        while (*p) {
            size_t n = strcspn(p, ",");
            jw_key(w, NULL);
            utf8text_json_string(w->f, p, n);
            p += n + (p[n] == ',');
        }
    } else
        write_system_resolvers(w);
    jw_close(w, ']');
    jw_close(w, '}');
}

static void write_input(struct jw *w, const struct metadata *m)
{
    const struct config *cfg = m->cfg;
    jw_open(w, "input", '{');
    jw_str(w, "path", strcmp(cfg->input, "-") == 0 ? "-" : cfg->input);
    jw_str_or_null(w, "list_id", cfg->list_id);
    jw_str_or_null(w, "sha256", m->input_sha256);
    jw_ulong(w, "bytes", m->input_bytes);
    if (m->input_lines >= 0)
        jw_ulong(w, "lines_read", (unsigned long long)m->input_lines);
    else
        jw_null(w, "lines_read");
    jw_bool(w, "read_complete", m->input_read_complete);
    jw_close(w, '}');
    jw_open(w, "shard", '{');
    jw_ulong(w, "index", (unsigned long long)cfg->shard_index);
    jw_ulong(w, "count", (unsigned long long)cfg->shard_count);
    jw_close(w, '}');
}

static void write_counts(struct jw *w, const struct metadata *m)
{
    jw_open(w, "counts", '{');
    jw_ulong(w, "entries", m->entries);
    jw_ulong(w, "started", m->started_domains);
    jw_ulong(w, "rows", m->rows);
    jw_ulong(w, "skipped_shard", m->skipped_shard);
    jw_ulong(w, "skipped_resume", m->skipped_resume);
    jw_open(w, "verdicts", '{');
    for (int v = 0; v < VERDICT__COUNT; v++)
        jw_ulong(w, verdict_str((enum verdict)v), m->by_verdict ? m->by_verdict[v] : 0);
    jw_close(w, '}');
    jw_close(w, '}');
    jw_open(w, "dns", '{');
    jw_ulong(w, "sent", m->dns ? m->dns->sent : 0);
    jw_ulong(w, "answered", m->dns ? m->dns->answered : 0);
    jw_ulong(w, "failed", m->dns ? m->dns->failed : 0);
    jw_ulong(w, "timed_out", m->dns ? m->dns->timed_out : 0);
    jw_ulong(w, "queued_peak", m->dns ? m->dns->queued_peak : 0);
    jw_close(w, '}');
    jw_open(w, "dnssec", '{');
    if (m->dnssec_probed)
        jw_str(w, "probe", dns_status_str(m->dnssec_probe));
    else
        jw_null(w, "probe");
    if (m->dnssec_probed && m->dnssec_validation != DNS_VALIDATION_UNKNOWN)
        jw_bool(w, "resolver_validates", m->dnssec_validation == DNS_VALIDATION_YES);
    else
        jw_null(w, "resolver_validates");
    jw_close(w, '}');
    jw_open(w, "https", '{');
    jw_ulong(w, "fetches", m->https_fetches);
    jw_close(w, '}');
    jw_open(w, "smtp", '{');
    jw_ulong(w, "hosts_resolved", m->smtp ? m->smtp->hosts_resolved : 0);
    jw_ulong(w, "probes_started", m->smtp ? m->smtp->probes_started : 0);
    jw_ulong(w, "probes_done", m->smtp ? m->smtp->probes_done : 0);
    jw_ulong(w, "cache_hits", m->smtp ? m->smtp->cache_hits : 0);
    jw_close(w, '}');
}

int metadata_write_json(const struct metadata *m, FILE *f)
{
    struct jw w = {.f = f, .depth = 0, .first = 1};
    char host[256] = "";
    if (gethostname(host, sizeof(host)) != 0)
        host[0] = '\0';
    host[sizeof(host) - 1] = '\0';
    jw_open(&w, NULL, '{');
    jw_str(&w, "format", "mtasts-scan-metadata");
    jw_ulong(&w, "format_version", METADATA_FORMAT_VERSION);
    jw_str(&w, "status", metadata_status_str(m->status));
    jw_str_or_null(&w, "reason", m->reason);
    if (m->status == METADATA_RUNNING)
        jw_null(&w, "exit_status");
    else
        jw_ulong(&w, "exit_status", (unsigned long long)m->exit_status);
    write_tool(&w);
    jw_str_or_null(&w, "host", host);
    jw_open(&w, "time", '{');
    jw_time(&w, "started", m->started);
    jw_time(&w, "ended", m->ended);
    if (m->ended)
        jw_num(&w, "duration_sec", (double)(long)(m->duration_sec * 1000 + 0.5) / 1000);
    else
        jw_null(&w, "duration_sec");
    jw_close(&w, '}');
    write_options(&w, m->cfg);
    write_resolvers(&w, m->cfg);
    write_input(&w, m);
    write_counts(&w, m);
    jw_close(&w, '}');
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

/* Writes the record to the open descriptor fd and closes it (sync first when it is a work file
 * about to replace the record).  0, or -1 with errno set. */
static int write_fd(const struct metadata *m, int fd, int sync)
{
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int bad = metadata_write_json(m, f) != 0 || fflush(f) != 0;
    int saved = errno;
    if (!bad && sync && fsync(fd) != 0 && errno != EINVAL) {
        bad = 1;
        saved = errno;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    errno = saved ? saved : EIO;
    return bad ? -1 : 0;
}

int metadata_write(const struct metadata *m, const char *path, char *err, size_t errlen)
{
    struct stat st;
    char tmp[4096], *target = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "writing %s: %s", path, strerror(EISDIR));
        return -1;
    }
    /* A device or a FIFO (/dev/null, a pipe to a collector) is written in place, as -o writes
     * them: renaming a file over it would replace the device itself. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || write_fd(m, fd, 0) != 0) {
            snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    /* A symlink is replaced through its target, as for the outputs (output/zwriter.h). */
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && (target = realpath(path, NULL)) != NULL)
        path = target;
    int ret = -1;
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        snprintf(err, errlen, "writing %s: path too long", path);
        goto done;
    }
    /* The work file is one this run creates: a regular file left by a write that was killed is
     * removed first; a symlink or anything else planted there is refused, never followed. */
    if (lstat(tmp, &lst) == 0) {
        if (!S_ISREG(lst.st_mode)) {
            snprintf(err, errlen, "writing %s: %s exists and is not a regular file (a symlink is "
                                  "never followed there): move it away", path, tmp);
            goto done;
        }
        (void)unlink(tmp);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (write_fd(m, fd, 1) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    ret = 0;
done:
    free(target);
    return ret;
}
