#include "zl_estimate.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_dnncv.h"
#include "zl_gbmcv.h"
#include "zl_knots.h"
#include "zl_krr.h"
#include "zl_qmap.h"
#include "zl_rff.h"
#include "zl_ridgesys.h"
#include "zl_rng.h"
#include "zl_solve.h"
#include "zl_tiles.h"
#include "zl_xsum.h"

/* λ grid for standardised features and a per-row loss: 1e-6 … 1e3 in half decades, ascending. */
#define N_LAMBDA 19
/* rff bandwidths h = m·sqrt(F): for standardised inputs |s(x) − s(x')|² is about 2F, so m near 1
 * is the median heuristic; two steps either side let inner CV pick smoother or sharper (with only
 * one, a Fashion-MNIST zoo lost 0.015 R²). */
static const double bandwidth_mult[] = {0.25, 0.5, 1.0, 2.0, 4.0};
#define N_BW 5
/* Quantile knots of rff's input map: percentiles (21 or 1001 moved R² by < 0.01 on two zoos). */
#define N_KNOTS 101
/* Rows of the subsample on which rff chooses its bandwidth (exact kernel ridge, an eigensolve per
 * inner training set and bandwidth): zoos with at most this many networks are fitted exactly. */
#define M_SEL 512
/* Rows of a tile mapped at once: bounds the memory of the random features (SUB × D). */
#define SUB 4096

static const char *const names[ZL_N_ESTIMATORS] = {"ridge", "rff", "gbm", "dnn"};

const char *zl_estimator_name(zl_estimator e) {
  return names[e];
}

int zl_estimator_parse(const char *name, zl_estimator *e) {
  for (int i = 0; i < ZL_N_ESTIMATORS; i++)
    if (!strcmp(name, names[i])) {
      *e = (zl_estimator)i;
      return 0;
    }
  return ZL_ERR_USAGE;
}

static double lambda_at(int l) {
  return pow(10.0, -6.0 + 0.5 * l);
}

static void lambda_grid(double *lam) {
  for (int l = 0; l < N_LAMBDA; l++)
    lam[l] = lambda_at(l);
}

/* The inner training sets: task t leaves out folds a[t] and b[t] (b = -1: only a). Cross-validation
 * uses every pair, so one fit serves outer folds a and b; a transfer fit on all folds leaves one
 * out at a time. */
typedef struct {
  int n, K, cv;
  int *a, *b;
} plan;

static int plan_make(int K, int cv, plan *p) {
  p->K = K;
  p->cv = cv;
  p->n = cv ? K * (K - 1) / 2 : K;
  p->a = zl_malloc((size_t)p->n, sizeof(int), "training sets");
  p->b = zl_malloc((size_t)p->n, sizeof(int), "training sets");
  if (!p->a || !p->b) return ZL_ERR_RUNTIME;
  int t = 0;
  for (int a = 0; a < K; a++) {
    if (!cv) {
      p->a[t] = a;
      p->b[t++] = -1;
    }
    for (int b = a + 1; cv && b < K; b++) {
      p->a[t] = a;
      p->b[t++] = b;
    }
  }
  return 0;
}

static void plan_free(plan *p) {
  free(p->a);
  free(p->b);
}

static void plan_mask(const plan *p, int t, int *mask) {
  for (int k = 0; k < p->K; k++)
    mask[k] = k != p->a[t] && k != p->b[t];
}

/* Entry of the inner-CV error table: candidate c, task t, side 0 (error on fold a) or 1 (on b). */
static size_t tab_at(const plan *p, int c, int t, int side, int l) {
  return (((size_t)c * p->n + t) * 2 + side) * N_LAMBDA + l;
}

/* The inner-CV error of outer slot s (a fold; -1: the transfer fit on all folds) for candidate c
 * at λ l, summed over its tasks in task order. */
static double slot_error(const plan *p, const double *tab, int c, int s, int l) {
  double e = 0.0;
  for (int t = 0; t < p->n; t++)
    if (!p->cv)
      e += tab[tab_at(p, c, t, 0, l)];
    else if (p->a[t] == s)
      e += tab[tab_at(p, c, t, 1, l)];
    else if (p->b[t] == s)
      e += tab[tab_at(p, c, t, 0, l)];
  return e;
}

/* The candidate among cands[0..nc) and λ with the least error for slot s: the larger λ on a tie,
 * then the first candidate; a NaN or infinite error never wins. */
static void slot_choose(const plan *p, const double *tab, const int *cands, int nc, int s,
                        int *cand, int *lam) {
  double best = INFINITY;
  *cand = cands[0];
  *lam = N_LAMBDA - 1;
  for (int i = 0; i < nc; i++) {
    double cbest = INFINITY;
    int cl = -1;
    for (int l = 0; l < N_LAMBDA; l++) {
      double e = slot_error(p, tab, cands[i], s, l);
      if (e <= cbest) {
        cbest = e;
        cl = l;
      }
    }
    if (cl >= 0 && cbest < best) {
      best = cbest;
      *cand = cands[i];
      *lam = cl;
    }
  }
}

/* Everything about one training zoo. */
typedef struct {
  MPI_Comm comm;
  int rank, size, K, F, n_cand;
  zl_estimator e;
  const zl_estimate_opts *o;
  zl_tiles t;
  zl_qmap qmap;    /* rff: the inputs' quantile map */
  double *mu, *sd; /* rff: mean and std of the mapped inputs */
  int64_t ns;      /* the subsample S, replicated: */
  double *s_in;    /* ns × F inputs of the feature map (rff: quantile-mapped) */
  double *s_y;
  int *s_fold;
  int all_in_s;     /* S holds every used row */
  zl_rff map[N_BW]; /* rff: one map per bandwidth, made on first use */
  zl_solver solver;
  double *scratch; /* SUB × F */
} est;

static void est_free(est *E) {
  zl_tiles_free(&E->t);
  zl_qmap_destroy(&E->qmap);
  free(E->mu);
  free(E->sd);
  free(E->s_in);
  free(E->s_y);
  free(E->s_fold);
  for (int c = 0; c < N_BW; c++)
    zl_rff_destroy(&E->map[c]);
  zl_solver_destroy(&E->solver);
  free(E->scratch);
}

/* rff's quantile map applied to every row of t, once: the features' later passes read mapped rows.
 */
