#include "zl_estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_knots.h"
#include "zl_qmap.h"
#include "zl_rff.h"
#include "zl_ridge.h"

/* λ grid for standardised features and a per-row loss: 1e-6 … 1e3 in half decades, ascending. */
#define N_LAMBDA 19
/* rff bandwidths h = m·sqrt(F): for standardised inputs |s(x) − s(x')|² is about 2F, so m near 1
 * is the median heuristic; two steps either side let inner CV pick smoother or sharper (with only
 * one, a Fashion-MNIST zoo lost 0.015 R²). */
static const double bandwidth_mult[] = {0.25, 0.5, 1.0, 2.0, 4.0};
#define MAX_CAND 5
/* Quantile knots of rff's input map: percentiles (21 or 1001 moved R² by < 0.01 on two zoos). */
#define N_KNOTS 101
/* Rows mapped through random features at once, for the Grams and for predictions: bounds the
 * extra memory. */
#define MAP_BLOCK 4096

static const char *const names[ZL_N_ESTIMATORS] = {"ridge", "rff"};

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

/* Candidate feature maps, each with its per-fold statistics: ridge has one (the identity), rff one
 * per bandwidth. */
typedef struct {
  int n, F;
  zl_qmap qmap;   /* rff: the inputs' quantile map; NULL: none */
  double *mapped; /* rff: MAP_BLOCK × F rows through qmap */
  int D[MAX_CAND];
  double h[MAX_CAND];
  zl_rff map[MAX_CAND]; /* NULL: identity */
  zl_cvridge cv[MAX_CAND];
  double *inner[MAX_CAND]; /* zl_cvridge_inner_sse tables, made on first use */
} model;

static void model_free(model *m) {
  zl_qmap_destroy(&m->qmap);
  free(m->mapped);
  for (int c = 0; c < m->n; c++) {
    zl_rff_destroy(&m->map[c]);
    zl_cvridge_destroy(&m->cv[c]);
    free(m->inner[c]);
  }
  memset(m, 0, sizeof *m);
}

/* Mean and population std of every feature over the used rows, reduced across ranks (two passes,
 * so the variance does not cancel). */
static int column_stats(MPI_Comm comm, const zl_rows *rows, const double *X, int F, double *mu,
                        double *sd) {
  double *acc = zl_calloc((size_t)F + 1, sizeof(double), "feature sums");
  int rc = zl_comm_agree(comm, acc ? 0 : ZL_ERR_RUNTIME);
  for (int pass = 0; !rc && pass < 2; pass++) {
    memset(acc, 0, sizeof(double) * ((size_t)F + 1));
    for (int64_t i = 0; i < rows->n; i++) {
      if (rows->fold[i] < 0) continue;
      for (int j = 0; j < F; j++) {
        double d = X[i * F + j] - (pass ? mu[j] : 0.0);
        acc[j] += pass ? d * d : d;
      }
      acc[F] += 1.0;
    }
    int m = MPI_Allreduce(MPI_IN_PLACE, acc, F + 1, MPI_DOUBLE, MPI_SUM, comm);
    if (m != MPI_SUCCESS)
      rc = zl_mpi_error(m, "MPI_Allreduce(feature statistics)", __FILE__, __LINE__);
    double n = acc[F] > 0 ? acc[F] : 1.0;
    for (int j = 0; !rc && j < F; j++)
      if (pass)
        sd[j] = sqrt(acc[j] / n);
      else
        mu[j] = acc[j] / n;
  }
  free(acc);
  return rc;
}

/* Maps rows [i0, i0 + n) of X through candidate c into Z (n × D). */
static int map_rows(const model *m, int c, const double *X, int64_t i0, int64_t n, double *Z) {
  if (!m->map[c]) {
    memcpy(Z, X + i0 * m->F, sizeof(double) * (size_t)(n * m->F));
    return 0;
  }
  for (int64_t b = 0; b < n; b += MAP_BLOCK) {
    int64_t nb = n - b < MAP_BLOCK ? n - b : MAP_BLOCK;
    zl_qmap_apply(m->qmap, X + (i0 + b) * m->F, nb, m->mapped);
    ZL_CALL(zl_rff_apply(m->map[c], m->mapped, nb, Z + b * m->D[c]));
  }
  return 0;
}

/* Candidate c's rows, as zl_cvridge_accumulate_rows asks for them. */
typedef struct {
  const model *m;
  int c;
  const double *X;
} mapped_source;

