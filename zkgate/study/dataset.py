"""Data sets: tables of integer columns with declared ranges.

A :class:`Column` declares an inclusive range ``[lo, hi]``.  Values are stored
non-negative: a column whose range reaches below zero is stored offset by its declared
minimum (``stored = value - lo``), every other column as is, so each stored value fits
``Column.bits`` bits.  Loading refuses a value outside its declared range, naming the
row and the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkgate.study import encoding as enc
from zkgate.study.errors import MessageFormatError, RecordOutOfRangeError, SchemaError

MAX_COLUMNS = 32
MAX_COLUMN_BITS = 62
MAX_RECORD_BITS = 253  # flag + columns must fit one field element (< 2^253 < r)
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


class Dataset:
    """A table: ``stored`` is an ``(n_records, n_columns)`` int64 array of stored values."""

    def __init__(self, schema: Schema, stored: np.ndarray) -> None:
        stored = np.asarray(stored, dtype=np.int64)
        if stored.ndim != 2 or stored.shape[1] != len(schema.columns):
            raise SchemaError(f"expected an (n, {len(schema.columns)}) table")
        for j, c in enumerate(schema.columns):
            col = stored[:, j]
            bad = np.nonzero((col < 0) | (col > c.max_stored))[0]
            if bad.size:
                r = int(bad[0])
                raise RecordOutOfRangeError(
                    f"row {r + 1}, column {c.name!r}: stored value {int(col[r])} is outside [0, {c.max_stored}]",
                    row=r + 1, column=c.name,
                )
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
        for r, row in enumerate(rows, start=1):
            if len(row) != len(schema.columns):
                raise SchemaError(f"row {r} has {len(row)} values, the schema has {len(schema.columns)} columns")
            for j, (c, v) in enumerate(zip(schema.columns, row)):
                out[r - 1, j] = _check_value(c, v, r)
        return cls(schema, out)

    @classmethod
    def from_array(cls, schema: Schema, raw: np.ndarray) -> Dataset:
        """From an ``(n, k)`` integer array of raw values (vectorized range check)."""
        raw = np.asarray(raw)
        if raw.ndim != 2 or raw.shape[1] != len(schema.columns) or raw.dtype.kind not in "iu":
            raise SchemaError(f"expected an (n, {len(schema.columns)}) integer array")
        raw = raw.astype(np.int64)
        for j, c in enumerate(schema.columns):
            bad = np.nonzero((raw[:, j] < c.lo) | (raw[:, j] > c.hi))[0]
            if bad.size:
                r = int(bad[0])
                raise RecordOutOfRangeError(
                    f"row {r + 1}, column {c.name!r}: {int(raw[r, j])} is outside the declared range [{c.lo}, {c.hi}]",
                    row=r + 1, column=c.name,
                )
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
        idx = []
        for c in schema.columns:
            if head.count(c.name) != 1:
                raise SchemaError(f"the CSV header must name column {c.name!r} exactly once; it has {head}")
            idx.append(head.index(c.name))
        out = []
        for r, row in enumerate(reader, start=1):
            if not row or all(not x.strip() for x in row):
                continue
            if len(row) != len(head):
                raise SchemaError(f"row {r} has {len(row)} fields, the header has {len(head)}")
            out.append([_check_value(c, row[i], r) for c, i in zip(schema.columns, idx)])
        return cls(schema, np.array(out, dtype=np.int64).reshape(len(out), len(schema.columns)))

    @classmethod
    def from_parquet(cls, schema: Schema, path: str | Path) -> Dataset:
        """Load a Parquet file (needs pyarrow)."""
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
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


def _check_value(c: Column, v, row: int) -> int:
    if isinstance(v, str):
        s = v.strip()
        try:
            x = int(s, 10)
        except ValueError:
            raise RecordOutOfRangeError(f"row {row}, column {c.name!r}: {v!r} is not an integer", row=row, column=c.name) from None
    elif type(v) is int or isinstance(v, np.integer):
        x = int(v)
    else:
        raise RecordOutOfRangeError(f"row {row}, column {c.name!r}: {v!r} is not an integer", row=row, column=c.name)
    if not c.lo <= x <= c.hi:
        raise RecordOutOfRangeError(
            f"row {row}, column {c.name!r}: {x} is outside the declared range [{c.lo}, {c.hi}]", row=row, column=c.name
        )
    return x - c.offset


__all__ = ["Column", "Dataset", "Schema"]
