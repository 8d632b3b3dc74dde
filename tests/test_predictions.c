/* predictions.h5 (mpi/predictions.c): every group holds its own rows' values in rank order, and a
 * group added with the same rows as the first group shares that group's six columns (hard links:
 * one object, two links) while a group whose rows differ, or that has fewer, has its own copies.
 * Read back with HDF5 on rank 0; a group name too long for the file is refused with its exact
 * message. ctest runs it at 1, 2 and 4 ranks. usage: test_predictions DIR */
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zl_comm.h"
#include "zl_predictions.h"
#include "zl_test_mpi.h"

#define ROWS 7 /* a rank's rows in each block; every third one unused */

/* Block `block` of rank r's rows: distinct values that depend on (block, r, i) only; block 2 is
 * block 1 with other targets. */
static void make_rows(int block, int r, zl_rows *rows) {
  rows->n = ROWS;
  rows->file = malloc(ROWS * sizeof *rows->file);
  rows->row = malloc(ROWS * sizeof *rows->row);
  rows->y = malloc(ROWS * sizeof *rows->y);
  rows->run = malloc(ROWS * sizeof *rows->run);
  rows->fold = malloc(ROWS * sizeof *rows->fold);
  ZL_CHECK(rows->file && rows->row && rows->y && rows->run && rows->fold);
  for (int i = 0; i < ROWS; i++) {
    const int b = block == 2 ? 1 : block;
    rows->file[i] = b;
    rows->row[i] = 1000 * b + 10 * r + i;
    rows->run[i] = 500 + 100 * b + 10 * r + i;
    rows->y[i] = 0.25 + 0.001 * (double)(100 * block + 10 * r + i);
    rows->fold[i] = i % 3 == 2 ? -1 : (r + i) % 3;
  }
}

static void free_rows(zl_rows *rows) {
  free(rows->file);
  free(rows->row);
  free(rows->y);
  free(rows->run);
  free(rows->fold);
}

/* The prediction group g gives row i: a value of its own. */
static double yhat_of(int g, const zl_rows *rows, int i) {
  return (double)g + rows->y[i] / 8;
}

static void add(zl_predictions p, const char *group, int g, int zoo, int block, int rank) {
  zl_rows rows;
  make_rows(block, rank, &rows);
  double yhat[ROWS];
  for (int i = 0; i < ROWS; i++)
    yhat[i] = yhat_of(g, &rows, i);
  ZL_CHECK(zl_predictions_add(p, group, zoo, &rows, yhat) == 0);
  free_rows(&rows);
}

/* Rank 0: group `name`'s columns equal the adds of (zoo, block) pairs, every rank's used rows in
 * rank order; returns the address of its "row" dataset and that object's link count. */
