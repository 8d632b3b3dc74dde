#include "zl_dnncv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_mlp.h"
#include "zl_rng.h"
#include "zl_tiles.h"
#include "zl_train.h"
#include "zl_xsum.h"

/* scikit-learn's MLPRegressor defaults: minibatches of 200 rows, Adam at 1e-3, at most 200 epochs,
 * stopping after 10 epochs without a better validation error. */
#define BATCH          200
#define LEARNING_RATE  1e-3
#define DEFAULT_EPOCHS 200
#define PATIENCE       10
/* The paper's DNN: two hidden layers of 1000 units. */
static const int default_hidden[] = {1000, 1000};
/* Random streams of a fit: its initial weights, its epochs' row orders. */
#define STREAM_SALT 0x444e4e464954ULL

/* Everything both entry points use. The fits train on "the rows": every used row of the training
 * zoo in selection order on every rank (replicated, dist = 0), or this rank's tiles (dist = 1).
 * A row's position p in the rows is its group's identity: group p / ZL_TILE_ROWS, a fixed tile. */
typedef struct {
  MPI_Comm comm;
  int rank, size, K, F, dist, epochs;
  uint64_t seed;
  zl_tiles t;          /* the training zoo in tiles: moments and predictions read these */
  int64_t N, first, n; /* positions of the rows; this rank's are [first, first + n) */
  int *gfold;          /* N: every position's fold (-1: unused) */
  const double *X, *y; /* this rank's rows (n × F), in t or in the copies: */
  double *rX, *ry;     /* replicated rows */
  int64_t cnt[ZL_MAX_FOLDS];
  double *s1, *s2, *c; /* per fold: sums of x and y (K × (F + 1)), of (x − c)² (K × F); c */
  double lo, span;     /* the sigmoid's range: [lo, lo + span] ⊇ [0, 1] and every target */
  zl_mlp net;
  size_t P;
  int nt; /* the parameter row's tensors */
  size_t toff[2 * (ZL_MLP_MAX_HIDDEN + 1)], tsz[2 * (ZL_MLP_MAX_HIDDEN + 1)];
} dnn_job;

static void job_free(dnn_job *j) {
  zl_tiles_free(&j->t);
  free(j->gfold);
  free(j->rX);
  free(j->ry);
  free(j->s1);
  free(j->s2);
  free(j->c);
  zl_mlp_destroy(&j->net);
}

/* Per-fold exact sums over the tiles: pass 0 of x and y, pass 1 of (x − c)² with c the mean of
 * every used row, so a training set's spread needs no cancelling difference of large sums. */
