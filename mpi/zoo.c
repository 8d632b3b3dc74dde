/* The zoo file over parallel HDF5 (design §2). Every rank makes every collective HDF5 call in the
 * same order; a rank with nothing to transfer selects nothing. Each I/O call agrees on status
 * twice: after the local preparation (selections, bounds, buffers) and after the transfer, so a
 * rank that fails alone never leaves the others waiting inside a collective call. Failures inside a
 * collective HDF5 call itself cannot be agreed on (conventions.md, Errors). */
/* sigaltstack and SA_ONSTACK (crash_guard_on) are X/Open. */
#define _XOPEN_SOURCE 700

#include "zl_zoo.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zl_comm.h"
#include "zl_error.h"

/* Weights chunks hold whole rows and at most this many bytes (a row larger than that is cut into
 * 4 MiB pieces): one chunk is one large file-system request, and a block of rows read for features
 * does not drag in much more than it needs. */
#define ZOO_CHUNK_BYTES ((int64_t)4 << 20)

_Static_assert(sizeof(zl_tensor_kind) == sizeof(int), "/layout kind is read through an int enum");

static const char *const kind_names[] = {[ZL_TENSOR_KERNEL] = "kernel", [ZL_TENSOR_BIAS] = "bias"};

/* The per-row columns every zoo has (besides /hparams), with their fill values. */
static const struct {
  const char *name;
  int is_int; /* int64 filled with 0, else float64 filled with NaN */
} fixed_columns[] = {
    {ZL_COL_TEST_ACCURACY, 0}, {ZL_COL_TRAIN_ACCURACY, 0}, {ZL_COL_TEST_LOSS, 0},
    {ZL_COL_TRAIN_LOSS, 0},    {ZL_COL_RUN_ID, 1},         {ZL_COL_EPOCH, 0},
};
#define N_FIXED_COLUMNS ((int)(sizeof fixed_columns / sizeof fixed_columns[0]))

typedef struct {
  char *name;
  char **labels; /* NULL for a numeric hparam */
  int n_labels;
} zoo_hparam;

/* A numeric root attribute, cached so that reading it needs no (collective) metadata read. */
typedef struct {
  char *name;
  double value;
} zoo_attr;

/* What a zoo's metadata says, as validated on open. */
typedef struct {
  char *dataset, *architecture;
  int64_t n_rows, n_params, chunk_rows;
  int n_tensors;
  zl_tensor *tensors;
  int n_hparams;
  zoo_hparam *hparams; /* sorted by name */
  int n_attrs;
  zoo_attr *attrs;
} zoo_meta;

struct zl_zoo_s {
  MPI_Comm comm;
  int writable;
  char *path; /* as the caller named it: the committed name */
  char *file; /* the file open: path, or "<path>.part" while being written */
  hid_t dxpl, h5, weights;
  /* A collective write or creation step failed (agreed, so set alike on every rank): the ranks may
   * have left HDF5's collectives at different points, and its collective close would wait or crash
   * (seen: one rank in H5Fclose's metadata flush barrier, the other in MPI_File_close's). */
  int broken;
  /* The .part holds something to resume: flushed once, or reopened. One never flushed (import,
   * synth, a train before its first flush) is removed when a failed write ends the job. */
  int resumable;
  zoo_meta m;
};

/* HDF5's description of the innermost failure (walking upward starts where it was detected). */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *why) {
  if (n == 0) snprintf(why, 256, "%s", e->desc);
  return 0;
}

/* Records "<file>: <obj>: <call> failed: <HDF5's reason>" for a failed HDF5 call; `call` may be the
 * text of the failing expression, of which the first H5* name is kept. */
static int h5_fail(const char *file, const char *obj, const char *call, const char *src, int line) {
  char why[256] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, why);
  H5Eclear2(H5E_DEFAULT);
  const char *name = strstr(call, "H5");
  int len = name ? (int)strcspn(name, " (") : (int)strlen(call);
  return zl_error_set(ZL_ERR_RUNTIME, src, line, "%s: %s: %.*s failed%s%s", file, obj, len,
                      name ? name : call, why[0] ? ": " : "", why);
}

/* Runs an HDF5 call; a negative result records the failure and jumps to `cleanup` with rc set. */
#define H5_TRY(expr, file, obj)                                                                    \
  do {                                                                                             \
    if ((expr) < 0) {                                                                              \
      rc = h5_fail((file), (obj), #expr, __FILE__, __LINE__);                                      \
      goto cleanup;                                                                                \
    }                                                                                              \
  } while (0)

/* Seconds a failing rank waits for the others after a collective HDF5 call. */
#define ZOO_AGREE_SECONDS 5.0

/* zl_comm_agree after a collective HDF5 call that can fail on one rank alone (a full disk): the
 * failing rank returns from HDF5 early while the others may wait inside HDF5's own collectives
 * (its fill or flush barriers, on its own communicator), where no agreement reaches them. Every
 * rank first meets in a non-blocking barrier; a rank that failed waits for it at most
 * ZOO_AGREE_SECONDS, then prints its error and ends the job (conventions, Errors: MPI_Abort where
 * agreement is impossible), first removing remove_on_abort (a half-created file) when not NULL.
 * Ranks that succeeded wait as long as the others write. Collective. */
static int agree_after_h5(MPI_Comm comm, int rc, const char *remove_on_abort) {
  MPI_Request req;
  int done = 0, m = MPI_Ibarrier(comm, &req);
  double t0 = MPI_Wtime();
  if (m == MPI_SUCCESS && !rc) m = MPI_Wait(&req, MPI_STATUS_IGNORE);
  while (m == MPI_SUCCESS && rc && !done) {
    m = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done && MPI_Wtime() - t0 > ZOO_AGREE_SECONDS) {
      int rank = zl_comm_rank(comm);
      if (rank)
        fprintf(stderr, "zoolens: %s (rank %d)\n", zl_error_message(), rank);
      else
        fprintf(stderr, "zoolens: %s\n", zl_error_message());
      fflush(stderr);
      if (remove_on_abort) (void)unlink(remove_on_abort); /* the job is ending either way */
      MPI_Abort(comm, ZL_ERR_RUNTIME);
    }
    struct timespec ms = {0, 1000000};
    if (!done) nanosleep(&ms, NULL); /* the others may share this core */
  }
  if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Ibarrier(status)", __FILE__, __LINE__);
  return zl_comm_agree(comm, rc);
}

/* agree_after_h5 after a collective HDF5 step that writes to the zoo (creating a dataset writes its
 * fill values; a flush, the metadata): a rank may have failed alone and left HDF5's collectives
 * early, so a failure also marks the zoo broken (see struct zl_zoo_s). Collective. */
static int agree_written(zl_zoo z, int rc) {
  rc = agree_after_h5(z->comm, rc, z->resumable ? NULL : z->file);
  if (rc) z->broken = 1;
  return rc;
}

int zl_zoo_check_layout(const char *what, const zl_tensor *t, int n, int64_t n_params) {
  int64_t end = 0;
  int i = 0;
  while (i < n && t[i].offset == end && t[i].size >= 1 && t[i].size <= n_params - end)
    end += t[i++].size;
  if (i < n || end != n_params || n < 1)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s does not cover the %lld parameters", what,
                  (long long)n_params);
  return 0;
}

int zl_zoo_share_rows(MPI_Comm comm, int64_t n_rows, int64_t block_rows, int64_t *row0, int64_t *n,
                      int64_t *n_blocks) {
  int size = zl_comm_size(comm), rank = zl_comm_rank(comm);
  if (block_rows < 1 || n_rows < 0)
    return ZL_ERR(ZL_ERR_RUNTIME, "zl_zoo_share_rows: %lld rows in blocks of %lld",
                  (long long)n_rows, (long long)block_rows);
  int64_t q = n_rows / size, r = n_rows % size;
  *n = q + (rank < r);
  *row0 = rank * q + (rank < r ? rank : r);
  int64_t mine = (*n + block_rows - 1) / block_rows;
  ZL_MPI(MPI_Allreduce(&mine, n_blocks, 1, MPI_INT64_T, MPI_MAX, comm));
  return 0;
}

void zl_strings_free(char **s, int64_t n) {
  if (!s) return;
  for (int64_t i = 0; i < n; i++)
    free(s[i]);
  free(s);
}

static void meta_free(zoo_meta *m) {
  for (int i = 0; i < m->n_attrs; i++)
    free(m->attrs[i].name);
  free(m->attrs);
  for (int i = 0; i < m->n_hparams; i++) {
    free(m->hparams[i].name);
    zl_strings_free(m->hparams[i].labels, m->hparams[i].n_labels);
  }
  free(m->hparams);
  free(m->tensors);
  free(m->architecture);
  free(m->dataset);
  memset(m, 0, sizeof *m);
}

/* ---- strings: fixed-length, NUL-terminated, UTF-8 (readers also accept variable-length) ---- */

static int str_type(const char *file, const char *obj, size_t width, hid_t *type) {
  int rc = 0;
  hid_t t = H5I_INVALID_HID;
  H5_TRY(t = H5Tcopy(H5T_C_S1), file, obj);
  H5_TRY(H5Tset_size(t, width), file, obj);
  H5_TRY(H5Tset_cset(t, H5T_CSET_UTF8), file, obj);
  *type = t;
  return 0;
cleanup:
  if (t >= 0) H5Tclose(t);
  return rc;
}

/* Packs n strings into n fields of *width bytes (the longest + 1), the memory layout of an HDF5
 * fixed-length string array. */
