/* The paper's small networks (paper-protocol.md): the CNN, 3 x [Conv 3x3, 16 filters, stride 2,
 * 'valid'] + activation (+ dropout) -> global average pooling -> Dense(10), and the MLP,
 * flatten -> 3 x [Dense(16) + activation (+ dropout)] -> Dense(10). Forward and backward passes
 * for minibatches through im2col and OpenBLAS sgemm, NHWC activations, HWIO conv kernels.
 *
 * A network's parameters are one flat float row in the released zoo's order: per layer the bias,
 * then the kernel (HWIO for convolutions, (in, out) for dense layers), C order inside each tensor,
 * so a trained row is directly a zoo row. */
#ifndef ZL_NN_H
#define ZL_NN_H

#include "zl_dataset.h"
#include "zl_rng.h"

#include <stddef.h>

typedef enum { ZL_ARCH_CNN = 0, ZL_ARCH_MLP = 1 } zl_arch;
typedef enum { ZL_ACT_RELU = 0, ZL_ACT_TANH = 1 } zl_activation;

/* One tensor of the parameter row, as the zoo's /layout and the released layout.csv name it. */
typedef struct {
  char name[48];  /* "sequential/conv2d/bias:0" (Keras naming) */
  size_t offset;  /* first column in the row */
  size_t size;    /* number of values */
  char shape[32]; /* Python tuple text: "(16,)", "(3, 3, 1, 16)", "(16, 10)" */
  int is_kernel;  /* 1 kernel, 0 bias */
  int fan_in;     /* Keras's fans (receptive field x channels), for the initialisers */
  int fan_out;
  int rows, cols; /* the kernel as a matrix: prod(shape[:-1]) x shape[-1] */
} zl_nn_tensor;

typedef struct zl_nn_s *zl_nn;

/* Creates a network of architecture arch for h x w grayscale inputs with hidden activation act,
 * and allocates its workspace once (any minibatch size is processed in fixed-size chunks).
 * The CNN needs h, w >= 15. Not collective. @return 0 or an error code. */
int zl_nn_create(zl_arch arch, int h, int w, zl_activation act, zl_nn *nn);

/* Frees the network and sets *nn to NULL. Safe on NULL. */
void zl_nn_destroy(zl_nn *nn);

/* Number of parameters P of a row (4970 for the CNN on 28 x 28). */
size_t zl_nn_n_params(const struct zl_nn_s *nn);

/* The row layout: *n_tensors receives the count; the array lives as long as nn. */
const zl_nn_tensor *zl_nn_layout(const struct zl_nn_s *nn, int *n_tensors);

/* Training objective and its gradient on the minibatch of rows index[0..n) of d (index NULL:
 * rows 0..n): mean softmax cross-entropy of the logits plus l2 * sum of squared kernel entries,
 * with inverted dropout of rate `dropout` after every hidden activation (masks drawn from rng;
 * rng unused when dropout is 0). grad (P floats) is overwritten. Non-finite parameters are not an
 * error: they propagate into *loss and grad. Not collective.
 * @return 0, or an error code when d's image size differs from the network's. */
int zl_nn_loss_grad(zl_nn nn, const float *params, const zl_dataset *d, const size_t *index,
                    size_t n, double dropout, double l2, zl_rng *rng, float *grad, double *loss);

/* Inference (no dropout) over rows index[0..n) of d (index NULL: rows 0..n): *accuracy is the
 * fraction of argmax hits, a sample with any non-finite logit counting as wrong; *loss is the
 * mean cross-entropy without the L2 term (NaN when the network is). Not collective.
 * @return 0 or an error code (image size mismatch). */
int zl_nn_evaluate(zl_nn nn, const float *params, const zl_dataset *d, const size_t *index,
                   size_t n, double *accuracy, double *loss);

#endif
