#include "zl_nodedata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"

struct zl_nodedata_s {
  MPI_Comm node;
  MPI_Win win;
};

static int win_error(int mrc, const char *call) {
  return zl_mpi_error(mrc, call, __FILE__, __LINE__);
}

/* Window layout: the pixels of train then test (floats first, so both stay aligned), then the
 * labels of train and test. */
static size_t pixel_bytes(const int64_t *m, int s) {
  return (size_t)m[3 * s] * (size_t)m[3 * s + 1] * (size_t)m[3 * s + 2] * sizeof(float);
}

int zl_nodedata_load(MPI_Comm comm, const char *dir, zl_dataset *train, zl_dataset *test,
                     zl_nodedata *out) {
  memset(train, 0, sizeof *train);
  memset(test, 0, sizeof *test);
  *out = NULL;
  struct zl_nodedata_s *nd = zl_calloc(1, sizeof *nd, "node data");
  ZL_CALL(zl_comm_agree(comm, nd ? 0 : ZL_ERR_RUNTIME));
  nd->node = MPI_COMM_NULL;
  nd->win = MPI_WIN_NULL;
  int mrc = MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &nd->node);
  int rc = mrc == MPI_SUCCESS ? 0 : win_error(mrc, "MPI_Comm_split_type(shared)");
  int leader = !rc && zl_comm_rank(nd->node) == 0;
  zl_dataset set[2] = {{0}, {0}};
  if (leader) rc = zl_dataset_load_dir(dir, &set[0], &set[1]);
  rc = zl_comm_agree(comm, rc);
  /* n, h, w of train and test, from each node's leader */
  int64_t m[6] = {(int64_t)set[0].n, set[0].h, set[0].w, (int64_t)set[1].n, set[1].h, set[1].w};
  if (!rc && (mrc = MPI_Bcast(m, 6, MPI_INT64_T, 0, nd->node)) != MPI_SUCCESS)
    rc = win_error(mrc, "MPI_Bcast(data set sizes)");
  rc = zl_comm_agree(comm, rc);
  size_t px[2] = {pixel_bytes(m, 0), pixel_bytes(m, 1)};
  size_t total = px[0] + px[1] + (size_t)m[0] + (size_t)m[3];
  char *base = NULL;
  if (!rc) {
    mrc = MPI_Win_allocate_shared(leader ? (MPI_Aint)total : 0, 1, MPI_INFO_NULL, nd->node, &base,
                                  &nd->win);
    rc = mrc == MPI_SUCCESS ? 0 : win_error(mrc, "MPI_Win_allocate_shared(data set)");
    if (!rc && (mrc = MPI_Win_set_errhandler(nd->win, MPI_ERRORS_RETURN)) != MPI_SUCCESS)
      rc = win_error(mrc, "MPI_Win_set_errhandler");
    MPI_Aint size = 0;
    int disp = 0;
    if (!rc && (mrc = MPI_Win_shared_query(nd->win, 0, &size, &disp, &base)) != MPI_SUCCESS)
      rc = win_error(mrc, "MPI_Win_shared_query(data set)");
    rc = zl_comm_agree(comm, rc);
  }
  if (!rc && leader) {
    memcpy(base, set[0].x, px[0]);
    memcpy(base + px[0], set[1].x, px[1]);
    memcpy(base + px[0] + px[1], set[0].y, (size_t)m[0]);
    memcpy(base + px[0] + px[1] + m[0], set[1].y, (size_t)m[3]);
  }
  zl_dataset_free(&set[0]);
  zl_dataset_free(&set[1]);
  /* The fence makes the leader's copy visible to the node's other ranks. */
  if (!rc && (mrc = MPI_Win_fence(MPI_MODE_NOSUCCEED, nd->win)) != MPI_SUCCESS)
    rc = win_error(mrc, "MPI_Win_fence(data set)");
  rc = zl_comm_agree(comm, rc);
  if (rc) {
    zl_nodedata_free(&nd);
    return rc;
  }
  *train = (zl_dataset){(size_t)m[0], (int)m[1], (int)m[2], (float *)base,
                        (uint8_t *)(base + px[0] + px[1])};
  *test = (zl_dataset){(size_t)m[3], (int)m[4], (int)m[5], (float *)(base + px[0]),
                       (uint8_t *)(base + px[0] + px[1] + m[0])};
  *out = nd;
  return 0;
}

int zl_nodedata_free(zl_nodedata *ndp) {
  struct zl_nodedata_s *nd = *ndp;
  if (!nd) return 0;
  int rc = 0, mrc;
  if (nd->win != MPI_WIN_NULL && (mrc = MPI_Win_free(&nd->win)) != MPI_SUCCESS)
    rc = win_error(mrc, "MPI_Win_free(data set)");
  if (nd->node != MPI_COMM_NULL && (mrc = MPI_Comm_free(&nd->node)) != MPI_SUCCESS && !rc)
    rc = win_error(mrc, "MPI_Comm_free(node)");
  free(nd);
  *ndp = NULL;
  return rc;
}
