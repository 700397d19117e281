"""Quantile refinement: the follow-up question that narrows a released quantile interval.

A ``MEDIAN`` / ``PERCENTILE_CONT`` release gives an interval ``[low, high]`` (one or two adjacent
power-of-two bins) that provably contains the quantile.  :func:`refine` builds the follow-up question:
the parent's filter AND ``x BETWEEN low AND high`` (and the group's key under GROUP BY), asking
``PERCENTILE_REFINE`` with the parent's published counts (records below the window, inside it, in
all) — a finer histogram inside the window gives a narrower interval for the same rank.  Chains of
refinements reach unit width in a few rounds (a 12-bit column over 64 bins: 64 → 1 in two).  The
follow-up carries its SQL (recompiled by holders and verifiers like any question).
"""

from __future__ import annotations

from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, And, Between, Compare, Moment, Question
from zkgate.study.statistics import registry
from zkgate.study.statistics.registry import (
    DEFAULT_QUANTILE_BINS,
    MAX_HISTOGRAM_BINS,
    CellSums,
    quantile_bins,
    rank_bins,
)


def _cell_sums(question: Question, schema: Schema, values: list[int], group: str | None) -> tuple[CellSums, tuple]:
    moments = question.moments(schema)
    width = sum(m.width for m in moments)
    cells = question.cells(schema)
    if question.group_by:
        labels = [question.cell_label(k) for k in cells]
        if group is None:
            raise SpecError(f"the study groups by {', '.join(question.group_by)}: name the group to refine "
                            f"(one of {', '.join(labels)})")
        if group not in labels:
            raise SpecError(f"no group {group!r}; the groups are {', '.join(labels)}")
        i = labels.index(group)
    else:
        if group is not None:
            raise SpecError("the study has no GROUP BY: do not name a group")
        i = 0
    return CellSums(schema, moments, list(values[i * width : (i + 1) * width])), cells[i]


def refine(question: Question, schema: Schema, values: list[int], alias: str, *, group: str | None = None,
           max_bins: int = DEFAULT_QUANTILE_BINS) -> Question:
    """The follow-up question of ``alias`` (a MEDIAN, PERCENTILE_CONT or PERCENTILE_REFINE of a released
    study whose committed coordinates are ``values``); raises :class:`SpecError` when there is nothing to
    refine (an empty cell, a window already one unit wide)."""
    agg = next((a for a in question.aggregates if a.alias == alias), None)
    if agg is None:
        raise SpecError(f"no result named {alias!r}; the study's are {', '.join(a.alias for a in question.aggregates)}")
    if agg.function not in ("MEDIAN", "PERCENTILE_CONT", "PERCENTILE_REFINE"):
        raise SpecError(f"{alias!r} is {agg.function}, not a quantile")
    cell, key = _cell_sums(question, schema, values, group)
    column = agg.columns[0]
    col = schema.column(column)
    kind = registry.kind(agg.function)
    if agg.function == "PERCENTILE_REFINE":
        frac, _lo, _hi, below0, _inside, n, _ = kind._params(agg)
        lo_st, shift, nb = kind._window(agg, schema)
        counts = cell.moment(Moment("wbins", agg.columns, (lo_st, shift, nb)))
        start = lo_st
    else:
        frac, bins = kind._params(agg)
        shift, nb = quantile_bins(schema, column, bins)
        counts = cell.moment(Moment("bins", agg.columns, (shift, nb)))
        n, below0, start = sum(counts), 0, 0
    if n == 0:
        raise SpecError(f"{alias!r} has no records to refine")
    try:
        b_lo, b_hi = rank_bins(counts, (n - 1) * frac, below0)
    except ValueError as exc:
        raise SpecError(f"{alias!r}: the released counts do not hold the quantile's ranks ({exc}; a malformed "
                        "release)") from None
    if shift == 0:
        raise SpecError(f"{alias!r} is already exact: its bins are one unit wide")
    below = below0 + sum(counts[:b_lo])
    inside = sum(counts[b_lo : b_hi + 1])
    low = col.offset + start + (b_lo << shift)
    high = min(col.hi, col.offset + start + ((b_hi + 1) << shift) - 1)
    terms = list(question.predicate.terms) if isinstance(question.predicate, And) else (
        [question.predicate] if question.predicate is not None else [])
    terms += [Compare(g, "=", v) for g, v in zip(question.group_by, key)]
    terms.append(Between(column, low, high))
    span = high - low + 1
    if span <= min(2 * max_bins, MAX_HISTOGRAM_BINS):
        # unit bins at once: when the two ranks lie in different bins (an even-n median, or empty bins
        # between two consecutive values) the window cannot shrink below the gap, so coarser bins could stall
        max_bins = max(max_bins, span)
    params = (frac.numerator, frac.denominator, low, high, below, inside, n)
    if max_bins != DEFAULT_QUANTILE_BINS:
        params += (max_bins,)
    follow = Question(And(tuple(terms)), (), (Aggregate(alias, "PERCENTILE_REFINE", (column,), params),))
    follow.check(schema)
    return follow


def with_sql(question: Question, schema: Schema) -> Question:
    """``question`` carrying SQL text that compiles back to exactly it."""
    from dataclasses import replace

    from zkgate.study.sql import compile_sql

    text = question.describe()
    compiled = compile_sql(text, schema)
    if replace(compiled, sql="") != replace(question, sql=""):
        raise SpecError(f"internal: the follow-up's SQL does not compile back to it: {text}")
    return compiled


__all__ = ["refine", "with_sql"]
