/* Trusted-setup kernels (zkgate.prover.setup / ceremony / ptau): sparse sums of scaled
 * points, per-point scaling, and the group FFT behind the Lagrange basis.  Not constant-time. */
#ifndef ZKGATE_CEREMONY_H
#define ZKGATE_CEREMONY_H

#include "curve.h"
#include "pairing_constants.h"

/* ---- GLV / GLS scalar decomposition (shared by both groups) ---------------------------
 * Arithmetic mod 2^256 on 4-limb two's-complement integers. */
typedef unsigned __int128 cz_u128;

static inline void cz_u256_mul_lo(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    uint64_t r[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; i + j < 4; j++) {
            cz_u128 t = (cz_u128)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
    }
    memcpy(o, r, 32);
}

/* floor(a * b / 2^256) for unsigned a, b */
static inline void cz_u256_mul_hi(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    uint64_t r[8] = {0};
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            cz_u128 t = (cz_u128)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        r[i + 4] = carry;
    }
    memcpy(o, r + 4, 32);
}

static inline void cz_u256_sub(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    uint64_t br = 0;
    for (int i = 0; i < 4; i++) o[i] = zk_sbb(a[i], b[i], &br);
}

/* magnitude and sign of a two's-complement value */
static inline int cz_u256_abs(uint64_t *m, const uint64_t *v) {
    if (!(v[3] >> 63)) { memcpy(m, v, 32); return 0; }
    static const uint64_t zero[4] = {0, 0, 0, 0};
    cz_u256_sub(m, zero, v);
    return 1;
}

/* k = k0 + k1*lambda (mod r) for k < r; returns magnitudes (< 2^129) and signs. */
static inline void cz_glv_split(const uint64_t basis[6][4], const uint64_t *k, uint64_t *m0, int *neg0,
                                uint64_t *m1, int *neg1) {
    uint64_t c1[4], c2[4], t[4], k0[4], k1[4];
    static const uint64_t zero[4] = {0, 0, 0, 0};
    cz_u256_mul_hi(c1, k, basis[4]);
    cz_u256_mul_hi(c2, k, basis[5]);
    cz_u256_mul_lo(t, c1, basis[0]); cz_u256_sub(k0, k, t);
    cz_u256_mul_lo(t, c2, basis[2]); cz_u256_sub(k0, k0, t);
    cz_u256_mul_lo(t, c1, basis[1]); cz_u256_sub(k1, zero, t);
    cz_u256_mul_lo(t, c2, basis[3]); cz_u256_sub(k1, k1, t);
    *neg0 = cz_u256_abs(m0, k0);
    *neg1 = cz_u256_abs(m1, k1);
}

#define CZ_WNAF_W 5
#define CZ_WNAF_MAX 136

/* width-w NAF digits (odd, |d| < 2^(w-1)) of v < 2^130, least significant first; returns length */
static inline int cz_wnaf(int8_t *d, const uint64_t *mag) {
    uint64_t v[3] = {mag[0], mag[1], mag[2]};
    int n = 0;
    const int64_t full = 1 << CZ_WNAF_W, half = 1 << (CZ_WNAF_W - 1);
    while (v[0] | v[1] | v[2]) {
        int64_t digit = 0;
        if (v[0] & 1) {
            digit = (int64_t)(v[0] & (uint64_t)(full - 1));
            if (digit >= half) digit -= full;
            /* v -= digit */
            if (digit > 0) {
                uint64_t br = 0;
                v[0] = zk_sbb(v[0], (uint64_t)digit, &br); v[1] = zk_sbb(v[1], 0, &br); v[2] = zk_sbb(v[2], 0, &br);
            } else {
                cz_u128 t = (cz_u128)v[0] + (uint64_t)(-digit);
                v[0] = (uint64_t)t;
                t = (cz_u128)v[1] + (uint64_t)(t >> 64); v[1] = (uint64_t)t;
                v[2] += (uint64_t)(t >> 64);
            }
        }
        d[n++] = (int8_t)digit;
        v[0] = (v[0] >> 1) | (v[1] << 63);
        v[1] = (v[1] >> 1) | (v[2] << 63);
        v[2] >>= 1;
    }
    return n;
}

/* the endomorphisms with eigenvalue lambda: G1 (beta X, Y, Z); G2 psi (conj(X) gx, conj(Y) gy, conj(Z)) */
static inline void g1_cz_endo(g1_jac *r, const g1_jac *p) {
    fq_mul(r->x, p->x, GLV_BETA);
    memcpy(r->y, p->y, 32);
    memcpy(r->z, p->z, 32);
}

static inline void cz_fq2_conj(uint64_t *o, const uint64_t *a) {
    memcpy(o, a, 32);
    fq_neg(o + 4, a + 4);
}

static inline void g2_cz_endo(g2_jac *r, const g2_jac *p) {
    uint64_t t[8];
    cz_fq2_conj(t, p->x); fq2_mul(r->x, t, FROB_GAMMA[0][2]);
    cz_fq2_conj(t, p->y); fq2_mul(r->y, t, FROB_GAMMA[0][3]);
    cz_fq2_conj(r->z, p->z);
}

#define CUR g1
#define FLD fq
#define NL 4
#define GLV_BASIS G1_GLV_BASIS
#include "ceremony_tmpl.h"
#undef GLV_BASIS
#undef CUR
#undef FLD
#undef NL

#define CUR g2
#define FLD fq2
#define NL 8
#define GLV_BASIS G2_GLV_BASIS
#include "ceremony_tmpl.h"
#undef GLV_BASIS
#undef CUR
#undef FLD
#undef NL

/* out[i] = first * inc^i mod r, plain form; first / inc plain. */
static void cz_geometric(uint64_t *out, const uint64_t *first, const uint64_t *inc, size_t n) {
    uint64_t cur[4], step[4];
    fr_to_mont(cur, first);
    fr_to_mont(step, inc);
    for (size_t i = 0; i < n; i++) {
        fr_from_mont(out + 4 * i, cur);
        fr_mul(cur, cur, step);
    }
}

#endif
