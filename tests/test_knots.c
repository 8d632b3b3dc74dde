/* Exact distributed quantiles (zl_knots) against hand-computed order statistics, at any rank count
 * and with the rows split unevenly (ctest runs 1, 2 and 4 ranks): the same bits everywhere. */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_knots.h"
#include "zl_test_mpi.h"

enum { N = 1001, EXTRA = 37, F = 3 };

/* Row i of the global data: feature 0 a permutation of 0..N−1 (7919 is prime to 1001), feature 1
 * i mod 3 (three values, 334 / 334 / 333 of them), feature 2 the permutation scaled by −1/7 with
 * −0 at i = 0. EXTRA rows after N are dropped (fold −1) and hold huge values that must not count.
 */
static void row(int i, double *x, int *fold) {
  int p = (int)((int64_t)i * 7919 % N);
  x[0] = i < N ? p : 1e300;
  x[1] = i < N ? i % 3 : -1e300;
  x[2] = i < N ? -p / 7.0 : NAN;
  *fold = i < N ? i % 5 : -1;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  int rank = zl_comm_rank(MPI_COMM_WORLD), size = zl_comm_size(MPI_COMM_WORLD);
  /* Uneven contiguous blocks, growing with the rank; rank 0 of several holds none. */
  int64_t total = N + EXTRA;
  int64_t lo = total * rank * rank / (size * size),
          hi = total * (rank + 1) * (rank + 1) / (size * size);
  int64_t n = hi - lo;
  double *X = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1) * F);
  int *fold = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
  for (int64_t i = 0; i < n; i++)
    row((int)(lo + i), X + i * F, fold + i);

  /* Q = 11: positions t·100, every one an order statistic. */
  double k11[F * 11];
  ZL_CHECK(zl_knots(MPI_COMM_WORLD, n, F, X, fold, 11, k11) == 0);
  for (int t = 0; t < 11; t++) {
    ZL_CHECK(k11[t] == 100.0 * t);
    /* sorted i mod 3: indices 0..333 hold 0, 334..667 hold 1, 668..1000 hold 2 */
    ZL_CHECK(k11[11 + t] == (t <= 3 ? 0.0 : t <= 6 ? 1.0 : 2.0));
    ZL_CHECK(k11[22 + t] == -(1000.0 - 100.0 * t) / 7.0);
  }
  /* Q = 4: position 1000 t / 3, so t = 1 interpolates a third of the way from 333 to 334 and
   * t = 2 two thirds from 666 to 667 (numpy's upper-end form). */
  double k4[F * 4];
  ZL_CHECK(zl_knots(MPI_COMM_WORLD, n, F, X, fold, 4, k4) == 0);
  ZL_CHECK(k4[0] == 0.0 && k4[3] == 1000.0);
  ZL_CHECK_CLOSE(k4[1], 1000.0 / 3, 1e-15);
  ZL_CHECK_CLOSE(k4[2], 2000.0 / 3, 1e-15);
  /* i mod 3: indices 333 and 334 hold 0 and 1, so a third (less 2e-14: the fraction is
   * 1000 · (1/3) − 333 in double, as numpy computes it); 666 and 667 both hold 1. */
  ZL_CHECK(k4[4] == 0.0 && k4[7] == 2.0);
  ZL_CHECK_CLOSE(k4[5], 1.0 / 3, 1e-13);
  ZL_CHECK(k4[6] == 1.0);
  ZL_CHECK_CLOSE(k4[9], -2000.0 / 3 / 7, 1e-15);
  ZL_CHECK_CLOSE(k4[10], -1000.0 / 3 / 7, 1e-15);
  /* Every rank holds the same knots, to the bit. */
  double first[F * 4];
  memcpy(first, k4, sizeof first);
  MPI_Bcast(first, F * 4, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  ZL_CHECK(!memcmp(first, k4, sizeof first));

  /* No used row anywhere: the exact error on every rank. */
  for (int64_t i = 0; i < n; i++)
    fold[i] = -1;
  ZL_CHECK(zl_knots(MPI_COMM_WORLD, n, F, X, fold, 4, k4) == ZL_ERR_RUNTIME);
  ZL_CHECK(!strcmp(zl_error_message(), "quantiles: no network to take them over"));

  free(X);
  free(fold);
  return zl_test_finish_mpi();
}
