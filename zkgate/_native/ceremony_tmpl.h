/* Trusted-setup kernels, included by ceremony.h once per group with CUR / FLD / NL set
 * (the names curve.h uses).  Points: affine rows of 2*NL limbs (Montgomery, zeros =
 * infinity); scalars: plain little-endian 4-limb rows below r.  Not constant-time. */

#define CZ_CAT_(a, b) a##_##b
#define CZ_CAT(a, b) CZ_CAT_(a, b)
#define CFN(name) CZ_CAT(CUR, name)
#define CF(name) CZ_CAT(FLD, name)
#define CW (2 * NL) /* limbs per affine point */

/* Batch Jacobian -> affine with one inversion (Montgomery's trick); out may not alias pts. */
static int CFN(cz_batch_to_aff)(uint64_t *out, const CFN(jac) *pts, size_t n) {
    if (n == 0) return 0;
    uint64_t *pref = (uint64_t *)malloc(n * NL * 8);
    if (!pref) return -1;
    uint64_t acc[NL], inv[NL], zi[NL], zi2[NL], t[NL];
    CF(set_one)(acc);
    for (size_t i = 0; i < n; i++) {
        memcpy(pref + i * NL, acc, NL * 8);
        if (!CFN(jac_is_inf)(&pts[i])) CF(mul)(acc, acc, pts[i].z);
    }
    CF(inv)(inv, acc);
    for (size_t k = n; k-- > 0;) {
        uint64_t *o = out + k * CW;
        if (CFN(jac_is_inf)(&pts[k])) { memset(o, 0, CW * 8); continue; }
        CF(mul)(zi, inv, pref + k * NL);
        CF(mul)(inv, inv, pts[k].z);
        CF(sqr)(zi2, zi);
        CF(mul)(o, pts[k].x, zi2);
        CF(mul)(t, zi2, zi);
        CF(mul)(o + NL, pts[k].y, t);
    }
    free(pref);
    return 0;
}

/* Parallel batch conversion in chunks (one inversion per chunk). */
static int CFN(cz_to_aff)(uint64_t *out, const CFN(jac) *pts, size_t n, int nthreads) {
    const size_t chunk = 2048;
    long nchunks = (long)((n + chunk - 1) / chunk);
    int failed = 0;
    (void)nthreads;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nchunks > 1)
#endif
    for (long c = 0; c < nchunks; c++) {
        size_t a = (size_t)c * chunk, m = n - a < chunk ? n - a : chunk;
        if (CFN(cz_batch_to_aff)(out + a * CW, pts + a, m)) failed = 1;
    }
    return failed ? -1 : 0;
}

/* r = [k] P for affine P and a plain scalar; negate: r = -[k] P (double-and-add, mixed adds). */
static inline void CFN(cz_mul_aff)(CFN(jac) *r, const uint64_t *a, const uint64_t *k, int negate) {
    CFN(jac) acc;
    CFN(jac_set_inf)(&acc);
    if (CFN(aff_is_inf)(a)) { *r = acc; return; }
    int top = 255;
    while (top >= 0 && !((k[top >> 6] >> (top & 63)) & 1)) top--;
    for (int i = top; i >= 0; i--) {
        CFN(jac_dbl)(&acc, &acc);
        if ((k[i >> 6] >> (i & 63)) & 1) CFN(jac_madd)(&acc, &acc, a, negate);
    }
    *r = acc;
}

/* r = [k] P for a Jacobian P (4-bit fixed window). */
static inline void CFN(cz_mul_jac)(CFN(jac) *r, const CFN(jac) *p, const uint64_t *k) {
    CFN(jac) tab[16], acc;
    int top = 255;
    while (top >= 0 && !((k[top >> 6] >> (top & 63)) & 1)) top--;
    if (top < 0 || CFN(jac_is_inf)(p)) { CFN(jac_set_inf)(r); return; }
    if (top < 8) {
        CFN(jac_set_inf)(&acc);
        for (int i = top; i >= 0; i--) {
            CFN(jac_dbl)(&acc, &acc);
            if ((k[i >> 6] >> (i & 63)) & 1) CFN(jac_add)(&acc, &acc, p);
        }
        *r = acc;
        return;
    }
    CFN(jac_set_inf)(&tab[0]);
    tab[1] = *p;
    CFN(jac_dbl)(&tab[2], p);
    for (int i = 3; i < 16; i++) CFN(jac_add)(&tab[i], &tab[i - 1], p);
    int nib = top / 4;
    CFN(jac_set_inf)(&acc);
    for (int w = nib; w >= 0; w--) {
        if (w != nib) { CFN(jac_dbl)(&acc, &acc); CFN(jac_dbl)(&acc, &acc); CFN(jac_dbl)(&acc, &acc); CFN(jac_dbl)(&acc, &acc); }
        int d = (int)((k[(4 * w) >> 6] >> ((4 * w) & 63)) & 15);
        if (d) CFN(jac_add)(&acc, &acc, &tab[d]);
    }
    *r = acc;
}

