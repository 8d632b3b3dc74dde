/* zoolens: one executable, one subcommand per job (design §7). */
#include <malloc.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_jobs.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv, MPI_Comm comm);
  const char *summary;
} zl_command;

static const zl_command commands[] = {
    {"import", zl_cmd_import, "convert a Small CNN Zoo directory into a zoo file"},
    {"info", zl_cmd_info, "validate a zoo file and print what is inside"},
    {"synth", zl_cmd_synth, "write a synthetic zoo with a planted accuracy signal"},
    {"train", zl_cmd_train, "train networks into a zoo file (resumable, split by run ranges)"},
    {"analyze", zl_cmd_analyze,
     "predict accuracy from weights: cross-validated R² and Kendall tau"},
    {"compare", zl_cmd_compare,
     "check that a report reproduces another (exit 0) or list the drift"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: zoolens <command> [options]   (under mpirun/srun, or alone for 1 rank)\n\n"
             "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(
      f,
      "\n'zoolens <command> --help' describes a command; 'zoolens --version' prints versions.\n");
}

/* Open MPI's default MPI-IO component, ompio, takes a short write (a disk filling up) for success
 * and keeps a rank's write error to that rank, so a collective HDF5 write that fills the disk fails
 * on some ranks only and the others wait inside HDF5's collectives until killed. ROMIO retries a
 * short write, which then fails with ENOSPC, and agrees on the error over all ranks of a collective
 * write: the job ends with the error. Open MPI reads its MCA parameters from the environment in
 * MPI_Init, so this takes effect only before it; a choice made in the environment (OMPI_MCA_io,
 * also what `mpirun --mca io` sets) stands. "^ompio" rather than a version's component name
 * (romio321 in 4.x, romio341 in 5.x). */
static int prefer_romio(void) {
#ifdef OPEN_MPI
  if (setenv("OMPI_MCA_io", "^ompio", 0)) {
    perror("zoolens: setenv OMPI_MCA_io");
    return 1;
  }
#endif
  return 0;
}

/* Arrays from zl_malloc_large ask for transparent huge pages (madvise). Below glibc's mmap
 * threshold they come from the heap, which keeps the advice after they are freed: the small
 * allocations that reuse the place then take 2 MiB a touch (the default analysis's peak grew from
 * 205 to 350 MiB a rank). A fixed threshold of 2 MiB (glibc raises it up to 32 MiB as large blocks
 * are freed) puts every such array in a mapping of its own, returned whole by free. A fixed
 * threshold also stops glibc raising the heap's trim threshold with it (to twice the threshold):
 * left at 128 KiB, every free at the top of the heap gave its pages back, and the next allocation
 * faulted them in again (rank 0 of the default analysis of 120 000 networks: 43 000 page faults
 * instead of 34 000 with 64 MiB, the most glibc itself would have set). Advice only, like the huge
 * pages: where it is refused (AddressSanitizer's allocator refuses every mallopt), the job runs as
 * before, with more memory. */
static void own_mappings_for_large_arrays(void) {
#ifdef M_MMAP_THRESHOLD
  (void)mallopt(M_MMAP_THRESHOLD, 2 << 20);
#endif
#ifdef M_TRIM_THRESHOLD
  (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

int main(int argc, char **argv) {
  own_mappings_for_large_arrays();
  if (prefer_romio()) return 1;
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
    fprintf(stderr, "zoolens: MPI_Init failed\n");
    return 1;
  }
  int rank = 0, rc = 0;
  if (zl_comm_init()) {
    fprintf(stderr, "zoolens: %s\n", zl_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  rank = zl_comm_rank(MPI_COMM_WORLD);
  if (argc < 2) {
    if (rank == 0) usage(stderr);
    rc = 2;
  } else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    if (rank == 0) usage(stdout);
  } else if (!strcmp(argv[1], "--version")) {
    if (rank == 0) zl_print_versions();
  } else {
    const zl_command *c = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
      if (!strcmp(argv[1], commands[i].name)) c = &commands[i];
    if (!c) {
      if (rank == 0)
        fprintf(stderr, "zoolens: unknown command '%s' (see zoolens --help)\n", argv[1]);
      rc = 2;
    } else {
      rc = c->run(argc - 1, argv + 1, MPI_COMM_WORLD);
    }
  }
  MPI_Finalize();
  return rc;
}
