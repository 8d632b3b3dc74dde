#include "zl_gbm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zl_error.h"

static int serial_sum_i64(void *ctx, int64_t *v, size_t n) {
  (void)ctx;
  (void)v;
  (void)n;
  return 0;
}

static int serial_sum_xint(void *ctx, zl_xint *v, size_t n) {
  (void)ctx;
  (void)v;
  (void)n;
  return 0;
}

static int serial_max_f64(void *ctx, double *v, size_t n) {
  (void)ctx;
  (void)v;
  (void)n;
  return 0;
}

static int serial_agree(void *ctx, int rc) {
  (void)ctx;
  return rc;
}

const zl_gbm_reduce zl_gbm_serial = {NULL, serial_sum_i64, serial_sum_xint, serial_max_f64,
                                     serial_agree};

void zl_gbm_model_free(zl_gbm_model *m) {
  free(m->first);
  free(m->nodes);
  memset(m, 0, sizeof *m);
}

void zl_gbm_thresholds(const double *knots, int F, int Q, double *thr, int *n_bins) {
  for (int f = 0; f < F; f++) {
    const double *k = knots + (size_t)f * Q;
    double *t = thr + (size_t)f * (ZL_GBM_MAX_BINS - 1);
    int m = 0;
    /* Interior knots only: no row lies below the minimum, and every row is at or below the
     * maximum, so neither would cut anything. */
    for (int q = 1; q < Q - 1 && m < ZL_GBM_MAX_BINS - 1; q++)
      if (m == 0 || k[q] > t[m - 1]) t[m++] = k[q];
    n_bins[f] = m + 1;
  }
}

void zl_gbm_bin(const double *thr, const int *n_bins, int F, const double *X, int64_t n,
                uint8_t *B) {
  for (int64_t i = 0; i < n; i++)
    for (int f = 0; f < F; f++) {
      const double *t = thr + (size_t)f * (ZL_GBM_MAX_BINS - 1), x = X[i * F + f];
      int lo = 0, hi = n_bins[f] - 1; /* the first threshold >= x, or n_bins − 1 */
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t[mid] < x)
          lo = mid + 1;
        else
          hi = mid;
      }
      B[i * F + f] = (uint8_t)lo;
    }
}

static double tree_value(const zl_gbm_node *t, const uint8_t *b) {
  int j = 0;
  while (t[j].feature >= 0)
    j = b[t[j].feature] <= t[j].bin ? t[j].left : t[j].right;
  return t[j].value;
}

void zl_gbm_predict(const zl_gbm_model *m, int n_trees, const uint8_t *B, int F, int64_t n,
                    double *out) {
  for (int64_t i = 0; i < n; i++) {
    double p = m->base;
    for (int t = 0; t < n_trees && t < m->n_trees; t++)
      p += tree_value(m->nodes + m->first[t], B + i * F);
    out[i] = p;
  }
}

/* Trees whose validation errors are summed in one reduction: early stopping looks at every tree
 * but learns of them this many at a time, so a fit may grow up to this many − 1 trees past its
 * stop (the same ones on any process count). */
#define SSE_BLOCK 8

/* A histogram bin, or a node's total, packs the rows' quantized gradient sum G and their count C
 * into one int64 as G · 2^cbits + C (0 <= C < 2^cbits): sums of packed values are packed sums,
 * and one reduction, half the bytes, carries both. */
static int64_t count_of(int64_t v, int64_t mask) {
  return v & mask;
}

/* G · 2^cbits as a double: gains and leaf values scale it back by powers of two, exactly. */
static double gsum_of(int64_t v, int64_t mask) {
  return (double)(v - (v & mask));
}

/* A node of the level being grown: its rows are idx[lo, hi) of this process; P its global packed
 * total; h its histogram (NULL: it stays a leaf); ph, for the larger child of a split, its
 * parent's histogram and sib the smaller child, whose histogram is subtracted from it. */
typedef struct {
  int64_t lo, hi, P;
  int node, sib;
  int64_t *h;
  const int64_t *ph;
} open_node;

