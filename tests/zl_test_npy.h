/* Writes .npy files for tests byte by byte, independently of kernels/npy.c. */
#ifndef ZL_TEST_NPY_H
#define ZL_TEST_NPY_H

#include <stdio.h>
#include <string.h>

/* Writes magic, version major.0, the dict padded with spaces to a 64-byte boundary and ended by a
 * newline (as numpy does), then n floats of data (host order: little-endian here), then `extra`
 * zero bytes. Returns 0, or -1 when the file cannot be written. */
static inline int zl_test_write_npy(const char *path, int major, const char *dict,
                                    const float *data, long n, int extra) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t prefix = major == 1 ? 10 : 12, len = strlen(dict) + 1;
  while ((prefix + len) % 64)
    len++;
  fwrite("\x93NUMPY", 1, 6, f);
  fputc(major, f);
  fputc(0, f);
  for (size_t i = 0; i < prefix - 8; i++)
    fputc((int)((len >> (8 * i)) & 0xff), f);
  fputs(dict, f);
  for (size_t i = strlen(dict) + 1; i < len; i++)
    fputc(' ', f);
  fputc('\n', f);
  fwrite(data, sizeof *data, (size_t)n, f);
  for (int i = 0; i < extra; i++)
    fputc(0, f);
  return fclose(f) ? -1 : 0;
}

#endif
