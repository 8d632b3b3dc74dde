#include "zl_spectral.h"

#include <cblas.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#include "zl_error.h"
#include "zl_wstats.h"

struct zl_spectral_ctx_s {
  int n_kernels;
  int *rows, *cols;
  double *a;         /* one kernel in double: dgesdd overwrites its input */
  double *g;         /* its smaller Gram matrix, r × r with r = min(rows, cols) */
  double *ev, *off;  /* the Gram matrix's eigenvalues; the off-diagonal of its tridiagonal form */
  double *s;         /* the kernel's singular values, descending */
  double *work;      /* dgesdd's workspace, sized by the largest query */
  lapack_int *iwork; /* 8 min(m, n) integers */
  lapack_int lwork;
  int64_t svd_count; /* kernels that went to dgesdd */
};

int zl_spectral_count(int n_kernels) {
  return ZL_SPECTRAL_PER_KERNEL * n_kernels;
}

static int bad_shape(const char *shape, const char *what) {
  return ZL_ERR(ZL_ERR_RUNTIME, "shape \"%s\": %s", shape, what);
}

int zl_shape_matrix(const char *shape, int *rows, int *cols) {
  const char *p = shape;
  int64_t prod = 1, last = 0;
  int ndim = 0;
  while (isspace((unsigned char)*p))
    p++;
  if (*p++ != '(') return bad_shape(shape, "expected a tuple such as (3, 3, 1, 16)");
  for (;;) {
    while (isspace((unsigned char)*p))
      p++;
    if (*p == ')' && ndim > 0) break;
    /* strtoll would also take a sign, which no dimension has. */
    if (!isdigit((unsigned char)*p)) return bad_shape(shape, "expected a positive integer");
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno || v > INT_MAX) return bad_shape(shape, "a dimension exceeds INT_MAX");
    if (v == 0) return bad_shape(shape, "a dimension is 0");
    p = end;
    /* The previous dimension joins the rows; the bound keeps the product in range. */
    prod *= last ? last : 1;
    if (prod > INT_MAX) return bad_shape(shape, "more than INT_MAX rows");
    last = v;
    ndim++;
    while (isspace((unsigned char)*p))
      p++;
    if (*p == ',') {
      p++;
    } else if (*p != ')') {
      return bad_shape(shape, "expected ',' or ')'");
    }
  }
  p++;
  while (isspace((unsigned char)*p))
    p++;
  if (*p) return bad_shape(shape, "text after the tuple");
  if (ndim < 2) return bad_shape(shape, "1-D, a bias: only a kernel has a matrix");
  *rows = (int)prod;
  *cols = (int)last;
  return 0;
}

void zl_spectral_destroy(zl_spectral_ctx *ctx) {
  if (!*ctx) return;
  free((*ctx)->rows);
  free((*ctx)->cols);
  free((*ctx)->a);
  free((*ctx)->g);
  free((*ctx)->ev);
  free((*ctx)->off);
  free((*ctx)->s);
  free((*ctx)->work);
  free((*ctx)->iwork);
  free(*ctx);
  *ctx = NULL;
}

/* The row-major m × n kernel is, read column-major, its n × m transpose, which has the same
 * singular values: so LAPACK takes the weights as they lie, with no transposition. */
static lapack_int gesdd(zl_spectral_ctx c, int m, int n, double *work, lapack_int lwork) {
  double u, vt; /* not referenced with jobz 'N' */
  return LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', n, m, c->a, n, c->s, &u, 1, &vt, 1, work, lwork,
                             c->iwork);
}

