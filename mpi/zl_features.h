/* Feature rows of a zoo's selected networks (design §3, step 2): weight-based sets computed in one
 * pass over the weights, read in bounded blocks with collective parallel HDF5, and the
 * hyperparameters read from /hparams. */
#ifndef ZL_FEATURES_H
#define ZL_FEATURES_H

#include <stdint.h>

#include "zl_rows.h"
#include "zl_wstats.h"
#include "zl_zoo.h"

/* Weights held per rank at once while features are computed: small enough that the block is
 * still in the caches when the features read it (one 210-row chunk of the paper's CNN). 32 MiB
 * blocks went to memory and back: at 1 rank W-stats took 12.9 instead of 10.4-11.6 µs a network
 * and reading 0.13 instead of 0.04 s for 20 000 networks. */
#define ZL_FEATURES_BLOCK_BYTES (4LL << 20)

typedef enum {
  ZL_FEAT_WSTATS = 0, /* per tensor: 5 percentiles, spread, mean (the paper's W-stats) */
  ZL_FEAT_HPARAMS,    /* hyperparameters: log of scale-like values, one-hot categories */
  ZL_FEAT_FLAT,       /* every weight */
  ZL_FEAT_SPECTRAL,   /* per kernel as a matrix: singular-value statistics */
  ZL_FEAT_POOLED,     /* W-stats pooled over layer roles: the same 28 for any architecture */
  ZL_N_FEATSETS
} zl_featset;

/* 0, or ZL_ERR_USAGE when name is no feature set. Not collective. */
int zl_featset_parse(const char *name, zl_featset *s);

/* One feature matrix: rows->n × F, row-major, and a name per column. */
typedef struct {
  int F;
  double *X;
  uint64_t columns; /* what the columns mean (a hash): equal for two zoos whose columns match */
} zl_featmat;

void zl_featmat_free(zl_featmat *m);

/* Computes every set s with want[s] != 0 for this rank's rows of the zoo's n_files files (which
 * share one layout and hparams: zl_features_check_files; suspended zoos, zl_zoo_suspend: each is
 * resumed only while its rows are read, so one is open at a time). Rows whose weights are not all
 * finite get fold -1 (and zero features); *dropped receives their number over all ranks. t_read and
 * t_features receive this rank's seconds reading and computing. Collective on the files'
 * communicator. */
int zl_features_compute(const zl_zoo *files, int n_files, zl_rows *rows, const int *want,
                        zl_spread spread, zl_featmat *out, int64_t *dropped, double *t_read,
                        double *t_features);

/* Checks that the files of one zoo have the same layout and the same hyperparameters with the same
 * labels: "<file>: layout differs from <file>'s", "<file>: hparams differ from <file>'s". Not
 * collective (every rank holds the same metadata). */
int zl_features_check_files(const zl_zoo *files, int n_files);

#endif