/* r = [k] P for a Jacobian P and a plain scalar k < r: GLV/GLS with the group's
 * endomorphism, k = k0 + k1*lambda, both halves in width-5 NAF over shared doublings
 * (about 128 doublings and 50 additions instead of 254 and 63).  r may alias p. */
static inline void CFN(cz_mul_glv)(CFN(jac) *r, const CFN(jac) *p, const uint64_t *k) {
    if (zk_geq4(k, FR_P)) { CFN(cz_mul_jac)(r, p, k); return; }
    if (CFN(jac_is_inf)(p) || !(k[0] | k[1] | k[2] | k[3])) { CFN(jac_set_inf)(r); return; }
    uint64_t m0[4], m1[4];
    int neg0, neg1;
    cz_glv_split(GLV_BASIS, k, m0, &neg0, m1, &neg1);
    int8_t d0[CZ_WNAF_MAX], d1[CZ_WNAF_MAX];
    int l0 = cz_wnaf(d0, m0), l1 = cz_wnaf(d1, m1);
    enum { TAB = 1 << (CZ_WNAF_W - 2) };
    CFN(jac) t0[TAB], t1[TAB], twice, acc;
    t0[0] = *p;
    CFN(jac_dbl)(&twice, p);
    for (int i = 1; i < TAB; i++) CFN(jac_add)(&t0[i], &t0[i - 1], &twice);
    for (int i = 0; i < TAB; i++) {
        CFN(cz_endo)(&t1[i], &t0[i]);
        if (neg1) CFN(jac_neg)(&t1[i], &t1[i]);
        if (neg0) CFN(jac_neg)(&t0[i], &t0[i]);
    }
    CFN(jac_set_inf)(&acc);
    for (int i = (l0 > l1 ? l0 : l1) - 1; i >= 0; i--) {
        CFN(jac_dbl)(&acc, &acc);
        int a = i < l0 ? d0[i] : 0, b = i < l1 ? d1[i] : 0;
        if (a > 0) CFN(jac_add)(&acc, &acc, &t0[a >> 1]);
        else if (a < 0) { CFN(jac) n; CFN(jac_neg)(&n, &t0[(-a) >> 1]); CFN(jac_add)(&acc, &acc, &n); }
        if (b > 0) CFN(jac_add)(&acc, &acc, &t1[b >> 1]);
        else if (b < 0) { CFN(jac) n; CFN(jac_neg)(&n, &t1[(-b) >> 1]); CFN(jac_add)(&acc, &acc, &n); }
    }
    *r = acc;
}

#if defined(ZK_HAVE_IFMA)
/* ---- the same on eight AVX-512 IFMA lanes (one point and one scalar per lane) ---------- */
#if NL == 4
#define CZV_E zkv
#define CZV_MUL fqv_mul
#define CZV_SUB fqv_sub
#define CZV_ADD(r, a, b) zkv_add_p(r, a, b, ZKV_FQ_P52)
#define CZV_ZERO(a) zkv_zero_mask(a)
#define CZV_BLEND(r, m, a) zkv_blend(r, m, a)
#define CZV_LOAD8 zkv_load8
#define CZV_STORE8 zkv_store8
ZK_VT void CFN(czv_neg)(zkv *r, const zkv *a, __mmask8 m) { fqv_cneg(r, a, m & ~zkv_zero_mask(a)); }
ZK_VT void CFN(czv_endo)(CFN(vjac) *r, const CFN(vjac) *p, const zkv *beta) {
    fqv_mul(&r->x, &p->x, beta); r->y = p->y; r->z = p->z;
}
#else
#define CZV_E zkv2
#define CZV_MUL fq2v_mul
#define CZV_SUB fq2v_sub
#define CZV_ADD fq2v_add
#define CZV_ZERO(a) (zkv_zero_mask(&(a)->c0) & zkv_zero_mask(&(a)->c1))
#define CZV_BLEND(r, m, a) (zkv_blend(&(r)->c0, m, &(a)->c0), zkv_blend(&(r)->c1, m, &(a)->c1))
#define CZV_LOAD8 zkv2_load8
#define CZV_STORE8 zkv2_store8
ZK_VT void CFN(czv_neg)(zkv2 *r, const zkv2 *a, __mmask8 m) { fq2v_cneg(r, a, m); }
ZK_VT void CFN(czv_endo)(CFN(vjac) *r, const CFN(vjac) *p, const zkv2 *gamma) {
    zkv2 t;
    t.c0 = p->x.c0; fqv_cneg(&t.c1, &p->x.c1, (__mmask8)~zkv_zero_mask(&p->x.c1)); fq2v_mul(&r->x, &t, &gamma[0]);
    t.c0 = p->y.c0; fqv_cneg(&t.c1, &p->y.c1, (__mmask8)~zkv_zero_mask(&p->y.c1)); fq2v_mul(&r->y, &t, &gamma[1]);
    r->z.c0 = p->z.c0; fqv_cneg(&r->z.c1, &p->z.c1, (__mmask8)~zkv_zero_mask(&p->z.c1));
}
#endif

