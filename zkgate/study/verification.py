"""Public verification of a study from its public record alone.

The record holds the spec, the circuit's public keys, the accepted submissions without
ciphertexts (their digests are signed), the aggregate without its ciphertext, and the
release.  :func:`verify_record` checks every proof, signature and chunk set, that every
released ``S_j`` lies in ``[0, declared bound]`` (bounds below l), and that
``Σ_j S_j·G_j + (P mod l)·H == Σ C_i``; the report names every check that failed.

A release that publishes no ``P`` (``"ckks"``: approximate CKKS decryption of a CKKS study;
``"dp"``: differentially private noise) cannot be checked against the commitments.  Every
other check still runs (proofs, signatures, chunk sets, the aggregate, the release's mode
against the study's preset, the released values against their bounds), and the commitment
equation is reported as *unverified* with the reason, never as passed: such a report has
``ok`` (``verified``) false and ``status`` ``"unverified"`` when nothing failed, so it says
both that every proof checked out and that the released numbers are not verified.

A study that is not finished yet is not a failure: with no aggregate the study is still
*open* (never closed), with an aggregate but no release it is *closed* and waits for the key
holder.  The report says which (``stage``, and ``pending`` with what to do next), checks what
exists so far, and has ``status`` ``"open"`` or ``"closed"`` unless a check failed.  A released
study's report carries the released numbers (``released``) beside the verdict.

A *cancelled* study (the gateway's ``study_cancelled`` audit leaf, :mod:`zkgate.study.cancellation`,
given as ``cancellation``) was ended by its requester or an admin and will never be released. That
is not a failure of cryptography: every check of what exists still runs, and when none failed the
report has ``status`` ``"cancelled"``, ``stage`` ``"cancelled"`` and the reason in ``pending``
(``ok`` stays false: nothing was released, so nothing is verified).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from zkgate.errors import ZkgateError
from zkgate.study import encoding as enc
from zkgate.study.aggregator import check_submission_statement, proof_items, proofs_rejected, sum_points, verify_proofs
from zkgate.study.cancellation import StudyCancellation
from zkgate.study.disclosure import (
    check_withholding,
    derive_published,
    published_bounds,
    published_names,
    small_cells,
)
from zkgate.study.identity import ED25519, HYBRID, algorithms, ref_is_hybrid
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Aggregate, Release, Submission
from zkgate.study.release import commitment_opens, derived_statistics, release_statistics
from zkgate.study.spec import StudySpec
from zkgate.study.statistics.numbers import to_json


@dataclass(frozen=True)
class PublicRecord:
    spec: StudySpec
    keys: CircuitKeys
    submissions: tuple[Submission, ...]
    aggregate: Aggregate | None
    release: Release | None

    def to_bytes(self) -> bytes:
        return enc.pack(enc.header("public-record") + [
            self.spec.to_bytes(), self.keys.public().to_bytes(),
            [s.public().to_bytes() for s in self.submissions],
            None if self.aggregate is None else self.aggregate.public().to_bytes(),
            None if self.release is None else self.release.to_bytes(),
        ])

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicRecord:
        it = enc.unpack(data, "public-record")
        if len(it) != 5:
            raise enc.MessageFormatError("public-record: expected 5 items")
        return cls(
            StudySpec.from_bytes(enc.read_bytes(it[0], "spec")),
            CircuitKeys.from_bytes(enc.read_bytes(it[1], "keys")),
            tuple(Submission.from_bytes(enc.read_bytes(b, "submission")) for b in enc.read_list(it[2], "submissions")),
            None if it[3] is None else Aggregate.from_bytes(enc.read_bytes(it[3], "aggregate")),
            None if it[4] is None else Release.from_bytes(enc.read_bytes(it[4], "release")),
        )


#: Why a CKKS release is not verified (the report's ``unverified`` entry for the commitment equation).
CKKS_UNVERIFIED = (
    "unverified by design (CKKS, approximate): the released S is a rounded CKKS decryption and P is never "
    "published, so Σ S_j·G_j + (P mod l)·H = Σ C_i cannot be checked; every contribution's proofs and "
    "commitment are verified, but the released numbers are not bound to them"
)
#: Why a differentially private release is not verified.
DP_UNVERIFIED = (
    "unverified by design (differential privacy): the released S carries noise and P is never published, "
    "so the commitment equation cannot be checked"
)


@dataclass
class VerificationReport:
    """Named checks, each passed or failed, and the checks that could not be run (``unverified``,
    with the reason).  ``ok`` (``verified``) needs every check passed and none unverified."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    unverified: list[tuple[str, str]] = field(default_factory=list)
    stage: str = "released"  # "open" (never closed), "closed" (aggregate, no release yet), "cancelled" or "released"
    pending: str = ""  # for an open or closed study: what has not happened yet, and who does it next
    released: dict | None = None  # mode, values and derived statistics of the release (when it has one)
    signatures: dict = field(default_factory=dict)  # signed object -> "Ed25519+ML-DSA-65" or "Ed25519 (classical)"

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        return ok

    def skip(self, name: str, reason: str) -> None:
        """Record a check that cannot be run on this record (never counts as passed)."""
        self.unverified.append((name, reason))

    def wait(self, stage: str, reason: str) -> None:
        """Record that the study has not reached its release yet (never counts as passed)."""
        self.stage, self.pending = stage, reason

    @property
    def ok(self) -> bool:
        return self.checks_passed and not self.unverified and not self.pending

    @property
    def checks_passed(self) -> bool:
        """Every check that could run passed (the release may still be unverified)."""
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    @property
    def status(self) -> str:
        """``"verified"``, ``"failed"`` (a check failed), ``"open"`` / ``"closed"`` (nothing failed so
        far, but the study was never closed / nothing was released yet), ``"cancelled"`` (nothing
        failed; the study was cancelled and will never be released) or ``"unverified"``
        (nothing failed, but a check could not be run: a CKKS or differentially private release)."""
        if not self.checks_passed:
            return "failed"
        if self.pending:
            return self.stage
        return "unverified" if self.unverified else "verified"

    @property
    def failed(self) -> list[str]:
        """The checks that failed."""
        return [f"{name}: {detail}" if detail else name for name, ok, detail in self.checks if not ok]

    @property
    def failures(self) -> list[str]:
        """Everything that keeps the record from being verified: failed checks, what has not
        happened yet (an open or closed study), then the unverified checks (their reasons say so)."""
        return (self.failed + ([self.pending] if self.pending else [])
                + [f"{name}: {reason}" for name, reason in self.unverified])

    def to_dict(self) -> dict:
        """JSON-ready; a check's ``detail`` is given only where it says something about its outcome."""
        return {"verified": self.ok, "status": self.status, "stage": self.stage, "pending": self.pending,
                "failures": self.failures,
                "checks": [{"check": n, "ok": ok, **({"detail": d} if d else {})} for n, ok, d in self.checks],
                "unverified": [{"check": n, "reason": r} for n, r in self.unverified],
                "released": self.released, "signatures": self.signatures}


