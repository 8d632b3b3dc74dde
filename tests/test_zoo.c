/* zl_zoo write/commit/reopen, every bit, row lists, hparams, resume, errors (1, 2, 4 ranks). */
/* Rows are written from every rank in uneven blocks and read back in another partition; an error
 * on one rank alone must reach every rank without a hang. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zl_comm.h"
#include "zl_test_mpi.h"
#include "zl_zoo.h"

/* 37 rows of 50 000 parameters: 20-row chunks, so rows cross chunk boundaries. */
#define N 37
#define P 50000

static int rank, size;

/* Every weight is a function of its position; a few are NaN or Inf, as in diverged runs. */
static float weight(int64_t r, int64_t c) {
  if (r == 5 && c == 7) return NAN;
  if (r == 11 && c == P - 1) return -INFINITY;
  uint32_t h = (uint32_t)r * 2654435761u ^ ((uint32_t)c * 40503u + 17u);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (float)((double)(h % 2000001u) / 1e6 - 1.0);
}

static int same_bits(const float *got, int64_t row, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < P; c++) {
      float want = weight(row + i, c);
      if (memcmp(&got[i * P + c], &want, sizeof want)) return 0;
    }
  return 1;
}

static const char *const optimizers[] = {"adam", "rmsprop", "sgd"};

static void checkpoint_name(int64_t r, char *s, size_t len) {
  snprintf(s, len, "zoo/run%02d/ckpt-%d", (int)(r / 3), (int)(r % 3));
}

/* Writes every row, column, hparam and string of the test zoo into an open, writable zoo. */
static int fill(zl_zoo zoo) {
  int64_t B = zl_zoo_block_rows(zoo, (int64_t)1 << 20), row0, n, nb;
  ZL_CHECK(B == 5); /* 1 MiB holds 5 rows of 200 000 bytes */
  ZL_CALL(zl_zoo_share_rows(MPI_COMM_WORLD, N, B, &row0, &n, &nb));
  float *w = malloc((size_t)B * P * sizeof *w);
  double *acc = malloc(N * sizeof *acc), *lr = malloc(N * sizeof *lr);
  int64_t *run = malloc(N * sizeof *run), *opt = malloc(N * sizeof *opt);
  for (int64_t b = 0; b < nb; b++) {
    int64_t r = row0 + b * B, m = n - b * B < 0 ? 0 : n - b * B > B ? B : n - b * B;
    for (int64_t i = 0; i < m; i++)
      for (int64_t c = 0; c < P; c++)
        w[i * P + c] = weight(r + i, c);
    ZL_CALL(zl_zoo_write_weights(zoo, r, m, w));
  }
  for (int64_t r = 0; r < N; r++) {
    acc[r] = r == 4 ? NAN : 0.01 * (double)r;
    lr[r] = 1e-3 * (double)(r / 3 + 1);
    run[r] = r / 3;
    opt[r] = (r / 3) % 3;
  }
  /* Columns from every rank's share; hparams from rank 0 alone (the others pass n = 0). */
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_TEST_ACCURACY, ZL_F64, row0, n, acc + row0));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_RUN_ID, ZL_I64, row0, n, run + row0));
  ZL_CALL(zl_zoo_add_hparam(zoo, "optimizer", optimizers, 3));
  ZL_CALL(zl_zoo_add_hparam(zoo, "learning_rate", NULL, 0));
  ZL_CALL(zl_zoo_write_column(zoo, "hparams/learning_rate", ZL_F64, 0, rank ? 0 : N, lr));
  ZL_CALL(zl_zoo_write_column(zoo, "hparams/optimizer", ZL_I64, 0, rank ? 0 : N, opt));
  char names[N][32];
  const char *ptr[N];
  for (int64_t r = 0; r < N; r++) {
    checkpoint_name(r, names[r], sizeof names[r]);
    ptr[r] = names[r];
  }
  ZL_CALL(zl_zoo_write_strings(zoo, "runs/checkpoint", rank ? NULL : ptr, rank ? 0 : N));
  free(opt);
  free(run);
  free(lr);
  free(acc);
  free(w);
  return 0;
}

static zl_zoo_spec test_spec(zl_tensor t[3]) {
  t[0] = (zl_tensor){"dense/bias:0", 0, 10, "(10,)", ZL_TENSOR_BIAS};
  t[1] = (zl_tensor){"dense/kernel:0", 10, 39990, "(3999, 10)", ZL_TENSOR_KERNEL};
  t[2] = (zl_tensor){"out/bias:0", 40000, 10000, "(10000,)", ZL_TENSOR_BIAS};
  return (zl_zoo_spec){"mnist", "cnn", N, P, 3, t};
}

