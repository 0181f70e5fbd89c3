/* rate.c - a token bucket whose refill rate is driven by utilisation samples (multiplicative
 * decrease above the target, additive-and-proportional increase below it). */
#include "rate.h"

#define RATE_MIN 10.0
#define RATE_MAX 1e7

void al__rate_init(struct al__rate *r, int target, double rate, uint64_t now_ns) {
    r->target = target < 1 ? 1 : target > 100 ? 100 : target;
    r->rate = rate < RATE_MIN ? RATE_MIN : rate > RATE_MAX ? RATE_MAX : rate;
    r->burst = r->rate / 20 < 1 ? 1 : r->rate / 20; /* 50 ms worth */
    r->tokens = r->burst;
    r->last_ns = now_ns;
}

void al__rate_sample(struct al__rate *r, int util) {
    if (util > r->target)
        r->rate *= util > 0 ? (double)r->target / util : 1;
    else if (util < r->target - 2)
        r->rate += r->rate / 10 < 50 ? 50 : r->rate / 10;
    r->rate = r->rate < RATE_MIN ? RATE_MIN : r->rate > RATE_MAX ? RATE_MAX : r->rate;
    r->burst = r->rate / 20 < 1 ? 1 : r->rate / 20;
    if (r->tokens > r->burst)
        r->tokens = r->burst;
}

uint64_t al__rate_take(struct al__rate *r, uint64_t now) {
    if (now > r->last_ns) {
        r->tokens += (double)(now - r->last_ns) * r->rate / 1e9;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last_ns = now;
    }
    r->tokens -= 1;
    if (r->tokens >= 0)
        return 0;
    return (uint64_t)(-r->tokens * 1e9 / r->rate);
}