static int mapped_rows(void *ctx, int64_t i0, int64_t n, double *out) {
  const mapped_source *s = ctx;
  return map_rows(s->m, s->c, s->X, i0, n, out);
}

/* rff's input map: quantile knots over the used rows of all ranks, then the mean and std of the
 * mapped features, which the random features standardise by. */
static int input_map(MPI_Comm comm, const zl_rows *rows, const double *X, int F, model *m,
                     double *mu, double *sd) {
  double *knots = zl_malloc((size_t)F * N_KNOTS, sizeof(double), "quantile knots");
  double *T = zl_malloc((size_t)rows->n * (size_t)F, sizeof(double), "mapped features");
  m->mapped = zl_malloc((size_t)MAP_BLOCK * (size_t)F, sizeof(double), "mapped rows");
  int rc = zl_comm_agree(comm, (knots && T && m->mapped) ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = zl_knots(comm, rows->n, F, X, rows->fold, N_KNOTS, knots);
  if (!rc) rc = zl_comm_agree(comm, zl_qmap_create(F, N_KNOTS, knots, &m->qmap));
  if (!rc) {
    zl_qmap_apply(m->qmap, X, rows->n, T);
    rc = column_stats(comm, rows, T, F, mu, sd);
  }
  free(knots);
  free(T);
  return rc;
}

/* Builds the candidates from this training zoo's rows and accumulates their fold statistics. */
static int model_build(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o,
                       const zl_rows *rows, const double *X, int F, model *m) {
  memset(m, 0, sizeof *m);
  m->F = F;
  m->n = e == ZL_EST_RFF ? MAX_CAND : 1;
  double *mu = NULL, *sd = NULL;
  int rc = 0;
  if (e == ZL_EST_RFF) {
    mu = zl_malloc((size_t)F, sizeof(double), "feature means");
    sd = zl_malloc((size_t)F, sizeof(double), "feature spreads");
    rc = zl_comm_agree(comm, (mu && sd) ? 0 : ZL_ERR_RUNTIME);
    if (!rc) rc = input_map(comm, rows, X, F, m, mu, sd);
  }
  for (int c = 0; !rc && c < m->n; c++) {
    m->D[c] = e == ZL_EST_RFF ? o->rff_features : F;
    if (e == ZL_EST_RFF) {
      m->h[c] = bandwidth_mult[c];
      rc = zl_rff_create(F, m->D[c], bandwidth_mult[c] * sqrt((double)F), mu, sd, o->seed,
                         (uint64_t)c + 1, &m->map[c]);
    }
    rc = zl_comm_agree(comm, rc);
    if (!rc) rc = zl_cvridge_create(comm, m->D[c], o->folds, &m->cv[c]);
    mapped_source src = {m, c, X};
    /* rff's mapped rows are made a block at a time: n × D of them would not fit at 10⁷ networks. */
    if (!rc && m->map[c])
      rc = zl_cvridge_accumulate_rows(m->cv[c], rows->n, mapped_rows, &src, rows->y, rows->fold,
                                      MAP_BLOCK);
    else if (!rc)
      rc = zl_cvridge_accumulate(m->cv[c], rows->n, X, rows->y, rows->fold);
  }
  for (int k = 0; !rc && k < o->folds; k++)
    if (zl_cvridge_fold_rows(m->cv[0], k) == 0)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "fold %d has no network with finite weights", k);
  free(mu);
  free(sd);
  if (rc) model_free(m);
  return rc;
}

/* Inner CV over the folds other than `outer` (-1: all folds): the candidate and λ with the least
 * validation error (the larger λ, then the first candidate, on a tie). */
