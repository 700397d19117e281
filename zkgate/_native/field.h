/* Montgomery arithmetic on 4x64-bit limbs for the BN254 fields Fr and Fq.
 *
 * Elements are little-endian limb arrays in Montgomery form (a*R mod p, R = 2^256), fully
 * reduced to [0, p).  Both moduli are below 2^254, so the CIOS product never needs a fifth
 * carry word ("spare bits" trick).  Not constant-time: do not use where timing of secret
 * data matters on a shared machine.
 *
 * The FIELD_DEFINE macro stamps out one set of static inline functions per modulus
 * (fr_mul, fq_mul, ...), so the constants fold into the code.
 */
#ifndef ZKGATE_FIELD_H
#define ZKGATE_FIELD_H

#include <stdint.h>
#include <string.h>
#include "field_constants.h"

typedef unsigned __int128 zk_u128;

static inline uint64_t zk_adc(uint64_t a, uint64_t b, uint64_t *carry) {
    zk_u128 t = (zk_u128)a + b + *carry;
    *carry = (uint64_t)(t >> 64);
    return (uint64_t)t;
}

static inline uint64_t zk_sbb(uint64_t a, uint64_t b, uint64_t *borrow) {
    zk_u128 t = (zk_u128)a - b - *borrow;
    *borrow = (uint64_t)(t >> 127) & 1;
    return (uint64_t)t;
}

/* out = a*b + c + carry_in, carry_out = high word */
static inline uint64_t zk_mac(uint64_t a, uint64_t b, uint64_t c, uint64_t *carry) {
    zk_u128 t = (zk_u128)a * b + c + *carry;
    *carry = (uint64_t)(t >> 64);
    return (uint64_t)t;
}

static inline int zk_geq4(const uint64_t *a, const uint64_t *p) {
    for (int i = 3; i >= 0; i--) {
        if (a[i] > p[i]) return 1;
        if (a[i] < p[i]) return 0;
    }
    return 1;
}

static inline int zk_is_zero4(const uint64_t *a) {
    return (a[0] | a[1] | a[2] | a[3]) == 0;
}