static int pack_strings(const char *what, const char *const *s, int64_t n, char **buf,
                        size_t *width) {
  size_t w = 1;
  for (int64_t i = 0; i < n; i++)
    if (strlen(s[i]) + 1 > w) w = strlen(s[i]) + 1;
  if (!(*buf = zl_calloc(n > 0 ? (size_t)n : 1, w, what))) return ZL_ERR_RUNTIME;
  for (int64_t i = 0; i < n; i++)
    memcpy(*buf + (size_t)i * w, s[i], strlen(s[i]));
  *width = w;
  return 0;
}

/* Writes attribute `name` of obj: one string (scalar) or an array of n. Collective in parallel
 * (attributes are metadata; every rank writes the same). */
static int write_str_attr(hid_t obj, const char *file, const char *obj_name, const char *name,
                          const char *const *s, int64_t n, int scalar) {
  int rc = 0;
  hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  char *buf = NULL;
  size_t width = 0;
  hsize_t dim = (hsize_t)n;
  ZL_CALL(pack_strings(name, s, n, &buf, &width));
  ZL_CALL_GOTO(rc, cleanup, str_type(file, obj_name, width, &type));
  H5_TRY(space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL), file, obj_name);
  H5_TRY(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), file, obj_name);
  H5_TRY(H5Awrite(attr, type, buf), file, obj_name);
cleanup:
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  free(buf);
  return rc;
}

/* An HDF5 object header may claim any extent: before anything is sized by it, the dataset or
 * attribute obj (dims[0] x dims[1] elements when ndims is 2, dims[0] when 1) must fit in the file
 * at its type's element size. A zoo's data is allocated when it is created, so only a hostile or
 * broken header fails this, at once, instead of allocating to the claim. Not collective. */
static int check_fits(hid_t obj, const char *file, const char *name, int ndims,
                      const hsize_t dims[2]) {
  int is_attr = H5Iget_type(obj) == H5I_ATTR;
  hid_t type = is_attr ? H5Aget_type(obj) : H5Dget_type(obj), fid = H5Iget_file_id(obj);
  size_t size = type < 0 ? 0 : H5Tget_size(type);
  hsize_t held = 0;
  herr_t e = fid < 0 || !size ? -1 : H5Fget_filesize(fid, &held);
  if (type >= 0) H5Tclose(type);
  if (fid >= 0) H5Fclose(fid);
  if (e < 0) return h5_fail(file, name, "H5Fget_filesize", __FILE__, __LINE__);
  char shape[64];
  if (ndims == 2)
    snprintf(shape, sizeof shape, "[%llu, %llu]", (unsigned long long)dims[0],
             (unsigned long long)dims[1]);
  else
    snprintf(shape, sizeof shape, "[%llu]", (unsigned long long)dims[0]);
  size_t need;
  if (zl_mul_size(dims[0], ndims == 2 ? dims[1] : 1, &need, name) ||
      zl_mul_size(need, size, &need, name) || need > held)
    return ZL_ERR(ZL_ERR_RUNTIME,
                  "%s: %s: shape %s of %zu-byte elements does not fit in the file's %llu bytes",
                  file, name, shape, size, (unsigned long long)held);
  return 0;
}

/* Reads every string of an attribute (is_attr) or a dataset, fixed- or variable-length, into a
 * NULL-terminated array of *n owned copies. A dataset read is collective on comm with dxpl, and
 * local failures before it are agreed first; pass MPI_COMM_SELF and H5P_DEFAULT when alone. */
static int read_strs(const char *file, const char *obj, hid_t h, int is_attr, MPI_Comm comm,
                     hid_t dxpl, char ***out, int64_t *n) {
  hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID, space = H5I_INVALID_HID;
  char *buf = NULL, **s = NULL;
  hssize_t np = 0;
  size_t width = 0;
  htri_t var = 0;
  int rc = 0, was_read = 0;
  *out = NULL;
  *n = 0;
  if ((ftype = is_attr ? H5Aget_type(h) : H5Dget_type(h)) < 0)
    rc = h5_fail(file, obj, is_attr ? "H5Aget_type" : "H5Dget_type", __FILE__, __LINE__);
  else if (H5Tget_class(ftype) != H5T_STRING)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: not a string", file, obj);
  else if ((var = H5Tis_variable_str(ftype)) < 0 || !(width = H5Tget_size(ftype)) ||
           (space = is_attr ? H5Aget_space(h) : H5Dget_space(h)) < 0 ||
           (np = H5Sget_simple_extent_npoints(space)) < 0 || (mtype = H5Tcopy(H5T_C_S1)) < 0 ||
           H5Tset_size(mtype, var ? H5T_VARIABLE : width + 1) < 0 ||
           /* HDF5 converts no strings between character sets: read in the file's. */
           H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0)
    rc = h5_fail(file, obj, "reading strings", __FILE__, __LINE__);
  else if (!(rc = check_fits(h, file, obj, 1, (hsize_t[2]){(hsize_t)np, 1})) &&
           (!(buf = zl_calloc((size_t)np + 1, var ? sizeof(char *) : width + 1, obj)) ||
            !(s = zl_calloc((size_t)np + 1, sizeof *s, obj))))
    rc = ZL_ERR_RUNTIME;
  if (!is_attr) rc = zl_comm_agree(comm, rc);
  if (!rc) {
    herr_t e = is_attr ? H5Aread(h, mtype, buf) : H5Dread(h, mtype, H5S_ALL, H5S_ALL, dxpl, buf);
    was_read = e >= 0;
    if (!was_read) rc = h5_fail(file, obj, is_attr ? "H5Aread" : "H5Dread", __FILE__, __LINE__);
    if (!is_attr) rc = zl_comm_agree(comm, rc);
  }
  for (hssize_t i = 0; !rc && i < np; i++) {
    const char *src = var ? ((char **)buf)[i] : buf + (size_t)i * (width + 1);
    if (!(s[i] = strdup(src ? src : ""))) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", obj);
  }
  if (was_read && var) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
  if (mtype >= 0) H5Tclose(mtype);
  if (space >= 0) H5Sclose(space);
  if (ftype >= 0) H5Tclose(ftype);
  free(buf);
  if (rc) {
    zl_strings_free(s, np);
    return rc;
  }
  *out = s;
  *n = np;
  return 0;
}

/* The single string of attribute `name` of the root group. */
static int root_str_attr(hid_t f, const char *file, const char *name, char **out) {
  int rc = 0;
  hid_t attr = H5I_INVALID_HID;
  char **s = NULL;
  int64_t n = 0;
  htri_t has;
  H5_TRY(has = H5Aexists(f, name), file, "/");
  if (!has) return ZL_ERR(ZL_ERR_RUNTIME, "%s: the root attribute '%s' is missing", file, name);
  H5_TRY(attr = H5Aopen(f, name, H5P_DEFAULT), file, name);
  ZL_CALL_GOTO(rc, cleanup, read_strs(file, name, attr, 1, MPI_COMM_SELF, H5P_DEFAULT, &s, &n));
  if (n != 1) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: the root attribute '%s' is not one string", file, name);
    goto cleanup;
  }
  *out = s[0];
  s[0] = NULL;
cleanup:
  zl_strings_free(s, n);
  if (attr >= 0) H5Aclose(attr);
  return rc;
}

/* ---- integer attributes ---- */

static int write_int_attr(hid_t obj, const char *file, const char *name, hid_t ftype, int64_t v) {
  int rc = 0;
  hid_t space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  H5_TRY(space = H5Screate(H5S_SCALAR), file, name);
  H5_TRY(attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT), file, name);
  H5_TRY(H5Awrite(attr, H5T_NATIVE_INT64, &v), file, name);
cleanup:
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  return rc;
}

static int root_int_attr(hid_t f, const char *file, const char *name, int64_t *v) {
  int rc = 0;
  hid_t attr = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID;
  htri_t has;
  H5_TRY(has = H5Aexists(f, name), file, "/");
  if (!has) return ZL_ERR(ZL_ERR_RUNTIME, "%s: the root attribute '%s' is missing", file, name);
  H5_TRY(attr = H5Aopen(f, name, H5P_DEFAULT), file, name);
  H5_TRY(type = H5Aget_type(attr), file, name);
  H5_TRY(space = H5Aget_space(attr), file, name);
  if (H5Tget_class(type) != H5T_INTEGER || H5Sget_simple_extent_npoints(space) != 1) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: the root attribute '%s' is not one integer", file, name);
    goto cleanup;
  }
  H5_TRY(H5Aread(attr, H5T_NATIVE_INT64, v), file, name);
cleanup:
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  return rc;
}

/* ---- /layout ---- */

/* The /layout record type: in memory exactly zl_tensor; in the file packed, with little-endian
 * integers and a 1-byte enum, so files are alike on every machine. HDF5 converts by member name. */
