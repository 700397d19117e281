"""The committed moments: per-record contribution, plain twin, bounds, DP sensitivity.

A study commits, for every cell (group) and every :class:`~zkgate.study.question.Moment` of its
question, the sum over the cell's passing real records of the moment's per-record value, in stored
units:

==========  ======================  ====================  =====================
moment      per-record value        per-record bound      L1 sensitivity
==========  ======================  ====================  =====================
count       1                       1                     1
sum(x)      x                       max_x                 max_x
prod(x,y)   x·y                     max_x·max_y           max_x·max_y
hist(x,e)   [e_b <= x < e_{b+1}]    1 per bin             1 (the whole histogram)
bins(x,s)   [x >> s == b]           1 per bin             1
surv(t,e)   event / censoring in    1 per bin             1
            bin t // w
==========  ======================  ====================  =====================

Coordinates are laid out cell-major: cell 0's moments (count first), then cell 1's, ...
(:func:`coordinate_names`).  :func:`chunk_values` is the exact numpy twin of the circuit's
accumulators; :func:`derive` turns released sums into results through the registry.

In the contribution circuit without GROUP BY (:func:`circuit_contribution`; ``p`` the record's
real/dummy flag × predicate) a record adds ``p`` to the count (no constraint), ``p·x`` to a sum (1)
and ``(p·x)·y`` to a product (1, sharing the sum's ``p·x``).  Histogram, quantile and survival bins
are counted per chunk by log-derivative lookups (:func:`lookup_histogram`; HISTOGRAM rows by
:func:`histogram_record`), and under GROUP BY every coordinate is a weighted lookup on the record's
group key (:mod:`zkgate.study.circuit`).  Per record, on top: the record's bits (1 each) and the
predicate (``>=``/``<=``/``<``/``>`` bits(x) + 1, ``=``/``<>`` 2, ``BETWEEN`` 2·(bits(x) + 1) + 1,
``IN`` of k values k + 1, ``AND``/``OR`` of k terms k − 1, the flag 1).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from zkgate.circuits.field import R
from zkgate.study.dataset import Schema
from zkgate.study.question import Moment, Question, evaluate
from zkgate.study.statistics import registry


def per_record_bounds(moment: Moment, schema: Schema) -> list[int]:
    if moment.kind == "count":
        return [1]
    if moment.kind == "sum":
        return [schema.column(moment.columns[0]).max_stored]
    if moment.kind == "prod":
        a, b = moment.columns
        return [schema.column(a).max_stored * schema.column(b).max_stored]
    return [1] * moment.width  # hist, bins, surv: one record is in at most one bin


#: The moment kinds the contribution circuit proves (count, sum and prod by :func:`circuit_contribution`,
#: the binned ones per chunk by :func:`lookup_histogram`).
CIRCUIT_KINDS = ("count", "sum", "prod", "hist", "bins", "surv", "wbins")


def chunk_bits(moment: Moment, col_bits: dict[str, int], capacity: int) -> list[int]:
    """Bit width of each of the moment's coordinates summed over one chunk of ``capacity`` records,
    from the stored widths the circuit range-checks (the Pedersen coordinate ranges)."""
    top = {c: (1 << col_bits[c]) - 1 for c in moment.columns}
    if moment.kind == "count":
        return [capacity.bit_length()]
    if moment.kind == "sum":
        return [(capacity * top[moment.columns[0]]).bit_length()]
    if moment.kind == "prod":
        a, b = moment.columns
        return [(capacity * top[a] * top[b]).bit_length()]
    return [capacity.bit_length()] * moment.width


def circuit_contribution(api, moment: Moment, g, x: dict, gx: dict) -> list:
    """One record's contribution to a count, sum or product coordinate, in the circuit.

    ``g`` is the record's boolean indicator (real/dummy flag × predicate); ``x`` maps a column to its
    stored value; ``gx`` caches ``g·x`` per column for this record.  Costs: count 0, sum 1, prod 1
    (``(g·a)·b``, sharing the sum's product — a product's sums are always committed too)."""
    if moment.kind == "count":
        return [g]

    def g_times(c):
        if c not in gx:
            gx[c] = api.mul(g, x[c])
        return gx[c]

    if moment.kind == "sum":
        return [g_times(moment.columns[0])]
    if moment.kind == "prod":
        a, b = moment.columns
        return [api.mul(g_times(a), x[b])]
    raise ValueError(f"the contribution circuit does not prove {moment.kind!r} moments")


#: Domain tag of the lookup challenge (in-circuit Fiat–Shamir).
TAG_LOOKUP = int.from_bytes(b"zkgate/study/lookup/v1", "big")


def bucket_stride(moment: Moment, col_bits: dict[str, int]) -> int:
    """Distance between the buckets of consecutive cells (or event kinds): every bin index the column's
    bits can express, so no out-of-range value can land in another cell's bucket."""
    if moment.kind == "bins":
        return 1 << max(0, col_bits[moment.columns[0]] - moment.edges[0])
    if moment.kind == "wbins":  # (x >> s) − lo/2^s may be negative for a non-counting record: twice the span
        return 2 << max(0, col_bits[moment.columns[0]] - moment.edges[1])
    w, _ = moment.edges
    return -(-(1 << col_bits[moment.columns[0]]) // w)


def hist_bucket(moment: Moment, cell_key, row):
    """A HISTOGRAM bucket: ``cell·(m + 2) + row`` for the rows 0..m+1 of :func:`histogram_rows`."""
    return cell_key * (len(moment.edges) + 1) + row


def bucket_keys(moment: Moment, cell_keys: list[int], col_bits: dict[str, int]) -> list[list[int]]:
    """The lookup key of each committed coordinate of a binned moment, per cell (``cell_keys``: each
    cell's group key, see :func:`zkgate.study.circuit.cell_keys`)."""
    if moment.kind == "hist":  # rows 0 and m+1 (outside the edges) are sinks, see hist_sinks
        return [[hist_bucket(moment, c, j) for j in range(1, len(moment.edges))] for c in cell_keys]
    stride = bucket_stride(moment, col_bits)
    nb = moment.width if moment.kind == "wbins" else moment.edges[1]
    if moment.kind in ("bins", "wbins"):
        return [[c * stride + b for b in range(nb)] for c in cell_keys]
    return [[(2 * c + kind) * stride + b for kind in (0, 1) for b in range(nb)] for c in cell_keys]


def hist_sinks(moment: Moment, cell_keys: list[int]) -> list[int]:
    """The uncommitted buckets of a HISTOGRAM: each cell's records below the first edge or above the last."""
    return [hist_bucket(moment, c, j) for c in cell_keys for j in (0, len(moment.edges))]


def record_bucket(api, moment: Moment, cell_key, x: dict, xbits: dict, col_bits: dict[str, int], window=None):
    """One record's lookup key for a ``bins`` / ``surv`` moment (a linear combination, meaningful when
    the record counts; ``cell_key`` the record's group key).  ``bins``: ``cell·stride + (x >> s)`` from the value's top bits (free).
    ``surv``: ``(2·cell + 1 − event)·stride + index`` with the index hinted and pinned by
    ``0 <= t − index·w < w`` (range checks of ⌈log2 w⌉ bits: one when w is a power of two, two otherwise)."""
    from zkgate.circuits.lc import LC

    stride = bucket_stride(moment, col_bits)
    col = moment.columns[0]
    if moment.kind in ("bins", "wbins"):
        shift = moment.edges[0] if moment.kind == "bins" else moment.edges[1]
        index = LC()  # x >> shift, from the value's top bits
        for i, b in enumerate(xbits[col][shift:]):
            index = index.combine(b, 1 << i)
        if moment.kind == "bins":
            return cell_key * stride + index
        # ``window`` is the constant lo (a multiple of 2^s, so the shift is exact)
        return cell_key * stride + index - window * pow(1 << shift, -1, R)
    w, _ = moment.edges
    index = api.hint(partial(_floor_div, w=w), x[col])
    rem = x[col] - index * w
    k = max(1, (w - 1).bit_length())
    api.to_bits(rem, k)
    if w & (w - 1):
        api.to_bits((w - 1) - rem, k)
    return (cell_key * 2 + 1 - x[moment.columns[1]]) * stride + index


def _floor_div(t: int, *, w: int) -> int:
    return t // w


def _bucket_counts(*args, n: int) -> list[int]:
    """Hint: how many counting records fall in each bucket (args = the n records' weights p (0 or 1),
    their n keys, then the buckets' keys)."""
    weights, keys, buckets = args[:n], args[n : 2 * n], args[2 * n :]
    where = {k: i for i, k in enumerate(buckets)}
    out = [0] * len(buckets)
    for p, k in zip(weights, keys):
        if p == 1 and k in where:
            out[where[k]] += 1
    return out


def _log_derivative_counts(api, records: list, buckets: list, alpha) -> list:
    """Hint each bucket's count of ``records`` (``(weight, key)`` pairs, weight 0 or 1) and prove it:
    ``Σ_records weight/(α − key) = Σ_buckets count/(α − bucket)`` (one division a term; see
    :func:`lookup_histogram` for why this pins every count)."""
    counts = api.hint(partial(_bucket_counts, n=len(records)), *(w for w, _ in records), *(k for _, k in records),
                      *buckets, n_out=len(buckets))
    counts = counts if isinstance(counts, list) else [counts]
    lhs = 0
    for w, k in records:
        lhs = api.div(w, alpha - k) + lhs
    rhs = 0
    for h, b in zip(counts, buckets):
        rhs = api.div(h, alpha - b) + rhs
    api.assert_equal(lhs, rhs)
    return counts


def lookup_histogram(api, moment: Moment, records: list, keys: list[list[int]], alpha, sinks: list[int] = ()) -> list[list]:
    """The chunk's coordinates of a ``bins`` / ``surv`` moment, proven by a log-derivative identity.

    ``records`` holds each record's ``(p, key)``: p the boolean that it counts (flag · predicate), key
    its bucket (:func:`record_bucket`).  The bucket counts H are hinted and proven by

        Σ_records p / (α − key)  ==  Σ_buckets H_j / (α − key_j)

    at ``α`` = a Poseidon hash of the chunk root, the study id and the commitment C, which binds the
    records and H (C commits every coordinate) before α exists: as rational functions both sides are
    equal iff every counting record's key is a committed bucket and each H_j is its number of records, so
    a false H passes with probability at most (records + buckets)/r (Schwartz–Zippel; grinding ρ to
    re-draw α costs a Poseidon hash per try).  Cost: one constraint per record and one per bucket
    (each ``H_j / (α − key_j)`` and ``p / (α − key)`` is one division), against cells × bins booleans
    for a one-hot per record.  The caller range-checks H through the commitment's bit decomposition.
    ``sinks`` are buckets whose counts are proven but not returned (a HISTOGRAM's records below the
    first edge or at or above the last)."""
    counts = _log_derivative_counts(api, records, [k for cell in keys for k in cell] + list(sinks), alpha)
    out, pos = [], 0
    for cell in keys:
        out.append(counts[pos : pos + len(cell)])
        pos += len(cell)
    return out


def histogram_rows(edges: list, col_bits: int) -> list[tuple]:
    """The rows ``(j, lo, hi)`` that partition ``[0, 2^bits)`` for a HISTOGRAM with edges e_0 < ... < e_m:
    row 0 ``[0, e_0)`` (below), rows 1..m the bins ``[e_{j-1}, e_j)``, row m+1 ``[e_m, 2^bits)`` (above).
    ``edges`` may be wires (the constants are witness values bound into the study id)."""
    bounds = [0, *edges, 1 << col_bits]
    return [(j, bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1)]


def histogram_row_key(j, lo, hi, col_bits: int):
    """``(j·2^(n+1) + lo)·2^(n+1) + hi``: injective for j small and lo, hi ≤ 2^n (n = col_bits)."""
    shift = 1 << (col_bits + 1)
    return (j * shift + lo) * shift + hi


def _histogram_row(x: int, *edges: int, col_bits: int) -> list[int]:
    """Hint: the row ``(j, lo, hi)`` of :func:`histogram_rows` holding ``x``."""
    for j, lo, hi in histogram_rows(list(edges), col_bits):
        if lo <= x < hi:
            return [j, lo, hi]
    return [0, 0, 0]  # unreachable for x < 2^bits (the constraints then fail)


def histogram_record(api, x, edges: list, col_bits: int):
    """One record's HISTOGRAM row, by lookup: the row ``(j, lo, hi)`` is hinted, ``lo <= x < hi`` is
    range-checked (two decompositions of n + 1 bits) and the row's key is returned for the table identity
    of :func:`histogram_table_check`; ``j`` (linear) is its bin, 1..m inside the edges.  Cost: 2n + 2
    constraints per record whatever the number of bins (one comparison per edge costs (n + 1)·(m + 1)
    plus a multiplication per bin)."""
    j, lo, hi = api.hint(partial(_histogram_row, col_bits=col_bits), x, *edges, n_out=3)
    api.to_bits(x - lo, col_bits + 1)
    api.to_bits(hi - 1 - x, col_bits + 1)
    return j, histogram_row_key(j, lo, hi, col_bits)


def histogram_table_check(api, row_keys: list, edges: list, col_bits: int, alpha) -> None:
    """Every record's ``(j, lo, hi)`` is a row of the histogram's table (built from the edge constants):
    ``Σ_records 1/(α − key) = Σ_rows m_row/(α − key_row)`` with the multiplicities hinted (one division per
    record and per row)."""
    table = [histogram_row_key(j, lo, hi, col_bits) for j, lo, hi in histogram_rows(list(edges), col_bits)]
    _log_derivative_counts(api, [(1, k) for k in row_keys], table, alpha)


def sensitivity(moment: Moment, schema: Schema) -> int:
    """L1 change of the moment's coordinates when one record is added or removed."""
    return 1 if moment.binned else per_record_bounds(moment, schema)[0]


def coordinate_names(question: Question, schema: Schema) -> list[str]:
    out = []
    cells = question.cells(schema)
    for key in cells:
        prefix = "" if not question.group_by else f"[{question.cell_label(key)}]"
        for m in question.moments(schema):
            if m.kind == "surv":
                nb = m.edges[1]
                out += [f"{prefix}events({m.columns[0]})[{b}]" for b in range(nb)]
                out += [f"{prefix}censored({m.columns[0]})[{b}]" for b in range(nb)]
            else:
                out += [prefix + m.name] if not m.binned else [f"{prefix}{m.name}[{b}]" for b in range(m.width)]
    return out


def record_bounds(question: Question, schema: Schema) -> list[int]:
    """Per-record bound of every coordinate (cell-major)."""
    one = [b for m in question.moments(schema) for b in per_record_bounds(m, schema)]
    return one * len(question.cells(schema))


def predicate_mask(question: Question, schema: Schema, stored: np.ndarray) -> np.ndarray:
    """Which records (stored units, real records only) pass the predicate: the plain semantics of
    :func:`zkgate.study.question.evaluate`, vectorised."""
    from zkgate.study.question import And, Between, Compare, InSet, Not

    offs = {c.name: c.offset for c in schema.columns}

    def col(name):
        return stored[:, schema.index(name)] + offs[name]

    def ev(p):
        if p is None:
            return np.ones(stored.shape[0], dtype=bool)
        if isinstance(p, Compare):
            x, v = col(p.column), p.value
            return {"=": x == v, "<>": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[p.op]
        if isinstance(p, Between):
            x = col(p.column)
            return (x >= p.lo) & (x <= p.hi)
        if isinstance(p, InSet):
            return np.isin(col(p.column), np.array(p.values, dtype=np.int64))
        if isinstance(p, Not):
            return ~ev(p.term)
        parts = [ev(t) for t in p.terms]
        out = parts[0]
        for q in parts[1:]:
            out = (out & q) if isinstance(p, And) else (out | q)
        return out

    return ev(question.predicate)


def chunk_values(question: Question, schema: Schema, stored: np.ndarray) -> list[int]:
    """The committed coordinates of a set of real records (stored units): the circuit's twin."""
    stored = np.asarray(stored, dtype=np.int64).reshape(-1, len(schema.columns))
    mask = predicate_mask(question, schema, stored)
    out: list[int] = []
    moments = question.moments(schema)
    for key in question.cells(schema):
        sel = mask.copy()
        for g, v in zip(question.group_by, key):
            sel &= stored[:, schema.index(g)] == schema.column(g).store(v)
        rows = stored[sel]
        for m in moments:
            if m.kind == "count":
                out.append(int(rows.shape[0]))
            elif m.kind == "sum":
                out.append(int(rows[:, schema.index(m.columns[0])].sum()))
            elif m.kind == "prod":
                a = rows[:, schema.index(m.columns[0])].tolist()
                b = rows[:, schema.index(m.columns[1])].tolist()
                out.append(sum(x * y for x, y in zip(a, b)))  # Python ints: no overflow
            elif m.kind == "hist":
                x = rows[:, schema.index(m.columns[0])]
                e = m.edges
                out += [int(((x >= e[b]) & (x < e[b + 1])).sum()) for b in range(m.width)]
            elif m.kind == "bins":
                x = rows[:, schema.index(m.columns[0])] >> m.edges[0]
                out += np.bincount(x, minlength=m.width).tolist()[: m.width]
            elif m.kind == "wbins":
                lo, shift, nb = m.edges
                x = rows[:, schema.index(m.columns[0])]
                x = (x[x >= lo] - lo) >> shift
                out += np.bincount(x[x < nb], minlength=nb).tolist()
            else:  # surv
                w, nb = m.edges
                t = rows[:, schema.index(m.columns[0])] // w
                ev = rows[:, schema.index(m.columns[1])]
                out += np.bincount(t[ev == 1], minlength=nb).tolist()[:nb]
                out += np.bincount(t[ev == 0], minlength=nb).tolist()[:nb]
    return out


def derive(question: Question, schema: Schema, values: list[int]) -> dict:
    """Every aggregate's result from the released coordinates (stored units, cell-major): alias →
    value, or alias → {group label → value} under GROUP BY.  Values are
    :mod:`~zkgate.study.statistics.numbers` objects (lists/dicts of them for HISTOGRAM and OLS)."""
    moments = question.moments(schema)
    width = sum(m.width for m in moments)
    cells = question.cells(schema)
    if len(values) != width * len(cells):
        raise ValueError(f"expected {width * len(cells)} coordinates, got {len(values)}")
    sums = [registry.CellSums(schema, moments, list(values[i * width : (i + 1) * width])) for i in range(len(cells))]
    out: dict = {}
    for a in question.aggregates:
        k = registry.kind(a.function)
        if question.group_by:
            by_cell = {question.cell_label(key): s for key, s in zip(cells, sums)}
            out[a.alias] = {label: k.derive(a, s) for label, s in by_cell.items()}
            out[a.alias].update(k.derive_across(a, by_cell))
        else:
            out[a.alias] = k.derive(a, sums[0])
    return out


def truth(question: Question, schema: Schema, rows_declared: list[dict[str, int]]) -> dict:
    """zkgate's own clear-text answer over pooled records (declared units, dicts by column): each row
    filtered with the plain predicate, grouped, summed as Python integers, then derived."""
    moments = question.moments(schema)
    cells = question.cells(schema)
    index = {key: i for i, key in enumerate(cells)}
    width = sum(m.width for m in moments)
    acc = [0] * (width * len(cells))
    for row in rows_declared:
        if not evaluate(question.predicate, row):
            continue
        base = index[tuple(row[g] for g in question.group_by)] * width
        pos = base
        for m in moments:
            st = [schema.column(c).store(row[c]) for c in m.columns]
            if m.kind == "count":
                acc[pos] += 1
            elif m.kind == "sum":
                acc[pos] += st[0]
            elif m.kind == "prod":
                acc[pos] += st[0] * st[1]
            elif m.kind == "hist":
                for b in range(m.width):
                    acc[pos + b] += int(m.edges[b] <= st[0] < m.edges[b + 1])
            elif m.kind == "bins":
                acc[pos + (st[0] >> m.edges[0])] += 1
            elif m.kind == "wbins":
                lo, shift, nb = m.edges
                if lo <= st[0] and (st[0] - lo) >> shift < nb:
                    acc[pos + ((st[0] - lo) >> shift)] += 1
            else:  # surv: events of bin b at pos + b, censorings at pos + nbins + b
                w, nb = m.edges
                acc[pos + st[0] // w + (0 if st[1] == 1 else nb)] += 1
            pos += m.width
    return derive(question, schema, acc)


__all__ = ["CIRCUIT_KINDS", "chunk_bits", "chunk_values", "circuit_contribution", "coordinate_names", "derive", "per_record_bounds", "predicate_mask", "record_bounds",
           "sensitivity", "truth"]
