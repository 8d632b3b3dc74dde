/* Hostile HDF5 headers (issue 11, item 7): zoo files whose datasets claim extents the file cannot
 * hold (chunked, chunks never written, so the file stays small) fail zl_zoo_open or the string read
 * with the exact message, before anything is sized by the claim. Run under `ulimit -v 1000000` by
 * tests/hostile.cmake, on any number of ranks. Leaves huge_weights.h5 in DIR for the zoolens info
 * and analyze tests, and Small CNN Zoo directories for the import tests: huge_npy (weights.npy
 * claiming 10^12 rows), wide_layout (a layout.csv header of 100000 fields), many_tensors (31
 * tensors for 30 parameters) and long_metrics (a
 * metrics.csv.gz field of 2 MiB). usage: hostile_zoo DIR */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "zl_comm.h"
#include "zl_error.h"
#include "zl_test.h"
#include "zl_test_npy.h"
#include "zl_zoo.h"

static void copy_good(const char *to) {
  FILE *in = fopen("good.h5", "rb"), *out = fopen(to, "wb");
  char buf[1 << 16];
  size_t n;
  ZL_CHECK(in && out);
  while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
    fwrite(buf, 1, n, out);
  if (in) fclose(in);
  if (out) ZL_CHECK(!fclose(out));
}

/* Replaces dataset `name` of `to` by one of the same type and the claimed extent, chunked by one
 * element (or row) along the first dimension, nothing written. */
static void claim(const char *to, const char *name, int ndims, const hsize_t *dims) {
  hid_t f = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT), type = H5Dget_type(d);
  H5Dclose(d);
  hsize_t chunk[2] = {1, ndims > 1 ? dims[1] : 1};
  hid_t space = H5Screate_simple(ndims, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  ZL_CHECK(f >= 0 && H5Ldelete(f, name, H5P_DEFAULT) >= 0 && H5Pset_chunk(dcpl, ndims, chunk) >= 0);
  ZL_CHECK((d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) >= 0);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Tclose(type);
  ZL_CHECK(H5Fclose(f) >= 0);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ZL_CHECK(f && fputs(text, f) >= 0 && !fclose(f));
}

/* Directories for zoolens import, each hostile in one file and valid before it (the importer reads
 * weights.npy, then layout.csv, then metrics). */
static void write_import_dirs(void) {
  static const float w[60];
  const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 30), }";
  const char *layout = "varname,start_idx,end_idx,shape\nd/bias:0,0,10,\"(10,)\"\n"
                       "d/kernel:0,10,30,\"(20,)\"\n";
  mkdir("huge_npy", 0777);
  zl_test_write_npy("huge_npy/weights.npy", 1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 4970), }", w,
                    4, 0);
  mkdir("wide_layout", 0777);
  zl_test_write_npy("wide_layout/weights.npy", 1, dict, w, 60, 0);
  FILE *f = fopen("wide_layout/layout.csv", "wb");
  for (int i = 1; f && i < 100000; i++)
    fputc(',', f);
  ZL_CHECK(f && fputc('\n', f) != EOF && !fclose(f));
  mkdir("long_metrics", 0777);
  zl_test_write_npy("long_metrics/weights.npy", 1, dict, w, 60, 0);
  write_text("long_metrics/layout.csv", layout);
  /* More tensors than parameters: each holds at least one. */
  mkdir("many_tensors", 0777);
  zl_test_write_npy("many_tensors/weights.npy", 1, dict, w, 60, 0);
  f = fopen("many_tensors/layout.csv", "wb");
  ZL_CHECK(f && fputs("varname,start_idx,end_idx,shape\n", f) >= 0);
  for (int i = 0; f && i < 31; i++)
    fprintf(f, "d%d/bias:0,%d,%d,\"(1,)\"\n", i, i, i + 1);
  ZL_CHECK(f && !fclose(f));
  gzFile gz = gzopen("long_metrics/metrics.csv.gz", "wb");
  ZL_CHECK(gz && gzputs(gz, "test_accuracy,config.dataset\n0.5,") > 0);
  for (int i = 0; i < 2 << 20; i++)
    gzputc(gz, 'x');
  ZL_CHECK(gzclose(gz) == Z_OK);
}

/* A copy of good.h5 whose /weights and per-row columns all claim n rows: consistent, so only the
 * file size gives the claim away. */
