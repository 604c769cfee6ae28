/* The hot loops of ext/ptmc.pyx's slot kernel (the simd path): the Metropolis sweep over all slots of a
   group of instances, and the overlap measurements. ptmc.pyx includes this file once per instruction-set
   path, with PTMC_NAME(f) naming that path's copy of each function, PTMC_ATTR its target attribute,
   PTMC_VW its vector width in floats (4 for SSE2, 8 for AVX2, 16 for AVX-512) and PTMC_LOCKSTEP the most
   vectors it updates side by side. Do not include it anywhere else.

   Layout (see ptmc.pyx, group_call): a group is one or two instances whose slots share each site's row of
   Rg floats (Rg = G R rounded up to a multiple of 16; rows 64-byte aligned), interleaved: slot r of
   instance g is lane g + G r; the lanes past G R are padding (updated with beta = 0, never read). The
   couplings of site i come as pairs J2[12 i + 2 k + g] (neighbour k, instance g; for one instance both
   entries are the same), so one broadcast of the pair gives the couplings of every lane.

   Why so: the update of a site needs the spin its -z neighbour, the site before it, has just stored, and a
   Metropolis update is one long chain of dependent operations (the local field, dE, the exponential's
   polynomial, the comparison: about 100 cycles). The vectors of one site are independent, so the sweep
   computes all of them in lockstep, operation by operation (PTMC_LOCKSTEP at a time): then the core's
   scheduler holds operations of every vector at once, rather than one vector's waiting chain, and two
   instances give a site 80 lanes (5 AVX-512 vectors at n_T = 20) instead of 40.

   Every lane runs exactly the operations of the scalar reference of one attempt (the float32 local field in
   neighbour order, dE = 2 s h, x = -beta dE, the polynomial exp of ptmc_common.h, the uniform of
   ptmc_unit_float), in vectors, no FMA: every path, any grouping and any lockstep width give the same bits.
   Exact rewrites that save operations: min/max instructions for the two clamps of x (min(x, 0) is
   x < 0 ? x : 0, and max(x, -87) equals x < -87 ? -87 : x for every x that is not NaN); m = -n in the exponential's range reduction
   (x - n c = x + m c exactly); the comparison u < p on both sides scaled by 2^24 (exact for u, and for p
   wherever p is a normal float; where p is subnormal both comparisons are false, since u >= 2^-25); no
   zero-field select when p0 = 1, since exp(-0) = 1 already; a masked add of dE for accepted flips (the sum
   starts at +0 and can never become -0, so adding +0 for a rejected flip changes nothing); and the
   xoshiro128+ XORs merged three at a time on AVX-512. */
#include "ptmc_common.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define PTMC_VF PTMC_NAME(vf)
#define PTMC_VI PTMC_NAME(vi)
#define PTMC_VU PTMC_NAME(vu)
#define PTMC_VQ PTMC_NAME(vq)
typedef float PTMC_VF __attribute__((vector_size(4 * PTMC_VW), may_alias));
typedef int32_t PTMC_VI __attribute__((vector_size(4 * PTMC_VW), may_alias));
typedef uint32_t PTMC_VU __attribute__((vector_size(4 * PTMC_VW), may_alias));
typedef uint64_t PTMC_VQ __attribute__((vector_size(4 * PTMC_VW), may_alias));
/* loads and stores of whole aligned vectors */
#define PTMC_LDF(p) (*(const PTMC_VF *)(p))
#define PTMC_LDU(p) (*(const PTMC_VU *)(p))
#define PTMC_STF(p, v) (*(PTMC_VF *)(p) = (v))
#define PTMC_STU(p, v) (*(PTMC_VU *)(p) = (v))
/* the pair (p[0], p[1]) in every two lanes */
#define PTMC_PAIR(p) ((PTMC_VF)((PTMC_VQ){0} + *(const uint64_t *)(p)))
#define PTMC_SIGN ((PTMC_VI){0} + INT32_MIN)

