/* zl_spectral (serial, 1 process): shape parsing; exact features of hand-checkable matrices;
 * random kernels against singular values from LAPACK's dgesvd and from the eigenvalues of WᵀW;
 * kernels of condition numbers on both sides of the Gram route's limit, and of every order 1..20,
 * against dgesvd. */
#include "zl_error.h"
#include "zl_rng.h"
#include "zl_spectral.h"
#include "zl_test.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

static void check_shape(const char *text, int rows, int cols) {
  int r = -1, c = -1;
  ZL_CHECK(zl_shape_matrix(text, &r, &c) == 0);
  ZL_CHECK(r == rows && c == cols);
}

/* A malformed shape fails with its text and the reason in the message. */
static void check_bad_shape(const char *text, const char *reason) {
  int r = -1, c = -1;
  zl_error_clear();
  ZL_CHECK(zl_shape_matrix(text, &r, &c) == ZL_ERR_RUNTIME);
  ZL_CHECK(strstr(zl_error_message(), text) != NULL);
  ZL_CHECK(strstr(zl_error_message(), reason) != NULL);
  if (!strstr(zl_error_message(), reason)) fprintf(stderr, "  message: %s\n", zl_error_message());
  ZL_CHECK(r == -1 && c == -1);
}

static void check_shapes(void) {
  check_shape("(3, 3, 1, 16)", 9, 16);
  check_shape("(3, 3, 16, 16)", 144, 16);
  check_shape("(16, 10)", 16, 10);
  check_shape(" ( 5 ,7, ) ", 5, 7);
  check_shape("(1, 1)", 1, 1);
  check_shape("(2147483647, 1)", 2147483647, 1);
  check_bad_shape("(16,)", "1-D");
  check_bad_shape("(16)", "1-D");
  check_bad_shape("()", "positive integer");
  check_bad_shape("", "expected a tuple");
  check_bad_shape("3, 3", "expected a tuple");
  check_bad_shape("(3, -3)", "positive integer");
  check_bad_shape("(3, x)", "positive integer");
  check_bad_shape("(3 3)", "expected ','");
  check_bad_shape("(3, 3", "expected ','");
  check_bad_shape("(3, 3) x", "after the tuple");
  check_bad_shape("(0, 3)", "is 0");
  check_bad_shape("(3, 2147483648)", "INT_MAX");
  check_bad_shape("(65536, 65536, 2)", "INT_MAX rows");
}

/* Kernels one_kernel has seen go to dgesdd rather than the Gram route. */
static int64_t svd_runs;

/* Features of one rows × cols kernel given row-major, through a context made for it alone. */
static int one_kernel(const float *w, int rows, int cols, double *out) {
  zl_spectral_ctx c;
  const int64_t offset = 0;
  int rc = zl_spectral_create(1, &rows, &cols, &c);
  if (!rc) rc = zl_spectral_row(c, w, &offset, out);
  if (!rc) svd_runs += zl_spectral_svd_count(c);
  zl_spectral_destroy(&c);
  ZL_CHECK(c == NULL);
  return rc;
}

