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

#define ZK_LIKELY(x) __builtin_expect(!!(x), 1)
#define ZK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ZK_INLINE static inline __attribute__((always_inline))

/* Run-time dispatch: the ADX/BMI2 multiplier is used when the CPU has both extensions.
 * Each translation unit that includes this header gets its own flag, set by a constructor
 * before any Python code can call into the module.  ZKGATE_NO_ADX=1 disables it. */
#if defined(__x86_64__) && !defined(ZKGATE_PORTABLE_ONLY)
#define ZK_HAVE_ADX_ASM 1
#include <stdlib.h>
static int zk_cpu_has_adx = 0;
__attribute__((constructor)) static void zk_detect_cpu(void) {
    __builtin_cpu_init();
    const char *off = getenv("ZKGATE_NO_ADX");
    zk_cpu_has_adx = __builtin_cpu_supports("adx") && __builtin_cpu_supports("bmi2")
                     && !(off && off[0] && off[0] != '0');
}
#else
static const int zk_cpu_has_adx = 0;
#endif

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

#ifdef ZK_HAVE_ADX_ASM
/* Montgomery product with MULX/ADCX/ADOX (two independent carry chains).  Registers t0..t4
 * rotate through the four rounds; the result lands in (t4, t0, t1, t2) before the final
 * conditional subtraction of p. */
#define ZK_MULSTEP(OFF, A, B, C, D, E)                                                        \
    "movq " OFF "(%[b]), %%rdx\n\t"                                                           \
    "xorq %[z], %[z]\n\t"                                                                     \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t"  "adoxq %[lo], %[" A "]\n\t" "adcxq %[hi], %[" B "]\n\t" \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t"  "adoxq %[lo], %[" B "]\n\t" "adcxq %[hi], %[" C "]\n\t" \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], %[" C "]\n\t" "adcxq %[hi], %[" D "]\n\t" \
    "mulxq 24(%[a]), %[lo], %[" E "]\n\t" "adoxq %[lo], %[" D "]\n\t"                          \
    "adcxq %[z], %[" E "]\n\t" "adoxq %[z], %[" E "]\n\t"
#define ZK_REDSTEP(A, B, C, D, E)                                                             \
    "movq %[" A "], %%rdx\n\t"                                                                \
    "imulq %[inv], %%rdx\n\t"                                                                 \
    "xorq %[z], %[z]\n\t"                                                                     \
    "mulxq %[p0], %[lo], %[hi]\n\t" "adoxq %[lo], %[" A "]\n\t" "adcxq %[hi], %[" B "]\n\t"    \
    "mulxq %[p1], %[lo], %[hi]\n\t" "adoxq %[lo], %[" B "]\n\t" "adcxq %[hi], %[" C "]\n\t"    \
    "mulxq %[p2], %[lo], %[hi]\n\t" "adoxq %[lo], %[" C "]\n\t" "adcxq %[hi], %[" D "]\n\t"    \
    "mulxq %[p3], %[lo], %[hi]\n\t" "adoxq %[lo], %[" D "]\n\t" "adcxq %[hi], %[" E "]\n\t"    \
    "adoxq %[z], %[" E "]\n\t"
/* The asm names exactly the memory it reads (a[0..3], b[0..3], the modulus), so no
 * "memory" clobber forces the caller to spill and reload its live values around every
 * product; the function is always inlined into the kernels. */
