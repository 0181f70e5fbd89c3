/* rng.h - a seeded xorshift generator for tests that make random sequences of changes. */
#ifndef ALLOT_TESTS_RNG_H
#define ALLOT_TESTS_RNG_H

#include <stdint.h>

/* tb_rng_below - the next number of *state's sequence, below n (> 0). *state must not be 0. */
static inline uint32_t tb_rng_below(uint64_t *state, uint32_t n) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t)(*state % n);
}

#endif
