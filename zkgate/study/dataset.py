"""Data sets: tables of integer columns with declared ranges.

A :class:`Column` declares an inclusive range ``[lo, hi]``.  Values are stored
non-negative: a column whose range reaches below zero is stored offset by its declared
minimum (``stored = value - lo``), every other column as is, so each stored value fits
``Column.bits`` bits.  Loading refuses a value outside its declared range, naming the
row and the column; a CSV or array with several bad values is refused once, listing every
bad row and column (the first :data:`MAX_REPORTED_PROBLEMS`, then how many more), so one run
shows everything to fix.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkgate.safejson import is_decimal
from zkgate.study import encoding as enc
from zkgate.study.errors import MessageFormatError, RecordOutOfRangeError, SchemaError

MAX_COLUMNS = 32
MAX_COLUMN_BITS = 62
MAX_RECORD_BITS = 253  # flag + columns must fit one field element (< 2^253 < r)
MAX_REPORTED_PROBLEMS = 20  # bad values listed one by one in an error; the rest are counted
MAX_VALUE_CHARACTERS = 40  # a CSV field longer than this cannot be an in-range value (|v| < 2^62)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Column:
    """An integer column with declared inclusive range ``[lo, hi]``."""

    name: str
    lo: int
    hi: int

    def __post_init__(self) -> None:
        if type(self.name) is not str or not _NAME.match(self.name):
            raise SchemaError(f"column name {self.name!r}: use 1-64 letters, digits or '_', starting with a letter")
        if type(self.lo) is not int or type(self.hi) is not int:
            raise SchemaError(f"column {self.name!r}: declared range bounds must be integers")
        if self.lo > self.hi:
            raise SchemaError(f"column {self.name!r}: declared range [{self.lo}, {self.hi}] is empty")
        if abs(self.lo) >= 1 << MAX_COLUMN_BITS or abs(self.hi) >= 1 << MAX_COLUMN_BITS:
            raise SchemaError(f"column {self.name!r}: bounds must lie within ±2^{MAX_COLUMN_BITS}")
        if (self.hi - self.offset).bit_length() > MAX_COLUMN_BITS:
            raise SchemaError(f"column {self.name!r}: the range needs more than {MAX_COLUMN_BITS} bits")

    @property
    def offset(self) -> int:
        """Subtracted before storing: the declared minimum if negative, else 0."""
        return self.lo if self.lo < 0 else 0

    @property
    def max_stored(self) -> int:
        return self.hi - self.offset

    @property
    def bits(self) -> int:
        """Width of a stored value."""
        return max(1, self.max_stored.bit_length())

    def store(self, value: int) -> int:
        return value - self.offset


@dataclass(frozen=True)
class Schema:
    """The ordered columns of a data set."""

    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.columns, tuple) or not 1 <= len(self.columns) <= MAX_COLUMNS:
            raise SchemaError(f"a schema needs a tuple of 1..{MAX_COLUMNS} columns")
        if not all(isinstance(c, Column) for c in self.columns):
            raise SchemaError("schema columns must be Column instances")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise SchemaError(f"duplicate column names: {names}")
        if self.record_bits > MAX_RECORD_BITS:
            raise SchemaError(
                f"a record needs {self.record_bits} bits (1 flag + column widths); at most {MAX_RECORD_BITS} fit"
            )

    @classmethod
    def of(cls, *columns: tuple[str, int, int]) -> Schema:
        return cls(tuple(Column(n, lo, hi) for n, lo, hi in columns))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def bits(self) -> tuple[int, ...]:
        return tuple(c.bits for c in self.columns)

    @property
    def record_bits(self) -> int:
        return 1 + sum(c.bits for c in self.columns)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SchemaError(f"unknown column {name!r}; the schema has {list(self.names)}") from None

    def column(self, name: str) -> Column:
        return self.columns[self.index(name)]

    # -- encoding ---------------------------------------------------------------------------
    def to_obj(self) -> list:
        return [[c.name, c.lo, c.hi] for c in self.columns]

    @classmethod
    def from_obj(cls, obj) -> Schema:
        items = enc.read_list(obj, "schema", max_len=MAX_COLUMNS)
        cols = []
        for i, c in enumerate(items):
            c = enc.read_list(c, f"schema column {i}", 3)
            cols.append(Column(enc.read_str(c[0], "column name", 64),
                               enc.read_int(c[1], "column lo"), enc.read_int(c[2], "column hi")))
        try:
            return cls(tuple(cols))
        except SchemaError as exc:
            raise MessageFormatError(f"schema: {exc}") from exc

    def to_bytes(self) -> bytes:
        return enc.pack(enc.header("schema") + [self.to_obj()])

    @classmethod
    def from_bytes(cls, data: bytes) -> Schema:
        (obj,) = _exact(enc.unpack(data, "schema"), 1, "schema")
        s = cls.from_obj(obj)
        enc.check_canonical(data, s, "schema")
        return s

    def digest(self) -> bytes:
        return enc.digest(self.to_bytes(), "schema")


def _exact(items: list, n: int, kind: str) -> list:
    if len(items) != n:
        raise MessageFormatError(f"{kind}: expected {n} items after the header, got {len(items)}")
    return items


class DatasetValuesError(RecordOutOfRangeError, SchemaError):
    """Every bad value (and malformed row) of a table, found in one pass.

    ``problems`` holds ``(row, column, message)`` for the first :data:`MAX_REPORTED_PROBLEMS`
    (``column`` is ``""`` for a row with the wrong number of fields), ``total`` counts them all;
    ``row`` and ``column`` are the first problem's."""

    def __init__(self, problems: list[tuple[int, str, str]], total: int, by_column: dict[str, int]) -> None:
        self.problems = tuple(problems)
        self.total = total
        self.by_column = dict(by_column)
        if total == 1:
            message = problems[0][2]
        else:
            listed = "".join(f"\n  {text}" for _, _, text in problems)
            rest = total - len(problems)
            counts = ", ".join(f"{n} in {name!r}" if name else f"{n} with the wrong number of fields"
                               for name, n in by_column.items())
            more = f"\n  ... and {rest} more" if rest else ""
            message = f"{total} bad values or rows ({counts}); fix them all, then run again:{listed}{more}"
        super().__init__(message, row=problems[0][0], column=problems[0][1])


