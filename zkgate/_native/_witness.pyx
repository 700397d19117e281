# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled witness solving and R1CS checking for zkgate.circuits (see circuit_solver.h).

Pure-Python twins live in zkgate/circuits/solver.py and zkgate/circuits/r1cs.py.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t

cnp.import_array()

cdef extern from "circuit_solver.h" nogil:
    int64_t zkc_run_program(int64_t n_ops, const uint8_t *kind, const uint32_t *out,
                            const int64_t *arg, const int64_t *aux,
                            const int64_t *off, const uint32_t *wires, const uint32_t *cidx,
                            const int64_t *poff, const uint32_t *pwires, const uint32_t *pcidx,
                            const uint64_t *coeffs, uint64_t *W, int64_t start)
    int64_t zkc_r1cs_encode(uint8_t *dst, int64_t n_lc, const int64_t *off, const uint32_t *wires,
                            const uint32_t *cidx, const uint64_t *coeffs_plain)
    int64_t zkc_r1cs_scan(const uint8_t *src, int64_t len, int64_t n_lc, int64_t *off)
    void zkc_r1cs_extract(const uint8_t *src, int64_t n_lc, const int64_t *off, uint32_t *wires,
                          uint64_t *coeffs)
    int64_t zkc_check(int64_t m, const int64_t *off, const uint32_t *wires, const uint32_t *cidx,
                      const uint64_t *coeffs, const uint64_t *W)


cdef const uint32_t *_u32(const uint32_t[::1] a):
    return &a[0] if a.shape[0] else NULL


def run_program(const uint8_t[::1] kind, const uint32_t[::1] out, const int64_t[::1] arg,
                const int64_t[::1] aux, const int64_t[::1] off, const uint32_t[::1] wires,
                const uint32_t[::1] cidx, const int64_t[::1] poff, const uint32_t[::1] pwires,
                const uint32_t[::1] pcidx, const uint64_t[:, ::1] coeffs, uint64_t[:, ::1] W,
                int64_t start):
    """Run witness steps from ``start``; returns the index of the next HINT step or n_ops."""
    cdef int64_t n = kind.shape[0], r
    if n == 0 or start >= n:
        return n
    cdef const uint32_t *wp = _u32(wires)
    cdef const uint32_t *cp = _u32(cidx)
    cdef const uint32_t *pwp = _u32(pwires)
    cdef const uint32_t *pcp = _u32(pcidx)
    with nogil:
        r = zkc_run_program(n, &kind[0], &out[0], &arg[0], &aux[0], &off[0], wp, cp,
                            &poff[0], pwp, pcp, &coeffs[0, 0], &W[0, 0], start)
    return r


def check_r1cs(const int64_t[::1] off, const uint32_t[::1] wires, const uint32_t[::1] cidx,
               const uint64_t[:, ::1] coeffs, const uint64_t[:, ::1] W):
    """Index of the first unsatisfied constraint, or -1 (witness in Montgomery form)."""
    cdef int64_t m = (off.shape[0] - 1) // 3, r
    if m == 0:
        return -1
    cdef const uint32_t *wp = _u32(wires)
    cdef const uint32_t *cp = _u32(cidx)
    with nogil:
        r = zkc_check(m, &off[0], wp, cp, &coeffs[0, 0], &W[0, 0])
    return r


def r1cs_encode(const int64_t[::1] off, const uint32_t[::1] wires, const uint32_t[::1] cidx,
                const uint64_t[:, ::1] coeffs_plain):
    """The body of an iden3 constraints section (LC count + (wire u32, coeff 32 B) terms)."""
    cdef int64_t n_lc = off.shape[0] - 1
    cdef int64_t nnz = wires.shape[0]
    out = np.empty(4 * n_lc + 36 * nnz, dtype=np.uint8)
    cdef uint8_t[::1] o = out
    cdef const uint32_t *wp = _u32(wires)
    cdef const uint32_t *cp = _u32(cidx)
    cdef const uint64_t *kp = &coeffs_plain[0, 0] if coeffs_plain.shape[0] else NULL
    if n_lc == 0:
        return out
    with nogil:
        zkc_r1cs_encode(&o[0], n_lc, &off[0], wp, cp, kp)
    return out


def r1cs_decode(const uint8_t[::1] src, int64_t n_lc):
    """Parse ``n_lc`` LCs: returns (offsets int64, wires uint32, coeffs (nnz,4) uint64, end)
    or None when the data is too short."""
    off = np.zeros(n_lc + 1, dtype=np.int64)
    cdef int64_t[::1] o = off
    cdef int64_t end
    cdef const uint8_t *sp = &src[0] if src.shape[0] else NULL
    if n_lc == 0:
        return off, np.zeros(0, np.uint32), np.zeros((0, 4), np.uint64), 0
    if sp == NULL:
        return None
    with nogil:
        end = zkc_r1cs_scan(sp, src.shape[0], n_lc, &o[0])
    if end < 0:
        return None
    nnz = int(off[n_lc])
    wires = np.empty(nnz, dtype=np.uint32)
    coeffs = np.empty((nnz, 4), dtype=np.uint64)
    cdef uint32_t[::1] wv = wires
    cdef uint64_t[:, ::1] cv = coeffs
    if nnz:
        with nogil:
            zkc_r1cs_extract(sp, n_lc, &o[0], &wv[0], &cv[0, 0])
    return off, wires, coeffs, end
