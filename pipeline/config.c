/*
 * config: command-line parsing.  The option table below is the single description of every flag;
 * --help is printed from it with the defaults, so the two cannot drift apart.
 */
#include "pipeline/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <zstd.h>

#include "mtasts_revision.h" /* generated at build time: MTASTS_REVISION (see CMakeLists.txt) */
#include "output/csvout.h"

const char *starttls_mode_str(enum starttls_mode m)
{
    switch (m) {
    case STARTTLS_MODE_ALL: return "all";
    case STARTTLS_MODE_STS: return "sts";
    case STARTTLS_MODE_NONE: return "none";
    }
    return "unknown";
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->input = "-";
    cfg->output = "-";
    cfg->concurrency = 1000;
    cfg->rate = 1000;
    cfg->expiry_days = 30;
    cfg->testing_days = 30;
    cfg->timeout_sec = 10;
    cfg->dns_timeout_sec = 0; /* derived from --timeout: see config_dns_timeout */
    cfg->dns_inflight = 500;
    cfg->retries = 2;
    cfg->starttls = STARTTLS_MODE_STS;
    cfg->progress = PROGRESS_AUTO;
    cfg->user_agent = "mtasts-scan/" MTASTS_VERSION " (MTA-STS measurement; +https://github.com/mtasts-scan/mtasts-scan)";
    cfg->ehlo_name = "mtasts-scan.invalid";
    cfg->mx_conn_per_addr = 4;
    cfg->mx_rate_per_addr = 10;
    cfg->mx_addr_max = 2;
    cfg->https_conn_per_addr = 8;
    cfg->https_rate_per_addr = 20;
    cfg->mx_cache_max = 200000;
    cfg->tls_threads = 1;
    cfg->https_port = 443;
    cfg->smtp_port = 25;
    cfg->shard_count = 1;
    cfg->domain_timeout_sec = -1; /* derived from --timeout: see config_domain_timeout */
    cfg->dns_abort_after = 100;
    cfg->retry_timeouts = 1;
}

enum opt_id {
    OPT_MX_OUTPUT = 256, OPT_RESOLVER, OPT_CA_FILE, OPT_CONCURRENCY, OPT_RATE, OPT_TIMEOUT,
    OPT_RETRIES, OPT_STARTTLS, OPT_PROGRESS, OPT_DNS_ONLY, OPT_POLICY_ALL, OPT_USER_AGENT,
    OPT_EHLO, OPT_MX_CONN, OPT_MX_RATE, OPT_MX_ADDR_MAX, OPT_MX_CACHE, OPT_HTTPS_PORT,
    OPT_SMTP_PORT, OPT_SHARD, OPT_SUMMARY, OPT_SCHEMA, OPT_VERSION, OPT_DNS_TIMEOUT, OPT_DNS_INFLIGHT, OPT_RESUME, OPT_HTTPS_CONN, OPT_HTTPS_RATE, OPT_TLS_THREADS,
    OPT_DOMAIN_TIMEOUT, OPT_DNS_ABORT_AFTER, OPT_DOMAIN_MX_OUTPUT, OPT_BLOCKLIST, OPT_DNS_RATE, OPT_METADATA, OPT_LIST_ID,
    OPT_PREVIOUS, OPT_CHANGES_OUTPUT, OPT_EXPIRY_DAYS, OPT_TESTING_DAYS, OPT_FAIL_ON,
    OPT_ADVISORIES, OPT_MAX_AGE_MIN_ENFORCE, OPT_MAX_AGE_MIN_TESTING, OPT_FORMAT,
    OPT_RETRY_TIMEOUTS
};

struct opt_doc {
    struct option opt;
    const char *arg, *help;
};

