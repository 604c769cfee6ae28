# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Parallel-tempering Monte Carlo kernel for the 3D Edwards-Anderson Ising spin glass.

Arithmetic only: the Python wrapper (``spinglass_ml.simulation``) validates arguments, allocates every
array, seeds the random streams and decides the number of threads. All state lives in the arrays passed
in, so a run split into several calls (for progress reports and checkpoints) is bit-identical to one call.

Layout of one disorder instance (leading axis ``i`` of every array):

* ``R = 2*n_T`` configurations ("slots"); chain ``c`` (replica a or b) holds slots whose temperature is
  given by the permutation ``perm[i, c, t]`` = slot at temperature index ``t`` (chain a the slots
  0..n_T-1, chain b the others). Exchanges permute slots within a chain, never copy spins.
* ``spins[i, site, slot]`` float32 ±1, slots innermost, each slot with its own xoshiro128+ lane.

For a call, the instances go in groups of two whose slots are interleaved in each site's row in the
calling thread's scratch (slot r of instance g at lane g + 2 r, ``group_call``): the vectorised sweep
(``ptmc_sweep.h``) updates all lanes of a site at once, several vectors side by side, and the two
instances give it enough independent work to hide the latency of one Metropolis update (see there).

Per sweep: a sequential Metropolis sweep over the sites (all slots at once), then a replica-exchange pass
over neighbouring temperatures for each chain, then measurements (on the sweeps ``ptmc_measured`` picks, see
``spinglass_ml.simulation.measured_sweeps``; snapshots on their own schedule). A flip with energy change
dE != 0 is accepted with probability min(1, exp(-beta dE)), a zero-field flip (dE = 0) with probability
``p_zero`` (see ``spinglass_ml.lattice.zero_field_flip_probability``). ±1 couplings at L >= 3 take the
multispin path instead (``ptmc_multispin.h``, ``run_multispin``). ``run(..., plain=True)`` replaces the
vectorised sweep by ``sweep_plain``, the scalar reference (``kernel="plain"`` in ``spinglass_ml.simulation``).
"""

import numpy as np

from cython.parallel cimport parallel, prange
from libc.math cimport exp
from libc.stdint cimport int8_t, int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free
from libc.string cimport memcpy

cdef extern from "stdlib.h" nogil:
    int posix_memalign(void **memptr, size_t alignment, size_t size)

cdef extern from *:
    """
    #include "ptmc_common.h"

    /* Baseline path (SSE2 on x86-64, whatever the compiler targets elsewhere). */
    #define PTMC_NAME(f) ptmc_##f##_baseline
    #define PTMC_ATTR
    #define PTMC_VW 4
    #define PTMC_LOCKSTEP 2
    #define PTMC_HELPER_ATTR static inline
    #include "ptmc_sweep.h"
    #include "ptmc_multispin.h"
    #undef PTMC_NAME
    #undef PTMC_ATTR
    #undef PTMC_VW
    #undef PTMC_LOCKSTEP
    #undef PTMC_HELPER_ATTR

    /* On x86-64 the same code is compiled twice more, for AVX2 (8 float lanes instead of 4) and for
       AVX-512 (16 lanes; ternary bitwise logic for the multispin path), and the CPU picks at run time, so
       one portable binary serves login and compute nodes alike. All paths give bit-identical results: the
       same operations per lane, and no FMA (-ffp-contract=off). SPINGLASS_KERNEL_BASELINE=1 in the
       environment forces the baseline path, SPINGLASS_KERNEL_AVX2=1 caps it at AVX2. */
    #if defined(__x86_64__) && defined(__GNUC__)
    #define PTMC_NAME(f) ptmc_##f##_avx512
    #define PTMC_ATTR PTMC_TARGET_AVX512
    #define PTMC_VW 16
    #define PTMC_LOCKSTEP 5
    #define PTMC_HELPER_ATTR static inline __attribute__((always_inline))
    #include "ptmc_sweep.h"
    #include "ptmc_multispin.h"
    #undef PTMC_NAME
    #undef PTMC_ATTR
    #undef PTMC_VW
    #undef PTMC_LOCKSTEP
    #undef PTMC_HELPER_ATTR
    #define PTMC_NAME(f) ptmc_##f##_avx2
    #define PTMC_ATTR PTMC_TARGET_AVX2
    #define PTMC_VW 8
    #define PTMC_LOCKSTEP 2
    #define PTMC_HELPER_ATTR static inline __attribute__((always_inline))
    #include "ptmc_sweep.h"
    #include "ptmc_multispin.h"
    #undef PTMC_NAME
    #undef PTMC_ATTR
    #undef PTMC_VW
    #undef PTMC_LOCKSTEP
    #undef PTMC_HELPER_ATTR
    /* 0: baseline, 1: AVX2, 2: AVX-512 */
    static int ptmc_simd_level(void) {
        const char *base = getenv("SPINGLASS_KERNEL_BASELINE"), *avx2 = getenv("SPINGLASS_KERNEL_AVX2");
        if (base && base[0] == '1') return 0;
        if (!__builtin_cpu_supports("avx2")) return 0;
        if (avx2 && avx2[0] == '1') return 1;
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
               && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") ? 2 : 1;
    }
    #define PTMC_PICK(level, f) ((level) == 2 ? ptmc_##f##_avx512 : (level) == 1 ? ptmc_##f##_avx2 \
                                                                   : ptmc_##f##_baseline)
    #else
    #define PTMC_PICK(level, f) ptmc_##f##_baseline
    static int ptmc_simd_level(void) { return 0; }
    #endif

    static void ptmc_sweep(int level, int N, int Rg, float *spins, const int32_t *nbr, const float *J2,
                           const float *nbeta, float p0, uint32_t *lanes, float *de) {
        PTMC_PICK(level, sweep)(N, Rg, spins, nbr, J2, nbeta, p0, lanes, de);
    }
    static void ptmc_overlaps(int level, int N, int Rg, int nQ, int nQs, const float *spins,
                              const int32_t *partner, float *Q) {
        PTMC_PICK(level, overlaps)(N, Rg, nQ, nQs, spins, partner, Q);
    }
    static void ptmc_link_sums(int level, int N, int nQs, const float *Q, const int32_t *nbr, float *ql) {
        PTMC_PICK(level, link_sums)(N, nQs, Q, nbr, ql);
    }
    static void ptmc_plane_sums(int level, int L, int nQs, const float *Q, float *planes) {
        PTMC_PICK(level, plane_sums)(L, nQs, Q, planes);
    }
    static void ptmc_msc_run_group(int level, int L, int n_T, int Rp, int n_bins, int n_con, int every,
            long sweep_start,
            long sweep_stop, long sweeps_total, uint64_t *spins, const uint64_t *jbits, const int32_t *nbr,
            const uint64_t *digits, const uint32_t *p32, const double *betas, uint64_t *ring, int64_t *pos,
            uint32_t *frng, uint32_t *xrng, int32_t *en, double *acc, double *bins, double *swaps,
            int8_t *snaps, const double *cosk, const double *sink) {
        PTMC_PICK(level, msc_run_group)(L, n_T, Rp, n_bins, n_con, every,
            sweep_start, sweep_stop, sweeps_total, spins, jbits, nbr, digits, p32, betas, ring, pos, frng,
            xrng, en, acc, bins, swaps, snaps, cosk, sink);
    }
    """
    float ptmc_expf(float x) nogil
    float ptmc_uniform(uint32_t *s0, uint32_t *s1, uint32_t *s2, uint32_t *s3) nogil
    void ptmc_sweep(int level, int N, int Rg, float *spins, const int32_t *nbr, const float *J2,
                    const float *nbeta, float p0, uint32_t *lanes, float *de) nogil
    void ptmc_overlaps(int level, int N, int Rg, int nQ, int nQs, const float *spins, const int32_t *partner,
                       float *Q) nogil
    void ptmc_link_sums(int level, int N, int nQs, const float *Q, const int32_t *nbr, float *ql) nogil
    void ptmc_plane_sums(int level, int L, int nQs, const float *Q, float *planes) nogil
    int ptmc_simd_level() nogil
    int ptmc_measured(long u, long S, int m) nogil
    int ptmc_log_bin(long u) nogil
    void ptmc_msc_run_group(int level, int L, int n_T, int Rp, int n_bins, int n_con, int every,
                            long sweep_start,
                            long sweep_stop, long sweeps_total, uint64_t *spins, const uint64_t *jbits,
                            const int32_t *nbr, const uint64_t *digits, const uint32_t *p32,
                            const double *betas, uint64_t *ring, int64_t *pos, uint32_t *frng,
                            uint32_t *xrng, int32_t *en, double *acc, double *bins, double *swaps,
                            int8_t *snaps, const double *cosk, const double *sink) nogil
    enum: MSC_DIGITS
    enum: MSC_K
    enum: PTMC_MAXR  # largest number of slots (2 n_T) per instance
    enum: PTMC_BINNED  # log-binned observables: e, q_l, q^2

cdef enum:
    # rows of the window accumulators ``acc[i, k, t]``
    ACC_ENERGY = 0
    ACC_LINK = 1
    ACC_Q2 = 2
    ACC_Q4 = 3
    ACC_QK2 = 4
    # rows of the log-bin sums ``bins[i, k, t, b]``
    BIN_ENERGY = 0
    BIN_LINK = 1
    BIN_Q2 = 2
    # instances per group of the slot kernel (their slots side by side in every site's row)
    GROUP = 2


def simd_path() -> str:
    """The instruction-set path the kernel takes on this CPU: 'avx512', 'avx2' or 'baseline'."""
    return ("baseline", "avx2", "avx512")[ptmc_simd_level()]


cpdef float expf_fast(float x) noexcept nogil:
    """The kernel's float32 exponential (valid for x <= 0), exposed for its accuracy test."""
    return ptmc_expf(x)


