#include "zl_folds.h"

#include "zl_error.h"
#include "zl_rng.h"

#include <stdlib.h>

typedef struct {
  uint64_t hash;
  int64_t run_id;
  size_t row;
} fold_key;

/* Orders by (hash, run_id) only: rows of one run end up adjacent in some order, and which order
 * does not matter because they all receive the same fold. */
static int fold_key_cmp(const void *pa, const void *pb) {
  const fold_key *a = pa, *b = pb;
  if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
  if (a->run_id != b->run_id) return a->run_id < b->run_id ? -1 : 1;
  return 0;
}

int zl_folds_assign(const int64_t *run_id, size_t n, int k, uint64_t seed, int *fold,
                    size_t *n_runs) {
  *n_runs = 0;
  if (k < 1) return ZL_ERR(ZL_ERR_USAGE, "the number of folds must be at least 1, got %d", k);
  fold_key *key = zl_malloc(n, sizeof *key, "fold assignment");
  if (!key) return ZL_ERR_RUNTIME;
  for (size_t i = 0; i < n; i++)
    key[i] = (fold_key){zl_hash64(seed, (uint64_t)run_id[i]), run_id[i], i};
  qsort(key, n, sizeof *key, fold_key_cmp);
  size_t runs = 0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && key[i].run_id != key[i - 1].run_id) runs++;
    fold[key[i].row] = (int)(runs % (size_t)k);
  }
  if (n > 0) runs++;
  free(key);
  *n_runs = runs;
  if (runs < (size_t)k)
    return ZL_ERR(ZL_ERR_RUNTIME, "%zu training runs are fewer than %d folds", runs, k);
  return 0;
}
