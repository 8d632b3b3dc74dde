#include "zl_predictions.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zl_comm.h"

/* predictions.h5 is small (a few numbers per network), so rank 0 alone writes it after a gather:
 * a collective HDF5 call that fails on one rank (a full disk) leaves the others inside HDF5's own
 * collectives, where no agreement afterwards reaches them; serial calls on one rank cannot.
 * Rank 0 builds the file in memory (the core driver without a backing store) and writes its image
 * with plain write(2) at commit: every disk error is then one checked system call, and closing the
 * HDF5 file never touches the disk. A failed H5Fclose would leave its identifier open, and HDF5
 * closes leftovers while MPI_Finalize runs, where a failing flush crashes the job. */
struct zl_predictions_s {
  MPI_Comm comm;
  int rank;
  char path[4096], part[4200];
  hid_t file; /* rank 0: the in-memory file, until commit */
  int fd; /* rank 0: the open "<path>.part", created at once so an unwritable place fails early */
  int created, committed; /* rank 0: "<path>.part" made by this job; renamed to path */
  void *image;            /* rank 0: the core driver's buffer, through the callbacks below */
  size_t image_size;
  struct group_state *groups; /* rank 0: every group made, the first (the base) at [0] */
  int n_groups, cap_groups;
};

/* The core driver's memory comes from these callbacks, so commit can write the file image from
 * the driver's own buffer: H5Fget_file_image would copy it, doubling rank 0's memory at commit
 * (100 MB at 10⁶ networks and the default 8 results). */
static void *image_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
  (void)op;
  struct zl_predictions_s *p = udata;
  void *m = malloc(size);
  if (m) {
    p->image = m;
    p->image_size = size;
  }
  return m;
}

static void *image_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op,
                          void *udata) {
  (void)op;
  (void)udata;
  return memcpy(dest, src, size);
}

static void *image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
  (void)op;
  struct zl_predictions_s *p = udata;
  void *m = realloc(ptr, size);
  if (m) {
    p->image = m;
    p->image_size = size;
  }
  return m;
}

static herr_t image_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
  (void)op;
  struct zl_predictions_s *p = udata;
  if (ptr == p->image) {
    p->image = NULL;
    p->image_size = 0;
  }
  free(ptr);
  return 0;
}

/* The callbacks' user data is the predictions object itself, shared by every copy of the list. */
static void *udata_copy(void *udata) {
  return udata;
}

static herr_t udata_free(void *udata) {
  (void)udata;
  return 0;
}

/* HDF5's innermost reason for the last failure, shortened to its "error message = '...'" part
 * (the system's strerror) when it has one; the error stack is cleared. */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *why) {
  if (n == 0) snprintf(why, 256, "%s", e->desc);
  return 0;
}

static void h5_reason(char why[256]) {
  why[0] = '\0';
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, why);
  H5Eclear2(H5E_DEFAULT);
  const char *m = strstr(why, "error message = '");
  if (m) {
    m += strlen("error message = '");
    size_t len = strcspn(m, "'");
    memmove(why, m, len);
    why[len] = '\0';
  }
  if (!why[0]) snprintf(why, 256, "HDF5 call failed");
}

