/* Prints spectral and pooled features of fixed pseudo-random rows for tests/ref_features.py to
 * recompute with numpy (serial, 1 process). Per layout: "L <name>", then one line per tensor
 * "T <is_kernel> <offset> <size> <shape>"; per row and spread: "R <spread> : <P weights>",
 * "S <6 features per kernel>", "P <28 pooled features>". */
#include "zl_error.h"
#include "zl_pooled.h"
#include "zl_rng.h"
#include "zl_spectral.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  const char *name;
  int n;
  const char *const *shape;
} layout;

/* The paper's CNN as in its layout.csv (biases first), and an MLP with tall and wide kernels
 * (kernels first). */
static const char *const cnn_shapes[] = {"(16,)", "(3, 3, 1, 16)",  "(16,)", "(3, 3, 16, 16)",
                                         "(16,)", "(3, 3, 16, 16)", "(10,)", "(16, 10)"};
static const char *const mlp_shapes[] = {"(24, 8)", "(8,)", "(8, 32)", "(32,)", "(32, 3)", "(3,)"};

/* The number of weights a shape holds: the product of its dimensions. */
static int64_t shape_size(const char *shape, int *is_kernel, int *rows, int *cols) {
  *is_kernel = zl_shape_matrix(shape, rows, cols) == 0;
  if (*is_kernel) return (int64_t)*rows * *cols;
  return atoll(shape + 1);
}

static int print_layout(const layout *l, zl_rng *r) {
  int64_t offset[8], size[8], P = 0;
  /* rows and cols go whole to zl_spectral_create (const int *), which reads the first n_k: zeroed
     so no entry is ever read uninitialised (gcc -O3 -Wmaybe-uninitialized). */
  int is_kernel[8], rows[8] = {0}, cols[8] = {0}, n_k = 0;
  int64_t k_offset[8];
  printf("L %s\n", l->name);
  for (int t = 0; t < l->n; t++) {
    int kr, kc;
    size[t] = shape_size(l->shape[t], &is_kernel[t], &kr, &kc);
    offset[t] = P;
    P += size[t];
    if (is_kernel[t]) {
      rows[n_k] = kr;
      cols[n_k] = kc;
      k_offset[n_k++] = offset[t];
    }
    printf("T %d %lld %lld %s\n", is_kernel[t], (long long)offset[t], (long long)size[t],
           l->shape[t]);
  }
  float *row = malloc((size_t)P * sizeof *row), *scratch = malloc(2 * (size_t)P * sizeof *row);
  double spectral[8 * ZL_SPECTRAL_PER_KERNEL], pooled[ZL_POOLED_COUNT];
  zl_spectral_ctx c;
  int rc = zl_spectral_create(n_k, rows, cols, &c);
  for (int kind = 0; kind < 3 && !rc; kind++) {
    /* Trained-like weights; the same far from zero (nearly rank 1); coarse values with ties. */
    for (int64_t i = 0; i < P; i++) {
      double z = zl_rng_normal(r) * 0.1;
      row[i] = (float)(kind == 0 ? z : kind == 1 ? 5.0 + z : round(z * 50.0) / 50.0);
    }
    rc = zl_spectral_row(c, row, k_offset, spectral);
    for (int spread = ZL_SPREAD_STD; spread <= ZL_SPREAD_VARIANCE && !rc; spread++) {
      rc = zl_pooled_row(row, l->n, offset, size, is_kernel, (zl_spread)spread, scratch, pooled);
      printf("R %d :", spread);
      for (int64_t i = 0; i < P; i++)
        printf(" %.9g", row[i]);
      printf("\nS");
      for (int j = 0; j < zl_spectral_count(n_k); j++)
        printf(" %.17g", spectral[j]);
      printf("\nP");
      for (int j = 0; j < ZL_POOLED_COUNT; j++)
        printf(" %.17g", pooled[j]);
      printf("\n");
    }
  }
  zl_spectral_destroy(&c);
  free(row);
  free(scratch);
  return rc;
}

int main(void) {
  const layout cnn = {"cnn", 8, cnn_shapes}, mlp = {"mlp", 6, mlp_shapes};
  zl_rng r;
  zl_rng_init(&r, 20200226, 1);
  if (print_layout(&cnn, &r) || print_layout(&mlp, &r)) {
    fprintf(stderr, "ref_features_print: %s\n", zl_error_message());
    return 1;
  }
  return 0;
}