static int moments(dnn_job *j) {
  const int F = j->F, K = j->K, W = F + 1;
  const zl_tiles *t = &j->t;
  zl_xint *acc = zl_calloc((size_t)K * W, sizeof(zl_xint), "exact sums");
  double *part = zl_malloc((size_t)K * W, sizeof(double), "tile sums");
  int *ex = zl_malloc((size_t)K * W, sizeof(int), "exponents");
  int rc = zl_comm_agree(j->comm, (acc && part && ex) ? 0 : ZL_ERR_RUNTIME);
  double big = 0.0, range[2] = {0.0, 1.0}; /* −lo, hi */
  for (int64_t i = 0; !rc && i < t->n; i++) {
    if (t->fold[i] < 0) continue;
    if (-t->y[i] > range[0]) range[0] = -t->y[i];
    if (t->y[i] > range[1]) range[1] = t->y[i];
    for (int f = 0; f < F; f++) {
      double v = fabs(t->X[i * F + f]);
      if (!isfinite(v)) {
        rc = ZL_ERR(ZL_ERR_RUNTIME, "feature %d of network %lld is not finite", f,
                    (long long)(t->first + i));
        break;
      }
      if (v > big) big = v;
    }
  }
  rc = zl_comm_agree(j->comm, rc);
  if (!rc) ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, &big, 1, MPI_DOUBLE, MPI_MAX, j->comm));
  if (!rc) ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_DOUBLE, MPI_MAX, j->comm));
  j->lo = -range[0];
  j->span = range[1] - j->lo;
  if (range[0] > 1.0) big = big > range[0] ? big : range[0];
  if (range[1] > 1.0) big = big > range[1] ? big : range[1];
  const double n = (double)t->used_total;
  for (int pass = 0; !rc && pass < 2; pass++) {
    /* |x| <= big, |x − c| <= 2 big, |y| <= max(big, 1) */
    double b = pass ? 4.0 * big * big : big > 1.0 ? big : 1.0;
    for (int k = 0; k < K * W; k++)
      ex[k] = zl_xsum_exponent(zl_xsum_bits(b * n));
    memset(acc, 0, sizeof(zl_xint) * (size_t)K * W);
    for (int64_t q = 0; q < zl_tiles_count(t); q++) {
      int64_t i0, m;
      zl_tiles_range(t, q, &i0, &m);
      memset(part, 0, sizeof(double) * (size_t)K * W);
      for (int64_t i = i0; i < i0 + m; i++) {
        const int k = t->fold[i];
        if (k < 0) continue;
        double *p = part + (size_t)k * W;
        for (int f = 0; f < F; f++) {
          double d = t->X[i * F + f] - (pass ? j->c[f] : 0.0);
          p[f] += pass ? d * d : d;
        }
        if (!pass) p[F] += t->y[i];
      }
      zl_xsum_add(acc, part, ex, (size_t)K * W);
    }
    rc = zl_xsum_allreduce(j->comm, acc, (size_t)K * W);
    if (rc) break;
    zl_xsum_value(acc, ex, (size_t)K * W, part);
    for (int k = 0; k < K; k++)
      for (int f = 0; f < W; f++)
        if (pass && f < F)
          j->s2[(size_t)k * F + f] = part[(size_t)k * W + f];
        else if (!pass)
          j->s1[(size_t)k * W + f] = part[(size_t)k * W + f];
    for (int f = 0; !pass && f < F; f++) {
      double s = 0.0;
      for (int k = 0; k < K; k++)
        s += j->s1[(size_t)k * W + f];
      j->c[f] = s / n;
    }
  }
  free(acc);
  free(part);
  free(ex);
  return rc;
}

/* The standardisation of the folds in mask: mu, 1/sd (1 for a constant feature, as scikit-learn's
 * StandardScaler), and the mean target. The same arithmetic on every rank. */
static void standardiser(const dnn_job *j, const int *mask, double *mu, double *isd, double *ybar) {
  const int F = j->F, W = F + 1;
  int64_t n = 0;
  for (int k = 0; k < j->K; k++)
    n += mask[k] ? j->cnt[k] : 0;
  for (int f = 0; f < W; f++) {
    double s = 0.0, q = 0.0;
    for (int k = 0; k < j->K; k++)
      if (mask[k]) {
        s += j->s1[(size_t)k * W + f];
        q += f < F ? j->s2[(size_t)k * F + f] : 0.0;
      }
    if (f == F) {
      *ybar = s / (double)n;
      break;
    }
    mu[f] = s / (double)n;
    double var = q / (double)n - (mu[f] - j->c[f]) * (mu[f] - j->c[f]);
    isd[f] = var > 0.0 ? 1.0 / sqrt(var) : 1.0;
  }
}

static void standardise(int F, const double *x, const double *mu, const double *isd, float *out) {
  for (int f = 0; f < F; f++)
    out[f] = (float)((x[f] - mu[f]) * isd[f]);
}

/* Predictions yhat[i] of the rows i < n of X (an array that starts at a tile boundary) whose fold
 * is want (-2: every used row): per tile of ZL_TILE_ROWS rows, its wanted rows in order, BATCH at a
 * time, so each prediction's bits depend on the tiles only. */
static void predict_rows(dnn_job *j, const float *params, const double *mu, const double *isd,
                         const double *X, const int *fold, int64_t n, int want, float *Xb,
                         int64_t *idx, double *pb, double *yhat) {
  const int F = j->F;
  for (int64_t t0 = 0; t0 < n; t0 += ZL_TILE_ROWS) {
    int64_t t1 = n - t0 < ZL_TILE_ROWS ? n : t0 + ZL_TILE_ROWS;
    int b = 0;
    for (int64_t i = t0; i <= t1; i++) {
      if (i < t1 && (want == -2 ? fold[i] >= 0 : fold[i] == want)) {
        standardise(F, X + i * F, mu, isd, Xb + (size_t)b * F);
        idx[b++] = i;
      }
      if (b == BATCH || (i == t1 && b > 0)) {
        zl_mlp_predict(j->net, params, Xb, b, pb);
        for (int r = 0; r < b; r++)
          yhat[idx[r]] = j->lo + j->span * pb[r];
        b = 0;
      }
    }
  }
}

