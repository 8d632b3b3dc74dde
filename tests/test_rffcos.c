/* The random features' cosine (zl_rff_cos) against libm's cos over the range the features use and
 * beyond it (serial). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "zl_rff.h"
#include "zl_test.h"

int main(void) {
  enum { N = 200001 };
  double *z = malloc(sizeof(double) * N), *x = malloc(sizeof(double) * N);
  for (int i = 0; i < N; i++) /* −1000 … 1000, with the quadrant boundaries crossed often */
    x[i] = z[i] = -1000.0 + 2000.0 * i / (N - 1) + 1e-3 * (i % 7);
  zl_rff_cos(z, N, 0.5);
  double worst = 0;
  for (int i = 0; i < N; i++)
    worst = fmax(worst, fabs(z[i] - 0.5 * cos(x[i])));
  ZL_CHECK(worst < 4e-16);
  /* Quadrant boundaries themselves, signs, zero. */
  const double pi = 3.14159265358979323846;
  double v[6] = {0.0, pi / 2, pi, -pi, 3 * pi / 2, -2.5};
  double w[6];
  for (int i = 0; i < 6; i++)
    w[i] = v[i];
  zl_rff_cos(w, 6, 1.0);
  for (int i = 0; i < 6; i++)
    ZL_CHECK(fabs(w[i] - cos(v[i])) < 3e-16);
  /* Past 10^6, libm takes over. */
  double b[2] = {3e7, -1.0};
  zl_rff_cos(b, 2, 1.0);
  ZL_CHECK(b[0] == cos(3e7) && b[1] == cos(-1.0));
  free(z);
  free(x);
  printf("%d passed, %d failed\n", zl_test_passed, zl_test_failed);
  return zl_test_failed != 0;
}
