/*
 * config: the option table, and everything it drives.  Each option is one row below: name,
 * short name, argument, the commands that take it (a mask of enum config_command), its type and
 * field in struct config (which give the parser and how the value is read back), range, default
 * and help text.  Parsing of scan, check, diff and merge, each command's --help (defaults printed
 * from the value config_defaults_for sets), the --metadata options (config_values), the refusal
 * of another command's options and docs/options.md (config_print_options_markdown, kept in step by
 * tests/integration/options_docs.sh) all read that table.
 *
 * Adding an option is one row (and its field in struct config): e.g.
 *   {.name = "allow-partial", .cmds = C_SCAN | C_DIFF | C_MERGE, .type = OT_FLAG,
 *    .field = F(allow_partial), .help = "accept a truncated ..."},
 * A row with a type of its own gives .parse (and .value when the field alone does not say it).
 */
#include "pipeline/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <zstd.h>

#include "lib/enumname.h"
#include "mtasts_revision.h" /* generated at build time: MTASTS_REVISION (see CMakeLists.txt) */
#include "output/schema.h"
#include "scanner/classify.h"

static const struct enum_name starttls_mode_names[] = {
    {STARTTLS_MODE_ALL, "all"},
    {STARTTLS_MODE_STS, "sts"},
    {STARTTLS_MODE_NONE, "none"},
};
ENUM_NAMES_DEFINE(starttls_mode, enum starttls_mode, STARTTLS_MODE__COUNT, "unknown")

/* The parsers below return 0, or -1 with `expect` saying in a few words what the option takes
 * (printed as "invalid value 'V' for --NAME: EXPECT"), so the message names the same range the
 * check uses. */

