#include "zl_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_folds.h"

/* On rank 0 every row of every file has a global index g: file f holds [base[f], base[f + 1]). */
typedef struct {
  int64_t run;
  double epoch;
  int64_t g;
} run_row;

static int by_run_epoch_index(const void *a, const void *b) {
  const run_row *x = a, *y = b;
  if (x->run != y->run) return x->run < y->run ? -1 : 1;
  if (x->epoch != y->epoch) return x->epoch < y->epoch ? -1 : 1;
  return (x->g > y->g) - (x->g < y->g);
}

static int by_index(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int file_of(const int64_t *base, int n_files, int64_t g) {
  int f = 0;
  while (f + 1 < n_files && g >= base[f + 1])
    f++;
  return f;
}

/* Rank 0's part: the selected rows in (file, row) order, with targets, runs and folds. */
typedef struct {
  int64_t n;
  int64_t *g;
  double *y;
  int64_t *run;
  int *fold;
  size_t n_runs;
} selection;

static void selection_free(selection *s) {
  free(s->g);
  free(s->run);
  free(s->y);
  free(s->fold);
  memset(s, 0, sizeof *s);
}

/* Picks the rows (the last checkpoint of each run, or all) and checks that no run spans files. */
static int pick_rows(const zl_zoo *files, int n_files, const int64_t *base, const int64_t *run,
                     const double *epoch, zl_checkpoints which, selection *s) {
  int64_t N = base[n_files];
  run_row *rr = zl_malloc((size_t)N, sizeof *rr, "run index");
  s->g = zl_malloc((size_t)N, sizeof(int64_t), "selected rows");
  int rc = (rr && s->g) ? 0 : ZL_ERR_RUNTIME;
  for (int64_t i = 0; !rc && i < N; i++)
    rr[i] = (run_row){run[i], epoch[i], i};
  if (!rc) qsort(rr, (size_t)N, sizeof *rr, by_run_epoch_index);
  s->n = 0;
  for (int64_t i = 0; !rc && i < N; i++) {
    int last = i + 1 == N || rr[i + 1].run != rr[i].run;
    if (!last) {
      int fa = file_of(base, n_files, rr[i].g), fb = file_of(base, n_files, rr[i + 1].g);
      if (fa != fb)
        rc = ZL_ERR(ZL_ERR_RUNTIME,
                    "%s, %s: run %lld is in both files (the files of one zoo "
                    "must hold different runs)",
                    zl_zoo_path(files[fa]), zl_zoo_path(files[fb]), (long long)rr[i].run);
    }
    if (which == ZL_CHECKPOINTS_ALL || last) s->g[s->n++] = rr[i].g;
  }
  free(rr);
  if (!rc) qsort(s->g, (size_t)s->n, sizeof(int64_t), by_index);
  return rc;
}

static int select_on_root(const zl_zoo *files, int n_files, const int64_t *base, const int64_t *run,
                          const double *epoch, const double *acc, zl_checkpoints which, int n_folds,
                          uint64_t seed, selection *s) {
  /* The last checkpoint of a run is the largest epoch: a NaN epoch has no place in that order. */
  for (int64_t g = 0; g < base[n_files]; g++)
    if (!isfinite(epoch[g])) {
      int f = file_of(base, n_files, g);
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: /%s: row %lld is not finite (%g)", zl_zoo_path(files[f]),
                    ZL_COL_EPOCH, (long long)(g - base[f]), epoch[g]);
    }
  ZL_CALL(pick_rows(files, n_files, base, run, epoch, which, s));
  s->y = zl_malloc((size_t)s->n, sizeof(double), "targets");
  s->fold = zl_malloc((size_t)s->n, sizeof(int), "folds");
  s->run = zl_malloc((size_t)s->n, sizeof(int64_t), "run ids");
  int rc = (s->y && s->fold && s->run) ? 0 : ZL_ERR_RUNTIME;
  for (int64_t i = 0; !rc && i < s->n; i++) {
    int64_t g = s->g[i];
    s->y[i] = acc[g];
    s->run[i] = run[g];
    if (!isfinite(s->y[i])) {
      int f = file_of(base, n_files, g);
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /%s: row %lld is not finite (%g)", zl_zoo_path(files[f]),
                  ZL_COL_TEST_ACCURACY, (long long)(g - base[f]), s->y[i]);
    }
  }
  /* Nothing to predict, and R² (1 - SSE / 0) undefined on every fold: an error rather than a
   * report of NaNs. */
  int64_t differ = 1;
  while (!rc && differ < s->n && s->y[differ] == s->y[0])
    differ++;
  if (!rc && s->n > 1 && differ == s->n)
    rc = ZL_ERR(ZL_ERR_RUNTIME,
                "%s: /%s: every network has the same value (%g): R² is undefined, nothing to "
                "predict",
                zl_zoo_path(files[0]), ZL_COL_TEST_ACCURACY, s->y[0]);
  if (!rc && zl_folds_assign(s->run, (size_t)s->n, n_folds, seed, s->fold, &s->n_runs)) {
    char why[ZL_ERROR_MAX];
    snprintf(why, sizeof why, "%s", zl_error_message());
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", zl_zoo_path(files[0]), why);
  }
  return rc;
}

