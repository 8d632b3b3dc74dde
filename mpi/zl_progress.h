/* Progress lines on stderr from rank 0 for long phases (design §7): done/total, rate and ETA,
 * rewritten in place on a terminal, one line every few seconds otherwise (SLURM logs). */
#ifndef ZL_PROGRESS_H
#define ZL_PROGRESS_H

#include <mpi.h>
#include <stdint.h>

typedef struct {
  int active; /* rank 0 only */
  int tty;
  const char *what;
  const char *unit;
  int64_t total; /* of the whole job; rank 0 scales its own share to it */
  double scale;  /* total / rank 0's share */
  double t0, last;
} zl_progress;

/* Starts a phase of `total` units (over all ranks) of which this rank does `mine`. Not collective.
 */
void zl_progress_start(zl_progress *p, MPI_Comm comm, const char *what, const char *unit,
                       int64_t total, int64_t mine);
/* Reports that this rank has done `done` of its own units. */
void zl_progress_update(zl_progress *p, int64_t done);
/* Prints the final line with the elapsed time. */
void zl_progress_end(zl_progress *p);

#endif
