"""Public verification of a study from its public record alone.

The record holds the spec, the circuit's public keys, the accepted submissions without
ciphertexts (their digests are signed), the aggregate without its ciphertext, and the
release.  :func:`verify_record` checks every proof, signature and chunk set, that every
released ``S_j`` lies in ``[0, declared bound]`` (bounds below l), and that
``Σ_j S_j·G_j + (P mod l)·H == Σ C_i``; the report names every check that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkgate.errors import ZkgateError
from zkgate.study import encoding as enc
from zkgate.study.aggregator import check_submission_statement, sum_points
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Aggregate, Release, Submission
from zkgate.study.release import commitment_opens
from zkgate.study.spec import StudySpec


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


@dataclass
class VerificationReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        return ok

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{name}: {detail}" if detail else name for name, ok, detail in self.checks if not ok]

    def to_dict(self) -> dict:
        return {"verified": self.ok, "failures": self.failures,
                "checks": [{"check": n, "ok": ok, "detail": d} for n, ok, d in self.checks]}


def verify_record(record: PublicRecord, *, dev_mode: bool = False) -> VerificationReport:
    spec, rep = record.spec, VerificationReport()
    try:
        record.keys.check(spec, dev_mode=dev_mode)
        rep.add("circuit keys", True)
    except ZkgateError as exc:
        rep.add("circuit keys", False, str(exc))
        return rep
    for sub in record.submissions:
        try:
            if sub.study_id != spec.study_id:
                raise ZkgateError("submitted for another study")
            check_submission_statement(spec, record.keys, sub)
            rep.add(f"submission of {sub.participant}", True)
        except ZkgateError as exc:
            rep.add(f"submission of {sub.participant}", False, str(exc))
    names = [s.participant for s in record.submissions]
    rep.add("distinct participants", len(set(names)) == len(names), "a participant appears twice")
    rep.add("quorum", len(names) >= spec.quorum, f"{len(names)} submissions, quorum {spec.quorum}")
    total = sum_points(s.commitment for s in record.submissions)
    agg = record.aggregate
    if agg is None:
        rep.add("aggregate", False, "no aggregate was published")
    else:
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
        rep.add("release", False, "nothing was released (the key holder's check refused the aggregate?)")
        return rep
    try:
        rel.verify_signature(spec.key_holder_key)
        rep.add("release signature", rel.study_id == spec.study_id, "")
    except ZkgateError as exc:
        rep.add("release signature", False, str(exc))
    if agg is not None:
        ok = rel.aggregate_digest == agg.digest
        rep.add("release names the aggregate", ok, "" if ok else "the release names another aggregate")
    if rel.mode != "exact" or rel.randomness is None:
        rep.add("exact release", False, f"a {rel.mode} release is unverified by design (no P published)")
        return rep
    bounds, names_j = spec.value_bounds(), spec.value_names()
    if len(rel.values) != len(bounds):
        rep.add("released values", False, f"expected {len(bounds)} values, got {len(rel.values)}")
        return rep
    out = [f"{n} = {v} outside [0, {b}]" for n, v, b in zip(names_j, rel.values, bounds) if not 0 <= v <= b]
    rep.add("released values within their declared bounds", not out, "; ".join(out))
    ok = commitment_opens(spec, rel.values, rel.randomness, total)
    rep.add("commitment equation", ok,
            "" if ok else "Σ S_j·G_j + (P mod l)·H ≠ Σ C_i: the released sum is not what the participants proved")
    return rep


__all__ = ["PublicRecord", "VerificationReport", "verify_record"]
