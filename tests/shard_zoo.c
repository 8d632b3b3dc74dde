/* Splits rows [FROM, N) of a zoo file into K shard files of whole runs, DIR/shard-<i>.h5 numbered
 * from FIRST, as the tasks of a SLURM job array would write them: in seconds, where K singleton
 * `zoolens synth` runs would take minutes. 1 rank; args: ZOO.h5 FROM K DIR FIRST. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_zoo.h"

static const struct {
  const char *name;
  zl_dtype dtype;
} columns[] = {
    {ZL_COL_TEST_ACCURACY, ZL_F64}, {ZL_COL_TRAIN_ACCURACY, ZL_F64}, {ZL_COL_TEST_LOSS, ZL_F64},
    {ZL_COL_TRAIN_LOSS, ZL_F64},    {ZL_COL_RUN_ID, ZL_I64},         {ZL_COL_EPOCH, ZL_F64},
};

/* Copies one per-row column of rows [r0, r0 + n) from src to rows [0, n) of dst. */
static int copy_column(zl_zoo src, zl_zoo dst, const char *col, zl_dtype dtype, int64_t r0,
                       int64_t n, void *buf) {
  ZL_CALL(zl_zoo_read_column(src, col, dtype, r0, n, buf));
  return zl_zoo_write_column(dst, col, dtype, 0, n, buf);
}

/* Writes rows [r0, r1) of src as the zoo file path. */
static int write_shard(zl_zoo src, const zl_tensor *tensors, int64_t r0, int64_t r1,
                       const char *path) {
  int64_t n = r1 - r0, P = zl_zoo_n_params(src);
  zl_zoo_spec spec = {
      zl_zoo_dataset(src), zl_zoo_architecture(src), n, P, zl_zoo_n_tensors(src), tensors};
  zl_zoo dst = NULL;
  float *w = zl_malloc((size_t)(n * P), sizeof(float), "shard weights");
  double *col = zl_malloc((size_t)n, sizeof(double), "shard column");
  int rc = (w && col) ? 0 : ZL_ERR_RUNTIME;
  if (!rc) rc = zl_zoo_create(MPI_COMM_SELF, path, &spec, &dst);
  if (!rc) rc = zl_zoo_read_weights(src, r0, n, w);
  if (!rc) rc = zl_zoo_write_weights(dst, 0, n, w);
  for (size_t c = 0; !rc && c < sizeof columns / sizeof columns[0]; c++)
    rc = copy_column(src, dst, columns[c].name, columns[c].dtype, r0, n, col);
  for (int h = 0; !rc && h < zl_zoo_n_hparams(src); h++) {
    int n_labels = 0;
    const char *const *labels = zl_zoo_hparam_labels(src, h, &n_labels);
    char name[300];
    snprintf(name, sizeof name, "hparams/%s", zl_zoo_hparam_name(src, h));
    rc = zl_zoo_add_hparam(dst, zl_zoo_hparam_name(src, h), labels, n_labels);
    if (!rc) rc = copy_column(src, dst, name, n_labels ? ZL_I32 : ZL_F64, r0, n, col);
  }
  if (!rc) rc = zl_zoo_commit(&dst);
  zl_zoo_destroy(&dst);
  free(w);
  free(col);
  return rc;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  if (argc != 6) {
    fprintf(stderr, "usage: shard_zoo ZOO.h5 FROM K DIR FIRST\n");
    MPI_Finalize();
    return 2;
  }
  long long from = atoll(argv[2]), K = atoll(argv[3]), first = atoll(argv[5]);
  zl_zoo src = NULL;
  int rc = zl_zoo_open(MPI_COMM_SELF, argv[1], &src);
  int64_t N = rc ? 0 : zl_zoo_n_rows(src), *run = NULL;
  zl_tensor *tensors = NULL;
  if (!rc) {
    run = zl_malloc((size_t)N, sizeof *run, "run ids");
    tensors = zl_malloc((size_t)zl_zoo_n_tensors(src), sizeof *tensors, "layout");
    rc = (run && tensors) ? 0 : ZL_ERR_RUNTIME;
  }
  if (!rc) rc = zl_zoo_read_column(src, ZL_COL_RUN_ID, ZL_I64, 0, N, run);
  for (int t = 0; !rc && t < zl_zoo_n_tensors(src); t++)
    tensors[t] = *zl_zoo_tensor(src, t);
  if (!rc && (from < 0 || K < 1 || from + K > N))
    rc = ZL_ERR(ZL_ERR_USAGE, "%s: cannot cut rows [%lld, %lld) into %lld shards", argv[1], from,
                (long long)N, K);
  /* Shard k holds rows [lo, hi): an even cut moved forward to the next run boundary. */
  int64_t lo = from;
  for (long long k = 0; !rc && k < K; k++) {
    int64_t hi = from + (N - from) * (k + 1) / K;
    while (hi < N && hi > 0 && run[hi] == run[hi - 1])
      hi++;
    if (hi <= lo) continue; /* a run longer than a shard: the next shard starts after it */
    char path[4200];
    snprintf(path, sizeof path, "%s/shard-%05lld.h5", argv[4], first + k);
    rc = write_shard(src, tensors, lo, hi, path);
    lo = hi;
  }
  if (rc) fprintf(stderr, "zoolens: %s\n", zl_error_message());
  zl_zoo_destroy(&src);
  free(run);
  free(tensors);
  MPI_Finalize();
  return rc ? 1 : 0;
}
