"""``zkgate demo``: a complete joint study across simulated hospitals, entirely over gRPC.

Starts an embedded gateway (SQLite in a temporary folder, localhost, dev mode) unless an address
is given, then plays every party through the gateway's API:

1. three hospitals commit seeded synthetic patient tables and register them (CatalogService);
2. the requester / key holder makes the BFV keys and opens a study (StudyService.CreateStudy):
   count, mean and variance of cholesterol for women aged 40-65, and a histogram of systolic
   blood pressure;
3. each hospital fetches the study and its public HE context, proves every chunk of its data,
   encrypts, signs and submits, then checks its receipt and that the submission is in the
   audit log (inclusion proof against the signed tree head);
4. the gateway closes the study (adds ciphertexts and commitments);
5. the key holder decrypts only the aggregate, checks the commitment equation, publishes;
6. a regulator fetches the public record, verifies every proof and the release locally, and
   checks the whole audit log against the signed head.

Circuit keys come from a development setup (one party saw the toxic waste), which only a
gateway in dev mode accepts: this is a demonstration, not a deployment.
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
from rich.table import Table

from zkgate import safejson
from zkgate.errors import ZkgateError
from zkgate.he import KeyHolder
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Aggregate, Receipt
from zkgate.study.release import StudyKeyHolder, release_statistics
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, ground_truth, patient_table
from zkgate.study.spec import StudySpec
from zkgate.study.verification import PublicRecord, verify_record

from ..client.gateway_client import GatewayClient
from ..gateway.server import Gateway, ServerConfig


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

    def to_json(self) -> dict:
        return {
            "verified": self.verified,
            "released": self.released,
            "truth": self.truth,
            "audit_tree_size": self.audit_tree_size,
            "audit_root": self.audit_root,
            "study_id": self.study_id,
            "failures": self.failures,
            "hospitals": self.hospitals,
            "records_per_hospital": self.records,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def run_demo(
    gateway: str | None = None,
    *,
    holders: int = 3,
    records: int = 200,
    seed: int = 7,
    chunk: int = 32,
    preset: str = "bfv-4096",
    step: Callable[[str], None] = lambda message: None,
) -> DemoResult:
    """Run the whole study over gRPC; ``step`` receives a line per phase (for progress display)."""
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

            with timed("open study"):
                he_key_holder = KeyHolder.create(preset)
                public_context = he_key_holder.public_context()
                key_holder_signing = SigningKey.generate()
                spec, circuit_keys = open_study(
                    title="cholesterol and blood pressure of women aged 40-65",
                    registrations=registrations,
                    filter=STUDY_FILTER,
                    statistics=STUDY_STATISTICS,
                    quorum=holders,
                    deadline=int(time.time()) + 3600,
                    public_context=public_context,
                    gateway_key=info.study_signing_key,
                    key_holder_key=key_holder_signing.public,
                    keys="dev",
                    dev_mode=True,
                )
                study = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), public_context.to_bytes())
            study_id = study.study_id
            step(f"study {study_id[:16]}... opened (quorum {study.quorum})")

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

            with timed("release"):
                key_holder = StudyKeyHolder(spec, he_key_holder, key_holder_signing)
                release = key_holder.release(aggregate, list(record.submissions))
                client.publish_release(study_id, release.to_bytes())
            step("key holder decrypted the aggregate, checked the commitment equation, published")

            with timed("verify (regulator)"):
                record = PublicRecord.from_bytes(client.public_record(study_id))
                report = verify_record(record, dev_mode=True)
                audit_head, _ = client.verify_whole_log(info.log_public_key)
            step(f"regulator verified the record ({'OK' if report.ok else 'FAILED'}) and the audit log ({audit_head.tree_size} entries)")

            released = release_statistics(spec, record.release) if record.release else None
            return DemoResult(
                verified=report.ok,
                released=released,
                truth=ground_truth(spec, tables),
                audit_tree_size=audit_head.tree_size,
                audit_root=audit_head.root.hex(),
                study_id=study_id,
                failures=report.failures,
                timings=timings,
                hospitals=names,
                records=records,
            )
    finally:
        if embedded is not None:
            embedded.stop(grace=1)
        if workdir is not None:
            workdir.cleanup()


def run_demo_command(gateway: str | None, *, holders: int, records: int, chunk: int, seed: int,
                     as_json: bool, stdout=None, stderr=None) -> int:
    """``zkgate demo``: results on stdout, progress and logs on stderr; the exit status.

    Results are the released statistics beside the ground truth, the time per phase and the
    verdict; with ``as_json`` stdout holds exactly one JSON object instead and the tables go to
    stderr.  On a terminal progress is a spinner with timestamped log lines; elsewhere (CI, a
    pipe, a file) each progress step is one whole line, never cut or wrapped at 80 columns."""
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    progress = Console(file=stderr, soft_wrap=True)
    if progress.is_terminal:
        with progress.status("running the study ...") as status:

            def step(message: str) -> None:
                progress.log(message)
                status.update(message)

            result = run_demo(gateway, holders=holders, records=records, seed=seed, chunk=chunk, step=step)
    else:

        def step(message: str) -> None:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=stderr, flush=True)

        result = run_demo(gateway, holders=holders, records=records, seed=seed, chunk=chunk, step=step)

    target = stderr if as_json else stdout
    results = Console(file=target, soft_wrap=True)
    if not results.is_terminal:
        results = Console(file=target, soft_wrap=True, width=120)  # tables whole, not squeezed into 80 columns
    table = Table(title=f"Study {result.study_id[:16]}... released over gRPC")
    table.add_column("statistic")
    table.add_column("released (from encrypted contributions)", justify="right")
    table.add_column("ground truth (in the clear)", justify="right")
    table.add_column("match")
    for key in result.truth:
        released = (result.released or {}).get(key)
        table.add_row(key, str(released), str(result.truth[key]), "yes" if released == result.truth[key] else "NO")
    results.print(table)
    timing = Table(title="Time per phase (s)")
    timing.add_column("phase")
    timing.add_column("seconds", justify="right")
    for phase, seconds in result.timings.items():
        timing.add_row(phase, f"{seconds:.2f}")
    results.print(timing)
    verdict = ("[green]VERIFIED[/green]" if result.verified
               else "[red]VERIFICATION FAILED: " + "; ".join(result.failures) + "[/red]")
    results.print(f"{verdict}; audit log: {result.audit_tree_size} entries, root {result.audit_root[:16]}...")
    if as_json:
        print(json.dumps(result.to_json()), file=stdout, flush=True)
    return 0 if result.verified else 1