class _Problems:
    """Collects bad values while a table is read; :meth:`raise_if_any` raises them together."""

    def __init__(self) -> None:
        self.listed: list[tuple[int, str, str]] = []
        self.total = 0
        self.by_column: dict[str, int] = {}

    def add(self, row: int, column: str, message: str) -> None:
        self.count(column)
        if len(self.listed) < MAX_REPORTED_PROBLEMS:
            self.listed.append((row, column, message))

    def count(self, column: str, n: int = 1) -> None:
        self.total += n
        self.by_column[column] = self.by_column.get(column, 0) + n

    def raise_if_any(self) -> None:
        if self.total:
            raise DatasetValuesError(self.listed, self.total, self.by_column)


class Dataset:
    """A table: ``stored`` is an ``(n_records, n_columns)`` int64 array of stored values."""

    def __init__(self, schema: Schema, stored: np.ndarray) -> None:
        stored = np.asarray(stored, dtype=np.int64)
        if stored.ndim != 2 or stored.shape[1] != len(schema.columns):
            raise SchemaError(f"expected an (n, {len(schema.columns)}) table")
        problems, columns = _Problems(), schema.columns
        _bad_cells(stored, [0] * len(columns), [c.max_stored for c in columns], problems, lambda r, j: (
            r + 1, columns[j].name,
            f"row {r + 1}, column {columns[j].name!r}: stored value {int(stored[r, j])} is outside [0, {columns[j].max_stored}]"))
        problems.raise_if_any()
        self.schema = schema
        self.stored = stored
        self.stored.setflags(write=False)

    def __len__(self) -> int:
        return int(self.stored.shape[0])

    @classmethod
    def from_rows(cls, schema: Schema, rows) -> Dataset:
        """From raw values (declared units), checking every value against its range."""
        rows = list(rows)
        out = np.zeros((len(rows), len(schema.columns)), dtype=np.int64)
        problems = _Problems()
        for r, row in enumerate(rows, start=1):
            if len(row) != len(schema.columns):
                problems.add(r, "", f"row {r} has {len(row)} values, the schema has {len(schema.columns)} columns")
                continue
            for j, (c, v) in enumerate(zip(schema.columns, row)):
                out[r - 1, j] = _read_value(c, v, r, problems)
        problems.raise_if_any()
        return cls(schema, out)

    @classmethod
    def from_array(cls, schema: Schema, raw: np.ndarray) -> Dataset:
        """From an ``(n, k)`` integer array of raw values (vectorized range check)."""
        raw = np.asarray(raw)
        if raw.ndim != 2 or raw.shape[1] != len(schema.columns) or raw.dtype.kind not in "iu":
            raise SchemaError(f"expected an (n, {len(schema.columns)}) integer array")
        raw = raw.astype(np.int64)
        problems, columns = _Problems(), schema.columns
        _bad_cells(raw, [c.lo for c in columns], [c.hi for c in columns], problems,
                   lambda r, j: (r + 1, columns[j].name, _out_of_range(columns[j], int(raw[r, j]), r + 1)))
        problems.raise_if_any()
        offsets = np.array([c.offset for c in schema.columns], dtype=np.int64)
        return cls(schema, raw - offsets)

    @classmethod
    def from_csv(cls, schema: Schema, source: str | Path | io.TextIOBase) -> Dataset:
        """Load a CSV with a header row naming (at least) the schema's columns; other columns
        are ignored.  Rows are numbered from 1 after the header."""
        if isinstance(source, (str, Path)):
            with open(source, newline="") as fh:
                return cls._from_reader(schema, csv.reader(fh))
        return cls._from_reader(schema, csv.reader(source))

    @classmethod
    def _from_reader(cls, schema: Schema, reader) -> Dataset:
        try:
            head = next(reader)
        except StopIteration:
            raise SchemaError("the CSV is empty: expected a header row") from None
        head = [h.strip() for h in head]
        wrong = [c.name for c in schema.columns if head.count(c.name) != 1]
        if wrong:
            which = ", ".join(map(repr, wrong))
            raise SchemaError(f"the CSV header must name column{'s' if len(wrong) > 1 else ''} {which} exactly once; "
                              f"it has {head}")
        idx = [head.index(c.name) for c in schema.columns]
        out = []
        problems = _Problems()
        for r, row in enumerate(reader, start=1):
            if not row or all(not x.strip() for x in row):
                continue
            if len(row) != len(head):
                problems.add(r, "", f"row {r} has {len(row)} fields, the header has {len(head)}")
                continue
            out.append([_read_value(c, row[i], r, problems) for c, i in zip(schema.columns, idx)])
        problems.raise_if_any()
        return cls(schema, np.array(out, dtype=np.int64).reshape(len(out), len(schema.columns)))

    @classmethod
    def from_parquet(cls, schema: Schema, path: str | Path) -> Dataset:
        """Load a Parquet file (needs pyarrow)."""
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # an optional dependency, needed only for Parquet input
            raise SchemaError("reading Parquet needs pyarrow (pip install pyarrow)") from exc
        table = pq.read_table(path, columns=list(schema.names))
        cols = []
        for c in schema.columns:
            arr = table.column(c.name)
            if arr.null_count:
                r = next(i for i, v in enumerate(arr.to_pylist()) if v is None) + 1
                raise RecordOutOfRangeError(f"row {r}, column {c.name!r}: missing value", row=r, column=c.name)
            np_col = arr.to_numpy()
            if np_col.dtype.kind not in "iu":
                raise SchemaError(f"column {c.name!r}: expected integers, found {np_col.dtype}")
            cols.append(np_col.astype(np.int64))
        raw = np.stack(cols, axis=1) if cols else np.zeros((0, 0), np.int64)
        return cls.from_array(schema, raw)

    def raw(self) -> np.ndarray:
        """Values in declared units."""
        return self.stored + np.array([c.offset for c in self.schema.columns], dtype=np.int64)


