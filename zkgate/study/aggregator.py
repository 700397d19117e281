"""The gateway's side: check submissions, issue receipts, add ciphertexts and commitments.

The aggregator is untrusted for privacy (it sees ciphertexts only) and checked for
integrity (the key holder's release check and public verification catch a dropped,
substituted or altered contribution).

Memory is bounded by the number of participants, not by the size of what they send: an
accepted submission's ciphertext is added to a running homomorphic sum and its commitment
to a running point sum at once, and only its receipt (participant, submission id and
digest, sequence: a few hundred bytes) is kept, which is all that deciding a retry (the
original receipt) or a conflicting resubmission (refused) needs.  A closed study keeps only
its aggregate.  Durable state lives in the caller's store: :meth:`StudyAggregator.rebuild`
replays the stored receipts and submissions one at a time (a closed study's submissions are
not read at all) and reaches the same sums, hence the same aggregate.  In-process callers
that want the accepted submissions back (a simulation building a public record) ask for
them with ``retain_submissions=True``.

A CKKS study is aggregated the same way: the same proofs, chunk sets and commitments are
checked, and its CKKS ciphertexts (statistics only, no ``ρ``) are added.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from zkgate.circuits import babyjubjub as bjj
from zkgate.errors import InvalidInputError, ZkgateError
from zkgate.he import Aggregator as HEAggregator
from zkgate.he import PublicContext
from zkgate.he.envelope import ContributionEnvelope, envelope_digest
from zkgate.prover.groth16.batch import verify_batch
from zkgate.prover.groth16.verify import verify
from zkgate.study import encoding as enc
from zkgate.study.commitment import dataset_root
from zkgate.study.contributor import check_public_context
from zkgate.study.errors import (
    ChunkSetError,
    CommitmentMismatchError,
    DuplicateSubmissionError,
    LateSubmissionError,
    MessageFormatError,
    ProofRejectedError,
    QuorumError,
    SubmissionRefusedError,
    UnknownParticipantError,
    WrongStudyError,
)
from zkgate.study.identity import SigningKey
from zkgate.study.keys import CircuitKeys
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


def proof_items(spec: StudySpec, sub: Submission) -> list[tuple[list[int], object]]:
    """The ``(public inputs, proof)`` pair of each chunk of a submission, in chunk order."""
    return [([root, spec.study_id, pt[0], pt[1]], proof)
            for root, pt, proof in zip(sub.chunk_roots, sub.chunk_commitments, sub.proofs)]


def proofs_rejected(sub: Submission, bad: list[int]) -> ProofRejectedError:
    """The error refusing a submission whose chunk proofs ``bad`` (indices) do not verify."""
    return ProofRejectedError(
        f"{sub.participant!r}: the proof of chunk {bad[0]} does not verify against its chunk root, "
        f"the study id and its commitment ({len(bad)} of {len(sub.proofs)} chunks rejected)"
    )


def check_submission_statement(spec: StudySpec, keys: CircuitKeys, sub: Submission, *, proofs: bool = True) -> None:
    """Checks that need no ciphertext: signature, chunk set, commitment sum, proofs
    (``proofs=False``: all but the proofs, for a caller that verifies many submissions' proofs
    in one batch).  Shared by the aggregator and public verification."""
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
    if not proofs:
        return
    bad = [i for i, ok in enumerate(verify_proofs(keys, proof_items(spec, sub))) if not ok]
    if bad:
        raise proofs_rejected(sub, bad)


class StudyAggregator:
    """Accepts submissions for one study and closes it into an :class:`Aggregate`.

    Holds the running sums and one receipt per accepted participant; the submissions
    themselves only with ``retain_submissions=True`` (see the module documentation)."""

    def __init__(self, spec: StudySpec, keys: CircuitKeys, public_context: PublicContext | bytes,
                 gateway_key: SigningKey, *, dev_mode: bool = False,
                 clock: Callable[[], float] = time.time, retain_submissions: bool = False) -> None:
        keys.check(spec, dev_mode=dev_mode)
        if gateway_key.public != spec.gateway_key:
            raise WrongStudyError("this gateway's key is not the one the study names")
        self.spec = spec
        self.keys = keys.public()
        self.public_context = check_public_context(spec, public_context)
        self.layout = spec.layout()
        self._gateway_key = gateway_key
        self._clock = clock
        self._retain = retain_submissions
        self._receipts: dict[str, Receipt] = {}
        self._submissions: dict[str, Submission] = {}  # only with retain_submissions
        self._he: HEAggregator | None = HEAggregator(self.public_context, self.layout,
                                                      study_id=spec.study_id_bytes)
        self._commitment: tuple[int, int] = bjj.IDENTITY
        self._closed: Aggregate | None = None

    # -- submissions ---------------------------------------------------------------------------
    def check(self, sub: Submission, *, proofs: bool = True) -> None:
        """The stateless checks of a submission (signature, chunks, commitment, proofs,
        ciphertext envelope).  Safe to run concurrently, outside any lock; :meth:`submit`
        runs them itself unless told they passed.  ``proofs=False`` leaves the proofs to the
        caller (a gateway verifying concurrent submissions' proofs in one batch)."""
        if sub.envelope is None:
            raise SubmissionRefusedError(f"the submission of {sub.participant!r} carries no ciphertext")
        if sub.study_id != self.spec.study_id:
            raise WrongStudyError(f"the submission of {sub.participant!r} is for another study")
        check_submission_statement(self.spec, self.keys, sub, proofs=proofs)
        self._check_envelope(sub)

    def seal_receipt(self, sub: Submission, sequence: int, *, now: int | None = None) -> Receipt:
        """The (unsigned) receipt of a checked submission under a sequence number its caller's
        store assigned (several gateway processes share one database: it decides duplicates and
        order), for :func:`~zkgate.study.messages.sign_receipts` to sign with the rest of its
        group.  Refuses a submission past the study's deadline."""
        now = int(self._clock()) if now is None else int(now)
        if now > self.spec.deadline:
            raise LateSubmissionError(f"the submission of {sub.participant!r} arrived after the deadline "
                                      f"({self.spec.deadline})")
        return Receipt(self.spec.study_id, sub.participant, sub.submission_id, sub.digest, sequence, now)

    def sign_receipt(self, sub: Submission, sequence: int, *, now: int | None = None) -> Receipt:
        """:meth:`seal_receipt`, signed alone (a batch of one)."""
        return self.seal_receipt(sub, sequence, now=now).sign(self._gateway_key)

    def accepted_digest(self, participant: str) -> bytes | None:
        """The digest of the submission already accepted from ``participant`` (None if none):
        a retry or a conflicting resubmission is then decided without re-verifying proofs."""
        prior = self._receipts.get(participant)
        return None if prior is None else prior.submission_digest

    def submit(self, sub: Submission | bytes, *, now: int | None = None, checked: bool = False) -> Receipt:
        """Check a submission; returns the signed receipt (the original one for an identical
        retry) or raises a :class:`~zkgate.study.errors.SubmissionRefusedError`.
        ``checked=True`` says :meth:`check` already passed for this very submission.
        An accepted submission's ciphertext and commitment are added to the running sums here."""
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
        prior = self._receipts.get(sub.participant)
        if prior is not None:
            if prior.submission_digest == sub.digest:
                return prior  # idempotent retry
            raise DuplicateSubmissionError(
                f"{sub.participant!r} already submitted (submission {prior.submission_id.hex()}); "
                "one submission per participant per study"
            )
        if self._closed is not None:
            raise LateSubmissionError(f"the study is closed; the submission of {sub.participant!r} came too late")
        if now > spec.deadline:
            raise LateSubmissionError(f"the submission of {sub.participant!r} arrived after the deadline ({spec.deadline})")
        if not checked:
            self.check(sub)
        self._add_to_sums(sub)
        receipt = Receipt(spec.study_id, sub.participant, sub.submission_id, sub.digest,
                          len(self._receipts), now).sign(self._gateway_key)
        self._record(sub, receipt)
        return receipt

    def _add_to_sums(self, sub: Submission) -> None:
        """Add the ciphertext (refused, changing nothing, if it does not decode) and the commitment."""
        try:
            self._he.add(sub.envelope)
        except ZkgateError as exc:
            raise SubmissionRefusedError(f"the ciphertext of {sub.participant!r} is refused: {exc}") from exc
        self._commitment = bjj.add(self._commitment, tuple(sub.commitment))

    def _record(self, sub: Submission, receipt: Receipt) -> None:
        self._receipts[sub.participant] = receipt
        if self._retain:
            self._submissions[sub.participant] = sub

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
        """The accepted submissions in receipt order (only with ``retain_submissions=True``:
        otherwise they live in the caller's store)."""
        if not self._retain:
            raise InvalidInputError(
                "this aggregator keeps running sums, not submissions: read the accepted submissions "
                "from the store, or build it with retain_submissions=True"
            )
        return [self._submissions[r.participant] for r in self.receipts]

    @property
    def receipts(self) -> list[Receipt]:
        return sorted(self._receipts.values(), key=lambda r: r.sequence)

    @property
    def accepted_count(self) -> int:
        return len(self._receipts)

    @property
    def quorum_reached(self) -> bool:
        return len(self._receipts) >= self.spec.quorum

    @property
    def closed(self) -> bool:
        return self._closed is not None

    # -- closing -------------------------------------------------------------------------------
    def close(self) -> Aggregate:
        """The aggregate of the running sums (quorum required); idempotent.  The running
        ciphertext sums are released: a closed study holds its aggregate and receipts only."""
        if self._closed is not None:
            return self._closed
        if not self.quorum_reached:
            raise QuorumError(f"{len(self._receipts)} of the required {self.spec.quorum} submissions were accepted")
        result = self._he.result()
        included = tuple((r.participant, r.submission_digest) for r in self.receipts)
        self._closed = Aggregate(self.spec.study_id, included, self._commitment, envelope_digest(result),
                                 envelope=result).sign(self._gateway_key)
        self._he = None
        return self._closed

    # -- persistence ---------------------------------------------------------------------------
    def state(self) -> bytes:
        """Accepted submissions with their receipts, and the aggregate once closed (only with
        ``retain_submissions=True``; a gateway rebuilds from its store with :meth:`rebuild`)."""
        items = [[s.to_bytes(), r.to_bytes()] for s, r in zip(self.accepted, self.receipts)]
        closed = None if self._closed is None else self._closed.to_bytes()
        return enc.pack(enc.header("aggregator-state") + [enc.fe_bytes(self.spec.study_id), items, closed])

    @classmethod
    def restore(cls, state: bytes, spec: StudySpec, keys: CircuitKeys, public_context, gateway_key: SigningKey,
                **kwargs) -> StudyAggregator:
        """The aggregator of a :meth:`state` (which holds the submissions: it keeps them too)."""
        kwargs.setdefault("retain_submissions", True)
        it = enc.unpack(state, "aggregator-state")
        if len(it) != 3 or enc.read_fe(it[0], "study_id") != spec.study_id:
            raise WrongStudyError("the stored state belongs to another study")
        entries = []
        for pair in enc.read_list(it[1], "accepted"):
            s_b, r_b = enc.read_list(pair, "accepted entry", 2)
            entries.append((r_b, lambda data=s_b: data))
        return cls.rebuild(spec, keys, public_context, gateway_key, entries, it[2], **kwargs)

    @classmethod
    def rebuild(cls, spec: StudySpec, keys: CircuitKeys, public_context, gateway_key: SigningKey,
                entries: Iterable[tuple[bytes, Callable[[], bytes]]], aggregate: bytes | None = None,
                **kwargs) -> StudyAggregator:
        """Rebuild from stored state: ``entries`` are ``(receipt bytes, read the submission's
        bytes)`` in receipt order, ``aggregate`` the stored aggregate once closed.  Each
        submission is read, checked against its receipt and added to the sums one at a time,
        so at most one is in memory; a closed study's submissions are not read at all."""
        agg = cls(spec, keys, public_context, gateway_key, **kwargs)
        closed = Aggregate.from_bytes(aggregate) if aggregate is not None else None
        for receipt_bytes, read_submission in entries:
            receipt = Receipt.from_bytes(receipt_bytes)
            receipt.verify_signature(spec.gateway_key)
            if receipt.study_id != spec.study_id or receipt.participant in agg._receipts:
                raise MessageFormatError(
                    f"the stored receipt of {receipt.participant!r} belongs to another study or repeats a participant"
                )
            if closed is not None and not agg._retain:
                agg._receipts[receipt.participant] = receipt
                continue
            sub = Submission.from_bytes(read_submission())
            if sub.participant != receipt.participant or sub.digest != receipt.submission_digest:
                raise MessageFormatError(
                    f"the stored submission of {receipt.participant!r} is not the one its receipt acknowledges"
                )
            if closed is None:
                agg._add_to_sums(sub)
            agg._record(sub, receipt)
        if closed is not None:
            agg._closed = closed
            agg._he = None
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


__all__ = ["StudyAggregator", "build_aggregate", "check_submission_statement", "proof_items", "proofs_rejected",
           "sum_points", "verify_proofs"]
