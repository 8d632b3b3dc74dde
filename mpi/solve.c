#include "zl_solve.h"

#include <stdlib.h>
#include <string.h>

#include "scalapack.h"
#include "zl_error.h"

#define NB 64

struct zl_solver_s {
  int handle, ctxt, n_max;
  double *Z, *work;
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
  s->Z = zl_malloc((size_t)s->n_max * (size_t)s->n_max, sizeof(double), "eigenvectors");
  int rc = s->Z ? 0 : ZL_ERR_RUNTIME;
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

void zl_solver_destroy(zl_solver *sp) {
  zl_solver s = *sp;
  if (!s) return;
  Cblacs_gridexit(s->ctxt);
  Cfree_blacs_system_handle(s->handle);
  free(s->Z);
  free(s->work);
  free(s->iwork);
  free(s);
  *sp = NULL;
}
