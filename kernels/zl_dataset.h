/* Image classification data sets for zoolens train: idx files (MNIST, Fashion-MNIST; plain or
 * gzip) and CIFAR-10 binary batches turned grayscale, all as float pixels in [-1, 1]
 * (paper-protocol.md, Training). */
#ifndef ZL_DATASET_H
#define ZL_DATASET_H

#include <stddef.h>
#include <stdint.h>

#define ZL_DATASET_CLASSES 10

/* n grayscale images of h x w pixels, row-major, image after image (NHWC with C = 1), and their
 * labels in [0, ZL_DATASET_CLASSES). The struct owns x and y; a caller may narrow n to use a
 * prefix of the set, as long as zl_dataset_free still receives the original pointers. */
typedef struct {
  size_t n;
  int h, w;
  float *x;   /* n * h * w pixels, x/255 mapped to [-1, 1] */
  uint8_t *y; /* n labels */
} zl_dataset;

/* Reads an idx3 image file and its idx1 label file (each plain or gzip). Errors, recorded as
 * "<path>: <what>": missing file, wrong magic, zero or oversized dimensions, truncated data,
 * image/label count mismatch, label out of range. On failure *d is left empty.
 * Not collective. @return 0 or an error code. */
int zl_dataset_read_idx(const char *images_path, const char *labels_path, zl_dataset *d);

/* Reads n_paths CIFAR-10 binary batches (records of 1 label byte + 1024 R, 1024 G, 1024 B bytes;
 * plain or gzip) into one 32 x 32 set, grayscale as the mean over RGB. Not collective.
 * @return 0 or an error code ("<path>: truncated record …", label out of range, missing file). */
int zl_dataset_read_cifar(const char *const *paths, int n_paths, zl_dataset *d);

/* Loads a data set directory: the four idx files train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each with or without .gz), or else the CIFAR-10
 * batches data_batch_1.bin … data_batch_5.bin and test_batch.bin. Not collective.
 * @return 0 or an error code; on failure both sets are left empty. */
int zl_dataset_load_dir(const char *dir, zl_dataset *train, zl_dataset *test);

/* Frees the pixels and labels and zeroes *d. Safe on an empty set. */
void zl_dataset_free(zl_dataset *d);

#endif
