/* Eight-lane Montgomery arithmetic for Fq and Fr with AVX-512 IFMA (vpmadd52luq/huq).
 *
 * A vector element (zkv) holds 8 field elements, "structure of arrays": limb j of all
 * eight lanes in one 512-bit register, radix 2^52, 5 limbs (the top one < 2^46).  Values
 * are fully reduced and in the SAME Montgomery domain as field.h (a*2^256 mod p), so
 * lanes convert to and from the 4x64-bit layout by bit repacking alone: the reduction
 * removes 4 x 52 bits and then 48 more (a last, shorter Montgomery round), 256 in all.
 *
 * Compiled with a target attribute, never with -march: callers must check
 * zk_cpu_has_ifma (set at load time, ZKGATE_NO_IFMA=1 clears it) before calling.
 * Not constant-time. */
#ifndef ZKGATE_FIELD_IFMA_H
#define ZKGATE_FIELD_IFMA_H

#include "field.h"

#if defined(__x86_64__) && !defined(ZKGATE_PORTABLE_ONLY) && (defined(__GNUC__) || defined(__clang__))
#define ZK_HAVE_IFMA 1
#include <immintrin.h>

static int zk_cpu_has_ifma = 0;
__attribute__((constructor)) static void zk_detect_ifma(void) {
    __builtin_cpu_init();
    const char *off = getenv("ZKGATE_NO_IFMA");
    zk_cpu_has_ifma = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma")
                      && __builtin_cpu_supports("avx512dq") && !(off && off[0] && off[0] != '0');
}

#define ZK_VT __attribute__((target("avx512f,avx512ifma,avx512dq,avx512vl,avx512bw"), always_inline)) static inline
#define ZK_VTF __attribute__((target("avx512f,avx512ifma,avx512dq,avx512vl,avx512bw"))) static

typedef struct { __m512i l[5]; } zkv;

#define ZK_M52 0xfffffffffffffULL

/* modulus limbs (radix 2^52) and -p^-1 mod 2^52, from the 64-bit constants */
#define ZKV_LIMBS(P) {                                                                      \
    (P)[0] & ZK_M52, (((P)[0] >> 52) | ((P)[1] << 12)) & ZK_M52,                           \
    (((P)[1] >> 40) | ((P)[2] << 24)) & ZK_M52, (((P)[2] >> 28) | ((P)[3] << 36)) & ZK_M52, \
    (P)[3] >> 16 }

/* 4x64 limb vectors (limb j of 8 lanes) -> radix 2^52 */
ZK_VT void zkv_from64(zkv *r, __m512i L0, __m512i L1, __m512i L2, __m512i L3) {
    const __m512i M = _mm512_set1_epi64(ZK_M52);
    r->l[0] = _mm512_and_si512(L0, M);
    r->l[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(L0, 52), _mm512_slli_epi64(L1, 12)), M);
    r->l[2] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(L1, 40), _mm512_slli_epi64(L2, 24)), M);
    r->l[3] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(L2, 28), _mm512_slli_epi64(L3, 36)), M);
    r->l[4] = _mm512_srli_epi64(L3, 16);
}

ZK_VT void zkv_to64(const zkv *a, __m512i *L0, __m512i *L1, __m512i *L2, __m512i *L3) {
    *L0 = _mm512_or_si512(a->l[0], _mm512_slli_epi64(a->l[1], 52));
    *L1 = _mm512_or_si512(_mm512_srli_epi64(a->l[1], 12), _mm512_slli_epi64(a->l[2], 40));
    *L2 = _mm512_or_si512(_mm512_srli_epi64(a->l[2], 24), _mm512_slli_epi64(a->l[3], 28));
    *L3 = _mm512_or_si512(_mm512_srli_epi64(a->l[3], 36), _mm512_slli_epi64(a->l[4], 16));
}