static int parse_long(const char *s, long lo, long hi, long *out, char *expect, size_t len)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        snprintf(expect, len, "expected a whole number from %ld to %ld", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out, char *expect, size_t len)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* strtod takes "nan" and "inf": a rate or timeout must be a plain number */
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        snprintf(expect, len, "expected a number from %.15g to %.15g", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Text sent on the wire (HTTP header, SMTP command): non-empty, no control characters (a CR or
 * LF would end the line early); with `allowed` non-empty, only those characters. */
static int check_text(const char *s, const char *allowed, const char *what, char *expect, size_t len)
{
    int ok = *s != '\0';
    for (const char *p = s; ok && *p; p++)
        ok = (unsigned char)*p >= 0x20 && *p != 0x7f && (!*allowed || strchr(allowed, *p));
    if (!ok)
        snprintf(expect, len, "expected %s", what);
    return ok ? 0 : -1;
}

static int parse_port(const char *s, unsigned short *out, char *expect, size_t len)
{
    long l;
    if (parse_long(s, 1, 65535, &l, expect, len) < 0)
        return -1;
    *out = (unsigned short)l;
    return 0;
}

#define RESOLVER_EXPECT "expected IP or IP:PORT, IPv6 with a port as [ADDR]:PORT, PORT from 1 to 65535; repeat the option or separate servers with commas"

int config_resolver_check(const char *item)
{
    char addr[INET6_ADDRSTRLEN + 1];
    unsigned char bin[sizeof(struct in6_addr)];
    const char *port = NULL;
    size_t n;
    if (item[0] == '[') { /* [IPv6]:PORT (or [IPv6]) */
        const char *close = strchr(item, ']');
        if (!close)
            return -1;
        n = (size_t)(close - item - 1);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return -1;
        if (n == 0 || n >= sizeof(addr))
            return -1;
        memcpy(addr, item + 1, n);
        addr[n] = '\0';
        if (inet_pton(AF_INET6, addr, bin) != 1)
            return -1;
    } else if (strchr(item, ':') && strchr(item, ':') == strrchr(item, ':')) { /* IPv4:PORT */
        const char *colon = strchr(item, ':');
        n = (size_t)(colon - item);
        if (n == 0 || n >= sizeof(addr))
            return -1;
        memcpy(addr, item, n);
        addr[n] = '\0';
        port = colon + 1;
        if (inet_pton(AF_INET, addr, bin) != 1)
            return -1;
    } else if (inet_pton(strchr(item, ':') ? AF_INET6 : AF_INET, item, bin) != 1) {
        return -1; /* a bare IPv4 or IPv6 address */
    }
    long l;
    char unused[64];
    return port && parse_long(port, 1, 65535, &l, unused, sizeof(unused)) < 0 ? -1 : 0;
}

/* Checks every comma-separated server of s, then appends them to cfg->resolvers. */
static int add_resolver(struct config *cfg, const char *s, char *expect, size_t elen)
{
    snprintf(expect, elen, "%s", RESOLVER_EXPECT);
    char item[128];
    for (const char *p = s;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof(item))
            return -1;
        memcpy(item, p, n);
        item[n] = '\0';
        if (config_resolver_check(item) < 0)
            return -1;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    size_t len = strlen(cfg->resolvers);
    int n = snprintf(cfg->resolvers + len, sizeof(cfg->resolvers) - len, "%s%s", len ? "," : "", s);
    if (n < 0 || (size_t)n >= sizeof(cfg->resolvers) - len) {
        snprintf(expect, elen, "too many resolvers: %zu bytes of them at most",
                 sizeof(cfg->resolvers) - 1);
        return -1;
    }
    return 0;
}

static int parse_shard(struct config *cfg, const char *s, char *expect, size_t elen)
{
    char idx[32], unused[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : 0;
    long count, index;
    snprintf(expect, elen, "expected I/N with 0 <= I < N <= 1000000, e.g. 0/4 ... 3/4 for four machines");
    if (!slash || n == 0 || n >= sizeof(idx))
        return -1;
    memcpy(idx, s, n);
    idx[n] = '\0';
    if (parse_long(slash + 1, 1, 1000000, &count, unused, sizeof(unused)) < 0 ||
        parse_long(idx, 0, count - 1, &index, unused, sizeof(unused)) < 0)
        return -1;
    cfg->shard_count = count;
    cfg->shard_index = index;
    return 0;
}

/* The trust store must hold at least one PEM certificate: checked before the scan so that a typo
 * gets one line naming the option instead of OpenSSL's error stack when the TLS context is
 * built. */
static int check_ca_file(const char *path, char *expect, size_t elen)
{
    const char *want = "expected a readable PEM file of trusted CA certificates";
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(expect, elen, "%s; %s", strerror(errno), want);
        return -1;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    ERR_clear_error();
    if (!x) {
        snprintf(expect, elen, "%s; %s", err ? strerror(err) : "no PEM certificate in it", want);
        return -1;
    }
    X509_free(x);
    return 0;
}

int config_check_files(const struct config *cfg, FILE *err)
{
    char expect[256];
    if (!cfg->ca_file || cfg->dns_only) /* --dns-only never builds a TLS context */
        return 0;
    if (check_ca_file(cfg->ca_file, expect, sizeof(expect)) == 0)
        return 0;
    fprintf(err, "mtasts-scan: invalid value '%s' for --ca-file: %s\n", cfg->ca_file, expect);
    return -1;
}

int config_input_looks_like_domain(const char *arg)
{
    /* extensions of the files people pass as INPUT: "top.csv" is a file, not a domain */
    static const char *const file_ext[] = {"txt", "csv", "zst", "gz", "xz", "bz2", "lst", "list",
                                           "tsv", "json", "dat", "out", "in", "log"};
    const char *dot = strrchr(arg, '.');
    size_t len = strlen(arg);
    if (!dot || dot == arg || len > 253 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
                                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != len)
        return 0;
    const char *tld = dot[1] ? dot + 1 : NULL; /* "example.com." ends in the root label */
    if (!tld) {
        for (dot--; dot > arg && *dot != '.'; dot--)
            ;
        tld = *dot == '.' ? dot + 1 : NULL;
    }
    if (!tld || strspn(tld, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.") !=
                    strlen(tld) || strlen(tld) < 2)
        return 0;
    for (size_t i = 0; i < sizeof(file_ext) / sizeof(file_ext[0]); i++)
        if (strcasecmp(tld, file_ext[i]) == 0)
            return 0;
    return 1;
}

void config_print_version(FILE *out)
{
    /* First line as before ("mtasts-scan VERSION"), so a script reading the second word still
     * gets the version; then what it was built from and the libraries it runs with. */
    fprintf(out, "mtasts-scan %s (git %s)\n", MTASTS_VERSION, MTASTS_REVISION);
    fprintf(out, "libevent %s, c-ares %s, %s, zstd %s\n", event_get_version(), ares_version(NULL),
            OpenSSL_version(OPENSSL_VERSION), ZSTD_versionString());
}

double config_dns_timeout(const struct config *cfg)
{
    if (cfg->dns_timeout_sec > 0)
        return cfg->dns_timeout_sec;
    /* c-ares waits t, 2t, 4t, ... for the tries: the whole lookup takes (2^tries - 1) t */
    double rounds = (double)((1L << (cfg->retries + 1)) - 1);
    double t = cfg->timeout_sec / rounds;
    return t < 0.05 ? 0.05 : t;
}

long config_jobs_max(const struct config *cfg)
{
    long m = cfg->concurrency < cfg->dns_inflight ? cfg->concurrency : cfg->dns_inflight;
    if (!cfg->dns_only) {
        if (cfg->mx_conn_per_addr < m)
            m = cfg->mx_conn_per_addr;
        if (cfg->https_conn_per_addr < m)
            m = cfg->https_conn_per_addr;
    }
    return m < 1 ? 1 : m;
}

long config_jobs(const struct config *cfg)
{
    if (cfg->jobs > 0)
        return cfg->jobs;
    cpu_set_t set;
    long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                               : sysconf(_SC_NPROCESSORS_ONLN);
    long n = cpus / 2, max = config_jobs_max(cfg);
    return n < 1 ? 1 : n > max ? max : n;
}

double config_retry_pause(const struct config *cfg)
{
    return cfg->timeout_sec / 2 < CONFIG_RETRY_PAUSE_SEC ? cfg->timeout_sec / 2 : CONFIG_RETRY_PAUSE_SEC;
}

double config_domain_timeout(const struct config *cfg)
{
    if (cfg->domain_timeout_sec >= 0)
        return cfg->domain_timeout_sec;
    /* A domain's longest healthy path is three waits in a row (its DNS answers, then the policy
     * host's or MX host's addresses, then the HTTPS fetch or SMTP probe), each of which a working
     * server ends well within --timeout.  3 x --timeout therefore never cuts a working domain,
     * and bounds one whose servers spend nearly --timeout at every step (seen: 18.3 s under
     * --timeout 5) to 15 s.  Each --retry-timeouts retry lengthens that path by its pause and
     * one more --timeout. */
    return 3 * cfg->timeout_sec + (double)cfg->retry_timeouts * (config_retry_pause(cfg) + cfg->timeout_sec);
}

/* Copies v into buf with control characters as \xNN, so an error message stays one line. */
static void show_value(const char *v, char *buf, size_t len)
{
    size_t n = 0;
    for (; *v && n + 5 < len; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch < 0x20 || ch == 0x7f)
            n += (size_t)snprintf(buf + n, len - n, "\\x%02x", ch);
        else
            buf[n++] = (char)ch;
    }
    buf[n] = '\0';
}

static struct config_value v_str(const char *s)
{
    struct config_value v = {.type = s ? CONFIG_VALUE_STRING : CONFIG_VALUE_NULL, .str = s};
    return v;
}

static struct config_value v_num(double n)
{
    struct config_value v = {.type = CONFIG_VALUE_NUMBER, .num = n};
    return v;
}

static struct config_value v_bool(int b)
{
    struct config_value v = {.type = CONFIG_VALUE_BOOL, .flag = b != 0};
    return v;
}

static const char *progress_str(enum progress_mode m)
{
    switch (m) {
    case PROGRESS_AUTO: return "auto";
    case PROGRESS_ON: return "on";
    case PROGRESS_OFF: return "off";
    }
    return "unknown";
}
/* ---- the option table ------------------------------------------------------------------------ */

#define C_SCAN CONFIG_CMD_SCAN
#define C_CHECK CONFIG_CMD_CHECK
#define C_DIFF CONFIG_CMD_DIFF
#define C_MERGE CONFIG_CMD_MERGE
#define C_ALL (C_SCAN | C_CHECK | C_DIFF | C_MERGE)
#define F(member) offsetof(struct config, member)

/* What the field of a row is, which gives its parser, default and read-back value. */
enum opt_type {
    OT_ACTION, /* --help, --version, --schema: .action, then exit 0; no value */
    OT_FLAG,   /* int field set to 1; a bool */
    OT_STRING, /* const char * field (NULL = not given), .parse may check it */
    OT_LONG,   /* long field, a whole number in [lo, hi] */
    OT_INT,    /* int field, likewise */
    OT_DOUBLE, /* double field, a number in [lo, hi] */
    OT_PORT,   /* unsigned short field, 1-65535 */
    OT_CHOICE, /* int (enum) field: the index of the value in .choices */
    OT_CUSTOM  /* .parse and .value do all */
};

struct opt {
    const char *name;  /* the long option */
    char short_name;   /* 0 = none */
    const char *arg;   /* the argument's name in --help; NULL = a flag or an action */
    unsigned cmds;     /* mask of enum config_command */
    enum opt_type type;
    size_t field;      /* offsetof(struct config, ...) for every type but OT_ACTION / OT_CUSTOM */
    double lo, hi;     /* OT_LONG, OT_INT, OT_DOUBLE */
    double def;        /* the default of a number, flag or choice (index) */
    const char *def_str;  /* the default of an OT_STRING */
    const char *def_text; /* --help's "(default ...)" when the value alone does not say it */
    const char *const *choices; /* OT_CHOICE: the values, in enum order, NULL-terminated */
    int repeatable;    /* may be given more than once (each adds); others are refused twice */
    const char *help;
    /* The parser of OT_STRING (a check) and OT_CUSTOM rows: 0, or -1 with `expect` saying what
     * the option takes. */
    int (*parse)(struct config *cfg, const char *arg, char *expect, size_t len);
    /* The value read back (--metadata) when the field alone does not say it. */
    struct config_value (*value)(const struct config *cfg);
    void (*action)(enum config_command cmd, FILE *out); /* OT_ACTION */
};

static int parse_fail_on(struct config *cfg, const char *arg, char *ex, size_t len)
{
    cfg->has_fail_on = 1;
    cfg->fail_on_text = arg;
    return changes_failon_parse(arg, &cfg->fail_on, ex, len);
}

static int parse_user_agent(struct config *cfg, const char *arg, char *ex, size_t len)
{
    (void)cfg;
    return check_text(arg, "", "non-empty printable text, no control characters", ex, len);
}

static int parse_ehlo(struct config *cfg, const char *arg, char *ex, size_t len)
{
    (void)cfg;
    return check_text(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:",
                      "a host name or [address] literal", ex, len);
}

static int parse_format(struct config *cfg, const char *arg, char *ex, size_t len)
{
    (void)cfg;
    if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0) {
        snprintf(ex, len, "expected text or json");
        return -1;
    }
    return 0;
}

static int parse_blocklist(struct config *cfg, const char *arg, char *ex, size_t len)
{
    int max = (int)(sizeof(cfg->blocklist) / sizeof(cfg->blocklist[0]));
    if (cfg->n_blocklist == max) { /* a second list adds to the first, never replaces it */
        snprintf(ex, len, "at most %d --blocklist files", max);
        return -1;
    }
    cfg->blocklist[cfg->n_blocklist++] = arg;
    return 0;
}

static int parse_progress(struct config *cfg, const char *arg, char *ex, size_t len)
{
    (void)arg, (void)ex, (void)len;
    cfg->progress = PROGRESS_ON;
    return 0;
}

static int parse_quiet(struct config *cfg, const char *arg, char *ex, size_t len)
{
    (void)arg, (void)ex, (void)len;
    cfg->progress = PROGRESS_OFF;
    return 0;
}

static struct config_value value_fail_on(const struct config *cfg)
{
    return v_str(cfg->fail_on_text); /* as given */
}

static struct config_value value_resolvers(const struct config *cfg)
{
    return v_str(cfg->resolvers[0] ? cfg->resolvers : NULL);
}

static struct config_value value_shard(const struct config *cfg)
{
    struct config_value v = {.type = CONFIG_VALUE_STRING};
    snprintf(v.text, sizeof(v.text), "%ld/%ld", cfg->shard_index, cfg->shard_count);
    return v; /* .str is pointed at .text by the caller, which holds the value in place */
}

static struct config_value value_jobs(const struct config *cfg)
{
    return v_num((double)config_jobs(cfg));
}

static struct config_value value_blocklist(const struct config *cfg)
{
    struct config_value v = {.type = cfg->n_blocklist ? CONFIG_VALUE_STRING : CONFIG_VALUE_NULL};
    size_t len = 0;
    for (int b = 0; b < cfg->n_blocklist && len < sizeof(v.text); b++) /* the files, ','-joined */
        len += (size_t)snprintf(v.text + len, sizeof(v.text) - len, "%s%s", b ? "," : "",
                                cfg->blocklist[b]);
    return v;
}

static struct config_value value_dns_timeout(const struct config *cfg)
{
    return v_num(config_dns_timeout(cfg));
}

static struct config_value value_domain_timeout(const struct config *cfg)
{
    return v_num(config_domain_timeout(cfg));
}

static struct config_value value_progress(const struct config *cfg)
{
    return v_str(progress_str(cfg->progress));
}

static struct config_value value_quiet(const struct config *cfg)
{
    return v_bool(cfg->progress == PROGRESS_OFF);
}

static void act_help(enum config_command cmd, FILE *out)
{
    config_print_usage(cmd, out);
}

static void act_version(enum config_command cmd, FILE *out)
{
    (void)cmd;
    config_print_version(out);
}

static void act_schema(enum config_command cmd, FILE *out)
{
    if (cmd != C_DIFF) {
        schema_print(out);
        return;
    }
    size_t n;
    const struct cell_column *cols = schema_columns(SCHEMA_CHANGES, &n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-9s %s\n", cols[i].name, cols[i].description);
}

static const char *const starttls_choices[] = {"all", "sts", "none", NULL}; /* enum starttls_mode */

/* In --help order (and the --metadata options' order).  A name may have one row per command
 * when its meaning differs (-o is the scan's results, diff's changes, merge's merged table). */
static const struct opt opts[] = {
    {.name = "output", .short_name = 'o', .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(output),
     .def_str = "-", .def_text = "stdout", .help = "domain results (CSV; zstd when FILE ends in .zst)"},
    {.name = "output", .short_name = 'o', .arg = "FILE", .cmds = C_DIFF, .type = OT_STRING, .field = F(output),
     .def_str = "-", .def_text = "stdout", .help = "the changes table (.zst when FILE ends in .zst)"},
    {.name = "output", .short_name = 'o', .arg = "FILE", .cmds = C_MERGE, .type = OT_STRING, .field = F(output),
     .help = "the merged table (required; .zst when FILE ends in .zst; - = stdout; must not be one of OUT)"},
    {.name = "mx-output", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(mx_output),
     .help = "one row per probed MX (host, address); .zst as for -o"},
    {.name = "domain-mx-output", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(domain_mx_output),
     .help = "one row per (domain, MX host): preference, coverage, probe outcome; .zst as for -o"},
    {.name = "summary-json", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(summary_json),
     .help = "adoption summary as JSON"},
    {.name = "metadata", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(metadata),
     .help = "how the scan was made, as JSON (docs/metadata.md): versions, options, input SHA-256, times, counts; written at start, end, interruption or failure"},
    {.name = "list-id", .arg = "TEXT", .cmds = C_SCAN | C_CHECK, .type = OT_STRING, .field = F(list_id),
     .help = "free text naming the input list (e.g. \"tranco-XXXXX 2026-11-30\"), recorded in --metadata"},
    {.name = "resume", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(resume),
     .help = "skip input lines whose (rank, domain) has a complete row in FILE (an earlier, interrupted run's -o; once per row, so repeated lines count); write the rest to -o"},
    {.name = "previous", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(previous),
     .help = "an earlier scan's -o (plain or .zst): compare each domain with its row there as it finishes (docs/monitoring.md)"},
    {.name = "changes-output", .arg = "FILE", .cmds = C_SCAN, .type = OT_STRING, .field = F(changes_output),
     .help = "with --previous: one row per (domain, change), as `diff -o`; .zst as for -o"},
    {.name = "new-mx", .arg = "FILE", .cmds = C_DIFF, .type = OT_STRING, .field = F(new_mx),
     .help = "NEW's MX table (--mx-output): MX certificate expiry"},
    {.name = "old-mx", .arg = "FILE", .cmds = C_DIFF, .type = OT_STRING, .field = F(old_mx),
     .help = "OLD's MX table: the `before` of certificate rows (the same date as `after`: not renewed since the old scan)"},
    {.name = "input", .arg = "LIST", .cmds = C_MERGE, .type = OT_STRING, .field = F(input_list),
     .help = "the scanned list: report exactly which lines have no row, and allow a key as often as the list repeats the line"},
    {.name = "mx", .cmds = C_MERGE, .type = OT_FLAG, .field = F(mx_tables),
     .help = "the files are MX tables (--mx-output): a (host, address) probed in several "
             "files is kept once (its first row); edge tables (--domain-mx-output) are found "
             "by their header"},
    {.name = "expiry-days", .arg = "N", .cmds = C_SCAN | C_CHECK | C_DIFF, .type = OT_LONG, .field = F(expiry_days),
     .lo = 0, .hi = 36500, .def = CHANGES_EXPIRY_DAYS,
     .help = "with --previous and in diff: cert_expiring (from NEW's scan time), with --advisories and in check: cert_expiring_soon, when a policy host or MX certificate expires within N days"},
    {.name = "testing-days", .arg = "N", .cmds = C_SCAN | C_DIFF, .type = OT_LONG, .field = F(testing_days),
     .lo = 0, .hi = 36500, .def = CHANGES_TESTING_DAYS,
     .help = "with --previous and in diff: stuck_in_testing when mode testing in both scans N days apart"},
    {.name = "fail-on", .arg = "LIST", .cmds = C_SCAN | C_DIFF, .type = OT_CUSTOM, .parse = parse_fail_on,
     .value = value_fail_on, .help = "exit 3 when a listed verdict, issue code (of a row of the scan, or of diff's NEW), change code or change severity (error, warning, info) occurs"},
    {.name = "allow-partial", .cmds = C_SCAN | C_DIFF | C_MERGE, .type = OT_FLAG, .field = F(allow_partial),
     .help = "accept a truncated or incomplete input (shard, OLD scan, --previous) with a warning instead of refusing it"},
    {.name = "csv-formula-guard", .cmds = C_SCAN | C_DIFF | C_MERGE, .type = OT_FLAG, .field = F(csv_formula_guard),
     .help = "prefix ' to CSV cells that start with = + - @ (safe for spreadsheets; changes the data)"},
    {.name = "resolver", .arg = "ADDR", .cmds = C_SCAN | C_CHECK, .type = OT_CUSTOM, .parse = add_resolver,
     .value = value_resolvers, .repeatable = 1, .def_text = "system configuration",
     .help = "DNS server IP[:PORT]; repeatable or comma-separated (check: several are compared)"},
    {.name = "ca-file", .arg = "FILE", .cmds = C_SCAN | C_CHECK, .type = OT_STRING, .field = F(ca_file),
     .def_text = "system store", .help = "trust anchors for certificate checks"},
    {.name = "concurrency", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(concurrency),
     .lo = 1, .hi = 1000000, .def = 1000, .help = "domains in flight at most"},
    {.name = "rate", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(rate),
     .lo = 0, .hi = 1e9, .def = 1000, .help = "new domains started per second at most, 0 = unlimited"},
    {.name = "timeout", .arg = "SEC", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(timeout_sec),
     .lo = 0.05, .hi = 3600, .def = 10, .help = "per-network-operation timeout"},
    {.name = "retries", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_INT, .field = F(retries),
     .lo = 0, .hi = 20, .def = 2, .help = "DNS retries after the first try"},
    {.name = "dns-timeout", .arg = "SEC", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(dns_timeout_sec),
     .lo = 0.05, .hi = 3600, .def = 0, .value = value_dns_timeout,
     .def_text = "a share of --timeout such that a lookup with all its retries ends within --timeout",
     .help = "first DNS try's timeout, doubled on each retry"},
    {.name = "domain-timeout", .arg = "SEC", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(domain_timeout_sec),
     .lo = 0, .hi = 86400, .def = -1, .value = value_domain_timeout,
     .def_text = "3 x --timeout, plus --timeout and the pause for each --retry-timeouts retry",
     .help = "whole-domain deadline: after it the domain is finished with what is known, issue domain_timeout; 0 = none"},
    {.name = "dns-inflight", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(dns_inflight),
     .lo = 1, .hi = 1000000, .def = 500,
     .help = "DNS queries on the wire at most for a resolver answering within 50 ms, up to 8x that for a slower one, lowered while queries need retries; more wait their turn"},
    {.name = "dns-abort-after", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(dns_abort_after),
     .lo = 0, .hi = 1000000000, .def = 100,
     .help = "stop with exit status 4 when the first N DNS lookups all get no answer (no resolver reachable); 0 = never"},
    {.name = "starttls", .arg = "MODE", .cmds = C_SCAN | C_CHECK, .type = OT_CHOICE, .field = F(starttls),
     .choices = starttls_choices, .def = STARTTLS_MODE_STS, .help = "all | sts | none: whose MX hosts are probed"},
    {.name = "dns-only", .cmds = C_SCAN | C_CHECK, .type = OT_FLAG, .field = F(dns_only),
     .help = "DNS stage only: no HTTPS fetch, no SMTP probe"},
    {.name = "policy-all", .cmds = C_SCAN | C_CHECK, .type = OT_FLAG, .field = F(policy_all),
     .help = "fetch the policy of every domain, even without a valid TXT record"},
    {.name = "user-agent", .arg = "UA", .cmds = C_SCAN | C_CHECK, .type = OT_STRING, .field = F(user_agent),
     .def_str = "mtasts-scan/" MTASTS_VERSION " (MTA-STS measurement; +https://github.com/mtasts-scan/mtasts-scan)",
     .parse = parse_user_agent, .help = "HTTP User-Agent"},
    {.name = "ehlo-name", .arg = "NAME", .cmds = C_SCAN | C_CHECK, .type = OT_STRING, .field = F(ehlo_name),
     .def_str = "mtasts-scan.invalid", .parse = parse_ehlo, .help = "name sent in EHLO"},
    {.name = "mx-conn-per-addr", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(mx_conn_per_addr),
     .lo = 1, .hi = 100000, .def = 4, .help = "concurrent SMTP connections to one address"},
    {.name = "mx-rate-per-addr", .arg = "R", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(mx_rate_per_addr),
     .lo = 0, .hi = 1e9, .def = 10, .help = "new SMTP connections per second to one address, 0 = unlimited"},
    {.name = "https-conn-per-addr", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(https_conn_per_addr),
     .lo = 1, .hi = 100000, .def = 8, .help = "concurrent policy fetches from one address"},
    {.name = "https-rate-per-addr", .arg = "R", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(https_rate_per_addr),
     .lo = 0, .hi = 1e9, .def = 20, .help = "new policy fetches per second from one address, 0 = unlimited"},
    {.name = "mx-addr-max", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(mx_addr_max),
     .lo = 1, .hi = 8, .def = 2, .help = "addresses probed per MX host"},
    {.name = "mx-cache", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(mx_cache_max),
     .lo = 1, .hi = 100000000, .def = 200000, .help = "finished MX probes remembered for reuse"},
    {.name = "tls-threads", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(tls_threads),
     .lo = 0, .hi = 64, .def = 1, .help = "threads for the TLS work (policy fetches, STARTTLS probes); 0 = all on the DNS loop"},
    {.name = "https-port", .arg = "PORT", .cmds = C_SCAN | C_CHECK, .type = OT_PORT, .field = F(https_port),
     .def = 443, .help = "port of policy hosts (for test set-ups)"},
    {.name = "smtp-port", .arg = "PORT", .cmds = C_SCAN | C_CHECK, .type = OT_PORT, .field = F(smtp_port),
     .def = 25, .help = "port of MX hosts (for test set-ups)"},
    {.name = "shard", .arg = "I/N", .cmds = C_SCAN, .type = OT_CUSTOM, .parse = parse_shard, .value = value_shard,
     .help = "scan only input lines whose number modulo N is I (0-based)"},
    {.name = "jobs", .arg = "N", .cmds = C_SCAN, .type = OT_LONG, .field = F(jobs), .lo = 0, .hi = 256,
     .def = 0, .value = value_jobs,
     .def_text = "half the CPUs it may use, at least 1, at most the smallest of --concurrency, --dns-inflight, --mx-conn-per-addr and --https-conn-per-addr (--dns-only: the first two)",
     .help = "scan engines, each a DNS loop with its own TLS threads (--tls-threads each), taking input lines as they free up and writing through one set of outputs; --concurrency, --dns-inflight, --dns-rate, --mx-cache and the per-address limits are split between them, --rate is shared; 0 = the default"},
    {.name = "blocklist", .arg = "FILE", .cmds = C_SCAN | C_CHECK, .type = OT_CUSTOM, .parse = parse_blocklist,
     .value = value_blocklist, .repeatable = 1,
     .help = "never contact what FILE lists (repeatable, up to 8 files; one entry per line, # comments: domain suffixes, IPv4/IPv6 addresses and CIDR prefixes); listed domains get the verdict excluded (see datasets/optout.blocklist)"},
    {.name = "dns-rate", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_DOUBLE, .field = F(dns_rate),
     .lo = 0, .hi = 1e9, .def = 0, .help = "DNS queries sent per second at most, over all --resolver servers together, 0 = unlimited"},
    {.name = "advisories", .cmds = C_SCAN | C_CHECK, .type = OT_FLAG, .field = F(advisories),
     .help = "also report the advisory codes (policy_mode_testing, sts_ttl_unusual, cert_expiring_soon, ...; docs/codes.md) and judge policy_max_age_short per mode; always on in 'mtasts-scan check'"},
    {.name = "max-age-min-enforce", .arg = "SEC", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(max_age_min_enforce),
     .lo = 1, .hi = 31557600, .def = CLASSIFY_MAX_AGE_MIN_ENFORCE,
     .help = "advisory policy_max_age_short: an enforce policy's max_age below SEC"},
    {.name = "max-age-min-testing", .arg = "SEC", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(max_age_min_testing),
     .lo = 1, .hi = 31557600, .def = CLASSIFY_MAX_AGE_MIN_TESTING,
     .help = "advisory policy_max_age_short: a testing policy's max_age below SEC"},
    {.name = "format", .arg = "FMT", .cmds = C_CHECK, .type = OT_STRING, .field = F(format), .parse = parse_format,
     .def_text = "text", .help = "text or json"},
    {.name = "retry-timeouts", .arg = "N", .cmds = C_SCAN | C_CHECK, .type = OT_LONG, .field = F(retry_timeouts),
     .lo = 0, .hi = 5, .def = 1,
     .help = "an MX probe or policy fetch that timed out connecting or waiting for the greeting / TLS handshake is tried again up to N times, min(2 s, --timeout / 2) later (a loaded server is not a fact about the domain); the row's retried column says so; 0 = never"},
    {.name = "progress", .cmds = C_SCAN | C_CHECK, .type = OT_CUSTOM, .parse = parse_progress, .value = value_progress,
     .help = "once-a-second status line on stderr, fitted to the terminal's width (default when stderr is a terminal the CSV does not go to)"},
    {.name = "quiet", .short_name = 'q', .cmds = C_SCAN | C_CHECK, .type = OT_CUSTOM, .parse = parse_quiet,
     .value = value_quiet, .help = "no status line"},
    {.name = "quiet", .short_name = 'q', .cmds = C_MERGE, .type = OT_FLAG, .field = F(quiet),
     .help = "no summary line"},
    {.name = "schema", .cmds = C_SCAN | C_CHECK, .type = OT_ACTION, .action = act_schema,
     .help = "print the CSV columns with their meaning and exit"},
    {.name = "schema", .cmds = C_DIFF, .type = OT_ACTION, .action = act_schema,
     .help = "print the changes table's columns and exit"},
    {.name = "version", .cmds = C_SCAN | C_CHECK, .type = OT_ACTION, .action = act_version,
     .help = "print the version, source revision and library versions, and exit"},
    {.name = "help", .short_name = 'h', .cmds = C_ALL, .type = OT_ACTION, .action = act_help, .help = "this help"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* ---- the commands' --help ---------------------------------------------------------------------- */

struct command {
    enum config_command cmd;
    const char *name;   /* as typed after mtasts-scan; "" = the scan */
    const char *prefix; /* of its messages */
    const char *head, *tail;
};

static const struct command commands[] = {
    {C_SCAN, "", "mtasts-scan",
     "usage: mtasts-scan [options] [INPUT]\n\n"
     "Measures MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) deployment.\n"
     "INPUT: one domain per line, or Tranco-style \"rank,domain\" CSV (CRLF or LF, blank\n"
     "lines and # comments ignored); .zst input is decompressed; \"-\" or absent = stdin.\n"
     "One domain: echo example.com | mtasts-scan -   (explained: mtasts-scan check example.com)\n"
     "Exit status: 0 done, 1 output or input failed, 2 usage error, 3 a --fail-on\n"
     "finding, 4 no DNS resolver answers (--dns-abort-after), 130 interrupted.\n\n",
     "\nVerdicts, issue codes and columns: docs/codes.md, or --schema.  Options: docs/options.md.\n"
     "Subcommands (first argument): merge (one table from shard and resumed outputs; "
     "merge --help), diff (changes between two scans; diff --help), schema [--markdown | "
     "--options-markdown], check DOMAIN... (each step explained with a fix per finding; check --help).\n"},
    {C_CHECK, "check", "mtasts-scan check",
     "usage: mtasts-scan check [options] DOMAIN...\n"
     "Explains each DOMAIN's MTA-STS and TLS-RPT set-up step by step, with a fix for\n"
     "every finding.  Exit status: 0 all fine, 1 a domain fails or has an error-severity\n"
     "finding, 2 usage or runtime error.  See docs/check.md.\n\n",
     "\nThe bulk scan's files (-o, --mx-output, --metadata, --resume, --previous, ...) are not\n"
     "options of check: it prints a report.\n"},
    {C_DIFF, "diff", "mtasts-scan diff",
     "usage: mtasts-scan diff [options] OLD NEW\n"
     "Compares two domain tables (-o outputs of two scans, plain or .zst, any row order)\n"
     "and writes one row per (domain, change) to -o.  Change codes and severities:\n"
     "docs/codes.md, \"Changes\".\n\n",
     "\nExit: 0 compared; 3 a --fail-on finding; 1 a file unreadable or malformed; 2 usage.\n"
     "A one-line summary on stderr counts the changes by code.\n"},
    {C_MERGE, "merge", "mtasts-scan merge",
     "usage: mtasts-scan merge [options] -o ALL OUT...\n"
     "Merges the domain tables (-o outputs, plain or .zst) of one input's shards and\n"
     "resumed runs into ALL with one header.\n\n",
     "\nExit: 0 merged; 3 duplicate rows (dropped) or rows not in LIST; 4 lines of LIST\n"
     "without a row; 1 a file unreadable, not a table, or malformed; 2 usage.\n"
     "Gaps in the ranks are reported without failing; a truncated file is named.\n"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *command_of(enum config_command cmd)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].cmd == cmd)
            return &commands[i];
    return &commands[0];
}

/* The commands of mask as words ("the scan", "check", ...), ", "-joined. */
static void commands_text(unsigned mask, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]) && n < len; i++)
        if (mask & commands[i].cmd)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
                                  commands[i].name[0] ? commands[i].name : "the scan");
}

