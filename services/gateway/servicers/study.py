"""StudyService: the gateway's part of the protocol (zkgate.study.StudyAggregator), made durable.

Every accepted submission is written (blob, row and audit leaf in one transaction) before its
receipt is returned, so an acknowledged submission survives a crash; on restart each study's
aggregator is rebuilt from the stored submissions and receipts.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from zkgate.errors import InvalidInputError
from zkgate.fileio import SECRET_FILE_MODE, atomic_write
from zkgate.prover.formats.zkey import read_zkey
from zkgate.study.aggregator import StudyAggregator, proof_items, proofs_rejected
from zkgate.study.cancellation import CANCEL_LEAF_KIND, StudyCancellation, check_reason
from zkgate.study.catalog import Registration
from zkgate.study.errors import ClassicalSignatureError, DuplicateSubmissionError, LateSubmissionError
from zkgate.study.identity import SigningKey
from zkgate.study.key_policy import refuse_uncontributed
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Aggregate, Receipt, Release, Submission, sign_receipts
from zkgate.study.release import release_statistics
from zkgate.study.spec import StudySpec
from zkgate.study.verification import PublicRecord, classical_keys, verify_record

from ...errors import AlreadyExistsError, NotFoundError, PreconditionError
from ...v1 import common_pb2, study_pb2, study_pb2_grpc
from ...wire import DEFAULT_CHUNK_SIZE, chunked
from ..ingest import SubmissionBatcher
from ..memory import release_free_memory
from ..security import caller, requester_name, require_acting_as, require_study_requester
from ..store import NewSubmission, Store, StudyProvingKeyRecord, StudyRecord, SubmissionRecord
from ..store.integrity import data_loss, stored_record
from ..transport import DEFAULT_TRANSPORT_LIMITS, TransportLimits
from ..universal_keys import UniversalKey, UniversalKeys
from ..uploads import UploadLimits, advertised_chunk_size, receive_upload
from .audit import audit_entry
from .committee import check_committed_submission
from .common import check_deadline, rpc

GATEWAY_KEY_FILE = "gateway_signing_key"
STATES = {"OPEN": study_pb2.OPEN, "CLOSED": study_pb2.CLOSED, "RELEASED": study_pb2.RELEASED,
          "CANCELLED": study_pb2.CANCELLED}
CLOSE_ATTEMPTS = 5  # aggregates rebuilt before CloseStudy gives up while submissions keep arriving
AUDIT_SCAN_PAGE = 512  # leaves read at a time when looking up a cancellation in the log


def load_or_create_gateway_key(data_dir: str | os.PathLike) -> SigningKey:
    path = Path(data_dir) / GATEWAY_KEY_FILE
    if path.exists():
        return SigningKey.from_file(path, "gateway signing key")  # a classical key of an older data directory too
    key = SigningKey.generate()  # hybrid: Ed25519 + ML-DSA-65
    atomic_write(path, key.raw, mode=SECRET_FILE_MODE)
    return key


def _study_id(text: str) -> str:
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise InvalidInputError(f"study_id must be 64 lowercase hex digits, got {text!r}")
    return text


class StudyServicer(study_pb2_grpc.StudyServiceServicer):
    def __init__(self, store: Store, limits: UploadLimits, gateway_key: SigningKey, log_public_key: bytes,
                 dev_mode: bool = False, *, max_message_bytes: int = 8 << 20,
                 transport: TransportLimits = DEFAULT_TRANSPORT_LIMITS, require_pq: bool = False) -> None:
        self.store = store
        self.limits = limits
        self.require_pq = require_pq  # --require-pq: refuse anything without a valid ML-DSA-65 signature
        self.max_message_bytes = max_message_bytes  # advertised by GetGatewayInfo
        self.transport = transport
        self.gateway_key = gateway_key
        self.log_public_key = log_public_key
        self.dev_mode = dev_mode
        self._checkers: dict[str, StudyAggregator] = {}  # open studies' parsed spec, keys and context
        self._loading: dict[str, threading.Lock] = {}  # one thread parses a study's checker, the others wait
        # proofs of concurrent submissions in one batch, one commit, their receipts under one signature
        self.batcher = SubmissionBatcher(store, sign_receipts=self._sign_receipts)
        self._cancellations: dict[str, StudyCancellation] = {}  # final once logged: never invalidated
        self.universal_keys = UniversalKeys(store, dev_mode)  # registered once, named by studies (issue 21)
        self._lock = threading.Lock()

    # -- helpers -----------------------------------------------------------------------------
    def _record(self, study_id: str) -> StudyRecord:
        record = self.store.get_study(_study_id(study_id))
        if record is None:
            raise NotFoundError(f"no study {study_id} on this gateway (ListStudies shows the known ones)")
        return record

    def cancellation(self, record: StudyRecord) -> StudyCancellation | None:
        """A cancelled study's cancellation, read from its ``study_cancelled`` audit leaf (the
        store keeps the state; the leaf, written in the same transaction, keeps why, who and when)."""
        if record.state != "CANCELLED":
            return None
        with self._lock:
            known = self._cancellations.get(record.study_id)
        if known is not None:
            return known
        end = self.store.audit_read(lambda log: log.size)
        found = None
        while end > 0 and found is None:  # newest first: a cancellation is usually recent
            start = max(0, end - AUDIT_SCAN_PAGE)
            for index, entry in reversed(self.store.audit_entries(start, end)):
                if entry.kind == CANCEL_LEAF_KIND and f'"study_id":"{record.study_id}"'.encode() in entry.data:
                    with stored_record(f"audit leaf {index} (the cancellation of study {record.study_id})"):
                        found = StudyCancellation.from_leaf(entry.data, index)
                    break
            end = start
        if found is None:
            raise data_loss(f"study {record.study_id} is stored as CANCELLED but the audit log holds no "
                            f"{CANCEL_LEAF_KIND} leaf for it: run `zkgate store check`")
        with self._lock:
            self._cancellations[record.study_id] = found
        return found

    def _refuse_if_cancelled(self, record: StudyRecord) -> None:
        cancelled = self.cancellation(record)
        if cancelled is not None:
            raise PreconditionError(f"{cancelled.describe()}; a cancelled study accepts nothing more")

    def _message(self, record: StudyRecord) -> study_pb2.Study:
        with stored_record(f"the spec of study {record.study_id}"):
            spec = StudySpec.from_bytes(record.spec)
        cancelled = self.cancellation(record)
        return study_pb2.Study(
            study_id=record.study_id,
            title=record.title,
            state=STATES[record.state],
            participants=[p.name for p in spec.participants],
            quorum=spec.quorum,
            accepted=len(self.store.list_submissions(record.study_id)),
            deadline=spec.deadline,
            dev_keys=spec.dev_keys,
            spec=record.spec,
            circuit_keys=record.circuit_keys,
            cancellation=None if cancelled is None else study_pb2.StudyCancellation(
                reason=cancelled.reason, cancelled_by=cancelled.cancelled_by, cancelled_at=cancelled.cancelled_at,
                audit_leaf_index=cancelled.audit_leaf_index, state_before=cancelled.state_before),
        )

    def _checker(self, record: StudyRecord) -> StudyAggregator:
        """The study's checker: its spec, circuit keys and public HE context, parsed once per
        process and kept while the study is open.  It only checks submissions and signs
        receipts: which submissions are accepted, in which order, and the aggregate are decided
        from the store (several gateway processes may serve the study), never from memory."""
        with self._lock:
            cached = self._checkers.get(record.study_id)
            if cached is not None:
                return cached
            loading = self._loading.setdefault(record.study_id, threading.Lock())
        with loading:  # the spec's id is a Poseidon hash over every participant: parsed once, not per thread
            with self._lock:
                cached = self._checkers.get(record.study_id)
            if cached is not None:
                return cached
            with stored_record(f"the stored state of study {record.study_id} (spec, keys, public context)"):
                checker = StudyAggregator(StudySpec.from_bytes(record.spec), CircuitKeys.from_bytes(record.circuit_keys),
                                          self.store.read_blob(record.context_blob), self.gateway_key,
                                          dev_mode=self.dev_mode)
            with self._lock:
                if record.state == "OPEN":
                    checker = self._checkers.setdefault(record.study_id, checker)
            return checker

    def _aggregate_from_store(self, record: StudyRecord) -> StudyAggregator:
        """An aggregator rebuilt from the stored receipts and submissions (one in memory at a time)."""
        with stored_record(f"the stored state of study {record.study_id} (spec, keys, receipts, submissions)"):
            spec = StudySpec.from_bytes(record.spec)
            keys = CircuitKeys.from_bytes(record.circuit_keys)
            context = self.store.read_blob(record.context_blob)
            entries = ((s.receipt, lambda blob=s.submission_blob: self.store.read_blob(blob))
                       for s in self.store.list_submissions(record.study_id))
            return StudyAggregator.rebuild(spec, keys, context, self.gateway_key, entries, None,
                                           dev_mode=self.dev_mode)

    def _release(self, study_id: str) -> None:
        """Drop a study's checker once it no longer accepts submissions, and return freed memory."""
        with self._lock:
            self._checkers.pop(study_id, None)
            self._loading.pop(study_id, None)
        release_free_memory()

    # -- RPCs --------------------------------------------------------------------------------
    @rpc
    def GetGatewayInfo(self, request, context):
        return study_pb2.GatewayInfo(
            study_signing_key=self.gateway_key.public, log_public_key=self.log_public_key, dev_mode=self.dev_mode,
            chunk_size=advertised_chunk_size(self.limits, self.max_message_bytes),
            max_message_bytes=self.max_message_bytes, max_upload_bytes=self.limits.max_payload_bytes,
            stream_idle_seconds=self.transport.stream_idle_seconds,
            max_upload_streams=self.transport.max_upload_streams,
        )

    @rpc
    def CreateStudy(self, request_iterator, context):
        _, parts = receive_upload(
            request_iterator,
            "header",
            {"spec_chunk": "spec_size", "keys_chunk": "keys_size", "context_chunk": "context_size",
             "proving_key_chunk": "proving_key_size"},
            self.limits,
        )
        spec = StudySpec.from_bytes(parts["spec_chunk"])
        if spec.question.sql:  # the compiled question is the authority: its SQL text must compile to it
            from zkgate.study.sql import recompile_matches  # sqlglot: only for a study asked in SQL

            recompile_matches(spec.question, spec.schema)  # SqlError: INVALID_ARGUMENT naming the difference
        registered = self.universal_keys.for_study(spec) if spec.universal is not None else None
        keys = self._study_keys(spec, parts, registered)
        refuse_uncontributed(keys, "the study's circuit key")  # FAILED_PRECONDITION: nobody could ever submit
        if spec.gateway_key != self.gateway_key.public:
            raise PreconditionError("the study names another gateway key (GetGatewayInfo gives this gateway's)")
        if self.require_pq and classical_keys(spec):
            raise PreconditionError(
                f"this gateway requires post-quantum signatures (--require-pq), but the study names classical "
                f"Ed25519-only keys for {', '.join(classical_keys(spec))}: their owners must make hybrid keys "
                "(Ed25519+ML-DSA-65) and register again")
        StudyAggregator(spec, keys, parts["context_chunk"], self.gateway_key, dev_mode=self.dev_mode)  # validates
        datasets = {}
        for record in self.store.list_datasets():
            with stored_record(f"the registration of data set {record.dataset_id}"):
                registration = Registration.from_bytes(record.registration)
            datasets.setdefault(registration.participant, []).append(registration)
        for participant in spec.participants:
            matches = [
                r for r in datasets.get(participant.name, [])
                if r.root == participant.root and r.key_ref == participant.verify_key and r.n_chunks == participant.n_chunks
            ]
            if not matches:
                raise PreconditionError(
                    f"participant {participant.name!r} has no registered data set with the root and key the study names"
                )
        study_id = spec.study_id_bytes.hex()
        if parts["proving_key_chunk"]:  # kept before the study row names it: holders fetch it (GetProvingKey)
            zkey_blob = self._check_proving_key(parts["proving_key_chunk"], keys)
            self.store.add_study_proving_key(StudyProvingKeyRecord(study_id, zkey_blob))
        elif registered is not None:  # the registered universal key's .zkey: a row naming its blob, nothing copied
            self.store.add_study_proving_key(StudyProvingKeyRecord(study_id, registered.record.zkey_blob))
        record = StudyRecord(
            study_id=study_id,
            title=spec.title,
            spec=spec.to_bytes(),
            circuit_keys=keys.to_bytes(),
            context_blob=self.store.put_blob(parts["context_chunk"]),
            state="OPEN",
            requester=requester_name(context),
        )
        audit = audit_entry("study", study_id=study_id, spec_sha256=_sha256(record.spec),
                            circuit_keys_sha256=_sha256(record.circuit_keys), context_sha256=record.context_blob,
                            dev_keys=spec.dev_keys, requester=record.requester)
        return self._message(self.store.add_study(record, audit))

    @staticmethod
    def _study_keys(spec: StudySpec, parts: dict, registered: UniversalKey | None) -> CircuitKeys:
        """The study's public circuit keys: uploaded, or (nothing uploaded) the registered universal key
        its spec names by verifying-key hash."""
        if parts["keys_chunk"]:
            keys = CircuitKeys.from_bytes(parts["keys_chunk"]).public()
            if registered is not None and keys != registered.keys:
                raise InvalidInputError("keys_chunk: not the registered universal key the spec names by its verifying-key "
                                        "hash; send no keys to use the registered one")
            return keys
        if registered is not None:
            return registered.keys
        if parts["proving_key_chunk"]:
            raise InvalidInputError("keys_chunk: the upload holds a proving key but no circuit keys")
        if spec.universal is not None:
            raise PreconditionError(
                f"no universal key with verifying-key hash {spec.vk_hash.hex()} is registered on this gateway, and the "
                "study uploads no keys: register the key once (`zkgate requester register-universal-key`), or "
                "upload it with the study (--circuit-key)")
        raise InvalidInputError("keys_chunk: a per-shape study uploads its circuit keys (only a universal study may "
                                "name a registered universal key instead)")

    def _check_proving_key(self, zkey: bytes, keys: CircuitKeys) -> str:
        """Store an uploaded .zkey (a blob) after checking it holds the study's verifying key and
        ceremony transcript; returns its blob id."""
        blob = self.store.put_blob(zkey)
        path = self.store.blob_path(blob)
        try:
            served = CircuitKeys.from_proving_key(read_zkey(path))
        except InvalidInputError as exc:  # the message names the upload, not the gateway's blob file
            raise InvalidInputError(f"proving_key: not a readable .zkey ({str(exc).replace(path, 'proving_key')})") from exc
        if served.vk_hash != keys.vk_hash or served.transcript_hash != keys.transcript_hash:
            raise InvalidInputError(
                f"proving_key: its verifying key (hash {served.vk_hash.hex()}) or ceremony transcript is not the "
                f"study's (verifying-key hash {keys.vk_hash.hex()}): upload the .zkey the circuit keys came from"
            )
        return blob

    @rpc
    def GetProvingKey(self, request, context):
        record = self._record(request.study_id)
        found = self.store.get_study_proving_key(record.study_id)
        if found is None:
            raise NotFoundError(f"study {record.study_id} was opened without uploading its proving key: get the "
                                "study's .zkey from its requester and pass it with --circuit-key")
        path = self.store.blob_path(found.zkey_blob)  # re-hashed when changed on disk (DATA_LOSS if damaged)
        size = os.path.getsize(path)
        piece = advertised_chunk_size(self.limits, self.max_message_bytes)

        def parts():
            yield study_pb2.ProvingKeyPart(header=study_pb2.ProvingKeyHeader(size=size, sha256=found.zkey_blob))
            with open(path, "rb") as handle:  # one chunk in memory at a time
                while True:
                    data = handle.read(piece)
                    if not data:
                        return
                    yield study_pb2.ProvingKeyPart(chunk=data)

        return parts()

    @rpc
    def RegisterUniversalKey(self, request_iterator, context):
        header, parts = receive_upload(request_iterator, "header", {"zkey_chunk": "zkey_size"}, self.limits)
        key, already = self.universal_keys.register(header.params_json, parts["zkey_chunk"], requester_name(context),
                                                    audit_entry, lambda step: check_deadline(context, step))
        return _universal_key_message(key, self.store, already)

    @rpc
    def ListUniversalKeys(self, request, context):
        return study_pb2.ListUniversalKeysResponse(
            keys=[_universal_key_message(k, self.store) for k in self.universal_keys.all()])

    @rpc
    def GetStudy(self, request, context):
        return self._message(self._record(request.study_id))

    @rpc
    def ListStudies(self, request, context):
        return study_pb2.ListStudiesResponse(studies=[self._message(r) for r in self.store.list_studies()])

    @rpc
    def GetPublicContext(self, request, context):
        data = self.store.read_blob(self._record(request.study_id).context_blob)
        return iter([common_pb2.Chunk(data=piece) for piece in chunked(data, DEFAULT_CHUNK_SIZE)])

    @rpc
    def Submit(self, request_iterator, context):
        header, parts = receive_upload(request_iterator, "header", {"submission_chunk": "submission_size"}, self.limits)
        record = self._record(header.study_id)
        self._refuse_if_cancelled(record)  # before any work: a cancelled study's state is public anyway
        submission = Submission.from_bytes(parts["submission_chunk"])
        require_acting_as(context, submission.participant, "submit")
        if self.require_pq and not submission.signer_key:
            raise ClassicalSignatureError(
                f"the submission of {submission.participant!r} is signed with a classical Ed25519-only key and carries "
                "no ML-DSA-65 signature (this gateway requires post-quantum signatures: --require-pq)")
        data = submission.to_bytes()
        # a retry (the original receipt, whichever gateway process took it) or a conflicting
        # submission (refused) is decided from the store, without verifying anything
        stored = self.store.get_submission(record.study_id, submission.participant)
        if stored is None:
            stored = self._accept(record, submission, data, context)
        elif stored.submission_blob != _sha256(data):
            raise DuplicateSubmissionError(
                f"{submission.participant!r} already submitted to study {record.study_id} (sequence "
                f"{stored.sequence}); one submission per participant per study"
            )
        return study_pb2.SubmitResponse(receipt=stored.receipt, audit_leaf_index=stored.audit_leaf)

    def _accept(self, record: StudyRecord, submission: Submission, data: bytes, context) -> SubmissionRecord:
        """Check a new submission and have the store accept it (see services/gateway/ingest.py):
        its own checks here, in parallel with other handlers; its proofs in one batch with the
        concurrent submissions' and its row in their group commit.  The store decides
        duplicates, the study's state, the sequence number and the audit leaf in that commit."""
        if record.state != "OPEN":
            with self._lock:  # closed or cancelled by another process: its checker is no longer needed
                stale = self._checkers.pop(record.study_id, None)
            if stale is not None:
                release_free_memory()
            raise LateSubmissionError(f"the study is {record.state.lower()}; the submission of "
                                      f"{submission.participant!r} came too late")
        checker = self._checker(record)
        if submission.study_id != checker.spec.study_id:  # the cached spec: its id is a Poseidon hash
            raise InvalidInputError("the submission is for another study than the header names")
        check_deadline(context, "verifying the submission")
        checker.check(submission, proofs=False)  # the proofs: in the batch below
        if checker.spec.committee is not None:  # issue 23: the ciphertext committed to before the commit phase closed
            check_committed_submission(self.store, record.study_id, checker.spec, submission.participant,
                                       submission.envelope_digest)
        # content-addressed and idempotent: durable before the row that names it, or (blobs in the
        # database) written in the transaction that accepts the submission
        in_transaction = self.store.blobs_in_transaction
        blob = _sha256(data) if in_transaction else self.store.put_blob_for_commit(data)

        def seal(sequence: int):
            receipt = checker.seal_receipt(submission, sequence)  # signed with its group: _sign_receipts
            audit = audit_entry(
                "submission", study_id=record.study_id, participant=submission.participant,
                submission_digest=submission.digest.hex(), envelope_digest=submission.envelope_digest.hex(),
                sequence=sequence,
            )
            return receipt, audit

        return self.batcher.submit(NewSubmission(record.study_id, submission.participant, blob, seal,
                                                 data if in_transaction else None),
                                   checker.keys, proof_items(checker.spec, submission),
                                   lambda bad: proofs_rejected(submission, bad))

    def _sign_receipts(self, receipts: list[Receipt]) -> list[bytes]:
        """A group commit's receipts under ONE signature of this gateway (a Merkle tree of them)."""
        return [r.to_bytes() for r in sign_receipts(receipts, self.gateway_key)]

    @rpc
    def CloseStudy(self, request, context):
        record = self._record(request.study_id)
        require_study_requester(context, record.requester, "close this study", admin_too=True)
        self._refuse_if_cancelled(record)
        if record.state != "OPEN":
            return self._message(record)
        # the aggregate of what is stored (any gateway process may have accepted a submission),
        # closed only if nothing was accepted meanwhile (the store checks in the closing transaction)
        for _ in range(CLOSE_ATTEMPTS):
            aggregate = self._aggregate_from_store(record).close()  # QuorumError below the quorum
            blob = self.store.put_blob(aggregate.to_bytes())
            audit = audit_entry("aggregate", study_id=record.study_id, aggregate_digest=aggregate.digest.hex(),
                                envelope_digest=aggregate.envelope_digest.hex(),
                                included=[[name, digest.hex()] for name, digest in aggregate.included])
            try:
                closed = self.store.close_study(record.study_id, frozenset(n for n, _ in aggregate.included), audit,
                                                blob)
            except PreconditionError:  # closed or cancelled by another call meanwhile: say what it is now
                closed = True
            record = self._record(request.study_id)
            self._refuse_if_cancelled(record)
            if closed or record.state != "OPEN":
                self._release(record.study_id)
                return self._message(record)
        raise PreconditionError(f"study {record.study_id}: submissions kept arriving while it was being closed "
                               f"({CLOSE_ATTEMPTS} attempts); retry CloseStudy")

    @rpc
    def GetAggregate(self, request, context):
        record = self._record(request.study_id)
        require_study_requester(context, record.requester, "fetch this study's encrypted aggregate")
        self._refuse_if_cancelled(record)  # nobody decrypts a cancelled study's aggregate
        if not record.aggregate_blob:
            raise PreconditionError("the study is still open: CloseStudy adds the contributions first")
        data = self.store.read_blob(record.aggregate_blob)
        return iter([common_pb2.Chunk(data=piece) for piece in chunked(data, DEFAULT_CHUNK_SIZE)])

    def _public_record(self, record: StudyRecord) -> PublicRecord:
        with stored_record(f"the stored record of study {record.study_id} (spec, keys, submissions, aggregate, release)"):
            spec = StudySpec.from_bytes(record.spec)
            keys = CircuitKeys.from_bytes(record.circuit_keys)
            subs = tuple(Submission.from_bytes(self.store.read_blob(s.submission_blob)).public()
                         for s in self.store.list_submissions(record.study_id))
            aggregate = Aggregate.from_bytes(self.store.read_blob(record.aggregate_blob)).public() if record.aggregate_blob else None
            release = Release.from_bytes(record.release) if record.release else None
        return PublicRecord(spec, keys, subs, aggregate, release)

    @rpc
    def PublishRelease(self, request, context):
        record = self._record(request.study_id)
        require_study_requester(context, record.requester, "publish this study's release")
        self._refuse_if_cancelled(record)
        if record.state == "OPEN":
            raise PreconditionError("the study is still open: close it and release from its aggregate")
        release = Release.from_bytes(request.release)
        with stored_record(f"the spec of study {record.study_id}"):
            spec = StudySpec.from_bytes(record.spec)
        release.verify_signature(spec.key_holder_key, require_pq=self.require_pq)
        if record.state == "RELEASED":
            if record.release == release.to_bytes():
                return self._message(record)
            raise AlreadyExistsError("the study already has a different release")
        with stored_record(f"the aggregate of study {record.study_id}"):
            aggregate = Aggregate.from_bytes(self.store.read_blob(record.aggregate_blob))
        if release.study_id != spec.study_id or release.aggregate_digest != aggregate.digest:
            raise InvalidInputError("the release is not for this study's aggregate")
        audit = audit_entry("release", study_id=record.study_id, release_sha256=_sha256(release.to_bytes()))
        try:  # decided by the store: another gateway process may have published it meanwhile
            self.store.set_study_state(record.study_id, "RELEASED", audit, release=release.to_bytes(),
                                       expect_state=record.state)
        except PreconditionError:
            now = self._record(request.study_id)
            if now.state == "RELEASED" and now.release == release.to_bytes():
                return self._message(now)
            raise
        return self._message(self._record(request.study_id))

    @rpc
    def GetRelease(self, request, context):
        record = self._record(request.study_id)
        if not record.release:
            raise PreconditionError("the study has no release yet")
        with stored_record(f"the release of study {record.study_id}"):
            release = Release.from_bytes(record.release)
            stats = release_statistics(StudySpec.from_bytes(record.spec), release)
        return study_pb2.ReleaseResponse(release=record.release, statistics_json=json.dumps(stats, default=str))

    @rpc
    def GetPublicRecord(self, request, context):
        data = self._public_record(self._record(request.study_id)).to_bytes()
        return iter([common_pb2.Chunk(data=piece) for piece in chunked(data, DEFAULT_CHUNK_SIZE)])

    @rpc
    def VerifyStudy(self, request, context):
        record = self._record(request.study_id)
        report = verify_record(self._public_record(record), dev_mode=self.dev_mode,
                               cancellation=self.cancellation(record))
        return study_pb2.VerificationReport(ok=report.ok, failures=report.failures,
                                            checks_json=json.dumps(report.to_dict(), default=str))

    @rpc
    def CancelStudy(self, request, context):
        record = self._record(request.study_id)
        require_study_requester(context, record.requester, "cancel this study", admin_too=True)
        reason = check_reason(request.reason, "CancelStudyRequest.reason")
        for _ in range(CLOSE_ATTEMPTS):
            record = self._record(request.study_id)
            earlier = self.cancellation(record)
            if earlier is not None:
                if earlier.reason == reason:
                    return self._message(record)  # idempotent retry
                raise AlreadyExistsError(f"{earlier.describe()}; it cannot be cancelled again with another reason")
            if record.state == "RELEASED":
                raise PreconditionError(f"study {record.study_id} was released: a released study cannot be "
                                        "cancelled (its release stays in the audit log for everyone to verify)")
            identity = caller(context)
            cancelled = StudyCancellation(record.study_id, reason, "" if identity.is_open else identity.organisation,
                                          int(time.time()), record.state)
            try:  # decided by the store: only if no gateway process changed the state since it was read
                self.store.set_study_state(record.study_id, "CANCELLED",
                                           audit_entry(CANCEL_LEAF_KIND, **cancelled.leaf_fields()),
                                           expect_state=record.state)
            except PreconditionError:
                continue  # closed, released or cancelled meanwhile: decide again on the new state
            self._release(record.study_id)
            return self._message(self._record(request.study_id))
        raise PreconditionError(f"study {record.study_id} kept changing state while being cancelled; retry")

    @rpc
    def GetMyReceipt(self, request, context):
        record = self._record(request.study_id)
        identity = caller(context)
        participant = request.participant or ("" if identity.is_open else identity.organisation)
        if not participant:
            raise InvalidInputError("GetMyReceiptRequest.participant: name the participant (an open development "
                                    "gateway does not know who is calling)")
        require_acting_as(context, participant, "fetch the receipt of a submission")
        for stored in self.store.list_submissions(record.study_id):
            if stored.participant == participant:
                return study_pb2.SubmitResponse(receipt=stored.receipt, audit_leaf_index=stored.audit_leaf)
        raise NotFoundError(f"{participant!r} has no accepted submission to study {record.study_id} on this gateway "
                            "(nothing to recover: `zkgate holder submit` submits)")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _universal_key_message(key: UniversalKey, store: Store, already: bool = False) -> study_pb2.UniversalKey:
    r = key.record
    return study_pb2.UniversalKey(
        vk_hash=key.keys.vk_hash.hex(), transcript_hash=key.keys.transcript_hash.hex(), params_json=key.params_json,
        circuit_keys=key.keys.to_bytes(), zkey_sha256=r.zkey_blob, zkey_size=os.path.getsize(store.blob_path(r.zkey_blob)),
        dev_only=r.dev_only, already_registered=already, circuit_id=r.circuit_id)
