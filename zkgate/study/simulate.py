"""One-process simulation of a whole study on synthetic, seeded patient tables.

``simulate(holders, records, seed, chunk)`` generates one synthetic patient table per hospital
(:mod:`zkgate.study.patients`: age, sex, diagnosis, bmi, systolic blood pressure, cholesterol,
follow-up, death), commits and registers them, opens a study, lets every party do its part and
verifies the public record.  The question is ``sql`` (compiled against the patient schema,
:mod:`zkgate.study.sql`) or a compiled ``question``; by default women aged 40-65: count, sum, mean
and variance of cholesterol and a histogram of systolic pressure.  ``export_data`` writes each
hospital's table as a CSV file there (header row), so the truth can be recomputed with other tools.
``tamper`` injects one party's misbehaviour:

* ``participant``: the first hospital encrypts other values than it proved;
* ``aggregator``: the gateway substitutes one hospital's ciphertext with another encryption;
* ``keyholder``: the key holder publishes a misreported sum;
* ``share``: with a key committee, member 2 posts wrong decryption shares.

``key_holders`` = N > 1 replaces the single key holder by a key committee of N members with
``threshold`` T (:class:`zkgate.he.committee.LocalCommittee`, all members in this process): a
joint key from commit-then-reveal shares, each member recomputing the aggregate itself from the
logged contributions before its (smudged, sealed, signed) decryption share; the key holder
combines T shares and publishes only if the commitment equation holds (a wrong share is named).

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
from zkgate.study.aggregator import StudyAggregator, build_aggregate, sum_points
from zkgate.study.catalog import Registration
from zkgate.study.circuit import chunk_statistics
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.distributed import DaskProver, parse_target
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Release
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table
from zkgate.study.question import Question
from zkgate.study.release import StudyKeyHolder, commitment_opens, release_statistics
from zkgate.study.requester import open_study
from zkgate.study.spec import EqualsCondition, Filter, RangeCondition, Statistic, StudySpec, legacy_question
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json
from zkgate.study.universal import UniversalParams, encode
from zkgate.study.verification import PublicRecord, verify_record

TAMPER_MODES = ("participant", "aggregator", "keyholder", "share")

STUDY_FILTER = Filter((RangeCondition("age", 40, 65),), (EqualsCondition("sex", 1),))
STUDY_STATISTICS = (
    Statistic("sum", "cholesterol"),
    Statistic("sum_sq", "cholesterol"),
    Statistic("histogram", "sbp", (80, 120, 140, 160, 201)),
)


def ground_truth(spec: StudySpec, tables: list[np.ndarray]) -> dict:
    """zkgate's own clear-text answer over the pooled tables (declared units), keyed by alias as
    :func:`zkgate.study.release.derived_statistics` publishes it (for comparison only):
    :func:`zkgate.study.statistics.moments.truth` on plain rows — the plain predicate, Python
    integers, no circuit twin."""
    names = spec.schema.names
    rows = [dict(zip(names, (int(v) for v in row))) for t in tables for row in np.asarray(t).tolist()]
    return to_json(moments.truth(spec.question, spec.schema, rows))


def max_relative_error(released: dict | None, truth: dict) -> float | None:
    """Largest ``|released − truth| / |truth|`` over every number of ``truth`` (histogram bins, OLS
    fields and GROUP BY cells one by one; the absolute error where the truth is 0); None when
    nothing was released."""
    if released is None:
        return None

    def one(r, t) -> float:
        if isinstance(t, dict):
            if not isinstance(r, dict) or set(r) != set(t):
                return float("inf")
            return max([0.0, *(one(r[k], v) for k, v in t.items())])
        if isinstance(t, list):
            if not isinstance(r, list) or len(r) != len(t):
                return float("inf")
            return max([0.0, *(one(a, b) for a, b in zip(r, t))])
        if r is None or t is None:
            return 0.0 if r is None and t is None else float("inf")
        if isinstance(r, (dict, list)):
            return float("inf")
        return abs(float(r) - float(t)) / (abs(float(t)) or 1.0)

    return max([0.0, *(one(released.get(k), t) for k, t in truth.items())])


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
    question: str = ""           # the compiled question as readable SQL (Question.describe)
    sql: str = ""                # the SQL text asked, if any
    exported: list[str] = field(default_factory=list)  # CSV files written by export_data
    key_holders: int = 1         # N: 1 = the single key holder, else a key committee
    threshold: int = 1           # T of the key committee

    @property
    def results(self) -> dict | None:
        """The released results keyed by alias (``None`` when nothing was released)."""
        return self.released

    @property
    def max_relative_error(self) -> float | None:
        return max_relative_error(self.released, self.truth)

    def to_json(self) -> dict:
        err = self.max_relative_error
        return {"verified": self.verified, "status": self.status, "mode": self.mode, "preset": self.preset,
                "results": self.released, "released": self.released, "truth": self.truth, "reason": self.reason,
                "question": self.question, "sql": self.sql, "exported": self.exported,
                "max_relative_error": err if err is None or err != float("inf") else "inf",
                "failures": self.failures, "unverified": self.unverified, "tamper": self.tamper,
                "holders": self.holders, "records": self.records,
                "key_holders": self.key_holders, "threshold": self.threshold,
                "seed": self.seed, "chunk": self.chunk, "chunks_per_holder": self.chunks_per_holder,
                "timings": {k: round(v, 4) for k, v in self.timings.items()}}


def universal_key(chunk: int):
    """The universal key parameters ``zkgate study simulate --universal`` uses: the patient schema at
    ``chunk`` records, 16 filter breakpoints, 8 cells, 20 moments per cell, 64 quantile bins, 24 survival bins,
    512 committed coordinates."""
    return UniversalParams.of(PATIENT_SCHEMA, chunk, max_terms=16, max_cells=8, max_moments=20, max_bins=64,
                              max_surv_bins=24, max_coordinates=512)


def simulate(holders: int = 3, records: int = 100, seed: int = 1, chunk: int = 64, *, tamper: str | None = None,
             preset: str = "bfv-4096", workers: int = 1, log=None, dask: str | None = None,
             dask_tls: str | None = None, sql: str | None = None, question: Question | None = None,
             export_data: str | None = None, key_holders: int = 1,
             threshold: int | None = None, universal=False) -> SimulationResult:
    """``dask``: prove the chunks on a Dask cluster (``local:N`` or a scheduler address, see
    :func:`zkgate.study.distributed.parse_target`) instead of in this process.  ``sql`` (or a compiled
    ``question``) replaces the default question; it is compiled before anything else runs, so a
    refused query costs nothing.  ``export_data``: a folder for one CSV file per hospital.  ``universal``:
    prove with the universal circuit of the patient schema (:func:`universal_key`, or the
    :class:`~zkgate.study.universal.UniversalParams` given; issue 21) instead of the question's per-shape
    circuit."""
    if sql is not None and question is not None:
        raise ValueError("give sql or question, not both")
    if sql is not None:
        from zkgate.study.sql import compile_sql

        question = compile_sql(sql, PATIENT_SCHEMA)  # SqlError / SpecError naming the token or constant
    elif question is not None:
        question.check(PATIENT_SCHEMA)
    ukey = None
    if universal:
        ukey = universal_key(chunk) if universal is True else universal
        encode(question if question is not None else legacy_question(STUDY_FILTER, STUDY_STATISTICS), ukey)
    if tamper is not None and tamper not in TAMPER_MODES:
        raise ValueError(f"tamper must be one of {TAMPER_MODES}")
    threshold = key_holders if threshold is None else threshold
    if key_holders < 1 or not 1 <= threshold <= key_holders or (key_holders > 1 and threshold < 2):
        raise ValueError(f"a key committee needs 2 <= threshold <= key holders (or one key holder), got "
                         f"threshold {threshold} of {key_holders}")
    if tamper == "share" and key_holders < 2:
        raise ValueError("--tamper share needs a key committee (key_holders >= 2)")
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
    exported = []
    if export_data is not None:
        exported = [str(p) for p in export_tables(export_data, PATIENT_SCHEMA, dict(zip(names, tables)))]
        say(f"wrote {len(exported)} table(s) as CSV to {export_data}")
    gateway_key, kh_key = SigningKey.generate(), SigningKey.generate()
    committee = None
    with phase("he_keys"):
        if key_holders > 1:
            from zkgate.he.committee import LocalCommittee
            from zkgate.he.threshold import CommitteeParams
            from zkgate.study.key_committee import KeyCommittee

            # ZkgateError (e.g. bfv-4096: no room for the smudging noise) names the reason
            cp = CommitteeParams(get_preset(preset), key_holders, threshold, max(holders, 1))
            if holders < 3:
                raise ValueError(f"a key committee study needs quorum >= 3 (every holder contributes here): "
                                 f"--holders 3 or more, got {holders}")
            committee = he_kh = LocalCommittee(cp, tamper_member=2 if tamper == "share" else None)
            public_context = committee.public_context
            say(f"key committee: {threshold} of {key_holders} members, joint key {public_context.key_id.hex()[:16]}... "
                "(commit-then-reveal shares, setup self-test passed)")
        else:
            he_kh = KeyHolder.create(preset)
            public_context = he_kh.public_context()
    with phase("setup"):
        asked = dict(question=question) if question is not None else dict(filter=STUDY_FILTER,
                                                                            statistics=STUDY_STATISTICS)
        title = ("simulated study: " + " ".join(question.describe().split()))[:200] if question is not None \
            else "simulated study: cholesterol of women aged 40-65"
        spec, ckeys = open_study(
            title=title, registrations=regs, **asked, quorum=holders, deadline=int(time.time()) + 3600,
            public_context=public_context, gateway_key=gateway_key.public, key_holder_key=kh_key.public,
            keys="dev", dev_mode=True, universal=ukey,
            committee=None if committee is None else KeyCommittee.from_setup(committee.roster, committee.approvals),
        )
    say(f"study {spec.study_id:#x} opened (development circuit key, dev mode"
        + (", universal circuit)" if ukey is not None else ")"))

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
        if committee is not None:
            logged = [s.public() for s in agg.accepted]
            total = sum_points(s.commitment for s in logged)

            def recompute(member: int) -> bytes:  # each member sums the logged contributions itself
                from zkgate.he import Aggregator as HEAggregator

                own = HEAggregator(public_context, spec.layout(), study_id=spec.study_id_bytes)
                for sub in agg.accepted:
                    own.add(sub.envelope)
                return own.result()

            committee.bind(recompute, lambda decoded: commitment_opens(
                spec, spec.join_values(decoded), int(decoded["rho"]), total))
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
        status=report.status, unverified=unverified, record=record, question=spec.question.describe(),
        sql=spec.question.sql, exported=exported, key_holders=key_holders, threshold=threshold,
    )


__all__ = ["PATIENT_SCHEMA", "STUDY_FILTER", "STUDY_STATISTICS", "SimulationResult", "TAMPER_MODES",
           "ground_truth", "max_relative_error", "patient_table", "simulate"]
