#include "zl_predictions.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"

struct zl_predictions_s {
  MPI_Comm comm;
  char path[4096], part[4200];
  hid_t file;
};

#define ZL_H5(rc, label, call, ...)                                                                \
  do {                                                                                             \
    if ((call) < 0) {                                                                              \
      (rc) = ZL_ERR(ZL_ERR_RUNTIME, __VA_ARGS__);                                                  \
      goto label;                                                                                  \
    }                                                                                              \
  } while (0)

int zl_predictions_create(MPI_Comm comm, const char *path, zl_predictions *out) {
  *out = NULL;
  struct zl_predictions_s *p = zl_calloc(1, sizeof *p, "predictions file");
  hid_t fapl = H5I_INVALID_HID;
  int rc = p ? 0 : ZL_ERR_RUNTIME;
  if (!rc) {
    p->comm = comm;
    p->file = H5I_INVALID_HID;
    snprintf(p->path, sizeof p->path, "%s", path);
    snprintf(p->part, sizeof p->part, "%s.part", path);
    /* The MPI-IO driver lets every rank write its own rows of one file. */
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0)
      rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot set up parallel HDF5 access", p->part);
  }
  /* Every rank must reach the collective H5Fcreate, or none. */
  rc = zl_comm_agree(comm, rc);
  if (!rc && (p->file = H5Fcreate(p->part, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)) < 0)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot create", p->part);
  if (fapl >= 0) H5Pclose(fapl);
  rc = zl_comm_agree(comm, rc);
  if (rc) {
    zl_predictions_destroy(&p);
    return rc;
  }
  *out = p;
  return 0;
}

/* Appends n local values (this rank's block at offset `at` of the `total` new ones) to the 1-D
 * dataset `name` in group g, creating it extendible and chunked on first use. */
static int append(zl_predictions p, hid_t g, const char *name, hid_t type, const void *buf,
                  hsize_t n, hsize_t at, hsize_t total) {
  int rc = 0;
  hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, dcpl = H5I_INVALID_HID,
        dxpl = H5I_INVALID_HID;
  hsize_t cur = 0, zero = 0, unlim = H5S_UNLIMITED, chunk = 1 << 16;
  htri_t exists = H5Lexists(g, name, H5P_DEFAULT);
  ZL_H5(rc, done, exists, "%s: %s: H5Lexists failed", p->part, name);
  if (!exists) {
    ZL_H5(rc, done, fs = H5Screate_simple(1, &zero, &unlim), "%s: %s: H5Screate failed", p->part,
          name);
    ZL_H5(rc, done, dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: H5Pcreate failed", p->part);
    ZL_H5(rc, done, H5Pset_chunk(dcpl, 1, &chunk), "%s: H5Pset_chunk failed", p->part);
    ZL_H5(rc, done, d = H5Dcreate2(g, name, type, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT),
          "%s: %s: cannot create", p->part, name);
    H5Sclose(fs);
    fs = H5I_INVALID_HID;
  } else {
    ZL_H5(rc, done, d = H5Dopen2(g, name, H5P_DEFAULT), "%s: %s: cannot open", p->part, name);
    ZL_H5(rc, done, fs = H5Dget_space(d), "%s: %s: H5Dget_space failed", p->part, name);
    ZL_H5(rc, done, H5Sget_simple_extent_dims(fs, &cur, NULL), "%s: %s: no extent", p->part, name);
    H5Sclose(fs);
    fs = H5I_INVALID_HID;
  }
  hsize_t size = cur + total, start = cur + at;
  ZL_H5(rc, done, H5Dset_extent(d, &size), "%s: %s: cannot extend", p->part, name);
  ZL_H5(rc, done, fs = H5Dget_space(d), "%s: %s: H5Dget_space failed", p->part, name);
  ZL_H5(rc, done, ms = H5Screate_simple(1, &n, NULL), "%s: H5Screate failed", p->part);
  if (n)
    ZL_H5(rc, done, H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &n, NULL),
          "%s: %s: bad selection", p->part, name);
  else
    ZL_H5(rc, done, H5Sselect_none(fs), "%s: %s: bad selection", p->part, name);
  /* Collective transfers: every rank takes part even with nothing to write. */
  ZL_H5(rc, done, dxpl = H5Pcreate(H5P_DATASET_XFER), "%s: H5Pcreate failed", p->part);
  ZL_H5(rc, done, H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "%s: H5Pset_dxpl_mpio failed",
        p->part);
  ZL_H5(rc, done, H5Dwrite(d, type, ms, fs, dxpl, buf), "%s: %s: write failed", p->part, name);
done:
  if (dxpl >= 0) H5Pclose(dxpl);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (d >= 0) H5Dclose(d);
  return rc;
}

