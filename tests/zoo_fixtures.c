/* Fixtures for the import/info tests: tiny zoo dirs, good and broken, broken zoo files (1 rank). */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "zl_comm.h"
#include "zl_test_npy.h"
#include "zl_zoo.h"

static int failed;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "zoo_fixtures: %s failed\n", what);
    failed = 1;
  }
}

/* Arbitrary weights; rows 7 and 8 hold a NaN and an Inf, like diverged runs. */
static float weight(long r, long c) {
  if (r == 7 && c == 3) return NAN;
  if (r == 8 && c == 0) return INFINITY;
  unsigned h = (unsigned)r * 2654435761u ^ ((unsigned)c * 40503u + 17u);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (float)((double)(h % 2000001u) / 1e6 - 1.0) * (c % 7 ? 0.1f : 3.0f);
}

static void write_weights(const char *path, int major, const char *descr, long rows, long cols,
                          long cut_bytes) {
  char dict[160];
  snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%ld, %ld), }",
           descr, rows, cols);
  float *w = malloc((size_t)(rows * cols) * sizeof *w);
  for (long r = 0; r < rows; r++)
    for (long c = 0; c < cols; c++)
      w[r * cols + c] = weight(r, c);
  check(!zl_test_write_npy(path, major, dict, w, rows * cols - cut_bytes / 4, 0), path);
  free(w);
}

static void write_text(const char *path, const char *text, int gz) {
  if (gz) {
    gzFile g = gzopen(path, "wb");
    check(g && gzputs(g, text) >= 0 && gzclose(g) == Z_OK, path);
  } else {
    FILE *f = fopen(path, "wb");
    check(f && fputs(text, f) >= 0 && !fclose(f), path);
  }
}

/* The paper's CNN layout, with the optional size column. */
static const char *const cnn_layout =
    "varname,start_idx,end_idx,size,shape\n"
    "sequential/conv2d/bias:0,0,16,16,\"(16,)\"\n"
    "sequential/conv2d/kernel:0,16,160,144,\"(3, 3, 1, 16)\"\n"
    "sequential/conv2d_1/bias:0,160,176,16,\"(16,)\"\n"
    "sequential/conv2d_1/kernel:0,176,2480,2304,\"(3, 3, 16, 16)\"\n"
    "sequential/conv2d_2/bias:0,2480,2496,16,\"(16,)\"\n"
    "sequential/conv2d_2/kernel:0,2496,4800,2304,\"(3, 3, 16, 16)\"\n"
    "sequential/dense/bias:0,4800,4810,10,\"(10,)\"\n"
    "sequential/dense/kernel:0,4810,4970,160,\"(16, 10)\"\n";

/* One Small CNN Zoo directory; the fields break it in one way each. */
typedef struct {
  const char *dir;
  long rows, cols;
  int npy_major, gz;
  const char *descr;    /* NULL: <f4 */
  long cut_bytes;       /* removed from the end of weights.npy */
  long metrics_rows;    /* 0: rows */
  int layout_end;       /* 0: cols; else the end of the last tensor of the 2-tensor layout */
  int bad_accuracy_row; /* 1-based; 0: none */
  int no_weights, no_layout, no_metrics, no_dataset;
} zoo_dir;