static void claim_rows(const char *to, hsize_t n) {
  const char *columns[] = {"metrics/test_accuracy", "metrics/train_accuracy",
                           "metrics/test_loss",     "metrics/train_loss",
                           "runs/run_id",           "runs/epoch"};
  copy_good(to);
  claim(to, "weights", 2, (hsize_t[]){n, 30});
  for (size_t i = 0; i < sizeof columns / sizeof *columns; i++)
    claim(to, columns[i], 1, (hsize_t[]){n});
}

static long long file_bytes(const char *path) {
  struct stat st;
  return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* The stored element size of dataset `name`, as the message reports it. */
static size_t elem_size(const char *path, const char *name) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t type = H5Dget_type(d);
  size_t size = H5Tget_size(type);
  H5Tclose(type);
  H5Dclose(d);
  H5Fclose(f);
  return size;
}

static void expect(int rc, const char *want) {
  ZL_CHECK(rc == ZL_ERR_RUNTIME);
  ZL_CHECK(!strcmp(zl_error_message(), want));
  if (strcmp(zl_error_message(), want))
    fprintf(stderr, "  got:      %s\n  expected: %s\n", zl_error_message(), want);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc != 2 || chdir(argv[1])) {
    fprintf(stderr, "usage: hostile_zoo DIR (an existing directory)\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  char want[512];
  zl_zoo zoo = NULL;
  if (rank == 0) {
    zl_tensor t[2] = {{"d/bias:0", 0, 10, "(10,)", ZL_TENSOR_BIAS},
                      {"d/kernel:0", 10, 20, "(20,)", ZL_TENSOR_KERNEL}};
    zl_zoo_spec spec = {"mnist", "cnn", 37, 30, 2, t};
    const char *names[] = {"run-a", "run-b"};
    ZL_CHECK(!zl_zoo_create(MPI_COMM_SELF, "good.h5", &spec, &zoo) &&
             !zl_zoo_write_strings(zoo, "runs/name", names, 2) && !zl_zoo_commit(&zoo));
    claim_rows("huge_weights.h5", 1000000000000);
    claim_rows("wrap_weights.h5", (hsize_t)1 << 62);
    copy_good("huge_layout.h5");
    claim("huge_layout.h5", "layout", 1, (hsize_t[]){2000000000});
    copy_good("huge_strings.h5");
    claim("huge_strings.h5", "runs/name", 1, (hsize_t[]){1000000000000});
    write_import_dirs();
  }
  MPI_Barrier(MPI_COMM_WORLD);

  /* 10^12 rows of 30 floats in a file of a few KB: the claim fails at once. */
  snprintf(want, sizeof want,
           "huge_weights.h5: /weights: shape [1000000000000, 30] of 4-byte elements does not fit "
           "in the file's %lld bytes",
           file_bytes("huge_weights.h5"));
  expect(zl_zoo_open(MPI_COMM_WORLD, "huge_weights.h5", &zoo), want);
  /* 2^62 x 30 x 4 bytes wraps around 64 bits: refused, not compared modulo 2^64. */
  snprintf(want, sizeof want,
           "wrap_weights.h5: /weights: shape [4611686018427387904, 30] of 4-byte elements does not "
           "fit in the file's %lld bytes",
           file_bytes("wrap_weights.h5"));
  expect(zl_zoo_open(MPI_COMM_WORLD, "wrap_weights.h5", &zoo), want);
  /* 2 * 10^9 tensors would be 430 GB of zl_tensor. */
  snprintf(want, sizeof want,
           "huge_layout.h5: /layout: shape [2000000000] of %zu-byte elements does not fit in the "
           "file's %lld bytes",
           elem_size("huge_layout.h5", "layout"), file_bytes("huge_layout.h5"));
  expect(zl_zoo_open(MPI_COMM_WORLD, "huge_layout.h5", &zoo), want);
  /* A string dataset of 10^12 entries: refused before its buffer is allocated. */
  int rc = zl_zoo_open(MPI_COMM_WORLD, "huge_strings.h5", &zoo);
  ZL_CHECK(rc == 0);
  if (!rc) {
    char **s = NULL;
    int64_t n = 0;
    snprintf(want, sizeof want,
             "huge_strings.h5: /runs/name: shape [1000000000000] of %zu-byte elements does not fit "
             "in the file's %lld bytes",
             elem_size("huge_strings.h5", "runs/name"), file_bytes("huge_strings.h5"));
    expect(zl_zoo_read_strings(zoo, "runs/name", &s, &n), want);
    ZL_CHECK(s == NULL && n == 0);
    zl_zoo_destroy(&zoo);
  }
  int failed = zl_test_finish();
  MPI_Finalize();
  return failed;
}
