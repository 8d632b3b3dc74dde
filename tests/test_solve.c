/* The estimators' solves (ScaLAPACK on a 1 × 1 grid per rank) against LAPACK: eigenvalues and
 * eigenvectors (A V = V Λ), a Cholesky solve and the ridge path (A + λI) x = b for several λ,
 * through the tridiagonal form and, for an indefinite A, the clamped eigendecomposition, for
 * orders below, at and across ScaLAPACK's block size, on every rank at once (ctest runs 1 and 2
 * ranks). */
#include <lapacke.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_solve.h"
#include "zl_test_mpi.h"

static double lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

/* A = BᵀB/n + shift·I, a symmetric positive definite matrix of order n with a spread spectrum. */
static void make(int n, double shift, double *A) {
  uint64_t s = (uint64_t)n * 7919u;
  int m = n + 3;
  double *B = malloc(sizeof(double) * (size_t)m * (size_t)n);
  for (int i = 0; i < m * n; i++)
    B[i] = lcg(&s) * (1 + i % 7);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) {
      double v = 0;
      for (int r = 0; r < m; r++)
        v += B[r + (size_t)i * m] * B[r + (size_t)j * m];
      A[i + (size_t)j * n] = v / m + (i == j ? shift : 0.0);
    }
  free(B);
}

/* |x − x_ref| / |x_ref| over the nl columns of X, x_ref from LAPACK's dposv of A + shift I, or
 * (clamp) of the eigendecomposition with eigenvalues clamped at 0. */