static int layout_type(const char *file, int in_file, hid_t *out) {
  int rc = 0;
  hid_t name = H5I_INVALID_HID, shape = H5I_INVALID_HID, kind = H5I_INVALID_HID;
  hid_t t = H5I_INVALID_HID;
  const size_t name_len = sizeof((zl_tensor *)0)->name, shape_len = sizeof((zl_tensor *)0)->shape;
  hid_t i64 = in_file ? H5T_STD_I64LE : H5T_NATIVE_INT64;
  H5_TRY(name = H5Tcopy(H5T_C_S1), file, "/layout");
  H5_TRY(H5Tset_size(name, name_len), file, "/layout");
  H5_TRY(shape = H5Tcopy(H5T_C_S1), file, "/layout");
  H5_TRY(H5Tset_size(shape, shape_len), file, "/layout");
  H5_TRY(kind = H5Tenum_create(in_file ? H5T_STD_I8LE : H5T_NATIVE_INT), file, "/layout");
  for (int k = 0; k < 2; k++) {
    signed char v8 = (signed char)k;
    H5_TRY(H5Tenum_insert(kind, kind_names[k], in_file ? (void *)&v8 : (void *)&k), file,
           "/layout");
  }
  if (in_file) {
    H5_TRY(t = H5Tcreate(H5T_COMPOUND, name_len + 8 + 8 + shape_len + 1), file, "/layout");
    H5_TRY(H5Tinsert(t, "name", 0, name), file, "/layout");
    H5_TRY(H5Tinsert(t, "offset", name_len, i64), file, "/layout");
    H5_TRY(H5Tinsert(t, "size", name_len + 8, i64), file, "/layout");
    H5_TRY(H5Tinsert(t, "shape", name_len + 16, shape), file, "/layout");
    H5_TRY(H5Tinsert(t, "kind", name_len + 16 + shape_len, kind), file, "/layout");
  } else {
    H5_TRY(t = H5Tcreate(H5T_COMPOUND, sizeof(zl_tensor)), file, "/layout");
    H5_TRY(H5Tinsert(t, "name", HOFFSET(zl_tensor, name), name), file, "/layout");
    H5_TRY(H5Tinsert(t, "offset", HOFFSET(zl_tensor, offset), i64), file, "/layout");
    H5_TRY(H5Tinsert(t, "size", HOFFSET(zl_tensor, size), i64), file, "/layout");
    H5_TRY(H5Tinsert(t, "shape", HOFFSET(zl_tensor, shape), shape), file, "/layout");
    H5_TRY(H5Tinsert(t, "kind", HOFFSET(zl_tensor, kind), kind), file, "/layout");
  }
  *out = t;
  t = H5I_INVALID_HID;
cleanup:
  if (t >= 0) H5Tclose(t);
  if (kind >= 0) H5Tclose(kind);
  if (shape >= 0) H5Tclose(shape);
  if (name >= 0) H5Tclose(name);
  return rc;
}

/* ---- validation: what a reader checks before it reads weights ---- */

/* Opens dataset `name` (a path below the root), failing with "<file>: /<name>: missing". */
static int open_dataset(hid_t f, const char *file, const char *name, hid_t *d) {
  int rc = 0;
  char obj[256];
  snprintf(obj, sizeof obj, "/%s", name);
  /* H5Lexists fails, rather than saying no, when an intermediate group is missing. */
  htri_t has = H5Lexists(f, name, H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  if (has <= 0) return ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: missing", file, obj);
  H5_TRY(*d = H5Dopen2(f, name, H5P_DEFAULT), file, obj);
cleanup:
  return rc;
}

/* The shape of d as text, "[400, 4970]", and its dims (at most 2 kept); rank in *ndims. */
static int dataset_shape(hid_t d, const char *file, const char *obj, int *ndims, hsize_t dims[2],
                         char text[64]) {
  int rc = 0;
  hid_t space = H5I_INVALID_HID;
  hsize_t all[H5S_MAX_RANK];
  H5_TRY(space = H5Dget_space(d), file, obj);
  H5_TRY(*ndims = H5Sget_simple_extent_dims(space, all, NULL), file, obj);
  int len = snprintf(text, 64, "[");
  for (int i = 0; i < *ndims && len < 64; i++)
    len +=
        snprintf(text + len, 64 - (size_t)len, "%s%llu", i ? ", " : "", (unsigned long long)all[i]);
  if (len < 64) snprintf(text + len, 64 - (size_t)len, "]");
  dims[0] = *ndims > 0 ? all[0] : 0;
  dims[1] = *ndims > 1 ? all[1] : 0;
cleanup:
  if (space >= 0) H5Sclose(space);
  return rc;
}

/* A per-row column: 1-D, N elements, of strings (want == H5T_STRING) or else of numbers (float or
 * integer); its class in *cls when cls is not NULL. */
static int check_column(hid_t f, const char *file, const zoo_meta *m, const char *name,
                        H5T_class_t want, H5T_class_t *cls) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, type = H5I_INVALID_HID;
  char obj[256], shape[64];
  int nd = 0;
  hsize_t dims[2];
  snprintf(obj, sizeof obj, "/%s", name);
  ZL_CALL(open_dataset(f, file, name, &d));
  H5_TRY(type = H5Dget_type(d), file, obj);
  H5T_class_t c = H5Tget_class(type);
  if (cls) *cls = c;
  if (want == H5T_STRING ? c != H5T_STRING : c != H5T_FLOAT && c != H5T_INTEGER) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: not %s", file, obj,
                want == H5T_STRING ? "strings" : "numbers");
    goto cleanup;
  }
  ZL_CALL_GOTO(rc, cleanup, dataset_shape(d, file, obj, &nd, dims, shape));
  if (nd != 1 || (int64_t)dims[0] != m->n_rows)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: shape %s does not match the %lld rows of /weights", file,
                obj, shape, (long long)m->n_rows);
cleanup:
  if (type >= 0) H5Tclose(type);
  if (d >= 0) H5Dclose(d);
  return rc;
}

typedef struct {
  char **names;
  int n, cap;
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g;
  (void)info;
  name_list *l = data;
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    char **p = realloc(l->names, (size_t)cap * sizeof *p);
    if (!p) return -1;
    l->names = p;
    l->cap = cap;
  }
  if (!(l->names[l->n] = strdup(name))) return -1;
  l->n++;
  return 0;
}

/* The names in group `group` (in name order), none when the group does not exist. */
static int group_names(hid_t f, const char *file, const char *group, name_list *l) {
  int rc = 0;
  hid_t g = H5I_INVALID_HID;
  htri_t has;
  char obj[64];
  snprintf(obj, sizeof obj, "/%s", group);
  memset(l, 0, sizeof *l);
  H5_TRY(has = H5Lexists(f, group, H5P_DEFAULT), file, obj);
  if (!has) return 0;
  H5_TRY(g = H5Gopen2(f, group, H5P_DEFAULT), file, obj);
  H5_TRY(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, l), file, obj);
cleanup:
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* Validates /hparams/<name> and loads its labels (a categorical one has int codes). */
static int load_hparam(hid_t f, const char *file, zoo_meta *m, const char *name, zoo_hparam *h) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  char path[256], obj[260];
  H5T_class_t cls;
  int64_t n = 0;
  snprintf(path, sizeof path, "hparams/%s", name);
  snprintf(obj, sizeof obj, "/%s", path);
  ZL_CALL(check_column(f, file, m, path, H5T_FLOAT, &cls));
  if (!(h->name = strdup(name))) return ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", obj);
  if (cls == H5T_FLOAT) return 0;
  htri_t has;
  H5_TRY(d = H5Dopen2(f, path, H5P_DEFAULT), file, obj);
  H5_TRY(has = H5Aexists(d, "labels"), file, obj);
  if (!has) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: integer codes without a 'labels' attribute", file, obj);
    goto cleanup;
  }
  H5_TRY(attr = H5Aopen(d, "labels", H5P_DEFAULT), file, obj);
  ZL_CALL_GOTO(rc, cleanup,
               read_strs(file, obj, attr, 1, MPI_COMM_SELF, H5P_DEFAULT, &h->labels, &n));
  h->n_labels = (int)n;
  if (n < 1) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: no labels", file, obj);
cleanup:
  if (attr >= 0) H5Aclose(attr);
  if (d >= 0) H5Dclose(d);
  return rc;
}

/* Reads /layout into m->tensors and checks that it tiles the row. The read is collective on comm
 * with dxpl (every rank reads all of it). */
static int load_layout(hid_t f, const char *file, zoo_meta *m, MPI_Comm comm, hid_t dxpl) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  hsize_t dims[2];
  int nd = 0;
  char shape[64];
  char what[4200];
  ZL_CALL(open_dataset(f, file, "layout", &d));
  ZL_CALL_GOTO(rc, cleanup, dataset_shape(d, file, "/layout", &nd, dims, shape));
  if (nd != 1 || dims[0] < 1 || dims[0] > INT32_MAX) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /layout: shape %s is not a list of tensors", file, shape);
    goto cleanup;
  }
  m->n_tensors = (int)dims[0];
  rc = check_fits(d, file, "/layout", 1, dims);
  if (!rc) rc = layout_type(file, 0, &mtype);
  if (!rc && !(m->tensors = zl_calloc(dims[0], sizeof *m->tensors, "/layout"))) rc = ZL_ERR_RUNTIME;
  rc = zl_comm_agree(comm, rc);
  if (rc) goto cleanup;
  if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, dxpl, m->tensors) < 0) {
    H5Eclear2(H5E_DEFAULT);
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /layout: not a table of {name, offset, size, shape, kind}",
                file);
  }
  ZL_CALL_GOTO(rc, cleanup, zl_comm_agree(comm, rc));
  for (int i = 0; i < m->n_tensors; i++) {
    m->tensors[i].name[sizeof m->tensors[i].name - 1] = '\0';
    m->tensors[i].shape[sizeof m->tensors[i].shape - 1] = '\0';
  }
  snprintf(what, sizeof what, "%s: /layout", file);
  rc = zl_zoo_check_layout(what, m->tensors, m->n_tensors, m->n_params);
cleanup:
  if (mtype >= 0) H5Tclose(mtype);
  if (d >= 0) H5Dclose(d);
  return rc;
}

/* Makes room for one more cached attribute. */
static int grow_attrs(zoo_meta *m) {
  zoo_attr *a = realloc(m->attrs, (size_t)(m->n_attrs + 1) * sizeof *a);
  if (!a) return ZL_ERR(ZL_ERR_RUNTIME, "attributes: out of memory");
  m->attrs = a;
  return 0;
}

