"""The data holder's side: compute, prove, commit, encrypt, sign; keep the receipt.

Everything runs on the holder's machine; the records, chunk salts, seed and the ρ values
never leave it.  (The native kernels are not constant-time: prove on your own hardware.)
"""

from __future__ import annotations

import multiprocessing as mp
import os
import secrets
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from zkgate.bn254 import FrArray
from zkgate.circuits import babyjubjub as bjj
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.he import Contributor as HEContributor
from zkgate.he import PublicContext
from zkgate.he.envelope import envelope_digest
from zkgate.prover.groth16.prove import prove
from zkgate.study import encoding as enc
from zkgate.study.circuit import chunk_statistics, commit
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.errors import SpecError, WrongStudyError
from zkgate.study.identity import SigningKey
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Receipt, Submission
from zkgate.study.spec import StudySpec
from zkgate.study.universal_circuit import chunk_inputs, compile_for


def context_digest(public_context: PublicContext | bytes) -> bytes:
    data = public_context if isinstance(public_context, (bytes, bytearray)) else public_context.to_bytes()
    return enc.digest(bytes(data), "he-public-context")


def check_public_context(spec: StudySpec, public_context: PublicContext | bytes) -> PublicContext:
    ctx = PublicContext.coerce(public_context)
    if context_digest(ctx) != spec.he_context_digest or ctx.key_id != spec.he_key_id:
        raise SpecError("the HE public context is not the one the study names")
    if ctx.params != spec.params:  # compared by value: a decoded context carries no preset name
        raise SpecError("the HE public context uses another preset than the study")
    return ctx


@dataclass
class ContributionTimings:
    witness: float = 0.0
    prove: float = 0.0
    encrypt: float = 0.0
    chunks: int = 0


@dataclass
class Contribution:
    """The holder's private view of a contribution (kept locally, never sent)."""

    submission: Submission
    values: list[int]          # s_i, stored units
    randomness: int            # rho_i = sum of the chunk rhos (an integer, not reduced)
    timings: ContributionTimings = field(default_factory=ContributionTimings)
    receipt: Receipt | None = None


def _prove_one(args):
    pk, witness_limbs = args
    proof, public = prove(pk, FrArray(witness_limbs, check=False))
    return proof, public


