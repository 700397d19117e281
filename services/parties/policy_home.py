"""A party's disclosure-control policy and the studies it answered, kept in its home folder.

Files (public, JSON; a data holder's and a key holder's home alike)::

    policy.json     the rules (zkgate.study.policy.DisclosurePolicy; every field optional):
                    {"forbidden_columns": ["hiv_status"], "max_cells": 64, "max_bins": 20,
                     "min_cell_size": 5, "max_studies_per_period": 10, "period_days": 30,
                     "max_overlap": 0.9, "min_difference_records": 5}
    answered.json   the studies answered: [{"study_id", "answered_at", "schema_digest", "question"}]

Without ``policy.json`` the permissive default applies (zkgate's own limits only); ``zkgate holder
review`` says so.  A data holder checks a study before proving anything (``holder submit``) and
records it once the gateway accepted its submission; a key holder checks it before decrypting
(``keyholder release``) and records it once the release is published.  The rule engine is
:mod:`zkgate.study.policy` (pure); this module reads and writes the files.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np

from zkgate import safejson
from zkgate.errors import FormatError, ZkgateError
from zkgate.study.policy import AnsweredStudy, DisclosurePolicy, PolicyError, PolicyRefusal, Verdict, evaluate_policy
from zkgate.study.question import Question

from .role_home import CorruptStateError, RoleHome

POLICY_FILE = "policy.json"
HISTORY_FILE = "answered.json"
MAX_HISTORY = 10_000


def load_policy(home: RoleHome) -> tuple[DisclosurePolicy, str]:
    """The policy and where it came from (the file, or ``"default"`` when there is none)."""
    path = home.file(POLICY_FILE)
    if not path.exists():
        return DisclosurePolicy(), "default (no policy.json: zkgate's own limits only)"
    obj = home.read_json(POLICY_FILE, "the disclosure policy")
    try:
        return DisclosurePolicy.from_json(obj, str(path)), str(path)
    except PolicyError as exc:
        raise CorruptStateError(f"{exc} (fix {path}; see docs/disclosure.md)") from None


def save_policy(home: RoleHome, policy: DisclosurePolicy) -> None:
    home.write_public(POLICY_FILE, (json.dumps(policy.to_json(), indent=2) + "\n").encode())


def load_history(home: RoleHome) -> list[AnsweredStudy]:
    path = home.file(HISTORY_FILE)
    if not path.exists():
        return []
    try:
        entries = safejson.loads(home.read(HISTORY_FILE, "the studies answered"), str(path))
        if not isinstance(entries, list):
            raise FormatError("expected a JSON list")
        return [AnsweredStudy(e["study_id"], int(e["answered_at"]), e["schema_digest"], Question.from_obj(e["question"]))
                for e in entries]
    except (ZkgateError, KeyError, TypeError, ValueError) as exc:
        raise CorruptStateError(f"{path} (the studies answered) is damaged: {exc}") from None


def record_answered(home: RoleHome, spec, *, now: int | None = None) -> None:
    """Add the study to ``answered.json`` (once; a repeated call keeps the first time)."""
    study_id = spec.study_id_bytes.hex()
    history = load_history(home)
    if any(h.study_id == study_id for h in history):
        return
    history.append(AnsweredStudy(study_id, int(time.time() if now is None else now), spec.schema.digest().hex(),
                                 spec.question))
    rows = [{"study_id": h.study_id, "answered_at": h.answered_at, "schema_digest": h.schema_digest,
             "question": h.question.to_obj()} for h in history[-MAX_HISTORY:]]
    home.write_public(HISTORY_FILE, (json.dumps(rows, indent=1) + "\n").encode())


def declared_records(dataset) -> dict[str, np.ndarray]:
    """A data set's columns in declared units (what the filters compare with)."""
    schema = dataset.schema
    stored = np.asarray(dataset.stored)
    return {c.name: stored[:, i].astype(np.int64) + c.offset for i, c in enumerate(schema.columns)}


@dataclass(frozen=True)
class Review:
    """A study as a party sees it before answering: the question, its cells and released
    coordinates, the study's k, and the policy's verdict."""

    study_id: str
    question: str
    sql: str
    cells: list[str]
    coordinates: list[str]
    min_cell_size: int
    policy_source: str
    verdict: Verdict

    def to_json(self) -> dict:
        return {"study_id": self.study_id, "question": self.question, "sql": self.sql, "cells": self.cells,
                "released_coordinates": self.coordinates, "min_cell_size": self.min_cell_size,
                "policy": self.policy_source, **self.verdict.to_json()}

    def lines(self) -> list[str]:
        cells = ", ".join(self.cells[:16]) + (f", ... ({len(self.cells)} in all)" if len(self.cells) > 16 else "")
        coords = ", ".join(self.coordinates[:12]) + (f", ... ({len(self.coordinates)} in all)"
                                                     if len(self.coordinates) > 12 else "")
        out = [f"study {self.study_id}", f"question: {self.question}"]
        if self.sql and self.sql != self.question:
            out.append(f"as asked: {self.sql}")
        out += [f"cells: {len(self.cells)} ({cells})", f"released coordinates: {len(self.coordinates)} ({coords})",
                f"minimum cell size k = {self.min_cell_size}" + ("" if self.min_cell_size else " (no suppression)"),
                f"policy: {self.policy_source}"]
        out += [f"  note: {n}" for n in self.verdict.notes]
        if self.verdict.accepted:
            out.append("verdict: ACCEPTED")
        else:
            out.append("verdict: REFUSED")
            out += [f"  {v.rule}: {v.detail}" for v in self.verdict.violations]
        return out


def review(home: RoleHome, spec, *, records: dict[str, np.ndarray] | None = None, now: int | None = None) -> Review:
    """The policy of ``home`` applied to ``spec`` (a data holder passes its records)."""
    policy, source = load_policy(home)
    question: Question = spec.question
    study_id = spec.study_id_bytes.hex()
    verdict = evaluate_policy(policy, question, spec.schema, min_cell_size=spec.min_cell_size,
                              history=load_history(home), now=int(time.time() if now is None else now),
                              study_id=study_id, records=records)
    return Review(study_id, question.describe(), question.sql,
                  [question.cell_label(k) or "(all)" for k in question.cells(spec.schema)], list(spec.value_names()),
                  spec.min_cell_size, source, verdict)


def require_accepted(rev: Review, who: str, hint: str) -> None:
    """Raise :class:`PolicyRefusal` naming every rule the study breaks (``hint``: what shows the
    study and the verdict, or what else to do)."""
    if not rev.verdict.accepted:
        raise PolicyRefusal(f"{rev.verdict.refusal(f'{who} policy ({rev.policy_source})')}; {hint}", rev.verdict)


__all__ = ["HISTORY_FILE", "POLICY_FILE", "Review", "declared_records", "load_history", "load_policy", "record_answered",
           "require_accepted", "review", "save_policy"]
