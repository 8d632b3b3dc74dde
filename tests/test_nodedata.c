/* The node-shared data set equals a private read of the same directory on every rank (ctest runs
 * 1, 2 and 4 ranks on one node, so 1 to 4 ranks share one window), and a missing directory fails
 * on every rank with the reader's message. usage: test_nodedata DATA_DIR */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_nodedata.h"
#include "zl_test_mpi.h"

static int same(const zl_dataset *a, const zl_dataset *b) {
  return a->n == b->n && a->h == b->h && a->w == b->w &&
         !memcmp(a->x, b->x, a->n * (size_t)a->h * (size_t)a->w * sizeof(float)) &&
         !memcmp(a->y, b->y, a->n);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  zl_dataset tr, te, ptr, pte;
  zl_nodedata nd = NULL;
  ZL_CHECK(argc == 2);
  ZL_CHECK(zl_nodedata_load(MPI_COMM_WORLD, argv[1], &tr, &te, &nd) == 0);
  ZL_CHECK(nd != NULL);
  ZL_CHECK(zl_dataset_load_dir(argv[1], &ptr, &pte) == 0);
  ZL_CHECK(tr.n > 0 && te.n > 0);
  ZL_CHECK(same(&tr, &ptr));
  ZL_CHECK(same(&te, &pte));
  zl_dataset_free(&ptr);
  zl_dataset_free(&pte);
  ZL_CHECK(zl_nodedata_free(&nd) == 0);
  ZL_CHECK(nd == NULL);

  char missing[4200];
  snprintf(missing, sizeof missing, "%s/absent", argv[1]);
  ZL_CHECK(zl_nodedata_load(MPI_COMM_WORLD, missing, &tr, &te, &nd) == ZL_ERR_RUNTIME);
  ZL_CHECK(nd == NULL && tr.n == 0 && te.n == 0);
  char want[8500];
  snprintf(want, sizeof want,
           "%s/train-images-idx3-ubyte: not found (nor train-images-idx3-ubyte.gz)", missing);
  ZL_CHECK(!strcmp(zl_error_message(), want));

  return zl_test_finish_mpi();
}
