/* The zoolens subcommands. Each is a library call on a communicator, so tests run whole jobs
 * without spawning processes; main() only initialises MPI and dispatches. Every zl_cmd_* is
 * collective on comm, returns the exit code of design §5 (0, 1 runtime/data, 2 usage; compare: 1 on
 * drift) identically on every rank, and has printed its one-line error on rank 0 when non-zero. */
#ifndef ZL_JOBS_H
#define ZL_JOBS_H

#include <mpi.h>

int zl_cmd_import(int argc, char **argv, MPI_Comm comm);
int zl_cmd_info(int argc, char **argv, MPI_Comm comm);
int zl_cmd_synth(int argc, char **argv, MPI_Comm comm);
int zl_cmd_analyze(int argc, char **argv, MPI_Comm comm);
int zl_cmd_train(int argc, char **argv, MPI_Comm comm);
int zl_cmd_compare(int argc, char **argv, MPI_Comm comm);

/* Versions of zoolens and of the libraries it runs with (for --version and report.json). */
typedef struct {
  char zoolens[32], git_commit[64], mpi[256], hdf5[32], scalapack[32], blas[256];
} zl_versions;
void zl_versions_get(zl_versions *v);

/* BLAS threads per rank for analyze: OPENBLAS_NUM_THREADS when set (a hybrid job's choice, as the
 * SLURM scripts make it from --cpus-per-task), else one, since the ranks already fill the cores and
 * threads on top only oversubscribe them (2 ranks × 2 threads on 2 cores ran 40% slower). Returns
 * the number in use. Not collective. */
int zl_blas_threads(void);

/* Prints them, one per line, for --version. */
void zl_print_versions(void);

#endif
