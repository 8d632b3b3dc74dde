/* zl_dataset: idx (plain, gzip) and CIFAR loaders, every bad-file message; serial. */
#define _POSIX_C_SOURCE 200809L /* mkdir for the scratch directory */
#include "zl_dataset.h"
#include "zl_error.h"
#include "zl_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define DIR "test_dataset.d"

static void put32(unsigned char *b, uint32_t v) {
  b[0] = (unsigned char)(v >> 24);
  b[1] = (unsigned char)(v >> 16);
  b[2] = (unsigned char)(v >> 8);
  b[3] = (unsigned char)v;
}

/* Writes bytes to path, gzip-compressed when gz. */
static void write_file(const char *path, const void *data, size_t n, int gz) {
  remove(path);
  if (gz) {
    gzFile f = gzopen(path, "wb");
    gzwrite(f, data, (unsigned)n);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
  }
}

/* An idx3 file of n images h x w with pixel bytes pix (magic overridable), truncated to keep
 * bytes when keep > 0. */
static void write_images(const char *path, uint32_t magic, uint32_t n, uint32_t h, uint32_t w,
                         const unsigned char *pix, size_t keep, int gz) {
  size_t total = 16 + (size_t)n * h * w;
  unsigned char *b = calloc(total, 1);
  put32(b, magic);
  put32(b + 4, n);
  put32(b + 8, h);
  put32(b + 12, w);
  if (pix) memcpy(b + 16, pix, total - 16);
  write_file(path, b, keep ? keep : total, gz);
  free(b);
}

static void write_labels(const char *path, uint32_t magic, uint32_t n, const unsigned char *y,
                         size_t keep, int gz) {
  unsigned char b[64];
  put32(b, magic);
  put32(b + 4, n);
  memcpy(b + 8, y, n);
  write_file(path, b, keep ? keep : 8 + n, gz);
}

static const unsigned char PIX[3 * 2 * 3] = {0,  255, 51, 1,   2,   3,   10,  20,  30,
                                             40, 50,  60, 100, 127, 128, 200, 254, 255};
static const unsigned char LAB[3] = {0, 9, 5};

static void check_set(const zl_dataset *d) {
  ZL_CHECK(d->n == 3 && d->h == 2 && d->w == 3);
  int ok = 1;
  for (int i = 0; i < 18; i++)
    ok &= fabs(d->x[i] - (PIX[i] / 255.0 * 2 - 1)) < 1e-7;
  ZL_CHECK(ok);
  ZL_CHECK(d->x[0] == -1.0f && d->x[1] == 1.0f);
  ZL_CHECK(d->y[0] == 0 && d->y[1] == 9 && d->y[2] == 5);
}

/* Loading must fail with exactly this message and leave the set empty. */
static void expect_idx_error(const char *images, const char *labels, const char *want) {
  zl_dataset d;
  int rc = zl_dataset_read_idx(images, labels, &d);
  ZL_CHECK(rc == ZL_ERR_RUNTIME);
  ZL_CHECK(d.x == NULL && d.y == NULL && d.n == 0);
  if (strcmp(zl_error_message(), want) != 0)
    fprintf(stderr, "got  \"%s\"\nwant \"%s\"\n", zl_error_message(), want);
  ZL_CHECK(strcmp(zl_error_message(), want) == 0);
}

