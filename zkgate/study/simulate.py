"""One-process simulation of a whole study on synthetic, seeded patient tables.

``simulate(holders, records, seed, chunk)`` generates one table per hospital (age, sex,
diagnosis code, systolic blood pressure, cholesterol), commits and registers them, opens a
study (age 40-65, women; sum, sum of squares and mean of cholesterol; histogram of systolic
pressure), lets every party do its part and verifies the public record; ``tamper``
injects one party's misbehaviour:

* ``participant``: the first hospital encrypts other values than it proved;
* ``aggregator``: the gateway substitutes one hospital's ciphertext with another encryption;
* ``keyholder``: the key holder publishes a misreported sum.

Runs in dev mode (development circuit keys): a simulation, not a deployment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from zkgate.errors import ZkgateError
from zkgate.he import Contributor as HEContributor
from zkgate.he import KeyHolder
from zkgate.study.aggregator import StudyAggregator, build_aggregate
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Release
from zkgate.study.release import StudyKeyHolder, derived_statistics
from zkgate.study.requester import open_study
from zkgate.study.spec import EqualsCondition, Filter, RangeCondition, Statistic, StudySpec
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
    """The statistics computed in the clear, in declared units (for comparison only)."""
    raw = np.concatenate(tables, axis=0) if tables else np.zeros((0, len(spec.schema.columns)), np.int64)
    mask = np.ones(raw.shape[0], dtype=bool)
    for rc in spec.filter.ranges:
        j = spec.schema.index(rc.column)
        mask &= (raw[:, j] >= rc.lo) & (raw[:, j] <= rc.hi)
    for ec in spec.filter.equals:
        mask &= raw[:, spec.schema.index(ec.column)] == ec.value
    sel = raw[mask]
    from fractions import Fraction

    n = int(sel.shape[0])
    out: dict = {"count": n}
    for st in spec.statistics:
        x = [int(v) for v in sel[:, spec.schema.index(st.column)].tolist()]
        if st.kind == "sum":
            out[f"sum_{st.column}"] = sum(x)
            out[f"mean_{st.column}"] = round(float(Fraction(sum(x), n)), 6) if n else None
        elif st.kind == "histogram":
            e = st.edges
            out[f"hist_{st.column}"] = [sum(1 for v in x if e[b] <= v < e[b + 1]) for b in range(len(e) - 1)]
    for st in spec.statistics:
        if st.kind == "sum_sq":
            x = [int(v) for v in sel[:, spec.schema.index(st.column)].tolist()]
            sq = sum(v * v for v in x)
            out[f"sum_sq_{st.column}"] = sq
            out[f"variance_{st.column}"] = (round(float(Fraction(sq, n) - Fraction(sum(x), n) ** 2), 6) if n else None)
    return out


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
    record: PublicRecord | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        return {"verified": self.verified, "released": self.released, "truth": self.truth, "reason": self.reason,
                "failures": self.failures, "tamper": self.tamper, "holders": self.holders, "records": self.records,
                "seed": self.seed, "chunk": self.chunk, "chunks_per_holder": self.chunks_per_holder,
                "timings": {k: round(v, 4) for k, v in self.timings.items()}}


def simulate(holders: int = 3, records: int = 100, seed: int = 1, chunk: int = 64, *, tamper: str | None = None,
             preset: str = "bfv-4096", workers: int = 1, log=None) -> SimulationResult:
    if tamper is not None and tamper not in TAMPER_MODES:
        raise ValueError(f"tamper must be one of {TAMPER_MODES}")
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
    for i, (name, com, key) in enumerate(zip(names, commitments, keys)):
        fake = None
        if tamper == "participant" and i == 0:
            from zkgate.study.circuit import chunk_statistics

            true = [sum(v) for v in zip(*(chunk_statistics(spec, com.chunk_rows(k)) for k in range(com.n_chunks)))]
            fake = [true[0] + 1] + true[1:]
        t0 = time.perf_counter()
        contrib = Contributor(name, com, key, dev_mode=True).contribute(spec, public_context, ckeys, workers=workers,
                                                                       encrypt_values=fake)
        timings["contribute"] = timings.get("contribute", 0.0) + time.perf_counter() - t0
        for k in ("witness", "prove", "encrypt"):
            timings[k] = timings.get(k, 0.0) + getattr(contrib.timings, k)
        contributions.append(contrib)
    say(f"{holders} contributions proved and encrypted")

    with phase("aggregate"):
        agg = StudyAggregator(spec, ckeys.public(), public_context, gateway_key, dev_mode=True)
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
        try:
            release = kh.release(aggregate, [s.public() for s in agg.accepted])
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
    if not reason and failures:
        reason = "public verification failed: " + "; ".join(failures)
    released = derived_statistics(spec, release.values) if release is not None else None
    return SimulationResult(
        verified=report.ok, released=released, truth=ground_truth(spec, tables), reason=reason,
        failures=failures, timings=timings, tamper=tamper, holders=holders, records=records, seed=seed, chunk=chunk,
        chunks_per_holder=commitments[0].n_chunks, record=record,
    )


__all__ = ["PATIENT_SCHEMA", "STUDY_FILTER", "STUDY_STATISTICS", "SimulationResult", "TAMPER_MODES",
           "ground_truth", "patient_table", "simulate"]
