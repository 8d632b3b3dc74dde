/* Minimal assertions for the unit tests: count checks, print failures with location, and end
 * with the plain "N passed, N failed" line. */
#ifndef ZL_TEST_H
#define ZL_TEST_H

#include <math.h>
#include <stdio.h>

static int zl_test_passed, zl_test_failed;

#define ZL_CHECK(cond)                                                                             \
  do {                                                                                             \
    if (cond) {                                                                                    \
      zl_test_passed++;                                                                            \
    } else {                                                                                       \
      zl_test_failed++;                                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define ZL_CHECK_CLOSE(a, b, tol)                                                                  \
  do {                                                                                             \
    double zl_a_ = (a), zl_b_ = (b);                                                               \
    double zl_s_ = fabs(zl_b_) > 1.0 ? fabs(zl_b_) : 1.0;                                          \
    if (fabs(zl_a_ - zl_b_) <= (tol)*zl_s_) {                                                      \
      zl_test_passed++;                                                                            \
    } else {                                                                                       \
      zl_test_failed++;                                                                            \
      fprintf(stderr, "%s:%d: %s = %.17g, expected %s = %.17g (tol %g)\n", __FILE__, __LINE__, #a, \
              zl_a_, #b, zl_b_, (double)(tol));                                                    \
    }                                                                                              \
  } while (0)

static inline int zl_test_finish(void) {
  printf("%d passed, %d failed\n", zl_test_passed, zl_test_failed);
  return zl_test_failed ? 1 : 0;
}

#endif
