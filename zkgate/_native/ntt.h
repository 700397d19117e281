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
#include "field_ifma.h"
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

/* In-place bit-reversal permutation of 2^logn elements (4 limbs each).  Cache-blocked:
 * an index is (hi, mid, lo) with ZK_BR_T-bit hi and lo; its reverse is (rev lo, rev mid,
 * rev hi), so the tile of one mid (2^T runs of 2^T adjacent elements) swaps with the tile
 * of rev(mid), both small enough for L1, instead of 2^logn scattered cache misses. */
#define ZK_BR_T 4
static void zk_bitrev_permute(uint64_t *a, int logn, int nthreads) {
    (void)nthreads;
    size_t n = (size_t)1 << logn;
    if (logn < 2 * ZK_BR_T + 2) {
        for (size_t i = 0; i < n; i++) {
            uint64_t j = zk_bitrev((uint64_t)i, logn);
            if (i < j) {
                uint64_t t[4];
                memcpy(t, a + 4 * i, 32); memcpy(a + 4 * i, a + 4 * j, 32); memcpy(a + 4 * j, t, 32);
            }
        }
        return;
    }
    const int T = ZK_BR_T, mb = logn - 2 * T;
    const size_t tn = (size_t)1 << T;
    uint8_t rt[1 << ZK_BR_T];
    for (size_t k = 0; k < tn; k++) rt[k] = (uint8_t)zk_bitrev(k, T);
    long nm = 1L << mb;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads) if (n > 8192)
#endif
    for (long m = 0; m < nm; m++) {
        size_t mr = (size_t)zk_bitrev((uint64_t)m, mb);
        if (mr < (size_t)m) continue;
        for (size_t hi = 0; hi < tn; hi++) {
            size_t ib = (hi << (logn - T)) | ((size_t)m << T);
            for (size_t lo = 0; lo < tn; lo++) {
                size_t i = ib | lo;
                size_t j = ((size_t)rt[lo] << (logn - T)) | (mr << T) | rt[hi];
                if (mr == (size_t)m && j <= i) continue;
                uint64_t t[4];
                memcpy(t, a + 4 * i, 32); memcpy(a + 4 * i, a + 4 * j, 32); memcpy(a + 4 * j, t, 32);
            }
        }
    }
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

#ifdef ZK_HAVE_IFMA
/* Eight-lane (AVX-512 IFMA) versions of the block and column-block passes; same results
 * as the scalar butterflies, bit for bit.
 * Block of 2^blog elements: stages 1-3 as a radix-8 pass on 8 groups of 8 at a time (lane l
 * holds group l, vector j its j-th element, so every butterfly is vertical), then stages
 * 4..blog on rows of 8 consecutive elements kept in radix-2^52 form in buf (blk/8 rows)
 * with twiddle rows twv (stage s at offset 2^(s-4) - 1).  tw23: broadcast w4, w8, w8^2, w8^3. */
ZK_VTF void zk_ntt_block_ifma(uint64_t *x, int blog, const zkv *tw23, const zkv *twv, zkv *buf) {
    size_t blk = (size_t)1 << blog;
    for (size_t g = 0; g < blk; g += 64) {
        zkv V[8];
        const uint64_t *p[8];
        uint64_t *q[8];
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 8; l++) p[l] = x + 4 * (g + 8 * l + j);
            zkv_load8(&V[j], p);
        }
        frv_butterfly1(&V[0], &V[1]); frv_butterfly1(&V[2], &V[3]);
        frv_butterfly1(&V[4], &V[5]); frv_butterfly1(&V[6], &V[7]);
        frv_butterfly1(&V[0], &V[2]); frv_butterfly(&V[1], &V[3], &tw23[0]);
        frv_butterfly1(&V[4], &V[6]); frv_butterfly(&V[5], &V[7], &tw23[0]);
        frv_butterfly1(&V[0], &V[4]); frv_butterfly(&V[1], &V[5], &tw23[1]);
        frv_butterfly(&V[2], &V[6], &tw23[2]); frv_butterfly(&V[3], &V[7], &tw23[3]);
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 8; l++) q[l] = x + 4 * (g + 8 * l + j);
            zkv_store8(&V[j], q, 0xff);
        }
    }
    size_t rows = blk / 8;
    zkv_load_rows(buf, x, rows);
    for (int s = 4; s <= blog; s++) {
        size_t hr = (size_t)1 << (s - 4), len = 2 * hr;
        const zkv *t = twv + hr - 1;
        for (size_t g = 0; g < rows; g += len)
            for (size_t k = 0; k < hr; k++) frv_butterfly(&buf[g + k], &buf[g + k + hr], &t[k]);
    }
    zkv_store_rows(x, buf, rows);
}

