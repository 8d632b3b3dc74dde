/* zl_train: sampler, initialisers, MNIST-slice runs, divergence, determinism; serial. */
#include "zl_error.h"
#include "zl_train.h"
#include "zl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_sampler(void) {
  zl_rng r, again;
  zl_train_rng(&r, 5, 17, ZL_STREAM_HPARAMS);
  zl_train_rng(&again, 5, 17, ZL_STREAM_HPARAMS);
  int opt[ZL_OPT_COUNT] = {0}, init[ZL_INIT_COUNT] = {0}, act[2] = {0}, frac[4] = {0};
  int in_range = 1, same = 1;
  double lr_lo = 1, lr_hi = 0, drop_hi = 0;
  for (int i = 0; i < 3000; i++) {
    zl_hparams h, h2;
    zl_hparams_sample(&r, &h);
    zl_hparams_sample(&again, &h2);
    same &= h.optimizer == h2.optimizer && h.learning_rate == h2.learning_rate &&
            h.w_init == h2.w_init && h.init_std == h2.init_std && h.l2 == h2.l2 &&
            h.dropout == h2.dropout && h.train_fraction == h2.train_fraction &&
            h.activation == h2.activation;
    opt[h.optimizer]++;
    init[h.w_init]++;
    act[h.activation]++;
    frac[h.train_fraction == 0.1    ? 0
         : h.train_fraction == 0.25 ? 1
         : h.train_fraction == 0.5  ? 2
                                    : 3]++;
    in_range &= h.learning_rate >= 5e-4 && h.learning_rate <= 5e-2;
    in_range &= h.init_std >= 1e-3 && h.init_std <= 0.5;
    in_range &= h.l2 >= 1e-8 && h.l2 <= 1e-2;
    in_range &= h.dropout >= 0 && h.dropout < 0.7;
    lr_lo = fmin(lr_lo, h.learning_rate);
    lr_hi = fmax(lr_hi, h.learning_rate);
    drop_hi = fmax(drop_hi, h.dropout);
  }
  ZL_CHECK(same && in_range);
  ZL_CHECK(lr_lo < 6e-4 && lr_hi > 4e-2 && drop_hi > 0.65);
  int all = 1;
  for (int i = 0; i < ZL_OPT_COUNT; i++)
    all &= opt[i] > 800;
  for (int i = 0; i < ZL_INIT_COUNT; i++)
    all &= init[i] > 300;
  for (int i = 0; i < 4; i++)
    all &= frac[i] > 600;
  ZL_CHECK(all && act[0] > 1300 && act[1] > 1300);
  ZL_CHECK(strcmp(zl_optimizer_name(ZL_OPT_RMSPROP), "rmsprop") == 0);
  ZL_CHECK(strcmp(zl_winit_name(ZL_INIT_TRUNCATED_NORMAL), "truncated_normal") == 0);
  ZL_CHECK(strcmp(zl_activation_name(ZL_ACT_TANH), "tanh") == 0);
}

/* Population std of a tensor. */
static double stddev(const float *x, size_t n) {
  double s = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) {
    s += x[i];
    s2 += (double)x[i] * x[i];
  }
  return sqrt(s2 / (double)n - (s / (double)n) * (s / (double)n));
}

/* Max |(A^T A or A A^T) - I| of the rows x cols kernel, the product over its shorter side. */
static double orthogonality_error(const float *k, int rows, int cols) {
  int wide = rows < cols, n = wide ? rows : cols, len = wide ? cols : rows;
  double worst = 0;
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++) {
      double s = 0;
      for (int i = 0; i < len; i++)
        s += wide ? (double)k[a * cols + i] * k[b * cols + i]
                  : (double)k[i * cols + a] * k[i * cols + b];
      worst = fmax(worst, fabs(s - (a == b)));
    }
  return worst;
}

