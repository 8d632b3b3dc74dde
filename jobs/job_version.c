#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_jobs.h"

/* OpenBLAS reports its build (version and kernel) and sets its threads through these calls; no
 * header declares them. */
extern char *openblas_get_config(void);
extern void openblas_set_num_threads(int n);
extern int openblas_get_num_threads(void);

int zl_blas_threads(void) {
  const char *env = getenv("OPENBLAS_NUM_THREADS");
  if (!env || !*env) openblas_set_num_threads(1);
  return openblas_get_num_threads();
}

void zl_versions_get(zl_versions *v) {
  memset(v, 0, sizeof *v);
  snprintf(v->zoolens, sizeof v->zoolens, "%s", ZL_VERSION);
  snprintf(v->git_commit, sizeof v->git_commit, "%s", ZL_GIT_COMMIT);
  int len = 0;
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
  if (MPI_Get_library_version(mpi, &len) != MPI_SUCCESS) snprintf(mpi, sizeof mpi, "unknown");
  /* Open MPI's string runs over several lines; its first line names the version. */
  mpi[strcspn(mpi, "\n,")] = '\0';
  snprintf(v->mpi, sizeof v->mpi, "%s", mpi);
  unsigned maj = 0, min = 0, rel = 0;
  if (H5get_libversion(&maj, &min, &rel) < 0) maj = min = rel = 0;
  snprintf(v->hdf5, sizeof v->hdf5, "%u.%u.%u", maj, min, rel);
  snprintf(v->scalapack, sizeof v->scalapack, "%s", ZL_SCALAPACK_VERSION);
  snprintf(v->blas, sizeof v->blas, "%s", openblas_get_config());
}

void zl_print_versions(void) {
  zl_versions v;
  zl_versions_get(&v);
  printf("zoolens %s (%s)\nMPI: %s\nHDF5: %s (parallel)\nScaLAPACK: %s\nBLAS: %s\n", v.zoolens,
         v.git_commit, v.mpi, v.hdf5, v.scalapack, v.blas);
}
