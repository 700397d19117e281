"""Kernels of :mod:`zkgate.circuits`: the witness solver loop, the R1CS check and the
``.r1cs`` constraint-section codec.

The compiled loop (``zkgate._native._witness``, Montgomery arithmetic in C, hints called
back in Python) or its pure-Python twin is chosen once, when this module is imported
(``zkgate._native.BACKEND``; ``ZKGATE_PUREPYTHON=1`` forces the twin).  The functions below
have the same signature and results on both backends, so callers never test the backend.
Arrays are numpy: constraint systems in CSR form (``offsets``, ``wires``, ``coeffs`` indices
into a coefficient table) and field elements as ``(n, 4)`` uint64 little-endian limbs.
Not constant-time (the prover runs on the data holder's own machine).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from zkgate import _native
from zkgate.errors import ConstraintError

BACKEND: str = _native.BACKEND
"""``"native"`` or ``"python"``: which engine the functions below run."""

if BACKEND == "native":
    from zkgate._native import _field as native_field
    from zkgate._native import _witness as native_witness
else:
    native_field = native_witness = None

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""BN254's scalar field: the modulus the compiled solver hard-codes (``zkgate.bn254.R_MOD``)."""

# Step codes of a witness program: the contract with zkgate/_native/circuit_solver.h (ZK_OP_*).
OP_SOLVE, OP_INV, OP_DIV, OP_BITS, OP_HINT = 0, 1, 2, 3, 4


class WitnessSteps(Protocol):
    """What the solver reads of a witness program (:class:`zkgate.circuits.program.WitnessProgram`)."""

    n_wires: int
    op_kind: np.ndarray
    op_out: np.ndarray
    op_arg: np.ndarray
    op_aux: np.ndarray
    plc_offsets: np.ndarray
    plc_wires: np.ndarray
    plc_coeffs: np.ndarray
    hints: Sequence[Any]  # each with ``srcs`` (program-LC indices) and ``n_out``
    witness_wires: np.ndarray | None


HintEvaluator = Callable[[Any, list[int]], list[int]]
"""``(hint, argument values) -> output values`` (reduced mod r, ``hint.n_out`` of them)."""


def limbs_to_ints(arr: np.ndarray) -> list[int]:
    """``(n, 4)`` uint64 limbs -> Python ints."""
    data = np.ascontiguousarray(arr, dtype="<u8").tobytes()
    return [int.from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)]


def ints_to_limbs(values) -> np.ndarray:
    """Python ints in [0, 2^256) -> ``(n, 4)`` uint64 little-endian limbs."""
    buf = b"".join(int(v).to_bytes(32, "little") for v in values)
    return np.frombuffer(buf, dtype="<u8").reshape(-1, 4).copy()


def _inverse(a: int) -> int:
    """Inverse mod r; zero maps to zero (circom's convention, as the compiled loop does)."""
    return pow(a % R, R - 2, R)


# ---------------------------------------------------------------------- coefficient table


def kernel_coefficients(coeff_table: np.ndarray):
    """The coefficient table (``(k, 4)`` limbs, normal form) in the form the check and the
    solver read: Montgomery rows for the compiled loop, ints for the twin.  Prepare once per
    constraint system and pass it back unchanged."""
    if native_field is not None:
        return native_field.to_montgomery(coeff_table, True)
    return limbs_to_ints(coeff_table)


# ---------------------------------------------------------------------- R1CS check


def all_below_r(witness: np.ndarray) -> bool:
    """Whether every ``(n, 4)`` limb row holds a value below r."""
    if native_field is not None:
        return bool(native_field.all_below_modulus(witness, True))
    return all(v < R for v in limbs_to_ints(witness))


