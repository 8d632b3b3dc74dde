/* libFuzzer harness (1 process, no MPI): arbitrary bytes as an idx3 image file and its idx1
 * label file (plain or gzip), as zoolens train reads MNIST. The first two bytes give the image
 * file's length (little-endian, capped at what is left); the rest is the label file. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "zl_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t split = (size_t)data[0] | (size_t)data[1] << 8;
  data += 2;
  size -= 2;
  if (split > size) split = size;
  const char *images = zl_fuzz_file(0, "-images", data, split);
  const char *labels = zl_fuzz_file(1, "-labels", data + split, size - split);
  zl_dataset d;
  if (!zl_dataset_read_idx(images, labels, &d)) {
    /* Accepted: every pixel in [-1, 1] and every label a class. */
    size_t pixels = d.n * (size_t)d.h * (size_t)d.w;
    for (size_t i = 0; i < pixels; i++)
      if (!(d.x[i] >= -1.0f && d.x[i] <= 1.0f)) abort();
    for (size_t i = 0; i < d.n; i++)
      if (d.y[i] >= ZL_DATASET_CLASSES) abort();
  }
  zl_dataset_free(&d);
  return 0;
}
