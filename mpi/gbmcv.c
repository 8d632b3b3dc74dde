#include "zl_gbmcv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_gbm.h"
#include "zl_knots.h"
#include "zl_rng.h"
#include "zl_tiles.h"

/* Tree shapes tried by inner CV: depth (at most 2^depth leaves) and minimum rows per leaf.
 * scikit-learn's HistGradientBoosting defaults (31 leaves, 20 rows) sit between the two depths;
 * 5 rows lets zoos of a hundred networks, 60 per inner training set, grow more than 3 leaves. */
static const struct { int depth, min_rows; } shapes[] = {{3, 5}, {3, 20}, {5, 5}, {5, 20}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])
/* Shrinkage and L2 (in rows) fixed: with early stopping choosing the trees, a smaller shrinkage
 * only adds trees. */
#define SHRINKAGE 0.1
#define LAMBDA    1.0
#define MAX_TREES 500
/* Trees without improvement on either validation fold before an inner fit stops. */
#define PATIENCE 25
/* A large zoo's outer fits stop early on the training runs whose seeded hash falls in this
 * fraction (HistGradientBoosting's validation_fraction), grouped by run as the folds are. */
#define VAL_FRACTION 0.1
/* Quantiles per feature: at most 254 distinct interior ones, 255 bins, as HistGradientBoosting. */
#define N_QUANTILES 256
/* A training zoo of at most this many used rows is copied, binned (rows × features bytes), to every
 * rank, which then run whole fits of their own without communicating: a hundred networks' trees
 * are too small to share out, their histograms' sums cost more than growing them. Larger zoos
 * grow every tree on all ranks together. Either way the bits are the same. */
#define REPLICATE_ROWS 16384
/* Histogram memory of the fits grown in lock-step at once. */
#define BATCH_BYTES ((size_t)256 << 20)

static int mpi_sum_i64(void *ctx, int64_t *v, size_t n) {
  return zl_comm_allreduce(*(MPI_Comm *)ctx, v, n, MPI_INT64_T, MPI_SUM);
}

static int mpi_sum_xint(void *ctx, zl_xint *v, size_t n) {
  return zl_xsum_allreduce(*(MPI_Comm *)ctx, v, n);
}

static int mpi_max_f64(void *ctx, double *v, size_t n) {
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_MAX, *(MPI_Comm *)ctx));
  return 0;
}

static int mpi_agree(void *ctx, int rc) {
  return zl_comm_agree(*(MPI_Comm *)ctx, rc);
}

/* A zoo's rows binned on the training zoo's thresholds: this rank's, or (replicated) every used
 * row of the zoo in selection order. */
typedef struct {
  int64_t n;
  uint8_t *B;
  double *y;
  int *fold;
} binned;

static void binned_free(binned *b) {
  free(b->B);
  free(b->y);
  free(b->fold);
  memset(b, 0, sizeof *b);
}

/* Everything both entry points use: the training zoo binned, how the fits are shared out, a row
 * role per inner task or outer fit (K of them), the inner-CV error curves. */
typedef struct {
  MPI_Comm comm;
  int rank, size, F, K, rep;
  zl_gbm_reduce r; /* rep: each rank's fits are its own (serial); else every rank's rows */
  double *thr;
  int *n_bins;
  binned a;
  int64_t offset; /* rep: this rank's first row among a's */
  int64_t used;   /* used rows of the zoo */
  int **roles;
  double *curves;
} gbm_job;

/* This rank runs fit i: all of them together, or (replicated) every size-th. */
static int mine(const gbm_job *j, int i) {
  return !j->rep || i % j->size == j->rank;
}

/* Row i of b (first: its index in the selection) is kept by replicate: every used row when below
 * is UINT64_MAX, else those whose seeded hash of their index is at most below. */
static int kept(const binned *b, int64_t i, int64_t first, uint64_t seed, uint64_t below) {
  return b->fold[i] >= 0 &&
         (below == UINT64_MAX || zl_hash64(seed, (uint64_t)(first + i)) <= below);
}

