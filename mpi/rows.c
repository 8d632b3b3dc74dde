#include "zl_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_folds.h"

typedef struct {
  int64_t run;
  double epoch;
  int64_t row;
} run_row;

static int by_run_epoch_row(const void *a, const void *b) {
  const run_row *x = a, *y = b;
  if (x->run != y->run) return x->run < y->run ? -1 : 1;
  if (x->epoch != y->epoch) return x->epoch < y->epoch ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

static int by_index(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Rank 0's part: the selected rows in file order, with targets and folds. */
typedef struct {
  int64_t n;
  int64_t *row;
  double *y;
  int64_t *run;
  int *fold;
  size_t n_runs;
} selection;

static void selection_free(selection *s) {
  free(s->row);
  free(s->run);
  free(s->y);
  free(s->fold);
  memset(s, 0, sizeof *s);
}

static int select_on_root(zl_zoo zoo, const int64_t *run, const double *epoch, const double *acc,
                          zl_checkpoints which, int n_folds, uint64_t seed, selection *s) {
  int64_t N = zl_zoo_n_rows(zoo);
  s->row = zl_malloc((size_t)N, sizeof(int64_t), "selected rows");
  if (!s->row) return ZL_ERR_RUNTIME;
  if (which == ZL_CHECKPOINTS_ALL) {
    for (int64_t i = 0; i < N; i++) s->row[i] = i;
    s->n = N;
  } else {
    run_row *rr = zl_malloc((size_t)N, sizeof *rr, "run index");
    if (!rr) return ZL_ERR_RUNTIME;
    for (int64_t i = 0; i < N; i++) rr[i] = (run_row){run[i], epoch[i], i};
    qsort(rr, (size_t)N, sizeof *rr, by_run_epoch_row);
    s->n = 0;
    for (int64_t i = 0; i < N; i++)
      if (i + 1 == N || rr[i + 1].run != rr[i].run) s->row[s->n++] = rr[i].row;
    free(rr);
    qsort(s->row, (size_t)s->n, sizeof(int64_t), by_index);
  }
  s->y = zl_malloc((size_t)s->n, sizeof(double), "targets");
  s->fold = zl_malloc((size_t)s->n, sizeof(int), "folds");
  s->run = zl_malloc((size_t)s->n, sizeof(int64_t), "run ids");
  int rc = (s->y && s->fold && s->run) ? 0 : ZL_ERR_RUNTIME;
  for (int64_t i = 0; !rc && i < s->n; i++) {
    s->y[i] = acc[s->row[i]];
    s->run[i] = run[s->row[i]];
    if (!isfinite(s->y[i]))
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /%s: row %lld is not finite (%g)", zl_zoo_path(zoo),
                  ZL_COL_TEST_ACCURACY, (long long)s->row[i], s->y[i]);
  }
  if (!rc && zl_folds_assign(s->run, (size_t)s->n, n_folds, seed, s->fold, &s->n_runs)) {
    char why[ZL_ERROR_MAX];
    snprintf(why, sizeof why, "%s", zl_error_message());
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", zl_zoo_path(zoo), why);
  }
  return rc;
}

int zl_rows_select(zl_zoo zoo, zl_checkpoints which, int n_folds, uint64_t seed, zl_rows *rows) {
  memset(rows, 0, sizeof *rows);
  MPI_Comm comm = zl_zoo_comm(zoo);
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm);
  int64_t N = zl_zoo_n_rows(zoo), n_read = rank == 0 ? N : 0;
  int64_t *run = NULL;
  double *epoch = NULL, *acc = NULL;
  selection s = {0};
  int rc = 0;
  if (rank == 0) {
    run = zl_malloc((size_t)N, sizeof *run, "run ids");
    epoch = zl_malloc((size_t)N, sizeof *epoch, "epochs");
    acc = zl_malloc((size_t)N, sizeof *acc, "test accuracies");
    if (!run || !epoch || !acc) rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  if (!rc) rc = zl_zoo_read_column(zoo, ZL_COL_RUN_ID, ZL_I64, 0, n_read, run);
  if (!rc) rc = zl_zoo_read_column(zoo, ZL_COL_EPOCH, ZL_F64, 0, n_read, epoch);
  if (!rc) rc = zl_zoo_read_column(zoo, ZL_COL_TEST_ACCURACY, ZL_F64, 0, n_read, acc);
  if (!rc && rank == 0) rc = select_on_root(zoo, run, epoch, acc, which, n_folds, seed, &s);
  free(run);
  free(epoch);
  free(acc);
  rc = zl_comm_agree(comm, rc);

  /* Scatter contiguous blocks of the selection, balanced to ±1 row. */
  int64_t hdr[2] = {s.n, (int64_t)s.n_runs};
  int *counts = NULL, *displs = NULL;
  if (!rc) {
    int m = MPI_Bcast(hdr, 2, MPI_INT64_T, 0, comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Bcast(selection size)", __FILE__, __LINE__);
  }
  if (!rc && hdr[0] / size > INT32_MAX)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %lld rows per rank exceed MPI's int counts",
                zl_zoo_path(zoo), (long long)(hdr[0] / size));
  if (!rc) {
    counts = zl_malloc((size_t)size, sizeof(int), "scatter counts");
    displs = zl_malloc((size_t)size, sizeof(int), "scatter offsets");
    if (!counts || !displs) rc = ZL_ERR_RUNTIME;
  }
  if (!rc) {
    rows->n_total = hdr[0];
    rows->n_runs = hdr[1];
    for (int r = 0; r < size; r++) {
      int64_t lo = hdr[0] * r / size, hi = hdr[0] * (r + 1) / size;
      counts[r] = (int)(hi - lo);
      displs[r] = (int)lo; /* fits: rank 0 holds the whole selection in memory with int counts */
    }
    rows->n = counts[rank];
    rows->row = zl_malloc((size_t)rows->n, sizeof(int64_t), "row indices");
    rows->y = zl_malloc((size_t)rows->n, sizeof(double), "targets");
    rows->run = zl_malloc((size_t)rows->n, sizeof(int64_t), "run ids");
    rows->fold = zl_malloc((size_t)rows->n, sizeof(int), "folds");
    if (!rows->row || !rows->y || !rows->run || !rows->fold) rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  if (!rc) {
    int m = MPI_Scatterv(s.row, counts, displs, MPI_INT64_T, rows->row, (int)rows->n, MPI_INT64_T,
                         0, comm);
    if (m == MPI_SUCCESS)
      m = MPI_Scatterv(s.y, counts, displs, MPI_DOUBLE, rows->y, (int)rows->n, MPI_DOUBLE, 0, comm);
    if (m == MPI_SUCCESS)
      m = MPI_Scatterv(s.run, counts, displs, MPI_INT64_T, rows->run, (int)rows->n, MPI_INT64_T, 0,
                       comm);
    if (m == MPI_SUCCESS)
      m = MPI_Scatterv(s.fold, counts, displs, MPI_INT, rows->fold, (int)rows->n, MPI_INT, 0, comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Scatterv(rows)", __FILE__, __LINE__);
  }
  selection_free(&s);
  free(counts);
  free(displs);
  if (rc) zl_rows_free(rows);
  return rc;
}

void zl_rows_free(zl_rows *rows) {
  free(rows->row);
  free(rows->run);
  free(rows->y);
  free(rows->fold);
  memset(rows, 0, sizeof *rows);
}
