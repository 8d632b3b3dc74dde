/* Error recording shared by every module: a failing call records one line of text
 * ("<file or dataset>: <what is wrong>") and returns a non-zero code that callers pass up. */
#ifndef ZL_ERROR_H
#define ZL_ERROR_H

#include <stddef.h>

/* Exit codes of design §5; functions return them as their error codes. */
enum { ZL_OK = 0, ZL_ERR_RUNTIME = 1, ZL_ERR_USAGE = 2 };

#define ZL_ERROR_MAX 1024

/* Records the message (printf format) with the source location; returns code.
 * Not collective. The message is kept per process until the next call or zl_error_clear. */
int zl_error_set(int code, const char *src_file, int src_line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The recorded message, "" when none. */
const char *zl_error_message(void);

/* Where the recorded error was raised ("file.c:123"), "" when none. */
const char *zl_error_where(void);

/* Replaces the recorded message (used to carry another rank's message). */
void zl_error_replace(const char *msg);

void zl_error_clear(void);

#define ZL_ERR(code, ...) zl_error_set((code), __FILE__, __LINE__, __VA_ARGS__)

/* Calls an int-returning function and returns its code from the caller on failure. */
#define ZL_CALL(expr)                                                                              \
  do {                                                                                             \
    int zl_rc_ = (expr);                                                                           \
    if (zl_rc_) return zl_rc_;                                                                     \
  } while (0)

/* The same, but jumps to a cleanup label with rc set. */
#define ZL_CALL_GOTO(rc, label, expr)                                                              \
  do {                                                                                             \
    (rc) = (expr);                                                                                 \
    if (rc) goto label;                                                                            \
  } while (0)

/* *out = a * b, or, when that overflows size_t, records "<what>: size <a> x <b> overflows" and
 * returns ZL_ERR_RUNTIME. For every product of sizes read from a file (shapes, counts, widths): a
 * wrapped product would pass a "fits in the file" check and then drive a short allocation.
 * Not collective. */
int zl_mul_size(size_t a, size_t b, size_t *out, const char *what);

/* malloc/calloc that record "out of memory" with what was being allocated. */
void *zl_malloc(size_t n, size_t size, const char *what);
void *zl_calloc(size_t n, size_t size, const char *what);

/* zl_malloc for an array of 2 MiB or more that a hot loop fills: on Linux it asks for transparent
 * huge pages (where the system grants them on request, THP "madvise" or "always"), so filling it
 * takes one page fault per 2 MiB instead of one per 4 KiB. Page faults are dear in virtual
 * machines: W-stats' feature rows, filled from fresh 4 KiB pages, cost 1.6 µs a network (of 10)
 * on the test machine. Freed with free(). The advice stays with the memory: a program should fix
 * glibc's mmap threshold at 2 MiB (mallopt, as zoolens's main does), so that such an array has a
 * mapping of its own and does not leave huge-page advice in the heap for small allocations. */
void *zl_malloc_large(size_t n, size_t size, const char *what);

/* zl_malloc_large, zeroed. */
void *zl_calloc_large(size_t n, size_t size, const char *what);

#endif
