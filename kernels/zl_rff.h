/* Random Fourier features (Rahimi & Recht 2007): z(x) = sqrt(2/D) cos(W s(x) + b) with s the
 * standardisation x ↦ (x − μ)/σ, W ~ N(0, 1/h²) (D × F) and b ~ U[0, 2π), so that z(x)·z(x')
 * approximates the Gaussian kernel exp(−|s(x) − s(x')|² / 2h²). Ridge on z is kernel ridge
 * regression at linear cost in the number of networks. */
#ifndef ZL_RFF_H
#define ZL_RFF_H

#include <stddef.h>
#include <stdint.h>

typedef struct zl_rff_s *zl_rff;

/* Draws the map for F inputs and D outputs at bandwidth h from stream `stream` of `seed` (the same
 * map on every rank); mu and sd (F each) standardise the inputs (sd 0: the input is ignored).
 * Not collective. */
int zl_rff_create(int F, int D, double h, const double *mu, const double *sd, uint64_t seed,
                  uint64_t stream, zl_rff *rff);

/* Z (n × D, row-major) = the features of X (n × F, row-major); one DGEMM. Not collective. */
int zl_rff_apply(zl_rff rff, const double *X, int64_t n, double *Z);

/* z[i] = scale · cos(z[i]) for i < n, within 2 ulp of libm's cos, the same bits on every
 * machine. Not collective. */
void zl_rff_cos(double *z, size_t n, double scale);

void zl_rff_destroy(zl_rff *rff);

#endif
