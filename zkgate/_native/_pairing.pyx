# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native optimal-ate pairing on BN254 (see pairing.h).

Arrays are contiguous numpy ``uint64`` rows in Montgomery form: G1 affine rows have 8 limbs,
G2 affine rows 16 (x.c0, x.c1, y.c0, y.c1), Fq12 elements 48 limbs in the tower order of
:mod:`zkgate.bn254.tower` (c0.a0.c0, c0.a0.c1, c0.a1.c0, ..., c1.a2.c1).  A prepared G2
point is a row of ``PREPARED_LIMBS`` limbs: the line coefficients of every Miller-loop step.
Inputs are trusted (validate points first); points at infinity are not accepted where a
finite point is documented.  Not constant-time.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t, uint8_t
from cython.parallel cimport prange

cnp.import_array()

cdef extern from "pairing.h" nogil:
    int PR_PREPARED_LIMBS
    int ATE_STEPS
    void zk_g2_prepare(uint64_t *coeffs, const uint64_t *q)
    void zk_miller_multi(uint64_t *f, const uint64_t *p, const uint64_t *coeffs, size_t stride, size_t m)
    void zk_final_exp(uint64_t *o, const uint64_t *f)
    int zk_g2_in_subgroup_fast(const uint64_t *q)
    int zk_batch_pairing_check(const uint64_t *a, const uint64_t *b, const uint64_t *w, size_t k,
                               const uint64_t *extra_p, const uint64_t *extra_coeffs, size_t ne,
                               int nthreads)
    void fq12_mul(uint64_t *o, const uint64_t *a, const uint64_t *b)
    void fq12_sqr(uint64_t *o, const uint64_t *a)
    void fq12_inv(uint64_t *o, const uint64_t *a)
    void fq12_frob(uint64_t *o, const uint64_t *a, int j)
    void fq12_cyclo_sqr(uint64_t *o, const uint64_t *a)
    void fq12_cyclo_exp_x(uint64_t *o, const uint64_t *a)
    int fq12_is_one(const uint64_t *a)
    int fq12_eq(const uint64_t *a, const uint64_t *b)
    int g2_aff_is_inf(const uint64_t *a)
    int g1_aff_is_inf(const uint64_t *a)
    int g2_aff_on_curve(const uint64_t *a)

PREPARED_LIMBS = PR_PREPARED_LIMBS
STEPS = ATE_STEPS


cdef const uint64_t[:, ::1] _rows(arr, int width):
    a = np.ascontiguousarray(arr, dtype=np.uint64)
    if a.ndim != 2 or a.shape[1] != width:
        a = a.reshape(-1, width)
    return a


cdef const uint64_t[::1] _fq12(arr):
    a = np.ascontiguousarray(arr, dtype=np.uint64).reshape(-1)
    if a.shape[0] != 48:
        raise ValueError("an Fq12 element has 48 limbs")
    return a


