/* ratelimit: token bucket arithmetic. */
#include "lib/ratelimit.h"

void ratelimit_init(struct ratelimit *r, double rate, double burst, double now)
{
    r->rate = rate;
    r->burst = burst < 1 ? 1 : burst;
    r->tokens = r->burst;
    r->last = now;
}

static void refill(struct ratelimit *r, double now)
{
    if (now > r->last) {
        r->tokens += (now - r->last) * r->rate;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
    }
    r->last = now;
}

int ratelimit_take(struct ratelimit *r, double now)
{
    if (r->rate <= 0)
        return 1;
    refill(r, now);
    if (r->tokens < 1)
        return 0;
    r->tokens -= 1;
    return 1;
}

double ratelimit_wait(struct ratelimit *r, double now)
{
    if (r->rate <= 0)
        return 0;
    refill(r, now);
    return r->tokens >= 1 ? 0 : (1 - r->tokens) / r->rate;
}
