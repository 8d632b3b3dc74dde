/* zoolens import round trip: every value of OUT.h5 against SRC_DIR (import's ranks: 1, 2, 4). */
/* Weights bit for bit, metrics, runs, checkpoints, hyperparameters and layout. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zl_comm.h"
#include "zl_npy.h"
#include "zl_table.h"
#include "zl_test.h"
#include "zl_zoo.h"

static int rank;

/* Both NaN, or the same bits. */
static int same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a);
}

/* Every rank compares its share of the rows, block by block, with the .npy read directly. */
static void check_weights(zl_zoo zoo, const char *npy_path) {
  zl_npy npy;
  if (zl_npy_open(npy_path, &npy)) {
    /* The collective reads below cannot go on with one rank missing. */
    fprintf(stderr, "rank %d: %s\n", rank, zl_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const int64_t N = zl_zoo_n_rows(zoo), P = zl_zoo_n_params(zoo);
  const int64_t B = zl_zoo_block_rows(zoo, (int64_t)1 << 20);
  int64_t row0, n, nb;
  ZL_CHECK(npy.rows == N && npy.cols == P);
  ZL_CHECK(zl_zoo_share_rows(MPI_COMM_WORLD, N, B, &row0, &n, &nb) == 0);
  float *a = malloc((size_t)(B * P) * sizeof *a), *b = malloc((size_t)(B * P) * sizeof *b);
  int same = 1;
  for (int64_t k = 0; k < nb; k++) {
    int64_t r = row0 + k * B, m = n - k * B < 0 ? 0 : n - k * B < B ? n - k * B : B;
    ZL_CHECK(zl_zoo_read_weights(zoo, m ? r : 0, m, a) == 0);
    if (m) ZL_CHECK(zl_npy_read_rows(&npy, r, m, b) == 0);
    same = same && !memcmp(a, b, (size_t)(m * P) * sizeof *a);
  }
  ZL_CHECK(same);
  free(b);
  free(a);
  zl_npy_close(&npy);
}

static void check_layout(zl_zoo zoo, const char *layout_path) {
  zl_table t = NULL;
  ZL_CHECK(zl_table_read(layout_path, &t) == 0);
  if (!t) return;
  ZL_CHECK(zl_table_n_rows(t) == zl_zoo_n_tensors(zoo));
  for (int i = 0; i < zl_zoo_n_tensors(zoo) && i < zl_table_n_rows(t); i++) {
    const zl_tensor *x = zl_zoo_tensor(zoo, i);
    const char *name = zl_table_cell(t, i, zl_table_col(t, "varname"));
    ZL_CHECK(!strcmp(x->name, name));
    ZL_CHECK(x->offset == atoll(zl_table_cell(t, i, zl_table_col(t, "start_idx"))));
    ZL_CHECK(x->offset + x->size == atoll(zl_table_cell(t, i, zl_table_col(t, "end_idx"))));
    ZL_CHECK(!strcmp(x->shape, zl_table_cell(t, i, zl_table_col(t, "shape"))));
    ZL_CHECK(x->kind == (strstr(name, "kernel:0") ? ZL_TENSOR_KERNEL : ZL_TENSOR_BIAS));
  }
  zl_table_destroy(&t);
}

/* A numeric column of the zoo against the table's text (rank 0 compares; all ranks read). */
static void check_numbers(zl_zoo zoo, zl_table t, const char *column, const char *csv) {
  const int64_t N = zl_zoo_n_rows(zoo), n0 = rank ? 0 : N;
  double *v = malloc((size_t)N * sizeof *v);
  ZL_CHECK(zl_zoo_read_column(zoo, column, ZL_F64, 0, n0, v) == 0);
  int same = 1;
  for (int64_t r = 0; r < n0; r++) {
    double want;
    same =
        same && zl_table_number(t, r, zl_table_col(t, csv), &want) == 0 && same_double(v[r], want);
  }
  if (!same) fprintf(stderr, "%s differs from %s\n", column, csv);
  ZL_CHECK(same);
  free(v);
}

/* A string dataset against a table column, or a per-run name list against run ids. */
static void check_strings(zl_zoo zoo, zl_table t, const char *dataset, const char *csv,
                          const int64_t *run) {
  char **s = NULL;
  int64_t n = 0, N = zl_zoo_n_rows(zoo);
  ZL_CHECK(zl_zoo_read_strings(zoo, dataset, &s, &n) == 0);
  int same = s != NULL && (rank || run || n == N), col = rank ? -1 : zl_table_col(t, csv);
  for (int64_t r = 0; same && !rank && r < N; r++)
    same = run ? run[r] >= 0 && run[r] < n && !strcmp(s[run[r]], zl_table_cell(t, r, col))
               : !strcmp(s[r], zl_table_cell(t, r, col));
  ZL_CHECK(same);
  zl_strings_free(s, n);
}

static void check_runs(zl_zoo zoo, zl_table t) {
  const int64_t N = zl_zoo_n_rows(zoo), n0 = rank ? 0 : N;
  int64_t *run = malloc((size_t)N * sizeof *run), next = 0;
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_RUN_ID, ZL_I64, 0, n0, run) == 0);
  /* Run ids number the model directories in order of first appearance. */
  int ok = 1;
  for (int64_t r = 0; r < n0; r++) {
    ok = ok && run[r] <= next;
    if (run[r] == next) next++;
  }
  ZL_CHECK(ok);
  check_strings(zoo, t, "runs/name", "modeldir", rank ? NULL : run);
  free(run);
}

