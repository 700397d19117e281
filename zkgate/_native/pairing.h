/* Optimal-ate pairing on BN254: the Fq2 -> Fq6 -> Fq12 tower, prepared G2 line coefficients,
 * a multi-Miller loop sharing one accumulator, the final exponentiation (cyclotomic squarings
 * in the hard part) and a fast G2 subgroup test.  Not constant-time: verification handles
 * public data only.
 *
 * Layout (Montgomery form, 4 limbs per Fq element, matching zkgate.bn254.tower):
 *   Fq2  = c0 + c1 u                      8 limbs   (u^2 = -1)
 *   Fq6  = a0 + a1 v + a2 v^2             24 limbs  (v^3 = xi = 9 + u)
 *   Fq12 = b0 + b1 w                      48 limbs  (w^2 = v)
 *
 * Miller loop (the same function as the reference in zkgate/bn254/pairing.py, computed with
 * the NAF of 6x + 2 and homogeneous projective coordinates on the twist): each step yields a
 * line  l(P) = c0 * yP + c1 * xP * w + c2 * w^3  up to an Fq2 factor (killed by the final
 * exponentiation).  A prepared G2 point is the array of (c0, c1, c2) for all ATE_STEPS steps.
 * Formulas: Costello-Lange-Naehrig (2010) / Aranha et al. (2010) for a D-type twist, derived
 * again in docs/verification.md; hard part of the final exponentiation after Scott et al.
 * (2009); G2 membership after El Housni-Guillevic-Piellard (2022):
 *   Q in G2  <=>  [x+1]Q + psi([x]Q) + psi^2([x]Q) == psi^3([2x]Q).
 */
#ifndef ZKGATE_PAIRING_H
#define ZKGATE_PAIRING_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "curve.h"
#include "pairing_constants.h"

#define PR_COEFF_LIMBS 24                          /* c0, c1, c2: three Fq2 */
#define PR_PREPARED_LIMBS (ATE_STEPS * PR_COEFF_LIMBS)

/* ---- Fq2 extras ---------------------------------------------------------------------- */

/* o = a * (9 + u) = (9 a0 - a1) + (a0 + 9 a1) u */
static inline void fq2_mul_xi(uint64_t *o, const uint64_t *a) {
    uint64_t t0[4], t1[4];
    fq_dbl(t0, a); fq_dbl(t0, t0); fq_dbl(t0, t0); fq_add(t0, t0, a);          /* 9 a0 */
    fq_dbl(t1, a + 4); fq_dbl(t1, t1); fq_dbl(t1, t1); fq_add(t1, t1, a + 4);  /* 9 a1 */
    fq_sub(t0, t0, a + 4);
    fq_add(t1, t1, a);
    memcpy(o, t0, 32); memcpy(o + 4, t1, 32);
}

static inline void fq2_conj(uint64_t *o, const uint64_t *a) {
    if (o != a) memcpy(o, a, 32);
    fq_neg(o + 4, a + 4);
}

/* ---- Fq6 ------------------------------------------------------------------------------ */

static inline void fq6_add(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    fq2_add(o, a, b); fq2_add(o + 8, a + 8, b + 8); fq2_add(o + 16, a + 16, b + 16);
}
static inline void fq6_sub(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    fq2_sub(o, a, b); fq2_sub(o + 8, a + 8, b + 8); fq2_sub(o + 16, a + 16, b + 16);
}
static inline void fq6_neg(uint64_t *o, const uint64_t *a) {
    fq2_neg(o, a); fq2_neg(o + 8, a + 8); fq2_neg(o + 16, a + 16);
}

