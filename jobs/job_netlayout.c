#include "zl_netlayout.h"

#include <stdio.h>
#include <string.h>

#include "zl_error.h"

int zl_network_layout(zl_arch arch, int h, int w, zl_tensor *t, int max, int *n, int64_t *P) {
  zl_nn nn = NULL;
  ZL_CALL(zl_nn_create(arch, h, w, ZL_ACT_RELU, &nn));
  const zl_nn_tensor *lay = zl_nn_layout(nn, n);
  int rc = *n > max ? ZL_ERR(ZL_ERR_RUNTIME, "network of %d tensors: more than %d", *n, max) : 0;
  for (int i = 0; !rc && i < *n; i++) {
    memset(&t[i], 0, sizeof t[i]);
    snprintf(t[i].name, sizeof t[i].name, "%s", lay[i].name);
    snprintf(t[i].shape, sizeof t[i].shape, "%s", lay[i].shape);
    t[i].offset = (int64_t)lay[i].offset;
    t[i].size = (int64_t)lay[i].size;
    t[i].kind = lay[i].is_kernel ? ZL_TENSOR_KERNEL : ZL_TENSOR_BIAS;
  }
  *P = (int64_t)zl_nn_n_params(nn);
  zl_nn_destroy(&nn);
  return rc;
}
