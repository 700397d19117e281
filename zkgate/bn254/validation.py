"""Validation of curve points at trust boundaries: range, curve equation, subgroup.

``check_g1`` / ``check_g2`` return the point unchanged or raise
:class:`~zkgate.errors.InvalidInputError` (a coordinate outside [0, q)) or
:class:`~zkgate.errors.NotOnCurveError` (off the curve, or on the twist but outside G2).
G1 has cofactor 1, so the curve equation is enough there; G2 needs the subgroup test of
:func:`zkgate.bn254.pairing.g2_in_subgroup` (compiled on the native backend).
"""

from __future__ import annotations

from zkgate.bn254 import fields
from zkgate.bn254.constants import Q_MOD
from zkgate.bn254.curve import G1, G2, G1Point, G2Point
from zkgate.bn254.pairing import g2_in_subgroup
from zkgate.errors import NotOnCurveError


def check_g1(point: G1Point, what: str = "G1 point") -> G1Point:
    """Validate shape, range and curve membership of a G1 point (G1 has cofactor 1)."""
    if point is None:
        return None
    x, y = point
    fields.check_element(x, Q_MOD, f"{what}.x")
    fields.check_element(y, Q_MOD, f"{what}.y")
    if not G1.is_on_curve(point):
        raise NotOnCurveError(f"{what} ({x}, {y}) is not on BN254 G1")
    return point


def check_g2(point: G2Point, what: str = "G2 point") -> G2Point:
    """Validate shape, range, curve and subgroup membership of a G2 point."""
    if point is None:
        return None
    (x0, x1), (y0, y1) = point
    for name, value in (("x0", x0), ("x1", x1), ("y0", y0), ("y1", y1)):
        fields.check_element(value, Q_MOD, f"{what}.{name}")
    if not G2.is_on_curve(point):
        raise NotOnCurveError(f"{what} is not on the BN254 twist")
    if not g2_in_subgroup(point):
        raise NotOnCurveError(f"{what} is on the twist but not in the order-r subgroup G2")
    return point


__all__ = ["check_g1", "check_g2"]
