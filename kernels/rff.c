#include "zl_rff.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_error.h"
#include "zl_rng.h"

struct zl_rff_s {
  int F, D;
  double *Wt;    /* F × D: the standardisation folded into W, transposed for the GEMM */
  double *shift; /* D: b − W μ/σ */
};

int zl_rff_create(int F, int D, double h, const double *mu, const double *sd, uint64_t seed,
                  uint64_t stream, zl_rff *out) {
  *out = NULL;
  if (F < 1 || D < 1 || !(h > 0))
    return ZL_ERR(ZL_ERR_RUNTIME, "random features: bad size %d x %d or bandwidth %g", F, D, h);
  struct zl_rff_s *r = zl_calloc(1, sizeof *r, "random features");
  if (!r) return ZL_ERR_RUNTIME;
  r->F = F;
  r->D = D;
  r->Wt = zl_malloc((size_t)F * (size_t)D, sizeof(double), "random feature weights");
  r->shift = zl_malloc((size_t)D, sizeof(double), "random feature phases");
  if (!r->Wt || !r->shift) {
    zl_rff_destroy(&r);
    return ZL_ERR_RUNTIME;
  }
  zl_rng g;
  zl_rng_init(&g, seed, stream);
  for (int d = 0; d < D; d++) {
    double shift = 6.283185307179586 * zl_rng_uniform(&g); /* U[0, 2π) */
    for (int f = 0; f < F; f++) {
      double w = zl_rng_normal(&g) / h, inv = sd[f] > 0 ? 1.0 / sd[f] : 0.0;
      r->Wt[(size_t)f * D + d] = w * inv;
      shift -= w * inv * mu[f];
    }
    r->shift[d] = shift;
  }
  *out = r;
  return 0;
}

int zl_rff_apply(zl_rff r, const double *X, int64_t n, double *Z) {
  if (n <= 0) return 0;
  const int D = r->D;
  for (int64_t i = 0; i < n; i++)
    memcpy(Z + i * D, r->shift, sizeof(double) * (size_t)D);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, D, r->F, 1.0, X, r->F, r->Wt, D,
              1.0, Z, D);
  const double scale = sqrt(2.0 / D);
  for (int64_t i = 0; i < n * D; i++)
    Z[i] = scale * cos(Z[i]);
  return 0;
}

void zl_rff_destroy(zl_rff *rp) {
  if (!*rp) return;
  free((*rp)->Wt);
  free((*rp)->shift);
  free(*rp);
  *rp = NULL;
}