/* H5Aiterate2 callback: caches every numeric scalar root attribute. */
static herr_t collect_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  zoo_meta *m = data;
  hid_t a = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID;
  herr_t status = -1;
  double v;
  if ((a = H5Aopen(loc, name, H5P_DEFAULT)) >= 0 && (type = H5Aget_type(a)) >= 0 &&
      (space = H5Aget_space(a)) >= 0) {
    H5T_class_t c = H5Tget_class(type);
    if ((c != H5T_FLOAT && c != H5T_INTEGER) || H5Sget_simple_extent_npoints(space) != 1)
      status = 0;
    else if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0 && !grow_attrs(m) &&
             (m->attrs[m->n_attrs].name = strdup(name))) {
      m->attrs[m->n_attrs++].value = v;
      status = 0;
    }
  }
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  if (a >= 0) H5Aclose(a);
  return status;
}

/* Reads and validates everything but the data of a zoo: root attributes, /weights' type and
 * shape, /layout, the shapes of all per-row columns, the hparams and their labels. In parallel
 * every rank runs it (collective metadata reads, comm and a collective dxpl); rank 0 runs it alone
 * first (MPI_COMM_SELF, H5P_DEFAULT), so its errors are the input's, not a rank's. */
static int load_meta(hid_t f, const char *file, zoo_meta *m, MPI_Comm comm, hid_t dxpl) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, type = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  char *format = NULL, shape[64];
  int64_t version = 0;
  int nd = 0;
  hsize_t dims[2], chunk[2];
  name_list metrics = {0}, hparams = {0};
  htri_t has;

  H5_TRY(has = H5Aexists(f, "format"), file, "/");
  if (!has) return ZL_ERR(ZL_ERR_RUNTIME, "%s: not a zoolens zoo (no 'format' attribute)", file);
  ZL_CALL(root_str_attr(f, file, "format", &format));
  if (strcmp(format, ZL_ZOO_FORMAT)) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: not a zoolens zoo (format is '%s')", file, format);
    goto cleanup;
  }
  ZL_CALL_GOTO(rc, cleanup, root_int_attr(f, file, "format_version", &version));
  if (version != ZL_ZOO_FORMAT_VERSION) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: format_version is %lld, this zoolens reads %d", file,
                (long long)version, ZL_ZOO_FORMAT_VERSION);
    goto cleanup;
  }
  ZL_CALL_GOTO(rc, cleanup, root_str_attr(f, file, "dataset", &m->dataset));
  ZL_CALL_GOTO(rc, cleanup, root_str_attr(f, file, "architecture", &m->architecture));
  ZL_CALL_GOTO(rc, cleanup, root_int_attr(f, file, "n_params", &m->n_params));
  if (m->n_params < 1) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: n_params is %lld", file, (long long)m->n_params);
    goto cleanup;
  }
  /* Numeric attributes (synth's planted R², …) are read now, while every rank reads metadata. */
  H5_TRY(H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_attr, m), file, "/");

  ZL_CALL_GOTO(rc, cleanup, open_dataset(f, file, "weights", &d));
  H5_TRY(type = H5Dget_type(d), file, "/weights");
  if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != 4) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /weights: not float32", file);
    goto cleanup;
  }
  ZL_CALL_GOTO(rc, cleanup, dataset_shape(d, file, "/weights", &nd, dims, shape));
  if (nd != 2 || (int64_t)dims[1] != m->n_params) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /weights: shape %s does not match n_params %lld", file, shape,
                (long long)m->n_params);
    goto cleanup;
  }
  ZL_CALL_GOTO(rc, cleanup, check_fits(d, file, "/weights", 2, dims));
  m->n_rows = (int64_t)dims[0];
  H5_TRY(dcpl = H5Dget_create_plist(d), file, "/weights");
  m->chunk_rows = 1;
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
    H5_TRY(H5Pget_chunk(dcpl, 2, chunk), file, "/weights");
    m->chunk_rows = (int64_t)chunk[0];
  }

  ZL_CALL_GOTO(rc, cleanup, load_layout(f, file, m, comm, dxpl));
  for (int i = 0; i < N_FIXED_COLUMNS; i++)
    ZL_CALL_GOTO(rc, cleanup, check_column(f, file, m, fixed_columns[i].name, H5T_FLOAT, NULL));
  ZL_CALL_GOTO(rc, cleanup, group_names(f, file, "metrics", &metrics));
  for (int i = 0; i < metrics.n; i++) {
    char name[256];
    snprintf(name, sizeof name, "metrics/%s", metrics.names[i]);
    ZL_CALL_GOTO(rc, cleanup, check_column(f, file, m, name, H5T_FLOAT, NULL));
  }
  H5_TRY(has = H5Lexists(f, "runs/checkpoint", H5P_DEFAULT), file, "/runs");
  if (has) ZL_CALL_GOTO(rc, cleanup, check_column(f, file, m, "runs/checkpoint", H5T_STRING, NULL));
  ZL_CALL_GOTO(rc, cleanup, group_names(f, file, "hparams", &hparams));
  if (hparams.n && !(m->hparams = zl_calloc((size_t)hparams.n, sizeof *m->hparams, "hparams"))) {
    rc = ZL_ERR_RUNTIME;
    goto cleanup;
  }
  for (int i = 0; i < hparams.n; i++) {
    m->n_hparams++; /* counted first, so meta_free frees what a failed load left */
    ZL_CALL_GOTO(rc, cleanup, load_hparam(f, file, m, hparams.names[i], &m->hparams[i]));
  }
cleanup:
  zl_strings_free(hparams.names, hparams.n);
  zl_strings_free(metrics.names, metrics.n);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (type >= 0) H5Tclose(type);
  if (d >= 0) H5Dclose(d);
  free(format);
  return rc;
}

/* ---- the zoo handle ---- */

/* Collective transfers let MPI-IO merge the ranks' row blocks into few large, aligned file
 * accesses (two-phase I/O) instead of many small independent ones; they also make a rank without
 * rows a legal participant with an empty selection. */
static int zoo_new(MPI_Comm comm, const char *path, int part, zl_zoo *zoo) {
  int rc = 0;
  zl_zoo z = zl_calloc(1, sizeof *z, path);
  if (!z) return ZL_ERR_RUNTIME;
  z->comm = comm;
  z->writable = part;
  z->dxpl = z->h5 = z->weights = H5I_INVALID_HID;
  z->path = strdup(path);
  z->file = malloc(strlen(path) + 6);
  if (!z->path || !z->file) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", path);
    goto cleanup;
  }
  snprintf(z->file, strlen(path) + 6, "%s%s", path, part ? ".part" : "");
  H5_TRY(z->dxpl = H5Pcreate(H5P_DATASET_XFER), z->file, "/");
  H5_TRY(H5Pset_dxpl_mpio(z->dxpl, H5FD_MPIO_COLLECTIVE), z->file, "/");
cleanup:
  *zoo = z;
  return rc;
}

/* Closes the zoo's file (its datasets first); the metadata stays. H5Fclose is collective. */
static int zoo_close_file(zl_zoo z) {
  int rc = 0;
  if (z->weights >= 0 && H5Dclose(z->weights) < 0)
    rc = h5_fail(z->file, "/weights", "H5Dclose", __FILE__, __LINE__);
  if (z->h5 >= 0 && H5Fclose(z->h5) < 0) rc = h5_fail(z->file, "/", "H5Fclose", __FILE__, __LINE__);
  z->weights = z->h5 = H5I_INVALID_HID;
  return rc;
}

/* Closes the zoo's HDF5 objects in reverse order of opening. */
static int zoo_close(zl_zoo z) {
  int rc = zoo_close_file(z);
  if (z->dxpl >= 0) H5Pclose(z->dxpl);
  z->dxpl = H5I_INVALID_HID;
  return rc;
}

void zl_zoo_remove(zl_zoo *zoo) {
  if (!*zoo) return;
  /* Before closing, which may end the job (see zl_zoo_destroy); the open handles do not mind. */
  if ((*zoo)->writable && zl_comm_rank((*zoo)->comm) == 0) (void)unlink((*zoo)->file);
  zl_zoo_destroy(zoo);
}

static void zoo_free(zl_zoo z) {
  meta_free(&z->m);
  free(z->file);
  free(z->path);
  free(z);
}

void zl_zoo_destroy(zl_zoo *zoo) {
  if (!*zoo) return;
  if ((*zoo)->broken && (*zoo)->h5 >= 0) {
    /* Agreement is impossible inside HDF5's close, and a file left open is closed by HDF5 inside
     * MPI_Finalize, with the same result: end the job now, with the agreed message (conventions,
     * Errors). */
    if (zl_comm_rank((*zoo)->comm) == 0) {
      fprintf(stderr, "zoolens: %s\n", zl_error_message());
      fflush(stderr);
      if ((*zoo)->writable && !(*zoo)->resumable) (void)unlink((*zoo)->file);
    }
    MPI_Abort((*zoo)->comm, ZL_ERR_RUNTIME);
  }
  zoo_close(*zoo);
  zoo_free(*zoo);
  *zoo = NULL;
}

