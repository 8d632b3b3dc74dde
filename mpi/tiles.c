#include "zl_tiles.h"

#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"

/* First tile of rank r when n_tiles are dealt over size ranks in contiguous, balanced runs. */
static int64_t first_tile(int64_t n_tiles, int size, int r) {
  return n_tiles / size * r + (r < n_tiles % size ? r : n_tiles % size);
}

/* The rank holding tile t. */
static int tile_owner(int64_t n_tiles, int size, int64_t t) {
  int lo = 0, hi = size - 1;
  while (lo < hi) { /* the last rank whose first tile is <= t */
    int mid = (lo + hi + 1) / 2;
    if (first_tile(n_tiles, size, mid) <= t)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

static int alltoallv(const zl_tiles *t, const void *src, void *dst, MPI_Datatype type,
                     int reverse) {
  const int *sc = reverse ? t->recv_counts : t->send_counts;
  const int *sd = reverse ? t->recv_displs : t->send_displs;
  const int *rc = reverse ? t->send_counts : t->recv_counts;
  const int *rd = reverse ? t->send_displs : t->recv_displs;
  ZL_MPI(MPI_Alltoallv(src, sc, sd, type, dst, rc, rd, type, t->comm));
  return 0;
}

int zl_tiles_create(MPI_Comm comm, const zl_rows *rows, const double *X, int F, zl_tiles *t) {
  memset(t, 0, sizeof *t);
  t->comm = comm;
  t->F = F;
  t->n_rows = rows->n;
  int size = zl_comm_size(comm), rank = zl_comm_rank(comm);
  int64_t off = 0, n = rows->n;
  ZL_MPI(MPI_Exscan(&n, &off, 1, MPI_INT64_T, MPI_SUM, comm));
  if (rank == 0) off = 0;
  ZL_MPI(MPI_Allreduce(&n, &t->n_total, 1, MPI_INT64_T, MPI_SUM, comm));
  int64_t n_tiles = (t->n_total + ZL_TILE_ROWS - 1) / ZL_TILE_ROWS;
  t->send_counts = zl_calloc((size_t)size, sizeof(int), "tile exchange");
  t->send_displs = zl_calloc((size_t)size, sizeof(int), "tile exchange");
  t->recv_counts = zl_calloc((size_t)size, sizeof(int), "tile exchange");
  t->recv_displs = zl_calloc((size_t)size, sizeof(int), "tile exchange");
  int rc =
      (t->send_counts && t->send_displs && t->recv_counts && t->recv_displs) ? 0 : ZL_ERR_RUNTIME;
  if (!rc && (n_tiles * ZL_TILE_ROWS > INT32_MAX || n > INT32_MAX))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%lld rows exceed MPI's int counts", (long long)t->n_total);
  for (int64_t i = 0; !rc && i < n; i++)
    t->send_counts[tile_owner(n_tiles, size, (off + i) / ZL_TILE_ROWS)]++;
  rc = zl_comm_agree(comm, rc);
  if (rc) return rc;
  ZL_MPI(MPI_Alltoall(t->send_counts, 1, MPI_INT, t->recv_counts, 1, MPI_INT, comm));
  for (int r = 1; r < size; r++) {
    t->send_displs[r] = t->send_displs[r - 1] + t->send_counts[r - 1];
    t->recv_displs[r] = t->recv_displs[r - 1] + t->recv_counts[r - 1];
  }
  t->n = (int64_t)t->recv_displs[size - 1] + t->recv_counts[size - 1];
  t->first = first_tile(n_tiles, size, rank) * ZL_TILE_ROWS;
  size_t m = t->n > 0 ? (size_t)t->n : 1;
  t->X = zl_malloc_large(m, sizeof(double) * (size_t)(F > 0 ? F : 1), "tiled features");
  t->y = zl_malloc(m, sizeof(double), "tiled targets");
  t->fold = zl_malloc(m, sizeof(int), "tiled folds");
  rc = zl_comm_agree(comm, (t->X && t->y && t->fold) ? 0 : ZL_ERR_RUNTIME);
  if (rc) return rc;
  MPI_Datatype row;
  ZL_MPI(MPI_Type_contiguous(F, MPI_DOUBLE, &row));
  ZL_MPI(MPI_Type_commit(&row));
  rc = alltoallv(t, X, t->X, row, 0);
  MPI_Type_free(&row);
  if (!rc) rc = alltoallv(t, rows->y, t->y, MPI_DOUBLE, 0);
  if (!rc) rc = alltoallv(t, rows->fold, t->fold, MPI_INT, 0);
  if (rc) return rc;
  int64_t used = 0;
  for (int64_t i = 0; i < t->n; i++)
    used += t->fold[i] >= 0;
  t->used_before = 0;
  ZL_MPI(MPI_Exscan(&used, &t->used_before, 1, MPI_INT64_T, MPI_SUM, comm));
  if (rank == 0) t->used_before = 0;
  ZL_MPI(MPI_Allreduce(&used, &t->used_total, 1, MPI_INT64_T, MPI_SUM, comm));
  return 0;
}

int zl_tiles_return(const zl_tiles *t, const double *v, double *out) {
  return alltoallv(t, v, out, MPI_DOUBLE, 1);
}

int64_t zl_tiles_count(const zl_tiles *t) {
  return (t->n + ZL_TILE_ROWS - 1) / ZL_TILE_ROWS;
}

void zl_tiles_range(const zl_tiles *t, int64_t j, int64_t *i0, int64_t *n) {
  *i0 = j * ZL_TILE_ROWS;
  *n = t->n - *i0 < ZL_TILE_ROWS ? t->n - *i0 : ZL_TILE_ROWS;
}

static void xint_sum(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;
  zl_xsum_merge(inout, in, (size_t)*len);
}

int zl_xsum_allreduce(MPI_Comm comm, zl_xint *acc, size_t n) {
  MPI_Datatype type;
  MPI_Op op;
  ZL_MPI(MPI_Type_contiguous((int)sizeof(zl_xint), MPI_BYTE, &type));
  ZL_MPI(MPI_Type_commit(&type));
  int m = MPI_Op_create(xint_sum, 1, &op);
  int rc = m == MPI_SUCCESS ? zl_comm_allreduce(comm, acc, n, type, op)
                            : zl_mpi_error(m, "MPI_Op_create(exact sums)", __FILE__, __LINE__);
  if (m == MPI_SUCCESS) MPI_Op_free(&op);
  MPI_Type_free(&type);
  return rc;
}

void zl_tiles_free(zl_tiles *t) {
  free(t->X);
  free(t->y);
  free(t->fold);
  free(t->send_counts);
  free(t->send_displs);
  free(t->recv_counts);
  free(t->recv_displs);
  memset(t, 0, sizeof *t);
}
