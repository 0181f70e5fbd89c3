/* rng.h - a small seeded random number generator (xoshiro256**, seeded by splitmix64): the same
 * seed gives the same sequence on every platform. */
#ifndef ALLOT_UTIL_RNG_H
#define ALLOT_UTIL_RNG_H

#include <stdint.h>

/* The generator's state; caller's memory, no resources held. */
struct al__rng {
    uint64_t s[4];
};

/* al__rng_init - seeds r from `seed` (any value, 0 included). */
void al__rng_init(struct al__rng *r, uint64_t seed);

/* al__rng_next - the next 64 random bits. */
uint64_t al__rng_next(struct al__rng *r);

/*
 * al__rng_below - a uniform integer in [0, n) without modulo bias (rejection sampling); 0 when
 * n is 0. Consumes one value of the sequence, or more on a (rare) rejection.
 */
uint64_t al__rng_below(struct al__rng *r, uint64_t n);

/* al__rng_mix - splitmix64's finaliser: a well-mixed function of x (no state), for deriving
 * independent values from one drawn value. */
uint64_t al__rng_mix(uint64_t x);

#endif
