/* Distributed grouped-CV ridge (PDSYRK + PDPOSV) against a serial LAPACK solve of the same
 * standardised normal equations, at any rank count (ctest runs 1, 2 and 4). Argument: the number
 * of features (default 9, one ScaLAPACK block; ctest also runs 150, three blocks cycled over the
 * grid) and, optionally, the rows per block to accumulate them in (zl_cvridge_accumulate_rows;
 * default: all at once). */
#include <lapacke.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_ridge.h"
#include "zl_test_mpi.h"

enum { N = 613, K = 5 };
static int F = 9;

/* A fixed data set that every rank generates whole, so rank 0 can solve it serially. */
static double lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

static void make_data(double *X, double *y, int *fold) {
  uint64_t s = 42;
  for (int i = 0; i < N; i++) {
    double t = 0.3;
    for (int j = 0; j < F; j++) {
      /* Features on very different scales and offsets, and one constant column. */
      X[i * F + j] = j == 4 ? 7.0 : 1000.0 * j + (1.0 + j * j) * (lcg(&s) - 0.5);
      t += (j % 3 - 1) * 0.01 * X[i * F + j] / (1.0 + j * j);
    }
    y[i] = t + 0.05 * (lcg(&s) - 0.5);
    fold[i] = (int)(lcg(&s) * K);
  }
}

/* Serial reference: standardise the training rows, solve (ZᵀZ/n + λI) w = Zᵀ(y − ȳ)/n. */
static void reference_fit(const double *X, const double *y, const int *fold, const int *in_train,
                          double lambda, double *coef) {
  double *mu = calloc((size_t)F, sizeof(double)), *sd = calloc((size_t)F, sizeof(double));
  double *A = calloc((size_t)F * F, sizeof(double)), *b = calloc((size_t)F, sizeof(double));
  double *z = calloc((size_t)F, sizeof(double)), ybar = 0, n = 0;
  for (int i = 0; i < N; i++)
    if (in_train[fold[i]]) {
      n++;
      ybar += y[i];
      for (int j = 0; j < F; j++)
        mu[j] += X[i * F + j];
    }
  ybar /= n;
  for (int j = 0; j < F; j++)
    mu[j] /= n;
  for (int i = 0; i < N; i++)
    if (in_train[fold[i]])
      for (int j = 0; j < F; j++)
        sd[j] += (X[i * F + j] - mu[j]) * (X[i * F + j] - mu[j]);
  for (int j = 0; j < F; j++)
    sd[j] = sqrt(sd[j] / n);
  for (int i = 0; i < N; i++) {
    if (!in_train[fold[i]]) continue;
    for (int j = 0; j < F; j++)
      z[j] = sd[j] > 0 ? (X[i * F + j] - mu[j]) / sd[j] : 0.0;
    for (int a = 0; a < F; a++) {
      b[a] += z[a] * (y[i] - ybar) / n;
      for (int c = 0; c < F; c++)
        A[a * F + c] += z[a] * z[c] / n;
    }
  }
  for (int a = 0; a < F; a++)
    A[a * F + a] += lambda;
  int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', F, 1, A, F, b, 1);
  ZL_CHECK(info == 0);
  coef[0] = ybar;
  for (int j = 0; j < F; j++) {
    coef[1 + j] = sd[j] > 0 ? b[j] / sd[j] : 0.0;
    coef[0] -= coef[1 + j] * mu[j];
  }
  free(mu);
  free(sd);
  free(A);
  free(b);
  free(z);
}

static double reference_sse(const double *X, const double *y, const int *fold, int k,
                            const double *coef) {
  double s = 0;
  for (int i = 0; i < N; i++) {
    if (fold[i] != k) continue;
    double p = coef[0];
    for (int j = 0; j < F; j++)
      p += coef[1 + j] * X[i * F + j];
    s += (y[i] - p) * (y[i] - p);
  }
  return s;
}

/* A row source over this rank's rows that counts how often it is asked. */
typedef struct {
  const double *X;
  int64_t calls;
} source;

