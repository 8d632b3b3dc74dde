#include "zl_train.h"

#include "zl_error.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *zl_optimizer_name(zl_optimizer o) {
  static const char *const names[ZL_OPT_COUNT] = {"sgd", "adam", "rmsprop"};
  return o >= 0 && o < ZL_OPT_COUNT ? names[o] : "?";
}

const char *zl_winit_name(zl_winit w) {
  static const char *const names[ZL_INIT_COUNT] = {
      "he_normal",  "he_uniform",       "glorot_normal", "glorot_uniform",
      "orthogonal", "truncated_normal", "random_normal"};
  return w >= 0 && w < ZL_INIT_COUNT ? names[w] : "?";
}

const char *zl_activation_name(zl_activation a) {
  return a == ZL_ACT_RELU ? "relu" : a == ZL_ACT_TANH ? "tanh" : "?";
}

void zl_train_rng(zl_rng *r, uint64_t seed, int64_t run_id, zl_stream purpose) {
  zl_rng_init(r, seed, zl_hash64((uint64_t)run_id, (uint64_t)purpose));
}

static double log_uniform(zl_rng *r, double lo, double hi) {
  return exp(log(lo) + zl_rng_uniform(r) * (log(hi) - log(lo)));
}

void zl_hparams_sample(zl_rng *r, zl_hparams *hp) {
  static const double fractions[] = {0.1, 0.25, 0.5, 1.0};
  hp->optimizer = (zl_optimizer)zl_rng_below(r, ZL_OPT_COUNT);
  hp->learning_rate = log_uniform(r, 5e-4, 5e-2);
  hp->w_init = (zl_winit)zl_rng_below(r, ZL_INIT_COUNT);
  hp->init_std = log_uniform(r, 1e-3, 0.5);
  hp->l2 = log_uniform(r, 1e-8, 1e-2);
  hp->dropout = 0.7 * zl_rng_uniform(r);
  hp->train_fraction = fractions[zl_rng_below(r, 4)];
  hp->activation = (zl_activation)zl_rng_below(r, 2);
}

/* Standard normal redrawn until within 2 (TensorFlow's truncated_normal). */
static double truncated_normal(zl_rng *r) {
  for (;;) {
    double x = zl_rng_normal(r);
    if (fabs(x) <= 2.0) return x;
  }
}

/* Keras's Orthogonal(gain 1): QR of a Gaussian (max x min) matrix, columns of Q times the signs
 * of diag(R) so the result is uniformly distributed, transposed when the kernel is wide. */
static int init_orthogonal(const zl_nn_tensor *t, zl_rng *r, float *k) {
  int wide = t->rows < t->cols;
  int m = wide ? t->cols : t->rows, n = wide ? t->rows : t->cols;
  size_t mn = (size_t)m * (size_t)n;
  double *a = zl_malloc(mn + 2 * (size_t)n, sizeof *a, t->name);
  if (!a) return ZL_ERR_RUNTIME;
  double *tau = a + mn, *sign = tau + n;
  for (size_t i = 0; i < mn; i++)
    a[i] = zl_rng_normal(r);
  int rc = 0;
  lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, a, n, tau);
  if (info)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: orthogonal init: LAPACKE_dgeqrf info %d", t->name, (int)info);
  /* R's diagonal is overwritten by dorgqr, so its signs are saved first. */
  for (int j = 0; !rc && j < n; j++)
    sign[j] = a[(size_t)j * (size_t)n + (size_t)j] < 0 ? -1 : 1;
  if (!rc && (info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, n, n, a, n, tau)))
    rc = ZL_ERR(ZL_ERR_RUNTIME, "%s: orthogonal init: LAPACKE_dorgqr info %d", t->name, (int)info);
  for (int i = 0; !rc && i < m; i++)
    for (int j = 0; j < n; j++) {
      float q = (float)(a[(size_t)i * (size_t)n + (size_t)j] * sign[j]);
      k[wide ? (size_t)j * (size_t)m + (size_t)i : (size_t)i * (size_t)n + (size_t)j] = q;
    }
  free(a);
  return rc;
}