/* dbl-2009-l on all lanes (infinity lanes produce garbage the caller ignores) */
ZK_VT void CFN(czv_dbl)(CFN(vjac) *p) {
    CZV_E A, B, C, D, E, F, t, z3;
    CZV_MUL(&A, &p->x, &p->x);
    CZV_MUL(&B, &p->y, &p->y);
    CZV_MUL(&C, &B, &B);
    CZV_ADD(&t, &p->x, &B); CZV_MUL(&t, &t, &t); CZV_SUB(&t, &t, &A); CZV_SUB(&t, &t, &C); CZV_ADD(&D, &t, &t);
    CZV_ADD(&E, &A, &A); CZV_ADD(&E, &E, &A);
    CZV_MUL(&F, &E, &E);
    CZV_MUL(&z3, &p->y, &p->z); CZV_ADD(&p->z, &z3, &z3);
    CZV_ADD(&t, &D, &D); CZV_SUB(&p->x, &F, &t);
    CZV_SUB(&t, &D, &p->x); CZV_MUL(&t, &E, &t);
    CZV_ADD(&C, &C, &C); CZV_ADD(&C, &C, &C); CZV_ADD(&C, &C, &C);
    CZV_SUB(&p->y, &t, &C);
}

/* out[l] = [k[l]] in[l] for eight Jacobian points and plain scalars (GLV on every lane, the
 * lanes' digits selected by masked blends).  Lanes that meet an exceptional case (P = +-Q in
 * an addition, a scalar >= r, a table entry at infinity) are redone by CFN(cz_mul_glv).
 * out may alias in. */
