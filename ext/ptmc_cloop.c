/* Benchmark comparator, never used for data: the textbook parallel-tempering loop of this study's model in a
   few lines of C, vectorised across the 2 n_T replicas by the compiler alone. spinglass_ml.benchmark builds it
   at benchmark time with -O3 -march=native -ffast-math (so expf is glibc's vector version) and calls
   ptmc_cloop_run through ctypes; nothing else depends on it, and the installed kernel never needs
   -march=native. It does the kernel's work per sweep: a sequential Metropolis sweep of all sites, every
   replica with its own xoshiro128+ stream; replica exchange between neighbouring temperatures for each of
   the two chains; and on the sweeps the kernel measures (the first 8, every 4th, the last) the energy, the
   link overlap and q^2 of every temperature. It gives none of the kernel's guarantees (its arithmetic follows
   -ffast-math), so it is compared for speed only. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t xoshiro(uint32_t *s) {  /* the exchange stream */
    uint32_t res = s[0] + s[3], t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >> 21);
    return res;
}

/* One instance: J (N x 6) couplings in neighbour-table order, nbr (N x 6), betas (n_T), sweeps; out (3, n_T):
   the averages of the energy per spin, the link overlap and q^2 over the measured sweeps of the second half
   (the measurement window of the kernel). */
static void run_one(int L, int n_T, long sweeps, const float *J, const int32_t *nbr, const double *betas,
                    uint32_t seed, double *out) {
    const int N = L * L * L, R = 2 * n_T;
    float *s = aligned_alloc(64, sizeof(float) * ((size_t)N * R + 16));
    uint32_t *x = malloc(sizeof(uint32_t) * 4 * R), xr[4];
    uint32_t *restrict x0 = x, *restrict x1 = x + R, *restrict x2 = x + 2 * R, *restrict x3 = x + 3 * R;
    float *restrict beta = malloc(sizeof(float) * R), *restrict dE = malloc(sizeof(float) * R);
    float *Q = malloc(sizeof(float) * (size_t)N * n_T);
    double *E = malloc(sizeof(double) * R), *ql = malloc(sizeof(double) * n_T), *qs = malloc(sizeof(double) * n_T);
    int *perm = malloc(sizeof(int) * R);
    uint32_t z = seed * 2654435761u + 1;
    for (int k = 0; k < 4 * R; ++k) x[k] = (z = z * 1664525u + 1013904223u) | 1;
    for (int k = 0; k < 4; ++k) xr[k] = (z = z * 1664525u + 1013904223u) | 1;
    for (long k = 0; k < (long)N * R; ++k) s[k] = (xoshiro(xr) >> 31) ? 1.0f : -1.0f;
    for (int r = 0; r < R; ++r) {
        perm[r] = r;
        beta[r] = (float)betas[r % n_T];
        E[r] = 0.0;
        for (int i = 0; i < N; ++i)
            for (int d = 0; d < 3; ++d) E[r] -= J[6 * i + d] * s[i * R + r] * s[nbr[6 * i + d] * R + r];
    }
    for (int t = 0; t < 3 * n_T; ++t) out[t] = 0.0;
    long n_out = 0;
    for (long u = 0; u < sweeps; ++u) {
        for (int r = 0; r < R; ++r) dE[r] = 0.0f;
        for (int i = 0; i < N; ++i) {
            const int32_t *nb = nbr + 6 * i;
            const float *j = J + 6 * i;
            float *restrict si = s + (long)i * R;
            const float *s0 = s + (long)nb[0] * R, *s1 = s + (long)nb[1] * R, *s2 = s + (long)nb[2] * R,
                        *s3 = s + (long)nb[3] * R, *s4 = s + (long)nb[4] * R, *s5 = s + (long)nb[5] * R;
#pragma omp simd
            for (int r = 0; r < R; ++r) {
                float h = j[0] * s0[r] + j[1] * s1[r] + j[2] * s2[r] + j[3] * s3[r] + j[4] * s4[r] + j[5] * s5[r];
                float d = 2.0f * si[r] * h;
                uint32_t res = x0[r] + x3[r], t = x1[r] << 9;  /* xoshiro128+, one per replica */
                x2[r] ^= x0[r]; x3[r] ^= x1[r]; x1[r] ^= x2[r]; x0[r] ^= x3[r]; x2[r] ^= t;
                x3[r] = (x3[r] << 11) | (x3[r] >> 21);
                float v = (float)(res >> 8) * 0x1p-24f;
                int acc = v < expf(fminf(-beta[r] * d, 0.0f));
                si[r] *= (float)(1 - 2 * acc);  /* arithmetic rather than a branch: whole-vector stores */
                dE[r] += (float)acc * d;
            }
        }
        for (int r = 0; r < R; ++r) E[r] += dE[r];
        for (int c = 0; c < 2; ++c)
            for (int t = 0; t + 1 < n_T; ++t) {
                int a = perm[c * n_T + t], b = perm[c * n_T + t + 1];
                double delta = (betas[t] - betas[t + 1]) * (E[a] - E[b]);
                if (delta >= 0.0 || (xoshiro(xr) >> 8) * 0x1p-24 < exp(delta)) {
                    perm[c * n_T + t] = b;
                    perm[c * n_T + t + 1] = a;
                    beta[a] = (float)betas[t + 1];
                    beta[b] = (float)betas[t];
                }
            }
        if (!(u < 8 || u % 4 == 3 || u == sweeps - 1)) continue;
        for (int i = 0; i < N; ++i)
            for (int t = 0; t < n_T; ++t) Q[i * n_T + t] = s[(long)i * R + perm[t]] * s[(long)i * R + perm[n_T + t]];
        for (int t = 0; t < n_T; ++t) ql[t] = qs[t] = 0.0;
        for (int i = 0; i < N; ++i) {
            const float *qi = Q + (long)i * n_T, *q0 = Q + (long)nbr[6 * i] * n_T, *q1 = Q + (long)nbr[6 * i + 1] * n_T,
                        *q2 = Q + (long)nbr[6 * i + 2] * n_T;
            for (int t = 0; t < n_T; ++t) {
                qs[t] += qi[t];
                ql[t] += qi[t] * (q0[t] + q1[t] + q2[t]);
            }
        }
        if (u < sweeps - sweeps / 2) continue;
        for (int t = 0; t < n_T; ++t) {
            out[t] += (E[perm[t]] + E[perm[n_T + t]]) / (2.0 * N);
            out[n_T + t] += ql[t] / (3.0 * N);
            out[2 * n_T + t] += qs[t] * qs[t] / ((double)N * N);
        }
        ++n_out;
    }
    for (int t = 0; t < 3 * n_T; ++t) out[t] /= n_out > 0 ? n_out : 1;
    free(s); free(Q); free(x); free(beta); free(dE); free(E); free(ql); free(qs); free(perm);
}

/* n_inst instances (J: n_inst x N x 6), distributed over threads; out: n_inst x 3 x n_T. */
int ptmc_cloop_run(int n_inst, int L, int n_T, long sweeps, const float *J, const int32_t *nbr,
                   const double *betas, int threads, double *out) {
    const long N = (long)L * L * L;
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (int k = 0; k < n_inst; ++k) run_one(L, n_T, sweeps, J + 6 * N * k, nbr, betas, (uint32_t)k + 1u, out + 3L * n_T * k);
    (void)threads;
    return 0;
}