/* Rank 0 reads the columns of every file (the others take part in the collective reads with
 * nothing to read) and selects. */
static int read_and_select(const zl_zoo *files, int n_files, int64_t *base, zl_checkpoints which,
                           int n_folds, uint64_t seed, selection *s) {
  MPI_Comm comm = zl_zoo_comm(files[0]);
  int root = zl_comm_rank(comm) == 0;
  base[0] = 0;
  for (int f = 0; f < n_files; f++)
    base[f + 1] = base[f] + zl_zoo_n_rows(files[f]);
  int64_t N = root ? base[n_files] : 0;
  int64_t *run = zl_malloc((size_t)N, sizeof *run, "run ids");
  double *epoch = zl_malloc((size_t)N, sizeof *epoch, "epochs");
  double *acc = zl_malloc((size_t)N, sizeof *acc, "test accuracies");
  int rc = zl_comm_agree(comm, (run && epoch && acc) ? 0 : ZL_ERR_RUNTIME);
  for (int f = 0; !rc && f < n_files; f++) {
    int64_t n = root ? base[f + 1] - base[f] : 0, at = root ? base[f] : 0;
    rc = zl_zoo_resume(files[f]);
    if (rc) break;
    rc = zl_zoo_read_column(files[f], ZL_COL_RUN_ID, ZL_I64, 0, n, run + at);
    if (!rc) rc = zl_zoo_read_column(files[f], ZL_COL_EPOCH, ZL_F64, 0, n, epoch + at);
    if (!rc) rc = zl_zoo_read_column(files[f], ZL_COL_TEST_ACCURACY, ZL_F64, 0, n, acc + at);
    int suspended = zl_zoo_suspend(files[f]);
    if (!rc) rc = suspended;
  }
  if (!rc && root)
    rc = select_on_root(files, n_files, base, run, epoch, acc, which, n_folds, seed, s);
  free(run);
  free(epoch);
  free(acc);
  return zl_comm_agree(comm, rc);
}

/* Scatters contiguous blocks of the selection, balanced to ±1 row; *g receives this rank's global
 * indices. */
