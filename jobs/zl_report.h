/* report.json (schema zoolens-report/1, design §8) and report.md, written by rank 0 atomically. */
#ifndef ZL_REPORT_H
#define ZL_REPORT_H

#include <stdint.h>

#include "zl_provenance.h"

#define ZL_REPORT_SCHEMA "zoolens-report/1"
/* Scores from different rank counts differ by this much: nothing, since every sum over rows is
 * exact over fixed tiles and every solve is whole on one rank (design §3, Determinism). */
#define ZL_RANK_TOLERANCE 0.0

/* One file of a zoo. */
typedef struct {
  char path[4096];
  int64_t rows;
  char digest[65]; /* hex, made as zl_report.digest says (zl_checksum_files) */
} zl_report_file;

/* One zoo: one file, or the files of a job array's tasks. */
typedef struct {
  char *path; /* the files' paths, comma-separated (malloc'ed: a zoo may be many files) */
  int n_files;
  zl_report_file *files;
  char dataset[64], architecture[64];
  int64_t rows_in_file; /* N of the zoo */
  int64_t networks;     /* rows selected (final checkpoints or all) */
  int64_t runs;
  int64_t dropped_nonfinite;
} zl_report_input;

typedef struct {
  int n;
  double lambda, bandwidth, r2, kendall_tau, rmse; /* bandwidth: rff only, else NaN */
  int trees, depth, min_rows;                      /* gbm's choice, else 0 */
  int epochs;                                      /* dnn's choice, else 0 */
} zl_fold_score;

typedef struct {
  char train[160], test[160], features[32], estimator[32];
  int folds;        /* 0 for a transfer result (fit on all of train, scored on all of test) */
  int64_t networks; /* scored */
  double lambda;    /* median of the folds' choices */
  double bandwidth; /* rff: median of the folds' choices (relative to sqrt(F)); else NaN */
  int trees, depth, min_rows; /* gbm's transfer fit (folds 0), else 0 */
  int epochs;                 /* dnn's transfer fit (folds 0), else 0 */
  double r2, r2_std, kendall_tau, kendall_tau_std, rmse;
  zl_fold_score *per_fold; /* folds entries */
} zl_report_result;

typedef struct {
  uint64_t seed;
  int ranks, grid[2];
  int blas_threads; /* per rank */
  const char *checkpoints;
  const char *started; /* ISO 8601 UTC */
  zl_digest digest;    /* how every input's digest was made */
  double seconds_checksum, seconds_read, seconds_features, seconds_solve, seconds_total;
  double peak_rss_mib; /* largest peak resident set over the ranks */
  int n_inputs;
  const zl_report_input *inputs;
  int n_results;
  const zl_report_result *results;
} zl_report;

/* Writes DIR/report.json and DIR/report.md, each through a temporary name and rename(2), so a
 * crash never leaves a partial report; report.json last, and on its failure report.md is removed,
 * so a failed write (a full disk) leaves no finished-looking report. Not collective (rank 0). */
int zl_report_write(const char *dir, const zl_report *r);

#endif
