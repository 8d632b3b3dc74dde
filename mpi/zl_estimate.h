/* The estimators of analyze on one feature matrix: ridge on the features, or ridge on random
 * Fourier features of them (kernel ridge at linear cost), after mapping each feature through its
 * exact percentiles over the training zoo (zl_knots, zl_qmap) so that outliers do not flatten the
 * kernel. Both choose their hyperparameters (λ,
 * and for rff the bandwidth) by inner cross-validation on the training folds only, from the
 * per-fold statistics of zl_cvridge. */
#ifndef ZL_ESTIMATE_H
#define ZL_ESTIMATE_H

#include <mpi.h>
#include <stdint.h>

#include "zl_rows.h"

typedef enum { ZL_EST_RIDGE = 0, ZL_EST_RFF = 1, ZL_N_ESTIMATORS } zl_estimator;

const char *zl_estimator_name(zl_estimator e);
int zl_estimator_parse(const char *name, zl_estimator *e);

typedef struct {
  int folds;
  uint64_t seed;
  int rff_features; /* D */
} zl_estimate_opts;

/* What a fit chose. */
typedef struct {
  double lambda;
  double bandwidth; /* rff: h relative to sqrt(F); ridge: 0 */
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