int zl_predictions_add(zl_predictions p, const char *group, int zoo_index, const zl_rows *rows,
                       const double *yhat) {
  int64_t n = zl_rows_used(rows);
  int32_t *zoo = zl_malloc((size_t)n, sizeof(int32_t), "prediction zoo index");
  int32_t *fold = zl_malloc((size_t)n, sizeof(int32_t), "prediction folds");
  int32_t *file = zl_malloc((size_t)n, sizeof(int32_t), "prediction files");
  int64_t *row = zl_malloc((size_t)n, sizeof(int64_t), "prediction rows");
  int64_t *run = zl_malloc((size_t)n, sizeof(int64_t), "prediction runs");
  double *yt = zl_malloc((size_t)n, sizeof(double), "prediction targets");
  double *yp = zl_malloc((size_t)n, sizeof(double), "predictions");
  int rc = (zoo && fold && file && row && run && yt && yp) ? 0 : ZL_ERR_RUNTIME;
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
  int64_t at = 0, total = 0;
  if (!rc) {
    int m = MPI_Exscan(&n, &at, 1, MPI_INT64_T, MPI_SUM, p->comm);
    if (m == MPI_SUCCESS) m = MPI_Allreduce(&n, &total, 1, MPI_INT64_T, MPI_SUM, p->comm);
    if (m != MPI_SUCCESS)
      rc = zl_mpi_error(m, "MPI_Exscan(prediction offsets)", __FILE__, __LINE__);
    if (zl_comm_rank(p->comm) == 0) at = 0; /* MPI_Exscan leaves rank 0's result undefined */
  }
  hid_t g = H5I_INVALID_HID;
  if (!rc) {
    htri_t e = H5Lexists(p->file, group, H5P_DEFAULT);
    g = e > 0    ? H5Gopen2(p->file, group, H5P_DEFAULT)
        : e == 0 ? H5Gcreate2(p->file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                 : -1;
    if (g < 0) rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: /%s: cannot create the group", p->part, group);
  }
  /* Metadata operations are collective and identical on every rank, so their results agree. */
  hsize_t hn = (hsize_t)n, ha = (hsize_t)at, ht = (hsize_t)total;
  /* A write can fail on one rank alone: agree after each dataset, before the next collective. */
  rc = zl_comm_agree(p->comm, rc);
  if (!rc) rc = zl_comm_agree(p->comm, append(p, g, "zoo", H5T_NATIVE_INT32, zoo, hn, ha, ht));
  if (!rc) rc = zl_comm_agree(p->comm, append(p, g, "file", H5T_NATIVE_INT32, file, hn, ha, ht));
  if (!rc) rc = zl_comm_agree(p->comm, append(p, g, "row", H5T_NATIVE_INT64, row, hn, ha, ht));
  if (!rc) rc = zl_comm_agree(p->comm, append(p, g, "run_id", H5T_NATIVE_INT64, run, hn, ha, ht));
  if (!rc) rc = zl_comm_agree(p->comm, append(p, g, "true", H5T_NATIVE_DOUBLE, yt, hn, ha, ht));
  if (!rc)
    rc = zl_comm_agree(p->comm, append(p, g, "predicted", H5T_NATIVE_DOUBLE, yp, hn, ha, ht));
  if (!rc) rc = zl_comm_agree(p->comm, append(p, g, "fold", H5T_NATIVE_INT32, fold, hn, ha, ht));
  if (g >= 0) H5Gclose(g);
  free(zoo);
  free(fold);
  free(file);
  free(row);
  free(run);
  free(yt);
  free(yp);
  return zl_comm_agree(p->comm, rc);
}

int zl_predictions_commit(zl_predictions *pp) {
  zl_predictions p = *pp;
  int rc = H5Fclose(p->file) < 0 ? ZL_ERR(ZL_ERR_RUNTIME, "%s: close failed", p->part) : 0;
  p->file = H5I_INVALID_HID;
  rc = zl_comm_agree(p->comm, rc);
  if (!rc && zl_comm_rank(p->comm) == 0 && rename(p->part, p->path))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: cannot rename from %s: %s", p->path, p->part, strerror(errno));
  rc = zl_comm_agree(p->comm, rc);
  zl_predictions_destroy(pp);
  return rc;
}

void zl_predictions_destroy(zl_predictions *pp) {
  zl_predictions p = *pp;
  if (!p) return;
  if (p->file >= 0) H5Fclose(p->file);
  free(p);
  *pp = NULL;
}
