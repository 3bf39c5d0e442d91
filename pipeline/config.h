/*
 * config: the configuration object of every subcommand (scan, check, diff, merge), the only
 * process-wide state, filled once from the command line and read-only afterwards.  Counters live
 * elsewhere (pipeline/scan.h).  Every option is one row of the option table in config.c: its name,
 * argument, default, the commands that take it, help text, parser and how its value is read back;
 * parsing, --help, --metadata's options, check's refusal of bulk-only options and docs/options.md
 * (`mtasts-scan schema --options-markdown`) are all driven by that table.
 */
#ifndef MTASTS_CONFIG_H
#define MTASTS_CONFIG_H

#include <stdio.h>

#include "scanner/changes.h"

enum starttls_mode { STARTTLS_MODE_ALL, STARTTLS_MODE_STS, STARTTLS_MODE_NONE, STARTTLS_MODE__COUNT };
const char *starttls_mode_str(enum starttls_mode m);

enum progress_mode { PROGRESS_AUTO, PROGRESS_ON, PROGRESS_OFF };

/* The subcommands, as a bit mask: which of them take an option (the option table's `commands`). */
enum config_command {
    CONFIG_CMD_SCAN = 1u << 0,  /* mtasts-scan [options] [INPUT] */
    CONFIG_CMD_CHECK = 1u << 1, /* mtasts-scan check [options] DOMAIN... */
    CONFIG_CMD_DIFF = 1u << 2,  /* mtasts-scan diff [options] OLD NEW */
    CONFIG_CMD_MERGE = 1u << 3  /* mtasts-scan merge [options] -o ALL OUT... */
};

struct config {
    const char *input;          /* "-" = stdin */
    const char *output;         /* "-" = stdout */
    const char *mx_output;      /* NULL = no MX table */
    const char *domain_mx_output; /* NULL = no domain-MX edge table */
    const char *summary_json;   /* NULL = none */
    const char *metadata;       /* --metadata FILE: how the scan was made (pipeline/metadata.h) */
    const char *list_id;        /* --list-id TEXT: free text naming the input list; NULL = none */
    const char *resume;         /* an earlier run's domain CSV: skip ranks it has; NULL = none */
    char resolvers[1024];       /* comma-joined, "" = system */
    const char *ca_file;        /* NULL = system store */
    long concurrency;
    double rate;                /* new domains per second, 0 = unlimited */
    double timeout_sec;
    double dns_timeout_sec;     /* first DNS try (0 = derived, see config_dns_timeout) */
    long dns_inflight;          /* DNS queries on the wire at most */
    int retries;
    enum starttls_mode starttls;
    enum progress_mode progress;
    int dns_only;               /* skip HTTPS and SMTP stages */
    int policy_all;             /* fetch the policy even without a valid TXT record */
    const char *user_agent;
    const char *ehlo_name;
    long mx_conn_per_addr;      /* concurrent SMTP connections to one address */
    double mx_rate_per_addr;    /* new SMTP connections per second to one address */
    long mx_addr_max;           /* addresses probed per MX host */
    long https_conn_per_addr;   /* concurrent HTTPS fetches from one address */
    double https_rate_per_addr; /* new HTTPS connections per second to one address */
    long mx_cache_max;          /* finished MX probes remembered (LRU) */
    long tls_threads;           /* threads running HTTPS fetches and SMTP probes (0 = main loop) */
    unsigned short https_port, smtp_port;
    long shard_index, shard_count;
    long jobs;                  /* scan engines (threads) over one input; 0 = config_jobs' choice */
    double domain_timeout_sec;  /* whole-domain deadline; < 0 = derived, 0 = none */
    long retry_timeouts;        /* connect/greeting timeouts of probes and fetches tried again */
#define CONFIG_RETRY_PAUSE_SEC 2.0 /* ... this much later (at most half --timeout, so a retry
                                      * fits in the default --domain-timeout of 3 x --timeout) */
    long dns_abort_after;       /* stop when this many first lookups all got no answer (0 = never) */
    const char *blocklist[8];   /* --blocklist FILE, repeatable: never contacted (lib/blocklist.h) */
    int n_blocklist;
    double dns_rate;            /* DNS queries per second sent at most, 0 = unlimited (scanner/dns.h) */
    int argc;                   /* the command line as given (before getopt reorders argv), */
    char *const *argv;          /* for --metadata; set by the caller, borrowed; NULL = unknown */
    /* Monitoring (pipeline/monitor.h): compare with an earlier scan as domains finish. */
    const char *previous;       /* the earlier scan's domain table; NULL = none */
    const char *changes_output; /* changes table (needs --previous); NULL = none */
    long expiry_days, testing_days;
    struct changes_failon fail_on; /* exit 3 when one occurs */
    int has_fail_on;
    const char *fail_on_text;   /* --fail-on as given (for --metadata); NULL = none */
    /* Thresholds of the advisory codes (docs/codes.md; 0 = scanner/classify.h's default): */
    long max_age_min_enforce;   /* policy_max_age_short below this under enforce (604800) */
    long max_age_min_testing;   /* ... under testing (86400) */
    int advisories;             /* --advisories: judge the advisory codes of issue 12 */
    /* `mtasts-scan check` (commands/check.c) only: */
    int check_mode;             /* config_defaults_for(CONFIG_CMD_CHECK): DOMAIN... instead of INPUT */
    const char *format;         /* --format text | json; NULL = text */
    char **domains;             /* the DOMAIN arguments (borrowed from argv) */
    int n_domains;
    /* `mtasts-scan diff` (commands/diff.c) only: */
    const char *old_mx, *new_mx; /* --old-mx, --new-mx: the scans' MX tables; NULL = none */
    /* `mtasts-scan merge` (commands/merge.c) only: */
    const char *input_list;     /* --input LIST: the scanned list; NULL = none */
    int mx_tables;              /* --mx: the files are MX tables */
    int quiet;                  /* -q: no summary line */
    /* Inputs that are cut or incomplete (issue 20), read by the modules that read them: */
    int allow_partial;          /* --allow-partial: accept them with a warning */
    int csv_formula_guard;      /* --csv-formula-guard: prefix ' to cells starting = + - @ */
    char **args;                /* diff and merge: the operands after the options (borrowed) */
    int n_args;
};