int zl_spectral_create(int n_kernels, const int *rows, const int *cols, zl_spectral_ctx *ctx) {
  *ctx = NULL;
  zl_spectral_ctx c = zl_calloc(1, sizeof *c, "spectral workspace");
  if (!c) return ZL_ERR_RUNTIME;
  c->n_kernels = n_kernels;
  int64_t max_elems = 1;
  int max_min = 1;
  for (int k = 0; k < n_kernels; k++) {
    if (rows[k] <= 0 || cols[k] <= 0) {
      free(c);
      return ZL_ERR(ZL_ERR_RUNTIME, "spectral: kernel %d has shape %d x %d", k, rows[k], cols[k]);
    }
    const int64_t e = (int64_t)rows[k] * cols[k];
    const int mn = rows[k] < cols[k] ? rows[k] : cols[k];
    max_elems = e > max_elems ? e : max_elems;
    max_min = mn > max_min ? mn : max_min;
  }
  c->rows = zl_malloc((size_t)n_kernels, sizeof *c->rows, "spectral kernel rows");
  c->cols = zl_malloc((size_t)n_kernels, sizeof *c->cols, "spectral kernel columns");
  c->a = zl_malloc((size_t)max_elems, sizeof *c->a, "spectral matrix copy");
  c->g = zl_malloc((size_t)max_min * (size_t)max_min, sizeof *c->g, "spectral Gram matrix");
  c->ev = zl_malloc((size_t)max_min, sizeof *c->ev, "Gram eigenvalues");
  c->off = zl_malloc((size_t)max_min, sizeof *c->off, "Gram tridiagonal form");
  c->s = zl_malloc((size_t)max_min, sizeof *c->s, "singular values");
  c->iwork = zl_malloc(8 * (size_t)max_min, sizeof *c->iwork, "LAPACK integer workspace");
  if (!c->rows || !c->cols || !c->a || !c->g || !c->ev || !c->off || !c->s || !c->iwork) {
    zl_spectral_destroy(&c);
    return ZL_ERR_RUNTIME;
  }
  c->lwork = 1;
  for (int k = 0; k < n_kernels; k++) {
    c->rows[k] = rows[k];
    c->cols[k] = cols[k];
    double opt = 0;
    lapack_int info = gesdd(c, rows[k], cols[k], &opt, -1);
    if (info) {
      zl_spectral_destroy(&c);
      return ZL_ERR(ZL_ERR_RUNTIME, "spectral: LAPACK dgesdd workspace query failed (info %d)",
                    (int)info);
    }
    if ((lapack_int)opt > c->lwork) c->lwork = (lapack_int)opt;
  }
  c->work = zl_malloc((size_t)c->lwork, sizeof *c->work, "LAPACK workspace");
  if (!c->work) {
    zl_spectral_destroy(&c);
    return ZL_ERR_RUNTIME;
  }
  *ctx = c;
  return 0;
}

/* Householder reduction of the symmetric r × r matrix a (row-major, lower triangle read) to
 * tridiagonal form, eigenvalues only (Numerical Recipes' tred2 without the transformations): the
 * diagonal into d, the off-diagonal into e[1..r) (e[i] couples i − 1 and i), e[0] = 0. */
static void tridiagonalize(double *a, int r, double *d, double *e) {
  for (int i = r - 1; i > 0; i--) {
    double *ai = a + (size_t)i * (size_t)r, h = 0, scale = 0;
    const int l = i - 1;
    if (l > 0) {
      for (int k = 0; k <= l; k++)
        scale += fabs(ai[k]);
    }
    if (l == 0 || scale == 0) {
      e[i] = ai[l];
    } else {
      /* Scaling by the row's 1-norm keeps h = |row|² from overflowing or underflowing. */
      for (int k = 0; k <= l; k++) {
        ai[k] /= scale;
        h += ai[k] * ai[k];
      }
      double f = ai[l], g = f >= 0 ? -sqrt(h) : sqrt(h);
      e[i] = scale * g;
      h -= f * g;
      ai[l] = f - g;
      f = 0;
      for (int j = 0; j <= l; j++) {
        g = 0;
        for (int k = 0; k <= j; k++)
          g += a[(size_t)j * (size_t)r + (size_t)k] * ai[k];
        for (int k = j + 1; k <= l; k++)
          g += a[(size_t)k * (size_t)r + (size_t)j] * ai[k];
        e[j] = g / h;
        f += e[j] * ai[j];
      }
      const double hh = f / (h + h);
      for (int j = 0; j <= l; j++) {
        f = ai[j];
        e[j] = g = e[j] - hh * f;
        for (int k = 0; k <= j; k++)
          a[(size_t)j * (size_t)r + (size_t)k] -= f * e[k] + g * ai[k];
      }
    }
  }
  e[0] = 0;
  for (int i = 0; i < r; i++)
    d[i] = a[(size_t)i * (size_t)r + (size_t)i];
}

