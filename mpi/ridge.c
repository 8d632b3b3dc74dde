#include "zl_ridge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scalapack.h"
#include "zl_comm.h"

/* Block size of the 2-D block-cyclic layout: large enough for PBLAS to run at DGEMM speed, small
 * enough to spread a Gram of a few hundred features over the grid. */
#define ZL_NB 64
/* Rows per block when the caller passes a whole matrix: bounds the copies of its rows (the block
 * and, per fold, its two distributions) to a few MiB whatever the zoo size. */
#define ACC_BLOCK 4096

struct zl_cvridge_s {
  MPI_Comm comm;
  int rank, size;
  int F, F2, K; /* features, augmented width F + 2 ([x, 1, y]), folds */
  int handle;   /* BLACS system handle of comm */
  int ctxt_col; /* size × 1 grid: rank r holds rows block r of the per-fold source matrix */
  int ctxt;     /* nprow × npcol grid for the Grams and solves */
  int nprow, npcol, myrow, mycol;
  int desc_g[9], desc_r[9];
  int g_mloc, g_nloc, r_mloc;
  double *G;      /* K local blocks of g_mloc × g_nloc, column-major: per-fold A_kᵀA_k (upper) */
  double *work;   /* one local block: the system being solved */
  double *system; /* one local block: the prepared training set's standardised system, no λ */
  double *rhs;    /* r_mloc: the right-hand side / solution */
  double *rhs0;   /* r_mloc: the prepared right-hand side */
  double *stats;  /* 3 × F2 replicated: columns F and F + 1 and the diagonal of a training Gram */
  double *xshift, yshift;
  int64_t *fold_rows;
  /* Scratch of fit, sse and accumulate, allocated once at create: an allocation failing on one
   * rank inside them would leave it out of their collectives. */
  double *inv, *w, *gamma, *sums;
  int *row_g; /* g_mloc: global row of each local row of a Gram block */
};

static int blacs_check(int info, const char *routine) {
  if (info) return ZL_ERR(ZL_ERR_RUNTIME, "ScaLAPACK: %s failed with info %d", routine, info);
  return 0;
}

/* Global index of local index l in a dimension distributed in blocks of nb over np processes. */
static int l2g(int l, int nb, int p, int np) {
  return ((l / nb) * np + p) * nb + l % nb;
}

static void near_square(int p, int *nprow, int *npcol) {
  int r = (int)sqrt((double)p);
  while (r > 1 && p % r)
    r--;
  *nprow = r;
  *npcol = p / r;
}

