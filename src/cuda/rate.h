/* rate.h - the compute share's launch-rate limiter: a token bucket on kernel launches whose rate
 * follows measured utilisation towards the task's percentage. Pure: time and utilisation are
 * inputs. Not thread-safe: the caller holds its lock. */
#ifndef AL_CUDA_RATE_H
#define AL_CUDA_RATE_H

#include <stdint.h>

struct al__rate {
    int target;       /* percent of the device, 1..100 */
    double rate;      /* launches per second the bucket refills with */
    double tokens;    /* launches that may go now */
    double burst;     /* most tokens the bucket holds */
    uint64_t last_ns; /* time of the last refill */
};

/* A limiter for target percent, starting at rate launches per second. */
void al__rate_init(struct al__rate *r, int target, double rate, uint64_t now_ns);

/* Feeds one utilisation sample (percent of the device busy over the last interval): above the
 * target the rate drops in proportion, below it the rate grows by a tenth (at least 50 per
 * second), between 10 and 10,000,000 launches per second. */
void al__rate_sample(struct al__rate *r, int util_percent);

/* Takes one launch at now_ns: returns 0 when it may go at once, else the nanoseconds to wait
 * before it goes (the token is taken: the caller sleeps, then launches). */
uint64_t al__rate_take(struct al__rate *r, uint64_t now_ns);

#endif
