/* The symmetric solves of the estimators, with ScaLAPACK on a 1 × 1 BLACS grid of the calling
 * rank alone. The systems are small (features × features, or a bounded subsample's kernel), and
 * their bits must not depend on a grid shape that changes with the rank count (design §3): the
 * ranks share the many solves of a cross-validation instead, each solving whole systems. */
#ifndef ZL_SOLVE_H
#define ZL_SOLVE_H

typedef struct zl_solver_s *zl_solver;

/* A solver for systems of order up to n_max. Not collective. */
int zl_solver_create(int n_max, zl_solver *s);

/* A (n × n, column-major, upper triangle read) = V diag(lam) Vᵀ: lam ascending (n), V overwrites
 * A. PDSYEVD. Not collective. */
int zl_solver_eig(zl_solver s, int n, double *A, double *lam);

/* Solves A x = b for symmetric positive definite A (n × n, column-major, overwritten by its
 * Cholesky factor); b becomes x. *not_pd = 1 (and no error) when A is not positive definite.
 * PDPOSV. Not collective. */
int zl_solver_posv(zl_solver s, int n, double *A, double *b, int *not_pd);

/* X (n × nl, column-major) gets x_l = (A + shift[l] I)⁻¹ b for each of the nl shifts, with A
 * symmetric positive semidefinite (n × n, column-major, upper triangle read, destroyed) and every
 * shift > 0: a ridge path. One tridiagonal reduction A = Q T Qᵀ (PDSYTRD) serves every shift,
 * x_l = Q (T + shift[l] I)⁻¹ Qᵀ b through LAPACK's tridiagonal LDLᵀ (dpttrf, dpttrs) and PDORMTR:
 * a quarter of an eigendecomposition's work. Where rounding leaves some T + shift I not positive
 * definite, every x_l comes from the eigendecomposition instead (PDSYEVD), A's eigenvalues clamped
 * at 0. *clamped (may be NULL) = 1 then, else 0. Not collective. */
int zl_solver_shifted(zl_solver s, int n, double *A, const double *b, const double *shift, int nl,
                      double *X, int *clamped);

void zl_solver_destroy(zl_solver *s);

#endif