/* Every rank's kept rows of b, in rank order (the selection's), on every rank. */
static int replicate(gbm_job *j, binned *b, int64_t first, uint64_t seed, uint64_t below) {
  int64_t m = 0;
  for (int64_t i = 0; i < b->n; i++)
    m += kept(b, i, first, seed, below);
  int *cnt = zl_malloc((size_t)j->size, sizeof(int), "row counts");
  int *dis = zl_malloc((size_t)j->size, sizeof(int), "row counts");
  uint8_t *B = zl_malloc((size_t)m + 1, (size_t)j->F, "binned features");
  double *y = zl_malloc((size_t)m + 1, sizeof(double), "targets");
  int *fold = zl_malloc((size_t)m + 1, sizeof(int), "folds");
  int rc = zl_comm_agree(j->comm, (cnt && dis && B && y && fold) ? 0 : ZL_ERR_RUNTIME);
  for (int64_t i = 0, k = 0; !rc && i < b->n; i++)
    if (kept(b, i, first, seed, below)) {
      memcpy(B + k * j->F, b->B + i * j->F, (size_t)j->F);
      y[k] = b->y[i];
      fold[k++] = b->fold[i];
    }
  int mi = (int)m;
  int64_t total = 0;
  binned all = {0};
  if (!rc) rc = zl_comm_row_layout(j->comm, mi, cnt, dis, &total);
  if (!rc) {
    all.n = total;
    all.B = zl_malloc((size_t)total + 1, (size_t)j->F, "binned features");
    all.y = zl_malloc((size_t)total + 1, sizeof(double), "targets");
    all.fold = zl_malloc((size_t)total + 1, sizeof(int), "folds");
    rc = zl_comm_agree(j->comm, (all.B && all.y && all.fold) ? 0 : ZL_ERR_RUNTIME);
  }
  if (!rc) rc = zl_comm_allgather_rows(j->comm, B, mi, j->F, MPI_UINT8_T, all.B, cnt, dis);
  if (!rc) rc = zl_comm_allgather_rows(j->comm, y, mi, 1, MPI_DOUBLE, all.y, cnt, dis);
  if (!rc) rc = zl_comm_allgather_rows(j->comm, fold, mi, 1, MPI_INT, all.fold, cnt, dis);
  if (!rc) {
    j->offset = dis[j->rank];
    binned_free(b);
    *b = all;
  } else {
    binned_free(&all);
  }
  free(cnt);
  free(dis);
  free(B);
  free(y);
  free(fold);
  return rc;
}

/* A role array per fold, for the job's rows. */
static int job_roles(gbm_job *j) {
  j->roles = zl_calloc((size_t)j->K, sizeof(int *), "row roles");
  for (int k = 0; j->roles && k < j->K; k++)
    if (!(j->roles[k] = zl_malloc((size_t)j->a.n + 1, sizeof(int), "row roles"))) break;
  return zl_comm_agree(j->comm, (j->roles && j->roles[j->K - 1]) ? 0 : ZL_ERR_RUNTIME);
}

/* Thresholds from the quantiles of every used row of the training zoo, its rows binned (and
 * replicated when small), a role array per fold. */