def _bad_cells(table: np.ndarray, lows: list[int], highs: list[int], problems: _Problems, message) -> None:
    """Record every value outside its column's [low, high], row by row (the first ones by
    ``message(row index, column index)``, the rest only counted)."""
    if table.size == 0:
        return
    bad = (table < np.array(lows, dtype=np.int64)) | (table > np.array(highs, dtype=np.int64))
    rows, cols = np.nonzero(bad)
    for r, j in zip(rows[:MAX_REPORTED_PROBLEMS].tolist(), cols[:MAX_REPORTED_PROBLEMS].tolist()):
        problems.add(*message(r, j))
    for j, n in enumerate(np.bincount(cols[MAX_REPORTED_PROBLEMS:], minlength=table.shape[1]).tolist()):
        if n:
            problems.count(message(0, j)[1], n)


def _out_of_range(c: Column, x: int, row: int) -> str:
    return f"row {row}, column {c.name!r}: {x} is outside the declared range [{c.lo}, {c.hi}]"


def _parse_value(c: Column, v, row: int) -> int | str:
    """The stored value of a raw value (int or CSV text), or the message saying what is wrong."""
    if isinstance(v, str):
        text = v.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if len(text) > MAX_VALUE_CHARACTERS or not is_decimal(digits):  # ASCII digits only: no '1_000', no '١٢'
            shown = v if len(v) <= MAX_VALUE_CHARACTERS else v[:MAX_VALUE_CHARACTERS] + "..."
            what = "the value is empty" if not text else f"{shown!r} is not an integer (ASCII digits, optional sign)"
            return f"row {row}, column {c.name!r}: {what}"
        x = int(text, 10)
    elif type(v) is int or isinstance(v, np.integer):
        x = int(v)
    else:
        return f"row {row}, column {c.name!r}: {v!r} is not an integer"
    if not c.lo <= x <= c.hi:
        return _out_of_range(c, x, row)
    return x - c.offset


def _read_value(c: Column, v, row: int, problems: _Problems) -> int:
    """The stored value, or 0 after recording what is wrong with it in ``problems``."""
    out = _parse_value(c, v, row)
    if isinstance(out, str):
        problems.add(row, c.name, out)
        return 0
    return out


__all__ = ["Column", "Dataset", "DatasetValuesError", "MAX_REPORTED_PROBLEMS", "Schema"]
