/*
 * metadata: the --metadata JSON record (see metadata.h, and docs/metadata.md for every field).
 */
#include "pipeline/metadata.h"

#include "lib/jsonw.h"
#include "pipeline/input.h"

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

#include "lib/enumname.h"

/* The source revision, `git describe` at build time (cmake/revision.cmake, the one --version
 * prints); "unknown" (null in the record) when built outside a git checkout. */
#include "mtasts_revision.h"

#define METADATA_FORMAT_VERSION 1

static const struct enum_name metadata_status_names[] = {
    {METADATA_RUNNING, "running"},
    {METADATA_COMPLETED, "completed"},
    {METADATA_INTERRUPTED, "interrupted"},
    {METADATA_FAILED, "failed"},
};
ENUM_NAMES_DEFINE(metadata_status, enum metadata_status, METADATA_STATUS__COUNT, "unknown")

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

/* A string, or null when empty. */
static void str_or_null(struct jsonw *w, const char *key, const char *v)
{
    jsonw_string(w, key, v && v[0] ? v : NULL);
}

/* ---- the record's sections ---------------------------------------------------------------- */

static void write_tool(struct jsonw *w)
{
    jsonw_object(w, "tool");
    jsonw_string(w, "name", "mtasts-scan");
    jsonw_string(w, "version", MTASTS_VERSION);
    str_or_null(w, "revision", strcmp(MTASTS_REVISION, "unknown") == 0 ? "" : MTASTS_REVISION);
    jsonw_end(w);
    char csv_version[32];
    snprintf(csv_version, sizeof(csv_version), "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
    jsonw_object(w, "libraries");
    jsonw_string(w, "libevent", event_get_version());
    jsonw_string(w, "c-ares", ares_version(NULL));
    jsonw_string(w, "openssl", OpenSSL_version(OPENSSL_VERSION));
    jsonw_string(w, "zstd", ZSTD_versionString());
    jsonw_string(w, "libcsv", csv_version);
    jsonw_end(w);
}

static void write_options(struct jsonw *w, const struct config *cfg)
{
    jsonw_array(w, "command_line");
    for (int i = 0; cfg->argv && i < cfg->argc; i++)
        jsonw_string(w, NULL, cfg->argv[i]);
    jsonw_end(w);
    struct config_value vals[CONFIG_VALUES_MAX];
    size_t n = config_values(cfg, vals, sizeof(vals) / sizeof(vals[0]));
    if (n > sizeof(vals) / sizeof(vals[0]))
        n = sizeof(vals) / sizeof(vals[0]); /* test_metadata keeps the table below the maximum */
    jsonw_object(w, "options");
    for (size_t i = 0; i < n; i++) {
        switch (vals[i].type) {
        case CONFIG_VALUE_NULL: jsonw_null(w, vals[i].name); break;
        case CONFIG_VALUE_STRING: jsonw_string(w, vals[i].name, vals[i].str); break;
        case CONFIG_VALUE_NUMBER: jsonw_double(w, vals[i].name, vals[i].num); break;
        case CONFIG_VALUE_BOOL: jsonw_bool(w, vals[i].name, vals[i].flag); break;
        }
    }
    jsonw_end(w);
}

/* The servers c-ares reads from the system configuration when --resolver is not given. */
static void write_system_resolvers(struct jsonw *w)
{
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        char addr[256];
        if (sscanf(line, " nameserver %255s", addr) == 1)
            jsonw_string(w, NULL, addr);
    }
    if (f)
        fclose(f);
}

static void write_resolvers(struct jsonw *w, const struct config *cfg)
{
    jsonw_object(w, "resolvers");
    jsonw_string(w, "source", cfg->resolvers[0] ? "option" : "system");
    jsonw_array(w, "servers");
    if (cfg->resolvers[0]) {
        const char *p = cfg->resolvers;
        while (*p) {
            size_t n = strcspn(p, ",");
            jsonw_string_len(w, NULL, p, n);
            p += n + (p[n] == ',');
        }
    } else
        write_system_resolvers(w);
    jsonw_end(w);
    jsonw_end(w);
}

