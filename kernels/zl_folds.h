/* Grouped k-fold assignment: all rows of one training run fall in one fold, and the assignment
 * depends only on (run ids, k, seed), never on the number of ranks. */
#ifndef ZL_FOLDS_H
#define ZL_FOLDS_H

#include <stddef.h>
#include <stdint.h>

/* Distinct runs are ordered by (zl_hash64(seed, run_id), run_id) and dealt round-robin into k
 * folds; fold[i] receives the fold of row i. *n_runs receives the number of distinct runs.
 * Returns non-zero (error recorded: "<n> training runs are fewer than <k> folds") when there are
 * fewer distinct runs than folds (ZL_ERR_RUNTIME; *n_runs still set), k < 1 (ZL_ERR_USAGE), or on
 * allocation failure. Not collective. */
int zl_folds_assign(const int64_t *run_id, size_t n, int k, uint64_t seed, int *fold,
                    size_t *n_runs);

#endif