static int model_select(MPI_Comm comm, model *m, int K, int outer, int *cand, double *lambda) {
  double grid[N_LAMBDA], best = INFINITY;
  *cand = 0;
  *lambda = pow(10.0, -6.0 + 0.5 * (N_LAMBDA - 1)); /* the strongest, when every fit failed */
  for (int i = 0; i < N_LAMBDA; i++)
    grid[i] = pow(10.0, -6.0 + 0.5 * i);
  for (int c = 0; c < m->n; c++) {
    double l = 0, sse = INFINITY;
    if (outer < 0) {
      ZL_CALL(zl_cvridge_select_lambda(m->cv[c], outer, grid, N_LAMBDA, &l, &sse));
    } else {
      if (!m->inner[c]) {
        m->inner[c] = zl_malloc((size_t)K * K * N_LAMBDA, sizeof(double), "inner-CV errors");
        ZL_CALL(zl_comm_agree(comm, m->inner[c] ? 0 : ZL_ERR_RUNTIME));
        ZL_CALL(zl_cvridge_inner_sse(m->cv[c], grid, N_LAMBDA, m->inner[c]));
      }
      for (int g = 0; g < N_LAMBDA; g++) {
        double t = 0;
        for (int v = 0; v < K; v++)
          t += m->inner[c][((size_t)outer * K + v) * N_LAMBDA + g];
        if (t <= sse) { /* a NaN error (a failed fit) never compares true: that λ is skipped */
          sse = t;
          l = grid[g];
        }
      }
    }
    if (sse < best) {
      best = sse;
      *cand = c;
      *lambda = l;
    }
  }
  return 0;
}

/* yhat[i] = prediction of the fitted candidate c for the rows of X with (fold == k, or any used
 * fold when k < 0), mapped in bounded blocks. */
static int predict(const model *m, int c, const double *coef, const zl_rows *rows, const double *X,
                   int k, double *yhat) {
  const int D = m->D[c];
  double *Z = zl_malloc((size_t)MAP_BLOCK * (size_t)D, sizeof(double), "mapped rows");
  if (!Z) return ZL_ERR_RUNTIME;
  int rc = 0;
  for (int64_t i0 = 0; !rc && i0 < rows->n; i0 += MAP_BLOCK) {
    int64_t n = rows->n - i0 < MAP_BLOCK ? rows->n - i0 : MAP_BLOCK;
    rc = map_rows(m, c, X, i0, n, Z);
    for (int64_t i = 0; !rc && i < n; i++) {
      int f = rows->fold[i0 + i];
      if (f < 0 || (k >= 0 && f != k)) continue;
      double p = coef[0];
      for (int j = 0; j < D; j++)
        p += coef[1 + j] * Z[i * D + j];
      yhat[i0 + i] = p;
    }
  }
  free(Z);
  return rc;
}

static int fit_and_predict(MPI_Comm comm, const model *m, int c, double lambda, int outer,
                           const zl_rows *rows, const double *X, int K, double *yhat) {
  int *in_train = zl_malloc((size_t)K, sizeof(int), "fold mask");
  double *coef = zl_malloc((size_t)m->D[c] + 1, sizeof(double), "coefficients");
  int rc = zl_comm_agree(comm, (in_train && coef) ? 0 : ZL_ERR_RUNTIME);
  for (int j = 0; !rc && j < K; j++)
    in_train[j] = j != outer;
  if (!rc) rc = zl_cvridge_fit(m->cv[c], in_train, lambda, coef);
  if (!rc) rc = zl_comm_agree(comm, predict(m, c, coef, rows, X, outer, yhat));
  free(in_train);
  free(coef);
  return rc;
}

int zl_estimate_cv(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o, const zl_rows *rows,
                   const double *X, int F, double *yhat, zl_choice *choice, int grid[2]) {
  model m;
  ZL_CALL(model_build(comm, e, o, rows, X, F, &m));
  if (grid) zl_cvridge_grid(m.cv[0], &grid[0], &grid[1]);
  int rc = 0;
  for (int k = 0; !rc && k < o->folds; k++) {
    int c = 0;
    rc = model_select(comm, &m, o->folds, k, &c, &choice[k].lambda);
    choice[k].bandwidth = m.h[c];
    if (!rc) rc = fit_and_predict(comm, &m, c, choice[k].lambda, k, rows, X, o->folds, yhat);
  }
  model_free(&m);
  return rc;
}

int zl_estimate_transfer(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o,
                         const zl_rows *ra, const double *XA, const zl_rows *rb, const double *XB,
                         int F, double *yhat_b, zl_choice *choice) {
  model m;
  ZL_CALL(model_build(comm, e, o, ra, XA, F, &m));
  int c = 0;
  int rc = model_select(comm, &m, o->folds, -1, &c, &choice->lambda);
  choice->bandwidth = m.h[c];
  /* Fit on all of A's folds: "outer" −1 leaves none out. */
  if (!rc) rc = fit_and_predict(comm, &m, c, choice->lambda, -1, rb, XB, o->folds, yhat_b);
  model_free(&m);
  return rc;
}
