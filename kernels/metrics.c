#include "zl_metrics.h"

#include "zl_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

double zl_r2(const double *y, const double *yhat, size_t n) {
  if (n == 0) return NAN;
  double mean = 0.0;
  for (size_t i = 0; i < n; i++)
    mean += y[i];
  mean /= (double)n;
  double sse = 0.0, sst = 0.0;
  for (size_t i = 0; i < n; i++) {
    double e = y[i] - yhat[i], d = y[i] - mean;
    sse += e * e;
    sst += d * d;
  }
  return sst > 0.0 ? 1.0 - sse / sst : NAN;
}

double zl_rmse(const double *y, const double *yhat, size_t n) {
  if (n == 0) return NAN;
  double sse = 0.0;
  for (size_t i = 0; i < n; i++) {
    double e = y[i] - yhat[i];
    sse += e * e;
  }
  return sqrt(sse / (double)n);
}

/* Pairs are stored interleaved, p[2i] = x and p[2i+1] = y, so sorting moves 16 contiguous bytes and
 * never chases an index. */
static int pair_less_equal(const double *a, const double *b) {
  return a[0] < b[0] || (a[0] == b[0] && a[1] <= b[1]);
}

/* Bottom-up merge sort of n pairs ping-ponging between a and buf; returns the one holding the
 * result. */
static double *sort_pairs(double *a, double *buf, size_t n) {
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        if (pair_less_equal(&a[2 * i], &a[2 * j]))
          memcpy(&buf[2 * o++], &a[2 * i++], 2 * sizeof *a);
        else
          memcpy(&buf[2 * o++], &a[2 * j++], 2 * sizeof *a);
      }
      memcpy(&buf[2 * o], &a[2 * i], 2 * (mid - i) * sizeof *a);
      o += mid - i;
      memcpy(&buf[2 * o], &a[2 * j], 2 * (hi - j) * sizeof *a);
    }
    double *t = a;
    a = buf;
    buf = t;
  }
  return a;
}

/* Merge sort of y counting the pairs it exchanges, i.e. i < j with y[i] > y[j] strictly: equal
 * values are taken from the left run first, so ties never count. Returns the sorted buffer. */
static double *sort_count_swaps(double *a, double *buf, size_t n, int64_t *swaps) {
  int64_t s = 0;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        if (a[i] <= a[j]) {
          buf[o++] = a[i++];
        } else {
          s += (int64_t)(mid - i);
          buf[o++] = a[j++];
        }
      }
      memcpy(&buf[o], &a[i], (mid - i) * sizeof *a);
      o += mid - i;
      memcpy(&buf[o], &a[j], (hi - j) * sizeof *a);
    }
    double *t = a;
    a = buf;
    buf = t;
  }
  *swaps = s;
  return a;
}

/* Sum of t(t-1)/2 over runs of equal values v[0], v[stride], ... (sorted, so ties are adjacent);
 * with two keys per element, a run needs both equal. */
static int64_t tied_pairs(const double *v, size_t n, size_t stride, int both) {
  int64_t total = 0, run = 1;
  for (size_t i = 1; i < n; i++) {
    const double *a = &v[stride * (i - 1)], *b = &v[stride * i];
    if (a[0] == b[0] && (!both || a[1] == b[1])) {
      run++;
    } else {
      total += run * (run - 1) / 2;
      run = 1;
    }
  }
  return total + run * (run - 1) / 2;
}

int zl_kendall_tau_b(const double *x, const double *y, size_t n, double *tau) {
  *tau = NAN;
  if (n < 2) return 0;
  double *mem = zl_malloc(4 * n, sizeof *mem, "Kendall tau");
  if (!mem) return ZL_ERR_RUNTIME;
  for (size_t i = 0; i < n; i++) {
    mem[2 * i] = x[i];
    mem[2 * i + 1] = y[i];
  }
  const double *p = sort_pairs(mem, mem + 2 * n, n);
  const int64_t n1 = tied_pairs(p, n, 2, 0), n3 = tied_pairs(p, n, 2, 1);
  /* y in (x, y) order goes to the other half, whose two quarters are the next sort's buffers. */
  double *ys = p == mem ? mem + 2 * n : mem;
  for (size_t i = 0; i < n; i++)
    ys[i] = p[2 * i + 1];
  int64_t swaps;
  const double *ysorted = sort_count_swaps(ys, ys + n, n, &swaps);
  const int64_t n2 = tied_pairs(ysorted, n, 1, 0);
  free(mem);
  /* Counts stay exact in int64 (n (n - 1) < 2^63 up to n ~ 3e9); their product would overflow, so
   * it is formed in double, under one square root so that perfect order gives exactly +-1. */
  const int64_t n0 = (int64_t)n * ((int64_t)n - 1) / 2;
  if (n0 == n1 || n0 == n2) return 0;
  *tau = (double)(n0 - n1 - n2 + n3 - 2 * swaps) / sqrt((double)(n0 - n1) * (double)(n0 - n2));
  return 0;
}