/* The per-instruction-set primitives; each computes the same per-lane function on every path. */
#if PTMC_VW == 16
/* min(a, b) = a < b ? a : b; max(a, b) = a > b ? a : b */
#define PTMC_MIN(a, b) ((PTMC_VF)_mm512_min_ps((__m512)(a), (__m512)(b)))
#define PTMC_MAX(a, b) ((PTMC_VF)_mm512_max_ps((__m512)(a), (__m512)(b)))
/* where u < p: s = -s and de += d */
#define PTMC_ACCEPT(u, p, s, d, de)                                                                           \
    do {                                                                                                      \
        __mmask16 k_ = _mm512_cmp_ps_mask((__m512)(u), (__m512)(p), _CMP_LT_OQ);                              \
        (s) = (PTMC_VF)_mm512_mask_xor_epi32((__m512i)(s), k_, (__m512i)(s), (__m512i)PTMC_SIGN);             \
        (de) = (PTMC_VF)_mm512_mask_add_ps((__m512)(de), k_, (__m512)(de), (__m512)(d));                      \
    } while (0)
/* PTMC_XOSHIRO128P with its XORs three at a time (0x96: a ^ b ^ c) */
#define PTMC_XOSHIRO_V(res, s0, s1, s2, s3)                                                                   \
    do {                                                                                                      \
        PTMC_VU t_ = (s1) << 9, a_ = (s0), b_ = (s1), c_ = (s2), d_ = (s3);                                  \
        (res) = a_ + d_;                                                                                      \
        (s1) = (PTMC_VU)_mm512_ternarylogic_epi32((__m512i)b_, (__m512i)c_, (__m512i)a_, 0x96);               \
        (s0) = (PTMC_VU)_mm512_ternarylogic_epi32((__m512i)a_, (__m512i)d_, (__m512i)b_, 0x96);               \
        (s2) = (PTMC_VU)_mm512_ternarylogic_epi32((__m512i)c_, (__m512i)a_, (__m512i)t_, 0x96);               \
        (s3) = d_ ^ b_;                                                                                       \
        (s3) = ((s3) << 11) | ((s3) >> 21);                                                                   \
    } while (0)
#else
#if PTMC_VW == 8
#define PTMC_MIN(a, b) ((PTMC_VF)_mm256_min_ps((__m256)(a), (__m256)(b)))
#define PTMC_MAX(a, b) ((PTMC_VF)_mm256_max_ps((__m256)(a), (__m256)(b)))
#elif PTMC_VW == 4 && defined(__SSE__)
#define PTMC_MIN(a, b) ((PTMC_VF)_mm_min_ps((__m128)(a), (__m128)(b)))
#define PTMC_MAX(a, b) ((PTMC_VF)_mm_max_ps((__m128)(a), (__m128)(b)))
#else
#define PTMC_SEL_(m, a, b) ((PTMC_VF)(((PTMC_VI)(m) & (PTMC_VI)(a)) | (~(PTMC_VI)(m) & (PTMC_VI)(b))))
#define PTMC_MIN(a, b) PTMC_SEL_((a) < (b), (a), (b))
#define PTMC_MAX(a, b) PTMC_SEL_((a) > (b), (a), (b))
#endif
#define PTMC_ACCEPT(u, p, s, d, de)                                                                           \
    do {                                                                                                      \
        PTMC_VI acc_ = (u) < (p);                                                                             \
        (s) = (PTMC_VF)((PTMC_VI)(s) ^ (acc_ & PTMC_SIGN));                                                   \
        (de) = (de) + (PTMC_VF)(acc_ & (PTMC_VI)(d));                                                         \
    } while (0)
#define PTMC_XOSHIRO_V PTMC_XOSHIRO128P
#endif

/* Metropolis update of U vectors side by side at one site (PTMC_VW lanes each, the vectors at offsets
   q PTMC_VW from row, r0..r5 (the neighbours' rows, neighbour_table order), nbeta (-beta per lane), lanes
   (xoshiro128+ word k at lanes[k * Rg]) and de (energy change of the sweep)). j0..j5: the couplings per
   lane. With zf, a zero-field flip (dE = 0) is accepted with probability p0s / 2^24. */
