#include "zl_wstats.h"

#include <math.h>
#include <string.h>

#include "zl_vector.h"

/* Below this many elements insertion sort beats another partition. */
#define ZL_SELECT_SMALL 16

static void swapf(float *a, float *b) {
  float t = *a;
  *a = *b;
  *b = t;
}

static void place_min(float *a, size_t lo, size_t hi) {
  size_t m = lo;
  for (size_t i = lo + 1; i < hi; i++)
    if (a[i] < a[m]) m = i;
  swapf(&a[lo], &a[m]);
}

static void place_max(float *a, size_t lo, size_t hi) {
  size_t m = lo;
  for (size_t i = lo + 1; i < hi; i++)
    if (a[i] > a[m]) m = i;
  swapf(&a[hi - 1], &a[m]);
}

/* Value-only minimum with four running minima: no index to track and no serial dependency. */
static float min_of(const float *a, size_t n) {
  float m[4] = {a[0], a[0], a[0], a[0]};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++)
      m[j] = a[i + j] < m[j] ? a[i + j] : m[j];
  for (; i < n; i++)
    m[0] = a[i] < m[0] ? a[i] : m[0];
  float x = m[0] < m[1] ? m[0] : m[1], y = m[2] < m[3] ? m[2] : m[3];
  return x < y ? x : y;
}

static void insertion_sort(float *a, size_t lo, size_t hi) {
  for (size_t i = lo + 1; i < hi; i++) {
    float v = a[i];
    size_t j = i;
    for (; j > lo && a[j - 1] > v; j--)
      a[j] = a[j - 1];
    a[j] = v;
  }
}

static void sift_down(float *a, size_t i, size_t n) {
  float v = a[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && a[c] < a[c + 1]) c++;
    if (!(v < a[c])) break;
    a[i] = a[c];
    i = c;
  }
  a[i] = v;
}

static void heap_sort(float *a, size_t n) {
  for (size_t i = n / 2; i-- > 0;)
    sift_down(a, i, n);
  for (size_t end = n; end-- > 1;) {
    swapf(&a[0], &a[end]);
    sift_down(a, 0, end);
  }
}

static void sort3(float *a, size_t i, size_t j, size_t k) {
  if (a[j] < a[i]) swapf(&a[i], &a[j]);
  if (a[k] < a[j]) {
    swapf(&a[j], &a[k]);
    if (a[j] < a[i]) swapf(&a[i], &a[j]);
  }
}

static int floor_log2(size_t n) {
  int l = 0;
  while (n >>= 1)
    l++;
  return l;
}

/* Branchless Lomuto pass: moves the elements of a[from..hi) below p (or, with or_equal, not above
 * p) to the front and returns where they end. Every element is swapped whatever the comparison, so
 * the loop has no data-dependent branch to mispredict (about 4x faster than Hoare's scheme on
 * weights). It needs no sentinels, so a NaN cannot push it out of range. */
static size_t partition_below(float *a, size_t from, size_t hi, float p, int or_equal) {
  size_t m = from;
  if (or_equal) {
    for (size_t i = from; i < hi; i++) {
      float v = a[i];
      a[i] = a[m];
      a[m] = v;
      m += !(p < v);
    }
  } else {
    for (size_t i = from; i < hi; i++) {
      float v = a[i];
      a[i] = a[m];
      a[m] = v;
      m += v < p;
    }
  }
  return m;
}

/* Introselect on a[lo..hi), lo <= k < hi: puts the k-th smallest at a[k] with no larger element
 * before it and no smaller one after. Median-of-3 quickselect is expected O(n); after 2 log2(n)
 * partitions (a pathological input) the rest is heap-sorted, bounding the worst case by
 * O(n log n).
 * The caller guarantees that min(a[hi..)) lies in a[hi..bound). Returns end such that the successor
 * of a[k] (the (k+1)-th smallest) is min(a[k+1..end)), which the last partitions usually make a
 * short range. */
