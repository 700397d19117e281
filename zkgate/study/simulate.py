"""One-process simulation of a whole study on synthetic, seeded patient tables.

``simulate(holders, records, seed, chunk)`` generates one table per hospital (age, sex,
diagnosis code, systolic blood pressure, cholesterol), commits and registers them, opens a
study (age 40-65, women; sum, sum of squares and mean of cholesterol; histogram of systolic
pressure), lets every party do its part and verifies the public record; ``tamper``
injects one party's misbehaviour:

* ``participant``: the first hospital encrypts other values than it proved;
* ``aggregator``: the gateway substitutes one hospital's ciphertext with another encryption;
* ``keyholder``: the key holder publishes a misreported sum.

With a CKKS preset (``preset="ckks-8192"``) the study runs in CKKS mode: the same proofs and
commitments, CKKS ciphertexts of the statistics (no ``ρ``), and the key holder's approximate
release (:meth:`StudyKeyHolder.release_ckks`), which public verification reports as
unverified (proofs checked, released numbers not bound to them).  Tampering needs the exact
BFV check to be detected, so it is refused in CKKS mode.

Runs in dev mode (development circuit keys): a simulation, not a deployment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from zkgate.errors import ZkgateError
from zkgate.he import Contributor as HEContributor
from zkgate.he import KeyHolder
from zkgate.he.presets import get_preset
from zkgate.study.aggregator import StudyAggregator, build_aggregate
from zkgate.study.catalog import Registration
from zkgate.study.circuit import chunk_statistics
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.distributed import DaskProver, parse_target
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Release
from zkgate.study.release import StudyKeyHolder, release_statistics
from zkgate.study.requester import open_study
from zkgate.study.spec import EqualsCondition, Filter, RangeCondition, Statistic, StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json
from zkgate.study.verification import PublicRecord, verify_record

TAMPER_MODES = ("participant", "aggregator", "keyholder")

PATIENT_SCHEMA = Schema.of(
    ("age", 18, 90),
    ("sex", 0, 1),
    ("diagnosis", 0, 31),
    ("sbp", 80, 200),
    ("cholesterol", 100, 350),
)
STUDY_FILTER = Filter((RangeCondition("age", 40, 65),), (EqualsCondition("sex", 1),))
STUDY_STATISTICS = (
    Statistic("sum", "cholesterol"),
    Statistic("sum_sq", "cholesterol"),
    Statistic("histogram", "sbp", (80, 120, 140, 160, 201)),
)


def patient_table(rng: np.random.Generator, n: int) -> np.ndarray:
    age = rng.integers(18, 91, n)
    sex = rng.integers(0, 2, n)
    dx = rng.integers(0, 32, n)
    sbp = np.clip(np.round(rng.normal(100 + 0.5 * age, 15)), 80, 200).astype(np.int64)
    chol = np.clip(np.round(rng.normal(150 + age, 30)), 100, 350).astype(np.int64)
    return np.stack([age, sex, dx, sbp, chol], axis=1)


def ground_truth(spec: StudySpec, tables: list[np.ndarray]) -> dict:
    """zkgate's own clear-text answer over the pooled tables (declared units), keyed by alias as
    :func:`zkgate.study.release.derived_statistics` publishes it (for comparison only):
    :func:`zkgate.study.statistics.moments.truth` on plain rows — the plain predicate, Python
    integers, no circuit twin."""
    names = spec.schema.names
    rows = [dict(zip(names, (int(v) for v in row))) for t in tables for row in np.asarray(t).tolist()]
    return to_json(moments.truth(spec.question, spec.schema, rows))


def max_relative_error(released: dict | None, truth: dict) -> float | None:
    """Largest ``|released − truth| / |truth|`` over every number of ``truth`` (histogram bins one
    by one; the absolute error where the truth is 0); None when nothing was released."""
    if released is None:
        return None
    worst = 0.0

    def one(r, t) -> float:
        if r is None or t is None:
            return 0.0 if r is None and t is None else float("inf")
        return abs(float(r) - float(t)) / (abs(float(t)) or 1.0)

    for k, t in truth.items():
        r = released.get(k)
        if isinstance(t, list):
            if not isinstance(r, list) or len(r) != len(t):
                return float("inf")
            worst = max([worst, *(one(a, b) for a, b in zip(r, t))])
        else:
            worst = max(worst, one(r, t))
    return worst


@dataclass
class SimulationResult:
    verified: bool
    released: dict | None
    truth: dict
    reason: str
    failures: list[str]
    timings: dict
    tamper: str | None
    holders: int
    records: int
    seed: int
    chunk: int
    chunks_per_holder: int
    mode: str = "exact"          # the study's release mode: "exact" (BFV) or "ckks"
    preset: str = "bfv-4096"
    status: str = "failed"       # "verified", "failed" or "unverified" (see VerificationReport.status)
    unverified: list[str] = field(default_factory=list)
    record: PublicRecord | None = field(default=None, repr=False)

    @property
    def max_relative_error(self) -> float | None:
        return max_relative_error(self.released, self.truth)

    def to_json(self) -> dict:
        err = self.max_relative_error
        return {"verified": self.verified, "status": self.status, "mode": self.mode, "preset": self.preset,
                "released": self.released, "truth": self.truth, "reason": self.reason,
                "max_relative_error": err if err is None or err != float("inf") else "inf",
                "failures": self.failures, "unverified": self.unverified, "tamper": self.tamper,
                "holders": self.holders, "records": self.records,
                "seed": self.seed, "chunk": self.chunk, "chunks_per_holder": self.chunks_per_holder,
                "timings": {k: round(v, 4) for k, v in self.timings.items()}}


def simulate(holders: int = 3, records: int = 100, seed: int = 1, chunk: int = 64, *, tamper: str | None = None,
             preset: str = "bfv-4096", workers: int = 1, log=None, dask: str | None = None,
             dask_tls: str | None = None) -> SimulationResult:
    """``dask``: prove the chunks on a Dask cluster (``local:N`` or a scheduler address, see
    :func:`zkgate.study.distributed.parse_target`) instead of in this process."""
    if tamper is not None and tamper not in TAMPER_MODES:
        raise ValueError(f"tamper must be one of {TAMPER_MODES}")
    if tamper is not None and get_preset(preset).scheme != "bfv":
        raise ValueError(f"tampering is detected by the exact BFV release check; a CKKS study ({preset}) "
                         "is released unverified and cannot detect it: use a BFV preset with --tamper")
    say = log or (lambda msg: None)
    timings: dict[str, float] = {}
    rng = np.random.default_rng(seed)

    def phase(name):
        class _T:
            def __enter__(self):
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - self.t0
        return _T()

    names = [f"hospital-{chr(ord('a') + i)}" if i < 26 else f"hospital-{i}" for i in range(holders)]
    with phase("commit"):
        tables = [patient_table(rng, records) for _ in names]
        commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, t), chunk) for t in tables]
        keys = [SigningKey.generate() for _ in names]
        regs = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    say(f"committed {holders} data sets of {records} records ({commitments[0].n_chunks} chunks of {chunk} each)")
    gateway_key, kh_key = SigningKey.generate(), SigningKey.generate()
    with phase("he_keys"):
        he_kh = KeyHolder.create(preset)
        public_context = he_kh.public_context()
    with phase("setup"):
        spec, ckeys = open_study(
            title="simulated study: cholesterol of women aged 40-65", registrations=regs, filter=STUDY_FILTER,
            statistics=STUDY_STATISTICS, quorum=holders, deadline=int(time.time()) + 3600,
            public_context=public_context, gateway_key=gateway_key.public, key_holder_key=kh_key.public,
            keys="dev", dev_mode=True,
        )
    say(f"study {spec.study_id:#x} opened (development circuit key, dev mode)")

    contributions = []
    prover = None
    if dask is not None:
        with phase("dask_start"):
            prover = DaskProver(parse_target(dask, dask_tls))
            prover.start()
        say(f"chunk proofs on {prover.target.describe()}")
    try:
        for i, (name, com, key) in enumerate(zip(names, commitments, keys)):
            fake = None
            if tamper == "participant" and i == 0:
                true = [sum(v) for v in zip(*(chunk_statistics(spec, com.chunk_rows(k)) for k in range(com.n_chunks)))]
                fake = [true[0] + 1] + true[1:]
            t0 = time.perf_counter()
            contrib = Contributor(name, com, key, dev_mode=True).contribute(spec, public_context, ckeys, workers=workers,
                                                                           encrypt_values=fake, dask=prover)
            timings["contribute"] = timings.get("contribute", 0.0) + time.perf_counter() - t0
            for k in ("witness", "prove", "encrypt"):
                timings[k] = timings.get(k, 0.0) + getattr(contrib.timings, k)
            contributions.append(contrib)
    finally:
        if prover is not None:
            prover.close()
    say(f"{holders} contributions proved and encrypted")

    with phase("aggregate"):
        agg = StudyAggregator(spec, ckeys.public(), public_context, gateway_key, dev_mode=True,
                              retain_submissions=True)  # the public record below lists them
        for contrib in contributions:
            receipt = agg.submit(contrib.submission)
            Contributor.accept_receipt(contrib, receipt, spec)
        if tamper == "aggregator":
            subs = agg.accepted
            victim = subs[-1]
            forged = dict(spec.split_values([0] * len(spec.value_names())))
            forged["rho"] = 0
            envs = [s.envelope for s in subs[:-1]] + [
                HEContributor(public_context, sender=victim.participant, study_id=spec.study_id_bytes).encrypt(
                    spec.layout(), forged)]
            aggregate = build_aggregate(spec, public_context, subs, gateway_key, envelopes=envs)
        else:
            aggregate = agg.close()
    say("aggregate closed")

    release, reason = None, ""
    with phase("release"):
        kh = StudyKeyHolder(spec, he_kh, kh_key)
        publish = kh.release if spec.release_mode == "exact" else kh.release_ckks
        try:
            release = publish(aggregate, [s.public() for s in agg.accepted])
        except ZkgateError as exc:
            reason = f"the key holder refused to publish: {exc}"
        if release is not None and tamper == "keyholder":
            vals = list(release.values)
            vals[1] += 1  # misreport the sum
            release = Release(release.study_id, release.aggregate_digest, tuple(vals), release.randomness,
                              release.mode).sign(kh_key)

    record = PublicRecord(spec, ckeys.public(), tuple(s.public() for s in agg.accepted), aggregate.public(), release)
    with phase("verify"):
        report = verify_record(PublicRecord.from_bytes(record.to_bytes()), dev_mode=True)
    failures = report.failures
    unverified = [f"{name}: {why}" for name, why in report.unverified]
    if not reason and report.failed:
        reason = "public verification failed: " + "; ".join(report.failed)
    elif not reason and unverified:
        reason = "; ".join(why for _, why in report.unverified)
    released = release_statistics(spec, release) if release is not None else None
    return SimulationResult(
        verified=report.ok, released=released, truth=ground_truth(spec, tables), reason=reason,
        failures=failures, timings=timings, tamper=tamper, holders=holders, records=records, seed=seed, chunk=chunk,
        chunks_per_holder=commitments[0].n_chunks, mode=spec.release_mode, preset=spec.he_preset,
        status=report.status, unverified=unverified, record=record,
    )


__all__ = ["PATIENT_SCHEMA", "STUDY_FILTER", "STUDY_STATISTICS", "SimulationResult", "TAMPER_MODES",
           "ground_truth", "max_relative_error", "patient_table", "simulate"]