#define PTMC_DEF_BLOCKS(U) PTMC_DEF_BLOCKS_(PTMC_NAME(blocks##U), U)
#define PTMC_DEF_BLOCKS_(FN, U)                                                                               \
PTMC_ATTR PTMC_INLINE void FN(float *restrict row, const float *r0, const float *r1, const float *r2,        \
        const float *r3, const float *r4, const float *r5, PTMC_VF j0, PTMC_VF j1, PTMC_VF j2, PTMC_VF j3,   \
        PTMC_VF j4, PTMC_VF j5, const float *restrict nbeta, uint32_t *restrict lanes, long Rg,              \
        float *restrict de, const int zf, const float p0s) {                                                  \
    const PTMC_VF zero = {0.0f};                                                                              \
    PTMC_VF h[U], s[U], d[U], x[U], nf[U], r[U], p[U], u[U], e[U];                                            \
    PTMC_VI m[U];                                                                                             \
    PTMC_VU s0[U], s1[U], s2[U], s3[U], res[U];                                                               \
    for (int q = 0; q < U; ++q) h[q] = j0 * PTMC_LDF(r0 + q * PTMC_VW);                                      \
    for (int q = 0; q < U; ++q) h[q] = h[q] + j1 * PTMC_LDF(r1 + q * PTMC_VW);                               \
    for (int q = 0; q < U; ++q) h[q] = h[q] + j2 * PTMC_LDF(r2 + q * PTMC_VW);                               \
    for (int q = 0; q < U; ++q) h[q] = h[q] + j3 * PTMC_LDF(r3 + q * PTMC_VW);                               \
    for (int q = 0; q < U; ++q) h[q] = h[q] + j4 * PTMC_LDF(r4 + q * PTMC_VW);                               \
    for (int q = 0; q < U; ++q) h[q] = h[q] + j5 * PTMC_LDF(r5 + q * PTMC_VW);                               \
    for (int q = 0; q < U; ++q) s[q] = PTMC_LDF(row + q * PTMC_VW);                                          \
    for (int q = 0; q < U; ++q) d[q] = (s[q] + s[q]) * h[q];           /* 2 s h: doubling is exact */        \
    for (int q = 0; q < U; ++q) x[q] = PTMC_LDF(nbeta + q * PTMC_VW) * d[q];                                 \
    /* ptmc_expf(min(x, 0)), times 2^24 */                                                                    \
    for (int q = 0; q < U; ++q) x[q] = PTMC_MAX(PTMC_MIN(x[q], zero), zero - 87.0f);                         \
    for (int q = 0; q < U; ++q) m[q] = __builtin_convertvector(0.5f - x[q] * PTMC_EXP_LOG2E, PTMC_VI);       \
    for (int q = 0; q < U; ++q) nf[q] = __builtin_convertvector(m[q], PTMC_VF);                              \
    for (int q = 0; q < U; ++q) r[q] = (x[q] + nf[q] * PTMC_EXP_LN2_HI) + nf[q] * PTMC_EXP_LN2_LO;           \
    /* the Horner steps of PTMC_EXP_POLY, innermost first */                                                 \
    for (int q = 0; q < U; ++q) p[q] = 1.0f / 120.0f + r[q] * (1.0f / 720.0f);                               \
    for (int q = 0; q < U; ++q) p[q] = 1.0f / 24.0f + r[q] * p[q];                                           \
    for (int q = 0; q < U; ++q) p[q] = 1.0f / 6.0f + r[q] * p[q];                                            \
    for (int q = 0; q < U; ++q) p[q] = 0.5f + r[q] * p[q];                                                   \
    for (int q = 0; q < U; ++q) p[q] = 1.0f + r[q] * p[q];                                                   \
    for (int q = 0; q < U; ++q) p[q] = 1.0f + r[q] * p[q];                                                   \
    for (int q = 0; q < U; ++q) p[q] = p[q] * (PTMC_VF)(((127 + 24) - m[q]) << 23);                          \
    if (zf)                                                                                                   \
        for (int q = 0; q < U; ++q) {                                                                         \
            PTMC_VI z_ = d[q] == zero;                                                                        \
            p[q] = (PTMC_VF)((z_ & (PTMC_VI)(zero + p0s)) | (~z_ & (PTMC_VI)p[q]));                           \
        }                                                                                                     \
    /* the lanes' uniforms, times 2^24 */                                                                     \
    for (int q = 0; q < U; ++q) {                                                                             \
        const uint32_t *l = lanes + q * PTMC_VW;                                                              \
        s0[q] = PTMC_LDU(l); s1[q] = PTMC_LDU(l + Rg); s2[q] = PTMC_LDU(l + 2 * Rg); s3[q] = PTMC_LDU(l + 3 * Rg); \
    }                                                                                                         \
    for (int q = 0; q < U; ++q) PTMC_XOSHIRO_V(res[q], s0[q], s1[q], s2[q], s3[q]);                           \
    for (int q = 0; q < U; ++q) {                                                                             \
        uint32_t *l = lanes + q * PTMC_VW;                                                                    \
        PTMC_STU(l, s0[q]); PTMC_STU(l + Rg, s1[q]); PTMC_STU(l + 2 * Rg, s2[q]); PTMC_STU(l + 3 * Rg, s3[q]); \
    }                                                                                                         \
    for (int q = 0; q < U; ++q) u[q] = __builtin_convertvector((PTMC_VI)(res[q] >> 8), PTMC_VF) + 0.5f;     \
    for (int q = 0; q < U; ++q) e[q] = PTMC_LDF(de + q * PTMC_VW);                                           \
    for (int q = 0; q < U; ++q) PTMC_ACCEPT(u[q], p[q], s[q], d[q], e[q]);                                   \
    /* whole-vector stores: the next site loads them again, and a masked store would not forward */           \
    for (int q = 0; q < U; ++q) PTMC_STF(row + q * PTMC_VW, s[q]);                                           \
    for (int q = 0; q < U; ++q) PTMC_STF(de + q * PTMC_VW, e[q]);                                            \
}