static int exists(const char *path) {
  return access(path, F_OK) == 0;
}

/* Reads everything back in a partition different from the writer's and checks it. */
static void check_contents(const char *path) {
  zl_zoo zoo = NULL;
  int rc = zl_zoo_open(MPI_COMM_WORLD, path, &zoo);
  ZL_CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "open: %s\n", zl_error_message());
    return;
  }
  ZL_CHECK(!strcmp(zl_zoo_dataset(zoo), "mnist") && !strcmp(zl_zoo_architecture(zoo), "cnn"));
  ZL_CHECK(zl_zoo_n_rows(zoo) == N && zl_zoo_n_params(zoo) == P && zl_zoo_n_tensors(zoo) == 3);
  const zl_tensor *t = zl_zoo_tensor(zoo, 1);
  ZL_CHECK(!strcmp(t->name, "dense/kernel:0") && t->offset == 10 && t->size == 39990 &&
           !strcmp(t->shape, "(3999, 10)") && t->kind == ZL_TENSOR_KERNEL);
  ZL_CHECK(zl_zoo_tensor(zoo, 2)->kind == ZL_TENSOR_BIAS && zl_zoo_tensor(zoo, 3) == NULL);

  /* Whole file in blocks of 7 rows, dealt round-robin to ranks (rank r gets blocks r, r+size, …).
   */
  float *w = malloc((size_t)7 * P * sizeof *w);
  int ok = 1;
  for (int64_t b0 = 0; b0 < N; b0 += 7 * size) {
    int64_t r = b0 + 7 * rank, m = r >= N ? 0 : N - r < 7 ? N - r : 7;
    ZL_CHECK(zl_zoo_read_weights(zoo, r < N ? r : 0, m, w) == 0);
    ok &= same_bits(w, r, m);
  }
  ZL_CHECK(ok);

  /* Row lists: rank r reads rows r, r + size, … plus a run of consecutive rows; rank 0 reads none
   * in the second call. */
  int64_t rows[N], n = 0;
  for (int64_t r = rank; r < N; r += size)
    rows[n++] = r;
  float *sel = malloc((size_t)N * P * sizeof *sel);
  ZL_CHECK(zl_zoo_read_weight_rows(zoo, rows, n, sel) == 0);
  ok = 1;
  for (int64_t i = 0; i < n; i++)
    ok &= same_bits(sel + i * P, rows[i], 1);
  ZL_CHECK(ok);
  int64_t run_rows[] = {19, 20, 21, 30};
  ZL_CHECK(zl_zoo_read_weight_rows(zoo, run_rows, rank ? 4 : 0, sel) == 0);
  ok = 1;
  for (int i = 0; rank && i < 4; i++)
    ok &= same_bits(sel + i * P, run_rows[i], 1);
  ZL_CHECK(ok);

  double acc[N], lr[N], loss[N], epoch[N];
  int64_t run[N];
  int32_t opt[N];
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_TEST_ACCURACY, ZL_F64, 0, N, acc) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_TEST_LOSS, ZL_F64, 0, N, loss) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_EPOCH, ZL_F64, 0, N, epoch) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, ZL_COL_RUN_ID, ZL_I64, 0, N, run) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, "hparams/learning_rate", ZL_F64, 0, N, lr) == 0);
  ZL_CHECK(zl_zoo_read_column(zoo, "hparams/optimizer", ZL_I32, 0, N, opt) == 0);
  ok = 1;
  for (int64_t r = 0; r < N; r++) {
    ok = ok && (r == 4 ? isnan(acc[r]) : acc[r] == 0.01 * (double)r);
    ok = ok && isnan(loss[r]) && isnan(epoch[r]); /* never written: the NaN fill */
    ok = ok && run[r] == r / 3 && lr[r] == 1e-3 * (double)(r / 3 + 1) && opt[r] == (r / 3) % 3;
  }
  ZL_CHECK(ok);

  int nl = -1;
  ZL_CHECK(zl_zoo_n_hparams(zoo) == 2);
  ZL_CHECK(!strcmp(zl_zoo_hparam_name(zoo, 0), "learning_rate"));
  ZL_CHECK(zl_zoo_hparam_labels(zoo, 0, &nl) == NULL && nl == 0);
  ZL_CHECK(!strcmp(zl_zoo_hparam_name(zoo, 1), "optimizer"));
  const char *const *labels = zl_zoo_hparam_labels(zoo, 1, &nl);
  ZL_CHECK(nl == 3 && labels && !strcmp(labels[0], "adam") && !strcmp(labels[2], "sgd"));

  char **s = NULL;
  int64_t ns = 0;
  ZL_CHECK(zl_zoo_read_strings(zoo, "runs/checkpoint", &s, &ns) == 0);
  ok = ns == N && s && s[N] == NULL;
  for (int64_t r = 0; ok && r < N; r++) {
    char want[32];
    checkpoint_name(r, want, sizeof want);
    ok &= !strcmp(s[r], want);
  }
  ZL_CHECK(ok);
  zl_strings_free(s, ns);

  /* Errors on one rank only reach every rank, tagged with the rank, and nobody hangs. */
  int bad = size - 1;
  rc = zl_zoo_read_weights(zoo, rank == bad ? N - 1 : 0, rank == bad ? 2 : 0, w);
  ZL_CHECK(rc == 1 && strstr(zl_error_message(), "/weights: rows requested outside [0, 37)"));
  if (size > 1) ZL_CHECK(strstr(zl_error_message(), " (rank ") != NULL);
  int64_t unsorted[] = {3, 2};
  ZL_CHECK(zl_zoo_read_weight_rows(zoo, unsorted, rank == bad ? 2 : 0, w) == 1);
  ZL_CHECK(zl_zoo_write_weights(zoo, 0, 0, w) == 1 &&
           strstr(zl_error_message(), "opened read-only"));
  ZL_CHECK(zl_zoo_read_column(zoo, "metrics/nothing", ZL_F64, 0, 0, acc) == 1 &&
           strstr(zl_error_message(), "/metrics/nothing: missing"));
  ZL_CHECK(zl_zoo_commit(&zoo) == 1 && zoo == NULL); /* read-only: nothing to commit */
  free(sel);
  free(w);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  rank = zl_comm_rank(MPI_COMM_WORLD);
  size = zl_comm_size(MPI_COMM_WORLD);
  char path[256], part[262], resumed[256];
  snprintf(path, sizeof path, "test_zoo_np%d.h5", size);
  snprintf(part, sizeof part, "%s.part", path);
  snprintf(resumed, sizeof resumed, "test_zoo_resumed_np%d.h5", size);
  if (rank == 0) {
    /* Stale files from an earlier run must not pass for new ones. */
    unlink(path);
    unlink(part);
    unlink(resumed);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  zl_tensor t[3];
  zl_zoo_spec spec = test_spec(t);
  zl_zoo zoo = NULL;
  int rc = zl_zoo_create(MPI_COMM_WORLD, path, &spec, &zoo);
  ZL_CHECK(rc == 0);
  if (!rc) rc = fill(zoo);
  ZL_CHECK(rc == 0);
  if (rc) fprintf(stderr, "rank %d: %s\n", rank, zl_error_message());
  ZL_CHECK(!exists(path) && exists(part));
  MPI_Barrier(MPI_COMM_WORLD);
  ZL_CHECK(zl_zoo_commit(&zoo) == 0 && zoo == NULL);
  ZL_CHECK(exists(path) && !exists(part));
  check_contents(path);

  /* Resume: a zoo left at .part, reopened for writing, completed and committed. */
  ZL_CHECK(zl_zoo_create(MPI_COMM_WORLD, resumed, &spec, &zoo) == 0);
  zl_zoo_destroy(&zoo);
  ZL_CHECK(zoo == NULL);
  rc = zl_zoo_reopen_part(MPI_COMM_WORLD, resumed, &zoo);
  ZL_CHECK(rc == 0);
  if (!rc) {
    ZL_CHECK(zl_zoo_n_rows(zoo) == N && zl_zoo_n_hparams(zoo) == 0);
    ZL_CHECK(fill(zoo) == 0);
    ZL_CHECK(zl_zoo_commit(&zoo) == 0);
    check_contents(resumed);
  }

  /* Errors every rank sees alike carry no rank. */
  ZL_CHECK(zl_zoo_open(MPI_COMM_WORLD, "no/such.h5", &zoo) == 1 && zoo == NULL);
  ZL_CHECK(!strcmp(zl_error_message(), "no/such.h5: no such file"));
  ZL_CHECK(zl_zoo_create(MPI_COMM_WORLD, "no/such/dir/x.h5", &spec, &zoo) == 1);
  ZL_CHECK(!strcmp(zl_error_message(),
                   "no/such/dir/x.h5.part: cannot create: No such file or directory"));
  t[1].size = 39989;
  ZL_CHECK(zl_zoo_create(MPI_COMM_WORLD, "gap.h5", &spec, &zoo) == 1);
  ZL_CHECK(!strcmp(zl_error_message(), "gap.h5: /layout does not cover the 50000 parameters"));

  return zl_test_finish_mpi();
}