ZK_VTF void CFN(cz_mul_glv8)(CFN(jac) *const *out, const CFN(jac) *const *in, const uint64_t *const *k) {
    enum { TAB = 1 << (CZ_WNAF_W - 2) };
    int8_t d0[8][CZ_WNAF_MAX], d1[8][CZ_WNAF_MAX];
    int l0[8] = {0}, l1[8] = {0}, top = 0;
    unsigned skip = 0, fb = 0, neg0 = 0, neg1 = 0;
    int any = -1;
    for (int l = 0; l < 8; l++) {
        const uint64_t *kl = k[l];
        if (CFN(jac_is_inf)(in[l]) || !(kl[0] | kl[1] | kl[2] | kl[3])) { skip |= 1u << l; continue; }
        if (zk_geq4(kl, FR_P)) { fb |= 1u << l; continue; }
        uint64_t m0[4], m1[4];
        int s0, s1;
        cz_glv_split(GLV_BASIS, kl, m0, &s0, m1, &s1);
        l0[l] = cz_wnaf(d0[l], m0);
        l1[l] = cz_wnaf(d1[l], m1);
        if (s0) neg0 |= 1u << l;
        if (s1) neg1 |= 1u << l;
        if (l0[l] > top) top = l0[l];
        if (l1[l] > top) top = l1[l];
        any = l;
    }
    unsigned active = 0xffu & ~skip & ~fb;
    CFN(vjac) acc;
    unsigned infm = active;
    if (active) {
        const uint64_t *px[8], *py[8], *pz[8];
        for (int l = 0; l < 8; l++) {
            const CFN(jac) *src = (active >> l) & 1 ? in[l] : in[any];
            px[l] = src->x; py[l] = src->y; pz[l] = src->z;
        }
        CFN(vjac) t0[TAB], t1[TAB], twice;
        CZV_LOAD8(&t0[0].x, px); CZV_LOAD8(&t0[0].y, py); CZV_LOAD8(&t0[0].z, pz);
        twice = t0[0];
        CFN(czv_dbl)(&twice);
        for (int i = 1; i < TAB; i++) {
            t0[i] = t0[i - 1];
            fb |= CFN(vjac_add)(&t0[i], &twice, active);
        }
        CZV_E endo[2];
#if NL == 4
        zkv_broadcast(&endo[0], GLV_BETA);
#else
        zkv_broadcast(&endo[0].c0, FROB_GAMMA[0][2]); zkv_broadcast(&endo[0].c1, FROB_GAMMA[0][2] + 4);
        zkv_broadcast(&endo[1].c0, FROB_GAMMA[0][3]); zkv_broadcast(&endo[1].c1, FROB_GAMMA[0][3] + 4);
#endif
        for (int i = 0; i < TAB; i++) {
            fb |= CZV_ZERO(&t0[i].z) & active;
            CFN(czv_endo)(&t1[i], &t0[i], endo);
            CFN(czv_neg)(&t0[i].y, &t0[i].y, (__mmask8)neg0);
            CFN(czv_neg)(&t1[i].y, &t1[i].y, (__mmask8)neg1);
        }
        active &= ~fb;
        infm = active;
        acc = t0[0];
        for (int i = top - 1; i >= 0 && active; i--) {
            if (infm != active) CFN(czv_dbl)(&acc);
            for (int h = 0; h < 2; h++) {
                int8_t (*d)[CZ_WNAF_MAX] = h ? d1 : d0;
                const int *len = h ? l1 : l0;
                const CFN(vjac) *tab = h ? t1 : t0;
                unsigned addm = 0, negm = 0, pick[TAB] = {0};
                for (int l = 0; l < 8; l++) {
                    if (!((active >> l) & 1) || i >= len[l]) continue;
                    int a = d[l][i];
                    if (!a) continue;
                    addm |= 1u << l;
                    if (a < 0) { negm |= 1u << l; a = -a; }
                    pick[a >> 1] |= 1u << l;
                }
                if (!addm) continue;
                CFN(vjac) sel = tab[0];
                for (int j = 1; j < TAB; j++) {
                    if (!pick[j]) continue;
                    CZV_BLEND(&sel.x, (__mmask8)pick[j], &tab[j].x);
                    CZV_BLEND(&sel.y, (__mmask8)pick[j], &tab[j].y);
                    CZV_BLEND(&sel.z, (__mmask8)pick[j], &tab[j].z);
                }
                if (negm) CFN(czv_neg)(&sel.y, &sel.y, (__mmask8)negm);
                unsigned first = addm & infm;
                if (first) {
                    CZV_BLEND(&acc.x, (__mmask8)first, &sel.x);
                    CZV_BLEND(&acc.y, (__mmask8)first, &sel.y);
                    CZV_BLEND(&acc.z, (__mmask8)first, &sel.z);
                    infm &= ~first;
                }
                unsigned rest = addm & ~first;
                if (rest) {
                    unsigned exc = CFN(vjac_add)(&acc, &sel, rest);
                    fb |= exc;
                    active &= ~exc;
                }
            }
        }
    }
    /* write back: vector lanes, then infinity, then the scalar redo (in may alias out) */
    CFN(jac) redo[8];
    for (int l = 0; l < 8; l++) if ((fb >> l) & 1) redo[l] = *in[l];
    if (active) {
        uint64_t *ox[8], *oy[8], *oz[8];
        for (int l = 0; l < 8; l++) {
            int on = (active >> l) & 1 && !((infm >> l) & 1);
            ox[l] = on ? out[l]->x : NULL; oy[l] = on ? out[l]->y : NULL; oz[l] = on ? out[l]->z : NULL;
        }
        unsigned mask = active & ~infm;
        CZV_STORE8(&acc.x, ox, mask); CZV_STORE8(&acc.y, oy, mask); CZV_STORE8(&acc.z, oz, mask);
    }
    for (int l = 0; l < 8; l++) {
        if ((fb >> l) & 1) CFN(cz_mul_glv)(out[l], &redo[l], k[l]);
        else if ((skip >> l) & 1 || ((active >> l) & 1 && (infm >> l) & 1)) CFN(jac_set_inf)(out[l]);
    }
}
#undef CZV_E
#undef CZV_MUL
#undef CZV_SUB
#undef CZV_ADD
#undef CZV_ZERO
#undef CZV_BLEND
#undef CZV_LOAD8
#undef CZV_STORE8
#endif /* ZK_HAVE_IFMA */

