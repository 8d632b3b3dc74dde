/* The estimators of analyze on one feature matrix, each choosing its hyperparameters by inner
 * cross-validation on the training folds only:
 * - ridge: per-fold augmented Grams over every row (zl_ridgesys), λ from one eigendecomposition per
 *   inner training set;
 * - rff: each feature mapped through its exact percentiles (zl_knots, zl_qmap) so outliers do not
 *   flatten the kernel, then the Gaussian kernel. The bandwidth (and λ) is chosen by exact kernel
 *   ridge on a bounded subsample of about 512 networks; a zoo that small is fitted exactly, a
 *   larger one by ridge on random Fourier features at the chosen bandwidth, λ again from the full
 *   Grams.
 * - gbm: histogram gradient-boosted trees on exact integer histograms (zl_gbmcv.h).
 * - dnn: an MLP trained by Adam, its gradients summed exactly over tiles and ranks (zl_dnncv.h).
 * Every sum over rows is made per fixed tile of rows and combined exactly (zl_tiles, zl_xsum), and
 * every solve is whole on one rank, so results have the same bits on any number of ranks. */
#ifndef ZL_ESTIMATE_H
#define ZL_ESTIMATE_H

#include <mpi.h>
#include <stdint.h>

#include "zl_mlp.h"
#include "zl_rows.h"

typedef enum {
  ZL_EST_RIDGE = 0,
  ZL_EST_RFF = 1,
  ZL_EST_GBM = 2,
  ZL_EST_DNN = 3,
  ZL_N_ESTIMATORS
} zl_estimator;

const char *zl_estimator_name(zl_estimator e);
int zl_estimator_parse(const char *name, zl_estimator *e);

/* The most cross-validation folds. */
#define ZL_MAX_FOLDS 100

typedef struct {
  int folds;
  uint64_t seed;
  int rff_features; /* D */
  /* dnn: hidden layer widths (dnn_layers of them; 0: the paper's two of 1000) and the most epochs
   * (0: 200, scikit-learn's MLPRegressor max_iter) */
  int dnn_hidden[ZL_MLP_MAX_HIDDEN];
  int dnn_layers, dnn_epochs;
} zl_estimate_opts;

/* What a fit chose. */
typedef struct {
  double lambda;              /* ridge, rff; gbm: its fixed L2; dnn: NaN, it has none */
  double bandwidth;           /* rff: h relative to sqrt(F); ridge: 0 */
  int trees, depth, min_rows; /* gbm (zl_gbmcv.h): its trees and their shape; others: 0 */
  int epochs;                 /* dnn (zl_dnncv.h): epochs of its fit; others: 0 */
} zl_choice;

/* Cross-validated held-out predictions yhat[i] for this rank's rows with fold >= 0 (X: rows->n × F,
 * row-major); choice[k] receives outer fold k's choice. grid (may be NULL) receives the BLACS grid.
 * Collective. */
int zl_estimate_cv(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o, const zl_rows *rows,
                   const double *X, int F, double *yhat, zl_choice *choice, int grid[2]);

/* Fits on every used row of A (hyperparameters by inner CV over A's folds) and predicts every row
 * of B (yhat_b: rb->n). Collective. */
int zl_estimate_transfer(MPI_Comm comm, zl_estimator e, const zl_estimate_opts *o,
                         const zl_rows *ra, const double *XA, const zl_rows *rb, const double *XB,
                         int F, double *yhat_b, zl_choice *choice);

#endif
