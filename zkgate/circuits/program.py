"""The witness program: how to compute every wire from the inputs, step by step.

The builder records one step per computed wire (or group of wires), in creation order,
which is a valid evaluation order.  Steps are typed so that a compiled loop can run them
(:mod:`zkgate.kernels.circuits` holds the step codes and both engines); only ``HINT`` steps
call back into Python.

=========  ==========================================================================
step       meaning
=========  ==========================================================================
SOLVE      ``out = A·B - (C - out)`` for constraint ``arg`` (``out`` has coefficient 1
           in C and appears nowhere else in it)
INV        ``out = 1 / L`` (0 when L = 0) for program LC ``arg``
DIV        ``out = L_arg / L_aux`` (0 when the divisor is 0: the constraint then fails)
BITS       ``out + i = bit i of L_arg`` for ``i < aux`` (truncated when L >= 2^aux:
           the constraint check then fails)
HINT       ``out .. out + aux - 1 = hints[arg].fn(*values)``
=========  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zkgate.kernels.circuits import OP_BITS, OP_DIV, OP_HINT, OP_INV, OP_SOLVE

OP_NAMES = {OP_SOLVE: "solve", OP_INV: "inv", OP_DIV: "div", OP_BITS: "bits", OP_HINT: "hint"}


@dataclass
class Hint:
    fn: Callable
    srcs: list[int]  # program-LC indices of the inputs
    out_start: int
    n_out: int


@dataclass
class WitnessProgram:
    n_wires: int
    op_kind: np.ndarray  # uint8
    op_out: np.ndarray  # uint32
    op_arg: np.ndarray  # int64
    op_aux: np.ndarray  # int64
    plc_offsets: np.ndarray  # int64
    plc_wires: np.ndarray  # uint32
    plc_coeffs: np.ndarray  # uint32, into the R1CS coefficient table
    hints: list[Hint]
    inputs: dict  # name -> (public, [wires], is_list)
    outputs: dict  # name -> ([wires], is_list)
    # When linear constraints were eliminated: the constraints SOLVE steps refer to (the
    # builder's own, over the program's ``n_wires`` wires) and, for each R1CS wire, its
    # program wire (increasing; inputs and outputs map to themselves).  Program wire
    # indices (``op_out``, ``ops_of_kind``, solver ``overrides``) are program numbering.
    lc_offsets: np.ndarray | None = None  # int64
    lc_wires: np.ndarray | None = None  # uint32
    lc_coeffs: np.ndarray | None = None  # uint32
    witness_wires: np.ndarray | None = None  # int64

    def r1cs_wire(self, wire: int) -> int | None:
        """The R1CS index of a program wire (None when it was eliminated)."""
        if self.witness_wires is None:
            return wire
        i = int(np.searchsorted(self.witness_wires, wire))
        return i if i < len(self.witness_wires) and self.witness_wires[i] == wire else None

    def constraints(self, r1cs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(offsets, wires, coeffs)`` of the constraints the SOLVE steps read."""
        if self.lc_offsets is None:
            return r1cs.lc_offsets, r1cs.lc_wires, r1cs.lc_coeffs
        return self.lc_offsets, self.lc_wires, self.lc_coeffs

    @property
    def n_ops(self) -> int:
        return int(len(self.op_kind))

    def ops_of_kind(self, name: str) -> list[tuple[int, int]]:
        """``(out_wire, count)`` of every step of a kind ("inv", "bits", ...): tests use it
        to find the wires a gadget computed, e.g. to forge a bad witness."""
        code = {v: k for k, v in OP_NAMES.items()}[name]
        out = []
        for i in np.nonzero(self.op_kind == code)[0]:
            n = int(self.op_aux[i]) if code in (OP_BITS, OP_HINT) else 1
            out.append((int(self.op_out[i]), n))
        return out

    # ------------------------------------------------------------------ persistence
    def arrays(self) -> dict[str, np.ndarray]:
        extra = {}
        if self.lc_offsets is not None:
            extra = {"prog_lc_offsets": self.lc_offsets, "prog_lc_wires": self.lc_wires, "prog_lc_coeffs": self.lc_coeffs,
                     "prog_witness_wires": self.witness_wires}
        return {
            **extra,
            "op_kind": self.op_kind,
            "op_out": self.op_out,
            "op_arg": self.op_arg,
            "op_aux": self.op_aux,
            "plc_offsets": self.plc_offsets,
            "plc_wires": self.plc_wires,
            "plc_coeffs": self.plc_coeffs,
        }


__all__ = ["Hint", "WitnessProgram", "OP_SOLVE", "OP_INV", "OP_DIV", "OP_BITS", "OP_HINT", "OP_NAMES"]