static void test_idx(void) {
  const char *img = DIR "/train-images-idx3-ubyte", *lab = DIR "/train-labels-idx1-ubyte";
  const char *gimg = DIR "/t10k-images-idx3-ubyte.gz", *glab = DIR "/t10k-labels-idx1-ubyte.gz";
  write_images(img, 0x803, 3, 2, 3, PIX, 0, 0);
  write_labels(lab, 0x801, 3, LAB, 0, 0);
  write_images(gimg, 0x803, 3, 2, 3, PIX, 0, 1);
  write_labels(glab, 0x801, 3, LAB, 0, 1);
  zl_dataset d;
  ZL_CHECK(zl_dataset_read_idx(img, lab, &d) == 0);
  check_set(&d);
  zl_dataset_free(&d);
  ZL_CHECK(d.x == NULL && d.n == 0);
  ZL_CHECK(zl_dataset_read_idx(gimg, glab, &d) == 0);
  check_set(&d);
  zl_dataset_free(&d);

  /* A directory with plain training files and gzip test files. */
  zl_dataset train, test;
  ZL_CHECK(zl_dataset_load_dir(DIR, &train, &test) == 0);
  check_set(&train);
  check_set(&test);
  zl_dataset_free(&train);
  zl_dataset_free(&test);

  const char *bad = DIR "/bad-images", *badl = DIR "/bad-labels";
  write_images(bad, 0x801, 3, 2, 3, PIX, 0, 1);
  expect_idx_error(bad, lab,
                   DIR "/bad-images: magic 0x00000801 is not an idx3 image file (0x00000803)");
  write_labels(badl, 0x803, 3, LAB, 0, 0);
  expect_idx_error(img, badl,
                   DIR "/bad-labels: magic 0x00000803 is not an idx1 label file (0x00000801)");
  write_images(bad, 0x803, 3, 2, 3, PIX, 6, 0);
  expect_idx_error(bad, lab, DIR "/bad-images: truncated header (6 of 16 bytes)");
  write_images(bad, 0x803, 3, 2, 3, PIX, 26, 1);
  expect_idx_error(bad, lab, DIR "/bad-images: truncated pixel data (10 of 18 bytes)");
  write_images(bad, 0x803, 0, 2, 3, NULL, 0, 0);
  expect_idx_error(bad, lab, DIR "/bad-images: contains no images");
  write_images(bad, 0x803, 3, 0, 3, NULL, 0, 0);
  expect_idx_error(bad, lab, DIR "/bad-images: image size 0 x 3 is outside 1..4096");
  write_labels(badl, 0x801, 3, LAB, 10, 0);
  expect_idx_error(img, badl, DIR "/bad-labels: truncated labels (2 of 3 bytes)");
  const unsigned char four[4] = {1, 2, 3, 4};
  write_labels(badl, 0x801, 4, four, 0, 1);
  expect_idx_error(img, badl,
                   DIR "/bad-labels: 4 labels for the 3 images of " DIR "/train-images-idx3-ubyte");
  const unsigned char out_of_range[3] = {1, 10, 2};
  write_labels(badl, 0x801, 3, out_of_range, 0, 0);
  expect_idx_error(img, badl, DIR "/bad-labels: label 10 of item 1 is outside 0..9");
  expect_idx_error(DIR "/missing", lab, DIR "/missing: cannot open (No such file or directory)");

  /* A gzip stream cut short reads as a truncated file. */
  unsigned char big[16 + 200 * 28 * 28];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (unsigned char)(i * 7919u >> 3);
  put32(big, 0x803);
  put32(big + 4, 200);
  put32(big + 8, 28);
  put32(big + 12, 28);
  write_file(bad, big, sizeof big, 1);
  FILE *f = fopen(bad, "rb");
  unsigned char z[sizeof big];
  size_t zn = fread(z, 1, sizeof z, f);
  fclose(f);
  write_file(bad, z, zn / 2, 0);
  ZL_CHECK(zl_dataset_read_idx(bad, lab, &d) == ZL_ERR_RUNTIME);
  const char *cut = DIR "/bad-images: truncated pixel data (";
  ZL_CHECK(strncmp(zl_error_message(), cut, strlen(cut)) == 0);

  /* A directory missing one of the four files names it. */
  remove(glab);
  ZL_CHECK(zl_dataset_load_dir(DIR, &train, &test) == ZL_ERR_RUNTIME);
  ZL_CHECK(train.x == NULL && test.x == NULL);
  ZL_CHECK(strcmp(zl_error_message(), DIR "/t10k-labels-idx1-ubyte: not found (nor "
                                          "t10k-labels-idx1-ubyte.gz)") == 0);
  remove(img);
  remove(lab);
  remove(gimg);
  remove(bad);
  remove(badl);
}