PTMC_DEF_BLOCKS(1)
#if PTMC_LOCKSTEP >= 2
PTMC_DEF_BLOCKS(2)
#endif
#if PTMC_LOCKSTEP >= 3
PTMC_DEF_BLOCKS(3)
#endif
#if PTMC_LOCKSTEP >= 4
PTMC_DEF_BLOCKS(4)
#endif
#if PTMC_LOCKSTEP >= 5
PTMC_DEF_BLOCKS(5)
#endif
#if PTMC_LOCKSTEP >= 6
PTMC_DEF_BLOCKS(6)
#endif

#if PTMC_LOCKSTEP >= 6
#define PTMC_CASE6(o) case 6: PTMC_BLOCKS_AT(6, o); break;
#else
#define PTMC_CASE6(o)
#endif
#if PTMC_LOCKSTEP >= 5
#define PTMC_CASE5(o) case 5: PTMC_BLOCKS_AT(5, o); break;
#else
#define PTMC_CASE5(o)
#endif
#if PTMC_LOCKSTEP >= 4
#define PTMC_CASE4(o) case 4: PTMC_BLOCKS_AT(4, o); break;
#else
#define PTMC_CASE4(o)
#endif
#if PTMC_LOCKSTEP >= 3
#define PTMC_CASE3(o) case 3: PTMC_BLOCKS_AT(3, o); break;
#else
#define PTMC_CASE3(o)
#endif
#if PTMC_LOCKSTEP >= 2
#define PTMC_CASE2(o) case 2: PTMC_BLOCKS_AT(2, o); break;
#else
#define PTMC_CASE2(o)
#endif

PTMC_ATTR PTMC_INLINE void PTMC_NAME(sweep_body)(int N, int Rg, float *spins, const int32_t *nbr,
        const float *J2, const float *nbeta, uint32_t *lanes, float *de, const int zf, const float p0s) {
    /* a site's nblk vectors in nchunk chunks of at most PTMC_LOCKSTEP, as even as possible */
    const int nblk = Rg / PTMC_VW, nchunk = (nblk + PTMC_LOCKSTEP - 1) / PTMC_LOCKSTEP;
    int chunk[2 * PTMC_MAXR / 4];
    for (int c = 0, left = nblk; c < nchunk; left -= chunk[c], ++c) chunk[c] = (left + nchunk - c - 1) / (nchunk - c);
    for (int r = 0; r < Rg; ++r) de[r] = 0.0f;
    for (int i = 0; i < N; ++i) {
        const int32_t *nb = nbr + 6 * i;
        const float *jp = J2 + 12 * i;
        float *row = spins + (long)i * Rg;
        const float *r0 = spins + (long)nb[0] * Rg, *r1 = spins + (long)nb[1] * Rg,
                    *r2 = spins + (long)nb[2] * Rg, *r3 = spins + (long)nb[3] * Rg,
                    *r4 = spins + (long)nb[4] * Rg, *r5 = spins + (long)nb[5] * Rg;
        const PTMC_VF j0 = PTMC_PAIR(jp), j1 = PTMC_PAIR(jp + 2), j2 = PTMC_PAIR(jp + 4), j3 = PTMC_PAIR(jp + 6),
                      j4 = PTMC_PAIR(jp + 8), j5 = PTMC_PAIR(jp + 10);
#define PTMC_BLOCKS_AT(U, o)                                                                                  \
        PTMC_NAME(blocks##U)(row + (o), r0 + (o), r1 + (o), r2 + (o), r3 + (o), r4 + (o), r5 + (o), j0, j1,  \
                             j2, j3, j4, j5, nbeta + (o), lanes + (o), Rg, de + (o), zf, p0s)
#define PTMC_BLOCKS_SWITCH(n, o)                                                                              \
        switch (n) {  /* 1 to PTMC_LOCKSTEP vectors side by side */                                           \
        PTMC_CASE6(o) PTMC_CASE5(o) PTMC_CASE4(o) PTMC_CASE3(o) PTMC_CASE2(o)                                 \
        default: PTMC_BLOCKS_AT(1, o); break;                                                                 \
        }
        if (nchunk == 1) {  /* offset 0: the common case, n_T <= 40 on AVX-512 */
            PTMC_BLOCKS_SWITCH(nblk, 0)
        } else {
            for (int c = 0, b = 0; c < nchunk; b += chunk[c], ++c) PTMC_BLOCKS_SWITCH(chunk[c], b * PTMC_VW)
        }
#undef PTMC_BLOCKS_SWITCH
#undef PTMC_BLOCKS_AT
    }
}

