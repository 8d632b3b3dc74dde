/* Fixed row tiles (design §3, determinism): the rows of a zoo's selection are cut into tiles of
 * ZL_TILE_ROWS consecutive rows in selection order, a cut that does not depend on the rank count,
 * and each rank holds whole tiles. Every sum that feeds a result is formed per tile in a fixed
 * order and combined across tiles and ranks exactly (zl_xsum), so the estimators give the same bits
 * on any number of ranks. */
#ifndef ZL_TILES_H
#define ZL_TILES_H

#include <mpi.h>
#include <stdint.h>

#include "zl_rows.h"
#include "zl_xsum.h"

/* Large enough that converting a tile's Grams into exact sums costs little next to forming them,
 * small enough to spread 10⁷ networks over hundreds of ranks. */
#define ZL_TILE_ROWS 16384

/* One rank's whole tiles of a feature matrix: rows [first, first + n) of the selection. */
typedef struct {
  MPI_Comm comm;
  int F;
  int64_t n, first, n_total;
  double *X; /* n × F, row-major */
  double *y;
  int *fold;           /* -1: not used */
  int64_t used_before; /* used rows (fold >= 0) on the ranks before this one */
  int64_t used_total;
  /* The exchange that made the tiles, kept to send per-row results back (zl_tiles_return). */
  int *send_counts, *send_displs, *recv_counts, *recv_displs;
  int64_t n_rows; /* rows of the zl_rows this came from */
} zl_tiles;

/* Moves this rank's rows (rows->n × F features X, targets, folds) to the ranks that hold their
 * tiles: tiles are dealt in contiguous runs, balanced to ±1 tile. Collective. */
int zl_tiles_create(MPI_Comm comm, const zl_rows *rows, const double *X, int F, zl_tiles *t);

/* out[i] (rows->n, the layout given to create) = v[j] for the tiled row j that row i became.
 * Collective. */
int zl_tiles_return(const zl_tiles *t, const double *v, double *out);

/* Tile j of this rank: rows [*i0, *i0 + *n) of t. Not collective. */
int64_t zl_tiles_count(const zl_tiles *t);
void zl_tiles_range(const zl_tiles *t, int64_t j, int64_t *i0, int64_t *n);

/* acc[0..n) summed over the ranks of comm in 128-bit integers, exactly. Collective. */
int zl_xsum_allreduce(MPI_Comm comm, zl_xint *acc, size_t n);

void zl_tiles_free(zl_tiles *t);

#endif