static void *field_of(struct config *cfg, const struct opt *o)
{
    return (char *)cfg + o->field;
}

static const void *cfield_of(const struct config *cfg, const struct opt *o)
{
    return (const char *)cfg + o->field;
}

/* The value behind row o; type NULL for an action. */
static struct config_value value_of(const struct config *cfg, const struct opt *o)
{
    if (o->value)
        return o->value(cfg);
    const void *p = cfield_of(cfg, o);
    switch (o->type) {
    case OT_FLAG: return v_bool(*(const int *)p);
    case OT_STRING: return v_str(*(const char *const *)p);
    case OT_LONG: return v_num((double)*(const long *)p);
    case OT_INT: return v_num(*(const int *)p);
    case OT_DOUBLE: return v_num(*(const double *)p);
    case OT_PORT: return v_num(*(const unsigned short *)p);
    case OT_CHOICE: return v_str(o->choices[*(const int *)p]);
    case OT_CUSTOM: /* a row without .value reads back as "unknown": test_metadata fails on it */
        return v_str("unknown");
    case OT_ACTION: break;
    }
    struct config_value none = {.type = CONFIG_VALUE_NULL};
    return none;
}

/* Sets the default of row o. */
static void set_default(struct config *cfg, const struct opt *o)
{
    if (o->type == OT_ACTION || o->type == OT_CUSTOM)
        return;
    void *p = field_of(cfg, o);
    switch (o->type) {
    case OT_FLAG: case OT_INT: case OT_CHOICE: *(int *)p = (int)o->def; break;
    case OT_STRING: *(const char **)p = o->def_str; break;
    case OT_LONG: *(long *)p = (long)o->def; break;
    case OT_DOUBLE: *(double *)p = o->def; break;
    case OT_PORT: *(unsigned short *)p = (unsigned short)o->def; break;
    case OT_ACTION: case OT_CUSTOM: break;
    }
}