/* Work space of a fit. */
typedef struct {
  float *grad, *mv, *part, *Xb;
  double *gd, *yb, *pb, *yv;
  zl_xint *acc;
  int *ex;
  int64_t *list, *idx, *bucket;
  int n_groups; /* this rank's tiles */
} fit_work;

static void work_free(fit_work *w) {
  free(w->grad);
  free(w->mv);
  free(w->part);
  free(w->Xb);
  free(w->gd);
  free(w->yb);
  free(w->pb);
  free(w->yv);
  free(w->acc);
  free(w->ex);
  free(w->list);
  free(w->idx);
  free(w->bucket);
  memset(w, 0, sizeof *w);
}

static int work_init(const dnn_job *j, fit_work *w) {
  const size_t P = j->P;
  memset(w, 0, sizeof *w);
  w->n_groups = (int)((j->n + ZL_TILE_ROWS - 1) / ZL_TILE_ROWS);
  const size_t ng = (size_t)w->n_groups + 1;
  w->grad = zl_malloc(P, sizeof(float), "dnn gradient");
  w->mv = zl_malloc(2 * P, sizeof(float), "dnn Adam slots");
  w->part = zl_malloc(ng * P, sizeof(float), "dnn tile gradients");
  w->Xb = zl_malloc((size_t)BATCH * j->F, sizeof(float), "dnn minibatch");
  w->yb = zl_malloc(BATCH, sizeof(double), "dnn minibatch");
  w->pb = zl_malloc(BATCH, sizeof(double), "dnn predictions");
  w->yv = zl_malloc((size_t)j->n + 1, sizeof(double), "dnn predictions");
  w->list = zl_malloc((size_t)j->N + 1, sizeof(int64_t), "dnn row order");
  w->idx = zl_malloc(BATCH + 1, sizeof(int64_t), "dnn minibatch");
  w->bucket = zl_malloc(BATCH + ng, sizeof(int64_t), "dnn minibatch");
  int ok = w->grad && w->mv && w->part && w->Xb && w->yb && w->pb && w->yv && w->list && w->idx &&
           w->bucket;
  if (ok && j->dist) {
    w->gd = zl_malloc(P, sizeof(double), "dnn gradient");
    w->acc = zl_malloc(P, sizeof(zl_xint), "dnn exact gradient");
    w->ex = zl_malloc(P, sizeof(int), "exponents");
    ok = w->gd && w->acc && w->ex;
  }
  return ok ? 0 : ZL_ERR_RUNTIME;
}

/* The minibatch's gradient, summed over its rows (w->grad): the rows of each of this rank's tiles
 * in minibatch order through one zl_mlp_grad, then (dist) the tiles' sums added exactly across
 * tiles and ranks, at one scale per tensor from the largest tile sum anywhere. */
