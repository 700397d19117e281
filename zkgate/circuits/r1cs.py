"""The rank-1 constraint system: ``A·w ∘ B·w = C·w`` over Fr.

Storage is compact and file-shaped: the linear combinations of constraint ``i`` are LCs
``3i`` (A), ``3i+1`` (B) and ``3i+2`` (C) of one CSR structure (``lc_offsets`` into
``lc_wires`` / ``lc_coeffs``); coefficients are indices into a de-duplicated table of field
elements (``coeff_table``, an ``(k, 4)`` uint64 array of little-endian limbs, normal form).
Wires follow the iden3 order: the constant one, outputs, public inputs, private inputs,
then internal wires.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zkgate.circuits.errors import UnsatisfiedConstraintError
from zkgate.circuits.field import R
from zkgate.kernels import circuits as kernels
from zkgate.kernels.circuits import ints_to_limbs as coeffs_to_limbs
from zkgate.kernels.circuits import limbs_to_ints


def witness_to_limbs(witness) -> np.ndarray:
    """Accept a witness as ints or as limbs; return ``(n, 4)`` uint64 limbs."""
    if isinstance(witness, np.ndarray):
        return np.ascontiguousarray(witness, dtype=np.uint64).reshape(-1, 4)
    return coeffs_to_limbs(witness)



@dataclass
class R1CS:
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    n_labels: int
    lc_offsets: np.ndarray  # int64, 3m + 1
    lc_wires: np.ndarray  # uint32, nnz
    lc_coeffs: np.ndarray  # uint32, nnz (index into coeff_table)
    coeff_table: np.ndarray  # (k, 4) uint64, normal form
    wire_to_label: np.ndarray  # uint64, n_wires
    prime: int = R
    _coeff_ints: list[int] | None = field(default=None, repr=False, compare=False)
    _kernel_coefficients: object = field(default=None, repr=False, compare=False)

    @property
    def n_constraints(self) -> int:
        return (len(self.lc_offsets) - 1) // 3

    @property
    def n_public(self) -> int:
        """Public signals as snarkjs counts them (outputs + public inputs)."""
        return self.n_pub_out + self.n_pub_in

    @property
    def nnz(self) -> int:
        return int(len(self.lc_wires))

    def coeff_ints(self) -> list[int]:
        if self._coeff_ints is None:
            self._coeff_ints = limbs_to_ints(self.coeff_table)
        return self._coeff_ints

    def kernel_coefficients(self):
        """The coefficient table as :mod:`zkgate.kernels.circuits` reads it (cached)."""
        if self._kernel_coefficients is None:
            self._kernel_coefficients = kernels.kernel_coefficients(self.coeff_table)
        return self._kernel_coefficients

    def lc(self, k: int) -> dict[int, int]:
        """LC number ``k`` (3i + 0/1/2) as ``{wire: coeff}``."""
        c = self.coeff_ints()
        lo, hi = int(self.lc_offsets[k]), int(self.lc_offsets[k + 1])
        return {int(w): c[int(i)] for w, i in zip(self.lc_wires[lo:hi], self.lc_coeffs[lo:hi])}

    def constraint(self, i: int) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
        """Constraint ``i`` as three ``{wire: coeff}`` dicts (A, B, C)."""
        return self.lc(3 * i), self.lc(3 * i + 1), self.lc(3 * i + 2)

    # ------------------------------------------------------------------ checking
    def first_unsatisfied(self, witness) -> int:
        """Index of the first constraint the witness violates, or -1 when all hold."""
        w = witness_to_limbs(witness)
        if w.shape[0] != self.n_wires:
            raise UnsatisfiedConstraintError(
                f"witness has {w.shape[0]} values but the constraint system has {self.n_wires} wires"
            )
        if not kernels.all_below_r(w):
            raise UnsatisfiedConstraintError("witness holds a value that is not below r")
        return kernels.first_unsatisfied(self.lc_offsets, self.lc_wires, self.lc_coeffs, self.kernel_coefficients(), w)

    def is_satisfied(self, witness) -> bool:
        return self.first_unsatisfied(witness) < 0

    def assert_satisfied(self, witness) -> None:
        """Raise :class:`UnsatisfiedConstraintError` naming the first failing constraint."""
        i = self.first_unsatisfied(witness)
        if i >= 0:
            raise UnsatisfiedConstraintError(f"constraint {i} is not satisfied: {self.format_constraint(i)}", i)

    def format_constraint(self, i: int, limit: int = 6) -> str:
        def fmt(d):
            items = list(d.items())
            parts = []
            for w, c in items[:limit]:
                cs = str(c) if c <= R // 2 else f"-{R - c}"
                parts.append(("" if c == 1 else cs + "*") + (f"w{w}" if w else "1") if w else cs)
            if len(items) > limit:
                parts.append(f"... ({len(items)} terms)")
            return "(" + (" + ".join(parts) or "0") + ")"

        a, b, c = self.constraint(i)
        return f"{fmt(a)} * {fmt(b)} = {fmt(c)}"

    # ------------------------------------------------------------------ export
    def to_json(self) -> dict:
        """The structure ``snarkjs r1cs export json`` prints (decimal strings)."""
        cons = []
        for i in range(self.n_constraints):
            cons.append([{str(w): str(c) for w, c in lc.items()} for lc in self.constraint(i)])
        return {
            "n8": 32,
            "prime": str(self.prime),
            "nVars": self.n_wires,
            "nOutputs": self.n_pub_out,
            "nPubInputs": self.n_pub_in,
            "nPrvInputs": self.n_prv_in,
            "nLabels": self.n_labels,
            "nConstraints": self.n_constraints,
            "constraints": cons,
            "map": [int(x) for x in self.wire_to_label],
        }


__all__ = ["R1CS", "coeffs_to_limbs", "limbs_to_ints", "witness_to_limbs"]
