/* Hostile headers (issue 11, item 7): sizes claimed by .npy, idx and CSV files never drive an
 * allocation or a loop unchecked. tests/hostile.cmake runs this under `ulimit -v 1000000` (about
 * 1 GB), so a parser that sized a buffer by a header claiming 10^12 rows fails with "out of
 * memory" instead of the exact message checked here. Serial; files are written into a fresh
 * directory under the working directory and removed afterwards. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "zl_dataset.h"
#include "zl_error.h"
#include "zl_npy.h"
#include "zl_table.h"
#include "zl_test.h"
#include "zl_test_npy.h"

static char dir[64];

static const char *in_dir(const char *name) {
  static char path[4][256];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

/* rc must be an error whose recorded message is exactly want. */
static void expect(int rc, const char *want) {
  ZL_CHECK(rc == ZL_ERR_RUNTIME);
  ZL_CHECK(!strcmp(zl_error_message(), want));
  if (strcmp(zl_error_message(), want))
    fprintf(stderr, "  got:      %s\n  expected: %s\n", zl_error_message(), want);
}

static void expect_npy(const char *path, const char *want) {
  zl_npy npy;
  expect(zl_npy_open(path, &npy), want);
  ZL_CHECK(npy.fd == -1);
}

static void write_bytes(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  ZL_CHECK(f && fwrite(b, 1, n, f) == n && !fclose(f));
}

static void test_npy(void) {
  static const float four[4];
  char want[512];
  /* 10^12 rows of 4970 floats claimed, 16 bytes held: compared with the file size first. */
  const char *rows12 = in_dir("rows12.npy");
  zl_test_write_npy(rows12, 1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 4970), }",
                    four, 4, 0);
  snprintf(want, sizeof want,
           "%s: truncated: header says 1000000000000 x 4970 float32 (19880000000000000 bytes) but "
           "the file holds 16",
           rows12);
  expect_npy(rows12, want);

  /* rows x cols fits in 64 bits, x 4 bytes does not; and rows x cols itself wraps. */
  const char *wrap4 = in_dir("wrap4.npy");
  zl_test_write_npy(wrap4, 1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 1), }",
                    four, 4, 0);
  snprintf(want, sizeof want, "%s: shape (4611686018427387904, 1) is too large", wrap4);
  expect_npy(wrap4, want);
  const char *wrap = in_dir("wrap.npy");
  zl_test_write_npy(wrap, 2,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                    four, 4, 0);
  snprintf(want, sizeof want, "%s: shape (4294967296, 4294967296) is too large", wrap);
  expect_npy(wrap, want);

  /* A negative dimension, and one past int64 (the 19th digit would overflow). */
  const char *neg_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4970), }";
  const char *neg = in_dir("neg.npy");
  zl_test_write_npy(neg, 1, neg_dict, four, 4, 0);
  snprintf(want, sizeof want,
           "%s: malformed .npy header: expected a dimension at character %d of the dict", neg,
           (int)(strchr(neg_dict, '-') - neg_dict));
  expect_npy(neg, want);
  const char *big_dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4), }";
  const char *big = in_dir("big.npy");
  zl_test_write_npy(big, 1, big_dict, four, 4, 0);
  snprintf(want, sizeof want,
           "%s: malformed .npy header: dimension too large at character %d of the dict", big,
           (int)(strstr(big_dict, "999") - big_dict) + 18);
  expect_npy(big, want);

  /* Header lengths past the end of the file: 1.0's 16-bit length and 2.0's 32-bit one. */
  const unsigned char v1[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x60, 0xea, '{'};
  const char *hlen1 = in_dir("hlen1.npy");
  write_bytes(hlen1, v1, sizeof v1);
  snprintf(want, sizeof want, "%s: truncated .npy header", hlen1);
  expect_npy(hlen1, want);
  const unsigned char v2[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0xff, '{'};
  const char *hlen2 = in_dir("hlen2.npy");
  write_bytes(hlen2, v2, sizeof v2);
  snprintf(want, sizeof want, "%s: .npy header of 4294967295 bytes is implausibly long", hlen2);
  expect_npy(hlen2, want);
}

/* An idx3 header (magic 0x803, n, rows, cols, big-endian) then `pixels` bytes of value 7, plain or
 * gzip. */
