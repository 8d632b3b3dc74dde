/* ZL_VECTOR_CLONES: compile a hot loop's function twice, for AVX2 and for the baseline, and let
 * glibc's ifunc pick one at load time. Only for loops without fused multiply-adds (AVX2 does not
 * imply FMA): then every clone computes the same bits, lane by lane, and results stay identical
 * across the machines of a cluster. Apply it to static functions only: clang 14 names the
 * dispatcher of an external one "<name>.ifunc", which other files cannot link against. */
#ifndef ZL_VECTOR_H
#define ZL_VECTOR_H

#if defined(__x86_64__) && defined(__gnu_linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define ZL_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef ZL_VECTOR_CLONES
#define ZL_VECTOR_CLONES
#endif

#endif
