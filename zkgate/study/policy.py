"""Disclosure-control policy: the rules a data holder (or a key holder) applies to a study's
compiled question before it answers (or decrypts).

A :class:`DisclosurePolicy` is read from a JSON file in the party's home (see
:meth:`DisclosurePolicy.from_json`); :func:`evaluate` checks a :class:`~zkgate.study.question.Question`
against it and returns a :class:`Verdict` listing every rule the question breaks, each by name:

``forbidden_columns``
    the question mentions one of these columns anywhere (filter, GROUP BY, aggregate);
``max_cells``
    GROUP BY makes more cells than this;
``max_bins``
    a ``HISTOGRAM`` (or the histogram behind a quantile or a survival curve) has more bins than this;
``min_quantile_bin_width``
    a quantile (``MEDIAN``, ``PERCENTILE_CONT``) or a quantile refinement (``PERCENTILE_REFINE``,
    ``zkgate requester refine-quantile``) would count records in bins narrower than this many units:
    refinement chains end here (one unit of width can single out one patient);
``min_cell_size``
    the study's own minimum cell size k (cells with fewer records are withheld at release, with a
    proof: :mod:`zkgate.study.suppression`) is below the policy's;
``max_studies_per_period``
    this many studies were already answered in the last ``period_days`` days;
``max_overlap``
    the question's filter nearly, but not exactly, equals an earlier answered study's filter (see
    below);
``min_difference_records``
    (data holders, who can count their own records) fewer than this many, but more than zero, of
    the holder's records lie in the difference between the filter and an earlier one.

**Overlap, defined.** Two filters A and B over the same schema select regions of the declared
domain (every combination of the columns' declared values).  Their overlap is the Jaccard index
``|A ∩ B| / |A ∪ B|`` measured in domain points, i.e. as if records were spread uniformly over
the declared ranges; it is computed exactly by cutting each column's range at every constant of
both filters (each piece is uniform for every comparison) and weighing each piece by its number
of values.  Overlap 1 means the same region (the same population again: nothing is isolated,
allowed); an overlap above ``max_overlap`` but below 1 means the two filters differ in a thin
slice — ``age BETWEEN 40 AND 65`` after ``age BETWEEN 40 AND 66`` isolates the 66-year-olds,
overlap 26/27 — and the study is refused.  Because real records are not uniform, a data holder
also counts its own records in ``A Δ B`` (``min_difference_records``): a difference of a few
records is a differencing attack whatever its share of the domain.  A comparison whose pieces
exceed :data:`MAX_OVERLAP_PIECES` is refused as too complex to analyse (a conservative answer).
Only studies over the same schema (digest) are compared.

Pure: no files, no clock (``now`` is given); the home and command-line glue lives in
``services/parties``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product

import numpy as np

from zkgate.errors import InvalidInputError
from zkgate.study.dataset import Schema
from zkgate.study.errors import StudyError
from zkgate.study.question import (
    MAX_CELLS,
    And,
    Between,
    Compare,
    InSet,
    Not,
    Predicate,
    Question,
    _walk,
    evaluate,
)
from zkgate.study.statistics import registry

MAX_OVERLAP_PIECES = 1 << 16
DAY = 86400
RULES = ("forbidden_columns", "max_cells", "max_bins", "min_quantile_bin_width", "min_cell_size",
         "max_studies_per_period", "max_overlap", "min_difference_records")
_KEYS = ("forbidden_columns", "max_cells", "max_bins", "min_quantile_bin_width", "min_cell_size",
         "max_studies_per_period", "period_days", "max_overlap", "min_difference_records")


class PolicyError(StudyError, InvalidInputError):
    """A policy file is malformed (the message names the field)."""


class PolicyRefusal(StudyError):
    """A study the policy rejects; ``verdict`` lists the rules it breaks."""

    def __init__(self, message: str, verdict: Verdict) -> None:
        super().__init__(message)
        self.verdict = verdict


@dataclass(frozen=True)
class DisclosurePolicy:
    """The rules (see the module docstring).  The defaults refuse nothing beyond zkgate's own limits."""

    forbidden_columns: tuple[str, ...] = ()
    max_cells: int = MAX_CELLS
    max_bins: int = 64
    min_quantile_bin_width: int = 1
    min_cell_size: int = 0
    max_studies_per_period: int | None = None
    period_days: int = 30
    max_overlap: Fraction | None = None
    min_difference_records: int = 0

    def __post_init__(self) -> None:
        def count(name: str, lo: int) -> None:
            v = getattr(self, name)
            if type(v) is not int or v < lo:
                raise PolicyError(f"policy: {name} must be an integer >= {lo}, got {v!r}")

        if not isinstance(self.forbidden_columns, tuple) or any(
                type(c) is not str or not 1 <= len(c) <= 64 for c in self.forbidden_columns):
            raise PolicyError("policy: forbidden_columns must be a list of column names")
        for name, lo in (("max_cells", 1), ("max_bins", 1), ("min_quantile_bin_width", 1), ("min_cell_size", 0),
                         ("period_days", 1),
                         ("min_difference_records", 0)):
            count(name, lo)
        if self.max_studies_per_period is not None:
            count("max_studies_per_period", 1)
        if self.max_overlap is not None and not (isinstance(self.max_overlap, Fraction) and 0 <= self.max_overlap < 1):
            raise PolicyError(f"policy: max_overlap must be a number in [0, 1), got {self.max_overlap!r}")

    @classmethod
    def from_json(cls, obj, where: str = "policy") -> DisclosurePolicy:
        """From a parsed JSON object (:func:`zkgate.safejson.loads`); unknown keys are refused, so a
        misspelt rule never silently allows what it was meant to refuse."""
        if not isinstance(obj, dict):
            raise PolicyError(f"{where}: expected a JSON object with some of {', '.join(_KEYS)}")
        unknown = sorted(set(obj) - set(_KEYS))
        if unknown:
            raise PolicyError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(_KEYS)}")
        kw = dict(obj)
        if "forbidden_columns" in kw:
            if not isinstance(kw["forbidden_columns"], list):
                raise PolicyError(f"{where}: forbidden_columns must be a list of column names")
            kw["forbidden_columns"] = tuple(kw["forbidden_columns"])
        if kw.get("max_overlap") is not None:
            v = kw["max_overlap"]
            if type(v) not in (int, float):
                raise PolicyError(f"{where}: max_overlap must be a number in [0, 1), got {v!r}")
            kw["max_overlap"] = Fraction(str(v))
        for name in ("max_cells", "max_bins", "min_quantile_bin_width", "min_cell_size", "period_days",
                     "min_difference_records",
                     "max_studies_per_period"):
            if name in kw and type(kw[name]) is not int and not (name == "max_studies_per_period" and kw[name] is None):
                raise PolicyError(f"{where}: {name} must be an integer, got {kw[name]!r}")
        try:
            return cls(**kw)
        except PolicyError as exc:
            raise PolicyError(f"{where}: {str(exc).removeprefix('policy: ')}") from None

    def to_json(self) -> dict:
        return {"forbidden_columns": list(self.forbidden_columns), "max_cells": self.max_cells,
                "max_bins": self.max_bins, "min_quantile_bin_width": self.min_quantile_bin_width,
                "min_cell_size": self.min_cell_size,
                "max_studies_per_period": self.max_studies_per_period, "period_days": self.period_days,
                "max_overlap": None if self.max_overlap is None else float(self.max_overlap),
                "min_difference_records": self.min_difference_records}


