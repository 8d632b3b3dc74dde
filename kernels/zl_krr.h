/* Kernel ridge regression with the Gaussian kernel, exactly (no random features), on a bounded set
 * of rows: rff chooses its bandwidth and λ on such a subsample, and fits zoos this small exactly
 * (random Fourier features only approximate this kernel). Serial math on replicated rows. */
#ifndef ZL_KRR_H
#define ZL_KRR_H

#include <stdint.h>

/* K (na × nb, column-major: K[i + j·na]) = exp(−|a_i − b_j|² / (2h²)) for the rows of A (na × F)
 * and B (nb × F), both row-major. Not collective. */
void zl_krr_kernel(const double *A, int64_t na, const double *B, int64_t nb, int F, double h,
                   double *K);

/* The predictions ŷ_i = ybar + Σ_t Kv[i + t·nv] α_t for nv rows from their kernel against the nt
 * training rows. Not collective. */
void zl_krr_predict(const double *Kv, int64_t nv, int64_t nt, const double *alpha, double ybar,
                    double *yhat);

#endif
