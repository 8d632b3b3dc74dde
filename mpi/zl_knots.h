/* Exact quantiles of features spread over ranks, for zl_qmap: each is numpy.quantile of the
 * feature over every used row of every rank, whatever the rank count or the split of the rows. */
#ifndef ZL_KNOTS_H
#define ZL_KNOTS_H

#include <mpi.h>
#include <stdint.h>

/* knots (F × Q, row-major, replicated) = the quantiles at probabilities t / (Q − 1), t < Q, of each
 * column of X (n × F, row-major) over the rows with fold[i] >= 0 on all ranks; Q >= 2. Each order
 * statistic is found by bisection on the bits of the doubles, one MPI_Allreduce of counts per
 * step for all features (at most 64 steps): no rank ever holds more than its own rows, and
 * integer counts make the result independent of the rank count to the bit. Error when no rank
 * has a used row. Collective. */
int zl_knots(MPI_Comm comm, int64_t n, int F, const double *X, const int *fold, int Q,
             double *knots);

#endif