cdef plane_waves(int L):
    """cos and sin of 2 pi x / L at the plane positions x < L, rows 0 and 1 of a (2, L) array: the smallest
    wave vector of both kernels' |q(k_min)|^2."""
    x = 2.0 * np.pi * np.arange(L) / L
    return np.ascontiguousarray([np.cos(x), np.sin(x)])


cdef void sweep_plain(int N, int R, int stride, float *spins, const int32_t *nbr, const float *J6,
                      const float *beta, float p0, uint32_t *lanes, float *de) noexcept nogil:
    """The plain path's sweep, the slow and obviously correct reference of ``ptmc_sweep``: one spin of one
    configuration at a time, and exp(-beta dE) from libm in double precision. It draws the same random number
    per attempt from the same lane and computes dE with the same float32 operations, so it runs the same
    Markov chain as the vectorised path up to the float32 rounding of -beta dE and of the exponential there.
    Site i's spin in slot r is spins[i * stride + r], word k of slot r's generator lanes[k * stride + r]."""
    cdef int r, i, k
    cdef float h, s, d
    cdef double p
    cdef float u
    cdef const int32_t *nb
    for r in range(R):
        de[r] = 0.0
    for i in range(N):  # slots do not interact within a sweep: any order of (site, slot) gives the same chain
        nb = nbr + 6 * i
        for r in range(R):
            h = J6[6 * i] * spins[nb[0] * stride + r]
            for k in range(1, 6):
                h = h + J6[6 * i + k] * spins[nb[k] * stride + r]
            s = spins[i * stride + r]
            d = 2.0 * s * h
            u = ptmc_uniform(lanes + r, lanes + stride + r, lanes + 2 * stride + r, lanes + 3 * stride + r)
            if d < 0.0:
                p = 1.0
            elif d == 0.0:
                p = p0
            else:
                p = exp(-(<double> beta[r]) * d)
            if u < p:
                spins[i * stride + r] = -s
                de[r] += d


