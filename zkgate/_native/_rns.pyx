# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native RNS kernels of the HE key committee (``zkgate.kernels.rns`` is the facade).

SEAL's negacyclic NTT per prime (Cooley-Tukey over the powers of the minimal primitive 2n-th
root in bit-reversed order, output bit-reversed) and its inverse (Gentleman-Sande), on
``(k, n)`` uint64 arrays with one row per prime, plus element-wise products.  Twiddle
products use Shoup's precomputed quotients (``w' = floor(w * 2^64 / p)``); general products
a 128-bit remainder.  Every result is fully reduced, so it equals the numpy twin bit for bit.
Not constant-time.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t

cnp.import_array()

cdef extern from *:
    """
    #include <stdint.h>
    typedef unsigned __int128 zk_u128;
    static inline uint64_t zk_shoup(uint64_t x, uint64_t w, uint64_t wq, uint64_t p) {
        uint64_t q = (uint64_t)(((zk_u128)x * wq) >> 64);
        uint64_t r = x * w - q * p;
        return r >= p ? r - p : r;
    }
    static inline uint64_t zk_mulmod(uint64_t a, uint64_t b, uint64_t p) {
        return (uint64_t)(((zk_u128)a * b) % p);
    }
    static inline uint64_t zk_shoup_quotient(uint64_t w, uint64_t p) {
        return (uint64_t)(((zk_u128)w << 64) / p);
    }
    static void zk_ntt_forward(uint64_t *v, const uint64_t *roots, const uint64_t *roots_q,
                               uint64_t p, size_t n) {
        size_t m, gap = n >> 1, i, j;
        for (m = 1; m < n; m <<= 1, gap >>= 1) {
            for (i = 0; i < m; i++) {
                uint64_t w = roots[m + i], wq = roots_q[m + i];
                uint64_t *x = v + 2 * i * gap, *y = x + gap;
                for (j = 0; j < gap; j++) {
                    uint64_t u = x[j];
                    uint64_t t = zk_shoup(y[j], w, wq, p);
                    uint64_t s = u + t;
                    x[j] = s >= p ? s - p : s;
                    y[j] = u >= t ? u - t : u + p - t;
                }
            }
        }
    }
    static void zk_ntt_inverse(uint64_t *v, const uint64_t *iroots, const uint64_t *iroots_q,
                               uint64_t p, size_t n, uint64_t n_inv, uint64_t n_inv_q) {
        size_t m, gap = 1, i, j;
        for (m = n >> 1; m >= 1; m >>= 1, gap <<= 1) {
            for (i = 0; i < m; i++) {
                uint64_t w = iroots[m + i], wq = iroots_q[m + i];
                uint64_t *x = v + 2 * i * gap, *y = x + gap;
                for (j = 0; j < gap; j++) {
                    uint64_t a = x[j], b = y[j];
                    uint64_t s = a + b;
                    x[j] = s >= p ? s - p : s;
                    y[j] = zk_shoup(a >= b ? a - b : a + p - b, w, wq, p);
                }
            }
        }
        for (j = 0; j < n; j++) v[j] = zk_shoup(v[j], n_inv, n_inv_q, p);
    }
    """
    uint64_t zk_mulmod(uint64_t a, uint64_t b, uint64_t p) nogil
    uint64_t zk_shoup_quotient(uint64_t w, uint64_t p) nogil
    void zk_ntt_forward(uint64_t *v, const uint64_t *roots, const uint64_t *roots_q, uint64_t p, size_t n) nogil
    void zk_ntt_inverse(uint64_t *v, const uint64_t *iroots, const uint64_t *iroots_q, uint64_t p, size_t n,
                        uint64_t n_inv, uint64_t n_inv_q) nogil


