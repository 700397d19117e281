/* Curve template: included by curve.h once per group with
 *   CUR  (name prefix: g1 / g2), FLD (field prefix: fq / fq2), NL (limbs per coordinate),
 *   CUR_B (the curve coefficient b, Montgomery form).
 * Points: affine = x[NL], y[NL] (all-zero = infinity, as snarkjs stores it);
 *         Jacobian = x, y, z with (X/Z^2, Y/Z^3); z = 0 is infinity.
 * Formulas for a = 0 from the Explicit-Formulas Database (dbl-2009-l, add-2007-bl,
 * madd-2007-bl), with the exceptional cases (P = Q, P = -Q, infinity) handled. */

#define ZK_CAT_(a, b) a##_##b
#define ZK_CAT(a, b) ZK_CAT_(a, b)
#define FN(name) ZK_CAT(CUR, name)
#define F(name) ZK_CAT(FLD, name)
#define NB (8 * NL) /* bytes per coordinate */

typedef struct { uint64_t x[NL], y[NL], z[NL]; } FN(jac);
typedef struct { uint64_t x[NL], y[NL]; } FN(aff);

static inline void FN(jac_set_inf)(FN(jac) *p) { memset(p, 0, sizeof(*p)); F(set_one)(p->x); F(set_one)(p->y); }
static inline int FN(jac_is_inf)(const FN(jac) *p) { return F(is_zero)(p->z); }
static inline int FN(aff_is_inf)(const uint64_t *a) { return F(is_zero)(a) && F(is_zero)(a + NL); }

static inline void FN(jac_from_aff)(FN(jac) *r, const uint64_t *a) {
    if (FN(aff_is_inf)(a)) { FN(jac_set_inf)(r); return; }
    memcpy(r->x, a, NB); memcpy(r->y, a + NL, NB); F(set_one)(r->z);
}

/* y^2 == x^3 + b (infinity counts as on the curve) */
static inline int FN(aff_on_curve)(const uint64_t *a) {
    if (FN(aff_is_inf)(a)) return 1;
    uint64_t l[NL], r[NL];
    F(sqr)(l, a + NL);
    F(sqr)(r, a);
    F(mul)(r, r, a);
    F(add)(r, r, CUR_B);
    return F(eq)(l, r);
}

static inline void FN(jac_dbl)(FN(jac) *r, const FN(jac) *p) {
    if (FN(jac_is_inf)(p)) { *r = *p; return; }
    uint64_t A[NL], B[NL], C[NL], D[NL], E[NL], Fv[NL], t[NL];
    F(sqr)(A, p->x);
    F(sqr)(B, p->y);
    F(sqr)(C, B);
    F(add)(t, p->x, B); F(sqr)(t, t); F(sub)(t, t, A); F(sub)(t, t, C); F(dbl)(D, t);
    F(dbl)(E, A); F(add)(E, E, A);
    F(sqr)(Fv, E);
    F(mul)(r->z, p->y, p->z); F(dbl)(r->z, r->z);          /* uses p before r->x/y are written */
    F(dbl)(t, D); F(sub)(r->x, Fv, t);
    F(sub)(t, D, r->x); F(mul)(t, E, t);
    F(dbl)(C, C); F(dbl)(C, C); F(dbl)(C, C);
    F(sub)(r->y, t, C);
}

/* r = p + q (Jacobian); r may alias p or q */
static inline void FN(jac_add)(FN(jac) *r, const FN(jac) *p, const FN(jac) *q) {
    if (FN(jac_is_inf)(p)) { *r = *q; return; }
    if (FN(jac_is_inf)(q)) { *r = *p; return; }
    uint64_t Z1Z1[NL], Z2Z2[NL], U1[NL], U2[NL], S1[NL], S2[NL], H[NL], Iv[NL], J[NL], rr[NL], V[NL], t[NL];
    F(sqr)(Z1Z1, p->z);
    F(sqr)(Z2Z2, q->z);
    F(mul)(U1, p->x, Z2Z2);
    F(mul)(U2, q->x, Z1Z1);
    F(mul)(S1, p->y, q->z); F(mul)(S1, S1, Z2Z2);
    F(mul)(S2, q->y, p->z); F(mul)(S2, S2, Z1Z1);
    F(sub)(H, U2, U1);
    F(sub)(rr, S2, S1);
    if (F(is_zero)(H)) {
        if (F(is_zero)(rr)) { FN(jac_dbl)(r, p); return; }
        FN(jac_set_inf)(r); return;
    }
    F(dbl)(rr, rr);
    F(dbl)(Iv, H); F(sqr)(Iv, Iv);
    F(mul)(J, H, Iv);
    F(mul)(V, U1, Iv);
    F(add)(t, p->z, q->z); F(sqr)(t, t); F(sub)(t, t, Z1Z1); F(sub)(t, t, Z2Z2);
    F(mul)(r->z, t, H);
    F(sqr)(t, rr); F(sub)(t, t, J); F(sub)(t, t, V); F(sub)(r->x, t, V);
    F(sub)(t, V, r->x); F(mul)(t, rr, t);
    F(mul)(S1, S1, J); F(dbl)(S1, S1);
    F(sub)(r->y, t, S1);
}