/* Karatsuba: 6 Fq2 products.  o may alias a or b. */
static inline void fq6_mul(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    uint64_t t0[8], t1[8], t2[8], s[8], u[8], c0[8], c1[8], c2[8];
    fq2_mul(t0, a, b); fq2_mul(t1, a + 8, b + 8); fq2_mul(t2, a + 16, b + 16);
    fq2_add(s, a + 8, a + 16); fq2_add(u, b + 8, b + 16); fq2_mul(s, s, u);
    fq2_sub(s, s, t1); fq2_sub(s, s, t2); fq2_mul_xi(s, s); fq2_add(c0, s, t0);
    fq2_add(s, a, a + 8); fq2_add(u, b, b + 8); fq2_mul(s, s, u);
    fq2_sub(s, s, t0); fq2_sub(s, s, t1); fq2_mul_xi(u, t2); fq2_add(c1, s, u);
    fq2_add(s, a, a + 16); fq2_add(u, b, b + 16); fq2_mul(s, s, u);
    fq2_sub(s, s, t0); fq2_sub(s, s, t2); fq2_add(c2, s, t1);
    memcpy(o, c0, 64); memcpy(o + 8, c1, 64); memcpy(o + 16, c2, 64);
}

/* Chung-Hasan SQR2.  o may alias a. */
static inline void fq6_sqr(uint64_t *o, const uint64_t *a) {
    uint64_t s0[8], s1[8], s2[8], s3[8], s4[8], t[8];
    fq2_sqr(s0, a);
    fq2_mul(s1, a, a + 8); fq2_dbl(s1, s1);
    fq2_sub(s2, a, a + 8); fq2_add(s2, s2, a + 16); fq2_sqr(s2, s2);
    fq2_mul(s3, a + 8, a + 16); fq2_dbl(s3, s3);
    fq2_sqr(s4, a + 16);
    fq2_add(t, s1, s2); fq2_add(t, t, s3); fq2_sub(t, t, s0); fq2_sub(o + 16, t, s4);
    fq2_mul_xi(t, s4); fq2_add(o + 8, s1, t);
    fq2_mul_xi(t, s3); fq2_add(o, s0, t);
}

/* o = a * v */
static inline void fq6_mul_v(uint64_t *o, const uint64_t *a) {
    uint64_t t[8];
    fq2_mul_xi(t, a + 16);
    memmove(o + 8, a, 128);
    memcpy(o, t, 64);
}

/* o = a * k for k in Fq2 */
static inline void fq6_mul_fq2(uint64_t *o, const uint64_t *a, const uint64_t *k) {
    fq2_mul(o, a, k); fq2_mul(o + 8, a + 8, k); fq2_mul(o + 16, a + 16, k);
}

/* o = a * (b0 + b1 v): 5 Fq2 products */
static inline void fq6_mul_01(uint64_t *o, const uint64_t *a, const uint64_t *b0, const uint64_t *b1) {
    uint64_t v0[8], v1[8], s[8], t[8], r0[8], r1[8], r2[8];
    fq2_mul(v0, a, b0);
    fq2_mul(v1, a + 8, b1);
    fq2_add(s, a, a + 8); fq2_add(t, b0, b1); fq2_mul(s, s, t);
    fq2_sub(s, s, v0); fq2_sub(r1, s, v1);
    fq2_mul(t, a + 16, b1); fq2_mul_xi(t, t); fq2_add(r0, v0, t);
    fq2_mul(t, a + 16, b0); fq2_add(r2, v1, t);
    memcpy(o, r0, 64); memcpy(o + 8, r1, 64); memcpy(o + 16, r2, 64);
}

static inline void fq6_inv(uint64_t *o, const uint64_t *a) {
    uint64_t c0[8], c1[8], c2[8], t[8], n[8];
    fq2_sqr(c0, a); fq2_mul(t, a + 8, a + 16); fq2_mul_xi(t, t); fq2_sub(c0, c0, t);
    fq2_sqr(c1, a + 16); fq2_mul_xi(c1, c1); fq2_mul(t, a, a + 8); fq2_sub(c1, c1, t);
    fq2_sqr(c2, a + 8); fq2_mul(t, a, a + 16); fq2_sub(c2, c2, t);
    fq2_mul(n, a + 16, c1); fq2_mul(t, a + 8, c2); fq2_add(n, n, t); fq2_mul_xi(n, n);
    fq2_mul(t, a, c0); fq2_add(n, n, t);
    fq2_inv(n, n);
    fq2_mul(o, c0, n); fq2_mul(o + 8, c1, n); fq2_mul(o + 16, c2, n);
}

/* ---- Fq12 ----------------------------------------------------------------------------- */

