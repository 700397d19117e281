"""Statistics over a block of records: filter, then count, sum, sum of squares, histogram.

A block is a list of records, each a list of column values; column ``j`` is declared to
hold values in ``[0, 2^col_bits[j])`` (range-checked here, once per cell).  The filter is
a conjunction of column ranges ``lo <= x <= hi`` and equalities ``x == v`` (bounds may be
constants or circuit values such as public inputs; variable bounds are range-checked).
Rows can be switched off by a ``valid`` flag (padding of a partly filled block).

:func:`block_statistics` is the gadget; :func:`reference_statistics` its plain twin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkgate.circuits.errors import CircuitError
from zkgate.circuits.lc import LC, as_lc


@dataclass(frozen=True)
class Filter:
    """``ranges``: ``(column, lo, hi)`` inclusive; ``equals``: ``(column, value)``."""

    ranges: tuple = ()
    equals: tuple = ()


@dataclass(frozen=True)
class StatSpec:
    """What to compute over column ``column`` of the passing rows."""

    column: int
    histogram_edges: tuple = field(default=())  # increasing constants e_0 < ... < e_k: k bins [e_b, e_{b+1})


def _ge_const(api, x, c: int, n: int):
    """[x >= c] for x range-checked to n bits and a constant c."""
    if c <= 0:
        return LC.const(1)
    if c >= 1 << n:
        return LC.const(0)
    return 1 - api.less_than(x, c, n, checked=False)


def block_statistics(api, records, col_bits, flt: Filter, stat: StatSpec, valid=None) -> dict:
    """Returns ``{"count", "sum", "sumsq", "hist": [...]}`` as circuit values."""
    if not records:
        raise CircuitError("block_statistics needs at least one record")
    ncol = len(col_bits)
    for bits in col_bits:
        if not 1 <= bits <= 120:
            raise CircuitError(f"column widths must be in [1, 120] bits, got {bits}")
    edges = list(stat.histogram_edges)
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise CircuitError("histogram edges must increase")
    # variable filter bounds are range-checked once
    def bound(col, v):
        v = as_lc(v)
        k = v.constant_value()
        if k is None:
            api.assert_range(v, col_bits[col])
        return v

    ranges = [(col, bound(col, lo), bound(col, hi)) for col, lo, hi in flt.ranges]
    equals = [(col, as_lc(v)) for col, v in flt.equals]
    count, total, sumsq = LC(), LC(), LC()
    hist = [LC() for _ in range(max(len(edges) - 1, 0))]
    sc = stat.column
    n_sc = col_bits[sc]
    for r, rec in enumerate(records):
        if len(rec) != ncol:
            raise CircuitError(f"record {r} has {len(rec)} columns, expected {ncol}")
        rec = [as_lc(x) for x in rec]
        for x, bits in zip(rec, col_bits):
            api.assert_range(x, bits)
        conds = []
        if valid is not None:
            api.assert_boolean(valid[r])
            conds.append(as_lc(valid[r]))
        for col, lo, hi in ranges:
            n = col_bits[col]
            x = rec[col]
            conds.append(1 - api.less_than(x, lo, n, checked=False))  # x >= lo
            conds.append(1 - api.less_than(hi, x, n, checked=False))  # x <= hi
        for col, v in equals:
            conds.append(api.is_equal(rec[col], v))
        p = LC.const(1)
        for cnd in conds:
            p = api.mul(p, cnd)
        x = rec[sc]
        count = count + p
        px = api.mul(p, x)
        total = total + px
        sumsq = sumsq + api.mul(px, x)
        if hist:
            ge = [_ge_const(api, x, e, n_sc) for e in edges]
            for b in range(len(hist)):
                hist[b] = hist[b] + api.mul(p, ge[b] - ge[b + 1])
    return {"count": count, "sum": total, "sumsq": sumsq, "hist": hist}


def reference_statistics(records, flt: Filter, stat: StatSpec, valid=None) -> dict:
    """The plain computation the gadget proves (ints in, ints out)."""
    count = total = sumsq = 0
    edges = list(stat.histogram_edges)
    hist = [0] * max(len(edges) - 1, 0)
    for r, rec in enumerate(records):
        if valid is not None and not valid[r]:
            continue
        if not all(lo <= rec[c] <= hi for c, lo, hi in flt.ranges):
            continue
        if not all(rec[c] == v for c, v in flt.equals):
            continue
        x = rec[stat.column]
        count += 1
        total += x
        sumsq += x * x
        for b in range(len(hist)):
            if edges[b] <= x < edges[b + 1]:
                hist[b] += 1
    return {"count": count, "sum": total, "sumsq": sumsq, "hist": hist}


__all__ = ["Filter", "StatSpec", "block_statistics", "reference_statistics"]
