/* A training data set read once per node and shared by the node's ranks through an MPI-3 shared
 * memory window: 8 ranks on a node hold one copy of Fashion-MNIST's 190 MB of pixels, not 8. */
#ifndef ZL_NODEDATA_H
#define ZL_NODEDATA_H

#include <mpi.h>

#include "zl_dataset.h"

typedef struct zl_nodedata_s *zl_nodedata;

/* The first rank of each node reads dir (zl_dataset_load_dir, its errors agreed over comm); on
 * every rank train and test then point into the node's window: read them, narrow their n, but
 * never zl_dataset_free them. Collective on comm. */
int zl_nodedata_load(MPI_Comm comm, const char *dir, zl_dataset *train, zl_dataset *test,
                     zl_nodedata *nd);

/* Releases the window. Collective on the ranks of the comm given to zl_nodedata_load; safe on a
 * NULL handle (then not collective). */
int zl_nodedata_free(zl_nodedata *nd);

#endif
