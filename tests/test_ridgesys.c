/* Ridge from per-fold Grams (zl_ridgesys) against a direct LAPACK solve on the standardised
 * training rows: the system, coefficients, and validation errors as quadratic forms against
 * residuals summed row by row (serial). */
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_ridgesys.h"
#include "zl_test.h"

enum { N = 500, D = 7, K = 4, D2 = D + 2 };

static double lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

int main(void) {
  static double X[N * D], y[N], G[K][D2 * D2];
  int fold[N];
  double c[D], cy = 0.4;
  uint64_t s = 3;
  for (int j = 0; j < D; j++)
    c[j] = 100.0 * j; /* a shift near the means, as the estimators use */
  for (int i = 0; i < N; i++) {
    double t = 0.5;
    for (int j = 0; j < D; j++) {
      /* scales from 1e-3 to 1e3, offsets, one constant column (j = 3) */
      X[i * D + j] = j == 3 ? 5.0 : 100.0 * j + pow(10.0, j - 3.0) * lcg(&s);
      t += 0.01 * (j % 3 - 1) * (X[i * D + j] - 100.0 * j) / pow(10.0, j - 3.0);
    }
    y[i] = t + 0.02 * lcg(&s);
    fold[i] = i % K;
  }
  memset(G, 0, sizeof G);
  for (int i = 0; i < N; i++) {
    double a[D2];
    for (int j = 0; j < D; j++)
      a[j] = X[i * D + j] - c[j];
    a[D] = 1.0;
    a[D + 1] = y[i] - cy;
    for (int q = 0; q < D2; q++)
      for (int p = 0; p < D2; p++)
        G[fold[i]][p + q * D2] += a[p] * a[q];
  }
  const double *Gp[K] = {G[0], G[1], G[2], G[3]};
  int mask[K] = {1, 0, 1, 1}; /* train on folds 0, 2, 3; validate on 1 */
  zl_ridgesys r;
  ZL_CHECK(zl_ridgesys_init(&r, D) == 0);
  ZL_CHECK(zl_ridgesys_make(&r, Gp, mask, K) == 3.0 * N / K);
  ZL_CHECK(r.inv[3] == 0.0); /* the constant feature */

  /* Reference: standardise the training rows with their own mean and std, solve by LAPACK. */
  double mu[D] = {0}, sd[D] = {0}, ybar = 0, n = 0;
  for (int i = 0; i < N; i++)
    if (mask[fold[i]]) {
      for (int j = 0; j < D; j++)
        mu[j] += X[i * D + j];
      ybar += y[i];
      n++;
    }
  for (int j = 0; j < D; j++)
    mu[j] /= n;
  ybar /= n;
  for (int i = 0; i < N; i++)
    if (mask[fold[i]])
      for (int j = 0; j < D; j++)
        sd[j] += (X[i * D + j] - mu[j]) * (X[i * D + j] - mu[j]);
  for (int j = 0; j < D; j++)
    sd[j] = sqrt(sd[j] / n);
  const double lambdas[3] = {1e-6, 1e-2, 10.0};
  for (int li = 0; li < 3; li++) {
    double A[D * D] = {0}, b[D] = {0};
    for (int i = 0; i < N; i++) {
      if (!mask[fold[i]]) continue;
      double z[D];
      for (int j = 0; j < D; j++)
        z[j] = sd[j] > 1e-9 ? (X[i * D + j] - mu[j]) / sd[j] : 0.0;
      for (int q = 0; q < D; q++) {
        b[q] += z[q] * (y[i] - ybar) / n;
        for (int p = 0; p < D; p++)
          A[p + q * D] += z[p] * z[q] / n;
      }
    }
    for (int j = 0; j < D; j++)
      A[j + j * D] += lambdas[li];
    ZL_CHECK(LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', D, 1, A, D, b, D) == 0);
    /* zl_ridgesys's system, solved the same way, has the same solution. */
    double C[D * D], w[D], coef[D + 1], gamma[2 * D2];
    memcpy(C, r.C, sizeof C);
    memcpy(w, r.b, sizeof w);
    for (int j = 0; j < D; j++)
      C[j + j * D] += lambdas[li];
    ZL_CHECK(LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', D, 1, C, D, w, D) == 0);
    for (int j = 0; j < D; j++)
      ZL_CHECK_CLOSE(w[j], b[j], 1e-7);
    zl_ridgesys_coef(&r, w, c, cy, coef);
    /* Validation error on fold 1, row by row, against the quadratic form. */
    double sse = 0;
    for (int i = 0; i < N; i++) {
      if (fold[i] != 1) continue;
      double p = coef[0];
      for (int j = 0; j < D; j++)
        p += coef[1 + j] * X[i * D + j];
      sse += (y[i] - p) * (y[i] - p);
    }
    ZL_CHECK_CLOSE(zl_ridge_sse(G[1], D, coef, c, cy, gamma), sse, 1e-8);
  }
  /* An empty training set forms no system. */
  int none[K] = {0, 0, 0, 0};
  ZL_CHECK(zl_ridgesys_make(&r, Gp, none, K) == 0.0);
  zl_ridgesys_free(&r);
  printf("%d passed, %d failed\n", zl_test_passed, zl_test_failed);
  return zl_test_failed != 0;
}
