/* Regression scores: R², RMSE and Kendall's tau-b. */
#ifndef ZL_METRICS_H
#define ZL_METRICS_H

#include <stddef.h>

/* R² = 1 - SSE / SST with SST around the mean of y (the paper's 1 - MSE / Var(y_test)); NaN when
 * y is constant or n == 0. Not collective. */
double zl_r2(const double *y, const double *yhat, size_t n);

/* sqrt(SSE / n); NaN when n == 0. Not collective. */
double zl_rmse(const double *y, const double *yhat, size_t n);

/* Kendall's tau-b with ties, O(n log n) (Knight 1966: sort by (x, y), count discordant pairs by a
 * merge sort on y). Returns 0 and writes *tau (NaN when x or y is constant or n < 2); returns
 * non-zero with an error recorded when memory runs out. Uses 32 n bytes of heap. x and y must be
 * free of NaN. Not collective. */
int zl_kendall_tau_b(const double *x, const double *y, size_t n, double *tau);

#endif