static inline void fq12_set_one(uint64_t *o) { memset(o, 0, 384); memcpy(o, FQ_ONE, 32); }

static inline int fq12_is_one(const uint64_t *a) {
    if (!zk_eq4(a, FQ_ONE)) return 0;
    for (int i = 4; i < 48; i++) if (a[i]) return 0;
    return 1;
}

static inline int fq12_eq(const uint64_t *a, const uint64_t *b) { return memcmp(a, b, 384) == 0; }

static inline void fq12_conj(uint64_t *o, const uint64_t *a) {
    if (o != a) memcpy(o, a, 192);
    fq6_neg(o + 24, a + 24);
}

/* Karatsuba over Fq6: 3 Fq6 products.  o may alias a or b. */
static inline void fq12_mul(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    uint64_t t0[24], t1[24], s[24], u[24];
    fq6_mul(t0, a, b);
    fq6_mul(t1, a + 24, b + 24);
    fq6_add(s, a, a + 24); fq6_add(u, b, b + 24); fq6_mul(s, s, u);
    fq6_sub(s, s, t0); fq6_sub(o + 24, s, t1);
    fq6_mul_v(t1, t1); fq6_add(o, t0, t1);
}

/* complex squaring: 2 Fq6 products */
static inline void fq12_sqr(uint64_t *o, const uint64_t *a) {
    uint64_t t[24], s[24], u[24], vt[24];
    fq6_mul(t, a, a + 24);
    fq6_add(s, a, a + 24);
    fq6_mul_v(u, a + 24); fq6_add(u, u, a);
    fq6_mul(s, s, u);
    fq6_sub(s, s, t);
    fq6_mul_v(vt, t); fq6_sub(o, s, vt);
    fq6_add(o + 24, t, t);
}

static inline void fq12_inv(uint64_t *o, const uint64_t *a) {
    uint64_t n[24], t[24], b0[24];
    fq6_sqr(n, a);
    fq6_sqr(t, a + 24); fq6_mul_v(t, t);
    fq6_sub(n, n, t);
    fq6_inv(n, n);
    fq6_mul(b0, a, n);
    fq6_mul(t, a + 24, n);
    fq6_neg(o + 24, t);
    memcpy(o, b0, 192);
}

/* a^(q^j), j = 1, 2, 3: coefficient of w^k is conj^j(c) * FROB_GAMMA[j-1][k].
 * Fq6 slot i (0..2) of b0 holds w^(2i), of b1 holds w^(2i+1). */
static inline void fq12_frob(uint64_t *o, const uint64_t *a, int j) {
    for (int half = 0; half < 2; half++) {
        for (int i = 0; i < 3; i++) {
            const uint64_t *c = a + 24 * half + 8 * i;
            uint64_t *d = o + 24 * half + 8 * i;
            uint64_t t[8];
            if (j & 1) fq2_conj(t, c); else memcpy(t, c, 64);
            fq2_mul(d, t, FROB_GAMMA[j - 1][2 * i + half]);
        }
    }
}

/* Granger-Scott squaring in the cyclotomic subgroup, viewing Fq12 = Fq4[t]/(t^3 - s),
 * Fq4 = Fq2[s]/(s^2 - xi) with t = w, s = w^3:  A0 = (g0, h1), A1 = (h0, g2), A2 = (g1, h2)
 *   A0' = 3 A0^2 - 2 conj(A0),  A1' = 3 s A2^2 + 2 conj(A1),  A2' = 3 A1^2 - 2 conj(A2). */
static inline void fq4_sqr(uint64_t *re, uint64_t *im, const uint64_t *x, const uint64_t *y) {
    uint64_t t0[8], t1[8], s[8];
    fq2_sqr(t0, x); fq2_sqr(t1, y);
    fq2_add(s, x, y); fq2_sqr(s, s); fq2_sub(s, s, t0); fq2_sub(im, s, t1);
    fq2_mul_xi(t1, t1); fq2_add(re, t0, t1);
}

