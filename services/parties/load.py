"""Synthetic load for the memory benchmark and the soak test: a real ``zkgate serve`` child
process, tiny studies and honest submissions prepared in parallel.

Every submission made here is a real one: a Groth16 proof per chunk under the study's
(development) circuit key, a Pedersen commitment and a BFV ciphertext under the study's key,
signed by its participant.  What is made small is what the gateway's memory does not depend
on: one column, one statistic (``sum``), one record per participant, chunks of one record,
so each participant proves one small circuit.  The ciphertext keeps its full size (one BFV
ciphertext of the chosen preset), since that is what a leaking gateway would keep.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from zkgate.errors import ZkgateError
from zkgate.he import Contributor as HEContributor
from zkgate.he import PublicContext
from zkgate.he.envelope import envelope_digest
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.identity import SigningKey
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Submission
from zkgate.study.requester import open_study
from zkgate.study.spec import Filter, Statistic, StudySpec

from ..client.gateway_client import GatewayClient

TINY_SCHEMA = Schema.of(("x", 0, 15))
TINY_STATISTICS = (Statistic("sum", "x"),)


class GatewayProcessError(ZkgateError):
    """The ``zkgate serve`` child process did not start or died."""


@dataclass(frozen=True)
class Holder:
    """A simulated data holder: one committed record and a signing key."""

    name: str
    commitment: DatasetCommitment
    key: SigningKey
    registration: Registration


def make_holders(count: int, *, seed: int = 1, prefix: str = "holder", shared_data: bool = False) -> list[Holder]:
    """``count`` holders, each with its own signing key and registration.  ``shared_data``:
    every holder commits the SAME one-record data set under the same commitment seed (so the
    same data set root), which lets one chunk proof per study serve every holder
    (:func:`prepare_shared_submissions`); otherwise each holder has a record and seed of its own."""
    rng = np.random.default_rng(seed)
    shared = None
    if shared_data:
        shared = DatasetCommitment(Dataset.from_array(TINY_SCHEMA, rng.integers(0, 16, (1, 1))), 1,
                                   seed=int(rng.integers(1, 1 << 62)))
    holders = []
    for i in range(count):
        commitment = shared or DatasetCommitment(Dataset.from_array(TINY_SCHEMA, rng.integers(0, 16, (1, 1))), 1)
        key = SigningKey.generate()
        name = f"{prefix}-{i:05d}"
        holders.append(Holder(name, commitment, key, Registration.create(name, commitment, key)))
    return holders


def open_tiny_study(holders: list[Holder], *, title: str, gateway_key: bytes, context: PublicContext,
                    circuit_keys: CircuitKeys | str = "dev", quorum: int = 1,
                    deadline_s: int = 24 * 3600) -> tuple[StudySpec, CircuitKeys]:
    """A study over ``holders`` (development circuit key: the gateway must run with --dev);
    pass the first study's ``circuit_keys`` to the next ones to skip the setup."""
    return open_study(
        title=title, registrations=[h.registration for h in holders], filter=Filter(), statistics=TINY_STATISTICS,
        quorum=quorum, deadline=int(time.time()) + deadline_s, public_context=context, gateway_key=gateway_key,
        key_holder_key=SigningKey.generate().public, keys=circuit_keys, dev_mode=True,
    )


_JOB: tuple | None = None  # (spec, context, circuit_keys, holders) in each worker process


def _portable(holders: list[Holder], *, commitments: bool = True) -> list[tuple]:
    """What a spawned worker needs of each holder, picklable: its signing key goes as its raw
    bytes (a SigningKey holds OpenSSL key objects that do not pickle)."""
    return [(h.name, h.commitment if commitments else None, h.key.raw) for h in holders]


def _restore(portable: list[tuple]) -> list[tuple]:
    return [(name, commitment, SigningKey(raw)) for name, commitment, raw in portable]


def _init_worker(spec_bytes: bytes, context_bytes: bytes, circuit_keys: CircuitKeys, holders: list[tuple]) -> None:
    global _JOB
    _JOB = (StudySpec.from_bytes(spec_bytes), PublicContext.from_bytes(context_bytes), circuit_keys, _restore(holders))


def _prepare_one(index: int) -> bytes:
    spec, context, circuit_keys, holders = _JOB
    name, commitment, key = holders[index]
    return Contributor(name, commitment, key, dev_mode=True).contribute(spec, context, circuit_keys).submission.to_bytes()


def prepare_submissions(spec: StudySpec, context: PublicContext, circuit_keys: CircuitKeys, holders: list[Holder],
                        *, workers: int | None = None) -> list[bytes]:
    """Every holder's signed submission to ``spec`` (proved and encrypted), ``workers``
    processes in parallel (default: one per CPU).  Workers are spawned, not forked: a fork of
    a process with live gRPC channels or OpenMP threads can hang."""
    global _JOB
    workers = min(workers or os.cpu_count() or 1, len(holders))
    args = (spec.to_bytes(), context.to_bytes(), circuit_keys, _portable(holders))
    if workers <= 1:
        _init_worker(*args)
        try:
            return [_prepare_one(i) for i in range(len(holders))]
        finally:
            _JOB = None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=args) as pool:
        return list(pool.map(_prepare_one, range(len(holders)), chunksize=8))