static int job_init(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *rows, const double *X,
                    int F, gbm_job *j) {
  memset(j, 0, sizeof *j);
  j->comm = comm;
  j->rank = zl_comm_rank(comm);
  j->size = zl_comm_size(comm);
  j->F = F;
  j->K = o->folds;
  double *knots = zl_malloc((size_t)F * N_QUANTILES, sizeof(double), "quantile knots");
  j->thr = zl_malloc((size_t)F * (ZL_GBM_MAX_BINS - 1), sizeof(double), "bin thresholds");
  j->n_bins = zl_malloc((size_t)F, sizeof(int), "bin counts");
  j->a.n = rows->n;
  j->a.B = zl_malloc((size_t)rows->n + 1, (size_t)F, "binned features");
  j->a.y = zl_malloc((size_t)rows->n + 1, sizeof(double), "targets");
  j->a.fold = zl_malloc((size_t)rows->n + 1, sizeof(int), "folds");
  j->curves = zl_malloc((size_t)j->K * N_SHAPES * MAX_TREES * 2, sizeof(double), "inner-CV errors");
  int rc = zl_comm_agree(
      comm, (knots && j->thr && j->n_bins && j->a.B && j->a.y && j->a.fold && j->curves)
                ? 0
                : ZL_ERR_RUNTIME);
  /* Exact quantiles over the ranks, whatever the rows' layout. */
  if (!rc) rc = zl_knots(comm, rows->n, F, X, rows->fold, N_QUANTILES, knots);
  if (!rc) {
    zl_gbm_thresholds(knots, F, N_QUANTILES, j->thr, j->n_bins);
    zl_gbm_bin(j->thr, j->n_bins, F, X, rows->n, j->a.B);
    memcpy(j->a.y, rows->y, sizeof(double) * (size_t)rows->n);
    memcpy(j->a.fold, rows->fold, sizeof(int) * (size_t)rows->n);
    int64_t used = zl_rows_used(rows);
    int g = MPI_Allreduce(MPI_IN_PLACE, &used, 1, MPI_INT64_T, MPI_SUM, comm);
    if (g != MPI_SUCCESS) rc = zl_mpi_error(g, "MPI_Allreduce(gbm rows)", __FILE__, __LINE__);
    j->rep = used <= REPLICATE_ROWS;
    j->used = used;
  }
  free(knots);
  if (!rc && j->rep) rc = replicate(j, &j->a, 0, 0, UINT64_MAX);
  j->r = j->rep ? zl_gbm_serial
                : (zl_gbm_reduce){&j->comm, mpi_sum_i64, mpi_sum_xint, mpi_max_f64, mpi_agree};
  if (!rc) rc = job_roles(j);
  return rc;
}

/* S, the job of a large zoo's subsample on which the tree shapes are tried (as rff tries its
 * bandwidths): the used rows whose seeded hash of their index in the selection falls below a
 * fraction, about an eighth of them up to REPLICATE_ROWS, replicated like a small zoo. An eighth:
 * S's four shapes then cost half a shape on every row, and each shape S rules out saves one. */
static int job_subsample(const gbm_job *j, const zl_estimate_opts *o, const zl_rows *rows,
                         int64_t used, gbm_job *sj) {
  *sj = *j;
  sj->rep = 1;
  sj->r = zl_gbm_serial;
  sj->roles = NULL;
  sj->thr = zl_malloc((size_t)j->F * (ZL_GBM_MAX_BINS - 1), sizeof(double), "bin thresholds");
  sj->n_bins = zl_malloc((size_t)j->F, sizeof(int), "bin counts");
  sj->curves =
      zl_malloc((size_t)j->K * N_SHAPES * MAX_TREES * 2, sizeof(double), "inner-CV errors");
  sj->a = (binned){rows->n, NULL, NULL, NULL};
  sj->a.B = zl_malloc((size_t)rows->n + 1, (size_t)j->F, "binned features");
  sj->a.y = zl_malloc((size_t)rows->n + 1, sizeof(double), "targets");
  sj->a.fold = zl_malloc((size_t)rows->n + 1, sizeof(int), "folds");
  ZL_CALL(zl_comm_agree(j->comm,
                        (sj->thr && sj->n_bins && sj->curves && sj->a.B && sj->a.y && sj->a.fold)
                            ? 0
                            : ZL_ERR_RUNTIME));
  memcpy(sj->thr, j->thr, sizeof(double) * (size_t)j->F * (ZL_GBM_MAX_BINS - 1));
  memcpy(sj->n_bins, j->n_bins, sizeof(int) * (size_t)j->F);
  memcpy(sj->a.B, j->a.B, (size_t)rows->n * (size_t)j->F);
  memcpy(sj->a.y, j->a.y, sizeof(double) * (size_t)rows->n);
  memcpy(sj->a.fold, j->a.fold, sizeof(int) * (size_t)rows->n);
  int64_t first = 0, n = rows->n;
  ZL_MPI(MPI_Exscan(&n, &first, 1, MPI_INT64_T, MPI_SUM, j->comm));
  if (j->rank == 0) first = 0;
  const double target = used / 8 < REPLICATE_ROWS ? (double)(used / 8) : REPLICATE_ROWS;
  const uint64_t below = (uint64_t)(target / (double)used * 18446744073709551616.0);
  ZL_CALL(replicate(sj, &sj->a, first, o->seed ^ 0x47424d5355425345ULL, below));
  return job_roles(sj);
}

