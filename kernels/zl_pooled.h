/* Architecture-independent features: the W-stats of zl_wstats.h (5 percentiles, spread, mean) of
 * the weights pooled by layer role, so networks of different architectures (a CNN and an MLP)
 * share one feature space and a model fit on one zoo can score another. */
#ifndef ZL_POOLED_H
#define ZL_POOLED_H

#include <stdint.h>

#include "zl_wstats.h"

/* The pools, in this order at out[7g + 0..6] (ZL_WSTATS_PER_TENSOR numbers each). */
enum {
  ZL_POOL_FIRST_KERNEL = 0, /* the first kernel in row order: the input layer */
  ZL_POOL_LAST_KERNEL,      /* the last kernel: the output layer */
  ZL_POOL_KERNELS,          /* every kernel together */
  ZL_POOL_BIASES,           /* every bias together */
  ZL_N_POOLS
};

#define ZL_POOLED_COUNT (ZL_N_POOLS * ZL_WSTATS_PER_TENSOR) /* 28 */

/* Pooled W-stats of one network row: tensor t (offset[t], size[t] into row, every size > 0) is a
 * kernel when is_kernel[t] != 0, else a bias. Each pool's numbers are exactly zl_wstats_row's on
 * the concatenation of its tensors in row order. A network without biases gets 0 for the bias
 * pool: a layer without bias computes what one with zero biases does.
 * @param[in]  row      the P = Σ size weights, all finite (zl_all_finite)
 * @param[out] scratch  2·P floats (a pool is gathered, then zl_wstats_row uses as many again)
 * @param[out] out      ZL_POOLED_COUNT numbers
 * @return 0, or ZL_ERR_RUNTIME when no tensor is a kernel. Not collective. */
int zl_pooled_row(const float *row, int n_tensors, const int64_t *offset, const int64_t *size,
                  const int *is_kernel, zl_spread spread, float *scratch, double *out);

#endif
