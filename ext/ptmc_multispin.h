/* Multispin-coded parallel tempering for ±1 couplings: 64 disorder instances ("lanes") per uint64 word.
   ptmc.pyx includes this file once per instruction-set path, with PTMC_NAME(f) naming that path's copy of
   each function (like ptmc_sweep.h). Do not include it anywhere else.

   One group = 64 lanes = 64 independent instances. Bit b of every word belongs to lane b.
   spins[i * Rp + r]: site i, slot r = chain * n_T + t (the slot's temperature is fixed); bit 1 = spin -1.
   Rp = R = 2 n_T rounded up to a multiple of 4: the update runs over 4 slots at once, and the (at most 2)
   padding slots are updated with threshold 0 (no uphill flips) but never measured or exchanged.
   jbits[6 * i + d]: bond to neighbour d of site i (neighbour_table order); bit 1 = coupling -1.
   A bond is unsatisfied iff s_i ^ s_j ^ j = 1; a site with n_u unsatisfied bonds out of 6 has a flip
   energy dE = 12 - 4 n_u. Flips with n_u >= 3 (dE <= 0) are always accepted (the zero-field rule of
   lattice.py for L >= 3); flips with dE = 4, 8, 12 are accepted with probability
   p32[slot][c] / 2^32 = floor(2^32 exp(-beta dE)) / 2^32 (c = 0, 1, 2 for dE = 4, 8, 12).

   Acceptance, bit-sliced: each lane compares its own uniform number u = 0.x1 x2 x3 ... (binary digits)
   with p, digit by digit, most significant first. The first MSC_DIGITS digits of every lane come from the
   lane's own bit stream (below), MSC_DIGITS words per (site, slot) whatever the lane's class or outcome, so
   every lane consumes its stream at the same fixed rate. A lane whose first digits equal p's (probability
   2^-MSC_DIGITS) finishes the comparison with 32 - MSC_DIGITS further digits from its own scalar
   xoshiro128+ stream (frng). Acceptance is then exactly p32 / 2^32, and each lane's random numbers depend
   only on its own streams: never on the other lanes of the word.

   Bit streams: every lane runs its own four-tap shift-register generator (Ziff, Computers in Physics 12,
   385 (1998)), x_n = x_{n-471} ^ x_{n-1586} ^ x_{n-6988} ^ x_{n-9689} over GF(2); its characteristic
   polynomial is primitive (tests/test_multispin.py), so each lane has period 2^9689 - 1. The XOR acts on
   all 64 lanes of a word at once, and lanes never mix. The ring holds the last MSC_K words.

   Replica exchange is per lane (each lane's energies, its own exchange stream xrng): an accepted exchange
   swaps that lane's bits between the two slots' configurations (masked swaps of whole words), so slots
   keep fixed temperatures while every lane follows its own temperature permutation. */
#include "ptmc_common.h"

#ifndef MSC_CONSTANTS
#define MSC_CONSTANTS
#define MSC_DIGITS 10
#define MSC_A 471
#define MSC_B 1586
#define MSC_C 6988
#define MSC_K 9689
/* Four words at once (GCC/Clang vector extension: AVX2 registers, or pairs of SSE2 ones); every operation is
   bitwise, so all instruction-set paths give identical bits. */
typedef uint64_t msc_v4 __attribute__((vector_size(32)));
#define MSC_LD(v, p) memcpy(&(v), (p), sizeof(msc_v4))
#define MSC_ST(p, v) memcpy((p), &(v), sizeof(msc_v4))
#endif

/* Regenerate all MSC_K words of the ring in place: x[i] holds x_{n-K} before and x_n after. */
PTMC_ATTR static void PTMC_NAME(msc_refill)(uint64_t *restrict x) {
    int i;
    for (i = 0; i < MSC_A; ++i) x[i] ^= x[i - MSC_A + MSC_K] ^ x[i - MSC_B + MSC_K] ^ x[i - MSC_C + MSC_K];
    for (i = MSC_A; i < MSC_B; ++i) x[i] ^= x[i - MSC_A] ^ x[i - MSC_B + MSC_K] ^ x[i - MSC_C + MSC_K];
    for (i = MSC_B; i < MSC_C; ++i) x[i] ^= x[i - MSC_A] ^ x[i - MSC_B] ^ x[i - MSC_C + MSC_K];
    for (i = MSC_C; i < MSC_K; ++i) x[i] ^= x[i - MSC_A] ^ x[i - MSC_B] ^ x[i - MSC_C];
}