static void write_idx3(const char *path, int gz, uint32_t n, uint32_t side, size_t pixels) {
  unsigned char h[16] = {0, 0, 8, 3};
  uint32_t v[3] = {n, side, side};
  for (int i = 0; i < 3; i++)
    for (int b = 0; b < 4; b++)
      h[4 + 4 * i + b] = (unsigned char)(v[i] >> (24 - 8 * b));
  unsigned char *p = malloc(pixels ? pixels : 1);
  memset(p, 7, pixels);
  gzFile f = gzopen(path, gz ? "wb" : "wbT"); /* T: written without compression */
  ZL_CHECK(f && gzwrite(f, h, 16) == 16 && (!pixels || gzwrite(f, p, (unsigned)pixels) > 0) &&
           gzclose(f) == Z_OK);
  free(p);
}

static void write_idx1(const char *path, uint32_t n) {
  unsigned char h[8] = {0,
                        0,
                        8,
                        1,
                        (unsigned char)(n >> 24),
                        (unsigned char)(n >> 16),
                        (unsigned char)(n >> 8),
                        (unsigned char)n};
  unsigned char *y = calloc(n, 1);
  FILE *f = fopen(path, "wb");
  ZL_CHECK(f && fwrite(h, 1, 8, f) == 8 && fwrite(y, 1, n, f) == n && !fclose(f));
  free(y);
}

static void test_idx(void) {
  char want[512];
  zl_dataset d;
  /* 10^9 images of 28 x 28 claimed in a file of 116 bytes. Plain: the file size is known, so the
   * claim fails before anything is allocated. */
  const char *plain = in_dir("images-plain"), *labels = in_dir("labels");
  write_idx3(plain, 0, 1000000000u, 28, 100);
  snprintf(want, sizeof want,
           "%s: header claims 1000000000 images of 28 x 28 pixels, the file holds 116 bytes",
           plain);
  expect(zl_dataset_read_idx(plain, labels, &d), want);
  ZL_CHECK(d.x == NULL && d.n == 0);
  /* gzip: the decompressed size is unknown, so the pixels grow as they arrive and the end of the
   * data is the error. */
  const char *gz = in_dir("images.gz");
  write_idx3(gz, 1, 1000000000u, 28, 100);
  snprintf(want, sizeof want, "%s: truncated pixel data (100 of 784000000000 bytes)", gz);
  expect(zl_dataset_read_idx(gz, labels, &d), want);
  ZL_CHECK(d.x == NULL && d.n == 0);
  /* The largest claim a header can make: 2^32 - 1 images of 4096 x 4096. */
  write_idx3(gz, 1, 0xffffffffu, 4096, 5000);
  snprintf(want, sizeof want, "%s: truncated pixel data (5000 of 72057594021150720 bytes)", gz);
  expect(zl_dataset_read_idx(gz, labels, &d), want);

  /* A genuine gzip file larger than the first allocation still reads whole (the growth path). */
  const uint32_t n = 2000;
  write_idx3(gz, 1, n, 28, (size_t)n * 784);
  write_idx1(labels, n);
  int rc = zl_dataset_read_idx(gz, labels, &d);
  ZL_CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "%s\n", zl_error_message());
    return;
  }
  ZL_CHECK(d.n == n && d.h == 28 && d.w == 28);
  int ok = 1;
  for (size_t i = 0; i < (size_t)n * 784; i++)
    ok &= d.x[i] == 7.0f / 127.5f - 1.0f;
  ZL_CHECK(ok);
  zl_dataset_free(&d);
}

static void test_csv(void) {
  char want[512];
  zl_table t;
  /* A field of 2 MiB, on line 2: refused once it passes 1 MiB. */
  const char *longf = in_dir("long.csv");
  FILE *f = fopen(longf, "wb");
  fputs("a,b\n1,", f);
  for (int i = 0; i < 2 << 20; i++)
    fputc('x', f);
  fputs("\n", f);
  fclose(f);
  snprintf(want, sizeof want, "%s: line 2: a field longer than 1048576 bytes", longf);
  expect(zl_table_read(longf, &t), want);
  ZL_CHECK(t == NULL);
  /* A header of 100000 empty columns. */
  const char *wide = in_dir("wide.csv");
  f = fopen(wide, "wb");
  for (int i = 1; i < 100000; i++)
    fputc(',', f);
  fputs("\n", f);
  fclose(f);
  snprintf(want, sizeof want, "%s: line 1: more than 65536 fields", wide);
  expect(zl_table_read(wide, &t), want);
  ZL_CHECK(t == NULL);
}

int main(void) {
  snprintf(dir, sizeof dir, "hostile.XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_npy();
  test_idx();
  test_csv();
  const char *names[] = {"rows12.npy", "wrap4.npy", "wrap.npy",  "neg.npy",
                         "big.npy",    "hlen1.npy", "hlen2.npy", "images-plain",
                         "images.gz",  "labels",    "long.csv",  "wide.csv"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    unlink(in_dir(names[i]));
  rmdir(dir);
  return zl_test_finish();
}
