"""Multiplexers (circomlib's Mux1, MultiMux1, Mux2 / MultiMux2 generalised to k bits)."""

from __future__ import annotations

from zkgate.circuits.errors import CircuitError
from zkgate.circuits.lc import LC, as_lc


def mux1(api, s, c0, c1):
    """``c1 if s else c0`` (circomlib Mux1; s asserted boolean)."""
    return api.select(s, c1, c0)


def multi_mux1(api, s, pairs):
    """Mux1 over several ``(c0, c1)`` pairs sharing one selector."""
    return [api.select(s, c1, c0) for c0, c1 in pairs]


def mux(api, bits, values, *, checked: bool = True):
    """``values[sum(bits_i 2^i)]`` for ``len(values) == 2^len(bits)``.

    A binary tree of selects: ``2^k - 1`` constraints (free levels when the candidates
    are equal constants), plus one per selector bit not already known boolean, which is
    asserted boolean.  ``checked=False`` is circomlib's MuxN: the caller guarantees
    boolean selectors (for a non-boolean selector the result is some linear combination
    of the values); Mux3 then costs 7 constraints against circomlib's 8."""
    k = len(bits)
    if len(values) != 1 << k:
        raise CircuitError(f"mux: {len(values)} values for {k} selector bits (need {1 << k})")
    layer = [as_lc(v) for v in values]
    for b in bits:
        if checked:
            layer = [api.select(b, layer[i + 1], layer[i]) for i in range(0, len(layer), 2)]
        else:
            layer = [_select_unchecked(api, b, layer[i + 1], layer[i]) for i in range(0, len(layer), 2)]
    return layer[0]


def _select_unchecked(api, s, t, f):
    """``f + s·(t - f)`` (one constraint, none when t - f is constant)."""
    d = as_lc(t) - as_lc(f)
    if d.is_constant() or as_lc(s).is_constant():
        return api.mul(s, d) + f
    return api.mul_add(s, d, f)


def lookup_const(api, bits, table):
    """``table[index]`` for constant entries, linear in the products of the selector bits:
    ``2^k - k - 1`` constraints for the products, then free combinations (circomlib's
    MultiMux3 style).  Use it several times with the same ``bits`` through
    :func:`selector_monomials` to share the products."""
    mons = selector_monomials(api, bits)
    return combine_monomials(mons, table)


def selector_monomials(api, bits) -> dict[int, LC]:
    """Products of every subset of ``bits`` (keyed by subset mask)."""
    for b in bits:
        api.assert_boolean(b)
    mons = {0: LC.const(1)}
    for i, b in enumerate(bits):
        for mask in list(mons):
            mons[mask | (1 << i)] = api.mul(mons[mask], b) if mask else as_lc(b)
    return mons


def combine_monomials(mons: dict[int, LC], table) -> LC:
    """The multilinear interpolation of the constant ``table`` on those monomials."""
    k = max(mons).bit_length()
    if len(table) != 1 << k:
        raise CircuitError(f"lookup: {len(table)} entries for {k} selector bits")
    # Möbius transform: coefficient of monomial S = sum over T subset S of (-1)^{|S-T|} table[T]
    coeffs = [int(v) for v in table]
    for i in range(k):
        for mask in range(1 << k):
            if mask >> i & 1:
                coeffs[mask] -= coeffs[mask ^ (1 << i)]
    out = LC()
    for mask, c in enumerate(coeffs):
        if c:
            out = out.combine(mons[mask], c)
    return out


__all__ = ["combine_monomials", "lookup_const", "multi_mux1", "mux", "mux1", "selector_monomials"]
