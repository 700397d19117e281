"""Reference multi-scalar multiplication on Python ints (the pure-Python twin).

``msm_g1_reference(bases, scalars)`` returns ``sum(s_i * B_i)`` in the plain shapes of
:mod:`zkgate.bn254.curve`.  Scalars are reduced mod r (negative ints allowed); ``None``
bases (infinity) contribute nothing.  Pippenger's bucket method keeps even the pure-Python
backend usable for small proofs.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkgate.bn254.arrays import FrArray, G1Affine, G2Affine
from zkgate.bn254.compiled import native_curve
from zkgate.bn254.constants import R_MOD
from zkgate.bn254.curve import G1, G2, Curve, G1Point, G2Point
from zkgate.errors import InvalidInputError


def window_bits(n: int) -> int:
    """Pippenger window size for ``n`` terms (about log2(n) / 2 + 1, at least 1)."""
    if n < 4:
        return 1
    return max(2, n.bit_length() // 2 + 1)


def msm_reference(curve: Curve, bases: Sequence, scalars: Sequence[int]):
    if len(bases) != len(scalars):
        raise InvalidInputError(f"MSM needs as many scalars as bases ({len(scalars)} != {len(bases)})")
    terms = []
    for base, scalar in zip(bases, scalars):
        scalar = int(scalar) % R_MOD
        if base is not None and scalar:
            terms.append((curve.to_jacobian(base), scalar))
    infinity = curve.to_jacobian(None)
    if not terms:
        return None
    c = window_bits(len(terms))
    mask = (1 << c) - 1
    total = infinity
    for window in reversed(range(0, R_MOD.bit_length(), c)):
        for _ in range(c):
            total = curve.double(total)
        buckets = [infinity] * (mask + 1)
        for point, scalar in terms:
            digit = (scalar >> window) & mask
            if digit:
                buckets[digit] = curve.add(buckets[digit], point)
        running = infinity
        window_sum = infinity
        for digit in range(mask, 0, -1):
            running = curve.add(running, buckets[digit])
            window_sum = curve.add(window_sum, running)
        total = curve.add(total, window_sum)
    return curve.to_affine(total)


def msm_g1_reference(bases: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
    return msm_reference(G1, bases, scalars)


def msm_g2_reference(bases: Sequence[G2Point], scalars: Sequence[int]) -> G2Point:
    return msm_reference(G2, bases, scalars)


# ---- public entry points: native dispatch ------------------------------------------------


def _scalars_for_native(scalars):
    if isinstance(scalars, FrArray):
        return scalars.plain().limbs
    return FrArray.from_ints(scalars).limbs


def _msm(group: int, bases, scalars):
    cls = G1Affine if group == 1 else G2Affine
    other = G2Affine if group == 1 else G1Affine
    if isinstance(bases, other):
        raise InvalidInputError(f"msm_g{group} got {type(bases).__name__} bases")
    if len(bases) != len(scalars):
        raise InvalidInputError(f"MSM needs as many scalars as bases ({len(scalars)} != {len(bases)})")
    if native_curve is None:
        plain_bases = bases.to_ints() if isinstance(bases, cls) else bases
        plain_scalars = scalars.to_ints() if isinstance(scalars, FrArray) else scalars
        return msm_reference(G1 if group == 1 else G2, plain_bases, plain_scalars)
    packed = bases if isinstance(bases, cls) else cls.from_ints(bases)
    limbs = _scalars_for_native(scalars)
    if len(packed) == 0:
        return None
    row = native_curve.msm(packed.limbs, limbs, group)
    return cls(row.reshape(1, -1), check=False).to_ints()[0]


def msm_g1(bases, scalars) -> G1Point:
    """``sum(s_i * B_i)`` over G1.  ``bases``: a :class:`~zkgate.bn254.arrays.G1Affine` or
    a sequence of plain points; ``scalars``: an :class:`~zkgate.bn254.arrays.FrArray` or
    ints (reduced mod r).  Returns a plain point (``None`` = infinity).  Uses the compiled
    Pippenger kernel (multi-threaded, GIL released) on the native backend."""
    return _msm(1, bases, scalars)


def msm_g2(bases, scalars) -> G2Point:
    """``sum(s_i * B_i)`` over G2; same conventions as :func:`msm_g1`."""
    return _msm(2, bases, scalars)