/* Load 8 elements (4 limbs each) from 8 addresses into a vector element. */
ZK_VT void zkv_load8(zkv *r, const uint64_t *const *p) {
    __m512i Z0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p[0])),
                                    _mm256_loadu_si256((const __m256i *)p[1]), 1);
    __m512i Z1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p[2])),
                                    _mm256_loadu_si256((const __m256i *)p[3]), 1);
    __m512i Z2 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p[4])),
                                    _mm256_loadu_si256((const __m256i *)p[5]), 1);
    __m512i Z3 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p[6])),
                                    _mm256_loadu_si256((const __m256i *)p[7]), 1);
    /* Zk = [e(2k) limbs 0..3 | e(2k+1) limbs 0..3] */
    const __m512i i01 = _mm512_set_epi64(13, 9, 5, 1, 12, 8, 4, 0);   /* limb0 of 4 elems, limb1 of 4 */
    const __m512i i23 = _mm512_set_epi64(15, 11, 7, 3, 14, 10, 6, 2);
    __m512i A01 = _mm512_permutex2var_epi64(Z0, i01, Z1), B01 = _mm512_permutex2var_epi64(Z2, i01, Z3);
    __m512i A23 = _mm512_permutex2var_epi64(Z0, i23, Z1), B23 = _mm512_permutex2var_epi64(Z2, i23, Z3);
    const __m512i lo = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0), hi = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    zkv_from64(r, _mm512_permutex2var_epi64(A01, lo, B01), _mm512_permutex2var_epi64(A01, hi, B01),
               _mm512_permutex2var_epi64(A23, lo, B23), _mm512_permutex2var_epi64(A23, hi, B23));
}

/* Store the lanes whose bit is set in mask to their 8 addresses. */
ZK_VT void zkv_store8(const zkv *a, uint64_t *const *p, unsigned mask) {
    __m512i L0, L1, L2, L3;
    zkv_to64(a, &L0, &L1, &L2, &L3);
    /* back to [e(2k) | e(2k+1)]: Z0 = e0 l0..3, e1 l0..3 */
    const __m512i e01 = _mm512_set_epi64(25, 17, 9, 1, 24, 16, 8, 0);
    /* first interleave limb pairs: P = [L0,L1] per element, Q = [L2,L3] */
    const __m512i lo = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), hi = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    __m512i P01a = _mm512_permutex2var_epi64(L0, lo, L1);   /* e0l0 e0l1 e1l0 e1l1 e2l0 e2l1 e3l0 e3l1 */
    __m512i P01b = _mm512_permutex2var_epi64(L0, hi, L1);   /* e4.. e7 */
    __m512i P23a = _mm512_permutex2var_epi64(L2, lo, L3);
    __m512i P23b = _mm512_permutex2var_epi64(L2, hi, L3);
    (void)e01;
    const __m512i j0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), j1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    __m512i Z0 = _mm512_permutex2var_epi64(P01a, j0, P23a);  /* e0 l0..3 | e1 l0..3 */
    __m512i Z1 = _mm512_permutex2var_epi64(P01a, j1, P23a);  /* e2 | e3 */
    __m512i Z2 = _mm512_permutex2var_epi64(P01b, j0, P23b);  /* e4 | e5 */
    __m512i Z3 = _mm512_permutex2var_epi64(P01b, j1, P23b);  /* e6 | e7 */
    if (mask & 1) _mm256_storeu_si256((__m256i *)p[0], _mm512_castsi512_si256(Z0));
    if (mask & 2) _mm256_storeu_si256((__m256i *)p[1], _mm512_extracti64x4_epi64(Z0, 1));
    if (mask & 4) _mm256_storeu_si256((__m256i *)p[2], _mm512_castsi512_si256(Z1));
    if (mask & 8) _mm256_storeu_si256((__m256i *)p[3], _mm512_extracti64x4_epi64(Z1, 1));
    if (mask & 16) _mm256_storeu_si256((__m256i *)p[4], _mm512_castsi512_si256(Z2));
    if (mask & 32) _mm256_storeu_si256((__m256i *)p[5], _mm512_extracti64x4_epi64(Z2, 1));
    if (mask & 64) _mm256_storeu_si256((__m256i *)p[6], _mm512_castsi512_si256(Z3));
    if (mask & 128) _mm256_storeu_si256((__m256i *)p[7], _mm512_extracti64x4_epi64(Z3, 1));
}

