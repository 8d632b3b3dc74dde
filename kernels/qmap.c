#include "zl_qmap.h"

#include <stdlib.h>
#include <string.h>

#include "zl_error.h"

struct zl_qmap_s {
  int F, Q;
  double *knots; /* F × Q */
};

int zl_qmap_create(int F, int Q, const double *knots, zl_qmap *out) {
  *out = NULL;
  if (F < 1 || Q < 2) return ZL_ERR(ZL_ERR_RUNTIME, "quantile map: bad size %d x %d", F, Q);
  for (int f = 0; f < F; f++)
    for (int t = 1; t < Q; t++)
      if (!(knots[(size_t)f * Q + t - 1] <= knots[(size_t)f * Q + t]))
        return ZL_ERR(ZL_ERR_RUNTIME, "quantile map: feature %d: knots %d, %d not ascending", f,
                      t - 1, t);
  struct zl_qmap_s *m = zl_calloc(1, sizeof *m, "quantile map");
  if (!m) return ZL_ERR_RUNTIME;
  m->knots = zl_malloc((size_t)F * (size_t)Q, sizeof(double), "quantile knots");
  if (!m->knots) {
    free(m);
    return ZL_ERR_RUNTIME;
  }
  memcpy(m->knots, knots, sizeof(double) * (size_t)F * (size_t)Q);
  m->F = F;
  m->Q = Q;
  *out = m;
  return 0;
}

/* First index in k[0, Q) whose knot is >= x (strict: > x). */
static int bound(const double *k, int Q, double x, int strict) {
  int lo = 0, hi = Q;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (strict ? k[mid] <= x : k[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static double map_one(const double *k, int Q, double x) {
  /* Past the knots below x, only a run of knots equal to x can precede the first above it: the
   * second search is needed for ties alone. */
  int lo = bound(k, Q, x, 0), hi = lo < Q && k[lo] == x ? bound(k, Q, x, 1) : lo;
  double pos;
  if (lo < hi)
    pos = 0.5 * (lo + hi - 1);
  else if (lo == 0)
    pos = 0;
  else if (lo == Q)
    pos = Q - 1;
  else
    pos = (lo - 1) + (x - k[lo - 1]) / (k[lo] - k[lo - 1]);
  return pos / (Q - 1);
}

void zl_qmap_apply(zl_qmap m, const double *X, int64_t n, double *T) {
  for (int64_t i = 0; i < n; i++)
    for (int f = 0; f < m->F; f++)
      T[i * m->F + f] = map_one(m->knots + (size_t)f * m->Q, m->Q, X[i * m->F + f]);
}

int zl_qmap_features(zl_qmap m) {
  return m->F;
}

void zl_qmap_destroy(zl_qmap *mp) {
  if (!*mp) return;
  free((*mp)->knots);
  free(*mp);
  *mp = NULL;
}
