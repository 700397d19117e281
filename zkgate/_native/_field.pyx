# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native BN254 field kernels (Fr and Fq, Montgomery form on 4x64-bit limbs).

Arrays are contiguous numpy ``uint64`` buffers of shape ``(n, 4)``: one row per element,
little-endian limbs.  That is exactly the byte layout of a 32-byte little-endian field
element in snarkjs files, so a file section maps onto an array with ``np.frombuffer``.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t
from libc.stdlib cimport malloc, free

cnp.import_array()

from zkgate._native._fieldops cimport *

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


# ---- element-wise operations (tests, small utilities) -------------------------------------
# field: 0 = Fr, 1 = Fq, 2 = Fq2 (rows of 8 limbs).  All values in Montgomery form.

cdef enum:
    FR = 0
    FQ = 1
    FQ2 = 2

_BINARY = {"add": 0, "sub": 1, "mul": 2}
_UNARY = {"neg": 0, "sqr": 1, "inv": 2, "sqrt": 3}


def has_adx():
    """Whether the ADX/BMI2 multiplier is active on this CPU."""
    return bool(zk_cpu_has_adx)


def binary_op(str op, a_arr, b_arr, int field):
    """Row-wise ``add``/``sub``/``mul`` of two equally long arrays."""
    cdef int w = 8 if field == FQ2 else 4
    cdef int code = _BINARY[op]
    cdef uint64_t[:, ::1] a = np.ascontiguousarray(a_arr, dtype=np.uint64).reshape(-1, w)
    cdef uint64_t[:, ::1] b = np.ascontiguousarray(b_arr, dtype=np.uint64).reshape(-1, w)
    if a.shape[0] != b.shape[0]:
        raise ValueError("arrays differ in length")
    out = np.empty((a.shape[0], w), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            if field == FR:
                if code == 0: fr_add(&o[i, 0], &a[i, 0], &b[i, 0])
                elif code == 1: fr_sub(&o[i, 0], &a[i, 0], &b[i, 0])
                else: fr_mul(&o[i, 0], &a[i, 0], &b[i, 0])
            elif field == FQ:
                if code == 0: fq_add(&o[i, 0], &a[i, 0], &b[i, 0])
                elif code == 1: fq_sub(&o[i, 0], &a[i, 0], &b[i, 0])
                else: fq_mul(&o[i, 0], &a[i, 0], &b[i, 0])
            else:
                if code == 0: fq2_add(&o[i, 0], &a[i, 0], &b[i, 0])
                elif code == 1: fq2_sub(&o[i, 0], &a[i, 0], &b[i, 0])
                else: fq2_mul(&o[i, 0], &a[i, 0], &b[i, 0])
    return out


def unary_op(str op, a_arr, int field):
    """Row-wise ``neg``/``sqr``/``inv`` (inverse of 0 is 0)/``sqrt`` (Fq only).

    ``sqrt`` returns ``(roots, ok)``: ok[i] is False where a[i] is not a square."""
    cdef int w = 8 if field == FQ2 else 4
    cdef int code = _UNARY[op]
    if code == 3 and field != FQ:
        raise ValueError("sqrt is implemented for Fq only")
    cdef uint64_t[:, ::1] a = np.ascontiguousarray(a_arr, dtype=np.uint64).reshape(-1, w)
    out = np.zeros((a.shape[0], w), dtype=np.uint64)
    ok = np.ones(a.shape[0], dtype=np.bool_)
    cdef uint64_t[:, ::1] o = out
    cdef cnp.npy_bool[::1] okv = ok
    cdef Py_ssize_t i
    with nogil:
        for i in range(a.shape[0]):
            if field == FR:
                if code == 0: fr_neg(&o[i, 0], &a[i, 0])
                elif code == 1: fr_sqr(&o[i, 0], &a[i, 0])
                else: fr_inv(&o[i, 0], &a[i, 0])
            elif field == FQ:
                if code == 0: fq_neg(&o[i, 0], &a[i, 0])
                elif code == 1: fq_sqr(&o[i, 0], &a[i, 0])
                elif code == 2: fq_inv(&o[i, 0], &a[i, 0])
                else: okv[i] = fq_sqrt(&o[i, 0], &a[i, 0])
            else:
                if code == 0: fq2_neg(&o[i, 0], &a[i, 0])
                elif code == 1: fq2_sqr(&o[i, 0], &a[i, 0])
                else: fq2_inv(&o[i, 0], &a[i, 0])
    if code == 3:
        return out, ok
    return out


def batch_inverse(a_arr, int field):
    """Montgomery's trick: row-wise inverses with one field inversion (zeros stay zero)."""
    if field == FQ2:
        raise ValueError("batch_inverse supports Fr and Fq")
    cdef uint64_t[:, ::1] a = np.ascontiguousarray(a_arr, dtype=np.uint64).reshape(-1, 4)
    cdef Py_ssize_t n = a.shape[0]
    out = np.empty((n, 4), dtype=np.uint64)
    if n == 0:
        return out
    cdef uint64_t[:, ::1] o = out
    cdef uint64_t *scratch = <uint64_t *>malloc(32 * n)
    if scratch == NULL:
        raise MemoryError()
    with nogil:
        if field == FR:
            fr_batch_inv(&o[0, 0], &a[0, 0], scratch, n)
        else:
            fq_batch_inv(&o[0, 0], &a[0, 0], scratch, n)
    free(scratch)
    return out


def mul_chain_ns(Py_ssize_t iterations, int field=1, int portable=0):
    """Time a dependent chain of Montgomery multiplications; returns ns per multiplication."""
    import time
    cdef uint64_t x[4]
    cdef uint64_t y[4]
    cdef Py_ssize_t i
    x[0] = 1; x[1] = 2; x[2] = 3; x[3] = 4
    y[0] = 5; y[1] = 6; y[2] = 7; y[3] = 8
    t0 = time.perf_counter()
    with nogil:
        for i in range(iterations):
            if portable:
                if field == FR: fr_mul_portable(x, x, y)
                else: fq_mul_portable(x, x, y)
            elif field == FR: fr_mul(x, x, y)
            else: fq_mul(x, x, y)
    t1 = time.perf_counter()
    if x[0] == 0 and x[1] == 0:
        return -1.0
    return (t1 - t0) / iterations * 1e9


def mul_batch_ns(Py_ssize_t n, Py_ssize_t reps, int field=1):
    """Time independent multiplications over an n-element array; ns per multiplication."""
    import time
    a = np.random.default_rng(1).integers(0, 2**62, size=(n, 4), dtype=np.uint64)
    b = a[::-1].copy()
    cdef uint64_t[:, ::1] av = a
    cdef uint64_t[:, ::1] bv = b
    cdef Py_ssize_t i, r
    t0 = time.perf_counter()
    with nogil:
        for r in range(reps):
            for i in range(n):
                if field == FR: fr_mul(&av[i, 0], &av[i, 0], &bv[i, 0])
                else: fq_mul(&av[i, 0], &av[i, 0], &bv[i, 0])
    t1 = time.perf_counter()
    return (t1 - t0) / (n * reps) * 1e9
