/* predictions.h5 (design §3, step 6): per network, the held-out prediction next to the truth.
 * One group per feature set and estimator ("wstats_ridge"), each with the same-length datasets
 * zoo (int32, index of the zoo), file (int32, which of the zoo's files), row (int64, row in that
 * file), run_id (int64), true and
 * predicted (float64), fold (int32). Rank 0 alone writes it, after gathering the rows in rank
 * order, so no collective HDF5 call can fail on one rank and leave the others waiting; it is built
 * in memory and written to "<path>.part" at commit, which renames it; a failed job removes it.
 * A group with the same rows as the first group made (the same zoos, rows, targets and folds, in
 * the same order) holds its own "predicted" and hard links to the first group's other columns. */
#ifndef ZL_PREDICTIONS_H
#define ZL_PREDICTIONS_H

#include <mpi.h>

#include "zl_rows.h"

typedef struct zl_predictions_s *zl_predictions;

/* Creates "<path>.part" (rank 0), so an unwritable place fails before any work. Every rank returns
 * rank 0's status ("<path>.part: cannot create: <reason>"). Collective. */
int zl_predictions_create(MPI_Comm comm, const char *path, zl_predictions *p);

/* Appends the rows of `rows` with fold >= 0 and their predictions yhat to group `group`
 * (created on first use), gathered to rank 0 in rank order. Collective. */
int zl_predictions_add(zl_predictions p, const char *group, int zoo_index, const zl_rows *rows,
                       const double *yhat);

/* Writes the file to "<path>.part" and renames it to path (rank 0); on failure removes the .part
 * ("<path>.part: cannot write: No space left on device"). Sets *p to NULL. Collective. */
int zl_predictions_commit(zl_predictions *p);

/* Closes without committing and removes the .part rank 0 created; safe on NULL. Not collective. */
void zl_predictions_destroy(zl_predictions *p);

#endif
