"""The universal contribution circuit's parameters and the encoding of a question into its witness data.

One universal circuit serves every question of a schema and chunk capacity within a few declared maxima
(:class:`UniversalParams`), so one Groth16 ceremony serves them all; what varies between questions is
witness data — :func:`encode` turns a compiled :class:`~zkgate.study.question.Question` into the list of
field elements the circuit takes as ``constants``, bound into the study id exactly as the per-shape
circuit's constants are (``poseidon_sponge([TAG_STUDY_UNIVERSAL, constants..., rest])``).  Holders and
verifiers recompute the encoding from the question, so a study cannot be shown other masks than its SQL
asks for.  The circuit itself is :mod:`zkgate.study.universal_circuit`.

What a universal key covers (anything else is refused by :func:`encode` naming the limit):

* **filter**: an AND of conditions on one column each (``= <> < <= > >= BETWEEN IN NOT``, and ``OR`` /
  ``NOT`` among terms of the *same* column); each column's condition is a union of at most
  ``terms[j] // 2`` value intervals, or the complement of one (the circuit compares with ``terms[j]``
  sorted breakpoints).  An ``OR`` across columns needs a per-shape circuit;
* **GROUP BY** one or two columns of at most :data:`~zkgate.study.question.MAX_CATEGORIES` values,
  at most ``max_cells`` cells;
* **moments** ``count``, ``sum`` and ``prod`` of any columns (at most ``max_moments`` per cell, the count
  included); one ``bins`` moment (MEDIAN / PERCENTILE_CONT) with the key's power-of-two shift for that
  column (the default bins of :func:`~zkgate.study.statistics.registry.quantile_bins` at ``max_bins``);
  one ``surv`` moment (KAPLAN_MEIER) of at most ``max_surv_bins`` bins.  HISTOGRAM with arbitrary edges
  and PERCENTILE_REFINE windows stay per-shape.

Layout of the constants (all field elements, in this order):

1. per column j: ``terms[j]`` breakpoints (stored units, sorted, each <= 2^bits) then the complement
   bit: the column passes iff ``Σ_i [x >= e_2i] − [x >= e_2i+1]`` XOR complement is 1;
2. per group-eligible column: the high-slot mask, then the low-slot mask (cell key
   ``K = x_hi·2^bits(lo) + x_lo``, or ``x_lo`` alone, or 0 without GROUP BY);
3. per moment slot m = 1..max_moments−1: ``(a, b)`` column indices + 1 (``b = 0``: ``sum(a)``; both 0: unused);
4. the ``bins`` column mask (one per column);
5. the ``surv`` time-column mask (one per column), the event-column mask (one per 0/1 column), the bin
   width w (1 when unused);
6. the committed coordinate slots' tags, packed (:meth:`UniversalParams.tag_layout`): slot i's tag is its
   lookup key and β-slot (coordinates beyond the question's get distinct sentinel keys and must be 0),
   written as ``local + 2^L·ns + 2^(L+2)·slot`` (``ns``: 0 moments, 1 bins, 2 survival, 3 sentinel;
   key = ``local + [ns & 1]·BINS_BASE + [ns >> 1]·SURV_BASE``), ``per_element`` tags to a field element
   (the circuit decomposes each element into its bits, so the tags are exactly these and cost their bits,
   not two sponge inputs each).
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate.study.commitment import Packing
from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import MAX_CATEGORIES, And, Between, Compare, InSet, Not, Or, Question, evaluate
from zkgate.study.statistics.registry import DEFAULT_QUANTILE_BINS, quantile_bins

#: The filter's range lookups (:func:`zkgate.study.universal_circuit._geq_lookup`): a table of
#: [0, 2^TABLE_BITS); columns of at most GEQ_MAX_BITS bits compare by their bits instead.
TABLE_BITS = 9
GEQ_MAX_BITS = 2
TAG_STUDY_UNIVERSAL = int.from_bytes(b"zkgate/study/id/universal/v2", "big")  # v2: packed coordinate tags
#: Key namespaces of the one log-derivative identity (moments, bins, survival, unused coordinates).
BINS_BASE = 1 << 64
SURV_BASE = 1 << 128
SENTINEL_BASE = BINS_BASE + SURV_BASE


@dataclass(frozen=True)
class UniversalParams:
    """What a universal key is compiled for: the schema, the chunk capacity and the maxima."""

    schema: Schema
    capacity: int
    terms: tuple[int, ...]  # breakpoints per column
    max_cells: int = 8
    max_moments: int = 20  # non-binned moments per cell, count included
    max_bins: int = DEFAULT_QUANTILE_BINS
    max_surv_bins: int = 24
    max_coordinates: int = 0  # committed coordinate slots per chunk (0: max_cells × the widest cell)

    @classmethod
    def of(cls, schema: Schema, capacity: int, *, max_terms: int = 16, **maxima) -> UniversalParams:
        """``max_terms`` breakpoints spread over the columns (round robin, at least 2 where possible)."""
        n = len(schema.columns)
        terms = [max_terms // n + (1 if j < max_terms % n else 0) for j in range(n)]
        return cls(schema, capacity, tuple(terms), **maxima)

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.schema.columns) or any(type(t) is not int or not 0 <= t <= 64 for t in self.terms):
            raise SpecError("universal key: give 0..64 breakpoints per column")
        for name, lo, hi in (("max_cells", 1, 256), ("max_moments", 1, 64), ("max_bins", 1, 256),
                             ("max_surv_bins", 1, 256), ("max_coordinates", 0, 4096)):
            v = getattr(self, name)
            if type(v) is not int or not lo <= v <= hi:
                raise SpecError(f"universal key: {name} must be in [{lo}, {hi}], got {v!r}")

    # -- structure ------------------------------------------------------------------------------
    @property
    def col_bits(self) -> tuple[int, ...]:
        return self.schema.bits

    @property
    def group_columns(self) -> tuple[int, ...]:
        """Indices of the columns GROUP BY may use (at most MAX_CATEGORIES values)."""
        return tuple(j for j, c in enumerate(self.schema.columns) if c.hi - c.lo + 1 <= MAX_CATEGORIES)

    @property
    def binary_columns(self) -> tuple[int, ...]:
        """Indices of the columns declared [0, 1] (KAPLAN_MEIER's event)."""
        return tuple(j for j, c in enumerate(self.schema.columns) if (c.lo, c.hi) == (0, 1))

    @property
    def shifts(self) -> tuple[int, ...]:
        """The ``bins`` shift of each column (MEDIAN / PERCENTILE_CONT at ``max_bins``)."""
        return tuple(quantile_bins(self.schema, c.name, self.max_bins)[0] for c in self.schema.columns)

    @property
    def stride(self) -> int:
        return 1 << max(self.col_bits)

    @property
    def bins_stride(self) -> int:
        """Cells' spacing of the ``bins`` keys: above every column's ``x >> shift``."""
        return 1 << max(b - s for b, s in zip(self.col_bits, self.shifts))

    @property
    def surv_stride(self) -> int:
        """Spacing of the ``surv`` keys' (cell, event kind) blocks: above every time bin."""
        return 1 << self.surv_idx_bits

    @property
    def width(self) -> int:
        """Committed coordinates of one cell at the maxima."""
        return self.max_moments + self.max_bins + 2 * self.max_surv_bins

    @property
    def n_coordinates(self) -> int:
        """Committed coordinate slots (each costs its hash, a division and a Pedersen term per chunk)."""
        return self.max_coordinates or self.max_cells * self.width

    @property
    def coordinate_bits(self) -> int:
        """Range of every committed coordinate (the widest: a product summed over a chunk)."""
        top = (1 << max(self.col_bits)) - 1
        return (self.capacity * top * top).bit_length()

    def tag_layout(self) -> tuple[int, int, int]:
        """``(L, S, per_element)``: bits of a tag's local key, bits of its β-slot, tags per field element.

        A local key is a cell key ``K < 2^KC`` (moments), ``K·bins_stride + bin`` (bins),
        ``(2K + censored)·surv_stride + bin`` (survival) or the slot index (sentinels)."""
        bits = sorted((self.col_bits[j] for j in self.group_columns), reverse=True)
        kc = sum(bits[:2])
        local = max(kc + (self.bins_stride - 1).bit_length(), kc + 1 + self.surv_idx_bits, self.n_coordinates.bit_length())
        if local >= 64:
            raise SpecError("universal key: the schema's columns are too wide for the coordinate tags")
        slot = self.max_moments.bit_length()
        return local, slot, 253 // (local + 2 + slot)

    @property
    def surv_idx_bits(self) -> int:
        """Bits of a record's survival time bin (below ``max_surv_bins``)."""
        return max(1, (self.max_surv_bins - 1).bit_length())

    def range_lookups(self) -> int:
        """Range lookups per record: the filter's (columns wider than ``GEQ_MAX_BITS``, one per breakpoint)
        and the survival bin's two."""
        return sum(t for t, b in zip(self.terms, self.col_bits) if b > GEQ_MAX_BITS) + 2

    def hinted_bits(self) -> int:
        """Hinted booleans per record: a filter lookup's comparison bit and its key's high bits, the survival
        bin's bits and its two range keys' high bits."""
        return (sum(t * (1 + max(0, b - TABLE_BITS)) for t, b in zip(self.terms, self.col_bits) if b > GEQ_MAX_BITS)
                + self.surv_idx_bits + 2 * max(0, max(self.col_bits) - TABLE_BITS))

    def sponge_inputs(self) -> tuple[int, int]:
        """Sponge inputs that grow with the capacity: the chunk's packed records and the packed hinted bits
        (each costs about 24 constraints: 8 full rounds × 3; a packed sum 1 more to materialize)."""
        return Packing(self.col_bits, self.capacity).n_elements, -(-self.capacity * self.hinted_bits() // 253)

    def range_count_bits(self) -> int:
        """The width of each range-table multiplicity (at most every lookup of the chunk)."""
        return max(1, (self.capacity * self.range_lookups()).bit_length())

    def challenge_inputs(self) -> int:
        """Inputs of the challenge's sponge: tag, chunk root, study id, C, then the packed hinted bits and
        the packed multiplicities."""
        if not self.range_lookups():
            return 5
        per = 253 // self.range_count_bits()
        return 5 + -(-self.capacity * self.hinted_bits() // 253) + -(-(1 << TABLE_BITS) // per)

    def fixed_shape(self) -> tuple[int, int, int]:
        """What of the per-chunk cost depends on the capacity: the coordinates' width, the multiplicities'
        width and the challenge sponge's permutations (two keys equal in these differ only per record)."""
        perms = 1 + max(0, -(-(self.challenge_inputs() - 16) // 15))
        return self.coordinate_bits, self.range_count_bits(), perms

    def n_tag_elements(self) -> int:
        per = self.tag_layout()[2]
        return -(-self.n_coordinates // per)

    def n_constants(self) -> int:
        n = len(self.schema.columns)
        return (sum(self.terms) + n + 2 * len(self.group_columns) + 2 * (self.max_moments - 1) + n + n
                + len(self.binary_columns) + 1 + self.n_tag_elements())

    def circuit_params(self) -> dict:
        """The compile-time parameters of :func:`zkgate.study.universal_circuit.universal_circuit`."""
        return {"names": self.schema.names, "col_bits": self.col_bits, "capacity": self.capacity,
                "terms": self.terms, "groups": self.group_columns, "binary": self.binary_columns,
                "shifts": self.shifts, "max_cells": self.max_cells, "max_moments": self.max_moments,
                "n_coordinates": self.n_coordinates, "coordinate_bits": self.coordinate_bits,
                "tag_layout": self.tag_layout(), "surv_idx_bits": self.surv_idx_bits}

    def to_obj(self) -> list:
        return [list(self.terms), self.max_cells, self.max_moments, self.max_bins, self.max_surv_bins,
                self.max_coordinates]

    @classmethod
    def from_obj(cls, schema: Schema, capacity: int, obj) -> UniversalParams:
        if (not isinstance(obj, list) or len(obj) != 6 or not isinstance(obj[0], list)
                or any(type(x) is not int for x in obj[0]) or any(type(x) is not int for x in obj[1:])):
            raise SpecError("universal key parameters: expected [[terms...], max_cells, max_moments, max_bins, "
                            "max_surv_bins, max_coordinates]")
        return cls(schema, capacity, tuple(obj[0]), *obj[1:])

    # -- cost model ---------------------------------------------------------------------------
    def cost_per_record(self) -> dict:
        """Constraints per record by part (the model :mod:`benchmarks.bench_universal` checks)."""
        bits = self.col_bits
        n = len(bits)
        big = max(bits)
        return {
            "decode": 1 + sum(bits),
            # a one-bit column: a + b·x (its truth table made once per chunk); otherwise per breakpoint a
            # comparison of bits + 1 (narrow columns) or a range lookup (wider ones), and the XOR with the
            # complement bit; then the test that every column passes
            "filter": sum(1 if b == 1 else t * (b + 1) + 1 if b <= GEQ_MAX_BITS else t * (3 + max(0, b - TABLE_BITS)) + 1
                          for t, b in zip(self.terms, bits)) + 2,
            "cell key": len(self.group_columns),
            "moments": n * (n + 1) // 2 - bits.count(1) + n + 1,  # a one-bit column's square is linear
            "bins": n + 1,
            # the time column, the event, the bin's bits, idx·w, two range lookups (and their high bits),
            # the division and the one product by p of the three lookup terms
            "survival": (n + len(self.binary_columns) + self.surv_idx_bits + 1 + 2 * (1 + max(0, big - TABLE_BITS))
                         + 2),
        }

    def cost_per_chunk(self) -> int:
        """A rough fixed part: per slot the identity's right side, the commitment and the tag's bits; the
        constants' hash (about 40 a constant)."""
        local, slot, _ = self.tag_layout()
        table = (1 << TABLE_BITS) * (1 + self.range_count_bits()) if self.range_lookups() else 0
        return (self.n_coordinates * (2 + 3 * self.coordinate_bits + 6 + local + 2 + slot)
                + (self.n_constants() + self.challenge_inputs()) * 40 + table)


# -- the encoding --------------------------------------------------------------------------------------

def _columns_of(p) -> set[str]:
    if isinstance(p, (Compare, Between, InSet)):
        return {p.column}
    if isinstance(p, Not):
        return _columns_of(p.term)
    return set().union(*(_columns_of(t) for t in p.terms))


def _conjuncts(p) -> list:
    """The predicate as a list of conjuncts (NOT pushed through AND/OR by De Morgan)."""
    def nnf(q, neg: bool):
        if isinstance(q, Not):
            return nnf(q.term, not neg)
        if isinstance(q, (And, Or)):
            terms = tuple(nnf(t, neg) for t in q.terms)
            return (Or if isinstance(q, And) == neg else And)(terms)
        return Not(q) if neg else q

    if p is None:
        return []
    q = nnf(p, False)
    out: list = []
    stack = [q]
    while stack:
        t = stack.pop()
        if isinstance(t, And):
            stack.extend(t.terms)
        else:
            out.append(t)
    return out


def _runs(mask: list[bool]) -> list[tuple[int, int]]:
    """The maximal runs of True as half-open [a, b)."""
    out, start = [], None
    for v, m in enumerate(mask + [False]):
        if m and start is None:
            start = v
        elif not m and start is not None:
            out.append((start, v))
            start = None
    return out


def column_conditions(question: Question, params: UniversalParams) -> list[tuple[list[int], int]]:
    """Per column: (sorted breakpoints, complement bit) — the column's condition over every stored value
    its bits can hold, as evaluated by the plain predicate."""
    schema = params.schema
    by_col: dict[str, list] = {}
    for t in _conjuncts(question.predicate):
        cols = _columns_of(t)
        if len(cols) != 1:
            raise SpecError("the universal circuit proves an AND of conditions on one column each; "
                            f"this filter combines {', '.join(sorted(cols))} under OR/NOT — use a per-shape circuit")
        by_col.setdefault(cols.pop(), []).append(t)
    out = []
    for j, c in enumerate(schema.columns):
        t = params.terms[j]
        top = 1 << c.bits
        conds = by_col.get(c.name)
        if not conds:
            out.append(([top] * t, 1))  # no interval, complemented: always passes
            continue
        mask = [all(evaluate(q, {c.name: v + c.offset}) for q in conds) for v in range(top)]
        options = []
        for comp in (0, 1):
            es = [e for a, b in _runs([m != bool(comp) for m in mask]) for e in (a, b)]
            if es and es[-1] == top:
                es.pop()  # [x >= 2^bits] is 0: an interval reaching the top needs only its start
            options.append((len(es), comp, es))
        n_es, comp, es = min(options)
        if n_es > t:
            raise SpecError(f"the filter on column {c.name!r} needs {n_es} breakpoints (value intervals' ends); "
                            f"this universal key allows {t} on it (--max-terms)")
        best = (es, comp)
        es, comp = best
        out.append((es + [top] * (t - len(es)), comp))
    return out


def check_question(question: Question, params: UniversalParams) -> None:
    """Refuse, naming the limit, a question beyond the key (the filter is checked by :func:`encode`)."""
    schema = params.schema
    question.check(schema)
    cells = question.cells(schema)
    if len(cells) > params.max_cells:
        raise SpecError(f"GROUP BY {', '.join(question.group_by)} makes {len(cells)} cells; this universal key "
                        f"allows {params.max_cells} (--max-cells)")
    for g in question.group_by:
        if schema.index(g) not in params.group_columns:
            raise SpecError(f"GROUP BY {g}: not a categorical column of the key's schema")
    ms = question.moments(schema)
    plain = [m for m in ms if not m.binned]
    if len(plain) > params.max_moments:
        raise SpecError(f"the question commits {len(plain)} counts, sums and products per cell; this universal key "
                        f"allows {params.max_moments} (--max-moments)")
    kinds = [m.kind for m in ms if m.binned]
    for m in ms:
        if m.kind in ("hist", "wbins"):
            raise SpecError(f"{m.name}: HISTOGRAM with arbitrary edges and PERCENTILE_REFINE windows need a "
                            "per-shape circuit; the universal circuit proves power-of-two quantile bins and "
                            "KAPLAN_MEIER")
        if m.kind == "bins":
            j = schema.index(m.columns[0])
            if m.edges[0] != params.shifts[j] or m.edges[1] > params.max_bins:
                raise SpecError(f"{m.name}: this universal key bins {m.columns[0]!r} by 2^{params.shifts[j]} "
                                f"(at most {params.max_bins} bins); ask MEDIAN / PERCENTILE_CONT with the key's bins ({params.max_bins})")
        if m.kind == "surv" and m.edges[1] > params.max_surv_bins:
            raise SpecError(f"KAPLAN_MEIER with {m.edges[1]} bins; this universal key allows {params.max_surv_bins} "
                            "(--max-surv-bins)")
    for kind in ("bins", "surv"):
        if kinds.count(kind) > 1:
            raise SpecError(f"the universal circuit proves one {kind!r} moment per question; this one asks "
                            f"{kinds.count(kind)}")


def cell_key(question: Question, schema: Schema, key: tuple[int, ...]) -> int:
    """The lookup key of a cell (declared group values) as the circuit computes it from stored values."""
    if not key:
        return 0
    stored = [schema.column(g).store(v) for g, v in zip(question.group_by, key)]
    if len(stored) == 1:
        return stored[0]
    return stored[0] * (1 << schema.column(question.group_by[1]).bits) + stored[1]


def coordinate_tags(question: Question, params: UniversalParams) -> list[tuple[int, int]]:
    """``(key, β-slot)`` of every committed coordinate slot, cell-major in the question's order."""
    schema = params.schema
    ms = question.moments(schema)
    slots = {m: i for i, m in enumerate(m for m in ms if not m.binned)}
    binned = params.max_moments
    out = []
    for cell in question.cells(schema):
        kc = cell_key(question, schema, cell)
        for m in ms:
            if not m.binned:
                out.append((kc, slots[m]))
            elif m.kind == "bins":
                out += [(BINS_BASE + kc * params.bins_stride + b, binned) for b in range(m.width)]
            else:  # surv: events (2·kc) then censorings (2·kc + 1)
                nb = m.edges[1]
                out += [(SURV_BASE + (2 * kc + kind) * params.surv_stride + b, binned) for kind in (0, 1)
                        for b in range(nb)]
    if len(out) > params.n_coordinates:
        raise SpecError(f"the question commits {len(out)} coordinates; this universal key holds {params.n_coordinates} "
                        "(--max-coordinates)")
    out += [(SENTINEL_BASE + i, 0) for i in range(len(out), params.n_coordinates)]
    return out


def pack_tags(tags: list[tuple[int, int]], params: UniversalParams) -> list[int]:
    """The coordinate tags as the encoding's field elements (:meth:`UniversalParams.tag_layout`)."""
    local_bits, slot_bits, per = params.tag_layout()
    width = local_bits + 2 + slot_bits
    out = []
    for i in range(0, len(tags), per):
        elem = 0
        for k, (key, slot) in enumerate(tags[i : i + per]):
            ns = next(c for c, base in ((3, SENTINEL_BASE), (2, SURV_BASE), (1, BINS_BASE), (0, 0)) if key >= base)
            local = key - (BINS_BASE if ns & 1 else 0) - (SURV_BASE if ns >> 1 else 0)
            if not (0 <= local < 1 << local_bits and 0 <= slot < 1 << slot_bits):
                raise SpecError(f"coordinate tag ({key}, {slot}) does not fit the key's tag layout")
            elem |= (local | ns << local_bits | slot << (local_bits + 2)) << (k * width)
        out.append(elem)
    return out


def encode(question: Question, params: UniversalParams) -> list[int]:
    """The question as the universal circuit's constants (see the module docstring for the layout)."""
    check_question(question, params)
    schema = params.schema
    names = schema.names
    out: list[int] = []
    for es, comp in column_conditions(question, params):
        out += es + [comp]
    groups = [names.index(g) for g in question.group_by]
    hi, lo = (groups[0], groups[1]) if len(groups) == 2 else (None, groups[0] if groups else None)
    for j in params.group_columns:
        out += [int(j == hi), int(j == lo)]
    ms = question.moments(schema)
    plain = [m for m in ms if not m.binned]
    for i in range(1, params.max_moments):
        if i < len(plain):
            m = plain[i]
            cols = [names.index(c) + 1 for c in m.columns]
            out += [cols[0], cols[1] if m.kind == "prod" else 0]
        else:
            out += [0, 0]
    bins = next((m for m in ms if m.kind == "bins"), None)
    out += [int(bins is not None and names[j] == bins.columns[0]) for j in range(len(names))]
    surv = next((m for m in ms if m.kind == "surv"), None)
    out += [int(surv is not None and names[j] == surv.columns[0]) for j in range(len(names))]
    out += [int(surv is not None and names[j] == surv.columns[1]) for j in params.binary_columns]
    out.append(surv.edges[0] if surv is not None else 1)
    out += pack_tags(coordinate_tags(question, params), params)
    assert len(out) == params.n_constants()
    return out


def pad_values(values: list[int], params: UniversalParams) -> list[int]:
    """A chunk's committed coordinates (the question's) padded with zeros to the key's slots."""
    return list(values) + [0] * (params.n_coordinates - len(values))


__all__ = ["BINS_BASE", "SENTINEL_BASE", "SURV_BASE", "TAG_STUDY_UNIVERSAL", "UniversalParams", "cell_key",
           "check_question", "column_conditions", "coordinate_tags", "encode", "pack_tags", "pad_values"]