/* One fit of a batch, with everything it allocates once and the state of the tree it grows. */
typedef struct {
  const zl_gbm_data *d;
  const zl_gbm_params *p;
  zl_gbm_model *m;
  double *val_sse;
  int64_t *off; /* F + 1: feature f's bins start at off[f] in a histogram */
  int64_t hlen; /* bins of one histogram */
  double *pred;
  int64_t *q; /* each training row's packed quantized gradient */
  int64_t *idx, *tmp;
  int64_t n_train;
  int64_t *hist[2]; /* a level's histograms, 2^(depth-1) each */
  open_node *open[2];
  int64_t *cnt; /* global rows: training, then each validation set */
  double *best;
  int *best_t;
  zl_xint *sse_x; /* SSE_BLOCK × n_val: errors of the trees not yet summed */
  int *sse_e;
  int n_pending;
  double ybound, pbound, gbound;
  int qbits, cbits, qe, active;
  int64_t mask;
  /* The tree: its level open[cur][0, n_cur); the next level's nodes, n_next of them, n_split of
   * them splits whose smaller child's histogram awaits its sum; growing until a level splits
   * nothing or the depth is reached. */
  int cur, n_cur, n_next, n_split, growing;
} fit;

static void fit_free(fit *f) {
  free(f->off);
  free(f->pred);
  free(f->q);
  free(f->idx);
  free(f->tmp);
  for (int i = 0; i < 2; i++) {
    free(f->hist[i]);
    free(f->open[i]);
  }
  free(f->cnt);
  free(f->best);
  free(f->best_t);
  free(f->sse_x);
  free(f->sse_e);
}

static int fit_alloc(fit *f) {
  const zl_gbm_data *d = f->d;
  const size_t n = (size_t)d->n + 1, width = (size_t)1 << (f->p->max_depth - 1),
               nv = (size_t)d->n_val + 1;
  if (f->p->max_depth < 1 || f->p->max_depth > ZL_GBM_MAX_DEPTH || f->p->min_rows < 1)
    return ZL_ERR(ZL_ERR_USAGE, "gbm: depth %d or minimum leaf rows %d out of range",
                  f->p->max_depth, f->p->min_rows);
  f->off = zl_malloc((size_t)d->F + 1, sizeof(int64_t), "histogram offsets");
  if (!f->off) return ZL_ERR_RUNTIME;
  f->off[0] = 0;
  for (int j = 0; j < d->F; j++)
    f->off[j + 1] = f->off[j] + d->n_bins[j];
  f->hlen = f->off[d->F];
  f->pred = zl_malloc(n, sizeof(double), "boosting predictions");
  f->q = zl_malloc(n, sizeof(int64_t), "quantized gradients");
  f->idx = zl_malloc(n, sizeof(int64_t), "tree rows");
  f->tmp = zl_malloc(n, sizeof(int64_t), "tree rows");
  f->cnt = zl_calloc(nv, sizeof(int64_t), "row counts");
  f->best = zl_malloc(nv, sizeof(double), "validation errors");
  f->best_t = zl_malloc(nv, sizeof(int), "validation errors");
  f->sse_x = zl_malloc(SSE_BLOCK * nv, sizeof(zl_xint), "validation errors");
  f->sse_e = zl_malloc(SSE_BLOCK * nv, sizeof(int), "validation errors");
  int ok =
      f->pred && f->q && f->idx && f->tmp && f->cnt && f->best && f->best_t && f->sse_x && f->sse_e;
  for (int i = 0; ok && i < 2; i++) {
    f->hist[i] = zl_malloc(width * (size_t)f->hlen, sizeof(int64_t), "gradient histograms");
    f->open[i] = zl_malloc(2 * width, sizeof(open_node), "tree nodes");
    ok = f->hist[i] && f->open[i];
  }
  return ok ? 0 : ZL_ERR_RUNTIME;
}

/* Adds rows idx[lo, hi) to histogram h. The restrict pointers tell the compiler that stores to h
 * cannot change the offsets, rows or gradients, which are int64 too: without them it reloads
 * off[j] after every store. */
