/* A zoo written by zoolens train is whole: every run marked complete, run ids and epochs in their
 * pre-assigned rows, every hparam of the paper present with valid codes, accuracies in [0, 1]; and
 * its best final test accuracy reaches MIN_BEST. Prints the final test accuracies' distribution.
 * Serial. usage: check_train_zoo ZOO.h5 FIRST_RUN RUNS CHECKPOINTS MIN_BEST */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_test.h"
#include "zl_zoo.h"

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* numpy's default percentile (linear interpolation) of sorted v[0..n). */
static double percentile(const double *v, int64_t n, double q) {
  double pos = q / 100 * (double)(n - 1);
  int64_t lo = (int64_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
  return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

static void check(const char *path, int64_t first, int64_t runs, const int *epochs, int C,
                  double min_best) {
  static const char *const hparams[] = {"activation",    "dropout",   "init_std",       "l2reg",
                                        "learning_rate", "optimizer", "train_fraction", "w_init"};
  zl_zoo zoo = NULL;
  int ok = zl_zoo_open(MPI_COMM_SELF, path, &zoo) == 0;
  ZL_CHECK(ok);
  if (!ok) {
    fprintf(stderr, "%s\n", zl_error_message());
    return;
  }
  const int64_t N = runs * C, P = zl_zoo_n_params(zoo);
  ZL_CHECK(zl_zoo_n_rows(zoo) == N);
  int64_t *run = calloc((size_t)N, sizeof *run);
  int32_t *mark = calloc((size_t)N, sizeof *mark), *code = calloc((size_t)N, sizeof *code);
  double *epoch = calloc((size_t)N, sizeof *epoch), *acc = calloc((size_t)N, sizeof *acc);
  double *final = calloc((size_t)runs, sizeof *final);
  float *w = calloc((size_t)P, sizeof *w);
  ZL_CHECK(zl_zoo_read_column(zoo, "runs/complete", ZL_I32, 0, N, mark) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_RUN_ID, ZL_I64, 0, N, run) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_EPOCH, ZL_F64, 0, N, epoch) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_TEST_ACCURACY, ZL_F64, 0, N, acc) == 0);
  int64_t bad_rows = 0, diverged = 0;
  for (int64_t r = 0; r < N; r++)
    bad_rows += mark[r] != 1 || run[r] != first + r / C || epoch[r] != epochs[r % C] ||
                !(acc[r] >= 0 && acc[r] <= 1);
  ZL_CHECK(bad_rows == 0);
  ZL_CHECK(zl_zoo_n_hparams(zoo) == 8);
  for (int h = 0; h < 8 && h < zl_zoo_n_hparams(zoo); h++) {
    int n_labels = 0;
    char column[64];
    ZL_CHECK(!strcmp(zl_zoo_hparam_name(zoo, h), hparams[h]));
    zl_zoo_hparam_labels(zoo, h, &n_labels);
    if (!n_labels) continue;
    snprintf(column, sizeof column, "hparams/%s", hparams[h]);
    ZL_CHECK(zl_zoo_read_column(zoo, column, ZL_I32, 0, N, code) == 0);
    int64_t bad_codes = 0;
    for (int64_t r = 0; r < N; r++)
      bad_codes += code[r] < 0 || code[r] >= n_labels;
    ZL_CHECK(bad_codes == 0);
  }
  for (int64_t i = 0; i < runs; i++) {
    int64_t row = i * C + C - 1, j = 0;
    final[i] = acc[row];
    ZL_CHECK(zl_zoo_read_weights(zoo, row, 1, w) == 0);
    while (j < P && isfinite(w[j]))
      j++;
    diverged += j < P;
  }
  qsort(final, (size_t)runs, sizeof *final, compare_double);
  printf("final test accuracy of %lld runs: min %.4f, quartiles %.4f %.4f %.4f, max %.4f; %lld "
         "diverged (non-finite weights)\n",
         (long long)runs, final[0], percentile(final, runs, 25), percentile(final, runs, 50),
         percentile(final, runs, 75), final[runs - 1], (long long)diverged);
  ZL_CHECK(final[runs - 1] >= min_best);
  free(w);
  free(final);
  free(acc);
  free(epoch);
  free(code);
  free(mark);
  free(run);
  zl_zoo_destroy(&zoo);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  if (argc != 6) {
    fprintf(stderr, "usage: check_train_zoo ZOO.h5 FIRST_RUN RUNS CHECKPOINTS MIN_BEST\n");
    MPI_Finalize();
    return 2;
  }
  int epochs[64], C = 0;
  for (char *p = argv[4]; C < 64 && *p; p += *p == ',')
    epochs[C++] = (int)strtol(p, &p, 10);
  check(argv[1], atoll(argv[2]), atoll(argv[3]), epochs, C, atof(argv[5]));
  int rc = zl_test_finish();
  MPI_Finalize();
  return rc;
}