static int batch_grad(dnn_job *j, fit_work *w, const float *params, const double *mu,
                      const double *isd, const int64_t *batch, int nb) {
  const int F = j->F, G = w->n_groups;
  const size_t P = j->P;
  /* Counting sort of this rank's rows of the batch by tile, stable. */
  int64_t *start = w->bucket + BATCH;
  memset(start, 0, sizeof(int64_t) * ((size_t)G + 1));
  for (int r = 0; r < nb; r++) {
    int64_t p = batch[r] - j->first;
    if (p >= 0 && p < j->n) start[p / ZL_TILE_ROWS + 1]++;
  }
  for (int g = 0; g < G; g++)
    start[g + 1] += start[g];
  for (int r = 0; r < nb; r++) {
    int64_t p = batch[r] - j->first;
    if (p >= 0 && p < j->n) w->bucket[start[p / ZL_TILE_ROWS]++] = p;
  }
  /* start[g] now ends group g. */
  int used = 0;
  for (int g = 0, from = 0; g < G; from = (int)start[g++]) {
    const int m = (int)start[g] - from;
    if (m == 0) continue;
    for (int r = 0; r < m; r++) {
      const int64_t p = w->bucket[from + r];
      standardise(F, j->X + p * F, mu, isd, w->Xb + (size_t)r * F);
      w->yb[r] = (j->y[p] - j->lo) / j->span;
    }
    double sse;
    zl_mlp_grad(j->net, params, w->Xb, w->yb, m, w->part + (size_t)used++ * P, &sse);
  }
  if (!j->dist) {
    /* Replicated rows are one tile: its sum is the batch's. */
    if (used)
      memcpy(w->grad, w->part, P * sizeof(float));
    else
      memset(w->grad, 0, P * sizeof(float));
    return 0;
  }
  double bound[2 * (ZL_MLP_MAX_HIDDEN + 1)];
  for (int q = 0; q < j->nt; q++) {
    bound[q] = 0.0;
    for (int u = 0; u < used; u++) {
      const float *g = w->part + (size_t)u * P + j->toff[q];
      for (size_t i = 0; i < j->tsz[q]; i++) {
        double v = fabs((double)g[i]);
        bound[q] = v > bound[q] || isnan(v) ? v : bound[q];
      }
    }
  }
  ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, bound, j->nt, MPI_DOUBLE, MPI_MAX, j->comm));
  /* Every rank sees the same bounds, so this error needs no agreement. */
  for (int q = 0; q < j->nt; q++)
    if (!isfinite(bound[q]))
      return ZL_ERR(ZL_ERR_RUNTIME, "dnn: a fit diverged (a gradient is not finite)");
  const double tiles = (double)((j->N + ZL_TILE_ROWS - 1) / ZL_TILE_ROWS);
  for (int q = 0; q < j->nt; q++) {
    const int e = zl_xsum_exponent(zl_xsum_bits(bound[q] * tiles));
    for (size_t i = 0; i < j->tsz[q]; i++)
      w->ex[j->toff[q] + i] = e;
  }
  memset(w->acc, 0, P * sizeof(zl_xint));
  for (int u = 0; u < used; u++) {
    const float *g = w->part + (size_t)u * P;
    for (size_t i = 0; i < P; i++)
      w->gd[i] = (double)g[i];
    zl_xsum_add(w->acc, w->gd, w->ex, P);
  }
  ZL_CALL(zl_xsum_allreduce(j->comm, w->acc, P));
  zl_xsum_value(w->acc, w->ex, P, w->gd);
  for (size_t i = 0; i < P; i++)
    w->grad[i] = (float)w->gd[i];
  return 0;
}

/* The validation error on fold val: per tile, exact across tiles and ranks (each squared error is
 * at most span²: predictions and targets lie in [lo, lo + span]). */
static int val_error(dnn_job *j, fit_work *w, const float *params, const double *mu,
                     const double *isd, int val, double *err) {
  predict_rows(j, params, mu, isd, j->X, j->gfold + j->first, j->n, val, w->Xb, w->idx, w->pb,
               w->yv);
  const int e = zl_xsum_exponent(zl_xsum_bits((double)j->N * j->span * j->span));
  zl_xint acc = {0, 0};
  for (int64_t t0 = 0; t0 < j->n; t0 += ZL_TILE_ROWS) {
    double s = 0.0;
    for (int64_t i = t0; i < j->n && i < t0 + ZL_TILE_ROWS; i++)
      if (j->gfold[j->first + i] == val) s += (w->yv[i] - j->y[i]) * (w->yv[i] - j->y[i]);
    zl_xsum_add(&acc, &s, &e, 1);
  }
  if (j->dist) ZL_CALL(zl_xsum_allreduce(j->comm, &acc, 1));
  zl_xsum_value(&acc, &e, 1, err);
  return 0;
}

/* One fit on the rows of the folds in mask, from stream `stream`: up to `epochs` epochs; with
 * val >= 0, stops after PATIENCE epochs without a smaller error on fold val and *best receives the
 * epoch count with the least error; params receives the weights after the last epoch. dist:
 * collective; replicated: serial. */
