#include "zl_features.h"

#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_progress.h"

int zl_features_wstats_count(zl_zoo zoo) {
  return ZL_WSTATS_PER_TENSOR * zl_zoo_n_tensors(zoo);
}

int zl_features_wstats(zl_zoo zoo, zl_rows *rows, zl_spread spread, double *X, int64_t *dropped,
                       double *t_read, double *t_features) {
  MPI_Comm comm = zl_zoo_comm(zoo);
  const int T = zl_zoo_n_tensors(zoo), F = ZL_WSTATS_PER_TENSOR * T;
  const int64_t P = zl_zoo_n_params(zoo);
  int64_t B = zl_zoo_block_rows(zoo, ZL_FEATURES_BLOCK_BYTES);
  int64_t max_size = 1;
  int64_t *offset = zl_malloc((size_t)T, sizeof(int64_t), "layout offsets");
  int64_t *size = zl_malloc((size_t)T, sizeof(int64_t), "layout sizes");
  float *buf = zl_malloc((size_t)(B * P), sizeof(float), "weights block");
  float *scratch = NULL;
  int rc = (offset && size && buf) ? 0 : ZL_ERR_RUNTIME;
  for (int t = 0; !rc && t < T; t++) {
    offset[t] = zl_zoo_tensor(zoo, t)->offset;
    size[t] = zl_zoo_tensor(zoo, t)->size;
    if (size[t] > max_size) max_size = size[t];
  }
  if (!rc) {
    scratch = zl_malloc((size_t)max_size, sizeof(float), "selection scratch");
    if (!scratch) rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  /* Every rank makes the same number of collective reads; ranks out of rows read none. */
  int64_t my_blocks = (rows->n + B - 1) / B, n_blocks = 0, local_dropped = 0;
  if (!rc) {
    int m = MPI_Allreduce(&my_blocks, &n_blocks, 1, MPI_INT64_T, MPI_MAX, comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Allreduce(block count)", __FILE__, __LINE__);
  }
  zl_progress prog;
  zl_progress_start(&prog, comm, "read + W-stats", "networks", rows->n_total, rows->n);
  *t_read = *t_features = 0.0;
  for (int64_t b = 0; !rc && b < n_blocks; b++) {
    int64_t lo = b * B < rows->n ? b * B : rows->n;
    int64_t cnt = rows->n - lo < B ? rows->n - lo : B;
    double t0 = MPI_Wtime();
    rc = zl_zoo_read_weight_rows(zoo, rows->row + lo, cnt, buf);
    double t1 = MPI_Wtime();
    *t_read += t1 - t0;
    for (int64_t i = 0; !rc && i < cnt; i++) {
      const float *w = buf + i * P;
      double *x = X + (lo + i) * F;
      if (!zl_all_finite(w, (size_t)P)) {
        rows->fold[lo + i] = -1;
        memset(x, 0, sizeof(double) * (size_t)F);
        local_dropped++;
        continue;
      }
      zl_wstats_row(w, T, offset, size, spread, scratch, x);
    }
    *t_features += MPI_Wtime() - t1;
    zl_progress_update(&prog, lo + cnt);
  }
  if (!rc) zl_progress_end(&prog);
  free(offset);
  free(size);
  free(buf);
  free(scratch);
  rc = zl_comm_agree(comm, rc);
  if (!rc) ZL_MPI(MPI_Allreduce(&local_dropped, dropped, 1, MPI_INT64_T, MPI_SUM, comm));
  return rc;
}
