/* Sorting of 64-bit unsigned keys (the order-preserving keys of doubles that zl_knots bisects). */
#ifndef ZL_SORT_H
#define ZL_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sorts a[0..n) ascending: least-significant-digit radix sort, 8 passes of 8 bits (passes where
 * every key has the same digit are skipped); tmp holds n keys. Several times faster than qsort
 * with a comparator, which was a tenth of rff's cost. Not collective. */
void zl_sort_u64(uint64_t *a, uint64_t *tmp, size_t n);

#endif