static int fit(dnn_job *j, const int *mask, int val, int epochs, uint64_t stream, float *params,
               int *best) {
  const int F = j->F;
  fit_work w;
  memset(&w, 0, sizeof w);
  double *mu = zl_malloc((size_t)F, sizeof(double), "dnn standardisation");
  double *isd = zl_malloc((size_t)F, sizeof(double), "dnn standardisation");
  int rc = (mu && isd) ? work_init(j, &w) : ZL_ERR_RUNTIME;
  if (j->dist) rc = zl_comm_agree(j->comm, rc);
  double ybar = 0.0, least = INFINITY;
  zl_rng r;
  zl_rng_init(&r, j->seed ^ STREAM_SALT, stream);
  int64_t nl = 0;
  if (!rc) {
    standardiser(j, mask, mu, isd, &ybar);
    zl_mlp_init(j->net, &r, (ybar - j->lo) / j->span, params);
    memset(w.mv, 0, 2 * j->P * sizeof(float));
    for (int64_t p = 0; p < j->N; p++)
      if (j->gfold[p] >= 0 && mask[j->gfold[p]]) w.list[nl++] = p;
  }
  zl_opt_state st = {w.mv, w.mv + j->P, 0};
  const zl_hparams hp = {.optimizer = ZL_OPT_ADAM, .learning_rate = LEARNING_RATE};
  *best = epochs;
  for (int e = 1, since = 0; !rc && e <= epochs && since < PATIENCE; e++) {
    for (int64_t i = nl; i > 1; i--) {
      int64_t q = (int64_t)zl_rng_below(&r, (uint64_t)i), tmp = w.list[i - 1];
      w.list[i - 1] = w.list[q];
      w.list[q] = tmp;
    }
    for (int64_t s0 = 0; !rc && s0 < nl; s0 += BATCH) {
      const int nb = nl - s0 < BATCH ? (int)(nl - s0) : BATCH;
      rc = batch_grad(j, &w, params, mu, isd, w.list + s0, nb);
      for (size_t i = 0; !rc && i < j->P; i++)
        w.grad[i] /= (float)nb; /* the mean loss over the batch */
      if (!rc) zl_opt_update(&hp, &st, params, w.grad, j->P);
    }
    if (rc || val < 0) continue;
    double err;
    rc = val_error(j, &w, params, mu, isd, val, &err);
    if (!rc && err < least) {
      least = err;
      *best = e;
      since = 0;
    } else {
      since++;
    }
  }
  free(mu);
  free(isd);
  work_free(&w);
  return rc;
}

/* Every used row of the tiles in selection order, on every rank. */
static int replicate(dnn_job *j) {
  const int F = j->F;
  const zl_tiles *t = &j->t;
  int64_t m = 0;
  for (int64_t i = 0; i < t->n; i++)
    m += t->fold[i] >= 0;
  int *cnt = zl_malloc((size_t)j->size, sizeof(int), "row counts");
  int *dis = zl_malloc((size_t)j->size, sizeof(int), "row counts");
  double *X = zl_malloc((size_t)m + 1, sizeof(double) * (size_t)F, "dnn rows");
  double *y = zl_malloc((size_t)m + 1, sizeof(double), "dnn rows");
  int *fold = zl_malloc((size_t)m + 1, sizeof(int), "dnn rows");
  j->N = t->used_total;
  j->rX = zl_malloc((size_t)j->N + 1, sizeof(double) * (size_t)F, "dnn rows");
  j->ry = zl_malloc((size_t)j->N + 1, sizeof(double), "dnn rows");
  j->gfold = zl_malloc((size_t)j->N + 1, sizeof(int), "dnn rows");
  int rc = zl_comm_agree(
      j->comm, (cnt && dis && X && y && fold && j->rX && j->ry && j->gfold) ? 0 : ZL_ERR_RUNTIME);
  for (int64_t i = 0, k = 0; !rc && i < t->n; i++)
    if (t->fold[i] >= 0) {
      memcpy(X + k * F, t->X + i * F, sizeof(double) * (size_t)F);
      y[k] = t->y[i];
      fold[k++] = t->fold[i];
    }
  int mi = (int)m;
  int64_t total = 0;
  if (!rc) rc = zl_comm_row_layout(j->comm, mi, cnt, dis, &total);
  if (!rc) rc = zl_comm_allgather_rows(j->comm, X, mi, F, MPI_DOUBLE, j->rX, cnt, dis);
  if (!rc) rc = zl_comm_allgather_rows(j->comm, y, mi, 1, MPI_DOUBLE, j->ry, cnt, dis);
  if (!rc) rc = zl_comm_allgather_rows(j->comm, fold, mi, 1, MPI_INT, j->gfold, cnt, dis);
  j->first = 0;
  j->n = j->N;
  j->X = j->rX;
  j->y = j->ry;
  free(cnt);
  free(dis);
  free(X);
  free(y);
  free(fold);
  return rc;
}

