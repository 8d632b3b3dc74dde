#include "zl_solve.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "scalapack.h"
#include "zl_error.h"

#define NB 64

struct zl_solver_s {
  int handle, ctxt, n_max;
  double *Z, *work;
  /* zl_solver_shifted: A's copy; n_max each: the eigenvalues (fallback), Householder scalars, T
   * and its factor, u = Qᵀb (or Vᵀb), a scaled u */
  double *A0, *lam, *tau, *d, *e, *dl, *el, *u, *t;
  int *iwork;
  int lwork, liwork;
};

static int descriptor(const zl_solver s, int n, int ncol, int *desc) {
  const int nb = NB, zero = 0, lld = n > 1 ? n : 1;
  int info = 0;
  descinit_(desc, &n, &ncol, &nb, &nb, &zero, &zero, &s->ctxt, &lld, &info);
  return info ? ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: descinit failed with info %d", info) : 0;
}

/* Grows the workspace to lwork doubles and liwork ints. */
static int workspace(zl_solver s, int lwork, int liwork) {
  if (lwork > s->lwork) {
    double *w = realloc(s->work, sizeof(double) * (size_t)lwork);
    if (!w) return ZL_ERR(ZL_ERR_RUNTIME, "out of memory (eigensolver workspace)");
    s->work = w;
    s->lwork = lwork;
  }
  if (liwork > s->liwork) {
    int *w = realloc(s->iwork, sizeof(int) * (size_t)liwork);
    if (!w) return ZL_ERR(ZL_ERR_RUNTIME, "out of memory (eigensolver workspace)");
    s->iwork = w;
    s->liwork = liwork;
  }
  return 0;
}

int zl_solver_create(int n_max, zl_solver *out) {
  *out = NULL;
  struct zl_solver_s *s = zl_calloc(1, sizeof *s, "solver");
  if (!s) return ZL_ERR_RUNTIME;
  s->n_max = n_max > 1 ? n_max : 1;
  s->handle = Csys2blacs_handle(MPI_COMM_SELF);
  s->ctxt = s->handle;
  Cblacs_gridinit(&s->ctxt, "R", 1, 1);
  const size_t n = (size_t)s->n_max;
  s->Z = zl_malloc(n * n, sizeof(double), "eigenvectors");
  s->A0 = zl_malloc(n * n, sizeof(double), "system copy");
  s->lam = zl_malloc(n, sizeof(double), "eigenvalues");
  s->tau = zl_malloc(n, sizeof(double), "Householder scalars");
  s->d = zl_malloc(n, sizeof(double), "tridiagonal form");
  s->e = zl_malloc(n, sizeof(double), "tridiagonal form");
  s->dl = zl_malloc(n, sizeof(double), "tridiagonal factor");
  s->el = zl_malloc(n, sizeof(double), "tridiagonal factor");
  s->u = zl_malloc(n, sizeof(double), "projected right-hand side");
  s->t = zl_malloc(n, sizeof(double), "projected right-hand side");
  int rc = (s->Z && s->A0 && s->lam && s->tau && s->d && s->e && s->dl && s->el && s->u && s->t)
               ? 0
               : ZL_ERR_RUNTIME;
  if (rc) {
    zl_solver_destroy(&s);
    return rc;
  }
  *out = s;
  return 0;
}

int zl_solver_eig(zl_solver s, int n, double *A, double *lam) {
  if (n > s->n_max) return ZL_ERR(ZL_ERR_RUNTIME, "solver: order %d over %d", n, s->n_max);
  int desc[9], info = 0, one = 1, query = -1, liw = 0;
  double lw = 0;
  ZL_CALL(descriptor(s, n, n, desc));
  /* PDSYEVD's query undercounts what its PDORMTR needs at some orders ("parameter 16 had an
   * illegal value", eigenvectors left wrong): add room for that back-transformation. */
  pdsyevd_("V", "U", &n, A, &one, &one, desc, lam, s->Z, &one, &one, desc, &lw, &query, &liw,
           &query, &info, 1, 1);
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdsyevd workspace query: info %d", info);
  ZL_CALL(workspace(s, (int)lw + 2 * n * NB + 2 * NB * NB + n * n, liw + 64));
  pdsyevd_("V", "U", &n, A, &one, &one, desc, lam, s->Z, &one, &one, desc, s->work, &s->lwork,
           s->iwork, &s->liwork, &info, 1, 1);
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdsyevd of order %d: info %d", n, info);
  memcpy(A, s->Z, sizeof(double) * (size_t)n * (size_t)n);
  return 0;
}

int zl_solver_posv(zl_solver s, int n, double *A, double *b, int *not_pd) {
  int da[9], db[9], info = 0, one = 1;
  ZL_CALL(descriptor(s, n, n, da));
  ZL_CALL(descriptor(s, n, 1, db));
  pdposv_("U", &n, &one, A, &one, &one, da, b, &one, &one, db, &info, 1);
  *not_pd = info > 0;
  if (info < 0) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdposv of order %d: info %d", n, info);
  return 0;
}

