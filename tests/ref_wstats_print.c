/* Prints W-stats of fixed pseudo-random rows for tests/ref_wstats.py to recompute with numpy
 * (serial, 1 process). One line per tensor and spread: "<spread> <n> <7 stats> : <n weights>". */
#include "zl_rng.h"
#include "zl_wstats.h"

#include <math.h>
#include <stdio.h>

/* The paper's CNN layout, then tiny tensors (1, 2, 3 and 7 weights) for the edge cases. */
enum { N_TENSORS = 12, ROW = 4970 + 13 };
static const int64_t offset[N_TENSORS] = {0,    16,   160,  176,  2480, 2496,
                                          4800, 4810, 4970, 4971, 4973, 4976};
static const int64_t size[N_TENSORS] = {16, 144, 16, 2304, 16, 2304, 10, 160, 1, 2, 3, 7};

int main(void) {
  static float row[ROW], scratch[2304];
  double w[ZL_WSTATS_PER_TENSOR * N_TENSORS];
  zl_rng r;
  zl_rng_init(&r, 20200226, 0);
  for (int kind = 0; kind < 3; kind++) {
    /* Trained-like weights; the same far from zero; coarse values with many ties. */
    for (int i = 0; i < ROW; i++) {
      double z = zl_rng_normal(&r) * 0.1;
      row[i] = (float)(kind == 0 ? z : kind == 1 ? 5.0 + z : round(z * 50.0) / 50.0);
    }
    for (int spread = ZL_SPREAD_STD; spread <= ZL_SPREAD_VARIANCE; spread++) {
      zl_wstats_row(row, N_TENSORS, offset, size, (zl_spread)spread, scratch, w);
      for (int t = 0; t < N_TENSORS; t++) {
        printf("%d %lld", spread, (long long)size[t]);
        for (int j = 0; j < ZL_WSTATS_PER_TENSOR; j++)
          printf(" %.17g", w[ZL_WSTATS_PER_TENSOR * t + j]);
        printf(" :");
        for (int64_t i = 0; i < size[t]; i++)
          printf(" %.9g", row[offset[t] + i]);
        printf("\n");
      }
    }
  }
  return 0;
}
