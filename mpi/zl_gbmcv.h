/* analyze's gbm estimator: histogram gradient-boosted trees (kernels/zl_gbm.h) data-parallel over
 * the ranks. Each rank bins its own rows on thresholds from the exact quantiles of every used row
 * of the training zoo (zl_knots), and the trees' integer histograms and exact sums are summed
 * across the ranks, so every rank grows the same trees and the results have the same bits on any
 * rank count; a large zoo's rows never move (a small one's binned rows are copied to every rank,
 * which then grows its own share of the fits alone). The tree shape (depth, minimum leaf rows) is
 * chosen from a small grid and the number of trees by early stopping, on the training folds only: a
 * small zoo both by inner cross-validation; a large one the shape so on a subsample, and the trees
 * on a held-out tenth of each outer fit's training runs. */
#ifndef ZL_GBMCV_H
#define ZL_GBMCV_H

#include <mpi.h>

#include "zl_estimate.h"

/* zl_estimate_cv for gbm: held-out predictions yhat (rows->n; 0 for unused rows) and the choices
 * of each outer fold. Needs at least 3 folds. Collective. */
int zl_gbm_cv(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *rows, const double *X, int F,
              double *yhat, zl_choice *choice);

/* zl_estimate_transfer for gbm: fit on every used row of A, predict every used row of B.
 * Collective. */
int zl_gbm_transfer(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *ra, const double *XA,
                    const zl_rows *rb, const double *XB, int F, double *yhat_b, zl_choice *choice);

#endif