static int scatter(MPI_Comm comm, selection *s, int64_t **g, zl_rows *rows) {
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm);
  int64_t hdr[2] = {s->n, (int64_t)s->n_runs};
  ZL_MPI(MPI_Bcast(hdr, 2, MPI_INT64_T, 0, comm));
  /* Rank 0 holds the whole selection and MPI counts and offsets are ints. */
  if (hdr[0] > INT32_MAX)
    return ZL_ERR(ZL_ERR_RUNTIME, "%lld selected rows exceed MPI's int counts", (long long)hdr[0]);
  int *counts = zl_malloc((size_t)size, sizeof(int), "scatter counts");
  int *displs = zl_malloc((size_t)size, sizeof(int), "scatter offsets");
  int rc = (counts && displs) ? 0 : ZL_ERR_RUNTIME;
  if (!rc) {
    rows->n_total = hdr[0];
    rows->n_runs = hdr[1];
    for (int r = 0; r < size; r++) {
      int64_t lo = hdr[0] * r / size, hi = hdr[0] * (r + 1) / size;
      counts[r] = (int)(hi - lo);
      displs[r] = (int)lo;
    }
    rows->n = counts[rank];
    *g = zl_malloc((size_t)rows->n, sizeof(int64_t), "selected rows");
    rows->y = zl_malloc((size_t)rows->n, sizeof(double), "targets");
    rows->run = zl_malloc((size_t)rows->n, sizeof(int64_t), "run ids");
    rows->fold = zl_malloc((size_t)rows->n, sizeof(int), "folds");
    rows->file = zl_malloc((size_t)rows->n, sizeof(int), "row files");
    rows->row = zl_malloc((size_t)rows->n, sizeof(int64_t), "row indices");
    if (!*g || !rows->y || !rows->run || !rows->fold || !rows->file || !rows->row)
      rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  if (!rc) {
    int m = MPI_Scatterv(s->g, counts, displs, MPI_INT64_T, *g, (int)rows->n, MPI_INT64_T, 0, comm);
    if (m == MPI_SUCCESS)
      m = MPI_Scatterv(s->y, counts, displs, MPI_DOUBLE, rows->y, (int)rows->n, MPI_DOUBLE, 0,
                       comm);
    if (m == MPI_SUCCESS)
      m = MPI_Scatterv(s->run, counts, displs, MPI_INT64_T, rows->run, (int)rows->n, MPI_INT64_T, 0,
                       comm);
    if (m == MPI_SUCCESS)
      m = MPI_Scatterv(s->fold, counts, displs, MPI_INT, rows->fold, (int)rows->n, MPI_INT, 0,
                       comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Scatterv(rows)", __FILE__, __LINE__);
  }
  free(counts);
  free(displs);
  return rc;
}

int zl_rows_select(const zl_zoo *files, int n_files, zl_checkpoints which, int n_folds,
                   uint64_t seed, zl_rows *rows) {
  memset(rows, 0, sizeof *rows);
  MPI_Comm comm = zl_zoo_comm(files[0]);
  selection s = {0};
  int64_t *base = zl_malloc((size_t)n_files + 1, sizeof(int64_t), "file offsets"), *g = NULL;
  int rc = zl_comm_agree(comm, base ? 0 : ZL_ERR_RUNTIME);
  if (!rc) rc = read_and_select(files, n_files, base, which, n_folds, seed, &s);
  if (!rc) rc = scatter(comm, &s, &g, rows);
  for (int64_t i = 0; !rc && i < rows->n; i++) {
    rows->file[i] = file_of(base, n_files, g[i]);
    rows->row[i] = g[i] - base[rows->file[i]];
  }
  selection_free(&s);
  free(base);
  free(g);
  if (rc) zl_rows_free(rows);
  return rc;
}

int64_t zl_rows_used(const zl_rows *rows) {
  int64_t n = 0;
  for (int64_t i = 0; i < rows->n; i++)
    n += rows->fold[i] >= 0;
  return n;
}

void zl_rows_file_range(const zl_rows *rows, int f, int64_t *lo, int64_t *hi) {
  int64_t i = 0;
  while (i < rows->n && rows->file[i] < f)
    i++;
  *lo = i;
  while (i < rows->n && rows->file[i] == f)
    i++;
  *hi = i;
}

void zl_rows_free(zl_rows *rows) {
  free(rows->file);
  free(rows->row);
  free(rows->run);
  free(rows->y);
  free(rows->fold);
  memset(rows, 0, sizeof *rows);
}
