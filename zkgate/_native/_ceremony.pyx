# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native kernels of the trusted setup (zkgate.prover.setup, .ceremony, .ptau).

Points are affine rows in the ``.zkey`` / ``.ptau`` layout (Montgomery form, zeros =
infinity): 8 limbs for G1 (``group=1``), 16 for G2 (``group=2``).  Scalars are plain
little-endian 4-limb rows below r.  Every function releases the GIL and uses
``ZKGATE_THREADS`` threads (OpenMP).  Not constant-time: run ceremonies on your own machine.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t, int64_t

from zkgate._native._curve import default_threads

cnp.import_array()

cdef extern from "ceremony.h" nogil:
    int g1_cz_sparse_sums(uint64_t *out, const uint64_t *bases, const int64_t *off,
                          const int64_t *idx, const uint64_t *scal, size_t nout, int nthreads)
    int g2_cz_sparse_sums(uint64_t *out, const uint64_t *bases, const int64_t *off,
                          const int64_t *idx, const uint64_t *scal, size_t nout, int nthreads)
    int g1_cz_scale(uint64_t *out, const uint64_t *pts, const uint64_t *scal, size_t n, int nthreads)
    int g2_cz_scale(uint64_t *out, const uint64_t *pts, const uint64_t *scal, size_t n, int nthreads)
    int g1_cz_lagrange(uint64_t *out, const uint64_t *pts, size_t n, const uint64_t *inv_roots,
                       const uint64_t *ninv, int nthreads)
    int g2_cz_lagrange(uint64_t *out, const uint64_t *pts, size_t n, const uint64_t *inv_roots,
                       const uint64_t *ninv, int nthreads)
    void cz_geometric(uint64_t *out, const uint64_t *first, const uint64_t *inc, size_t n)


cdef int _width(int group) except -1:
    if group == 1:
        return 8
    if group == 2:
        return 16
    raise ValueError("group must be 1 or 2")


def _rows(arr, int width):
    a = np.ascontiguousarray(arr, dtype=np.uint64)
    return a.reshape(-1, width)


def sparse_sums(bases, offsets, indices, scalars, int group, int nthreads=0):
    """``out[j] = sum(scalars[e] * bases[indices[e]] for e in offsets[j]:offsets[j+1])``."""
    cdef int w = _width(group)
    cdef const uint64_t[:, ::1] b = _rows(bases, w)
    cdef const int64_t[::1] off = np.ascontiguousarray(offsets, dtype=np.int64)
    cdef const int64_t[::1] idx = np.ascontiguousarray(indices, dtype=np.int64)
    cdef const uint64_t[:, ::1] s = _rows(scalars, 4)
    cdef size_t nout = off.shape[0] - 1
    if idx.shape[0] != s.shape[0] or (off.shape[0] and off[nout] != idx.shape[0]):
        raise ValueError("offsets, indices and scalars disagree")
    if idx.shape[0] and (np.asarray(idx).min() < 0 or np.asarray(idx).max() >= b.shape[0]):
        raise ValueError("base index out of range")
    out = np.zeros((nout, w), dtype=np.uint64)
    if nout == 0:
        return out
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t *bp = &b[0, 0] if b.shape[0] else NULL
    cdef const int64_t *ip = &idx[0] if idx.shape[0] else NULL
    cdef const uint64_t *sp = &s[0, 0] if s.shape[0] else NULL
    if nthreads <= 0:
        nthreads = default_threads()
    cdef int rc
    with nogil:
        if group == 1:
            rc = g1_cz_sparse_sums(&o[0, 0], bp, &off[0], ip, sp, nout, nthreads)
        else:
            rc = g2_cz_sparse_sums(&o[0, 0], bp, &off[0], ip, sp, nout, nthreads)
    if rc:
        raise MemoryError("sparse_sums: allocation failed")
    return out