static const struct opt_doc opts[] = {
    {{"output", required_argument, NULL, 'o'}, "FILE", "domain results (CSV; zstd when FILE ends in .zst); default stdout"},
    {{"mx-output", required_argument, NULL, OPT_MX_OUTPUT}, "FILE", "one row per probed MX (host, address); .zst as for -o"},
    {{"domain-mx-output", required_argument, NULL, OPT_DOMAIN_MX_OUTPUT}, "FILE", "one row per (domain, MX host): preference, coverage, probe outcome; .zst as for -o"},
    {{"summary-json", required_argument, NULL, OPT_SUMMARY}, "FILE", "adoption summary as JSON"},
    {{"metadata", required_argument, NULL, OPT_METADATA}, "FILE", "how the scan was made, as JSON (docs/metadata.md): versions, options, input SHA-256, times, counts; written at start, end, interruption or failure"},
    {{"list-id", required_argument, NULL, OPT_LIST_ID}, "TEXT", "free text naming the input list (e.g. \"tranco-XXXXX 2026-11-30\"), recorded in --metadata"},
    {{"resume", required_argument, NULL, OPT_RESUME}, "FILE", "skip input lines whose (rank, domain) has a complete row in FILE (an earlier, interrupted run's -o; once per row, so repeated lines count); write the rest to -o"},
    {{"previous", required_argument, NULL, OPT_PREVIOUS}, "FILE", "an earlier scan's -o (plain or .zst): compare each domain with its row there as it finishes (docs/monitoring.md)"},
    {{"changes-output", required_argument, NULL, OPT_CHANGES_OUTPUT}, "FILE", "with --previous: one row per (domain, change), as `diff -o`; .zst as for -o"},
    {{"expiry-days", required_argument, NULL, OPT_EXPIRY_DAYS}, "N", "with --previous: cert_expiring, with --advisories and in check: cert_expiring_soon, when a policy host or MX certificate expires within N days (default 30)"},
    {{"testing-days", required_argument, NULL, OPT_TESTING_DAYS}, "N", "with --previous: stuck_in_testing when mode testing in both scans N days apart (default 30)"},
    {{"fail-on", required_argument, NULL, OPT_FAIL_ON}, "LIST", "exit 3 when a listed verdict, issue code, change code or change severity (error, warning, info) occurs"},
    {{"resolver", required_argument, NULL, OPT_RESOLVER}, "ADDR", "DNS server IP[:PORT]; repeatable or comma-separated; default: system configuration"},
    {{"ca-file", required_argument, NULL, OPT_CA_FILE}, "FILE", "trust anchors for certificate checks; default: system store"},
    {{"concurrency", required_argument, NULL, OPT_CONCURRENCY}, "N", "domains in flight at most (default 1000)"},
    {{"rate", required_argument, NULL, OPT_RATE}, "N", "new domains started per second at most, 0 = unlimited (default 1000)"},
    {{"timeout", required_argument, NULL, OPT_TIMEOUT}, "SEC", "per-network-operation timeout (default 10)"},
    {{"retries", required_argument, NULL, OPT_RETRIES}, "N", "DNS retries after the first try (default 2)"},
    {{"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT}, "SEC", "first DNS try's timeout, doubled on each retry (default: a share of --timeout such that a lookup with all its retries ends within --timeout)"},
    {{"domain-timeout", required_argument, NULL, OPT_DOMAIN_TIMEOUT}, "SEC", "whole-domain deadline: after it the domain is finished with what is known, issue domain_timeout (default 3 x --timeout, plus --timeout and the pause for each --retry-timeouts retry; 0 = none)"},
    {{"dns-inflight", required_argument, NULL, OPT_DNS_INFLIGHT}, "N", "DNS queries on the wire at most for a resolver answering within 50 ms, up to 8x that for a slower one, lowered while queries need retries; more wait their turn (default 500)"},
    {{"dns-abort-after", required_argument, NULL, OPT_DNS_ABORT_AFTER}, "N", "stop with exit status 4 when the first N DNS lookups all get no answer (no resolver reachable); 0 = never (default 100)"},
    {{"starttls", required_argument, NULL, OPT_STARTTLS}, "MODE", "all | sts | none: whose MX hosts are probed (default sts)"},
    {{"dns-only", no_argument, NULL, OPT_DNS_ONLY}, NULL, "DNS stage only: no HTTPS fetch, no SMTP probe"},
    {{"policy-all", no_argument, NULL, OPT_POLICY_ALL}, NULL, "fetch the policy of every domain, even without a valid TXT record"},
    {{"user-agent", required_argument, NULL, OPT_USER_AGENT}, "UA", "HTTP User-Agent (default identifies mtasts-scan)"},
    {{"ehlo-name", required_argument, NULL, OPT_EHLO}, "NAME", "name sent in EHLO (default mtasts-scan.invalid)"},
    {{"mx-conn-per-addr", required_argument, NULL, OPT_MX_CONN}, "N", "concurrent SMTP connections to one address (default 4)"},
    {{"mx-rate-per-addr", required_argument, NULL, OPT_MX_RATE}, "R", "new SMTP connections per second to one address, 0 = unlimited (default 10)"},
    {{"https-conn-per-addr", required_argument, NULL, OPT_HTTPS_CONN}, "N", "concurrent policy fetches from one address (default 8)"},
    {{"https-rate-per-addr", required_argument, NULL, OPT_HTTPS_RATE}, "R", "new policy fetches per second from one address, 0 = unlimited (default 20)"},
    {{"mx-addr-max", required_argument, NULL, OPT_MX_ADDR_MAX}, "N", "addresses probed per MX host (default 2)"},
    {{"mx-cache", required_argument, NULL, OPT_MX_CACHE}, "N", "finished MX probes remembered for reuse (default 200000)"},
    {{"tls-threads", required_argument, NULL, OPT_TLS_THREADS}, "N", "threads for the TLS work (policy fetches, STARTTLS probes); 0 = all on the DNS loop (default 1)"},
    {{"https-port", required_argument, NULL, OPT_HTTPS_PORT}, "PORT", "port of policy hosts (default 443; for test set-ups)"},
    {{"smtp-port", required_argument, NULL, OPT_SMTP_PORT}, "PORT", "port of MX hosts (default 25; for test set-ups)"},
    {{"shard", required_argument, NULL, OPT_SHARD}, "I/N", "scan only input lines whose number modulo N is I (0-based)"},
    {{"blocklist", required_argument, NULL, OPT_BLOCKLIST}, "FILE", "never contact what FILE lists (repeatable, up to 8 files; one entry per line, # comments: domain suffixes, IPv4/IPv6 addresses and CIDR prefixes); listed domains get the verdict excluded (see datasets/optout.blocklist)"},
    {{"dns-rate", required_argument, NULL, OPT_DNS_RATE}, "N", "DNS queries sent per second at most, over all --resolver servers together, 0 = unlimited (default 0)"},
    {{"advisories", no_argument, NULL, OPT_ADVISORIES}, NULL, "also report the advisory codes (policy_mode_testing, sts_ttl_unusual, cert_expiring_soon, ...; docs/codes.md) and judge policy_max_age_short per mode; always on in 'mtasts-scan check'"},
    {{"max-age-min-enforce", required_argument, NULL, OPT_MAX_AGE_MIN_ENFORCE}, "SEC", "advisory policy_max_age_short: an enforce policy's max_age below SEC (default 604800)"},
    {{"max-age-min-testing", required_argument, NULL, OPT_MAX_AGE_MIN_TESTING}, "SEC", "advisory policy_max_age_short: a testing policy's max_age below SEC (default 86400)"},
    {{"format", required_argument, NULL, OPT_FORMAT}, "FMT", "mtasts-scan check only: text (default) or json"},
    {{"retry-timeouts", required_argument, NULL, OPT_RETRY_TIMEOUTS}, "N", "an MX probe or policy fetch that timed out connecting or waiting for the greeting / TLS handshake is tried again up to N times, min(2 s, --timeout / 2) later (a loaded server is not a fact about the domain); the row's retried column says so (default 1; 0 = never)"},
    {{"progress", no_argument, NULL, OPT_PROGRESS}, NULL, "once-a-second status line on stderr, fitted to the terminal's width (default when stderr is a terminal the CSV does not go to)"},
    {{"quiet", no_argument, NULL, 'q'}, NULL, "no status line"},
    {{"schema", no_argument, NULL, OPT_SCHEMA}, NULL, "print the CSV columns with their meaning and exit"},
    {{"version", no_argument, NULL, OPT_VERSION}, NULL, "print the version, source revision and library versions, and exit"},
    {{"help", no_argument, NULL, 'h'}, NULL, "this help"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: mtasts-scan [options] [INPUT]\n\n"
               "Measures MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) deployment.\n"
               "INPUT: one domain per line, or Tranco-style \"rank,domain\" CSV (CRLF or LF, blank\n"
               "lines and # comments ignored); .zst input is decompressed; \"-\" or absent = stdin.\n"
               "One domain: echo example.com | mtasts-scan -   (explained: mtasts-scan check example.com)\n"
               "Exit status: 0 done, 1 output or input failed, 2 usage error, 3 a --fail-on\n"
               "finding, 4 no DNS resolver answers (--dns-abort-after), 130 interrupted.\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[64];
        const struct option *o = &opts[i].opt;
        if (o->val < 256 && o->val != 'h')
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->name, opts[i].arg ? " " : "",
                     opts[i].arg ? opts[i].arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", o->name, opts[i].arg ? " " : "",
                     opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-30s %s\n", left, opts[i].help);
    }
    fprintf(f, "\nVerdicts, issue codes and columns: docs/codes.md, or --schema.\n"
               "Subcommands (first argument): merge (one table from shard and resumed outputs; "
               "merge --help), diff (changes between two scans; diff --help), schema [--markdown], "
               "check DOMAIN... (each step explained with a fix per finding; check --help).\n");
}

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

static int apply(struct config *cfg, int id, const char *arg, FILE *out, char *ex, size_t exlen)
{
    long l;
    switch (id) {
    case 'o': cfg->output = arg; return 0;
    case OPT_MX_OUTPUT: cfg->mx_output = arg; return 0;
    case OPT_DOMAIN_MX_OUTPUT: cfg->domain_mx_output = arg; return 0;
    case OPT_SUMMARY: cfg->summary_json = arg; return 0;
    case OPT_RESUME: cfg->resume = arg; return 0;
    case OPT_METADATA: cfg->metadata = arg; return 0;
    case OPT_LIST_ID: cfg->list_id = arg; return 0;
    case OPT_PREVIOUS: cfg->previous = arg; return 0;
    case OPT_CHANGES_OUTPUT: cfg->changes_output = arg; return 0;
    case OPT_EXPIRY_DAYS: return parse_long(arg, 0, 36500, &cfg->expiry_days, ex, exlen);
    case OPT_TESTING_DAYS: return parse_long(arg, 0, 36500, &cfg->testing_days, ex, exlen);
    case OPT_FAIL_ON:
        cfg->has_fail_on = 1;
        cfg->fail_on_text = arg;
        return changes_failon_parse(arg, &cfg->fail_on, ex, exlen);
    case OPT_RESOLVER: return add_resolver(cfg, arg, ex, exlen);
    case OPT_CA_FILE: cfg->ca_file = arg; return 0;
    case OPT_CONCURRENCY: return parse_long(arg, 1, 1000000, &cfg->concurrency, ex, exlen);
    case OPT_RATE: return parse_double(arg, 0, 1e9, &cfg->rate, ex, exlen);
    case OPT_TIMEOUT: return parse_double(arg, 0.05, 3600, &cfg->timeout_sec, ex, exlen);
    case OPT_DNS_TIMEOUT: return parse_double(arg, 0.05, 3600, &cfg->dns_timeout_sec, ex, exlen);
    case OPT_DOMAIN_TIMEOUT: return parse_double(arg, 0, 86400, &cfg->domain_timeout_sec, ex, exlen);
    case OPT_DNS_INFLIGHT: return parse_long(arg, 1, 1000000, &cfg->dns_inflight, ex, exlen);
    case OPT_DNS_ABORT_AFTER: return parse_long(arg, 0, 1000000000, &cfg->dns_abort_after, ex, exlen);
    case OPT_RETRIES:
        if (parse_long(arg, 0, 20, &l, ex, exlen) < 0)
            return -1;
        cfg->retries = (int)l;
        return 0;
    case OPT_STARTTLS:
        if (strcmp(arg, "all") == 0) cfg->starttls = STARTTLS_MODE_ALL;
        else if (strcmp(arg, "sts") == 0) cfg->starttls = STARTTLS_MODE_STS;
        else if (strcmp(arg, "none") == 0) cfg->starttls = STARTTLS_MODE_NONE;
        else {
            snprintf(ex, exlen, "expected all, sts or none");
            return -1;
        }
        return 0;
    case OPT_DNS_ONLY: cfg->dns_only = 1; return 0;
    case OPT_POLICY_ALL: cfg->policy_all = 1; return 0;
    case OPT_USER_AGENT: cfg->user_agent = arg; return check_text(arg, "", "non-empty printable text, no control characters", ex, exlen);
    case OPT_EHLO:
        cfg->ehlo_name = arg;
        return check_text(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:",
                          "a host name or [address] literal", ex, exlen);
    case OPT_MX_CONN: return parse_long(arg, 1, 100000, &cfg->mx_conn_per_addr, ex, exlen);
    case OPT_MX_RATE: return parse_double(arg, 0, 1e9, &cfg->mx_rate_per_addr, ex, exlen);
    case OPT_TLS_THREADS: return parse_long(arg, 0, 64, &cfg->tls_threads, ex, exlen);
    case OPT_HTTPS_CONN: return parse_long(arg, 1, 100000, &cfg->https_conn_per_addr, ex, exlen);
    case OPT_HTTPS_RATE: return parse_double(arg, 0, 1e9, &cfg->https_rate_per_addr, ex, exlen);
    case OPT_MX_ADDR_MAX: return parse_long(arg, 1, 8, &cfg->mx_addr_max, ex, exlen);
    case OPT_MX_CACHE: return parse_long(arg, 1, 100000000, &cfg->mx_cache_max, ex, exlen);
    case OPT_HTTPS_PORT: return parse_port(arg, &cfg->https_port, ex, exlen);
    case OPT_SMTP_PORT: return parse_port(arg, &cfg->smtp_port, ex, exlen);
    case OPT_SHARD: return parse_shard(cfg, arg, ex, exlen);
    case OPT_BLOCKLIST: /* repeatable: a second list adds to the first, never replaces it */
        if (cfg->n_blocklist == (int)(sizeof(cfg->blocklist) / sizeof(cfg->blocklist[0]))) {
            snprintf(ex, exlen, "at most %d --blocklist files",
                     (int)(sizeof(cfg->blocklist) / sizeof(cfg->blocklist[0])));
            return -1;
        }
        cfg->blocklist[cfg->n_blocklist++] = arg;
        return 0;
    case OPT_DNS_RATE: return parse_double(arg, 0, 1e9, &cfg->dns_rate, ex, exlen);
    case OPT_ADVISORIES: cfg->advisories = 1; return 0;
    case OPT_MAX_AGE_MIN_ENFORCE: return parse_long(arg, 1, 31557600, &cfg->max_age_min_enforce, ex, exlen);
    case OPT_MAX_AGE_MIN_TESTING: return parse_long(arg, 1, 31557600, &cfg->max_age_min_testing, ex, exlen);
    case OPT_FORMAT:
        if (!cfg->check_mode) {
            snprintf(ex, exlen, "--format is an option of 'mtasts-scan check DOMAIN...'");
            return -1;
        }
        if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0) {
            snprintf(ex, exlen, "expected text or json");
            return -1;
        }
        cfg->format = arg;
        return 0;
    case OPT_RETRY_TIMEOUTS: return parse_long(arg, 0, 5, &cfg->retry_timeouts, ex, exlen);
    case OPT_PROGRESS: cfg->progress = PROGRESS_ON; return 0;
    case 'q': cfg->progress = PROGRESS_OFF; return 0;
    case OPT_SCHEMA: csvout_print_schema(out); return 1;
    case OPT_VERSION: config_print_version(out); return 1;
    case 'h': usage(out); return 1;
    }
    snprintf(ex, exlen, "unknown option");
    return -1;
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

int config_parse_args(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    struct option longopts[N_OPTS + 1];
    for (size_t i = 0; i < N_OPTS; i++)
        longopts[i] = opts[i].opt;
    memset(&longopts[N_OPTS], 0, sizeof(longopts[N_OPTS]));
    optind = 1;
    int c, idx = -1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
        if (c == '?') {
            fprintf(err, "Try 'mtasts-scan --help'.\n");
            return -1;
        }
        char expect[256] = "", shown[256];
        int r = apply(cfg, c, optarg, out, expect, sizeof(expect));
        if (r < 0) {
            /* one line: the option, the value (control characters escaped), what it takes */
            show_value(optarg ? optarg : "", shown, sizeof(shown));
            if (idx >= 0)
                fprintf(err, "mtasts-scan: invalid value '%s' for --%s: %s\n", shown,
                        longopts[idx].name, expect);
            else
                fprintf(err, "mtasts-scan: invalid value '%s' for -%c: %s\n", shown, c, expect);
            return -1;
        }
        idx = -1;
        if (r > 0)
            return 1;
    }
    if (cfg->check_mode) {
        cfg->domains = argv + optind;
        cfg->n_domains = argc - optind;
        return 0;
    }
    if (cfg->changes_output && !cfg->previous) {
        fprintf(err, "mtasts-scan: --changes-output needs --previous FILE (the scan to compare with)\n");
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

/* ---- effective values (--metadata) ------------------------------------------------------------ */

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

/* The value behind option id; type NULL with name NULL for actions (--help, ...).  An option
 * added to the table without a case here shows as "unknown", which test_config catches. */
static struct config_value value_of(const struct config *cfg, int id)
{
    switch (id) {
    case 'o': return v_str(cfg->output);
    case OPT_MX_OUTPUT: return v_str(cfg->mx_output);
    case OPT_SUMMARY: return v_str(cfg->summary_json);
    case OPT_METADATA: return v_str(cfg->metadata);
    case OPT_LIST_ID: return v_str(cfg->list_id);
    case OPT_RESUME: return v_str(cfg->resume);
    case OPT_RESOLVER: return v_str(cfg->resolvers[0] ? cfg->resolvers : NULL);
    case OPT_CA_FILE: return v_str(cfg->ca_file);
    case OPT_CONCURRENCY: return v_num((double)cfg->concurrency);
    case OPT_RATE: return v_num(cfg->rate);
    case OPT_TIMEOUT: return v_num(cfg->timeout_sec);
    case OPT_RETRIES: return v_num(cfg->retries);
    case OPT_DNS_TIMEOUT: return v_num(config_dns_timeout(cfg));
    case OPT_DNS_INFLIGHT: return v_num((double)cfg->dns_inflight);
    case OPT_STARTTLS: return v_str(starttls_mode_str(cfg->starttls));
    case OPT_DNS_ONLY: return v_bool(cfg->dns_only);
    case OPT_POLICY_ALL: return v_bool(cfg->policy_all);
    case OPT_USER_AGENT: return v_str(cfg->user_agent);
    case OPT_EHLO: return v_str(cfg->ehlo_name);
    case OPT_MX_CONN: return v_num((double)cfg->mx_conn_per_addr);
    case OPT_MX_RATE: return v_num(cfg->mx_rate_per_addr);
    case OPT_HTTPS_CONN: return v_num((double)cfg->https_conn_per_addr);
    case OPT_HTTPS_RATE: return v_num(cfg->https_rate_per_addr);
    case OPT_MX_ADDR_MAX: return v_num((double)cfg->mx_addr_max);
    case OPT_MX_CACHE: return v_num((double)cfg->mx_cache_max);
    case OPT_TLS_THREADS: return v_num((double)cfg->tls_threads);
    case OPT_HTTPS_PORT: return v_num(cfg->https_port);
    case OPT_SMTP_PORT: return v_num(cfg->smtp_port);
    case OPT_SHARD: return v_str(""); /* text written by config_values into the value */
    case OPT_DOMAIN_TIMEOUT: return v_num(config_domain_timeout(cfg));
    case OPT_DNS_ABORT_AFTER: return v_num((double)cfg->dns_abort_after);
    case OPT_DOMAIN_MX_OUTPUT: return v_str(cfg->domain_mx_output);
    case OPT_PREVIOUS: return v_str(cfg->previous);
    case OPT_CHANGES_OUTPUT: return v_str(cfg->changes_output);
    case OPT_EXPIRY_DAYS: return v_num((double)cfg->expiry_days);
    case OPT_TESTING_DAYS: return v_num((double)cfg->testing_days);
    case OPT_FAIL_ON: return v_str(cfg->fail_on_text);
    case OPT_DNS_RATE: return v_num(cfg->dns_rate);
    case OPT_RETRY_TIMEOUTS: return v_num((double)cfg->retry_timeouts);
    case OPT_BLOCKLIST: return v_str(""); /* text written by config_values into the value */
    case OPT_ADVISORIES: return v_bool(cfg->advisories);
    /* the thresholds in effect (0 in cfg = scanner/classify.h's default) */
    case OPT_MAX_AGE_MIN_ENFORCE:
        return v_num((double)(cfg->max_age_min_enforce > 0 ? cfg->max_age_min_enforce : 604800));
    case OPT_MAX_AGE_MIN_TESTING:
        return v_num((double)(cfg->max_age_min_testing > 0 ? cfg->max_age_min_testing : 86400));
    case OPT_FORMAT: return v_str(cfg->format);
    case OPT_PROGRESS: return v_str(progress_str(cfg->progress));
    case 'q': return v_bool(cfg->progress == PROGRESS_OFF);
    case OPT_SCHEMA: case OPT_VERSION: case 'h': {
        struct config_value none = {.name = NULL, .type = CONFIG_VALUE_NULL};
        return none;
    }
    }
    return v_str("unknown");
}

static int is_action(int id)
{
    return id == OPT_SCHEMA || id == OPT_VERSION || id == 'h';
}

size_t config_values(const struct config *cfg, struct config_value *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        if (is_action(opts[i].opt.val))
            continue;
        if (n < max) {
            out[n] = value_of(cfg, opts[i].opt.val);
            out[n].name = opts[i].opt.name;
            if (opts[i].opt.val == OPT_SHARD) {
                snprintf(out[n].text, sizeof(out[n].text), "%ld/%ld", cfg->shard_index, cfg->shard_count);
                out[n].str = out[n].text;
            }
            if (opts[i].opt.val == OPT_BLOCKLIST) { /* repeatable: the files, ','-joined */
                size_t len = 0;
                out[n].text[0] = '\0';
                for (int b = 0; b < cfg->n_blocklist && len < sizeof(out[n].text); b++)
                    len += (size_t)snprintf(out[n].text + len, sizeof(out[n].text) - len, "%s%s",
                                            b ? "," : "", cfg->blocklist[b]);
                out[n].str = cfg->n_blocklist ? out[n].text : NULL;
                if (!out[n].str)
                    out[n].type = CONFIG_VALUE_NULL;
            }
        }
        n++;
    }
    return n;
}
