"""Pedersen vector commitment in-circuit: ``Σ v_j·G_j + ρ·H`` with the generators of
:mod:`zkgate.circuits.pedersen` (fixed-base multiplications, then additions)."""

from __future__ import annotations

from zkgate.circuits import pedersen as ped
from zkgate.circuits.gadgets.babyjubjub import point_add, scalar_mul_fixed

RHO_BITS = 252  # rho < l < 2^252


def commit(api, values, value_bits: int, rho):
    """Commit to ``values`` (each range-checked to ``value_bits`` bits) with blinding
    ``rho`` (range-checked to 252 bits; the caller keeps it below l).  Returns (x, y)."""
    gs, h = ped.generators(len(values))
    acc = None
    for v, g in zip(values, gs):
        pt = scalar_mul_fixed(api, api.to_bits(v, value_bits), g)
        acc = pt if acc is None else point_add(api, acc, pt)
    pt = scalar_mul_fixed(api, api.to_bits(rho, RHO_BITS), h)
    return pt if acc is None else point_add(api, acc, pt)


__all__ = ["RHO_BITS", "commit"]
