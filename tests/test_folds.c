/* zl_folds (serial, 1 process): runs stay whole, folds balanced to one run, the order is
 * (hash, run_id) dealt round-robin, independent of row order, seeded, exact error messages. */
#include "zl_error.h"
#include "zl_folds.h"
#include "zl_rng.h"
#include "zl_test.h"

#include <stdlib.h>
#include <string.h>

enum { RUNS = 53, K = 5, MAX_ROWS = RUNS * 9 };

/* Rows of RUNS runs (ids spread over negative and large values), 1 to 9 checkpoints each, shuffled.
 * Returns the row count. */
static size_t make_rows(int64_t *run_id, int64_t *ids, zl_rng *r) {
  size_t n = 0;
  for (int i = 0; i < RUNS; i++) {
    ids[i] = (int64_t)(i * 7919) - 100 + (i % 3 == 0 ? INT64_C(1) << 40 : 0);
    int rows = 1 + (int)zl_rng_below(r, 9);
    for (int c = 0; c < rows; c++)
      run_id[n++] = ids[i];
  }
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)zl_rng_below(r, i);
    int64_t t = run_id[i - 1];
    run_id[i - 1] = run_id[j];
    run_id[j] = t;
  }
  return n;
}

/* The fold of each run in ids[], read off fold[]; -1 when a run's rows disagree. */
static void fold_per_run(const int64_t *run_id, const int *fold, size_t n, const int64_t *ids,
                         int *run_fold) {
  for (int i = 0; i < RUNS; i++) {
    run_fold[i] = -2;
    for (size_t j = 0; j < n; j++) {
      if (run_id[j] != ids[i]) continue;
      if (run_fold[i] == -2)
        run_fold[i] = fold[j];
      else if (run_fold[i] != fold[j])
        run_fold[i] = -1;
    }
  }
}

static void check_assignment(void) {
  zl_rng r;
  zl_rng_init(&r, 3, 0);
  int64_t run_id[MAX_ROWS], ids[RUNS];
  int fold[MAX_ROWS], run_fold[RUNS];
  size_t n = make_rows(run_id, ids, &r), n_runs = 0;
  ZL_CHECK(zl_folds_assign(run_id, n, K, 42, fold, &n_runs) == 0);
  ZL_CHECK(n_runs == RUNS);
  fold_per_run(run_id, fold, n, ids, run_fold);

  /* Every run whole and in range; folds hold 10 or 11 of the 53 runs. */
  int count[K] = {0};
  int whole = 1;
  for (int i = 0; i < RUNS; i++) {
    whole &= run_fold[i] >= 0 && run_fold[i] < K;
    if (run_fold[i] >= 0 && run_fold[i] < K) count[run_fold[i]]++;
  }
  ZL_CHECK(whole);
  for (int f = 0; f < K; f++)
    ZL_CHECK(count[f] == RUNS / K || count[f] == RUNS / K + 1);

  /* The documented order: the run with rank p by (hash, id) lands in fold p mod K. */
  int ordered = 1;
  for (int i = 0; i < RUNS; i++) {
    uint64_t hi = zl_hash64(42, (uint64_t)ids[i]);
    int rank = 0;
    for (int j = 0; j < RUNS; j++) {
      uint64_t hj = zl_hash64(42, (uint64_t)ids[j]);
      rank += hj < hi || (hj == hi && ids[j] < ids[i]);
    }
    ordered &= run_fold[i] == rank % K;
  }
  ZL_CHECK(ordered);

  /* Row order does not matter: reverse the rows, and each run keeps its fold. */
  int64_t rev[MAX_ROWS];
  int rev_fold[MAX_ROWS], rev_run_fold[RUNS];
  for (size_t i = 0; i < n; i++)
    rev[i] = run_id[n - 1 - i];
  ZL_CHECK(zl_folds_assign(rev, n, K, 42, rev_fold, &n_runs) == 0);
  fold_per_run(rev, rev_fold, n, ids, rev_run_fold);
  ZL_CHECK(memcmp(run_fold, rev_run_fold, sizeof run_fold) == 0);

  /* Same seed, same folds; another seed, another assignment. */
  int again[MAX_ROWS], other[MAX_ROWS];
  ZL_CHECK(zl_folds_assign(run_id, n, K, 42, again, &n_runs) == 0);
  ZL_CHECK(memcmp(fold, again, n * sizeof *fold) == 0);
  ZL_CHECK(zl_folds_assign(run_id, n, K, 43, other, &n_runs) == 0);
  ZL_CHECK(memcmp(fold, other, n * sizeof *fold) != 0);

  /* As many runs as folds: one run each. */
  const int64_t few[7] = {5, 9, 5, 1, 7, 3, 9};
  int few_fold[7], seen[K] = {0};
  ZL_CHECK(zl_folds_assign(few, 7, K, 1, few_fold, &n_runs) == 0);
  ZL_CHECK(n_runs == 5);
  for (int i = 0; i < 7; i++)
    seen[few_fold[i]]++;
  ZL_CHECK(few_fold[0] == few_fold[2] && few_fold[1] == few_fold[6]);
  ZL_CHECK(seen[few_fold[0]] == 2 && seen[few_fold[1]] == 2 && seen[few_fold[3]] == 1);
}

static void check_errors(void) {
  const int64_t ids[6] = {4, 4, 8, 8, 15, 4};
  int fold[6];
  size_t n_runs = 99;
  zl_error_clear();
  ZL_CHECK(zl_folds_assign(ids, 6, 5, 0, fold, &n_runs) == ZL_ERR_RUNTIME);
  ZL_CHECK(strcmp(zl_error_message(), "3 training runs are fewer than 5 folds") == 0);
  ZL_CHECK(n_runs == 3);
  ZL_CHECK(zl_folds_assign(ids, 0, 2, 0, fold, &n_runs) == ZL_ERR_RUNTIME);
  ZL_CHECK(strcmp(zl_error_message(), "0 training runs are fewer than 2 folds") == 0);
  ZL_CHECK(zl_folds_assign(ids, 6, 0, 0, fold, &n_runs) == ZL_ERR_USAGE);
  ZL_CHECK(strcmp(zl_error_message(), "the number of folds must be at least 1, got 0") == 0);
}

int main(void) {
  check_assignment();
  check_errors();
  return zl_test_finish();
}