/* The file access list of a parallel zoo. */
static int make_fapl(zl_zoo z, hid_t *fapl) {
  int rc = 0;
  hid_t p = H5I_INVALID_HID;
  MPI_Info info = MPI_INFO_NULL;
  H5_TRY(p = H5Pcreate(H5P_FILE_ACCESS), z->file, "/");
  /* ROMIO (main.c prefers it) reads a collective selection in two phases through aggregators and
   * sieves the extents between its pieces: five times slower than independent reads of each rank's
   * own few large extents of rows (1.6 against 8.5 s reading the 120 000-network zoo at 2 ranks).
   * Other MPI-IO layers ignore these keys. */
  int m = MPI_Info_create(&info);
  if (m == MPI_SUCCESS) m = MPI_Info_set(info, "romio_cb_read", "disable");
  if (m == MPI_SUCCESS) m = MPI_Info_set(info, "romio_ds_read", "disable");
  if (m != MPI_SUCCESS) {
    rc = zl_mpi_error(m, "MPI_Info_set(ROMIO read hints)", __FILE__, __LINE__);
    goto cleanup;
  }
  H5_TRY(H5Pset_fapl_mpio(p, z->comm, info), z->file, "/");
  /* Every rank makes the same metadata calls; collectively, rank 0 reads each piece of metadata
   * once and broadcasts it, instead of every rank hitting the same few file blocks (optional for
   * correctness, required at scale). */
  H5_TRY(H5Pset_all_coll_metadata_ops(p, 1), z->file, "/");
  /* Metadata is flushed as one collective write rather than many small independent ones. */
  H5_TRY(H5Pset_coll_metadata_write(p, 1), z->file, "/");
  /* The 1.8 format checksums its object headers: a flipped bit in the metadata of a file written
   * so is "incorrect metadata checksum", where the 1.6 format's headers can crash HDF5 (1.10.8
   * segfaults in H5T_copy on a corrupt /layout datatype). Files stay readable by HDF5 1.8 on. */
  H5_TRY(H5Pset_libver_bounds(p, H5F_LIBVER_V18, H5F_LIBVER_V18), z->file, "/");
  m = MPI_Info_free(&info); /* the list holds its own copy */
  if (m != MPI_SUCCESS) {
    rc = zl_mpi_error(m, "MPI_Info_free(ROMIO read hints)", __FILE__, __LINE__);
    goto cleanup;
  }
  *fapl = p;
  return 0;
cleanup:
  if (info != MPI_INFO_NULL) MPI_Info_free(&info);
  if (p >= 0) H5Pclose(p);
  return rc;
}

/* ---- collective transfers ---- */
static int check_open(zl_zoo z) {
  if (z->h5 >= 0) return 0;
  return ZL_ERR(ZL_ERR_RUNTIME, "%s: suspended: zl_zoo_resume it before reading", z->file);
}

/* Selects in *fspace the rows [row0, row0 + n) of d, or the listed rows (ascending; runs of
 * consecutive rows become one hyperslab), with every column of a 2-D dataset, and makes *mspace
 * the matching contiguous buffer. Nothing selected when n == 0. Not collective. */
static int select_rows(zl_zoo z, hid_t d, const char *obj, const int64_t *rows, int64_t row0,
                       int64_t n, hid_t *fspace, hid_t *mspace) {
  int rc = 0;
  hsize_t dims[2] = {0, 1}, start[2] = {0, 0}, count[2] = {0, 1}, m;
  int nd;
  H5_TRY(*fspace = H5Dget_space(d), z->file, obj);
  H5_TRY(nd = H5Sget_simple_extent_ndims(*fspace), z->file, obj);
  if (nd < 1 || nd > 2) return ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: not a table of rows", z->file, obj);
  H5_TRY(H5Sget_simple_extent_dims(*fspace, dims, NULL), z->file, obj);
  const int64_t N = (int64_t)dims[0];
  int ok = n >= 0 && (rows || (row0 >= 0 && row0 <= N - n));
  for (int64_t i = 0; rows && ok && i < n; i++)
    ok = rows[i] >= 0 && rows[i] < N && (i == 0 || rows[i] > rows[i - 1]);
  if (!ok)
    return ZL_ERR(ZL_ERR_RUNTIME,
                  "%s: %s: rows requested outside [0, %lld) or not ascending (%lld from %lld)",
                  z->file, obj, (long long)N, (long long)n,
                  (long long)(rows && n ? rows[0] : row0));
  count[1] = dims[1];
  if (n == 0) H5_TRY(H5Sselect_none(*fspace), z->file, obj);
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (rows && j < n && rows[j] == rows[j - 1] + 1)
      j++;
    start[0] = (hsize_t)(rows ? rows[i] : row0);
    count[0] = (hsize_t)(rows ? j - i : n);
    H5_TRY(
        H5Sselect_hyperslab(*fspace, i ? H5S_SELECT_OR : H5S_SELECT_SET, start, NULL, count, NULL),
        z->file, obj);
    i = rows ? j : n;
  }
  /* The memory space has the file selection's shape (n rows of the row width): with a flat 1-D
   * memory space HDF5 maps element runs one by one and reads run at a tenth of the speed. */
  m = (hsize_t)n * dims[1];
  hsize_t mdims[2] = {n ? (hsize_t)n : 1, dims[1]};
  H5_TRY(*mspace = H5Screate_simple(nd, mdims, NULL), z->file, obj);
  if (!m) H5_TRY(H5Sselect_none(*mspace), z->file, obj);
cleanup:
  return rc;
}

/* One collective read or write of rows of d (see select_rows) in memory type mtype. `before` is
 * the caller's local status: every rank enters, and all agree on it and on the selections before
 * the transfer, and on the transfer's outcome after it. */
static int transfer(zl_zoo z, int before, hid_t d, const char *obj, hid_t mtype, int write,
                    const int64_t *rows, int64_t row0, int64_t n, void *buf) {
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  char nothing = 0; /* HDF5 wants a buffer even for an empty selection: callers may pass NULL */
  int rc = before ? before : check_open(z);
  if (!rc) rc = select_rows(z, d, obj, rows, row0, n, &fspace, &mspace);
  if (!buf) buf = &nothing;
  rc = zl_comm_agree(z->comm, rc);
  if (!rc) {
    herr_t e = write ? H5Dwrite(d, mtype, mspace, fspace, z->dxpl, buf)
                     : H5Dread(d, mtype, mspace, fspace, z->dxpl, buf);
    if (e < 0) rc = h5_fail(z->file, obj, write ? "H5Dwrite" : "H5Dread", __FILE__, __LINE__);
    rc = agree_after_h5(z->comm, rc, write && !z->resumable ? z->file : NULL);
    if (rc && write) z->broken = 1;
  }
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  return rc;
}

static int check_writable(zl_zoo z) {
  if (z->writable) return 0;
  return ZL_ERR(ZL_ERR_RUNTIME, "%s: opened read-only", z->file);
}

int zl_zoo_read_weights(zl_zoo z, int64_t row0, int64_t n, float *buf) {
  return transfer(z, 0, z->weights, "/weights", H5T_NATIVE_FLOAT, 0, NULL, row0, n, buf);
}

int zl_zoo_read_weight_rows(zl_zoo z, const int64_t *rows, int64_t n, float *buf) {
  return transfer(z, 0, z->weights, "/weights", H5T_NATIVE_FLOAT, 0, rows, 0, n, buf);
}

int zl_zoo_write_weights(zl_zoo z, int64_t row0, int64_t n, const float *buf) {
  return transfer(z, check_writable(z), z->weights, "/weights", H5T_NATIVE_FLOAT, 1, NULL, row0, n,
                  (void *)buf);
}

static int column_io(zl_zoo z, const char *column, zl_dtype dtype, int write, const int64_t *rows,
                     int64_t row0, int64_t n, void *buf) {
  hid_t d = H5I_INVALID_HID;
  char obj[256];
  snprintf(obj, sizeof obj, "/%s", column);
  /* Opening is a collective metadata read: every rank makes it, whatever its own arguments. */
  int rc = check_open(z);
  if (!rc) rc = open_dataset(z->h5, z->file, column, &d);
  if (!rc && write) rc = check_writable(z);
  if (!rc && (dtype < ZL_F64 || dtype > ZL_I32))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: unknown dtype %d", z->file, obj, (int)dtype);
  hid_t mtype = dtype == ZL_F64   ? H5T_NATIVE_DOUBLE
                : dtype == ZL_I64 ? H5T_NATIVE_INT64
                                  : H5T_NATIVE_INT32;
  rc = transfer(z, rc, d, obj, mtype, write, rows, row0, n, buf);
  if (d >= 0) H5Dclose(d);
  return rc;
}

int zl_zoo_read_column(zl_zoo z, const char *column, zl_dtype dtype, int64_t row0, int64_t n,
                       void *buf) {
  return column_io(z, column, dtype, 0, NULL, row0, n, buf);
}

int zl_zoo_read_column_rows(zl_zoo z, const char *column, zl_dtype dtype, const int64_t *rows,
                            int64_t n, void *buf) {
  return column_io(z, column, dtype, 0, rows, 0, n, buf);
}

int zl_zoo_write_column(zl_zoo z, const char *column, zl_dtype dtype, int64_t row0, int64_t n,
                        const void *buf) {
  return column_io(z, column, dtype, 1, NULL, row0, n, (void *)buf);
}

/* ---- creating ---- */

/* A per-row column of N elements, its fill value written once when the dataset is created.
 * Collective. */
/* A creation property list without modification times: the same zoo written twice is the same
 * bytes, so nightly runs can compare input checksums. */
static hid_t untimed(hid_t cls) {
  hid_t p = H5Pcreate(cls);
  if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
    H5Pclose(p);
    p = H5I_INVALID_HID;
  }
  return p;
}

static int create_column(zl_zoo z, const char *name, hid_t ftype, hid_t mtype, const void *fill) {
  int rc = 0;
  hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, d = H5I_INVALID_HID;
  hsize_t n = (hsize_t)z->m.n_rows;
  H5_TRY(space = H5Screate_simple(1, &n, NULL), z->file, name);
  H5_TRY(dcpl = untimed(H5P_DATASET_CREATE), z->file, name);
  H5_TRY(H5Pset_fill_value(dcpl, mtype, fill), z->file, name);
  /* Parallel HDF5 allocates space at creation (no rank may allocate alone later); the fill value is
   * written then, so rows never written read as NaN (-1, 0), not as garbage. */
  H5_TRY(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), z->file, name);
  H5_TRY(H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET), z->file, name);
  H5_TRY(d = H5Dcreate2(z->h5, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), z->file, name);