/* r = p + (x2, y2) with an affine, finite second point (y2 already negated if wanted) */
static inline void FN(jac_madd_xy)(FN(jac) *r, const FN(jac) *p, const uint64_t *x2, const uint64_t *y2) {
    if (FN(jac_is_inf)(p)) { memcpy(r->x, x2, NB); memcpy(r->y, y2, NB); F(set_one)(r->z); return; }
    uint64_t Z1Z1[NL], U2[NL], S2[NL], H[NL], HH[NL], Iv[NL], J[NL], rr[NL], V[NL], t[NL];
    F(sqr)(Z1Z1, p->z);
    F(mul)(U2, x2, Z1Z1);
    F(mul)(S2, y2, p->z); F(mul)(S2, S2, Z1Z1);
    F(sub)(H, U2, p->x);
    F(sub)(rr, S2, p->y);
    if (F(is_zero)(H)) {
        if (F(is_zero)(rr)) { FN(jac_dbl)(r, p); return; }
        FN(jac_set_inf)(r); return;
    }
    F(dbl)(rr, rr);
    F(sqr)(HH, H);
    F(dbl)(Iv, HH); F(dbl)(Iv, Iv);
    F(mul)(J, H, Iv);
    F(mul)(V, p->x, Iv);
    F(add)(t, p->z, H); F(sqr)(t, t); F(sub)(t, t, Z1Z1); F(sub)(r->z, t, HH);
    F(mul)(S2, p->y, J); F(dbl)(S2, S2);                    /* 2*Y1*J, before r->y is written */
    F(sqr)(t, rr); F(sub)(t, t, J); F(sub)(t, t, V); F(sub)(r->x, t, V);
    F(sub)(t, V, r->x); F(mul)(t, rr, t);
    F(sub)(r->y, t, S2);
}

/* r = p + a for an affine point a (infinity allowed), optionally negated */
static inline void FN(jac_madd)(FN(jac) *r, const FN(jac) *p, const uint64_t *a, int negate) {
    if (FN(aff_is_inf)(a)) { *r = *p; return; }
    if (negate) {
        uint64_t ny[NL];
        F(neg)(ny, a + NL);
        FN(jac_madd_xy)(r, p, a, ny);
    } else {
        FN(jac_madd_xy)(r, p, a, a + NL);
    }
}

static inline void FN(jac_neg)(FN(jac) *r, const FN(jac) *p) { *r = *p; F(neg)(r->y, p->y); }

/* affine output (all zeros for infinity) */
static inline void FN(jac_to_aff)(uint64_t *a, const FN(jac) *p) {
    if (FN(jac_is_inf)(p)) { memset(a, 0, 2 * NB); return; }
    uint64_t zi[NL], zi2[NL], zi3[NL];
    F(inv)(zi, p->z);
    F(sqr)(zi2, zi);
    F(mul)(zi3, zi2, zi);
    F(mul)(a, p->x, zi2);
    F(mul)(a + NL, p->y, zi3);
}

static inline int FN(jac_eq)(const FN(jac) *p, const FN(jac) *q) {
    int pi = FN(jac_is_inf)(p), qi = FN(jac_is_inf)(q);
    if (pi || qi) return pi && qi;
    uint64_t z1[NL], z2[NL], a[NL], b[NL];
    F(sqr)(z1, p->z); F(sqr)(z2, q->z);
    F(mul)(a, p->x, z2); F(mul)(b, q->x, z1);
    if (!F(eq)(a, b)) return 0;
    F(mul)(z1, z1, p->z); F(mul)(z2, z2, q->z);
    F(mul)(a, p->y, z2); F(mul)(b, q->y, z1);
    return F(eq)(a, b);
}

/* r = [k] p for a plain little-endian scalar of nlimbs 64-bit words (double-and-add) */
static inline void FN(jac_mul_scalar)(FN(jac) *r, const FN(jac) *p, const uint64_t *k, int nlimbs) {
    FN(jac) acc, base = *p;
    FN(jac_set_inf)(&acc);
    int top = 64 * nlimbs - 1;
    while (top >= 0 && !((k[top / 64] >> (top % 64)) & 1)) top--;
    for (int i = top; i >= 0; i--) {
        FN(jac_dbl)(&acc, &acc);
        if ((k[i / 64] >> (i % 64)) & 1) FN(jac_add)(&acc, &acc, &base);
    }
    *r = acc;
}

/* ------------------------------------------------------------------------------------ */
/* Multi-scalar multiplication (Pippenger, signed digits).                                */

/* Jacobian buckets: the simple variant, used for small n. */
static void FN(msm_window_jac)(FN(jac) *sum, const uint64_t *bases, const int16_t *dig, size_t n,
                              int nb, FN(jac) *bk) {
    for (int b = 0; b < nb; b++) FN(jac_set_inf)(&bk[b]);
    for (size_t i = 0; i < n; i++) {
        int d = dig[i];
        if (d == 0) continue;
        const uint64_t *a = bases + 2 * NL * i;
        if (d > 0) FN(jac_madd)(&bk[d - 1], &bk[d - 1], a, 0);
        else FN(jac_madd)(&bk[-d - 1], &bk[-d - 1], a, 1);
    }
    FN(jac) run, tot;
    FN(jac_set_inf)(&run); FN(jac_set_inf)(&tot);
    for (int b = nb - 1; b >= 0; b--) {
        FN(jac_add)(&run, &run, &bk[b]);
        FN(jac_add)(&tot, &tot, &run);
    }
    *sum = tot;
}

/* Scratch for the batch-affine variant (one per thread). */
typedef struct {
    uint64_t *baff;   /* nb affine buckets */
    uint8_t *occ;     /* bucket holds a point */
    uint32_t *mark;   /* epoch of the batch the bucket is in */
    FN(jac) *bjac;    /* overflow buckets, for points the deferred queue cannot take */
    uint8_t *jocc;
    uint32_t *sb;     /* batch slots: bucket | neg << 31 | dbl << 30 */
    uint32_t *sp;     /* batch slots: point index */
    uint32_t *q[2];   /* deferred points (bucket already in the batch): index, tag pairs */
    uint64_t *den, *pre;
    void *vbuf;       /* IFMA flush: 2 * (cap/8 + 1) eight-lane elements (G1 only) */
    int nb, cap, qcap;
} FN(msm_scratch);