/* dist: every position's fold on every rank; this rank's rows are its tiles. */
static int share_folds(dnn_job *j) {
  const zl_tiles *t = &j->t;
  j->N = t->n_total;
  j->first = t->first;
  j->n = t->n;
  j->X = t->X;
  j->y = t->y;
  int *cnt = zl_malloc((size_t)j->size, sizeof(int), "row counts");
  int *dis = zl_malloc((size_t)j->size, sizeof(int), "row counts");
  j->gfold = zl_malloc((size_t)j->N + 1, sizeof(int), "dnn folds");
  int rc = zl_comm_agree(j->comm, (cnt && dis && j->gfold) ? 0 : ZL_ERR_RUNTIME);
  int mi = (int)t->n;
  int64_t total = 0;
  if (!rc) rc = zl_comm_row_layout(j->comm, mi, cnt, dis, &total);
  if (!rc) rc = zl_comm_allgather_rows(j->comm, t->fold, mi, 1, MPI_INT, j->gfold, cnt, dis);
  free(cnt);
  free(dis);
  return rc;
}

static int job_init(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *rows, const double *X,
                    int F, dnn_job *j) {
  memset(j, 0, sizeof *j);
  j->comm = comm;
  j->rank = zl_comm_rank(comm);
  j->size = zl_comm_size(comm);
  j->K = o->folds;
  j->F = F;
  j->seed = o->seed;
  j->epochs = o->dnn_epochs > 0 ? o->dnn_epochs : DEFAULT_EPOCHS;
  ZL_CALL(zl_tiles_create(comm, rows, X, F, &j->t));
  j->s1 = zl_malloc((size_t)j->K * (F + 1), sizeof(double), "dnn moments");
  j->s2 = zl_malloc((size_t)j->K * F, sizeof(double), "dnn moments");
  j->c = zl_malloc((size_t)F, sizeof(double), "dnn moments");
  int rc = zl_comm_agree(comm, (j->s1 && j->s2 && j->c) ? 0 : ZL_ERR_RUNTIME);
  for (int64_t i = 0; !rc && i < j->t.n; i++)
    if (j->t.fold[i] >= 0) j->cnt[j->t.fold[i]]++;
  if (!rc) ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, j->cnt, j->K, MPI_INT64_T, MPI_SUM, comm));
  for (int k = 0; !rc && k < j->K; k++)
    if (j->cnt[k] == 0)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "fold %d has no network with finite weights", k);
  if (!rc) rc = moments(j);
  /* A zoo within one tile could not be shared out by rows; copied, its fits are. */
  j->dist = j->t.used_total > ZL_TILE_ROWS;
  if (!rc) rc = j->dist ? share_folds(j) : replicate(j);
  const int *hidden = o->dnn_layers > 0 ? o->dnn_hidden : default_hidden;
  int nh = o->dnn_layers > 0 ? o->dnn_layers : 2;
  if (!rc) rc = zl_comm_agree(comm, zl_mlp_create(F, hidden, nh, BATCH, &j->net));
  if (!rc) {
    j->P = zl_mlp_n_params(j->net);
    zl_mlp_tensors(j->net, &j->nt, j->toff, j->tsz);
  }
  return rc;
}

/* Fits of the slots s < n (cv: without fold s; transfer, n = 1: on every fold): first an inner fit
 * validated on fold v(s) to choose the epochs, then the slot's fit for that many epochs. Their
 * parameters (n × P) end on every rank. Replicated, the ranks share out the fits, and each slot's
 * parameters are broadcast from the rank that made them. */
static int fit_slots(dnn_job *j, int cv, int n, float *params, int *epochs) {
  const size_t P = j->P;
  int mask[ZL_MAX_FOLDS], rc = 0;
  for (int s = 0; s < n; s++)
    epochs[s] = 0;
  for (int inner = 1; inner >= 0 && !rc; inner--) {
    for (int s = 0; !rc && s < n; s++) {
      if (!j->dist && s % j->size != j->rank) continue;
      const int v = cv ? (s + 1) % j->K : 0;
      for (int k = 0; k < j->K; k++)
        mask[k] = (!cv || k != s) && (!inner || k != v);
      const uint64_t stream = (uint64_t)(2 * s + inner);
      rc = inner ? fit(j, mask, v, j->epochs, stream, params + (size_t)s * P, &epochs[s])
                 : fit(j, mask, -1, epochs[s], stream, params + (size_t)s * P, &(int){0});
    }
    if (j->dist) continue;
    rc = zl_comm_agree(j->comm, rc);
    if (!rc && inner) ZL_MPI(MPI_Allreduce(MPI_IN_PLACE, epochs, n, MPI_INT, MPI_MAX, j->comm));
    for (int s = 0; !rc && !inner && s < n; s++)
      ZL_MPI(MPI_Bcast(params + (size_t)s * P, (int)P, MPI_FLOAT, s % j->size, j->comm));
  }
  return rc;
}

