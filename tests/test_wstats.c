/* zl_wstats (serial, 1 process): quantiles by selection, and the quartiles of zl_wstats_row by
 * value buckets, equal a full sort plus numpy's linear interpolation, bit for bit, over many sizes
 * and value patterns; hand-computed W-stats; zl_all_finite. */
#include "zl_rng.h"
#include "zl_test.h"
#include "zl_wstats.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *pa, const void *pb) {
  float a = *(const float *)pa, b = *(const float *)pb;
  return (a > b) - (a < b);
}

/* numpy.quantile(x.astype(float64), q), method 'linear', on an already sorted array. */
static double numpy_quantile(const float *sorted, size_t n, double q) {
  double h = (double)(n - 1) * q;
  double lo = floor(h);
  size_t i = (size_t)lo, j = i + 1 < n ? i + 1 : n - 1;
  double t = h - lo, a = sorted[i], b = sorted[j], d = b - a;
  return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

enum { PATTERNS = 8 };

/* Value patterns that stress selection: random, heavy duplicates, negatives, presorted, reversed,
 * constant, organ pipe, and tiny spreads around a large offset. */
static void fill(float *x, size_t n, int pattern, zl_rng *r) {
  for (size_t i = 0; i < n; i++) {
    switch (pattern) {
    case 0:
      x[i] = (float)zl_rng_normal(r);
      break;
    case 1:
      x[i] = (float)zl_rng_below(r, 4) - 1.5f;
      break;
    case 2:
      x[i] = -(float)zl_rng_uniform(r) * 1e-3f;
      break;
    case 3:
      x[i] = (float)i * 0.5f - 3.0f;
      break;
    case 4:
      x[i] = (float)(n - i);
      break;
    case 5:
      x[i] = 0.0f;
      break;
    case 6:
      x[i] = (float)(i < n / 2 ? i : n - i);
      break;
    default:
      x[i] = 1000.0f + (float)zl_rng_normal(r) * 1e-3f;
      break;
    }
  }
}

static void check_against_sort(void) {
  zl_rng r;
  zl_rng_init(&r, 2024, 0);
  const size_t max_n = 5000;
  float *x = malloc(max_n * sizeof *x), *keep = malloc(max_n * sizeof *x),
        *sorted = malloc(max_n * sizeof *x), *scratch = malloc(max_n * sizeof *x);
  const double paper_q[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
  double q[12], out[12];
  int exact = 1, untouched = 1;
  for (int trial = 0; trial < 1200; trial++) {
    size_t n = trial < 40        ? (size_t)(trial / PATTERNS) + 1
               : trial % 10 == 0 ? 1 + (size_t)zl_rng_below(&r, max_n)
                                 : 1 + (size_t)zl_rng_below(&r, 300);
    int pattern = trial % PATTERNS;
    fill(x, n, pattern, &r);
    memcpy(keep, x, n * sizeof *x);
    memcpy(sorted, x, n * sizeof *x);
    qsort(sorted, n, sizeof *sorted, cmp_float);
    /* The paper's five, then random ascending sets (with repeats), then a few out of order. */
    int nq;
    if (trial % 3 == 0) {
      nq = 5;
      memcpy(q, paper_q, sizeof paper_q);
    } else {
      nq = 1 + (int)zl_rng_below(&r, 12);
      for (int j = 0; j < nq; j++)
        q[j] = zl_rng_below(&r, 5) == 0 ? 0.5 : zl_rng_uniform(&r);
      if (trial % 3 == 1) {
        for (int j = 1; j < nq; j++)
          for (int k = j; k > 0 && q[k - 1] > q[k]; k--) {
            double t = q[k];
            q[k] = q[k - 1];
            q[k - 1] = t;
          }
      }
    }
    zl_quantiles(x, n, q, nq, scratch, out);
    for (int j = 0; j < nq; j++)
      exact &= out[j] == numpy_quantile(sorted, n, q[j]);
    untouched &= memcmp(x, keep, n * sizeof *x) == 0;
  }
  ZL_CHECK(exact);
  ZL_CHECK(untouched);
  free(x);
  free(keep);
  free(sorted);
  free(scratch);
}

enum { ROW_PATTERNS = 14 };

/* fill()'s patterns and more that stress the value buckets: signed zeros among small integers, one
 * huge outlier (every other weight in the first bucket), a range wider than FLT_MAX, subnormals
 * only (a range too narrow for float buckets), normals rounded to 1/16 (ties across buckets), two
 * far-apart clusters. */
static void fill_row(float *x, size_t n, int pattern, zl_rng *r) {
  if (pattern < PATTERNS) {
    fill(x, n, pattern, r);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const float g = (float)zl_rng_normal(r);
    switch (pattern) {
    case PATTERNS:
      x[i] = zl_rng_below(r, 2) ? -0.0f : (float)zl_rng_below(r, 3);
      break;
    case PATTERNS + 1:
      x[i] = i == n / 3 ? 1e30f : 0.1f * g;
      break;
    case PATTERNS + 2:
      x[i] = fmaxf(-3.0f, fminf(g, 3.0f)) * 1e38f;
      break;
    case PATTERNS + 3:
      x[i] = g * FLT_MIN * 0x1.0p-10f;
      break;
    case PATTERNS + 4:
      x[i] = nearbyintf(g * 16) / 16;
      break;
    default:
      x[i] = (zl_rng_below(r, 4) ? -5.0f : 7.0f) + 1e-3f * g;
      break;
    }
  }
}

/* zl_wstats_row's percentiles against a sort, for sizes on both sides of the bucket threshold,
 * the paper's tensor sizes and random ones, each tensor at an odd offset in a longer row. */
static void check_row_against_sort(void) {
  static const size_t sizes[] = {1, 2, 3, 4, 5, 10, 16, 63, 64, 65, 144, 160, 2304, 4912};
  const size_t n_sizes = sizeof sizes / sizeof sizes[0], max_n = 9000;
  zl_rng r;
  zl_rng_init(&r, 77, 0);
  float *row = malloc((max_n + 3) * sizeof *row), *sorted = malloc(max_n * sizeof *row),
        *scratch = malloc(max_n * sizeof *row);
  const double q[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
  int exact = 1;
  for (int trial = 0; trial < 3 * ROW_PATTERNS * (int)n_sizes; trial++) {
    const size_t n = trial < 2 * ROW_PATTERNS * (int)n_sizes
                         ? sizes[(size_t)trial / ROW_PATTERNS % n_sizes]
                         : 1 + (size_t)zl_rng_below(&r, max_n);
    const int pattern = trial % ROW_PATTERNS;
    fill_row(row + 3, n, pattern, &r);
    memcpy(sorted, row + 3, n * sizeof *row);
    qsort(sorted, n, sizeof *sorted, cmp_float);
    const int64_t offset = 3, size = (int64_t)n;
    double w[ZL_WSTATS_PER_TENSOR];
    exact &= zl_wstats_row(row, 1, &offset, &size, ZL_SPREAD_STD, scratch, w) == 1;
    for (int j = 0; j < 5; j++)
      if (w[j] != numpy_quantile(sorted, n, q[j])) {
        exact = 0;
        fprintf(stderr, "n %zu pattern %d: percentile %g: %.9g, sorted %.9g\n", n, pattern,
                100 * q[j], w[j], numpy_quantile(sorted, n, q[j]));
      }
  }
  ZL_CHECK(exact);
  free(row);
  free(sorted);
  free(scratch);
}

static void check_hand_values(void) {
  float scratch[8];
  const double q[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
  double out[5];

  /* np.percentile([10, 2, 4, 1, 3], [0, 25, 50, 75, 100]) = [1, 2, 3, 4, 10] */
  const float a[5] = {10, 2, 4, 1, 3};
  zl_quantiles(a, 5, q, 5, scratch, out);
  ZL_CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4 && out[4] == 10);

  /* np.percentile([4, 1, 3, 2], ...) = [1, 1.75, 2.5, 3.25, 4] */
  const float b[4] = {4, 1, 3, 2};
  zl_quantiles(b, 4, q, 5, scratch, out);
  ZL_CHECK(out[0] == 1 && out[1] == 1.75 && out[2] == 2.5 && out[3] == 3.25 && out[4] == 4);

  /* n = 1 and n = 2 (negative values): [-1, 0, 1, 2, 3] for [3, -1]. */
  const float c[1] = {-0.5f};
  zl_quantiles(c, 1, q, 5, scratch, out);
  ZL_CHECK(out[0] == -0.5 && out[2] == -0.5 && out[4] == -0.5);
  const float d[2] = {3, -1};
  zl_quantiles(d, 2, q, 5, scratch, out);
  ZL_CHECK(out[0] == -1 && out[1] == 0 && out[2] == 1 && out[3] == 2 && out[4] == 3);

  /* One row, two tensors: a bias [3, -1] then a kernel [1, 2, 3, 4, 10] stored shuffled.
   * Kernel: mean 4, squared deviations 9+4+1+0+36 = 50, population std sqrt(10), variance 12.5.
   * Bias: mean 1, std 2, variance 8. */
  const float row[7] = {3, -1, 4, 10, 1, 3, 2};
  const int64_t offset[2] = {0, 2}, size[2] = {2, 5};
  double w[14];
  zl_wstats_row(row, 2, offset, size, ZL_SPREAD_STD, scratch, w);
  const double expect[14] = {-1, 0, 1, 2, 3, 2, 1, 1, 2, 3, 4, 10, sqrt(10.0), 4};
  for (int i = 0; i < 14; i++)
    ZL_CHECK_CLOSE(w[i], expect[i], 1e-15);
  zl_wstats_row(row, 2, offset, size, ZL_SPREAD_VARIANCE, scratch, w);
  ZL_CHECK_CLOSE(w[5], 8.0, 1e-15);
  ZL_CHECK_CLOSE(w[12], 12.5, 1e-15);
  ZL_CHECK(w[1] == 0 && w[11] == 10 && w[13] == 4);

  /* A one-element tensor: std 0, and the ddof=1 variance is undefined (NaN) as in numpy. */
  const int64_t one_off[1] = {1}, one_size[1] = {1};
  zl_wstats_row(row, 1, one_off, one_size, ZL_SPREAD_STD, scratch, w);
  ZL_CHECK(w[0] == -1 && w[4] == -1 && w[5] == 0 && w[6] == -1);
  zl_wstats_row(row, 1, one_off, one_size, ZL_SPREAD_VARIANCE, scratch, w);
  ZL_CHECK(isnan(w[5]));
}

static void check_cnn_row(void) {
  /* The paper's CNN layout (paper-protocol.md), bias before kernel in each layer. */
  const int64_t offset[8] = {0, 16, 160, 176, 2480, 2496, 4800, 4810};
  const int64_t size[8] = {16, 144, 16, 2304, 16, 2304, 10, 160};
  static float row[4970], sorted[2304], scratch[2304];
  double w[56];
  zl_rng r;
  zl_rng_init(&r, 11, 0);
  int exact = 1;
  for (int trial = 0; trial < 5; trial++) {
    for (int i = 0; i < 4970; i++)
      row[i] = (float)(zl_rng_normal(&r) * 0.1 + (trial == 4 ? 0.3 : 0.0));
    zl_wstats_row(row, 8, offset, size, ZL_SPREAD_STD, scratch, w);
    for (int t = 0; t < 8; t++) {
      const float *x = row + offset[t];
      size_t n = (size_t)size[t];
      memcpy(sorted, x, n * sizeof *x);
      qsort(sorted, n, sizeof *sorted, cmp_float);
      const double q[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
      for (int j = 0; j < 5; j++)
        exact &= w[7 * t + j] == numpy_quantile(sorted, n, q[j]);
      long double m = 0, ss = 0;
      for (size_t i = 0; i < n; i++)
        m += x[i];
      m /= n;
      for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
      ZL_CHECK_CLOSE(w[7 * t + 5], (double)sqrtl(ss / n), 1e-14);
      ZL_CHECK_CLOSE(w[7 * t + 6], (double)m, 1e-14);
    }
  }
  ZL_CHECK(exact);
}

static void check_spread_precision(void) {
  /* A tensor far from zero with a small spread: the two-pass std keeps its digits, where
   * E[x^2] - E[x]^2 would cancel to noise. Values 1000 + {-1, 1} * 2^-10 (exact in float). */
  float x[1000], scratch[1000];
  for (int i = 0; i < 1000; i++)
    x[i] = 1000.0f + (i % 2 ? 1.0f : -1.0f) * 0x1.0p-10f;
  const int64_t off[1] = {0}, size[1] = {1000};
  double w[7];
  zl_wstats_row(x, 1, off, size, ZL_SPREAD_STD, scratch, w);
  ZL_CHECK_CLOSE(w[5], 0x1.0p-10, 1e-15);
  ZL_CHECK_CLOSE(w[6], 1000.0, 1e-15);
}

static void check_all_finite(void) {
  float x[37];
  for (int i = 0; i < 37; i++)
    x[i] = (float)i - 18.0f;
  x[3] = FLT_MAX;
  x[4] = -FLT_MAX;
  x[5] = FLT_MIN / 4; /* subnormal */
  x[6] = -0.0f;
  ZL_CHECK(zl_all_finite(x, 37));
  ZL_CHECK(zl_all_finite(x, 0));
  const float bad[3] = {NAN, INFINITY, -INFINITY};
  const size_t where[3] = {0, 17, 36};
  for (int b = 0; b < 3; b++)
    for (int w = 0; w < 3; w++) {
      float keep = x[where[w]];
      x[where[w]] = bad[b];
      ZL_CHECK(!zl_all_finite(x, 37));
      x[where[w]] = keep;
    }
}

/* A row with a NaN or an infinity anywhere: zl_wstats_row says so (0), whichever path its tensor
 * takes (rank sort, selection, value buckets with the bad weight among the sampled ones or not),
 * and +Inf beside −Inf too. features.c relies on it instead of zl_all_finite. Its outputs are
 * unspecified, but neither selection nor the buckets may read or write outside the arrays (the
 * sanitizer build checks this). */
static void check_nonfinite_rows(void) {
  static const size_t sizes[] = {1, 5, 16, 17, 63, 64, 144, 200, 2304};
  const float bad[3] = {NAN, INFINITY, -INFINITY};
  zl_rng r;
  zl_rng_init(&r, 5, 5);
  float x[2304 + 16], scratch[2304];
  double w[2 * ZL_WSTATS_PER_TENSOR];
  int said = 1;
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    const size_t n = sizes[k];
    /* A finite tensor of 16 first: the row's answer must come from the second one. */
    const int64_t offset[2] = {0, 16}, size[2] = {16, (int64_t)n};
    for (size_t i = 0; i < 16 + n; i++)
      x[i] = (float)zl_rng_normal(&r);
    said &= zl_wstats_row(x, 2, offset, size, ZL_SPREAD_STD, scratch, w) == 1;
    /* 0 and n / 32 are sampled for the buckets' range; 1 and n − 1 are not. */
    const size_t where[4] = {0, 1 % n, n / 32, n - 1};
    for (int b = 0; b < 3; b++)
      for (int p = 0; p < 4; p++) {
        const float keep = x[16 + where[p]];
        x[16 + where[p]] = bad[b];
        said &= zl_wstats_row(x, 2, offset, size, ZL_SPREAD_STD, scratch, w) == 0;
        x[16 + where[p]] = keep;
      }
    if (n > 1) {
      x[16] = INFINITY;
      x[16 + n - 1] = -INFINITY;
      said &= zl_wstats_row(x, 2, offset, size, ZL_SPREAD_STD, scratch, w) == 0;
    }
    /* A third of the weights NaN. */
    for (int trial = 0; trial < 20; trial++) {
      for (size_t i = 0; i < n; i++)
        x[16 + i] = zl_rng_below(&r, 3) == 0 ? NAN : (float)zl_rng_normal(&r);
      said &=
          zl_wstats_row(x, 2, offset, size, ZL_SPREAD_STD, scratch, w) == zl_all_finite(x + 16, n);
    }
  }
  ZL_CHECK(said);
  const double q[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
  double out[5];
  for (int trial = 0; trial < 50; trial++) {
    for (int i = 0; i < 200; i++)
      x[i] = zl_rng_below(&r, 3) == 0 ? NAN : (float)zl_rng_normal(&r);
    zl_quantiles(x, 200, q, 5, scratch, out);
  }
}

int main(void) {
  check_against_sort();
  check_row_against_sort();
  check_hand_values();
  check_cnn_row();
  check_spread_precision();
  check_all_finite();
  check_nonfinite_rows();
  return zl_test_finish();
}
