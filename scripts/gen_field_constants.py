#!/usr/bin/env python3
"""Generate zkgate/_native/field_constants.h: BN254 moduli and Montgomery constants.

Run from the repository root:  python scripts/gen_field_constants.py
The output is committed and labelled as generated; edit this script, not the header.
"""

from __future__ import annotations

from pathlib import Path

R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q_MOD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
LIMBS = 4
WORD = 1 << 64
MONT_R = 1 << (64 * LIMBS)


def limbs(value: int) -> list[int]:
    return [(value >> (64 * i)) & (WORD - 1) for i in range(LIMBS)]


def c_array(value: int) -> str:
    return "{" + ", ".join(f"0x{w:016x}ULL" for w in limbs(value)) + "}"


def field_block(name: str, modulus: int) -> str:
    inv = (-pow(modulus, -1, WORD)) % WORD
    r1 = MONT_R % modulus
    r2 = MONT_R * MONT_R % modulus
    r3 = MONT_R * MONT_R * MONT_R % modulus
    upper = name.upper()
    return "\n".join(
        [
            f"/* {name}: modulus {modulus} */",
            f"#define {upper}_INV 0x{inv:016x}ULL /* -p^-1 mod 2^64 */",
            f"static const uint64_t {upper}_P[4] = {c_array(modulus)};",
            f"static const uint64_t {upper}_ONE[4] = {c_array(r1)}; /* R mod p (Montgomery one) */",
            f"static const uint64_t {upper}_R2[4] = {c_array(r2)}; /* R^2 mod p */",
            f"static const uint64_t {upper}_R3[4] = {c_array(r3)}; /* R^3 mod p */",
            f"static const uint64_t {upper}_PM2[4] = {c_array(modulus - 2)}; /* p - 2 */",
            "",
        ]
    )


def mont(value: int, modulus: int) -> int:
    return value * MONT_R % modulus


def curve_block() -> str:
    """Roots of unity for the NTT, curve coefficients, sqrt exponent and GLV constants."""
    lines = ["/* Fr two-adic roots of unity, Montgomery form: FR_ROOTS[k] has order 2^k (snarkjs's Fr.w[k]). */"]
    two_adicity = 28
    t = (R_MOD - 1) >> two_adicity
    roots = [0] * (two_adicity + 1)
    roots[two_adicity] = pow(5, t, R_MOD)  # 5 is the smallest quadratic non-residue of Fr
    for k in range(two_adicity, 0, -1):
        roots[k - 1] = roots[k] * roots[k] % R_MOD
    assert roots[0] == 1 and roots[1] == R_MOD - 1
    lines.append(f"#define FR_TWO_ADICITY {two_adicity}")
    lines.append("static const uint64_t FR_ROOTS[29][4] = {")
    lines += [f"    {c_array(mont(w, R_MOD))}," for w in roots]
    lines.append("};")
    lines.append("static const uint64_t FR_ROOTS_INV[29][4] = {")
    lines += [f"    {c_array(mont(pow(w, -1, R_MOD), R_MOD))}," for w in roots]
    lines.append("};")
    lines.append("/* 1/2^k in Montgomery form */")
    lines.append("static const uint64_t FR_INV_POW2[29][4] = {")
    lines += [f"    {c_array(mont(pow(1 << k, -1, R_MOD), R_MOD))}," for k in range(two_adicity + 1)]
    lines.append("};")
    # G1: y^2 = x^3 + 3 over Fq; G2 (twist): y^2 = x^3 + 3/(9+u) over Fq2 = Fq[u]/(u^2+1)
    lines.append(f"static const uint64_t G1_B[4] = {c_array(mont(3, Q_MOD))};")
    xi_inv_den = (81 + 1) % Q_MOD  # |9+u|^2
    inv = pow(xi_inv_den, -1, Q_MOD)
    b2 = (3 * 9 * inv % Q_MOD, (-3 * inv) % Q_MOD)  # 3/(9+u) = 3(9-u)/82
    lines.append(f"static const uint64_t G2_B[8] = {c_array(mont(b2[0], Q_MOD))[:-1]}, {c_array(mont(b2[1], Q_MOD))[1:]};")
    lines.append(f"static const uint64_t FQ_SQRT_EXP[4] = {c_array((Q_MOD + 1) // 4)}; /* (q+1)/4, plain */")
    # GLV on G1: phi(x, y) = (beta*x, y) equals [lambda](x, y), lambda the cube root of unity
    # of Fr below (the other root, 2^191.5, belongs to beta^2).  Checked in tests/native.
    beta = 0x30644E72E131A0295E6DD9E7E0ACCCB0C28F069FBB966E3DE4BD44E5607CFD48
    lam = R_MOD - 1 - 4407920970296243842393367215006156084916469457145843978461
    assert pow(beta, 3, Q_MOD) == 1 and (lam * lam + lam + 1) % R_MOD == 0
    lines.append(f"static const uint64_t GLV_BETA[4] = {c_array(mont(beta, Q_MOD))}; /* Montgomery */")
    lines.append(f"static const uint64_t GLV_LAMBDA[4] = {c_array(lam)}; /* plain */")
    # GLS on G2: psi (untwist-Frobenius-twist) equals [q mod r] = [6x^2] on G2.
    lines.append("/* Scalar decomposition k = k0 + k1*lambda with |k0|, |k1| < 2^129 (see glv_basis()):")
    lines.append(" * rows a1, b1, a2, b2 (two's complement mod 2^256), g1 = round(2^256 b2 / r),")
    lines.append(" * g2 = round(-2^256 b1 / r); c_i = (k g_i) >> 256, k0 = k - c1 a1 - c2 a2, k1 = -c1 b1 - c2 b2. */")
    for name, eigen in (("G1", lam), ("G2", Q_MOD % R_MOD)):
        rows = glv_basis(eigen)
        lines.append(f"static const uint64_t {name}_GLV_BASIS[6][4] = {{")
        lines += [f"    {c_array(v % MONT_R)}," for v in rows]
        lines.append("};")
    lines.append("")
    return "\n".join(lines)