static void hist_build(const fit *f, int64_t lo, int64_t hi, int64_t *restrict h) {
  memset(h, 0, sizeof(int64_t) * (size_t)f->hlen);
  const int F = f->d->F;
  const int64_t *restrict off = f->off, *restrict idx = f->idx, *restrict q = f->q;
  const uint8_t *restrict bins = f->d->bins;
  for (int64_t k = lo; k < hi; k++) {
    const int64_t i = idx[k], v = q[i];
    const uint8_t *restrict b = bins + i * F;
    for (int j = 0; j < F; j++)
      h[off[j] + b[j]] += v;
  }
}

typedef struct {
  int feature, bin;
  int64_t PL; /* packed sum of the left side */
} split;

/* The split of node o with the largest gain GL²/(CL+λ) + GR²/(CR+λ) − G²/(C+λ) > 0, both sides
 * with at least min_rows rows; the first feature and bin on a tie. Returns 0 when there is none.
 * Every quantity comes from the global integer histogram, so every process agrees. */
static int best_split(const fit *f, const open_node *o, split *s) {
  const double lam = f->p->lambda, G = gsum_of(o->P, f->mask);
  const int64_t min_rows = f->p->min_rows, C = count_of(o->P, f->mask);
  const double whole = G * G / ((double)C + lam);
  double best = 0.0;
  int found = 0;
  for (int j = 0; j < f->d->F; j++) {
    const int64_t *h = o->h + f->off[j];
    int64_t PL = 0;
    for (int b = 0; b + 1 < f->d->n_bins[j]; b++) {
      if (!h[b]) continue; /* an empty bin: the same split as the one before */
      PL += h[b];
      const int64_t CL = count_of(PL, f->mask), CR = C - CL;
      if (CL < min_rows) continue;
      if (CR < min_rows) break;
      const double GL = gsum_of(PL, f->mask), GR = G - GL;
      const double gain = GL * GL / ((double)CL + lam) + GR * GR / ((double)CR + lam) - whole;
      if (gain > best) {
        best = gain;
        *s = (split){j, b, PL};
        found = 1;
      }
    }
  }
  return found;
}

/* Moves the rows idx[lo, hi) going left (bin <= s->bin) before the others, keeping their order;
 * returns where the right ones start. */
static int64_t partition(fit *f, int64_t lo, int64_t hi, const split *s) {
  int64_t a = lo, r = 0;
  for (int64_t k = lo; k < hi; k++) {
    const int64_t i = f->idx[k];
    if (f->d->bins[i * f->d->F + s->feature] <= s->bin)
      f->idx[a++] = i;
    else
      f->tmp[r++] = i;
  }
  memcpy(f->idx + a, f->tmp, sizeof(int64_t) * (size_t)r);
  return a;
}

/* Appends a leaf to the model's current tree; returns its index in the tree. */
static int add_node(zl_gbm_model *m) {
  m->nodes[m->n_nodes++] = (zl_gbm_node){-1, 0, 0, 0, 0.0};
  return (int)(m->n_nodes - 1 - m->first[m->n_trees]);
}

/* Room for one more tree of at most 2^(depth+1) − 1 nodes. */
static int model_reserve(zl_gbm_model *m, int depth) {
  if (m->n_trees + 1 > m->cap_trees) {
    int cap = m->cap_trees ? 2 * m->cap_trees : 64;
    int64_t *first = realloc(m->first, sizeof(int64_t) * ((size_t)cap + 1));
    if (!first) return ZL_ERR(ZL_ERR_RUNTIME, "out of memory (%d trees)", cap);
    m->first = first;
    m->cap_trees = cap;
  }
  int64_t need = m->n_nodes + ((int64_t)2 << depth);
  if (need > m->cap_nodes) {
    int64_t cap = m->cap_nodes ? 2 * m->cap_nodes : 1024;
    while (cap < need)
      cap *= 2;
    zl_gbm_node *nd = realloc(m->nodes, sizeof(zl_gbm_node) * (size_t)cap);
    if (!nd) return ZL_ERR(ZL_ERR_RUNTIME, "out of memory (%lld tree nodes)", (long long)cap);
    m->nodes = nd;
    m->cap_nodes = cap;
  }
  return 0;
}

