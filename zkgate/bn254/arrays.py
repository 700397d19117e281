"""Packed BN254 arrays: scalars and curve points in contiguous numpy ``uint64`` buffers.

One row per element, little-endian 64-bit limbs -- byte for byte the layout of snarkjs
files, so a ``.zkey`` or ``.wtns`` section maps onto an array without per-element Python
work:

* :class:`FrArray` -- ``(n, 4)``: scalars, plain (``montgomery=False``, as in a ``.wtns``)
  or Montgomery form (as in ``.zkey`` coefficient sections);
* :class:`G1Affine` -- ``(n, 8)``: ``x, y`` in Montgomery form (a ``.zkey`` G1 section);
* :class:`G2Affine` -- ``(n, 16)``: ``x.c0, x.c1, y.c0, y.c1`` in Montgomery form.

An all-zero point row is the point at infinity (how snarkjs stores it).  Constructors from
Python ints validate (values >= p raise :class:`~zkgate.errors.InvalidInputError`, points
off the curve :class:`~zkgate.errors.NotOnCurveError`, bad byte lengths
:class:`~zkgate.errors.FormatError`); ``to_ints`` returns the plain shapes of
:mod:`zkgate.bn254.curve`.  Works on both backends; the native one converts in C.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from zkgate.bn254.compiled import native_curve, native_field
from zkgate.bn254.constants import Q_MOD, R_MOD
from zkgate.bn254.curve import G1, G2, G1Point, G2Point
from zkgate.bn254.twist import g2_in_subgroup_reference
from zkgate.errors import FormatError, InvalidInputError, NotOnCurveError

_MONT = 1 << 256
_MASK = (1 << 64) - 1


def ints_to_rows(values: Sequence[int], width: int = 4) -> np.ndarray:
    """Pack ints (each < 2^256) into an ``(n // (width/4), width)`` uint64 array."""
    f = native_field
    if f is not None:
        return f.ints_to_limbs(list(values)).reshape(-1, width)
    raw = b"".join(int(v).to_bytes(32, "little") for v in values)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(-1, width)


def rows_to_ints(arr: np.ndarray) -> list[int]:
    """Unpack a uint64 array (any width multiple of 4) into ints, 4 limbs each."""
    f = native_field
    flat = np.ascontiguousarray(arr, dtype=np.uint64).reshape(-1, 4)
    if f is not None:
        return f.limbs_to_ints(flat)
    raw = flat.astype("<u8").tobytes()
    return [int.from_bytes(raw[i:i + 32], "little") for i in range(0, len(raw), 32)]


def _below(arr: np.ndarray, modulus: int) -> bool:
    f = native_field
    if f is not None and modulus in (R_MOD, Q_MOD):
        return bool(f.all_below_modulus(arr.reshape(-1, 4), modulus == R_MOD))
    return all(v < modulus for v in rows_to_ints(arr))


def to_montgomery(arr: np.ndarray, modulus: int) -> np.ndarray:
    f = native_field
    if f is not None:
        return f.to_montgomery(arr.reshape(-1, 4), modulus == R_MOD).reshape(arr.shape)
    return ints_to_rows([v * _MONT % modulus for v in rows_to_ints(arr)]).reshape(arr.shape)


def from_montgomery(arr: np.ndarray, modulus: int) -> np.ndarray:
    f = native_field
    if f is not None:
        return f.from_montgomery(arr.reshape(-1, 4), modulus == R_MOD).reshape(arr.shape)
    inv = pow(_MONT, -1, modulus)
    return ints_to_rows([v * inv % modulus for v in rows_to_ints(arr)]).reshape(arr.shape)


def _from_buffer(data, width: int, what: str) -> np.ndarray:
    buf = memoryview(data).cast("B")
    if len(buf) % (8 * width):
        raise FormatError(f"{what}: {len(buf)} bytes is not a multiple of {8 * width}")
    return np.frombuffer(buf, dtype="<u8").astype(np.uint64).reshape(-1, width)


class FrArray:
    """n scalars of Fr as an ``(n, 4)`` uint64 array, plain or Montgomery form."""

    __slots__ = ("limbs", "montgomery")

    def __init__(self, limbs: np.ndarray, montgomery: bool = False, *, check: bool = True) -> None:
        limbs = np.ascontiguousarray(limbs, dtype=np.uint64)
        if limbs.ndim != 2 or limbs.shape[1] != 4:
            raise FormatError(f"Fr array must have shape (n, 4), got {limbs.shape}")
        if check and not _below(limbs, R_MOD):
            raise InvalidInputError("Fr array holds a value >= r")
        self.limbs = limbs
        self.montgomery = montgomery

    @classmethod
    def from_ints(cls, values: Iterable[int]) -> FrArray:
        """Plain form; ints are reduced mod r (negative ints allowed), as ``msm_g1`` does."""
        return cls(ints_to_rows([int(v) % R_MOD for v in values]), False, check=False)

    @classmethod
    def from_bytes(cls, data, montgomery: bool = False) -> FrArray:
        """32-byte little-endian elements (a ``.wtns`` body, or ``montgomery=True`` for a
        ``.zkey`` coefficient section); values >= r are rejected."""
        return cls(_from_buffer(data, 4, "Fr array"), montgomery)

    def to_ints(self) -> list[int]:
        return rows_to_ints(self.plain().limbs)

    def to_bytes(self) -> bytes:
        return self.limbs.astype("<u8").tobytes()

    def plain(self) -> FrArray:
        if not self.montgomery:
            return self
        return FrArray(from_montgomery(self.limbs, R_MOD), False, check=False)

    def to_montgomery(self) -> FrArray:
        if self.montgomery:
            return self
        return FrArray(to_montgomery(self.limbs, R_MOD), True, check=False)

    def __len__(self) -> int:
        return self.limbs.shape[0]

    def __repr__(self) -> str:
        return f"FrArray(n={len(self)}, montgomery={self.montgomery})"


class _PointArray:
    WIDTH = 0
    CURVE = G1
    NAME = ""

    __slots__ = ("limbs",)

    def __init__(self, limbs: np.ndarray, *, check: bool = True) -> None:
        limbs = np.ascontiguousarray(limbs, dtype=np.uint64)
        if limbs.ndim != 2 or limbs.shape[1] != self.WIDTH:
            raise FormatError(f"{self.NAME} array must have shape (n, {self.WIDTH}), got {limbs.shape}")
        if check:
            self._validate(limbs)
        self.limbs = limbs

    @classmethod
    def _validate(cls, limbs: np.ndarray) -> None:
        if not _below(limbs, Q_MOD):
            raise InvalidInputError(f"{cls.NAME} coordinate >= q")
        if native_curve is not None:
            ok = native_curve.on_curve(limbs, 1 if cls.WIDTH == 8 else 2)
            if not ok.all():
                raise NotOnCurveError(f"{cls.NAME} point {int(np.argmin(ok))} is not on the curve")
        else:
            for i, p in enumerate(cls._rows_to_points(from_montgomery(limbs, Q_MOD))):
                if not cls.CURVE.is_on_curve(p):
                    raise NotOnCurveError(f"{cls.NAME} point {i} is not on the curve")

    @classmethod
    def from_bytes(cls, data, montgomery: bool = True, check: bool = True):
        """Raw affine points, ``8 * WIDTH`` bytes each: Montgomery form as in a ``.zkey``
        (``montgomery=False`` for plain little-endian coordinates)."""
        limbs = _from_buffer(data, cls.WIDTH, cls.NAME)
        if not montgomery:
            if check and not _below(limbs, Q_MOD):
                raise InvalidInputError(f"{cls.NAME} coordinate >= q")
            limbs = to_montgomery(limbs, Q_MOD)
        return cls(limbs, check=check)

    @classmethod
    def from_ints(cls, points: Iterable):
        """From plain shapes (``None`` = infinity); checks range and curve equation."""
        flat: list[int] = []
        for p in points:
            flat.extend(cls._flatten(p))
        plain = ints_to_rows(flat, 4).reshape(-1, cls.WIDTH)
        if not _below(plain, Q_MOD):
            raise InvalidInputError(f"{cls.NAME} coordinate >= q")
        return cls(to_montgomery(plain, Q_MOD))

    def to_ints(self) -> list:
        return self._rows_to_points(from_montgomery(self.limbs, Q_MOD))

    def to_bytes(self) -> bytes:
        return self.limbs.astype("<u8").tobytes()

    def __len__(self) -> int:
        return self.limbs.shape[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={len(self)})"


class G1Affine(_PointArray):
    """n affine G1 points, ``(n, 8)`` uint64, Montgomery form, zeros = infinity."""

    WIDTH = 8
    CURVE = G1
    NAME = "G1"
    __slots__ = ()

    @staticmethod
    def _flatten(p: G1Point) -> tuple[int, ...]:
        return (0, 0) if p is None else (int(p[0]), int(p[1]))

    @staticmethod
    def _rows_to_points(plain: np.ndarray) -> list[G1Point]:
        v = rows_to_ints(plain)
        return [None if v[i] == 0 and v[i + 1] == 0 else (v[i], v[i + 1]) for i in range(0, len(v), 2)]


class G2Affine(_PointArray):
    """n affine G2 points, ``(n, 16)`` uint64 (x.c0, x.c1, y.c0, y.c1), Montgomery form."""

    WIDTH = 16
    CURVE = G2
    NAME = "G2"
    __slots__ = ()

    @staticmethod
    def _flatten(p: G2Point) -> tuple[int, ...]:
        if p is None:
            return (0, 0, 0, 0)
        (x0, x1), (y0, y1) = p
        return (int(x0), int(x1), int(y0), int(y1))

    @staticmethod
    def _rows_to_points(plain: np.ndarray) -> list[G2Point]:
        v = rows_to_ints(plain)
        out: list[G2Point] = []
        for i in range(0, len(v), 4):
            if not any(v[i:i + 4]):
                out.append(None)
            else:
                out.append(((v[i], v[i + 1]), (v[i + 2], v[i + 3])))
        return out

    def in_subgroup(self) -> np.ndarray:
        """Boolean per point: in the order-r subgroup."""
        if native_curve is not None:
            return native_curve.g2_in_subgroup(self.limbs)
        return np.array([g2_in_subgroup_reference(p) for p in self.to_ints()], dtype=bool)


__all__ = ["FrArray", "G1Affine", "G2Affine", "ints_to_rows", "rows_to_ints"]