cdef struct Instance:
    # one instance's state and sums during a call (its own cache lines in the thread's scratch) and inputs
    double *energy    # (R,)
    int32_t *perm     # (2, n_T)
    uint32_t *xrng    # (4,)
    double *acc       # (5, n_T)
    double *bins      # (PTMC_BINNED, n_T, n_bins)
    double *swaps     # (n_T - 1,)
    float *beta       # (R,) inverse temperature of each slot
    int8_t *snaps     # (n_T, n_con, N), in the output array
    const float *J6   # (N, 6), in the input array


cdef struct Work:
    # the measurements' work arrays in the thread's scratch
    float *Q          # (N, nQs) site overlaps of a group in lane space, see measure
    float *planes     # (3 L, nQs) plane sums of Q
    float *ql         # (nQs,) link-overlap sums
    int32_t *partner  # (G n_T,) chain-b lane at the temperature of each chain-a lane


cdef inline int round_up(int n, int m) noexcept nogil:
    return (n + m - 1) // m * m


cdef void exchange(
    Instance *I, int off, int ls, float *nbeta, const float *de, long u, const double *betas, int n_T,
    long w0,
) noexcept nogil:
    """Sweep u's energies and replica exchanges for one instance of a group: its slot r is lane off + ls r of
    nbeta (-beta per lane) and de (the sweep's energy changes)."""
    cdef int R = 2 * n_T
    cdef int r, t, c, a, b
    cdef double delta
    cdef int32_t *perm = I.perm
    cdef double *energy = I.energy
    for r in range(R):
        energy[r] += de[off + ls * r]
    # replica exchange between neighbouring temperatures, chain a then chain b
    for c in range(2):
        for t in range(n_T - 1):
            a = perm[c * n_T + t]
            b = perm[c * n_T + t + 1]
            delta = (betas[t] - betas[t + 1]) * (energy[a] - energy[b])
            if delta >= 0.0 or ptmc_uniform(I.xrng, I.xrng + 1, I.xrng + 2, I.xrng + 3) < exp(delta):
                perm[c * n_T + t] = b
                perm[c * n_T + t + 1] = a
                I.beta[a] = <float> betas[t + 1]
                I.beta[b] = <float> betas[t]
                nbeta[off + ls * a] = -I.beta[a]
                nbeta[off + ls * b] = -I.beta[b]
                if u >= w0:
                    I.swaps[t] += 1.0


