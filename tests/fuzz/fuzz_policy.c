/*
 * fuzz_policy: libFuzzer target for policy_parse (RFC 8461 §3.2) and the §4.1 matcher.
 * The input is a policy body.  Besides the sanitizers, it traps when an output invariant breaks:
 * bounded, terminated, lower-case mx patterns that match themselves, and valid == no
 * invalidating issue.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scanner/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct policy p;
    policy_parse((const char *)data, size, &p);

    check(p.n_mx <= POLICY_MX_MAX);
    check(memchr(p.error, '\0', sizeof(p.error)) != NULL);
    check(p.max_age >= -1 && p.max_age <= 31557600);
    check(p.mode >= POLICY_MODE_UNSET && p.mode <= POLICY_MODE_NONE);
    uint64_t bad = p.issues.bits & ~((uint64_t)1 << ISSUE_POLICY_MAX_AGE_SHORT);
    check(p.valid == (bad == 0));
    check(!p.valid || p.mode != POLICY_MODE_UNSET);
    for (size_t i = 0; i < p.n_mx; i++) {
        const char *mx = p.mx[i];
        size_t n = strnlen(mx, sizeof(p.mx[i]));
        check(n > 0 && n < sizeof(p.mx[i]));
        check(mx[n - 1] != '.');
        for (size_t j = 0; j < n; j++)
            check(!(mx[j] >= 'A' && mx[j] <= 'Z'));
        check(policy_mx_match(mx, mx));
        check(policy_covers(&p, mx));
    }
    /* The matcher on arbitrary text: the first line as a host against every pattern. */
    char host[300];
    size_t hn = 0;
    while (hn < size && hn < sizeof(host) - 1 && data[hn] != '\n' && data[hn] != '\0') {
        host[hn] = (char)data[hn];
        hn++;
    }
    host[hn] = '\0';
    (void)policy_covers(&p, host);
    return 0;
}