static void job_free(gbm_job *j) {
  for (int k = 0; j->roles && k < j->K; k++)
    free(j->roles[k]);
  free(j->roles);
  free(j->thr);
  free(j->n_bins);
  free(j->curves);
  binned_free(&j->a);
}

/* Fits n problems on the job's rows: fit i with role roles[i], shape shape_of[i], up to trees[i]
 * trees (with early stopping when it has validation sets), in lock-step batches whose histograms
 * fit BATCH_BYTES (a cut from global sizes only, so every rank makes the same). */
static int fit_batches(gbm_job *j, int n, int *const *roles, const int *n_val, const int *shape_of,
                       const int *trees, zl_gbm_model *m, double *const *sse) {
  zl_gbm_data *d = zl_malloc((size_t)n + 1, sizeof(zl_gbm_data), "boosting fits");
  zl_gbm_params *p = zl_malloc((size_t)n + 1, sizeof(zl_gbm_params), "boosting fits");
  int rc = j->r.agree(j->r.ctx, (d && p) ? 0 : ZL_ERR_RUNTIME);
  for (int i = 0; !rc && i < n; i++) {
    d[i] = (zl_gbm_data){j->a.n, j->F, j->a.B, j->n_bins, j->a.y, roles[i], n_val[i]};
    p[i] = (zl_gbm_params){shapes[shape_of[i]].depth,
                           shapes[shape_of[i]].min_rows,
                           trees[i],
                           n_val[i] ? PATIENCE : 0,
                           LAMBDA,
                           SHRINKAGE};
  }
  for (int i0 = 0, i1; !rc && i0 < n; i0 = i1) {
    size_t bytes = 0;
    for (i1 = i0; i1 < n && (i1 == i0 || bytes < BATCH_BYTES); i1++)
      bytes += zl_gbm_hist_bytes(j->F, j->n_bins, p[i1].max_depth);
    rc = zl_gbm_fit_many(i1 - i0, d + i0, p + i0, &j->r, m + i0, sse + i0);
  }
  free(d);
  free(p);
  return rc;
}

/* Inner training sets: cv: task t leaves out folds t and t + 1 (mod K) and validates on both, so
 * each outer fold s is served by tasks s and s − 1, which validate on folds s + 1 and s − 1 —
 * K fits per shape instead of estimate.c's K(K − 1)/2 pairs, trees being dearer than Grams.
 * Transfer: task t leaves out fold t and validates on it. j->curves: (task, shape, tree, side) ->
 * validation error, carried forward past the trees a fit grew before it stopped. */
