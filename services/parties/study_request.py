"""What a requester asks: a study request from a JSON file and/or command-line options.

A request names the question (in SQL, or as a filter and statistics), who answers (participants, each by
organisation and optionally by data set id when it registered several), the quorum and the
deadline.  The keys, the gateway's signing key and the participants' roots come from
elsewhere (key holder card, GetGatewayInfo, the catalog) when the study is opened.

JSON form (every field optional where the command line gives it)::

    {
      "title": "cholesterol of women aged 40-65",
      "participants": ["hospital-a", {"name": "hospital-b", "dataset": "3fa2..."}],
      "filter": {"ranges": [{"column": "age", "min": 40, "max": 65}],
                 "equals": [{"column": "sex", "value": 1}]},
      "statistics": [{"kind": "mean", "column": "cholesterol"},
                     {"kind": "variance", "column": "cholesterol"},
                     {"kind": "histogram", "column": "sbp", "edges": [80, 120, 140, 160, 201]}],
      "quorum": 3,
      "deadline_in": "24h"
    }

Or, instead of ``filter`` and ``statistics``, the question in SQL (docs/statistics.md; compiled
against the participants' schema when the study is opened)::

    {
      "title": "cholesterol by diagnosis",
      "participants": ["hospital-a", "hospital-b"],
      "sql": "SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients WHERE age BETWEEN 40 AND 65 GROUP BY diagnosis"
    }

``min_cell_size`` (k, default 0; ``--min-cell-size``): at release, cells with fewer records are
withheld with a proof that the published ones are still exact (docs/disclosure.md).

Statistic kinds: ``sum``, ``sum_sq``, ``histogram`` (the protocol's) and the shorthands ``mean``
(a sum: the count always comes first) and ``variance`` (a sum and a sum of squares).
``deadline`` is unix seconds; ``deadline_in`` a duration (``90s``, ``30m``, ``2h``, ``7d``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from zkgate import safejson
from zkgate.errors import FormatError, InvalidInputError
from zkgate.safejson import parse_integer
from zkgate.study.dataset import Schema
from zkgate.study.question import Question
from zkgate.study.spec import EqualsCondition, Filter, RangeCondition, Statistic

DEFAULT_DEADLINE = "24h"
_DURATION = re.compile(r"^([0-9]{1,12})\s*([smhd]?)$", re.ASCII)  # ASCII digits only (\d takes any Unicode digit)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class StudyRequestError(InvalidInputError):
    """A study request (file or option) that cannot be used; the message names where."""


@dataclass(frozen=True)
class ParticipantChoice:
    """An expected participant and, optionally, which of its registered data sets (id or prefix)."""

    name: str
    dataset: str = ""


@dataclass(frozen=True)
class StudyRequest:
    title: str
    participants: tuple[ParticipantChoice, ...]
    filter: Filter
    statistics: tuple[Statistic, ...]
    quorum: int | None  # None: every participant
    deadline: int  # unix seconds
    sql: str = ""  # the question in SQL; when given, filter and statistics are empty
    min_cell_size: int = 0  # k: cells with fewer records are withheld at release (docs/disclosure.md)

    def question(self, schema: Schema) -> Question | None:
        """The SQL question compiled against the participants' ``schema`` (refused naming the token
        or the constant, see :mod:`zkgate.study.sql`); ``None`` for a filter-and-statistics request."""
        if not self.sql:
            return None
        from zkgate.study.sql import compile_sql

        return compile_sql(self.sql, schema)

    def summary(self) -> dict:
        return {"title": self.title, "participants": [p.name for p in self.participants],
                "quorum": self.quorum or len(self.participants), "deadline": self.deadline,
                "min_cell_size": self.min_cell_size}


def parse_duration(text: str, where: str) -> int:
    m = _DURATION.match(str(text).strip())
    if not m or int(m.group(1)) <= 0:
        raise StudyRequestError(f"{where}: {text!r} is not a duration like 90s, 30m, 2h or 7d")
    return int(m.group(1)) * _UNITS[m.group(2)]


def _int(value, where: str) -> int:
    if type(value) is not int:
        raise StudyRequestError(f"{where}: expected an integer, got {value!r}")
    return value


def _str(value, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise StudyRequestError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _fields(obj, where: str, allowed: set[str]) -> dict:
    if not isinstance(obj, dict):
        raise StudyRequestError(f"{where}: expected an object")
    unknown = set(obj) - allowed
    if unknown:
        raise StudyRequestError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return obj


def expand_statistics(items: list[tuple[str, str, tuple[int, ...]]], where: str) -> tuple[Statistic, ...]:
    """(kind, column, edges) with the mean/variance shorthands expanded, duplicates dropped."""
    out: list[Statistic] = []

    def add(st: Statistic) -> None:
        if st not in out:
            out.append(st)

    for kind, column, edges in items:
        if kind in ("sum", "mean"):
            add(Statistic("sum", column))
        elif kind in ("sum_sq", "variance"):
            add(Statistic("sum", column))
            add(Statistic("sum_sq", column))
        elif kind == "histogram":
            if len(edges) < 2:
                raise StudyRequestError(f"{where}: a histogram of {column!r} needs at least 2 edges")
            add(Statistic("histogram", column, tuple(edges)))
        else:
            raise StudyRequestError(f"{where}: unknown statistic kind {kind!r}; use sum, mean, sum_sq, variance or histogram")
        if kind != "histogram" and edges:
            raise StudyRequestError(f"{where}: only a histogram takes edges")
    return tuple(out)


def parse_stat_option(text: str) -> tuple[str, str, tuple[int, ...]]:
    """``KIND:COLUMN`` or ``histogram:COLUMN:E0,E1,...``."""
    parts = text.split(":")
    where = f"--stat {text!r}"
    if len(parts) == 2:
        return parts[0], parts[1], ()
    if len(parts) == 3:
        try:
            edges = tuple(parse_integer(e, f"{where} edge") for e in parts[2].split(","))
        except ValueError:
            raise StudyRequestError(f"{where}: edges must be integers separated by commas") from None
        return parts[0], parts[1], edges
    raise StudyRequestError(f"{where}: expected KIND:COLUMN (sum, mean, sum_sq, variance) or histogram:COLUMN:E0,E1,...")


def parse_range_option(text: str) -> RangeCondition:
    parts = text.rsplit(":", 2)
    try:
        column, lo, hi = parts
        return RangeCondition(column, parse_integer(lo, "--range MIN"), parse_integer(hi, "--range MAX"))
    except ValueError:
        raise StudyRequestError(f"--range {text!r}: expected COLUMN:MIN:MAX with integers, e.g. age:40:65") from None


def parse_equals_option(text: str) -> EqualsCondition:
    parts = text.rsplit(":", 1)
    try:
        column, value = parts
        return EqualsCondition(column, parse_integer(value, "--equals VALUE"))
    except ValueError:
        raise StudyRequestError(f"--equals {text!r}: expected COLUMN:VALUE with an integer, e.g. sex:1") from None


def parse_participant_option(text: str) -> ParticipantChoice:
    name, _, dataset = text.partition("=")
    if not name:
        raise StudyRequestError(f"--participant {text!r}: expected NAME or NAME=DATASET_ID")
    return ParticipantChoice(name, dataset)


def _from_file(path: str) -> dict:
    try:
        obj = safejson.load_file(path)  # bounded depth and number sizes; errors name the file
    except FormatError as exc:
        raise StudyRequestError(f"the study request {exc}") from exc
    return _fields(obj, path, {"title", "participants", "filter", "statistics", "sql", "quorum", "deadline",
                               "deadline_in", "min_cell_size"})


def build_request(spec_file: str | None, *, title: str | None, participants: tuple[str, ...], ranges: tuple[str, ...],
                  equals: tuple[str, ...], stats: tuple[str, ...], quorum: int | None, deadline: int | None,
                  deadline_in: str | None, now: float | None = None, sql: str | None = None,
                  min_cell_size: int | None = None) -> StudyRequest:
    """The request from the JSON file, each command-line option replacing the file's field (``--sql``
    replaces the file's whole question: its ``sql``, ``filter`` and ``statistics``)."""
    src = spec_file or "the command line"
    obj = _from_file(spec_file) if spec_file else {}
    if sql is not None:
        if ranges or equals or stats:
            raise StudyRequestError("give the question in SQL (--sql) or as --range/--equals/--stat, not both")
        if not sql.strip():
            raise StudyRequestError("--sql: the SQL text is empty")
        obj = {k: v for k, v in obj.items() if k not in ("sql", "filter", "statistics")}
    elif "sql" in obj:
        if not isinstance(obj["sql"], str) or not obj["sql"].strip():
            raise StudyRequestError(f"{src}: field 'sql' must be a non-empty string")
        if "filter" in obj or "statistics" in obj:
            raise StudyRequestError(f"{src}: give 'sql' or 'filter'/'statistics', not both")
        if ranges or equals or stats:
            raise StudyRequestError(f"{src} asks in SQL: --range/--equals/--stat cannot be added to it (use --sql to "
                                    "replace the question)")
        sql = obj["sql"]
    now = int(time.time() if now is None else now)

    # participants
    if participants:
        chosen = tuple(parse_participant_option(p) for p in participants)
    else:
        items = obj.get("participants", [])
        if not isinstance(items, list):
            raise StudyRequestError(f"{src}: field 'participants' must be a list")
        chosen_list = []
        for i, p in enumerate(items):
            where = f"{src}: participants[{i}]"
            if isinstance(p, str):
                chosen_list.append(ParticipantChoice(_str(p, where)))
            else:
                p = _fields(p, where, {"name", "dataset"})
                chosen_list.append(ParticipantChoice(_str(p.get("name"), f"{where}.name"),
                                                     str(p.get("dataset", "") or "")))
        chosen = tuple(chosen_list)
    if not chosen:
        raise StudyRequestError(f"{src}: name the participants (--participant NAME, or 'participants' in the file)")

    # filter
    flt = obj.get("filter", {})
    flt = _fields(flt, f"{src}: filter", {"ranges", "equals"})
    if ranges:
        range_conditions = tuple(parse_range_option(r) for r in ranges)
    else:
        range_conditions = tuple(
            RangeCondition(_str(r.get("column"), f"{src}: filter.ranges[{i}].column"),
                           _int(r.get("min"), f"{src}: filter.ranges[{i}].min"),
                           _int(r.get("max"), f"{src}: filter.ranges[{i}].max"))
            for i, r in enumerate(_fields(x, f"{src}: filter.ranges[{i}]", {"column", "min", "max"})
                                  for i, x in enumerate(_list(flt.get("ranges", []), f"{src}: filter.ranges")))
        )
    if equals:
        equal_conditions = tuple(parse_equals_option(e) for e in equals)
    else:
        equal_conditions = tuple(
            EqualsCondition(_str(e.get("column"), f"{src}: filter.equals[{i}].column"),
                            _int(e.get("value"), f"{src}: filter.equals[{i}].value"))
            for i, e in enumerate(_fields(x, f"{src}: filter.equals[{i}]", {"column", "value"})
                                  for i, x in enumerate(_list(flt.get("equals", []), f"{src}: filter.equals")))
        )

    # statistics
    if stats:
        statistics = expand_statistics([parse_stat_option(s) for s in stats], "--stat")
    else:
        raw = []
        for i, s in enumerate(_list(obj.get("statistics", []), f"{src}: statistics")):
            where = f"{src}: statistics[{i}]"
            s = _fields(s, where, {"kind", "column", "edges"})
            edges = tuple(_int(e, f"{where}.edges") for e in _list(s.get("edges", []), f"{where}.edges"))
            raw.append((_str(s.get("kind"), f"{where}.kind"), _str(s.get("column"), f"{where}.column"), edges))
        statistics = expand_statistics(raw, f"{src}: statistics")

    # quorum and deadline
    if quorum is None and "quorum" in obj:
        quorum = _int(obj["quorum"], f"{src}: quorum")
    if quorum is not None and not 1 <= quorum <= len(chosen):
        raise StudyRequestError(f"quorum {quorum}: must lie in [1, {len(chosen)}] (the number of participants)")
    if deadline is not None and deadline_in is not None:
        raise StudyRequestError("give --deadline or --deadline-in, not both")
    if deadline is None and deadline_in is None:
        if "deadline" in obj and "deadline_in" in obj:
            raise StudyRequestError(f"{src}: give 'deadline' or 'deadline_in', not both")
        if "deadline" in obj:
            deadline = _int(obj["deadline"], f"{src}: deadline")
        else:
            where = f"{src}: deadline_in" if "deadline_in" in obj else "the default deadline"
            deadline = now + parse_duration(obj.get("deadline_in", DEFAULT_DEADLINE), where)
    elif deadline is None:
        deadline = now + parse_duration(deadline_in, "--deadline-in")
    if deadline <= now:
        raise StudyRequestError(f"the deadline {deadline} has already passed (now {now})")

    if min_cell_size is None:
        min_cell_size = _int(obj["min_cell_size"], f"{src}: min_cell_size") if "min_cell_size" in obj else 0
    if not 0 <= min_cell_size <= 1 << 32:
        raise StudyRequestError(f"min_cell_size {min_cell_size}: must lie in [0, 2^32] (0: no suppression)")

    if title is None:
        title = obj.get("title", "")
        if not isinstance(title, str):
            raise StudyRequestError(f"{src}: field 'title' must be a string")
    if sql is not None:
        if not title:
            title = " ".join(sql.split()).encode()[:200].decode(errors="ignore")  # a spec title holds 256 bytes
        return StudyRequest(title, chosen, Filter(), (), quorum, deadline, sql, min_cell_size)
    return StudyRequest(title, chosen, Filter(range_conditions, equal_conditions), statistics, quorum, deadline,
                        min_cell_size=min_cell_size)


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise StudyRequestError(f"{where}: expected a list")
    return value


__all__ = ["ParticipantChoice", "StudyRequest", "StudyRequestError", "build_request", "parse_duration"]