int zl_cvridge_create(MPI_Comm comm, int n_features, int n_folds, zl_cvridge *out) {
  *out = NULL;
  struct zl_cvridge_s *cv = zl_calloc(1, sizeof *cv, "ridge state");
  int rc = cv ? 0 : ZL_ERR_RUNTIME;
  if (!rc) {
    cv->comm = comm;
    cv->rank = zl_comm_rank(comm);
    cv->size = zl_comm_size(comm);
    cv->F = n_features;
    cv->F2 = n_features + 2;
    cv->K = n_folds;
    cv->handle = -1;
    cv->ctxt = cv->ctxt_col = -1;
  }
  rc = zl_comm_agree(comm, rc);
  if (rc) {
    free(cv);
    return rc;
  }
  cv->handle = Csys2blacs_handle(comm);
  cv->ctxt_col = cv->handle;
  Cblacs_gridinit(&cv->ctxt_col, "C", cv->size, 1);
  near_square(cv->size, &cv->nprow, &cv->npcol);
  cv->ctxt = cv->handle;
  Cblacs_gridinit(&cv->ctxt, "R", cv->nprow, cv->npcol);
  int pr, pc;
  Cblacs_gridinfo(cv->ctxt, &pr, &pc, &cv->myrow, &cv->mycol);

  const int nb = ZL_NB, zero = 0, one = 1;
  cv->g_mloc = numroc_(&cv->F2, &nb, &cv->myrow, &zero, &cv->nprow);
  cv->g_nloc = numroc_(&cv->F2, &nb, &cv->mycol, &zero, &cv->npcol);
  cv->r_mloc = cv->mycol == 0 ? cv->g_mloc : 0;
  int lld = cv->g_mloc > 1 ? cv->g_mloc : 1, info = 0;
  descinit_(cv->desc_g, &cv->F2, &cv->F2, &nb, &nb, &zero, &zero, &cv->ctxt, &lld, &info);
  rc = blacs_check(info, "descinit(Gram)");
  if (!rc) {
    descinit_(cv->desc_r, &cv->F2, &one, &nb, &nb, &zero, &zero, &cv->ctxt, &lld, &info);
    rc = blacs_check(info, "descinit(rhs)");
  }
  size_t gl = (size_t)cv->g_mloc * (size_t)cv->g_nloc;
  if (!rc) {
    cv->G = zl_calloc((size_t)cv->K * gl, sizeof(double), "per-fold Gram matrices");
    cv->work = zl_calloc(gl, sizeof(double), "ridge system");
    cv->system = zl_calloc(gl, sizeof(double), "ridge system");
    cv->rhs = zl_calloc((size_t)cv->g_mloc + 1, sizeof(double), "ridge right-hand side");
    cv->rhs0 = zl_calloc((size_t)cv->g_mloc + 1, sizeof(double), "ridge right-hand side");
    cv->stats = zl_calloc(3 * (size_t)cv->F2, sizeof(double), "training statistics");
    cv->xshift = zl_calloc((size_t)cv->F, sizeof(double), "feature shift");
    cv->fold_rows = zl_calloc((size_t)cv->K, sizeof(int64_t), "fold sizes");
    cv->inv = zl_calloc((size_t)cv->F, sizeof(double), "feature scales");
    cv->w = zl_calloc((size_t)cv->F, sizeof(double), "ridge weights");
    cv->gamma = zl_calloc((size_t)cv->F2, sizeof(double), "residual vector");
    cv->sums = zl_calloc((size_t)cv->F2, sizeof(double), "feature sums");
    cv->row_g = zl_calloc((size_t)cv->g_mloc + 1, sizeof(int), "row indices");
    for (int li = 0; cv->row_g && li < cv->g_mloc; li++)
      cv->row_g[li] = l2g(li, ZL_NB, cv->myrow, cv->nprow);
    if (!cv->G || !cv->work || !cv->system || !cv->rhs || !cv->rhs0 || !cv->stats || !cv->xshift ||
        !cv->fold_rows || !cv->inv || !cv->w || !cv->gamma || !cv->sums || !cv->row_g)
      rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  if (rc) {
    zl_cvridge_destroy(&cv);
    return rc;
  }
  *out = cv;
  return 0;
}

void zl_cvridge_grid(zl_cvridge cv, int *nprow, int *npcol) {
  *nprow = cv->nprow;
  *npcol = cv->npcol;
}

int64_t zl_cvridge_fold_rows(zl_cvridge cv, int k) {
  return cv->fold_rows[k];
}

/* The global mean of the used rows, read in blocks from src, becomes the shift c of the augmented
 * rows. */
/* Rows in block b of this rank's n rows (0 past its end: other ranks may hold more blocks). */
static int64_t rows_in_block(int64_t n, int64_t b, int64_t block) {
  int64_t i0 = b * block;
  return i0 >= n ? 0 : n - i0 < block ? n - i0 : block;
}

static int compute_shift(zl_cvridge cv, int64_t n, zl_row_source src, void *ctx, const double *y,
                         const int *fold, int64_t block, int n_blocks, double *rows) {
  int F = cv->F, rc = 0;
  double *s = cv->sums;
  memset(s, 0, sizeof(double) * ((size_t)F + 2));
  for (int b = 0; b < n_blocks; b++) {
    int64_t i0 = (int64_t)b * block, nb = rows_in_block(n, b, block);
    if (!rc && nb > 0) rc = src(ctx, i0, nb, rows);
    for (int64_t i = 0; !rc && i < nb; i++) {
      if (fold[i0 + i] < 0) continue;
      for (int j = 0; j < F; j++)
        s[j] += rows[i * F + j];
      s[F] += y[i0 + i];
      s[F + 1] += 1.0;
    }
  }
  ZL_CALL(zl_comm_agree(cv->comm, rc));
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, s, F + 2, MPI_DOUBLE, MPI_SUM, cv->comm));
  double cnt = s[F + 1] > 0 ? s[F + 1] : 1.0;
  for (int j = 0; j < F; j++)
    cv->xshift[j] = s[j] / cnt;
  cv->yshift = s[F] / cnt;
  return 0;
}

