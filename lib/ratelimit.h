/*
 * ratelimit: a token bucket.  Used for the global --rate of new domains and for the per-address
 * SMTP connection rate.  Time is passed in by the caller (seconds, monotonic), so the bucket is a
 * pure data structure and trivially testable.
 */
#ifndef MTASTS_RATELIMIT_H
#define MTASTS_RATELIMIT_H

struct ratelimit {
    double rate;    /* tokens per second; 0 = unlimited */
    double burst;   /* bucket size */
    double tokens;
    double last;    /* time of the last refill */
};

/* rate 0 = unlimited.  burst < 1 is raised to 1.  The bucket starts full. */
void ratelimit_init(struct ratelimit *r, double rate, double burst, double now);

/* Takes one token if available: 1 taken, 0 not. */
int ratelimit_take(struct ratelimit *r, double now);

/* Seconds until a token will be available (0 when one is). */
double ratelimit_wait(struct ratelimit *r, double now);

#endif