/* Eigenvalues of the symmetric tridiagonal matrix (d, e) by the implicit QL method with Wilkinson
 * shifts (Numerical Recipes' tqli without eigenvectors), into d, unordered. e as tridiagonalize
 * leaves it; destroyed. Returns 0, or 1 when an eigenvalue needs more than 30 iterations. The
 * entries are at most |W|²-sized, far from overflow in the squares of the rotations. */
static int tridiagonal_eigenvalues(double *d, double *e, int r) {
  for (int i = 1; i < r; i++)
    e[i - 1] = e[i];
  e[r - 1] = 0;
  for (int l = 0; l < r; l++) {
    int iter = 0, m;
    do {
      for (m = l; m < r - 1; m++)
        if (fabs(e[m]) <= DBL_EPSILON * (fabs(d[m]) + fabs(d[m + 1]))) break;
      if (m == l) break;
      if (iter++ == 30) return 1;
      double g = (d[l + 1] - d[l]) / (2 * e[l]), rr = sqrt(g * g + 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? rr : -rr));
      double s = 1, c = 1, p = 0;
      int i;
      for (i = m - 1; i >= l; i--) {
        const double f = s * e[i], b = c * e[i];
        e[i + 1] = rr = sqrt(f * f + g * g);
        if (rr == 0) {
          /* Underflow: the matrix split; deflate and start over. */
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / rr;
        c = g / rr;
        g = d[i + 1] - p;
        rr = (d[i] - g) * s + 2 * c * b;
        d[i + 1] = g + (p = s * rr);
        g = c * rr - b;
      }
      if (i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    } while (m != l);
  }
  return 0;
}

/* Insertion sort, descending: r is small. */
static void sort_descending(double *v, int r) {
  for (int i = 1; i < r; i++) {
    const double x = v[i];
    int j = i;
    for (; j > 0 && v[j - 1] < x; j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
}

/* Below this ratio of the Gram matrix's smallest to largest eigenvalue (σ1 / σ_min above 100) the
 * singular values come from dgesdd instead. */
#define ZL_GRAM_MIN_RATIO 1e-4

/* The singular values of the row-major m × n kernel in c->a, into c->s, as the square roots of
 * the eigenvalues of its smaller Gram matrix (WᵀW or WWᵀ): one syrk and a symmetric eigensolve of
 * order min(m, n), about 3 times cheaper than dgesdd on the whole kernel (and tred2 + tqli take
 * 7 us at order 16 where LAPACK's dsyev, all call overhead, takes 11). Forming
 * the Gram matrix squares the condition number: eigenvalue λ_i comes with an absolute error of a
 * few ε σ1², so σ_i keeps about ε (σ1 / σ_i)² relative accuracy, 1e-12 while σ1 / σ_i <= 100.
 * Returns 0 for a worse conditioned kernel (rank-deficient, or far from zero mean), which dgesdd
 * must then handle. *fro2 = ‖W‖²_F, the Gram matrix's trace, either way. */
static int gram_singular_values(zl_spectral_ctx c, int m, int n, double *fro2) {
  const int r = m < n ? m : n;
  /* Read column-major, the kernel is its n × m transpose B: WᵀW = B Bᵀ and WWᵀ = Bᵀ B. Column-major
   * upper is row-major lower, the triangle tridiagonalize reads. */
  cblas_dsyrk(CblasColMajor, CblasUpper, m >= n ? CblasNoTrans : CblasTrans, r, m >= n ? m : n, 1.0,
              c->a, n, 0.0, c->g, r);
  double trace = 0;
  for (int i = 0; i < r; i++)
    trace += c->g[(size_t)i * (size_t)r + (size_t)i];
  *fro2 = trace;
  tridiagonalize(c->g, r, c->ev, c->off);
  if (tridiagonal_eigenvalues(c->ev, c->off, r)) return 0;
  sort_descending(c->ev, r);
  if (!(c->ev[r - 1] >= ZL_GRAM_MIN_RATIO * c->ev[0])) return 0;
  for (int i = 0; i < r; i++)
    c->s[i] = sqrt(c->ev[i]);
  return 1;
}

/* The features of one kernel from its squared Frobenius norm and singular values s[0..r). */
static void kernel_features(double fro2, const double *s, int r, double *o) {
  double nuclear = 0;
  for (int i = 0; i < r; i++)
    nuclear += s[i];
  const double s1 = s[0];
  /* Spectral norm: the layer's Lipschitz constant, the quantity the margin-based generalisation
   * bound of Bartlett et al. (2017) multiplies over layers. */
  o[ZL_SPECTRAL_NORM] = s1;
  /* Frobenius norm: the overall weight scale, which weight decay and training time move. */
  o[ZL_SPECTRAL_FROBENIUS] = sqrt(fro2);
  /* Nuclear norm: the convex surrogate of rank, the scale counted over every direction. */
  o[ZL_SPECTRAL_NUCLEAR] = nuclear;
  if (s1 == 0) {
    /* A zero kernel stretches nothing and uses no direction. */
    o[ZL_SPECTRAL_STABLE_RANK] = o[ZL_SPECTRAL_LOG_COND] = o[ZL_SPECTRAL_EFF_RANK] = 0;
    return;
  }
  /* Stable rank: the scale-free, noise-robust rank that enters Bartlett et al.'s bound; Sanyal et
   * al. (2020) improve generalisation by lowering it. */
  o[ZL_SPECTRAL_STABLE_RANK] = fro2 / (s1 * s1);
  /* Log condition number: how unevenly the layer stretches directions (badly conditioned layers
   * hinder training); σ_min is floored so a rank-deficient kernel stays finite. */
  const double s_min = fmax(s[r - 1], ZL_SPECTRAL_COND_FLOOR * s1);
  o[ZL_SPECTRAL_LOG_COND] = log(s1 / s_min);
  /* Effective rank (Roy & Vetterli 2007): exp of the entropy of the normalised spectrum, how many
   * directions the layer actually uses, between 1 and min(m, n). 0 log 0 = 0. */
  double h = 0;
  for (int i = 0; i < r; i++) {
    const double p = s[i] / nuclear;
    if (p > 0) h -= p * log(p);
  }
  o[ZL_SPECTRAL_EFF_RANK] = exp(h);
}

int zl_spectral_row(zl_spectral_ctx c, const float *row, const int64_t *offset, double *out) {
  for (int k = 0; k < c->n_kernels; k++) {
    const int m = c->rows[k], n = c->cols[k];
    const size_t e = (size_t)m * (size_t)n;
    const float *x = row + offset[k];
    /* LAPACK may loop or return garbage on a NaN, so such kernels never reach it. */
    if (!zl_all_finite(x, e))
      return ZL_ERR(ZL_ERR_RUNTIME, "spectral: kernel %d holds a non-finite weight", k);
    for (size_t i = 0; i < e; i++)
      c->a[i] = x[i];
    double fro2;
    lapack_int info = 0;
    if (!gram_singular_values(c, m, n, &fro2)) {
      c->svd_count++;
      info = gesdd(c, m, n, c->work, c->lwork);
    }
    if (info)
      return ZL_ERR(ZL_ERR_RUNTIME,
                    "spectral: LAPACK dgesdd failed on kernel %d (%d x %d, info %d)", k, m, n,
                    (int)info);
    kernel_features(fro2, c->s, m < n ? m : n, out + (size_t)ZL_SPECTRAL_PER_KERNEL * k);
  }
  return 0;
}

int64_t zl_spectral_svd_count(zl_spectral_ctx c) {
  return c->svd_count;
}