/* r = a - p if a >= p else a, for a < 2p with normalized limbs (carry chain on the limbs) */
ZK_VT void zkv_csub(zkv *r, const zkv *a, const uint64_t *P52) {
    const __m512i M = _mm512_set1_epi64(ZK_M52);
    __m512i d[5], c = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) {
        d[j] = _mm512_add_epi64(_mm512_sub_epi64(a->l[j], _mm512_set1_epi64((long long)P52[j])), c);
        c = _mm512_srai_epi64(d[j], 52);
        d[j] = _mm512_and_si512(d[j], M);
    }
    __mmask8 neg = _mm512_movepi64_mask(c);     /* borrow out: a < p, keep a */
    for (int j = 0; j < 5; j++) r->l[j] = _mm512_mask_mov_epi64(d[j], neg, a->l[j]);
}

/* r = a - b mod p (inputs reduced) */
ZK_VT void zkv_sub_p(zkv *r, const zkv *a, const zkv *b, const uint64_t *P52) {
    const __m512i M = _mm512_set1_epi64(ZK_M52);
    __m512i d[5], c = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) {
        d[j] = _mm512_add_epi64(_mm512_sub_epi64(a->l[j], b->l[j]), c);
        c = _mm512_srai_epi64(d[j], 52);
        d[j] = _mm512_and_si512(d[j], M);
    }
    __mmask8 neg = _mm512_movepi64_mask(c);
    c = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) {
        __m512i t = _mm512_add_epi64(_mm512_add_epi64(d[j], _mm512_set1_epi64((long long)P52[j])), c);
        c = _mm512_srli_epi64(t, 52);
        r->l[j] = _mm512_mask_mov_epi64(d[j], neg, _mm512_and_si512(t, M));
    }
}

/* r = a + b mod p (inputs reduced) */
ZK_VT void zkv_add_p(zkv *r, const zkv *a, const zkv *b, const uint64_t *P52) {
    const __m512i M = _mm512_set1_epi64(ZK_M52);
    zkv s;
    __m512i c = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) {
        __m512i t = _mm512_add_epi64(_mm512_add_epi64(a->l[j], b->l[j]), c);
        c = _mm512_srli_epi64(t, 52);
        s.l[j] = j < 4 ? _mm512_and_si512(t, M) : t;
    }
    zkv_csub(r, &s, P52);
}

/* r = (neg lanes) p - a, other lanes a; a reduced and nonzero in the negated lanes */
ZK_VT void zkv_cneg_p(zkv *r, const zkv *a, __mmask8 neg, const uint64_t *P52) {
    const __m512i M = _mm512_set1_epi64(ZK_M52);
    __m512i c = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) {
        __m512i t = _mm512_add_epi64(_mm512_sub_epi64(_mm512_set1_epi64((long long)P52[j]), a->l[j]), c);
        c = _mm512_srai_epi64(t, 52);
        r->l[j] = _mm512_mask_mov_epi64(a->l[j], neg, _mm512_and_si512(t, M));
    }
}