int zl_train_init_params(const struct zl_nn_s *nn, const zl_hparams *hp, zl_rng *r, float *params) {
  int n_tensors;
  const zl_nn_tensor *layout = zl_nn_layout(nn, &n_tensors);
  memset(params, 0, zl_nn_n_params(nn) * sizeof *params);
  /* Keras's VarianceScaling divides a truncated normal's stddev by the stddev of a standard
   * normal cut at ±2, so the drawn values have the intended variance. */
  const double trunc_fix = 0.87962566103423978;
  for (int t = 0; t < n_tensors; t++) {
    const zl_nn_tensor *T = &layout[t];
    if (!T->is_kernel) continue;
    float *k = params + T->offset;
    double fan_in = T->fan_in, fan_avg = 0.5 * (T->fan_in + T->fan_out);
    if (hp->w_init == ZL_INIT_ORTHOGONAL) {
      ZL_CALL(init_orthogonal(T, r, k));
      continue;
    }
    for (size_t i = 0; i < T->size; i++) {
      double v;
      switch (hp->w_init) {
      case ZL_INIT_HE_NORMAL:
        v = sqrt(2.0 / fan_in) / trunc_fix * truncated_normal(r);
        break;
      case ZL_INIT_HE_UNIFORM:
        v = sqrt(6.0 / fan_in) * (2 * zl_rng_uniform(r) - 1);
        break;
      case ZL_INIT_GLOROT_NORMAL:
        v = sqrt(1.0 / fan_avg) / trunc_fix * truncated_normal(r);
        break;
      case ZL_INIT_GLOROT_UNIFORM:
        v = sqrt(3.0 / fan_avg) * (2 * zl_rng_uniform(r) - 1);
        break;
      case ZL_INIT_TRUNCATED_NORMAL:
        v = hp->init_std * truncated_normal(r);
        break;
      case ZL_INIT_RANDOM_NORMAL:
        v = hp->init_std * zl_rng_normal(r);
        break;
      default:
        return ZL_ERR(ZL_ERR_USAGE, "network: unknown weight init code %d", (int)hp->w_init);
      }
      k[i] = (float)v;
    }
  }
  return 0;
}

void zl_train_opts_default(zl_train_opts *o) {
  static const int epochs[] = {0, 1, 2, 3, 20, 40, 60, 80, 86};
  o->arch = ZL_ARCH_CNN;
  o->batch_size = 512;
  o->drop_remainder = 1;
  o->checkpoints = epochs;
  o->n_checkpoints = (int)(sizeof epochs / sizeof epochs[0]);
}

static int check_run(const zl_train_opts *o, const zl_hparams *hp, const zl_dataset *train,
                     const zl_dataset *test) {
  if (train->n < 1 || test->n < 1)
    return ZL_ERR(ZL_ERR_USAGE, "train: empty %s set", train->n < 1 ? "training" : "test");
  if (o->batch_size < 1) return ZL_ERR(ZL_ERR_USAGE, "train: batch size %d < 1", o->batch_size);
  if (o->n_checkpoints < 1) return ZL_ERR(ZL_ERR_USAGE, "train: no checkpoints");
  for (int i = 0; i < o->n_checkpoints; i++)
    if (o->checkpoints[i] < 0 || (i && o->checkpoints[i] <= o->checkpoints[i - 1]))
      return ZL_ERR(ZL_ERR_USAGE, "train: checkpoint epochs must be ascending and >= 0");
  if (!(hp->train_fraction > 0 && hp->train_fraction <= 1))
    return ZL_ERR(ZL_ERR_USAGE, "train: train fraction %g is outside (0, 1]", hp->train_fraction);
  if (!(hp->learning_rate >= 0 && isfinite(hp->learning_rate)))
    return ZL_ERR(ZL_ERR_USAGE, "train: learning rate %g is not finite and >= 0",
                  hp->learning_rate);
  if (!(hp->dropout >= 0 && hp->dropout < 1))
    return ZL_ERR(ZL_ERR_USAGE, "train: dropout rate %g is outside [0, 1)", hp->dropout);
  if (!(hp->l2 >= 0 && isfinite(hp->l2)))
    return ZL_ERR(ZL_ERR_USAGE, "train: l2 %g is not finite and >= 0", hp->l2);
  if (hp->optimizer < 0 || hp->optimizer >= ZL_OPT_COUNT)
    return ZL_ERR(ZL_ERR_USAGE, "train: unknown optimizer code %d", (int)hp->optimizer);
  return 0;
}

void zl_opt_update(const zl_hparams *hp, zl_opt_state *s, float *w, const float *g, size_t n) {
  const float eps = 1e-7f;
  float lr = (float)hp->learning_rate;
  s->step++;
  if (hp->optimizer == ZL_OPT_SGD) {
    for (size_t i = 0; i < n; i++)
      w[i] -= lr * g[i];
  } else if (hp->optimizer == ZL_OPT_ADAM) {
    const double b1 = 0.9, b2 = 0.999;
    float alpha = (float)(hp->learning_rate * sqrt(1 - pow(b2, (double)s->step)) /
                          (1 - pow(b1, (double)s->step)));
    for (size_t i = 0; i < n; i++) {
      s->m[i] += (g[i] - s->m[i]) * (float)(1 - b1);
      s->v[i] += (g[i] * g[i] - s->v[i]) * (float)(1 - b2);
      w[i] -= s->m[i] * alpha / (sqrtf(s->v[i]) + eps);
    }
  } else {
    const float rho = 0.9f;
    for (size_t i = 0; i < n; i++) {
      s->v[i] = rho * s->v[i] + (1 - rho) * g[i] * g[i];
      w[i] -= lr * g[i] / (sqrtf(s->v[i]) + eps);
    }
  }
}

