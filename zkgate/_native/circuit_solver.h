/* Witness-program interpreter and R1CS checker for zkgate.circuits (Fr, Montgomery form).
 *
 * Linear combinations are CSR slices: terms j in [off[k], off[k+1]) with wire wires[j] and
 * coefficient coeffs[cidx[j]] (4 limbs, Montgomery).  The witness W is n_wires x 4 limbs,
 * Montgomery.  Step kinds mirror zkgate/circuits/program.py.  Not constant-time.
 */
#ifndef ZKGATE_CIRCUIT_SOLVER_H
#define ZKGATE_CIRCUIT_SOLVER_H

#include <stdint.h>
#include <string.h>
#include "field.h"

#define ZK_OP_SOLVE 0
#define ZK_OP_INV 1
#define ZK_OP_DIV 2
#define ZK_OP_BITS 3
#define ZK_OP_HINT 4

static inline void zkc_lc_eval(uint64_t *out, const int64_t *off, const uint32_t *wires,
                               const uint32_t *cidx, const uint64_t *coeffs, const uint64_t *W,
                               int64_t k, int64_t skip) {
    uint64_t acc[4] = {0, 0, 0, 0}, t[4];
    for (int64_t j = off[k]; j < off[k + 1]; j++) {
        uint32_t w = wires[j];
        if ((int64_t)w == skip) continue;
        const uint64_t *c = coeffs + 4 * (uint64_t)cidx[j];
        if (zk_eq4(c, FR_ONE)) {
            fr_add(acc, acc, W + 4 * (uint64_t)w);
        } else {
            fr_mul(t, c, W + 4 * (uint64_t)w);
            fr_add(acc, acc, t);
        }
    }
    memcpy(out, acc, 32);
}

/* Run steps from `start` until a HINT step (returned) or the end (returns n_ops). */
static int64_t zkc_run_program(int64_t n_ops, const uint8_t *kind, const uint32_t *out,
                               const int64_t *arg, const int64_t *aux,
                               const int64_t *off, const uint32_t *wires, const uint32_t *cidx,
                               const int64_t *poff, const uint32_t *pwires, const uint32_t *pcidx,
                               const uint64_t *coeffs, uint64_t *W, int64_t start) {
    uint64_t a[4], b[4], c[4], t[4];
    for (int64_t i = start; i < n_ops; i++) {
        uint64_t *o = W + 4 * (uint64_t)out[i];
        switch (kind[i]) {
        case ZK_OP_SOLVE: {
            int64_t k = 3 * arg[i];
            zkc_lc_eval(a, off, wires, cidx, coeffs, W, k, -1);
            if (off[k] == off[k + 1]) { memset(t, 0, 32); }
            else {
                zkc_lc_eval(b, off, wires, cidx, coeffs, W, k + 1, -1);
                fr_mul(t, a, b);
            }
            zkc_lc_eval(c, off, wires, cidx, coeffs, W, k + 2, (int64_t)out[i]);
            fr_sub(o, t, c);
            break;
        }
        case ZK_OP_INV:
            zkc_lc_eval(a, poff, pwires, pcidx, coeffs, W, arg[i], -1);
            fr_inv(o, a);
            break;
        case ZK_OP_DIV:
            zkc_lc_eval(a, poff, pwires, pcidx, coeffs, W, arg[i], -1);
            zkc_lc_eval(b, poff, pwires, pcidx, coeffs, W, aux[i], -1);
            fr_inv(t, b);
            fr_mul(o, a, t);
            break;
        case ZK_OP_BITS: {
            zkc_lc_eval(a, poff, pwires, pcidx, coeffs, W, arg[i], -1);
            fr_from_mont(t, a);
            int64_t n = aux[i];
            for (int64_t bit = 0; bit < n; bit++) {
                uint64_t *ob = o + 4 * bit;
                if ((t[bit >> 6] >> (bit & 63)) & 1) memcpy(ob, FR_ONE, 32);
                else memset(ob, 0, 32);
            }
            break;
        }
        default:
            return i; /* HINT (or unknown): back to Python */
        }
    }
    return n_ops;
}

/* Index of the first constraint A*B != C, or -1. */
static int64_t zkc_check(int64_t m, const int64_t *off, const uint32_t *wires, const uint32_t *cidx,
                         const uint64_t *coeffs, const uint64_t *W) {
    uint64_t a[4], b[4], c[4], t[4];
    for (int64_t i = 0; i < m; i++) {
        int64_t k = 3 * i;
        zkc_lc_eval(a, off, wires, cidx, coeffs, W, k, -1);
        zkc_lc_eval(b, off, wires, cidx, coeffs, W, k + 1, -1);
        zkc_lc_eval(c, off, wires, cidx, coeffs, W, k + 2, -1);
        fr_mul(t, a, b);
        if (!zk_eq4(t, c)) return i;
    }
    return -1;
}

/* iden3 .r1cs constraint section: encode (returns bytes written) and scan. */
static int64_t zkc_r1cs_encode(uint8_t *dst, int64_t n_lc, const int64_t *off, const uint32_t *wires,
                               const uint32_t *cidx, const uint64_t *coeffs_plain) {
    uint8_t *p = dst;
    for (int64_t k = 0; k < n_lc; k++) {
        uint32_t cnt = (uint32_t)(off[k + 1] - off[k]);
        memcpy(p, &cnt, 4); p += 4;
        for (int64_t j = off[k]; j < off[k + 1]; j++) {
            memcpy(p, &wires[j], 4);
            memcpy(p + 4, coeffs_plain + 4 * (uint64_t)cidx[j], 32);
            p += 36;
        }
    }
    return (int64_t)(p - dst);
}

/* First pass: LC offsets; returns the end position, or -1 when the data runs out. */
static int64_t zkc_r1cs_scan(const uint8_t *src, int64_t len, int64_t n_lc, int64_t *off) {
    int64_t pos = 0, nnz = 0;
    off[0] = 0;
    for (int64_t k = 0; k < n_lc; k++) {
        if (pos + 4 > len) return -1;
        uint32_t cnt; memcpy(&cnt, src + pos, 4);
        pos += 4 + 36 * (int64_t)cnt;
        if (pos > len) return -1;
        nnz += cnt;
        off[k + 1] = nnz;
    }
    return pos;
}

/* Second pass: wires and plain coefficients of every term. */
static void zkc_r1cs_extract(const uint8_t *src, int64_t n_lc, const int64_t *off, uint32_t *wires,
                             uint64_t *coeffs) {
    int64_t pos = 0;
    for (int64_t k = 0; k < n_lc; k++) {
        pos += 4;
        for (int64_t j = off[k]; j < off[k + 1]; j++) {
            memcpy(&wires[j], src + pos, 4);
            memcpy(coeffs + 4 * j, src + pos + 4, 32);
            pos += 36;
        }
    }
}

#endif
