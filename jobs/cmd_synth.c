/* zoolens synth: a zoo in the shape of a real architecture whose test accuracy is a known linear
 * function of per-tensor weight statistics plus Gaussian noise, so the best achievable R² is known
 * (stored as the root attribute synth_planted_r2). For tests and scale runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_cli.h"
#include "zl_comm.h"
#include "zl_jobs.h"
#include "zl_netlayout.h"
#include "zl_nn.h"
#include "zl_rng.h"
#include "zl_zoo.h"

/* What the accuracy depends on. */
typedef enum {
  TARGET_LINEAR = 0, /* linear in the per-tensor std and mean: ridge on W-stats reaches the noise */
  TARGET_NONLINEAR,  /* a parabola in the log-scale of one tensor: a linear model cannot see it */
  TARGET_NOISE       /* noise alone: no estimator should beat R² = 0 */
} synth_target;

typedef struct {
  long long networks, seed, first_run;
  const char *out, *architecture, *dataset;
  double noise;
  synth_target target;
} synth_opts;

static const zl_opt options[] = {
    {"networks", 1, "N", "number of networks (rows) (required)"},
    {"out", 1, "FILE.h5", "zoo file to write (required)"},
    {"architecture", 1, "NAME", "cnn (default) or mlp: the layout of the rows"},
    {"seed", 1, "S", "random seed (default 0); row i depends only on (seed, i)"},
    {"noise", 1, "SIGMA", "standard deviation of the noise added to the accuracy (default 0.02)"},
    {"first-run", 1, "R",
     "run id of the first network (default 0): a zoo split over files by "
     "disjoint run ranges analyses like the whole"},
    {"target", 1, "KIND", "linear (default), nonlinear or noise: how accuracy depends on weights"},
    {"dataset", 1, "NAME", "dataset name stored in the zoo (default synthetic)"},
};

static int on_option(void *ctx, int i, const char *arg) {
  synth_opts *o = ctx;
  switch (i) {
  case 0:
    return zl_cli_long("synth", "networks", arg, 1, INT64_MAX / 2, &o->networks);
  case 1:
    o->out = arg;
    return 0;
  case 2:
    if (strcmp(arg, "cnn") && strcmp(arg, "mlp"))
      return ZL_ERR(ZL_ERR_USAGE, "synth: --architecture: '%s' is not cnn or mlp", arg);
    o->architecture = arg;
    return 0;
  case 3:
    return zl_cli_long("synth", "seed", arg, 0, INT64_MAX, &o->seed);
  case 5:
    return zl_cli_long("synth", "first-run", arg, 0, INT64_MAX / 2, &o->first_run);
  case 6:
    if (!strcmp(arg, "linear") || !strcmp(arg, "nonlinear") || !strcmp(arg, "noise")) {
      o->target = arg[0] == 'l'                    ? TARGET_LINEAR
                  : arg[0] == 'n' && arg[2] == 'n' ? TARGET_NONLINEAR
                                                   : TARGET_NOISE;
      return 0;
    }
    return ZL_ERR(ZL_ERR_USAGE, "synth: --target: '%s' is not linear, nonlinear or noise", arg);
  case 7:
    o->dataset = arg;
    return 0;
  default:
    ZL_CALL(zl_cli_double("synth", "noise", arg, &o->noise));
    if (!(o->noise >= 0))
      return ZL_ERR(ZL_ERR_USAGE, "synth: --noise: '%s' is not a number >= 0", arg);
    return 0;
  }
}

/* Per-row values besides the weights. */
typedef struct {
  double *y, *train_acc, *test_loss, *train_loss, *epoch, *lr;
  int64_t *run;
  int32_t *optimizer;
} synth_cols;

/* Generates row i: per tensor t a scale and an offset drawn around the tensor's base scale, then
 * the weights; the accuracy is linear in the realised per-tensor std and mean. Returns the noise
 * drawn, so the caller can measure the planted R². */
