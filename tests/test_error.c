/* zl_error (serial, 1 process): the allocators' overflow and out-of-memory messages, and
 * zl_malloc_large's arrays, huge-page backed or not, usable to their last byte; zl_calloc_large's
 * zeroed. */
#include "zl_error.h"
#include "zl_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_large(void) {
  /* Below, at and above 2 MiB, and one not a multiple of it. */
  const size_t sizes[4] = {1000, (size_t)2 << 20, ((size_t)5 << 20) + 3, 1};
  for (int k = 0; k < 4; k++) {
    unsigned char *p = zl_malloc_large(sizes[k], 1, "test array");
    ZL_CHECK(p != NULL);
    if (!p) continue;
    memset(p, 0xab, sizes[k]);
    ZL_CHECK(p[0] == 0xab && p[sizes[k] - 1] == 0xab);
    free(p);
  }
}

/* Zeroed even where the memory was used and freed before (the heap's, or a reused mapping). */
static void check_large_zeroed(void) {
  const size_t n = ((size_t)3 << 20) + 5;
  for (int k = 0; k < 2; k++) {
    unsigned char *dirty = zl_malloc_large(n, 1, "test array");
    ZL_CHECK(dirty != NULL);
    if (dirty) memset(dirty, 0xab, n);
    free(dirty);
    unsigned char *p = zl_calloc_large(n, 1, "test array");
    ZL_CHECK(p != NULL);
    size_t nonzero = 0;
    for (size_t i = 0; p && i < n; i++)
      nonzero += p[i] != 0;
    ZL_CHECK(nonzero == 0);
    free(p);
  }
}

static void check_overflow(void) {
  zl_error_clear();
  ZL_CHECK(zl_malloc_large(SIZE_MAX / 2, 4, "feature rows") == NULL);
  ZL_CHECK(strstr(zl_error_message(), "feature rows: size") != NULL);
  ZL_CHECK(strstr(zl_error_message(), "overflows") != NULL);
  zl_error_clear();
  /* Fits size_t, not memory: the out-of-memory message, not a wrapped rounding. */
  ZL_CHECK(zl_malloc_large(SIZE_MAX - 1000, 1, "feature rows") == NULL);
  ZL_CHECK(strstr(zl_error_message(), "feature rows: out of memory") != NULL);
}

int main(void) {
  check_large();
  check_large_zeroed();
  check_overflow();
  return zl_test_finish();
}
