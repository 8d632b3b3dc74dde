/* Feature rows of a zoo's selected networks, read in bounded blocks with collective parallel HDF5
 * (design §3, step 2). */
#ifndef ZL_FEATURES_H
#define ZL_FEATURES_H

#include <stdint.h>

#include "zl_rows.h"
#include "zl_wstats.h"
#include "zl_zoo.h"

/* Weights held per rank at once while features are computed. */
#define ZL_FEATURES_BLOCK_BYTES (32LL << 20)

/* Number of W-stats features of the zoo's layout (7 per tensor). Not collective. */
int zl_features_wstats_count(zl_zoo zoo);

/* Computes the W-stats of this rank's rows into X (rows->n × count, row-major). Rows whose weights
 * are not all finite get fold -1 and zero features; *dropped receives their number over all ranks.
 * t_read and t_features receive this rank's seconds spent reading and computing.
 * Collective on the zoo's communicator. */
int zl_features_wstats(zl_zoo zoo, zl_rows *rows, zl_spread spread, double *X, int64_t *dropped,
                       double *t_read, double *t_features);

#endif
