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
"""

from __future__ import annotations

import numpy as np

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


#: The moment kinds the contribution circuit proves (:func:`circuit_contribution`; ``bins`` and
#: ``surv`` through :func:`binned_indicators`, jointly over the cells).
CIRCUIT_KINDS = ("count", "sum", "prod", "hist", "bins", "surv")


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


def circuit_contribution(api, moment: Moment, g, x: dict, ge: list | None, gx: dict) -> list:
    """One record's contribution to one cell's coordinates of ``moment``, in the circuit.

    ``g`` is the record's boolean indicator for the cell (real/dummy flag, predicate and cell
    one-hot included); ``x`` maps a column to its stored value; ``ge`` lists ``[x >= e_b]``
    for a histogram's edges (computed once per record, shared by the cells); ``gx`` caches ``g·x`` per
    column for this record and cell.  Costs: count 0, sum 1, prod 1 (``(g·a)·b``, sharing the sum's
    product — a product's sums are always committed too), each histogram bin 1 constraint."""
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
    if moment.kind == "hist":
        return [api.mul(g, ge[b] - ge[b + 1]) for b in range(moment.width)]
    raise ValueError(f"the contribution circuit does not prove {moment.kind!r} moments")


def _joint_one_hot(p: int, *args, n_cells: int, n_bins: int, kinds: int) -> list[int]:
    """Hint: the (cell, bin, kind) indicator of one record; args = cell indicators, bin index, event bit."""
    gs, idx, event = args[:n_cells], args[n_cells], args[n_cells + 1] if kinds == 2 else 1
    out = [0] * (n_cells * n_bins * kinds)
    if p != 1 or not 0 <= idx < n_bins:
        return out
    cell = next((c for c, g in enumerate(gs) if g == 1), None)
    if cell is None:
        return out
    kind = 0 if event == 1 else 1
    out[(cell * kinds + kind) * n_bins + idx] = 1
    return out


def binned_indicators(api, moment: Moment, gs: list, p, x: dict, xbits: dict) -> list[list]:
    """The coordinates of a ``bins`` or ``surv`` moment for every cell at once, for one record.

    One hinted one-hot ``q`` over (cell, bin[, event/censored]), each entry proven boolean, with
    ``Σ_bins q[c] = g_c`` for every cell (so the record is in the cell it counts in, and nowhere when
    it does not count), ``Σ b·q = p·index`` (the bin is the value's bin) and, for ``surv``,
    ``Σ q_event = p·event``.  The index of ``bins`` is read from the value's top bits (width 2^s:
    free); that of ``surv`` (width w) is hinted and pinned by ``0 <= t − index·w < w`` (two range
    checks of ⌈log2 w⌉ bits, one when w is a power of two).  Cost per record: cells × bins (× 2 for
    ``surv``) boolean constraints + cells + 2 or 3.
    """
    from functools import partial

    from zkgate.circuits.lc import LC

    col = moment.columns[0]
    if moment.kind == "bins":
        shift, nb = moment.edges
        index = LC()
        for i, b in enumerate(xbits[col][shift:]):
            index = index.combine(b, 1 << i)
        kinds, event = 1, None
    else:
        w, nb = moment.edges
        index = api.hint(lambda t, w=w: t // w, x[col])
        rem = x[col] - index * w
        k = max(1, (w - 1).bit_length())
        api.to_bits(rem, k)
        if w & (w - 1):
            api.to_bits((w - 1) - rem, k)
        kinds, event = 2, x[moment.columns[1]]
    n_cells = len(gs)
    extra = [event] if kinds == 2 else []
    q = api.hint(partial(_joint_one_hot, n_cells=n_cells, n_bins=nb, kinds=kinds), p, *gs, index, *extra,
                 n_out=n_cells * nb * kinds)
    q = q if isinstance(q, list) else [q]
    weighted, events = LC(), LC()
    out = []
    for c, g in enumerate(gs):
        total = LC()
        cell = []
        for kind in range(kinds):
            for b in range(nb):
                v = q[(c * kinds + kind) * nb + b]
                api.assert_boolean(v)
                total = total + v
                weighted = weighted.combine(v, b) if b else weighted
                if kind == 0 and kinds == 2:
                    events = events + v
                cell.append(v)
        api.assert_equal(total, g)
        out.append(cell)
    api.assert_equal(weighted, api.mul(p, index))
    if kinds == 2:
        api.assert_equal(events, api.mul(p, event))
    return out


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
            else:  # surv: events of bin b at pos + b, censorings at pos + nbins + b
                w, nb = m.edges
                acc[pos + st[0] // w + (0 if st[1] == 1 else nb)] += 1
            pos += m.width
    return derive(question, schema, acc)


__all__ = ["CIRCUIT_KINDS", "chunk_bits", "chunk_values", "circuit_contribution", "coordinate_names", "derive", "per_record_bounds", "predicate_mask", "record_bounds",
           "sensitivity", "truth"]