static void check_group(hid_t f, const char *name, int g, int nb, const int *zoos,
                        const int *blocks, int size, haddr_t *addr, unsigned *links) {
  int64_t want = 0;
  for (int b = 0; b < nb; b++)
    for (int r = 0; r < size; r++)
      for (int i = 0; i < ROWS; i++)
        want += i % 3 != 2;
  int32_t *zoo = malloc((size_t)want * 4), *file = malloc((size_t)want * 4);
  int32_t *fold = malloc((size_t)want * 4);
  int64_t *row = malloc((size_t)want * 8), *run = malloc((size_t)want * 8);
  double *yt = malloc((size_t)want * 8), *yp = malloc((size_t)want * 8);
  struct {
    const char *name;
    hid_t type;
    void *buf;
  } col[7] = {{"zoo", H5T_NATIVE_INT32, zoo},      {"file", H5T_NATIVE_INT32, file},
              {"fold", H5T_NATIVE_INT32, fold},    {"row", H5T_NATIVE_INT64, row},
              {"run_id", H5T_NATIVE_INT64, run},   {"true", H5T_NATIVE_DOUBLE, yt},
              {"predicted", H5T_NATIVE_DOUBLE, yp}};
  char path[64];
  for (int c = 0; c < 7; c++) {
    snprintf(path, sizeof path, "/%s/%s", name, col[c].name);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t s = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    ZL_CHECK(s >= 0 && H5Sget_simple_extent_npoints(s) == want &&
             H5Dread(d, col[c].type, H5S_ALL, H5S_ALL, H5P_DEFAULT, col[c].buf) >= 0);
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
  }
  int64_t k = 0, bad = 0;
  for (int b = 0; b < nb; b++)
    for (int r = 0; r < size; r++) {
      zl_rows rows;
      make_rows(blocks[b], r, &rows);
      for (int i = 0; i < ROWS && k < want; i++) {
        if (rows.fold[i] < 0) continue;
        bad += zoo[k] != zoos[b] || file[k] != rows.file[i] || fold[k] != rows.fold[i] ||
               row[k] != rows.row[i] || run[k] != rows.run[i] || yt[k] != rows.y[i] ||
               yp[k] != yhat_of(g, &rows, i);
        k++;
      }
      free_rows(&rows);
    }
  ZL_CHECK(k == want && bad == 0);
  H5O_info_t info;
  snprintf(path, sizeof path, "/%s/row", name);
  ZL_CHECK(H5Oget_info_by_name2(f, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0);
  *addr = info.addr;
  *links = info.rc;
  free(zoo);
  free(file);
  free(fold);
  free(row);
  free(run);
  free(yt);
  free(yp);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  int rank = zl_comm_rank(MPI_COMM_WORLD), size = zl_comm_size(MPI_COMM_WORLD);
  ZL_CHECK(argc == 2);
  char path[4200];
  snprintf(path, sizeof path, "%s/predictions_np%d.h5", argc == 2 ? argv[1] : ".", size);
  zl_predictions p = NULL;
  ZL_CHECK(zl_predictions_create(MPI_COMM_WORLD, path, &p) == 0);
  /* As analyze adds them (every group the same two zoos), and three groups that differ: "other"
   * from its second add, "short" by missing the second, "first" from its first. Interleaved, so
   * the base grows after the groups that follow it have matched its start. */
  add(p, "base", 0, 0, 0, rank);
  add(p, "same", 1, 0, 0, rank);
  add(p, "other", 2, 0, 0, rank);
  add(p, "short", 3, 0, 0, rank);
  add(p, "base", 0, 1, 1, rank);
  add(p, "same", 1, 1, 1, rank);
  add(p, "other", 2, 1, 2, rank);
  add(p, "first", 4, 1, 1, rank);
  ZL_CHECK(zl_predictions_commit(&p) == 0);
  ZL_CHECK(p == NULL);

  if (rank == 0) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ZL_CHECK(f >= 0);
    const int zoos[2] = {0, 1}, blocks[2] = {0, 1}, other[2] = {0, 2}, first[1] = {1};
    haddr_t a[5];
    unsigned rc[5];
    check_group(f, "base", 0, 2, zoos, blocks, size, &a[0], &rc[0]);
    check_group(f, "same", 1, 2, zoos, blocks, size, &a[1], &rc[1]);
    check_group(f, "other", 2, 2, zoos, other, size, &a[2], &rc[2]);
    check_group(f, "short", 3, 1, zoos, blocks, size, &a[3], &rc[3]);
    check_group(f, "first", 4, 1, zoos + 1, first, size, &a[4], &rc[4]);
    /* "same" links to the base's columns; the others have their own. */
    ZL_CHECK(a[1] == a[0] && rc[0] == 2);
    ZL_CHECK(a[2] != a[0] && a[3] != a[0] && a[4] != a[0]);
    ZL_CHECK(rc[2] == 1 && rc[3] == 1 && rc[4] == 1);
    ZL_CHECK(H5Fclose(f) >= 0);
  }
  /* A group name past 159 bytes is refused on every rank, and the failed file is removed. */
  char part[4300], longname[200], want[4600];
  snprintf(part, sizeof part, "%s.part", path);
  memset(longname, 'g', 160);
  longname[160] = '\0';
  snprintf(want, sizeof want, "%s: group name '%s' is too long", part, longname);
  ZL_CHECK(zl_predictions_create(MPI_COMM_WORLD, path, &p) == 0);
  zl_rows rows;
  make_rows(0, rank, &rows);
  double yhat[ROWS] = {0};
  ZL_CHECK(zl_predictions_add(p, longname, 0, &rows, yhat) == ZL_ERR_RUNTIME);
  ZL_CHECK(!strcmp(zl_error_message(), want));
  free_rows(&rows);
  zl_predictions_destroy(&p);
  MPI_Barrier(MPI_COMM_WORLD);
  ZL_CHECK(access(part, F_OK) != 0);
  return zl_test_finish_mpi();
}
