/* Writes the small data set of the zoolens train tests (serial): DIR/ holds plain idx files of 1024
 * training and 512 test images, 28 x 28, whose class (0..9) sets a stripe pattern (horizontal or
 * vertical, period 2..6 pixels) under noise, so that networks see structured inputs (the tests
 * check bits, not learning: that is the MNIST test's); DIR/bad/ holds the same files with the
 * test images cut off after 1000 pixels.
 * usage: train_data DIR */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zl_rng.h"

enum { SIDE = 28, N_TRAIN = 1024, N_TEST = 512, CUT = 1000 };
static const double TWO_PI = 6.283185307179586;

static void put32(FILE *f, uint32_t v) {
  unsigned char b[4] = {v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff};
  fwrite(b, 1, 4, f);
}

/* Writes DIR/<prefix>-images-idx3-ubyte and DIR/<prefix>-labels-idx1-ubyte, the images cut to
 * `keep` pixel bytes when keep > 0. */
static int write_set(const char *dir, const char *prefix, int n, uint64_t stream, size_t keep) {
  char ipath[4096], lpath[4096];
  snprintf(ipath, sizeof ipath, "%s/%s-images-idx3-ubyte", dir, prefix);
  snprintf(lpath, sizeof lpath, "%s/%s-labels-idx1-ubyte", dir, prefix);
  FILE *fi = fopen(ipath, "wb"), *fl = fopen(lpath, "wb");
  if (!fi || !fl) {
    fprintf(stderr, "train_data: cannot write %s: %s\n", fi ? lpath : ipath, strerror(errno));
    return 1;
  }
  put32(fi, 0x803);
  put32(fi, (uint32_t)n);
  put32(fi, SIDE);
  put32(fi, SIDE);
  put32(fl, 0x801);
  put32(fl, (uint32_t)n);
  zl_rng r;
  zl_rng_init(&r, 20250101, stream);
  size_t written = 0;
  for (int i = 0; i < n; i++) {
    unsigned char label = (unsigned char)zl_rng_below(&r, 10), img[SIDE * SIDE];
    double period = 2 + label / 2, phase = period * zl_rng_uniform(&r);
    for (int y = 0; y < SIDE; y++)
      for (int x = 0; x < SIDE; x++) {
        double t = (label % 2 ? x : y) + phase;
        double v = 128 + 90 * cos(TWO_PI * t / period) + 40 * zl_rng_normal(&r);
        img[y * SIDE + x] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    size_t take = keep && written + sizeof img > keep ? keep - written : sizeof img;
    written += fwrite(img, 1, take, fi);
    fwrite(&label, 1, 1, fl);
  }
  int bad = ferror(fi) || ferror(fl);
  bad |= fclose(fi) != 0;
  bad |= fclose(fl) != 0;
  if (bad) fprintf(stderr, "train_data: writing %s failed\n", ipath);
  return bad;
}

/* mkdir -p */
static int make_dirs(const char *path) {
  char p[4096];
  snprintf(p, sizeof p, "%s", path);
  for (char *c = p + 1;; c++)
    if (*c == '/' || !*c) {
      char end = *c;
      *c = '\0';
      if (mkdir(p, 0777) && errno != EEXIST) {
        fprintf(stderr, "train_data: cannot create %s: %s\n", p, strerror(errno));
        return 1;
      }
      if (!end) return 0;
      *c = end;
    }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: train_data DIR\n");
    return 2;
  }
  char bad[4096];
  snprintf(bad, sizeof bad, "%s/bad", argv[1]);
  return make_dirs(bad) || write_set(argv[1], "train", N_TRAIN, 1, 0) ||
         write_set(argv[1], "t10k", N_TEST, 2, 0) || write_set(bad, "train", N_TRAIN, 1, 0) ||
         write_set(bad, "t10k", N_TEST, 2, CUT);
}