/* Adds a block of rows' share to G_k for fold k: this rank's rows of the fold in the block,
 * zero-padded to the largest count on any rank (zero rows add nothing to AᵀA), form the rank's
 * block of a (size · mb) × F2 matrix on the size × 1 grid; PDGEMR2D moves it onto the 2-D grid and
 * PDSYRK adds its Gram there (G starts at zero). */
static int fold_gram(zl_cvridge cv, int k, int64_t n, const double *X, const double *y,
                     const int *fold, int mb) {
  const int F = cv->F, F2 = cv->F2, nb = ZL_NB, zero = 0, one = 1;
  const double d_one = 1.0;
  int M = cv->size * mb, info = 0, rc = 0;
  double *a1 = zl_calloc((size_t)mb * (size_t)F2, sizeof(double), "fold rows");
  int m2 = numroc_(&M, &nb, &cv->myrow, &zero, &cv->nprow);
  int n2 = numroc_(&F2, &nb, &cv->mycol, &zero, &cv->npcol);
  double *a2 = zl_calloc((size_t)m2 * (size_t)n2, sizeof(double), "block-cyclic fold rows");
  rc = (a1 && a2) ? 0 : ZL_ERR_RUNTIME;
  if (!rc) {
    int r = 0;
    for (int64_t i = 0; i < n; i++) {
      if (fold[i] != k) continue;
      for (int j = 0; j < F; j++)
        a1[r + (size_t)j * mb] = X[i * F + j] - cv->xshift[j];
      a1[r + (size_t)F * mb] = 1.0;
      a1[r + (size_t)(F + 1) * mb] = y[i] - cv->yshift;
      r++;
    }
  }
  rc = zl_comm_agree(cv->comm, rc);
  if (!rc) {
    int desc1[9], desc2[9], lld2 = m2 > 1 ? m2 : 1;
    descinit_(desc1, &M, &F2, &mb, &F2, &zero, &zero, &cv->ctxt_col, &mb, &info);
    rc = blacs_check(info, "descinit(fold rows)");
    if (!rc) {
      descinit_(desc2, &M, &F2, &nb, &nb, &zero, &zero, &cv->ctxt, &lld2, &info);
      rc = blacs_check(info, "descinit(block-cyclic fold rows)");
    }
    /* Descriptors are computed identically everywhere, so their errors agree without a message. */
    if (!rc) {
      pdgemr2d_(&M, &F2, a1, &one, &one, desc1, a2, &one, &one, desc2, &cv->ctxt_col);
      double *g = cv->G + (size_t)k * cv->g_mloc * cv->g_nloc;
      pdsyrk_("U", "T", &F2, &M, &d_one, a2, &one, &one, desc2, &d_one, g, &one, &one, cv->desc_g,
              1, 1);
    }
  }
  free(a1);
  free(a2);
  return rc;
}

typedef struct {
  const double *X;
  int F;
} matrix;

static int copy_rows(void *ctx, int64_t i0, int64_t n, double *out) {
  const matrix *m = ctx;
  memcpy(out, m->X + i0 * m->F, sizeof(double) * (size_t)(n * m->F));
  return 0;
}

int zl_cvridge_accumulate(zl_cvridge cv, int64_t n, const double *X, const double *y,
                          const int *fold) {
  matrix m = {X, cv->F};
  return zl_cvridge_accumulate_rows(cv, n, copy_rows, &m, y, fold, ACC_BLOCK);
}