#define ZK_MUL_ADX_DEFINE(pre, P, INV)                                                        \
static inline __attribute__((always_inline)) void                                            \
pre##_mul_adx(uint64_t *out, const uint64_t *a, const uint64_t *b) {                         \
    uint64_t t0, t1, t2, t3, t4, lo, hi, z;                                                  \
    static const uint64_t inv_ = INV;                                                        \
    __asm__(                                                                                  \
        "movq 0(%[b]), %%rdx\n\t"                                                             \
        "xorq %[z], %[z]\n\t"                                                                 \
        "mulxq 0(%[a]), %[t0], %[t1]\n\t"                                                     \
        "mulxq 8(%[a]), %[lo], %[t2]\n\t"  "adcxq %[lo], %[t1]\n\t"                           \
        "mulxq 16(%[a]), %[lo], %[t3]\n\t" "adcxq %[lo], %[t2]\n\t"                           \
        "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adcxq %[lo], %[t3]\n\t"                           \
        "adcxq %[z], %[t4]\n\t"                                                               \
        ZK_REDSTEP("t0", "t1", "t2", "t3", "t4")                                             \
        ZK_MULSTEP("8", "t1", "t2", "t3", "t4", "t0")                                        \
        ZK_REDSTEP("t1", "t2", "t3", "t4", "t0")                                             \
        ZK_MULSTEP("16", "t2", "t3", "t4", "t0", "t1")                                       \
        ZK_REDSTEP("t2", "t3", "t4", "t0", "t1")                                             \
        ZK_MULSTEP("24", "t3", "t4", "t0", "t1", "t2")                                       \
        ZK_REDSTEP("t3", "t4", "t0", "t1", "t2")                                             \
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),     \
          [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z)                                       \
        : [a] "r"(a), [b] "r"(b), [p0] "m"(P[0]), [p1] "m"(P[1]), [p2] "m"(P[2]),            \
          [p3] "m"(P[3]), [inv] "m"(inv_),                                                   \
          "m"(*(const uint64_t (*)[4])a), "m"(*(const uint64_t (*)[4])b)                     \
        : "rdx", "cc");                                                                      \
    /* result (t4, t0, t1, t2) < 2p: subtract p once unless that borrows.  A branch, not a  \
     * mask: it is mostly predicted and keeps the select off the dependency chain (13 ns  \
     * against 17 ns per product in a dependent chain, e.g. an inversion) */              \
    uint64_t br = 0, r0, r1, r2, r3;                                                         \
    r0 = zk_sbb(t4, P[0], &br); r1 = zk_sbb(t0, P[1], &br);                                  \
    r2 = zk_sbb(t1, P[2], &br); r3 = zk_sbb(t2, P[3], &br);                                  \
    if (br) { out[0] = t4; out[1] = t0; out[2] = t1; out[3] = t2; }                          \
    else { out[0] = r0; out[1] = r1; out[2] = r2; out[3] = r3; }                             \
}
#else
#define ZK_MUL_ADX_DEFINE(pre, P, INV)                                                        \
static inline void pre##_mul_adx(uint64_t *out, const uint64_t *a, const uint64_t *b) {      \
    pre##_mul_portable(out, a, b);                                                           \
}
#endif