def glv_basis(eigen: int) -> tuple[int, int, int, int, int, int]:
    """A short basis (a1, b1), (a2, b2) of {(a, b): a + b*eigen = 0 mod r} (extended Euclid,
    stopped at sqrt(r)) and the rounding constants g1, g2; checked on sample scalars."""
    rem = [(R_MOD, 0), (eigen, 1)]
    while rem[-1][0] * rem[-1][0] >= R_MOD:
        (ra, ta), (rb, tb) = rem[-2], rem[-1]
        rem.append((ra - (ra // rb) * rb, ta - (ra // rb) * tb))
    (rm, tm), (rm1, tm1) = rem[-2], rem[-1]
    (ra, ta), (rb, tb) = rem[-2], rem[-1]
    rm2, tm2 = ra - (ra // rb) * rb, ta - (ra // rb) * tb
    a1, b1 = rm1, -tm1
    a2, b2 = (rm, -tm) if rm * rm + tm * tm <= rm2 * rm2 + tm2 * tm2 else (rm2, -tm2)
    assert (a1 + b1 * eigen) % R_MOD == 0 and (a2 + b2 * eigen) % R_MOD == 0
    assert a1 * b2 - a2 * b1 == R_MOD
    g1 = (b2 * MONT_R + R_MOD // 2) // R_MOD
    g2 = (-b1 * MONT_R + R_MOD // 2) // R_MOD
    assert g1 >= 0 and g2 >= 0
    for k in (0, 1, R_MOD - 1, R_MOD // 2, R_MOD // 3, eigen, *(pow(7, i, R_MOD) for i in range(200))):
        c1, c2 = (k * g1) >> 256, (k * g2) >> 256
        k0, k1 = k - c1 * a1 - c2 * a2, -c1 * b1 - c2 * b2
        assert (k0 + k1 * eigen - k) % R_MOD == 0 and abs(k0) < 1 << 129 and abs(k1) < 1 << 129
    return a1, b1, a2, b2, g1, g2


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "zkgate" / "_native" / "field_constants.h"
    text = "\n".join(
        [
            "/* GENERATED by scripts/gen_field_constants.py -- do not edit by hand. */",
            "#ifndef ZKGATE_FIELD_CONSTANTS_H",
            "#define ZKGATE_FIELD_CONSTANTS_H",
            "#include <stdint.h>",
            "",
            field_block("fr", R_MOD),
            field_block("fq", Q_MOD),
            curve_block(),
            "#endif",
            "",
        ]
    )
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