static inline void fq12_cyclo_sqr(uint64_t *o, const uint64_t *a) {
    const uint64_t *g0 = a, *g1 = a + 8, *g2 = a + 16, *h0 = a + 24, *h1 = a + 32, *h2 = a + 40;
    uint64_t s0r[8], s0i[8], s1r[8], s1i[8], s2r[8], s2i[8], t[8], r[48];
    fq4_sqr(s0r, s0i, g0, h1);
    fq4_sqr(s1r, s1i, h0, g2);
    fq4_sqr(s2r, s2i, g1, h2);
    /* A0' = (3 s0r - 2 g0, 3 s0i + 2 h1) -> (g0', h1') */
    fq2_sub(t, s0r, g0); fq2_dbl(t, t); fq2_add(r + 0, t, s0r);
    fq2_add(t, s0i, h1); fq2_dbl(t, t); fq2_add(r + 32, t, s0i);
    /* s * S2 = (xi s2i, s2r); A1' = (3 xi s2i + 2 h0, 3 s2r - 2 g2) -> (h0', g2') */
    uint64_t xs[8];
    fq2_mul_xi(xs, s2i);
    fq2_add(t, xs, h0); fq2_dbl(t, t); fq2_add(r + 24, t, xs);
    fq2_sub(t, s2r, g2); fq2_dbl(t, t); fq2_add(r + 16, t, s2r);
    /* A2' = (3 s1r - 2 g1, 3 s1i + 2 h2) -> (g1', h2') */
    fq2_sub(t, s1r, g1); fq2_dbl(t, t); fq2_add(r + 8, t, s1r);
    fq2_add(t, s1i, h2); fq2_dbl(t, t); fq2_add(r + 40, t, s1i);
    memcpy(o, r, 384);
}

/* o = a^x for a in the cyclotomic subgroup: width-4 NAF of x with a, a^3, a^5, a^7
 * precomputed (inverses are conjugates): 62 cyclotomic squarings, about 16 products. */
static inline void fq12_cyclo_exp_x(uint64_t *o, const uint64_t *a) {
    uint64_t tab[4][48], a2[48], acc[48], t[48];
    memcpy(tab[0], a, 384);
    fq12_cyclo_sqr(a2, a);
    for (int i = 1; i < 4; i++) fq12_mul(tab[i], tab[i - 1], a2);
    int d0 = BN_X_WNAF[0];                  /* leading digit is positive */
    memcpy(acc, tab[d0 >> 1], 384);
    for (int i = 1; i < BN_X_WNAF_LEN; i++) {
        fq12_cyclo_sqr(acc, acc);
        int d = BN_X_WNAF[i];
        if (d > 0) fq12_mul(acc, acc, tab[d >> 1]);
        else if (d < 0) { fq12_conj(t, tab[(-d) >> 1]); fq12_mul(acc, acc, t); }
    }
    memcpy(o, acc, 384);
}

/* o = f^((q^12 - 1)/r): easy part f^((q^6 - 1)(q^2 + 1)), then the hard part
 * (q^4 - q^2 + 1)/r = l0 + l1 q + l2 q^2 + q^3 with l2 = 6x^2 + 1,
 * l1 = -36x^3 - 18x^2 - 12x + 1, l0 = -36x^3 - 30x^2 - 18x - 2, evaluated as
 * y0 y1^2 y2^6 y3^12 y4^18 y5^30 y6^36 (see docs/verification.md). */
