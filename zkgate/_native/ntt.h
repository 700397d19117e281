/* Number-theoretic transform over Fr (BN254 scalar field), in place on n = 2^logn elements
 * in Montgomery form (4 limbs each), 1 <= n <= 2^28.  Radix-2 decimation in time after a
 * bit-reversal permutation: the first ZK_NTT_BLOCK_LOG stages run block by block (each block
 * stays in cache), the later ones sweep the twiddle index in the outer loop, so no table of
 * n twiddles is ever allocated.  Definitions (those of snarkjs's Fr.fft / Fr.ifft):
 *   forward  A_k = sum_j a_j w^(jk),   w = FR_ROOTS[logn]
 *   inverse  a_j = (1/n) sum_k A_k w^(-jk)
 * Coset variants scale a_j by g^j before the forward transform, and by g^-j after the
 * inverse one.  Not constant-time. */
#ifndef ZKGATE_NTT_H
#define ZKGATE_NTT_H

#include <stdlib.h>
#include "field.h"
#ifdef ZKGATE_OPENMP
#include <omp.h>
#endif

#define ZK_NTT_BLOCK_LOG 12
#define ZK_NTT_KCHUNK 256

static inline uint64_t zk_bitrev(uint64_t x, int bits) {
    uint64_t r = 0;
    for (int i = 0; i < bits; i++) { r = (r << 1) | (x & 1); x >>= 1; }
    return r;
}

/* out = base^e for a small plain exponent */
static inline void fr_pow_u64(uint64_t *out, const uint64_t *base, uint64_t e) {
    uint64_t k[4] = {e, 0, 0, 0};
    fr_pow(out, base, k);
}

static inline void zk_butterfly(uint64_t *x, uint64_t *y, const uint64_t *w) {
    uint64_t t[4];
    fr_mul(t, y, w);
    fr_sub(y, x, t);
    fr_add(x, x, t);
}

/* a_j *= g^j * s for j in [0, n) (s = scale, may be NULL for 1) */
static void zk_ntt_scale_powers(uint64_t *a, size_t n, const uint64_t *g, const uint64_t *s, int nthreads) {
    (void)nthreads;
    long chunks = (long)((n + 4095) / 4096);
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(static) num_threads(nthreads) if (n > 8192)
#endif
    for (long c = 0; c < chunks; c++) {
        size_t lo = (size_t)c * 4096, hi = lo + 4096 < n ? lo + 4096 : n;
        uint64_t w[4];
        fr_pow_u64(w, g, lo);
        if (s) fr_mul(w, w, s);
        for (size_t j = lo; j < hi; j++) {
            fr_mul(a + 4 * j, a + 4 * j, w);
            fr_mul(w, w, g);
        }
    }
}

/* The stages above the block size, column block by column block: for a fixed set of CW
 * adjacent low indices, the later stages only mix rows (index >> blog), so each column block
 * is an independent transform that stays in cache, and one parallel loop covers them all.
 * Twiddles come from one table T[k] = w_n^k, k < n/2.  Returns -1 if the table cannot be
 * allocated (the caller then falls back to the stage-by-stage loop). */
#define ZK_NTT_CW 16
#ifndef ZK_NTT_TABLE_MAX_LOG
#define ZK_NTT_TABLE_MAX_LOG 24
#endif
static int zk_ntt_late_columns(uint64_t *a, int logn, int blog, const uint64_t (*roots)[4], int nthreads) {
    (void)nthreads;
    size_t n = (size_t)1 << logn, blk = (size_t)1 << blog, m = n >> blog, nt = n / 2;
    uint64_t *T = (uint64_t *)malloc(32 * nt);
    if (!T) return -1;
    long tchunks = (long)((nt + 4095) / 4096);
#ifdef ZKGATE_OPENMP
    #pragma omp parallel num_threads(nthreads)
#endif
    {
#ifdef ZKGATE_OPENMP
        #pragma omp for schedule(static)
#endif
        for (long c = 0; c < tchunks; c++) {
            size_t lo = (size_t)c * 4096, hi = lo + 4096 < nt ? lo + 4096 : nt;
            fr_pow_u64(T + 4 * lo, roots[logn], lo);
            for (size_t k = lo + 1; k < hi; k++) fr_mul(T + 4 * k, T + 4 * (k - 1), roots[logn]);
        }
        int L = logn - blog;
        long ncb = (long)(blk / ZK_NTT_CW);
#ifdef ZKGATE_OPENMP
        #pragma omp for schedule(dynamic, 1)
#endif
        for (long cb = 0; cb < ncb; cb++) {
            size_t lo0 = (size_t)cb * ZK_NTT_CW;
            for (int sp = 1; sp <= L; sp++) {
                size_t half_r = (size_t)1 << (sp - 1), stride = (size_t)1 << (L - sp);
                for (size_t rg = 0; rg < m; rg += 2 * half_r) {
                    for (size_t r = 0; r < half_r; r++) {
                        uint64_t *x = a + 4 * ((rg + r) * blk + lo0);
                        uint64_t *y = a + 4 * ((rg + r + half_r) * blk + lo0);
                        size_t kb = r * blk + lo0;
                        for (size_t j = 0; j < ZK_NTT_CW; j++)
                            zk_butterfly(x + 4 * j, y + 4 * j, T + 4 * ((kb + j) * stride));
                    }
                }
            }
        }
    }
    free(T);
    return 0;
}