static double synth_row(uint64_t seed, int64_t i, const zl_nn_tensor *lay, int T, double noise,
                        synth_target target, float *w, synth_cols *c, int64_t j) {
  zl_rng r;
  zl_rng_init(&r, seed, (uint64_t)i);
  double f = 0.5, u = 0.0;
  for (int t = 0; t < T; t++) {
    double base = lay[t].is_kernel ? sqrt(2.0 / (lay[t].fan_in + lay[t].fan_out)) : 0.05;
    double sd = base * exp(0.4 * zl_rng_normal(&r)), mu = 0.3 * base * zl_rng_normal(&r);
    double s1 = 0, s2 = 0;
    float *wt = w + lay[t].offset;
    for (size_t k = 0; k < lay[t].size; k++) {
      wt[k] = (float)(mu + sd * zl_rng_normal(&r));
      s1 += wt[k];
    }
    double m = s1 / (double)lay[t].size;
    for (size_t k = 0; k < lay[t].size; k++)
      s2 += (wt[k] - m) * (wt[k] - m);
    double s = sqrt(s2 / (double)lay[t].size);
    /* Alternating signs over tensors, centred on the typical realised std (E exp(0.4 z) ≈ 1.083).
     */
    f += (t % 2 ? 0.05 : -0.04) * (s / base - 1.083) + 0.02 * m / base;
    if (t == 1) u = log(s / base); /* about N(0, 0.4²) */
  }
  if (target == TARGET_NONLINEAR) f = 0.5 + 0.6 * (u * u - 0.16);
  if (target == TARGET_NOISE) f = 0.5;
  double eps = noise * zl_rng_normal(&r);
  c->y[j] = f + eps;
  c->train_acc[j] = f + 0.5 * eps;
  c->test_loss[j] = -log(fmax(c->y[j], 1e-3));
  c->train_loss[j] = -log(fmax(c->train_acc[j], 1e-3));
  c->epoch[j] = 1.0;
  c->run[j] = i;
  c->lr[j] = exp(log(5e-4) + zl_rng_uniform(&r) * (log(5e-2) - log(5e-4)));
  c->optimizer[j] = (int32_t)zl_rng_below(&r, 3);
  return eps;
}

static void cols_free(synth_cols *c) {
  free(c->y);
  free(c->train_acc);
  free(c->test_loss);
  free(c->train_loss);
  free(c->epoch);
  free(c->lr);
  free(c->run);
  free(c->optimizer);
}

static int write_cols(zl_zoo zoo, int64_t lo, int64_t n, const synth_cols *c) {
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_TEST_ACCURACY, ZL_F64, lo, n, c->y));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_TRAIN_ACCURACY, ZL_F64, lo, n, c->train_acc));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_TEST_LOSS, ZL_F64, lo, n, c->test_loss));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_TRAIN_LOSS, ZL_F64, lo, n, c->train_loss));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_EPOCH, ZL_F64, lo, n, c->epoch));
  ZL_CALL(zl_zoo_write_column(zoo, ZL_COL_RUN_ID, ZL_I64, lo, n, c->run));
  ZL_CALL(zl_zoo_write_column(zoo, "hparams/learning_rate", ZL_F64, lo, n, c->lr));
  return zl_zoo_write_column(zoo, "hparams/optimizer", ZL_I32, lo, n, c->optimizer);
}