static void qmap_tiles(est *E, zl_tiles *t) {
  for (int64_t i0 = 0; i0 < t->n; i0 += SUB) {
    int64_t n = t->n - i0 < SUB ? t->n - i0 : SUB;
    zl_qmap_apply(E->qmap, t->X + i0 * E->F, n, E->scratch);
    memcpy(t->X + i0 * E->F, E->scratch, sizeof(double) * (size_t)(n * E->F));
  }
}

static int features_D(const est *E) {
  return E->e == ZL_EST_RFF ? E->o->rff_features : E->F;
}

/* Candidate c's features Z (n × D) of n map inputs. */
static int phi(est *E, int c, const double *in, int64_t n, double *Z) {
  if (E->e != ZL_EST_RFF) {
    memcpy(Z, in, sizeof(double) * (size_t)n * (size_t)E->F);
    return 0;
  }
  if (!E->map[c])
    ZL_CALL(zl_rff_create(E->F, E->o->rff_features, bandwidth_mult[c] * sqrt((double)E->F), E->mu,
                          E->sd, E->o->seed, (uint64_t)c + 1, &E->map[c]));
  return zl_rff_apply(E->map[c], in, n, Z);
}

/* Mean and population std of the quantile-mapped inputs over the used rows, summed exactly. */
static int mapped_moments(est *E) {
  const int F = E->F;
  zl_xint *acc = zl_calloc((size_t)F, sizeof(zl_xint), "exact sums");
  int *ex = zl_malloc((size_t)F, sizeof(int), "exponents");
  double *part = zl_malloc((size_t)F, sizeof(double), "tile sums");
  int rc = zl_comm_agree(E->comm, (acc && ex && part) ? 0 : ZL_ERR_RUNTIME);
  /* Mapped values lie in [0, 1], and so do their deviations from the mean. */
  for (int j = 0; !rc && j < F; j++)
    ex[j] = zl_xsum_exponent(zl_xsum_bits((double)E->t.used_total));
  for (int pass = 0; !rc && pass < 2; pass++) {
    memset(acc, 0, sizeof(zl_xint) * (size_t)F);
    for (int64_t j = 0; j < zl_tiles_count(&E->t); j++) {
      int64_t i0, n;
      zl_tiles_range(&E->t, j, &i0, &n);
      memset(part, 0, sizeof(double) * (size_t)F);
      for (int64_t i = 0; i < n; i++) {
        if (E->t.fold[i0 + i] < 0) continue;
        for (int f = 0; f < F; f++) {
          double d = E->t.X[(i0 + i) * F + f] - (pass ? E->mu[f] : 0.0);
          part[f] += pass ? d * d : d;
        }
      }
      zl_xsum_add(acc, part, ex, (size_t)F);
    }
    rc = zl_xsum_allreduce(E->comm, acc, (size_t)F);
    if (rc) break;
    zl_xsum_value(acc, ex, (size_t)F, part);
    double n = (double)E->t.used_total;
    for (int f = 0; f < F; f++)
      if (pass)
        E->sd[f] = sqrt(part[f] / n);
      else
        E->mu[f] = part[f] / n;
  }
  free(acc);
  free(ex);
  free(part);
  return rc;
}

/* S: every used row when there are at most M_SEL, else the used rows whose seeded hash of their
 * position in the selection falls below M_SEL / used (about M_SEL rows), gathered in selection
 * order on every rank. */
static int subsample(est *E) {
  const int F = E->F;
  const zl_tiles *t = &E->t;
  E->all_in_s = t->used_total <= M_SEL;
  uint64_t thr = E->all_in_s
                     ? UINT64_MAX
                     : (uint64_t)((double)M_SEL / (double)t->used_total * 18446744073709551616.0);
  int64_t mine = 0;
  for (int64_t i = 0; i < t->n; i++)
    mine += t->fold[i] >= 0 &&
            zl_hash64(E->o->seed ^ 0x53554253414d504cULL, (uint64_t)(t->first + i)) <= thr;
  int m = (int)mine;
  int *counts = zl_malloc((size_t)E->size, sizeof(int), "subsample counts");
  int *displs = zl_malloc((size_t)E->size, sizeof(int), "subsample counts");
  double *in = zl_malloc_large((size_t)(mine + 1), sizeof(double) * (size_t)F, "subsample");
  double *y = zl_malloc((size_t)(mine + 1), sizeof(double), "subsample");
  int *fold = zl_malloc((size_t)(mine + 1), sizeof(int), "subsample");
  int rc = zl_comm_agree(E->comm, (counts && displs && in && y && fold) ? 0 : ZL_ERR_RUNTIME);
  for (int64_t j = 0, r = 0; !rc && j < zl_tiles_count(t); j++) {
    int64_t i0, n;
    zl_tiles_range(t, j, &i0, &n);
    const double *mapped = t->X + i0 * F;
    for (int64_t i = i0; i < i0 + n; i++)
      if (t->fold[i] >= 0 &&
          zl_hash64(E->o->seed ^ 0x53554253414d504cULL, (uint64_t)(t->first + i)) <= thr) {
        memcpy(in + r * F, mapped + (i - i0) * F, sizeof(double) * (size_t)F);
        y[r] = t->y[i];
        fold[r++] = t->fold[i];
      }
  }
  int64_t ns = 0;
  if (!rc) rc = zl_comm_row_layout(E->comm, m, counts, displs, &ns);
  /* Every rank has the same count, so this error needs no agreement. */
  if (!rc && ns == 0) rc = ZL_ERR(ZL_ERR_RUNTIME, "no network fell in the estimators' subsample");
  if (!rc) {
    E->ns = ns;
    E->s_in = zl_malloc_large((size_t)ns + 1, sizeof(double) * (size_t)F, "subsample");
    E->s_y = zl_malloc((size_t)ns + 1, sizeof(double), "subsample");
    E->s_fold = zl_malloc((size_t)ns + 1, sizeof(int), "subsample");
    rc = zl_comm_agree(E->comm, (E->s_in && E->s_y && E->s_fold) ? 0 : ZL_ERR_RUNTIME);
  }
  if (!rc) rc = zl_comm_allgather_rows(E->comm, in, m, F, MPI_DOUBLE, E->s_in, counts, displs);
  if (!rc) rc = zl_comm_allgather_rows(E->comm, y, m, 1, MPI_DOUBLE, E->s_y, counts, displs);
  if (!rc) rc = zl_comm_allgather_rows(E->comm, fold, m, 1, MPI_INT, E->s_fold, counts, displs);
  free(counts);
  free(displs);
  free(in);
  free(y);
  free(fold);
  return rc;
}

