/* Histogram boosted trees (zl_gbm) on datasets small enough to work by hand: binning, the first
 * split and its leaf values, a second level made by histogram subtraction, shrinkage and L2,
 * the minimum leaf size, validation errors and prediction (serial). */
#include <stdint.h>
#include <string.h>

#include "zl_gbm.h"
#include "zl_test.h"

static zl_gbm_params params(int depth, int min_rows, int trees, double lambda, double shrink) {
  return (zl_gbm_params){depth, min_rows, trees, 0, lambda, shrink};
}

int main(void) {
  /* Thresholds: the distinct interior knots; bin b holds x <= thr[b] above thr[b − 1]. */
  const double knots[5] = {0.0, 1.0, 1.0, 2.0, 3.0};
  double thr[ZL_GBM_MAX_BINS - 1];
  int nb;
  zl_gbm_thresholds(knots, 1, 5, thr, &nb);
  ZL_CHECK(nb == 3 && thr[0] == 1.0 && thr[1] == 2.0);
  const double xs[6] = {0.5, 1.0, 1.5, 2.0, 2.5, 9.0};
  uint8_t bs[6];
  zl_gbm_bin(thr, &nb, 1, xs, 6, bs);
  const uint8_t want_bins[6] = {0, 0, 1, 1, 2, 2};
  ZL_CHECK(!memcmp(bs, want_bins, 6));

  /* Two features: x0 = 1, 2, 3, 4 separates y = 0, 0, 1, 1; x1 = 1, 2, 1, 2 carries nothing.
   * Rows 4 and 5 are a validation set. Base 0.5, gradients pred − y = ±0.5: the split x0 <= 2.5
   * (bin 1) has gain 1/2 + 1/2 − 0 = 1, x0 <= 1.5 and <= 3.5 have 1/3, x1 has 0. */
  const double X[12] = {1, 1, 2, 2, 3, 1, 4, 2, 1.2, 1, 3.8, 2};
  const double y[6] = {0, 0, 1, 1, 0, 1};
  const int role[6] = {0, 0, 0, 0, 1, 1};
  const double k2[2 * 5] = {1, 1.5, 2.5, 3.5, 4, 1, 1.5, 1.5, 1.5, 2};
  double t2[2 * (ZL_GBM_MAX_BINS - 1)];
  int nb2[2];
  zl_gbm_thresholds(k2, 2, 5, t2, nb2);
  ZL_CHECK(nb2[0] == 4 && nb2[1] == 2);
  uint8_t B[12];
  zl_gbm_bin(t2, nb2, 2, X, 6, B);
  zl_gbm_data d = {6, 2, B, nb2, y, role, 1};
  zl_gbm_model m;
  double sse[2];
  zl_gbm_params p = params(1, 1, 1, 0.0, 1.0);
  ZL_CHECK(zl_gbm_fit(&d, &p, &zl_gbm_serial, &m, sse) == 0);
  ZL_CHECK(m.n_trees == 1 && m.base == 0.5);
  const zl_gbm_node *root = m.nodes + m.first[0];
  ZL_CHECK(root->feature == 0 && root->bin == 1);
  ZL_CHECK(root[root->left].value == -0.5 && root[root->right].value == 0.5);
  /* Validation rows x0 = 1.2 and 3.8 land on either side and are fitted exactly. */
  ZL_CHECK(sse[0] == 0.0);
  zl_gbm_model_free(&m);

  /* (Gradients are quantized to 2^-39 here, so values agree to about 1e-12.) λ = 1, shrinkage 0.5:
   * leaves −0.5 · (±1) / (2 + 1) = ∓1/6, predictions 1/3 and 2/3; the
   * second tree's gradients are ±1/3, leaves ∓0.5 · (2/3) / 3 = ∓1/9: 2/9 and 7/9. The
   * validation errors: 2 · (1/3)² = 2/9, then 2 · (2/9)² = 8/81. */
  p = params(1, 1, 2, 1.0, 0.5);
  ZL_CHECK(zl_gbm_fit(&d, &p, &zl_gbm_serial, &m, sse) == 0);
  ZL_CHECK(m.n_trees == 2);
  ZL_CHECK_CLOSE(m.nodes[m.first[0] + 1].value, -1.0 / 6, 1e-11);
  ZL_CHECK_CLOSE(m.nodes[m.first[1] + 2].value, 1.0 / 9, 1e-11);
  ZL_CHECK_CLOSE(sse[0], 2.0 / 9, 1e-11);
  ZL_CHECK_CLOSE(sse[1], 8.0 / 81, 1e-11);
  double pr[8];
  zl_gbm_predict(&m, 2, B, 2, 6, pr);
  ZL_CHECK_CLOSE(pr[0], 2.0 / 9, 1e-11);
  ZL_CHECK_CLOSE(pr[3], 7.0 / 9, 1e-11);
  ZL_CHECK_CLOSE(pr[5], 7.0 / 9, 1e-11);
  zl_gbm_predict(&m, 1, B, 2, 6, pr);
  ZL_CHECK_CLOSE(pr[2], 2.0 / 3, 1e-11);
  zl_gbm_model_free(&m);

  /* At least 3 rows per leaf: no split of 4 rows, one leaf of value −Σg/4 = 0. */
  p = params(1, 3, 1, 0.0, 1.0);
  ZL_CHECK(zl_gbm_fit(&d, &p, &zl_gbm_serial, &m, sse) == 0);
  ZL_CHECK(m.nodes[0].feature < 0 && m.nodes[0].value == 0.0 && m.first[1] == 1);
  zl_gbm_model_free(&m);

  /* Depth 2: x = 1 … 8, y = 0, 0, 0, 0, 1, 1, 2, 2; base 0.75, gradients 0.75 (× 4), −0.25 (× 2),
   * −1.25 (× 2). The root splits at x <= 4.5 (gain 9/4 + 9/4 = 4.5, against 4.17 at 6.5 and
   * 4.03 at 5.5). Both children have 4 rows: the left one's histogram is summed, the right
   * one's is the root's minus it, and it splits at x <= 6.5 (gain 1/8 + 25/8 − 9/4 = 1, against
   * 1/3 at 5.5 or 7.5); the left one's gradients are equal, so it stays a leaf. The leaves fit y
   * exactly: −0.75, 0.25, 1.25. */
  double x8[8], y8[8], k8[9];
  int r8[8];
  for (int i = 0; i < 8; i++) {
    x8[i] = i + 1;
    y8[i] = i < 4 ? 0 : i < 6 ? 1 : 2;
    r8[i] = 0;
  }
  for (int q = 0; q < 9; q++)
    k8[q] = q == 0 ? 1 : q == 8 ? 8 : q + 0.5;
  double t8[ZL_GBM_MAX_BINS - 1];
  int nb8;
  zl_gbm_thresholds(k8, 1, 9, t8, &nb8);
  ZL_CHECK(nb8 == 8);
  uint8_t B8[8];
  zl_gbm_bin(t8, &nb8, 1, x8, 8, B8);
  zl_gbm_data d8 = {8, 1, B8, &nb8, y8, r8, 0};
  p = params(2, 1, 1, 0.0, 1.0);
  ZL_CHECK(zl_gbm_fit(&d8, &p, &zl_gbm_serial, &m, NULL) == 0);
  const zl_gbm_node *t = m.nodes;
  ZL_CHECK(t[0].feature == 0 && t[0].bin == 3);
  ZL_CHECK(t[t[0].left].feature < 0 && t[t[0].left].value == -0.75);
  const zl_gbm_node *rt = &t[t[0].right];
  ZL_CHECK(rt->feature == 0 && rt->bin == 5);
  ZL_CHECK(t[rt->left].value == 0.25 && t[rt->right].value == 1.25);
  zl_gbm_predict(&m, 1, B8, 1, 8, pr);
  ZL_CHECK(pr[0] == 0.0 && pr[4] == 1.0 && pr[7] == 2.0);
  zl_gbm_model_free(&m);

  /* Early stopping: with patience 2 the fit is stale after tree 3 (exact from the first tree on:
   * trees 2 and 3 change nothing), but errors are summed 8 trees at a time, so it ends at 8. */
  p = (zl_gbm_params){1, 1, 50, 2, 0.0, 1.0};
  double sse50[50];
  ZL_CHECK(zl_gbm_fit(&d, &p, &zl_gbm_serial, &m, sse50) == 0);
  ZL_CHECK(m.n_trees == 8 && sse50[0] == 0.0 && sse50[7] == 0.0);
  zl_gbm_model_free(&m);
  /* Fits grown in lock-step (one reduction per step for all) are the fits grown alone. */
  zl_gbm_data dd[2] = {d, d8};
  zl_gbm_params pp[2] = {{1, 1, 20, 3, 1.0, 0.3}, {2, 2, 7, 0, 0.5, 0.5}};
  zl_gbm_model mm[2], alone;
  double s20[20], s20b[20];
  double *ss[2] = {s20, NULL};
  ZL_CHECK(zl_gbm_fit_many(2, dd, pp, &zl_gbm_serial, mm, ss) == 0);
  for (int i = 0; i < 2; i++) {
    ZL_CHECK(zl_gbm_fit(&dd[i], &pp[i], &zl_gbm_serial, &alone, i ? NULL : s20b) == 0);
    ZL_CHECK(alone.n_trees == mm[i].n_trees && alone.n_nodes == mm[i].n_nodes);
    ZL_CHECK(!memcmp(alone.nodes, mm[i].nodes, sizeof(zl_gbm_node) * (size_t)alone.n_nodes));
    if (!i) ZL_CHECK(!memcmp(s20, s20b, sizeof(double) * (size_t)alone.n_trees));
    zl_gbm_model_free(&alone);
    zl_gbm_model_free(&mm[i]);
  }
  return zl_test_finish();
}