/* The next m (<= MSC_K) words of the lanes' bit streams; a request that does not fit in the rest of the
   ring starts on a fresh ring (the same for every lane, so consumption stays fixed per lane). */
PTMC_ATTR PTMC_HELPER_ATTR const uint64_t *PTMC_NAME(msc_take)(uint64_t *ring, int64_t *pos, int m) {
    if (*pos + m > MSC_K) {
        PTMC_NAME(msc_refill)(ring);
        *pos = 0;
    }
    const uint64_t *out = ring + *pos;
    *pos += m;
    return out;
}

/* c[0..3 (stride)] += a + b + d per lane, a 4-plane bit-sliced counter that must stay <= 15. */
PTMC_ATTR PTMC_HELPER_ATTR void PTMC_NAME(msc_add3)(uint64_t *c, long stride, uint64_t a, uint64_t b,
                                                    uint64_t d) {
    uint64_t ab = a ^ b, s = ab ^ d, cy = (a & b) | (d & ab);        /* a + b + d = s + 2 cy */
    uint64_t c0 = c[0], t0 = c0 & s;
    c[0] = c0 ^ s;
    uint64_t c1 = c[stride], x = c1 ^ cy, t1 = (c1 & cy) | (t0 & x);  /* plane 1 += cy + t0 */
    c[stride] = x ^ t0;
    uint64_t c2 = c[2 * stride];
    c[2 * stride] = c2 ^ t1;
    c[3 * stride] ^= c2 & t1;
}

/* big[0..M) += small[0..4) per lane (bit-sliced ripple add), then small = 0; for n counters each. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_flush)(uint64_t *restrict big, uint64_t *restrict small, int M, int n) {
    for (int k = 0; k < n; ++k) {
        uint64_t carry = 0;
        for (int j = 0; j < M; ++j) {
            uint64_t a = big[(long)j * n + k], b = j < 4 ? small[(long)j * n + k] : 0;
            uint64_t ab = a ^ b;
            big[(long)j * n + k] = ab ^ carry;
            carry = (a & b) | (carry & ab);
        }
        for (int j = 0; j < 4; ++j) small[(long)j * n + k] = 0;
    }
}

/* Per-lane values of bit-sliced counter k (planes cnt[j * n + k], j < M) into out[b], b < 64: four lanes at
   a time, each vector element shifting its own lane's bit down (variable shifts with AVX2 and AVX-512). */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_extract)(const uint64_t *restrict cnt, int M, int n, int k,
                                                           int64_t *restrict out) {
    const msc_v4 zero = {0, 0, 0, 0}, iota = {0, 1, 2, 3};
    for (int g = 0; g < 64; g += 4) {
        msc_v4 v = zero, shift = iota + (uint64_t)g;
        for (int j = 0; j < M; ++j) v |= (((zero + cnt[(long)j * n + k]) >> shift) & 1u) << (uint64_t)j;
        MSC_ST(out + g, v);
    }
}

/* Metropolis update of one site in all Rp slots, 4 slots at a time: row its words, r0..r5 its neighbours'
   words, j its six coupling words, rnd the MSC_DIGITS x Rp stream words of this update, laid out
   [r / 4][digit][r % 4]; digits: the threshold digits, [r / 4][class][digit][r % 4]. Writes the lanes
   still tied with p after MSC_DIGITS digits (und) and their classes (c4: dE = 4, c8: dE = 8); returns the
   OR of und. */