int zl_cvridge_accumulate_rows(zl_cvridge cv, int64_t n, zl_row_source src, void *ctx,
                               const double *y, const int *fold, int64_t block) {
  const int K = cv->K;
  int64_t *cnt = zl_calloc((size_t)K, sizeof(int64_t), "fold counts");
  int64_t *mx = zl_calloc((size_t)K, sizeof(int64_t), "fold counts");
  int64_t nbl = block > 0 ? (n + block - 1) / block : 0, max_blocks = 0;
  double *rows = zl_malloc((size_t)(block < n ? block : (n > 0 ? n : 1)), sizeof(double) * cv->F,
                           "block of rows");
  int rc = (cnt && mx && rows) ? 0 : ZL_ERR_RUNTIME;
  if (!rc && block < 1) rc = ZL_ERR(ZL_ERR_RUNTIME, "ridge: block of %lld rows", (long long)block);
  for (int64_t i = 0; !rc && i < n; i++)
    if (fold[i] >= K)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "row %lld: fold %d out of range", (long long)i, fold[i]);
    else if (fold[i] >= 0)
      cnt[fold[i]]++;
  rc = zl_comm_agree(cv->comm, rc);
  if (!rc) {
    int m1 = MPI_Allreduce(cnt, cv->fold_rows, K, MPI_INT64_T, MPI_SUM, cv->comm);
    int m2 = MPI_Allreduce(&nbl, &max_blocks, 1, MPI_INT64_T, MPI_MAX, cv->comm);
    if (m1 != MPI_SUCCESS || m2 != MPI_SUCCESS)
      rc = zl_mpi_error(m1 != MPI_SUCCESS ? m1 : m2, "MPI_Allreduce(fold counts)", __FILE__,
                        __LINE__);
  }
  if (!rc && max_blocks > INT32_MAX)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "ridge: %lld blocks of rows", (long long)max_blocks);
  if (!rc) rc = compute_shift(cv, n, src, ctx, y, fold, block, (int)max_blocks, rows);
  /* Every rank walks the same number of blocks (some empty), so the collectives pair up. */
  for (int64_t b = 0; !rc && b < max_blocks; b++) {
    int64_t i0 = b * block, nb = rows_in_block(n, b, block);
    memset(cnt, 0, sizeof(int64_t) * (size_t)K);
    for (int64_t i = 0; i < nb; i++)
      if (fold[i0 + i] >= 0) cnt[fold[i0 + i]]++;
    rc = nb > 0 ? src(ctx, i0, nb, rows) : 0;
    rc = zl_comm_agree(cv->comm, rc);
    if (!rc) {
      int m = MPI_Allreduce(cnt, mx, K, MPI_INT64_T, MPI_MAX, cv->comm);
      if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Allreduce(fold counts)", __FILE__, __LINE__);
    }
    for (int k = 0; !rc && k < K; k++) {
      if (mx[k] > INT32_MAX / cv->size) {
        rc = ZL_ERR(ZL_ERR_RUNTIME, "fold %d: %lld rows per rank exceed ScaLAPACK's 32-bit indices",
                    k, (long long)mx[k]);
        break;
      }
      if (mx[k] > 0) rc = fold_gram(cv, k, nb, rows, y + i0, fold + i0, (int)mx[k]);
    }
  }
  free(cnt);
  free(mx);
  free(rows);
  return rc;
}

/* Sums the Grams of the training folds into work and gathers, replicated, the training set's
 * column F (sums, count), column F + 1 (Xᵀy, Σy) and diagonal. */