static int rows_of(void *ctx, int64_t i0, int64_t n, double *out) {
  source *s = ctx;
  s->calls++;
  memcpy(out, s->X + i0 * F, sizeof(double) * (size_t)(n * F));
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  if (argc > 1) F = atoi(argv[1]);
  int64_t block = argc > 2 ? atoll(argv[2]) : 0;
  int rank = zl_comm_rank(MPI_COMM_WORLD), size = zl_comm_size(MPI_COMM_WORLD);
  double *X = malloc(sizeof(double) * N * F), *y = malloc(sizeof(double) * N);
  int *fold = malloc(sizeof(int) * N);
  make_data(X, y, fold);
  /* Uneven contiguous blocks: rank r takes a share growing with r. */
  int64_t lo = (int64_t)N * rank * rank / (size * size),
          hi = (int64_t)N * (rank + 1) * (rank + 1) / (size * size);

  zl_cvridge cv = NULL;
  ZL_CHECK(zl_cvridge_create(MPI_COMM_WORLD, F, K, &cv) == 0);
  if (block > 0) {
    source src = {X + lo * F, 0};
    ZL_CHECK(zl_cvridge_accumulate_rows(cv, hi - lo, rows_of, &src, y + lo, fold + lo, block) == 0);
    ZL_CHECK(src.calls == 2 * ((hi - lo + block - 1) / block));
  } else {
    ZL_CHECK(zl_cvridge_accumulate(cv, hi - lo, X + lo * F, y + lo, fold + lo) == 0);
  }
  int64_t total = 0;
  for (int k = 0; k < K; k++)
    total += zl_cvridge_fold_rows(cv, k);
  ZL_CHECK(total == N);

  const double lambdas[] = {1e-6, 1e-3, 0.1, 10.0};
  for (int outer = 0; outer < K; outer++) {
    int in_train[K];
    for (int k = 0; k < K; k++)
      in_train[k] = k != outer;
    for (int l = 0; l < 4; l++) {
      double *coef = malloc(sizeof(double) * (F + 1)), *ref = malloc(sizeof(double) * (F + 1));
      double sse = 0;
      ZL_CHECK(zl_cvridge_fit(cv, in_train, lambdas[l], coef) == 0);
      reference_fit(X, y, fold, in_train, lambdas[l], ref);
      double num = 0, den = 0;
      for (int j = 0; j <= F; j++) {
        num += (coef[j] - ref[j]) * (coef[j] - ref[j]);
        den += ref[j] * ref[j];
      }
      ZL_CHECK(sqrt(num / den) <= 1e-10);
      ZL_CHECK(zl_cvridge_sse(cv, outer, coef, &sse) == 0);
      ZL_CHECK_CLOSE(sse, reference_sse(X, y, fold, outer, ref), 1e-9);
      free(coef);
      free(ref);
    }
    /* Inner CV: the chosen lambda is the serial argmin of the summed validation errors. */
    double grid[] = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0}, lambda = 0, best = INFINITY,
           ref_lambda = 0;
    double sel_sse = 0;
    ZL_CHECK(zl_cvridge_select_lambda(cv, outer, grid, 6, &lambda, &sel_sse) == 0);
    for (int l = 0; l < 6; l++) {
      double tot = 0;
      for (int v = 0; v < K; v++) {
        if (v == outer) continue;
        int tr[K];
        double *ref = malloc(sizeof(double) * (F + 1));
        for (int k = 0; k < K; k++)
          tr[k] = k != v && k != outer;
        reference_fit(X, y, fold, tr, grid[l], ref);
        tot += reference_sse(X, y, fold, v, ref);
        free(ref);
      }
      if (tot <= best) {
        best = tot;
        ref_lambda = grid[l];
      }
    }
    ZL_CHECK(lambda == ref_lambda);
    ZL_CHECK_CLOSE(sel_sse, best, 1e-9);
  }
  zl_cvridge_destroy(&cv);
  ZL_CHECK(cv == NULL);
  free(X);
  free(y);
  free(fold);
  return zl_test_finish_mpi();
}
