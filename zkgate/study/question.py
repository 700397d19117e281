"""The compiled question: what a study asks, independent of how it was written.

A :class:`Question` is the authority of a study (the SQL text, when there is one, is kept
beside it for people to read; holders and verifiers recompile it and refuse a mismatch):

* a **predicate** over integer columns — a tree of :class:`Compare` (``= <> < <= > >=``),
  :class:`Between`, :class:`InSet` (at most :data:`MAX_IN_VALUES` distinct values),
  :class:`Not`, :class:`And`, :class:`Or`; ``None`` selects every real record.  The record's
  real/dummy flag multiplies the *whole* predicate, after ``OR``/``NOT``, so padding records
  never count;
* **GROUP BY** zero, one or two categorical columns: a column whose declared range holds at
  most :data:`MAX_CATEGORIES` values; at most :data:`MAX_CELLS` cells;
* **aggregates**, each named by its alias (``AS``): a function of the statistics registry
  (:mod:`zkgate.study.statistics`) applied to columns, with integer parameters (histogram
  edges).

Values are in declared units here; :meth:`Question.constants` gives the predicate constants and
histogram edges in stored units (what the circuit compares with) in a fixed traversal order, and
:meth:`Question.moments` the committed sufficient statistics (per cell) the aggregates need.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Union

from zkgate.study.dataset import Schema
from zkgate.study.errors import MessageFormatError, SpecError
from zkgate.study.statistics import registry
from zkgate.study.statistics.base import Aggregate, Moment

MAX_IN_VALUES = 16
MAX_CATEGORIES = 64
MAX_CELLS = 256
MAX_GROUP_COLUMNS = 2
MAX_PREDICATE_NODES = 64
MAX_AGGREGATES = 32
MAX_COORDINATES = 2048
MAX_QUANTILE_BINS = 256  # histogram bins behind MEDIAN / PERCENTILE_CONT / PERCENTILE_REFINE, per study
COMPARE_OPS = ("=", "<>", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Compare:
    """``column op value`` with ``op`` one of :data:`COMPARE_OPS` (declared units)."""

    column: str
    op: str
    value: int


@dataclass(frozen=True)
class Between:
    """``lo <= column <= hi`` (declared units, inclusive)."""

    column: str
    lo: int
    hi: int


@dataclass(frozen=True)
class InSet:
    """``column IN (values)``: distinct values, kept sorted (declared units)."""

    column: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Not:
    term: Predicate


@dataclass(frozen=True)
class And:
    terms: tuple[Predicate, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Predicate, ...]


Predicate = Union[Compare, Between, InSet, Not, And, Or]  # noqa: UP007 (forward references)


def _walk(p: Predicate | None):
    if p is None:
        return
    yield p
    if isinstance(p, Not):
        yield from _walk(p.term)
    elif isinstance(p, (And, Or)):
        for t in p.terms:
            yield from _walk(t)


def predicate_constants(p: Predicate | None) -> list[tuple[str, int]]:
    """``(column, value)`` of every constant of the predicate, in traversal order (declared units)."""
    out: list[tuple[str, int]] = []
    for node in _walk(p):
        if isinstance(node, Compare):
            out.append((node.column, node.value))
        elif isinstance(node, Between):
            out += [(node.column, node.lo), (node.column, node.hi)]
        elif isinstance(node, InSet):
            out += [(node.column, v) for v in node.values]
    return out


def predicate_shape(p: Predicate | None):
    """The predicate's structure without its constants (what the compiled circuit depends on)."""
    if p is None:
        return None
    if isinstance(p, Compare):
        return ("cmp", p.column, p.op)
    if isinstance(p, Between):
        return ("between", p.column)
    if isinstance(p, InSet):
        return ("in", p.column, len(p.values))
    if isinstance(p, Not):
        return ("not", predicate_shape(p.term))
    return ("and" if isinstance(p, And) else "or", tuple(predicate_shape(t) for t in p.terms))


