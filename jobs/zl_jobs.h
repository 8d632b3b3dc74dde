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

/* Version strings of zoolens and the libraries it was built with, one per line, for --version. */
void zl_print_versions(void);

#endif