static int FN(msm_scratch_alloc)(FN(msm_scratch) *s, int nb, int cap) {
    memset(s, 0, sizeof(*s));
    s->nb = nb; s->cap = cap; s->qcap = cap;
    s->baff = (uint64_t *)malloc((size_t)nb * 2 * NB);
    s->occ = (uint8_t *)malloc((size_t)nb);
    s->mark = (uint32_t *)malloc((size_t)nb * 4);
    s->bjac = (FN(jac) *)malloc((size_t)nb * sizeof(FN(jac)));
    s->jocc = (uint8_t *)malloc((size_t)nb);
    s->sb = (uint32_t *)malloc((size_t)cap * 4);
    s->sp = (uint32_t *)malloc((size_t)cap * 4);
    s->q[0] = (uint32_t *)malloc((size_t)s->qcap * 8);
    s->q[1] = (uint32_t *)malloc((size_t)s->qcap * 8);
    s->den = (uint64_t *)malloc((size_t)cap * NB);
    s->pre = (uint64_t *)malloc((size_t)cap * NB);
#if defined(ZK_HAVE_IFMA)
    if (zk_cpu_has_ifma) {
        s->vbuf = aligned_alloc(64, (size_t)2 * (cap / 8 + 1) * sizeof(zkv) * (NL / 4));
        if (!s->vbuf) return 0;
    }
#endif
    return s->baff && s->occ && s->mark && s->bjac && s->jocc && s->sb && s->sp && s->q[0] && s->q[1]
           && s->den && s->pre;
}

static void FN(msm_scratch_free)(FN(msm_scratch) *s) {
    free(s->baff); free(s->occ); free(s->mark); free(s->bjac); free(s->jocc);
    free(s->sb); free(s->sp); free(s->q[0]); free(s->q[1]); free(s->den); free(s->pre); free(s->vbuf);
}

#if defined(ZK_HAVE_IFMA)
#if NL == 4
#define VE zkv
#define VLOAD zkv_load8
#define VSTORE zkv_store8
#define VMUL fqv_mul
#define VSUB fqv_sub
#define VCNEG fqv_cneg
#define VGET zkv_get_lane
#define VSETL zkv_set_lanes
#else
#define VE zkv2
#define VLOAD zkv2_load8
#define VSTORE zkv2_store8
#define VMUL fq2v_mul
#define VSUB fq2v_sub
#define VCNEG fq2v_cneg
#define VGET zkv2_get_lane
#define VSETL zkv2_set_lanes
#endif
/* The batch on eight lanes (AVX-512 IFMA): element k sits in lane k % 8 of row k / 8.
 * Per-lane prefix products, one scalar inversion for the eight lane totals, per-lane
 * backward pass, then the affine additions row by row (buckets and points gathered by
 * transposition).  Doublings (rare) are finished by the scalar code with their lane's
 * inverse.  Same results as the scalar flush, bit for bit. */
static const uint64_t FN(ifma_dummy)[2 * NL] = {0};

ZK_VTF void FN(msm_flush_ifma)(FN(msm_scratch) *s, const uint64_t *bases, int m) {
    int R = (m + 7) / 8;
    VE *D = (VE *)s->vbuf, *PR = D + R;
    const uint64_t *pp[8];
    uint64_t one[NL];                   /* padding lanes: den = 1 */
    F(set_one)(one);
    for (int r = 0; r < R; r++) {
        for (int l = 0; l < 8; l++) { int k = 8 * r + l; pp[l] = k < m ? s->den + NL * k : one; }
        VLOAD(&D[r], pp);
    }
    PR[0] = D[0];
    for (int r = 1; r < R; r++) VMUL(&PR[r], &PR[r - 1], &D[r]);
    uint64_t tot[8][NL], pf[8][NL], li[8][NL], inv[NL];
    for (int l = 0; l < 8; l++) VGET(tot[l], &PR[R - 1], l);
    memcpy(pf[0], tot[0], NB);
    for (int l = 1; l < 8; l++) F(mul)(pf[l], pf[l - 1], tot[l]);
    F(inv)(inv, pf[7]);
    for (int l = 7; l > 0; l--) { F(mul)(li[l], inv, pf[l - 1]); F(mul)(inv, inv, tot[l]); }
    memcpy(li[0], inv, NB);
    VE IV, T;
    VSETL(&IV, &li[0][0]);
    for (int r = R - 1; r >= 0; r--) {
        VMUL(&T, &IV, &D[r]);
        if (r > 0) VMUL(&D[r], &IV, &PR[r - 1]); else D[0] = IV;
        IV = T;
    }
    /* D[r] now holds 1/den per lane */
    for (int r = 0; r < R; r++) {
        const uint64_t *bx[8], *by[8], *px[8], *py[8];
        uint64_t *ox[8], *oy[8];
        unsigned valid = 0, dbl = 0, neg = 0;
        if (r + 2 < R) {
            for (int l = 0; l < 8; l++) {
                int k = 8 * (r + 2) + l;
                if (k < m) {
                    __builtin_prefetch(s->baff + 2 * NL * (size_t)(s->sb[k] & 0x3fffffffu), 1);
                    __builtin_prefetch(bases + 2 * NL * (size_t)s->sp[k], 0);
                }
            }
        }
        for (int l = 0; l < 8; l++) {
            int k = 8 * r + l;
            if (k < m) {
                uint32_t tag = s->sb[k];
                uint64_t *B = s->baff + 2 * NL * (size_t)(tag & 0x3fffffffu);
                const uint64_t *P = bases + 2 * NL * (size_t)s->sp[k];
                bx[l] = B; by[l] = B + NL; ox[l] = B; oy[l] = B + NL;
                px[l] = P; py[l] = P + NL;
                if (tag & 0x40000000u) dbl |= 1u << l; else valid |= 1u << l;
                if (tag & 0x80000000u) neg |= 1u << l;
            } else {
                bx[l] = by[l] = px[l] = py[l] = FN(ifma_dummy);
                ox[l] = oy[l] = NULL;
            }
        }
        if (valid) {
            VE X1, Y1, X2, Y2, LAM, X3;
            VLOAD(&X1, bx); VLOAD(&Y1, by); VLOAD(&X2, px); VLOAD(&Y2, py);
            VCNEG(&Y2, &Y2, (__mmask8)(neg & valid));
            VSUB(&T, &Y2, &Y1);
            VMUL(&LAM, &T, &D[r]);
            VMUL(&X3, &LAM, &LAM);
            VSUB(&X3, &X3, &X1);
            VSUB(&X3, &X3, &X2);
            VSUB(&T, &X1, &X3);
            VMUL(&T, &LAM, &T);
            VSUB(&Y1, &T, &Y1);
            VSTORE(&X3, ox, valid);
            VSTORE(&Y1, oy, valid);
        }
        for (int l = 0; dbl && l < 8; l++) {
            if (!((dbl >> l) & 1)) continue;
            uint64_t ik[NL], t[NL], lam[NL], x3[NL];
            uint64_t *B = ox[l];
            VGET(ik, &D[r], l);
            F(sqr)(t, B); F(dbl)(lam, t); F(add)(t, lam, t);
            F(mul)(lam, t, ik);
            F(sqr)(x3, lam); F(sub)(x3, x3, B); F(sub)(x3, x3, B);
            F(sub)(t, B, x3); F(mul)(t, lam, t); F(sub)(B + NL, t, B + NL);
            memcpy(B, x3, NB);
        }
    }
}
#undef VE
#undef VLOAD
#undef VSTORE
#undef VMUL
#undef VSUB
#undef VCNEG
#undef VGET
#undef VSETL
#endif

