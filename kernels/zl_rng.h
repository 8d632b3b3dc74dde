/* Counter-based random numbers: every stream is a pure function of (seed, stream id), so a result
 * never depends on how work is spread over ranks. */
#ifndef ZL_RNG_H
#define ZL_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} zl_rng; /* xoshiro256** state; plain struct so it can live on the stack */

/* 64-bit mix of (seed, x) (splitmix64 finaliser over both); the same everywhere. Not collective. */
uint64_t zl_hash64(uint64_t seed, uint64_t x);

/* Seeds the generator for stream `stream` of `seed`. */
void zl_rng_init(zl_rng *r, uint64_t seed, uint64_t stream);

uint64_t zl_rng_next(zl_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double zl_rng_uniform(zl_rng *r);
/* Standard normal (Box-Muller, no cached second value so the stream position is simple). */
double zl_rng_normal(zl_rng *r);
/* Uniform integer in [0, n), unbiased (rejection); 0 when n == 0. */
uint64_t zl_rng_below(zl_rng *r, uint64_t n);

#endif
