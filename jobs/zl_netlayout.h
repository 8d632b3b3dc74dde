/* The zoo /layout of one of zoolens's networks (train and synth write the same tensors). */
#ifndef ZL_NETLAYOUT_H
#define ZL_NETLAYOUT_H

#include <stdint.h>

#include "zl_nn.h"
#include "zl_zoo.h"

/* Tensors of the largest network zoolens builds (the MLP: 4 layers × bias, kernel), with room. */
#define ZL_MAX_TENSORS 16

/* Fills t (room for max tensors) with the layout of architecture arch on h × w inputs; *n gets the
 * number of tensors and *P the parameters. Not collective. */
int zl_network_layout(zl_arch arch, int h, int w, zl_tensor *t, int max, int *n, int64_t *P);

#endif
