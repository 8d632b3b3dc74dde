/* Grouped cross-validated ridge regression on a 2-D BLACS grid (design §3, steps 3–4).
 *
 * Two passes over the data, a block of rows at a time: the first finds the shift c, the second
 * redistributes the augmented rows a = [x - c, 1, y - c_y] of each fold block-cyclically
 * (PDGEMR2D) and ScaLAPACK adds them to G_k = A_kᵀA_k (PDSYRK). G_k
 * holds the fold's count, sums, XᵀX, Xᵀy and yᵀy, so any training set is a sum of folds, and its
 * standardised ridge system (ZᵀZ/n + λI) w = Zᵀ(y - ȳ)/n follows by a rank-one correction and is
 * solved with PDPOSV. The shift c is the global mean of the rows, so that correction does not
 * cancel. Validation errors come from the folds' G as quadratic forms, so choosing λ by inner CV
 * needs no second pass over the rows. */
#ifndef ZL_RIDGE_H
#define ZL_RIDGE_H

#include <mpi.h>
#include <stdint.h>

typedef struct zl_cvridge_s *zl_cvridge;

/* Creates the BLACS grid (as square as the rank count allows) for n_features and n_folds.
 * Collective on comm. */
int zl_cvridge_create(MPI_Comm comm, int n_features, int n_folds, zl_cvridge *cv);

/* Accumulates every fold's statistics from this rank's rows: X row-major n × n_features, y, and
 * fold[i] in [0, n_folds) or -1 to leave row i out. Call once. Collective. */
int zl_cvridge_accumulate(zl_cvridge cv, int64_t n, const double *X, const double *y,
                          const int *fold);

/* Writes rows [i0, i0 + n) of this rank's feature matrix (row-major, n × n_features) to out;
 * non-zero (error recorded) on failure. Not collective. */
typedef int (*zl_row_source)(void *ctx, int64_t i0, int64_t n, double *out);

/* zl_cvridge_accumulate with the rows asked of src in blocks of at most `block` rows, twice (the
 * shift, then the Grams): the caller never holds more than a block of them, so rff's mapped
 * features cost block × D per rank, not n × D. Results depend on the block size in the last bits
 * only. Call once. Collective. */
int zl_cvridge_accumulate_rows(zl_cvridge cv, int64_t n, zl_row_source src, void *ctx,
                               const double *y, const int *fold, int64_t block);

/* Rows used in fold k (after accumulate). Not collective. */
int64_t zl_cvridge_fold_rows(zl_cvridge cv, int k);

/* Fits ridge on the union of the folds with in_train[k] != 0 at strength lambda (in units of the
 * standardised features). coef receives n_features + 1 numbers, replicated on every rank: the
 * intercept, then one weight per raw feature (standardisation folded in), so ŷ = coef[0] +
 * Σ coef[1+j] x_j. Collective. */
int zl_cvridge_fit(zl_cvridge cv, const int *in_train, double lambda, double *coef);

/* Sum of squared errors of coef (from zl_cvridge_fit) over the rows of fold k. Collective. */
int zl_cvridge_sse(zl_cvridge cv, int k, const double *coef, double *sse);

/* Chooses lambda for outer fold `outer` (-1: all folds) by inner CV over the remaining folds:
 * the value of the ascending grid with the least summed validation SSE (the larger lambda on a
 * tie); *sse (may be NULL) receives that SSE. Collective. */
int zl_cvridge_select_lambda(zl_cvridge cv, int outer, const double *grid, int n_grid,
                             double *lambda, double *sse);

/* The inner-CV errors of every outer fold at once: sse[(k·K + v)·n_grid + l] (K² · n_grid doubles)
 * receives the SSE on fold v of the fit at grid[l] on all folds but k and v (0 when k == v), so
 * outer fold k selects λ by summing over v ≠ k, as zl_cvridge_select_lambda does. Each training set
 * serves two outer folds, so this makes half the fits of K separate selections. Collective. */
int zl_cvridge_inner_sse(zl_cvridge cv, const double *grid, int n_grid, double *sse);

/* The BLACS grid shape. Not collective. */
void zl_cvridge_grid(zl_cvridge cv, int *nprow, int *npcol);

/* Collective on the communicator given to create. Safe on NULL. */
void zl_cvridge_destroy(zl_cvridge *cv);

#endif