static int est_init(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o, const zl_rows *rows,
                    const double *X, int F, est *E) {
  memset(E, 0, sizeof *E);
  E->comm = comm;
  E->rank = zl_comm_rank(comm);
  E->size = zl_comm_size(comm);
  E->K = o->folds;
  E->F = F;
  E->e = e;
  E->o = o;
  E->n_cand = e == ZL_EST_RFF ? N_BW : 1;
  int rc = 0;
  if (e == ZL_EST_RFF) {
    /* rff's quantile map comes before the tiled copy: the sorted values it is taken from are as
     * large as that copy, and the two at once set the peak memory (10⁶ networks on 2 ranks: the
     * 224 MB of each for W-stats). Exact quantiles over the ranks, whatever the rows' layout. */
    double *knots = zl_malloc((size_t)F * N_KNOTS, sizeof(double), "quantile knots");
    E->mu = zl_malloc((size_t)F, sizeof(double), "feature means");
    E->sd = zl_malloc((size_t)F, sizeof(double), "feature spreads");
    rc = zl_comm_agree(comm, (knots && E->mu && E->sd) ? 0 : ZL_ERR_RUNTIME);
    if (!rc) rc = zl_knots(comm, rows->n, F, X, rows->fold, N_KNOTS, knots);
    if (!rc) rc = zl_comm_agree(comm, zl_qmap_create(F, N_KNOTS, knots, &E->qmap));
    free(knots);
  }
  if (!rc) rc = zl_tiles_create(comm, rows, X, F, &E->t);
  if (rc) return rc;
  int64_t *cnt = zl_calloc((size_t)E->K, sizeof(int64_t), "fold sizes");
  E->scratch = zl_malloc(SUB, sizeof(double) * (size_t)F, "tile scratch");
  rc = (cnt && E->scratch) ? 0 : ZL_ERR_RUNTIME;
  for (int64_t i = 0; !rc && i < E->t.n; i++)
    if (E->t.fold[i] >= E->K)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "row %lld: fold %d out of range", (long long)(E->t.first + i),
                  E->t.fold[i]);
    else if (E->t.fold[i] >= 0)
      cnt[E->t.fold[i]]++;
  rc = zl_comm_agree(comm, rc);
  if (!rc) {
    int g = MPI_Allreduce(MPI_IN_PLACE, cnt, E->K, MPI_INT64_T, MPI_SUM, comm);
    if (g != MPI_SUCCESS) rc = zl_mpi_error(g, "MPI_Allreduce(fold sizes)", __FILE__, __LINE__);
  }
  for (int k = 0; !rc && k < E->K; k++)
    if (cnt[k] == 0) rc = ZL_ERR(ZL_ERR_RUNTIME, "fold %d has no network with finite weights", k);
  free(cnt);
  if (!rc && e == ZL_EST_RFF) {
    qmap_tiles(E, &E->t);
    rc = mapped_moments(E);
  }
  if (!rc) rc = subsample(E);
  /* Systems of the features' order, or (rff) of S's kernel. */
  int64_t n_max = features_D(E);
  if (e == ZL_EST_RFF && E->ns > n_max) n_max = E->ns;
  if (!rc) rc = zl_comm_agree(comm, zl_solver_create((int)n_max, &E->solver));
  return rc;
}

/* ---- the primal path: per-fold Grams of a feature map over every row ---- */

typedef struct {
  int D, K;
  double *G; /* K × (D + 2)², column-major, both triangles */
  double *c; /* D: the shift, the features' mean over S */
  double cy;
} foldgram;

static void foldgram_free(foldgram *g) {
  free(g->G);
  free(g->c);
  memset(g, 0, sizeof *g);
}

/* Candidate c's shift from S, and bounds on |φ − c| (D) and |y − c_y| over every used row. */
static int shift_and_bounds(est *E, int c, foldgram *g, double *bound, double *ybound) {
  const int F = E->F, D = g->D;
  double *Z = zl_malloc_large((size_t)E->ns + 1, sizeof(double) * (size_t)D, "subsample features");
  int rc = zl_comm_agree(E->comm, Z ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_comm_agree(E->comm, phi(E, c, E->s_in, E->ns, Z));
  if (rc) {
    free(Z);
    return rc;
  }
  memset(g->c, 0, sizeof(double) * (size_t)D);
  g->cy = 0.0;
  for (int64_t i = 0; i < E->ns; i++) {
    for (int j = 0; j < D; j++)
      g->c[j] += Z[i * D + j];
    g->cy += E->s_y[i];
  }
  for (int j = 0; j < D; j++)
    g->c[j] /= (double)E->ns;
  g->cy /= (double)E->ns;
  free(Z);
  double yb = 0.0;
  for (int64_t i = 0; i < E->t.n; i++)
    if (E->t.fold[i] >= 0 && fabs(E->t.y[i] - g->cy) > yb) yb = fabs(E->t.y[i] - g->cy);
  if (E->e == ZL_EST_RFF) {
    /* |cos| <= 1, so |φ − c| <= 2 sqrt(2/D). */
    for (int j = 0; j < D; j++)
      bound[j] = 2.0 * sqrt(2.0 / D);
  } else {
    memset(bound, 0, sizeof(double) * (size_t)D);
    for (int64_t i = 0; !rc && i < E->t.n; i++) {
      if (E->t.fold[i] < 0) continue;
      for (int j = 0; j < F; j++) {
        double v = fabs(E->t.X[i * F + j] - g->c[j]);
        if (!isfinite(v)) {
          rc = ZL_ERR(ZL_ERR_RUNTIME, "feature %d of network %lld is not finite", j,
                      (long long)(E->t.first + i));
          break;
        }
        if (v > bound[j]) bound[j] = v;
      }
    }
    rc = zl_comm_agree(E->comm, rc);
    if (!rc) ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, bound, D, MPI_DOUBLE, MPI_MAX, E->comm));
  }
  if (!rc) ZL_MPI(MPI_Allreduce(&yb, ybound, 1, MPI_DOUBLE, MPI_MAX, E->comm));
  return rc;
}