static void test_init(void) {
  zl_nn nn = NULL;
  ZL_CHECK(zl_nn_create(ZL_ARCH_CNN, 28, 28, ZL_ACT_RELU, &nn) == 0);
  int nt;
  const zl_nn_tensor *t = zl_nn_layout(nn, &nt);
  float *p = malloc(zl_nn_n_params(nn) * sizeof *p);
  zl_hparams hp = {.init_std = 0.05};
  zl_rng r;
  zl_rng_init(&r, 3, 0);
  const zl_nn_tensor *c1 = &t[1], *c2 = &t[3], *dk = &t[7];
  for (int w = 0; w < ZL_INIT_COUNT; w++) {
    hp.w_init = (zl_winit)w;
    ZL_CHECK(zl_train_init_params(nn, &hp, &r, p) == 0);
    int zero_bias = 1;
    for (int i = 0; i < nt; i += 2)
      for (size_t j = 0; j < t[i].size; j++)
        zero_bias &= p[t[i].offset + j] == 0;
    ZL_CHECK(zero_bias);
    const float *k2 = p + c2->offset;
    double sd = stddev(k2, c2->size), fan_in = 144, fan_avg = 144;
    float lim = 0;
    for (size_t j = 0; j < c2->size; j++)
      lim = fmaxf(lim, fabsf(k2[j]));
    switch (hp.w_init) {
    case ZL_INIT_HE_NORMAL:
      ZL_CHECK_CLOSE(sd, sqrt(2 / fan_in), 0.1 * sqrt(2 / fan_in));
      break;
    case ZL_INIT_HE_UNIFORM:
      ZL_CHECK(lim <= sqrt(6 / fan_in));
      ZL_CHECK_CLOSE(sd, sqrt(2 / fan_in), 0.1 * sqrt(2 / fan_in));
      break;
    case ZL_INIT_GLOROT_NORMAL:
      ZL_CHECK_CLOSE(sd, sqrt(1 / fan_avg), 0.1 * sqrt(1 / fan_avg));
      break;
    case ZL_INIT_GLOROT_UNIFORM:
      ZL_CHECK(lim <= sqrt(3 / fan_avg));
      break;
    case ZL_INIT_ORTHOGONAL:
      ZL_CHECK(orthogonality_error(p + c1->offset, 9, 16) < 1e-6);
      ZL_CHECK(orthogonality_error(k2, 144, 16) < 1e-6);
      ZL_CHECK(orthogonality_error(p + dk->offset, 16, 10) < 1e-6);
      break;
    case ZL_INIT_TRUNCATED_NORMAL:
      ZL_CHECK(lim <= 2 * hp.init_std);
      ZL_CHECK_CLOSE(sd, 0.88 * hp.init_std, 0.1 * hp.init_std);
      break;
    default:
      ZL_CHECK(lim > 2 * hp.init_std);
      ZL_CHECK_CLOSE(sd, hp.init_std, 0.1 * hp.init_std);
    }
  }
  free(p);
  zl_nn_destroy(&nn);
}

/* Checkpoint recorder: the epochs, metrics and a copy of each row. */
typedef struct {
  int n, epochs[16];
  zl_train_metrics m[16];
  float *rows;
  size_t P;
  int stop_at; /* return 99 from this checkpoint (-1: never) */
} record;

static int on_checkpoint(void *ctx, int epoch, const float *params, const zl_train_metrics *m) {
  record *r = ctx;
  if (r->rows) memcpy(r->rows + (size_t)r->n * r->P, params, r->P * sizeof *params);
  r->epochs[r->n] = epoch;
  r->m[r->n++] = *m;
  return r->n - 1 == r->stop_at ? 99 : 0;
}

static int run(const zl_train_opts *o, const zl_hparams *hp, const zl_dataset *tr,
               const zl_dataset *te, uint64_t seed, int64_t id, record *rec) {
  zl_nn nn = NULL;
  zl_nn_create(o->arch, tr->h, tr->w, hp->activation, &nn);
  rec->P = zl_nn_n_params(nn);
  zl_nn_destroy(&nn);
  rec->n = 0;
  free(rec->rows);
  rec->rows = malloc(16 * rec->P * sizeof(float));
  int rc = zl_train_run(o, hp, tr, te, seed, id, on_checkpoint, rec);
  if (rc) fprintf(stderr, "zl_train_run: %s\n", zl_error_message());
  return rc;
}

