"""Linear combinations: the values circuit code handles.

A :class:`LC` is ``sum(coeff * wire)`` over the circuit's wires, with wire 0 the constant
one.  Adding LCs and multiplying them by constants costs no constraint; only
:meth:`Builder.mul <zkgate.circuits.builder.Builder.mul>` and the assertions emit
constraints.  Python ints mix freely with LCs (``x + 3``, ``2 * x``, ``x - y``).
"""

from __future__ import annotations

import numpy as np

from zkgate.circuits.errors import CircuitError
from zkgate.circuits.field import R


class LC:
    """An immutable linear combination ``{wire: coefficient}`` over Fr (zero terms dropped)."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[int, int] | None = None):
        self.terms = terms if terms is not None else {}

    # ---- construction ---------------------------------------------------------------
    @staticmethod
    def const(value: int) -> LC:
        value %= R
        return LC({0: value} if value else {})

    @staticmethod
    def wire(index: int) -> LC:
        return LC({index: 1})

    # ---- queries --------------------------------------------------------------------
    def constant_value(self) -> int | None:
        """The value when this LC is a constant, else None."""
        t = self.terms
        if not t:
            return 0
        if len(t) == 1 and 0 in t:
            return t[0]
        return None

    def is_constant(self) -> bool:
        return self.constant_value() is not None

    def single_wire(self) -> int | None:
        """The wire index when this LC is exactly ``1 * wire`` (wire != 0), else None."""
        if len(self.terms) == 1:
            (w, c), = self.terms.items()
            if w != 0 and c == 1:
                return w
        return None

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        parts = [f"{c}*w{w}" if w else str(c) for w, c in sorted(self.terms.items())]
        return "LC(" + (" + ".join(parts) or "0") + ")"

    # ---- arithmetic (no constraints) -----------------------------------------------
    def scaled(self, k: int) -> LC:
        k %= R
        if k == 0:
            return LC()
        if k == 1:
            return self
        return LC({w: c * k % R for w, c in self.terms.items()})

    def combine(self, other: LC, k: int = 1) -> LC:
        """``self + k * other``."""
        out = dict(self.terms)
        for w, c in other.terms.items():
            v = (out.get(w, 0) + k * c) % R
            if v:
                out[w] = v
            else:
                out.pop(w, None)
        return LC(out)

    def __add__(self, other) -> LC:
        return self.combine(as_lc(other))

    __radd__ = __add__

    def __sub__(self, other) -> LC:
        return self.combine(as_lc(other), R - 1)

    def __rsub__(self, other) -> LC:
        return as_lc(other).combine(self, R - 1)

    def __neg__(self) -> LC:
        return self.scaled(R - 1)

    def __mul__(self, other) -> LC:
        if isinstance(other, LC):
            k = other.constant_value()
            if k is None:
                s = self.constant_value()
                if s is None:
                    raise CircuitError("multiplying two variables needs a constraint: use api.mul(a, b)")
                return other.scaled(s)
            return self.scaled(k)
        if isinstance(other, int) and not isinstance(other, bool):
            return self.scaled(other)
        return NotImplemented

    __rmul__ = __mul__

    def __eq__(self, other):  # identity semantics would surprise; forbid `==` on circuit values
        raise CircuitError("compare circuit values with api.is_equal / api.assert_equal, not ==")

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self):
        raise CircuitError("a circuit value has no truth value at compile time; use api.select")


def as_lc(value) -> LC:
    """Turn an int or LC into an LC (ints are reduced mod r)."""
    if isinstance(value, LC):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return LC.const(value)
    if isinstance(value, np.integer):
        return LC.const(int(value))
    raise CircuitError(f"expected a circuit value or an int, got {type(value).__name__}")


__all__ = ["LC", "as_lc"]