def released_numbers(spec: StudySpec, release: Release) -> dict:
    """What a release publishes, for people: its mode, the raw sums S (by coordinate name) and the
    results derived from them by alias (:func:`zkgate.study.release.derived_statistics`), with the
    histogram bins ``[a, b)`` of each HISTOGRAM alias."""
    bins = {a.alias: [f"[{x}, {y})" for x, y in zip(a.params, a.params[1:])]
            for a in spec.question.aggregates if a.function == "HISTOGRAM"}
    return {"mode": release.mode, "verifiable": release.mode == "exact",
            "values": dict(zip(spec.value_names(), (int(v) for v in release.values))),
            "statistics": derived_statistics(spec, release.values), "histogram_bins": bins}


def check_published_results(spec: StudySpec, release: Release, published: dict, rep: VerificationReport) -> None:
    """The check "derived values recomputed from the released sums" (see :func:`verify_record`)."""
    try:
        mine = json.loads(json.dumps(release_statistics(spec, release)))
    except (ArithmeticError, ValueError, TypeError, KeyError) as exc:
        rep.add("derived values recomputed from the released sums", False, f"the released sums give no results ({exc})")
        return
    theirs = json.loads(json.dumps(published)) if isinstance(published, dict) else {}
    differ = sorted(set(mine) ^ set(theirs)) + sorted(k for k in set(mine) & set(theirs) if mine[k] != theirs[k])
    rep.add("derived values recomputed from the released sums", not differ,
            "" if not differ else f"the published results differ from those the released sums give: {', '.join(differ)}")


