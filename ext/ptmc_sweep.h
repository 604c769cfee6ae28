/* The hot loop of ext/ptmc.pyx: the Metropolis sweep over all slots of an instance, in plain C so the
   compiler vectorises the loop over slots. ptmc.pyx includes this file once per instruction-set path, with
   PTMC_NAME(f) naming that path's copy of each function. Do not include it anywhere else. */
#include "ptmc_common.h"

/* Metropolis update of one site in all R slots. row: the site's spins; n0..n5: its neighbours' rows;
   j: the six couplings; beta: inverse temperature of each slot; s0..s3: xoshiro lanes; de: per-slot
   energy change accumulated over the sweep. */
PTMC_ATTR PTMC_UPDATE_ATTR void PTMC_NAME(update_site)(int R, float *restrict row,
        const float *restrict n0, const float *restrict n1, const float *restrict n2,
        const float *restrict n3, const float *restrict n4, const float *restrict n5,
        const float *restrict j, const float *restrict beta, const float p0,
        uint32_t *restrict s0, uint32_t *restrict s1, uint32_t *restrict s2, uint32_t *restrict s3,
        float *restrict de) {
    const float j0 = j[0], j1 = j[1], j2 = j[2], j3 = j[3], j4 = j[4], j5 = j[5];
    for (int r = 0; r < R; ++r) {
        float h = j0 * n0[r] + j1 * n1[r] + j2 * n2[r] + j3 * n3[r] + j4 * n4[r] + j5 * n5[r];
        float s = row[r];
        float d = 2.0f * s * h;
        float x = -beta[r] * d;
        float p = d == 0.0f ? p0 : ptmc_expf(x < 0.0f ? x : 0.0f);  /* p0: zero-field flips */
        uint32_t res;
        PTMC_XOSHIRO128P(res, s0[r], s1[r], s2[r], s3[r]);
        float u = ptmc_unit_float(res);
        int acc = u < p;
        row[r] = acc ? -s : s;
        de[r] += acc ? d : 0.0f;
    }
}


/* One sequential Metropolis sweep over the N sites of one instance, all R slots at once. */
PTMC_ATTR static void PTMC_NAME(sweep)(int N, int R, float *spins, const int32_t *nbr, const float *J6,
                             const float *beta, float p0, uint32_t *lanes, float *de) {
    for (int r = 0; r < R; ++r) de[r] = 0.0f;
    for (int i = 0; i < N; ++i) {
        const int32_t *nb = nbr + 6 * i;
        PTMC_NAME(update_site)(R, spins + i * R, spins + nb[0] * R, spins + nb[1] * R, spins + nb[2] * R,
                               spins + nb[3] * R, spins + nb[4] * R, spins + nb[5] * R, J6 + 6 * i, beta, p0,
                               lanes, lanes + R, lanes + 2 * R, lanes + 3 * R, de);
    }
}