static int inner_curves(gbm_job *j, int cv) {
  const int K = j->K, n = K * N_SHAPES, nv = cv ? 2 : 1;
  int *n_val = zl_malloc((size_t)n, sizeof(int), "boosting fits");
  int *shape_of = zl_malloc((size_t)n, sizeof(int), "boosting fits");
  int *trees = zl_malloc((size_t)n, sizeof(int), "boosting fits");
  int **role_of = zl_malloc((size_t)n, sizeof(int *), "boosting fits");
  double **sse = zl_malloc((size_t)n, sizeof(double *), "boosting fits");
  zl_gbm_model *m = zl_calloc((size_t)n, sizeof(zl_gbm_model), "boosting fits");
  int rc = zl_comm_agree(j->comm,
                         (n_val && shape_of && trees && role_of && sse && m) ? 0 : ZL_ERR_RUNTIME);
  int my = 0; /* this rank's fits, first in the arrays */
  if (!rc) memset(j->curves, 0, sizeof(double) * (size_t)n * MAX_TREES * 2);
  for (int t = 0; !rc && t < K; t++) {
    const int a = t, c = cv ? (t + 1) % K : -1;
    for (int64_t i = 0; i < j->a.n; i++) {
      const int f = j->a.fold[i];
      j->roles[t][i] = f < 0 ? -1 : f == a ? 1 : f == c ? 2 : 0;
    }
    for (int s = 0; s < N_SHAPES; s++) {
      const int i = t * N_SHAPES + s;
      if (!mine(j, i)) continue;
      n_val[my] = nv;
      shape_of[my] = s;
      trees[my] = MAX_TREES;
      role_of[my] = j->roles[t];
      sse[my++] = j->curves + (size_t)i * MAX_TREES * 2;
    }
  }
  if (!rc) rc = fit_batches(j, my, role_of, n_val, shape_of, trees, m, sse);
  for (int i = 0; !rc && i < my; i++) {
    double *cur = sse[i];
    const int grown = m[i].n_trees;
    if (grown == 0) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "gbm: an inner fit grew no tree");
      break;
    }
    /* The fit wrote nv errors per tree; spread them to 2 per tree, then carry forward. */
    for (int k = MAX_TREES - 1; k >= 0; k--)
      for (int v = 1; v >= 0; v--)
        cur[2 * k + v] = k < grown && v < nv ? cur[(size_t)k * nv + v] : 0.0;
    for (int k = grown; k < MAX_TREES; k++)
      for (int v = 0; v < 2; v++)
        cur[2 * k + v] = cur[2 * (grown - 1) + v];
  }
  /* Each rank filled only its own fits' curves (zeros elsewhere): x + 0 = x in any order. */
  if (j->rep) rc = zl_comm_agree(j->comm, rc);
  if (!rc && j->rep)
    rc = zl_comm_allreduce(j->comm, j->curves, (size_t)n * MAX_TREES * 2, MPI_DOUBLE, MPI_SUM);
  for (int i = 0; m && i < my; i++)
    zl_gbm_model_free(&m[i]);
  free(n_val);
  free(shape_of);
  free(trees);
  free(role_of);
  free(sse);
  free(m);
  return rc;
}

/* The shape and tree count with the least inner-CV error for outer slot s (-1: transfer), summed
 * over its tasks in task order; the first shape and the fewest trees on a tie. */
static void choose(const double *curves, int K, int cv, int s, int *shape, int *trees) {
  double best = INFINITY;
  *shape = 0;
  *trees = MAX_TREES;
  for (int c = 0; c < N_SHAPES; c++)
    for (int k = 0; k < MAX_TREES; k++) {
      double e = 0.0;
      for (int t = 0; t < K; t++) {
        const double *cur = curves + ((size_t)t * N_SHAPES + c) * MAX_TREES * 2 + 2 * k;
        if (!cv)
          e += cur[0];
        else if (t == s)
          e += cur[1]; /* validated on fold s + 1 */
        else if ((t + 1) % K == s)
          e += cur[0]; /* validated on fold s − 1 */
      }
      if (e < best) {
        best = e;
        *shape = c;
        *trees = k + 1;
      }
    }
}

