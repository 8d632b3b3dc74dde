/* zl_sort_u64 against qsort: random keys, keys equal in some bytes (skipped passes), duplicates,
 * sizes 0, 1 and odd (serial). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zl_sort.h"
#include "zl_test.h"

static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static void check(uint64_t *a, size_t n) {
  uint64_t *ref = malloc(sizeof *a * (n + 1)), *tmp = malloc(sizeof *a * (n + 1));
  memcpy(ref, a, sizeof *a * n);
  qsort(ref, n, sizeof *ref, cmp);
  zl_sort_u64(a, tmp, n);
  ZL_CHECK(n == 0 || memcmp(a, ref, sizeof *a * n) == 0);
  free(ref);
  free(tmp);
}

int main(void) {
  enum { N = 100003 };
  uint64_t *a = malloc(sizeof *a * N), s = 1;
  for (int pattern = 0; pattern < 4; pattern++) {
    for (size_t i = 0; i < N; i++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      a[i] = pattern == 0   ? s
             : pattern == 1 ? (s >> 40) << 8 /* low byte and high bytes constant */
             : pattern == 2 ? s % 7          /* many duplicates */
                            : UINT64_MAX - (s >> 63);
    }
    check(a, N);
  }
  check(a, 0);
  a[0] = 42;
  check(a, 1);
  printf("%d passed, %d failed\n", zl_test_passed, zl_test_failed);
  free(a);
  return zl_test_failed != 0;
}