cleanup:
  if (d >= 0) H5Dclose(d);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return rc;
}

/* /weights: float32 [N, P], chunked by rows. No compression filter: writing a filtered dataset in
 * parallel needs collective chunk I/O on every call and HDF5 >= 1.10.2's filtered-write path, and
 * float weights barely compress; unfiltered chunks also let any rank write any rows. */
static int create_weights(zl_zoo z) {
  int rc = 0;
  hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  const int64_t N = z->m.n_rows, P = z->m.n_params;
  hsize_t dims[2] = {(hsize_t)N, (hsize_t)P}, chunk[2];
  int64_t cols = P * 4 <= ZOO_CHUNK_BYTES ? P : ZOO_CHUNK_BYTES / 4;
  int64_t rows = ZOO_CHUNK_BYTES / (cols * 4);
  chunk[0] = (hsize_t)(rows < N ? rows : N);
  chunk[1] = (hsize_t)cols;
  H5_TRY(space = H5Screate_simple(2, dims, NULL), z->file, "/weights");
  H5_TRY(dcpl = untimed(H5P_DATASET_CREATE), z->file, "/weights");
  H5_TRY(H5Pset_chunk(dcpl, 2, chunk), z->file, "/weights");
  /* Every chunk is allocated at creation, collectively: ranks then write their rows anywhere. */
  H5_TRY(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), z->file, "/weights");
  /* Each row is written exactly once: filling N x P zeros first would double the I/O. */
  H5_TRY(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), z->file, "/weights");
  H5_TRY(z->weights =
             H5Dcreate2(z->h5, "weights", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
         z->file, "/weights");
  z->m.chunk_rows = (int64_t)chunk[0];
cleanup:
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return rc;
}

/* /layout, written by rank 0 (the others select nothing). */
static int create_layout(zl_zoo z) {
  int rc = 0;
  hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID, space = H5I_INVALID_HID;
  hid_t d = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  hsize_t n = (hsize_t)z->m.n_tensors;
  ZL_CALL_GOTO(rc, cleanup, layout_type(z->file, 1, &ftype));
  ZL_CALL_GOTO(rc, cleanup, layout_type(z->file, 0, &mtype));
  H5_TRY(space = H5Screate_simple(1, &n, NULL), z->file, "/layout");
  H5_TRY(dcpl = untimed(H5P_DATASET_CREATE), z->file, "/layout");
  H5_TRY(d = H5Dcreate2(z->h5, "layout", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), z->file,
         "/layout");
  rc = transfer(z, 0, d, "/layout", mtype, 1, NULL, 0, zl_comm_rank(z->comm) ? 0 : (int64_t)n,
                z->m.tensors);
cleanup:
  if (d >= 0) H5Dclose(d);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  if (mtype >= 0) H5Tclose(mtype);
  if (ftype >= 0) H5Tclose(ftype);
  return rc;
}

/* Everything of a new zoo file. Collective. */
static int create_file(zl_zoo z) {
  int rc = 0;
  hid_t fapl = H5I_INVALID_HID, g = H5I_INVALID_HID, gcpl = H5I_INVALID_HID;
  hid_t fcpl = H5I_INVALID_HID;
  const char *format = ZL_ZOO_FORMAT;
  const double nan = NAN;
  const int64_t zero = 0;
  ZL_CALL(make_fapl(z, &fapl));
  /* The 1.8 format's root group header would carry its creation time: no time, the same bytes. */
  H5_TRY(fcpl = untimed(H5P_FILE_CREATE), z->file, "/");
  H5_TRY(z->h5 = H5Fcreate(z->file, H5F_ACC_TRUNC, fcpl, fapl), z->file, "/");
  ZL_CALL_GOTO(rc, cleanup, write_str_attr(z->h5, z->file, "/", "format", &format, 1, 1));
  ZL_CALL_GOTO(
      rc, cleanup,
      write_int_attr(z->h5, z->file, "format_version", H5T_STD_I32LE, ZL_ZOO_FORMAT_VERSION));
  ZL_CALL_GOTO(
      rc, cleanup,
      write_str_attr(z->h5, z->file, "/", "dataset", (const char *const *)&z->m.dataset, 1, 1));
  ZL_CALL_GOTO(rc, cleanup,
               write_str_attr(z->h5, z->file, "/", "architecture",
                              (const char *const *)&z->m.architecture, 1, 1));
  ZL_CALL_GOTO(rc, cleanup,
               write_int_attr(z->h5, z->file, "n_params", H5T_STD_I64LE, z->m.n_params));
  ZL_CALL_GOTO(rc, cleanup, create_weights(z));
  ZL_CALL_GOTO(rc, cleanup, create_layout(z));
  const char *groups[] = {"metrics", "runs", "hparams"};
  H5_TRY(gcpl = untimed(H5P_GROUP_CREATE), z->file, "/");
  for (int i = 0; i < 3; i++) {
    H5_TRY(g = H5Gcreate2(z->h5, groups[i], H5P_DEFAULT, gcpl, H5P_DEFAULT), z->file, groups[i]);
    H5Gclose(g);
  }
  for (int i = 0; i < N_FIXED_COLUMNS; i++)
    ZL_CALL_GOTO(
        rc, cleanup,
        fixed_columns[i].is_int
            ? create_column(z, fixed_columns[i].name, H5T_STD_I64LE, H5T_NATIVE_INT64, &zero)
            : create_column(z, fixed_columns[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan));
cleanup:
  if (gcpl >= 0) H5Pclose(gcpl);
  if (fcpl >= 0) H5Pclose(fcpl);
  if (fapl >= 0) H5Pclose(fapl);
  return rc;
}

/* Rank 0 makes sure the file can be created, for a plain message ("cannot create: Permission
 * denied") rather than MPI-IO's. */
static int probe_create(const char *file) {
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create: %s", file, strerror(errno));
  close(fd);
  return 0;
}

static int copy_spec(zoo_meta *m, const char *path, const zl_zoo_spec *spec) {
  m->dataset = strdup(spec->dataset);
  m->architecture = strdup(spec->architecture);
  m->tensors = zl_malloc((size_t)spec->n_tensors, sizeof *m->tensors, path);
  if (!m->dataset || !m->architecture || !m->tensors)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", path);
  memcpy(m->tensors, spec->tensors, (size_t)spec->n_tensors * sizeof *m->tensors);
  m->n_tensors = spec->n_tensors;
  m->n_rows = spec->n_rows;
  m->n_params = spec->n_params;
  return 0;
}

int zl_zoo_create(MPI_Comm comm, const char *path, const zl_zoo_spec *spec, zl_zoo *zoo) {
  zl_zoo z = NULL;
  char what[4200];
  *zoo = NULL;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* Every rank has the same spec, so these checks fail alike everywhere: no agreement needed. */
  if (!spec->dataset || !spec->architecture || spec->n_rows < 1 || spec->n_params < 1)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: a zoo needs a dataset, an architecture, rows and parameters",
                  path);
  snprintf(what, sizeof what, "%s: /layout", path);
  ZL_CALL(zl_zoo_check_layout(what, spec->tensors, spec->n_tensors, spec->n_params));

  int rc = zoo_new(comm, path, 1, &z), created = 0;
  if (!rc) rc = copy_spec(&z->m, path, spec);
  if ((rc = zl_comm_agree(comm, rc))) goto fail;
  if ((rc = zl_comm_root_status(comm, zl_comm_rank(comm) == 0 ? probe_create(z->file) : 0)))
    goto fail;
  created = 1;
  if ((rc = agree_after_h5(comm, create_file(z), z->file))) {
    z->broken = 1;
    goto fail;
  }
  *zoo = z;
  return 0;
fail:
  /* A half-created .part holds nothing to resume: remove it before closing (which may end the
   * job, see zl_zoo_destroy). The job is failing already: a failed unlink changes nothing. */
  if (created && zl_comm_rank(comm) == 0) (void)unlink(z->file);
  zl_zoo_destroy(&z);
  return rc;
}

/* ---- metadata that crashes HDF5 ---- */

/* HDF5 checks the metadata of its 1.8 format against checksums, but a file in the older format
 * (superblock 0, what h5py and HDF5 write by default) has none, nor have the B-tree nodes indexing
 * /weights' chunks in either, and HDF5 1.10.8 follows what a corrupt byte there makes of an address
 * or a count: of the 9 392 bytes of a 200-network zoo's metadata in the old format, 13 crashed it
 * when flipped (in H5A__close, iterating the root's attributes). Nothing of ours can read these
 * structures before HDF5 does, so while a zoo's metadata is read a fault ends the process with the
 * error line and status 1 instead of a core dump: the handler calls only write and _exit, both
 * async-signal-safe, the line being formatted beforehand. MPI_Abort is not async-signal-safe: the
 * launcher ends the job, as for a rank killed outright. SIGABRT is glibc's heap checks finding what
 * HDF5 wrote past a corrupt size; the own stack, for a corrupt structure that recursed HDF5 out of
 * its stack. A fault of zoolens's own code in that window is named the same way. */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
#define N_CRASH_SIGNALS ((int)(sizeof crash_signals / sizeof crash_signals[0]))

static char crash_line[ZL_ERROR_MAX];
static size_t crash_len;

typedef struct {
  struct sigaction old[N_CRASH_SIGNALS];
  stack_t old_stack;
  int n_set; /* handlers installed, in crash_signals order */
} crash_guard;

static void crash_exit(int sig) {
  (void)sig;
  ssize_t w = write(STDERR_FILENO, crash_line, crash_len);
  (void)w; /* nothing is left to report a failed write to */
  _exit(ZL_ERR_RUNTIME);
}

