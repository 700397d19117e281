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

/* out[j] = sum_{e in [off[j], off[j+1])} scal[e] * bases[idx[e]]  (affine rows out). */
static int CFN(cz_sparse_sums)(uint64_t *out, const uint64_t *bases, const int64_t *off,
                               const int64_t *idx, const uint64_t *scal, size_t nout, int nthreads) {
    CFN(jac) *acc = (CFN(jac) *)malloc((nout ? nout : 1) * sizeof(CFN(jac)));
    if (!acc) return -1;
    static const uint64_t HALF[4] = {0xa1f0fac9f8000001ULL, 0x9419f4243cdcb848ULL, 0xdc2822db40c0ac2eULL, 0x183227397098d014ULL};
    (void)nthreads;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads)
#endif
    for (long j = 0; j < (long)nout; j++) {
        CFN(jac) s, t;
        CFN(jac_set_inf)(&s);
        for (int64_t e = off[j]; e < off[j + 1]; e++) {
            const uint64_t *k = scal + 4 * e;
            const uint64_t *b = bases + (size_t)idx[e] * CW;
            uint64_t kk[4];
            int neg = 0;
            if (zk_geq4(k, HALF)) { /* use r - k and negate the point */
                uint64_t br = 0;
                for (int l = 0; l < 4; l++) kk[l] = zk_sbb(FR_P[l], k[l], &br);
                neg = 1;
            } else memcpy(kk, k, 32);
            if (kk[0] == 1 && !kk[1] && !kk[2] && !kk[3]) { CFN(jac_madd)(&s, &s, b, neg); continue; }
            CFN(cz_mul_aff)(&t, b, kk, neg);
            CFN(jac_add)(&s, &s, &t);
        }
        acc[j] = s;
    }
    int rc = CFN(cz_to_aff)(out, acc, nout, nthreads);
    free(acc);
    return rc;
}

/* out[i] = [scal[i]] pts[i] (affine in, affine out; out may alias pts). */
static int CFN(cz_scale)(uint64_t *out, const uint64_t *pts, const uint64_t *scal, size_t n, int nthreads) {
    CFN(jac) *acc = (CFN(jac) *)malloc((n ? n : 1) * sizeof(CFN(jac)));
    if (!acc) return -1;
    (void)nthreads;
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 256) num_threads(nthreads)
#endif
    for (long i = 0; i < (long)n; i++) {
        CFN(jac) p;
        CFN(jac_from_aff)(&p, pts + (size_t)i * CW);
        CFN(cz_mul_jac)(&acc[i], &p, scal + 4 * i);
    }
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
        size_t half = len >> 1, step = n / len;
#ifdef ZKGATE_OPENMP
        #pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads) if (n >= 64)
#endif
        for (long t = 0; t < (long)(n / 2); t++) {
            size_t blk = (size_t)t / half, j = (size_t)t % half;
            size_t i0 = blk * len + j, i1 = i0 + half;
            CFN(jac) u = a[i0], v;
            if (j == 0) v = a[i1];
            else CFN(cz_mul_jac)(&v, &a[i1], roots + 4 * (j * step));
            CFN(jac_add)(&a[i0], &u, &v);
            CFN(jac_neg)(&v, &v);
            CFN(jac_add)(&a[i1], &u, &v);
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
#ifdef ZKGATE_OPENMP
    #pragma omp parallel for schedule(dynamic, 256) num_threads(nthreads)
#endif
    for (long i = 0; i < (long)n; i++) CFN(cz_mul_jac)(&a[i], &a[i], ninv);
    int rc = CFN(cz_to_aff)(out, a, n, nthreads);
    free(a);
    return rc;
}

#undef CFN
#undef CF
#undef CW