static int synth(MPI_Comm comm, const synth_opts *o, double *planted_r2) {
  int rank = zl_comm_rank(comm), size = zl_comm_size(comm);
  zl_nn nn = NULL;
  int arch = strcmp(o->architecture, "mlp") ? ZL_ARCH_CNN : ZL_ARCH_MLP;
  int rc = zl_comm_agree(comm, zl_nn_create(arch, 28, 28, ZL_ACT_RELU, &nn));
  if (rc) return rc;
  /* The network's own layout gives synth_row the fans of each kernel; the zoo's follows from it. */
  int T = 0;
  const zl_nn_tensor *lay = zl_nn_layout(nn, &T);
  int64_t P = 0;
  zl_tensor tensors[ZL_MAX_TENSORS];
  rc = zl_comm_agree(comm, zl_network_layout(arch, 28, 28, tensors, ZL_MAX_TENSORS, &T, &P));
  if (rc) {
    zl_nn_destroy(&nn);
    return rc;
  }
  zl_zoo_spec spec = {o->dataset, o->architecture, o->networks, P, T, tensors};
  zl_zoo zoo = NULL;
  static const char *const optimizers[] = {"adam", "rmsprop", "sgd"};
  rc = zl_zoo_create(comm, o->out, &spec, &zoo);
  if (!rc) rc = zl_zoo_add_hparam(zoo, "learning_rate", NULL, 0);
  if (!rc) rc = zl_zoo_add_hparam(zoo, "optimizer", optimizers, 3);
  int64_t lo = o->networks * rank / size, hi = o->networks * (rank + 1) / size, n = hi - lo;
  int64_t B = rc ? 1 : zl_zoo_block_rows(zoo, 32LL << 20);
  synth_cols c = {0};
  float *w = NULL;
  if (!rc) {
    c.y = zl_malloc((size_t)n, sizeof(double), "accuracies");
    c.train_acc = zl_malloc((size_t)n, sizeof(double), "accuracies");
    c.test_loss = zl_malloc((size_t)n, sizeof(double), "losses");
    c.train_loss = zl_malloc((size_t)n, sizeof(double), "losses");
    c.epoch = zl_malloc((size_t)n, sizeof(double), "epochs");
    c.lr = zl_malloc((size_t)n, sizeof(double), "learning rates");
    c.run = zl_malloc((size_t)n, sizeof(int64_t), "run ids");
    c.optimizer = zl_malloc((size_t)n, sizeof(int32_t), "optimizers");
    w = zl_malloc((size_t)(B * P), sizeof(float), "weights block");
    if (!c.y || !c.train_acc || !c.test_loss || !c.train_loss || !c.epoch || !c.lr || !c.run ||
        !c.optimizer || !w)
      rc = ZL_ERR_RUNTIME;
  }
  rc = zl_comm_agree(comm, rc);
  int64_t my_blocks = (n + B - 1) / B, n_blocks = 0;
  if (!rc && MPI_Allreduce(&my_blocks, &n_blocks, 1, MPI_INT64_T, MPI_MAX, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(block count) failed");
  /* Σε², Σy, Σy² for the planted R² = 1 − Σε² / Σ(y − ȳ)². */
  double acc[3] = {0, 0, 0}, tot[3];
  for (int64_t b = 0; !rc && b < n_blocks; b++) {
    int64_t j0 = b * B < n ? b * B : n, cnt = n - j0 < B ? n - j0 : B;
    for (int64_t j = j0; j < j0 + cnt; j++) {
      double eps = synth_row((uint64_t)o->seed, o->first_run + lo + j, lay, T, o->noise, o->target,
                             w + (j - j0) * P, &c, j);
      acc[0] += eps * eps;
      acc[1] += c.y[j];
      acc[2] += c.y[j] * c.y[j];
    }
    rc = zl_zoo_write_weights(zoo, lo + j0, cnt, w);
  }
  if (!rc) rc = write_cols(zoo, lo, n, &c);
  if (!rc && MPI_Allreduce(acc, tot, 3, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS)
    rc = ZL_ERR(ZL_ERR_RUNTIME, "MPI_Allreduce(planted R²) failed");
  if (!rc) {
    double N = (double)o->networks, sst = tot[2] - tot[1] * tot[1] / N;
    *planted_r2 = sst > 0 ? 1.0 - tot[0] / sst : NAN;
    rc = zl_zoo_set_attr_double(zoo, "synth_planted_r2", *planted_r2);
  }
  /* synth cannot resume: a failed job must not leave its .part behind (a full disk). */
  int committing = !rc;
  if (committing) rc = zl_zoo_commit(&zoo);
  zl_zoo_remove(&zoo);
  if (rc && committing && rank == 0) {
    char part[4200];
    snprintf(part, sizeof part, "%s.part", o->out);
    (void)remove(part); /* the commit failed (close or rename): its message is the one reported */
  }
  cols_free(&c);
  free(w);
  zl_nn_destroy(&nn);
  return rc;
}

int zl_cmd_synth(int argc, char **argv, MPI_Comm comm) {
  synth_opts o = {0, 0, 0, NULL, "cnn", "synthetic", 0.02, TARGET_LINEAR};
  int first = 0;
  int rc =
      zl_cli_parse(comm, "synth", "--networks N --out FILE.h5 [options]", options,
                   (int)(sizeof options / sizeof options[0]), on_option, &o, argc, argv, &first);
  if (rc == ZL_CLI_HELP) return 0;
  if (!rc && (!o.networks || !o.out))
    rc = ZL_ERR(ZL_ERR_USAGE, "synth: --networks N and --out FILE.h5 are required");
  if (!rc && first < argc)
    rc = ZL_ERR(ZL_ERR_USAGE, "synth: unexpected argument '%s'", argv[first]);
  if (rc) return zl_cli_fail(comm, rc);
  double r2 = 0;
  rc = synth(comm, &o, &r2);
  if (!rc && zl_comm_rank(comm) == 0)
    printf("synth: %lld networks (%s) in %s, planted R² %.4f\n", o.networks, o.architecture, o.out,
           r2);
  return zl_cli_fail(comm, rc);
}
