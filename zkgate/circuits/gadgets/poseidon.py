"""Poseidon in-circuit (circomlib's ``Poseidon(n)``: 240 constraints for 2 inputs).

S-boxes ``x^5`` cost three constraints each (x², x⁴, x⁵); constant S-box inputs (the
capacity element's first round) fold away.  The linear layers are folded into linear
combinations.  To keep those short in the partial rounds, the next round's S-box input is
made the new wire (``y = α·x⁴·x + rest``) instead of ``x⁵`` itself, so each partial
round has one long linear combination instead of three, and the hash output is a wire
(no extra constraint to expose it).
"""

from __future__ import annotations

from zkgate.circuits.errors import CircuitError
from zkgate.circuits.field import R, inv
from zkgate.circuits.lc import LC, as_lc
from zkgate.circuits.poseidon import MAX_INPUTS, params


def _pow5(api, x: LC) -> LC:
    k = x.constant_value()
    if k is not None:
        return LC.const(pow(k, 5, R))
    x2 = api.mul(x, x)
    x4 = api.mul(x2, x2)
    return api.mul(x4, x)


def permute(api, state) -> list[LC]:
    """The Poseidon permutation on ``len(state)`` circuit values."""
    t = len(state)
    r_f, r_p, c, m = params(t)
    s = [as_lc(x) for x in state]
    half = r_f // 2
    n_rounds = r_f + r_p
    inv_m00 = inv(m[0][0])
    for r in range(n_rounds):
        base = r * t
        s = [x + c[base + i] for i, x in enumerate(s)]
        if r < half or r >= half + r_p:  # full round: S-boxes on every element but 0 first
            for j in range(1, t):
                s[j] = _pow5(api, s[j])
        x = s[0]
        if x.constant_value() is None:
            # make the next S-box input (or the output) the new wire:
            # y = m00 * x^5 + rest, with x^5 = x^4 * x in the same constraint
            x2 = api.mul(x, x)
            x4 = api.mul(x2, x2)
            rest = LC.const(c[base + t]) if r + 1 < n_rounds else LC()
            for j in range(1, t):
                rest = rest.combine(s[j], m[0][j])
            y = api.mul_add(x4, x.scaled(m[0][0]), rest)
            s[0] = (y - rest).scaled(inv_m00)
        else:
            s[0] = _pow5(api, x)
        s = [_mix_row(s, row) for row in m]
    return s


def _mix_row(s: list[LC], row) -> LC:
    out = LC()
    for coeff, x in zip(row, s):
        out = out.combine(x, coeff)
    return out


def poseidon(api, inputs, init_state=0) -> LC:
    """circomlib's ``Poseidon(len(inputs))``: the hash of 1..16 circuit values."""
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise CircuitError(f"poseidon takes 1..{MAX_INPUTS} inputs, got {len(inputs)}")
    if as_lc(init_state).constant_value() == 0:
        return api.component(_hash_component, *inputs)
    return permute(api, [init_state, *inputs])[0]


def _hash_component(api, *inputs):
    return permute(api, [0, *inputs])[0]


def poseidon_sponge(api, inputs) -> LC:
    """In-circuit twin of :func:`zkgate.circuits.poseidon.poseidon_sponge`."""
    n = len(inputs)
    if n == 0:
        raise CircuitError("poseidon_sponge needs at least one input")
    acc = permute(api, [n, *inputs[:MAX_INPUTS]])[0]
    for i in range(MAX_INPUTS, n, MAX_INPUTS - 1):
        acc = permute(api, [n, acc, *inputs[i : i + MAX_INPUTS - 1]])[0]
    return acc


def merkle_root(api, leaf, siblings, path_bits) -> LC:
    """Root of a binary Poseidon Merkle path (twin of
    :func:`zkgate.circuits.poseidon.merkle_root`); path bits are asserted boolean."""
    cur = as_lc(leaf)
    for sib, bit in zip(siblings, path_bits, strict=True):
        sib = as_lc(sib)
        left = api.select(bit, sib, cur)
        right = cur + sib - left  # the other one, for free
        cur = poseidon(api, [left, right])
    return cur


def assert_merkle_inclusion(api, leaf, siblings, path_bits, root) -> None:
    """Binary Poseidon Merkle inclusion: the path leads from ``leaf`` to ``root``."""
    api.assert_equal(merkle_root(api, leaf, siblings, path_bits), root)


__all__ = ["assert_merkle_inclusion", "merkle_root", "permute", "poseidon", "poseidon_sponge"]