static int training_gram(zl_cvridge cv, const int *in_train) {
  size_t gl = (size_t)cv->g_mloc * cv->g_nloc;
  memset(cv->work, 0, gl * sizeof(double));
  for (int k = 0; k < cv->K; k++)
    if (in_train[k])
      for (size_t i = 0; i < gl; i++)
        cv->work[i] += cv->G[(size_t)k * gl + i];
  int F2 = cv->F2;
  double *sums = cv->stats, *last = cv->stats + F2, *diag = cv->stats + 2 * F2;
  memset(cv->stats, 0, 3 * (size_t)F2 * sizeof(double));
  for (int lj = 0; lj < cv->g_nloc; lj++) {
    int gj = l2g(lj, ZL_NB, cv->mycol, cv->npcol);
    for (int li = 0; li < cv->g_mloc; li++) {
      int gi = l2g(li, ZL_NB, cv->myrow, cv->nprow);
      double v = cv->work[li + (size_t)lj * cv->g_mloc];
      if (gj == F2 - 2) sums[gi] = v;
      if (gj == F2 - 1) last[gi] = v;
      if (gi == gj) diag[gi] = v;
    }
  }
  /* Each entry has exactly one owner, so the sum with zeros is exact. */
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, cv->stats, 3 * F2, MPI_DOUBLE, MPI_SUM, cv->comm));
  return 0;
}

/* Sets up the standardised system of the training set in_train (system, rhs0, inv), which solve
 * then solves at any λ: a λ path costs one Gram sum and one standardisation, and a factorisation
 * per λ. Collective. */
static int prepare(zl_cvridge cv, const int *in_train) {
  ZL_CALL(training_gram(cv, in_train));
  const int F = cv->F, F2 = cv->F2;
  const double *sums = cv->stats, *last = cv->stats + F2, *diag = cv->stats + 2 * F2;
  double n = sums[F];
  if (n < 1) return ZL_ERR(ZL_ERR_RUNTIME, "ridge: the training set is empty");
  double sy = last[F];
  double *inv = cv->inv;
  /* inv[j] = 1 / std of feature j over the training set; 0 for a constant feature, whose
   * standardised column is then zero and gets weight zero. */
  for (int j = 0; j < F; j++) {
    double sx = sums[j], var = (diag[j] - sx * sx / n) / n;
    double scale = diag[j] / n;
    /* The centred sum of squares loses ~1e-16 of the raw one to rounding: a variance below 1e-12
     * of the mean square is rounding noise, and scaling it up would make the system indefinite. */
    inv[j] = var > 1e-12 * scale && var > 0 ? 1.0 / sqrt(var) : 0.0;
  }
  for (int lj = 0; lj < cv->g_nloc; lj++) {
    int gj = l2g(lj, ZL_NB, cv->mycol, cv->npcol);
    for (int li = 0; li < cv->g_mloc; li++) {
      int gi = cv->row_g[li];
      size_t at = li + (size_t)lj * cv->g_mloc;
      double m = cv->work[at];
      if (gi < F && gj < F && gi <= gj) m = (m - sums[gi] * sums[gj] / n) * inv[gi] * inv[gj] / n;
      cv->system[at] = m;
    }
  }
  for (int li = 0; li < cv->r_mloc; li++) {
    int gi = l2g(li, ZL_NB, cv->myrow, cv->nprow);
    cv->rhs0[li] = gi < F ? (last[gi] - sums[gi] * sy / n) * inv[gi] / n : 0.0;
  }
  return 0;
}

/* The fit of the prepared training set at lambda. A system that is not positive definite (rounding
 * can make a rank-deficient Gram indefinite at a tiny λ) sets *not_pd and is no error: inner CV
 * then skips that λ. Collective. */