/* One column block (16 adjacent columns, all m rows) of the late stages, in buf (2m rows). */
ZK_VTF void zk_ntt_colblock_ifma(uint64_t *a, size_t lo0, size_t blk, size_t m, int L, const uint64_t *T,
                                 zkv *buf) {
    const uint64_t *p[8];
    for (size_t r = 0; r < m; r++)
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 8; l++) p[l] = a + 4 * (r * blk + lo0 + 8 * h + l);
            zkv_load8(&buf[2 * r + h], p);
        }
    for (int sp = 1; sp <= L; sp++) {
        size_t half_r = (size_t)1 << (sp - 1), stride = (size_t)1 << (L - sp);
        for (size_t r = 0; r < half_r; r++) {
            zkv W[2];
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 8; l++) p[l] = T + 4 * ((r * blk + lo0 + 8 * h + l) * stride);
                zkv_load8(&W[h], p);
            }
            for (size_t rg = 0; rg < m; rg += 2 * half_r) {
                frv_butterfly(&buf[2 * (rg + r)], &buf[2 * (rg + r + half_r)], &W[0]);
                frv_butterfly(&buf[2 * (rg + r) + 1], &buf[2 * (rg + r + half_r) + 1], &W[1]);
            }
        }
    }
    for (size_t r = 0; r < m; r++)
        for (int h = 0; h < 2; h++) {
            uint64_t *q[8];
            for (int l = 0; l < 8; l++) q[l] = a + 4 * (r * blk + lo0 + 8 * h + l);
            zkv_store8(&buf[2 * r + h], q, 0xff);
        }
}
#endif

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
#ifdef ZK_HAVE_IFMA
        zkv *vb = NULL;
        if (zk_cpu_has_ifma && ZK_NTT_CW == 16) vb = (zkv *)aligned_alloc(64, 2 * m * sizeof(zkv));
        if (vb) {
#ifdef ZKGATE_OPENMP
            #pragma omp for schedule(dynamic, 1)
#endif
            for (long cb = 0; cb < ncb; cb++) zk_ntt_colblock_ifma(a, (size_t)cb * 16, blk, m, L, T, vb);
        } else
#endif
        {
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
#ifdef ZK_HAVE_IFMA
        free(vb);
#endif
    }
    free(T);
    return 0;
}

/* the first blog stages of one block of 2^blog elements (scalar butterflies) */
static void zk_ntt_block_scalar(uint64_t *x, int blog, const uint64_t *tw) {
    size_t blk = (size_t)1 << blog;
    for (int s = 1; s <= blog; s++) {
        size_t half = (size_t)1 << (s - 1), len = half << 1;
        const uint64_t *t = tw + 4 * (half - 1);
        for (size_t g = 0; g < blk; g += len)
            for (size_t k = 0; k < half; k++)
                zk_butterfly(x + 4 * (g + k), x + 4 * (g + k + half), t + 4 * k);
    }
}

static void zk_ntt_core(uint64_t *a, int logn, const uint64_t (*roots)[4], int nthreads) {
    (void)nthreads;
    size_t n = (size_t)1 << logn;
    if (logn == 0) return;
    zk_bitrev_permute(a, logn, nthreads);
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
#ifdef ZK_HAVE_IFMA
    if (zk_cpu_has_ifma && blog >= 6) {
        zkv *twv = (zkv *)aligned_alloc(64, (blk / 8 + 4) * sizeof(zkv));
        if (twv) {
            zkv *tw23 = twv + blk / 8;
            zkv_broadcast(&tw23[0], tw + 4 * 2);       /* stage 2, k = 1 */
            for (int k = 1; k < 4; k++) zkv_broadcast(&tw23[k], tw + 4 * (3 + k));
            for (int s = 4; s <= blog; s++) {
                size_t half = (size_t)1 << (s - 1);
                zkv_load_rows(twv + half / 8 - 1, tw + 4 * (half - 1), half / 8);
            }
#ifdef ZKGATE_OPENMP
            #pragma omp parallel num_threads(nthreads) if (nblocks > 1)
#endif
            {
                zkv *buf = (zkv *)aligned_alloc(64, blk / 8 * sizeof(zkv));   /* NULL: scalar */
#ifdef ZKGATE_OPENMP
                #pragma omp for schedule(static)
#endif
                for (long b = 0; b < nblocks; b++) {
                    if (buf) zk_ntt_block_ifma(a + 4 * (size_t)b * blk, blog, tw23, twv, buf);
                    else zk_ntt_block_scalar(a + 4 * (size_t)b * blk, blog, tw);
                }
                free(buf);
            }
            free(twv);
            goto blocks_done;
        }
    }
#endif
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(static) num_threads(nthreads) if (nblocks > 1)
#endif
    for (long b = 0; b < nblocks; b++) zk_ntt_block_scalar(a + 4 * (size_t)b * blk, blog, tw);
#ifdef ZK_HAVE_IFMA
blocks_done:
#endif
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