/* Apply the m pending affine additions bucket += point with one shared inversion. */
static void FN(msm_flush)(FN(msm_scratch) *s, const uint64_t *bases, int m) {
    if (m == 0) return;
#if defined(ZK_HAVE_IFMA)
    if (s->vbuf && m >= 16) { FN(msm_flush_ifma)(s, bases, m); return; }
#endif
    uint64_t inv[NL], ik[NL], lam[NL], x3[NL], t[NL], y2[NL];
    memcpy(s->pre, s->den, NB);
    for (int k = 1; k < m; k++) F(mul)(s->pre + NL * k, s->pre + NL * (k - 1), s->den + NL * k);
    F(inv)(inv, s->pre + NL * (m - 1));
    for (int k = m - 1; k >= 0; k--) {
        if (k >= 4) {
            __builtin_prefetch(s->baff + 2 * NL * (size_t)(s->sb[k - 4] & 0x3fffffffu), 1);
            __builtin_prefetch(bases + 2 * NL * (size_t)s->sp[k - 4], 0);
        }
        if (k > 0) {
            F(mul)(ik, inv, s->pre + NL * (k - 1));
            F(mul)(inv, inv, s->den + NL * k);
        } else {
            memcpy(ik, inv, NB);
        }
        uint32_t tag = s->sb[k];
        uint32_t b = tag & 0x3fffffffu;
        uint64_t *B = s->baff + 2 * NL * (size_t)b;
        const uint64_t *P = bases + 2 * NL * (size_t)s->sp[k];
        if (tag & 0x40000000u) {            /* doubling: lambda = 3 x^2 / 2y */
            F(sqr)(t, B); F(dbl)(lam, t); F(add)(t, lam, t);
            F(mul)(lam, t, ik);
            F(sqr)(x3, lam); F(sub)(x3, x3, B); F(sub)(x3, x3, B);
        } else {                             /* lambda = (y2 - y1) / (x2 - x1) */
            if (tag & 0x80000000u) F(neg)(y2, P + NL); else memcpy(y2, P + NL, NB);
            F(sub)(t, y2, B + NL);
            F(mul)(lam, t, ik);
            F(sqr)(x3, lam); F(sub)(x3, x3, B); F(sub)(x3, x3, P);
        }
        F(sub)(t, B, x3);
        F(mul)(t, lam, t);
        F(sub)(B + NL, t, B + NL);
        memcpy(B, x3, NB);
    }
}

/* Offer point i (bucket b, negated if neg) to the current batch.  Returns 0 when it was
 * consumed (put in an empty bucket, cancelled, or queued in the batch), 1 when its bucket
 * is already in this batch (the caller defers it). */
static inline int FN(msm_offer)(FN(msm_scratch) *s, const uint64_t *bases, uint32_t i, uint32_t b,
                                uint32_t neg, uint32_t ep, int *m) {
    const uint64_t *P = bases + 2 * NL * (size_t)i;
    uint64_t *B = s->baff + 2 * NL * (size_t)b;
    if (!s->occ[b]) {
        memcpy(B, P, NB);
        if (neg) F(neg)(B + NL, P + NL); else memcpy(B + NL, P + NL, NB);
        s->occ[b] = 1;
        return 0;
    }
    if (s->mark[b] == ep) return 1;
    uint64_t *den = s->den + NL * *m;
    if (ZK_UNLIKELY(F(eq)(B, P))) {
        uint64_t ny[NL];
        const uint64_t *py = P + NL;
        if (neg) { F(neg)(ny, P + NL); py = ny; }
        if (!F(eq)(B + NL, py)) { s->occ[b] = 0; return 0; }   /* P + (-P) */
        F(dbl)(den, B + NL);
        s->sb[*m] = b | 0x40000000u;
    } else {
        F(sub)(den, P, B);
        s->sb[*m] = b | (neg << 31);
    }
    s->sp[*m] = i;
    s->mark[b] = ep;
    (*m)++;
    return 0;
}