static void zk_final_exp(uint64_t *o, const uint64_t *f) {
    uint64_t t[48], u[48], fu[48], fu2[48], fu3[48];
    uint64_t y0[48], y1[48], y2[48], y3[48], y4[48], y5[48], y6[48], T0[48], T1[48];
    fq12_inv(t, f);
    fq12_conj(u, f);
    fq12_mul(t, u, t);              /* f^(q^6 - 1) */
    fq12_frob(u, t, 2);
    fq12_mul(t, u, t);              /* ^(q^2 + 1): now unitary, cyclotomic */
    fq12_cyclo_exp_x(fu, t);
    fq12_cyclo_exp_x(fu2, fu);
    fq12_cyclo_exp_x(fu3, fu2);
    fq12_frob(y0, t, 1); fq12_frob(u, t, 2); fq12_mul(y0, y0, u); fq12_frob(u, t, 3); fq12_mul(y0, y0, u);
    fq12_conj(y1, t);
    fq12_frob(y2, fu2, 2);
    fq12_frob(y3, fu, 1); fq12_conj(y3, y3);
    fq12_frob(u, fu2, 1); fq12_mul(y4, fu, u); fq12_conj(y4, y4);
    fq12_conj(y5, fu2);
    fq12_frob(u, fu3, 1); fq12_mul(y6, fu3, u); fq12_conj(y6, y6);
    fq12_cyclo_sqr(T0, y6); fq12_mul(T0, T0, y4); fq12_mul(T0, T0, y5);
    fq12_mul(T1, y3, y5); fq12_mul(T1, T1, T0);
    fq12_mul(T0, T0, y2);
    fq12_cyclo_sqr(T1, T1); fq12_mul(T1, T1, T0);
    fq12_cyclo_sqr(T1, T1);
    fq12_mul(T0, T1, y1);
    fq12_mul(T1, T1, y0);
    fq12_cyclo_sqr(T0, T0);
    fq12_mul(o, T0, T1);
}

/* ---- Miller loop ------------------------------------------------------------------------ */

typedef struct { uint64_t x[8], y[8], z[8]; } pr_g2proj;   /* (X/Z, Y/Z) on the twist */

/* T = 2T; line coefficients (c0, c1, c2) = (-H, 3J, I) with H = 2YZ, J = X^2, I = 3b'Z^2 - Y^2 */
static inline void pr_dbl_step(pr_g2proj *T, uint64_t *coeff) {
    uint64_t A[8], B[8], C[8], E[8], F[8], G[8], H[8], J[8], t[8];
    fq2_mul(A, T->x, T->y); fq_mul(A, A, FQ_INV2); fq_mul(A + 4, A + 4, FQ_INV2);
    fq2_sqr(B, T->y);
    fq2_sqr(C, T->z);
    fq2_mul(E, C, G2_B3);
    fq2_dbl(F, E); fq2_add(F, F, E);
    fq2_add(G, B, F); fq_mul(G, G, FQ_INV2); fq_mul(G + 4, G + 4, FQ_INV2);
    fq2_add(H, T->y, T->z); fq2_sqr(H, H); fq2_sub(H, H, B); fq2_sub(H, H, C);
    fq2_sqr(J, T->x);
    /* line */
    fq2_neg(coeff, H);
    fq2_dbl(coeff + 8, J); fq2_add(coeff + 8, coeff + 8, J);
    fq2_sub(coeff + 16, E, B);
    /* point */
    fq2_sub(t, B, F); fq2_mul(T->x, A, t);
    fq2_sqr(G, G); fq2_sqr(t, E); fq2_dbl(E, t); fq2_add(t, E, t); fq2_sub(T->y, G, t);
    fq2_mul(T->z, B, H);
}

/* T = T + Q (Q affine, finite); line coefficients (lambda, -theta, theta xQ - lambda yQ) */
static inline void pr_add_step(pr_g2proj *T, const uint64_t *qx, const uint64_t *qy, uint64_t *coeff) {
    uint64_t th[8], la[8], C[8], D[8], E[8], F[8], G[8], H[8], t[8];
    fq2_mul(t, qy, T->z); fq2_sub(th, T->y, t);
    fq2_mul(t, qx, T->z); fq2_sub(la, T->x, t);
    fq2_sqr(C, th);
    fq2_sqr(D, la);
    fq2_mul(E, la, D);
    fq2_mul(F, T->z, C);
    fq2_mul(G, T->x, D);
    fq2_dbl(t, G); fq2_add(H, E, F); fq2_sub(H, H, t);
    /* line */
    memcpy(coeff, la, 64);
    fq2_neg(coeff + 8, th);
    fq2_mul(t, th, qx); fq2_mul(C, la, qy); fq2_sub(coeff + 16, t, C);
    /* point */
    fq2_mul(T->x, la, H);
    fq2_sub(t, G, H); fq2_mul(t, th, t); fq2_mul(C, T->y, E); fq2_sub(T->y, t, C);
    fq2_mul(T->z, T->z, E);
}

