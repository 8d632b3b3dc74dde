/* zl_metrics (serial, 1 process): Kendall tau-b against an O(n^2) pair count with ties in x, y and
 * both, hand values for tau, R² and RMSE, and the NaN cases. */
#include "zl_metrics.h"
#include "zl_rng.h"
#include "zl_test.h"

#include <stdint.h>
#include <stdlib.h>

/* Definition of tau-b by pairs: (C - D) / sqrt((n0 - n1)(n0 - n2)). */
static double tau_b_pairs(const double *x, const double *y, size_t n) {
  int64_t c = 0, d = 0, tx = 0, ty = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      double s = (x[i] - x[j]) * (y[i] - y[j]);
      c += s > 0;
      d += s < 0;
      tx += x[i] == x[j];
      ty += y[i] == y[j];
    }
  int64_t n0 = (int64_t)(n * (n - 1) / 2);
  return (double)(c - d) / sqrt((double)(n0 - tx) * (double)(n0 - ty));
}

static double tau(const double *x, const double *y, size_t n) {
  double t = 0;
  ZL_CHECK(zl_kendall_tau_b(x, y, n, &t) == 0);
  return t;
}

static void check_hand_values(void) {
  const double up[5] = {1, 2, 3, 4, 5}, down[5] = {9, 7, 5, 3, 1};
  ZL_CHECK(tau(up, up, 5) == 1.0);
  ZL_CHECK(tau(up, down, 5) == -1.0);
  /* One discordant pair of six: (5 - 1) / 6. */
  const double a[4] = {1, 2, 3, 4}, b[4] = {1, 3, 2, 4};
  ZL_CHECK_CLOSE(tau(a, b, 4), 2.0 / 3.0, 1e-15);
  /* scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) = -0.47140452079103173 (its docs):
   * C = 2, D = 6, ties in x 2, in y 1, so -4 / sqrt(8 * 9). */
  const double sx[5] = {12, 2, 1, 12, 2}, sy[5] = {1, 4, 7, 1, 0};
  ZL_CHECK_CLOSE(tau(sx, sy, 5), -0.47140452079103173, 1e-15);
  /* Constant input and fewer than two points: undefined. */
  const double flat[5] = {3, 3, 3, 3, 3};
  ZL_CHECK(isnan(tau(flat, up, 5)));
  ZL_CHECK(isnan(tau(up, flat, 5)));
  ZL_CHECK(isnan(tau(up, up, 1)));
  ZL_CHECK(isnan(tau(up, up, 0)));

  /* SSE 1, SST 5 (mean 2.5): R² 0.8, RMSE sqrt(1/4). */
  const double y[4] = {1, 2, 3, 4}, yhat[4] = {1, 2, 3, 5};
  ZL_CHECK_CLOSE(zl_r2(y, yhat, 4), 0.8, 1e-15);
  ZL_CHECK_CLOSE(zl_rmse(y, yhat, 4), 0.5, 1e-15);
  ZL_CHECK(zl_r2(y, y, 4) == 1.0 && zl_rmse(y, y, 4) == 0.0);
  /* Predicting the mean gives 0; worse than the mean goes negative. */
  const double mean[4] = {2.5, 2.5, 2.5, 2.5}, rev[4] = {4, 3, 2, 1};
  ZL_CHECK_CLOSE(zl_r2(y, mean, 4), 0.0, 1e-15);
  ZL_CHECK_CLOSE(zl_r2(y, rev, 4), 1.0 - 20.0 / 5.0, 1e-15);
  ZL_CHECK(isnan(zl_r2(flat, up, 5)));
  ZL_CHECK(isnan(zl_r2(y, y, 0)) && isnan(zl_rmse(y, y, 0)));
}

static void check_against_pairs(void) {
  zl_rng r;
  zl_rng_init(&r, 77, 0);
  const size_t max_n = 2000;
  double *x = malloc(max_n * sizeof *x), *y = malloc(max_n * sizeof *y);
  for (int trial = 0; trial < 60; trial++) {
    size_t n = trial < 10 ? (size_t)trial + 2 : 2 + (size_t)zl_rng_below(&r, max_n - 1);
    if (trial == 59) n = max_n;
    /* Kinds: continuous and correlated; ties in x only; in y only; in both (small integer grids,
     * so joint ties are frequent too). */
    int kind = trial % 4;
    for (size_t i = 0; i < n; i++) {
      double u = zl_rng_normal(&r);
      x[i] = kind == 1 || kind == 3 ? (double)zl_rng_below(&r, 5) : u;
      y[i] = kind == 2 || kind == 3 ? (double)zl_rng_below(&r, 4) + (x[i] > 2.0)
                                    : 0.5 * u + zl_rng_normal(&r);
    }
    ZL_CHECK_CLOSE(tau(x, y, n), tau_b_pairs(x, y, n), 1e-12);
  }
  free(x);
  free(y);
}

int main(void) {
  check_hand_values();
  check_against_pairs();
  return zl_test_finish();
}
