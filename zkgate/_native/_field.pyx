# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native BN254 field kernels (Fr and Fq, Montgomery form on 4x64-bit limbs).

Arrays are contiguous numpy ``uint64`` buffers of shape ``(n, 4)``: one row per element,
little-endian limbs.  That is exactly the byte layout of a 32-byte little-endian field
element in snarkjs files, so a file section maps onto an array with ``np.frombuffer``.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t

cnp.import_array()

cdef extern from "field.h" nogil:
    void fr_add(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_sub(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_mul(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_to_mont(uint64_t *out, const uint64_t *a)
    void fr_from_mont(uint64_t *out, const uint64_t *a)
    void fr_inv(uint64_t *out, const uint64_t *a)
    void fr_batch_inv(uint64_t *out, const uint64_t *a, uint64_t *scratch, long n)
    void fq_add(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_sub(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_mul(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_to_mont(uint64_t *out, const uint64_t *a)
    void fq_from_mont(uint64_t *out, const uint64_t *a)
    void fq_inv(uint64_t *out, const uint64_t *a)
    int zk_geq4(const uint64_t *a, const uint64_t *p)
    const uint64_t FR_P[4]
    const uint64_t FQ_P[4]

MASK64 = (1 << 64) - 1


def ints_to_limbs(values):
    """Pack Python ints (each < 2^256) into an ``(n, 4)`` uint64 array."""
    cdef Py_ssize_t n = len(values), i
    out = np.empty((n, 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] view = out
    for i in range(n):
        v = values[i]
        view[i, 0] = v & MASK64
        view[i, 1] = (v >> 64) & MASK64
        view[i, 2] = (v >> 128) & MASK64
        view[i, 3] = (v >> 192) & MASK64
    return out


def limbs_to_ints(cnp.ndarray arr):
    """Unpack an ``(n, 4)`` uint64 array into a list of Python ints."""
    cdef uint64_t[:, ::1] view = np.ascontiguousarray(arr, dtype=np.uint64).reshape(-1, 4)
    cdef Py_ssize_t i
    return [int(view[i, 0]) | (int(view[i, 1]) << 64) | (int(view[i, 2]) << 128)
            | (int(view[i, 3]) << 192) for i in range(view.shape[0])]


cdef inline uint64_t[:, ::1] _rows(arr):
    return np.ascontiguousarray(arr, dtype=np.uint64).reshape(-1, 4)


def all_below_modulus(arr, bint scalar_field):
    """True when every row of ``arr`` is < r (scalar field) or < q (base field)."""
    cdef uint64_t[:, ::1] a = _rows(arr)
    cdef Py_ssize_t i
    for i in range(a.shape[0]):
        if scalar_field:
            if zk_geq4(&a[i, 0], FR_P):
                return False
        elif zk_geq4(&a[i, 0], FQ_P):
            return False
    return True


def to_montgomery(arr, bint scalar_field):
    """Return a new array with every element converted to Montgomery form."""
    cdef uint64_t[:, ::1] a = _rows(arr)
    out = np.empty((a.shape[0], 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            if scalar_field:
                fr_to_mont(&o[i, 0], &a[i, 0])
            else:
                fq_to_mont(&o[i, 0], &a[i, 0])
    return out


def from_montgomery(arr, bint scalar_field):
    """Return a new array with every element converted out of Montgomery form."""
    cdef uint64_t[:, ::1] a = _rows(arr)
    out = np.empty((a.shape[0], 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            if scalar_field:
                fr_from_mont(&o[i, 0], &a[i, 0])
            else:
                fq_from_mont(&o[i, 0], &a[i, 0])
    return out


def mul_arrays(a_arr, b_arr, bint scalar_field):
    """Element-wise Montgomery product of two equally long arrays."""
    cdef uint64_t[:, ::1] a = _rows(a_arr)
    cdef uint64_t[:, ::1] b = _rows(b_arr)
    if a.shape[0] != b.shape[0]:
        raise ValueError("arrays differ in length")
    out = np.empty((a.shape[0], 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            if scalar_field:
                fr_mul(&o[i, 0], &a[i, 0], &b[i, 0])
            else:
                fq_mul(&o[i, 0], &a[i, 0], &b[i, 0])
    return out
