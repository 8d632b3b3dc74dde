/* zl_pooled (serial, 1 process): pooled W-stats equal the W-stats of hand-concatenated tensors,
 * for a CNN-like and an MLP-like layout (28 features each); no biases; no kernel. */
#include "zl_error.h"
#include "zl_pooled.h"
#include "zl_rng.h"
#include "zl_test.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  int n;
  const int64_t *size;
  const int *is_kernel;
} layout;

/* The paper's CNN (biases first, as in its layout.csv) and a 20-12-8-3 MLP (kernels first). */
static const int64_t cnn_size[8] = {16, 144, 16, 2304, 16, 2304, 10, 160};
static const int cnn_kernel[8] = {0, 1, 0, 1, 0, 1, 0, 1};
static const int64_t mlp_size[6] = {240, 12, 96, 8, 24, 3};
static const int mlp_kernel[6] = {1, 0, 1, 0, 1, 0};

/* W-stats written out plainly: zl_quantiles for the percentiles, then the mean and the spread. */
static void wstats_of(const float *x, size_t n, zl_spread spread, float *scratch, double *o) {
  static const double q[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
  zl_quantiles(x, n, q, 5, scratch, o);
  double sum = 0, ss = 0;
  for (size_t i = 0; i < n; i++)
    sum += x[i];
  const double mean = sum / (double)n;
  for (size_t i = 0; i < n; i++)
    ss += ((double)x[i] - mean) * ((double)x[i] - mean);
  o[5] = spread == ZL_SPREAD_STD ? sqrt(ss / (double)n) : ss / (double)(n - 1);
  o[6] = mean;
}

/* Appends tensor t of row to buf at *len. */
static void append(float *buf, size_t *len, const float *row, const int64_t *offset,
                   const int64_t *size, int t) {
  memcpy(buf + *len, row + offset[t], (size_t)size[t] * sizeof *row);
  *len += (size_t)size[t];
}

static void check_layout(const layout *l, zl_rng *r) {
  int64_t offset[8], P = 0;
  for (int t = 0; t < l->n; t++) {
    offset[t] = P;
    P += l->size[t];
  }
  float *row = malloc((size_t)P * sizeof *row), *scratch = malloc(2 * (size_t)P * sizeof *row),
        *cat = malloc((size_t)P * sizeof *row), *sel = malloc((size_t)P * sizeof *row);
  for (int64_t i = 0; i < P; i++)
    row[i] = (float)(0.1 * zl_rng_normal(r));
  for (int spread = ZL_SPREAD_STD; spread <= ZL_SPREAD_VARIANCE; spread++) {
    double out[ZL_POOLED_COUNT], ref[ZL_POOLED_COUNT];
    ZL_CHECK(zl_pooled_row(row, l->n, offset, l->size, l->is_kernel, (zl_spread)spread, scratch,
                           out) == 0);
    int first = -1, last = -1;
    size_t nk = 0, nb = 0;
    for (int t = 0; t < l->n; t++)
      if (l->is_kernel[t]) {
        first = first < 0 ? t : first;
        last = t;
      }
    wstats_of(row + offset[first], (size_t)l->size[first], (zl_spread)spread, sel, ref);
    wstats_of(row + offset[last], (size_t)l->size[last], (zl_spread)spread, sel, ref + 7);
    for (int t = 0; t < l->n; t++)
      if (l->is_kernel[t]) append(cat, &nk, row, offset, l->size, t);
    wstats_of(cat, nk, (zl_spread)spread, sel, ref + 14);
    for (int t = 0; t < l->n; t++)
      if (!l->is_kernel[t]) append(cat, &nb, row, offset, l->size, t);
    wstats_of(cat, nb, (zl_spread)spread, sel, ref + 21);
    ZL_CHECK(nk + nb == (size_t)P);
    for (int j = 0; j < ZL_POOLED_COUNT; j++) {
      if (j % 7 < 5)
        ZL_CHECK(out[j] == ref[j]); /* the same selection: bit for bit */
      else
        ZL_CHECK_CLOSE(out[j], ref[j], 1e-13);
    }
  }
  free(row);
  free(scratch);
  free(cat);
  free(sel);
}

/* Kernels only: the bias pool is 0; biases only: an error. */
static void check_edges(void) {
  const float row[5] = {1, 2, 3, 4, 5};
  const int64_t offset[2] = {0, 2}, size[2] = {2, 3};
  const int kernels[2] = {1, 1}, biases[2] = {0, 0};
  float scratch[10];
  double out[ZL_POOLED_COUNT];
  ZL_CHECK(zl_pooled_row(row, 2, offset, size, kernels, ZL_SPREAD_STD, scratch, out) == 0);
  for (int j = 21; j < 28; j++)
    ZL_CHECK(out[j] == 0);
  /* first = [1, 2], last = [3, 4, 5], all = [1..5]. */
  ZL_CHECK(out[0] == 1 && out[2] == 1.5 && out[4] == 2 && out[6] == 1.5);
  ZL_CHECK(out[7] == 3 && out[9] == 4 && out[11] == 5 && out[13] == 4);
  ZL_CHECK(out[14] == 1 && out[16] == 3 && out[18] == 5 && out[20] == 3);
  ZL_CHECK_CLOSE(out[19], sqrt(2.0), 1e-15);
  zl_error_clear();
  ZL_CHECK(zl_pooled_row(row, 2, offset, size, biases, ZL_SPREAD_STD, scratch, out) ==
           ZL_ERR_RUNTIME);
  ZL_CHECK(strstr(zl_error_message(), "no kernel") != NULL);
}

int main(void) {
  ZL_CHECK(ZL_POOLED_COUNT == 28);
  zl_rng r;
  zl_rng_init(&r, 4242, 0);
  const layout cnn = {8, cnn_size, cnn_kernel}, mlp = {6, mlp_size, mlp_kernel};
  check_layout(&cnn, &r);
  check_layout(&mlp, &r);
  check_edges();
  return zl_test_finish();
}
