/* The quantile map of rff's inputs against hand-computed positions, and numpy's quantile
 * interpolation rule (zl_quantile_index / zl_quantile_lerp) against numpy's documented values. */
#include <string.h>

#include "zl_error.h"
#include "zl_qmap.h"
#include "zl_test.h"
#include "zl_wstats.h"

int main(void) {
  /* Feature 0: knots 0, 1, 1, 2 (a run of two equal knots); feature 1: a constant feature. */
  const double knots[] = {0, 1, 1, 2, 5, 5, 5, 5};
  zl_qmap m = NULL;
  ZL_CHECK(zl_qmap_create(2, 4, knots, &m) == 0);
  ZL_CHECK(zl_qmap_features(m) == 2);
  const double X[] = {-1, 5, 0, 4, 0.5, 6, 1, 5, 1.5, 5, 2, 5, 3, 5};
  double T[14];
  zl_qmap_apply(m, X, 7, T);
  /* Below the first knot 0; at the first knot 0; a quarter of the way through segment 0 of 3 is
   * (0 + 0.5) / 3; on the run of knots 1 and 2, their middle 1.5 / 3; then (2 + 0.5) / 3, the last
   * knot 1, above it 1. */
  const double want0[] = {0, 0, 0.5 / 3, 0.5, 2.5 / 3, 1, 1};
  /* The constant feature: below 0, on all four knots the middle 1.5 / 3, above 1. */
  const double want1[] = {0.5, 0, 1, 0.5, 0.5, 0.5, 0.5};
  for (int i = 0; i < 7; i++) {
    ZL_CHECK_CLOSE(T[2 * i], want0[i], 1e-15);
    ZL_CHECK_CLOSE(T[2 * i + 1], want1[i], 1e-15);
  }
  zl_qmap_destroy(&m);
  ZL_CHECK(m == NULL);

  /* Knots out of order are refused with the exact message. */
  const double bad[] = {0, 2, 1};
  ZL_CHECK(zl_qmap_create(1, 3, bad, &m) == ZL_ERR_RUNTIME);
  ZL_CHECK(m == NULL);
  ZL_CHECK(!strcmp(zl_error_message(), "quantile map: feature 0: knots 1, 2 not ascending"));

  /* numpy.quantile([10, 20, 30, 40], q): q = 1/3 sits exactly on 20 (index 1); q = 0.5 is 25,
   * between indices 1 and 2 at 0.5; q = 0.9 is 37 (index 2, fraction 0.7, from the upper end). */
  ZL_CHECK(zl_quantile_index(4, 0.5) == 1);
  ZL_CHECK(zl_quantile_index(4, 0.9) == 2);
  ZL_CHECK(zl_quantile_index(4, 1.0) == 3);
  ZL_CHECK_CLOSE(zl_quantile_lerp(20, 30, 0.5), 25, 1e-15);
  ZL_CHECK_CLOSE(zl_quantile_lerp(30, 40, 3 * 0.9 - 2), 37, 1e-14);
  return zl_test_finish();
}