static int solve(zl_cvridge cv, double lambda, double *coef, int *not_pd) {
  const int F = cv->F, F2 = cv->F2, one = 1;
  const double *sums = cv->stats, *last = cv->stats + F2;
  double n = sums[F], sy = last[F];
  double *inv = cv->inv, *w = cv->w;
  memcpy(cv->work, cv->system, sizeof(double) * (size_t)cv->g_mloc * (size_t)cv->g_nloc);
  memcpy(cv->rhs, cv->rhs0, sizeof(double) * (size_t)cv->r_mloc);
  /* λ on the diagonal entries this rank holds: global j is local (j mod block-cycle) when its row
   * and column blocks both land here. */
  for (int j = 0; j < F; j++) {
    int b = j / ZL_NB;
    if (b % cv->nprow != cv->myrow || b % cv->npcol != cv->mycol) continue;
    int li = (b / cv->nprow) * ZL_NB + j % ZL_NB, lj = (b / cv->npcol) * ZL_NB + j % ZL_NB;
    cv->work[li + (size_t)lj * cv->g_mloc] += lambda;
  }
  memset(w, 0, sizeof(double) * (size_t)F);
  int info = 0, rc = 0;
  /* The system is the leading F × F block: PDPOTRF needs it aligned to a block boundary. */
  pdposv_("U", &F, &one, cv->work, &one, &one, cv->desc_g, cv->rhs, &one, &one, cv->desc_r, &info,
          1);
  /* info is global in ScaLAPACK, so every rank takes the same branch. */
  *not_pd = info > 0;
  rc = info > 0 ? 0 : blacs_check(info, "pdposv");
  if (rc || *not_pd) {
    return rc;
  }
  for (int li = 0; li < cv->r_mloc; li++) {
    int gi = l2g(li, ZL_NB, cv->myrow, cv->nprow);
    if (gi < F) w[gi] = cv->rhs[li];
  }
  int mrc = MPI_Allreduce(MPI_IN_PLACE, w, F, MPI_DOUBLE, MPI_SUM, cv->comm);
  if (mrc != MPI_SUCCESS) {
    return zl_mpi_error(mrc, "MPI_Allreduce(ridge weights)", __FILE__, __LINE__);
  }
  /* Back to raw features: ŷ = ȳ + Σ β_j (x_j − c_j − μ_j) + c_y with β_j = w_j / std_j. */
  double b0 = sy / n + cv->yshift;
  for (int j = 0; j < F; j++) {
    double beta = w[j] * inv[j];
    b0 -= beta * (sums[j] / n + cv->xshift[j]);
    coef[1 + j] = beta;
  }
  coef[0] = b0;
  return 0;
}

int zl_cvridge_fit(zl_cvridge cv, const int *in_train, double lambda, double *coef) {
  int not_pd = 0;
  ZL_CALL(prepare(cv, in_train));
  ZL_CALL(solve(cv, lambda, coef, &not_pd));
  if (not_pd)
    return ZL_ERR(ZL_ERR_RUNTIME, "ridge: the system is not positive definite at lambda %g",
                  lambda);
  return 0;
}

/* The validation SSE on fold v of the prepared training set's fit at lambda; +inf when the system
 * is not positive definite. */
static int solve_sse(zl_cvridge cv, double lambda, int v, double *coef, double *sse) {
  int not_pd = 0;
  ZL_CALL(solve(cv, lambda, coef, &not_pd));
  if (not_pd) {
    *sse = INFINITY;
    return 0;
  }
  return zl_cvridge_sse(cv, v, coef, sse);
}

int zl_cvridge_sse(zl_cvridge cv, int k, const double *coef, double *sse) {
  const int F = cv->F;
  /* The residual of an augmented row a = [x − c, 1, y − c_y] is γ·a. */
  double *gamma = cv->gamma;
  double g0 = cv->yshift - coef[0];
  for (int j = 0; j < F; j++) {
    gamma[j] = -coef[1 + j];
    g0 -= coef[1 + j] * cv->xshift[j];
  }
  gamma[F] = g0;
  gamma[F + 1] = 1.0;
  const double *g = cv->G + (size_t)k * cv->g_mloc * cv->g_nloc;
  /* γᵀGγ from the upper triangle: local rows ascend in global index, so each column's entries
   * with gi <= gj are a prefix of it. */
  double s = 0.0;
  for (int lj = 0; lj < cv->g_nloc; lj++) {
    int gj = l2g(lj, ZL_NB, cv->mycol, cv->npcol), li = 0;
    const double *col = g + (size_t)lj * cv->g_mloc;
    double c = 0.0;
    for (; li < cv->g_mloc && cv->row_g[li] < gj; li++)
      c += col[li] * gamma[cv->row_g[li]];
    s += 2.0 * c * gamma[gj];
    if (li < cv->g_mloc && cv->row_g[li] == gj) s += col[li] * gamma[gj] * gamma[gj];
  }
  ZL_MPI(MPI_Allreduce(&s, sse, 1, MPI_DOUBLE, MPI_SUM, cv->comm));
  return 0;
}