/* Each optimizer and both architectures learn MNIST: after two epochs on 4096 images, test
 * accuracy far above chance (0.1). */
static void test_learning(const zl_dataset *tr, const zl_dataset *te) {
  static const int epochs[] = {0, 2};
  zl_train_opts o;
  zl_train_opts_default(&o);
  o.batch_size = 64;
  o.checkpoints = epochs;
  o.n_checkpoints = 2;
  struct {
    zl_arch arch;
    zl_optimizer opt;
    double lr;
    zl_activation act;
    zl_winit init;
    double dropout, min_acc;
  } cases[] = {{ZL_ARCH_CNN, ZL_OPT_ADAM, 1e-2, ZL_ACT_RELU, ZL_INIT_HE_NORMAL, 0, 0.6},
               {ZL_ARCH_CNN, ZL_OPT_RMSPROP, 3e-3, ZL_ACT_TANH, ZL_INIT_ORTHOGONAL, 0.1, 0.4},
               {ZL_ARCH_CNN, ZL_OPT_SGD, 5e-2, ZL_ACT_TANH, ZL_INIT_GLOROT_UNIFORM, 0, 0.25},
               {ZL_ARCH_MLP, ZL_OPT_ADAM, 3e-3, ZL_ACT_TANH, ZL_INIT_GLOROT_UNIFORM, 0.05, 0.4}};
  record rec = {.stop_at = -1};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    zl_hparams hp = {cases[c].opt, cases[c].lr,      cases[c].init, 0.05,
                     1e-5,         cases[c].dropout, 1.0,           cases[c].act};
    o.arch = cases[c].arch;
    ZL_CHECK(run(&o, &hp, tr, te, 1, (int64_t)c, &rec) == 0);
    ZL_CHECK(rec.n == 2 && rec.epochs[0] == 0 && rec.epochs[1] == 2);
    printf("%s %s: test accuracy %.3f -> %.3f, train loss %.3f -> %.3f\n",
           o.arch == ZL_ARCH_CNN ? "cnn" : "mlp", zl_optimizer_name(hp.optimizer),
           rec.m[0].test_accuracy, rec.m[1].test_accuracy, rec.m[0].train_loss,
           rec.m[1].train_loss);
    ZL_CHECK(rec.m[0].test_accuracy < 0.3);
    ZL_CHECK(rec.m[1].test_accuracy > cases[c].min_acc);
    ZL_CHECK(rec.m[1].train_loss < rec.m[0].train_loss);
  }
  free(rec.rows);
}

static int any_nonfinite(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 1;
  return 0;
}

/* SGD at learning rate 1e3 blows up: with l2 = 1e-2 every step multiplies the kernels by
 * 1 - 2 lr l2 = -19, so they overflow within an epoch. The run still completes, and records the
 * non-finite weights and losses. */
static void test_diverging(const zl_dataset *tr, const zl_dataset *te) {
  static const int epochs[] = {0, 1, 2};
  zl_train_opts o;
  zl_train_opts_default(&o);
  o.batch_size = 128;
  o.checkpoints = epochs;
  o.n_checkpoints = 3;
  zl_hparams hp = {ZL_OPT_SGD, 1e3, ZL_INIT_HE_NORMAL, 0.05, 1e-2, 0, 1.0, ZL_ACT_RELU};
  record rec = {.stop_at = -1};
  ZL_CHECK(run(&o, &hp, tr, te, 1, 0, &rec) == 0);
  ZL_CHECK(rec.n == 3);
  ZL_CHECK(!any_nonfinite(rec.rows, rec.P));
  ZL_CHECK(any_nonfinite(rec.rows + 2 * rec.P, rec.P));
  ZL_CHECK(!isfinite(rec.m[2].test_loss) && rec.m[2].test_accuracy <= 0.2);
  printf("diverging: %s, test accuracy %.3f, test loss %g\n",
         any_nonfinite(rec.rows + 2 * rec.P, rec.P) ? "non-finite weights" : "finite weights",
         rec.m[2].test_accuracy, rec.m[2].test_loss);
  free(rec.rows);
}