static zl_gbm_node *tree_of(const fit *f) {
  return f->m->nodes + f->m->first[f->m->n_trees];
}

/* The bound 2^bits >= |v| · count, for the exponent of an exact sum. */
static int sum_exponent(double v, int64_t count) {
  return zl_xsum_exponent(zl_xsum_bits(v * (double)(count > 0 ? count : 1)));
}

/* Allocates, counts the rows and finds the base (the training rows' mean target), with its own
 * reductions. */
static int fit_begin(fit *f, const zl_gbm_reduce *r) {
  const zl_gbm_data *d = f->d;
  const int nv = d->n_val;
  ZL_CALL(r->agree(r->ctx, fit_alloc(f)));
  for (int64_t i = 0; i < d->n; i++) {
    const int v = d->role[i];
    if (v < 0 || v > nv) continue;
    f->cnt[v]++;
    if (v == 0) f->idx[f->n_train++] = i;
    if (fabs(d->y[i]) > f->ybound) f->ybound = fabs(d->y[i]);
  }
  ZL_CALL(r->sum_i64(r->ctx, f->cnt, (size_t)nv + 1));
  ZL_CALL(r->max_f64(r->ctx, &f->ybound, 1));
  if (f->cnt[0] == 0) return ZL_ERR(ZL_ERR_RUNTIME, "gbm: no training row");
  for (int v = 0; v < nv; v++)
    if (f->cnt[v + 1] == 0) return ZL_ERR(ZL_ERR_RUNTIME, "gbm: validation set %d has no row", v);
  if (!isfinite(f->ybound)) return ZL_ERR(ZL_ERR_RUNTIME, "gbm: a target is not finite");
  zl_xint s = {0, 0};
  const int e = sum_exponent(f->ybound, f->cnt[0]);
  for (int64_t k = 0; k < f->n_train; k++)
    zl_xsum_add(&s, &d->y[f->idx[k]], &e, 1);
  ZL_CALL(r->sum_xint(r->ctx, &s, 1));
  zl_xsum_value(&s, &e, 1, &f->m->base);
  f->m->base /= (double)f->cnt[0];
  for (int64_t i = 0; i < d->n; i++)
    f->pred[i] = f->m->base;
  for (int v = 0; v < nv; v++) {
    f->best[v] = INFINITY;
    f->best_t[v] = 0;
  }
  /* |prediction| <= pbound: the base plus each tree's largest |leaf value|. */
  f->pbound = fabs(f->m->base);
  /* Counts take cbits bits (cnt[0] < 2^cbits), and a packed sum over cnt[0] rows of gradients
   * below 2^qbits stays below 2^62: 2^(qbits + cbits) · cnt[0] < 2^62. At most 40 bits, far finer
   * than LightGBM's 8; 10⁷ networks still get 13. */
  f->cbits = zl_xsum_bits((double)f->cnt[0] + 1.0);
  f->mask = ((int64_t)1 << f->cbits) - 1;
  f->qbits = 61 - 2 * f->cbits;
  if (f->qbits > 40) f->qbits = 40;
  f->active = f->p->max_trees > 0;
  return 0;
}

/* Quantizes the gradients pred − y at a scale 2^qe every process computes alike (from bounds, not
 * data), packs them with a count of 1, and builds the root's local histogram. */