PTMC_ATTR static PTMC_NOINLINE uint64_t PTMC_NAME(msc_update_site)(int Rp, uint64_t *restrict row,
        const uint64_t *restrict r0, const uint64_t *restrict r1, const uint64_t *restrict r2,
        const uint64_t *restrict r3, const uint64_t *restrict r4, const uint64_t *restrict r5,
        const uint64_t *restrict j, const uint64_t *restrict rnd, const uint64_t *restrict digits,
        uint64_t *restrict und, uint64_t *restrict c4, uint64_t *restrict c8) {
    enum { D = MSC_DIGITS };
    const msc_v4 zero = {0, 0, 0, 0};
    const msc_v4 j0 = zero + j[0], j1 = zero + j[1], j2 = zero + j[2], j3 = zero + j[3], j4 = zero + j[4],
                 j5 = zero + j[5];
    msc_v4 any = zero;
    for (int r = 0; r < Rp; r += 4) {
        msc_v4 s, n0, n1, n2, n3, n4, n5;
        MSC_LD(s, row + r);
        MSC_LD(n0, r0 + r); MSC_LD(n1, r1 + r); MSC_LD(n2, r2 + r);
        MSC_LD(n3, r3 + r); MSC_LD(n4, r4 + r); MSC_LD(n5, r5 + r);
        msc_v4 u0 = s ^ n0 ^ j0, u1 = s ^ n1 ^ j1, u2 = s ^ n2 ^ j2;
        msc_v4 u3 = s ^ n3 ^ j3, u4 = s ^ n4 ^ j4, u5 = s ^ n5 ^ j5;
        /* n_u = bit0 + 2 bit1 + 4 bit2, by two full adders and a 2-bit add */
        msc_v4 a = u0 ^ u1, s1 = a ^ u2, k1 = (u0 & u1) | (u2 & a);
        msc_v4 b = u3 ^ u4, s2 = b ^ u5, k2 = (u3 & u4) | (u5 & b);
        msc_v4 bit0 = s1 ^ s2, k = s1 & s2;
        msc_v4 t = k1 ^ k2, bit1 = t ^ k, bit2 = (k1 & k2) | (k & t);
        msc_v4 always = bit2 | (bit1 & bit0);           /* n_u >= 3: dE <= 0 */
        msc_v4 low = ~(bit2 | bit1);
        msc_v4 m4 = bit1 & ~bit0 & ~bit2, m8 = low & bit0, m12 = low & ~bit0;
        msc_v4 lt = zero, eq = ~always;
        const uint64_t *x = rnd + r * D, *g = digits + r * 3 * D;
        for (int d = 0; d < D; ++d) {
            msc_v4 xd, g4, g8, g12;
            MSC_LD(xd, x + 4 * d);
            MSC_LD(g4, g + 4 * d); MSC_LD(g8, g + 4 * (D + d)); MSC_LD(g12, g + 4 * (2 * D + d));
            msc_v4 p = (m4 & g4) | (m8 & g8) | (m12 & g12);
            lt |= eq & p & ~xd;
            eq &= ~(xd ^ p);
        }
        msc_v4 flipped = s ^ (always | lt);
        MSC_ST(row + r, flipped);
        MSC_ST(und + r, eq);
        MSC_ST(c4 + r, m4);
        MSC_ST(c8 + r, m8);
        any |= eq;
    }
    return any[0] | any[1] | any[2] | any[3];
}

/* One Metropolis sweep of all sites, all Rp slots, all 64 lanes. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_sweep)(int N, int Rp, uint64_t *spins, const uint64_t *jbits,
        const int32_t *nbr, const uint64_t *digits, const uint32_t *p32, uint64_t *ring, int64_t *pos,
        uint32_t *frng, uint64_t *und, uint64_t *c4, uint64_t *c8) {
    const int D = MSC_DIGITS;
    for (int i = 0; i < N; ++i) {
        const int32_t *nb = nbr + 6 * i;
        uint64_t *row = spins + (long)i * Rp;
        const uint64_t *rnd = PTMC_NAME(msc_take)(ring, pos, D * Rp);
        uint64_t any = PTMC_NAME(msc_update_site)(Rp, row, spins + (long)nb[0] * Rp, spins + (long)nb[1] * Rp,
            spins + (long)nb[2] * Rp, spins + (long)nb[3] * Rp, spins + (long)nb[4] * Rp,
            spins + (long)nb[5] * Rp, jbits + 6 * i, rnd, digits, und, c4, c8);
        if (any) {  /* rare: lanes whose first digits tie with p finish on their own scalar stream */
            for (int r = 0; r < Rp; ++r) {
                uint64_t e = und[r];
                while (e) {
                    int b = __builtin_ctzll(e);
                    e &= e - 1;
                    int c = ((c4[r] >> b) & 1u) ? 0 : ((c8[r] >> b) & 1u) ? 1 : 2;
                    uint32_t rest = p32[3 * r + c] & (0xffffffffu >> D);
                    uint32_t v = ptmc_xoshiro(frng + 4 * b) >> D;
                    if (v < rest) row[r] ^= (uint64_t)1 << b;
                }
            }
        }
    }
}

