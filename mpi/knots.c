#include "zl_knots.h"

#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_sort.h"
#include "zl_wstats.h"

#define SIGN (UINT64_C(1) << 63)

/* Order-preserving: key(a) < key(b) exactly when a < b in the total order −∞ < … < −0 < +0 < … <
 * +∞ (NaNs at the ends), so bisecting keys bisects values. */
static uint64_t key_of(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return (u & SIGN) ? ~u : u | SIGN;
}

static double value_of(uint64_t k) {
  uint64_t u = (k & SIGN) ? k & ~SIGN : ~k;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* How many of s (ascending) are <= k, knowing that the first lo are and all from hi on are not. */
static int64_t count_le(const uint64_t *s, int64_t lo, int64_t hi, uint64_t k) {
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (s[mid] <= k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* lo[j] becomes the key of order statistic rank[j] (0-based) of feature j / R, over all ranks:
 * the least key with at least rank + 1 values at or below it. */
static int order_stats(MPI_Comm comm, const uint64_t *s, int64_t m, int F, int R,
                       const int64_t *rank, uint64_t *lo, int64_t *cnt) {
  const int n = F * R;
  uint64_t *hi = zl_malloc((size_t)n, sizeof(uint64_t), "bisection bounds");
  /* This rank's values below lo[j] (at[j]) and at or below hi[j] (to[j]): the bisection's local
   * count always lies between, so its search narrows with the bounds (a few steps instead of
   * log2 m once they close in: 64 rounds of it were most of the knots' time). */
  int64_t *at = zl_malloc((size_t)n, sizeof(int64_t), "bisection counts");
  int64_t *to = zl_malloc((size_t)n, sizeof(int64_t), "bisection counts");
  int64_t *mine = zl_malloc((size_t)n, sizeof(int64_t), "bisection counts");
  int rc = zl_comm_agree(comm, (hi && at && to && mine) ? 0 : ZL_ERR_RUNTIME);
  for (int j = 0; !rc && j < n; j++) {
    lo[j] = 0;
    hi[j] = UINT64_MAX;
    at[j] = 0;
    to[j] = m;
  }
  int open = !rc;
  while (!rc && open) {
    for (int j = 0; j < n; j++)
      cnt[j] = mine[j] = lo[j] < hi[j] ? count_le(s + (size_t)(j / R) * (size_t)m, at[j], to[j],
                                                  lo[j] + (hi[j] - lo[j]) / 2)
                                       : 0;
    int mrc = MPI_Allreduce(MPI_IN_PLACE, cnt, n, MPI_INT64_T, MPI_SUM, comm);
    if (mrc != MPI_SUCCESS) {
      rc = zl_mpi_error(mrc, "MPI_Allreduce(quantile counts)", __FILE__, __LINE__);
      break;
    }
    /* Every rank sees the same counts, so all leave the loop together. */
    open = 0;
    for (int j = 0; j < n; j++) {
      if (lo[j] == hi[j]) continue;
      uint64_t mid = lo[j] + (hi[j] - lo[j]) / 2;
      if (cnt[j] > rank[j]) {
        hi[j] = mid;
        to[j] = mine[j];
      } else {
        lo[j] = mid + 1;
        at[j] = mine[j];
      }
      open |= lo[j] < hi[j];
    }
  }
  free(hi);
  free(at);
  free(to);
  free(mine);
  return rc;
}

int zl_knots(MPI_Comm comm, int64_t n, int F, const double *X, const int *fold, int Q,
             double *knots) {
  if (F < 1 || Q < 2) return ZL_ERR(ZL_ERR_RUNTIME, "quantiles: bad size %d x %d", F, Q);
  int64_t m = 0, N = 0;
  for (int64_t i = 0; i < n; i++)
    m += fold[i] >= 0;
  ZL_MPI(MPI_Allreduce(&m, &N, 1, MPI_INT64_T, MPI_SUM, comm));
  if (N == 0) return ZL_ERR(ZL_ERR_RUNTIME, "quantiles: no network to take them over");
  const int R = 2 * Q; /* the lower and upper order statistic of each quantile */
  uint64_t *s =
      zl_malloc_large((size_t)F * (size_t)(m > 0 ? m : 1), sizeof(uint64_t), "sorted features");
  uint64_t *lo = zl_malloc((size_t)F * R, sizeof(uint64_t), "order statistics");
  int64_t *rank = zl_malloc((size_t)F * R, sizeof(int64_t), "order statistic ranks");
  int64_t *cnt = zl_malloc((size_t)F * R, sizeof(int64_t), "quantile counts");
  double *frac = zl_malloc((size_t)Q, sizeof(double), "quantile fractions");
  uint64_t *tmp = zl_malloc_large((size_t)(m > 0 ? m : 1), sizeof(uint64_t), "sort scratch");
  int rc = zl_comm_agree(comm, (s && lo && rank && cnt && frac && tmp) ? 0 : ZL_ERR_RUNTIME);
  if (!rc) {
    for (int f = 0; f < F; f++) {
      int64_t r = 0;
      for (int64_t i = 0; i < n; i++)
        if (fold[i] >= 0) s[(size_t)f * m + r++] = key_of(X[i * F + f]);
      zl_sort_u64(s + (size_t)f * m, tmp, (size_t)m);
    }
    for (int t = 0; t < Q; t++) {
      double q = (double)t / (Q - 1);
      int64_t k = (int64_t)zl_quantile_index((size_t)N, q);
      frac[t] = (double)(N - 1) * q - (double)k;
      for (int f = 0; f < F; f++) {
        rank[(size_t)f * R + 2 * t] = k;
        rank[(size_t)f * R + 2 * t + 1] = k + 1 < N ? k + 1 : k;
      }
    }
    rc = order_stats(comm, s, m, F, R, rank, lo, cnt);
  }
  for (int f = 0; !rc && f < F; f++)
    for (int t = 0; t < Q; t++) {
      double a = value_of(lo[(size_t)f * R + 2 * t]), b = value_of(lo[(size_t)f * R + 2 * t + 1]);
      knots[(size_t)f * Q + t] = frac[t] > 0 ? zl_quantile_lerp(a, b, frac[t]) : a;
    }
  free(s);
  free(lo);
  free(rank);
  free(cnt);
  free(frac);
  free(tmp);
  return rc;
}
