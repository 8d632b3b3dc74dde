#include "zl_xsum.h"

#include <math.h>
#include <string.h>

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

/* The integer-valued double s (|s| < 2^126) as a 128-bit integer, in two 64-bit conversions:
 * libgcc's direct conversion was a tenth of the Grams' cost. */
static i128 to_i128(double s) {
  if (fabs(s) < 9223372036854775808.0) return (i128)(int64_t)s;
  /* s = h · 2^64 + l with 0 <= l < 2^64; for |s| >= 2^63 both parts are exact in doubles. */
  double t = s * 5.42101086242752217004e-20, h = (double)(int64_t)t;
  if (h > t) h -= 1.0;
  double l = s - h * 18446744073709551616.0;
  return (i128)((u128)(uint64_t)(int64_t)h << 64) + (i128)(uint64_t)l;
}

/* round(v · 2^e) as a double, without the library calls of ldexp and nearbyint in the common
 * case: 2^e built from its bits, and doubles below 2^51 rounded by adding and subtracting 1.5 ·
 * 2^52 (larger ones are integers already). */
static double scaled(double v, int e) {
  double s;
  if (e > -1023 && e < 1024) {
    uint64_t bits = (uint64_t)(e + 1023) << 52;
    double f;
    memcpy(&f, &bits, sizeof f);
    s = v * f;
  } else {
    s = ldexp(v, e);
  }
  const double R = 6755399441055744.0;
  return fabs(s) < 2251799813685248.0 ? (s + R) - R : s;
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
    acc[i] = put(get(acc[i]) + to_i128(scaled(v[i], e[i])));
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
