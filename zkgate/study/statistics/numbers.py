"""How released results are published, so that every verifier reproduces the same strings.

* A rational result (a mean, a variance, a regression slope, R²) is an exact fraction,
  :class:`Exact`, published as ``"num/den"`` beside its decimal display.
* An irrational one (a square root: standard deviations, correlations, standard errors) is
  computed with :mod:`decimal` at :data:`PRECISION` digits and published to
  :data:`SIGNIFICANT` significant digits, :class:`Approx`.
* A value that does not exist (an empty cell, zero variance, a singular XᵀX, n ≤ k + 1) is
  :class:`Null` with the reason — never an exception.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from fractions import Fraction

PRECISION = 50
SIGNIFICANT = 15


def _context() -> decimal.Context:
    return decimal.Context(prec=PRECISION, rounding=decimal.ROUND_HALF_EVEN)


def display(d: decimal.Decimal) -> str:
    """``d`` to :data:`SIGNIFICANT` significant digits (no exponent for ordinary magnitudes)."""
    if d == 0:
        return "0"
    q = _context().create_decimal(d)
    text = format(q, f".{SIGNIFICANT}g")
    if "e" in text or "E" in text:
        mant, exp = text.lower().split("e")
        return f"{mant}e{int(exp)}"
    return text


@dataclass(frozen=True)
class Exact:
    value: Fraction

    @property
    def text(self) -> str:
        f = self.value
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"

    @property
    def decimal(self) -> str:
        ctx = _context()
        return display(ctx.divide(decimal.Decimal(self.value.numerator), decimal.Decimal(self.value.denominator)))

    def to_json(self):
        f = self.value
        return int(f) if f.denominator == 1 else float(self.decimal)

    def published(self) -> dict:
        return {"exact": self.text, "decimal": self.decimal}


@dataclass(frozen=True)
class Approx:
    text: str  # SIGNIFICANT significant digits

    def to_json(self):
        return float(self.text)

    def published(self) -> dict:
        return {"decimal": self.text}


@dataclass(frozen=True)
class Null:
    reason: str

    def to_json(self):
        return None

    def published(self) -> dict:
        return {"null": self.reason}


Value = Exact | Approx | Null


def exact(x) -> Exact:
    return Exact(Fraction(x))


def sqrt(x: Fraction) -> Approx:
    """√x for an exact non-negative ``x`` at :data:`PRECISION` digits."""
    ctx = _context()
    d = ctx.divide(decimal.Decimal(x.numerator), decimal.Decimal(x.denominator))
    return Approx(display(ctx.sqrt(d)))


def ratio_sqrt(num: Fraction, den_sq: Fraction) -> Approx:
    """``num / √den_sq`` (``den_sq`` > 0) at :data:`PRECISION` digits."""
    ctx = _context()
    n = ctx.divide(decimal.Decimal(num.numerator), decimal.Decimal(num.denominator))
    d = ctx.sqrt(ctx.divide(decimal.Decimal(den_sq.numerator), decimal.Decimal(den_sq.denominator)))
    return Approx(display(ctx.divide(n, d)))


def to_json(v):
    """A result (a value, or lists/dicts of values) as plain JSON: numbers, ``null``."""
    if isinstance(v, (Exact, Approx, Null)):
        return v.to_json()
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    return v


def published(v):
    """A result as published in the release record: exact fractions, decimal strings, reasons."""
    if isinstance(v, (Exact, Approx, Null)):
        return v.published()
    if isinstance(v, dict):
        return {k: published(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [published(x) for x in v]
    return v


__all__ = ["Approx", "Exact", "Null", "PRECISION", "SIGNIFICANT", "Value", "display", "exact", "published",
           "ratio_sqrt", "sqrt", "to_json"]