int zl_dnn_cv(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *rows, const double *X, int F,
              double *yhat, zl_choice *choice) {
  const int K = o->folds;
  if (K < 3) return ZL_ERR(ZL_ERR_USAGE, "dnn needs at least 3 folds (it has %d)", K);
  dnn_job j;
  int rc = job_init(comm, o, rows, X, F, &j);
  float *params = rc ? NULL : zl_malloc((size_t)K * j.P, sizeof(float), "dnn parameters");
  double *ty = rc ? NULL : zl_calloc((size_t)j.t.n + 1, sizeof(double), "predictions");
  double *mu = rc ? NULL : zl_malloc((size_t)F * 2, sizeof(double), "dnn standardisation");
  float *Xb = rc ? NULL : zl_malloc((size_t)BATCH * F, sizeof(float), "dnn minibatch");
  double *pb = rc ? NULL : zl_malloc(BATCH, sizeof(double), "dnn predictions");
  int64_t idx[BATCH];
  int epochs[ZL_MAX_FOLDS];
  if (!rc) rc = zl_comm_agree(comm, (params && ty && mu && Xb && pb) ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = fit_slots(&j, 1, K, params, epochs);
  for (int s = 0; !rc && s < K; s++) {
    int mask[ZL_MAX_FOLDS];
    double ybar;
    for (int k = 0; k < K; k++)
      mask[k] = k != s;
    standardiser(&j, mask, mu, mu + F, &ybar);
    predict_rows(&j, params + (size_t)s * j.P, mu, mu + F, j.t.X, j.t.fold, j.t.n, s, Xb, idx, pb,
                 ty);
    choice[s] = (zl_choice){.lambda = NAN, .epochs = epochs[s]};
  }
  if (!rc) rc = zl_tiles_return(&j.t, ty, yhat);
  free(params);
  free(ty);
  free(mu);
  free(Xb);
  free(pb);
  job_free(&j);
  return rc;
}

int zl_dnn_transfer(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *ra, const double *XA,
                    const zl_rows *rb, const double *XB, int F, double *yhat_b, zl_choice *choice) {
  if (o->folds < 2) return ZL_ERR(ZL_ERR_USAGE, "dnn needs at least 2 folds (it has %d)", o->folds);
  dnn_job j;
  zl_tiles tb;
  memset(&tb, 0, sizeof tb);
  int rc = job_init(comm, o, ra, XA, F, &j);
  if (!rc) rc = zl_tiles_create(comm, rb, XB, F, &tb);
  float *params = rc ? NULL : zl_malloc(j.P, sizeof(float), "dnn parameters");
  double *ty = rc ? NULL : zl_calloc((size_t)tb.n + 1, sizeof(double), "predictions");
  double *mu = rc ? NULL : zl_malloc((size_t)F * 2, sizeof(double), "dnn standardisation");
  float *Xb = rc ? NULL : zl_malloc((size_t)BATCH * F, sizeof(float), "dnn minibatch");
  double *pb = rc ? NULL : zl_malloc(BATCH, sizeof(double), "dnn predictions");
  int64_t idx[BATCH];
  int epochs = 0, mask[ZL_MAX_FOLDS];
  if (!rc) rc = zl_comm_agree(comm, (params && ty && mu && Xb && pb) ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = fit_slots(&j, 0, 1, params, &epochs);
  if (!rc) {
    double ybar;
    for (int k = 0; k < j.K; k++)
      mask[k] = 1;
    standardiser(&j, mask, mu, mu + F, &ybar);
    predict_rows(&j, params, mu, mu + F, tb.X, tb.fold, tb.n, -2, Xb, idx, pb, ty);
    *choice = (zl_choice){.lambda = NAN, .epochs = epochs};
    rc = zl_tiles_return(&tb, ty, yhat_b);
  }
  free(params);
  free(ty);
  free(mu);
  free(Xb);
  free(pb);
  zl_tiles_free(&tb);
  job_free(&j);
  return rc;
}
