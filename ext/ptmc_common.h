/* Helpers shared by both kernels of ext/ptmc.pyx (the slot kernel, ptmc_sweep.h, and the multispin kernel,
   ptmc_multispin.h) and by ptmc.pyx's own C: the measurement rule, the log bins, the xoshiro128+ step, the
   uniform numbers made from it, the float32 exponential and the attribute macros. Include guard: the
   per-instruction-set headers are included several times, this file once. */
#ifndef PTMC_COMMON_H
#define PTMC_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* largest number of slots (2 n_T) of one instance */
#define PTMC_MAXR 512

/* --- attributes --------------------------------------------------------------------------------------- */
#if defined(__GNUC__)
#define PTMC_NOINLINE __attribute__((noinline))      /* separate symbols in profiles */
#define PTMC_INLINE static inline __attribute__((always_inline))
#else
#define PTMC_NOINLINE
#define PTMC_INLINE static inline
#endif
/* Targets of the instruction-set paths (x86-64 with GCC or Clang): ptmc.pyx compiles ptmc_sweep.h and
   ptmc_multispin.h once per path with PTMC_ATTR set to one of these (empty for the baseline). No FMA in
   any of them, and -ffp-contract=off: every path runs the same float operations per lane. */
#define PTMC_TARGET_AVX2 __attribute__((target("avx2")))
#define PTMC_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512vl,avx512bw,avx512dq")))

/* --- schedule ----------------------------------------------------------------------------------------- */
/* Whether sweep u (0-based, of S) is measured when measuring every m-th: the first 2m sweeps (the short early
   log bins), every sweep with u % m == m - 1, and the last one (so no log bin and no window is empty). The
   Python side's copy of the rule is spinglass_ml.simulation.measured_sweeps. */
static inline int ptmc_measured(long u, long S, int m) { return u < 2L * m || u % m == m - 1 || u == S - 1; }

/* Observables log-binned by both kernels, rows of their bins arrays (n, PTMC_BINNED, n_T, n_bins): the
   energy per spin e, the link overlap q_l and q^2. */
#define PTMC_BINNED 3

/* Log bin of 0-based sweep index u (both kernels): bin k holds 2^k <= u < 2^(k+1); u = 0 joins bin 0. */
static inline int ptmc_log_bin(long u) {
    int k = 0;
    for (; u > 1; u >>= 1) ++k;
    return k;
}

/* --- random numbers ----------------------------------------------------------------------------------- */
/* One xoshiro128+ step on the state (s0, s1, s2, s3): res = the output. The operands may be uint32_t
   scalars or GCC vectors of uint32_t (one independent generator per lane); the operations are the same. */
#define PTMC_XOSHIRO128P(res, s0, s1, s2, s3)                                                                 \
    do {                                                                                                      \
        __typeof__(s1) ptmc_t_ = (s1) << 9;                                                                   \
        (res) = (s0) + (s3);                                                                                  \
        (s2) ^= (s0);                                                                                         \
        (s3) ^= (s1);                                                                                         \
        (s1) ^= (s2);                                                                                         \
        (s0) ^= (s3);                                                                                         \
        (s2) ^= ptmc_t_;                                                                                      \
        (s3) = ((s3) << 11) | ((s3) >> 21);                                                                   \
    } while (0)

/* xoshiro128+ step on a state of four consecutive words; returns the output. */
PTMC_INLINE uint32_t ptmc_xoshiro(uint32_t *s) {
    uint32_t res;
    PTMC_XOSHIRO128P(res, s[0], s[1], s[2], s[3]);
    return res;
}

/* A uniform float in (0, 1) from the top 24 bits of an output, centred on its grid (it rounds to 1.0 for
   the top value, 2^-24 of the outputs). The slot kernel's Metropolis test and its exchanges use it. */
PTMC_INLINE float ptmc_unit_float(uint32_t res) {
    return ((float)(int32_t)(res >> 8) + 0.5f) * 5.9604644775390625e-8f;
}

/* One step of a generator whose four state words are strided (the slot kernel's lanes: s_k of slot r at
   lanes[k * R + r]), as a uniform float. */
PTMC_INLINE float ptmc_uniform(uint32_t *s0, uint32_t *s1, uint32_t *s2, uint32_t *s3) {
    uint32_t res;
    PTMC_XOSHIRO128P(res, *s0, *s1, *s2, *s3);
    return ptmc_unit_float(res);
}

/* The same grid in double precision (exact): the multispin kernel's exchanges. */
PTMC_INLINE double ptmc_unit_double(uint32_t res) { return ((double)(res >> 8) + 0.5) * 5.9604644775390625e-8; }

/* --- the float32 exponential -------------------------------------------------------------------------- */
/* exp(x) for -87.3 <= x <= 0 in float32: x = n ln2 + r with |r| <= ln2/2, degree-6 Taylor polynomial
   (truncation error < 1.2e-7 relative), 2^n from the exponent bits. Branch-free and vectorisable. Max
   relative error against exp in double precision: see tests/test_kernel.py. The slot kernel's vector code
   (ptmc_sweep.h) runs exactly these operations per lane. */
#define PTMC_EXP_LOG2E 1.44269504088896341f
#define PTMC_EXP_LN2_HI 0.693145751953125f
#define PTMC_EXP_LN2_LO 1.42860682030941723e-6f
#define PTMC_EXP_POLY(r)                                                                                      \
    (1.0f + (r) * (1.0f + (r) * (0.5f + (r) * (1.0f / 6.0f + (r) * (1.0f / 24.0f                              \
     + (r) * (1.0f / 120.0f + (r) * (1.0f / 720.0f)))))))

PTMC_INLINE float ptmc_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    int32_t n = -(int32_t)(0.5f - x * PTMC_EXP_LOG2E);  /* floor(x*log2e + 1/2) for x <= 0 */
    float nf = (float)n;
    float r = (x - nf * PTMC_EXP_LN2_HI) - nf * PTMC_EXP_LN2_LO;
    float p = PTMC_EXP_POLY(r);
    int32_t bits = (n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#endif /* PTMC_COMMON_H */