/* A point that cannot wait in the queue goes to its bucket's Jacobian overflow. */
static inline void FN(msm_overflow)(FN(msm_scratch) *s, const uint64_t *bases, uint32_t i, uint32_t b,
                                    uint32_t neg) {
    if (!s->jocc[b]) { FN(jac_set_inf)(&s->bjac[b]); s->jocc[b] = 1; }
    FN(jac_madd)(&s->bjac[b], &s->bjac[b], bases + 2 * NL * (size_t)i, (int)neg);
}

#ifndef ZK_MSM_CAPDIV
#define ZK_MSM_CAPDIV ZK_MSM_CAPDIV_DEFAULT /* batch size: nb / this */
#endif
#define ZK_MSM_PF 8 /* prefetch distance (points) for the bucket of an upcoming digit */

/* Accumulate one window's points into the affine buckets (and overflow buckets) of s.
 * spread > 1 (a power of two; the crowded top window): digit d goes to one of spread
 * sub-buckets (|d| - 1) * spread + (i mod spread), see FN(msm_crowded_reduce). */
static void FN(msm_window_acc)(const uint64_t *bases, const int16_t *dig, size_t n, FN(msm_scratch) *s,
                               uint32_t spread) {
    int nb = s->nb, cap = s->cap, qcap = s->qcap, m = 0, qn = 0, cur = 0;
    memset(s->occ, 0, (size_t)nb);
    memset(s->jocc, 0, (size_t)nb);
    memset(s->mark, 0, (size_t)nb * 4);
    uint32_t ep = 1;
    for (size_t i = 0; i < n; i++) {
        if (i + ZK_MSM_PF < n && spread == 1) {
            int dp = dig[i + ZK_MSM_PF];
            if (dp) __builtin_prefetch(s->baff + 2 * NL * (size_t)((dp < 0 ? -dp : dp) - 1), 1);
        }
        int d = dig[i];
        if (d == 0) continue;
        if (ZK_UNLIKELY(FN(aff_is_inf)(bases + 2 * NL * i))) continue;
        uint32_t neg = d < 0, b = (uint32_t)(neg ? -d : d) - 1;
        if (spread > 1) b = b * spread + ((uint32_t)i & (spread - 1));
        if (FN(msm_offer)(s, bases, (uint32_t)i, b, neg, ep, &m)) {
            if (qn < qcap) { s->q[cur][2 * qn] = (uint32_t)i; s->q[cur][2 * qn + 1] = b | (neg << 31); qn++; }
            else FN(msm_overflow)(s, bases, (uint32_t)i, b, neg);
        }
        if (m == cap) {
            /* full batch: apply it, then start the next one with the deferred points */
            FN(msm_flush)(s, bases, m); m = 0; ep++;
            uint32_t *oq = s->q[cur]; int on = qn;
            cur ^= 1; qn = 0;
            for (int k = 0; k < on; k++) {
                uint32_t pi = oq[2 * k], tg = oq[2 * k + 1];
                if (FN(msm_offer)(s, bases, pi, tg & 0x7fffffffu, tg >> 31, ep, &m)) {
                    s->q[cur][2 * qn] = pi; s->q[cur][2 * qn + 1] = tg; qn++;
                }
            }
        }
    }
    /* drain: flush, re-offer the deferred points; small leftovers go to the overflow */
    for (;;) {
        FN(msm_flush)(s, bases, m); m = 0; ep++;
        if (qn == 0) break;
        uint32_t *oq = s->q[cur]; int on = qn;
        cur ^= 1; qn = 0;
        if (on < 32) {
            for (int k = 0; k < on; k++)
                FN(msm_overflow)(s, bases, oq[2 * k], oq[2 * k + 1] & 0x7fffffffu, oq[2 * k + 1] >> 31);
            break;
        }
        for (int k = 0; k < on; k++) {
            uint32_t pi = oq[2 * k], tg = oq[2 * k + 1];
            if (FN(msm_offer)(s, bases, pi, tg & 0x7fffffffu, tg >> 31, ep, &m)) {
                s->q[cur][2 * qn] = pi; s->q[cur][2 * qn + 1] = tg; qn++;
            }
        }
        if (m < 32) {   /* the rest crowds few buckets: an inversion per round would not pay */
            for (int k = 0; k < qn; k++)
                FN(msm_overflow)(s, bases, s->q[cur][2 * k], s->q[cur][2 * k + 1] & 0x7fffffffu,
                                 s->q[cur][2 * k + 1] >> 31);
            qn = 0;
        }
    }
}

/* sum = sum_b (b + 1) * bucket_b by running sums (scalar) */
static void FN(msm_bucket_reduce)(FN(jac) *sum, const FN(msm_scratch) *s) {
    FN(jac) run, tot;
    FN(jac_set_inf)(&run); FN(jac_set_inf)(&tot);
    for (int b = s->nb - 1; b >= 0; b--) {
        if (s->occ[b]) FN(jac_madd_xy)(&run, &run, s->baff + 2 * NL * (size_t)b, s->baff + 2 * NL * (size_t)b + NL);
        if (s->jocc[b]) FN(jac_add)(&run, &run, &s->bjac[b]);
        FN(jac_add)(&tot, &tot, &run);
    }
    *sum = tot;
}

/* sum = sum_a a * (sum of the spread sub-buckets of |digit| a), a = 1..D */
static void FN(msm_crowded_reduce)(FN(jac) *sum, const FN(msm_scratch) *s, uint32_t D, uint32_t spread) {
    FN(jac) run, tot, cb;
    FN(jac_set_inf)(&run); FN(jac_set_inf)(&tot);
    for (uint32_t a = D; a >= 1; a--) {
        FN(jac_set_inf)(&cb);
        for (uint32_t q = 0; q < spread; q++) {
            size_t b = (size_t)(a - 1) * spread + q;
            if (s->occ[b]) FN(jac_madd_xy)(&cb, &cb, s->baff + 2 * NL * b, s->baff + 2 * NL * b + NL);
            if (s->jocc[b]) FN(jac_add)(&cb, &cb, &s->bjac[b]);
        }
        FN(jac_add)(&run, &run, &cb);
        FN(jac_add)(&tot, &tot, &run);
    }
    *sum = tot;
}

