# Declarations shared by zkgate's Cython modules (field.h, curve.h, ntt.h).
from libc.stdint cimport uint64_t, uint32_t, int16_t

cdef extern from "field.h" nogil:
    int zk_cpu_has_adx
    void fr_add(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_sub(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_neg(uint64_t *out, const uint64_t *a)
    void fr_mul(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_mul_portable(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fr_sqr(uint64_t *out, const uint64_t *a)
    void fr_to_mont(uint64_t *out, const uint64_t *a)
    void fr_from_mont(uint64_t *out, const uint64_t *a)
    void fr_inv(uint64_t *out, const uint64_t *a)
    void fr_batch_inv(uint64_t *out, const uint64_t *a, uint64_t *scratch, long n)
    void fq_add(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_sub(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_neg(uint64_t *out, const uint64_t *a)
    void fq_mul(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_mul_portable(uint64_t *out, const uint64_t *a, const uint64_t *b)
    void fq_sqr(uint64_t *out, const uint64_t *a)
    void fq_to_mont(uint64_t *out, const uint64_t *a)
    void fq_from_mont(uint64_t *out, const uint64_t *a)
    void fq_inv(uint64_t *out, const uint64_t *a)
    void fq_batch_inv(uint64_t *out, const uint64_t *a, uint64_t *scratch, long n)
    int fq_sqrt(uint64_t *out, const uint64_t *a)
    void fq2_add(uint64_t *o, const uint64_t *a, const uint64_t *b)
    void fq2_sub(uint64_t *o, const uint64_t *a, const uint64_t *b)
    void fq2_neg(uint64_t *o, const uint64_t *a)
    void fq2_mul(uint64_t *o, const uint64_t *a, const uint64_t *b)
    void fq2_sqr(uint64_t *o, const uint64_t *a)
    void fq2_inv(uint64_t *o, const uint64_t *a)
    int zk_geq4(const uint64_t *a, const uint64_t *p)
    const uint64_t FR_P[4]
    const uint64_t FQ_P[4]
    const uint64_t FR_ONE[4]
    const uint64_t FQ_ONE[4]
    const uint64_t FR_ROOTS[29][4]
    const uint64_t FR_ROOTS_INV[29][4]