def check_refinements(spec: StudySpec, values, rep: VerificationReport) -> None:
    """A quantile refinement (PERCENTILE_REFINE) must count, inside its window, exactly the records its
    parent study published there (the parent's count is bound into the study id as a parameter)."""
    refining = [a for a in spec.question.aggregates if a.function == "PERCENTILE_REFINE"]
    if not refining:
        return
    try:
        derived = spec.derive(list(values))
    except (ArithmeticError, ValueError, KeyError) as exc:
        rep.add("refinement counts the parent's records", False, f"the released sums give no results ({exc})")
        return
    bad = []
    for a in refining:
        for label, v in (derived[a.alias].items() if spec.question.group_by else [("", derived[a.alias])]):
            if getattr(v, "reason", None):
                bad.append(f"{a.alias}{'[' + label + ']' if label else ''}: {v.reason}")
    rep.add("refinement counts the parent's records", not bad, "; ".join(bad))


def classical_keys(spec: StudySpec) -> list[str]:
    """Who the spec names with a classical Ed25519-only key (no ML-DSA-65 half)."""
    out = [f"participant {p.name!r}" for p in spec.participants if not ref_is_hybrid(p.verify_key)]
    out += [what for what, key in (("the gateway", spec.gateway_key), ("the key holder", spec.key_holder_key))
            if algorithms(key) != HYBRID]
    return out


def signature_algorithms(record: PublicRecord) -> dict[str, str]:
    """Which algorithms sign each signed object of the record (the signer's registered key type
    decides: a hybrid key's signature verifies only with both halves)."""
    label = {HYBRID: HYBRID, ED25519: f"{ED25519} (classical)"}
    spec, out = record.spec, {}
    for sub in record.submissions:
        out[f"submission of {sub.participant}"] = label[HYBRID if sub.signer_key else ED25519]
    if record.aggregate is not None:
        out["aggregate"] = label[algorithms(spec.gateway_key)]
    if record.release is not None:
        out["release"] = label[algorithms(spec.key_holder_key)]
    return out


def verify_record(record: PublicRecord, *, dev_mode: bool = False,
                  cancellation: StudyCancellation | None = None, require_pq: bool = False,
                  published: dict | None = None) -> VerificationReport:
    """Every check of the record; with ``cancellation`` (the study's ``study_cancelled`` audit
    leaf), a study without a release is reported as cancelled instead of open or closed.  The
    report lists which algorithms signed each object (``signatures``); ``require_pq`` adds a
    check that fails, naming them, on objects signed with classical Ed25519-only keys.

    ``published``: the derived results as someone published them (the gateway's ``GetRelease``
    statistics, a key holder's report: alias -> value, JSON form); every one is recomputed from the
    released sums (:func:`~zkgate.study.release.release_statistics`) and the release is refused
    when any differs, naming the aliases."""
    rep = _verify(record, dev_mode)
    if published is not None and record.release is not None:
        check_published_results(record.spec, record.release, published, rep)
    rep.signatures = signature_algorithms(record)
    if require_pq:
        classical = [name for name, alg in rep.signatures.items() if alg != HYBRID]
        rep.add("post-quantum signatures (--require-pq)", not classical,
                f"signed with classical Ed25519-only keys, no ML-DSA-65 part: {', '.join(classical)}" if classical else "")
    if cancellation is None:
        return rep
    if cancellation.study_id != record.spec.study_id_bytes.hex():
        rep.add("cancellation names this study", False, f"the cancellation given is for study {cancellation.study_id}")
        return rep
    if record.release is not None:
        rep.add("no release after a cancellation", False,
                "the study was cancelled, yet the record holds a release (the gateway refuses one after a cancellation)")
        return rep
    rep.wait("cancelled", (
        f"not released: the study was cancelled by {cancellation.cancelled_by or 'the gateway operator'!s} "
        f"while {cancellation.state_before}: {cancellation.reason!r} (audit leaf {cancellation.audit_leaf_index}); "
        "it will never be released. This is not a failure of cryptography: every check of what was submitted "
        "passed unless listed as failed"))
    return rep