/* One site's contribution to msc_count_bonds: its three +1 bonds in every slot and replica pair. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_bonds_site)(int R, int n_T, int link, long n,
        const uint64_t *restrict row, const uint64_t *restrict r0, const uint64_t *restrict r1,
        const uint64_t *restrict r2, const uint64_t *restrict j, uint64_t *restrict small) {
    const uint64_t j0 = j[0], j1 = j[1], j2 = j[2];
    for (int r = 0; r < R; ++r) {
        uint64_t s = row[r];
        PTMC_NAME(msc_add3)(small + r, n, s ^ r0[r] ^ j0, s ^ r1[r] ^ j1, s ^ r2[r] ^ j2);
    }
    for (int t = 0; t < n_T * link; ++t) {
        uint64_t q = row[t] ^ row[n_T + t];
        PTMC_NAME(msc_add3)(small + R + t, n, q ^ r0[t] ^ r0[n_T + t], q ^ r1[t] ^ r1[n_T + t],
                            q ^ r2[t] ^ r2[n_T + t]);
    }
}

/* Three sites' contribution to msc_count_bonds: their overlaps q[t] = row[t] ^ row[n_T + t] (t < n_T) of
   every replica pair into small (counters 0..n_T-1, plane stride n); a row of zeros stands for no site. */
PTMC_ATTR PTMC_HELPER_ATTR void PTMC_NAME(msc_sites3)(int n_T, long n, const uint64_t *restrict s0,
        const uint64_t *restrict s1, const uint64_t *restrict s2, uint64_t *restrict small) {
    for (int t = 0; t < n_T; ++t)
        PTMC_NAME(msc_add3)(small + t, n, s0[t] ^ s0[n_T + t], s1[t] ^ s1[n_T + t], s2[t] ^ s2[n_T + t]);
}

/* Bit-sliced counts, per lane, of the unsatisfied bonds of every slot (counters 0..R-1) and, if link, of the
   bonds with q_i q_j = -1 (counters R..R+n_T-1) and the sites with q_i = -1 (counters R+n_T..R+2n_T-1) of
   every temperature's replica pair, into big (M planes of n = R + 2 n_T link counters each; M bits hold 3N);
   zero: Rp words of zeros. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_count_bonds)(int N, int Rp, int n_T, int link, int M,
        const uint64_t *spins, const uint64_t *jbits, const int32_t *nbr, const uint64_t *zero, uint64_t *big,
        uint64_t *small) {
    const int R = 2 * n_T, n = R + 2 * n_T * link;
    memset(big, 0, sizeof(uint64_t) * (size_t)M * n);
    memset(small, 0, sizeof(uint64_t) * 4 * (size_t)n);
    for (int i = 0; i < N; ++i) {
        const int32_t *nb = nbr + 6 * i;
        PTMC_NAME(msc_bonds_site)(R, n_T, link, n, spins + (long)i * Rp, spins + (long)nb[0] * Rp,
                                  spins + (long)nb[1] * Rp, spins + (long)nb[2] * Rp, jbits + 6 * i, small);
        if (link && (i % 3 == 2 || i == N - 1))  /* sites i - i % 3 .. i, three at a time */
            PTMC_NAME(msc_sites3)(n_T, n, i % 3 == 2 ? spins + (long)(i - 2) * Rp : zero,
                                  i % 3 >= 1 ? spins + (long)(i - 1) * Rp : zero, spins + (long)i * Rp,
                                  small + R + n_T);
        if (i % 5 == 4 || i == N - 1) PTMC_NAME(msc_flush)(big, small, M, n);  /* small <= 15 */
    }
}

/* Add the words q[t] = a[t] ^ b[t] (t < n_T) into three bit-sliced counters of P planes (plane stride n). */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_planes_site)(int n_T, int P, long n,
        const uint64_t *restrict a, const uint64_t *restrict b, uint64_t *restrict c0,
        uint64_t *restrict c1, uint64_t *restrict c2, uint64_t *restrict k) {
    for (int t = 0; t < n_T; ++t) k[t] = k[n_T + t] = k[2 * n_T + t] = a[t] ^ b[t];
    for (int j = 0; j < P; ++j) {
        for (int t = 0; t < n_T; ++t) {
            long o = (long)j * n + t;
            uint64_t x0 = c0[o], x1 = c1[o], x2 = c2[o];
            c0[o] = x0 ^ k[t];
            c1[o] = x1 ^ k[n_T + t];
            c2[o] = x2 ^ k[2 * n_T + t];
            k[t] &= x0;
            k[n_T + t] &= x1;
            k[2 * n_T + t] &= x2;
        }
    }
}

