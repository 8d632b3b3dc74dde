/* Gradient-boosted regression trees on histograms (the `hist` learner of LightGBM and XGBoost),
 * squared loss, trees grown level by level (XGBoost's depthwise policy: one reduction per level,
 * not one per split). Every feature is cut into at most ZL_GBM_MAX_BINS bins on given thresholds.
 * Each tree quantizes the rows' gradients to integers at a power-of-two scale that depends only on
 * global bounds (LightGBM 4's quantized training, with 13 to 40 bits instead of its 2 to 8), and
 * per node the histograms of (gradient, count) are summed in int64, so split finding and the leaf
 * values see the same integers however the rows are split among processes. The sums over rows go
 * through reduction hooks (zl_gbm_reduce): identities for one process, MPI reductions in
 * mpi/gbmcv.c; every process then makes the same trees, to the bit. */
#ifndef ZL_GBM_H
#define ZL_GBM_H

#include <stddef.h>
#include <stdint.h>

#include "zl_xsum.h"

/* Bins per feature: a bin index fits in a byte. */
#define ZL_GBM_MAX_BINS 256
/* Deepest tree: a level's histograms take 2^(depth-1) × bins × 16 bytes. */
#define ZL_GBM_MAX_DEPTH 8

typedef struct {
  int max_depth; /* 1 … ZL_GBM_MAX_DEPTH */
  int min_rows;  /* rows per leaf, over all processes (>= 1) */
  int max_trees;
  int patience;     /* stop once no validation set improved for this many trees (0: never) */
  double lambda;    /* L2 on leaf values, in rows (squared loss: the hessian of a row is 1) */
  double shrinkage; /* each tree's values are scaled by this */
} zl_gbm_params;

/* A node: split (rows whose bin of feature is <= bin go left) or leaf (feature < 0). left and
 * right index the nodes of the same tree. */
typedef struct {
  int feature, bin, left, right;
  double value;
} zl_gbm_node;

/* A model: base + the sum of its trees' leaf values; tree t is nodes[first[t] …], root first. */
typedef struct {
  double base;
  int n_trees, cap_trees;
  int64_t n_nodes, cap_nodes;
  int64_t *first; /* cap_trees + 1 */
  zl_gbm_node *nodes;
} zl_gbm_model;

void zl_gbm_model_free(zl_gbm_model *m);

/* Sums over all processes, in place, every process passing its own part; agree makes every
 * process return the same status (the first failure). Each returns 0 or an error code. */
typedef struct {
  void *ctx;
  int (*sum_i64)(void *ctx, int64_t *v, size_t n);
  int (*sum_xint)(void *ctx, zl_xint *v, size_t n);
  int (*max_f64)(void *ctx, double *v, size_t n);
  int (*agree)(void *ctx, int rc);
} zl_gbm_reduce;

/* The hooks of a single process: every sum is already whole. */
extern const zl_gbm_reduce zl_gbm_serial;

/* The thresholds of each feature from its Q >= 2 quantiles (knots: F × Q, ascending per row): the
 * distinct interior knots, at most ZL_GBM_MAX_BINS − 1 (Q <= ZL_GBM_MAX_BINS + 1). thr: F ×
 * (ZL_GBM_MAX_BINS − 1); n_bins[f] = thresholds of f + 1. Not collective. */
void zl_gbm_thresholds(const double *knots, int F, int Q, double *thr, int *n_bins);

/* B[i·F + f] = the number of thresholds of feature f below X[i·F + f] (so bin <= b exactly when
 * x <= thr[f][b]); X: n × F, row-major. Not collective. */
void zl_gbm_bin(const double *thr, const int *n_bins, int F, const double *X, int64_t n,
                uint8_t *B);

/* One process's rows of a training problem. */
typedef struct {
  int64_t n;
  int F;
  const uint8_t *bins; /* n × F, from zl_gbm_bin */
  const int *n_bins;   /* F */
  const double *y;
  const int *role; /* 0: training row; v + 1: row of validation set v < n_val; else unused */
  int n_val;
} zl_gbm_data;

/* Fits up to p->max_trees trees to the training rows of every process (m: empty, filled; free
 * with zl_gbm_model_free). val_sse (p->max_trees × n_val, may be NULL when n_val is 0) receives
 * the squared error of each validation set after each tree, summed exactly. With p->patience > 0
 * it stops when no set improved for that many trees: m->n_trees says how many were grown. Errors
 * (no training row, out of memory) agree through r. Collective through r. */
int zl_gbm_fit(const zl_gbm_data *d, const zl_gbm_params *p, const zl_gbm_reduce *r,
               zl_gbm_model *m, double *val_sse);

/* zl_gbm_fit of n_fits problems at once (d, p, m: n_fits each; val_sse: n_fits pointers, or NULL
 * when no fit has a validation set), grown in lock-step so that each reduction carries every fit's
 * sums: the same trees as n_fits calls of zl_gbm_fit, with as many reductions as the longest.
 * Collective through r. */
int zl_gbm_fit_many(int n_fits, const zl_gbm_data *d, const zl_gbm_params *p,
                    const zl_gbm_reduce *r, zl_gbm_model *m, double *const *val_sse);

/* The histograms' memory of one fit in zl_gbm_fit_many (the same on every process, unlike its
 * per-row arrays, 32 bytes a row). Not collective. */
size_t zl_gbm_hist_bytes(int F, const int *n_bins, int max_depth);

/* out[i] = prediction of the first n_trees trees for row i of B (n × F, from zl_gbm_bin), summed
 * in tree order (the fit's order, so the same bits). Not collective. */
void zl_gbm_predict(const zl_gbm_model *m, int n_trees, const uint8_t *B, int F, int64_t n,
                    double *out);

#endif