/* The per-fold augmented Grams of candidate c over every used row: each tile's rows sorted by fold
 * (one DSYRK a fold), each tile's Grams added exactly, summed exactly over the ranks. */
static int foldgram_build(est *E, int c, foldgram *g) {
  const int F = E->F, K = E->K, D = features_D(E), D2 = D + 2;
  const size_t np = (size_t)D2 * (size_t)(D2 + 1) / 2;
  memset(g, 0, sizeof *g);
  g->D = D;
  g->K = K;
  g->c = zl_malloc((size_t)D, sizeof(double), "feature shift");
  g->G = zl_malloc_large((size_t)K * D2, sizeof(double) * (size_t)D2, "per-fold Grams");
  double *bound = zl_malloc((size_t)D2, sizeof(double), "feature bounds");
  int *ex = zl_malloc(np, sizeof(int), "exponents");
  int *bits = zl_malloc((size_t)D2, sizeof(int), "exponents");
  zl_xint *acc = zl_calloc_large((size_t)K * np, sizeof(zl_xint), "exact Grams");
  double *rows = zl_malloc_large(SUB, sizeof(double) * (size_t)F, "tile rows");
  double *Z = zl_malloc_large(SUB, sizeof(double) * (size_t)D, "tile features");
  double *A = zl_malloc_large(SUB, sizeof(double) * (size_t)D2, "tile rows");
  double *P = zl_malloc_large((size_t)K * D2, sizeof(double) * (size_t)D2, "tile Grams");
  double *yy = zl_malloc(SUB, sizeof(double), "tile targets");
  int rc = zl_comm_agree(E->comm,
                         (g->c && g->G && bound && ex && bits && acc && rows && Z && A && P && yy)
                             ? 0
                             : ZL_ERR_RUNTIME);
  double yb = 0;
  if (!rc) rc = shift_and_bounds(E, c, g, bound, &yb);
  if (!rc) {
    int L = zl_xsum_bits((double)E->t.used_total);
    for (int j = 0; j < D; j++)
      bits[j] = zl_xsum_bits(bound[j]);
    bits[D] = 0;
    bits[D + 1] = zl_xsum_bits(yb);
    for (int j = 0; j < D2; j++)
      for (int i = 0; i <= j; i++)
        ex[(size_t)j * (j + 1) / 2 + i] = zl_xsum_exponent(L + bits[i] + bits[j]);
  }
  /* A tile's Grams accumulate in doubles over its blocks, always the same blocks in the same order,
   * then go into the exact sums: one conversion per tile and fold. */
  int begun[ZL_MAX_FOLDS];
  for (int64_t j = 0; !rc && j < zl_tiles_count(&E->t); j++) {
    int64_t t0, tn;
    zl_tiles_range(&E->t, j, &t0, &tn);
    memset(begun, 0, sizeof begun);
    for (int64_t i0 = t0; !rc && i0 < t0 + tn; i0 += SUB) {
      int64_t n = t0 + tn - i0 < SUB ? t0 + tn - i0 : SUB, at[ZL_MAX_FOLDS + 1];
      const int *fold = E->t.fold + i0;
      memset(at, 0, sizeof at);
      for (int64_t i = 0; i < n; i++)
        if (fold[i] >= 0) at[fold[i] + 1]++;
      for (int k = 0; k < K; k++)
        at[k + 1] += at[k];
      int64_t used = at[K], pos[ZL_MAX_FOLDS];
      memcpy(pos, at, sizeof(int64_t) * (size_t)K);
      for (int64_t i = 0; i < n; i++)
        if (fold[i] >= 0) {
          int64_t r = pos[fold[i]]++;
          memcpy(rows + r * F, E->t.X + (i0 + i) * F, sizeof(double) * (size_t)F);
          yy[r] = E->t.y[i0 + i];
        }
      for (int64_t r = 0; r < used; r++) {
        A[r * D2 + D] = 1.0;
        A[r * D2 + D + 1] = yy[r] - g->cy;
      }
      rc = phi(E, c, rows, used, Z);
      for (int64_t r = 0; !rc && r < used; r++)
        for (int q = 0; q < D; q++)
          A[r * D2 + q] = Z[r * D + q] - g->c[q];
      for (int k = 0; !rc && k < K; k++) {
        int nk = (int)(at[k + 1] - at[k]);
        if (nk == 0) continue;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, D2, nk, 1.0, A + at[k] * D2, D2,
                    begun[k] ? 1.0 : 0.0, P + (size_t)k * D2 * D2, D2);
        begun[k] = 1;
      }
    }
    for (int k = 0; !rc && k < K; k++)
      if (begun[k]) zl_xsum_add_upper(acc + (size_t)k * np, P + (size_t)k * D2 * D2, D2, D2, ex);
  }
  rc = zl_comm_agree(E->comm, rc);
  if (!rc) rc = zl_xsum_allreduce(E->comm, acc, (size_t)K * np);
  for (int k = 0; !rc && k < K; k++) {
    double *Gk = g->G + (size_t)k * D2 * D2;
    for (int j = 0; j < D2; j++) {
      size_t base = (size_t)j * (j + 1) / 2;
      zl_xsum_value(acc + (size_t)k * np + base, ex + base, (size_t)j + 1, Gk + (size_t)j * D2);
      for (int i = 0; i < j; i++)
        Gk[j + (size_t)i * D2] = Gk[i + (size_t)j * D2];
    }
  }
  free(bound);
  free(ex);
  free(bits);
  free(acc);
  free(rows);
  free(Z);
  free(A);
  free(P);
  free(yy);
  if (rc) foldgram_free(g);
  return rc;
}

/* Rows of a fold's Gram: its count entry. */
static const double *fold_G(const foldgram *g, int k) {
  return g->G + (size_t)k * (g->D + 2) * (g->D + 2);
}

/* Fills candidate c's part of the inner-CV table from its fold Grams: the ranks share the tasks,
 * each solving whole systems (one eigendecomposition gives every λ). */
