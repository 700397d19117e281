"""Circuit helpers of the contribution circuit (built on :mod:`zkgate.circuits`).

:func:`sponge` computes exactly :func:`zkgate.circuits.poseidon.poseidon_sponge` but
stamps each permutation whose inputs are plain wires as a compiled component, so a
chunk's hash over hundreds of elements compiles in a fraction of a second.
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

from zkgate.circuits.field import R
from zkgate.circuits.gadgets.poseidon import permute
from zkgate.circuits.lc import LC, as_lc
from zkgate.circuits.poseidon import MAX_INPUTS


def _block(api, *inputs, n: int):
    return permute(api, [n, *inputs])[0]


def sponge(api, inputs) -> LC:
    """In-circuit ``poseidon_sponge(inputs)`` (capacity element = number of inputs)."""
    xs = [as_lc(x) for x in inputs]
    n = len(xs)
    if n == 0:
        raise ValueError("sponge needs at least one input")
    acc = api.component(_block, *xs[:MAX_INPUTS], n=n)
    for i in range(MAX_INPUTS, n, MAX_INPUTS - 1):
        acc = api.component(_block, acc, *xs[i : i + MAX_INPUTS - 1], n=n)
    return acc


def _low_bits(d: int, *, n: int) -> list[int]:
    return [(d >> i) & 1 for i in range(n)]


def geq(api, x, c, n: int) -> LC:
    """``[x >= c]`` for ``x < 2^n`` and ``c <= 2^n`` (both bounded by the caller), n + 1
    constraints: ``d = x - c + 2^n`` lies in ``[0, 2^(n+1))``; its n low bits come from a
    hint and are asserted boolean, and the top bit ``(d - low) / 2^n`` -- a linear
    combination, so no constraint ties the bits to ``d`` -- is asserted boolean too, which
    pins the decomposition (d < 2^(n+1) << r) and makes it the answer."""
    d = as_lc(x) - as_lc(c) + (1 << n)
    k = d.constant_value()
    if k is not None:
        return LC.const((k >> n) & 1)
    low = api.hint(partial(_low_bits, n=n), d, n_out=n)
    low = low if isinstance(low, list) else [low]
    rest = d
    for i, b in enumerate(low):
        api.assert_boolean(b)
        rest = rest.combine(as_lc(b), -(1 << i) % R)
    top = rest.scaled(pow(1 << n, -1, R))
    api.assert_boolean(top)
    return top


def source_digest() -> str:
    """Hash of the study modules that define circuits: a parameter of every compiled study
    circuit, so that the on-disk compilation cache never serves a stale shape."""
    global _SOURCE_DIGEST
    if _SOURCE_DIGEST is None:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for name in ("gadgets.py", "circuit.py", "commitment.py"):
            p = here / name
            if p.exists():
                h.update(name.encode() + b"\x00" + p.read_bytes())
        _SOURCE_DIGEST = h.hexdigest()[:16]
    return _SOURCE_DIGEST


_SOURCE_DIGEST: str | None = None
