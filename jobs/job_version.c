#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>

#include "zl_jobs.h"

/* OpenBLAS reports its build (version and kernel) through this call; no header declares it. */
extern char *openblas_get_config(void);

void zl_print_versions(void) {
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = "unknown";
  int len = 0;
  if (MPI_Get_library_version(mpi, &len) != MPI_SUCCESS) snprintf(mpi, sizeof mpi, "unknown");
  for (char *p = mpi; *p; p++)
    if (*p == '\n') *p = ' ';
  unsigned maj = 0, min = 0, rel = 0;
  if (H5get_libversion(&maj, &min, &rel) < 0) maj = min = rel = 0;
  printf("zoolens %s (%s)\n", ZL_VERSION, ZL_GIT_COMMIT);
  printf("MPI: %s\n", mpi);
  printf("HDF5: %u.%u.%u (parallel)\n", maj, min, rel);
  printf("ScaLAPACK: %s\n", ZL_SCALAPACK_VERSION);
  printf("BLAS: %s\n", openblas_get_config());
}
