#include "zl_xsum.h"

#include <math.h>

/* GCC and Clang provide 128-bit integers on every 64-bit target HPC sites run. */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

static i128 get(zl_xint x) {
  return (i128)(((u128)(uint64_t)x.hi << 64) | (u128)x.lo);
}

static zl_xint put(i128 v) {
  zl_xint x = {(uint64_t)(u128)v, (int64_t)(v >> 64)};
  return x;
}

int zl_xsum_exponent(int bits) {
  return 124 - bits;
}

int zl_xsum_bits(double b) {
  if (!(b > 0) || !isfinite(b)) return 0;
  int e;
  double m = frexp(b, &e); /* b = m · 2^e, m in [0.5, 1) */
  return m == 0.5 ? e - 1 : e;
}

void zl_xsum_add(zl_xint *acc, const double *v, const int *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (v[i] == 0.0) continue;
    /* |v · 2^e| < 2^124 by the choice of e, so the conversion is exact after rounding. */
    double s = nearbyint(ldexp(v[i], e[i]));
    acc[i] = put(get(acc[i]) + (i128)s);
  }
}

void zl_xsum_add_upper(zl_xint *acc, const double *P, int n, int ld, const int *e) {
  for (int j = 0; j < n; j++) {
    size_t at = (size_t)j * (size_t)(j + 1) / 2;
    zl_xsum_add(acc + at, P + (size_t)j * (size_t)ld, e + at, (size_t)j + 1);
  }
}

void zl_xsum_merge(zl_xint *acc, const zl_xint *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    acc[i] = put(get(acc[i]) + get(b[i]));
}

void zl_xsum_value(const zl_xint *acc, const int *e, size_t n, double *out) {
  for (size_t i = 0; i < n; i++)
    out[i] = ldexp((double)get(acc[i]), -e[i]);
}