cdef void measure(
    int G, Instance *inst, const float *rows, int Rg, Work W, long u, const int32_t *nbr,
    const double *cosk, const double *sink, int L, int n_T, int n_bins, long sweeps_total, int n_con,
    int level, int every,
) noexcept nogil:
    """Sweep u's measurements and snapshots for the G instances of a group (instance g's slot r is lane
    g + G r of the rows). The site overlaps are computed for all of them at once, in lane space: chain a's
    slots (r < n_T) are lanes l < G n_T, and Q[i, l] = s_i^l s_i^partner(l), partner(l) the chain-b lane at
    the same temperature, so instance g's overlap at temperature t is Q[i, g + G perm[t]]."""
    cdef int N = L * L * L
    cdef int nQ = G * n_T
    cdef int nQs = round_up(nQ, 16)
    cdef long n_meas = sweeps_total // 2
    cdef long w0 = sweeps_total - n_meas
    cdef long stride = n_meas // n_con
    cdef float qs  # a sum of ±1: exact in float32 up to 2^24
    cdef int i, t, x, a, d, g, k
    cdef long snap
    cdef bint meas, snap_due
    cdef double e_t, ql, q, q2, re, im, qk2
    cdef Instance *I
    meas = ptmc_measured(u, sweeps_total, every)
    snap_due = u >= w0 and (u - w0 + 1) % stride == 0 and (u - w0 + 1) // stride - 1 < n_con
    if not (meas or snap_due):
        return

    # site overlaps q_i = s_i^a s_i^b of each temperature, in lane space
    for g in range(G):
        for t in range(n_T):
            W.partner[g + G * inst[g].perm[t]] = g + G * inst[g].perm[n_T + t]
    ptmc_overlaps(level, N, Rg, nQ, nQs, rows, W.partner, W.Q)

    # overlap snapshots, evenly spaced over the window
    if snap_due:
        snap = (u - w0 + 1) // stride - 1
        for g in range(G):
            for t in range(n_T):
                a = g + G * inst[g].perm[t]
                for i in range(N):
                    inst[g].snaps[(t * n_con + snap) * N + i] = <int8_t> W.Q[i * nQs + a]
    if not meas:
        return

    # link overlap and q^2 (for the log-binned equilibration test and the window), q from the plane sums
    ptmc_link_sums(level, N, nQs, W.Q, nbr, W.ql)
    ptmc_plane_sums(level, L, nQs, W.Q, W.planes)
    k = ptmc_log_bin(u)
    for g in range(G):
        I = &inst[g]
        for t in range(n_T):
            a = g + G * I.perm[t]
            ql = W.ql[a] / (3.0 * N)
            e_t = (I.energy[I.perm[t]] + I.energy[I.perm[n_T + t]]) / (2.0 * N)
            qs = 0.0
            for x in range(L):
                qs += W.planes[x * nQs + a]
            q = qs / N
            q2 = q * q
            I.bins[(BIN_ENERGY * n_T + t) * n_bins + k] += e_t
            I.bins[(BIN_LINK * n_T + t) * n_bins + k] += ql
            I.bins[(BIN_Q2 * n_T + t) * n_bins + k] += q2
            if u < w0:
                continue
            I.acc[ACC_ENERGY * n_T + t] += e_t
            I.acc[ACC_LINK * n_T + t] += ql
            I.acc[ACC_Q2 * n_T + t] += q2
            I.acc[ACC_Q4 * n_T + t] += q2 * q2
            # |q(k_min)|^2 / N, window only
            qk2 = 0.0
            for d in range(3):
                re = 0.0
                im = 0.0
                for x in range(L):
                    re += W.planes[(d * L + x) * nQs + a] * cosk[x]
                    im += W.planes[(d * L + x) * nQs + a] * sink[x]
                qk2 += (re * re + im * im) / N
            I.acc[ACC_QK2 * n_T + t] += qk2 / 3.0