_SHARED: tuple | None = None  # (spec, context, template submission, HE values, holders) in each worker process


def _init_shared_worker(spec_bytes: bytes, context_bytes: bytes, template: bytes, values: dict,
                        holders: list[tuple]) -> None:
    global _SHARED
    _SHARED = (StudySpec.from_bytes(spec_bytes), PublicContext.from_bytes(context_bytes),
               Submission.from_bytes(template), values, _restore(holders))


def _personalise_one(index: int) -> bytes:
    """Holder ``index``'s own submission built on the shared proof: a fresh BFV encryption
    (its own sender in the envelope), a fresh submission id, its own signature."""
    spec, context, template, values, holders = _SHARED
    name, _, key = holders[index]
    envelope = HEContributor(context, sender=name, study_id=spec.study_id_bytes).encrypt(spec.layout(), values)
    sub = replace(template, participant=name, submission_id=secrets.token_bytes(16),
                  envelope_digest=envelope_digest(envelope), envelope=envelope, signature=b"", signer_key=b"")
    return sub.sign(key).to_bytes()


def prepare_shared_submissions(spec: StudySpec, context: PublicContext, circuit_keys: CircuitKeys,
                               holders: list[Holder], *, workers: int | None = None) -> list[bytes]:
    """Every holder's signed submission to ``spec`` when all of them registered the same data
    set (``make_holders(..., shared_data=True)``): the first holder proves its one chunk and
    commits (one Groth16 proof and one Pedersen commitment for the study); every holder then
    gets its own submission carrying that statement (the same chunk root, root salt, chunk
    commitment and proof, all valid for its registered root) with its own fresh BFV ciphertext
    of the same values and ρ, its own submission id and its own signature.  The gateway checks
    each of them in full (signature, root, commitment sum, proof, envelope) and adds each to
    its running sums.  ``workers`` spawned processes encrypt and sign in parallel."""
    global _SHARED
    roots = {h.commitment.root for h in holders}
    if len(roots) != 1:
        raise ZkgateError("shared-data submissions need holders that registered one data set "
                          "(make_holders(..., shared_data=True))")
    first = holders[0]
    contribution = Contributor(first.name, first.commitment, first.key, dev_mode=True).contribute(
        spec, context, circuit_keys)
    values = dict(spec.split_values(contribution.values))
    if spec.release_mode == "exact":
        values["rho"] = contribution.randomness
    template = contribution.submission.public().to_bytes()
    out = [contribution.submission.to_bytes()]
    rest = range(1, len(holders))
    workers = max(1, min(workers or os.cpu_count() or 1, len(rest)))
    args = (spec.to_bytes(), context.to_bytes(), template, values, _portable(holders, commitments=False))
    if workers <= 1:
        _init_shared_worker(*args)
        try:
            return out + [_personalise_one(i) for i in rest]
        finally:
            _SHARED = None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_shared_worker, initargs=args) as pool:
        return out + list(pool.map(_personalise_one, rest, chunksize=32))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise GatewayProcessError(f"/proc/{pid}/status has no VmRSS line")


class GatewayProcess:
    """``zkgate serve --dev`` in a child process on a fixed localhost port and data folder, so
    that it can be SIGKILLed and restarted on the same store."""

    def __init__(self, data_dir: str | os.PathLike, *, port: int | None = None, workers: int = 8,
                 log_path: str | os.PathLike | None = None) -> None:
        self.data_dir = str(data_dir)
        self.port = port or free_port()
        self.workers = workers
        self.log_path = Path(log_path) if log_path else Path(self.data_dir).with_suffix(".serve.log")
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise GatewayProcessError("the gateway is not running")
        return self.process.pid

    def start(self, timeout: float = 60.0) -> GatewayProcess:
        command = [sys.executable, "-P", "-m", "zkgate", "serve", "--dev", "--data-dir", self.data_dir,
                   "--port", str(self.port), "--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise GatewayProcessError(
                    f"zkgate serve exited with {self.process.returncode} at start (log: {self.log_path})")
            try:
                with GatewayClient(self.address, timeout=2) as client:
                    client.gateway_info()
                return self
            except Exception:  # noqa: BLE001 - not listening yet
                if time.monotonic() > deadline:
                    self.kill()
                    raise GatewayProcessError(
                        f"zkgate serve did not answer within {timeout:.0f} s (log: {self.log_path})") from None
                time.sleep(0.2)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (what a crash or the OOM killer does)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self.process = None

    def restart(self) -> GatewayProcess:
        self.kill()
        return self.start()

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["GatewayProcess", "GatewayProcessError", "Holder", "TINY_SCHEMA", "TINY_STATISTICS", "free_port",
           "make_holders", "open_tiny_study", "prepare_shared_submissions", "prepare_submissions", "rss_bytes"]