static void check_hand_values(void) {
  double o[ZL_SPECTRAL_PER_KERNEL];
  ZL_CHECK(zl_spectral_count(3) == 18);

  /* diag(3, -4) in a 3 × 2 matrix: σ = 4, 3; ‖W‖_F = 5; p = 4/7, 3/7. */
  const float diag[6] = {3, 0, 0, -4, 0, 0};
  ZL_CHECK(one_kernel(diag, 3, 2, o) == 0);
  const double h = -(4.0 / 7 * log(4.0 / 7) + 3.0 / 7 * log(3.0 / 7));
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_NORM], 4, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_FROBENIUS], 5, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_STABLE_RANK], 25.0 / 16, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_NUCLEAR], 7, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_LOG_COND], log(4.0 / 3), 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_EFF_RANK], exp(h), 1e-15);

  /* u vᵀ with u = (1, 2, 2), v = (3, 4): rank 1, σ1 = |u| |v| = 15. The second singular value is
   * rounding noise, so only its log condition number is inexact: huge, but finite. */
  const float outer[6] = {3, 4, 6, 8, 6, 8};
  ZL_CHECK(one_kernel(outer, 3, 2, o) == 0);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_NORM], 15, 1e-14);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_FROBENIUS], 15, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_STABLE_RANK], 1, 1e-14);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_NUCLEAR], 15, 1e-14);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_EFF_RANK], 1, 1e-13);
  ZL_CHECK(o[ZL_SPECTRAL_LOG_COND] > 30 && o[ZL_SPECTRAL_LOG_COND] <= log(1e30) + 1e-12);

  /* An exact zero singular value hits the floor: log(1 / 1e-30). */
  const float deficient[4] = {2, 0, 0, 0};
  ZL_CHECK(one_kernel(deficient, 2, 2, o) == 0);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_LOG_COND], log(1e30), 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_EFF_RANK], 1, 1e-15);

  /* H/2 for the 4 × 4 Hadamard matrix H is orthogonal (exact in float): every σ = 1. */
  const float orth[16] = {.5f, .5f, .5f,  .5f,  .5f, -.5f, .5f,  -.5f,
                          .5f, .5f, -.5f, -.5f, .5f, -.5f, -.5f, .5f};
  ZL_CHECK(one_kernel(orth, 4, 4, o) == 0);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_NORM], 1, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_FROBENIUS], 2, 1e-15);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_STABLE_RANK], 4, 1e-14);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_NUCLEAR], 4, 1e-14);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_LOG_COND], 0, 1e-14);
  ZL_CHECK_CLOSE(o[ZL_SPECTRAL_EFF_RANK], 4, 1e-14);

  /* A zero kernel: every feature 0, none NaN. */
  const float zero[6] = {0};
  ZL_CHECK(one_kernel(zero, 2, 3, o) == 0);
  for (int j = 0; j < ZL_SPECTRAL_PER_KERNEL; j++)
    ZL_CHECK(o[j] == 0);

  /* A 1 × 1 kernel: σ = |w|, one direction. */
  const float one[1] = {-2.5f};
  ZL_CHECK(one_kernel(one, 1, 1, o) == 0);
  ZL_CHECK(o[ZL_SPECTRAL_NORM] == 2.5 && o[ZL_SPECTRAL_NUCLEAR] == 2.5);
  ZL_CHECK(o[ZL_SPECTRAL_STABLE_RANK] == 1 && o[ZL_SPECTRAL_LOG_COND] == 0);
  ZL_CHECK(o[ZL_SPECTRAL_EFF_RANK] == 1);
}

/* Non-finite weights and bad shapes are errors with a message, never a crash. */
static void check_errors(void) {
  double o[ZL_SPECTRAL_PER_KERNEL];
  float w[6] = {1, 2, 3, 4, 5, 6};
  w[4] = NAN;
  zl_error_clear();
  ZL_CHECK(one_kernel(w, 2, 3, o) == ZL_ERR_RUNTIME);
  ZL_CHECK(strstr(zl_error_message(), "non-finite") != NULL);
  w[4] = -INFINITY;
  ZL_CHECK(one_kernel(w, 3, 2, o) == ZL_ERR_RUNTIME);

  zl_spectral_ctx c = NULL;
  const int rows[2] = {3, 0}, cols[2] = {2, 2};
  zl_error_clear();
  ZL_CHECK(zl_spectral_create(2, rows, cols, &c) == ZL_ERR_RUNTIME);
  ZL_CHECK(c == NULL);
  ZL_CHECK(strstr(zl_error_message(), "kernel 1") != NULL);
  zl_spectral_destroy(&c);
}

/* The six features from singular values s[0..r) (descending) and ‖W‖²_F, written out plainly. */
static void features_of(const double *s, int r, double fro2, double *o) {
  double sum = 0, h = 0;
  for (int i = 0; i < r; i++)
    sum += s[i];
  for (int i = 0; i < r; i++)
    h -= s[i] / sum * log(s[i] / sum);
  o[ZL_SPECTRAL_NORM] = s[0];
  o[ZL_SPECTRAL_FROBENIUS] = sqrt(fro2);
  o[ZL_SPECTRAL_STABLE_RANK] = fro2 / (s[0] * s[0]);
  o[ZL_SPECTRAL_NUCLEAR] = sum;
  o[ZL_SPECTRAL_LOG_COND] = log(s[0] / s[r - 1]);
  o[ZL_SPECTRAL_EFF_RANK] = exp(h);
}

