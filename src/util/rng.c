/* rng.c - xoshiro256** seeded by splitmix64 (public-domain algorithms by Blackman and Vigna,
 * written here from their published definitions). */
#include "util/rng.h"

uint64_t al__rng_mix(uint64_t x) {
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

void al__rng_init(struct al__rng *r, uint64_t seed) {
    uint64_t x = seed;
    int i;

    for (i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        r->s[i] = al__rng_mix(x);
    }
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t al__rng_next(struct al__rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t al__rng_below(struct al__rng *r, uint64_t n) {
    uint64_t limit, v;

    if (n == 0)
        return 0;
    /* The largest multiple of n that fits: values at or above it would bias the result. */
    limit = UINT64_MAX - UINT64_MAX % n;
    do {
        v = al__rng_next(r);
    } while (v >= limit);
    return v % n;
}
