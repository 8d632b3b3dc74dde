/* Spectral features (design §3, `spectral`): per kernel tensor, reshaped to a matrix of
 * prod(shape[:-1]) rows × shape[-1] columns (a HWIO conv kernel gives (kh·kw·in) × out, a dense
 * kernel (in, out)), statistics of its singular values computed with LAPACK: as square roots of
 * the eigenvalues of the smaller Gram matrix (WᵀW or WWᵀ) while σ1 / σ_min <= 100, where they
 * agree with an SVD to about 1e-12, else by dgesdd. */
#ifndef ZL_SPECTRAL_H
#define ZL_SPECTRAL_H

#include <stdint.h>

/* Features per kernel, in this order at out[6k + j]. */
enum {
  ZL_SPECTRAL_NORM = 0,    /* σ1, the largest singular value */
  ZL_SPECTRAL_FROBENIUS,   /* ‖W‖_F */
  ZL_SPECTRAL_STABLE_RANK, /* ‖W‖²_F / σ1² */
  ZL_SPECTRAL_NUCLEAR,     /* Σ σ_i */
  ZL_SPECTRAL_LOG_COND,    /* log(σ1 / max(σ_min, 1e-30 σ1)) */
  ZL_SPECTRAL_EFF_RANK,    /* exp(H(p)), p_i = σ_i / Σσ (Roy & Vetterli 2007) */
  ZL_SPECTRAL_PER_KERNEL
};

/* Singular values below this fraction of σ1 count as σ1 · 1e-30 in the log condition number, so
 * a rank-deficient kernel gets a large finite value (log 1e30 ≈ 69.1) instead of +inf. */
#define ZL_SPECTRAL_COND_FLOOR 1e-30

/* Workspace for the kernels of one layout, allocated once and reused for every row. */
typedef struct zl_spectral_ctx_s *zl_spectral_ctx;

/* Number of spectral features of a layout with n_kernels kernels. Not collective. */
int zl_spectral_count(int n_kernels);

/* The matrix shape of a kernel from its layout shape string, "(3, 3, 1, 16)" → 9 × 16,
 * "(16, 10)" → 16 × 10: the product of all dimensions but the last, and the last.
 * @param[in]  shape  a Python tuple of positive integers as in layout.csv
 * @param[out] rows, cols
 * @return 0, or ZL_ERR_RUNTIME with 'shape "<text>": <what is wrong>' recorded: malformed text,
 *         a 1-D shape ("(16,)", a bias, which has no matrix), a zero dimension, or more than
 *         INT_MAX rows or columns. The caller checks rows · cols against the tensor's size.
 * Not collective. */
int zl_shape_matrix(const char *shape, int *rows, int *cols);

/* Creates the workspace for n_kernels kernels of rows[k] × cols[k] (each > 0): one double copy of
 * the largest matrix, its Gram matrix and LAPACK's work arrays for the largest query over all
 * shapes.
 * @return 0, or ZL_ERR_RUNTIME (bad shape, out of memory). Not collective. */
int zl_spectral_create(int n_kernels, const int *rows, const int *cols, zl_spectral_ctx *ctx);

/* Frees the workspace and sets *ctx to NULL. Safe on NULL. Not collective. */
void zl_spectral_destroy(zl_spectral_ctx *ctx);

/* Spectral features of one network row: kernel k is the row-major rows[k] × cols[k] matrix at
 * row + offset[k] (the shapes given to zl_spectral_create); writes out[6k + ZL_SPECTRAL_*].
 * A zero matrix gets 0 for every feature (it uses no direction). Allocates nothing.
 * @return 0, or ZL_ERR_RUNTIME when a kernel holds a non-finite weight (the caller drops such
 *         rows first: zl_all_finite) or LAPACK fails; out is then unspecified.
 * Not collective. */
int zl_spectral_row(zl_spectral_ctx ctx, const float *row, const int64_t *offset, double *out);

/* How many kernels zl_spectral_row has handed to dgesdd since the context was created: those too
 * ill-conditioned for the Gram route (or whose eigensolve failed to converge). Not collective. */
int64_t zl_spectral_svd_count(zl_spectral_ctx ctx);

#endif