static size_t select_kth(float *a, size_t lo, size_t hi, size_t bound, size_t k) {
  int budget = 2 * floor_log2(hi - lo);
  int sorted = 0;
  for (;;) {
    /* k at either end of the range costs one scan instead of partitions. */
    if (k == lo) {
      place_min(a, lo, hi);
      break;
    }
    if (k == hi - 1) {
      place_max(a, lo, hi);
      break;
    }
    if (hi - lo <= ZL_SELECT_SMALL) {
      insertion_sort(a, lo, hi);
      sorted = 1;
      break;
    }
    if (budget-- == 0) {
      heap_sort(a + lo, hi - lo);
      sorted = 1;
      break;
    }
    /* Median of three from inside the range: its ends hold the extremes of the previous
     * partitions, which made the pivot poor and the partition count heavy-tailed. */
    const size_t n = hi - lo, mid = lo + n / 2;
    sort3(a, lo + n / 4, mid, hi - 1 - n / 4);
    swapf(&a[lo], &a[mid]);
    const float p = a[lo];
    /* a[lo..m-1) < p = a[m-1] <= a[m..hi) */
    size_t m = partition_below(a, lo + 1, hi, p, 0);
    swapf(&a[lo], &a[m - 1]);
    if (k < m - 1) {
      /* The pivot is the minimum of everything above the new range. */
      bound = m;
      hi = m - 1;
      continue;
    }
    if (k == m - 1) break;
    lo = m;
    /* Elements equal to p all went right; when that left the range barely smaller (runs of equal
     * weights, such as zero biases at initialisation), split them off too. */
    if (8 * (hi - lo) > 7 * n) {
      size_t e = partition_below(a, lo, hi, p, 1);
      if (k < e) {
        /* a[m..e) all equal p: a sorted run. */
        bound = hi;
        hi = e;
        sorted = 1;
        break;
      }
      lo = e;
    }
  }
  if (k + 1 < hi) return sorted ? k + 2 : hi;
  return bound;
}

/* Interpolating from the nearer end keeps both ends exact. */
double zl_quantile_lerp(double a, double b, double t) {
  double d = b - a;
  return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

size_t zl_quantile_index(size_t n, double q) {
  const size_t k = (size_t)((double)(n - 1) * q);
  return k < n - 1 ? k : n - 1;
}

/* Quantiles j0..j1 (ascending, each lower index in a[lo..hi)) of a[0..n), where min(a[hi..n)) lies
 * in a[hi..bound). Selecting the middle one first leaves the others a half-sized range each, which
 * costs less than walking upwards. */
static void multiselect(float *a, size_t n, size_t lo, size_t hi, size_t bound, const double *q,
                        int j0, int j1, double *out) {
  while (j0 < j1) {
    const int jm = j0 + (j1 - j0) / 2;
    const size_t k = zl_quantile_index(n, q[jm]);
    const size_t end = select_kth(a, lo, hi, bound, k);
    /* Every quantile sharing this k is answered now; the successor is found only if one needs it.
     */
    int ja = jm, jb = jm + 1;
    while (ja > j0 && zl_quantile_index(n, q[ja - 1]) == k)
      ja--;
    while (jb < j1 && zl_quantile_index(n, q[jb]) == k)
      jb++;
    const double v = a[k];
    double next = v;
    int have_next = 0;
    for (int j = ja; j < jb; j++) {
      const double t = (double)(n - 1) * q[j] - (double)k;
      if (t > 0 && !have_next) {
        next = min_of(a + k + 1, end - (k + 1));
        have_next = 1;
      }
      out[j] = t > 0 ? zl_quantile_lerp(v, next, t) : v;
    }
    /* The ones below k on a[lo..k), whose upper neighbour a[k] is now in place; then the ones above
     * on a[k+1..hi). */
    multiselect(a, n, lo, k, k + 1, q, j0, ja, out);
    lo = k + 1;
    j0 = jb;
  }
}

static void quantiles_inplace(float *a, size_t n, const double *q, int nq, double *out) {
  int ascending = 1;
  for (int j = 1; j < nq; j++)
    ascending &= q[j - 1] <= q[j];
  if (ascending) {
    multiselect(a, n, 0, n, n, q, 0, nq, out);
  } else {
    /* Correct for any order, just without reusing earlier partitions. */
    for (int j = 0; j < nq; j++)
      multiselect(a, n, 0, n, n, q, j, j + 1, out);
  }
}

void zl_quantiles(const float *x, size_t n, const double *q, int nq, float *scratch, double *out) {
  memcpy(scratch, x, n * sizeof *x);
  quantiles_inplace(scratch, n, q, nq, out);
}

/* Sum, minimum and maximum in one pass; four independent partial results keep the pass from waiting
 * on each addition's latency. */
static void sum_min_max(const float *x, size_t n, double *sum, float *min, float *max) {
  double s[4] = {0, 0, 0, 0};
  float lo[4] = {x[0], x[0], x[0], x[0]}, hi[4] = {x[0], x[0], x[0], x[0]};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++) {
      float v = x[i + j];
      s[j] += v;
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
    }
  for (; i < n; i++) {
    s[0] += x[i];
    lo[0] = x[i] < lo[0] ? x[i] : lo[0];
    hi[0] = x[i] > hi[0] ? x[i] : hi[0];
  }
  *sum = (s[0] + s[1]) + (s[2] + s[3]);
  for (int j = 1; j < 4; j++) {
    lo[0] = lo[j] < lo[0] ? lo[j] : lo[0];
    hi[0] = hi[j] > hi[0] ? hi[j] : hi[0];
  }
  *min = lo[0];
  *max = hi[0];
}