/* The tridiagonal path of zl_solver_shifted: 1 when some shift leaves T + shift I not positive
 * definite (X unfinished), else 0 with X done. */
static int shifted_tridiagonal(zl_solver s, int n, double *A, const double *b, const double *shift,
                               int nl, double *X, int *not_pd) {
  int desc[9], dc[9], db[9], info = 0, one = 1, query = -1, nc = nl;
  double lw = 0, lw2 = 0;
  *not_pd = 0;
  ZL_CALL(descriptor(s, n, n, desc));
  ZL_CALL(descriptor(s, n, 1, db));
  ZL_CALL(descriptor(s, n, nl, dc));
  pdsytrd_("U", &n, A, &one, &one, desc, s->d, s->e, s->tau, &lw, &query, &info, 1);
  if (!info)
    pdormtr_("L", "U", "N", &n, &nc, A, &one, &one, desc, s->tau, X, &one, &one, dc, &lw2, &query,
             &info, 1, 1, 1);
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdsytrd workspace query: info %d", info);
  ZL_CALL(workspace(s, (int)(lw > lw2 ? lw : lw2) + 1, 0));
  pdsytrd_("U", &n, A, &one, &one, desc, s->d, s->e, s->tau, s->work, &s->lwork, &info, 1);
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdsytrd of order %d: info %d", n, info);
  memcpy(s->u, b, sizeof(double) * (size_t)n);
  pdormtr_("L", "U", "T", &n, &one, A, &one, &one, desc, s->tau, s->u, &one, &one, db, s->work,
           &s->lwork, &info, 1, 1, 1);
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdormtr of order %d: info %d", n, info);
  for (int l = 0; l < nl; l++) {
    double *x = X + (size_t)l * n;
    for (int i = 0; i < n; i++)
      s->dl[i] = s->d[i] + shift[l];
    /* With UPLO = 'U', PDSYTRD files A(j − 1, j) under column j: e[1..n) is T's off-diagonal. */
    memcpy(s->el, s->e + 1, sizeof(double) * (size_t)(n - 1));
    memcpy(x, s->u, sizeof(double) * (size_t)n);
    if (LAPACKE_dpttrf_work(n, s->dl, s->el) ||
        LAPACKE_dpttrs_work(LAPACK_COL_MAJOR, n, 1, s->dl, s->el, x, n)) {
      *not_pd = 1;
      return 0;
    }
  }
  pdormtr_("L", "U", "N", &n, &nc, A, &one, &one, desc, s->tau, X, &one, &one, dc, s->work,
           &s->lwork, &info, 1, 1, 1);
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: pdormtr of order %d: info %d", n, info);
  return 0;
}

int zl_solver_shifted(zl_solver s, int n, double *A, const double *b, const double *shift, int nl,
                      double *X, int *clamped) {
  if (n > s->n_max) return ZL_ERR(ZL_ERR_RUNTIME, "solver: order %d over %d", n, s->n_max);
  for (int l = 0; l < nl; l++)
    if (!(shift[l] > 0))
      return ZL_ERR(ZL_ERR_RUNTIME, "solver: shift %g is not positive", shift[l]);
  int not_pd = 0;
  if (clamped) *clamped = 0;
  memcpy(s->A0, A, sizeof(double) * (size_t)n * (size_t)n);
  ZL_CALL(shifted_tridiagonal(s, n, A, b, shift, nl, X, &not_pd));
  if (!not_pd) return 0;
  if (clamped) *clamped = 1;
  memcpy(A, s->A0, sizeof(double) * (size_t)n * (size_t)n);
  ZL_CALL(zl_solver_eig(s, n, A, s->lam));
  /* x_l = V diag(1 / (max(λ, 0) + shift)) Vᵀ b. */
  cblas_dgemv(CblasColMajor, CblasTrans, n, n, 1.0, A, n, b, 1, 0.0, s->u, 1);
  for (int l = 0; l < nl; l++) {
    for (int i = 0; i < n; i++)
      s->t[i] = s->u[i] / ((s->lam[i] > 0 ? s->lam[i] : 0.0) + shift[l]);
    cblas_dgemv(CblasColMajor, CblasNoTrans, n, n, 1.0, A, n, s->t, 1, 0.0, X + (size_t)l * n, 1);
  }
  return 0;
}

void zl_solver_destroy(zl_solver *sp) {
  zl_solver s = *sp;
  if (!s) return;
  Cblacs_gridexit(s->ctxt);
  Cfree_blacs_system_handle(s->handle);
  free(s->Z);
  free(s->A0);
  free(s->lam);
  free(s->tau);
  free(s->d);
  free(s->e);
  free(s->dl);
  free(s->el);
  free(s->u);
  free(s->t);
  free(s->work);
  free(s->iwork);
  free(s);
  *sp = NULL;
}
