/*
 * config: command-line parsing.  The option table below is the single description of every flag;
 * --help is printed from it with the defaults, so the two cannot drift apart.
 */
#include "pipeline/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
}

enum opt_id {
    OPT_MX_OUTPUT = 256, OPT_RESOLVER, OPT_CA_FILE, OPT_CONCURRENCY, OPT_RATE, OPT_TIMEOUT,
    OPT_RETRIES, OPT_STARTTLS, OPT_PROGRESS, OPT_DNS_ONLY, OPT_POLICY_ALL, OPT_USER_AGENT,
    OPT_EHLO, OPT_MX_CONN, OPT_MX_RATE, OPT_MX_ADDR_MAX, OPT_MX_CACHE, OPT_HTTPS_PORT,
    OPT_SMTP_PORT, OPT_SHARD, OPT_SUMMARY, OPT_SCHEMA, OPT_VERSION, OPT_DNS_TIMEOUT, OPT_DNS_INFLIGHT, OPT_RESUME, OPT_HTTPS_CONN, OPT_HTTPS_RATE, OPT_TLS_THREADS,
    OPT_BLOCKLIST, OPT_DNS_RATE
};

struct opt_doc {
    struct option opt;
    const char *arg, *help;
};

static const struct opt_doc opts[] = {
    {{"output", required_argument, NULL, 'o'}, "FILE", "domain results (CSV; zstd when FILE ends in .zst); default stdout"},
    {{"mx-output", required_argument, NULL, OPT_MX_OUTPUT}, "FILE", "one row per probed MX (host, address); .zst as for -o"},
    {{"summary-json", required_argument, NULL, OPT_SUMMARY}, "FILE", "adoption summary as JSON"},
    {{"resume", required_argument, NULL, OPT_RESUME}, "FILE", "skip input lines whose (rank, domain) has a complete row in FILE (an earlier, interrupted run's -o; once per row, so repeated lines count); write the rest to -o"},
    {{"resolver", required_argument, NULL, OPT_RESOLVER}, "ADDR", "DNS server IP[:PORT]; repeatable or comma-separated; default: system configuration"},
    {{"ca-file", required_argument, NULL, OPT_CA_FILE}, "FILE", "trust anchors for certificate checks; default: system store"},
    {{"concurrency", required_argument, NULL, OPT_CONCURRENCY}, "N", "domains in flight at most (default 1000)"},
    {{"rate", required_argument, NULL, OPT_RATE}, "N", "new domains started per second at most, 0 = unlimited (default 1000)"},
    {{"timeout", required_argument, NULL, OPT_TIMEOUT}, "SEC", "per-network-operation timeout (default 10)"},
    {{"retries", required_argument, NULL, OPT_RETRIES}, "N", "DNS retries after the first try (default 2)"},
    {{"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT}, "SEC", "first DNS try's timeout, doubled on each retry (default: a share of --timeout such that a lookup with all its retries ends within --timeout)"},
    {{"dns-inflight", required_argument, NULL, OPT_DNS_INFLIGHT}, "N", "DNS queries on the wire at most; more wait their turn (default 500)"},
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
    {{"progress", no_argument, NULL, OPT_PROGRESS}, NULL, "once-a-second status line on stderr (default when stderr is a tty)"},
    {{"quiet", no_argument, NULL, 'q'}, NULL, "no status line"},
    {{"schema", no_argument, NULL, OPT_SCHEMA}, NULL, "print the CSV columns with their meaning and exit"},
    {{"version", no_argument, NULL, OPT_VERSION}, NULL, "print the version and exit"},
    {{"help", no_argument, NULL, 'h'}, NULL, "this help"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: mtasts-scan [options] [INPUT]\n\n"
               "Measures MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) deployment.\n"
               "INPUT: one domain per line, or Tranco-style \"rank,domain\" CSV (CRLF or LF, blank\n"
               "lines and # comments ignored); .zst input is decompressed; \"-\" or absent = stdin.\n\n");
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
               "merge --help), schema [--markdown].\n");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int add_resolver(struct config *cfg, const char *s)
{
    size_t len = strlen(cfg->resolvers);
    int n = snprintf(cfg->resolvers + len, sizeof(cfg->resolvers) - len, "%s%s", len ? "," : "", s);
    return (n < 0 || (size_t)n >= sizeof(cfg->resolvers) - len) ? -1 : 0;
}

static int parse_shard(struct config *cfg, const char *s)
{
    char *slash = strchr(s, '/');
    if (!slash)
        return -1;
    char idx[32];
    size_t n = (size_t)(slash - s);
    if (n == 0 || n >= sizeof(idx))
        return -1;
    memcpy(idx, s, n);
    idx[n] = '\0';
    if (parse_long(slash + 1, 1, 1000000, &cfg->shard_count) < 0 ||
        parse_long(idx, 0, cfg->shard_count - 1, &cfg->shard_index) < 0)
        return -1;
    return 0;
}

static int apply(struct config *cfg, int id, const char *arg, FILE *out)
{
    long l;
    switch (id) {
    case 'o': cfg->output = arg; return 0;
    case OPT_MX_OUTPUT: cfg->mx_output = arg; return 0;
    case OPT_SUMMARY: cfg->summary_json = arg; return 0;
    case OPT_RESUME: cfg->resume = arg; return 0;
    case OPT_RESOLVER: return add_resolver(cfg, arg);
    case OPT_CA_FILE: cfg->ca_file = arg; return 0;
    case OPT_CONCURRENCY: return parse_long(arg, 1, 1000000, &cfg->concurrency);
    case OPT_RATE: return parse_double(arg, 0, 1e9, &cfg->rate);
    case OPT_TIMEOUT: return parse_double(arg, 0.05, 3600, &cfg->timeout_sec);
    case OPT_DNS_TIMEOUT: return parse_double(arg, 0.05, 3600, &cfg->dns_timeout_sec);
    case OPT_DNS_INFLIGHT: return parse_long(arg, 1, 1000000, &cfg->dns_inflight);
    case OPT_RETRIES:
        if (parse_long(arg, 0, 20, &l) < 0)
            return -1;
        cfg->retries = (int)l;
        return 0;
    case OPT_STARTTLS:
        if (strcmp(arg, "all") == 0) cfg->starttls = STARTTLS_MODE_ALL;
        else if (strcmp(arg, "sts") == 0) cfg->starttls = STARTTLS_MODE_STS;
        else if (strcmp(arg, "none") == 0) cfg->starttls = STARTTLS_MODE_NONE;
        else return -1;
        return 0;
    case OPT_DNS_ONLY: cfg->dns_only = 1; return 0;
    case OPT_POLICY_ALL: cfg->policy_all = 1; return 0;
    case OPT_USER_AGENT: cfg->user_agent = arg; return 0;
    case OPT_EHLO: cfg->ehlo_name = arg; return 0;
    case OPT_MX_CONN: return parse_long(arg, 1, 100000, &cfg->mx_conn_per_addr);
    case OPT_MX_RATE: return parse_double(arg, 0, 1e9, &cfg->mx_rate_per_addr);
    case OPT_TLS_THREADS: return parse_long(arg, 0, 64, &cfg->tls_threads);
    case OPT_HTTPS_CONN: return parse_long(arg, 1, 100000, &cfg->https_conn_per_addr);
    case OPT_HTTPS_RATE: return parse_double(arg, 0, 1e9, &cfg->https_rate_per_addr);
    case OPT_MX_ADDR_MAX: return parse_long(arg, 1, 8, &cfg->mx_addr_max);
    case OPT_MX_CACHE: return parse_long(arg, 1, 100000000, &cfg->mx_cache_max);
    case OPT_HTTPS_PORT:
        if (parse_long(arg, 1, 65535, &l) < 0)
            return -1;
        cfg->https_port = (unsigned short)l;
        return 0;
    case OPT_SMTP_PORT:
        if (parse_long(arg, 1, 65535, &l) < 0)
            return -1;
        cfg->smtp_port = (unsigned short)l;
        return 0;
    case OPT_SHARD: return parse_shard(cfg, arg);
    case OPT_BLOCKLIST: /* repeatable: a second list adds to the first, never replaces it */
        if (cfg->n_blocklist == (int)(sizeof(cfg->blocklist) / sizeof(cfg->blocklist[0])))
            return -1;
        cfg->blocklist[cfg->n_blocklist++] = arg;
        return 0;
    case OPT_DNS_RATE: return parse_double(arg, 0, 1e9, &cfg->dns_rate);
    case OPT_PROGRESS: cfg->progress = PROGRESS_ON; return 0;
    case 'q': cfg->progress = PROGRESS_OFF; return 0;
    case OPT_SCHEMA: csvout_print_schema(out); return 1;
    case OPT_VERSION: fprintf(out, "mtasts-scan %s\n", MTASTS_VERSION); return 1;
    case 'h': usage(out); return 1;
    }
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
        int r = apply(cfg, c, optarg, out);
        if (r < 0) {
            if (idx >= 0)
                fprintf(err, "mtasts-scan: invalid value '%s' for --%s\n", optarg ? optarg : "",
                        longopts[idx].name);
            else
                fprintf(err, "mtasts-scan: invalid value '%s' for -%c\n", optarg ? optarg : "", c);
            return -1;
        }
        idx = -1;
        if (r > 0)
            return 1;
    }
    if (optind < argc)
        cfg->input = argv[optind++];
    if (optind < argc) {
        fprintf(err, "mtasts-scan: one INPUT at most (got '%s' too)\n", argv[optind]);
        return -1;
    }
    return 0;
}
