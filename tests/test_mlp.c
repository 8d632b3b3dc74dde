/* The dnn estimator's network (zl_mlp), serial: a hand-worked one-layer case, the gradient of a
 * two-hidden-layer net against central finite differences of the loss, the same bits for the
 * same rows, and Adam (the trainer's zl_opt_update) fitting a smooth target. */
#include <stdlib.h>
#include <string.h>

#include "zl_mlp.h"
#include "zl_test.h"
#include "zl_train.h"

/* Loss sum_i (yhat_i - y_i)² / 2 at params. */
static double loss(zl_mlp m, const float *params, const float *X, const double *y, int n) {
  double yhat[16], s = 0;
  zl_mlp_predict(m, params, X, n, yhat);
  for (int i = 0; i < n; i++)
    s += 0.5 * (yhat[i] - y[i]) * (yhat[i] - y[i]);
  return s;
}

int main(void) {
  /* No hidden layer: yhat = sigmoid(b + w·x). Params (b, w0, w1) = (0, 1, -1), x = (2, 1):
   * z = 1, yhat = 0.7310586, y = 0.5: d/dz = (yhat - y) yhat (1 - yhat) = 0.0454324. */
  zl_mlp lin = NULL;
  ZL_CHECK(zl_mlp_create(2, NULL, 0, 4, &lin) == 0);
  ZL_CHECK(zl_mlp_n_params(lin) == 3);
  const float p1[3] = {0.0f, 1.0f, -1.0f}, x1[2] = {2.0f, 1.0f};
  const double y1 = 0.5;
  float g1[3];
  double sse;
  zl_mlp_grad(lin, p1, x1, &y1, 1, g1, &sse);
  double yh = 1.0 / (1.0 + exp(-1.0)), dz = (yh - 0.5) * yh * (1 - yh);
  ZL_CHECK_CLOSE(sse, (yh - 0.5) * (yh - 0.5), 1e-6);
  ZL_CHECK_CLOSE(g1[0], dz, 1e-6);
  ZL_CHECK_CLOSE(g1[1], 2 * dz, 1e-6);
  ZL_CHECK_CLOSE(g1[2], dz, 1e-6);
  zl_mlp_destroy(&lin);
  ZL_CHECK(lin == NULL);

  /* Two hidden layers (5, 4) on 3 inputs, 6 rows: every partial derivative against a central
   * difference of the loss (float forward passes: steps of 1e-3, small enough to cross no ReLU kink
   * here). */
  const int hidden[2] = {5, 4}, n = 6, F = 3;
  zl_mlp m = NULL;
  ZL_CHECK(zl_mlp_create(F, hidden, 2, 8, &m) == 0);
  size_t P = zl_mlp_n_params(m);
  ZL_CHECK(P == (5 + 15) + (4 + 20) + (1 + 4));
  int nt;
  size_t off[2 * (ZL_MLP_MAX_HIDDEN + 1)], sz[2 * (ZL_MLP_MAX_HIDDEN + 1)];
  zl_mlp_tensors(m, &nt, off, sz);
  ZL_CHECK(nt == 6 && off[0] == 0 && sz[1] == 15 && off[5] == P - 4 && sz[4] == 1);
  float *p = malloc(P * sizeof *p), *g = malloc(P * sizeof *g), *g2 = malloc(P * sizeof *g);
  zl_rng r;
  zl_rng_init(&r, 5, 1);
  zl_mlp_init(m, &r, 0.6, p);
  ZL_CHECK_CLOSE(p[P - 5], log(0.6 / 0.4), 1e-6); /* the output bias: logit of the mean */
  float X[18];
  double y[6];
  for (int i = 0; i < n * F; i++)
    X[i] = (float)(2 * zl_rng_uniform(&r) - 1);
  for (int i = 0; i < n; i++)
    y[i] = zl_rng_uniform(&r);
  zl_mlp_grad(m, p, X, y, n, g, &sse);
  ZL_CHECK_CLOSE(0.5 * sse, loss(m, p, X, y, n), 1e-6);
  double worst = 0, gmax = 0;
  for (size_t i = 0; i < P; i++) {
    const float h = 1e-3f, keep = p[i];
    p[i] = keep + h;
    double up = loss(m, p, X, y, n);
    p[i] = keep - h;
    double down = loss(m, p, X, y, n);
    p[i] = keep;
    double fd = (up - down) / (2 * (double)h), e = fabs(fd - g[i]);
    if (e > worst) worst = e;
    if (fabs(g[i]) > gmax) gmax = fabs(g[i]);
  }
  ZL_CHECK(gmax > 1e-3);
  ZL_CHECK(worst < 2e-3 * gmax);
  /* The same rows give the same bits. */
  double sse2;
  zl_mlp_grad(m, p, X, y, n, g2, &sse2);
  ZL_CHECK(!memcmp(g, g2, P * sizeof *g) && sse == sse2);

  /* Adam (the trainer's) on y = sigmoid-shaped target of x0: the loss falls by 10x. */
  zl_hparams hp = {.optimizer = ZL_OPT_ADAM, .learning_rate = 1e-2};
  float *mv = calloc(2 * P, sizeof *mv);
  zl_opt_state st = {mv, mv + P, 0};
  for (int i = 0; i < n; i++)
    y[i] = 0.5 + 0.4 * X[i * F];
  double before = loss(m, p, X, y, n);
  for (int s = 0; s < 500; s++) {
    zl_mlp_grad(m, p, X, y, n, g, &sse);
    zl_opt_update(&hp, &st, p, g, P);
  }
  ZL_CHECK(loss(m, p, X, y, n) < 0.1 * before);

  /* Bad sizes are usage errors. */
  zl_mlp bad = NULL;
  const int zero[1] = {0};
  ZL_CHECK(zl_mlp_create(3, zero, 1, 8, &bad) == 2 && bad == NULL);
  ZL_CHECK(zl_mlp_create(3, hidden, ZL_MLP_MAX_HIDDEN + 1, 8, &bad) == 2);
  free(p);
  free(g);
  free(g2);
  free(mv);
  zl_mlp_destroy(&m);
  return zl_test_finish();
}