/* One sequential Metropolis sweep over the N sites of a group, all Rg lanes at once (layout above). nbeta:
   -beta per lane; p0: acceptance of a zero-field flip; lanes: 4 x Rg xoshiro128+ words; de: per-lane
   energy change. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(sweep)(int N, int Rg, float *spins, const int32_t *nbr,
        const float *J2, const float *nbeta, float p0, uint32_t *lanes, float *de) {
    if (p0 == 1.0f)
        PTMC_NAME(sweep_body)(N, Rg, spins, nbr, J2, nbeta, lanes, de, 0, 0.0f);
    else
        PTMC_NAME(sweep_body)(N, Rg, spins, nbr, J2, nbeta, lanes, de, 1, p0 * 16777216.0f);
}

/* --- measurements ------------------------------------------------------------------------------------- */
/* All sums below are of products of ±1 spins: integers, exact in float32 in any order (below 2^24), so they
   match the scalar loops they replace whatever the order of summation. */

/* Site overlaps in lane space: Q[i * nQs + l] = s_i^l s_i^partner[l] for the lanes l < nQ (chain a's); the
   lanes nQ <= l < nQs are not used (zero or -0). Site i's spins are the row spins + i Rg. The partners are
   the same at every site: on AVX-512, a masked in-register permutation per pair of (output, source)
   vectors gathers them. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(overlaps)(int N, int Rg, int nQ, int nQs, const float *spins,
        const int32_t *partner, float *restrict Q) {
#if PTMC_VW == 16
    enum { MAXV = 2 * PTMC_MAXR / 16 };
    const int nout = nQs / 16;
    __m512i idx[MAXV];
    int nsrc[MAXV], src[MAXV][MAXV];    /* the source vectors output vector o draws from, and their lanes */
    __mmask16 mask[MAXV][MAXV];
    for (int o = 0; o < nout; ++o) {
        int32_t ix[16];
        __mmask16 m[MAXV] = {0};
        for (int k = 0; k < 16; ++k) {
            int l = 16 * o + k;
            ix[k] = l < nQ ? partner[l] % 16 : 0;
            if (l < nQ) m[partner[l] / 16] |= (__mmask16)(1u << k);
        }
        idx[o] = _mm512_loadu_si512(ix);
        nsrc[o] = 0;
        for (int v = 0; v < Rg / 16; ++v)
            if (m[v]) {
                src[o][nsrc[o]] = 16 * v;
                mask[o][nsrc[o]++] = m[v];
            }
    }
    for (int i = 0; i < N; ++i) {
        const float *row = spins + (long)i * Rg;
        float *q = Q + (long)i * nQs;
        for (int o = 0; o < nout; ++o) {
            __m512i b = _mm512_setzero_si512();  /* the partners' spins: disjoint lanes from each source */
            for (int k = 0; k < nsrc[o]; ++k)
                b = _mm512_or_si512(b, _mm512_castps_si512(_mm512_maskz_permutexvar_ps(mask[o][k], idx[o],
                                                                                       _mm512_load_ps(row + src[o][k]))));
            _mm512_store_ps(q + 16 * o, _mm512_mul_ps(_mm512_load_ps(row + 16 * o), _mm512_castsi512_ps(b)));
        }
    }
