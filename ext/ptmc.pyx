# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Parallel-tempering Monte Carlo kernel for the 3D Edwards-Anderson Ising spin glass.

Arithmetic only: the Python wrapper (``spinglass_ml.simulation``) validates arguments, allocates every
array, seeds the random streams and decides the number of threads. All state lives in the arrays passed
in, so a run split into several calls (for progress reports and checkpoints) is bit-identical to one call.

Layout of one disorder instance (leading axis ``i`` of every array):

* ``R = 2*n_T`` configurations ("slots"); chain ``c`` (replica a or b) holds slots whose temperature is
  given by the permutation ``perm[i, c, t]`` = slot at temperature index ``t``. Exchanges permute slots,
  never copy spins.
* ``spins[i, site, slot]`` float32 ±1, slots innermost: the update of one site runs over all R slots at
  once in a loop the compiler vectorises (SIMD), each slot with its own xoshiro128+ lane.

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
    #define PTMC_UPDATE_ATTR static inline
    #define PTMC_HELPER_ATTR static inline
    #include "ptmc_sweep.h"
    #include "ptmc_multispin.h"
    #undef PTMC_NAME
    #undef PTMC_ATTR
    #undef PTMC_UPDATE_ATTR
    #undef PTMC_HELPER_ATTR

    /* On x86-64 the same code is compiled twice more, for AVX2 (8 float lanes instead of 4) and for
       AVX-512 (16 lanes; ternary bitwise logic for the multispin path), and the CPU picks at run time, so
       one portable binary serves login and compute nodes alike. All paths give bit-identical results: the
       same operations per lane, and no FMA (-ffp-contract=off). SPINGLASS_KERNEL_BASELINE=1 in the
       environment forces the baseline path, SPINGLASS_KERNEL_AVX2=1 caps it at AVX2. The inlining
       attributes differ from the baseline's because GCC 12 vectorises the simd path's loop only with
       these (checked with -fopt-info-vec; the benchmark shows the effect). */
    #if defined(__x86_64__) && defined(__GNUC__)
    #define PTMC_NAME(f) ptmc_##f##_avx512
    #define PTMC_ATTR PTMC_TARGET_AVX512
    #define PTMC_UPDATE_ATTR static __attribute__((noinline))
    #define PTMC_HELPER_ATTR static inline __attribute__((always_inline))
    #include "ptmc_sweep.h"
    #include "ptmc_multispin.h"
    #undef PTMC_NAME
    #undef PTMC_ATTR
    #undef PTMC_UPDATE_ATTR
    #undef PTMC_HELPER_ATTR
    #define PTMC_NAME(f) ptmc_##f##_avx2
    #define PTMC_ATTR PTMC_TARGET_AVX2
    #define PTMC_UPDATE_ATTR static __attribute__((noinline))
    #define PTMC_HELPER_ATTR static inline __attribute__((always_inline))
    #include "ptmc_sweep.h"
    #include "ptmc_multispin.h"
    #undef PTMC_NAME
    #undef PTMC_ATTR
    #undef PTMC_UPDATE_ATTR
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
    #else
    #define ptmc_sweep_avx2 ptmc_sweep_baseline
    #define ptmc_sweep_avx512 ptmc_sweep_baseline
    #define ptmc_msc_run_group_avx2 ptmc_msc_run_group_baseline
    #define ptmc_msc_run_group_avx512 ptmc_msc_run_group_baseline
    static int ptmc_simd_level(void) { return 0; }
    #endif

    static void ptmc_sweep(int level, int N, int R, float *spins, const int32_t *nbr, const float *J6,
                           const float *beta, float p0, uint32_t *lanes, float *de) {
        (level == 2 ? ptmc_sweep_avx512 : level == 1 ? ptmc_sweep_avx2 : ptmc_sweep_baseline)(
            N, R, spins, nbr, J6, beta, p0, lanes, de);
    }
    static void ptmc_msc_run_group(int level, int L, int n_T, int Rp, int n_bins, int n_con, int every,
            long sweep_start,
            long sweep_stop, long sweeps_total, uint64_t *spins, const uint64_t *jbits, const int32_t *nbr,
            const uint64_t *digits, const uint32_t *p32, const double *betas, uint64_t *ring, int64_t *pos,
            uint32_t *frng, uint32_t *xrng, int32_t *en, double *acc, double *bins, double *swaps,
            int8_t *snaps, const double *cosk, const double *sink) {
        (level == 2 ? ptmc_msc_run_group_avx512 : level == 1 ? ptmc_msc_run_group_avx2
                    : ptmc_msc_run_group_baseline)(L, n_T, Rp, n_bins, n_con, every,
            sweep_start, sweep_stop, sweeps_total, spins, jbits, nbr, digits, p32, betas, ring, pos, frng,
            xrng, en, acc, bins, swaps, snaps, cosk, sink);
    }
    """
    float ptmc_expf(float x) nogil
    float ptmc_uniform(uint32_t *s0, uint32_t *s1, uint32_t *s2, uint32_t *s3) nogil
    void ptmc_sweep(int level, int N, int R, float *spins, const int32_t *nbr, const float *J6,
                    const float *beta, float p0, uint32_t *lanes, float *de) nogil
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

cdef enum:
    # rows of the window accumulators ``acc[i, k, t]``
    ACC_ENERGY = 0
    ACC_LINK = 1
    ACC_Q2 = 2
    ACC_Q4 = 3
    ACC_QK2 = 4
    # largest number of slots (2 n_T) per instance
    MAXR = 512


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


cdef void sweep_plain(int N, int R, float *spins, const int32_t *nbr, const float *J6, const float *beta,
                      float p0, uint32_t *lanes, float *de) noexcept nogil:
    """The plain path's sweep, the slow and obviously correct reference of ``ptmc_sweep``: one spin of one
    configuration at a time, and exp(-beta dE) from libm in double precision. It draws the same random number
    per attempt from the same lane and computes dE with the same float32 operations, so it runs the same
    Markov chain as the vectorised path up to the float32 rounding of -beta dE and of the exponential there."""
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
            h = J6[6 * i] * spins[nb[0] * R + r]
            for k in range(1, 6):
                h = h + J6[6 * i + k] * spins[nb[k] * R + r]
            s = spins[i * R + r]
            d = 2.0 * s * h
            u = ptmc_uniform(lanes + r, lanes + R + r, lanes + 2 * R + r, lanes + 3 * R + r)
            if d < 0.0:
                p = 1.0
            elif d == 0.0:
                p = p0
            else:
                p = exp(-(<double> beta[r]) * d)
            if u < p:
                spins[i * R + r] = -s
                de[r] += d


cdef void run_instance(
    float *spins, double *energy, int32_t *perm, uint32_t *lanes, uint32_t *xrng,
    const float *J6, const int32_t *nbr, const double *betas, double *acc, double *bins,
    double *swaps, int8_t *snaps, const double *cosk, const double *sink,
    int L, int n_T, int n_bins, long sweep_start, long sweep_stop, long sweeps_total, int n_con,
    float *Q, float *planes, int level, float p_zero, int every, bint plain,
) noexcept nogil:
    """Advance one instance from sweep_start to sweep_stop (0-based, exclusive); see run() for layouts."""
    cdef int N = L * L * L
    cdef int R = 2 * n_T
    cdef long n_meas = sweeps_total // 2
    cdef long w0 = sweeps_total - n_meas
    cdef long stride = n_meas // n_con
    cdef float beta_slot[MAXR]
    cdef float de[MAXR]
    cdef float ql[MAXR]  # sums of products of ±1: exact in float32 up to 2^24
    cdef float qs[MAXR]
    cdef int i, r, t, c, d, x, a, b, k
    cdef long u
    cdef long snap
    cdef bint meas, snap_due
    cdef double delta, e_t, q, q2, re, im, qk2
    cdef float *row
    cdef float *Qi
    cdef float *Qn
    cdef float *P0
    cdef float *P1
    cdef float *P2

    for c in range(2):
        for t in range(n_T):
            beta_slot[perm[c * n_T + t]] = <float> betas[t]

    for u in range(sweep_start, sweep_stop):
        if plain:
            sweep_plain(N, R, spins, nbr, J6, beta_slot, p_zero, lanes, de)
        else:
            ptmc_sweep(level, N, R, spins, nbr, J6, beta_slot, p_zero, lanes, de)
        for r in range(R):
            energy[r] += de[r]

        # replica exchange between neighbouring temperatures, chain a then chain b
        for c in range(2):
            for t in range(n_T - 1):
                a = perm[c * n_T + t]
                b = perm[c * n_T + t + 1]
                delta = (betas[t] - betas[t + 1]) * (energy[a] - energy[b])
                if delta >= 0.0 or ptmc_uniform(xrng, xrng + 1, xrng + 2, xrng + 3) < exp(delta):
                    perm[c * n_T + t] = b
                    perm[c * n_T + t + 1] = a
                    beta_slot[a] = <float> betas[t + 1]
                    beta_slot[b] = <float> betas[t]
                    if u >= w0:
                        swaps[t] += 1.0

        meas = ptmc_measured(u, sweeps_total, every)
        snap_due = u >= w0 and (u - w0 + 1) % stride == 0 and (u - w0 + 1) // stride - 1 < n_con
        if not (meas or snap_due):
            continue

        # site overlaps Q[i, t] = s_i^a s_i^b at each temperature
        for i in range(N):
            row = spins + i * R
            Qi = Q + i * n_T
            for t in range(n_T):
                Qi[t] = row[perm[t]] * row[perm[n_T + t]]

        # overlap snapshots, evenly spaced over the window
        if snap_due:
            snap = (u - w0 + 1) // stride - 1
            for t in range(n_T):
                for i in range(N):
                    snaps[(t * n_con + snap) * N + i] = <int8_t> Q[i * n_T + t]
        if not meas:
            continue

        # link overlap (for the log-binned equilibration test and the window)
        for t in range(n_T):
            ql[t] = 0.0
        for i in range(N):
            Qi = Q + i * n_T
            for d in range(3):
                Qn = Q + nbr[6 * i + d] * n_T
                for t in range(n_T):
                    ql[t] += Qi[t] * Qn[t]
        k = ptmc_log_bin(u)
        for t in range(n_T):
            q = ql[t] / (3.0 * N)
            e_t = (energy[perm[t]] + energy[perm[n_T + t]]) / (2.0 * N)
            bins[(0 * n_T + t) * n_bins + k] += e_t
            bins[(1 * n_T + t) * n_bins + k] += q
            if u >= w0:
                acc[ACC_ENERGY * n_T + t] += e_t
                acc[ACC_LINK * n_T + t] += q
        if u < w0:
            continue

        # window measurements: q, q^2, q^4 and |q(k_min)|^2 / N from plane sums along each axis
        for t in range(3 * L * n_T):
            planes[t] = 0.0
        for t in range(n_T):
            qs[t] = 0.0
        for i in range(N):
            Qi = Q + i * n_T
            P0 = planes + (i // (L * L)) * n_T
            P1 = planes + (L + (i // L) % L) * n_T
            P2 = planes + (2 * L + i % L) * n_T
            for t in range(n_T):
                P0[t] += Qi[t]
                P1[t] += Qi[t]
                P2[t] += Qi[t]
                qs[t] += Qi[t]
        for t in range(n_T):
            q = qs[t] / N
            q2 = q * q
            acc[ACC_Q2 * n_T + t] += q2
            acc[ACC_Q4 * n_T + t] += q2 * q2
            qk2 = 0.0
            for d in range(3):
                re = 0.0
                im = 0.0
                for x in range(L):
                    re += planes[(d * L + x) * n_T + t] * cosk[x]
                    im += planes[(d * L + x) * n_T + t] * sink[x]
                qk2 += (re * re + im * im) / N
            acc[ACC_QK2 * n_T + t] += qk2 / 3.0


cdef struct ScratchLayout:
    # byte offsets into one thread's scratch block, each a multiple of 64 (a cache line), and its size
    size_t lanes, energy, perm, xrng, acc, bins, swaps, Q, planes, total


cdef inline size_t line_up(size_t nbytes) noexcept nogil:
    """nbytes rounded up to whole 64-byte cache lines."""
    return (nbytes + 63) // 64 * 64


cdef ScratchLayout scratch_layout(int N, int L, int n_T, int n_bins) noexcept:
    """Layout of a thread's scratch: copies of one instance's lanes, energies, permutation, exchange stream and
    sums, and the work arrays Q (N, n_T) and planes (3 L, n_T) of the measurements."""
    cdef ScratchLayout lay
    cdef int R = 2 * n_T
    lay.lanes = 0
    lay.energy = lay.lanes + line_up(sizeof(uint32_t) * 4 * R)
    lay.perm = lay.energy + line_up(sizeof(double) * R)
    lay.xrng = lay.perm + line_up(sizeof(int32_t) * R)
    lay.acc = lay.xrng + line_up(sizeof(uint32_t) * 4)
    lay.bins = lay.acc + line_up(sizeof(double) * 5 * n_T)
    lay.swaps = lay.bins + line_up(sizeof(double) * 2 * n_T * n_bins)
    lay.Q = lay.swaps + line_up(sizeof(double) * (n_T - 1))
    lay.planes = lay.Q + line_up(sizeof(float) * N * n_T)
    lay.total = lay.planes + line_up(sizeof(float) * 3 * L * n_T)
    return lay


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
    double[:, :, :, ::1] bins,        # IN/OUT (n_i, 2, n_T, n_bins) log-bin sums of e and q_l
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

    Instances are independent and distributed over ``num_threads`` OpenMP threads; each instance is
    computed by one thread from its own state only, so the result does not depend on the thread count.
    """
    cdef int n_i = spins.shape[0]
    cdef int N = spins.shape[1]
    cdef int R = spins.shape[2]
    cdef int n_T = betas.shape[0]
    cdef int n_bins = bins.shape[3]
    cdef int n_con = snaps.shape[2]
    cdef int L = round(N ** (1.0 / 3.0))
    cdef int inst
    cdef char *scratch
    cdef ScratchLayout lay
    if L * L * L != N or R != 2 * n_T or R > MAXR or n_T < 2 or measure_every < 1:
        raise ValueError("inconsistent kernel array shapes")
    cdef double[:, ::1] wave = plane_waves(L)
    if n_i == 0 or sweep_stop <= sweep_start:
        return
    cdef int level = ptmc_simd_level()
    lay = scratch_layout(N, L, n_T, n_bins)
    with nogil, parallel(num_threads=num_threads):
        scratch = NULL
        if posix_memalign(<void **> &scratch, 64, lay.total) != 0:
            scratch = NULL
        for inst in prange(n_i, schedule="dynamic"):
            if scratch == NULL:
                continue  # allocation failed: the instance is left as it was (checked below)
            # The instance's small, often-written state goes to this thread's own cache lines for the call:
            # rows of neighbouring instances share cache lines, and two threads writing one line (false
            # sharing) halved the two-thread speed of the simd path.
            memcpy(scratch + lay.lanes, &lanes[inst, 0, 0], sizeof(uint32_t) * 4 * R)
            memcpy(scratch + lay.energy, &energy[inst, 0], sizeof(double) * R)
            memcpy(scratch + lay.perm, &perm[inst, 0, 0], sizeof(int32_t) * R)
            memcpy(scratch + lay.xrng, &xrng[inst, 0], sizeof(uint32_t) * 4)
            memcpy(scratch + lay.acc, &acc[inst, 0, 0], sizeof(double) * 5 * n_T)
            memcpy(scratch + lay.bins, &bins[inst, 0, 0, 0], sizeof(double) * 2 * n_T * n_bins)
            memcpy(scratch + lay.swaps, &swaps[inst, 0], sizeof(double) * (n_T - 1))
            run_instance(&spins[inst, 0, 0], <double *> (scratch + lay.energy), <int32_t *> (scratch + lay.perm),
                         <uint32_t *> (scratch + lay.lanes), <uint32_t *> (scratch + lay.xrng), &J6[inst, 0, 0],
                         &nbr[0, 0], &betas[0], <double *> (scratch + lay.acc), <double *> (scratch + lay.bins),
                         <double *> (scratch + lay.swaps), &snaps[inst, 0, 0, 0], &wave[0, 0], &wave[1, 0],
                         L, n_T, n_bins, sweep_start, sweep_stop, sweeps_total, n_con,
                         <float *> (scratch + lay.Q), <float *> (scratch + lay.planes), level, p_zero,
                         measure_every, plain)
            memcpy(&lanes[inst, 0, 0], scratch + lay.lanes, sizeof(uint32_t) * 4 * R)
            memcpy(&energy[inst, 0], scratch + lay.energy, sizeof(double) * R)
            memcpy(&perm[inst, 0, 0], scratch + lay.perm, sizeof(int32_t) * R)
            memcpy(&xrng[inst, 0], scratch + lay.xrng, sizeof(uint32_t) * 4)
            memcpy(&acc[inst, 0, 0], scratch + lay.acc, sizeof(double) * 5 * n_T)
            memcpy(&bins[inst, 0, 0, 0], scratch + lay.bins, sizeof(double) * 2 * n_T * n_bins)
            memcpy(&swaps[inst, 0], scratch + lay.swaps, sizeof(double) * (n_T - 1))
        if scratch == NULL:
            with gil:
                raise MemoryError("ptmc.run: could not allocate a thread's scratch memory")
        free(scratch)


MULTISPIN_DIGITS = MSC_DIGITS  # acceptance digits per (site, slot) taken from each lane's bit stream
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
    double[:, :, :, ::1] bins,        # IN/OUT (n_g * 64, 2, n_T, n_bins) log-bin sums of e and q_l
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
    if (L * L * L != N or L < 3 or Rp != (2 * n_T + 3) // 4 * 4 or Rp > MAXR or n_T < 2
            or digits.shape[0] * 4 != Rp or digits.shape[2] != MSC_DIGITS or p32.shape[0] != Rp
            or energy.shape[1] != 2 * n_T or ring.shape[1] != MSC_K or acc.shape[0] != 64 * n_g
            or measure_every < 1):
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
