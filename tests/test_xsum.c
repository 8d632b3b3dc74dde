/* Exact sums (zl_xsum): the same bits in any order and any grouping, against hand-checked values
 * and exact rational reasoning (serial). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_test.h"
#include "zl_xsum.h"

static double lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

int main(void) {
  /* bits: the smallest k with b <= 2^k. */
  ZL_CHECK(zl_xsum_bits(1.0) == 0);
  ZL_CHECK(zl_xsum_bits(2.0) == 1);
  ZL_CHECK(zl_xsum_bits(3.0) == 2);
  ZL_CHECK(zl_xsum_bits(0.75) == 0);
  ZL_CHECK(zl_xsum_bits(0.25) == -2);
  ZL_CHECK(zl_xsum_bits(0.0) == 0);
  ZL_CHECK(zl_xsum_bits(NAN) == 0);
  ZL_CHECK(zl_xsum_exponent(10) == 114);

  /* 1e16 + 1 − 1e16 in doubles loses the 1; exactly it is 1. */
  int e3[1] = {zl_xsum_exponent(zl_xsum_bits(2e16))};
  zl_xint a = {0, 0};
  const double v[3] = {1e16, 1.0, -1e16};
  for (int i = 0; i < 3; i++)
    zl_xsum_add(&a, &v[i], e3, 1);
  double out = -1;
  zl_xsum_value(&a, e3, 1, &out);
  ZL_CHECK(out == 1.0);

  /* Many values in three orders and in two halves merged: the same bits, and the exact sum of
   * values with at most 20 fractional bits (so the doubles' sum of them is exact to compare). */
  enum { N = 10000 };
  double *x = malloc(sizeof(double) * N);
  uint64_t s = 7;
  double exact = 0;
  for (int i = 0; i < N; i++) {
    x[i] = ldexp(floor(lcg(&s) * 1048576.0 * (1 + i % 13)), -20);
    exact += x[i]; /* exact: the partial sums stay below 2^33 with 20 fractional bits */
  }
  int e = zl_xsum_exponent(zl_xsum_bits(N * 7.0));
  zl_xint fwd = {0, 0}, bwd = {0, 0}, h1 = {0, 0}, h2 = {0, 0};
  for (int i = 0; i < N; i++)
    zl_xsum_add(&fwd, &x[i], &e, 1);
  for (int i = N - 1; i >= 0; i--)
    zl_xsum_add(&bwd, &x[i], &e, 1);
  for (int i = 0; i < N; i++)
    zl_xsum_add(i % 2 ? &h1 : &h2, &x[i], &e, 1);
  zl_xsum_merge(&h1, &h2, 1);
  ZL_CHECK(memcmp(&fwd, &bwd, sizeof fwd) == 0);
  ZL_CHECK(memcmp(&fwd, &h1, sizeof fwd) == 0);
  zl_xsum_value(&fwd, &e, 1, &out);
  ZL_CHECK(out == exact);

  /* Negative totals and carries across the low word: −(2^70) + 1 − 1 + 2^70 = 0 exactly. */
  int e0 = 0;
  zl_xint c = {0, 0};
  const double big[4] = {-ldexp(1, 70), 1.0, -1.0, ldexp(1, 70)};
  for (int i = 0; i < 4; i++)
    zl_xsum_add(&c, &big[i], &e0, 1);
  ZL_CHECK(c.lo == 0 && c.hi == 0);
  zl_xint m = {0, 0};
  const double neg = -3.5;
  int e1 = 1;
  zl_xsum_add(&m, &neg, &e1, 1);
  zl_xsum_value(&m, &e1, 1, &out);
  ZL_CHECK(out == -3.5);

  /* The upper triangle of a 3 × 3 matrix (leading dimension 4), column by column. */
  const double P[12] = {1, 99, 99, 99, 2, 3, 99, 99, 4, 5, 6, 99};
  int ex[6] = {0, 0, 0, 0, 0, 0};
  zl_xint acc[6];
  memset(acc, 0, sizeof acc);
  zl_xsum_add_upper(acc, P, 3, 4, ex);
  double up[6];
  zl_xsum_value(acc, ex, 6, up);
  const double want[6] = {1, 2, 3, 4, 5, 6};
  for (int i = 0; i < 6; i++)
    ZL_CHECK(up[i] == want[i]);
  free(x);
  printf("%d passed, %d failed\n", zl_test_passed, zl_test_failed);
  return zl_test_failed != 0;
}
