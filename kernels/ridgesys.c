#include "zl_ridgesys.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_error.h"

int zl_ridgesys_init(zl_ridgesys *r, int D) {
  memset(r, 0, sizeof *r);
  r->D = D;
  size_t d = (size_t)D, d2 = d + 2;
  r->C = zl_malloc(d * d, sizeof(double), "ridge system");
  r->b = zl_malloc(d, sizeof(double), "ridge system");
  r->inv = zl_malloc(d, sizeof(double), "ridge system");
  r->s = zl_malloc(d, sizeof(double), "ridge system");
  r->G = zl_malloc(d2 * d2, sizeof(double), "training Gram");
  if (!r->C || !r->b || !r->inv || !r->s || !r->G) {
    zl_ridgesys_free(r);
    return ZL_ERR_RUNTIME;
  }
  return 0;
}

void zl_ridgesys_free(zl_ridgesys *r) {
  free(r->C);
  free(r->b);
  free(r->inv);
  free(r->s);
  free(r->G);
  memset(r, 0, sizeof *r);
}

double zl_ridgesys_make(zl_ridgesys *r, const double *const *G, const int *mask, int K) {
  const int D = r->D, D2 = D + 2;
  size_t m = (size_t)D2 * (size_t)D2;
  memset(r->G, 0, m * sizeof(double));
  for (int k = 0; k < K; k++)
    if (mask[k])
      for (size_t i = 0; i < m; i++)
        r->G[i] += G[k][i];
  const double *g = r->G;
  double n = g[D + (size_t)D * D2];
  r->n = n;
  if (!(n >= 1)) return 0;
  r->sy = g[D + (size_t)(D + 1) * D2];
  for (int j = 0; j < D; j++) {
    double sx = g[j + (size_t)D * D2], sq = g[j + (size_t)j * D2];
    double var = (sq - sx * sx / n) / n;
    r->s[j] = sx;
    /* The centred sum of squares loses ~1e-16 of the raw one to rounding: a variance below 1e-12
     * of the mean square is rounding noise, and scaling it up would only amplify that noise. */
    r->inv[j] = var > 1e-12 * (sq / n) && var > 0 ? 1.0 / sqrt(var) : 0.0;
  }
  for (int j = 0; j < D; j++) {
    for (int i = 0; i < D; i++)
      r->C[i + (size_t)j * D] =
          (g[i + (size_t)j * D2] - r->s[i] * r->s[j] / n) * r->inv[i] * r->inv[j] / n;
    r->b[j] = (g[j + (size_t)(D + 1) * D2] - r->s[j] * r->sy / n) * r->inv[j] / n;
  }
  return n;
}

void zl_ridgesys_coef(const zl_ridgesys *r, const double *w, const double *c, double cy,
                      double *coef) {
  /* ŷ = c_y + ȳ' + Σ β_j (φ_j − c_j − s_j/n) with β_j = w_j / std_j and ȳ' = Σ(y − c_y)/n. */
  double b0 = cy + r->sy / r->n;
  for (int j = 0; j < r->D; j++) {
    double beta = w[j] * r->inv[j];
    b0 -= beta * (c[j] + r->s[j] / r->n);
    coef[1 + j] = beta;
  }
  coef[0] = b0;
}

double zl_ridge_sse(const double *Gv, int D, const double *coef, const double *c, double cy,
                    double *gamma) {
  /* The error of a row a = [φ − c, 1, y − c_y] is γ·a with γ = [β, coef0 + β·c − c_y, −1]. */
  double g0 = coef[0] - cy;
  for (int j = 0; j < D; j++) {
    gamma[j] = coef[1 + j];
    g0 += coef[1 + j] * c[j];
  }
  gamma[D] = g0;
  gamma[D + 1] = -1.0;
  const int D2 = D + 2;
  double *t = gamma + D2;
  cblas_dsymv(CblasColMajor, CblasUpper, D2, 1.0, Gv, D2, gamma, 1, 0.0, t, 1);
  return cblas_ddot(D2, t, 1, gamma, 1);
}