/* [k[i]] p[i] for n Jacobian points, in place, eight lanes at a time where IFMA is there.
 */
static inline void CFN(cz_mul_many)(CFN(jac) *const *p, const uint64_t *const *k, size_t n) {
    size_t i = 0;
#if defined(ZK_HAVE_IFMA)
    if (zk_cpu_has_ifma)
        for (; i + 8 <= n; i += 8) CFN(cz_mul_glv8)(p + i, (const CFN(jac) *const *)(p + i), k + i);
#endif
    for (; i < n; i++) CFN(cz_mul_glv)(p[i], p[i], k[i]);
}

/* out[j] = sum_{e in [off[j], off[j+1])} scal[e] * bases[idx[e]]  (affine rows out). */
/* acc[owner[q]] += [k[q]] p[q] for the q < n pending products; returns 0 (none left pending) */
static inline size_t CFN(cz_add_products)(CFN(jac) *acc, CFN(jac) *const *p, const uint64_t *const *k,
                                          const size_t *owner, size_t n) {
    CFN(cz_mul_many)(p, k, n);
    for (size_t q = 0; q < n; q++) CFN(jac_add)(&acc[owner[q]], &acc[owner[q]], p[q]);
    return 0;
}

/* a[i] = [scal + kstride*i] a[i] for n Jacobian points, in blocks of 64 (kstride 0: one scalar) */
static void CFN(cz_mul_in_place)(CFN(jac) *a, const uint64_t *scal, size_t kstride, size_t n, int nthreads) {
    long nblocks = (long)((n + 63) / 64);
    (void)nthreads;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 4) num_threads(nthreads)
#endif
    for (long b = 0; b < nblocks; b++) {
        size_t a0 = (size_t)b * 64, m = n - a0 < 64 ? n - a0 : 64;
        CFN(jac) *ptr[64];
        const uint64_t *kp[64];
        for (size_t q = 0; q < m; q++) { ptr[q] = &a[a0 + q]; kp[q] = scal + kstride * (a0 + q); }
        CFN(cz_mul_many)(ptr, kp, m);
    }
}

static int CFN(cz_sparse_sums)(uint64_t *out, const uint64_t *bases, const int64_t *off,
                               const int64_t *idx, const uint64_t *scal, size_t nout, int nthreads) {
    CFN(jac) *acc = (CFN(jac) *)malloc((nout ? nout : 1) * sizeof(CFN(jac)));
    if (!acc) return -1;
    static const uint64_t HALF[4] = {0xa1f0fac9f8000001ULL, 0x9419f4243cdcb848ULL, 0xdc2822db40c0ac2eULL, 0x183227397098d014ULL};
    enum { OUTS = 64, BATCH = 64 };
    long nblocks = (long)((nout + OUTS - 1) / OUTS);
    (void)nthreads;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (long blk = 0; blk < nblocks; blk++) {
        /* terms with small scalars go straight into their sum; full-size ones are scaled in
         * batches (eight lanes at a time) and then added to the sum they belong to */
        size_t j0 = (size_t)blk * OUTS, j1 = j0 + OUTS < nout ? j0 + OUTS : nout;
        CFN(jac) prod[BATCH], *ptr[BATCH];
        const uint64_t *kp[BATCH];
        size_t owner[BATCH], pending = 0;
        for (size_t j = j0; j < j1; j++) CFN(jac_set_inf)(&acc[j]);
        for (size_t j = j0; j < j1; j++) {
            for (int64_t e = off[j]; e < off[j + 1]; e++) {
                const uint64_t *k = scal + 4 * e;
                const uint64_t *b = bases + (size_t)idx[e] * CW;
                uint64_t kk[4];
                int neg = 0;
                if (zk_geq4(k, HALF)) { /* small negative scalars (r - 1, ...) are common */
                    uint64_t br = 0;
                    for (int l = 0; l < 4; l++) kk[l] = zk_sbb(FR_P[l], k[l], &br);
                    neg = 1;
                } else memcpy(kk, k, 32);
                if (kk[0] == 1 && !kk[1] && !kk[2] && !kk[3]) { CFN(jac_madd)(&acc[j], &acc[j], b, neg); continue; }
                if (!kk[1] && !kk[2] && !kk[3]) {
                    CFN(jac) t;
                    CFN(cz_mul_aff)(&t, b, kk, neg);
                    CFN(jac_add)(&acc[j], &acc[j], &t);
                    continue;
                }
                CFN(jac_from_aff)(&prod[pending], b);
                ptr[pending] = &prod[pending];
                kp[pending] = k;
                owner[pending++] = j;
                if (pending == BATCH) pending = CFN(cz_add_products)(acc, ptr, kp, owner, pending);
            }
        }
        CFN(cz_add_products)(acc, ptr, kp, owner, pending);
    }
    int rc = CFN(cz_to_aff)(out, acc, nout, nthreads);
    free(acc);
    return rc;
}