cdef void run_group(
    int G, Instance *inst, float *rows, int Rg, uint32_t *lanes, float *nbeta, float *de, const float *J2,
    Work W, const int32_t *nbr, const double *betas, const double *cosk, const double *sink,
    int L, int n_T, int n_bins, long sweep_start, long sweep_stop, long sweeps_total, int n_con,
    int level, float p_zero, int every, bint plain,
) noexcept nogil:
    """Advance the G instances of one group from sweep_start to sweep_stop (0-based, exclusive). Instance g's
    slot r is lane g + G r of the group's rows (N rows of Rg floats), lanes (4 rows of Rg words), nbeta and
    de; lanes past G R are padding: updated, never read (beta 0). J2: the couplings as (instance 0, instance
    G - 1) pairs, see ptmc_sweep.h. The plain path takes groups of one (its sweep reads inst[0].J6)."""
    cdef int N = L * L * L
    cdef int R = 2 * n_T
    cdef long w0 = sweeps_total - sweeps_total // 2
    cdef int g, t, c, r
    cdef long u
    cdef Instance *I
    for r in range(Rg):
        nbeta[r] = 0.0
    for g in range(G):
        I = &inst[g]
        for c in range(2):
            for t in range(n_T):
                I.beta[I.perm[c * n_T + t]] = <float> betas[t]
        for r in range(R):
            nbeta[g + G * r] = -I.beta[r]

    for u in range(sweep_start, sweep_stop):
        if plain:
            sweep_plain(N, R, Rg, rows, nbr, inst[0].J6, inst[0].beta, p_zero, lanes, de)
        else:
            ptmc_sweep(level, N, Rg, rows, nbr, J2, nbeta, p_zero, lanes, de)
        for g in range(G):
            exchange(&inst[g], g, G, nbeta, de, u, betas, n_T, w0)
        measure(G, inst, rows, Rg, W, u, nbr, cosk, sink, L, n_T, n_bins, sweeps_total, n_con, level, every)


cdef struct ScratchLayout:
    # byte offsets into one thread's scratch block, each a multiple of 64 (a cache line), and its size: the
    # group's rows, lanes, -beta, energy changes and coupling pairs, the measurements' work arrays, then per
    # instance (offsets relative to inst + g * inst_size) its state and sums
    size_t rows, lanes, nbeta, de, J2, Q, planes, ql, partner, inst
    size_t energy, perm, xrng, acc, bins, swaps, beta, inst_size, total


cdef inline size_t line_up(size_t nbytes) noexcept nogil:
    """nbytes rounded up to whole 64-byte cache lines."""
    return (nbytes + 63) // 64 * 64


cdef ScratchLayout scratch_layout(int N, int L, int n_T, int n_bins) noexcept:
    """Layout of a thread's scratch for groups of up to GROUP instances (rows of Rg = GROUP R rounded up to
    16 floats: 64-byte aligned)."""
    cdef ScratchLayout lay
    cdef int R = 2 * n_T
    cdef int Rg = round_up(GROUP * R, 16)
    cdef int nQs = round_up(GROUP * n_T, 16)
    lay.rows = 0
    lay.lanes = lay.rows + line_up(sizeof(float) * N * Rg)
    lay.nbeta = lay.lanes + line_up(sizeof(uint32_t) * 4 * Rg)
    lay.de = lay.nbeta + line_up(sizeof(float) * Rg)
    lay.J2 = lay.de + line_up(sizeof(float) * Rg)
    lay.Q = lay.J2 + line_up(sizeof(float) * N * 12)
    lay.planes = lay.Q + line_up(sizeof(float) * N * nQs)
    lay.ql = lay.planes + line_up(sizeof(float) * 3 * L * nQs)
    lay.partner = lay.ql + line_up(sizeof(float) * nQs)
    lay.inst = lay.partner + line_up(sizeof(int32_t) * GROUP * n_T)
    lay.energy = 0
    lay.perm = lay.energy + line_up(sizeof(double) * R)
    lay.xrng = lay.perm + line_up(sizeof(int32_t) * R)
    lay.acc = lay.xrng + line_up(sizeof(uint32_t) * 4)
    lay.bins = lay.acc + line_up(sizeof(double) * 5 * n_T)
    lay.swaps = lay.bins + line_up(sizeof(double) * PTMC_BINNED * n_T * n_bins)
    lay.beta = lay.swaps + line_up(sizeof(double) * (n_T - 1))
    lay.inst_size = lay.beta + line_up(sizeof(float) * R)
    lay.total = lay.inst + GROUP * lay.inst_size
    return lay


