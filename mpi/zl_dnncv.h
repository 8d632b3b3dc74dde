/* analyze's dnn estimator: the paper's DNN and NFN's StatNN, an MLP (kernels/zl_mlp.h) on the
 * features standardised by their training folds' exact mean and spread, trained by Adam on
 * minibatches, the number of epochs chosen by early stopping on an inner validation fold (never
 * the test fold). Minibatches are drawn by a seeded permutation of the rows' positions in the
 * selection, so they do not depend on the rank count. A zoo of more than ZL_TILE_ROWS used rows is
 * trained data-parallel: each rank forms, per fixed row tile it holds, the gradient of the
 * minibatch's rows in that tile, and the tiles' gradients are added exactly (zl_xsum, 128-bit
 * integers) across tiles and ranks at every step; a smaller zoo is copied to every rank and the
 * ranks share out whole fits. Either way the results are the same bits on any rank count. */
#ifndef ZL_DNNCV_H
#define ZL_DNNCV_H

#include <mpi.h>

#include "zl_estimate.h"

/* zl_estimate_cv for dnn: held-out predictions yhat (rows->n; 0 for unused rows). Outer fold s is
 * fitted on the other folds for the epochs at which a fit without fold s + 1 (mod K) did best on
 * fold s + 1. Needs at least 3 folds. The sigmoid output spans [0, 1], or the targets' range
 * when they leave it (a synthetic zoo's). Collective. */
int zl_dnn_cv(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *rows, const double *X, int F,
              double *yhat, zl_choice *choice);

/* zl_estimate_transfer for dnn: fit on every used row of A (epochs from a fit validated on A's
 * fold 0), predict every used row of B. Collective. */
int zl_dnn_transfer(MPI_Comm comm, const zl_estimate_opts *o, const zl_rows *ra, const double *XA,
                    const zl_rows *rb, const double *XB, int F, double *yhat_b, zl_choice *choice);

#endif
