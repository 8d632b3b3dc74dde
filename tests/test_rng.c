/* zl_rng (serial, 1 process): published xoshiro256** and splitmix64 values, determinism, stream
 * independence, uniform/normal moments, unbiased zl_rng_below. */
#include "zl_rng.h"
#include "zl_test.h"

#include <stdint.h>
#include <string.h>

static void check_reference_values(void) {
  /* xoshiro256** from state {1, 2, 3, 4}, as the authors' reference C code gives. */
  zl_rng r = {{1, 2, 3, 4}};
  const uint64_t expect[4] = {11520u, 0u, 1509978240u, 1215971899390074240u};
  for (int i = 0; i < 4; i++)
    ZL_CHECK(zl_rng_next(&r) == expect[i]);
  /* splitmix64 from state 1234567: its first output, then (state + golden gamma) its second. */
  ZL_CHECK(zl_hash64(1234567u, 0) == 6457827717110365317u);
  ZL_CHECK(zl_hash64(1234567u + 0x9e3779b97f4a7c15u, 0) == 3203168211198807973u);
}

static void check_determinism_and_streams(void) {
  zl_rng a, b, c, d;
  zl_rng_init(&a, 42, 7);
  zl_rng_init(&b, 42, 7);
  zl_rng_init(&c, 42, 8);
  zl_rng_init(&d, 43, 7);
  int same_ab = 1, same_ac = 0, same_ad = 0;
  double sxy = 0;
  const int n = 100000;
  for (int i = 0; i < n; i++) {
    uint64_t xa = zl_rng_next(&a), xb = zl_rng_next(&b), xc = zl_rng_next(&c), xd = zl_rng_next(&d);
    same_ab &= xa == xb;
    same_ac += xa == xc;
    same_ad += xa == xd;
    sxy += ((double)(xa >> 11) * 0x1.0p-53 - 0.5) * ((double)(xc >> 11) * 0x1.0p-53 - 0.5);
  }
  ZL_CHECK(same_ab);
  ZL_CHECK(same_ac == 0);
  ZL_CHECK(same_ad == 0);
  /* Correlation of independent uniforms: sd 1/sqrt(n) ≈ 0.003; 0.02 is > 6 sd. */
  ZL_CHECK(fabs(sxy / n * 12.0) < 0.02);
  ZL_CHECK(zl_hash64(1, 5) == zl_hash64(1, 5));
  ZL_CHECK(zl_hash64(1, 5) != zl_hash64(2, 5));
  ZL_CHECK(zl_hash64(1, 5) != zl_hash64(1, 6));
}

static void check_moments(void) {
  zl_rng r;
  zl_rng_init(&r, 1, 0);
  const int n = 200000;
  double s1 = 0, s2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; i++) {
    double u = zl_rng_uniform(&r);
    s1 += u;
    s2 += u * u;
    lo = u < lo ? u : lo;
    hi = u > hi ? u : hi;
  }
  double mean = s1 / n, var = s2 / n - mean * mean;
  ZL_CHECK(lo >= 0.0 && hi < 1.0);
  ZL_CHECK_CLOSE(mean, 0.5, 0.005);
  ZL_CHECK_CLOSE(var, 1.0 / 12.0, 0.005);

  double t1 = 0, t2 = 0, t4 = 0;
  int finite = 1;
  for (int i = 0; i < n; i++) {
    double z = zl_rng_normal(&r);
    finite &= isfinite(z);
    t1 += z;
    t2 += z * z;
    t4 += z * z * z * z;
  }
  ZL_CHECK(finite);
  ZL_CHECK_CLOSE(t1 / n, 0.0, 0.01);
  ZL_CHECK_CLOSE(t2 / n, 1.0, 0.02);
  ZL_CHECK_CLOSE(t4 / n, 3.0, 0.1);
}

static void check_below(void) {
  zl_rng r;
  zl_rng_init(&r, 9, 3);
  ZL_CHECK(zl_rng_below(&r, 0) == 0);
  ZL_CHECK(zl_rng_below(&r, 1) == 0);
  enum { K = 7, N = 70000 };
  int count[K];
  memset(count, 0, sizeof count);
  int in_range = 1;
  for (int i = 0; i < N; i++) {
    uint64_t v = zl_rng_below(&r, K);
    in_range &= v < K;
    if (v < K) count[v]++;
  }
  ZL_CHECK(in_range);
  /* Each count is binomial(N, 1/K): mean 10000, sd ≈ 93. */
  for (int k = 0; k < K; k++)
    ZL_CHECK(count[k] > 9500 && count[k] < 10500);
  /* Near 2^64 the rejection matters: n = 3 * 2^62 would otherwise favour the low third. */
  const uint64_t big = 3ull << 62;
  int low = 0;
  for (int i = 0; i < 30000; i++)
    low += zl_rng_below(&r, big) < (1ull << 62);
  ZL_CHECK(low > 9500 && low < 10500);
}

int main(void) {
  check_reference_values();
  check_determinism_and_streams();
  check_moments();
  check_below();
  return zl_test_finish();
}
