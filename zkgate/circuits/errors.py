"""Errors of the circuit layer, all below zkgate's :class:`~zkgate.errors.ZkgateError`."""

from __future__ import annotations

from zkgate.errors import ConstraintError, FormatError, InvalidInputError, ZkgateError


class CircuitError(ZkgateError):
    """A circuit definition is wrong: unpinned hint, non-constant where a constant is needed,
    a compile-time assertion between constants that fails, a bit width out of range."""


class CircuitInputError(InvalidInputError):
    """A value given to a circuit is missing, has the wrong shape, or is not below r."""


class UnsatisfiedConstraintError(ConstraintError):
    """A witness violates a constraint; ``index`` is the first failing constraint."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


class WitnessError(ConstraintError):
    """The solver could not compute a witness (e.g. the inverse of zero was required)."""


class R1CSFormatError(FormatError):
    """A ``.r1cs`` or ``.wtns`` file is malformed; the message names the file and section."""


__all__ = [
    "CircuitError",
    "CircuitInputError",
    "R1CSFormatError",
    "UnsatisfiedConstraintError",
    "WitnessError",
]
