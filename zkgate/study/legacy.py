"""The request form before compiled questions: ranges, equalities and a list of statistics.

Kept so that JSON request files and ``--range``/``--equals``/``--statistic`` options written for
earlier releases keep working: :func:`legacy_question` converts them into a
:class:`~zkgate.study.question.Question` (the only form a study carries):

* each ``lo <= column <= hi`` range becomes ``column BETWEEN lo AND hi``, each equality
  ``column = value``, all ANDed (ranges first, then equalities, in the order given);
* the count becomes ``COUNT(*) AS count``; ``sum`` of a column ``SUM(x) AS sum_x`` and
  ``AVG(x) AS mean_x``; ``sum_sq`` ``VAR_POP(x) AS variance_x`` (its committed moments are the
  sum and the sum of squares); ``histogram`` ``HISTOGRAM(x, e0, ...) AS hist_x`` — the result
  names the earlier releases published.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, And, Between, Compare, Question

STAT_KINDS = ("sum", "sum_sq", "histogram")
MAX_CONDITIONS = 16
MAX_STATISTICS = 16


@dataclass(frozen=True)
class RangeCondition:
    """``lo <= column <= hi`` (declared units, inclusive)."""

    column: str
    lo: int
    hi: int


@dataclass(frozen=True)
class EqualsCondition:
    """``column == value`` (declared units)."""

    column: str
    value: int


@dataclass(frozen=True)
class Filter:
    ranges: tuple[RangeCondition, ...] = ()
    equals: tuple[EqualsCondition, ...] = ()


@dataclass(frozen=True)
class Statistic:
    """``sum`` / ``sum_sq`` of a column, or a ``histogram`` with bins ``[e_b, e_{b+1})``."""

    kind: str
    column: str
    edges: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return {"sum": "sum", "sum_sq": "sum_sq", "histogram": "hist"}.get(self.kind, self.kind) + "_" + self.column


def legacy_question(filter: Filter | None, statistics) -> Question:
    """The compiled question of a legacy filter and statistics list (see the module docstring)."""
    filter = filter if filter is not None else Filter()
    if not isinstance(filter, Filter):
        raise SpecError("filter must be a Filter")
    if len(filter.ranges) + len(filter.equals) > MAX_CONDITIONS:
        raise SpecError(f"at most {MAX_CONDITIONS} filter conditions")
    terms = [Between(r.column, r.lo, r.hi) for r in filter.ranges]
    terms += [Compare(e.column, "=", e.value) for e in filter.equals]
    predicate = None if not terms else terms[0] if len(terms) == 1 else And(tuple(terms))
    statistics = tuple(statistics)
    if len(statistics) > MAX_STATISTICS:
        raise SpecError(f"at most {MAX_STATISTICS} statistics")
    aggs = [Aggregate("count", "COUNT", ())]
    seen: set[str] = set()
    for st in statistics:
        if not isinstance(st, Statistic) or st.kind not in STAT_KINDS:
            raise SpecError(f"statistic kinds are {STAT_KINDS}, got {st!r}")
        if st.name in seen:
            raise SpecError(f"statistic {st.kind} of {st.column!r} appears twice")
        seen.add(st.name)
        if st.kind != "histogram" and st.edges:
            raise SpecError(f"{st.kind} of {st.column!r} takes no edges")
    for st in statistics:
        if st.kind == "sum_sq" and f"sum_{st.column}" not in seen:
            raise SpecError(f"the sum of squares of {st.column!r} needs its sum too (for the variance)")
        if st.kind == "sum":
            aggs += [Aggregate(f"sum_{st.column}", "SUM", (st.column,)), Aggregate(f"mean_{st.column}", "AVG", (st.column,))]
        elif st.kind == "sum_sq":
            aggs.append(Aggregate(f"variance_{st.column}", "VAR_POP", (st.column,)))
        else:
            aggs.append(Aggregate(f"hist_{st.column}", "HISTOGRAM", (st.column,), tuple(st.edges)))
    return Question(predicate, (), tuple(aggs))


__all__ = ["EqualsCondition", "Filter", "RangeCondition", "Statistic", "legacy_question"]