/* The top window of scalars < 2^254 may hold only a few bits: then its points would crowd
 * a handful of buckets (one batch slot each, the rest to the overflow).  Returns the
 * spread factor for window j (1 = normal) and the largest |digit| in *D. */
static uint32_t FN(msm_spread)(int j, int W, int c, int nb, uint32_t *D, int wide) {
    int tb = 254 - c * (W - 1);
    if (wide || j != W - 1 || tb > c - 2) return 1;   /* wide: some scalar >= 2^254 */
    uint32_t d = tb <= 0 ? 1u : 1u << tb, sp = 1;
    while (sp * 2 * d <= (uint32_t)nb) sp *= 2;
    *D = d;
    return sp >= 16 ? sp : 1;
}

static void FN(msm_window_batch)(FN(jac) *sum, const uint64_t *bases, const int16_t *dig, size_t n,
                                FN(msm_scratch) *s, uint32_t spread, uint32_t D) {
    FN(msm_window_acc)(bases, dig, n, s, spread);
    if (spread > 1) FN(msm_crowded_reduce)(sum, s, D, spread);
    else FN(msm_bucket_reduce)(sum, s);
}

#if defined(ZK_HAVE_IFMA)
#if NL == 4
#define VE zkv
#define VLOAD zkv_load8
#define VMUL fqv_mul
#define VSUB fqv_sub
#define VADD(r, a, b) zkv_add_p(r, a, b, ZKV_FQ_P52)
#define VGET zkv_get_lane
#define VSETLANE(r, v, l) zkv_set_lane(r, v, l)
#define VZERO(a) zkv_zero_mask(a)
#define VBLEND(r, m, a) zkv_blend(r, m, a)
#else
#define VE zkv2
#define VLOAD zkv2_load8
#define VMUL fq2v_mul
#define VSUB fq2v_sub
#define VADD fq2v_add
#define VGET zkv2_get_lane
#define VSETLANE(r, v, l) (zkv_set_lane(&(r)->c0, v, l), zkv_set_lane(&(r)->c1, (v) + 4, l))
#define VZERO(a) (zkv_zero_mask(&(a)->c0) & zkv_zero_mask(&(a)->c1))
#define VBLEND(r, m, a) (zkv_blend(&(r)->c0, m, &(a)->c0), zkv_blend(&(r)->c1, m, &(a)->c1))
#endif
typedef struct { VE x, y, z; } FN(vjac);

ZK_VTF void FN(vjac_get)(FN(jac) *p, const FN(vjac) *v, int l) {
    VGET(p->x, &v->x, l); VGET(p->y, &v->y, l); VGET(p->z, &v->z, l);
}
ZK_VTF void FN(vjac_set)(FN(vjac) *v, const FN(jac) *p, int l) {
    VSETLANE(&v->x, p->x, l); VSETLANE(&v->y, p->y, l); VSETLANE(&v->z, p->z, l);
}

/* r = p + (x2, y2) on the lanes of mask (madd-2007-bl, as FN(jac_madd_xy)); lanes where
 * H = 0 (p = +-Q) are returned in *exc and left untouched. */
ZK_VTF unsigned FN(vjac_madd)(FN(vjac) *p, const VE *x2, const VE *y2, unsigned mask) {
    VE Z1Z1, U2, S2, H, HH, Iv, J, rr, V, t;
    VMUL(&Z1Z1, &p->z, &p->z);
    VMUL(&U2, x2, &Z1Z1);
    VMUL(&S2, y2, &p->z); VMUL(&S2, &S2, &Z1Z1);
    VSUB(&H, &U2, &p->x);
    unsigned exc = VZERO(&H) & mask;
    mask &= ~exc;
    if (!mask) return exc;
    VSUB(&rr, &S2, &p->y); VADD(&rr, &rr, &rr);
    VMUL(&HH, &H, &H);
    VADD(&Iv, &HH, &HH); VADD(&Iv, &Iv, &Iv);
    VMUL(&J, &H, &Iv);
    VMUL(&V, &p->x, &Iv);
    VE X3, Y3, Z3;
    VADD(&t, &p->z, &H); VMUL(&t, &t, &t); VSUB(&t, &t, &Z1Z1); VSUB(&Z3, &t, &HH);
    VMUL(&S2, &p->y, &J); VADD(&S2, &S2, &S2);
    VMUL(&t, &rr, &rr); VSUB(&t, &t, &J); VSUB(&t, &t, &V); VSUB(&X3, &t, &V);
    VSUB(&t, &V, &X3); VMUL(&t, &rr, &t); VSUB(&Y3, &t, &S2);
    VBLEND(&p->x, (__mmask8)mask, &X3); VBLEND(&p->y, (__mmask8)mask, &Y3); VBLEND(&p->z, (__mmask8)mask, &Z3);
    return exc;
}