/* Each slot's shape and trees (cv: the K outer folds; transfer: slot 0) by inner CV: a small
 * zoo's on every row; a large zoo's on its subsample S (a slot's on the tasks that leave its fold
 * out, as on every row), whose trees outer_fits replaces by early stopping on every row: inner CV
 * on every row cost two fits per slot and shape, and S's trees are too few for 8 times the rows. */
static int tune(gbm_job *j, const zl_estimate_opts *o, const zl_rows *rows, int cv, int *shape,
                int *trees) {
  gbm_job sj;
  int rc = j->rep ? 0 : job_subsample(j, o, rows, j->used, &sj);
  gbm_job *t = j->rep ? j : &sj;
  if (!rc) rc = inner_curves(t, cv);
  for (int s = 0; !rc && s < (cv ? j->K : 1); s++)
    choose(t->curves, j->K, cv, cv ? s : -1, &shape[s], &trees[s]);
  if (!j->rep) job_free(&sj);
  return rc;
}

static void record(zl_choice *ch, int shape, int trees) {
  *ch = (zl_choice){.lambda = LAMBDA,
                    .trees = trees,
                    .depth = shapes[shape].depth,
                    .min_rows = shapes[shape].min_rows};
}

/* The outer fits of the slots in list (n of them, all this rank runs; m[k] for list[k]): slot s
 * fits the used rows outside fold s (-1: all) with its shape and, for a small zoo, its trees
 * (shape and trees are indexed by slot, 0 for -1). A large zoo's fits grow up to MAX_TREES trees
 * and stop early on the runs of a seeded VAL_FRACTION of them, which they leave out, as
 * HistGradientBoosting does; trees receives the count with the least error there. */
static int outer_fits(gbm_job *j, const zl_estimate_opts *o, const zl_rows *rows, int n,
                      const int *list, const int *shape, int *trees, zl_gbm_model *m) {
  /* A large zoo's rows are this rank's, in rows' order (a small zoo's are every rank's). */
  const int early = !j->rep;
  const uint64_t seed = o->seed ^ 0x47424d56414c4944ULL,
                 below = (uint64_t)(VAL_FRACTION * 18446744073709551616.0);
  int n_val[ZL_MAX_FOLDS], sh[ZL_MAX_FOLDS], tr[ZL_MAX_FOLDS];
  double *sse[ZL_MAX_FOLDS] = {NULL};
  int64_t cnt[ZL_MAX_FOLDS] = {0}; /* validation rows */
  for (int k = 0; k < n; k++) {
    const int s = list[k] < 0 ? 0 : list[k];
    sh[k] = shape[s];
    tr[k] = early ? MAX_TREES : trees[s];
    for (int64_t r = 0; r < j->a.n; r++) {
      const int f = j->a.fold[r];
      j->roles[k][r] = f < 0 || f == list[k] ? -1
                       : early               ? zl_hash64(seed, (uint64_t)rows->run[r]) < below
                                             : 0;
      cnt[k] += j->roles[k][r] == 1;
    }
  }
  int rc = early ? zl_comm_allreduce(j->comm, cnt, (size_t)n, MPI_INT64_T, MPI_SUM) : 0, bad = 0;
  for (int k = 0; !rc && k < n; k++) {
    /* A zoo of few runs may have none there: that fit grows every tree on every row. */
    n_val[k] = cnt[k] > 0;
    if (!n_val[k])
      for (int64_t r = 0; r < j->a.n; r++)
        j->roles[k][r] = j->roles[k][r] == 1 ? 0 : j->roles[k][r];
    else if (!(sse[k] = zl_malloc(MAX_TREES, sizeof(double), "validation errors")))
      bad = 1;
  }
  if (!rc) rc = j->r.agree(j->r.ctx, bad ? ZL_ERR_RUNTIME : 0);
  if (!rc) rc = fit_batches(j, n, j->roles, n_val, sh, tr, m, sse);
  for (int k = 0; !rc && k < n; k++) {
    if (!sse[k]) continue;
    int best = 0;
    for (int t = 1; t < m[k].n_trees; t++)
      if (sse[k][t] < sse[k][best]) best = t;
    trees[list[k] < 0 ? 0 : list[k]] = best + 1;
  }
  for (int k = 0; k < n; k++)
    free(sse[k]);
  return rc;
}

