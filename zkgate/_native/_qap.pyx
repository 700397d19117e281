# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native kernels of the Groth16 QAP reduction (snarkjs's reduction).

``evaluate_ab`` folds a ``.zkey`` coefficient section (matrix, row, wire, c*R^2 mod r) with a
plain witness into the evaluations of A and B on the domain (Montgomery form: the stored
c*R^2 times a plain w gives Mont(c*w) in one Montgomery product).  ``mul_sub`` and ``mul``
are the element-wise steps around the NTTs.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memset

cnp.import_array()

cdef extern from "field.h" nogil:
    void fr_add(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_sub(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_mul(uint64_t *out, const uint64_t *a, const uint64_t *b)

cdef packed struct coefficient_t:
    uint32_t matrix
    uint32_t constraint
    uint32_t signal
    uint64_t value[4]


def evaluate_ab(coefficients, witness, Py_ssize_t domain_size):
    """Return (A, B): two ``(domain_size, 4)`` Montgomery arrays of the rows' values."""
    cdef cnp.ndarray coeff_arr = np.ascontiguousarray(coefficients)
    if coeff_arr.dtype.itemsize != 44:
        raise TypeError("coefficients must use the .zkey layout (44-byte records)")
    cdef uint64_t[:, ::1] w = np.ascontiguousarray(witness, dtype=np.uint64).reshape(-1, 4)
    a_out = np.zeros((domain_size, 4), dtype=np.uint64)
    b_out = np.zeros((domain_size, 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] a = a_out
    cdef uint64_t[:, ::1] b = b_out
    cdef coefficient_t *c = <coefficient_t *> cnp.PyArray_DATA(coeff_arr)
    cdef Py_ssize_t n = coeff_arr.shape[0], i, n_wires = w.shape[0]
    cdef uint64_t t[4]
    cdef uint64_t v[4]
    for i in range(n):
        if c[i].constraint >= domain_size or c[i].signal >= n_wires or c[i].matrix > 1:
            raise ValueError(f"coefficient {i} refers to a row or wire out of range")
    with nogil:
        for i in range(n):
            v[0] = c[i].value[0]; v[1] = c[i].value[1]; v[2] = c[i].value[2]; v[3] = c[i].value[3]
            fr_mul(t, v, &w[c[i].signal, 0])
            if c[i].matrix == 0:
                fr_add(&a[c[i].constraint, 0], &a[c[i].constraint, 0], t)
            else:
                fr_add(&b[c[i].constraint, 0], &b[c[i].constraint, 0], t)
    return a_out, b_out


def mul(a_arr, b_arr):
    """Element-wise Montgomery product as a new array."""
    cdef uint64_t[:, ::1] a = a_arr
    cdef uint64_t[:, ::1] b = b_arr
    out = np.empty_like(a_arr)
    cdef uint64_t[:, ::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            fr_mul(&o[i, 0], &a[i, 0], &b[i, 0])
    return out


def mul_sub(a_arr, b_arr, c_arr):
    """In place: a[i] = a[i] * b[i] - c[i] (Montgomery); returns a."""
    cdef uint64_t[:, ::1] a = a_arr
    cdef uint64_t[:, ::1] b = b_arr
    cdef uint64_t[:, ::1] c = c_arr
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            fr_mul(&a[i, 0], &a[i, 0], &b[i, 0])
            fr_sub(&a[i, 0], &a[i, 0], &c[i, 0])
    return a_arr