static int tree_begin(fit *f) {
  ZL_CALL(model_reserve(f->m, f->p->max_depth));
  f->gbound = f->pbound + f->ybound;
  f->qe = f->qbits - zl_xsum_bits(f->gbound);
  /* A power of two: the product is ldexp's, exactly, without its call per row. */
  const double scale = ldexp(1.0, f->qe);
  /* The last tree's partitions left idx in their order; ascending again, as fit_begin made it, each
   * node's rows stay ascending under the stable partitions, and the histograms, partitions and
   * updates walk the binned rows forward instead of at random: the 120 000-network zoo's gbm took
   * 100 CPU seconds instead of 260. Integer sums do not depend on the order. */
  for (int64_t i = 0, k = 0; i < f->d->n; i++)
    if (f->d->role[i] == 0) f->idx[k++] = i;
  for (int64_t k = 0; k < f->n_train; k++) {
    const int64_t i = f->idx[k];
    f->q[i] = (int64_t)llrint((f->pred[i] - f->d->y[i]) * scale) * (f->mask + 1) + 1;
  }
  f->m->first[f->m->n_trees] = f->m->n_nodes;
  f->cur = 0;
  f->n_cur = 1;
  f->growing = 1;
  f->open[0][0] = (open_node){0, f->n_train, 0, add_node(f->m), -1, f->hist[0], NULL};
  hist_build(f, 0, f->n_train, f->hist[0]);
  return 0;
}

static void root_finish(fit *f) {
  open_node *o = &f->open[0][0];
  for (int b = 0; b < f->d->n_bins[0]; b++)
    o->P += o->h[b];
}

/* The local half of growing level depth: each node's best split, its rows partitioned, and the
 * smaller child's histogram built (the smaller by global count, so every process picks the
 * same); returns the entries awaiting a sum, the first n_split · hlen of hist[!cur]. */
static int64_t level_local(fit *f, int depth) {
  const int last = depth + 1 == f->p->max_depth, nxt = !f->cur;
  open_node *o = f->open[f->cur], *c = f->open[nxt];
  zl_gbm_node *tree = tree_of(f);
  int n_next = 0, n_split = 0;
  for (int j = 0; j < f->n_cur; j++) {
    split s;
    if (!o[j].h || count_of(o[j].P, f->mask) < 2 * (int64_t)f->p->min_rows ||
        !best_split(f, &o[j], &s)) {
      c[n_next++] = (open_node){o[j].lo, o[j].hi, o[j].P, o[j].node, -1, NULL, NULL};
      continue;
    }
    const int64_t mid = partition(f, o[j].lo, o[j].hi, &s);
    const int left = add_node(f->m), right = add_node(f->m);
    tree[o[j].node] = (zl_gbm_node){s.feature, s.bin, left, right, 0.0};
    c[n_next] = (open_node){o[j].lo, mid, s.PL, left, n_next + 1, NULL, NULL};
    c[n_next + 1] = (open_node){mid, o[j].hi, o[j].P - s.PL, right, n_next, NULL, NULL};
    if (!last) {
      const int small = count_of(c[n_next].P, f->mask) <= count_of(c[n_next + 1].P, f->mask)
                            ? n_next
                            : n_next + 1;
      c[small].h = f->hist[nxt] + (size_t)n_split * (size_t)f->hlen;
      hist_build(f, c[small].lo, c[small].hi, c[small].h);
      c[c[small].sib].ph = o[j].h;
    }
    n_split++;
    n_next += 2;
  }
  f->n_next = n_next;
  f->n_split = n_split;
  if (!n_split || last) {
    /* No histogram to sum: the next level, if any, is the tree's leaves. */
    if (n_split) {
      f->cur = nxt;
      f->n_cur = n_next;
    }
    f->growing = 0;
    return 0;
  }
  return (int64_t)n_split * f->hlen;
}

/* After the sum: each larger child's histogram is its parent's minus its sibling's. */
static void level_finish(fit *f) {
  const int nxt = !f->cur;
  open_node *c = f->open[nxt];
  int big = f->n_split;
  for (int k = 0; k < f->n_next; k++) {
    if (!c[k].ph) continue;
    const int64_t *sm = c[c[k].sib].h;
    c[k].h = f->hist[nxt] + (size_t)big++ * (size_t)f->hlen;
    for (int64_t e = 0; e < f->hlen; e++)
      c[k].h[e] = c[k].ph[e] - sm[e];
  }
  f->cur = nxt;
  f->n_cur = f->n_next;
}