enum { PLANE = 1024, RECORD = 1 + 3 * PLANE };

/* Record k: label, then R, G, B planes with a pattern varying per pixel and channel. */
static void cifar_record(unsigned char *rec, int k, int label) {
  rec[0] = (unsigned char)label;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < PLANE; i++)
      rec[1 + c * PLANE + i] = (unsigned char)(i * (c + 1) + 17 * k);
}

static void test_cifar(void) {
  const char *path = DIR "/c.bin";
  unsigned char recs[2 * RECORD];
  cifar_record(recs, 0, 3);
  cifar_record(recs + RECORD, 1, 9);
  write_file(path, recs, sizeof recs, 0);
  zl_dataset d;
  ZL_CHECK(zl_dataset_read_cifar(&path, 1, &d) == 0);
  ZL_CHECK(d.n == 2 && d.h == 32 && d.w == 32 && d.y[0] == 3 && d.y[1] == 9);
  double worst = 0;
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < PLANE; i++) {
      const unsigned char *r = recs + k * RECORD + 1;
      /* the mean over RGB of each channel's x/255 mapped to [-1, 1] */
      double want =
          ((r[i] / 127.5 - 1) + (r[PLANE + i] / 127.5 - 1) + (r[2 * PLANE + i] / 127.5 - 1)) / 3;
      worst = fmax(worst, fabs(d.x[k * PLANE + i] - want));
    }
  ZL_CHECK(worst < 1e-6);
  zl_dataset_free(&d);

  const char *two[2] = {path, path};
  ZL_CHECK(zl_dataset_read_cifar(two, 2, &d) == 0 && d.n == 4 && d.y[2] == 3);
  zl_dataset_free(&d);

  write_file(path, recs, RECORD + 100, 1);
  ZL_CHECK(zl_dataset_read_cifar(&path, 1, &d) == ZL_ERR_RUNTIME && d.x == NULL);
  ZL_CHECK(strcmp(zl_error_message(), DIR "/c.bin: truncated record 1 (100 of 3073 bytes)") == 0);
  recs[RECORD] = 10;
  write_file(path, recs, sizeof recs, 0);
  ZL_CHECK(zl_dataset_read_cifar(&path, 1, &d) == ZL_ERR_RUNTIME);
  ZL_CHECK(strcmp(zl_error_message(), DIR "/c.bin: label 10 of item 1 is outside 0..9") == 0);
  write_file(path, recs, 0, 0);
  ZL_CHECK(zl_dataset_read_cifar(&path, 1, &d) == ZL_ERR_RUNTIME);
  ZL_CHECK(strcmp(zl_error_message(), DIR "/c.bin: contains no images") == 0);
  remove(path);

  /* A CIFAR-10 directory: five training batches and the test batch. */
  recs[RECORD] = 9;
  char name[64];
  for (int i = 1; i <= 5; i++) {
    snprintf(name, sizeof name, DIR "/data_batch_%d.bin", i);
    write_file(name, recs, sizeof recs, 0);
  }
  write_file(DIR "/test_batch.bin", recs, RECORD, 0);
  zl_dataset train, test;
  ZL_CHECK(zl_dataset_load_dir(DIR, &train, &test) == 0);
  ZL_CHECK(train.n == 10 && test.n == 1 && test.h == 32 && train.y[9] == 9);
  zl_dataset_free(&train);
  zl_dataset_free(&test);
  remove(DIR "/data_batch_3.bin");
  ZL_CHECK(zl_dataset_load_dir(DIR, &train, &test) == ZL_ERR_RUNTIME);
  ZL_CHECK(strcmp(zl_error_message(),
                  DIR "/data_batch_3.bin: cannot open (No such file or directory)") == 0);
  for (int i = 1; i <= 5; i++) {
    snprintf(name, sizeof name, DIR "/data_batch_%d.bin", i);
    remove(name);
  }
  remove(DIR "/test_batch.bin");
}

int main(void) {
  mkdir(DIR, 0755);
  test_idx();
  test_cifar();
  return zl_test_finish();
}