/* out[i] = [scal[i]] pts[i] (affine in, affine out; out may alias pts). */
static int CFN(cz_scale)(uint64_t *out, const uint64_t *pts, const uint64_t *scal, size_t n, int nthreads) {
    CFN(jac) *acc = (CFN(jac) *)malloc((n ? n : 1) * sizeof(CFN(jac)));
    if (!acc) return -1;
    for (size_t i = 0; i < n; i++) CFN(jac_from_aff)(&acc[i], pts + i * CW);
    CFN(cz_mul_in_place)(acc, scal, 4, n, nthreads);
    int rc = CFN(cz_to_aff)(out, acc, n, nthreads);
    free(acc);
    return rc;
}

/* In-place radix-2 DIT transform of Jacobian points: a[k] <- sum_j a[j] w^(jk) for the
 * n-th root w; roots[i] = w^i (plain) for i < n/2. Input in natural order. */
static void CFN(cz_fft)(CFN(jac) *a, size_t n, const uint64_t *roots, int nthreads) {
    int logn = 0;
    while (((size_t)1 << logn) < n) logn++;
    for (size_t i = 0; i < n; i++) {
        size_t r = 0;
        for (int b = 0; b < logn; b++) if (i & ((size_t)1 << b)) r |= (size_t)1 << (logn - 1 - b);
        if (i < r) { CFN(jac) t = a[i]; a[i] = a[r]; a[r] = t; }
    }
    (void)nthreads;
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len >> 1, step = n / len, nbf = n / 2;
        long nblocks = (long)((nbf + 63) / 64);
#ifdef ZKGATE_OPENMP
        #pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nblocks > 1)
#endif
        for (long b = 0; b < nblocks; b++) {
            size_t t0 = (size_t)b * 64, m = nbf - t0 < 64 ? nbf - t0 : 64, cnt = 0;
            CFN(jac) v[64], *ptr[64];
            const uint64_t *kp[64];
            for (size_t q = 0; q < m; q++) {
                size_t t = t0 + q, blk = t / half, j = t % half;
                v[q] = a[blk * len + j + half];
                if (j) { ptr[cnt] = &v[q]; kp[cnt] = roots + 4 * (j * step); cnt++; }
            }
            CFN(cz_mul_many)(ptr, kp, cnt);
            for (size_t q = 0; q < m; q++) {
                size_t t = t0 + q, blk = t / half, j = t % half;
                size_t i0 = blk * len + j, i1 = i0 + half;
                CFN(jac) u = a[i0];
                CFN(jac_add)(&a[i0], &u, &v[q]);
                CFN(jac_neg)(&v[q], &v[q]);
                CFN(jac_add)(&a[i1], &u, &v[q]);
            }
        }
    }
}

/* Lagrange basis from powers: out = (1/n) * DFT_{w^-1}(pts) (affine in/out). inv_roots[i] =
 * w^-i (plain) for i < n/2; ninv = 1/n (plain). */
static int CFN(cz_lagrange)(uint64_t *out, const uint64_t *pts, size_t n, const uint64_t *inv_roots,
                            const uint64_t *ninv, int nthreads) {
    CFN(jac) *a = (CFN(jac) *)malloc((n ? n : 1) * sizeof(CFN(jac)));
    if (!a) return -1;
    for (size_t i = 0; i < n; i++) CFN(jac_from_aff)(&a[i], pts + i * CW);
    CFN(cz_fft)(a, n, inv_roots, nthreads);
    CFN(cz_mul_in_place)(a, ninv, 0, n, nthreads);
    int rc = CFN(cz_to_aff)(out, a, n, nthreads);
    free(a);
    return rc;
}

#undef CFN
#undef CF
#undef CW