/* Leaf values −shrinkage · G / (C + λ) from the leaves' global sums, which every process has:
 * the quantization's rounding, at most 2^-qbits of the gradients' bound per row, is all that
 * separates them from the exact means. The training rows move by them; the validation rows'
 * errors are added to the block's exact sums. */
static void tree_finish(fit *f) {
  const open_node *leaf = f->open[f->cur];
  zl_gbm_node *tree = tree_of(f);
  double vmax = 0.0;
  for (int j = 0; j < f->n_cur; j++) {
    const double G = ldexp(gsum_of(leaf[j].P, f->mask), -f->cbits - f->qe);
    const double v = -f->p->shrinkage * G / ((double)count_of(leaf[j].P, f->mask) + f->p->lambda);
    tree[leaf[j].node].value = v;
    if (fabs(v) > vmax) vmax = fabs(v);
    for (int64_t k = leaf[j].lo; k < leaf[j].hi; k++)
      f->pred[f->idx[k]] += v;
  }
  f->pbound += vmax;
  f->m->n_trees++;
  f->m->first[f->m->n_trees] = f->m->n_nodes;
  const int nv = f->d->n_val;
  if (nv) {
    zl_xint *xs = f->sse_x + (size_t)f->n_pending * nv;
    int *xe = f->sse_e + (size_t)f->n_pending * nv;
    const double eb = f->pbound + f->ybound;
    for (int v = 0; v < nv; v++) {
      xs[v] = (zl_xint){0, 0};
      xe[v] = sum_exponent(eb * eb, f->cnt[v + 1]);
    }
    for (int64_t i = 0; i < f->d->n; i++) {
      const int v = f->d->role[i] - 1;
      if (v < 0 || v >= nv) continue;
      f->pred[i] += tree_value(tree, f->d->bins + i * f->d->F);
      const double e2 = (f->pred[i] - f->d->y[i]) * (f->pred[i] - f->d->y[i]);
      zl_xsum_add(xs + v, &e2, xe + v, 1);
    }
    f->n_pending++;
  }
  if (f->m->n_trees == f->p->max_trees) f->active = 0;
}

/* The pending trees' errors are due: a block is full or the fit has ended. */
static int sse_due(const fit *f) {
  return f->n_pending && (f->n_pending == SSE_BLOCK || !f->active);
}

/* Records the summed errors of the pending trees and ends the fit once no validation set has
 * improved for patience trees. */
static void sse_finish(fit *f, const zl_xint *xs) {
  const int nv = f->d->n_val, t0 = f->m->n_trees - f->n_pending;
  for (int k = 0; k < f->n_pending; k++) {
    const int t = t0 + k;
    int stale = f->p->patience > 0;
    for (int v = 0; v < nv; v++) {
      double *e = f->val_sse + (size_t)t * nv + v;
      zl_xsum_value(xs + (size_t)k * nv + v, f->sse_e + (size_t)k * nv + v, 1, e);
      if (*e < f->best[v]) {
        f->best[v] = *e;
        f->best_t[v] = t;
      }
      stale &= t - f->best_t[v] >= f->p->patience;
    }
    if (stale) f->active = 0;
  }
  f->n_pending = 0;
}

size_t zl_gbm_hist_bytes(int F, const int *n_bins, int max_depth) {
  size_t bins = 0;
  for (int j = 0; j < F; j++)
    bins += (size_t)n_bins[j];
  /* Two levels of histograms, and the batch's copy of one. */
  return 3 * ((size_t)1 << (max_depth - 1)) * bins * sizeof(int64_t);
}