cdef void group_call(
    char *scratch, const ScratchLayout *lay, int i0, int G,
    float *spins, double *energy, int32_t *perm, uint32_t *lanes, uint32_t *xrng, const float *J6,
    const int32_t *nbr, const double *betas, double *acc, double *bins, double *swaps, int8_t *snaps,
    const double *cosk, const double *sink, int L, int n_T, int n_bins, long sweep_start, long sweep_stop,
    long sweeps_total, int n_con, int level, float p_zero, int every, bint plain,
) noexcept nogil:
    """One call's work on the group of instances i0 .. i0 + G - 1 (array layouts as in run): their state is
    copied to this thread's scratch in the group layout, advanced, and copied back. The scratch also keeps
    it in this thread's own cache lines for the call: rows of neighbouring instances share cache lines, and
    two threads writing one line (false sharing) halved the two-thread speed of the simd path."""
    cdef int N = L * L * L
    cdef int R = 2 * n_T
    cdef int Rg = round_up(G * R, 16)
    cdef long nb = PTMC_BINNED * n_T * n_bins  # log-bin sums of one instance
    cdef int i, j, k, g, n, r
    cdef char *base
    cdef Instance inst[GROUP]
    cdef Work W
    cdef float *rows = <float *> (scratch + lay.rows)
    cdef uint32_t *glanes = <uint32_t *> (scratch + lay.lanes)
    cdef float *J2 = <float *> (scratch + lay.J2)
    cdef const float *src
    for i in range(N):
        for j in range(G * R, Rg):
            rows[i * Rg + j] = 1.0
    for j in range(4):
        for k in range(G * R, Rg):
            glanes[j * Rg + k] = 0x9E3779B9u + <uint32_t> (j * Rg + k)  # padding lanes: any non-zero state
    for g in range(G):
        n = i0 + g
        base = scratch + lay.inst + g * lay.inst_size
        inst[g].energy = <double *> (base + lay.energy)
        inst[g].perm = <int32_t *> (base + lay.perm)
        inst[g].xrng = <uint32_t *> (base + lay.xrng)
        inst[g].acc = <double *> (base + lay.acc)
        inst[g].bins = <double *> (base + lay.bins)
        inst[g].swaps = <double *> (base + lay.swaps)
        inst[g].beta = <float *> (base + lay.beta)
        inst[g].snaps = snaps + <long> n * n_T * n_con * N
        inst[g].J6 = J6 + <long> n * N * 6
        for i in range(N):
            src = spins + (<long> n * N + i) * R
            for r in range(R):
                rows[i * Rg + g + G * r] = src[r]
        for j in range(4):
            for r in range(R):
                glanes[j * Rg + g + G * r] = lanes[(n * 4 + j) * R + r]
        memcpy(inst[g].energy, energy + n * R, sizeof(double) * R)
        memcpy(inst[g].perm, perm + n * R, sizeof(int32_t) * R)
        memcpy(inst[g].xrng, xrng + n * 4, sizeof(uint32_t) * 4)
        memcpy(inst[g].acc, acc + n * 5 * n_T, sizeof(double) * 5 * n_T)
        memcpy(inst[g].bins, bins + n * nb, sizeof(double) * nb)
        memcpy(inst[g].swaps, swaps + n * (n_T - 1), sizeof(double) * (n_T - 1))
    for i in range(6 * N):  # coupling pairs: (instance 0, instance G - 1)
        J2[2 * i] = inst[0].J6[i]
        J2[2 * i + 1] = inst[G - 1].J6[i]
    W.Q = <float *> (scratch + lay.Q)
    W.planes = <float *> (scratch + lay.planes)
    W.ql = <float *> (scratch + lay.ql)
    W.partner = <int32_t *> (scratch + lay.partner)
    run_group(G, inst, rows, Rg, glanes, <float *> (scratch + lay.nbeta), <float *> (scratch + lay.de), J2,
              W, nbr, betas, cosk, sink, L, n_T, n_bins, sweep_start, sweep_stop, sweeps_total, n_con, level,
              p_zero, every, plain)
    for g in range(G):
        n = i0 + g
        for i in range(N):
            src = spins + (<long> n * N + i) * R
            for r in range(R):
                (<float *> src)[r] = rows[i * Rg + g + G * r]
        for j in range(4):
            for r in range(R):
                lanes[(n * 4 + j) * R + r] = glanes[j * Rg + g + G * r]
        memcpy(energy + n * R, inst[g].energy, sizeof(double) * R)
        memcpy(perm + n * R, inst[g].perm, sizeof(int32_t) * R)
        memcpy(xrng + n * 4, inst[g].xrng, sizeof(uint32_t) * 4)
        memcpy(acc + n * 5 * n_T, inst[g].acc, sizeof(double) * 5 * n_T)
        memcpy(bins + n * nb, inst[g].bins, sizeof(double) * nb)
        memcpy(swaps + n * (n_T - 1), inst[g].swaps, sizeof(double) * (n_T - 1))


