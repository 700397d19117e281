# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native BN254 group arithmetic (G1 over Fq, G2 over Fq2) and multi-scalar multiplication.

Points are rows of contiguous numpy ``uint64`` arrays in Montgomery form: G1 affine rows
have 8 limbs (x, y), G2 affine rows 16 limbs (x.c0, x.c1, y.c0, y.c1) -- the layout of a
snarkjs ``.zkey`` section.  An all-zero row is the point at infinity.  Scalars are rows of
4 plain (non-Montgomery) little-endian limbs, each < r.  Not constant-time.
"""

import os
import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t, int16_t
from libc.string cimport memcpy

cnp.import_array()

cdef extern from "curve.h" nogil:
    ctypedef struct g1_jac:
        uint64_t x[4]
        uint64_t y[4]
        uint64_t z[4]
    ctypedef struct g2_jac:
        uint64_t x[8]
        uint64_t y[8]
        uint64_t z[8]
    int g1_aff_on_curve(const uint64_t *a)
    int g2_aff_on_curve(const uint64_t *a)
    int g2_aff_in_subgroup(const uint64_t *a)
    void g1_jac_from_aff(g1_jac *r, const uint64_t *a)
    void g2_jac_from_aff(g2_jac *r, const uint64_t *a)
    void g1_jac_to_aff(uint64_t *a, const g1_jac *p)
    void g2_jac_to_aff(uint64_t *a, const g2_jac *p)
    void g1_jac_add(g1_jac *r, const g1_jac *p, const g1_jac *q)
    void g2_jac_add(g2_jac *r, const g2_jac *p, const g2_jac *q)
    void g1_jac_madd(g1_jac *r, const g1_jac *p, const uint64_t *a, int negate)
    void g2_jac_madd(g2_jac *r, const g2_jac *p, const uint64_t *a, int negate)
    void g1_jac_dbl(g1_jac *r, const g1_jac *p)
    void g2_jac_dbl(g2_jac *r, const g2_jac *p)
    void g1_jac_mul_scalar(g1_jac *r, const g1_jac *p, const uint64_t *k, int nlimbs)
    void g2_jac_mul_scalar(g2_jac *r, const g2_jac *p, const uint64_t *k, int nlimbs)
    int g1_msm(g1_jac *out, const uint64_t *bases, const uint64_t *scalars, size_t n,
               int nthreads, int mode, int c)
    int g2_msm(g2_jac *out, const uint64_t *bases, const uint64_t *scalars, size_t n,
               int nthreads, int mode, int c)
    int zk_msm_choose_window(size_t n, int nthreads, int batch, int g2)

cdef extern from *:
    """
    #ifdef ZKGATE_OPENMP
    static int zk_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int zk_max_threads(void) { return 1; }
    #endif
    """
    int zk_max_threads() nogil


def default_threads():
    """Threads the kernels use by default (``ZKGATE_THREADS`` or OpenMP's default)."""
    env = os.environ.get("ZKGATE_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return zk_max_threads()


cdef uint64_t[:, ::1] _rows(arr, int width):
    a = np.ascontiguousarray(arr, dtype=np.uint64)
    if a.ndim != 2 or a.shape[1] != width:
        a = a.reshape(-1, width)
    return a


cdef const uint64_t[:, ::1] _const_rows(arr, int width):
    a = np.ascontiguousarray(arr, dtype=np.uint64)
    if a.ndim != 2 or a.shape[1] != width:
        a = a.reshape(-1, width)
    return a


def on_curve(arr, int group):
    """Boolean array: each affine row (group 1 or 2) satisfies the curve equation."""
    cdef int w = 8 if group == 1 else 16
    cdef uint64_t[:, ::1] a = _rows(arr, w)
    out = np.empty(a.shape[0], dtype=np.bool_)
    cdef cnp.npy_bool[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            o[i] = g1_aff_on_curve(&a[i, 0]) if group == 1 else g2_aff_on_curve(&a[i, 0])
    return out


def g2_in_subgroup(arr):
    """Boolean array: each G2 affine row lies in the order-r subgroup ([r]P = O)."""
    cdef uint64_t[:, ::1] a = _rows(arr, 16)
    out = np.empty(a.shape[0], dtype=np.bool_)
    cdef cnp.npy_bool[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            o[i] = g2_aff_in_subgroup(&a[i, 0])
    return out


def add(p_arr, q_arr, int group):
    """Row-wise affine sum p + q (through Jacobian coordinates)."""
    cdef int w = 8 if group == 1 else 16
    cdef uint64_t[:, ::1] p = _rows(p_arr, w)
    cdef uint64_t[:, ::1] q = _rows(q_arr, w)
    if p.shape[0] != q.shape[0]:
        raise ValueError("arrays differ in length")
    out = np.empty((p.shape[0], w), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef g1_jac a1, b1
    cdef g2_jac a2, b2
    cdef Py_ssize_t i
    with nogil:
        for i in range(p.shape[0]):
            if group == 1:
                g1_jac_from_aff(&a1, &p[i, 0]); g1_jac_from_aff(&b1, &q[i, 0])
                g1_jac_add(&a1, &a1, &b1); g1_jac_to_aff(&o[i, 0], &a1)
            else:
                g2_jac_from_aff(&a2, &p[i, 0]); g2_jac_from_aff(&b2, &q[i, 0])
                g2_jac_add(&a2, &a2, &b2); g2_jac_to_aff(&o[i, 0], &a2)
    return out


def madd(p_arr, q_arr, int group, bint negate=False):
    """Row-wise p + (+/-q) through the mixed Jacobian + affine formula."""
    cdef int w = 8 if group == 1 else 16
    cdef uint64_t[:, ::1] p = _rows(p_arr, w)
    cdef uint64_t[:, ::1] q = _rows(q_arr, w)
    if p.shape[0] != q.shape[0]:
        raise ValueError("arrays differ in length")
    out = np.empty((p.shape[0], w), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef g1_jac a1
    cdef g2_jac a2
    cdef Py_ssize_t i
    with nogil:
        for i in range(p.shape[0]):
            if group == 1:
                g1_jac_from_aff(&a1, &p[i, 0]); g1_jac_madd(&a1, &a1, &q[i, 0], negate)
                g1_jac_to_aff(&o[i, 0], &a1)
            else:
                g2_jac_from_aff(&a2, &p[i, 0]); g2_jac_madd(&a2, &a2, &q[i, 0], negate)
                g2_jac_to_aff(&o[i, 0], &a2)
    return out


def double(p_arr, int group):
    """Row-wise affine 2p."""
    cdef int w = 8 if group == 1 else 16
    cdef uint64_t[:, ::1] p = _rows(p_arr, w)
    out = np.empty((p.shape[0], w), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef g1_jac a1
    cdef g2_jac a2
    cdef Py_ssize_t i
    with nogil:
        for i in range(p.shape[0]):
            if group == 1:
                g1_jac_from_aff(&a1, &p[i, 0]); g1_jac_dbl(&a1, &a1); g1_jac_to_aff(&o[i, 0], &a1)
            else:
                g2_jac_from_aff(&a2, &p[i, 0]); g2_jac_dbl(&a2, &a2); g2_jac_to_aff(&o[i, 0], &a2)
    return out


def mul_scalar(p_arr, k_arr, int group):
    """Row-wise [k_i] p_i for plain 4-limb scalars (double-and-add)."""
    cdef int w = 8 if group == 1 else 16
    cdef uint64_t[:, ::1] p = _rows(p_arr, w)
    cdef uint64_t[:, ::1] k = _rows(k_arr, 4)
    if p.shape[0] != k.shape[0]:
        raise ValueError("arrays differ in length")
    out = np.empty((p.shape[0], w), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef g1_jac a1
    cdef g2_jac a2
    cdef Py_ssize_t i
    with nogil:
        for i in range(p.shape[0]):
            if group == 1:
                g1_jac_from_aff(&a1, &p[i, 0]); g1_jac_mul_scalar(&a1, &a1, &k[i, 0], 4)
                g1_jac_to_aff(&o[i, 0], &a1)
            else:
                g2_jac_from_aff(&a2, &p[i, 0]); g2_jac_mul_scalar(&a2, &a2, &k[i, 0], 4)
                g2_jac_to_aff(&o[i, 0], &a2)
    return out


def msm(bases, scalars, int group, int nthreads=0, int mode=0, int window=0):
    """sum_i scalars[i] * bases[i] as one affine row (Montgomery form; zeros = infinity).

    ``bases``: ``(n, 8)`` (G1) or ``(n, 16)`` (G2) uint64; ``scalars``: ``(n, 4)`` plain
    uint64 limbs, each < r (not checked here).  ``mode``: 0 automatic, 1 Jacobian buckets,
    2 batch-affine buckets; ``window``: 0 to choose from n.  Releases the GIL.
    """
    cdef int w = 8 if group == 1 else 16
    # const views: bases may be read-only (a memory-mapped .zkey section)
    cdef const uint64_t[:, ::1] b = _const_rows(bases, w)
    cdef const uint64_t[:, ::1] s = _const_rows(scalars, 4)
    if b.shape[0] != s.shape[0]:
        raise ValueError(f"{b.shape[0]} bases but {s.shape[0]} scalars")
    if window < 0 or window > 16 or window == 1:
        raise ValueError("window must be 0 (automatic) or in [2, 16]")
    if nthreads <= 0:
        nthreads = default_threads()
    out = np.zeros(w, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef size_t n = b.shape[0]
    cdef g1_jac r1
    cdef g2_jac r2
    cdef int rc = 0
    if n == 0:
        return out
    with nogil:
        if group == 1:
            rc = g1_msm(&r1, &b[0, 0], &s[0, 0], n, nthreads, mode, window)
            if rc == 0:
                g1_jac_to_aff(&o[0], &r1)
        else:
            rc = g2_msm(&r2, &b[0, 0], &s[0, 0], n, nthreads, mode, window)
            if rc == 0:
                g2_jac_to_aff(&o[0], &r2)
    if rc != 0:
        raise MemoryError("MSM scratch allocation failed")
    return out


def choose_window(size_t n, int nthreads=0, bint batch=True, bint g2=False):
    """The window size the MSM picks for n points."""
    if nthreads <= 0:
        nthreads = default_threads()
    return zk_msm_choose_window(n, nthreads, batch, g2)


cdef extern from "field_ifma.h" nogil:
    """
    #ifdef ZK_HAVE_IFMA
    /* test hook: row-wise op on 8-lane vectors; op 0 mul, 1 sub, 2 neg; field 0 Fr, 1 Fq */
    ZK_VTF void zk_ifma_rows(uint64_t *o, const uint64_t *a, const uint64_t *b, size_t n, int field, int op) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t ta[32] = {0}, tb[32] = {0}, to[32];
            size_t k = n - i < 8 ? n - i : 8;
            memcpy(ta, a + 4 * i, 32 * k); memcpy(tb, b + 4 * i, 32 * k);
            zkv A, B, C;
            zkv_set_lanes(&A, ta); zkv_set_lanes(&B, tb);
            const uint64_t *P52 = field ? ZKV_FQ_P52 : ZKV_FR_P52;
            if (op == 0) zkv_mul_p(&C, &A, &B, P52, field ? FQ_INV : FR_INV);
            else if (op == 1) zkv_sub_p(&C, &A, &B, P52);
            else zkv_cneg_p(&C, &A, 0xff, P52);
            uint64_t *po[8];
            for (int l = 0; l < 8; l++) po[l] = to + 4 * l;
            zkv_store8(&C, po, 0xff);
            memcpy(o + 4 * i, to, 32 * k);
        }
    }
    static int zk_ifma_active(void) { return zk_cpu_has_ifma; }
    #else
    static void zk_ifma_rows(uint64_t *o, const uint64_t *a, const uint64_t *b, size_t n, int field, int op) {}
    static int zk_ifma_active(void) { return 0; }
    #endif
    """
    void zk_ifma_rows(uint64_t *o, const uint64_t *a, const uint64_t *b, size_t n, int field, int op)
    int zk_ifma_active()


def has_ifma():
    """True when the AVX-512 IFMA kernels are in use (CPU support, ZKGATE_NO_IFMA unset)."""
    return bool(zk_ifma_active())


def ifma_rows(a_arr, b_arr, int field, int op):
    """Test hook: row-wise Montgomery op on the 8-lane IFMA code (op 0 mul, 1 sub, 2 neg;
    field 0 Fr, 1 Fq).  Inputs reduced, Montgomery form.  Requires has_ifma()."""
    if not zk_ifma_active():
        raise RuntimeError("IFMA kernels not active")
    cdef uint64_t[:, ::1] a = _rows(a_arr, 4)
    cdef uint64_t[:, ::1] b = _rows(b_arr, 4)
    if a.shape[0] != b.shape[0]:
        raise ValueError("arrays differ in length")
    out = np.zeros((a.shape[0], 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    if a.shape[0]:
        with nogil:
            zk_ifma_rows(&o[0, 0], &a[0, 0], &b[0, 0], a.shape[0], field, op)
    return out
