/* libFuzzer harness (1 process, MPI on MPI_COMM_SELF): the zoo-file validator, zl_zoo_open. The
 * input is not the file's bytes: flipping bytes of an HDF5 file mostly exercises HDF5's own
 * checksums and parsers (not zoolens's), so the input instead chooses a zoo's metadata, and the
 * harness writes a well-formed HDF5 file that holds it, with the root attributes (format,
 * format_version, dataset, architecture, n_params) present or missing and of either type,
 * /weights of any shape and type, a /layout table with any offsets, sizes, names and kinds, the
 * per-row columns with right and wrong lengths and types, and /hparams numeric, categorical (with
 * labels fixed- or variable-length, or none) or strings. zl_zoo_open must refuse it with a
 * message, or accept it, and then its getters agree with the file, and reading a row is safe. */
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "zl_error.h"
#include "zl_zoo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a stream of choices; past its end every choice is 0. */
typedef struct {
  const uint8_t *p, *end;
} input;

static unsigned take(input *in) {
  return in->p < in->end ? *in->p++ : 0;
}

/* A string of up to max bytes taken from the input (NULs end it early). */
static void take_string(input *in, char *s, size_t max) {
  size_t n = take(in) % (max + 1), i = 0;
  for (; i < n; i++)
    if (!(s[i] = (char)take(in))) break;
  s[i] = '\0';
}

/* A small integer, sometimes one at the edges of int64. */
static int64_t take_int(input *in, int64_t typical) {
  unsigned b = take(in);
  switch (b) {
  case 255:
    return INT64_MAX;
  case 254:
    return INT64_MIN;
  case 253:
    return (int64_t)1 << 40;
  case 252:
    return typical;
  default:
    return (int64_t)(b % 64) - 2;
  }
}

static void attr_string(hid_t obj, const char *name, const char *const *s, int n, int variable) {
  hid_t t = H5Tcopy(H5T_C_S1);
  size_t w = 1;
  for (int i = 0; i < n; i++)
    if (strlen(s[i]) + 1 > w) w = strlen(s[i]) + 1;
  H5Tset_size(t, variable ? H5T_VARIABLE : w);
  hsize_t dim = (hsize_t)n;
  hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
  hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  if (variable) {
    H5Awrite(a, t, s);
  } else {
    char *buf = calloc((size_t)(n ? n : 1), w);
    for (int i = 0; buf && i < n; i++)
      memcpy(buf + (size_t)i * w, s[i], strlen(s[i]));
    H5Awrite(a, t, buf);
    free(buf);
  }
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

static void attr_int(hid_t obj, const char *name, int64_t v, int as_double) {
  hid_t sp = H5Screate(H5S_SCALAR);
  double d = (double)v;
  hid_t a = H5Acreate2(obj, name, as_double ? H5T_IEEE_F64LE : H5T_STD_I64LE, sp, H5P_DEFAULT,
                       H5P_DEFAULT);
  H5Awrite(a, as_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, as_double ? (void *)&d : &v);
  H5Aclose(a);
  H5Sclose(sp);
}

/* A root attribute: missing, a string, an integer or a float, as the input says. */
static void root_attr(input *in, hid_t f, const char *name, const char *good, int64_t good_int) {
  char s[40];
  unsigned how = take(in) % 8;
  if (how == 0) return;
  if (how == 1) {
    take_string(in, s, sizeof s - 1);
    const char *v = s;
    attr_string(f, name, &v, 1, take(in) & 1);
  } else if (how == 2) {
    const char *two[] = {good ? good : "a", "b"};
    attr_string(f, name, two, 2, 0);
  } else if (how == 3) {
    attr_int(f, name, take_int(in, good_int), take(in) & 1);
  } else if (good) {
    attr_string(f, name, &good, 1, how == 4);
  } else {
    attr_int(f, name, good_int, 0);
  }
}

/* A dataset of ndims (1 or 2) with dims, of type t, its elements all zero (HDF5's fill). */
static hid_t make_dataset(hid_t f, const char *name, hid_t t, int ndims, const hsize_t *dims) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t sp = H5Screate_simple(ndims, dims, NULL);
  hid_t d = H5Dcreate2(f, name, t, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Sclose(sp);
  H5Pclose(lcpl);
  return d;
}

/* The /layout record as zoolens writes it (mpi/zoo.c, layout_type), filled from the input. */
typedef struct {
  char name[128];
  int64_t offset, size;
  char shape[64];
  int8_t kind;
} layout_row;

static void write_layout(input *in, hid_t f, int64_t n_params) {
  unsigned n = take(in) % 6, how = take(in) % 8;
  if (how == 0) return; /* missing */
  if (how == 1) {       /* not a table */
    hsize_t dim = n;
    hid_t d = make_dataset(f, "layout", H5T_STD_I64LE, 1, &dim);
    H5Dclose(d);
    return;
  }
  layout_row rows[6];
  memset(rows, 0, sizeof rows);
  int64_t at = 0;
  for (unsigned i = 0; i < n; i++) {
    take_string(in, rows[i].name, sizeof rows[i].name - 1);
    take_string(in, rows[i].shape, sizeof rows[i].shape - 1);
    /* Mostly a tiling of [0, n_params) (when n_params leaves room for n tensors), else whatever
     * the input says. */
    int exact = how > 3 && n_params >= (int64_t)n;
    int64_t size = exact ? (i + 1 == n ? n_params - at : 1) : take_int(in, n_params);
    rows[i].offset = exact ? at : take_int(in, at);
    rows[i].size = size;
    rows[i].kind = (int8_t)(take(in) % 3);
    at += exact ? size : 0;
  }
  hid_t name = H5Tcopy(H5T_C_S1), shape = H5Tcopy(H5T_C_S1), kind = H5Tenum_create(H5T_STD_I8LE);
  H5Tset_size(name, sizeof rows[0].name);
  H5Tset_size(shape, sizeof rows[0].shape);
  int8_t k0 = 0, k1 = 1;
  H5Tenum_insert(kind, "kernel", &k0);
  H5Tenum_insert(kind, how == 2 ? "weights" : "bias", &k1); /* how 2: a member it does not know */
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(layout_row));
  H5Tinsert(t, "name", HOFFSET(layout_row, name), name);
  H5Tinsert(t, how == 3 ? "start" : "offset", HOFFSET(layout_row, offset), H5T_STD_I64LE);
  H5Tinsert(t, "size", HOFFSET(layout_row, size), H5T_STD_I64LE);
  H5Tinsert(t, "shape", HOFFSET(layout_row, shape), shape);
  H5Tinsert(t, "kind", HOFFSET(layout_row, kind), kind);
  hsize_t dim = n;
  hid_t d = make_dataset(f, "layout", t, 1, &dim);
  if (n) H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows);
  H5Dclose(d);
  H5Tclose(t);
  H5Tclose(kind);
  H5Tclose(shape);
  H5Tclose(name);
}