/* p += q on the lanes of mask (add-2007-bl, as FN(jac_add)); exceptional lanes returned */
ZK_VTF unsigned FN(vjac_add)(FN(vjac) *p, const FN(vjac) *q, unsigned mask) {
    VE Z1Z1, Z2Z2, U1, U2, S1, S2, H, Iv, J, rr, V, t;
    VMUL(&Z1Z1, &p->z, &p->z);
    VMUL(&Z2Z2, &q->z, &q->z);
    VMUL(&U1, &p->x, &Z2Z2);
    VMUL(&U2, &q->x, &Z1Z1);
    VSUB(&H, &U2, &U1);
    unsigned exc = VZERO(&H) & mask;
    mask &= ~exc;
    if (!mask) return exc;
    VMUL(&S1, &p->y, &q->z); VMUL(&S1, &S1, &Z2Z2);
    VMUL(&S2, &q->y, &p->z); VMUL(&S2, &S2, &Z1Z1);
    VSUB(&rr, &S2, &S1); VADD(&rr, &rr, &rr);
    VADD(&Iv, &H, &H); VMUL(&Iv, &Iv, &Iv);
    VMUL(&J, &H, &Iv);
    VMUL(&V, &U1, &Iv);
    VE X3, Y3, Z3;
    VADD(&t, &p->z, &q->z); VMUL(&t, &t, &t); VSUB(&t, &t, &Z1Z1); VSUB(&t, &t, &Z2Z2);
    VMUL(&Z3, &t, &H);
    VMUL(&t, &rr, &rr); VSUB(&t, &t, &J); VSUB(&t, &t, &V); VSUB(&X3, &t, &V);
    VSUB(&t, &V, &X3); VMUL(&t, &rr, &t);
    VMUL(&S1, &S1, &J); VADD(&S1, &S1, &S1);
    VSUB(&Y3, &t, &S1);
    VBLEND(&p->x, (__mmask8)mask, &X3); VBLEND(&p->y, (__mmask8)mask, &Y3); VBLEND(&p->z, (__mmask8)mask, &Z3);
    return exc;
}

/* The running-sum reduction of k <= 8 windows at once, one window per lane.  Infinity is
 * tracked in bit masks; rare cases (P = +-Q, overflow buckets) go through the scalar
 * formulas lane by lane. */
ZK_VTF void FN(msm_bucket_reduce_ifma)(FN(jac) *sums, FN(msm_scratch) *s, int k, unsigned skip) {
    int nb = s[0].nb;
    FN(vjac) run, tot;
    memset(&run, 0, sizeof(run)); memset(&tot, 0, sizeof(tot));
    FN(jac) one_inf; FN(jac_set_inf)(&one_inf);
    for (int l = 0; l < 8; l++) { FN(vjac_set)(&run, &one_inf, l); FN(vjac_set)(&tot, &one_inf, l); }
    unsigned rinf = 0xff, tinf = 0xff;
    static const uint64_t dummy[2 * NL] = {0};
    uint64_t one[NL];
    F(set_one)(one);
    VE ONE;
    { const uint64_t *p1[8] = {one, one, one, one, one, one, one, one}; VLOAD(&ONE, p1); }
    for (int b = nb - 1; b >= 0; b--) {
        const uint64_t *px[8], *py[8];
        unsigned has = 0, jh = 0;
        for (int l = 0; l < 8; l++) {
            if (l < k && !((skip >> l) & 1) && s[l].occ[b]) {
                has |= 1u << l;
                px[l] = s[l].baff + 2 * NL * (size_t)b; py[l] = px[l] + NL;
            } else { px[l] = dummy; py[l] = dummy + NL; }
            if (l < k && !((skip >> l) & 1) && s[l].jocc[b]) jh |= 1u << l;
        }
        if (b >= 2)
            for (int l = 0; l < k; l++) __builtin_prefetch(s[l].baff + 2 * NL * (size_t)(b - 2), 0);
        if (has) {
            VE X2, Y2;
            VLOAD(&X2, px); VLOAD(&Y2, py);
            unsigned setm = has & rinf, addm = has & ~rinf;
            if (addm) {
                unsigned exc = FN(vjac_madd)(&run, &X2, &Y2, addm);
                for (int l = 0; exc && l < 8; l++) {
                    if (!((exc >> l) & 1)) continue;
                    FN(jac) r;
                    FN(vjac_get)(&r, &run, l);
                    FN(jac_madd_xy)(&r, &r, px[l], py[l]);
                    FN(vjac_set)(&run, &r, l);
                    if (FN(jac_is_inf)(&r)) rinf |= 1u << l;
                }
            }
            if (setm) {
                VBLEND(&run.x, (__mmask8)setm, &X2); VBLEND(&run.y, (__mmask8)setm, &Y2);
                VBLEND(&run.z, (__mmask8)setm, &ONE);
                rinf &= ~setm;
            }
        }
        for (int l = 0; jh && l < 8; l++) {
            if (!((jh >> l) & 1)) continue;
            FN(jac) r;
            FN(vjac_get)(&r, &run, l);
            if ((rinf >> l) & 1) FN(jac_set_inf)(&r);
            FN(jac_add)(&r, &r, &s[l].bjac[b]);
            FN(vjac_set)(&run, &r, l);
            if (FN(jac_is_inf)(&r)) rinf |= 1u << l; else rinf &= ~(1u << l);
        }
        /* tot += run */
        unsigned live = ~rinf & 0xffu;
        unsigned tset = live & tinf, tadd = live & ~tinf;
        if (tadd) {
            unsigned exc = FN(vjac_add)(&tot, &run, tadd);
            for (int l = 0; exc && l < 8; l++) {
                if (!((exc >> l) & 1)) continue;
                FN(jac) t, r;
                FN(vjac_get)(&t, &tot, l); FN(vjac_get)(&r, &run, l);
                FN(jac_add)(&t, &t, &r);
                FN(vjac_set)(&tot, &t, l);
                if (FN(jac_is_inf)(&t)) tinf |= 1u << l;
            }
        }
        if (tset) {
            VBLEND(&tot.x, (__mmask8)tset, &run.x); VBLEND(&tot.y, (__mmask8)tset, &run.y);
            VBLEND(&tot.z, (__mmask8)tset, &run.z);
            tinf &= ~tset;
        }
    }
    for (int l = 0; l < k; l++) {
        if ((skip >> l) & 1) continue;
        if ((tinf >> l) & 1) FN(jac_set_inf)(&sums[l]);
        else FN(vjac_get)(&sums[l], &tot, l);
    }
}
#undef VE
#undef VLOAD
#undef VMUL
#undef VSUB
#undef VADD
#undef VGET
#undef VSETLANE
#undef VZERO
#undef VBLEND
#endif

