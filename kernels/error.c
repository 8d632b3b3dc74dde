/* madvise's MADV_HUGEPAGE, which strict POSIX hides. */
#define _DEFAULT_SOURCE

#include "zl_error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static char zl_msg[ZL_ERROR_MAX];
static char zl_where[256];

int zl_error_set(int code, const char *src_file, int src_line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(zl_msg, sizeof zl_msg, fmt, ap);
  va_end(ap);
  const char *base = strrchr(src_file, '/');
  snprintf(zl_where, sizeof zl_where, "%s:%d", base ? base + 1 : src_file, src_line);
  return code ? code : ZL_ERR_RUNTIME;
}

const char *zl_error_message(void) {
  return zl_msg;
}

const char *zl_error_where(void) {
  return zl_where;
}

void zl_error_replace(const char *msg) {
  snprintf(zl_msg, sizeof zl_msg, "%s", msg);
}

void zl_error_clear(void) {
  zl_msg[0] = '\0';
  zl_where[0] = '\0';
}

int zl_mul_size(size_t a, size_t b, size_t *out, const char *what) {
  if (__builtin_mul_overflow(a, b, out))
    return ZL_ERR(ZL_ERR_RUNTIME, "%s: size %zu x %zu overflows", what, a, b);
  return 0;
}

static void *checked(void *p, size_t n, size_t size, const char *what) {
  if (!p && n && size)
    ZL_ERR(ZL_ERR_RUNTIME, "%s: out of memory allocating %zu x %zu bytes", what, n, size);
  return p;
}

void *zl_malloc(size_t n, size_t size, const char *what) {
  if (size && n > SIZE_MAX / size) return checked(NULL, n, size, what);
  size_t bytes = n * size;
  return checked(malloc(bytes ? bytes : 1), n, size, what);
}

void *zl_calloc(size_t n, size_t size, const char *what) {
  return checked(calloc(n ? n : 1, size ? size : 1), n, size, what);
}

void *zl_malloc_large(size_t n, size_t size, const char *what) {
  size_t bytes;
  if (zl_mul_size(n, size, &bytes, what)) return NULL;
#ifdef MADV_HUGEPAGE
  const size_t huge = (size_t)2 << 20;
  if (bytes >= huge && bytes <= SIZE_MAX - huge) {
    const size_t rounded = bytes + (huge - bytes % huge) % huge;
    void *p = aligned_alloc(huge, rounded);
    /* Advice only: where the kernel has no transparent huge pages it fails (EINVAL), and the
     * array is made of ordinary pages, as from malloc. */
    if (p) (void)madvise(p, rounded, MADV_HUGEPAGE);
    return checked(p, n, size, what);
  }
#endif
  return zl_malloc(n, size, what);
}

void *zl_calloc_large(size_t n, size_t size, const char *what) {
  void *p = zl_malloc_large(n, size, what);
  if (p) memset(p, 0, n * size);
  return p;
}
