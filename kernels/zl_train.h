/* One training run of a zoo (paper-protocol.md, Training): hyperparameters and their sampler,
 * weight initialisers, the SGD / Adam / RMSProp updates (Keras semantics), and the epoch loop
 * with checkpoints. A run is a pure function of (seed, run id, data): every random draw comes
 * from a zl_rng stream derived from (seed, run id, purpose). */
#ifndef ZL_TRAIN_H
#define ZL_TRAIN_H

#include "zl_dataset.h"
#include "zl_nn.h"
#include "zl_rng.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { ZL_OPT_SGD = 0, ZL_OPT_ADAM, ZL_OPT_RMSPROP, ZL_OPT_COUNT } zl_optimizer;

typedef enum {
  ZL_INIT_HE_NORMAL = 0,
  ZL_INIT_HE_UNIFORM,
  ZL_INIT_GLOROT_NORMAL,
  ZL_INIT_GLOROT_UNIFORM,
  ZL_INIT_ORTHOGONAL,
  ZL_INIT_TRUNCATED_NORMAL, /* stddev init_std, redrawn beyond 2 stddev */
  ZL_INIT_RANDOM_NORMAL,    /* stddev init_std */
  ZL_INIT_COUNT
} zl_winit;

/* The names stored in the zoo (the released metrics' config.* values); index = code. */
const char *zl_optimizer_name(zl_optimizer o);
const char *zl_winit_name(zl_winit w);
const char *zl_activation_name(zl_activation a);

typedef struct {
  zl_optimizer optimizer;
  double learning_rate;
  zl_winit w_init;
  double init_std; /* used by truncated_normal and random_normal only */
  double l2;       /* λ of λ·Σw² over kernels */
  double dropout;  /* rate after every hidden activation, in [0, 1) */
  double train_fraction;
  zl_activation activation;
} zl_hparams;

/* Random-stream purposes: stream (seed, zl_hash64(run_id, purpose)) serves one purpose of a run. */
typedef enum {
  ZL_STREAM_HPARAMS = 1,
  ZL_STREAM_INIT,
  ZL_STREAM_SUBSET,
  ZL_STREAM_SHUFFLE,
  ZL_STREAM_DROPOUT
} zl_stream;

/* Seeds r for one purpose of run run_id. Not collective. */
void zl_train_rng(zl_rng *r, uint64_t seed, int64_t run_id, zl_stream purpose);

/* Draws hyperparameters as the paper: optimizer uniform over three; learning rate log-uniform
 * [5e-4, 5e-2]; w_init uniform over seven; init_std log-uniform [1e-3, 0.5]; l2 log-uniform
 * [1e-8, 1e-2]; dropout uniform [0, 0.7]; train fraction uniform over {0.1, 0.25, 0.5, 1};
 * activation uniform over relu/tanh. Fixed draw order. Not collective. */
void zl_hparams_sample(zl_rng *r, zl_hparams *hp);

/* Fills params (zl_nn_n_params floats): biases zero, kernels drawn by hp->w_init from r (Keras's
 * initialisers: fans of zl_nn_tensor, truncated normals cut at 2 stddev, orthogonal through a QR
 * of a Gaussian matrix with the signs of diag(R)). Not collective. @return 0 or an error code. */
int zl_train_init_params(const struct zl_nn_s *nn, const zl_hparams *hp, zl_rng *r, float *params);

/* Optimizer state: Keras's slots m and v (n floats each, zero-initialised) and the step count. */
typedef struct {
  float *m, *v;
  long step;
} zl_opt_state;

/* One step of hp->optimizer at hp->learning_rate on the n parameters w with gradient g, with the
 * TensorFlow/Keras formulas (ResourceApplyAdam; RMSprop without momentum): Adam folds the bias
 * corrections into the step size and adds epsilon (1e-7) to sqrt(v) uncorrected. The trainer's
 * update, and the dnn estimator's (zl_mlp.h). Not collective. */
void zl_opt_update(const zl_hparams *hp, zl_opt_state *s, float *w, const float *g, size_t n);

typedef struct {
  double test_accuracy, test_loss;   /* full test set, inference mode */
  double train_accuracy, train_loss; /* the run's training subset, inference mode */
} zl_train_metrics;

/* Called at every checkpoint with the parameters (zl_nn_n_params floats, the zoo row) and their
 * metrics; a non-zero return stops the run and is passed back by zl_train_run. */
typedef int (*zl_train_checkpoint_fn)(void *ctx, int epoch, const float *params,
                                      const zl_train_metrics *m);

typedef struct {
  zl_arch arch;
  int batch_size;         /* 512 */
  int drop_remainder;     /* 1: a last partial minibatch of an epoch is skipped (the paper) */
  const int *checkpoints; /* ascending epochs; 0 = before training */
  int n_checkpoints;
} zl_train_opts;

/* Fills o with the paper's settings: CNN, batch 512, remainder dropped, checkpoints at epochs
 * 0, 1, 2, 3, 20, 40, 60, 80, 86 (the array is static). */
void zl_train_opts_default(zl_train_opts *o);

/* Trains one network: hyperparameters hp (a zoo draws them with zl_hparams_sample from stream
 * ZL_STREAM_HPARAMS of (seed, run_id)), data from train (a seeded subset of hp->train_fraction)
 * and test; calls fn at every checkpoint. Every random draw comes from the streams of
 * (seed, run_id), so the result is reproducible bit for bit from them, given the same OpenBLAS
 * kernel (OPENBLAS_CORETYPE pins it across CPU types) run single-threaded, as the caller ensures
 * (one rank per core). A diverging run is not an error: its non-finite parameters and metrics
 * reach fn like any others. Not collective.
 * @return 0, fn's non-zero return, or an error code (bad options, memory). */
int zl_train_run(const zl_train_opts *o, const zl_hparams *hp, const zl_dataset *train,
                 const zl_dataset *test, uint64_t seed, int64_t run_id, zl_train_checkpoint_fn fn,
                 void *ctx);

#endif