static inline int zk_eq4(const uint64_t *a, const uint64_t *b) {
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

#define FIELD_DEFINE(pre, P, INV, ONE, R2, PM2)                                              \
static inline void pre##_add(uint64_t *out, const uint64_t *a, const uint64_t *b) {          \
    uint64_t c = 0, t[4];                                                                    \
    t[0] = zk_adc(a[0], b[0], &c); t[1] = zk_adc(a[1], b[1], &c);                            \
    t[2] = zk_adc(a[2], b[2], &c); t[3] = zk_adc(a[3], b[3], &c);                            \
    uint64_t br = 0, s[4];                                                                   \
    s[0] = zk_sbb(t[0], P[0], &br); s[1] = zk_sbb(t[1], P[1], &br);                          \
    s[2] = zk_sbb(t[2], P[2], &br); s[3] = zk_sbb(t[3], P[3], &br);                          \
    if (br) { memcpy(out, t, 32); } else { memcpy(out, s, 32); }                             \
}                                                                                            \
static inline void pre##_sub(uint64_t *out, const uint64_t *a, const uint64_t *b) {          \
    uint64_t br = 0, t[4];                                                                   \
    t[0] = zk_sbb(a[0], b[0], &br); t[1] = zk_sbb(a[1], b[1], &br);                          \
    t[2] = zk_sbb(a[2], b[2], &br); t[3] = zk_sbb(a[3], b[3], &br);                          \
    if (br) {                                                                                \
        uint64_t c = 0;                                                                      \
        t[0] = zk_adc(t[0], P[0], &c); t[1] = zk_adc(t[1], P[1], &c);                        \
        t[2] = zk_adc(t[2], P[2], &c); t[3] = zk_adc(t[3], P[3], &c);                        \
    }                                                                                        \
    memcpy(out, t, 32);                                                                      \
}                                                                                            \
static inline void pre##_neg(uint64_t *out, const uint64_t *a) {                             \
    if (zk_is_zero4(a)) { memset(out, 0, 32); return; }                                      \
    uint64_t br = 0;                                                                         \
    uint64_t t0 = zk_sbb(P[0], a[0], &br), t1 = zk_sbb(P[1], a[1], &br);                     \
    uint64_t t2 = zk_sbb(P[2], a[2], &br), t3 = zk_sbb(P[3], a[3], &br);                     \
    out[0] = t0; out[1] = t1; out[2] = t2; out[3] = t3;                                      \
}                                                                                            \
/* CIOS Montgomery product: out = a*b/R mod p */                                              \
static inline void pre##_mul(uint64_t *out, const uint64_t *a, const uint64_t *b) {          \
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4;                                             \
    for (int i = 0; i < 4; i++) {                                                            \
        uint64_t c = 0, bi = b[i];                                                           \
        t0 = zk_mac(a[0], bi, t0, &c); t1 = zk_mac(a[1], bi, t1, &c);                        \
        t2 = zk_mac(a[2], bi, t2, &c); t3 = zk_mac(a[3], bi, t3, &c);                        \
        t4 = c;                                                                              \
        uint64_t m = t0 * INV; c = 0;                                                        \
        (void)zk_mac(m, P[0], t0, &c);                                                       \
        t0 = zk_mac(m, P[1], t1, &c); t1 = zk_mac(m, P[2], t2, &c);                          \
        t2 = zk_mac(m, P[3], t3, &c); t3 = t4 + c;                                           \
    }                                                                                        \
    uint64_t t[4] = {t0, t1, t2, t3};                                                        \
    if (zk_geq4(t, P)) {                                                                     \
        uint64_t br = 0;                                                                     \
        t[0] = zk_sbb(t[0], P[0], &br); t[1] = zk_sbb(t[1], P[1], &br);                      \
        t[2] = zk_sbb(t[2], P[2], &br); t[3] = zk_sbb(t[3], P[3], &br);                      \
    }                                                                                        \
    memcpy(out, t, 32);                                                                      \
}                                                                                            \
static inline void pre##_sqr(uint64_t *out, const uint64_t *a) { pre##_mul(out, a, a); }     \
static inline void pre##_to_mont(uint64_t *out, const uint64_t *a) { pre##_mul(out, a, R2); }\
static inline void pre##_from_mont(uint64_t *out, const uint64_t *a) {                       \
    static const uint64_t one_plain[4] = {1, 0, 0, 0};                                       \
    pre##_mul(out, a, one_plain);                                                            \
}                                                                                            \
/* out = a^e for a plain (non-Montgomery) little-endian exponent of 4 limbs */               \
static inline void pre##_pow(uint64_t *out, const uint64_t *a, const uint64_t *e) {          \
    uint64_t acc[4], base[4];                                                                \
    memcpy(acc, ONE, 32); memcpy(base, a, 32);                                               \
    for (int i = 0; i < 4; i++) {                                                            \
        uint64_t w = e[i];                                                                   \
        for (int j = 0; j < 64; j++) {                                                       \
            if (w & 1) pre##_mul(acc, acc, base);                                            \
            pre##_sqr(base, base);                                                           \
            w >>= 1;                                                                         \
        }                                                                                    \
    }                                                                                        \
    memcpy(out, acc, 32);                                                                    \
}                                                                                            \
/* Fermat inverse; the inverse of zero is defined as zero */                                 \
static inline void pre##_inv(uint64_t *out, const uint64_t *a) { pre##_pow(out, a, PM2); }   \
/* Montgomery's trick: out[i] = 1/a[i] (zeros map to zero); scratch holds n elements */      \
static inline void pre##_batch_inv(uint64_t *out, const uint64_t *a, uint64_t *scratch,      \
                                   long n) {                                                 \
    uint64_t acc[4], inv[4], t[4];                                                           \
    memcpy(acc, ONE, 32);                                                                    \
    for (long i = 0; i < n; i++) {                                                           \
        memcpy(scratch + 4 * i, acc, 32);                                                    \
        if (!zk_is_zero4(a + 4 * i)) pre##_mul(acc, acc, a + 4 * i);                         \
    }                                                                                        \
    pre##_inv(inv, acc);                                                                     \
    for (long i = n - 1; i >= 0; i--) {                                                      \
        if (zk_is_zero4(a + 4 * i)) { memset(out + 4 * i, 0, 32); continue; }               \
        pre##_mul(t, inv, scratch + 4 * i);                                                  \
        pre##_mul(inv, inv, a + 4 * i);                                                      \
        memcpy(out + 4 * i, t, 32);                                                          \
    }                                                                                        \
}

FIELD_DEFINE(fr, FR_P, FR_INV, FR_ONE, FR_R2, FR_PM2)
FIELD_DEFINE(fq, FQ_P, FQ_INV, FQ_ONE, FQ_R2, FQ_PM2)

#endif