static void metrics_row(char *line, size_t len, long r, const zoo_dir *z) {
  static const char *const optimizer[] = {"sgd", "adam", "rmsprop"};
  long k = r / 3, epoch = 3 * (r % 3);
  char id[32], init_std[32], lr[32], acc[32];
  snprintf(id, sizeof id, "zoo/%05ld", (k * 7919) % 100); /* not in sorted order */
  if (k % 5 == 0)
    snprintf(init_std, sizeof init_std, "None"); /* mixed: categorical */
  else
    snprintf(init_std, sizeof init_std, "%.17g", 1e-3 * (double)(k + 1));
  snprintf(lr, sizeof lr, "%.17g", k == 4 ? NAN : 1e-3 * (double)(k + 1));
  if (r + 1 == z->bad_accuracy_row)
    snprintf(acc, sizeof acc, "abc");
  else if (r == 4)
    acc[0] = '\0'; /* pandas writes NaN so */
  else if (r == 5)
    snprintf(acc, sizeof acc, "nan");
  else
    snprintf(acc, sizeof acc, "%.17g", 0.1 + 0.8 * (double)(r % 97) / 97.0);
  snprintf(line, len,
           "%s/permanent_ckpt-%ld,%s,%s%s,%.17g,%s,%s,%s,%s,%s,%ld,%s,%.17g,%.17g,%.17g\n", id,
           epoch, k % 2 ? "tanh" : "relu", z->no_dataset ? "" : "mnist,", "cnn", 0.02 * (double)k,
           init_std, lr, optimizer[k % 3], k % 4 ? "he_normal" : "\"RandomNormal(0, 0.1)\"", id,
           epoch, acc, 2.3 - 0.01 * (double)r, 0.05 + 0.009 * (double)r, 2.2 - 0.011 * (double)r);
}

static void write_zoo_dir(const zoo_dir *z) {
  char path[512], line[1024];
  mkdir(z->dir, 0777);
  snprintf(path, sizeof path, "%s/weights.npy", z->dir);
  unlink(path);
  if (!z->no_weights)
    write_weights(path, z->npy_major, z->descr ? z->descr : "<f4", z->rows, z->cols, z->cut_bytes);

  snprintf(path, sizeof path, "%s/layout.csv", z->dir);
  unlink(path);
  if (!z->no_layout && z->cols == 4970) {
    write_text(path, cnn_layout, 0);
  } else if (!z->no_layout) {
    /* Without the size column, as the paper's release describes it. */
    int end = z->layout_end ? z->layout_end : (int)z->cols;
    snprintf(
        line, sizeof line,
        "varname,start_idx,end_idx,shape\nd/bias:0,0,10,\"(10,)\"\nd/kernel:0,10,%d,\"(%d,)\"\n",
        end, end - 10);
    write_text(path, line, 0);
  }

  snprintf(path, sizeof path, "%s/metrics.csv.gz", z->dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/metrics.csv", z->dir);
  unlink(path);
  if (z->no_metrics) return;
  if (z->gz) snprintf(path, sizeof path, "%s/metrics.csv.gz", z->dir);
  long n = z->metrics_rows ? z->metrics_rows : z->rows;
  size_t cap = (size_t)(n + 1) * 1024;
  char *text = malloc(cap);
  snprintf(text, cap,
           ",config.activation,%sconfig.dnn_architecture,config.dropout,config.init_std,"
           "config.learning_rate,config.optimizer,config.w_init,modeldir,step,test_accuracy,"
           "test_loss,train_accuracy,train_loss\n",
           z->no_dataset ? "" : "config.dataset,");
  for (long r = 0; r < n; r++) {
    metrics_row(line, sizeof line, r, z);
    strcat(text, line);
  }
  write_text(path, text, z->gz);
  free(text);
}

/* ---- broken zoo files: a valid one, copied and edited with serial HDF5 ---- */

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  char buf[1 << 16];
  size_t n;
  check(in && out, to);
  while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
    fwrite(buf, 1, n, out);
  if (in) fclose(in);
  if (out) check(!fclose(out), to);
}

static void set_int_attr(hid_t f, const char *name, int v) {
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  check(a >= 0 && H5Awrite(a, H5T_NATIVE_INT, &v) >= 0 && H5Aclose(a) >= 0, name);
}

/* Copies good.h5 to `to` and opens the copy for editing. */
static hid_t edit_copy(const char *to) {
  copy_file("good.h5", to);
  hid_t f = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
  check(f >= 0, to);
  return f;
}

