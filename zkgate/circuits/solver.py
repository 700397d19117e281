"""The witness solver: inputs -> full witness, by replaying a :class:`WitnessProgram`.

The engines live in :mod:`zkgate.kernels.circuits`: the compiled loop (Montgomery arithmetic
in C, hints called back in Python) or its pure-Python twin, chosen once at import
(``ZKGATE_PUREPYTHON=1`` forces the twin).  ``overrides`` (wire -> value) replaces computed
values as they are produced, so a test can forge a witness that deviates inside a gadget;
it always runs the Python engine.
"""

from __future__ import annotations

import numpy as np

from zkgate.circuits.errors import (
    CircuitInputError,
    UnsatisfiedConstraintError,
    WitnessError,
)
from zkgate.circuits.field import R, to_field
from zkgate.circuits.program import WitnessProgram
from zkgate.circuits.r1cs import R1CS
from zkgate.kernels.circuits import solve_witness


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
    return solve_witness(program, program.constraints(r1cs), r1cs.kernel_coefficients(), r1cs.coeff_ints, pairs,
                         _hint_values, overrides)


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