/* Puts back what crash_guard_on replaced; the first failure recorded, rc kept if set. */
static int crash_guard_off(crash_guard *g, const char *file, int rc) {
  for (int i = g->n_set - 1; i >= 0; i--)
    if (sigaction(crash_signals[i], &g->old[i], NULL) && !rc)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: restoring signal %d's handler: %s", file, crash_signals[i],
                  strerror(errno));
  g->n_set = 0;
  if (sigaltstack(&g->old_stack, NULL) && !rc)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: restoring the signal stack: %s", file, strerror(errno));
  return rc;
}

/* Until crash_guard_off, a fault ends this process with "zoolens: <file>: corrupt HDF5 metadata"
 * and status 1. Not collective. */
static int crash_guard_on(crash_guard *g, const char *file, MPI_Comm comm) {
  static char stack[1 << 16];
  int rank = zl_comm_rank(comm);
  char where[32] = "";
  if (rank) snprintf(where, sizeof where, " (rank %d)", rank);
  int n = snprintf(crash_line, sizeof crash_line,
                   "zoolens: %.*s: corrupt HDF5 metadata (reading it crashed)%s\n",
                   ZL_ERROR_MAX - 128, file, where);
  crash_len = n > 0 && (size_t)n < sizeof crash_line ? (size_t)n : 0;
  g->n_set = 0;
  stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
  if (sigaltstack(&ss, &g->old_stack))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: setting a signal stack: %s", file, strerror(errno));
  struct sigaction sa = {.sa_handler = crash_exit, .sa_flags = SA_ONSTACK};
  sigemptyset(&sa.sa_mask);
  for (; g->n_set < N_CRASH_SIGNALS; g->n_set++)
    if (sigaction(crash_signals[g->n_set], &sa, &g->old[g->n_set]))
      return crash_guard_off(g, file,
                             ZL_ERR(ZL_ERR_RUNTIME, "%s: setting signal %d's handler: %s", file,
                                    crash_signals[g->n_set], strerror(errno)));
  return 0;
}

/* Runs read(z), reading z's metadata, under crash_guard_on. Not collective. */
static int guarded(zl_zoo z, int (*read)(zl_zoo)) {
  crash_guard g;
  int rc = crash_guard_on(&g, z->file, z->comm);
  return rc ? rc : crash_guard_off(&g, z->file, read(z));
}

/* Reads every node of /weights' chunk index (when chunked): the ranks' reads of rows follow them
 * later, outside crash_guard_on. */
static int walk_chunk_index(hid_t f, const char *file) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, space = H5I_INVALID_HID;
  H5D_layout_t layout;
  hsize_t n;
  H5_TRY(d = H5Dopen2(f, "weights", H5P_DEFAULT), file, "/weights");
  H5_TRY(dcpl = H5Dget_create_plist(d), file, "/weights");
  H5_TRY(layout = H5Pget_layout(dcpl), file, "/weights");
  H5_TRY(space = H5Dget_space(d), file, "/weights");
  if (layout == H5D_CHUNKED) H5_TRY(H5Dget_num_chunks(d, space, &n), file, "/weights");
cleanup:
  if (space >= 0) H5Sclose(space);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (d >= 0) H5Dclose(d);
  return rc;
}

/* ---- opening ---- */

/* Rank 0, alone: the file exists, is HDF5, and its metadata is valid. */
static int validate_alone(zl_zoo z) {
  int rc = 0;
  hid_t f = H5I_INVALID_HID;
  zoo_meta m = {0};
  if (access(z->file, F_OK))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", z->file,
                  errno == ENOENT ? "no such file" : strerror(errno));
  htri_t is_h5 = H5Fis_hdf5(z->file);
  H5Eclear2(H5E_DEFAULT);
  if (is_h5 <= 0)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: %s", z->file,
                  access(z->file, R_OK) ? strerror(errno) : "not an HDF5 file");
  H5_TRY(f = H5Fopen(z->file, H5F_ACC_RDONLY, H5P_DEFAULT), z->file, "/");
  rc = load_meta(f, z->file, &m, MPI_COMM_SELF, H5P_DEFAULT);
  if (!rc) rc = walk_chunk_index(f, z->file);
cleanup:
  meta_free(&m);
  if (f >= 0) H5Fclose(f);
  return rc;
}

/* Every rank opens the file and loads its metadata (collective metadata reads). */
static int open_parallel(zl_zoo z) {
  int rc = 0;
  hid_t fapl = H5I_INVALID_HID;
  ZL_CALL(make_fapl(z, &fapl));
  H5_TRY(z->h5 = H5Fopen(z->file, z->writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl), z->file, "/");
  ZL_CALL_GOTO(rc, cleanup, load_meta(z->h5, z->file, &z->m, z->comm, z->dxpl));
  H5_TRY(z->weights = H5Dopen2(z->h5, "weights", H5P_DEFAULT), z->file, "/weights");
cleanup:
  if (fapl >= 0) H5Pclose(fapl);
  return rc;
}

static int zoo_open(MPI_Comm comm, const char *path, int part, zl_zoo *zoo) {
  zl_zoo z = NULL;
  *zoo = NULL;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int rc = zl_comm_agree(comm, zoo_new(comm, path, part, &z));
  if (rc) goto fail;
  z->resumable = part; /* a .part found again is one to resume */
  if ((rc = zl_comm_root_status(comm, zl_comm_rank(comm) == 0 ? guarded(z, validate_alone) : 0)))
    goto fail;
  rc = guarded(z, open_parallel);
  if (!rc) rc = zl_fault(comm, "open");
  if ((rc = zl_comm_agree(comm, rc))) goto fail;
  *zoo = z;
  return 0;
fail:
  zl_zoo_destroy(&z);
  return rc;
}

int zl_zoo_open(MPI_Comm comm, const char *path, zl_zoo *zoo) {
  return zoo_open(comm, path, 0, zoo);
}

int zl_zoo_reopen_part(MPI_Comm comm, const char *path, zl_zoo *zoo) {
  return zoo_open(comm, path, 1, zoo);
}

int zl_zoo_suspend(zl_zoo z) {
  int rc = z->writable
               ? ZL_ERR(ZL_ERR_RUNTIME, "%s: a zoo being written cannot be suspended", z->file)
               : check_open(z);
  if (!rc) rc = zoo_close_file(z);
  return zl_comm_agree(z->comm, rc);
}

int zl_zoo_resume(zl_zoo z) {
  int rc = 0;
  hid_t fapl = H5I_INVALID_HID;
  if (z->h5 >= 0)
    return zl_comm_agree(z->comm, ZL_ERR(ZL_ERR_RUNTIME, "%s: not suspended", z->file));
  /* The metadata was validated when the zoo was opened: reopening needs the file and /weights. */
  ZL_CALL_GOTO(rc, cleanup, make_fapl(z, &fapl));
  H5_TRY(z->h5 = H5Fopen(z->file, H5F_ACC_RDONLY, fapl), z->file, "/");
  H5_TRY(z->weights = H5Dopen2(z->h5, "weights", H5P_DEFAULT), z->file, "/weights");
cleanup:
  if (fapl >= 0) H5Pclose(fapl);
  rc = zl_comm_agree(z->comm, rc);
  if (rc) zoo_close_file(z);
  return rc;
}

int zl_zoo_commit(zl_zoo *zoo) {
  zl_zoo z = *zoo;
  *zoo = NULL;
  if (!z) return ZL_ERR(ZL_ERR_RUNTIME, "zl_zoo_commit: no zoo");
  int rc = check_writable(z);
  if (rc) {
    zl_zoo_destroy(&z);
    return rc;
  }
  /* The agreement after closing is the barrier: every rank has closed the file before rank 0
   * renames it. */
  rc = agree_after_h5(z->comm, zoo_close(z), NULL);
  if (!rc && zl_comm_rank(z->comm) == 0 && rename(z->file, z->path))
    rc =
        ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot rename %s to it: %s", z->path, z->file, strerror(errno));
  if (!rc || zl_comm_rank(z->comm) == 0) rc = zl_comm_root_status(z->comm, rc);
  zoo_free(z);
  return rc;
}

/* ---- hparams and strings ---- */

static int compare_hparams(const void *a, const void *b) {
  return strcmp(((const zoo_hparam *)a)->name, ((const zoo_hparam *)b)->name);
}

int zl_zoo_add_hparam(zl_zoo z, const char *name, const char *const *labels, int n_labels) {
  char path[256], obj[260];
  zoo_hparam h = {0};
  hid_t d = H5I_INVALID_HID;
  const double nan = NAN;
  const int32_t none = -1;
  /* Same arguments everywhere: these fail alike on every rank. */
  ZL_CALL(check_writable(z));
  if (!*name || strchr(name, '/') || strlen(name) > 200 || (labels && n_labels < 1))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: hparam '%s': bad name or no labels", z->file, name);
  for (int i = 0; i < z->m.n_hparams; i++)
    if (!strcmp(z->m.hparams[i].name, name))
      return ZL_ERR(ZL_ERR_RUNTIME, "%s: /hparams/%s exists", z->file, name);
  snprintf(path, sizeof path, "hparams/%s", name);
  snprintf(obj, sizeof obj, "/%s", path);

  int rc = 0;
  zoo_hparam *grown = realloc(z->m.hparams, (size_t)(z->m.n_hparams + 1) * sizeof *grown);
  if (grown) z->m.hparams = grown;
  if (!grown || !(h.name = strdup(name)) ||
      (labels && !(h.labels = zl_calloc((size_t)n_labels + 1, sizeof *h.labels, obj))))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", obj);
  for (int i = 0; !rc && labels && i < n_labels; i++, h.n_labels++)
    if (!(h.labels[i] = strdup(labels[i]))) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory", obj);
  if ((rc = zl_comm_agree(z->comm, rc))) goto cleanup;

  rc = labels ? create_column(z, path, H5T_STD_I32LE, H5T_NATIVE_INT32, &none)
              : create_column(z, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan);
  if (!rc && labels) {
    H5_TRY(d = H5Dopen2(z->h5, path, H5P_DEFAULT), z->file, obj);
    rc = write_str_attr(d, z->file, obj, "labels", labels, n_labels, 0);
  }
  rc = agree_written(z, rc);
cleanup:
  if (d >= 0) H5Dclose(d);
  if (rc) {
    free(h.name);
    zl_strings_free(h.labels, h.n_labels);
    return rc;
  }
  z->m.hparams[z->m.n_hparams++] = h;
  qsort(z->m.hparams, (size_t)z->m.n_hparams, sizeof *z->m.hparams, compare_hparams);
  return 0;
}