static void check_hparams(zl_zoo zoo, zl_table t) {
  const int64_t N = zl_zoo_n_rows(zoo), n0 = rank ? 0 : N;
  int config_columns = 0;
  for (int c = 0; !rank && c < zl_table_n_cols(t); c++)
    config_columns += !strncmp(zl_table_header(t, c), "config.", 7);
  ZL_CHECK(rank || config_columns == zl_zoo_n_hparams(zoo));
  int32_t *code = malloc((size_t)N * sizeof *code);
  for (int h = 0; h < zl_zoo_n_hparams(zoo); h++) {
    char column[256], csv[256];
    int n_labels = 0;
    const char *const *labels = zl_zoo_hparam_labels(zoo, h, &n_labels);
    snprintf(column, sizeof column, "hparams/%s", zl_zoo_hparam_name(zoo, h));
    snprintf(csv, sizeof csv, "config.%s", zl_zoo_hparam_name(zoo, h));
    ZL_CHECK(rank || zl_table_col(t, csv) >= 0);
    if (!n_labels) {
      check_numbers(zoo, t, column, csv);
      continue;
    }
    int ok = 1;
    for (int l = 1; l < n_labels; l++)
      ok = ok && strcmp(labels[l - 1], labels[l]) < 0;
    ZL_CHECK(ok); /* sorted, distinct */
    ZL_CHECK(zl_zoo_read_column(zoo, column, ZL_I32, 0, n0, code) == 0);
    for (int64_t r = 0; r < n0; r++)
      ok = ok && code[r] >= 0 && code[r] < n_labels &&
           !strcmp(labels[code[r]], zl_table_cell(t, r, zl_table_col(t, csv)));
    ZL_CHECK(ok);
  }
  free(code);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  rank = zl_comm_rank(MPI_COMM_WORLD);
  if (argc < 3) {
    if (!rank) fprintf(stderr, "usage: test_import SRC_DIR OUT.h5 [import options]\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const char *dir = argv[1], *out = argv[2], *dataset = NULL, *architecture = NULL;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--dataset")) dataset = argv[i + 1];
    if (!strcmp(argv[i], "--architecture")) architecture = argv[i + 1];
  }
  char npy[1024], layout[1024], metrics[1024];
  snprintf(npy, sizeof npy, "%s/weights.npy", dir);
  snprintf(layout, sizeof layout, "%s/layout.csv", dir);
  snprintf(metrics, sizeof metrics, "%s/metrics.csv.gz", dir);
  if (access(metrics, F_OK)) snprintf(metrics, sizeof metrics, "%s/metrics.csv", dir);

  zl_zoo zoo = NULL;
  zl_table t = NULL;
  int rc = zl_zoo_open(MPI_COMM_WORLD, out, &zoo);
  ZL_CHECK(rc == 0);
  if (!rc && !rank) ZL_CHECK(zl_table_read(metrics, &t) == 0);
  int have = !rc && (rank || t); /* every rank must take the same path: agree */
  MPI_Allreduce(MPI_IN_PLACE, &have, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!have) {
    fprintf(stderr, "rank %d: %s\n", rank, zl_error_message());
  } else {
    check_weights(zoo, npy);
    if (!rank) {
      check_layout(zoo, layout);
      ZL_CHECK(zl_zoo_n_rows(zoo) == zl_table_n_rows(t));
      const char *d = dataset ? dataset : zl_table_cell(t, 0, zl_table_col(t, "config.dataset"));
      const char *a = architecture
                          ? architecture
                          : zl_table_cell(t, 0, zl_table_col(t, "config.dnn_architecture"));
      ZL_CHECK(!strcmp(zl_zoo_dataset(zoo), d) && !strcmp(zl_zoo_architecture(zoo), a));
    }
    check_numbers(zoo, t, ZL_COL_TEST_ACCURACY, "test_accuracy");
    check_numbers(zoo, t, ZL_COL_TRAIN_ACCURACY, "train_accuracy");
    check_numbers(zoo, t, ZL_COL_TEST_LOSS, "test_loss");
    check_numbers(zoo, t, ZL_COL_TRAIN_LOSS, "train_loss");
    check_numbers(zoo, t, ZL_COL_EPOCH, "step");
    check_runs(zoo, t);
    check_strings(zoo, t, "runs/checkpoint", "", NULL); /* the unnamed first column */
    check_hparams(zoo, t);
  }
  zl_table_destroy(&t);
  zl_zoo_destroy(&zoo);

  int counts[2] = {zl_test_passed, zl_test_failed};
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (!rank) printf("%s: %d passed, %d failed\n", out, counts[0], counts[1]);
  MPI_Finalize();
  return counts[1] ? 1 : 0;
}
