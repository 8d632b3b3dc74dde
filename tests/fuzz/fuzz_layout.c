/* libFuzzer harness (1 process, MPI not initialised: the reader is serial): arbitrary bytes as a
 * released zoo's layout.csv, read by zoolens import's zl_import_read_layout for a 30-parameter
 * toy, the paper's 4970-parameter CNN and an absurd INT64_MAX parameters (a count that must never
 * size anything). An accepted layout must tile [0, n_params) with named kernels and biases. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "zl_netlayout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int64_t n_params[] = {30, 4970, INT64_MAX};
  const char *path = zl_fuzz_file(0, "-layout.csv", data, size);
  for (size_t k = 0; k < sizeof n_params / sizeof n_params[0]; k++) {
    zl_tensor *t = NULL;
    int n = 0;
    if (zl_import_read_layout(path, n_params[k], &t, &n)) {
      if (t || n) abort(); /* a failure leaves nothing to free */
      continue;
    }
    int64_t end = 0;
    for (int i = 0; i < n; i++) {
      if (t[i].offset != end || t[i].size < 1 || memchr(t[i].name, 0, sizeof t[i].name) == NULL ||
          memchr(t[i].shape, 0, sizeof t[i].shape) == NULL)
        abort();
      end += t[i].size;
    }
    if (n < 1 || end != n_params[k]) abort();
    free(t);
  }
  return 0;
}
