"""Bit decomposition (circomlib's Num2Bits, Num2Bits_strict, Bits2Num)."""

from __future__ import annotations

from zkgate.circuits.field import R_BITS


def num2bits(api, x, n: int):
    """``n`` little-endian bits of ``x`` (n + 1 constraints; n = 254 is strict)."""
    return api.to_bits(x, n)


def num2bits_strict(api, x):
    """254 bits of ``x`` with the alias check: the bits encode ``x`` itself, not ``x + r``."""
    return api.to_bits(x, R_BITS)


def bits2num(api, bits):
    """``sum(b_i 2^i)``; bits are asserted boolean unless already known to be."""
    return api.from_bits(bits)


__all__ = ["bits2num", "num2bits", "num2bits_strict"]