/* out = sum_i scalars[i] * bases[i].  bases: n affine points in Montgomery form (2*NL limbs
 * each, zeros = infinity); scalars: n plain little-endian 4-limb values < 2^254.
 * mode: 0 auto, 1 Jacobian buckets, 2 batch-affine buckets.  c: window (0 = choose).
 * Returns 0, or -1 when memory ran out. */
static int FN(msm)(FN(jac) *out, const uint64_t *bases, const uint64_t *scalars, size_t n,
                   int nthreads, int mode, int c) {
    FN(jac_set_inf)(out);
    if (n == 0) return 0;
    if (nthreads < 1) nthreads = 1;
    if (mode == 0) mode = n >= ZK_MSM_BATCH_MIN ? 2 : 1;
    if (c <= 0) c = zk_msm_choose_window(n, nthreads, mode == 2, NL == 8);
    int W = (256 + c - 1) / c, nb = 1 << (c - 1);
    int16_t *digits = (int16_t *)malloc(sizeof(int16_t) * (size_t)W * n);
    FN(jac) *sums = (FN(jac) *)malloc(sizeof(FN(jac)) * (size_t)W);
    if (!digits || !sums) { free(digits); free(sums); return -1; }
    zk_msm_digits(digits, scalars, n, c, W, nthreads);
    /* scalars are documented < r < 2^254; if one is not, the top window is not spread
     * (its digits could exceed the sub-bucket range) */
    int wide = 0;
    for (size_t i = 0; i < n; i++) if (scalars[4 * i + 3] >> 62) { wide = 1; break; }
    int failed = 0;
    int cap = nb / ZK_MSM_CAPDIV; if (cap < 64) cap = 64; if (cap > 2048) cap = 2048;
#if defined(ZK_HAVE_IFMA)
    /* IFMA: each thread takes a contiguous range of windows, accumulates up to 8 of them
     * into 8 bucket sets, then reduces the 8 on the lanes of one vector */
    if (mode == 2 && zk_cpu_has_ifma && c <= ZK_MSM_VRED_MAXC - (NL == 8 ? 2 : 0) && W >= 2) {
        int T = nthreads < W ? nthreads : W;
#ifdef ZKGATE_OPENMP
        #pragma omp parallel num_threads(T)
#endif
        {
#ifdef ZKGATE_OPENMP
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
            int t = 0, nt = 1;
#endif
            int lo = (int)((long)W * t / nt), hi = (int)((long)W * (t + 1) / nt);
            int k8 = hi - lo < 8 ? hi - lo : 8, ok = 1;
            FN(msm_scratch) sc[8];
            memset(sc, 0, sizeof(sc));
            for (int q = 0; q < k8; q++) if (!FN(msm_scratch_alloc)(&sc[q], nb, cap)) ok = 0;
            if (!ok) {
#ifdef ZKGATE_OPENMP
                #pragma omp atomic write
#endif
                failed = 1;
            }
            for (int g = lo; ok && g < hi; g += 8) {
                int k = hi - g < 8 ? hi - g : 8;
                unsigned skip = 0;
                for (int q = 0; q < k; q++) {
                    uint32_t D = 0, sp = FN(msm_spread)(g + q, W, c, nb, &D, wide);
                    FN(msm_window_acc)(bases, digits + (size_t)(g + q) * n, n, &sc[q], sp);
                    if (sp > 1) { FN(msm_crowded_reduce)(&sums[g + q], &sc[q], D, sp); skip |= 1u << q; }
                }
                if (skip != (1u << k) - 1) FN(msm_bucket_reduce_ifma)(&sums[g], sc, k, skip);
            }
            for (int q = 0; q < 8; q++) FN(msm_scratch_free)(&sc[q]);
        }
        goto combine;
    }
#endif
#ifdef ZKGATE_OPENMP
    #pragma omp parallel num_threads(nthreads)
#endif
    {
        FN(msm_scratch) s;
        FN(jac) *bk = NULL;
        int ok = mode == 2 ? FN(msm_scratch_alloc)(&s, nb, cap)
                           : ((bk = (FN(jac) *)malloc(sizeof(FN(jac)) * (size_t)nb)) != NULL);
        if (!ok) {
#ifdef ZKGATE_OPENMP
            #pragma omp atomic write
#endif
            failed = 1;
        }
#ifdef ZKGATE_OPENMP
        #pragma omp for schedule(dynamic, 1)
#endif
        for (int j = 0; j < W; j++) {
            if (!ok) continue;
            const int16_t *dj = digits + (size_t)j * n;
            uint32_t D = 0, sp = FN(msm_spread)(j, W, c, nb, &D, wide);
            if (mode == 2) FN(msm_window_batch)(&sums[j], bases, dj, n, &s, sp, D);
            else FN(msm_window_jac)(&sums[j], bases, dj, n, nb, bk);
        }
        if (mode == 2) FN(msm_scratch_free)(&s); else free(bk);
    }
#if defined(ZK_HAVE_IFMA)
combine:
#endif
    if (!failed) {
        FN(jac) acc = sums[W - 1];
        for (int j = W - 2; j >= 0; j--) {
            for (int k = 0; k < c; k++) FN(jac_dbl)(&acc, &acc);
            FN(jac_add)(&acc, &acc, &sums[j]);
        }
        *out = acc;
    }
    free(digits); free(sums);
    return failed ? -1 : 0;
}

#undef FN
#undef F
#undef NB
