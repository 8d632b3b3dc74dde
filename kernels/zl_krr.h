/* Kernel ridge regression with the Gaussian kernel, exactly (no random features), on a bounded set
 * of rows: rff chooses its bandwidth and λ on such a subsample, and fits zoos this small exactly
 * (random Fourier features only approximate this kernel). Serial math on replicated rows. */
#ifndef ZL_KRR_H
#define ZL_KRR_H

#include <stddef.h>
#include <stdint.h>

/* D2 (na × nb, column-major: D2[i + j·na]) = |a_i − b_j|² for the rows of A (na × F) and B
 * (nb × F), both row-major: every bandwidth's kernel follows from them (zl_krr_gauss). Not
 * collective. */
void zl_krr_sqdist(const double *A, int64_t na, const double *B, int64_t nb, int F, double *D2);

/* K[i] = exp(−D2[i] / (2h²)) for i < n: the Gaussian kernel at bandwidth h of squared distances
 * D2. K may be D2. Not collective. */
void zl_krr_gauss(const double *D2, size_t n, double h, double *K);

/* The predictions ŷ_i = ybar + Σ_t Kv[i + t·nv] α_t for nv rows from their kernel against the nt
 * training rows. Not collective. */
void zl_krr_predict(const double *Kv, int64_t nv, int64_t nt, const double *alpha, double ybar,
                    double *yhat);

#endif
