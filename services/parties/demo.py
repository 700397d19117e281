"""``zkgate demo``: a complete joint study across simulated hospitals, entirely over gRPC.

Starts an embedded gateway (SQLite in a temporary folder, localhost, dev mode) unless an address
is given, then plays every party through the gateway's API:

1. three hospitals commit seeded synthetic patient tables and register them (CatalogService);
2. the requester / key holder makes the BFV keys and opens a study (StudyService.CreateStudy)
   asked in SQL (:data:`DEMO_SQL`, compiled by :mod:`zkgate.study.sql`): per diagnosis, patients aged
   40-75 — count, mean cholesterol, the age-cholesterol correlation, a regression of cholesterol on
   age, bmi and sex (OLS), a histogram and the median of systolic blood pressure, and a Kaplan-Meier
   survival curve (with the log-rank test across diagnoses);
3. each hospital fetches the study and its public HE context, proves every chunk of its data,
   encrypts, signs and submits, then checks its receipt and that the submission is in the
   audit log (inclusion proof against the signed tree head);
4. the gateway closes the study (adds ciphertexts and commitments);
5. the key holder decrypts only the aggregate, checks the commitment equation, publishes;
6. a regulator fetches the public record, verifies every proof and the release locally, and
   checks the whole audit log against the signed head.

Circuit keys come from a development setup (one party saw the toxic waste), which only a
gateway in dev mode accepts: this is a demonstration, not a deployment.

The results are printed beside the truth, the histogram and the survival curves are drawn in the
terminal, and ``--report FILE.html`` writes them as a self-contained HTML page
(:mod:`zkgate.report.study`, inline SVG from :mod:`zkgate.report.charts`).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zkgate import safejson
from zkgate.errors import ZkgateError
from zkgate.he import KeyHolder
from zkgate.report.study import html_report, pooled_histogram, summarize, text_histogram, text_survival, write_report
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Aggregate, Receipt
from zkgate.study.patients import DIAGNOSES, PATIENT_SCHEMA, patient_table
from zkgate.study.question import Question
from zkgate.study.release import StudyKeyHolder, release_statistics
from zkgate.study.requester import open_study
from zkgate.study.simulate import ground_truth, universal_key
from zkgate.study.spec import StudySpec
from zkgate.study.sql import compile_sql
from zkgate.study.universal import encode
from zkgate.study.verification import PublicRecord, verify_record

from ..client.gateway_client import GatewayClient
from ..gateway.server import Gateway, ServerConfig

#: The demo's question (``zkgate demo --sql`` asks another one over the same patient tables).
DEMO_SQL = (
    "SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS mean_chol, CORR(age, cholesterol) AS r_age_chol, "
    "OLS(cholesterol, age, bmi, sex) AS chol_fit, "
    "HISTOGRAM(sbp, 80, 100, 120, 140, 160, 180, 200, 221) AS sbp_hist, MEDIAN(sbp) AS median_sbp, "
    "KAPLAN_MEIER(followup_days, died, 12) AS survival "
    "FROM patients WHERE age BETWEEN 40 AND 75 GROUP BY diagnosis"
)
#: ``zkgate demo --universal``'s default question: the demo's without its HISTOGRAM (arbitrary edges stay
#: per-shape; the universal circuit proves MEDIAN's power-of-two bins and KAPLAN_MEIER).
DEMO_UNIVERSAL_SQL = DEMO_SQL.replace("HISTOGRAM(sbp, 80, 100, 120, 140, 160, 180, 200, 221) AS sbp_hist, ", "")


@dataclass
class DemoResult:
    verified: bool
    released: dict | None
    truth: dict
    audit_tree_size: int
    audit_root: str
    study_id: str
    failures: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    hospitals: list[str] = field(default_factory=list)
    records: int = 0
    question: Question | None = field(default=None, repr=False)
    sql: str = ""
    key_holders: int = 1
    threshold: int = 1

    def to_json(self) -> dict:
        return {
            "verified": self.verified,
            "sql": self.sql,
            "released": self.released,
            "truth": self.truth,
            "audit_tree_size": self.audit_tree_size,
            "audit_root": self.audit_root,
            "study_id": self.study_id,
            "failures": self.failures,
            "hospitals": self.hospitals,
            "records_per_hospital": self.records,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "key_holders": self.key_holders,
            "threshold": self.threshold,
        }


def run_demo(
    gateway: str | None = None,
    *,
    holders: int = 3,
    records: int = 100,
    seed: int = 7,
    chunk: int = 32,
    preset: str = "bfv-4096",
    sql: str = DEMO_SQL,
    step: Callable[[str], None] = lambda message: None,
    key_holders: int = 1,
    threshold: int | None = None,
    tamper: str | None = None,
    universal: bool = False,
) -> DemoResult:
    """Run the whole study over gRPC; ``step`` receives a line per phase (for progress display).
    ``sql`` is the question, compiled against the patient schema before anything starts.

    ``key_holders`` = N > 1: a key committee of N members with ``threshold`` T (default N) instead of
    the single key holder, every message through the gateway (``services/parties/committee_party.py``),
    commit-before-upload, bfv-8192 (bfv-4096 cannot hold the smudging noise); ``tamper="share"``: member
    2 posts a wrong decryption share — nothing is published, the member is named in the failures.
    ``universal``: prove with the patient schema's universal circuit (issue 21; the default question is then
    :data:`DEMO_UNIVERSAL_SQL`; a question beyond the key is refused naming the limit)."""
    if universal and sql == DEMO_SQL:
        sql = DEMO_UNIVERSAL_SQL
    question = compile_sql(sql, PATIENT_SCHEMA)
    ukey = None
    if universal:
        ukey = universal_key(chunk)
        encode(question, ukey)  # refused here, before anything starts
    threshold = key_holders if threshold is None else threshold
    if key_holders > 1 and preset == "bfv-4096":
        preset = "bfv-8192"
    if tamper is not None and (tamper != "share" or key_holders < 2):
        raise ZkgateError("--tamper share needs a key committee (--key-holders N, N >= 2)")
    embedded = None
    workdir = None
    if gateway is None:
        workdir = tempfile.TemporaryDirectory(prefix="zkgate-demo-")
        embedded = Gateway(ServerConfig(data_dir=workdir.name, port=0, dev_mode=True)).start()
        gateway = embedded.address
        step(f"embedded gateway on {gateway} (SQLite in {workdir.name}, dev mode)")
    timings: dict[str, float] = {}

    def timed(name: str):
        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - self.start

        return _Timer()

    try:
        with GatewayClient(gateway, timeout=600) as client:
            info = client.gateway_info()
            if not info.dev_mode:
                raise ZkgateError("the demo uses development circuit keys: start the gateway with `zkgate serve --dev`")
            rng = np.random.default_rng(seed)
            names = [f"hospital-{chr(ord('a') + i)}" for i in range(holders)]
            with timed("commit and register"):
                tables = [patient_table(rng, records) for _ in names]
                commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, t), chunk) for t in tables]
                signing_keys = [SigningKey.generate() for _ in names]
                registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, signing_keys)]
                for registration in registrations:
                    client.register_dataset(registration.to_bytes())
            step(f"{holders} hospitals registered {records} records each ({commitments[0].n_chunks} chunks of {chunk})")

            committee = None
            with timed("open study"):
                if key_holders > 1:  # the joint key: setup rounds relayed by the gateway
                    from .committee_party import GatewayCommittee

                    committee = GatewayCommittee(client, preset, key_holders, threshold, holders,
                                                 tamper_member=2 if tamper == "share" else None)
                    he_key_holder, public_context = None, committee.public_context
                    step(f"key committee: {threshold} of {key_holders} members formed a joint key through the gateway "
                         f"({public_context.key_id.hex()[:16]}...); every member approved it in the spec")
                else:
                    he_key_holder = KeyHolder.create(preset)
                    public_context = he_key_holder.public_context()
                key_holder_signing = SigningKey.generate()
                spec, circuit_keys = open_study(
                    title="cholesterol, blood pressure and survival by diagnosis" if sql == DEMO_SQL else "demo study",
                    registrations=registrations,
                    question=question,
                    quorum=holders,
                    deadline=int(time.time()) + 3600,
                    public_context=public_context,
                    gateway_key=info.study_signing_key,
                    key_holder_key=key_holder_signing.public,
                    keys="dev",
                    dev_mode=True,
                    committee=committee.key_committee() if committee is not None else None,
                    universal=ukey,
                )
                study = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), public_context.to_bytes())
            study_id = study.study_id
            step(f"study {study_id[:16]}... opened (quorum {study.quorum})")

            held = []
            for name, commitment, key in zip(names, commitments, signing_keys):
                with timed("contribute (prove + encrypt)"):
                    fetched = client.get_study(study_id)
                    hospital_spec = StudySpec.from_bytes(fetched.spec)
                    if hospital_spec.study_id != spec.study_id:
                        raise ZkgateError("the gateway served another study than the one requested")
                    context = client.public_context(study_id)
                    contribution = Contributor(name, commitment, key, dev_mode=True).contribute(
                        hospital_spec, context, circuit_keys
                    )
                if committee is not None:  # commit-before-upload: the ciphertext's hash first
                    from zkgate.study.contribution_commit import ContributionCommit

                    leaf = committee.relay.commit_contribution(
                        study_id, ContributionCommit.for_submission(contribution.submission, key).to_bytes())
                    held.append((name, commitment, contribution, hospital_spec))
                    step(f"{name}: {commitment.n_chunks} chunk proofs; committed to its ciphertext's hash (audit log {leaf})")
                    continue
                held.append((name, commitment, contribution, hospital_spec))
            if committee is not None:
                committee.relay.close_commit_phase(study_id)
                step("requester closed the commit phase: the hospitals upload their ciphertexts")
            for name, commitment, contribution, hospital_spec in held:
                with timed("submit"):
                    receipt_bytes, leaf = client.submit(study_id, contribution.submission.to_bytes())
                    Contributor.accept_receipt(contribution, Receipt.from_bytes(receipt_bytes), hospital_spec)
                    head, _ = client.tree_head(info.log_public_key)
                    entry = client.audit_entries(leaf, leaf + 1)[0]
                    logged = safejson.loads(entry.data, "audit entry from the gateway")
                    if logged.get("submission_digest") != contribution.submission.digest.hex():
                        raise ZkgateError(f"the audit log entry {leaf} does not name {name}'s submission")
                    client.check_inclusion(entry, leaf, head)
                step(f"{name}: {commitment.n_chunks} chunk proofs, submitted; receipt checked, in the audit log at {leaf}")

            with timed("aggregate"):
                client.close_study(study_id)
                aggregate = Aggregate.from_bytes(client.aggregate(study_id))
                aggregate.verify_signature(info.study_signing_key)
                record = PublicRecord.from_bytes(client.public_record(study_id))
            step("gateway closed the study: ciphertexts and commitments added")

            refused = []
            with timed("release"):
                if committee is None:
                    key_holder = StudyKeyHolder(spec, he_key_holder, key_holder_signing)
                    release = key_holder.release(aggregate, list(record.submissions))
                else:
                    from .committee_party import committee_release

                    try:
                        release = committee_release(committee, spec, study_id, client.aggregate(study_id),
                                                    record.submissions, key_holder_signing)
                    except ZkgateError as exc:
                        release = None
                        refused.append(f"nothing published: {exc}")
                if release is not None:
                    client.publish_release(study_id, release.to_bytes())
            if committee is None:
                step("key holder decrypted the aggregate, checked the commitment equation, published")
            elif release is not None:
                step(f"members {list(range(1, threshold + 1))} each recomputed the aggregate from the contributions "
                     "and sent a sealed decryption share; the requester combined them, checked the commitment "
                     "equation, published")
            else:
                step(refused[0])

            with timed("verify (regulator)"):
                record = PublicRecord.from_bytes(client.public_record(study_id))
                report = verify_record(record, dev_mode=True)
                audit_head, _ = client.verify_whole_log(info.log_public_key)
            step(f"regulator verified the record ({'OK' if report.ok else 'FAILED'}) and the audit log ({audit_head.tree_size} entries)")

            released = release_statistics(spec, record.release) if record.release else None
            return DemoResult(
                verified=report.ok and not refused,
                released=released,
                truth=ground_truth(spec, tables),
                audit_tree_size=audit_head.tree_size,
                audit_root=audit_head.root.hex(),
                study_id=study_id,
                failures=[*refused, *report.failures],
                timings=timings,
                hospitals=names,
                records=records,
                question=spec.question,
                sql=sql,
                key_holders=key_holders,
                threshold=threshold,
            )
    finally:
        if embedded is not None:
            embedded.stop(grace=1)
        if workdir is not None:
            workdir.cleanup()


def _result_rows(result: DemoResult) -> list[tuple[str, str, str, str]]:
    """(statistic, released, truth, match) per alias — per alias and group under GROUP BY."""
    rows = []
    released_all = result.released or {}
    functions = {a.alias: a.function for a in result.question.aggregates} if result.question else {}
    for key, truth in result.truth.items():
        released = released_all.get(key)
        function = functions.get(key, "")
        if result.question is not None and result.question.group_by and isinstance(truth, dict):
            for cell, t in truth.items():
                r = released.get(cell) if isinstance(released, dict) else None
                name = f"{key} [{', '.join(result.question.group_by)} = {cell}]" if cell != "logrank" else f"{key} log-rank"
                rows.append((name, summarize(function, r), summarize(function, t), "yes" if r == t else "NO"))
        else:
            rows.append((key, summarize(function, released), summarize(function, truth),
                         "yes" if released == truth else "NO"))
    return rows


def _draw(results: Console, result: DemoResult) -> None:
    """The histogram (summed over the groups) and the survival curves, as text."""
    if result.question is None or not result.released:
        return
    pooled = pooled_histogram(result.question, result.released)
    if pooled is not None and pooled[1]:
        agg, counts = pooled
        over = " (all groups)" if result.question.group_by else ""
        results.print(f"{agg.alias}: histogram of {agg.columns[0]}{over}", markup=False, highlight=False)
        for line in text_histogram(list(agg.params), counts):
            results.print("  " + line, markup=False, highlight=False)
    for agg in result.question.aggregates:
        if agg.function != "KAPLAN_MEIER":
            continue
        value = result.released.get(agg.alias)
        if result.question.group_by and isinstance(value, dict):
            curves = {(f"{c} {DIAGNOSES[int(c)]}" if result.question.group_by == ("diagnosis",) and c.isdigit()
                       and int(c) in DIAGNOSES else c): v
                      for c, v in value.items() if c != "logrank" and isinstance(v, dict)}
        else:
            curves = {"all": value} if isinstance(value, dict) else {}
        results.print(f"{agg.alias}: Kaplan-Meier survival S(t) over {agg.columns[0]}", markup=False, highlight=False)
        for line in text_survival(curves):
            results.print("  " + line, markup=False, highlight=False)
        break


def _write_report(path: str, result: DemoResult) -> None:
    group_names = None
    if result.question is not None and result.question.group_by == ("diagnosis",):
        group_names = {str(k): v for k, v in DIAGNOSES.items()}
    page = html_report(
        question=result.question, results=result.released, truth=result.truth, verified=result.verified,
        title="zkgate demo: a verifiable joint study", failures=result.failures, group_names=group_names,
        facts={"study id": result.study_id, "hospitals": ", ".join(result.hospitals),
               "records per hospital": result.records, "audit log": f"{result.audit_tree_size} entries, root "
               f"{result.audit_root}", "data": "synthetic patients (zkgate.study.patients), nothing real",
               "circuit keys": "development setup (a demonstration, not a deployment)"},
    )
    write_report(path, page)


def run_demo_command(gateway: str | None, *, holders: int, records: int, chunk: int, seed: int,
                     as_json: bool, sql: str = DEMO_SQL, report: str | None = None, stdout=None,
                     stderr=None, key_holders: int = 1, threshold: int | None = None,
                     tamper: str | None = None, universal: bool = False) -> int:
    """``zkgate demo``: results on stdout, progress and logs on stderr; the exit status.

    Results are the released statistics beside the ground truth, the histogram and survival curves
    drawn as text, the time per phase and the verdict; with ``as_json`` stdout holds exactly one
    JSON object instead and the tables go to stderr.  ``report`` writes the HTML report there.  On a
    terminal progress is a spinner with timestamped log lines; elsewhere (CI, a pipe, a file) each
    progress step is one whole line, never cut or wrapped at 80 columns."""
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    progress = Console(file=stderr, soft_wrap=True)
    if progress.is_terminal:
        with progress.status("running the study ...") as status:

            def step(message: str) -> None:
                progress.log(message)
                status.update(message)

            result = run_demo(gateway, holders=holders, records=records, seed=seed, chunk=chunk, sql=sql, step=step,
                              key_holders=key_holders, threshold=threshold, tamper=tamper,
                              universal=universal)
    else:

        def step(message: str) -> None:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=stderr, flush=True)

        result = run_demo(gateway, holders=holders, records=records, seed=seed, chunk=chunk, sql=sql, step=step,
                              key_holders=key_holders, threshold=threshold, tamper=tamper,
                              universal=universal)

    target = stderr if as_json else stdout
    results = Console(file=target, soft_wrap=True)
    if not results.is_terminal:
        results = Console(file=target, soft_wrap=True, width=120)  # tables whole, not squeezed into 80 columns
    results.print(f"question: {result.sql}", markup=False, highlight=False)
    table = Table(title=f"Study {result.study_id[:16]}... released over gRPC")
    table.add_column("statistic")
    table.add_column("released (from encrypted contributions)", justify="right")
    table.add_column("ground truth (in the clear)", justify="right")
    table.add_column("match")
    for row in _result_rows(result):
        table.add_row(*(escape(x) for x in row))
    results.print(table)
    _draw(results, result)
    timing = Table(title="Time per phase (s)")
    timing.add_column("phase")
    timing.add_column("seconds", justify="right")
    for phase, seconds in result.timings.items():
        timing.add_row(phase, f"{seconds:.2f}")
    results.print(timing)
    verdict = ("[green]VERIFIED[/green]" if result.verified
               else "[red]VERIFICATION FAILED: " + escape("; ".join(result.failures)) + "[/red]")
    results.print(f"{verdict}; audit log: {result.audit_tree_size} entries, root {result.audit_root[:16]}...")
    if report is not None:
        _write_report(report, result)
        step(f"HTML report written to {report}")
    if as_json:
        print(json.dumps(result.to_json()), file=stdout, flush=True)
    return 0 if result.verified else 1