/* Same (seed, run id): the same bytes at every checkpoint; another run id: different ones. Also
 * the callback's stop code and option errors. */
static void test_determinism(const zl_dataset *tr, const zl_dataset *te) {
  static const int epochs[] = {0, 1, 2};
  zl_train_opts o;
  zl_train_opts_default(&o);
  o.batch_size = 100;
  o.drop_remainder = 0;
  o.checkpoints = epochs;
  o.n_checkpoints = 3;
  record a = {.stop_at = -1}, b = {.stop_at = -1};
  for (int64_t id = 40; id < 42; id++) {
    zl_hparams hp;
    zl_rng r;
    zl_train_rng(&r, 9, id, ZL_STREAM_HPARAMS);
    zl_hparams_sample(&r, &hp);
    hp.dropout = 0.3; /* make sure the dropout stream is exercised */
    hp.learning_rate = 1e-2;
    ZL_CHECK(run(&o, &hp, tr, te, 9, id, &a) == 0);
    ZL_CHECK(run(&o, &hp, tr, te, 9, id, &b) == 0);
    ZL_CHECK(a.n == 3 && b.n == 3);
    ZL_CHECK(memcmp(a.rows, b.rows, 3 * a.P * sizeof(float)) == 0);
    ZL_CHECK(memcmp(a.m, b.m, 3 * sizeof a.m[0]) == 0);
    ZL_CHECK(memcmp(a.rows + a.P, a.rows + 2 * a.P, a.P * sizeof(float)) != 0);
    ZL_CHECK(run(&o, &hp, tr, te, 9, id + 100, &b) == 0);
    ZL_CHECK(memcmp(a.rows, b.rows, a.P * sizeof(float)) != 0);
    ZL_CHECK(memcmp(a.rows + 2 * a.P, b.rows + 2 * a.P, a.P * sizeof(float)) != 0);
  }
  zl_hparams hp = {ZL_OPT_ADAM, 1e-3, ZL_INIT_HE_NORMAL, 0.05, 0, 0, 0.25, ZL_ACT_RELU};
  a.stop_at = 1;
  a.n = 0;
  ZL_CHECK(zl_train_run(&o, &hp, tr, te, 1, 0, on_checkpoint, &a) == 99 && a.n == 2);
  static const int bad[] = {0, 3, 3};
  o.checkpoints = bad;
  ZL_CHECK(zl_train_run(&o, &hp, tr, te, 1, 0, on_checkpoint, &a) == ZL_ERR_USAGE);
  ZL_CHECK(strcmp(zl_error_message(), "train: checkpoint epochs must be ascending and >= 0") == 0);
  free(a.rows);
  free(b.rows);
}

int main(int argc, char **argv) {
  test_sampler();
  test_init();
  zl_dataset train, test;
  if (argc < 2 || zl_dataset_load_dir(argv[1], &train, &test)) {
    printf("skipped the training runs: no MNIST (%s)\n",
           argc < 2 ? "no path given" : zl_error_message());
    return zl_test_finish() ? 1 : 77;
  }
  /* Slices keep the runs short: 4096 training images, 2000 test images. */
  zl_dataset tr = train, te = test;
  tr.n = 4096;
  te.n = 2000;
  test_learning(&tr, &te);
  test_diverging(&tr, &te);
  tr.n = 1000;
  te.n = 500;
  test_determinism(&tr, &te);
  zl_dataset_free(&train);
  zl_dataset_free(&test);
  return zl_test_finish();
}