def _verify(record: PublicRecord, dev_mode: bool) -> VerificationReport:
    spec, rep = record.spec, VerificationReport()
    if spec.question.sql:  # the compiled question is the authority; its SQL text must say the same
        from zkgate.study.sql import recompile_matches

        try:
            recompile_matches(spec.question, spec.schema)
            rep.add("SQL text compiles to the study's question", True)
        except ZkgateError as exc:
            rep.add("SQL text compiles to the study's question", False, str(exc))
    try:
        record.keys.check(spec, dev_mode=dev_mode)
        rep.add("circuit keys", True)
    except ZkgateError as exc:
        rep.add("circuit keys", False, str(exc))
        return rep
    # every chunk proof of every submission in one batch (a failed batch is re-checked one by one, so a
    # bad proof is attributed to its submission and chunk)
    items: list = []
    spans: list[tuple[int, int] | None] = []
    for sub in record.submissions:
        if sub.study_id != spec.study_id or not len(sub.proofs) == len(sub.chunk_roots) == len(sub.chunk_commitments):
            spans.append(None)  # refused below, before its proofs matter
            continue
        spans.append((len(items), len(items) + len(sub.proofs)))
        items += proof_items(spec, sub)
    verdicts = verify_proofs(record.keys, items) if items else []
    for sub, span in zip(record.submissions, spans):
        try:
            if sub.study_id != spec.study_id:
                raise ZkgateError("submitted for another study")
            check_submission_statement(spec, record.keys, sub, proofs=False)
            if span is not None:
                bad = [i for i, ok in enumerate(verdicts[span[0] : span[1]]) if not ok]
                if bad:
                    raise proofs_rejected(sub, bad)
            rep.add(f"submission of {sub.participant}", True)
        except ZkgateError as exc:
            rep.add(f"submission of {sub.participant}", False, str(exc))
    names = [s.participant for s in record.submissions]
    twice = sorted({n for n in names if names.count(n) > 1})
    rep.add("distinct participants", not twice, f"{', '.join(map(repr, twice))} submitted more than once" if twice else "")
    total = sum_points(s.commitment for s in record.submissions)
    agg = record.aggregate
    if agg is None and record.release is not None:
        rep.add("aggregate", False, "a release was published but the record holds no aggregate it could be checked against")
        return rep
    if agg is None:  # never closed: nothing to check beyond the submissions so far
        short = max(0, spec.quorum - len(names))
        rep.wait("open", (
            f"not released: the study is still open (never closed): {len(names)} of {len(spec.participants)} "
            f"participant(s) submitted, quorum {spec.quorum}"
            + (f", {short} more needed before `zkgate requester close STUDY_ID`" if short
               else "; the requester closes it with `zkgate requester close STUDY_ID`")
            + ", then the key holder releases (`zkgate keyholder release`)"))
        return rep
    ok = len(names) >= spec.quorum
    rep.add("quorum", ok, "" if ok else f"{len(names)} submissions, quorum {spec.quorum}")
    try:
        agg.verify_signature(spec.gateway_key)
        ok = agg.study_id == spec.study_id
        rep.add("aggregate signature", ok, "" if ok else "the aggregate is for another study")
    except ZkgateError as exc:
        rep.add("aggregate signature", False, str(exc))
    ok = agg.included == tuple((s.participant, s.digest) for s in record.submissions)
    rep.add("aggregate lists the accepted submissions", ok, "" if ok else "the aggregate's list differs")
    ok = tuple(agg.commitment) == total
    rep.add("aggregate commitment", ok, "" if ok else "not the sum of the submissions' commitments")
    rel = record.release
    if rel is None:
        rep.wait("closed", (
            "not released: the study is closed and its aggregate is published, but nothing was released yet: "
            "the key holder runs `zkgate keyholder release --home KH STUDY_ID` (if it did, its check found that "
            "the aggregate does not open the logged commitments and it published nothing: ask the key holder)"))
        return rep
    try:
        rel.verify_signature(spec.key_holder_key)
        ok = rel.study_id == spec.study_id
        rep.add("release signature", ok, "" if ok else "the release is for another study")
    except ZkgateError as exc:
        rep.add("release signature", False, str(exc))
    if agg is not None:
        ok = rel.aggregate_digest == agg.digest
        rep.add("release names the aggregate", ok, "" if ok else "the release names another aggregate")
    expected = spec.release_mode  # "exact" (BFV) or "ckks"
    allowed = {"exact": ("exact", "dp"), "ckks": ("ckks",)}[expected]
    ok = rel.mode in allowed
    rep.add("release mode fits the study's HE preset", ok,
            "" if ok else f"a {rel.mode!r} release of a study on the {spec.he_preset} preset "
                          f"(expected {' or '.join(map(repr, allowed))})")
    if rel.suppressed:
        return _verify_suppressed(spec, rel, total, rep)
    if rel.mode == "exact":
        ok = rel.randomness is not None
        rep.add("exact release publishes P", ok, "" if ok else "an exact release without P")
    elif rel.randomness is not None:
        rep.add("no P beside an unverified release", False,
                f"a {rel.mode} release publishes P (it would let anyone test guesses of the exact sum)")
    bounds, names_j = spec.value_bounds(), spec.value_names()
    if len(rel.values) != len(bounds):
        rep.add("released values", False, f"expected {len(bounds)} values, got {len(rel.values)}")
        return rep
    try:
        rep.released = released_numbers(spec, rel)
    except (ArithmeticError, ValueError, TypeError, KeyError):  # e.g. a negative count in a forged release: the checks say why
        rep.released = {"mode": rel.mode, "values": dict(zip(names_j, (int(v) for v in rel.values)))}
    out = [f"{n} = {v} outside [0, {b}]" for n, v, b in zip(names_j, rel.values, bounds) if not 0 <= v <= b]
    rep.add("released values within their declared bounds", not out, "; ".join(out))
    if rel.mode != "exact" or rel.randomness is None:
        rep.skip("commitment equation", CKKS_UNVERIFIED if rel.mode == "ckks" else
                 DP_UNVERIFIED if rel.mode == "dp" else "no P was published")
        return rep
    ok = commitment_opens(spec, rel.values, rel.randomness, total)
    rep.add("commitment equation", ok,
            "" if ok else "Σ S_j·G_j + (P mod l)·H ≠ Σ C_i: the released sum is not what the participants proved")
    check_refinements(spec, rel.values, rep)
    if spec.min_cell_size > 0:  # every cell is published: none may be below k (docs/disclosure.md)
        small = small_cells(spec, rel.values)
        rep.add("published cells meet the minimum cell size", not small,
                "" if not small else f"cell(s) {small[:8]} are published with fewer than k = {spec.min_cell_size} "
                                     "records (the key holder should have withheld them)")
    return rep


