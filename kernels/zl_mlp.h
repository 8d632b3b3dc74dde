/* The paper's DNN on weight statistics (and NFN's StatNN): a multilayer perceptron on standardised
 * features, ReLU hidden layers, one sigmoid output unit (accuracies lie in [0, 1]) and squared
 * loss. Float parameters and sgemm over a minibatch's rows, as the trainer's networks (zl_nn.h);
 * its Adam is the trainer's (zl_opt_update in zl_train.h). analyze's dnn estimator (mpi/zl_dnncv.h)
 * sums these gradients over fixed row tiles and ranks.
 *
 * The parameter row, as the trainer's: per layer the bias, then the kernel (in, out), row-major. */
#ifndef ZL_MLP_H
#define ZL_MLP_H

#include <stddef.h>

#include "zl_rng.h"

/* The most hidden layers. */
#define ZL_MLP_MAX_HIDDEN 8

typedef struct zl_mlp_s *zl_mlp;

/* A network of F inputs, hidden layers of hidden[0..n_hidden) units and one output, with the
 * workspace of max_rows rows (zl_mlp_grad and zl_mlp_predict take at most that many at once).
 * Not collective. @return 0 or an error code (bad sizes, memory). */
int zl_mlp_create(int F, const int *hidden, int n_hidden, int max_rows, zl_mlp *m);

/* Frees the network and sets *m to NULL. Safe on NULL. */
void zl_mlp_destroy(zl_mlp *m);

/* Number of parameters P. */
size_t zl_mlp_n_params(const struct zl_mlp_s *m);

/* Tensors of the row (2 per layer: bias, kernel): *n receives their count; offset[t] and size[t]
 * (arrays of 2 (ZL_MLP_MAX_HIDDEN + 1)) their columns. Not collective. */
void zl_mlp_tensors(const struct zl_mlp_s *m, int *n, size_t *offset, size_t *size);

/* Fills params: kernels He-uniform (bound sqrt(6 / fan_in), the ReLU layers' scale) for hidden
 * layers and Glorot-uniform for the output, drawn from r in row order; biases zero but the
 * output's, the logit of ybar (clamped to [0.01, 0.99]), so training starts at the mean accuracy.
 * Not collective. */
void zl_mlp_init(const struct zl_mlp_s *m, zl_rng *r, double ybar, float *params);

/* grad (P floats, overwritten) = the sum over rows i < n of the gradient of (yhat_i - y_i)² / 2,
 * for inputs X (n × F, row-major) and targets y; *sse = sum of (yhat_i - y_i)². n <= max_rows.
 * The bits depend only on (params, X, y, n). Not collective. */
void zl_mlp_grad(zl_mlp m, const float *params, const float *X, const double *y, int n, float *grad,
                 double *sse);

/* yhat[i] for rows i < n <= max_rows of X. Not collective. */
void zl_mlp_predict(zl_mlp m, const float *params, const float *X, int n, double *yhat);

#endif