#define FIELD_DEFINE(pre, P, INV, ONE, R2, PM2)                                              \
ZK_INLINE void pre##_add(uint64_t *out, const uint64_t *a, const uint64_t *b) { \
    /* branch-free: a + b < 2p < 2^255, subtract p and keep the difference unless it borrowed */\
    uint64_t c = 0, t[4];                                                                    \
    t[0] = zk_adc(a[0], b[0], &c); t[1] = zk_adc(a[1], b[1], &c);                            \
    t[2] = zk_adc(a[2], b[2], &c); t[3] = zk_adc(a[3], b[3], &c);                            \
    uint64_t br = 0, s[4];                                                                   \
    s[0] = zk_sbb(t[0], P[0], &br); s[1] = zk_sbb(t[1], P[1], &br);                          \
    s[2] = zk_sbb(t[2], P[2], &br); s[3] = zk_sbb(t[3], P[3], &br);                          \
    uint64_t keep = (uint64_t)0 - br;                                                        \
    out[0] = (t[0] & keep) | (s[0] & ~keep); out[1] = (t[1] & keep) | (s[1] & ~keep);        \
    out[2] = (t[2] & keep) | (s[2] & ~keep); out[3] = (t[3] & keep) | (s[3] & ~keep);        \
}                                                                                            \
ZK_INLINE void pre##_sub(uint64_t *out, const uint64_t *a, const uint64_t *b) { \
    uint64_t br = 0, t[4];                                                                   \
    t[0] = zk_sbb(a[0], b[0], &br); t[1] = zk_sbb(a[1], b[1], &br);                          \
    t[2] = zk_sbb(a[2], b[2], &br); t[3] = zk_sbb(a[3], b[3], &br);                          \
    uint64_t m = (uint64_t)0 - br, c = 0;                                                    \
    out[0] = zk_adc(t[0], P[0] & m, &c); out[1] = zk_adc(t[1], P[1] & m, &c);                \
    out[2] = zk_adc(t[2], P[2] & m, &c); out[3] = zk_adc(t[3], P[3] & m, &c);                \
}                                                                                            \
ZK_INLINE void pre##_neg(uint64_t *out, const uint64_t *a) { \
    if (zk_is_zero4(a)) { memset(out, 0, 32); return; }                                      \
    uint64_t br = 0;                                                                         \
    uint64_t t0 = zk_sbb(P[0], a[0], &br), t1 = zk_sbb(P[1], a[1], &br);                     \
    uint64_t t2 = zk_sbb(P[2], a[2], &br), t3 = zk_sbb(P[3], a[3], &br);                     \
    out[0] = t0; out[1] = t1; out[2] = t2; out[3] = t3;                                      \
}                                                                                            \
/* CIOS Montgomery product: out = a*b/R mod p (portable C) */                                 \
static inline void pre##_mul_portable(uint64_t *out, const uint64_t *a, const uint64_t *b) { \
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
ZK_MUL_ADX_DEFINE(pre, P, INV)                                                               \
static __attribute__((noinline)) void pre##_mul_portable_call(uint64_t *out, const uint64_t *a, \
                                                                const uint64_t *b) {         \
    pre##_mul_portable(out, a, b);                                                           \
}                                                                                            \
/* ADX product inlined; the portable one (old CPUs, ZKGATE_NO_ADX) is a call */              \
static inline __attribute__((always_inline)) void                                            \
pre##_mul(uint64_t *out, const uint64_t *a, const uint64_t *b) {                             \
    if (ZK_LIKELY(zk_cpu_has_adx)) pre##_mul_adx(out, a, b); else pre##_mul_portable_call(out, a, b);\
}                                                                                            \
ZK_INLINE void pre##_sqr(uint64_t *out, const uint64_t *a) { pre##_mul(out, a, a); }         \
ZK_INLINE void pre##_dbl(uint64_t *out, const uint64_t *a) { pre##_add(out, a, a); }         \
static inline int pre##_is_zero(const uint64_t *a) { return zk_is_zero4(a); }                \
static inline int pre##_eq(const uint64_t *a, const uint64_t *b) { return zk_eq4(a, b); }    \
static inline void pre##_copy(uint64_t *out, const uint64_t *a) { memcpy(out, a, 32); }      \
static inline void pre##_set_one(uint64_t *out) { memcpy(out, ONE, 32); }                    \
static inline void pre##_set_zero(uint64_t *out) { memset(out, 0, 32); }                     \
static inline void pre##_to_mont(uint64_t *out, const uint64_t *a) { pre##_mul(out, a, R2); }\
static inline void pre##_from_mont(uint64_t *out, const uint64_t *a) {                       \
    static const uint64_t one_plain[4] = {1, 0, 0, 0};                                       \
    pre##_mul(out, a, one_plain);                                                            \
}                                                                                            \
/* out = a^e for a plain (non-Montgomery) little-endian exponent of 4 limbs */               \
static inline void pre##_pow(uint64_t *out, const uint64_t *a, const uint64_t *e) {          \
    uint64_t acc[4], base[4];                                                                \
    memcpy(acc, ONE, 32); memcpy(base, a, 32);                                               \
    int top = 255;                                                                           \
    while (top >= 0 && !((e[top >> 6] >> (top & 63)) & 1)) top--;                           \
    for (int i = top; i >= 0; i--) {                                                         \
        pre##_sqr(acc, acc);                                                                 \
        if ((e[i >> 6] >> (i & 63)) & 1) pre##_mul(acc, acc, base);                          \
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

/* Square root in Fq (q = 3 mod 4): out = a^((q+1)/4); returns 1 when a is a square, else 0
 * (out is then meaningless). */
static inline int fq_sqrt(uint64_t *out, const uint64_t *a) {
    uint64_t s[4], chk[4];
    fq_pow(s, a, FQ_SQRT_EXP);
    fq_sqr(chk, s);
    if (!zk_eq4(chk, a)) return 0;
    memcpy(out, s, 32);
    return 1;
}

/* ---- Fq2 = Fq[u]/(u^2 + 1); an element is 8 limbs: c0 (4 limbs) then c1 (4 limbs), the
 * layout snarkjs uses for G2 coordinates. ---- */
static inline void fq2_add(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    fq_add(o, a, b); fq_add(o + 4, a + 4, b + 4);
}
static inline void fq2_sub(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    fq_sub(o, a, b); fq_sub(o + 4, a + 4, b + 4);
}
static inline void fq2_dbl(uint64_t *o, const uint64_t *a) { fq_add(o, a, a); fq_add(o + 4, a + 4, a + 4); }
static inline void fq2_neg(uint64_t *o, const uint64_t *a) { fq_neg(o, a); fq_neg(o + 4, a + 4); }
static inline void fq2_copy(uint64_t *o, const uint64_t *a) { memcpy(o, a, 64); }
static inline int fq2_is_zero(const uint64_t *a) { return zk_is_zero4(a) && zk_is_zero4(a + 4); }
static inline int fq2_eq(const uint64_t *a, const uint64_t *b) { return zk_eq4(a, b) && zk_eq4(a + 4, b + 4); }
static inline void fq2_set_one(uint64_t *o) { memcpy(o, FQ_ONE, 32); memset(o + 4, 0, 32); }
static inline void fq2_set_zero(uint64_t *o) { memset(o, 0, 64); }
/* Karatsuba: (a0 + a1 u)(b0 + b1 u) = a0b0 - a1b1 + ((a0+a1)(b0+b1) - a0b0 - a1b1) u */
static inline void fq2_mul(uint64_t *o, const uint64_t *a, const uint64_t *b) {
    uint64_t v0[4], v1[4], s[4], t[4];
    fq_mul(v0, a, b);
    fq_mul(v1, a + 4, b + 4);
    fq_add(s, a, a + 4);
    fq_add(t, b, b + 4);
    fq_mul(s, s, t);
    fq_sub(s, s, v0);
    fq_sub(o + 4, s, v1);
    fq_sub(o, v0, v1);
}
/* (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u */
static inline void fq2_sqr(uint64_t *o, const uint64_t *a) {
    uint64_t s[4], d[4], m[4];
    fq_add(s, a, a + 4);
    fq_sub(d, a, a + 4);
    fq_mul(m, a, a + 4);
    fq_mul(o, s, d);
    fq_add(o + 4, m, m);
}
static inline void fq2_mul_fq(uint64_t *o, const uint64_t *a, const uint64_t *k) {
    fq_mul(o, a, k); fq_mul(o + 4, a + 4, k);
}
/* 1/(a0 + a1 u) = (a0 - a1 u)/(a0^2 + a1^2); the inverse of zero is zero */
static inline void fq2_inv(uint64_t *o, const uint64_t *a) {
    uint64_t n[4], t[4];
    fq_sqr(n, a);
    fq_sqr(t, a + 4);
    fq_add(n, n, t);
    fq_inv(n, n);
    fq_mul(o, a, n);
    fq_mul(t, a + 4, n);
    fq_neg(o + 4, t);
}

#endif