def evaluate(p: Predicate | None, row: dict[str, int]) -> bool:
    """The predicate on one record (declared units): the plain reference semantics."""
    if p is None:
        return True
    if isinstance(p, Compare):
        x, v = row[p.column], p.value
        return {"=": x == v, "<>": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[p.op]
    if isinstance(p, Between):
        return p.lo <= row[p.column] <= p.hi
    if isinstance(p, InSet):
        return row[p.column] in p.values
    if isinstance(p, Not):
        return not evaluate(p.term, row)
    if isinstance(p, And):
        return all(evaluate(t, row) for t in p.terms)
    return any(evaluate(t, row) for t in p.terms)


def describe(p: Predicate | None) -> str:
    """The predicate as readable SQL."""
    if p is None:
        return "TRUE"
    if isinstance(p, Compare):
        return f"{p.column} {p.op} {p.value}"
    if isinstance(p, Between):
        return f"{p.column} BETWEEN {p.lo} AND {p.hi}"
    if isinstance(p, InSet):
        return f"{p.column} IN ({', '.join(str(v) for v in p.values)})"
    if isinstance(p, Not):
        return f"NOT ({describe(p.term)})"
    sep = " AND " if isinstance(p, And) else " OR "
    return sep.join(f"({describe(t)})" if isinstance(t, (And, Or)) else describe(t) for t in p.terms)


# -- canonical object form (msgpack arrays; see zkgate.study.encoding) -----------------------------

def predicate_to_obj(p: Predicate | None):
    if p is None:
        return None
    if isinstance(p, Compare):
        return ["cmp", p.column, p.op, p.value]
    if isinstance(p, Between):
        return ["between", p.column, p.lo, p.hi]
    if isinstance(p, InSet):
        return ["in", p.column, list(p.values)]
    if isinstance(p, Not):
        return ["not", predicate_to_obj(p.term)]
    return ["and" if isinstance(p, And) else "or", [predicate_to_obj(t) for t in p.terms]]


def predicate_from_obj(obj, _budget: list[int] | None = None) -> Predicate | None:
    budget = _budget if _budget is not None else [MAX_PREDICATE_NODES]
    if obj is None:
        return None
    budget[0] -= 1
    if budget[0] < 0:
        raise MessageFormatError(f"question: the filter has more than {MAX_PREDICATE_NODES} nodes")
    if not isinstance(obj, list) or not obj or not isinstance(obj[0], str):
        raise MessageFormatError("question: a filter node must be a list starting with its kind")
    tag, rest = obj[0], obj[1:]

    def col(v) -> str:
        if type(v) is not str or not 1 <= len(v) <= 64:
            raise MessageFormatError("question: a column name must be a string of 1..64 characters")
        return v

    def num(v) -> int:
        if type(v) is not int:
            raise MessageFormatError(f"question: a filter constant must be an integer, got {v!r}")
        return v

    if tag == "cmp" and len(rest) == 3:
        if rest[1] not in COMPARE_OPS:
            raise MessageFormatError(f"question: unknown comparison {rest[1]!r}; use one of {', '.join(COMPARE_OPS)}")
        return Compare(col(rest[0]), rest[1], num(rest[2]))
    if tag == "between" and len(rest) == 3:
        return Between(col(rest[0]), num(rest[1]), num(rest[2]))
    if tag == "in" and len(rest) == 2 and isinstance(rest[1], list) and len(rest[1]) <= MAX_IN_VALUES:
        return InSet(col(rest[0]), tuple(num(v) for v in rest[1]))
    if tag == "not" and len(rest) == 1:
        return Not(predicate_from_obj(rest[0], budget))
    if tag in ("and", "or") and len(rest) == 1 and isinstance(rest[0], list):
        terms = tuple(predicate_from_obj(t, budget) for t in rest[0])
        return And(terms) if tag == "and" else Or(terms)
    raise MessageFormatError(f"question: malformed filter node {tag!r}")


@dataclass(frozen=True)
class Question:
    """A compiled question (see the module docstring).  ``sql`` is informational."""

    predicate: Predicate | None
    group_by: tuple[str, ...]
    aggregates: tuple[Aggregate, ...]
    sql: str = ""

    # -- validation against a schema ------------------------------------------------------------
    def check(self, schema: Schema) -> None:
        """Raise :class:`SpecError` naming what is wrong (column, constant, limit)."""
        nodes = list(_walk(self.predicate))
        if len(nodes) > MAX_PREDICATE_NODES:
            raise SpecError(f"the filter has {len(nodes)} nodes; at most {MAX_PREDICATE_NODES}")
        for node in nodes:
            if isinstance(node, (And, Or)) and not node.terms:
                raise SpecError("AND/OR need at least one term")
            if isinstance(node, InSet):
                if not 1 <= len(node.values) <= MAX_IN_VALUES or len(set(node.values)) != len(node.values):
                    raise SpecError(f"{node.column} IN (...): give 1..{MAX_IN_VALUES} distinct values")
                if list(node.values) != sorted(node.values):
                    raise SpecError(f"{node.column} IN (...): values must be sorted (the canonical form)")
            if isinstance(node, Between) and node.lo > node.hi:
                raise SpecError(f"{node.column} BETWEEN {node.lo} AND {node.hi}: the range is empty")
        for column, value in predicate_constants(self.predicate):
            c = _column(schema, column)
            if type(value) is not int or not c.lo <= value <= c.hi:
                raise SpecError(f"filter constant {value!r} on column {column!r} is outside its declared range [{c.lo}, {c.hi}]")
        if len(self.group_by) > MAX_GROUP_COLUMNS or len(set(self.group_by)) != len(self.group_by):
            raise SpecError(f"GROUP BY takes at most {MAX_GROUP_COLUMNS} distinct columns")
        for g in self.group_by:
            c = _column(schema, g)
            if c.hi - c.lo + 1 > MAX_CATEGORIES:
                raise SpecError(f"GROUP BY {g}: its declared range [{c.lo}, {c.hi}] holds {c.hi - c.lo + 1} values; "
                                f"a categorical column has at most {MAX_CATEGORIES}")
        if len(self.cells(schema)) > MAX_CELLS:
            raise SpecError(f"GROUP BY {', '.join(self.group_by)} makes {len(self.cells(schema))} cells; at most {MAX_CELLS}")
        if not 1 <= len(self.aggregates) <= MAX_AGGREGATES:
            raise SpecError(f"a question needs 1..{MAX_AGGREGATES} aggregates")
        aliases = [a.alias for a in self.aggregates]
        if len(set(aliases)) != len(aliases):
            raise SpecError(f"aliases must be distinct, got {aliases}")
        for a in self.aggregates:
            for column in a.columns:
                _column(schema, column)
            registry.kind(a.function).check(a, schema)
            registry.kind(a.function).check_in(a, self.predicate)
        quantile_bins = sum(m.width for m in self.moments(schema) if m.kind in ("bins", "wbins"))
        if quantile_bins > MAX_QUANTILE_BINS:
            raise SpecError(f"the question's quantiles count records in {quantile_bins} bins; at most "
                            f"{MAX_QUANTILE_BINS} per study (fewer quantiles, or MEDIAN(x, bins) with fewer bins)")
        n = self.n_coordinates(schema)
        if n > MAX_COORDINATES:
            raise SpecError(f"the question commits {len(self.cells(schema))} cells × "
                            f"{sum(m.width for m in self.moments(schema))} statistics = {n} coordinates; "
                            f"at most {MAX_COORDINATES}")

    # -- derived ----------------------------------------------------------------------------
    def cells(self, schema: Schema) -> list[tuple[int, ...]]:
        """Every group key (declared units), in order; ``[()]`` without GROUP BY."""
        ranges = [range(schema.column(g).lo, schema.column(g).hi + 1) for g in self.group_by]
        return [tuple(k) for k in product(*ranges)]

    @staticmethod
    def cell_label(key: tuple[int, ...]) -> str:
        """A group key as published: ``"2"``, or ``"2|1"`` for two columns."""
        return "|".join(str(v) for v in key)

    def moments(self, schema: Schema) -> list[Moment]:
        """The committed statistics of one cell, deduplicated, in canonical order: the count,
        sums (schema order), products (schema order), histograms (first appearance)."""
        found: set[Moment] = set()
        hists: list[Moment] = []
        for a in self.aggregates:
            for m in registry.kind(a.function).moments(a, schema):
                if m.binned:
                    if m not in hists:
                        hists.append(m)
                else:
                    found.add(m)
                    if m.kind == "prod":  # declared-unit products need the sums (offsets)
                        found.update(Moment("sum", (c,)) for c in m.columns)
        idx = schema.index
        key = lambda m: tuple(idx(c) for c in m.columns)  # noqa: E731
        sums = sorted((m for m in found if m.kind == "sum"), key=key)
        prods = sorted((m for m in found if m.kind == "prod"), key=key)
        return [Moment("count"), *sums, *prods, *hists]

    def n_coordinates(self, schema: Schema) -> int:
        return len(self.cells(schema)) * sum(m.width for m in self.moments(schema))

    def constants(self, schema: Schema) -> list[int]:
        """Predicate constants then histogram edges, in stored units (bound into the study id)."""
        out = [schema.column(c).store(v) for c, v in predicate_constants(self.predicate)]
        for m in self.moments(schema):
            if m.kind == "hist":
                out += list(m.edges)
            elif m.kind == "wbins":
                out.append(m.edges[0])
        return out

    def shape(self, schema: Schema):
        """What the compiled circuit depends on: the predicate's structure, the group-by columns with
        their category counts, the moments (hist edge counts, not edges; bins/surv in full)."""
        return (
            predicate_shape(self.predicate),
            tuple((g, len(range(schema.column(g).lo, schema.column(g).hi + 1))) for g in self.group_by),
            tuple((m.kind, m.columns, len(m.edges) if m.kind == "hist" else m.edges[1:] if m.kind == "wbins" else m.edges)
                  for m in self.moments(schema)),
        )

    def describe(self) -> str:
        """The question as readable SQL (from the compiled form, not the SQL text)."""
        parts = [f"{registry.kind(a.function).describe(a)} AS {a.alias}" for a in self.aggregates]
        text = f"SELECT {', '.join(list(self.group_by) + parts)} FROM data"
        if self.predicate is not None:
            text += f" WHERE {describe(self.predicate)}"
        if self.group_by:
            text += f" GROUP BY {', '.join(self.group_by)}"
        return text

    # -- encoding ---------------------------------------------------------------------------
    def to_obj(self) -> list:
        return [
            predicate_to_obj(self.predicate),
            list(self.group_by),
            [[a.alias, a.function, list(a.columns), list(a.params)] for a in self.aggregates],
            self.sql,
        ]

    @classmethod
    def from_obj(cls, obj) -> Question:
        if not isinstance(obj, list) or len(obj) != 4:
            raise MessageFormatError("question: expected [filter, group_by, aggregates, sql]")
        pred, groups, aggs, sql = obj
        if not isinstance(groups, list) or len(groups) > MAX_GROUP_COLUMNS or any(type(g) is not str for g in groups):
            raise MessageFormatError(f"question: group_by must be a list of at most {MAX_GROUP_COLUMNS} column names")
        if not isinstance(aggs, list) or len(aggs) > MAX_AGGREGATES:
            raise MessageFormatError(f"question: aggregates must be a list of at most {MAX_AGGREGATES}")
        out = []
        for a in aggs:
            if (not isinstance(a, list) or len(a) != 4 or type(a[0]) is not str or type(a[1]) is not str
                    or not isinstance(a[2], list) or not isinstance(a[3], list) or len(a[2]) > 16 or len(a[3]) > 257
                    or any(type(c) is not str for c in a[2]) or any(type(p) is not int for p in a[3])):
                raise MessageFormatError("question: an aggregate is [alias, function, [columns], [integer params]]")
            out.append(Aggregate(a[0], a[1], tuple(a[2]), tuple(a[3])))
        if type(sql) is not str or len(sql.encode()) > 16384:
            raise MessageFormatError("question: the SQL text must be a string of at most 16 KiB")
        return cls(predicate_from_obj(pred), tuple(groups), tuple(out), sql)


def _column(schema: Schema, name: str):
    try:
        return schema.column(name)
    except Exception as exc:
        raise SpecError(f"unknown column {name!r}; the schema has {', '.join(schema.names)}") from exc


__all__ = [
    "Aggregate", "And", "Between", "COMPARE_OPS", "Compare", "InSet", "MAX_CATEGORIES", "MAX_CELLS",
    "MAX_COORDINATES", "MAX_IN_VALUES", "Moment", "Not", "Or", "Predicate", "Question", "describe", "evaluate",
    "predicate_constants", "predicate_shape",
]