def prepare_g2(rows):
    """Line coefficients of finite affine G2 rows: ``(n, PREPARED_LIMBS)``."""
    cdef const uint64_t[:, ::1] q = _rows(rows, 16)
    cdef Py_ssize_t n = q.shape[0], i
    for i in range(n):
        if g2_aff_is_inf(&q[i, 0]):
            raise ValueError(f"G2 row {i} is the point at infinity")
    out = np.empty((n, PR_PREPARED_LIMBS), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    with nogil:
        for i in range(n):
            zk_g2_prepare(&o[i, 0], &q[i, 0])
    return out


def miller_loop(p_rows, prepared):
    """prod_i f_i(P_i) for finite G1 rows and prepared G2 rows (one shared accumulator)."""
    cdef const uint64_t[:, ::1] p = _rows(p_rows, 8)
    cdef const uint64_t[:, ::1] c = _rows(prepared, PR_PREPARED_LIMBS)
    if p.shape[0] != c.shape[0]:
        raise ValueError(f"{p.shape[0]} G1 rows but {c.shape[0]} prepared G2 rows")
    cdef Py_ssize_t i
    for i in range(p.shape[0]):
        if g1_aff_is_inf(&p[i, 0]):
            raise ValueError(f"G1 row {i} is the point at infinity")
    out = np.empty(48, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef size_t m = p.shape[0]
    if m == 0:
        out[:] = 0
        from zkgate.bn254.arrays import to_montgomery
        out[:4] = to_montgomery(np.array([[1, 0, 0, 0]], dtype=np.uint64), _Q)[0]
        return out
    with nogil:
        zk_miller_multi(&o[0], &p[0, 0], &c[0, 0], PR_PREPARED_LIMBS, m)
    return out


_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583


def final_exponentiation(f):
    """f^((q^12 - 1) / r)."""
    cdef const uint64_t[::1] a = _fq12(f)
    out = np.empty(48, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    with nogil:
        zk_final_exp(&o[0], &a[0])
    return out


def product_equals(p_rows, prepared, target=None):
    """Whether FE(prod_i f_i(P_i)) equals ``target`` (48 limbs), or one when target is None."""
    cdef const uint64_t[:, ::1] p = _rows(p_rows, 8)
    cdef const uint64_t[:, ::1] c = _rows(prepared, PR_PREPARED_LIMBS)
    cdef const uint64_t[::1] t
    if p.shape[0] != c.shape[0]:
        raise ValueError(f"{p.shape[0]} G1 rows but {c.shape[0]} prepared G2 rows")
    cdef Py_ssize_t i
    for i in range(p.shape[0]):
        if g1_aff_is_inf(&p[i, 0]):
            raise ValueError(f"G1 row {i} is the point at infinity")
    cdef uint64_t f[48]
    cdef uint64_t r[48]
    cdef size_t m = p.shape[0]
    cdef int has_target = target is not None
    if has_target:
        t = _fq12(target)
    with nogil:
        zk_miller_multi(f, &p[0, 0] if m else NULL, &c[0, 0] if m else NULL, PR_PREPARED_LIMBS, m)
        zk_final_exp(r, f)
    if has_target:
        return bool(fq12_eq(r, &t[0]))
    return bool(fq12_is_one(r))


def g2_in_subgroup(rows, int nthreads=1):
    """Boolean per affine G2 row: on the twist and in the order-r subgroup (psi test).
    ``nthreads`` > 1 splits the rows among OpenMP threads."""
    cdef const uint64_t[:, ::1] q = _rows(rows, 16)
    out = np.empty(q.shape[0], dtype=np.bool_)
    cdef cnp.npy_bool[::1] o = out
    cdef Py_ssize_t i, n = q.shape[0]
    if nthreads < 1:
        nthreads = 1
    with nogil:
        for i in prange(n, num_threads=nthreads, schedule="static"):
            o[i] = g2_aff_on_curve(&q[i, 0]) and zk_g2_in_subgroup_fast(&q[i, 0])
    return out


def batch_check(a_rows, b_rows, weights, extra_p, extra_prepared, int nthreads=1):
    """prod_i e(-w_i A_i, B_i) * prod_j e(P_j, Q_j) == 1 (one final exponentiation).

    ``a_rows`` (k, 8), ``b_rows`` (k, 16): finite points; ``weights`` (k, 4): plain nonzero
    scalars; ``extra_p`` (e, 8) G1 rows (infinity rows are skipped) with prepared
    ``extra_prepared`` (e, PREPARED_LIMBS).  Releases the GIL; OpenMP over chunks of pairs.
    """
    cdef const uint64_t[:, ::1] a = _rows(a_rows, 8)
    cdef const uint64_t[:, ::1] b = _rows(b_rows, 16)
    cdef const uint64_t[:, ::1] w = _rows(weights, 4)
    cdef const uint64_t[:, ::1] ep = _rows(extra_p, 8)
    cdef const uint64_t[:, ::1] ec = _rows(extra_prepared, PR_PREPARED_LIMBS)
    cdef size_t k = a.shape[0], ne = ep.shape[0]
    if b.shape[0] != <Py_ssize_t>k or w.shape[0] != <Py_ssize_t>k:
        raise ValueError("A, B and weights differ in length")
    if ec.shape[0] != <Py_ssize_t>ne:
        raise ValueError("extra G1 and prepared G2 rows differ in length")
    cdef Py_ssize_t i
    for i in range(<Py_ssize_t>k):
        if g1_aff_is_inf(&a[i, 0]) or g2_aff_is_inf(&b[i, 0]):
            raise ValueError(f"pair {i} has a point at infinity")
    cdef int rc
    with nogil:
        rc = zk_batch_pairing_check(&a[0, 0] if k else NULL, &b[0, 0] if k else NULL,
                                    &w[0, 0] if k else NULL, k,
                                    &ep[0, 0] if ne else NULL, &ec[0, 0] if ne else NULL, ne,
                                    nthreads)
    if rc < 0:
        raise MemoryError("batch pairing scratch allocation failed")
    return bool(rc)


# -- tower arithmetic, exposed for differential tests -------------------------------------

def fq12_binary(a, b, op):
    cdef const uint64_t[::1] x = _fq12(a)
    cdef const uint64_t[::1] y = _fq12(b)
    out = np.empty(48, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    if op == "mul":
        fq12_mul(&o[0], &x[0], &y[0])
    else:
        raise ValueError(op)
    return out


def fq12_unary(a, op, int j=1):
    cdef const uint64_t[::1] x = _fq12(a)
    out = np.empty(48, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    if op == "sqr":
        fq12_sqr(&o[0], &x[0])
    elif op == "inv":
        fq12_inv(&o[0], &x[0])
    elif op == "frob":
        if j < 1 or j > 3:
            raise ValueError("j must be 1, 2 or 3")
        fq12_frob(&o[0], &x[0], j)
    elif op == "cyclo_sqr":
        fq12_cyclo_sqr(&o[0], &x[0])
    elif op == "exp_x":
        fq12_cyclo_exp_x(&o[0], &x[0])
    else:
        raise ValueError(op)
    return out