/* Records "<part>: <what>: <HDF5's reason>" and jumps to label. */
#define ZL_H5(rc, label, call, p, what)                                                            \
  do {                                                                                             \
    if ((call) < 0) {                                                                              \
      char why_[256];                                                                              \
      h5_reason(why_);                                                                             \
      (rc) = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: %s", (p)->part, (what), why_);                        \
      goto label;                                                                                  \
    }                                                                                              \
  } while (0)

/* Rank 0: creates "<path>.part" on disk and the in-memory HDF5 file. */
static int create_root(zl_predictions p) {
  int rc = 0;
  hid_t fapl = H5I_INVALID_HID;
  /* Reasons are reported through zl_error, not HDF5's own printing. */
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  p->fd = open(p->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (p->fd < 0) return ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create: %s", p->part, strerror(errno));
  p->created = 1;
  ZL_H5(rc, done, fapl = H5Pcreate(H5P_FILE_ACCESS), p, "cannot create");
  /* Grows in 1 MiB steps; no backing store: the image is written at commit. */
  ZL_H5(rc, done, H5Pset_fapl_core(fapl, (size_t)1 << 20, 0), p, "cannot create");
  H5FD_file_image_callbacks_t cb = {
      image_malloc, image_memcpy, image_realloc, image_free, udata_copy, udata_free, p};
  ZL_H5(rc, done, H5Pset_file_image_callbacks(fapl, &cb), p, "cannot create");
  ZL_H5(rc, done, p->file = H5Fcreate(p->part, H5F_ACC_TRUNC, H5P_DEFAULT, fapl), p,
        "cannot create");
done:
  if (fapl >= 0) H5Pclose(fapl);
  return rc;
}

int zl_predictions_create(MPI_Comm comm, const char *path, zl_predictions *out) {
  *out = NULL;
  struct zl_predictions_s *p = zl_calloc(1, sizeof *p, "predictions file");
  int rc = p ? 0 : ZL_ERR_RUNTIME;
  if (!rc) {
    p->comm = comm;
    p->rank = zl_comm_rank(comm);
    p->file = H5I_INVALID_HID;
    p->fd = -1;
    snprintf(p->path, sizeof p->path, "%s", path);
    snprintf(p->part, sizeof p->part, "%s.part", path);
  }
  rc = zl_comm_agree(comm, rc);
  if (!rc && p->rank == 0) rc = create_root(p);
  rc = zl_comm_root_status(comm, rc);
  if (rc) {
    zl_predictions_destroy(&p);
    return rc;
  }
  *out = p;
  return 0;
}

/* Rank 0: *ms, a memory space of n values, and rows [off, off + n) of fs selected (none when n is
 * 0). */
static int select_range(zl_predictions p, hid_t fs, hsize_t off, hsize_t n, hid_t *ms,
                        const char *what) {
  int rc = 0;
  ZL_H5(rc, done, *ms = H5Screate_simple(1, &n, NULL), p, what);
  if (n)
    ZL_H5(rc, done, H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &n, NULL), p, what);
  else
    ZL_H5(rc, done, H5Sselect_none(fs), p, what);
done:
  return rc;
}

/* Rank 0: appends the n values of buf to the 1-D dataset `name` in group g, creating it extendible
 * and chunked on first use (the layout the file has always had). Not collective. */
static int append(zl_predictions p, hid_t g, const char *group, const char *name, hid_t type,
                  const void *buf, hsize_t n) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  hsize_t cur = 0, zero = 0, unlim = H5S_UNLIMITED, chunk = 1 << 16;
  char what[400];
  snprintf(what, sizeof what, "/%s/%s", group, name);
  htri_t exists = H5Lexists(g, name, H5P_DEFAULT);
  ZL_H5(rc, done, exists, p, what);
  if (!exists) {
    ZL_H5(rc, done, fs = H5Screate_simple(1, &zero, &unlim), p, what);
    ZL_H5(rc, done, dcpl = H5Pcreate(H5P_DATASET_CREATE), p, what);
    ZL_H5(rc, done, H5Pset_chunk(dcpl, 1, &chunk), p, what);
    ZL_H5(rc, done, d = H5Dcreate2(g, name, type, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT), p, what);
  } else {
    ZL_H5(rc, done, d = H5Dopen2(g, name, H5P_DEFAULT), p, what);
    ZL_H5(rc, done, fs = H5Dget_space(d), p, what);
    ZL_H5(rc, done, H5Sget_simple_extent_dims(fs, &cur, NULL), p, what);
  }
  ZL_H5(rc, done, H5Sclose(fs), p, what);
  fs = H5I_INVALID_HID;
  hsize_t size = cur + n;
  ZL_H5(rc, done, H5Dset_extent(d, &size), p, what);
  ZL_H5(rc, done, fs = H5Dget_space(d), p, what);
  ZL_CALL_GOTO(rc, done, select_range(p, fs, cur, n, &ms, what));
  ZL_H5(rc, done, H5Dwrite(d, type, ms, fs, H5P_DEFAULT, buf), p, what);
done:
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (dcpl >= 0) H5Pclose(dcpl);
  /* Closing flushes the dataset's chunks, into memory: a failure is still this dataset's. */
  if (d >= 0 && H5Dclose(d) < 0 && !rc) {
    char why[256];
    h5_reason(why);
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %s: %s", p->part, what, why);
  }
  return rc;
}

/* The seven columns of one add, in the order the datasets are written. */
enum { C_ZOO, C_FILE, C_ROW, C_RUN, C_TRUE, C_PRED, C_FOLD, N_COLS };
static const struct {
  const char *name;
  size_t size;
  int is_int; /* int32 or int64 by size; else float64 */
} COL[N_COLS] = {{"zoo", 4, 1},  {"file", 4, 1},      {"row", 8, 1}, {"run_id", 8, 1},
                 {"true", 8, 0}, {"predicted", 8, 0}, {"fold", 4, 1}};

static hid_t col_type(int j) {
  return !COL[j].is_int     ? H5T_NATIVE_DOUBLE
         : COL[j].size == 4 ? H5T_NATIVE_INT32
                            : H5T_NATIVE_INT64;
}

static MPI_Datatype col_mpi_type(int j) {
  return !COL[j].is_int ? MPI_DOUBLE : COL[j].size == 4 ? MPI_INT32_T : MPI_INT64_T;
}

typedef struct {
  void *v[N_COLS];
} columns;

static void columns_free(columns *c) {
  for (int j = 0; j < N_COLS; j++)
    free(c->v[j]);
  memset(c, 0, sizeof *c);
}

static int columns_alloc(columns *c, size_t n) {
  int rc = 0;
  for (int j = 0; j < N_COLS; j++)
    if (!(c->v[j] = zl_malloc(n ? n : 1, COL[j].size, "prediction columns"))) rc = ZL_ERR_RUNTIME;
  return rc;
}

/* Rank 0: what each group holds. analyze adds every feature set and estimator with the same rows,
 * targets and folds, so only "predicted" differs between its groups: the first group made (the
 * base) writes every column; a later group whose rows so far equal the base's at the same places
 * writes only "predicted", and at commit its other six columns become hard links to the base's.
 * The image on rank 0 and the file then hold those once, not once per result: 8 bytes a network
 * a result after the first, not 44 (10⁷ networks and the default 8 results: 1.0 GB, not 3.5 GB).
 * A group whose rows differ copies the base's columns so far and goes on with its own. */
struct group_state {
  char name[160]; /* with a column's name, paths fit the 400 bytes read_base and link_shared use */
  hsize_t n;      /* rows added */
  int own;        /* has columns of its own */
};

static int open_group(zl_predictions p, const char *group, hid_t *g) {
  int rc = 0;
  char what[200];
  snprintf(what, sizeof what, "/%s", group);
  htri_t e = H5Lexists(p->file, group, H5P_DEFAULT);
  ZL_H5(rc, done, e, p, what);
  ZL_H5(rc, done,
        *g = e > 0 ? H5Gopen2(p->file, group, H5P_DEFAULT)
                   : H5Gcreate2(p->file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        p, what);
done:
  return rc;
}

static int close_group(zl_predictions p, const char *group, hid_t g, int rc) {
  char what[200];
  snprintf(what, sizeof what, "/%s", group);
  if (g >= 0 && H5Gclose(g) < 0 && !rc) ZL_H5(rc, done, -1, p, what);
done:
  return rc;
}

/* Rank 0: rows [off, off + n) of the base's column j into buf. */
static int read_base(zl_predictions p, int j, hsize_t off, hsize_t n, void *buf) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
  char what[400];
  snprintf(what, sizeof what, "/%s/%s", p->groups[0].name, COL[j].name);
  ZL_H5(rc, done, d = H5Dopen2(p->file, what, H5P_DEFAULT), p, what);
  ZL_H5(rc, done, fs = H5Dget_space(d), p, what);
  ZL_CALL_GOTO(rc, done, select_range(p, fs, off, n, &ms, what));
  ZL_H5(rc, done, H5Dread(d, col_type(j), ms, fs, H5P_DEFAULT, buf), p, what);
done:
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (d >= 0) H5Dclose(d);
  return rc;
}

/* Rank 0: whether the n rows of c, added at row off, equal the base's rows there (all but
 * "predicted"). */
static int base_matches(zl_predictions p, hsize_t off, const columns *c, hsize_t n, int *same) {
  *same = p->groups[0].n >= off + n;
  if (!*same || !n) return 0;
  void *buf = zl_malloc((size_t)n, sizeof(double), "prediction columns");
  int rc = buf ? 0 : ZL_ERR_RUNTIME;
  for (int j = 0; !rc && *same && j < N_COLS; j++) {
    if (j == C_PRED) continue;
    rc = read_base(p, j, off, n, buf);
    if (!rc) *same = !memcmp(buf, c->v[j], (size_t)n * COL[j].size);
  }
  free(buf);
  return rc;
}

/* Rank 0: gives group s columns of its own, the base's first s->n rows. */
static int copy_base(zl_predictions p, struct group_state *s) {
  void *buf = zl_malloc((size_t)s->n + 1, sizeof(double), "prediction columns");
  int rc = buf ? 0 : ZL_ERR_RUNTIME;
  hid_t g = H5I_INVALID_HID;
  if (!rc) rc = open_group(p, s->name, &g);
  for (int j = 0; !rc && j < N_COLS; j++) {
    if (j == C_PRED) continue;
    rc = read_base(p, j, 0, s->n, buf);
    if (!rc) rc = append(p, g, s->name, COL[j].name, col_type(j), buf, s->n);
  }
  rc = close_group(p, s->name, g, rc);
  if (!rc) s->own = 1;
  free(buf);
  return rc;
}

/* Rank 0: the state of group `group`, a new one (own columns if it is the first) when unknown. */
static int group_of(zl_predictions p, const char *group, struct group_state **out) {
  for (int i = 0; i < p->n_groups; i++)
    if (!strcmp(p->groups[i].name, group)) {
      *out = &p->groups[i];
      return 0;
    }
  if (strlen(group) >= sizeof p->groups[0].name)
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: group name '%s' is too long", p->part, group);
  if (p->n_groups == p->cap_groups) {
    int cap = p->cap_groups ? 2 * p->cap_groups : 16;
    struct group_state *g = realloc(p->groups, (size_t)cap * sizeof *g);
    if (!g) return ZL_ERR(ZL_ERR_RUNTIME, "out of memory (%d prediction groups)", cap);
    p->groups = g;
    p->cap_groups = cap;
  }
  struct group_state *s = &p->groups[p->n_groups];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", group);
  s->own = p->n_groups++ == 0;
  *out = s;
  return 0;
}

/* Rank 0: writes the gathered columns (n rows) to group `group`. */
static int write_group(zl_predictions p, const char *group, const columns *c, hsize_t n) {
  struct group_state *s = NULL;
  int rc = group_of(p, group, &s);
  if (!rc && !s->own) {
    int same = 0;
    rc = base_matches(p, s->n, c, n, &same);
    if (!rc && !same) rc = copy_base(p, s);
  }
  hid_t g = H5I_INVALID_HID;
  if (!rc) rc = open_group(p, group, &g);
  for (int j = 0; !rc && j < N_COLS; j++)
    if (s->own || j == C_PRED) rc = append(p, g, group, COL[j].name, col_type(j), c->v[j], n);
  rc = close_group(p, group, g, rc);
  if (!rc) s->n += n;
  return rc;
}

/* Rank 0, at commit: each group that still shares the base's rows links to the base's columns
 * (all of them: a group with fewer rows than the base takes a copy of its share). */
static int link_shared(zl_predictions p) {
  int rc = 0;
  for (int i = 1; !rc && i < p->n_groups; i++) {
    struct group_state *s = &p->groups[i];
    if (s->own) continue;
    if (s->n != p->groups[0].n) {
      rc = copy_base(p, s);
      continue;
    }
    for (int j = 0; !rc && j < N_COLS; j++) {
      if (j == C_PRED) continue;
      char from[400], to[400];
      snprintf(from, sizeof from, "/%s/%s", p->groups[0].name, COL[j].name);
      snprintf(to, sizeof to, "/%s/%s", s->name, COL[j].name);
      ZL_H5(rc, done, H5Lcreate_hard(p->file, from, p->file, to, H5P_DEFAULT, H5P_DEFAULT), p, to);
    }
  }
done:
  return rc;
}

/* Gathers one column to rank 0 in rank order (counts/displs meaningful on rank 0 only). */
static int gather(const void *send, int n, MPI_Datatype t, void *recv, const int *counts,
                  const int *displs, MPI_Comm comm) {
  int m = MPI_Gatherv(send, n, t, recv, counts, displs, t, 0, comm);
  return m == MPI_SUCCESS ? 0 : zl_mpi_error(m, "MPI_Gatherv(predictions)", __FILE__, __LINE__);
}

int zl_predictions_add(zl_predictions p, const char *group, int zoo_index, const zl_rows *rows,
                       const double *yhat) {
  int64_t n64 = zl_rows_used(rows);
  int size = zl_comm_size(p->comm);
  columns mine = {0}, all = {0};
  int *counts = NULL, *displs = NULL;
  int rc = n64 <= INT_MAX ? 0
                          : ZL_ERR(ZL_ERR_RUNTIME, "%s: %lld rows on one rank: too many", p->part,
                                   (long long)n64);
  int n = (int)n64;
  if (!rc) rc = columns_alloc(&mine, (size_t)n);
  int32_t *zoo = mine.v[C_ZOO], *file = mine.v[C_FILE], *fold = mine.v[C_FOLD];
  int64_t *row = mine.v[C_ROW], *run = mine.v[C_RUN];
  double *yt = mine.v[C_TRUE], *yp = mine.v[C_PRED];
  for (int64_t i = 0, j = 0; !rc && i < rows->n; i++) {
    if (rows->fold[i] < 0) continue;
    zoo[j] = zoo_index;
    fold[j] = rows->fold[i];
    file[j] = rows->file[i];
    row[j] = rows->row[i];
    run[j] = rows->run[i];
    yt[j] = rows->y[i];
    yp[j++] = yhat[i];
  }
  rc = zl_comm_agree(p->comm, rc);
  if (!rc && p->rank == 0) {
    counts = zl_malloc((size_t)size, sizeof(int), "prediction counts");
    displs = zl_malloc((size_t)size, sizeof(int), "prediction offsets");
    if (!counts || !displs) rc = ZL_ERR_RUNTIME;
  }
  if (!rc) {
    int m = MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, p->comm);
    if (m != MPI_SUCCESS) rc = zl_mpi_error(m, "MPI_Gather(prediction counts)", __FILE__, __LINE__);
  }
  int64_t total = 0;
  if (!rc && p->rank == 0) {
    /* Rank order: the same rows in the same order as when each rank wrote its own block. */
    for (int r = 0; r < size; r++) {
      displs[r] = (int)total;
      total += counts[r];
    }
    if (total > INT_MAX)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: %lld predictions: too many for one gather", p->part,
                  (long long)total);
    if (!rc) rc = columns_alloc(&all, (size_t)total);
  }
  rc = zl_comm_agree(p->comm, rc);
  for (int j = 0; !rc && j < N_COLS; j++)
    rc = gather(mine.v[j], n, col_mpi_type(j), all.v[j], counts, displs, p->comm);
  if (!rc) rc = zl_fault(p->comm, "predictions");
  /* An MPI failure may be one rank's: agree before rank 0 writes and reports. */
  rc = zl_comm_agree(p->comm, rc);
  if (!rc && p->rank == 0) rc = write_group(p, group, &all, (hsize_t)total);
  rc = zl_comm_root_status(p->comm, rc);
  columns_free(&mine);
  columns_free(&all);
  free(counts);
  free(displs);
  return rc;
}