/* Bit-sliced counts, per lane, of the sites with q_i = -1 in every plane perpendicular to each axis, for
   every temperature: counter ((d * L + x) * n_T + t), P planes each, into cnt; k: scratch of 3 n_T words. */
PTMC_ATTR static PTMC_NOINLINE void PTMC_NAME(msc_count_planes)(int L, int Rp, int n_T, int P,
        const uint64_t *spins, uint64_t *cnt, uint64_t *k) {
    const int n = 3 * L * n_T, N = L * L * L;
    memset(cnt, 0, sizeof(uint64_t) * (size_t)P * n);
    for (int i = 0; i < N; ++i) {
        const uint64_t *row = spins + (long)i * Rp;
        PTMC_NAME(msc_planes_site)(n_T, P, n, row, row + n_T, cnt + (0 * L + i / (L * L)) * n_T,
                                   cnt + (1 * L + (i / L) % L) * n_T, cnt + (2 * L + i % L) * n_T, k);
    }
}

/* Advance one group of 64 lanes from sweep_start to sweep_stop; array layouts in ptmc.pyx (run_multispin).
   Per sweep: replica exchange (from the energies at the end of the previous sweep), Metropolis sweep,
   energies (every sweep, for the exchanges), measurements (on the sweeps ptmc_measured picks) and
   snapshots. */
