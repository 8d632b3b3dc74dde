/* The exact kernel path's pieces (zl_krr) against values worked by hand: squared distances, the
 * Gaussian kernel at two bandwidths from one set of distances, and predictions (serial). */
#include <math.h>

#include "zl_krr.h"
#include "zl_test.h"

int main(void) {
  /* Rows (0, 0), (3, 4), (1, 1) against (0, 0), (1, 2): distances² 0, 25, 2 and 5, 8, 1. */
  const double A[6] = {0, 0, 3, 4, 1, 1}, B[4] = {0, 0, 1, 2};
  double D2[6], K[6];
  zl_krr_sqdist(A, 3, B, 2, 2, D2);
  const double want[6] = {0, 25, 2, 5, 8, 1}; /* column-major: column j is B's row j */
  for (int i = 0; i < 6; i++)
    ZL_CHECK(D2[i] == want[i]);
  /* h = 1: exp(−d²/2); h = 5: exp(−d²/50), from the same distances. */
  zl_krr_gauss(D2, 6, 1.0, K);
  for (int i = 0; i < 6; i++)
    ZL_CHECK_CLOSE(K[i], exp(-want[i] / 2.0), 1e-15);
  ZL_CHECK(K[0] == 1.0);
  zl_krr_gauss(D2, 6, 5.0, K);
  ZL_CHECK_CLOSE(K[1], exp(-0.5), 1e-15);
  /* In place, as the transfer predictions use it. */
  zl_krr_gauss(D2, 6, 5.0, D2);
  for (int i = 0; i < 6; i++)
    ZL_CHECK(D2[i] == K[i]);
  /* ŷ_i = ybar + Σ_t K[i + 3t] α_t with α = (2, −1), ybar = 0.5. */
  const double alpha[2] = {2.0, -1.0};
  double yhat[3];
  zl_krr_predict(K, 3, 2, alpha, 0.5, yhat);
  for (int i = 0; i < 3; i++)
    ZL_CHECK_CLOSE(yhat[i], 0.5 + 2.0 * K[i] - K[i + 3], 1e-15);
  printf("%d passed, %d failed\n", zl_test_passed, zl_test_failed);
  return zl_test_failed != 0;
}
