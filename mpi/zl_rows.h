/* Which rows of a zoo an analysis uses, their targets and folds, and which rank holds them
 * (design §3, step 1). */
#ifndef ZL_ROWS_H
#define ZL_ROWS_H

#include <stdint.h>

#include "zl_zoo.h"

typedef enum {
  ZL_CHECKPOINTS_FINAL = 0, /* the last checkpoint of each run: the paper's protocol */
  ZL_CHECKPOINTS_ALL = 1
} zl_checkpoints;

/* This rank's share of the selected rows of a zoo made of one or more files (design §4: a SLURM job
 * array writes one file per task): a contiguous block of the selection in (file, row) order,
 * balanced to ±1 row across ranks. */
typedef struct {
  int64_t n;       /* rows on this rank */
  int *file;       /* which file of the zoo, ascending */
  int64_t *row;    /* row in that file, ascending within a file */
  double *y;       /* test accuracy */
  int64_t *run;    /* training run */
  int *fold;       /* CV fold; set to -1 for rows the analysis drops */
  int64_t n_total; /* rows selected over all ranks */
  int64_t n_runs;  /* distinct training runs among them */
} zl_rows;

/* Rank 0 reads /runs and /metrics/test_accuracy of the n_files files of one zoo (suspended zoos,
 * zl_zoo_suspend: each is resumed while it is read, so one is open at a time), selects the rows,
 * checks the targets, deals runs into n_folds folds (zl_folds_assign: independent of the rank count
 * and of how the zoo is split into files) and scatters each rank its block. Errors: "<file>:
 * /metrics/test_accuracy: row R is not finite (nan)", "<file>: N training runs are fewer than K
 * folds", "<file>, <file>: run R is in both files". Collective on the files' communicator. */
int zl_rows_select(const zl_zoo *files, int n_files, zl_checkpoints which, int n_folds,
                   uint64_t seed, zl_rows *rows);

/* This rank's rows still in the analysis (fold >= 0). Not collective. */
int64_t zl_rows_used(const zl_rows *rows);

/* [*lo, *hi): this rank's rows in file f. Not collective. */
void zl_rows_file_range(const zl_rows *rows, int f, int64_t *lo, int64_t *hi);

void zl_rows_free(zl_rows *rows);

#endif
