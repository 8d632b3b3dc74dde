/* W-stats features (paper-protocol.md): per tensor, the 0/25/50/75/100th percentiles with linear
 * interpolation (numpy's default), the spread (population std by default) and the mean. */
#ifndef ZL_WSTATS_H
#define ZL_WSTATS_H

#include <stddef.h>
#include <stdint.h>

#define ZL_WSTATS_PER_TENSOR 7

typedef enum {
  ZL_SPREAD_STD = 0,     /* population standard deviation (ddof 0): the paper */
  ZL_SPREAD_VARIANCE = 1 /* unbiased variance (ddof 1): NFN's StatNN variant */
} zl_spread;

/* Quantiles q[0..nq) (each in [0,1], ascending) of x[0..n) by selection, linear interpolation
 * h = (n-1) q as numpy's default, computed in double as numpy does for float64 input (its _lerp),
 * so results equal np.quantile(x.astype(float64), q) bit for bit. Expected O(n log nq), worst case
 * O(n log n) per quantile; q out of order is still correct, only slower. scratch holds n floats.
 * n > 0. x must be finite (zl_all_finite): with a NaN the result is unspecified, though memory
 * stays in bounds. Not collective. */
void zl_quantiles(const float *x, size_t n, const double *q, int nq, float *scratch, double *out);

/* numpy's rule for quantile q of n > 0 sorted values v: with k = zl_quantile_index(n, q) (the
 * lower order statistic, floor((n − 1) q) in double) and t = (n − 1) q − k, the quantile is
 * zl_quantile_lerp(v[k], v[k + 1], t) when t > 0, else v[k] (numpy's _lerp, numpy >= 1.22, so
 * float64 results agree bit for bit). Not collective. */
size_t zl_quantile_index(size_t n, double q);
double zl_quantile_lerp(double a, double b, double t);

/* W-stats of one network row: for tensor t (offset[t], size[t] into row), writes
 * out[7t + 0..4] = percentiles 0,25,50,75,100, out[7t+5] = spread, out[7t+6] = mean. Returns 1
 * when every weight of the tensors is finite; else 0, and out is unspecified (the row is read
 * within bounds all the same), so that a caller whose tensors cover the row needs no
 * zl_all_finite. scratch holds max(size) floats; every size > 0. The percentiles equal
 * zl_quantiles' bit for bit; a tensor of 64 or more weights finds its quartiles through a histogram
 * of equal-width value buckets, selecting only within the few buckets that hold them (about 2x
 * faster on weights), one of 16 or fewer by rank. Mean and spread are accumulated in double
 * (two-pass); the variance of a 1-element tensor is NaN, as numpy's ddof=1. Not collective. */
int zl_wstats_row(const float *row, int n_tensors, const int64_t *offset, const int64_t *size,
                  zl_spread spread, float *scratch, double *out);

/* 1 when every x[i] is finite (no NaN, no ±Inf). Not collective. */
int zl_all_finite(const float *x, size_t n);

#endif