#else
    for (int i = 0; i < N; ++i) {
        const float *row = spins + (long)i * Rg;
        float *q = Q + (long)i * nQs;
        for (int l = 0; l < nQ; ++l) q[l] = row[l] * row[partner[l]];
        for (int l = nQ; l < nQs; ++l) q[l] = 0.0f;
    }
#endif
}

/* Link-overlap sums ql[l] = sum over sites i and axes d < 3 of Q_i^l Q_{i+d}^l (nQs lanes). */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(link_sums)(int N, int nQs, const float *restrict Q,
        const int32_t *nbr, float *restrict ql) {
    for (int o = 0; o < nQs; o += PTMC_VW) {
        PTMC_VF acc0 = {0.0f}, acc1 = {0.0f};
        int i = 0;
        for (; i + 1 < N; i += 2) {
            const int32_t *nb = nbr + 6 * i;
            acc0 += PTMC_LDF(Q + (long)i * nQs + o) * (PTMC_LDF(Q + (long)nb[0] * nQs + o)
                    + PTMC_LDF(Q + (long)nb[1] * nQs + o) + PTMC_LDF(Q + (long)nb[2] * nQs + o));
            acc1 += PTMC_LDF(Q + (long)(i + 1) * nQs + o) * (PTMC_LDF(Q + (long)nb[6] * nQs + o)
                    + PTMC_LDF(Q + (long)nb[7] * nQs + o) + PTMC_LDF(Q + (long)nb[8] * nQs + o));
        }
        for (; i < N; ++i) {
            const int32_t *nb = nbr + 6 * i;
            acc0 += PTMC_LDF(Q + (long)i * nQs + o) * (PTMC_LDF(Q + (long)nb[0] * nQs + o)
                    + PTMC_LDF(Q + (long)nb[1] * nQs + o) + PTMC_LDF(Q + (long)nb[2] * nQs + o));
        }
        PTMC_STF(ql + o, acc0 + acc1);
    }
}

/* Plane sums of the overlaps: planes[(d * L + x) * nQs + l] = sum of Q^l over the sites whose coordinate
   along axis d is x (site (x0, x1, x2) = (x0 L + x1) L + x2). */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(plane_sums)(int L, int nQs, const float *restrict Q,
        float *restrict planes) {
    for (long k = 0; k < 3L * L * nQs; ++k) planes[k] = 0.0f;
    for (int x0 = 0; x0 < L; ++x0) {
        for (int x1 = 0; x1 < L; ++x1) {
            const float *q = Q + (long)(x0 * L + x1) * L * nQs;
            for (int o = 0; o < nQs; o += PTMC_VW) {
                PTMC_VF line = {0.0f};
                for (int x2 = 0; x2 < L; ++x2) {
                    PTMC_VF v = PTMC_LDF(q + (long)x2 * nQs + o);
                    line += v;
                    float *p2 = planes + (long)(2 * L + x2) * nQs + o;
                    PTMC_STF(p2, PTMC_LDF(p2) + v);
                }
                float *p0 = planes + (long)x0 * nQs + o, *p1 = planes + (long)(L + x1) * nQs + o;
                PTMC_STF(p0, PTMC_LDF(p0) + line);
                PTMC_STF(p1, PTMC_LDF(p1) + line);
            }
        }
    }
}

#undef PTMC_VF
#undef PTMC_VI
#undef PTMC_VU
#undef PTMC_VQ
#undef PTMC_LDF
#undef PTMC_LDU
#undef PTMC_STF
#undef PTMC_STU
#undef PTMC_PAIR
#undef PTMC_SIGN
#undef PTMC_MIN
#undef PTMC_MAX
#undef PTMC_SEL_
#undef PTMC_ACCEPT
#undef PTMC_XOSHIRO_V
#undef PTMC_DEF_BLOCKS
#undef PTMC_DEF_BLOCKS_
#undef PTMC_CASE2
#undef PTMC_CASE3
#undef PTMC_CASE4
#undef PTMC_CASE5
#undef PTMC_CASE6