/* r = a * b / 2^256 mod p, inputs reduced (< p), output reduced */
ZK_VT void zkv_mul_p(zkv *r, const zkv *a, const zkv *b, const uint64_t *P52, uint64_t pinv) {
    const __m512i M = _mm512_set1_epi64(ZK_M52);
    const __m512i Z = _mm512_setzero_si512();
    const __m512i PI = _mm512_set1_epi64((long long)(pinv & ZK_M52));
    __m512i p0 = _mm512_set1_epi64((long long)P52[0]), p1 = _mm512_set1_epi64((long long)P52[1]),
            p2 = _mm512_set1_epi64((long long)P52[2]), p3 = _mm512_set1_epi64((long long)P52[3]),
            p4 = _mm512_set1_epi64((long long)P52[4]);
    __m512i a0 = a->l[0], a1 = a->l[1], a2 = a->l[2], a3 = a->l[3], a4 = a->l[4];
    __m512i t0 = Z, t1 = Z, t2 = Z, t3 = Z, t4 = Z, t5 = Z;
    for (int i = 0; i < 5; i++) {
        __m512i bi = b->l[i];
        t0 = _mm512_madd52lo_epu64(t0, a0, bi); t1 = _mm512_madd52hi_epu64(t1, a0, bi);
        t1 = _mm512_madd52lo_epu64(t1, a1, bi); t2 = _mm512_madd52hi_epu64(t2, a1, bi);
        t2 = _mm512_madd52lo_epu64(t2, a2, bi); t3 = _mm512_madd52hi_epu64(t3, a2, bi);
        t3 = _mm512_madd52lo_epu64(t3, a3, bi); t4 = _mm512_madd52hi_epu64(t4, a3, bi);
        t4 = _mm512_madd52lo_epu64(t4, a4, bi); t5 = _mm512_madd52hi_epu64(t5, a4, bi);
        __m512i m = _mm512_madd52lo_epu64(Z, t0, PI);
        if (i == 4) m = _mm512_and_si512(m, _mm512_set1_epi64((1LL << 48) - 1));
        else m = _mm512_and_si512(m, M);
        t0 = _mm512_madd52lo_epu64(t0, m, p0); t1 = _mm512_madd52hi_epu64(t1, m, p0);
        t1 = _mm512_madd52lo_epu64(t1, m, p1); t2 = _mm512_madd52hi_epu64(t2, m, p1);
        t2 = _mm512_madd52lo_epu64(t2, m, p2); t3 = _mm512_madd52hi_epu64(t3, m, p2);
        t3 = _mm512_madd52lo_epu64(t3, m, p3); t4 = _mm512_madd52hi_epu64(t4, m, p3);
        t4 = _mm512_madd52lo_epu64(t4, m, p4); t5 = _mm512_madd52hi_epu64(t5, m, p4);
        if (i < 4) {
            /* t0 = 0 mod 2^52: shift one limb down */
            t0 = _mm512_add_epi64(t1, _mm512_srli_epi64(t0, 52));
            t1 = t2; t2 = t3; t3 = t4; t4 = t5; t5 = Z;
        }
    }
    /* value = sum t_j 2^(52 j) = 0 mod 2^48; normalize the limbs, then divide by 2^48 */
    t1 = _mm512_add_epi64(t1, _mm512_srli_epi64(t0, 52)); t0 = _mm512_and_si512(t0, M);
    t2 = _mm512_add_epi64(t2, _mm512_srli_epi64(t1, 52)); t1 = _mm512_and_si512(t1, M);
    t3 = _mm512_add_epi64(t3, _mm512_srli_epi64(t2, 52)); t2 = _mm512_and_si512(t2, M);
    t4 = _mm512_add_epi64(t4, _mm512_srli_epi64(t3, 52)); t3 = _mm512_and_si512(t3, M);
    t5 = _mm512_add_epi64(t5, _mm512_srli_epi64(t4, 52)); t4 = _mm512_and_si512(t4, M);
    zkv s;
    s.l[0] = _mm512_or_si512(_mm512_srli_epi64(t0, 48), _mm512_and_si512(_mm512_slli_epi64(t1, 4), M));
    s.l[1] = _mm512_or_si512(_mm512_srli_epi64(t1, 48), _mm512_and_si512(_mm512_slli_epi64(t2, 4), M));
    s.l[2] = _mm512_or_si512(_mm512_srli_epi64(t2, 48), _mm512_and_si512(_mm512_slli_epi64(t3, 4), M));
    s.l[3] = _mm512_or_si512(_mm512_srli_epi64(t3, 48), _mm512_and_si512(_mm512_slli_epi64(t4, 4), M));
    s.l[4] = _mm512_or_si512(_mm512_srli_epi64(t4, 48), _mm512_slli_epi64(t5, 4));
    zkv_csub(r, &s, P52);
}

static const uint64_t ZKV_FQ_P52[5] = ZKV_LIMBS(FQ_P);
static const uint64_t ZKV_FR_P52[5] = ZKV_LIMBS(FR_P);