/* Rank 0: writes the in-memory file's image to the open .part, closes both and renames. */
static int commit_root(zl_predictions p) {
  int rc = 0;
  void *image = NULL;
  ssize_t len = 0;
  ZL_CALL_GOTO(rc, done, link_shared(p));
  /* The image is read from the driver's memory: flush HDF5's caches into it first. */
  ZL_H5(rc, done, H5Fflush(p->file, H5F_SCOPE_GLOBAL), p, "cannot flush");
  ZL_H5(rc, done, len = H5Fget_file_image(p->file, NULL, 0), p, "no file image");
  const char *from = p->image;
  if (!from || (size_t)len > p->image_size) { /* the driver did not use the callbacks: copy */
    image = zl_malloc((size_t)len, 1, "predictions file image");
    if (!image) {
      rc = ZL_ERR_RUNTIME;
      goto done;
    }
    ZL_H5(rc, done, H5Fget_file_image(p->file, image, (size_t)len), p, "no file image");
    from = image;
  }
  for (ssize_t at = 0; at < len;) {
    ssize_t w = write(p->fd, from + at, (size_t)(len - at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot write: %s", p->part, strerror(w < 0 ? errno : EIO));
      goto done;
    }
    at += w;
  }
  hid_t f = p->file;
  p->file = H5I_INVALID_HID;
  ZL_H5(rc, done, H5Fclose(f), p, "cannot close");
  /* Some file systems (NFS, quotas) report a full disk only at fsync or close. */
  if (fsync(p->fd) && errno != EINVAL && errno != EROFS) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot write: %s", p->part, strerror(errno));
    goto done;
  }
  int fd = p->fd;
  p->fd = -1;
  if (close(fd)) {
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot write: %s", p->part, strerror(errno));
    goto done;
  }
  if (rename(p->part, p->path))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot rename from %s: %s", p->path, p->part, strerror(errno));
  else
    p->committed = 1;
done:
  free(image);
  return rc;
}

int zl_predictions_commit(zl_predictions *pp) {
  zl_predictions p = *pp;
  int rc = p->rank == 0 ? commit_root(p) : 0;
  rc = zl_comm_root_status(p->comm, rc);
  zl_predictions_destroy(pp); /* on failure, removes the .part */
  return rc;
}

void zl_predictions_destroy(zl_predictions *pp) {
  zl_predictions p = *pp;
  if (!p) return;
  /* In memory: closing cannot fail for want of disk, and frees what was written. */
  if (p->file >= 0) H5Fclose(p->file);
  if (p->fd >= 0) close(p->fd);
  /* An unfinished file must not outlive the job, nothing resumes it (after a failed commit it may
   * be closed and still there). The job is failing already: a failed unlink changes nothing. */
  if (p->created && !p->committed) unlink(p->part);
  free(p->groups);
  free(p);
  *pp = NULL;
}
