#include "zl_rng.h"

#include <math.h>

#define ZL_GOLDEN 0x9e3779b97f4a7c15ULL
/* M_PI is POSIX, not C11. */
#define ZL_TWO_PI 6.283185307179586476925286766559

/* The splitmix64 finaliser (Stafford's Mix13): a bijection on 64 bits with full avalanche. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t zl_hash64(uint64_t seed, uint64_t x) {
  /* x enters through bijections only, so for one seed distinct x never collide (runs ordered by
   * hash then have no ties). mix64(0) = 0 makes zl_hash64(seed, 0) splitmix64's first output from
   * state seed, which pins this function to the published splitmix64 test values. */
  return mix64(seed + ZL_GOLDEN + mix64(x));
}

void zl_rng_init(zl_rng *r, uint64_t seed, uint64_t stream) {
  /* Four consecutive splitmix64 outputs: distinct inputs to a bijection, so at most one word is
   * zero and the forbidden all-zero xoshiro state cannot occur. */
  uint64_t z = zl_hash64(seed, stream);
  for (int i = 0; i < 4; i++) {
    z += ZL_GOLDEN;
    r->s[i] = mix64(z);
  }
}

uint64_t zl_rng_next(zl_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double zl_rng_uniform(zl_rng *r) {
  return (double)(zl_rng_next(r) >> 11) * 0x1.0p-53;
}

double zl_rng_normal(zl_rng *r) {
  /* 1 - u lies in (0, 1], so the logarithm stays finite. */
  double u1 = 1.0 - zl_rng_uniform(r);
  double u2 = zl_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(ZL_TWO_PI * u2);
}

uint64_t zl_rng_below(zl_rng *r, uint64_t n) {
  if (n == 0) return 0;
  /* Rejecting the lowest 2^64 mod n outputs leaves a multiple of n equally likely values, so the
   * remainder is exactly uniform. */
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    uint64_t x = zl_rng_next(r);
    if (x >= threshold) return x % n;
  }
}