class Contributor:
    """One participant: its name, its committed data set and its signing key."""

    def __init__(self, name: str, commitment: DatasetCommitment, signing_key: SigningKey, *,
                 dev_mode: bool = False) -> None:
        self.name = name
        self.commitment = commitment
        self.signing_key = signing_key
        self.dev_mode = dev_mode

    def check_study(self, spec: StudySpec, keys: CircuitKeys) -> None:
        me = spec.participant(self.name)
        c = self.commitment
        if spec.schema != c.schema or spec.capacity != c.capacity:
            raise SpecError(f"the study's schema or chunk capacity differ from {self.name!r}'s data set")
        if (me.root, me.n_chunks) != (c.root, c.n_chunks):
            raise SpecError(f"the study names another data set root for {self.name!r}")
        if me.verify_key != self.signing_key.ref:
            raise SpecError(f"the study names another signing key for {self.name!r}")
        keys.check(spec, dev_mode=self.dev_mode)

    def contribute(self, spec: StudySpec, public_context: PublicContext | bytes, keys: CircuitKeys, *,
                   workers: int = 1, encrypt_values=None, dask=None, progress=None) -> Contribution:
        """Prove every chunk, sum the commitments, encrypt ``s_i`` and ``ρ_i``, sign.

        In a CKKS study the proofs and commitments are the same; only ``s_i`` is encrypted
        (as reals) and ``ρ_i`` stays with the holder, since an approximate release never
        publishes ``P``.

        ``encrypt_values`` (testing only) overrides what gets encrypted, to simulate a
        participant that encrypts something other than what it proved.

        ``dask``: a started :class:`zkgate.study.distributed.DaskProver`; each chunk's witness
        and proof (and its ρ) then run as a task on the holder's Dask cluster, and
        ``progress(done, total)`` is called as chunks finish.  The results are collected in
        chunk order; everything after (sums, encryption, signature) runs here."""
        self.check_study(spec, keys)
        if keys.pk is None:
            raise SpecError("proving needs the proving key")
        ctx = check_public_context(spec, public_context)
        circuit = compile_for(spec)  # per-shape, or the universal circuit (issue 21)
        c = self.commitment
        t = ContributionTimings(chunks=c.n_chunks)
        if dask is not None:
            chunks = dask.prove_chunks(spec, keys.pk, c, progress=progress)
            points = [r.point for r in chunks]
            total = [sum(v) for v in zip(*(r.statistics for r in chunks))]
            rho_total = sum(r.rho for r in chunks)
            results = [(r.proof, r.public) for r in chunks]
            t.witness = sum(r.witness_s for r in chunks)  # worker time, summed over the chunks
            t.prove = sum(r.prove_s for r in chunks)
        else:
            points, total, rho_total, results = self._prove_here(spec, keys, circuit, t, workers)
        return self._finish(spec, ctx, c, t, points, total, rho_total, results, encrypt_values)

    def _prove_here(self, spec, keys, circuit, t, workers):
        c = self.commitment
        witnesses, points, total, rho_total = [], [], None, 0
        t0 = time.perf_counter()
        for k in range(c.n_chunks):
            s = chunk_statistics(spec, c.chunk_rows(k))
            rho = secrets.randbelow(L)
            pt = commit(s, rho)
            inputs = chunk_inputs(spec, c.chunk_elements[k], c.chunk_salts[k], c.chunk_roots[k], rho, pt, s)
            witnesses.append(circuit.solve(inputs, check=False))
            points.append(pt)
            total = s if total is None else [a + b for a, b in zip(total, s)]
            rho_total += rho
        t.witness = time.perf_counter() - t0
        t0 = time.perf_counter()
        jobs = [(keys.pk, w) for w in witnesses]
        if workers > 1 and len(jobs) > 1:
            # spawn, not fork: a child forked after this process used the OpenMP kernels (the witness
            # above) deadlocks in its first parallel region (libgomp's pool is not fork-safe)
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as ex:
                results = list(ex.map(_prove_one, jobs))
        else:
            results = [_prove_one(j) for j in jobs]
        t.prove = time.perf_counter() - t0
        return points, total, rho_total, results

    def _finish(self, spec, ctx, c, t, points, total, rho_total, results, encrypt_values) -> Contribution:
        proofs = tuple(p for p, _ in results)
        for (_, public), root, pt in zip(results, c.chunk_roots, points):
            assert public == [root, spec.study_id, pt[0], pt[1]], "public signals out of order"
        c_i = bjj.IDENTITY
        for pt in points:
            c_i = bjj.add(c_i, pt)
        t0 = time.perf_counter()
        values = dict(spec.split_values(total if encrypt_values is None else encrypt_values))
        if spec.release_mode == "exact":
            values["rho"] = rho_total  # CKKS: rho_i stays here (P is never published)
        envelope = HEContributor(ctx, sender=self.name, study_id=spec.study_id_bytes).encrypt(spec.layout(), values)
        t.encrypt = time.perf_counter() - t0
        sub = Submission(
            study_id=spec.study_id,
            participant=self.name,
            submission_id=secrets.token_bytes(16),
            chunk_roots=tuple(c.chunk_roots),
            root_salt=c.root_salt,
            chunk_commitments=tuple(points),
            commitment=c_i,
            proofs=proofs,
            envelope_digest=envelope_digest(envelope),
            envelope=envelope,
        ).sign(self.signing_key)
        return Contribution(sub, total, rho_total, t)

    @staticmethod
    def accept_receipt(contribution: Contribution, receipt: Receipt, spec: StudySpec) -> Receipt:
        """Check the gateway's receipt (signature, study, digest) and keep it."""
        receipt.verify_signature(spec.gateway_key)
        sub = contribution.submission
        if receipt.study_id != spec.study_id or receipt.participant != sub.participant:
            raise WrongStudyError("the receipt is for another study or participant")
        if receipt.submission_digest != sub.digest or receipt.submission_id != sub.submission_id:
            raise WrongStudyError("the receipt names another submission")
        contribution.receipt = receipt
        return receipt


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


__all__ = ["Contribution", "ContributionTimings", "Contributor", "check_public_context", "context_digest"]