static void write_input(struct jsonw *w, const struct metadata *m)
{
    const struct config *cfg = m->cfg;
    jsonw_object(w, "input");
    jsonw_string(w, "path", strcmp(cfg->input, "-") == 0 ? "-" : cfg->input);
    str_or_null(w, "list_id", cfg->list_id);
    str_or_null(w, "sha256", m->input_sha256);
    jsonw_ulong(w, "bytes", m->input_bytes);
    if (m->input_lines >= 0)
        jsonw_ulong(w, "lines_read", (unsigned long long)m->input_lines);
    else
        jsonw_null(w, "lines_read");
    jsonw_bool(w, "read_complete", m->input_read_complete);
    jsonw_end(w);
    jsonw_object(w, "shard");
    jsonw_ulong(w, "index", (unsigned long long)cfg->shard_index);
    jsonw_ulong(w, "count", (unsigned long long)cfg->shard_count);
    jsonw_end(w);
}

static void write_counts(struct jsonw *w, const struct metadata *m)
{
    jsonw_object(w, "counts");
    jsonw_ulong(w, "entries", m->entries);
    jsonw_ulong(w, "started", m->started_domains);
    jsonw_ulong(w, "rows", m->rows);
    jsonw_ulong(w, "skipped_shard", m->skipped_shard);
    jsonw_ulong(w, "skipped_resume", m->skipped_resume);
    jsonw_object(w, "verdicts");
    for (int v = 0; v < VERDICT__COUNT; v++)
        jsonw_ulong(w, verdict_str((enum verdict)v), m->by_verdict ? m->by_verdict[v] : 0);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_object(w, "dns");
    jsonw_ulong(w, "sent", m->dns ? m->dns->sent : 0);
    jsonw_ulong(w, "answered", m->dns ? m->dns->answered : 0);
    jsonw_ulong(w, "failed", m->dns ? m->dns->failed : 0);
    jsonw_ulong(w, "timed_out", m->dns ? m->dns->timed_out : 0);
    jsonw_ulong(w, "queued_peak", m->dns ? m->dns->queued_peak : 0);
    jsonw_end(w);
    jsonw_object(w, "dnssec");
    if (m->dnssec_probed)
        jsonw_string(w, "probe", dns_status_str(m->dnssec_probe));
    else
        jsonw_null(w, "probe");
    if (m->dnssec_probed && m->dnssec_validation != DNS_VALIDATION_UNKNOWN)
        jsonw_bool(w, "resolver_validates", m->dnssec_validation == DNS_VALIDATION_YES);
    else
        jsonw_null(w, "resolver_validates");
    jsonw_end(w);
    jsonw_object(w, "https");
    jsonw_ulong(w, "fetches", m->https_fetches);
    jsonw_end(w);
    jsonw_object(w, "smtp");
    jsonw_ulong(w, "hosts_resolved", m->smtp ? m->smtp->hosts_resolved : 0);
    jsonw_ulong(w, "probes_started", m->smtp ? m->smtp->probes_started : 0);
    jsonw_ulong(w, "probes_done", m->smtp ? m->smtp->probes_done : 0);
    jsonw_ulong(w, "cache_hits", m->smtp ? m->smtp->cache_hits : 0);
    jsonw_end(w);
}

int metadata_write_json(const struct metadata *m, FILE *f)
{
    struct jsonw w;
    jsonw_init(&w, f, JSONW_LINES);
    char host[256] = "";
    if (gethostname(host, sizeof(host)) != 0)
        host[0] = '\0';
    host[sizeof(host) - 1] = '\0';
    jsonw_object(&w, NULL);
    jsonw_string(&w, "format", "mtasts-scan-metadata");
    jsonw_ulong(&w, "format_version", METADATA_FORMAT_VERSION);
    jsonw_string(&w, "status", metadata_status_str(m->status));
    str_or_null(&w, "reason", m->reason);
    if (m->status == METADATA_RUNNING)
        jsonw_null(&w, "exit_status");
    else
        jsonw_ulong(&w, "exit_status", (unsigned long long)m->exit_status);
    write_tool(&w);
    str_or_null(&w, "host", host);
    jsonw_object(&w, "time");
    jsonw_time(&w, "started", m->started);
    jsonw_time(&w, "ended", m->ended);
    if (m->ended)
        jsonw_double(&w, "duration_sec", (double)(long)(m->duration_sec * 1000 + 0.5) / 1000);
    else
        jsonw_null(&w, "duration_sec");
    jsonw_end(&w);
    write_options(&w, m->cfg);
    write_resolvers(&w, m->cfg);
    write_input(&w, m);
    write_counts(&w, m);
    jsonw_end(&w);
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
