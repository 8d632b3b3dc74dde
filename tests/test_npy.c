/* zl_npy: .npy 1.0/2.0/3.0 headers, row reads, each rejection's exact message (serial, 1 rank). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_error.h"
#include "zl_npy.h"
#include "zl_test.h"
#include "zl_test_npy.h"

/* Data 0.5 * i for every file (at most 400 floats are used). */
static float data[400];

static void write_npy(const char *path, int major, const char *dict, long floats, int extra) {
  zl_test_write_npy(path, major, dict, data, floats, extra);
}

static const char *const numpy_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";

static void check_good(const char *path, int major, const char *dict, long rows, long cols) {
  zl_npy npy;
  write_npy(path, major, dict, rows * cols, 0);
  int rc = zl_npy_open(path, &npy);
  ZL_CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "%s\n", zl_error_message());
    return;
  }
  ZL_CHECK(npy.version == major && npy.rows == rows && npy.cols == cols);
  ZL_CHECK(npy.data_offset % 64 == 0);
  float *buf = calloc((size_t)(rows * cols), sizeof *buf);
  ZL_CHECK(zl_npy_read_rows(&npy, 1, rows - 1, buf) == 0);
  int ok = 1;
  for (long i = 0; i < (rows - 1) * cols; i++)
    ok &= buf[i] == 0.5f * (float)(cols + i);
  ZL_CHECK(ok);
  ZL_CHECK(zl_npy_read_rows(&npy, rows - 1, 2, buf) == 1);
  free(buf);
  zl_npy_close(&npy);
  zl_npy_close(&npy); /* twice is harmless */
}

/* The file is rejected with exactly `message`. */
static void check_bad(const char *path, const char *message) {
  zl_npy npy;
  ZL_CHECK(zl_npy_open(path, &npy) == 1);
  ZL_CHECK(npy.fd == -1);
  if (strcmp(zl_error_message(), message)) {
    fprintf(stderr, "%s: got '%s'\n  expected '%s'\n", path, zl_error_message(), message);
    ZL_CHECK(0);
  }
  zl_npy_close(&npy);
}

int main(void) {
  for (int i = 0; i < 400; i++)
    data[i] = 0.5f * (float)i;
  check_good("v1.npy", 1, numpy_dict, 3, 4);
  check_good("v2.npy", 2, "{\"shape\": (5,4),\"fortran_order\":False ,\"descr\":\"<f4\"}", 5, 4);
  check_good("v3.npy", 3, "{'descr':'<f4','fortran_order':False,'shape':(1, 7)}", 1, 7);

  check_bad("missing.npy", "missing.npy: no such file");
  FILE *f = fopen("magic.npy", "wb");
  fputs("PK\x03\x04 this is a zip file, not an array", f);
  fclose(f);
  check_bad("magic.npy", "magic.npy: not a .npy file (no \\x93NUMPY magic)");
  write_npy("v4.npy", 4, numpy_dict, 12, 0);
  check_bad("v4.npy", "v4.npy: .npy format 4.0 is not supported (1.0, 2.0, 3.0 are)");
  write_npy("f8.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", 12, 0);
  check_bad("f8.npy", "f8.npy: dtype '<f8' is not float32 ('<f4')");
  write_npy("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }", 12, 0);
  check_bad("be.npy", "be.npy: dtype '>f4' is not float32 ('<f4')");
  write_npy("rec.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", 3,
            0);
  check_bad("rec.npy", "rec.npy: dtype is a structured array, not float32 ('<f4')");
  write_npy("fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", 12, 0);
  check_bad("fortran.npy", "fortran.npy: fortran_order is True; zoolens reads C-order arrays");
  write_npy("1d.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (400,), }", 400, 0);
  check_bad("1d.npy", "1d.npy: shape (400,) is not 2-D");
  write_npy("3d.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 24, 0);
  check_bad("3d.npy", "3d.npy: shape (2, 3, 4) is not 2-D");
  write_npy("short.npy", 1, numpy_dict, 10, 0);
  check_bad("short.npy",
            "short.npy: truncated: header says 3 x 4 float32 (48 bytes) but the file holds 40");
  write_npy("long.npy", 1, numpy_dict, 12, 3);
  check_bad("long.npy", "long.npy: header says 3 x 4 float32 (48 bytes) but the file holds 51");
  write_npy("noshape.npy", 1, "{'descr': '<f4', 'fortran_order': False}", 12, 0);
  check_bad("noshape.npy", "noshape.npy: the .npy header has no 'shape'");
  write_npy("key.npy", 1, "{'descr': '<f4', 'order': 'C', 'shape': (3, 4)}", 12, 0);
  check_bad("key.npy", "key.npy: malformed .npy header: unexpected key 'order'");
  write_npy("brace.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)", 12, 0);
  check_bad("brace.npy", "brace.npy: malformed .npy header: expected ',' or '}' at its end");
  write_npy("colon.npy", 1, "{'descr' '<f4'}", 12, 0);
  check_bad("colon.npy",
            "colon.npy: malformed .npy header: expected ':' at character 9 of the dict");
  f = fopen("hdr.npy", "wb"); /* says 4000 header bytes, holds 6 */
  fwrite("\x93NUMPY\x01\x00\xa0\x0f{'des", 1, 16, f);
  fclose(f);
  check_bad("hdr.npy", "hdr.npy: truncated .npy header");
  return zl_test_finish();
}