/* Sum of squared deviations from mean, second pass of the two-pass variance: the one-pass formula
 * loses every digit when |mean| >> std, as for a bias that barely moved from a large constant. */
static double sum_sq_dev(const float *x, size_t n, double mean) {
  double s[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++) {
      double d = (double)x[i + j] - mean;
      s[j] += d * d;
    }
  for (; i < n; i++) {
    double d = (double)x[i] - mean;
    s[0] += d * d;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* GNU C vectors, where a loop needs lanes the auto-vectoriser at -O2 does not find. Four floats
 * or eight 16-bit integers fill a 16-byte register on every x86-64; no function takes or returns
 * one, so the calling convention does not depend on the instruction set. */
typedef float zl_v4f __attribute__((vector_size(4 * sizeof(float))));
typedef int32_t zl_v4i __attribute__((vector_size(4 * sizeof(int32_t))));
typedef uint16_t zl_v8u __attribute__((vector_size(8 * sizeof(uint16_t))));

/* Weights i .. i + 15 as four vectors. */
#define ZL_LOAD16(x, a, b, c, d)                                                                   \
  do {                                                                                             \
    memcpy(&(a), (x), sizeof(a));                                                                  \
    memcpy(&(b), (x) + 4, sizeof(b));                                                              \
    memcpy(&(c), (x) + 8, sizeof(c));                                                              \
    memcpy(&(d), (x) + 12, sizeof(d));                                                             \
  } while (0)

/* The lanes of a, b, c, d (four each) to the array s[0..16). */
#define ZL_STORE16(s, a, b, c, d)                                                                  \
  do {                                                                                             \
    memcpy((s), &(a), sizeof(a));                                                                  \
    memcpy((s) + 4, &(b), sizeof(b));                                                              \
    memcpy((s) + 8, &(c), sizeof(c));                                                              \
    memcpy((s) + 12, &(d), sizeof(d));                                                             \
  } while (0)

/* Tensors of up to 16 weights (biases) are sorted by rank: weight i goes to place r_i, the number
 * of weights below it plus the number of equal ones before it. The 256 comparisons run four lanes
 * at a time with no branch, where a sorting network's 63 compare-exchanges each compiled to a
 * branch that mispredicted half the time (2x slower on a fresh row). */
#define ZL_NET_N 16

/* x[0..n), n <= ZL_NET_N, sorted into a[0..n): a permutation, equal weights in their order. */
ZL_VECTOR_CLONES
static void sorted_copy(const float *x, size_t n, float *a) {
  float t[ZL_NET_N];
  /* +Inf pads: above every weight, so the ranks of the weights stay below n. */
  for (size_t i = 0; i < ZL_NET_N; i++)
    t[i] = i < n ? x[i] : INFINITY;
  zl_v4f v0, v1, v2, v3;
  ZL_LOAD16(t, v0, v1, v2, v3);
  const zl_v4i l0 = {0, 1, 2, 3}, l1 = l0 + 4, l2 = l0 + 8, l3 = l0 + 12;
  zl_v4i r0 = {0}, r1 = {0}, r2 = {0}, r3 = {0};
  for (int j = 0; j < ZL_NET_N; j++) {
    const zl_v4f b = {t[j], t[j], t[j], t[j]};
    /* Comparisons give −1 where true. */
    r0 -= (b < v0) | ((b == v0) & (l0 > j));
    r1 -= (b < v1) | ((b == v1) & (l1 > j));
    r2 -= (b < v2) | ((b == v2) & (l2 > j));
    r3 -= (b < v3) | ((b == v3) & (l3 > j));
  }
  int32_t r[ZL_NET_N];
  ZL_STORE16(r, r0, r1, r2, r3);
  for (size_t i = 0; i < n; i++)
    a[r[i]] = t[i];
}

/* Quartiles by value buckets, for tensors of ZL_BUCKET_MIN_N weights or more (below, copying and
 * selecting is as fast): a histogram tells which few buckets hold the order statistics needed, and
 * only their weights are copied and selected from. The buckets span the range of ZL_BUCKET_SAMPLE
 * weights spread over the tensor, so the histogram is counted in the pass that sums, before the
 * minimum and maximum are known; weights beyond that range land in the end buckets, which only
 * makes more to select from if a quartile is there. ZL_BUCKETS_MAX bounds the histogram kept on
 * the stack. */
#define ZL_BUCKET_MIN_N  64
#define ZL_BUCKET_SAMPLE 32
#define ZL_BUCKETS_MAX   2048

/* Bucket of v: floor((v − base) · scale) clamped to [0, top], in float. Each step rounds
 * monotonically, so the index never decreases as the value grows and equal values share a bucket.
 * The clamp keeps a NaN (which a caller should have dropped) inside the histogram. */
typedef struct {
  float base, scale, top;
} bucket_map;

static int32_t bucket_of(float v, bucket_map b) {
  float f = (v - b.base) * b.scale;
  f = f > 0 ? f : 0;
  f = f < b.top ? f : b.top;
  return (int32_t)f;
}

/* Buckets for n weights from the range of a strided sample, about two weights a bucket. Returns
 * their number, 0 when the sampled range is empty, or too wide or too narrow for float buckets. */
static size_t plan_buckets(const float *x, size_t n, bucket_map *b) {
  float lo = x[0], hi = x[0];
  for (size_t j = 1; j < ZL_BUCKET_SAMPLE; j++) {
    const float v = x[j * n / ZL_BUCKET_SAMPLE];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  const size_t nb = n / 2 < ZL_BUCKETS_MAX ? n / 2 : ZL_BUCKETS_MAX;
  const float range = hi - lo, scale = (float)nb / range;
  if (!(range > 0) || !isfinite(range) || !isfinite(scale)) return 0;
  *b = (bucket_map){lo, scale, (float)(nb - 1)};
  return nb;
}

/* sum_min_max, and in the time its additions take, the histogram of buckets and each weight's
 * bucket (16 bits, in id). */
static void sum_min_max_count(const float *x, size_t n, bucket_map b, uint32_t *count, uint16_t *id,
                              double *sum, float *min, float *max) {
  double s[4] = {0, 0, 0, 0};
  float lo[4] = {x[0], x[0], x[0], x[0]}, hi[4] = {x[0], x[0], x[0], x[0]};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    int32_t k[4];
    for (int j = 0; j < 4; j++) {
      const float v = x[i + j];
      s[j] += v;
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
      k[j] = bucket_of(v, b);
    }
    count[k[0]]++;
    count[k[1]]++;
    count[k[2]]++;
    count[k[3]]++;
    const uint16_t k16[4] = {(uint16_t)k[0], (uint16_t)k[1], (uint16_t)k[2], (uint16_t)k[3]};
    memcpy(id + i, k16, sizeof k16);
  }
  for (; i < n; i++) {
    s[0] += x[i];
    lo[0] = x[i] < lo[0] ? x[i] : lo[0];
    hi[0] = x[i] > hi[0] ? x[i] : hi[0];
    id[i] = (uint16_t)bucket_of(x[i], b);
    count[id[i]]++;
  }
  *sum = (s[0] + s[1]) + (s[2] + s[3]);
  for (int j = 1; j < 4; j++) {
    lo[0] = lo[j] < lo[0] ? lo[j] : lo[0];
    hi[0] = hi[j] > hi[0] ? hi[j] : hi[0];
  }
  *min = lo[0];
  *max = hi[0];
}

/* Where the quartiles' order statistics are: quartile j needs rank k[j] and, when it interpolates
 * (t[j] > 0), its successor. Window w is a range of buckets holding some of them, merged where
 * they overlap (window_of[bucket] = w + 1, else 0); its weights have ranks rank0[w] .. rank0[w] +
 * len[w] − 1 in the tensor and go to scratch[start[w] ..). */
typedef struct {
  size_t k[3], rank0[3], len[3], start[3];
  double t[3];
  int win[3];
  uint16_t lo[3], span[3];
} quartile_plan;

static void plan_windows(const uint32_t *count, size_t nb, size_t n, quartile_plan *p) {
  static const double q[3] = {0.25, 0.5, 0.75};
  size_t last[3], first_bucket[3], last_bucket[3], below_first[3];
  for (int j = 0; j < 3; j++) {
    p->k[j] = zl_quantile_index(n, q[j]);
    p->t[j] = (double)(n - 1) * q[j] - (double)p->k[j];
    last[j] = p->k[j] + (p->t[j] > 0);
  }
  /* The buckets holding ranks k[j] and last[j], and how many weights lie below each first one:
   * one walk over the counts, eight buckets a step while the rank is further on. */
  size_t below = 0, bk = 0;
  for (int j = 0; j < 3; j++) {
    for (; bk + 8 <= nb; bk += 8) {
      uint32_t eight = 0;
      for (int i = 0; i < 8; i++)
        eight += count[bk + i];
      if (below + eight > p->k[j]) break;
      below += eight;
    }
    while (below + count[bk] <= p->k[j])
      below += count[bk++];
    first_bucket[j] = bk;
    below_first[j] = below;
    size_t below_last = below, bl = bk;
    while (below_last + count[bl] <= last[j])
      below_last += count[bl++];
    last_bucket[j] = bl;
  }
  size_t lo[3], hi[3];
  int nw = 0;
  for (int j = 0; j < 3; j++) {
    if (nw > 0 && first_bucket[j] <= hi[nw - 1]) {
      hi[nw - 1] = last_bucket[j] > hi[nw - 1] ? last_bucket[j] : hi[nw - 1];
    } else {
      lo[nw] = first_bucket[j];
      hi[nw] = last_bucket[j];
      p->rank0[nw] = below_first[j];
      nw++;
    }
    p->win[j] = nw - 1;
  }
  size_t start = 0;
  for (int w = 0; w < 3; w++) {
    p->len[w] = 0;
    p->start[w] = start;
    /* An unused window starts past the last bucket (nb <= ZL_BUCKETS_MAX): no bucket is in it. */
    p->lo[w] = (uint16_t)(w < nw ? lo[w] : nb);
    p->span[w] = (uint16_t)(w < nw ? hi[w] - lo[w] : 0);
    for (size_t bw = lo[w]; w < nw && bw <= hi[w]; bw++)
      p->len[w] += count[bw];
    start += p->len[w];
  }
}

/* Weight j's window, or −1: one unsigned 16-bit comparison per window, which wraps below lo[w]. The
 * windows are disjoint. */
static int window_of(const uint16_t *id, size_t j, const quartile_plan *p) {
  const int in0 = (uint16_t)(id[j] - p->lo[0]) <= p->span[0],
            in1 = (uint16_t)(id[j] - p->lo[1]) <= p->span[1],
            in2 = (uint16_t)(id[j] - p->lo[2]) <= p->span[2];
  return (in0 | in1 | in2) ? in1 + 2 * in2 : -1;
}

/* sum_sq_dev(x, n, mean) to the bit (the same lanes in the same order), and in the same pass the
 * weights of the plan's windows copied to their parts of scratch. A few percent of the weights are
 * taken: the buckets of sixteen are compared with the windows in vector registers, one
 * well-predicted branch per sixteen decides whether any is in one, and only those are visited (a
 * table lookup for every weight made this gather a quarter of W-stats' time).
 * The lanes go through t each step: left in s across the branch, gcc stores them to memory every
 * step, and the additions wait on that. The small loops are unrolled so that their vectors stay in
 * registers. */
ZL_VECTOR_CLONES
static double sum_sq_dev_gather(const float *x, size_t n, double mean, const uint16_t *id,
                                const quartile_plan *p, float *scratch) {
  size_t fill[3] = {p->start[0], p->start[1], p->start[2]};
  zl_v8u lo[3], span[3];
  for (int w = 0; w < 3; w++) {
    lo[w] = (zl_v8u){0} + p->lo[w];
    span[w] = (zl_v8u){0} + p->span[w];
  }
  double s[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    double t[4] = {s[0], s[1], s[2], s[3]};
#pragma GCC unroll 4
    for (int g = 0; g < 16; g += 4)
      for (int j = 0; j < 4; j++) {
        const double d = (double)x[i + g + j] - mean;
        t[j] += d * d;
      }
    memcpy(s, t, sizeof s);
    zl_v8u a, b, ha = {0}, hb = {0};
    memcpy(&a, id + i, sizeof a);
    memcpy(&b, id + i + 8, sizeof b);
#pragma GCC unroll 3
    for (int w = 0; w < 3; w++) {
      ha |= (zl_v8u)((zl_v8u)(a - lo[w]) <= span[w]);
      hb |= (zl_v8u)((zl_v8u)(b - lo[w]) <= span[w]);
    }
    /* Bit j of m says whether weight i + j is in a window: each lane keeps its own bit, and
     * OR-ing the lanes together does not depend on their order in memory. */
    const zl_v8u bits_a = {1, 2, 4, 8, 16, 32, 64, 128}, hab = (ha & bits_a) | (hb & (bits_a << 8));
    uint64_t u[2];
    memcpy(u, &hab, sizeof u);
    uint64_t any = u[0] | u[1];
    any |= any >> 32;
    any |= any >> 16;
    for (unsigned m = (unsigned)(any & 0xffff); m; m &= m - 1) {
      const size_t j = i + (size_t)__builtin_ctz(m);
      scratch[fill[window_of(id, j, p)]++] = x[j];
    }
  }
  for (size_t r = i; r < n; r++) {
    const int w = window_of(id, r, p);
    if (w >= 0) scratch[fill[w]++] = x[r];
  }
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++) {
      const double d = (double)x[i + j] - mean;
      s[j] += d * d;
    }
  for (; i < n; i++) {
    const double d = (double)x[i] - mean;
    s[0] += d * d;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* The 25th, 50th and 75th percentiles of x[0..n), bit for bit as quantiles_inplace, with the sum,
 * minimum and maximum as sum_min_max and *ss as sum_sq_dev; returns 0 (outputs unspecified) when
 * the sampled range suits no buckets or the windows would not fit half of scratch. Two passes do
 * all but selecting a few dozen weights: sum_min_max_count, which leaves each weight's bucket in
 * the upper half of scratch (2 bytes a weight), and sum_sq_dev_gather, which copies the windows'
 * weights to the lower half: exactly the weights of the windows' ranks, since a smaller bucket
 * means a smaller value. Introselect then finds the quartiles there. Clustered values (one large
 * bucket) only make the windows larger, never the result different. scratch holds n floats. */
static int quartiles_by_buckets(const float *x, size_t n, float *scratch, double *sum, float *min,
                                float *max, double *ss, double *out) {
  bucket_map b;
  const size_t nb = plan_buckets(x, n, &b);
  if (!nb) return 0;
  uint32_t count[ZL_BUCKETS_MAX];
  memset(count, 0, nb * sizeof *count);
  uint16_t *id = (uint16_t *)(scratch + n / 2);
  sum_min_max_count(x, n, b, count, id, sum, min, max);
  quartile_plan p;
  plan_windows(count, nb, n, &p);
  if (p.start[2] + p.len[2] > n / 2) return 0;
  *ss = sum_sq_dev_gather(x, n, *sum / (double)n, id, &p, scratch);
  for (int j = 0; j < 3; j++) {
    const int w = p.win[j];
    float *a = scratch + p.start[w];
    const size_t r = p.k[j] - p.rank0[w];
    const size_t end = select_kth(a, 0, p.len[w], p.len[w], r);
    const double v = a[r];
    out[j] = p.t[j] > 0 ? zl_quantile_lerp(v, min_of(a + r + 1, end - (r + 1)), p.t[j]) : v;
  }
  return 1;
}

int zl_wstats_row(const float *row, int n_tensors, const int64_t *offset, const int64_t *size,
                  zl_spread spread, float *scratch, double *out) {
  static const double quartiles[3] = {0.25, 0.5, 0.75};
  for (int t = 0; t < n_tensors; t++) {
    const float *x = row + offset[t];
    const size_t n = (size_t)size[t];
    double *o = out + (size_t)ZL_WSTATS_PER_TENSOR * (size_t)t;
    double sum, ss;
    float min, max;
    const int by_buckets =
        n >= ZL_BUCKET_MIN_N && quartiles_by_buckets(x, n, scratch, &sum, &min, &max, &ss, o + 1);
    if (!by_buckets) sum_min_max(x, n, &sum, &min, &max);
    /* The double sum of floats is finite exactly when every weight is (no float is large enough
     * to overflow it), which spares the row a pass of its own to find NaN and Inf. */
    if (!isfinite(sum)) return 0;
    if (!by_buckets) {
      ss = sum_sq_dev(x, n, sum / (double)n);
      if (min == max) {
        o[1] = o[2] = o[3] = min;
      } else if (n <= ZL_NET_N) {
        float a[ZL_NET_N];
        sorted_copy(x, n, a);
        for (int j = 0; j < 3; j++) {
          const size_t k = zl_quantile_index(n, quartiles[j]);
          const double t = (double)(n - 1) * quartiles[j] - (double)k;
          o[1 + j] = t > 0 ? zl_quantile_lerp(a[k], a[k + 1], t) : a[k];
        }
      } else {
        memcpy(scratch, x, n * sizeof *x);
        quantiles_inplace(scratch, n, quartiles, 3, o + 1);
      }
    }
    o[0] = min;
    o[4] = max;
    if (spread == ZL_SPREAD_VARIANCE)
      o[5] = n > 1 ? ss / (double)(n - 1) : NAN;
    else
      o[5] = sqrt(ss / (double)n);
    o[6] = sum / (double)n;
  }
  return 1;
}

int zl_all_finite(const float *x, size_t n) {
  /* A float is finite exactly when its bits without the sign are below those of +Inf, that is
   * when subtracting those leaves bit 31 set. AND-ing the differences in eight integer lanes, with
   * no early exit, vectorises to three instructions per four floats even at -O2; rows with
   * non-finite weights are rare, so the full scan costs nothing. */
  uint32_t all[8] = {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) {
      uint32_t b;
      memcpy(&b, &x[i + j], sizeof b);
      all[j] &= (b & 0x7fffffffu) - 0x7f800000u;
    }
  for (; i < n; i++) {
    uint32_t b;
    memcpy(&b, &x[i], sizeof b);
    all[0] &= (b & 0x7fffffffu) - 0x7f800000u;
  }
  uint32_t m = ~0u;
  for (int j = 0; j < 8; j++)
    m &= all[j];
  return (int)(m >> 31);
}
