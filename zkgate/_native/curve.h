/* BN254 groups G1 (over Fq) and G2 (the sextic twist over Fq2), and their MSM.
 * Not constant-time. */
#ifndef ZKGATE_CURVE_H
#define ZKGATE_CURVE_H

#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "field.h"
#include "field_ifma.h"
#ifdef ZKGATE_OPENMP
#include <omp.h>
#endif

#define ZK_MSM_BATCH_MIN 512  /* from this n on, buckets accumulate in batch-affine form */

/* Signed base-2^c digits, window-major: digits[j*n + i] in [-2^(c-1), 2^(c-1)).
 * W = ceil(256/c) windows suffice for scalars < 2^254 (the top window never carries). */
static inline uint64_t zk_bits(const uint64_t *s, int off, int c) {
    int l = off >> 6, sh = off & 63;
    if (l >= 4) return 0;
    uint64_t v = s[l] >> sh;
    if (sh + c > 64 && l + 1 < 4) v |= s[l + 1] << (64 - sh);
    return v & ((1ULL << c) - 1);
}

static void zk_msm_digits(int16_t *digits, const uint64_t *scalars, size_t n, int c, int W, int nthreads) {
    (void)nthreads;
    long half = 1L << (c - 1), full = 1L << c;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(static) num_threads(nthreads) if (n > 4096)
#endif
    for (long i = 0; i < (long)n; i++) {
        const uint64_t *s = scalars + 4 * i;
        long carry = 0;
        for (int j = 0; j < W; j++) {
            long v = (long)zk_bits(s, j * c, c) + carry;
            if (v >= half) { v -= full; carry = 1; } else carry = 0;
            digits[(size_t)j * n + i] = (int16_t)v;
        }
    }
}

/* Window size from a cost model in scalar field multiplications (measured on the AVX-512
 * EPYC dev VM, 1 thread): per point and window one bucket addition (batch-affine: ~6.5
 * scalar, ~5 with the IFMA flush; mixed Jacobian ~11) plus its share of the batch inversion
 * (~380 over a batch of nb/4, at most 2048); per bucket and window the running-sum
 * reduction (~27 scalar, ~5 on IFMA lanes); windows are shared among the threads.  G2 costs
 * about 3x per field operation, which cancels out except in the inversion share. */
#define ZK_MSM_CAPDIV_DEFAULT 4
#define ZK_MSM_VRED_MAXC 16 /* IFMA reduction: 8 bucket sets per thread up to this window
                               * (G1; G2 buckets are twice as large: 2 less) */
static int zk_msm_choose_window(size_t n, int nthreads, int batch, int g2) {
    /* buckets beyond about 256 KiB (2^12 G1 / 2^11 G2 affine buckets) fall out of L2 and
     * every random bucket access gets slower: measured ~25% per extra window bit (~6% with
     * the IFMA flush, which prefetches the buckets of the rows ahead) */
    int ifma = 0;
#if defined(ZK_HAVE_IFMA)
    ifma = zk_cpu_has_ifma;
#endif
    int cache_c = (g2 ? 11 : 12) + (ifma ? 1 : 0);
    double best = 1e300; int bestc = 2;
    for (int c = 2; c <= 16; c++) {
        int W = (256 + c - 1) / c;
        int rounds = (W + nthreads - 1) / nthreads;
        int nb = 1 << (c - 1), cap = nb / ZK_MSM_CAPDIV_DEFAULT;
        if (cap < 64) cap = 64;
        if (cap > 2048) cap = 2048;
        int vred = ifma && batch && c <= ZK_MSM_VRED_MAXC - (g2 ? 2 : 0);
        double per_point = batch ? (ifma ? 5.0 : 6.5) + 380.0 / cap / (g2 ? 3.0 : 1.0) : 11.0;
        if (c > cache_c) per_point *= 1.0 + (ifma ? 0.06 : 0.25) * (c - cache_c);
        double per_bucket = vred ? 5.0 : 27.0;
        double cost = (double)rounds * ((double)n * per_point + (double)nb * per_bucket);
        if (cost < best) { best = cost; bestc = c; }
    }
    return bestc;
}

#define CUR g1
#define FLD fq
#define NL 4
#define CUR_B G1_B
#include "curve_tmpl.h"
#undef CUR
#undef FLD
#undef NL
#undef CUR_B

#define CUR g2
#define FLD fq2
#define NL 8
#define CUR_B G2_B
#include "curve_tmpl.h"
#undef CUR
#undef FLD
#undef NL
#undef CUR_B

/* G2 subgroup check: [r] P == O */
static inline int g2_aff_in_subgroup(const uint64_t *a) {
    if (g2_aff_is_inf(a)) return 1;
    g2_jac p, q;
    g2_jac_from_aff(&p, a);
    g2_jac_mul_scalar(&q, &p, FR_P, 4);
    return g2_jac_is_inf(&q);
}

#endif