static double shifted_error(int n, const double *A, const double *b, const double *shift, int nl,
                            const double *X, int clamp) {
  double *M = malloc(sizeof(double) * (size_t)n * n), *x = malloc(sizeof(double) * (size_t)n);
  double *lam = malloc(sizeof(double) * (size_t)n), *u = malloc(sizeof(double) * (size_t)n);
  double worst = 0;
  for (int l = 0; l < nl; l++) {
    memcpy(M, A, sizeof(double) * (size_t)n * n);
    if (clamp) {
      ZL_CHECK(LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', n, M, n, lam) == 0);
      for (int k = 0; k < n; k++) {
        double v = 0;
        for (int i = 0; i < n; i++)
          v += M[i + (size_t)k * n] * b[i];
        u[k] = v / (fmax(lam[k], 0.0) + shift[l]);
      }
      for (int i = 0; i < n; i++) {
        x[i] = 0;
        for (int k = 0; k < n; k++)
          x[i] += M[i + (size_t)k * n] * u[k];
      }
    } else {
      for (int i = 0; i < n; i++)
        M[i + (size_t)i * n] += shift[l];
      memcpy(x, b, sizeof(double) * (size_t)n);
      ZL_CHECK(LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', n, 1, M, n, x, n) == 0);
    }
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
      num = fmax(num, fabs(X[i + (size_t)l * n] - x[i]));
      den = fmax(den, fabs(x[i]));
    }
    worst = fmax(worst, num / den);
  }
  free(M);
  free(x);
  free(lam);
  free(u);
  return worst;
}

/* zl_solver_shifted on A (positive definite) along a λ path, and on A − 10 I (indefinite for the
 * smaller shifts: the eigendecomposition path). */
static void check_shifted(zl_solver s, int n, const double *A, const double *b) {
  enum { NL = 5 };
  const double shift[NL] = {1e-6, 1e-3, 0.1, 3.0, 1e3};
  double *X = malloc(sizeof(double) * (size_t)n * NL), *M = malloc(sizeof(double) * (size_t)n * n);
  int clamped = -1;
  memcpy(M, A, sizeof(double) * (size_t)n * n);
  ZL_CHECK(zl_solver_shifted(s, n, M, b, shift, NL, X, &clamped) == 0 && clamped == 0);
  /* A's smallest eigenvalue is about 1e-3: the path's condition stays below 1e6. */
  ZL_CHECK(shifted_error(n, A, b, shift, NL, X, 0) < 1e-9);
  double *Ai = malloc(sizeof(double) * (size_t)n * n);
  memcpy(Ai, A, sizeof(double) * (size_t)n * n);
  for (int i = 0; i < n; i++)
    Ai[i + (size_t)i * n] -= 10.0;
  memcpy(M, Ai, sizeof(double) * (size_t)n * n);
  ZL_CHECK(zl_solver_shifted(s, n, M, b, shift, NL, X, &clamped) == 0 && clamped == 1);
  ZL_CHECK(shifted_error(n, Ai, b, shift, NL, X, 1) < 1e-9);
  ZL_CHECK(zl_solver_shifted(s, n, M, b, (const double[]){0.0}, 1, X, NULL) != 0);
  free(X);
  free(M);
  free(Ai);
}

static void check_order(zl_solver s, int n) {
  double *A = malloc(sizeof(double) * (size_t)n * n), *V = malloc(sizeof(double) * (size_t)n * n);
  double *ref = malloc(sizeof(double) * (size_t)n * n), *lam = malloc(sizeof(double) * (size_t)n);
  double *w = malloc(sizeof(double) * (size_t)n), *b = malloc(sizeof(double) * (size_t)n);
  make(n, 1e-3, A);
  memcpy(V, A, sizeof(double) * (size_t)n * n);
  memcpy(ref, A, sizeof(double) * (size_t)n * n);
  ZL_CHECK(zl_solver_eig(s, n, V, lam) == 0);
  ZL_CHECK(LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', n, ref, n, w) == 0);
  double scale = fabs(w[n - 1]), worst = 0, resid = 0;
  for (int i = 0; i < n; i++)
    worst = fmax(worst, fabs(lam[i] - w[i]) / scale);
  for (int k = 0; k < n; k++) /* |A v_k − λ_k v_k| */
    for (int i = 0; i < n; i++) {
      double r = -lam[k] * V[i + (size_t)k * n];
      for (int j = 0; j < n; j++)
        r += A[i + (size_t)j * n] * V[j + (size_t)k * n];
      resid = fmax(resid, fabs(r) / scale);
    }
  ZL_CHECK(worst < 1e-12);
  ZL_CHECK(resid < 1e-12);
  for (int i = 0; i < n; i++)
    b[i] = 1.0 + i % 3;
  memcpy(w, b, sizeof(double) * (size_t)n);
  memcpy(ref, A, sizeof(double) * (size_t)n * n);
  int not_pd = 1;
  ZL_CHECK(zl_solver_posv(s, n, ref, w, &not_pd) == 0 && not_pd == 0);
  double err = 0, bn = 0;
  for (int i = 0; i < n; i++) { /* |A x − b| */
    double r = -b[i];
    for (int j = 0; j < n; j++)
      r += A[i + (size_t)j * n] * w[j];
    err = fmax(err, fabs(r));
    bn = fmax(bn, fabs(b[i]));
  }
  ZL_CHECK(err < 1e-9 * bn);
  /* Not positive definite: reported, no error. */
  make(n, -10.0, ref);
  ZL_CHECK(zl_solver_posv(s, n, ref, w, &not_pd) == 0 && not_pd == 1);
  check_shifted(s, n, A, b);
  free(A);
  free(V);
  free(ref);
  free(lam);
  free(w);
  free(b);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  zl_solver s = NULL;
  ZL_CHECK(zl_solver_create(300, &s) == 0);
  const int orders[] = {1, 2, 9, 56, 64, 65, 150, 300};
  for (size_t i = 0; s && i < sizeof orders / sizeof orders[0]; i++)
    check_order(s, orders[i]);
  ZL_CHECK(zl_solver_eig(s, 301, NULL, NULL) != 0); /* over the order it was made for */
  zl_solver_destroy(&s);
  ZL_CHECK(s == NULL);
  return zl_test_finish_mpi();
}
