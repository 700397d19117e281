/* Trusted-setup kernels (zkgate.prover.setup / ceremony / ptau): sparse sums of scaled
 * points, per-point scaling, and the group FFT behind the Lagrange basis.  Not constant-time. */
#ifndef ZKGATE_CEREMONY_H
#define ZKGATE_CEREMONY_H

#include "curve.h"

#define CUR g1
#define FLD fq
#define NL 4
#include "ceremony_tmpl.h"
#undef CUR
#undef FLD
#undef NL

#define CUR g2
#define FLD fq2
#define NL 8
#include "ceremony_tmpl.h"
#undef CUR
#undef FLD
#undef NL

/* out[i] = first * inc^i mod r, plain form; first / inc plain. */
static void cz_geometric(uint64_t *out, const uint64_t *first, const uint64_t *inc, size_t n) {
    uint64_t cur[4], step[4];
    fr_to_mont(cur, first);
    fr_to_mont(step, inc);
    for (size_t i = 0; i < n; i++) {
        fr_from_mont(out + 4 * i, cur);
        fr_mul(cur, cur, step);
    }
}

#endif