void config_defaults_for(struct config *cfg, enum config_command cmd)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->input = "-";
    cfg->output = "-"; /* check has no -o row, and the engine it shares with the scan reads it */
    cfg->shard_count = 1; /* --shard's I/N: scan all of the input */
    cfg->starttls = STARTTLS_MODE_STS;
    cfg->progress = PROGRESS_AUTO;
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].cmds & cmd)
            set_default(cfg, &opts[i]);
    if (cmd == C_CHECK) { /* check's own defaults (its --help prints them) */
        cfg->check_mode = 1;
        cfg->dns_abort_after = 0; /* a domain whose DNS fails is reported, not aborted */
        cfg->advisories = 1;      /* always on: the report judges the advisory codes */
    }
}

void config_defaults(struct config *cfg)
{
    config_defaults_for(cfg, C_SCAN);
}

/* "--name ARG" or "-o, --name ARG" */
static void option_label(const struct opt *o, char *buf, size_t len)
{
    if (o->short_name)
        snprintf(buf, len, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    else
        snprintf(buf, len, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* Row o's default as --help and docs/options.md show it, from d (a config with cmd's defaults);
 * "" = none to show (flags, actions, options unset by default). */
static void default_text(const struct config *d, const struct opt *o, char *buf, size_t len)
{
    buf[0] = '\0';
    if (o->def_text) {
        snprintf(buf, len, "%s", o->def_text);
        return;
    }
    if (o->type == OT_FLAG || o->type == OT_ACTION || o->type == OT_CUSTOM)
        return;
    struct config_value v = value_of(d, o);
    if (v.type == CONFIG_VALUE_STRING && v.str)
        snprintf(buf, len, "%s", v.str);
    else if (v.type == CONFIG_VALUE_NUMBER)
        snprintf(buf, len, "%.15g", v.num);
}

void config_print_usage(enum config_command cmd, FILE *f)
{
    const struct command *c = command_of(cmd);
    struct config d;
    config_defaults_for(&d, cmd);
    fputs(c->head, f);
    for (size_t i = 0; i < N_OPTS; i++) {
        if (!(opts[i].cmds & cmd))
            continue;
        char left[64], def[256];
        option_label(&opts[i], left, sizeof(left));
        default_text(&d, &opts[i], def, sizeof(def));
        fprintf(f, "  %-30s %s%s%s%s\n", left, opts[i].help, def[0] ? " (default " : "", def,
                def[0] ? ")" : "");
    }
    fputs(c->tail, f);
}

/* Writes s with the characters markdown tables treat specially escaped. */
static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

void config_print_options_markdown(FILE *f)
{
    fprintf(f, "| Option | Commands | Default | Meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        char cmds[64];
        commands_text(o->cmds, cmds, sizeof(cmds));
        fputs("| ", f);
        if (o->short_name)
            fprintf(f, "`-%c`, ", o->short_name);
        fprintf(f, "`--%s%s%s` | %s | ", o->name, o->arg ? " " : "", o->arg ? o->arg : "", cmds);
        /* the default of each command of the row; named per command where they differ */
        char def[N_COMMANDS][256];
        const char *first = NULL;
        int differ = 0;
        for (size_t c = 0; c < N_COMMANDS; c++) {
            if (!(o->cmds & commands[c].cmd))
                continue;
            struct config d;
            config_defaults_for(&d, commands[c].cmd);
            default_text(&d, o, def[c], sizeof(def[c]));
            if (!first)
                first = def[c];
            differ |= strcmp(def[c], first) != 0;
        }
        for (size_t c = 0, k = 0; c < N_COMMANDS && (differ || k == 0); c++) {
            if (!(o->cmds & commands[c].cmd) || !def[c][0])
                continue;
            char who[32];
            commands_text(commands[c].cmd, who, sizeof(who));
            fprintf(f, "%s`%s`", k++ ? ", " : "", def[c]);
            if (differ)
                fprintf(f, " (%s)", who);
        }
        fputs(" | ", f);
        md_text(f, o->help);
        fputs(" |\n", f);
    }
}

/* ---- parsing ----------------------------------------------------------------------------------- */

/* Parses arg into row o's field.  0, or -1 with `expect` filled. */
static int apply(struct config *cfg, const struct opt *o, const char *arg, char *ex, size_t len)
{
    void *p = field_of(cfg, o);
    long l;
    switch (o->type) {
    case OT_ACTION: return 0;
    case OT_FLAG: *(int *)p = 1; return 0;
    case OT_STRING:
        if (o->parse && o->parse(cfg, arg, ex, len) < 0)
            return -1;
        *(const char **)p = arg;
        return 0;
    case OT_LONG: return parse_long(arg, (long)o->lo, (long)o->hi, (long *)p, ex, len);
    case OT_INT:
        if (parse_long(arg, (long)o->lo, (long)o->hi, &l, ex, len) < 0)
            return -1;
        *(int *)p = (int)l;
        return 0;
    case OT_DOUBLE: return parse_double(arg, o->lo, o->hi, (double *)p, ex, len);
    case OT_PORT: return parse_port(arg, (unsigned short *)p, ex, len);
    case OT_CHOICE: {
        size_t n = 0;
        for (int i = 0; o->choices[i]; i++)
            if (strcmp(arg, o->choices[i]) == 0) {
                *(int *)p = i;
                return 0;
            }
        n = (size_t)snprintf(ex, len, "expected ");
        for (int i = 0; o->choices[i] && n < len; i++)
            n += (size_t)snprintf(ex + n, len - n, "%s%s", i == 0 ? "" : o->choices[i + 1] ? ", " : " or ",
                                  o->choices[i]);
        return -1;
    }
    case OT_CUSTOM: return o->parse(cfg, arg, ex, len);
    }
    return -1;
}

int config_parse_command(struct config *cfg, enum config_command cmd, int argc, char **argv,
                         FILE *out, FILE *err)
{
    const struct command *c = command_of(cmd);
    /* getopt sees every name of the table, one row per name (the row of cmd when there is one),
     * so another command's option gets a message naming its commands, not "unknown" */
    struct option longopts[N_OPTS + 1];
    size_t row_of[N_OPTS], n = 0;
    char shorts[2 * N_OPTS + 2] = ":"; /* ':' first: a missing argument is reported as ':' */
    size_t ns = 1;
    for (size_t i = 0; i < N_OPTS; i++) {
        size_t k = 0;
        while (k < n && strcmp(longopts[k].name, opts[i].name) != 0)
            k++;
        if (k < n && !(opts[i].cmds & cmd))
            continue; /* the first row of the name stays unless this one is cmd's */
        if (k == n) {
            n++;
            if (opts[i].short_name) {
                shorts[ns++] = opts[i].short_name;
                if (opts[i].arg)
                    shorts[ns++] = ':';
            }
        }
        longopts[k] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument,
                                      NULL, 256 + (int)k};
        row_of[k] = i;
    }
    shorts[ns] = '\0';
    memset(&longopts[n], 0, sizeof(longopts[n]));
    const char *given[N_OPTS] = {0}; /* the first value of each name, to refuse a second one */
    optind = 1;
    opterr = 0;
    int ch, idx;
    while ((idx = -1, ch = getopt_long(argc, argv, shorts, longopts, &idx)) != -1) {
        const char *typed = argv[optind - 1];
        if (ch == '?' || ch == ':') {
            if (ch == ':')
                fprintf(err, "%s: option '%s' needs a value\n", c->prefix,
                        optopt && optopt < 256 ? (char[]){'-', (char)optopt, 0} : typed);
            else if (optopt && optopt < 256)
                fprintf(err, "%s: unknown option '-%c'\n", c->prefix, optopt);
            else
                fprintf(err, "%s: unknown option '%s'\n", c->prefix, typed);
            fprintf(err, "Try 'mtasts-scan%s%s --help'.\n", c->name[0] ? " " : "", c->name);
            return -1;
        }
        size_t k = 0;
        if (ch >= 256)
            k = (size_t)(ch - 256);
        else
            while (k < n && opts[row_of[k]].short_name != ch)
                k++;
        const struct opt *o = &opts[row_of[k]];
        char label[80];
        if (ch < 256)
            snprintf(label, sizeof(label), "-%c", ch);
        else
            snprintf(label, sizeof(label), "--%s", o->name);
        if (!(o->cmds & cmd)) {
            unsigned mask = 0; /* every command with a row of that name */
            for (size_t i = 0; i < N_OPTS; i++)
                if (strcmp(opts[i].name, o->name) == 0)
                    mask |= opts[i].cmds;
            char which[64];
            commands_text(mask, which, sizeof(which));
            fprintf(err, "%s: %s is not an option of %s (only of %s)\n", c->prefix, label,
                    c->name[0] ? c->name : "the scan", which);
            return -1;
        }
        char expect[256] = "", shown[256], shown2[256];
        if (o->arg && !o->repeatable && given[k]) {
            show_value(given[k], shown, sizeof(shown));
            show_value(optarg, shown2, sizeof(shown2));
            fprintf(err, "%s: %s given twice ('%s', then '%s'): it takes one value\n", c->prefix,
                    label, shown, shown2);
            return -1;
        }
        given[k] = optarg ? optarg : "";
        if (o->type == OT_ACTION) {
            o->action(cmd, out);
            return 1;
        }
        if (apply(cfg, o, optarg, expect, sizeof(expect)) < 0) {
            /* one line: the option, the value (control characters escaped), what it takes */
            show_value(optarg ? optarg : "", shown, sizeof(shown));
            fprintf(err, "mtasts-scan: invalid value '%s' for %s: %s\n", shown, label, expect);
            return -1;
        }
    }
    cfg->args = argv + optind;
    cfg->n_args = argc - optind;
    if (cmd == C_CHECK) {
        cfg->domains = cfg->args;
        cfg->n_domains = cfg->n_args;
    }
    if (cmd != C_SCAN)
        return 0;
    if (cfg->changes_output && !cfg->previous) {
        fprintf(err, "mtasts-scan: --changes-output needs --previous FILE (the scan to compare with)\n");
        return -1;
    }
    if (cfg->jobs > config_jobs_max(cfg)) {
        fprintf(err, "mtasts-scan: --jobs %ld: each engine takes an equal share (at least 1) of "
                     "--concurrency, --dns-inflight%s, so at most %ld engines\n", cfg->jobs,
                cfg->dns_only ? "" : ", --mx-conn-per-addr and --https-conn-per-addr",
                config_jobs_max(cfg));
        return -1;
    }
    if (optind < argc)
        cfg->input = argv[optind++];
    if (optind < argc) {
        fprintf(err, "mtasts-scan: one INPUT at most (got '%s' too)\n", argv[optind]);
        return -1;
    }
    return 0;
}

int config_parse_args(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    return config_parse_command(cfg, cfg->check_mode ? C_CHECK : C_SCAN, argc, argv, out, err);
}

/* ---- effective values (--metadata) ------------------------------------------------------------ */

size_t config_values(const struct config *cfg, struct config_value *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        if (o->type == OT_ACTION || !(o->cmds & (C_SCAN | C_CHECK)))
            continue;
        if (n < max) {
            out[n] = value_of(cfg, o);
            out[n].name = o->name;
            if (out[n].text[0]) /* a value formatted into its own text */
                out[n].str = out[n].text;
        }
        n++;
    }
    return n;
}
