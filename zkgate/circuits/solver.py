"""The witness solver: inputs -> full witness, by replaying a :class:`WitnessProgram`.

Two interchangeable engines: the compiled loop in ``zkgate._native._witness`` (Montgomery
arithmetic in C, hints called back in Python) and a pure-Python twin, selected by
``zkgate._native.BACKEND`` (``ZKGATE_PUREPYTHON=1`` forces the twin).  ``overrides`` (wire
-> value) replaces computed values as they are produced, so a test can forge a witness
that deviates inside a gadget; it always runs the Python engine.
"""

from __future__ import annotations

import numpy as np

from zkgate import _native
from zkgate.circuits.errors import CircuitInputError, UnsatisfiedConstraintError, WitnessError
from zkgate.circuits.field import R, inv, to_field
from zkgate.circuits.program import OP_BITS, OP_DIV, OP_HINT, OP_INV, OP_SOLVE, WitnessProgram
from zkgate.circuits.r1cs import R1CS, coeffs_to_limbs, limbs_to_ints


def _input_values(program: WitnessProgram, inputs: dict) -> list[tuple[int, int]]:
    """Validate user inputs against the declared ones; returns ``(wire, value)`` pairs."""
    unknown = set(inputs) - set(program.inputs)
    if unknown:
        raise CircuitInputError(f"unknown input(s): {', '.join(sorted(unknown))}")
    pairs = []
    for name, (_public, wires, is_list) in program.inputs.items():
        if name not in inputs:
            raise CircuitInputError(f"missing input {name!r}")
        v = inputs[name]
        if is_list:
            vals = list(np.asarray(v, dtype=object).reshape(-1)) if not isinstance(v, (list, tuple)) else _flatten(v)
            if len(vals) != len(wires):
                raise CircuitInputError(f"input {name!r}: expected {len(wires)} values, got {len(vals)}")
        else:
            if isinstance(v, (list, tuple)):
                raise CircuitInputError(f"input {name!r} is a single value, got a list")
            vals = [v]
        for i, (w, x) in enumerate(zip(wires, vals)):
            pairs.append((w, to_field(x, f"input {name}[{i}]" if is_list else f"input {name}")))
    return pairs


def _flatten(v) -> list:
    out = []
    for x in v:
        if isinstance(x, (list, tuple)):
            out.extend(_flatten(x))
        else:
            out.append(x)
    return out



def solve(r1cs: R1CS, program: WitnessProgram, inputs: dict, *, overrides: dict | None = None) -> np.ndarray:
    """Compute the full witness; returns ``(n_wires, 4)`` uint64 limbs (normal form)."""
    pairs = _input_values(program, inputs)
    nat = None if overrides else _native.compiled("_witness")
    if nat is not None:
        return _solve_native(nat, r1cs, program, pairs)
    w = _solve_py(r1cs, program, pairs, overrides or {})
    if program.witness_wires is not None:
        w = [w[i] for i in program.witness_wires.tolist()]
    return coeffs_to_limbs(w)


def _hint_values(hint, args: list[int]) -> list[int]:
    try:
        res = hint.fn(*args)
    except Exception as exc:  # a hint's own failure: report which hint
        name = getattr(hint.fn, "__qualname__", repr(hint.fn))
        raise WitnessError(f"hint {name} failed: {exc}") from exc
    vals = list(res) if isinstance(res, (list, tuple)) else [res]
    if len(vals) != hint.n_out:
        raise WitnessError(f"hint {getattr(hint.fn, '__qualname__', hint.fn)} returned {len(vals)} values, expected {hint.n_out}")
    return [int(x) % R for x in vals]


def _solve_py(r1cs: R1CS, program: WitnessProgram, pairs, overrides: dict) -> list[int]:
    coeffs = r1cs.coeff_ints()
    w = [0] * program.n_wires
    w[0] = 1
    for wire, v in pairs:
        w[wire] = v
    off, wires, cidx = (a.tolist() for a in program.constraints(r1cs))
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

    kinds, outs, args, auxs = program.op_kind.tolist(), program.op_out.tolist(), program.op_arg.tolist(), program.op_aux.tolist()
    for kind, out, arg, aux in zip(kinds, outs, args, auxs):
        n = 1
        if kind == OP_SOLVE:
            w[out] = (ev(3 * arg) * ev(3 * arg + 1) - ev(3 * arg + 2, skip=out)) % R
        elif kind == OP_INV:
            w[out] = inv(pev(arg))
        elif kind == OP_DIV:
            w[out] = pev(arg) * inv(pev(aux)) % R
        elif kind == OP_BITS:
            v = pev(arg)
            n = aux
            for i in range(aux):
                w[out + i] = (v >> i) & 1
        elif kind == OP_HINT:
            hint = program.hints[arg]
            n = aux
            vals = _hint_values(hint, [pev(s) for s in hint.srcs])
            w[out : out + n] = vals
        else:  # pragma: no cover - corrupt program
            raise WitnessError(f"unknown witness step kind {kind}")
        if overrides:
            for i in range(out, out + n):
                if i in overrides:
                    w[i] = overrides[i] % R
    return w


def _solve_native(nat, r1cs: R1CS, program: WitnessProgram, pairs) -> np.ndarray:
    from zkgate._native import field as nfield

    wm = np.zeros((program.n_wires, 4), dtype=np.uint64)
    idx = [0] + [p[0] for p in pairs]
    vals = [1] + [p[1] for p in pairs]
    wm[idx] = nfield.to_montgomery(coeffs_to_limbs(vals), True)
    cm = r1cs.coeff_mont()
    c_off, c_wires, c_coeffs = program.constraints(r1cs)
    pos = 0
    n_ops = program.n_ops
    while True:
        pos = int(nat.run_program(
            program.op_kind, program.op_out, program.op_arg, program.op_aux,
            c_off, c_wires, c_coeffs,
            program.plc_offsets, program.plc_wires, program.plc_coeffs,
            cm, wm, pos,
        ))
        if pos >= n_ops:
            break
        hint = program.hints[int(program.op_arg[pos])]
        args = []
        for s in hint.srcs:
            lo, hi = int(program.plc_offsets[s]), int(program.plc_offsets[s + 1])
            ws = program.plc_wires[lo:hi]
            vs = limbs_to_ints(nfield.from_montgomery(wm[ws], True)) if hi > lo else []
            cs = [r1cs.coeff_ints()[int(c)] for c in program.plc_coeffs[lo:hi]]
            args.append(sum(a * b for a, b in zip(vs, cs)) % R)
        out_vals = _hint_values(hint, args)
        o = int(program.op_out[pos])
        wm[o : o + hint.n_out] = nfield.to_montgomery(coeffs_to_limbs(out_vals), True)
        pos += 1
    if program.witness_wires is not None:
        wm = np.ascontiguousarray(wm[program.witness_wires])
    return nfield.from_montgomery(wm, True)


def solve_checked(r1cs: R1CS, program: WitnessProgram, inputs: dict) -> np.ndarray:
    """:func:`solve`, then raise :class:`UnsatisfiedConstraintError` if a constraint fails
    (the inputs violate an assertion of the circuit)."""
    w = solve(r1cs, program, inputs)
    i = r1cs.first_unsatisfied(w)
    if i >= 0:
        raise UnsatisfiedConstraintError(
            f"the inputs violate constraint {i} of the circuit: {r1cs.format_constraint(i)}", i
        )
    return w


__all__ = ["solve", "solve_checked"]
