/* predictions.h5 (design §3, step 6): per network, the held-out prediction next to the truth.
 * One group per feature set and estimator ("wstats_ridge"), each with the same-length datasets
 * zoo (int32, index of the zoo), file (int32, which of the zoo's files), row (int64, row in that
 * file), run_id (int64), true and
 * predicted (float64), fold (int32). Written collectively: every rank writes its own rows. */
#ifndef ZL_PREDICTIONS_H
#define ZL_PREDICTIONS_H

#include <mpi.h>

#include "zl_rows.h"

typedef struct zl_predictions_s *zl_predictions;

/* Creates "<path>.part". Collective. */
int zl_predictions_create(MPI_Comm comm, const char *path, zl_predictions *p);

/* Appends the rows of `rows` with fold >= 0 and their predictions yhat to group `group`
 * (created on first use). Collective. */
int zl_predictions_add(zl_predictions p, const char *group, int zoo_index, const zl_rows *rows,
                       const double *yhat);

/* Closes the file and renames it to its final name. Sets *p to NULL. Collective. */
int zl_predictions_commit(zl_predictions *p);

/* Closes without committing; safe on NULL. Collective. */
void zl_predictions_destroy(zl_predictions *p);

#endif