def _verify_suppressed(spec: StudySpec, rel: Release, total, rep: VerificationReport) -> VerificationReport:
    """A release with small cells withheld (docs/disclosure.md): no P; the withheld coordinates are
    whole cells; the suppression proof binds the published values to Σ C_i; no published cell is
    below the study's k; the published values within their bounds."""
    ok = spec.min_cell_size > 0
    rep.add("the study withholds small cells", ok,
            "" if ok else "cells were withheld from a study whose min_cell_size is 0 (it releases every cell)")
    checks = check_withholding(spec, rel.withheld, rel.values, rel.suppression, total)
    for name, ok, detail in checks:
        rep.add(name, ok, detail)
    if not all(ok for _, ok, _ in checks):
        return rep
    names_j, bounds = published_names(spec, rel.withheld), published_bounds(spec, rel.withheld)
    try:
        stats = to_json(derive_published(spec, rel.withheld, rel.values))
    except (ArithmeticError, ValueError, TypeError, KeyError):
        stats = None
    layout_width = len(spec.value_names()) // spec.n_cells
    labels = [spec.question.cell_label(k) for k in spec.question.cells(spec.schema)]
    rep.released = {"mode": rel.mode, "verifiable": True,
                    "values": dict(zip(names_j, (int(v) for v in rel.values))), "statistics": stats,
                    "withheld_cells": sorted({labels[j // layout_width] or "(all)" for j in rel.withheld}),
                    "min_cell_size": spec.min_cell_size}
    out = [f"{n} = {v} outside [0, {b}]" for n, v, b in zip(names_j, rel.values, bounds) if not 0 <= v <= b]
    rep.add("released values within their declared bounds", not out, "; ".join(out))
    return rep


__all__ = ["CKKS_UNVERIFIED", "DP_UNVERIFIED", "PublicRecord", "VerificationReport", "check_published_results",
           "classical_keys", "released_numbers",
           "signature_algorithms", "verify_record"]
