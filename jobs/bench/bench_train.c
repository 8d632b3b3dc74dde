/* Training throughput of zoolens's CNN/MLP (kernels/train.c), in examples x epochs per second, for
 * jobs/bench/train_bench.sh to set beside PyTorch. One zl_train_run with checkpoints at 0 and
 * EPOCHS; the two checkpoint evaluations are timed separately and subtracted, so the figure is
 * training alone (forward, backward, update). Serial; run with OPENBLAS_NUM_THREADS=1. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "zl_error.h"
#include "zl_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
  double t[2];
  zl_train_metrics m[2];
  int n;
} stamps;

static int on_checkpoint(void *ctx, int epoch, const float *params, const zl_train_metrics *m) {
  (void)epoch;
  (void)params;
  stamps *s = ctx;
  s->t[s->n] = now();
  s->m[s->n++] = *m;
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: bench_train DATA_DIR [--arch cnn|mlp] [--images N] [--epochs E] "
                  "[--batch B] [--optimizer sgd|adam|rmsprop] [--activation relu|tanh] "
                  "[--dropout P] [--lr LR]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') return usage();
  zl_train_opts o;
  zl_train_opts_default(&o);
  zl_hparams hp = {ZL_OPT_ADAM, 1e-3, ZL_INIT_HE_NORMAL, 0.05, 1e-5, 0, 1.0, ZL_ACT_RELU};
  long images = 0;
  int epochs = 2;
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) return usage();
    i++;
    if (!strcmp(k, "--arch"))
      o.arch = !strcmp(v, "mlp") ? ZL_ARCH_MLP : ZL_ARCH_CNN;
    else if (!strcmp(k, "--images"))
      images = atol(v);
    else if (!strcmp(k, "--epochs"))
      epochs = atoi(v);
    else if (!strcmp(k, "--batch"))
      o.batch_size = atoi(v);
    else if (!strcmp(k, "--optimizer"))
      hp.optimizer = !strcmp(v, "sgd")       ? ZL_OPT_SGD
                     : !strcmp(v, "rmsprop") ? ZL_OPT_RMSPROP
                                             : ZL_OPT_ADAM;
    else if (!strcmp(k, "--activation"))
      hp.activation = !strcmp(v, "tanh") ? ZL_ACT_TANH : ZL_ACT_RELU;
    else if (!strcmp(k, "--dropout"))
      hp.dropout = atof(v);
    else if (!strcmp(k, "--lr"))
      hp.learning_rate = atof(v);
    else
      return usage();
  }
  zl_dataset train, test;
  if (zl_dataset_load_dir(argv[1], &train, &test)) {
    fprintf(stderr, "bench_train: %s\n", zl_error_message());
    return 1;
  }
  zl_dataset tr = train;
  if (images > 0 && (size_t)images < tr.n) tr.n = (size_t)images;
  int checkpoints[2] = {0, epochs};
  o.checkpoints = checkpoints;
  o.n_checkpoints = 2;

  /* The cost of one checkpoint evaluation, to subtract. */
  zl_nn nn = NULL;
  zl_nn_create(o.arch, tr.h, tr.w, hp.activation, &nn);
  float *p = calloc(zl_nn_n_params(nn), sizeof *p);
  double acc, loss, t0 = now();
  zl_nn_evaluate(nn, p, &test, NULL, test.n, &acc, &loss);
  zl_nn_evaluate(nn, p, &tr, NULL, tr.n, &acc, &loss);
  double eval = now() - t0;
  free(p);
  zl_nn_destroy(&nn);

  stamps s = {.n = 0};
  if (zl_train_run(&o, &hp, &tr, &test, 1, 0, on_checkpoint, &s)) {
    fprintf(stderr, "bench_train: %s\n", zl_error_message());
    return 1;
  }
  size_t steps = tr.n / (size_t)o.batch_size;
  double examples = (double)(steps * (size_t)o.batch_size) * epochs;
  double train_s = s.t[1] - s.t[0] - eval;
  printf("zoolens %s %s %s dropout %.2f batch %d: %zu images x %d epochs in %.3f s (+ %.3f s per "
         "evaluation): %.0f examples*epochs/s; test accuracy %.4f\n",
         o.arch == ZL_ARCH_CNN ? "cnn" : "mlp", zl_optimizer_name(hp.optimizer),
         zl_activation_name(hp.activation), hp.dropout, o.batch_size, steps * (size_t)o.batch_size,
         epochs, train_s, eval, examples / train_s, s.m[1].test_accuracy);
  zl_dataset_free(&train);
  zl_dataset_free(&test);
  return 0;
}