/* The first DNS try's timeout: --dns-timeout, or the share of --timeout that lets a lookup and
 * all its retries (c-ares doubles the wait each round) end within --timeout. */
double config_dns_timeout(const struct config *cfg);

/* The pause before a --retry-timeouts retry: CONFIG_RETRY_PAUSE_SEC, at most half --timeout. */
double config_retry_pause(const struct config *cfg);

/* The whole-domain deadline in seconds (0 = none): --domain-timeout, or 3 x --timeout. */
double config_domain_timeout(const struct config *cfg);

/* The number of scan engines (--jobs, pipeline/scan.c): the value given, or half the CPUs this
 * process may run on (each engine is a DNS loop and a TLS thread, and a resolver on the same
 * machine needs cores too), at least 1 and at most config_jobs_max. */
long config_jobs(const struct config *cfg);

/* The most engines the limits can be split between: each engine takes an equal share of
 * --concurrency and --dns-inflight and, unless --dns-only, of --mx-conn-per-addr and
 * --https-conn-per-addr, and needs at least 1 of each, so that the limits hold for the scan as a
 * whole. */
long config_jobs_max(const struct config *cfg);

/* Fills cfg with the defaults of the scan's (and check's) options. */
void config_defaults(struct config *cfg);

/* Fills cfg with the defaults of the options of cmd (one enum config_command). */
void config_defaults_for(struct config *cfg, enum config_command cmd);

/* Parses argv (argv[0] the program or subcommand name) into cfg for the scan, or for check when
 * cfg->check_mode is set.  Returns 0 to go on, 1 when the caller should exit 0 (--help/--version
 * printed), -1 on a usage error (message already printed to err). */
int config_parse_args(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* The same for any command, cfg filled by config_defaults_for(cfg, cmd) first.  Options of other
 * commands, a single-value option given twice, a missing or invalid value are usage errors, with
 * one line on err.  The operands are left in cfg->args / cfg->n_args (scan: cfg->input, check:
 * cfg->domains as well). */
int config_parse_command(struct config *cfg, enum config_command cmd, int argc, char **argv,
                         FILE *out, FILE *err);

/* Prints cmd's --help (synopsis, options with their defaults, exit statuses) to f. */
void config_print_usage(enum config_command cmd, FILE *f);

/* Prints the option table as docs/options.md's generated section (`schema --options-markdown`). */
void config_print_options_markdown(FILE *f);

/* Checks the files the options name that must be readable before a scan starts (--ca-file:
 * at least one PEM certificate, unless --dns-only).  0, or -1 with one line printed to err
 * naming the option, the value and what is expected. */
int config_check_files(const struct config *cfg, FILE *err);

/* Prints what --version prints: "mtasts-scan VERSION (git REVISION)" and a line of the library
 * versions in use (libevent, c-ares, OpenSSL, zstd). */
void config_print_version(FILE *out);

/* 0 when item is one --resolver server c-ares understands: IPv4, IPv4:PORT, IPv6, [IPv6] or
 * [IPv6]:PORT with PORT 1-65535; -1 otherwise.  Pure: exposed for the tests. */
int config_resolver_check(const char *item);

/* 1 when an INPUT argument reads like a domain name rather than a file name ("example.com", not
 * "domains.txt" or "./list"): used to add a hint when such a file does not exist.  Pure. */
int config_input_looks_like_domain(const char *arg);
/* One option's effective value, for the --metadata record.  name is the long option name. */
enum config_value_type { CONFIG_VALUE_NULL, CONFIG_VALUE_STRING, CONFIG_VALUE_NUMBER, CONFIG_VALUE_BOOL };
struct config_value {
    const char *name;
    enum config_value_type type;
    const char *str;   /* CONFIG_VALUE_STRING; borrowed from cfg, static, or this value's text */
    double num;        /* CONFIG_VALUE_NUMBER (longs are exact) */
    int flag;          /* CONFIG_VALUE_BOOL */
    char text[1024];   /* formatted values (--shard "I/N", the --blocklist files ','-joined) */
};

/* Fills out[0..max) (str may point into out[i].text: do not copy the struct) with the effective
 * value of every option of the scan and check that is a setting (every one but --help, --version,
 * --schema), defaults included, in --help order; --dns-timeout is the derived value when not
 * given.  Returns the number of settings (may exceed max, CONFIG_VALUES_MAX at most). */
#define CONFIG_VALUES_MAX 96
size_t config_values(const struct config *cfg, struct config_value *out, size_t max);

#endif