PTMC_ATTR static void PTMC_NAME(msc_run_group)(
        int L, int n_T, int Rp, int n_bins, int n_con, int every, long sweep_start, long sweep_stop,
        long sweeps_total,
        uint64_t *spins, const uint64_t *jbits, const int32_t *nbr, const uint64_t *digits,
        const uint32_t *p32, const double *betas, uint64_t *ring, int64_t *pos, uint32_t *frng,
        uint32_t *xrng, int32_t *en, double *acc, double *bins, double *swaps, int8_t *snaps,
        const double *cosk, const double *sink) {
    const int N = L * L * L, R = 2 * n_T;
    const long n_meas = sweeps_total / 2, w0 = sweeps_total - n_meas, stride = n_meas / n_con;
    int M = 1, P = 1;
    while ((1L << M) <= 3L * N) ++M;
    while ((1L << P) <= (long)L * L) ++P;
    uint64_t *und = malloc(sizeof(uint64_t) * 3 * Rp);
    uint64_t *big = malloc(sizeof(uint64_t) * (size_t)M * 2 * R);
    uint64_t *small = malloc(sizeof(uint64_t) * 4 * 2 * (size_t)R);
    uint64_t *pc = malloc(sizeof(uint64_t) * (size_t)P * 3 * L * n_T);
    uint64_t *mask = malloc(sizeof(uint64_t) * 2 * (n_T - 1));
    int64_t *val = malloc(sizeof(int64_t) * 2 * 64), *neg = val + 64;
    double *planes = malloc(sizeof(double) * 64 * 3 * L);
    const uint64_t *zero = calloc(Rp, sizeof(uint64_t));
    for (long u = sweep_start; u < sweep_stop; ++u) {
        /* replica exchange, per lane: chain a then chain b, pairs (t, t+1) in order */
        memset(mask, 0, sizeof(uint64_t) * 2 * (n_T - 1));
        for (int b = 0; b < 64; ++b) {
            int32_t *e = en + (long)b * R;
            for (int c = 0; c < 2; ++c) {
                for (int t = 0; t < n_T - 1; ++t) {
                    int sa = c * n_T + t;
                    double delta = (betas[t] - betas[t + 1]) * (double)(e[sa] - e[sa + 1]);
                    if (delta >= 0.0
                        || ptmc_unit_double(ptmc_xoshiro(xrng + 4 * b))
                               < exp(delta)) {
                        int32_t tmp = e[sa];
                        e[sa] = e[sa + 1];
                        e[sa + 1] = tmp;
                        mask[c * (n_T - 1) + t] |= (uint64_t)1 << b;
                        if (u >= w0) swaps[(long)b * (n_T - 1) + t] += 1.0;
                    }
                }
            }
        }
        for (int c = 0; c < 2; ++c) {
            for (int t = 0; t < n_T - 1; ++t) {
                uint64_t m = mask[c * (n_T - 1) + t];
                if (!m) continue;
                int sa = c * n_T + t;
                for (int i = 0; i < N; ++i) {
                    uint64_t *row = spins + (long)i * Rp;
                    uint64_t x = (row[sa] ^ row[sa + 1]) & m;
                    row[sa] ^= x;
                    row[sa + 1] ^= x;
                }
            }
        }

        PTMC_NAME(msc_sweep)(N, Rp, spins, jbits, nbr, digits, p32, ring, pos, frng, und, und + Rp, und + 2 * Rp);

        /* energies E = 2 U - 3N and link overlaps q_l = 1 - 2 V / 3N (V bonds with q_i q_j = -1) */
        const int meas = ptmc_measured(u, sweeps_total, every), nb_cnt = R + 2 * n_T * meas;
        PTMC_NAME(msc_count_bonds)(N, Rp, n_T, meas, M, spins, jbits, nbr, zero, big, small);
        for (int r = 0; r < R; ++r) {
            PTMC_NAME(msc_extract)(big, M, nb_cnt, r, val);
            for (int b = 0; b < 64; ++b) en[(long)b * R + r] = (int32_t)(2 * val[b] - 3L * N);
        }
        /* and q = 1 - 2 n_-/N (n_- sites with q_i = -1), for the log bins and the window */
        const int k = ptmc_log_bin(u), window = u >= w0;
        for (int t = 0; t < n_T * meas; ++t) {
            PTMC_NAME(msc_extract)(big, M, nb_cnt, R + t, val);
            PTMC_NAME(msc_extract)(big, M, nb_cnt, R + n_T + t, neg);
            for (int b = 0; b < 64; ++b) {
                double ql = 1.0 - 2.0 * (double)val[b] / (3.0 * N);
                double et = (double)(en[(long)b * R + t] + en[(long)b * R + n_T + t]) / (2.0 * N);
                double q = (double)(N - 2 * neg[b]) / N, q2 = q * q;
                double *bb = bins + (long)b * PTMC_BINNED * n_T * n_bins;
                bb[t * n_bins + k] += et;
                bb[(n_T + t) * n_bins + k] += ql;
                bb[(2 * n_T + t) * n_bins + k] += q2;
                if (window) {
                    acc[((long)b * 5 + 0) * n_T + t] += et;
                    acc[((long)b * 5 + 1) * n_T + t] += ql;
                    acc[((long)b * 5 + 2) * n_T + t] += q2;
                    acc[((long)b * 5 + 3) * n_T + t] += q2 * q2;
                }
            }
        }
        if (!window) continue;

        /* window: |q(k_min)|^2 / N from the plane sums */
        if (meas) PTMC_NAME(msc_count_planes)(L, Rp, n_T, P, spins, pc, und);
        for (int t = 0; t < n_T * meas; ++t) {
            for (int dx = 0; dx < 3 * L; ++dx) {
                PTMC_NAME(msc_extract)(pc, P, 3 * L * n_T, dx * n_T + t, val);
                for (int b = 0; b < 64; ++b) planes[b * 3 * L + dx] = (double)(L * L - 2 * val[b]);
            }
            for (int b = 0; b < 64; ++b) {
                const double *pl = planes + b * 3 * L;
                double qk2 = 0.0;
                for (int d = 0; d < 3; ++d) {
                    double re = 0.0, im = 0.0;
                    for (int x = 0; x < L; ++x) {
                        re += pl[d * L + x] * cosk[x];
                        im += pl[d * L + x] * sink[x];
                    }
                    qk2 += (re * re + im * im) / N;
                }
                acc[((long)b * 5 + 4) * n_T + t] += qk2 / 3.0;
            }
        }

        /* overlap snapshots, evenly spaced over the window */
        if ((u - w0 + 1) % stride == 0 && (u - w0 + 1) / stride - 1 < n_con) {
            long snap = (u - w0 + 1) / stride - 1;
            for (int t = 0; t < n_T; ++t) {
                for (int i = 0; i < N; ++i) {
                    uint64_t q = spins[(long)i * Rp + t] ^ spins[(long)i * Rp + n_T + t];
                    for (int b = 0; b < 64; ++b)
                        snaps[(((long)b * n_T + t) * n_con + snap) * N + i] = ((q >> b) & 1u) ? -1 : 1;
                }
            }
        }
    }
    free(und); free(big); free(small); free(pc); free(mask); free(val); free(planes); free((void *)zero);
}