int zl_cvridge_select_lambda(zl_cvridge cv, int outer, const double *grid, int n_grid,
                             double *lambda, double *sse_out) {
  int K = cv->K, rc = 0;
  int *in_train = zl_calloc((size_t)K, sizeof(int), "fold mask");
  double *total = zl_calloc((size_t)n_grid, sizeof(double), "validation errors");
  double *coef = zl_malloc((size_t)cv->F + 1, sizeof(double), "ridge coefficients");
  if (!in_train || !total || !coef) rc = ZL_ERR_RUNTIME;
  rc = zl_comm_agree(cv->comm, rc);
  for (int v = 0; !rc && v < K; v++) {
    if (v == outer || cv->fold_rows[v] == 0) continue;
    for (int k = 0; k < K; k++)
      in_train[k] = k != v && k != outer;
    rc = prepare(cv, in_train);
    for (int l = 0; !rc && l < n_grid; l++) {
      double sse = 0.0;
      rc = solve_sse(cv, grid[l], v, coef, &sse);
      total[l] += sse;
    }
  }
  if (!rc) {
    /* The last λ with the least finite error: a NaN or infinite error (a failed fit) never wins. */
    int best = n_grid - 1;
    for (int l = 0; l < n_grid; l++)
      if (total[l] <= total[best] || !(total[best] < INFINITY)) best = l;
    *lambda = grid[best];
    if (sse_out) *sse_out = total[best];
  }
  free(in_train);
  free(total);
  free(coef);
  return rc;
}

int zl_cvridge_inner_sse(zl_cvridge cv, const double *grid, int n_grid, double *sse) {
  int K = cv->K, rc = 0;
  int *in_train = zl_calloc((size_t)K, sizeof(int), "fold mask");
  double *coef = zl_malloc((size_t)cv->F + 1, sizeof(double), "ridge coefficients");
  rc = zl_comm_agree(cv->comm, (in_train && coef) ? 0 : ZL_ERR_RUNTIME);
  for (size_t i = 0; i < (size_t)K * K * n_grid; i++)
    sse[i] = 0.0;
  /* The training set of (outer k, inner v) is all folds but k and v: the same for (v, k), so one
   * fit serves both, validated on v for outer k and on k for outer v. */
  for (int k = 0; !rc && k < K; k++)
    for (int v = k + 1; !rc && v < K; v++) {
      for (int j = 0; j < K; j++)
        in_train[j] = j != k && j != v;
      rc = prepare(cv, in_train);
      for (int l = 0; !rc && l < n_grid; l++) {
        int not_pd = 0;
        double *at_v = &sse[((size_t)k * K + v) * n_grid + l];
        double *at_k = &sse[((size_t)v * K + k) * n_grid + l];
        rc = solve(cv, grid[l], coef, &not_pd);
        if (not_pd) *at_v = *at_k = INFINITY;
        if (!rc && !not_pd && cv->fold_rows[v]) rc = zl_cvridge_sse(cv, v, coef, at_v);
        if (!rc && !not_pd && cv->fold_rows[k]) rc = zl_cvridge_sse(cv, k, coef, at_k);
      }
    }
  free(in_train);
  free(coef);
  return rc;
}

void zl_cvridge_destroy(zl_cvridge *cvp) {
  zl_cvridge cv = *cvp;
  if (!cv) return;
  if (cv->ctxt >= 0) Cblacs_gridexit(cv->ctxt);
  if (cv->ctxt_col >= 0) Cblacs_gridexit(cv->ctxt_col);
  if (cv->handle >= 0) Cfree_blacs_system_handle(cv->handle);
  free(cv->G);
  free(cv->work);
  free(cv->system);
  free(cv->rhs);
  free(cv->rhs0);
  free(cv->stats);
  free(cv->xshift);
  free(cv->fold_rows);
  free(cv->inv);
  free(cv->w);
  free(cv->gamma);
  free(cv->sums);
  free(cv->row_g);
  free(cv);
  *cvp = NULL;
}
