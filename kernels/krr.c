#include "zl_krr.h"

#include <math.h>

void zl_krr_sqdist(const double *A, int64_t na, const double *B, int64_t nb, int F, double *D2) {
  for (int64_t j = 0; j < nb; j++)
    for (int64_t i = 0; i < na; i++) {
      double d2 = 0.0;
      for (int f = 0; f < F; f++) {
        double d = A[i * F + f] - B[j * F + f];
        d2 += d * d;
      }
      D2[i + j * na] = d2;
    }
}

void zl_krr_gauss(const double *D2, size_t n, double h, double *K) {
  const double s = -0.5 / (h * h);
  for (size_t i = 0; i < n; i++)
    K[i] = exp(s * D2[i]);
}

void zl_krr_predict(const double *Kv, int64_t nv, int64_t nt, const double *alpha, double ybar,
                    double *yhat) {
  for (int64_t i = 0; i < nv; i++) {
    double p = ybar;
    for (int64_t t = 0; t < nt; t++)
      p += Kv[i + t * nv] * alpha[t];
    yhat[i] = p;
  }
}