def shoup_quotients(roots, moduli):
    """``floor(w * 2^64 / p)`` for every root ``w`` of row ``j`` (prime ``moduli[j]``)."""
    cdef uint64_t[:, ::1] r = np.ascontiguousarray(roots, dtype=np.uint64).reshape(len(np.asarray(moduli).reshape(-1)), -1)
    cdef uint64_t[::1] p = np.ascontiguousarray(moduli, dtype=np.uint64).reshape(-1)
    out = np.empty((r.shape[0], r.shape[1]), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef Py_ssize_t j, i
    with nogil:
        for j in range(r.shape[0]):
            for i in range(r.shape[1]):
                o[j, i] = zk_shoup_quotient(r[j, i], p[j])
    return out


def ntt_forward(values, roots, roots_q, moduli):
    """A new ``(k, n)`` array: the forward NTT of each row modulo its prime (entries reduced)."""
    out = np.array(values, dtype=np.uint64, order="C", copy=True)
    cdef uint64_t[:, ::1] v = out
    cdef const uint64_t[:, ::1] r = np.ascontiguousarray(roots, dtype=np.uint64)
    cdef const uint64_t[:, ::1] rq = np.ascontiguousarray(roots_q, dtype=np.uint64)
    cdef const uint64_t[::1] p = np.ascontiguousarray(moduli, dtype=np.uint64).reshape(-1)
    cdef Py_ssize_t j, k = v.shape[0], n = v.shape[1]
    if r.shape[0] != k or r.shape[1] != n or rq.shape[0] != k or rq.shape[1] != n or p.shape[0] != k:
        raise ValueError("ntt_forward: shapes of values, roots and moduli differ")
    with nogil:
        for j in range(k):
            zk_ntt_forward(&v[j, 0], &r[j, 0], &rq[j, 0], p[j], n)
    return out


def ntt_inverse(values, iroots, iroots_q, moduli, n_inv, n_inv_q):
    """A new ``(k, n)`` array: the inverse NTT of each row (scaled by n^-1)."""
    out = np.array(values, dtype=np.uint64, order="C", copy=True)
    cdef uint64_t[:, ::1] v = out
    cdef const uint64_t[:, ::1] r = np.ascontiguousarray(iroots, dtype=np.uint64)
    cdef const uint64_t[:, ::1] rq = np.ascontiguousarray(iroots_q, dtype=np.uint64)
    cdef const uint64_t[::1] p = np.ascontiguousarray(moduli, dtype=np.uint64).reshape(-1)
    cdef const uint64_t[::1] ni = np.ascontiguousarray(n_inv, dtype=np.uint64).reshape(-1)
    cdef const uint64_t[::1] niq = np.ascontiguousarray(n_inv_q, dtype=np.uint64).reshape(-1)
    cdef Py_ssize_t j, k = v.shape[0], n = v.shape[1]
    if r.shape[0] != k or r.shape[1] != n or rq.shape[0] != k or rq.shape[1] != n or p.shape[0] != k:
        raise ValueError("ntt_inverse: shapes of values, roots and moduli differ")
    if ni.shape[0] != k or niq.shape[0] != k:
        raise ValueError("ntt_inverse: one n^-1 per prime")
    with nogil:
        for j in range(k):
            zk_ntt_inverse(&v[j, 0], &r[j, 0], &rq[j, 0], p[j], n, ni[j], niq[j])
    return out


def mul(a, b, moduli):
    """Element-wise ``a * b mod p_j`` of two ``(k, n)`` arrays (row j modulo ``moduli[j]``)."""
    cdef const uint64_t[:, ::1] x = np.ascontiguousarray(a, dtype=np.uint64)
    cdef const uint64_t[:, ::1] y = np.ascontiguousarray(b, dtype=np.uint64)
    cdef const uint64_t[::1] p = np.ascontiguousarray(moduli, dtype=np.uint64).reshape(-1)
    cdef Py_ssize_t j, i, k = x.shape[0], n = x.shape[1]
    if y.shape[0] != k or y.shape[1] != n or p.shape[0] != k:
        raise ValueError("mul: shapes differ")
    out = np.empty((k, n), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    with nogil:
        for j in range(k):
            for i in range(n):
                o[j, i] = zk_mulmod(x[j, i], y[j, i], p[j])
    return out