def run(
    float[:, :, ::1] spins,           # IN/OUT (n_i, N, R)        ±1 spins, slots innermost
    double[:, ::1] energy,            # IN/OUT (n_i, R)           total energy of each slot
    int32_t[:, :, ::1] perm,          # IN/OUT (n_i, 2, n_T)      slot at each (chain, temperature)
    uint32_t[:, :, ::1] lanes,        # IN/OUT (n_i, 4, R)        xoshiro128+ state of each slot's lane
    uint32_t[:, ::1] xrng,            # IN/OUT (n_i, 4)           xoshiro128+ state of the exchange stream
    const float[:, :, ::1] J6,        # IN     (n_i, N, 6)        couplings to the six neighbours
    const int32_t[:, ::1] nbr,        # IN     (N, 6)             neighbour table
    const double[::1] betas,          # IN     (n_T,)             inverse temperatures, descending
    double[:, :, ::1] acc,            # IN/OUT (n_i, 5, n_T)      window sums: e, q_l, q^2, q^4, qk2
    double[:, :, :, ::1] bins,        # IN/OUT (n_i, 3, n_T, n_bins) log-bin sums of e, q_l and q^2
    double[:, ::1] swaps,             # IN/OUT (n_i, n_T - 1)     accepted exchanges in the window
    int8_t[:, :, :, ::1] snaps,       # OUT    (n_i, n_T, n_con, N) overlap snapshots
    long sweep_start,
    long sweep_stop,
    long sweeps_total,
    float p_zero,                     #                           flip probability of a zero-field spin
    int measure_every,                #                           measure on the sweeps ptmc_measured picks
    int num_threads,
    bint plain=False,                 #                           the scalar reference sweep (sweep_plain)
):
    """Advance every instance from sweep_start to sweep_stop (0-based sweep indices, exclusive).

    Chain a holds slots 0..n_T-1 and chain b slots n_T..2 n_T-1 (exchanges permute slots within a chain).
    Instances go in groups of two (instances 2g and 2g + 1; the last alone if n_i is odd; the plain path one
    at a time), whose slots the sweep updates side by side; groups are independent and distributed over
    ``num_threads`` OpenMP threads.
    Every slot's arithmetic is its own, so the result depends neither on the thread count nor on the grouping.
    """
    cdef int n_i = spins.shape[0]
    cdef int N = spins.shape[1]
    cdef int R = spins.shape[2]
    cdef int n_T = betas.shape[0]
    cdef int n_bins = bins.shape[3]
    cdef int n_con = snaps.shape[2]
    cdef int L = round(N ** (1.0 / 3.0))
    cdef int size = 1 if plain else GROUP  # the plain path sweeps one instance at a time
    cdef int n_groups = (n_i + size - 1) // size
    cdef int g
    cdef char *scratch
    cdef ScratchLayout lay
    if (L * L * L != N or R != 2 * n_T or R > PTMC_MAXR or n_T < 2 or measure_every < 1
            or bins.shape[1] != PTMC_BINNED):
        raise ValueError("inconsistent kernel array shapes")
    p = np.asarray(perm)
    if n_i and not (np.all(np.sort(p[:, 0], axis=1) == np.arange(n_T))
                    and np.all(np.sort(p[:, 1], axis=1) == np.arange(n_T, R))):
        raise ValueError("perm: chain a must hold slots 0..n_T-1 and chain b slots n_T..2 n_T-1")
    cdef double[:, ::1] wave = plane_waves(L)
    if n_i == 0 or sweep_stop <= sweep_start:
        return
    cdef int level = ptmc_simd_level()
    lay = scratch_layout(N, L, n_T, n_bins)
    with nogil, parallel(num_threads=num_threads):
        scratch = NULL
        if posix_memalign(<void **> &scratch, 64, lay.total) != 0:
            scratch = NULL
        for g in prange(n_groups, schedule="dynamic"):
            if scratch == NULL:
                continue  # allocation failed: the instances are left as they were (checked below)
            group_call(scratch, &lay, size * g, min(size, n_i - size * g), &spins[0, 0, 0], &energy[0, 0],
                       &perm[0, 0, 0], &lanes[0, 0, 0], &xrng[0, 0], &J6[0, 0, 0], &nbr[0, 0], &betas[0],
                       &acc[0, 0, 0], &bins[0, 0, 0, 0], &swaps[0, 0], &snaps[0, 0, 0, 0], &wave[0, 0],
                       &wave[1, 0], L, n_T, n_bins, sweep_start, sweep_stop, sweeps_total, n_con, level,
                       p_zero, measure_every, plain)
        if scratch == NULL:
            with gil:
                raise MemoryError("ptmc.run: could not allocate a thread's scratch memory")
        free(scratch)