static void zk_ntt_core(uint64_t *a, int logn, const uint64_t (*roots)[4], int nthreads) {
    (void)nthreads;
    size_t n = (size_t)1 << logn;
    if (logn == 0) return;
    /* bit reversal */
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(static) num_threads(nthreads) if (n > 8192)
#endif
    for (long i = 0; i < (long)n; i++) {
        uint64_t j = zk_bitrev((uint64_t)i, logn);
        if ((uint64_t)i < j) {
            uint64_t t[4];
            memcpy(t, a + 4 * i, 32); memcpy(a + 4 * i, a + 4 * j, 32); memcpy(a + 4 * j, t, 32);
        }
    }
    int blog = logn < ZK_NTT_BLOCK_LOG ? logn : ZK_NTT_BLOCK_LOG;
    size_t blk = (size_t)1 << blog;
    /* contiguous twiddles for the in-block stages: stage s (len 2^s) at offset 2^(s-1)-1 */
    uint64_t *tw = (uint64_t *)malloc(32 * blk);
    for (int s = 1; s <= blog; s++) {
        size_t half = (size_t)1 << (s - 1);
        uint64_t *t = tw + 4 * (half - 1);
        fr_set_one(t);
        for (size_t k = 1; k < half; k++) fr_mul(t + 4 * k, t + 4 * (k - 1), roots[s]);
    }
    long nblocks = (long)(n >> blog);
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(static) num_threads(nthreads) if (nblocks > 1)
#endif
    for (long b = 0; b < nblocks; b++) {
        uint64_t *x = a + 4 * (size_t)b * blk;
        for (int s = 1; s <= blog; s++) {
            size_t half = (size_t)1 << (s - 1), len = half << 1;
            const uint64_t *t = tw + 4 * (half - 1);
            for (size_t g = 0; g < blk; g += len)
                for (size_t k = 0; k < half; k++)
                    zk_butterfly(x + 4 * (g + k), x + 4 * (g + k + half), t + 4 * k);
        }
    }
    free(tw);
    if (logn > blog && logn <= ZK_NTT_TABLE_MAX_LOG) {
        if (zk_ntt_late_columns(a, logn, blog, roots, nthreads) == 0) return;
    }
    /* later stages: the twiddle range is split into chunks of ZK_NTT_KCHUNK; a chunk's
     * twiddles are computed once (incrementally) and applied to every group, walking
     * contiguous runs of the array (no power-of-two strides that alias in the cache) */
    for (int s = blog + 1; s <= logn; s++) {
        size_t half = (size_t)1 << (s - 1), len = half << 1;
        size_t kchunk = half < ZK_NTT_KCHUNK ? half : ZK_NTT_KCHUNK;
        long nchunks = (long)(half / kchunk);
#ifdef ZKGATE_OPENMP
        #pragma omp parallel num_threads(nthreads)
#endif
        {
            uint64_t *w = (uint64_t *)malloc(32 * kchunk);
#ifdef ZKGATE_OPENMP
            #pragma omp for schedule(static)
#endif
            for (long c = 0; c < nchunks; c++) {
                size_t k0 = (size_t)c * kchunk;
                fr_pow_u64(w, roots[s], k0);
                for (size_t k = 1; k < kchunk; k++) fr_mul(w + 4 * k, w + 4 * (k - 1), roots[s]);
                for (size_t g = 0; g < n; g += len) {
                    uint64_t *x = a + 4 * (g + k0), *y = a + 4 * (g + k0 + half);
                    for (size_t k = 0; k < kchunk; k++) zk_butterfly(x + 4 * k, y + 4 * k, w + 4 * k);
                }
            }
            free(w);
        }
    }
}

/* inverse: 0 forward, 1 inverse.  shift: coset generator g (Montgomery) or NULL. */
static void fr_ntt(uint64_t *a, int logn, int inverse, const uint64_t *shift, int nthreads) {
    size_t n = (size_t)1 << logn;
    if (nthreads < 1) nthreads = 1;
    if (!inverse) {
        if (shift) zk_ntt_scale_powers(a, n, shift, NULL, nthreads);
        zk_ntt_core(a, logn, FR_ROOTS, nthreads);
    } else {
        zk_ntt_core(a, logn, FR_ROOTS_INV, nthreads);
        if (shift) {
            uint64_t gi[4];
            fr_inv(gi, shift);
            zk_ntt_scale_powers(a, n, gi, FR_INV_POW2[logn], nthreads);
        } else {
            const uint64_t *ninv = FR_INV_POW2[logn];
#ifdef ZKGATE_OPENMP
            #pragma omp parallel for schedule(static) num_threads(nthreads) if (n > 8192)
#endif
            for (long j = 0; j < (long)n; j++) fr_mul(a + 4 * j, a + 4 * j, ninv);
        }
    }
}

#endif