/* psi(x, y) = (conj(x) gx, conj(y) gy) on affine twist coordinates */
static inline void pr_twist_frob(uint64_t *ox, uint64_t *oy, const uint64_t *x, const uint64_t *y) {
    uint64_t t[8];
    fq2_conj(t, x); fq2_mul(ox, t, FROB_GAMMA[0][2]);
    fq2_conj(t, y); fq2_mul(oy, t, FROB_GAMMA[0][3]);
}

/* coeffs (PR_PREPARED_LIMBS limbs) for a finite affine G2 point q (x.c0, x.c1, y.c0, y.c1) */
static void zk_g2_prepare(uint64_t *coeffs, const uint64_t *q) {
    pr_g2proj T;
    uint64_t nqy[8], q1x[8], q1y[8], q2x[8], q2y[8];
    memcpy(T.x, q, 64); memcpy(T.y, q + 8, 64); fq2_set_one(T.z);
    fq2_neg(nqy, q + 8);
    int s = 0;
    for (int i = 1; i < ATE_NAF_LEN; i++) {
        pr_dbl_step(&T, coeffs + PR_COEFF_LIMBS * s++);
        if (ATE_NAF[i] == 1) pr_add_step(&T, q, q + 8, coeffs + PR_COEFF_LIMBS * s++);
        else if (ATE_NAF[i] == -1) pr_add_step(&T, q, nqy, coeffs + PR_COEFF_LIMBS * s++);
    }
    pr_twist_frob(q1x, q1y, q, q + 8);
    pr_twist_frob(q2x, q2y, q1x, q1y);
    fq2_neg(q2y, q2y);
    pr_add_step(&T, q1x, q1y, coeffs + PR_COEFF_LIMBS * s++);
    pr_add_step(&T, q2x, q2y, coeffs + PR_COEFF_LIMBS * s++);
}

/* f *= l(P) for l = c0 yP + c1 xP w + c2 w^3 = (a, 0, 0) + (b, c, 0) w: 13 Fq2 products */
static inline void pr_mul_line(uint64_t *f, const uint64_t *coeff, const uint64_t *p) {
    uint64_t a[8], b[8], ab[8], t0[24], t1[24], s[24];
    fq2_mul_fq(a, coeff, p + 4);
    fq2_mul_fq(b, coeff + 8, p);
    fq6_mul_fq2(t0, f, a);
    fq6_mul_01(t1, f + 24, b, coeff + 16);
    fq6_add(s, f, f + 24);
    fq2_add(ab, a, b);
    fq6_mul_01(s, s, ab, coeff + 16);
    fq6_sub(s, s, t0);
    fq6_sub(f + 24, s, t1);
    fq6_mul_v(t1, t1);
    fq6_add(f, t0, t1);
}

/* f = prod_i f_{6x+2,Q_i}(P_i) * (Frobenius lines), one shared accumulator.
 * p: m affine G1 points (8 limbs, finite); coeffs: m prepared G2 points with the given
 * stride in limbs.  f is overwritten. */
static void zk_miller_multi(uint64_t *f, const uint64_t *p, const uint64_t *coeffs, size_t stride, size_t m) {
    fq12_set_one(f);
    for (int s = 0; s < ATE_STEPS; s++) {
        if (PR_STEP_DBL[s] && s > 0) fq12_sqr(f, f);
        for (size_t i = 0; i < m; i++)
            pr_mul_line(f, coeffs + stride * i + PR_COEFF_LIMBS * s, p + 8 * i);
    }
}

/* ---- G2 subgroup membership ------------------------------------------------------------ */

/* psi on Jacobian coordinates: (conj(X) gx, conj(Y) gy, conj(Z)) */
static inline void pr_psi_jac(g2_jac *r, const g2_jac *p) {
    uint64_t t[8];
    fq2_conj(t, p->x); fq2_mul(r->x, t, FROB_GAMMA[0][2]);
    fq2_conj(t, p->y); fq2_mul(r->y, t, FROB_GAMMA[0][3]);
    fq2_conj(r->z, p->z);
}

