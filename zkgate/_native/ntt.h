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
    /* later stages: twiddle index outermost, split into chunks among threads */
    for (int s = blog + 1; s <= logn; s++) {
        size_t half = (size_t)1 << (s - 1), len = half << 1;
        size_t kchunk = half < 256 ? half : 256;
        long nchunks = (long)(half / kchunk);
#ifdef ZKGATE_OPENMP
        #pragma omp parallel for schedule(static) num_threads(nthreads)
#endif
        for (long c = 0; c < nchunks; c++) {
            size_t k0 = (size_t)c * kchunk;
            uint64_t w[4];
            fr_pow_u64(w, roots[s], k0);
            for (size_t k = k0; k < k0 + kchunk; k++) {
                for (size_t g = 0; g < n; g += len)
                    zk_butterfly(a + 4 * (g + k), a + 4 * (g + k + half), w);
                fr_mul(w, w, roots[s]);
            }
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
            uint64_t one[4];
            fr_set_one(one);
            zk_ntt_scale_powers(a, n, one, FR_INV_POW2[logn], nthreads);
        }
    }
}

#endif