/* Singular values by dgesvd on the row-major matrix (another driver, another layout). */
static void svd_reference(const double *a, int m, int n, double *s) {
  const int r = m < n ? m : n;
  double *copy = malloc((size_t)m * n * sizeof *copy), *superb = malloc((size_t)r * sizeof *s);
  memcpy(copy, a, (size_t)m * n * sizeof *copy);
  ZL_CHECK(LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', m, n, copy, n, s, NULL, 1, NULL, 1, superb) ==
           0);
  free(copy);
  free(superb);
}

/* Singular values as square roots of the eigenvalues of the smaller Gram matrix (WᵀW or WWᵀ) and
 * ‖W‖²_F as its trace: no SVD at all. Accurate for well-conditioned W only. */
static double gram_reference(const double *a, int m, int n, double *s) {
  const int tall = m >= n, r = tall ? n : m, len = tall ? m : n;
  double *g = calloc((size_t)r * r, sizeof *g), *ev = malloc((size_t)r * sizeof *ev);
  for (int i = 0; i < r; i++)
    for (int j = 0; j < r; j++)
      for (int k = 0; k < len; k++)
        g[i * r + j] += tall ? a[k * n + i] * a[k * n + j] : a[i * n + k] * a[j * n + k];
  double trace = 0;
  for (int i = 0; i < r; i++)
    trace += g[i * r + i];
  ZL_CHECK(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', r, g, r, ev) == 0);
  for (int i = 0; i < r; i++) /* dsyev ascends */
    s[i] = sqrt(ev[r - 1 - i]);
  free(g);
  free(ev);
  return trace;
}

/* Several kernels in one row, one context (made with the largest kernel not first, so the
 * workspace must cover them all), against both references. */
static void check_random(void) {
  enum { K = 5 };
  const int rows[K] = {9, 144, 60, 16, 7}, cols[K] = {16, 16, 8, 16, 40};
  int64_t offset[K], total = 0;
  for (int k = 0; k < K; k++) {
    offset[k] = total + 3; /* a bias-sized gap before each kernel */
    total = offset[k] + (int64_t)rows[k] * cols[k];
  }
  float *row = malloc((size_t)total * sizeof *row);
  double *a = malloc(144 * 16 * sizeof *a), s[16], ref[ZL_SPECTRAL_PER_KERNEL];
  double out[ZL_SPECTRAL_PER_KERNEL * K];
  zl_rng r;
  zl_rng_init(&r, 1717, 0);
  zl_spectral_ctx c;
  ZL_CHECK(zl_spectral_create(K, rows, cols, &c) == 0);
  for (int trial = 0; trial < 4; trial++) {
    /* Trained-like weights, then far from zero (nearly rank 1: a large condition number). */
    const double shift = trial % 2 ? 0.5 : 0.0;
    for (int64_t i = 0; i < total; i++)
      row[i] = (float)(shift + 0.1 * zl_rng_normal(&r));
    ZL_CHECK(zl_spectral_row(c, row, offset, out) == 0);
    for (int k = 0; k < K; k++) {
      const int m = rows[k], n = cols[k], mn = m < n ? m : n;
      double fro2 = 0;
      for (int i = 0; i < m * n; i++) {
        a[i] = row[offset[k] + i];
        fro2 += a[i] * a[i];
      }
      const double *o = out + ZL_SPECTRAL_PER_KERNEL * k;
      svd_reference(a, m, n, s);
      features_of(s, mn, fro2, ref);
      for (int j = 0; j < ZL_SPECTRAL_PER_KERNEL; j++)
        ZL_CHECK_CLOSE(o[j], ref[j], 1e-10);
      /* The Gram route squares the condition number: only for the well-conditioned ones. */
      if (shift == 0 && (m >= 4 * n || n >= 4 * m)) {
        double tr = gram_reference(a, m, n, s);
        features_of(s, mn, tr, ref);
        for (int j = 0; j < ZL_SPECTRAL_PER_KERNEL; j++)
          ZL_CHECK_CLOSE(o[j], ref[j], 1e-10);
      }
    }
  }
  zl_spectral_destroy(&c);
  free(row);
  free(a);
}

/* The Gram route serves kernels up to σ1 / σ_min = 100 and dgesdd the rest: both must match dgesvd
 * to 1e-10 on either side of that limit. One column (or row, for a wide kernel) of a random kernel
 * is shrunk by f, which sets σ_min to about 1/f of the others. */
static void check_conditioning(void) {
  enum { K = 3 };
  const int rows[K] = {144, 9, 16}, cols[K] = {16, 16, 10};
  const double shrink[] = {1, 10, 30, 50, 70, 90, 110, 150, 300, 1e3, 1e4};
  double a[144 * 16], s[16], ref[ZL_SPECTRAL_PER_KERNEL], o[ZL_SPECTRAL_PER_KERNEL];
  float w[144 * 16];
  zl_rng r;
  zl_rng_init(&r, 99, 0);
  for (int k = 0; k < K; k++)
    for (size_t f = 0; f < sizeof shrink / sizeof shrink[0]; f++) {
      const int m = rows[k], n = cols[k], mn = m < n ? m : n;
      double fro2 = 0;
      for (int i = 0; i < m * n; i++) {
        const int shrunk = m >= n ? i % n == 0 : i < n;
        w[i] = (float)(0.1 * zl_rng_normal(&r) / (shrunk ? shrink[f] : 1));
        a[i] = w[i];
        fro2 += a[i] * a[i];
      }
      const int64_t before = svd_runs;
      ZL_CHECK(one_kernel(w, m, n, o) == 0);
      /* Well inside the limit the Gram route serves; far beyond it dgesdd. */
      if (shrink[f] <= 10) ZL_CHECK(svd_runs == before);
      if (shrink[f] >= 1e3) ZL_CHECK(svd_runs == before + 1);
      svd_reference(a, m, n, s);
      features_of(s, mn, fro2, ref);
      for (int j = 0; j < ZL_SPECTRAL_PER_KERNEL; j++)
        ZL_CHECK_CLOSE(o[j], ref[j], 1e-10);
    }
}

/* The Gram route's own eigensolver (tred2 + tqli) on every order 1..20, tall and wide, against
 * dgesvd: random kernels, columns of unequal scale, and block-diagonal kernels, whose Gram matrix
 * splits into independent blocks (exact zeros on the tridiagonal). */
static void check_gram_orders(void) {
  enum { MAX_R = 20, MAX_L = 3 * MAX_R };
  float w[MAX_L * MAX_R];
  double a[MAX_L * MAX_R], s[MAX_R], ref[ZL_SPECTRAL_PER_KERNEL], o[ZL_SPECTRAL_PER_KERNEL];
  zl_rng rng;
  zl_rng_init(&rng, 2718, 0);
  for (int r = 1; r <= MAX_R; r++)
    for (int pattern = 0; pattern < 3; pattern++)
      for (int tall = 0; tall < 2; tall++) {
        const int len = 2 * r + (int)zl_rng_below(&rng, (uint64_t)r + 1);
        const int m = tall ? len : r, n = tall ? r : len;
        double fro2 = 0;
        for (int i = 0; i < m; i++)
          for (int j = 0; j < n; j++) {
            const int p = tall ? j : i, q = tall ? i : j; /* p indexes the Gram matrix's order */
            double v = zl_rng_normal(&rng);
            if (pattern == 1) v *= 1 + p % 5;
            if (pattern == 2 && (p < r / 2) != (q < len / 2)) v = 0;
            w[i * n + j] = (float)v;
            a[i * n + j] = w[i * n + j];
            fro2 += a[i * n + j] * a[i * n + j];
          }
        const int64_t before = svd_runs;
        ZL_CHECK(one_kernel(w, m, n, o) == 0);
        ZL_CHECK(svd_runs == before); /* every one well-conditioned: the Gram route's */
        svd_reference(a, m, n, s);
        features_of(s, r, fro2, ref);
        for (int j = 0; j < ZL_SPECTRAL_PER_KERNEL; j++)
          ZL_CHECK_CLOSE(o[j], ref[j], 1e-10);
      }
}

int main(void) {
  check_shapes();
  check_hand_values();
  check_errors();
  check_random();
  check_conditioning();
  check_gram_orders();
  return zl_test_finish();
}