/* [x] P with the NAF of x */
static inline void pr_g2_mul_x(g2_jac *r, const g2_jac *p) {
    g2_jac acc = *p, np;
    g2_jac_neg(&np, p);
    for (int i = 1; i < BN_X_NAF_LEN; i++) {
        g2_jac_dbl(&acc, &acc);
        if (BN_X_NAF[i] == 1) g2_jac_add(&acc, &acc, p);
        else if (BN_X_NAF[i] == -1) g2_jac_add(&acc, &acc, &np);
    }
    *r = acc;
}

/* affine q on the twist (not checked here) lies in the order-r subgroup */
static int zk_g2_in_subgroup_fast(const uint64_t *q) {
    if (g2_aff_is_inf(q)) return 1;
    g2_jac p, xp, lhs, t, rhs;
    g2_jac_from_aff(&p, q);
    pr_g2_mul_x(&xp, &p);
    g2_jac_add(&lhs, &xp, &p);                 /* [x+1] P */
    pr_psi_jac(&t, &xp); g2_jac_add(&lhs, &lhs, &t);
    pr_psi_jac(&t, &t); g2_jac_add(&lhs, &lhs, &t);
    g2_jac_dbl(&rhs, &xp);
    pr_psi_jac(&rhs, &rhs); pr_psi_jac(&rhs, &rhs); pr_psi_jac(&rhs, &rhs);
    return g2_jac_eq(&lhs, &rhs);
}

/* r = [k] a for an affine G1 point a and a plain 4-limb scalar k: width-4 NAF with the odd
 * multiples a, 3a, 5a, 7a (about bits/5 additions instead of bits/2). */
static void pr_g1_mul_wnaf(g1_jac *r, const uint64_t *a, const uint64_t *k) {
    int8_t naf[260];
    uint64_t t[5] = {k[0], k[1], k[2], k[3], 0};
    int len = 0;
    while (t[0] | t[1] | t[2] | t[3] | t[4]) {
        int d = 0;
        if (t[0] & 1) {
            d = (int)(t[0] & 15);
            if (d >= 8) d -= 16;
            /* t -= d */
            if (d > 0) {
                uint64_t br = 0, dd = (uint64_t)d;
                for (int i = 0; i < 5; i++) { t[i] = zk_sbb(t[i], i ? 0 : dd, &br); }
            } else {
                uint64_t c = 0, dd = (uint64_t)(-d);
                for (int i = 0; i < 5; i++) { t[i] = zk_adc(t[i], i ? 0 : dd, &c); }
            }
        }
        naf[len++] = (int8_t)d;
        for (int i = 0; i < 4; i++) t[i] = (t[i] >> 1) | (t[i + 1] << 63);
        t[4] >>= 1;
    }
    g1_jac tab[4], two, acc;
    g1_jac_from_aff(&tab[0], a);
    g1_jac_dbl(&two, &tab[0]);
    for (int i = 1; i < 4; i++) g1_jac_add(&tab[i], &tab[i - 1], &two);
    g1_jac_set_inf(&acc);
    for (int i = len - 1; i >= 0; i--) {
        g1_jac_dbl(&acc, &acc);
        int d = naf[i];
        if (d > 0) g1_jac_add(&acc, &acc, &tab[d >> 1]);
        else if (d < 0) { g1_jac n; g1_jac_neg(&n, &tab[(-d) >> 1]); g1_jac_add(&acc, &acc, &n); }
    }
    *r = acc;
}

/* ---- Groth16 batch equation ------------------------------------------------------------ */

/* Checks prod_i e(-w_i A_i, B_i) * prod_j e(P_j, Q_j) == 1 where the (P_j, Q_j), j < ne, are
 * extra pairs with prepared Q_j (coefficient rows of PR_PREPARED_LIMBS limbs).  a, b: k finite
 * affine points (Montgomery); w: k plain 4-limb scalars (nonzero).  Extra P_j equal to
 * infinity are skipped.  Returns 1 (holds), 0 (fails), -1 (out of memory). */
