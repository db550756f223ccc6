/* dispatch.h - one binary for every x86-64 CPU: the hot kernels are
 * compiled for several instruction sets and the best one the CPU has is
 * picked when the program starts.
 *
 * AR_KERNEL marks a hot kernel in a portable build (CMake defines
 * AR_DISPATCH unless AR_NATIVE or a sanitizer is on; GCC on x86-64): GCC
 * compiles it three times - x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA) and
 * the x86-64 baseline (SSE2) - and the dynamic loader picks the one the CPU
 * runs (an ifunc, resolved once at load time), so a binary built on one node
 * runs on every node at the speed of its CPU. Elsewhere it expands to
 * nothing. A marked function's helpers should be AR_INLINE: a clone inlines
 * them and compiles them for its own instruction set (a helper left out of
 * line would run the baseline code).
 */
#ifndef AR_NN_DISPATCH_H
#define AR_NN_DISPATCH_H

#if defined(AR_DISPATCH) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AR_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AR_KERNEL
#endif

#define AR_INLINE static inline __attribute__((always_inline))

#endif