static int primal_tables(est *E, const foldgram *g, const plan *p, int c, double *tab) {
  const int D = g->D, K = E->K;
  zl_ridgesys r;
  double lambdas[N_LAMBDA];
  double *w = zl_malloc((size_t)D * N_LAMBDA, sizeof(double), "ridge weights");
  double *coef = zl_malloc((size_t)D + 1, sizeof(double), "coefficients");
  double *gamma = zl_malloc(2 * ((size_t)D + 2), sizeof(double), "residual vector");
  const double **G = zl_malloc((size_t)K, sizeof *G, "fold Grams");
  int *mask = zl_malloc((size_t)K, sizeof(int), "fold mask");
  int rc = (w && coef && gamma && G && mask) ? zl_ridgesys_init(&r, D) : ZL_ERR_RUNTIME;
  for (int k = 0; !rc && k < K; k++)
    G[k] = fold_G(g, k);
  lambda_grid(lambdas);
  for (int t = 0; !rc && t < p->n; t++) {
    if ((c * p->n + t) % E->size != E->rank) continue;
    plan_mask(p, t, mask);
    zl_ridgesys_make(&r, G, mask, K);
    rc = zl_solver_shifted(E->solver, D, r.C, r.b, lambdas, N_LAMBDA, w, NULL);
    if (rc) break;
    for (int l = 0; l < N_LAMBDA; l++) {
      zl_ridgesys_coef(&r, w + (size_t)l * D, g->c, g->cy, coef);
      tab[tab_at(p, c, t, 0, l)] = zl_ridge_sse(G[p->a[t]], D, coef, g->c, g->cy, gamma);
      if (p->b[t] >= 0)
        tab[tab_at(p, c, t, 1, l)] = zl_ridge_sse(G[p->b[t]], D, coef, g->c, g->cy, gamma);
    }
  }
  if (w && coef && gamma && G && mask && r.C) zl_ridgesys_free(&r);
  free(w);
  free(coef);
  free(gamma);
  free(G);
  free(mask);
  return rc;
}

/* The fit on the folds of mask at λ: coef (D + 1). Cholesky, or zl_solver_shifted when rounding
 * leaves the system not positive definite. */
static int primal_fit(est *E, const foldgram *g, const int *mask, double lambda, double *coef) {
  const int D = g->D, K = E->K;
  zl_ridgesys r;
  double *w = zl_malloc((size_t)D, sizeof(double), "ridge weights");
  const double **G = zl_malloc((size_t)K, sizeof *G, "fold Grams");
  int rc = (w && G) ? zl_ridgesys_init(&r, D) : ZL_ERR_RUNTIME;
  for (int k = 0; !rc && k < K; k++)
    G[k] = fold_G(g, k);
  if (!rc) {
    zl_ridgesys_make(&r, G, mask, K);
    int not_pd = 0;
    for (int j = 0; j < D; j++)
      r.C[j + (size_t)j * D] += lambda;
    memcpy(w, r.b, sizeof(double) * (size_t)D);
    rc = zl_solver_posv(E->solver, D, r.C, w, &not_pd);
    if (!rc && not_pd) {
      zl_ridgesys_make(&r, G, mask, K);
      rc = zl_solver_shifted(E->solver, D, r.C, r.b, &lambda, 1, w, NULL);
    }
    if (!rc) zl_ridgesys_coef(&r, w, g->c, g->cy, coef);
    zl_ridgesys_free(&r);
  }
  free(w);
  free(G);
  return rc;
}

/* ---- the exact-kernel path on S ---- */

/* S's inputs standardised (ns × F): the rows the Gaussian kernel compares. */
static double *standardised_s(const est *E) {
  const int F = E->F;
  double *s =
      zl_malloc_large((size_t)E->ns + 1, sizeof(double) * (size_t)F, "standardised subsample");
  for (int64_t i = 0; s && i < E->ns; i++)
    for (int f = 0; f < F; f++)
      s[i * F + f] = E->sd[f] > 0 ? (E->s_in[i * F + f] - E->mu[f]) / E->sd[f] : 0.0;
  return s;
}

/* The rows of S in the folds of mask (want = 1) or in fold v (want = 0, mask ignored). */
static int64_t s_rows(const est *E, const int *mask, int v, int64_t *idx) {
  int64_t m = 0;
  for (int64_t i = 0; i < E->ns; i++)
    if (mask ? mask[E->s_fold[i]] : E->s_fold[i] == v) idx[m++] = i;
  return m;
}

/* Kernel ridge on the S rows tr (nt of them) at the kernel Kss: α (nt) for each of nl λ, from one
 * tridiagonal reduction of the rows' kernel (zl_solver_shifted). */
typedef struct {
  int64_t nt;
  double *V, *r, *alpha, ybar; /* the rows' kernel (destroyed), y − ȳ, α: nt × nl */
} krr_fit;

static int krr_solve(est *E, const double *Kss, const int64_t *tr, int64_t nt, const double *lambda,
                     int nl, krr_fit *f) {
  double shift[N_LAMBDA];
  f->nt = nt;
  f->ybar = 0;
  for (int64_t i = 0; i < nt; i++)
    f->ybar += E->s_y[tr[i]];
  f->ybar /= (double)nt;
  for (int64_t j = 0; j < nt; j++) {
    f->r[j] = E->s_y[tr[j]] - f->ybar;
    for (int64_t i = 0; i < nt; i++)
      f->V[i + j * nt] = Kss[tr[i] + tr[j] * E->ns];
  }
  for (int l = 0; l < nl; l++)
    shift[l] = (double)nt * lambda[l];
  return zl_solver_shifted(E->solver, (int)nt, f->V, f->r, shift, nl, f->alpha, NULL);
}

/* Sums over fold v's S rows of the fit f's squared errors (errs) and of their squares (errs4, for
 * the errors' spread) for every λ (stride 1). */
static void krr_errors(const est *E, const double *Kss, const int64_t *tr, const krr_fit *f, int v,
                       int64_t *idx, double *Kv, double *pred, double *errs, double *errs4) {
  int64_t nv = s_rows(E, NULL, v, idx);
  for (int64_t j = 0; j < f->nt; j++)
    for (int64_t i = 0; i < nv; i++)
      Kv[i + j * nv] = Kss[idx[i] + tr[j] * E->ns];
  for (int l = 0; l < N_LAMBDA; l++) {
    zl_krr_predict(Kv, nv, f->nt, f->alpha + (size_t)l * f->nt, f->ybar, pred);
    double s = 0, s4 = 0;
    for (int64_t i = 0; i < nv; i++) {
      double e2 = (E->s_y[idx[i]] - pred[i]) * (E->s_y[idx[i]] - pred[i]);
      s += e2;
      s4 += e2 * e2;
    }
    errs[l] = s;
    errs4[l] = s4;
  }
}