def scale(points, scalars, int group, int nthreads=0):
    """Row-wise ``[scalars[i]] points[i]`` (affine out)."""
    cdef int w = _width(group)
    cdef const uint64_t[:, ::1] p = _rows(points, w)
    cdef const uint64_t[:, ::1] s = _rows(scalars, 4)
    if p.shape[0] != s.shape[0]:
        raise ValueError(f"{p.shape[0]} points but {s.shape[0]} scalars")
    out = np.zeros((p.shape[0], w), dtype=np.uint64)
    if p.shape[0] == 0:
        return out
    cdef uint64_t[:, ::1] o = out
    if nthreads <= 0:
        nthreads = default_threads()
    cdef int rc
    with nogil:
        if group == 1:
            rc = g1_cz_scale(&o[0, 0], &p[0, 0], &s[0, 0], p.shape[0], nthreads)
        else:
            rc = g2_cz_scale(&o[0, 0], &p[0, 0], &s[0, 0], p.shape[0], nthreads)
    if rc:
        raise MemoryError("scale: allocation failed")
    return out


def geometric(first, inc, Py_ssize_t n):
    """``first * inc**i mod r`` for i < n as plain ``(n, 4)`` rows (first, inc: ints < r)."""
    f = np.frombuffer(int(first).to_bytes(32, "little"), dtype="<u8").astype(np.uint64)
    g = np.frombuffer(int(inc).to_bytes(32, "little"), dtype="<u8").astype(np.uint64)
    cdef uint64_t[::1] fv = f
    cdef uint64_t[::1] gv = g
    out = np.zeros((n, 4), dtype=np.uint64)
    if n == 0:
        return out
    cdef uint64_t[:, ::1] o = out
    with nogil:
        cz_geometric(&o[0, 0], &fv[0], &gv[0], n)
    return out


def lagrange(points, inv_roots, ninv, int group, int nthreads=0):
    """The Lagrange-basis points ``(1/n) sum_j w^(-ij) points[j]`` (n = len(points))."""
    cdef int w = _width(group)
    cdef const uint64_t[:, ::1] p = _rows(points, w)
    cdef Py_ssize_t n = p.shape[0]
    if n == 0 or n & (n - 1):
        raise ValueError("size must be a power of two")
    cdef const uint64_t[:, ::1] r = _rows(inv_roots, 4)
    if r.shape[0] < max(n // 2, 1):
        raise ValueError("need n/2 roots")
    k = np.frombuffer(int(ninv).to_bytes(32, "little"), dtype="<u8").astype(np.uint64)
    cdef uint64_t[::1] kv = k
    out = np.zeros((n, w), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    if nthreads <= 0:
        nthreads = default_threads()
    cdef int rc
    with nogil:
        if group == 1:
            rc = g1_cz_lagrange(&o[0, 0], &p[0, 0], n, &r[0, 0], &kv[0], nthreads)
        else:
            rc = g2_cz_lagrange(&o[0, 0], &p[0, 0], n, &r[0, 0], &kv[0], nthreads)
    if rc:
        raise MemoryError("lagrange: allocation failed")
    return out


cdef extern from "blake2b.h" nogil:
    void zk_blake2b_compress(uint64_t *h, const unsigned char *block, uint64_t counter_lo, uint64_t counter_hi, int last)
    void zk_blake2b_blocks(uint64_t *h, const unsigned char *data, size_t nblocks, uint64_t *length)


def blake2b_compress(h, block, counter, bint last):
    """BLAKE2b's F on one 128-byte block: returns the new h (8 ints)."""
    cdef uint64_t hv[8]
    cdef const unsigned char[::1] b = memoryview(block).cast("B")
    if b.shape[0] != 128:
        raise ValueError("a BLAKE2b block is 128 bytes")
    for i in range(8):
        hv[i] = h[i]
    cdef uint64_t lo = counter & 0xFFFFFFFFFFFFFFFF
    cdef uint64_t hi = counter >> 64
    zk_blake2b_compress(hv, &b[0], lo, hi, last)
    return [hv[i] for i in range(8)]


def blake2b_blocks(h, data, uint64_t length):
    """Compress every whole 128-byte block of ``data`` (none is the last one), the counter
    advancing from ``length``; returns (h, length)."""
    cdef uint64_t hv[8]
    cdef const unsigned char[::1] b = memoryview(data).cast("B")
    cdef size_t n = b.shape[0] // 128
    cdef uint64_t cur = length
    for i in range(8):
        hv[i] = h[i]
    if n:
        with nogil:
            zk_blake2b_blocks(hv, &b[0], n, &cur)
    return [hv[i] for i in range(8)], cur