static void write_bad_zoos(void) {
  zl_tensor t[2] = {{"d/bias:0", 0, 10, "(10,)", ZL_TENSOR_BIAS},
                    {"d/kernel:0", 10, 20, "(20,)", ZL_TENSOR_KERNEL}};
  zl_zoo_spec spec = {"mnist", "cnn", 37, 30, 2, t};
  zl_zoo zoo = NULL;
  check(!zl_zoo_create(MPI_COMM_SELF, "good.h5", &spec, &zoo) && !zl_zoo_commit(&zoo), "good.h5");

  hid_t f = edit_copy("version2.h5");
  set_int_attr(f, "format_version", 2);
  H5Fclose(f);

  f = edit_copy("shape.h5");
  set_int_attr(f, "n_params", 31);
  H5Fclose(f);

  /* The kernel starts one parameter late: a gap at 10. */
  f = edit_copy("gap.h5");
  hid_t d = H5Dopen2(f, "layout", H5P_DEFAULT), m = H5Tcreate(H5T_COMPOUND, sizeof(int64_t));
  hid_t space = H5Dget_space(d), mem = H5Screate_simple(1, (hsize_t[]){1}, NULL);
  int64_t offset = 11;
  check(H5Tinsert(m, "offset", 0, H5T_NATIVE_INT64) >= 0 &&
            H5Sselect_elements(space, H5S_SELECT_SET, 1, (hsize_t[]){1}) >= 0 &&
            H5Dwrite(d, m, mem, space, H5P_DEFAULT, &offset) >= 0,
        "gap.h5");
  H5Sclose(mem);
  H5Sclose(space);
  H5Tclose(m);
  H5Dclose(d);
  H5Fclose(f);

  /* /metrics/test_loss one row short. */
  f = edit_copy("short.h5");
  space = H5Screate_simple(1, (hsize_t[]){36}, NULL);
  check(H5Ldelete(f, "metrics/test_loss", H5P_DEFAULT) >= 0 &&
            (d = H5Dcreate2(f, "metrics/test_loss", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT)) >= 0,
        "short.h5");
  H5Dclose(d);
  H5Sclose(space);
  H5Fclose(f);

  f = H5Fcreate("notzoo.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  check(f >= 0, "notzoo.h5");
  H5Fclose(f);
  write_text("nothdf5.h5", "weights,metrics\n1,2\n", 0);
  unlink("missing.h5");
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  if (argc != 2 || (mkdir(argv[1], 0777) && access(argv[1], W_OK)) || chdir(argv[1])) {
    fprintf(stderr, "usage: zoo_fixtures DIR (a writable directory)\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  /* Outputs of earlier runs must not pass for new ones. */
  const char *outputs[] = {
      "tiny_gz_np1.h5",   "tiny_gz_np2.h5",   "tiny_gz_np4.h5",   "tiny_csv_np2.h5",
      "dev_mnist_np1.h5", "dev_mnist_np2.h5", "dev_mnist_np4.h5", "out.h5"};
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
    unlink(outputs[i]);

  const zoo_dir dirs[] = {
      {.dir = "tiny_gz", .rows = 105, .cols = 4970, .npy_major = 1, .gz = 1},
      {.dir = "tiny_csv", .rows = 37, .cols = 30, .npy_major = 2},
      {.dir = "bad_truncated", .rows = 37, .cols = 30, .npy_major = 1, .cut_bytes = 40},
      {.dir = "bad_dtype", .rows = 37, .cols = 30, .npy_major = 1, .descr = "<f8"},
      {.dir = "bad_rows", .rows = 37, .cols = 30, .npy_major = 1, .metrics_rows = 36},
      {.dir = "bad_layout", .rows = 37, .cols = 30, .npy_major = 1, .layout_end = 29},
      {.dir = "bad_accuracy", .rows = 37, .cols = 30, .npy_major = 1, .bad_accuracy_row = 3},
      {.dir = "bad_noweights", .rows = 37, .cols = 30, .npy_major = 1, .no_weights = 1},
      {.dir = "bad_nolayout", .rows = 37, .cols = 30, .npy_major = 1, .no_layout = 1},
      {.dir = "bad_nometrics", .rows = 37, .cols = 30, .npy_major = 1, .no_metrics = 1},
      {.dir = "bad_noname", .rows = 37, .cols = 30, .npy_major = 1, .no_dataset = 1},
  };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    write_zoo_dir(&dirs[i]);
  write_bad_zoos();
  printf("zoo_fixtures: %s\n", failed ? "FAILED" : "written");
  MPI_Finalize();
  return failed;
}