/* Scratch of the kernel path, sized for S. */
typedef struct {
  double *S, *D2, *Kss, *Kv, *pred; /* D2: S's squared distances, the same for every bandwidth */
  int64_t *tr, *idx;
  int *mask;
  krr_fit f;
} krr_work;

static void krr_work_free(krr_work *w) {
  free(w->S);
  free(w->D2);
  free(w->Kss);
  free(w->Kv);
  free(w->pred);
  free(w->tr);
  free(w->idx);
  free(w->mask);
  free(w->f.V);
  free(w->f.r);
  free(w->f.alpha);
  memset(w, 0, sizeof *w);
}

static int krr_work_init(est *E, krr_work *w) {
  size_t ns = (size_t)E->ns + 1;
  memset(w, 0, sizeof *w);
  w->S = standardised_s(E);
  w->D2 = zl_malloc_large(ns * ns, sizeof(double), "subsample distances");
  w->Kss = zl_malloc_large(ns * ns, sizeof(double), "subsample kernel");
  w->Kv = zl_malloc_large(ns * ns, sizeof(double), "subsample kernel");
  w->f.V = zl_malloc_large(ns * ns, sizeof(double), "subsample kernel");
  w->f.r = zl_malloc(ns, sizeof(double), "kernel residuals");
  w->f.alpha = zl_malloc(ns * N_LAMBDA, sizeof(double), "kernel weights");
  w->pred = zl_malloc(ns, sizeof(double), "kernel predictions");
  w->tr = zl_malloc(ns, sizeof(int64_t), "subsample rows");
  w->idx = zl_malloc(ns, sizeof(int64_t), "subsample rows");
  w->mask = zl_malloc((size_t)E->K, sizeof(int), "fold mask");
  int ok = w->S && w->D2 && w->Kss && w->Kv && w->f.V && w->f.r && w->f.alpha && w->pred && w->tr &&
           w->idx && w->mask;
  if (ok) zl_krr_sqdist(w->S, E->ns, w->S, E->ns, E->F, w->D2);
  return ok ? 0 : ZL_ERR_RUNTIME;
}

/* The inner-CV table of every bandwidth on S, and tab4 beside it (krr_errors). */
static int krr_tables(est *E, krr_work *w, const plan *p, double *tab, double *tab4) {
  int rc = 0;
  double lambdas[N_LAMBDA];
  lambda_grid(lambdas);
  for (int c = 0; !rc && c < N_BW; c++) {
    int mine = 0;
    for (int t = 0; t < p->n; t++)
      mine |= (c * p->n + t) % E->size == E->rank;
    if (!mine) continue;
    zl_krr_gauss(w->D2, (size_t)(E->ns * E->ns), bandwidth_mult[c] * sqrt((double)E->F), w->Kss);
    for (int t = 0; !rc && t < p->n; t++) {
      if ((c * p->n + t) % E->size != E->rank) continue;
      plan_mask(p, t, w->mask);
      int64_t nt = s_rows(E, w->mask, 0, w->tr);
      if (nt == 0) {
        for (int l = 0; l < N_LAMBDA; l++)
          tab[tab_at(p, c, t, 0, l)] = tab[tab_at(p, c, t, 1, l)] = INFINITY;
        continue;
      }
      rc = krr_solve(E, w->Kss, w->tr, nt, lambdas, N_LAMBDA, &w->f);
      for (int side = 0; !rc && side < (p->b[t] >= 0 ? 2 : 1); side++)
        krr_errors(E, w->Kss, w->tr, &w->f, side ? p->b[t] : p->a[t], w->idx, w->Kv, w->pred,
                   tab + tab_at(p, c, t, side, 0), tab4 + tab_at(p, c, t, side, 0));
    }
  }
  return rc;
}

/* α (and ybar) of the exact kernel fit on S's rows in mask at bandwidth c and λ. */
static int krr_fit_alpha(est *E, krr_work *w, const int *mask, int c, double lambda, double *alpha,
                         double *ybar) {
  int64_t nt = s_rows(E, mask, 0, w->tr);
  zl_krr_gauss(w->D2, (size_t)(E->ns * E->ns), bandwidth_mult[c] * sqrt((double)E->F), w->Kss);
  ZL_CALL(krr_solve(E, w->Kss, w->tr, nt, &lambda, 1, &w->f));
  memset(alpha, 0, sizeof(double) * (size_t)E->ns);
  for (int64_t j = 0; j < nt; j++)
    alpha[w->tr[j]] = w->f.alpha[j];
  *ybar = w->f.ybar;
  return 0;
}

/* ---- driving both paths ---- */

/* Sums a table or vector that each rank filled only where it owns the entries (zeros elsewhere):
 * exact, since x + 0 = x in any order. */
static int combine(MPI_Comm comm, double *v, size_t n) {
  return zl_comm_allreduce(comm, v, n, MPI_DOUBLE, MPI_SUM);
}

/* The fitted model of one slot: primal coefficients of candidate cand, or (exact kernel) α over S
 * with its mean. */
typedef struct {
  int cand, lam;
  double *coef;
} slot_fit;

/* Predictions of the primal fits: row i of tiles t (with the training zoo's map) gets slot_of(i)'s
 * model; rows whose slot has another candidate are left alone. */
static int primal_predict(est *E, const zl_tiles *t, int c, const int *cand,
                          const double *coef_of_fold, const double *coef_all, double *yhat) {
  const int F = E->F, D = features_D(E);
  double *Z = zl_malloc_large(SUB, sizeof(double) * (size_t)D, "tile features");
  int rc = zl_comm_agree(E->comm, Z ? 0 : ZL_ERR_RUNTIME);
  /* Blocks of SUB rows bound the memory; they start at tile boundaries (each rank's first row is
   * one), so every row is mapped in the same block on any rank count. */
  for (int64_t i0 = 0; !rc && i0 < t->n; i0 += SUB) {
    int64_t n = t->n - i0 < SUB ? t->n - i0 : SUB;
    rc = phi(E, c, t->X + i0 * F, n, Z);
    for (int64_t i = 0; !rc && i < n; i++) {
      int f = t->fold[i0 + i];
      if (f < 0 || (!coef_all && cand[f] != c)) continue;
      const double *coef = coef_all ? coef_all : coef_of_fold + (size_t)f * (D + 1);
      double p = coef[0];
      for (int q = 0; q < D; q++)
        p += coef[1 + q] * Z[i * D + q];
      yhat[i0 + i] = p;
    }
  }
  free(Z);
  return zl_comm_agree(E->comm, rc);
}