@dataclass(frozen=True)
class AnsweredStudy:
    """An earlier study this party answered (for the per-period limit and the overlap rules)."""

    study_id: str
    answered_at: int  # unix seconds
    schema_digest: str  # hex; overlap is compared only between studies over the same schema
    question: Question


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


@dataclass(frozen=True)
class Verdict:
    """Every rule broken (none: accepted), and facts worth showing (cells, overlaps measured)."""

    violations: tuple[Violation, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        return not self.violations

    def refusal(self, who: str = "the policy") -> str:
        return f"{who} refuses this study: " + "; ".join(map(str, self.violations))

    def to_json(self) -> dict:
        return {"accepted": self.accepted, "violations": [{"rule": v.rule, "detail": v.detail} for v in self.violations],
                "notes": list(self.notes)}


# -- the rule engine --------------------------------------------------------------------------------

def question_columns(question: Question) -> set[str]:
    """Every column the question mentions (filter, GROUP BY, aggregates)."""
    cols = {n.column for n in _walk(question.predicate) if isinstance(n, (Compare, Between, InSet))}
    cols.update(question.group_by)
    for a in question.aggregates:
        cols.update(a.columns)
    return cols


def evaluate_policy(policy: DisclosurePolicy, question: Question, schema: Schema, *, min_cell_size: int,
                    history: Sequence[AnsweredStudy] = (), now: int, study_id: str = "",
                    records: Mapping[str, np.ndarray] | None = None) -> Verdict:
    """The verdict of ``policy`` on ``question`` (a study whose minimum cell size is
    ``min_cell_size``), given the studies answered before (``history``) at time ``now``.

    ``records`` (a data holder's own data: column name → values in declared units) enables
    ``min_difference_records``; a key holder has none and skips that rule.  ``study_id`` (hex) keeps
    the study itself out of its history (reviewing a study twice is not a second study)."""
    out: list[Violation] = []
    notes: list[str] = []
    forbidden = sorted(question_columns(question) & set(policy.forbidden_columns))
    if forbidden:
        out.append(Violation("forbidden_columns", f"the question uses {', '.join(map(repr, forbidden))}, which this "
                                                  "party never discloses"))
    cells = len(question.cells(schema))
    notes.append(f"{cells} cell(s)" + (f" (GROUP BY {', '.join(question.group_by)})" if question.group_by else ""))
    if cells > policy.max_cells:
        out.append(Violation("max_cells", f"GROUP BY {', '.join(question.group_by)} makes {cells} cells; at most "
                                          f"{policy.max_cells}"))
    for a in question.aggregates:
        if a.function == "HISTOGRAM" and len(a.params) - 1 > policy.max_bins:
            out.append(Violation("max_bins", f"HISTOGRAM {a.alias} has {len(a.params) - 1} bins; at most {policy.max_bins}"))
        for m in registry.kind(a.function).moments(a, schema) if a.function != "HISTOGRAM" else ():
            if m.kind not in ("bins", "wbins", "surv"):
                continue
            nb = m.edges[1] if m.kind in ("bins", "surv") else m.edges[2]
            width = m.edges[0] if m.kind == "surv" else 1 << (m.edges[0] if m.kind == "bins" else m.edges[1])
            if nb > policy.max_bins:
                out.append(Violation("max_bins", f"{a.function} {a.alias} counts records in {nb} bins; at most "
                                                 f"{policy.max_bins}"))
            if m.kind != "surv" and width < policy.min_quantile_bin_width:
                out.append(Violation("min_quantile_bin_width", f"{a.function} {a.alias} counts records in bins "
                                     f"{width} unit(s) wide; this party allows no narrower than "
                                     f"{policy.min_quantile_bin_width}"))
    if min_cell_size < policy.min_cell_size:
        out.append(Violation("min_cell_size", f"the study withholds cells of fewer than {min_cell_size} records "
                                              f"(k = {min_cell_size}); this party requires k >= {policy.min_cell_size}"))
    earlier = [h for h in history if h.study_id != study_id]
    if policy.max_studies_per_period is not None:
        since = now - policy.period_days * DAY
        recent = [h for h in earlier if h.answered_at > since]
        notes.append(f"{len(recent)} study(ies) answered in the last {policy.period_days} day(s)")
        if len(recent) >= policy.max_studies_per_period:
            out.append(Violation("max_studies_per_period", f"{len(recent)} studies were already answered in the last "
                                                           f"{policy.period_days} days; at most "
                                                           f"{policy.max_studies_per_period}"))
    digest = schema.digest().hex()
    for h in earlier:
        if h.schema_digest != digest or not _same_columns(h.question, schema):
            continue
        if policy.max_overlap is not None:
            try:
                ov = overlap(question.predicate, h.question.predicate, schema)
            except PolicyError as exc:
                out.append(Violation("max_overlap", f"against study {h.study_id[:16]}...: {exc}"))
                continue
            if policy.max_overlap < ov < 1:
                out.append(Violation("max_overlap", f"the filter overlaps study {h.study_id[:16]}...'s by "
                                                    f"{_pct(ov)} of their union (at most {_pct(policy.max_overlap)}; "
                                                    "identical filters are allowed): their difference isolates a thin "
                                                    "slice of records"))
            elif ov > 0:
                notes.append(f"overlap with study {h.study_id[:16]}...: {_pct(ov)}")
        if records is not None and policy.min_difference_records > 0:
            n = difference_records(question.predicate, h.question.predicate, records)
            if 0 < n < policy.min_difference_records:
                out.append(Violation("min_difference_records", f"only {n} of this holder's records lie in the "
                                                               f"difference between the filter and study "
                                                               f"{h.study_id[:16]}...'s (at least "
                                                               f"{policy.min_difference_records}, or none)"))
    return Verdict(tuple(out), tuple(notes))


def _pct(x: Fraction) -> str:
    return f"{float(x) * 100:.4g}%"


def _same_columns(question: Question, schema: Schema) -> bool:
    return question_columns(question) <= set(schema.names)


def _breaks(p: Predicate | None, column: str) -> set[int]:
    """Values where some comparison of ``p`` on ``column`` may change its answer."""
    out: set[int] = set()
    for n in _walk(p):
        if isinstance(n, Compare) and n.column == column:
            out.update((n.value, n.value + 1))
        elif isinstance(n, Between) and n.column == column:
            out.update((n.lo, n.hi + 1))
        elif isinstance(n, InSet) and n.column == column:
            for v in n.values:
                out.update((v, v + 1))
    return out


def _filter_columns(p: Predicate | None) -> list[str]:
    return sorted({n.column for n in _walk(p) if isinstance(n, (Compare, Between, InSet))})


def overlap(a: Predicate | None, b: Predicate | None, schema: Schema) -> Fraction:
    """``|A ∩ B| / |A ∪ B|`` in declared-domain points (1 when both select nothing)."""
    inter, union, _ = _measure(a, b, schema)
    return Fraction(1) if union == 0 else Fraction(inter, union)


def _measure(a, b, schema: Schema) -> tuple[int, int, int]:
    """(|A ∩ B|, |A ∪ B|, domain size) over the columns either filter mentions."""
    columns = sorted(set(_filter_columns(a)) | set(_filter_columns(b)))
    pieces = []
    total_pieces = 1
    for name in columns:
        c = schema.column(name)
        cuts = sorted({c.lo, c.hi + 1} | {v for v in _breaks(a, name) | _breaks(b, name) if c.lo < v <= c.hi})
        pieces.append([(lo, hi - lo) for lo, hi in zip(cuts, cuts[1:])])
        total_pieces *= len(pieces[-1])
        if total_pieces > MAX_OVERLAP_PIECES:
            raise PolicyError(f"the two filters cut the domain into more than {MAX_OVERLAP_PIECES} pieces: too complex "
                              "to compare (refused to be safe)")
    inter = union = size = 0
    for combo in product(*pieces):
        row = {name: lo for name, (lo, _) in zip(columns, combo)}
        weight = 1
        for _, w in combo:
            weight *= w
        size += weight
        in_a, in_b = evaluate(a, row), evaluate(b, row)
        inter += weight if in_a and in_b else 0
        union += weight if in_a or in_b else 0
    return inter, union, size


def predicate_mask(p: Predicate | None, records: Mapping[str, np.ndarray]) -> np.ndarray:
    """Which records (columns in declared units) the predicate selects: numpy twin of :func:`evaluate`."""
    n = len(next(iter(records.values()))) if records else 0
    if p is None:
        return np.ones(n, dtype=bool)
    if isinstance(p, Compare):
        x, v = np.asarray(records[p.column]), p.value
        return {"=": x == v, "<>": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[p.op]
    if isinstance(p, Between):
        x = np.asarray(records[p.column])
        return (x >= p.lo) & (x <= p.hi)
    if isinstance(p, InSet):
        return np.isin(np.asarray(records[p.column]), list(p.values))
    if isinstance(p, Not):
        return ~predicate_mask(p.term, records)
    masks = [predicate_mask(t, records) for t in p.terms]
    return np.logical_and.reduce(masks) if isinstance(p, And) else np.logical_or.reduce(masks)


def difference_records(a: Predicate | None, b: Predicate | None, records: Mapping[str, np.ndarray]) -> int:
    """How many records one filter selects and the other does not."""
    return int(np.count_nonzero(predicate_mask(a, records) ^ predicate_mask(b, records)))


__all__ = [
    "AnsweredStudy", "DisclosurePolicy", "MAX_OVERLAP_PIECES", "PolicyError", "PolicyRefusal", "RULES", "Verdict",
    "Violation", "difference_records", "evaluate_policy", "overlap", "predicate_mask", "question_columns",
]