static int zk_batch_pairing_check(const uint64_t *a, const uint64_t *b, const uint64_t *w, size_t k,
                                  const uint64_t *extra_p, const uint64_t *extra_coeffs, size_t ne,
                                  int nthreads) {
    const size_t CH = 32;                       /* pairs per chunk: bounds scratch memory */
    size_t nchunks = (k + CH - 1) / CH;
    uint64_t *partial = (uint64_t *)malloc(sizeof(uint64_t) * 48 * (nchunks + 1));
    if (!partial) return -1;
    int failed = 0;
    if (nthreads < 1) nthreads = 1;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel num_threads(nthreads)
#endif
    {
        uint64_t *co = (uint64_t *)malloc(sizeof(uint64_t) * PR_PREPARED_LIMBS * CH);
        uint64_t *pa = (uint64_t *)malloc(sizeof(uint64_t) * 8 * CH);
        uint64_t *zs = (uint64_t *)malloc(sizeof(uint64_t) * 4 * 3 * CH);
        g1_jac *jp = (g1_jac *)malloc(sizeof(g1_jac) * CH);
        if (!co || !pa || !zs || !jp) {
#ifdef ZKGATE_OPENMP
            #pragma omp atomic write
#endif
            failed = 1;
        }
#ifdef ZKGATE_OPENMP
        #pragma omp for schedule(dynamic, 1)
#endif
        for (long c = 0; c < (long)nchunks; c++) {
            if (!co || !pa || !zs || !jp) continue;
            size_t lo = (size_t)c * CH, n = k - lo < CH ? k - lo : CH;
            /* -w_i A_i in Jacobian, then to affine with one shared inversion */
            for (size_t i = 0; i < n; i++) {
                pr_g1_mul_wnaf(&jp[i], a + 8 * (lo + i), w + 4 * (lo + i));
                g1_jac_neg(&jp[i], &jp[i]);
                memcpy(zs + 4 * i, jp[i].z, 32);
            }
            fq_batch_inv(zs + 4 * CH, zs, zs + 8 * CH, (long)n);
            for (size_t i = 0; i < n; i++) {
                uint64_t *zi = zs + 4 * CH + 4 * i, z2[4];
                if (zk_is_zero4(jp[i].z)) { memset(pa + 8 * i, 0, 64); continue; }
                fq_sqr(z2, zi);
                fq_mul(pa + 8 * i, jp[i].x, z2);
                fq_mul(z2, z2, zi);
                fq_mul(pa + 8 * i + 4, jp[i].y, z2);
            }
            /* pairs whose weighted A is infinity (impossible for valid input) contribute 1 */
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                if (g1_aff_is_inf(pa + 8 * i)) continue;
                if (m != i) memcpy(pa + 8 * m, pa + 8 * i, 64);
                zk_g2_prepare(co + PR_PREPARED_LIMBS * m, b + 16 * (lo + i));
                m++;
            }
            zk_miller_multi(partial + 48 * c, pa, co, PR_PREPARED_LIMBS, m);
        }
        free(co); free(pa); free(zs); free(jp);
    }
    if (failed) { free(partial); return -1; }
    /* the extra pairs (prepared) */
    uint64_t *ep = (uint64_t *)malloc(sizeof(uint64_t) * 8 * (ne + 1));
    uint64_t *ec = (uint64_t *)malloc(sizeof(uint64_t) * PR_PREPARED_LIMBS * (ne + 1));
    if (!ep || !ec) { free(ep); free(ec); free(partial); return -1; }
    size_t m = 0;
    for (size_t j = 0; j < ne; j++) {
        if (g1_aff_is_inf(extra_p + 8 * j)) continue;
        memcpy(ep + 8 * m, extra_p + 8 * j, 64);
        memcpy(ec + PR_PREPARED_LIMBS * m, extra_coeffs + PR_PREPARED_LIMBS * j, 8 * PR_PREPARED_LIMBS);
        m++;
    }
    uint64_t f[48], r[48];
    zk_miller_multi(f, ep, ec, PR_PREPARED_LIMBS, m);
    for (size_t c = 0; c < nchunks; c++) fq12_mul(f, f, partial + 48 * c);
    free(ep); free(ec); free(partial);
    zk_final_exp(r, f);
    return fq12_is_one(r);
}

#endif