int zl_zoo_write_strings(zl_zoo z, const char *dataset, const char *const *s, int64_t n) {
  int rc = 0, root = zl_comm_rank(z->comm) == 0;
  hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, lcpl = H5I_INVALID_HID;
  hid_t d = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  char *buf = NULL, obj[256];
  size_t width = 1;
  int64_t shape[2] = {n, 1}; /* rank 0's count and string width, for everyone */
  snprintf(obj, sizeof obj, "/%s", dataset);
  ZL_CALL(check_writable(z));
  if ((rc = zl_comm_root_status(z->comm, root ? pack_strings(obj, s, n, &buf, &width) : 0)))
    return rc;
  shape[1] = (int64_t)width;
  int mrc = MPI_Bcast(shape, 2, MPI_INT64_T, 0, z->comm);
  if (mrc != MPI_SUCCESS) {
    rc = zl_mpi_error(mrc, "MPI_Bcast(string shape)", __FILE__, __LINE__);
    goto cleanup;
  }
  hsize_t dim = (hsize_t)shape[0];
  /* Rewriting (a resumed job) replaces the old strings, whatever their width. */
  htri_t has = H5Lexists(z->h5, dataset, H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  if (has > 0) H5_TRY(H5Ldelete(z->h5, dataset, H5P_DEFAULT), z->file, obj);
  ZL_CALL_GOTO(rc, cleanup, str_type(z->file, obj, (size_t)shape[1], &type));
  H5_TRY(space = H5Screate_simple(1, &dim, NULL), z->file, obj);
  H5_TRY(lcpl = H5Pcreate(H5P_LINK_CREATE), z->file, obj);
  H5_TRY(H5Pset_create_intermediate_group(lcpl, 1), z->file, obj);
  H5_TRY(dcpl = untimed(H5P_DATASET_CREATE), z->file, obj);
  /* Its creation may fail on one rank alone: agreed on before the transfer's own agreements. */
  if ((d = H5Dcreate2(z->h5, dataset, type, space, lcpl, dcpl, H5P_DEFAULT)) < 0)
    rc = h5_fail(z->file, obj, "H5Dcreate2", __FILE__, __LINE__);
  if (!(rc = agree_written(z, rc)))
    rc = transfer(z, 0, d, obj, type, 1, NULL, 0, root ? shape[0] : 0, buf);
cleanup:
  if (dcpl >= 0) H5Pclose(dcpl);
  if (d >= 0) H5Dclose(d);
  if (lcpl >= 0) H5Pclose(lcpl);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  free(buf);
  return z->broken ? rc : zl_comm_agree(z->comm, rc);
}

int zl_zoo_read_strings(zl_zoo z, const char *dataset, char ***s, int64_t *n) {
  hid_t d = H5I_INVALID_HID;
  char obj[256];
  snprintf(obj, sizeof obj, "/%s", dataset);
  *s = NULL;
  *n = 0;
  int rc = zl_comm_agree(z->comm, open_dataset(z->h5, z->file, dataset, &d));
  if (!rc) rc = read_strs(z->file, obj, d, 0, z->comm, z->dxpl, s, n);
  if (d >= 0) H5Dclose(d);
  return rc;
}

int zl_zoo_set_attr_double(zl_zoo z, const char *name, double value) {
  int rc = 0, i = 0;
  hid_t space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  htri_t has;
  ZL_CALL(check_writable(z));
  while (i < z->m.n_attrs && strcmp(z->m.attrs[i].name, name))
    i++;
  char *copy = i == z->m.n_attrs ? strdup(name) : NULL;
  if (i == z->m.n_attrs && (!copy || grow_attrs(&z->m)))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: attribute '%s': out of memory", z->file, name);
  if ((rc = zl_comm_agree(z->comm, rc))) {
    free(copy);
    return rc;
  }
  /* A new value replaces the attribute, whatever its old type. */
  H5_TRY(has = H5Aexists(z->h5, name), z->file, name);
  if (has) H5_TRY(H5Adelete(z->h5, name), z->file, name);
  H5_TRY(space = H5Screate(H5S_SCALAR), z->file, name);
  H5_TRY(attr = H5Acreate2(z->h5, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), z->file,
         name);
  H5_TRY(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), z->file, name);
cleanup:
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  rc = agree_written(z, rc);
  if (!rc && copy)
    z->m.attrs[z->m.n_attrs++].name = copy;
  else
    free(copy);
  if (!rc) z->m.attrs[i].value = value;
  return rc;
}

int zl_zoo_get_attr_double(zl_zoo z, const char *name, double *value, int *found) {
  *found = 0;
  for (int i = 0; i < z->m.n_attrs; i++)
    if (!strcmp(z->m.attrs[i].name, name)) {
      *value = z->m.attrs[i].value;
      *found = 1;
    }
  return 0;
}

/* ---- accessors (not collective) ---- */

MPI_Comm zl_zoo_comm(zl_zoo z) {
  return z->comm;
}
const char *zl_zoo_path(zl_zoo z) {
  return z->path;
}
const char *zl_zoo_dataset(zl_zoo z) {
  return z->m.dataset;
}
const char *zl_zoo_architecture(zl_zoo z) {
  return z->m.architecture;
}
int64_t zl_zoo_n_rows(zl_zoo z) {
  return z->m.n_rows;
}
int64_t zl_zoo_n_params(zl_zoo z) {
  return z->m.n_params;
}
int zl_zoo_n_tensors(zl_zoo z) {
  return z->m.n_tensors;
}
const zl_tensor *zl_zoo_tensor(zl_zoo z, int i) {
  return i >= 0 && i < z->m.n_tensors ? &z->m.tensors[i] : NULL;
}
int zl_zoo_n_hparams(zl_zoo z) {
  return z->m.n_hparams;
}
const char *zl_zoo_hparam_name(zl_zoo z, int i) {
  return i >= 0 && i < z->m.n_hparams ? z->m.hparams[i].name : NULL;
}
const char *const *zl_zoo_hparam_labels(zl_zoo z, int i, int *n_labels) {
  *n_labels = i >= 0 && i < z->m.n_hparams ? z->m.hparams[i].n_labels : 0;
  return *n_labels ? (const char *const *)z->m.hparams[i].labels : NULL;
}

int64_t zl_zoo_block_rows(zl_zoo z, int64_t max_bytes) {
  int64_t rows = max_bytes / (4 * z->m.n_params);
  if (rows >= z->m.chunk_rows) rows -= rows % z->m.chunk_rows;
  if (rows > z->m.n_rows) rows = z->m.n_rows;
  return rows > 0 ? rows : 1;
}

/* ---- resumable writing ---- */

int zl_zoo_add_column(zl_zoo z, const char *column, zl_dtype dtype) {
  static const int64_t zero = 0;
  static const double nan = NAN;
  /* Same arguments everywhere: these fail alike on every rank. */
  ZL_CALL(check_writable(z));
  if (dtype < ZL_F64 || dtype > ZL_I32)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: /%s: unknown dtype %d", z->file, column, (int)dtype);
  htri_t has = H5Lexists(z->h5, column, H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  if (has > 0) return ZL_ERR(ZL_ERR_RUNTIME, "%s: /%s exists", z->file, column);
  /* The fill value is given in the memory type: an integer 0 reads as 0 in int32 and int64. */
  hid_t ftype = dtype == ZL_F64 ? H5T_IEEE_F64LE : dtype == ZL_I64 ? H5T_STD_I64LE : H5T_STD_I32LE;
  int rc = dtype == ZL_F64 ? create_column(z, column, ftype, H5T_NATIVE_DOUBLE, &nan)
                           : create_column(z, column, ftype, H5T_NATIVE_INT64, &zero);
  return agree_written(z, rc);
}

int zl_zoo_flush(zl_zoo z) {
  int rc = 0;
  ZL_CALL(check_writable(z));
  H5_TRY(H5Fflush(z->h5, H5F_SCOPE_GLOBAL), z->file, "/");
cleanup:
  rc = agree_written(z, rc);
  if (!rc) z->resumable = 1;
  return rc;
}

int zl_zoo_set_attr_string(zl_zoo z, const char *name, const char *value) {
  int rc = 0;
  htri_t has;
  ZL_CALL(check_writable(z));
  H5_TRY(has = H5Aexists(z->h5, name), z->file, name);
  if (has) H5_TRY(H5Adelete(z->h5, name), z->file, name);
  rc = write_str_attr(z->h5, z->file, "/", name, &value, 1, 1);
cleanup:
  return agree_written(z, rc);
}

int zl_zoo_get_attr_string(zl_zoo z, const char *name, char **value) {
  *value = NULL;
  return zl_comm_agree(z->comm, root_str_attr(z->h5, z->file, name, value));
}