/* The largest bandwidth whose S-error for slot s is within one standard error of the least (the
 * one-standard-error rule: the smoothest fit the data cannot tell from the best). S's few hundred
 * networks seldom separate neighbouring bandwidths, and each bandwidth some slot takes costs a
 * pass over every row; taking the smoothest of those S cannot tell apart, the slots mostly agree
 * (the 120 000-network synthetic zoo: 4 passes instead of 8 over the default feature sets, every
 * R² the same). */
static int smoothest_within_se(const est *E, const plan *p, const double *tab, const double *tab4,
                               int s) {
  /* Slot s's inner CV scores every row of S outside fold s once. */
  int64_t nv = 0;
  for (int64_t i = 0; i < E->ns; i++)
    nv += E->s_fold[i] != s;
  double err[N_BW], best = INFINITY, best4 = 0;
  for (int c = 0; c < N_BW; c++) {
    err[c] = INFINITY;
    for (int l = 0; l < N_LAMBDA; l++) {
      double e = slot_error(p, tab, c, s, l);
      if (e < err[c]) err[c] = e;
      if (e < best) {
        best = e;
        best4 = slot_error(p, tab4, c, s, l);
      }
    }
  }
  /* err sums nv squared errors: their mean's standard error, in the same units. */
  double m = best / (double)nv, var = best4 / (double)nv - m * m;
  double se = nv > 0 ? sqrt((var > 0 ? var : 0) / (double)nv) * (double)nv : 0.0;
  int c = N_BW - 1;
  while (c > 0 && !(err[c] <= best + se))
    c--;
  return c;
}

/* Cross-validated (cv) or transfer (target tiles tb) predictions into yhat (tiled layout of the
 * rows predicted), with the choices per slot. */
static int run(est *E, int cv, const zl_tiles *tb, double *yhat, zl_choice *choice) {
  const int K = E->K, n_slots = cv ? K : 1;
  plan p = {0};
  int rc = zl_comm_agree(E->comm, plan_make(K, cv, &p));
  size_t ntab = (size_t)E->n_cand * p.n * 2 * N_LAMBDA;
  /* The errors, then (rff, on S) the sums of their squares. */
  double *tab = rc ? NULL : zl_calloc(2 * ntab, sizeof(double), "inner-CV errors");
  int *cand = zl_calloc((size_t)n_slots, sizeof(int), "choices");
  int *lam = zl_calloc((size_t)n_slots, sizeof(int), "choices");
  int *mask = zl_malloc((size_t)K, sizeof(int), "fold mask");
  rc = zl_comm_agree(E->comm, (!rc && tab && cand && lam && mask) ? 0 : ZL_ERR_RUNTIME);
  int all[N_BW] = {0, 1, 2, 3, 4};
  krr_work w = {0};
  int kernel_path = E->e == ZL_EST_RFF;
  if (!rc && kernel_path) rc = zl_comm_agree(E->comm, krr_work_init(E, &w));
  if (!rc && kernel_path) {
    /* rff: bandwidth (and, for a zoo that S holds whole, λ) by inner CV on S. */
    rc = zl_comm_agree(E->comm, krr_tables(E, &w, &p, tab, tab + ntab));
    if (!rc) rc = combine(E->comm, tab, 2 * ntab);
    for (int s = 0; !rc && s < n_slots; s++) {
      slot_choose(&p, tab, all, N_BW, cv ? s : -1, &cand[s], &lam[s]);
      if (!E->all_in_s) cand[s] = smoothest_within_se(E, &p, tab, tab + ntab, cv ? s : -1);
    }
  }
  if (!rc && kernel_path && E->all_in_s) {
    /* Exact kernel ridge: predictions of each slot's fit, made by one rank each. */
    size_t nout = cv ? (size_t)E->ns : (size_t)E->ns + 1;
    double *out = zl_calloc(nout, sizeof(double), "kernel predictions");
    double *alpha = zl_calloc((size_t)E->ns + 1, sizeof(double), "kernel weights");
    rc = zl_comm_agree(E->comm, (out && alpha) ? 0 : ZL_ERR_RUNTIME);
    for (int s = 0; !rc && s < n_slots; s++) {
      if (s % E->size != E->rank) continue;
      for (int k = 0; k < K; k++)
        mask[k] = !cv || k != s;
      double ybar = 0;
      rc = krr_fit_alpha(E, &w, mask, cand[s], lambda_at(lam[s]), alpha, &ybar);
      if (!cv) {
        memcpy(out, alpha, sizeof(double) * (size_t)E->ns);
        out[E->ns] = ybar;
        continue;
      }
      for (int64_t i = 0; !rc && i < E->ns; i++) {
        if (E->s_fold[i] != s) continue;
        double v = ybar;
        for (int64_t q = 0; q < E->ns; q++)
          v += w.Kss[i + q * E->ns] * alpha[q];
        out[i] = v;
      }
    }
    rc = zl_comm_agree(E->comm, rc);
    if (!rc) rc = combine(E->comm, out, nout);
    if (!rc && cv) {
      /* S is every used row in selection order: this rank's start among them. */
      for (int64_t i = 0, r = E->t.used_before; i < E->t.n; i++)
        if (E->t.fold[i] >= 0) yhat[i] = out[r++];
    } else if (!rc) {
      const int F = E->F;
      double *kx = zl_malloc((size_t)E->ns + 1, sizeof(double), "kernel row");
      double *sx = zl_malloc((size_t)F, sizeof(double), "standardised row");
      rc = zl_comm_agree(E->comm, (kx && sx) ? 0 : ZL_ERR_RUNTIME);
      for (int64_t j = 0; !rc && j < zl_tiles_count(tb); j++) {
        int64_t i0, n;
        zl_tiles_range(tb, j, &i0, &n);
        for (int64_t i = 0; i < n; i++) {
          if (tb->fold[i0 + i] < 0) continue;
          for (int f = 0; f < F; f++)
            sx[f] = E->sd[f] > 0 ? (tb->X[(i0 + i) * F + f] - E->mu[f]) / E->sd[f] : 0.0;
          zl_krr_sqdist(w.S, E->ns, sx, 1, F, kx);
          zl_krr_gauss(kx, (size_t)E->ns, bandwidth_mult[cand[0]] * sqrt((double)F), kx);
          double v = out[E->ns];
          for (int64_t q = 0; q < E->ns; q++)
            v += kx[q] * out[q];
          yhat[i0 + i] = v;
        }
      }
      free(kx);
      free(sx);
    }
    for (int s = 0; !rc && s < n_slots; s++) {
      choice[s].lambda = lambda_at(lam[s]);
      choice[s].bandwidth = bandwidth_mult[cand[s]];
    }
    free(out);
    free(alpha);
  } else if (!rc) {
    /* The primal path: one pass over every row per candidate some slot chose on S (ridge: the
     * only one). The full per-fold Grams then choose again, among those candidates, and λ: S's
     * few hundred networks pick the bandwidth's neighbourhood, all of them the final choice. */
    foldgram g[N_BW];
    int made[N_BW] = {0}, chosen[N_BW], n_chosen = 0;
    memset(g, 0, sizeof g);
    for (int c = 0; c < E->n_cand; c++) {
      int used = 0;
      for (int s = 0; s < n_slots; s++)
        used |= cand[s] == c;
      if (used) chosen[n_chosen++] = c;
    }
    memset(tab, 0, sizeof(double) * ntab);
    for (int i = 0; !rc && i < n_chosen; i++) {
      rc = foldgram_build(E, chosen[i], &g[chosen[i]]);
      made[chosen[i]] = !rc;
      if (!rc) rc = zl_comm_agree(E->comm, primal_tables(E, &g[chosen[i]], &p, chosen[i], tab));
    }
    if (!rc) rc = combine(E->comm, tab, ntab);
    for (int s = 0; !rc && s < n_slots; s++) {
      slot_choose(&p, tab, chosen, n_chosen, cv ? s : -1, &cand[s], &lam[s]);
      choice[s].lambda = lambda_at(lam[s]);
      choice[s].bandwidth = E->e == ZL_EST_RFF ? bandwidth_mult[cand[s]] : 0.0;
    }
    for (int i = 0; !rc && i < n_chosen; i++) {
      const int c = chosen[i], D = g[c].D;
      double *coefs = zl_calloc((size_t)n_slots * (D + 1), sizeof(double), "coefficients");
      int any = 0;
      rc = zl_comm_agree(E->comm, coefs ? 0 : ZL_ERR_RUNTIME);
      for (int s = 0; !rc && s < n_slots; s++) {
        if (cand[s] != c) continue;
        any = 1;
        if (s % E->size != E->rank) continue;
        for (int k = 0; k < K; k++)
          mask[k] = !cv || k != s;
        rc = primal_fit(E, &g[c], mask, lambda_at(lam[s]), coefs + (size_t)s * (D + 1));
      }
      rc = zl_comm_agree(E->comm, rc);
      if (!rc && any) rc = combine(E->comm, coefs, (size_t)n_slots * (D + 1));
      if (!rc && any)
        rc = primal_predict(E, cv ? &E->t : tb, c, cand, coefs, cv ? NULL : coefs, yhat);
      free(coefs);
    }
    for (int c = 0; c < N_BW; c++)
      if (made[c]) foldgram_free(&g[c]);
  }
  krr_work_free(&w);
  plan_free(&p);
  free(tab);
  free(cand);
  free(lam);
  free(mask);
  return rc;
}

