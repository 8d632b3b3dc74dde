/* Exact sums of doubles, so that a sum over a zoo has the same bits whatever the rank count and
 * however its rows are split (design §3, determinism). Each value is scaled by a power of two
 * chosen from a bound on the whole sum, rounded to an integer and added in 128-bit integer
 * arithmetic, which is associative: partial sums combined in any order give one result. The
 * rounding step is 2^-e, far below a double's last bit of any sum near the bound. */
#ifndef ZL_XSUM_H
#define ZL_XSUM_H

#include <stddef.h>
#include <stdint.h>

/* A 128-bit two's-complement integer (lo holds the low 64 bits). */
typedef struct {
  uint64_t lo;
  int64_t hi;
} zl_xint;

/* The scale exponent e for sums whose magnitude never exceeds 2^bits (every partial, and the total,
 * of up to 2^62 terms): values are held as round(v · 2^e) with |·| < 2^124. Not collective. */
int zl_xsum_exponent(int bits);

/* ceil(log2(b)) for b > 0 (the bits of a bound); 0 for b <= 0 or not finite. Not collective. */
int zl_xsum_bits(double b);

/* acc[i] += round(v[i] · 2^e[i]) for i < n (e: one exponent per entry). Not collective. */
void zl_xsum_add(zl_xint *acc, const double *v, const int *e, size_t n);

/* The upper triangle of the n × n column-major matrix P (leading dimension ld), column by column
 * (entry (i, j), i <= j, at j(j+1)/2 + i), added as zl_xsum_add does with e in the same order.
 * Not collective. */
void zl_xsum_add_upper(zl_xint *acc, const double *P, int n, int ld, const int *e);

/* acc[i] += b[i] for i < n. Not collective. */
void zl_xsum_merge(zl_xint *acc, const zl_xint *b, size_t n);

/* out[i] = acc[i] · 2^-e[i], rounded once to the nearest double. Not collective. */
void zl_xsum_value(const zl_xint *acc, const int *e, size_t n, double *out);

#endif
