# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native NTT over BN254's Fr, in place on ``(n, 4)`` uint64 arrays in Montgomery form."""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t

cnp.import_array()

cdef extern from "ntt.h" nogil:
    void fr_ntt(uint64_t *a, int logn, int inverse, const uint64_t *shift, int nthreads)

MAX_LOG = 28


def ntt_inplace(arr, bint inverse=False, shift=None, int nthreads=1):
    """Transform ``arr`` (C-contiguous, writable, ``(2^k, 4)`` uint64, Montgomery) in place.

    ``shift``: None, or a ``(4,)`` uint64 Montgomery coset generator g: the forward transform
    evaluates on g*H (inputs scaled by g^j first), the inverse one undoes that.
    """
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint64 or arr.ndim != 2 \
            or arr.shape[1] != 4 or not arr.flags.c_contiguous or not arr.flags.writeable:
        raise TypeError("expected a writable C-contiguous (n, 4) uint64 array")
    cdef Py_ssize_t n = arr.shape[0]
    if n == 0 or (n & (n - 1)) != 0:
        raise ValueError(f"NTT size must be a power of two, got {n}")
    cdef int logn = n.bit_length() - 1
    if logn > MAX_LOG:
        raise ValueError(f"NTT size 2^{logn} exceeds Fr's two-adicity 2^{MAX_LOG}")
    cdef uint64_t[:, ::1] a = arr
    cdef uint64_t g[4]
    cdef const uint64_t *gp = NULL
    cdef uint64_t[::1] sv
    if shift is not None:
        sv = np.ascontiguousarray(shift, dtype=np.uint64).reshape(4)
        g[0] = sv[0]; g[1] = sv[1]; g[2] = sv[2]; g[3] = sv[3]
        gp = g
    if nthreads < 1:
        nthreads = 1
    with nogil:
        fr_ntt(&a[0, 0], logn, inverse, gp, nthreads)
    return arr