int zl_gbm_cv(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *rows, const double *X, int F,
              double *yhat, zl_choice *choice) {
  const int K = o->folds;
  if (K < 3) return ZL_ERR(ZL_ERR_USAGE, "gbm needs at least 3 folds (it has %d)", K);
  gbm_job j;
  int list[ZL_MAX_FOLDS], shape[ZL_MAX_FOLDS], trees[ZL_MAX_FOLDS], n = 0;
  int rc = job_init(comm, o, rows, X, F, &j);
  if (!rc) rc = tune(&j, o, rows, 1, shape, trees);
  zl_gbm_model m[ZL_MAX_FOLDS];
  memset(m, 0, sizeof m);
  for (int s = 0; !rc && s < K; s++)
    if (mine(&j, s)) list[n++] = s;
  if (!rc) rc = outer_fits(&j, o, rows, n, list, shape, trees, m);
  if (j.rep) rc = zl_comm_agree(comm, rc);
  for (int s = 0; !rc && s < K; s++)
    record(&choice[s], shape[s], trees[s]);
  /* Each fold's rows predicted by its model: replicated, on the rank that fitted it, then summed
   * over zeros into every row and read back at this rank's rows. */
  double *out = rc ? NULL : zl_calloc((size_t)j.a.n + 1, sizeof(double), "predictions");
  if (!rc) rc = zl_comm_agree(comm, out ? 0 : ZL_ERR_RUNTIME);
  for (int k = 0; !rc && k < n; k++)
    for (int64_t i = 0; i < j.a.n; i++)
      if (j.a.fold[i] == list[k])
        zl_gbm_predict(&m[k], trees[list[k]], j.a.B + i * F, F, 1, &out[i]);
  if (!rc && j.rep) rc = zl_comm_allreduce(comm, out, (size_t)j.a.n, MPI_DOUBLE, MPI_SUM);
  for (int64_t i = 0, k = j.offset; i < rows->n; i++)
    yhat[i] = !rc && rows->fold[i] >= 0 ? out[j.rep ? k++ : i] : 0.0;
  for (int k = 0; k < n; k++)
    zl_gbm_model_free(&m[k]);
  free(out);
  job_free(&j);
  return rc;
}

int zl_gbm_transfer(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *ra, const double *XA,
                    const zl_rows *rb, const double *XB, int F, double *yhat_b, zl_choice *choice) {
  gbm_job j;
  int rc = job_init(comm, o, ra, XA, F, &j);
  uint8_t *BB = rc ? NULL : zl_malloc((size_t)rb->n + 1, (size_t)F, "binned features");
  if (!rc) rc = zl_comm_agree(comm, BB ? 0 : ZL_ERR_RUNTIME);
  /* One fit on all of A, made by every rank (replicated, each alone, to the same bits), so each
   * predicts its own rows of B. */
  int all = -1, shape = 0, trees = 0;
  zl_gbm_model m = {0};
  if (!rc) rc = tune(&j, o, ra, 0, &shape, &trees);
  if (!rc) rc = outer_fits(&j, o, ra, 1, &all, &shape, &trees, &m);
  if (!rc) record(choice, shape, trees);
  if (!rc) zl_gbm_bin(j.thr, j.n_bins, F, XB, rb->n, BB);
  for (int64_t i = 0; i < rb->n; i++) {
    yhat_b[i] = 0.0;
    if (!rc && rb->fold[i] >= 0) zl_gbm_predict(&m, trees, BB + i * F, F, 1, &yhat_b[i]);
  }
  zl_gbm_model_free(&m);
  free(BB);
  job_free(&j);
  return rc;
}