ZK_VT void fqv_mul(zkv *r, const zkv *a, const zkv *b) { zkv_mul_p(r, a, b, ZKV_FQ_P52, FQ_INV); }
ZK_VT void fqv_sub(zkv *r, const zkv *a, const zkv *b) { zkv_sub_p(r, a, b, ZKV_FQ_P52); }
ZK_VT void fqv_cneg(zkv *r, const zkv *a, __mmask8 m) { zkv_cneg_p(r, a, m, ZKV_FQ_P52); }
ZK_VT void frv_mul(zkv *r, const zkv *a, const zkv *b) { zkv_mul_p(r, a, b, ZKV_FR_P52, FR_INV); }
ZK_VT void frv_sub(zkv *r, const zkv *a, const zkv *b) { zkv_sub_p(r, a, b, ZKV_FR_P52); }
ZK_VT void frv_add(zkv *r, const zkv *a, const zkv *b) { zkv_add_p(r, a, b, ZKV_FR_P52); }
/* x, y = x + y*w, x - y*w */
ZK_VT void frv_butterfly(zkv *x, zkv *y, const zkv *w) {
    zkv t;
    frv_mul(&t, y, w);
    frv_sub(y, x, &t);
    frv_add(x, x, &t);
}
/* x, y = x + y, x - y */
ZK_VT void frv_butterfly1(zkv *x, zkv *y) {
    zkv t = *y;
    frv_sub(y, x, &t);
    frv_add(x, x, &t);
}

/* lane i of a vector element to/from 4x64 limbs (slow path: fix-ups and tests) */
ZK_VTF void zkv_get_lane(uint64_t *out, const zkv *a, int lane) {
    __m512i L[4];
    zkv_to64(a, &L[0], &L[1], &L[2], &L[3]);
    uint64_t tmp[8];
    for (int j = 0; j < 4; j++) { _mm512_storeu_si512(tmp, L[j]); out[j] = tmp[lane]; }
}

/* lanes (bits) whose value is zero */
ZK_VT unsigned zkv_zero_mask(const zkv *a) {
    __m512i o = _mm512_or_si512(_mm512_or_si512(a->l[0], a->l[1]),
                                _mm512_or_si512(_mm512_or_si512(a->l[2], a->l[3]), a->l[4]));
    return (unsigned)_mm512_testn_epi64_mask(o, o);
}
/* r = a on the lanes of m */
ZK_VT void zkv_blend(zkv *r, __mmask8 m, const zkv *a) {
    for (int j = 0; j < 5; j++) r->l[j] = _mm512_mask_mov_epi64(r->l[j], m, a->l[j]);
}
/* lane l of r = v (4 limbs) */
ZK_VTF void zkv_set_lane(zkv *r, const uint64_t *v, int l) {
    uint64_t w[5] = {v[0] & ZK_M52, ((v[0] >> 52) | (v[1] << 12)) & ZK_M52,
                     ((v[1] >> 40) | (v[2] << 24)) & ZK_M52, ((v[2] >> 28) | (v[3] << 36)) & ZK_M52,
                     v[3] >> 16};
    for (int j = 0; j < 5; j++) r->l[j] = _mm512_mask_set1_epi64(r->l[j], (__mmask8)(1u << l), (long long)w[j]);
}

/* all eight lanes = one element */
ZK_VTF void zkv_broadcast(zkv *r, const uint64_t *v) {
    const uint64_t *p[8] = {v, v, v, v, v, v, v, v};
    zkv_load8(r, p);
}

/* rows of 8 consecutive elements: r[k] = elements 8k .. 8k+7 of a */
ZK_VTF void zkv_load_rows(zkv *r, const uint64_t *a, size_t rows) {
    for (size_t k = 0; k < rows; k++) {
        const uint64_t *p[8];
        for (int l = 0; l < 8; l++) p[l] = a + 32 * k + 4 * l;
        zkv_load8(&r[k], p);
    }
}
ZK_VTF void zkv_store_rows(uint64_t *a, const zkv *r, size_t rows) {
    for (size_t k = 0; k < rows; k++) {
        uint64_t *p[8];
        for (int l = 0; l < 8; l++) p[l] = a + 32 * k + 4 * l;
        zkv_store8(&r[k], p, 0xff);
    }
}

