/* bucket.h - a token bucket: at most `burst` at once, refilled at `rate` a unit of time (the
 * caller's clock, in whatever unit it counts). The sign-in budgets per address and the request
 * budgets per subject are ones. */
#ifndef ALLOT_UTIL_BUCKET_H
#define ALLOT_UTIL_BUCKET_H

#include <stdbool.h>

struct al__bucket {
    double tokens;
    double seen; /* when it was last looked at */
};

/* al__bucket_fill - a full bucket at `now`. */
void al__bucket_fill(struct al__bucket *b, double burst, double now);

/* al__bucket_take - refills for the time since it was last looked at, then takes one: true; or
 * false with *wait (time units until one is back) when it has none. */
bool al__bucket_take(struct al__bucket *b, double rate, double burst, double now, double *wait);

#endif
