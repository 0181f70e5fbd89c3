/* bucket.c - a token bucket (bucket.h). */
#include "util/bucket.h"

void al__bucket_fill(struct al__bucket *b, double burst, double now) {
    b->tokens = burst;
    b->seen = now;
}

bool al__bucket_take(struct al__bucket *b, double rate, double burst, double now, double *wait) {
    if (now > b->seen)
        b->tokens += (now - b->seen) * rate;
    if (b->tokens > burst)
        b->tokens = burst;
    b->seen = now;
    if (b->tokens >= 1) {
        b->tokens -= 1;
        return true;
    }
    *wait = (1 - b->tokens) / rate;
    return false;
}
