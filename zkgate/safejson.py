"""Bounded JSON and decimal-string parsing for everything a file or a remote party hands zkgate.

Python's ``json`` and ``int()`` are generous in ways an attacker can use: ``int("१०५")`` is 105
(any Unicode digit counts), a number of more than 4300 digits raises a bare ``ValueError``, and
JSON nested 10^5 deep ends in ``RecursionError``.  Every reader of untrusted JSON goes through
:func:`loads` / :func:`load_file`, and every decimal string through :func:`parse_decimal`:

- decimal strings are ASCII ``[0-9]+`` only, at most :data:`MAX_DECIMAL_DIGITS` digits;
- nesting is bounded (:data:`MAX_DEPTH`) by a scan *before* the parser runs;
- JSON numbers are bounded in digits, ``NaN``/``Infinity`` are refused;
- every failure is a :class:`~zkgate.errors.FormatError` naming the file or field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from zkgate.errors import FormatError

MAX_DEPTH = 64
"""Deepest JSON nesting accepted (snarkjs files need 4; protocol requests a handful)."""

MAX_DECIMAL_DIGITS = 160
"""Longest decimal string accepted: BN254 field elements have 77 digits; integer limbs of HE
sums stay far below this."""

MAX_JSON_NUMBER_DIGITS = 160
"""Longest bare JSON number accepted (same reason)."""

_DECIMAL = re.compile(r"[0-9]+", re.ASCII)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def is_decimal(text: object) -> bool:
    """Whether ``text`` is a non-empty ASCII ``[0-9]+`` string (Unicode digits are not)."""
    return isinstance(text, str) and _DECIMAL.fullmatch(text) is not None


def parse_decimal(value: object, where: str, *, modulus: int | None = None,
                  max_digits: int = MAX_DECIMAL_DIGITS) -> int:
    """An ASCII decimal string as an int, below ``modulus`` when given; FormatError naming ``where``."""
    if not isinstance(value, str):
        raise FormatError(f"{where}: expected a decimal string, got {type(value).__name__} {_short(value)}")
    if len(value) > max_digits:
        raise FormatError(f"{where}: decimal string of {len(value)} characters (at most {max_digits} accepted)")
    if not is_decimal(value):
        raise FormatError(f"{where}: expected a decimal string of ASCII digits 0-9, got {_short(value)}")
    number = int(value)
    if modulus is not None and number >= modulus:
        raise FormatError(f"{where}: {number} is not below the field modulus {modulus}")
    return number


_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


def parse_integer(value: object, where: str, *, max_digits: int = MAX_DECIMAL_DIGITS) -> int:
    """A signed ASCII decimal integer (``-?[0-9]+``, surrounding blanks ignored) from text typed by
    a person or read from a file (command-line bounds, CSV cells); FormatError naming ``where``.

    Unlike ``int()``, Unicode digits ("١٠"), underscores ("1_000"), signs other than a leading
    minus and more than ``max_digits`` digits are refused."""
    if not isinstance(value, str):
        raise FormatError(f"{where}: expected an integer written in decimal, got {type(value).__name__} {_short(value)}")
    text = value.strip(" \t")
    if len(text) > max_digits + 1:
        raise FormatError(f"{where}: integer of {len(text)} characters (at most {max_digits} digits accepted)")
    if _INTEGER.fullmatch(text) is None:
        raise FormatError(f"{where}: expected an integer of ASCII digits 0-9 (optionally after '-'), got {_short(value)}")
    return int(text)


def nesting_depth(data: bytes) -> int:
    """The deepest bracket nesting of JSON text, ignoring brackets inside strings (linear, vectorised)."""
    stripped = _STRING.sub(b'""', data)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    steps = (np.isin(codes, (ord("["), ord("{"))).astype(np.int32)
             - np.isin(codes, (ord("]"), ord("}"))).astype(np.int32))
    if steps.size == 0:
        return 0
    return int(np.cumsum(steps).max(initial=0))


def loads(text: str | bytes, where: str, *, max_depth: int = MAX_DEPTH,
          max_number_digits: int = MAX_JSON_NUMBER_DIGITS) -> Any:
    """Parse untrusted JSON text with bounded depth and number sizes; FormatError naming ``where``."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise FormatError(f"{where}: JSON nested {depth} levels deep (at most {max_depth} accepted)")

    def number(token: str) -> int | float:
        digits = len(token.lstrip("-"))
        if digits > max_number_digits:
            raise FormatError(f"{where}: a JSON number of {digits} digits (at most {max_number_digits} accepted)")
        return int(token) if _DECIMAL.fullmatch(token.lstrip("-")) else float(token)

    def constant(token: str):
        raise FormatError(f"{where}: {token} is not a JSON number")

    try:
        decoded = raw.decode("utf-8") if isinstance(text, bytes) else text
        return json.loads(decoded, parse_int=number, parse_float=number, parse_constant=constant)
    except UnicodeDecodeError as exc:
        raise FormatError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise FormatError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    except (RecursionError, ValueError) as exc:  # defence in depth: the checks above should have caught it
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"{where}: JSON refused ({exc})") from exc


def load_file(path: str | Path, *, max_bytes: int = 256 << 20, **limits: Any) -> Any:
    """Read and parse a JSON file (see :func:`loads`); errors name the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > max_bytes:
        raise FormatError(f"{path}: larger than {max_bytes} bytes, refusing to parse it as JSON")
    return loads(data, str(path), **limits)


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