/* A per-row column of n_rows elements, or one too many or too few, or of the wrong type. */
static void write_column(input *in, hid_t f, const char *name, int64_t n_rows) {
  unsigned how = take(in) % 8;
  if (how == 0) return;
  hsize_t dims[2] = {(hsize_t)(n_rows < 0 ? 0 : n_rows), 2};
  if (how == 1) dims[0] += 1;
  if (how == 2 && dims[0]) dims[0] -= 1;
  unsigned type = take(in) % 4;
  hid_t t = H5Tcopy(type == 0   ? H5T_IEEE_F64LE
                    : type == 1 ? H5T_STD_I64LE
                    : type == 2 ? H5T_STD_I32LE
                                : H5T_C_S1);
  hid_t d = make_dataset(f, name, t, how == 3 ? 2 : 1, dims);
  H5Dclose(d);
  H5Tclose(t);
}

static hid_t weights_type(unsigned k) {
  return k == 0 ? H5T_IEEE_F32LE : k == 1 ? H5T_IEEE_F64LE : H5T_STD_I32LE;
}

static void write_zoo(input *in, hid_t f) {
  int64_t n_params = take_int(in, 30), n_rows = take(in) % 5;
  root_attr(in, f, "format", take(in) % 4 ? ZL_ZOO_FORMAT : "zoolens-zo", 0);
  root_attr(in, f, "format_version", NULL, ZL_ZOO_FORMAT_VERSION);
  root_attr(in, f, "dataset", "mnist", 0);
  root_attr(in, f, "architecture", "cnn", 0);
  root_attr(in, f, "n_params", NULL, n_params);
  root_attr(in, f, "synth_planted_r2", NULL, 1);
  /* /weights: N x P float32, or another shape or type. */
  unsigned how = take(in) % 8;
  if (how) {
    hsize_t dims[2] = {(hsize_t)n_rows, (hsize_t)(n_params > 0 && n_params < 4096 ? n_params : 3)};
    if (how == 1) dims[1] += 1;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk[2] = {1, dims[1] ? dims[1] : 1};
    if (how == 2 && dims[0]) H5Pset_chunk(dcpl, 2, chunk);
    hid_t sp = H5Screate_simple(how == 3 ? 1 : 2, dims, NULL);
    hid_t d = H5Dcreate2(f, "weights", weights_type(how > 4 ? 0 : take(in) % 3), sp, H5P_DEFAULT,
                         dcpl, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(sp);
    H5Pclose(dcpl);
  }
  write_layout(in, f, n_params);
  static const char *const columns[] = {
      ZL_COL_TEST_ACCURACY, ZL_COL_TRAIN_ACCURACY, ZL_COL_TEST_LOSS, ZL_COL_TRAIN_LOSS,
      ZL_COL_RUN_ID,        ZL_COL_EPOCH,          "metrics/extra",  "runs/checkpoint"};
  for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
    write_column(in, f, columns[i], n_rows);
  /* Up to 3 hparams: numeric, integer codes with or without labels, strings. */
  for (unsigned i = 0, n = take(in) % 4; i < n; i++) {
    char name[16], path[32];
    take_string(in, name, sizeof name - 1);
    snprintf(path, sizeof path, "hparams/%s", name[0] && !strchr(name, '/') ? name : "h");
    if (H5Lexists(f, "hparams", H5P_DEFAULT) > 0 && H5Lexists(f, path, H5P_DEFAULT) > 0) continue;
    unsigned kind = take(in) % 4;
    hsize_t dim = (hsize_t)n_rows + (take(in) % 4 == 0);
    hid_t t = H5Tcopy(kind == 0 ? H5T_IEEE_F64LE : kind == 3 ? H5T_C_S1 : H5T_STD_I32LE);
    hid_t d = make_dataset(f, path, t, 1, &dim);
    if (kind == 1) {
      char l0[12], l1[12];
      take_string(in, l0, sizeof l0 - 1);
      take_string(in, l1, sizeof l1 - 1);
      const char *labels[] = {l0, l1};
      unsigned n_labels = take(in) % 3;
      if (n_labels) attr_string(d, "labels", labels, (int)n_labels, take(in) & 1);
    }
    H5Dclose(d);
    H5Tclose(t);
  }
}

static void finalize(void) {
  MPI_Finalize();
}

/* An accepted zoo that then fails: print why, and let libFuzzer save the input. */
static void fail(const char *what) {
  fprintf(stderr, "fuzz_zoo: %s: %s\n", what, zl_error_message());
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  /* Open MPI's handlers of SIGABRT and SIGSEGV would print a stack and exit, before libFuzzer's
   * own could save the input that crashed. */
  setenv("OMPI_MCA_opal_signal", "", 1);
  MPI_Init(argc, argv);
  atexit(finalize);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the harness's own failed calls are expected */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, data + size};
  const char *path = zl_fuzz_path(0, ".h5");
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (f < 0) fail("H5Fcreate");
  write_zoo(&in, f);
  H5Fclose(f);
  zl_zoo zoo = NULL;
  if (!zl_zoo_open(MPI_COMM_SELF, path, &zoo)) {
    int64_t P = zl_zoo_n_params(zoo), N = zl_zoo_n_rows(zoo), end = 0;
    for (int i = 0; i < zl_zoo_n_tensors(zoo); i++) {
      const zl_tensor *t = zl_zoo_tensor(zoo, i);
      if (t->offset != end || t->size < 1) fail("/layout accepted but not a tiling");
      end += t->size;
    }
    if (end != P || P < 1 || N < 0) fail("/layout or shape accepted but wrong");
    float *row = malloc((size_t)P * sizeof *row);
    if (!row) fail("malloc");
    /* The read may fail, with a message: HDF5 refuses, say, weights never written (no storage). */
    (void)zl_zoo_read_weights(zoo, 0, N > 0, row);
    free(row);
    for (int i = 0; i < zl_zoo_n_hparams(zoo); i++) {
      int n_labels;
      const char *const *labels = zl_zoo_hparam_labels(zoo, i, &n_labels);
      for (int k = 0; k < n_labels; k++)
        if (!labels[k]) fail("a NULL label");
    }
  }
  zl_zoo_destroy(&zoo);
  return 0;
}