def first_unsatisfied(offsets: np.ndarray, wires: np.ndarray, coeffs: np.ndarray, coefficients,
                      witness: np.ndarray) -> int:
    """Index of the first constraint ``A·w ∘ B·w = C·w`` the witness violates, or -1.

    ``coefficients`` from :func:`kernel_coefficients`; ``witness`` ``(n_wires, 4)`` limbs,
    every value below r (check with :func:`all_below_r` first)."""
    if native_witness is not None:
        wm = native_field.to_montgomery(witness, True)
        return int(native_witness.check_r1cs(offsets, wires, coeffs, coefficients, wm))
    values = limbs_to_ints(witness)
    off, wire_list, cidx = offsets.tolist(), wires.tolist(), coeffs.tolist()

    def evaluate(k: int) -> int:
        s = 0
        for j in range(off[k], off[k + 1]):
            s += coefficients[cidx[j]] * values[wire_list[j]]
        return s % R

    for i in range((len(off) - 1) // 3):
        if (evaluate(3 * i) * evaluate(3 * i + 1) - evaluate(3 * i + 2)) % R:
            return i
    return -1


# ---------------------------------------------------------------------- .r1cs constraint section


def encode_constraints(offsets: np.ndarray, wires: np.ndarray, coeffs: np.ndarray, coeff_table: np.ndarray) -> bytes:
    """The body of an iden3 ``.r1cs`` constraints section: per LC a u32 term count, then per
    term a u32 wire and a 32-byte little-endian coefficient (normal form)."""
    if native_witness is not None:
        return native_witness.r1cs_encode(offsets, wires, coeffs, np.ascontiguousarray(coeff_table))
    coeff_bytes = [bytes(row) for row in np.ascontiguousarray(coeff_table, dtype="<u8").reshape(-1, 4)]
    out = bytearray()
    off, wire_list, cidx = offsets.tolist(), wires.tolist(), coeffs.tolist()
    for k in range(len(off) - 1):
        out += struct.pack("<I", off[k + 1] - off[k])
        for j in range(off[k], off[k + 1]):
            out += struct.pack("<I", wire_list[j])
            out += coeff_bytes[cidx[j]]
    return bytes(out)


def decode_constraints(body, n_lc: int):
    """Parse ``n_lc`` linear combinations from a constraints-section body.

    Returns ``(offsets int64, wires uint32, coefficients (nnz, 4) uint64, bytes used)``, or
    None when the body ends before ``n_lc`` LCs; the caller checks trailing bytes, wire
    bounds and coefficient ranges."""
    if native_witness is not None:
        return native_witness.r1cs_decode(np.frombuffer(body, dtype=np.uint8), n_lc)
    buf = memoryview(body).cast("B")
    off = np.zeros(n_lc + 1, dtype=np.int64)
    wire_list: list[int] = []
    raw: list[bytes] = []
    pos, n = 0, len(buf)
    for k in range(n_lc):
        if pos + 4 > n:
            return None
        (count,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        if pos + 36 * count > n:
            return None
        for _ in range(count):
            wire_list.append(struct.unpack_from("<I", buf, pos)[0])
            raw.append(bytes(buf[pos + 4 : pos + 36]))
            pos += 36
        off[k + 1] = len(wire_list)
    coefficients = np.frombuffer(b"".join(raw), dtype="<u8").reshape(-1, 4) if raw else np.zeros((0, 4), np.uint64)
    return off, np.array(wire_list, dtype=np.uint32), coefficients, pos


# ---------------------------------------------------------------------- witness solver


def solve_witness(program: WitnessSteps, constraints: tuple[np.ndarray, np.ndarray, np.ndarray], coefficients,
                  coefficient_ints: Callable[[], Sequence[int]], inputs: Sequence[tuple[int, int]],
                  evaluate_hint: HintEvaluator, overrides: dict[int, int] | None = None) -> np.ndarray:
    """Run a witness program; returns the witness as ``(n, 4)`` limbs (normal form), only
    the program's ``witness_wires`` when it has them.

    ``constraints``: the ``(offsets, wires, coeffs)`` SOLVE steps refer to; ``coefficients``
    from :func:`kernel_coefficients` and ``coefficient_ints`` a function returning the
    same table as ints (called only when needed, so it can be a cached conversion);
    ``inputs``: ``(wire, value)`` pairs, values in [0, r).  ``overrides`` (wire -> value)
    replaces values as they are produced (tests forge witnesses with it); it always runs the
    pure-Python engine."""
    if native_witness is not None and not overrides:
        return _solve_native(program, constraints, coefficients, coefficient_ints, inputs, evaluate_hint)
    w = _solve_python(program, constraints, coefficient_ints(), inputs, evaluate_hint, overrides or {})
    if program.witness_wires is not None:
        w = [w[i] for i in program.witness_wires.tolist()]
    return ints_to_limbs(w)


def _solve_python(program: WitnessSteps, constraints, coeffs: Sequence[int], inputs, evaluate_hint: HintEvaluator,
                  overrides: dict[int, int]) -> list[int]:
    w = [0] * program.n_wires
    w[0] = 1
    for wire, v in inputs:
        w[wire] = v
    off, wires, cidx = (a.tolist() for a in constraints)
    poff, pwires, pcidx = program.plc_offsets.tolist(), program.plc_wires.tolist(), program.plc_coeffs.tolist()

    def ev(k, skip=-1):
        s = 0
        for j in range(off[k], off[k + 1]):
            if wires[j] != skip:
                s += coeffs[cidx[j]] * w[wires[j]]
        return s % R

    def pev(k):
        s = 0
        for j in range(poff[k], poff[k + 1]):
            s += coeffs[pcidx[j]] * w[pwires[j]]
        return s % R

    kinds, outs = program.op_kind.tolist(), program.op_out.tolist()
    args, auxs = program.op_arg.tolist(), program.op_aux.tolist()
    for kind, out, arg, aux in zip(kinds, outs, args, auxs):
        n = 1
        if kind == OP_SOLVE:
            w[out] = (ev(3 * arg) * ev(3 * arg + 1) - ev(3 * arg + 2, skip=out)) % R
        elif kind == OP_INV:
            w[out] = _inverse(pev(arg))
        elif kind == OP_DIV:
            w[out] = pev(arg) * _inverse(pev(aux)) % R
        elif kind == OP_BITS:
            v = pev(arg)
            n = aux
            for i in range(aux):
                w[out + i] = (v >> i) & 1
        elif kind == OP_HINT:
            hint = program.hints[arg]
            n = aux
            w[out : out + n] = evaluate_hint(hint, [pev(s) for s in hint.srcs])
        else:  # pragma: no cover - a corrupt program; the builder writes only the codes above
            raise ConstraintError(f"witness program: unknown step kind {kind} (rebuild the circuit)")
        if overrides:
            for i in range(out, out + n):
                if i in overrides:
                    w[i] = overrides[i] % R
    return w


_MONTGOMERY_INVERSE = pow(1 << 256, -1, R)  # from the Montgomery form: x·2^256 -> x


def _hint_arguments(program: WitnessSteps, srcs, wm: np.ndarray, coefficients: np.ndarray) -> list[int]:
    """A hint's argument values: its program LCs evaluated on the Montgomery witness ``wm``.  Every
    term of every LC is multiplied in ONE native call and read back in one conversion (a record's
    hint in the universal circuit reads ~40 LCs of ~200 terms; a conversion per LC cost more than the
    native solve around it); an LC's terms are then summed as Montgomery integers and converted once."""
    src = np.asarray(srcs, dtype=np.int64)
    lo = program.plc_offsets[src]
    length = program.plc_offsets[src + 1] - lo
    total = int(length.sum())
    if total == 0:
        return [0] * len(srcs)
    ends = np.cumsum(length)
    index = np.arange(total) + np.repeat(lo - (ends - length), length)  # every term of every LC, in order
    terms = native_field.mul_arrays(np.ascontiguousarray(wm[program.plc_wires[index]]),
                                    np.ascontiguousarray(coefficients[program.plc_coeffs[index]]), True)
    values = native_field.limbs_to_ints(terms)
    inv = _MONTGOMERY_INVERSE
    return [sum(values[b - n : b]) % R * inv % R for b, n in zip(ends.tolist(), length.tolist())]


def _solve_native(program: WitnessSteps, constraints, coefficients, coefficient_ints: Callable[[], Sequence[int]], inputs,
                  evaluate_hint: HintEvaluator) -> np.ndarray:
    wm = np.zeros((program.n_wires, 4), dtype=np.uint64)
    idx = [0] + [p[0] for p in inputs]
    vals = [1] + [p[1] for p in inputs]
    wm[idx] = native_field.to_montgomery(ints_to_limbs(vals), True)
    c_off, c_wires, c_coeffs = constraints
    pos = 0
    n_ops = int(len(program.op_kind))
    while True:
        pos = int(native_witness.run_program(
            program.op_kind, program.op_out, program.op_arg, program.op_aux,
            c_off, c_wires, c_coeffs,
            program.plc_offsets, program.plc_wires, program.plc_coeffs,
            coefficients, wm, pos,
        ))
        if pos >= n_ops:
            break
        hint = program.hints[int(program.op_arg[pos])]
        out_vals = evaluate_hint(hint, _hint_arguments(program, hint.srcs, wm, coefficients))
        o = int(program.op_out[pos])
        wm[o : o + hint.n_out] = native_field.to_montgomery(ints_to_limbs(out_vals), True)
        pos += 1
    if program.witness_wires is not None:
        wm = np.ascontiguousarray(wm[program.witness_wires])
    return native_field.from_montgomery(wm, True)


__all__ = [
    "BACKEND", "OP_BITS", "OP_DIV", "OP_HINT", "OP_INV", "OP_SOLVE", "R", "HintEvaluator", "WitnessSteps",
    "all_below_r", "decode_constraints", "encode_constraints", "first_unsatisfied", "ints_to_limbs",
    "kernel_coefficients", "limbs_to_ints", "solve_witness",
]
