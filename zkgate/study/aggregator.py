"""The gateway's side: check submissions, issue receipts, add ciphertexts and commitments.

The aggregator is untrusted for privacy (it sees ciphertexts only) and checked for
integrity (the key holder's release check and public verification catch a dropped,
substituted or altered contribution).  Its state is the list of accepted submissions and
receipts (:meth:`StudyAggregator.state`), so a store can persist and restore it.

A CKKS study is aggregated the same way: the same proofs, chunk sets and commitments are
checked, and its CKKS ciphertexts (statistics only, no ``ρ``) are added.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from zkgate.circuits import babyjubjub as bjj
from zkgate.errors import ZkgateError
from zkgate.he import Aggregator as HEAggregator
from zkgate.he import PublicContext
from zkgate.he.envelope import ContributionEnvelope, envelope_digest
from zkgate.prover.verify import verify
from zkgate.study import encoding as enc
from zkgate.study.commitment import dataset_root
from zkgate.study.contributor import check_public_context
from zkgate.study.errors import (
    ChunkSetError,
    CommitmentMismatchError,
    DuplicateSubmissionError,
    LateSubmissionError,
    ProofRejectedError,
    QuorumError,
    SubmissionRefusedError,
    UnknownParticipantError,
    WrongStudyError,
)
from zkgate.study.identity import SigningKey
from zkgate.study.keys import CircuitKeys
from zkgate.prover.batch import verify_batch
from zkgate.study.messages import Aggregate, Receipt, Submission
from zkgate.study.spec import StudySpec


def verify_proofs(keys: CircuitKeys, items: list[tuple[list[int], object]]) -> list[bool]:
    """Groth16 verification of ``(public, proof)`` pairs under the study's key (batch
    verification for several).  Malformed proofs count as invalid."""
    if len(items) > 1:
        try:
            return list(verify_batch(keys.prepared, items))
        except ZkgateError:  # a malformed item: one by one below, so only that one fails
            pass
    out = []
    for public, proof in items:
        try:
            out.append(bool(verify(keys.prepared, public, proof)))
        except ZkgateError:
            out.append(False)
    return out


def sum_points(points) -> tuple[int, int]:
    acc = bjj.IDENTITY
    for p in points:
        acc = bjj.add(acc, tuple(p))
    return acc


def check_submission_statement(spec: StudySpec, keys: CircuitKeys, sub: Submission) -> None:
    """Checks that need no ciphertext: signature, chunk set, commitment sum, proofs.
    Shared by the aggregator and public verification."""
    p = spec.participant(sub.participant)
    sub.verify_signature(p.verify_key)
    n = len(sub.chunk_roots)
    if len(set(sub.chunk_roots)) != n:
        raise ChunkSetError(f"{sub.participant!r} submitted a chunk root more than once")
    if n != p.n_chunks:
        raise ChunkSetError(f"{sub.participant!r} submitted {n} chunks; its data set has {p.n_chunks}")
    if dataset_root(spec.schema, spec.capacity, sub.chunk_roots, sub.root_salt) != p.root:
        raise ChunkSetError(
            f"the chunk roots of {sub.participant!r} do not rebuild its registered data set root "
            "(a missing, repeated, reordered or foreign chunk)"
        )
    if len(sub.chunk_commitments) != n or len(sub.proofs) != n:
        raise ChunkSetError(f"{sub.participant!r}: expected one commitment and one proof per chunk")
    for i, pt in enumerate(sub.chunk_commitments):
        if not bjj.is_on_curve(pt):
            raise CommitmentMismatchError(f"{sub.participant!r}: chunk commitment {i} is not a curve point")
    if sum_points(sub.chunk_commitments) != tuple(sub.commitment):
        raise CommitmentMismatchError(f"{sub.participant!r}: the commitment is not the sum of the chunk commitments")
    items = [([root, spec.study_id, pt[0], pt[1]], proof)
             for root, pt, proof in zip(sub.chunk_roots, sub.chunk_commitments, sub.proofs)]
    bad = [i for i, ok in enumerate(verify_proofs(keys, items)) if not ok]
    if bad:
        raise ProofRejectedError(
            f"{sub.participant!r}: the proof of chunk {bad[0]} does not verify against its chunk root, "
            f"the study id and its commitment ({len(bad)} of {n} chunks rejected)"
        )


class StudyAggregator:
    """Accepts submissions for one study and closes it into an :class:`Aggregate`."""

    def __init__(self, spec: StudySpec, keys: CircuitKeys, public_context: PublicContext | bytes,
                 gateway_key: SigningKey, *, dev_mode: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        keys.check(spec, dev_mode=dev_mode)
        if gateway_key.public != spec.gateway_key:
            raise WrongStudyError("this gateway's key is not the one the study names")
        self.spec = spec
        self.keys = keys.public()
        self.public_context = check_public_context(spec, public_context)
        self.layout = spec.layout()
        self._gateway_key = gateway_key
        self._clock = clock
        self._accepted: dict[str, tuple[Submission, Receipt]] = {}
        self._closed: Aggregate | None = None

    # -- submissions ---------------------------------------------------------------------------
    def check(self, sub: Submission) -> None:
        """The stateless checks of a submission (signature, chunks, commitment, proofs,
        ciphertext envelope).  Safe to run concurrently, outside any lock; :meth:`submit`
        runs them itself unless told they passed."""
        if sub.envelope is None:
            raise SubmissionRefusedError(f"the submission of {sub.participant!r} carries no ciphertext")
        check_submission_statement(self.spec, self.keys, sub)
        self._check_envelope(sub)

    def accepted_digest(self, participant: str) -> bytes | None:
        """The digest of the submission already accepted from ``participant`` (None if none):
        a retry or a conflicting resubmission is then decided without re-verifying proofs."""
        prior = self._accepted.get(participant)
        return None if prior is None else prior[0].digest

    def submit(self, sub: Submission | bytes, *, now: int | None = None, checked: bool = False) -> Receipt:
        """Check a submission; returns the signed receipt (the original one for an identical
        retry) or raises a :class:`~zkgate.study.errors.SubmissionRefusedError`.
        ``checked=True`` says :meth:`check` already passed for this very submission."""
        if not isinstance(sub, Submission):
            sub = Submission.from_bytes(sub)
        spec = self.spec
        now = int(self._clock()) if now is None else int(now)
        if sub.study_id != spec.study_id:
            raise WrongStudyError(f"the submission of {sub.participant!r} is for another study")
        try:
            spec.participant(sub.participant)
        except UnknownParticipantError:
            raise UnknownParticipantError(f"{sub.participant!r} is not an expected participant of this study") from None
        prior = self._accepted.get(sub.participant)
        if prior is not None:
            if prior[0].digest == sub.digest:
                return prior[1]  # idempotent retry
            raise DuplicateSubmissionError(
                f"{sub.participant!r} already submitted (submission {prior[0].submission_id.hex()}); "
                "one submission per participant per study"
            )
        if self._closed is not None:
            raise LateSubmissionError(f"the study is closed; the submission of {sub.participant!r} came too late")
        if now > spec.deadline:
            raise LateSubmissionError(f"the submission of {sub.participant!r} arrived after the deadline ({spec.deadline})")
        if not checked:
            self.check(sub)
        receipt = Receipt(spec.study_id, sub.participant, sub.submission_id, sub.digest,
                          len(self._accepted), now).sign(self._gateway_key)
        self._accepted[sub.participant] = (sub, receipt)
        return receipt

    def _check_envelope(self, sub: Submission) -> None:
        if envelope_digest(sub.envelope) != sub.envelope_digest:
            raise SubmissionRefusedError(f"the ciphertext of {sub.participant!r} does not match its signed digest")
        params = self.public_context.params
        try:
            env = ContributionEnvelope.from_bytes(sub.envelope, params, self.layout)
        except ZkgateError as exc:
            raise SubmissionRefusedError(f"the ciphertext envelope of {sub.participant!r} is refused: {exc}") from exc
        if (env.key_id != self.public_context.key_id or env.params_fingerprint != params.fingerprint()
                or env.study_id != self.spec.study_id_bytes or env.layout != self.layout
                or env.sender != sub.participant):
            raise WrongStudyError(
                f"the ciphertext envelope of {sub.participant!r} was made for another key, study, layout or sender"
            )

    @property
    def accepted(self) -> list[Submission]:
        return [s for s, _ in sorted(self._accepted.values(), key=lambda x: x[1].sequence)]

    @property
    def receipts(self) -> list[Receipt]:
        return [r for _, r in sorted(self._accepted.values(), key=lambda x: x[1].sequence)]

    @property
    def quorum_reached(self) -> bool:
        return len(self._accepted) >= self.spec.quorum

    # -- closing -------------------------------------------------------------------------------
    def close(self) -> Aggregate:
        """Add the accepted ciphertexts and commitments (quorum required); idempotent."""
        if self._closed is not None:
            return self._closed
        if not self.quorum_reached:
            raise QuorumError(f"{len(self._accepted)} of the required {self.spec.quorum} submissions were accepted")
        subs = self.accepted
        self._closed = build_aggregate(self.spec, self.public_context, subs, self._gateway_key)
        return self._closed

    # -- persistence ---------------------------------------------------------------------------
    def state(self) -> bytes:
        """Accepted submissions with their receipts, and the aggregate once closed."""
        items = [[s.to_bytes(), r.to_bytes()] for s, r in zip(self.accepted, self.receipts)]
        closed = None if self._closed is None else self._closed.to_bytes()
        return enc.pack(enc.header("aggregator-state") + [enc.fe_bytes(self.spec.study_id), items, closed])

    @classmethod
    def restore(cls, state: bytes, spec: StudySpec, keys: CircuitKeys, public_context, gateway_key: SigningKey,
                **kwargs) -> StudyAggregator:
        agg = cls(spec, keys, public_context, gateway_key, **kwargs)
        it = enc.unpack(state, "aggregator-state")
        if len(it) != 3 or enc.read_fe(it[0], "study_id") != spec.study_id:
            raise WrongStudyError("the stored state belongs to another study")
        for pair in enc.read_list(it[1], "accepted"):
            s_b, r_b = enc.read_list(pair, "accepted entry", 2)
            sub, rec = Submission.from_bytes(s_b), Receipt.from_bytes(r_b)
            rec.verify_signature(spec.gateway_key)
            agg._accepted[sub.participant] = (sub, rec)
        if it[2] is not None:
            agg._closed = Aggregate.from_bytes(it[2])
        return agg


def build_aggregate(spec: StudySpec, public_context: PublicContext, subs: list[Submission],
                    gateway_key: SigningKey, *, envelopes: list[bytes] | None = None) -> Aggregate:
    """The aggregate of ``subs``: ``envelopes`` (default: theirs) added homomorphically, their
    commitments summed.  (Passing other envelopes is how a misbehaving aggregator is simulated.)"""
    he = HEAggregator(public_context, spec.layout(), study_id=spec.study_id_bytes)
    for env in (envelopes if envelopes is not None else [s.envelope for s in subs]):
        he.add(env)
    result = he.result()
    return Aggregate(spec.study_id, tuple((s.participant, s.digest) for s in subs),
                     sum_points(s.commitment for s in subs), envelope_digest(result), envelope=result).sign(gateway_key)


__all__ = ["StudyAggregator", "build_aggregate", "check_submission_statement", "sum_points", "verify_proofs"]