static int all_nan(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isnan(x[i])) return 0;
  return 1;
}

/* The run's training subset: the first round(f N) of a seeded random permutation of 0..N-1. */
static size_t draw_subset(size_t n, double fraction, zl_rng *r, size_t *index) {
  size_t k = (size_t)llround(fraction * (double)n);
  if (k < 1) k = 1;
  if (k > n) k = n;
  for (size_t i = 0; i < n; i++)
    index[i] = i;
  for (size_t i = 0; i < k; i++) {
    size_t j = i + (size_t)zl_rng_below(r, n - i), t = index[i];
    index[i] = index[j];
    index[j] = t;
  }
  return k;
}

static void shuffle(size_t *x, size_t n, zl_rng *r) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)zl_rng_below(r, i), t = x[i - 1];
    x[i - 1] = x[j];
    x[j] = t;
  }
}

static int checkpoint(zl_nn nn, const float *params, const zl_dataset *train, const size_t *subset,
                      size_t n_sub, const zl_dataset *test, int epoch, zl_train_checkpoint_fn fn,
                      void *ctx) {
  zl_train_metrics m;
  ZL_CALL(zl_nn_evaluate(nn, params, test, NULL, test->n, &m.test_accuracy, &m.test_loss));
  ZL_CALL(zl_nn_evaluate(nn, params, train, subset, n_sub, &m.train_accuracy, &m.train_loss));
  return fn(ctx, epoch, params, &m);
}

int zl_train_run(const zl_train_opts *o, const zl_hparams *hp, const zl_dataset *train,
                 const zl_dataset *test, uint64_t seed, int64_t run_id, zl_train_checkpoint_fn fn,
                 void *ctx) {
  ZL_CALL(check_run(o, hp, train, test));
  zl_nn nn = NULL;
  ZL_CALL(zl_nn_create(o->arch, train->h, train->w, hp->activation, &nn));
  size_t P = zl_nn_n_params(nn);
  /* params, grad and the optimizer slots m and v in one block; the subset and its epoch order */
  float *params = zl_calloc(4 * P, sizeof *params, "train: parameters");
  size_t *subset = zl_malloc(2 * train->n, sizeof *subset, "train: subset");
  int rc = params && subset ? 0 : ZL_ERR_RUNTIME;
  if (rc) goto done;
  float *grad = params + P;
  zl_opt_state st = {params + 2 * P, params + 3 * P, 0};
  zl_rng r_init, r_subset, r_shuffle, r_drop;
  zl_train_rng(&r_init, seed, run_id, ZL_STREAM_INIT);
  zl_train_rng(&r_subset, seed, run_id, ZL_STREAM_SUBSET);
  zl_train_rng(&r_shuffle, seed, run_id, ZL_STREAM_SHUFFLE);
  zl_train_rng(&r_drop, seed, run_id, ZL_STREAM_DROPOUT);
  ZL_CALL_GOTO(rc, done, zl_train_init_params(nn, hp, &r_init, params));
  size_t n_sub = draw_subset(train->n, hp->train_fraction, &r_subset, subset);
  size_t *order = subset + train->n;
  memcpy(order, subset, n_sub * sizeof *order);
  size_t batch = (size_t)o->batch_size;
  size_t steps = o->drop_remainder ? n_sub / batch : (n_sub + batch - 1) / batch;
  /* Once every parameter is NaN no update can change them, so a diverged run skips the rest of
   * its training but still reports every checkpoint. */
  int diverged = 0;
  int last = o->checkpoints[o->n_checkpoints - 1];
  for (int epoch = 0, c = 0; epoch <= last; epoch++) {
    if (epoch == o->checkpoints[c]) {
      ZL_CALL_GOTO(rc, done, checkpoint(nn, params, train, subset, n_sub, test, epoch, fn, ctx));
      c++;
    }
    if (epoch == last) break;
    shuffle(order, n_sub, &r_shuffle);
    for (size_t s = 0; !diverged && s < steps; s++) {
      size_t first = s * batch, nb = n_sub - first < batch ? n_sub - first : batch;
      double loss;
      ZL_CALL_GOTO(rc, done,
                   zl_nn_loss_grad(nn, params, train, order + first, nb, hp->dropout, hp->l2,
                                   &r_drop, grad, &loss));
      zl_opt_update(hp, &st, params, grad, P);
      diverged = all_nan(params, P);
    }
  }
done:
  free(subset);
  free(params);
  zl_nn_destroy(&nn);
  return rc;
}
