#include "zl_sort.h"

#include <string.h>

void zl_sort_u64(uint64_t *a, uint64_t *tmp, size_t n) {
  size_t count[8][256];
  memset(count, 0, sizeof count);
  for (size_t i = 0; i < n; i++)
    for (int d = 0; d < 8; d++)
      count[d][(a[i] >> (8 * d)) & 255]++;
  uint64_t *src = a, *dst = tmp;
  for (int d = 0; d < 8; d++) {
    size_t *c = count[d], sum = 0;
    if (n == 0 || c[(a[0] >> (8 * d)) & 255] == n) continue; /* one digit everywhere */
    for (int b = 0; b < 256; b++) {
      size_t t = c[b];
      c[b] = sum;
      sum += t;
    }
    for (size_t i = 0; i < n; i++)
      dst[c[(src[i] >> (8 * d)) & 255]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}