MULTISPIN_DIGITS = MSC_DIGITS  # acceptance digits per (site, slot) taken from each lane's bit stream
LOG_BINNED = PTMC_BINNED       # observables in the log bins: e, q_l, q^2 (rows of bins)
MULTISPIN_RING = MSC_K         # words in a group's shift-register ring (the lag of its longest tap)


def run_multispin(
    uint64_t[:, :, ::1] spins,        # IN/OUT (n_g, N, Rp)       bit b: lane b's spin (1 = -1), slot c n_T + t
    const uint64_t[:, :, ::1] jbits,  # IN     (n_g, N, 6)        bit b: lane b's coupling to neighbour d is -1
    const int32_t[:, ::1] nbr,        # IN     (N, 6)             neighbour table
    const uint64_t[:, :, :, ::1] digits,  # IN (Rp/4, 3, D, 4)    all ones where digit d of p32[r, c] is 1
    const uint32_t[:, ::1] p32,       # IN     (Rp, 3)            floor(2^32 exp(-beta dE)), dE = 4, 8, 12
    const double[::1] betas,          # IN     (n_T,)             inverse temperatures, descending
    uint64_t[:, ::1] ring,            # IN/OUT (n_g, K)           the lanes' shift-register bit streams
    int64_t[::1] ring_pos,            # IN/OUT (n_g,)             next unused word of each ring
    uint32_t[:, ::1] frng,            # IN/OUT (n_g * 64, 4)      xoshiro128+ of each lane's tie-breaking digits
    uint32_t[:, ::1] xrng,            # IN/OUT (n_g * 64, 4)      xoshiro128+ of each lane's exchanges
    int32_t[:, ::1] energy,           # IN/OUT (n_g * 64, R)      total energy of each lane's slots
    double[:, :, ::1] acc,            # IN/OUT (n_g * 64, 5, n_T) window sums: e, q_l, q^2, q^4, qk2
    double[:, :, :, ::1] bins,        # IN/OUT (n_g * 64, 3, n_T, n_bins) log-bin sums of e, q_l, q^2
    double[:, ::1] swaps,             # IN/OUT (n_g * 64, n_T - 1) accepted exchanges in the window
    int8_t[:, :, :, ::1] snaps,       # OUT    (n_g * 64, n_T, n_con, N) overlap snapshots
    long sweep_start,
    long sweep_stop,
    long sweeps_total,
    int measure_every,
    int num_threads,
):
    """Multispin-coded parallel tempering of ±1 couplings (``ptmc_multispin.h``), 64 instances per group.

    Groups are independent and distributed over ``num_threads`` OpenMP threads; within a group every lane
    uses only its own random streams, so results depend neither on the thread count nor on the grouping.
    """
    cdef int n_g = spins.shape[0]
    cdef int N = spins.shape[1]
    cdef int Rp = spins.shape[2]
    cdef int n_T = betas.shape[0]
    cdef int n_bins = bins.shape[3]
    cdef int n_con = snaps.shape[2]
    cdef int L = round(N ** (1.0 / 3.0))
    cdef int g
    if (L * L * L != N or L < 3 or Rp != (2 * n_T + 3) // 4 * 4 or Rp > PTMC_MAXR or n_T < 2
            or digits.shape[0] * 4 != Rp or digits.shape[2] != MSC_DIGITS or p32.shape[0] != Rp
            or energy.shape[1] != 2 * n_T or ring.shape[1] != MSC_K or acc.shape[0] != 64 * n_g
            or measure_every < 1 or bins.shape[1] != PTMC_BINNED):
        raise ValueError("inconsistent multispin kernel array shapes")
    cdef double[:, ::1] wave = plane_waves(L)
    if n_g == 0 or sweep_stop <= sweep_start:
        return
    cdef int level = ptmc_simd_level()
    cdef int64_t pos
    for g in prange(n_g, nogil=True, schedule="dynamic", num_threads=num_threads):
        pos = ring_pos[g]  # advanced at every site: a thread-local copy, not a cache line shared by 8 groups
        ptmc_msc_run_group(level, L, n_T, Rp, n_bins, n_con, measure_every, sweep_start, sweep_stop, sweeps_total,
                           &spins[g, 0, 0], &jbits[g, 0, 0], &nbr[0, 0], &digits[0, 0, 0, 0], &p32[0, 0],
                           &betas[0], &ring[g, 0], &pos, &frng[64 * g, 0], &xrng[64 * g, 0],
                           &energy[64 * g, 0], &acc[64 * g, 0, 0], &bins[64 * g, 0, 0, 0],
                           &swaps[64 * g, 0], &snaps[64 * g, 0, 0, 0], &wave[0, 0], &wave[1, 0])
        ring_pos[g] = pos