int zl_gbm_fit_many(int n_fits, const zl_gbm_data *d, const zl_gbm_params *p,
                    const zl_gbm_reduce *r, zl_gbm_model *m, double *const *val_sse) {
  fit *f = zl_calloc((size_t)n_fits + 1, sizeof(fit), "boosting fits");
  int rc = r->agree(r->ctx, f ? 0 : ZL_ERR_RUNTIME);
  if (rc) return rc;
  size_t hbuf = 0, xbuf = 1;
  int max_depth = 0;
  for (int i = 0; i < n_fits; i++) {
    memset(&m[i], 0, sizeof m[i]);
    f[i] = (fit){.d = &d[i], .p = &p[i], .m = &m[i], .val_sse = val_sse ? val_sse[i] : NULL};
  }
  for (int i = 0; !rc && i < n_fits; i++) {
    rc = fit_begin(&f[i], r);
    if (rc) break;
    hbuf += ((size_t)1 << (p[i].max_depth - 1)) * (size_t)f[i].hlen;
    xbuf += (size_t)SSE_BLOCK * (size_t)d[i].n_val;
    if (p[i].max_depth > max_depth) max_depth = p[i].max_depth;
  }
  int64_t *hs = rc ? NULL : zl_malloc(hbuf + 1, sizeof(int64_t), "summed histograms");
  zl_xint *xs = rc ? NULL : zl_malloc(xbuf, sizeof(zl_xint), "exact sums");
  if (!rc) rc = r->agree(r->ctx, (hs && xs) ? 0 : ZL_ERR_RUNTIME);
  for (;;) {
    int any = 0;
    for (int i = 0; !rc && i < n_fits; i++)
      if (f[i].active) {
        any = 1;
        rc = tree_begin(&f[i]);
      }
    if (!rc) rc = r->agree(r->ctx, rc);
    if (rc || !any) break;
    /* The roots' histograms, then each level's smaller children: gathered from every fit into
     * one buffer, summed in one reduction (fits in lock-step share its latency), put back. */
    for (int depth = -1; !rc && depth < max_depth; depth++) {
      size_t at = 0;
      for (int i = 0; i < n_fits; i++) {
        if (!f[i].active || !f[i].growing) continue;
        const int64_t len = depth < 0 ? f[i].hlen : level_local(&f[i], depth);
        memcpy(hs + at, f[i].hist[depth < 0 ? 0 : !f[i].cur], sizeof(int64_t) * (size_t)len);
        at += (size_t)len;
      }
      if (!at) break;
      rc = r->sum_i64(r->ctx, hs, at);
      at = 0;
      for (int i = 0; !rc && i < n_fits; i++) {
        if (!f[i].active || !f[i].growing) continue;
        const int64_t len = depth < 0 ? f[i].hlen : (int64_t)f[i].n_split * f[i].hlen;
        memcpy(f[i].hist[depth < 0 ? 0 : !f[i].cur], hs + at, sizeof(int64_t) * (size_t)len);
        at += (size_t)len;
        if (depth < 0)
          root_finish(&f[i]);
        else
          level_finish(&f[i]);
      }
    }
    size_t at = 0;
    for (int i = 0; !rc && i < n_fits; i++) {
      if (!f[i].active) continue;
      tree_finish(&f[i]);
      if (!sse_due(&f[i])) continue;
      const size_t len = (size_t)f[i].n_pending * (size_t)d[i].n_val;
      memcpy(xs + at, f[i].sse_x, sizeof(zl_xint) * len);
      at += len;
    }
    if (!rc && at) rc = r->sum_xint(r->ctx, xs, at);
    at = 0;
    for (int i = 0; !rc && i < n_fits; i++) {
      if (!sse_due(&f[i])) continue;
      const size_t len = (size_t)f[i].n_pending * (size_t)d[i].n_val;
      sse_finish(&f[i], xs + at);
      at += len;
    }
  }
  for (int i = 0; i < n_fits; i++) {
    fit_free(&f[i]);
    if (rc) zl_gbm_model_free(&m[i]);
  }
  free(f);
  free(hs);
  free(xs);
  return rc;
}

int zl_gbm_fit(const zl_gbm_data *d, const zl_gbm_params *p, const zl_gbm_reduce *r,
               zl_gbm_model *m, double *val_sse) {
  return zl_gbm_fit_many(1, d, p, r, m, &val_sse);
}
