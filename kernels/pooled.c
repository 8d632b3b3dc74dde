#include "zl_pooled.h"

#include <string.h>

#include "zl_error.h"

/* W-stats of the tensors t with is_kernel[t] == kernels, gathered into scratch in row order (the
 * summation order of the mean and spread); zl_wstats_row selects within scratch + n. Returns how
 * many weights the pool holds (0: out untouched). */
static int64_t pool_stats(const float *row, int n_tensors, const int64_t *offset,
                          const int64_t *size, const int *is_kernel, int kernels, zl_spread spread,
                          float *scratch, double *out) {
  int64_t n = 0;
  for (int t = 0; t < n_tensors; t++)
    if (!is_kernel[t] == !kernels) {
      memcpy(scratch + n, row + offset[t], (size_t)size[t] * sizeof *row);
      n += size[t];
    }
  if (n > 0) {
    const int64_t start = 0;
    zl_wstats_row(scratch, 1, &start, &n, spread, scratch + n, out);
  }
  return n;
}

int zl_pooled_row(const float *row, int n_tensors, const int64_t *offset, const int64_t *size,
                  const int *is_kernel, zl_spread spread, float *scratch, double *out) {
  int first = -1, last = -1;
  for (int t = 0; t < n_tensors; t++)
    if (is_kernel[t]) {
      if (first < 0) first = t;
      last = t;
    }
  if (first < 0) return ZL_ERR(ZL_ERR_RUNTIME, "pooled features: the layout has no kernel");
  zl_wstats_row(row, 1, &offset[first], &size[first], spread, scratch,
                out + ZL_WSTATS_PER_TENSOR * ZL_POOL_FIRST_KERNEL);
  zl_wstats_row(row, 1, &offset[last], &size[last], spread, scratch,
                out + ZL_WSTATS_PER_TENSOR * ZL_POOL_LAST_KERNEL);
  pool_stats(row, n_tensors, offset, size, is_kernel, 1, spread, scratch,
             out + ZL_WSTATS_PER_TENSOR * ZL_POOL_KERNELS);
  double *bias = out + ZL_WSTATS_PER_TENSOR * ZL_POOL_BIASES;
  if (pool_stats(row, n_tensors, offset, size, is_kernel, 0, spread, scratch, bias) == 0)
    memset(bias, 0, ZL_WSTATS_PER_TENSOR * sizeof *bias);
  return 0;
}