ZK_VTF void zkv_set_lanes(zkv *r, const uint64_t *v8) {  /* v8: 8 elements, 4 limbs each, contiguous */
    const uint64_t *p[8];
    for (int i = 0; i < 8; i++) p[i] = v8 + 4 * i;
    zkv_load8(r, p);
}

/* ---- Fq2 on eight lanes: c0 and c1 vectors; elements are 8 limbs (c0 then c1) ---- */
typedef struct { zkv c0, c1; } zkv2;

ZK_VT void fq2v_add(zkv2 *r, const zkv2 *a, const zkv2 *b) {
    zkv_add_p(&r->c0, &a->c0, &b->c0, ZKV_FQ_P52); zkv_add_p(&r->c1, &a->c1, &b->c1, ZKV_FQ_P52);
}
ZK_VT void fq2v_sub(zkv2 *r, const zkv2 *a, const zkv2 *b) {
    zkv_sub_p(&r->c0, &a->c0, &b->c0, ZKV_FQ_P52); zkv_sub_p(&r->c1, &a->c1, &b->c1, ZKV_FQ_P52);
}
/* negate the masked lanes (each component: zero stays zero) */
ZK_VT void fq2v_cneg(zkv2 *r, const zkv2 *a, __mmask8 m) {
    const __m512i Z = _mm512_setzero_si512();
    __mmask8 nz0 = 0, nz1 = 0;
    __m512i o0 = Z, o1 = Z;
    for (int j = 0; j < 5; j++) { o0 = _mm512_or_si512(o0, a->c0.l[j]); o1 = _mm512_or_si512(o1, a->c1.l[j]); }
    nz0 = _mm512_test_epi64_mask(o0, o0); nz1 = _mm512_test_epi64_mask(o1, o1);
    zkv_cneg_p(&r->c0, &a->c0, m & nz0, ZKV_FQ_P52);
    zkv_cneg_p(&r->c1, &a->c1, m & nz1, ZKV_FQ_P52);
}
/* Karatsuba, as fq2_mul: c0 = a0 b0 - a1 b1, c1 = (a0 + a1)(b0 + b1) - a0 b0 - a1 b1 */
ZK_VT void fq2v_mul(zkv2 *r, const zkv2 *a, const zkv2 *b) {
    zkv v0, v1, s, t;
    fqv_mul(&v0, &a->c0, &b->c0);
    fqv_mul(&v1, &a->c1, &b->c1);
    zkv_add_p(&s, &a->c0, &a->c1, ZKV_FQ_P52);
    zkv_add_p(&t, &b->c0, &b->c1, ZKV_FQ_P52);
    fqv_mul(&s, &s, &t);
    fqv_sub(&s, &s, &v0);
    fqv_sub(&r->c1, &s, &v1);
    fqv_sub(&r->c0, &v0, &v1);
}
ZK_VT void zkv2_load8(zkv2 *r, const uint64_t *const *p) {
    const uint64_t *q[8];
    for (int l = 0; l < 8; l++) q[l] = p[l] + 4;
    zkv_load8(&r->c0, p); zkv_load8(&r->c1, q);
}
ZK_VT void zkv2_store8(const zkv2 *a, uint64_t *const *p, unsigned mask) {
    uint64_t *q[8];
    for (int l = 0; l < 8; l++) q[l] = p[l] ? p[l] + 4 : NULL;
    zkv_store8(&a->c0, p, mask); zkv_store8(&a->c1, q, mask);
}
ZK_VTF void zkv2_get_lane(uint64_t *out, const zkv2 *a, int lane) {
    zkv_get_lane(out, &a->c0, lane); zkv_get_lane(out + 4, &a->c1, lane);
}
ZK_VTF void zkv2_set_lanes(zkv2 *r, const uint64_t *v8) {  /* 8 elements of 8 limbs */
    const uint64_t *p[8];
    for (int i = 0; i < 8; i++) p[i] = v8 + 8 * i;
    zkv2_load8(r, p);
}

#endif /* x86-64 */
#endif
