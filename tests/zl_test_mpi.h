/* The end of an MPI test program: every rank's checks summed, one summary line from rank 0. */
#ifndef ZL_TEST_MPI_H
#define ZL_TEST_MPI_H

#include <mpi.h>
#include <stdio.h>

#include "zl_test.h"

/* Prints "P passed, F failed (all N ranks)" on rank 0, finalises MPI and returns the exit code: 1
 * when a check failed on any rank, so every rank exits alike. Call last, once. */
static inline int zl_test_finish_mpi(void) {
  int mine[2] = {zl_test_passed, zl_test_failed}, all[2] = {0, 0}, rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (MPI_Allreduce(mine, all, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) all[1] = 1;
  if (rank == 0) printf("%d passed, %d failed (all %d ranks)\n", all[0], all[1], size);
  MPI_Finalize();
  return all[1] ? 1 : 0;
}

#endif