int zl_estimate_cv(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o, const zl_rows *rows,
                   const double *X, int F, double *yhat, zl_choice *choice, int grid[2]) {
  if (o->folds > ZL_MAX_FOLDS) return ZL_ERR(ZL_ERR_USAGE, "at most %d folds", ZL_MAX_FOLDS);
  if (grid) grid[0] = grid[1] = 1;
  if (e == ZL_EST_GBM) return zl_gbm_cv(comm, o, rows, X, F, yhat, choice);
  if (e == ZL_EST_DNN) return zl_dnn_cv(comm, o, rows, X, F, yhat, choice);
  est E;
  int rc = est_init(comm, e, o, rows, X, F, &E);
  double *ty = rc ? NULL : zl_calloc((size_t)E.t.n + 1, sizeof(double), "predictions");
  rc = rc ? rc : zl_comm_agree(comm, ty ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = run(&E, 1, NULL, ty, choice);
  if (!rc) rc = zl_tiles_return(&E.t, ty, yhat);
  free(ty);
  est_free(&E);
  return rc;
}

int zl_estimate_transfer(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o,
                         const zl_rows *ra, const double *XA, const zl_rows *rb, const double *XB,
                         int F, double *yhat_b, zl_choice *choice) {
  if (o->folds > ZL_MAX_FOLDS) return ZL_ERR(ZL_ERR_USAGE, "at most %d folds", ZL_MAX_FOLDS);
  if (e == ZL_EST_GBM) return zl_gbm_transfer(comm, o, ra, XA, rb, XB, F, yhat_b, choice);
  if (e == ZL_EST_DNN) return zl_dnn_transfer(comm, o, ra, XA, rb, XB, F, yhat_b, choice);
  est E;
  zl_tiles tb;
  memset(&tb, 0, sizeof tb);
  int rc = est_init(comm, e, o, ra, XA, F, &E);
  if (!rc) rc = zl_tiles_create(comm, rb, XB, F, &tb);
  if (!rc && E.qmap) qmap_tiles(&E, &tb);
  double *ty = rc ? NULL : zl_calloc((size_t)tb.n + 1, sizeof(double), "predictions");
  rc = rc ? rc : zl_comm_agree(comm, ty ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = run(&E, 0, &tb, ty, choice);
  if (!rc) rc = zl_tiles_return(&tb, ty, yhat_b);
  free(ty);
  zl_tiles_free(&tb);
  est_free(&E);
  return rc;
}
