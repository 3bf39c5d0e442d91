/*
 * bench.d/blocklist.c: the timing harness of scripts/bench-blocklist.  Loads one --blocklist file
 * through the scanner's own loader (lib/blocklist) and times it, then times matches: random
 * IPv4 and IPv6 addresses (mostly unlisted, so every prefix length in use is probed: the worst
 * case) and random three-label names.  Prints one line per figure; exit 1 when the file does not
 * load.  A test tool, not part of the scanner.
 *
 *   bench-blocklist-tool FILE [MATCHES]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/blocklist.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift64: a fixed, portable sequence so that runs compare. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-blocklist-tool FILE [MATCHES]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    char err[512];
    double t0 = now();
    struct blocklist *bl = blocklist_load(argv[1], err, sizeof(err));
    double load = now() - t0;
    if (!bl) {
        fprintf(stderr, "bench-blocklist-tool: %s\n", err);
        return 1;
    }
    printf("entries %zu load_s %.3f\n", blocklist_count(bl), load);

    uint64_t seed = 0x9e3779b97f4a7c15u;
    long hits = 0;
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    t0 = now();
    for (long i = 0; i < n; i++) {
        uint32_t a = (uint32_t)next(&seed);
        memcpy(&v4.sin_addr, &a, 4);
        hits += blocklist_match_addr(bl, (struct sockaddr *)&v4) != NULL;
    }
    printf("match_v4 %ld ns_per_match %.0f listed %ld\n", n, (now() - t0) * 1e9 / (double)n, hits);

    hits = 0;
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    t0 = now();
    for (long i = 0; i < n; i++) {
        uint64_t hi = next(&seed), lo = next(&seed);
        hi = (hi & 0x0000ffffffffffffu) | 0x2001000000000000u; /* inside 2001::/16, where the list's v6 prefixes are */
        memcpy(v6.sin6_addr.s6_addr, &hi, 8);
        memcpy(v6.sin6_addr.s6_addr + 8, &lo, 8);
        hits += blocklist_match_addr(bl, (struct sockaddr *)&v6) != NULL;
    }
    printf("match_v6 %ld ns_per_match %.0f listed %ld\n", n, (now() - t0) * 1e9 / (double)n, hits);

    hits = 0;
    char name[96];
    t0 = now();
    for (long i = 0; i < n; i++) {
        uint64_t r = next(&seed);
        snprintf(name, sizeof(name), "mx%u.n%u.example%u.test", (unsigned)(r & 7),
                 (unsigned)((r >> 8) % 2000000), (unsigned)((r >> 40) % 16));
        hits += blocklist_match_domain(bl, name) != NULL;
    }
    printf("match_name %ld ns_per_match %.0f listed %ld\n", n, (now() - t0) * 1e9 / (double)n, hits);
    blocklist_free(bl);
    return 0;
}
