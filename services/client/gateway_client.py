"""Typed Python client of the zkgate gateway (methods over the generated stubs).

Errors come back as :class:`GatewayCallError` with the gRPC status code and the server's message.
With ``tls=ClientTls.from_dir(folder, "hospital-a")`` the client speaks mutual TLS with the
organisation's certificate; with ``token=...`` it sends a bearer token (non-TLS localhost gateways).

Uploads are sent in chunks of the size the gateway advertises (GetGatewayInfo: chunk_size, asked
once per client), and an upload the gateway refuses because all its upload slots are busy
(RESOURCE_EXHAUSTED with the ``zkgate-retry-after-ms`` trailer) is retried a few times.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import grpc

from zkgate import safejson
from zkgate.audit import MerkleLog, SignedTreeHead, verify_consistency, verify_inclusion, verify_tree_head
from zkgate.audit.merkle import leaf_hash
from zkgate.errors import ZkgateError
from zkgate.prover.formats.snarkjs_json import verifying_key_from_json
from zkgate.prover.groth16.keys import Proof, VerifyingKey

from ..v1 import (
    audit_pb2,
    audit_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    common_pb2,
    prover_pb2,
    prover_pb2_grpc,
    study_pb2,
    study_pb2_grpc,
)
from ..wire import (
    DEFAULT_CHUNK_SIZE,
    RETRY_AFTER_KEY,
    AuditEntry,
    audit_entry_from_message,
    chunked,
    proof_from_message,
    proof_to_message,
    tree_head_from_message,
)
from .targets import channel_target
from .tls import BearerTokenInterceptor, ClientTls


class KeyDownloadError(ZkgateError):
    """A downloaded proving key is incomplete or differs from what the gateway announced."""


class GatewayCallError(ZkgateError):
    """An RPC the gateway refused; ``code`` is the grpc.StatusCode."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.details = message


def _call(method, *args, **kwargs):
    try:
        return method(*args, **kwargs)
    except grpc.RpcError as exc:
        raise GatewayCallError(exc.code(), exc.details() or "") from exc


UPLOAD_ATTEMPTS = 8


def _retry_after_seconds(exc: grpc.RpcError) -> float | None:
    """The pause a busy gateway asks for (its upload slots were all taken), or None."""
    if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
        return None
    for key, value in getattr(exc, "trailing_metadata", lambda: None)() or ():
        if key == RETRY_AFTER_KEY and str(value).isascii() and str(value).isdigit():
            return min(int(value), 5000) / 1000
    return None


def _upload(method, make_messages: Callable[[], Iterator], timeout: float, spread: bool = False):
    """A client-streaming call, retried (fresh messages each time) while the gateway says it is busy,
    and, with several gateway processes (``spread``), when the one serving it went away (UNAVAILABLE:
    round-robin sends the retry to another; uploads are idempotent, so a retry of one that was
    stored gets the original answer)."""
    for attempt in range(UPLOAD_ATTEMPTS):
        try:
            return method(make_messages(), timeout=timeout)
        except grpc.RpcError as exc:
            pause = _retry_after_seconds(exc)
            if pause is None and spread and exc.code() == grpc.StatusCode.UNAVAILABLE:
                pause = 0.05
            if pause is None or attempt == UPLOAD_ATTEMPTS - 1:
                raise GatewayCallError(exc.code(), exc.details() or "") from exc
            time.sleep(pause * (attempt + 1))
    raise AssertionError("unreachable")


class GatewayClient:
    """``address``: one gateway ``HOST:PORT``, several processes serving one store
    (``HOST:PORT,HOST:PORT`` or a list: calls spread round-robin, and an upload cut off by a
    process that went away is sent again to another: every upload is idempotent), or
    ``dns:///NAME:PORT`` (every address of the name); see :mod:`zkgate.services.client.targets`."""

    def __init__(self, address: str | Sequence[str], timeout: float = 120.0, max_message_bytes: int = 8 << 20,
                 tls: ClientTls | None = None, token: str | None = None) -> None:
        self.address = address if isinstance(address, str) else ",".join(address)
        self.timeout = timeout
        target = channel_target(address)
        self._spread = target.spread
        options = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            *target.options(),
        ]
        if tls is not None:
            if tls.server_name:
                options.append(("grpc.ssl_target_name_override", tls.server_name))
            self.channel = grpc.secure_channel(target.target, tls.channel_credentials(), options=options)
        else:
            self.channel = grpc.insecure_channel(target.target, options=options)
        self._raw_channel = self.channel
        if token:
            self.channel = grpc.intercept_channel(self.channel, BearerTokenInterceptor(token))
        self.prover = prover_pb2_grpc.ProverServiceStub(self.channel)
        self.audit = audit_pb2_grpc.AuditServiceStub(self.channel)
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(self.channel)
        self.study = study_pb2_grpc.StudyServiceStub(self.channel)
        self._chunk_size: int | None = None

    @property
    def chunk_size(self) -> int:
        """Upload chunk size: the one the gateway advertises (asked once; DEFAULT_CHUNK_SIZE from a
        gateway that advertises none)."""
        if self._chunk_size is None:
            self._chunk_size = self.gateway_info().chunk_size or DEFAULT_CHUNK_SIZE
        return self._chunk_size

    def close(self) -> None:
        self._raw_channel.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- prover ------------------------------------------------------------------------------
    def register_circuit(self, zkey: bytes, r1cs: bytes = b"", name: str = "") -> prover_pb2.CircuitInfo:
        """Upload a .zkey (and optionally its .r1cs); ``already_registered`` in the reply says the same
        .zkey was registered before (the reply then carries that registration's name)."""
        size = self.chunk_size

        def messages():
            yield prover_pb2.CircuitUpload(
                header=prover_pb2.CircuitHeader(name=name, zkey_size=len(zkey), r1cs_size=len(r1cs))
            )
            for piece in chunked(zkey, size):
                yield prover_pb2.CircuitUpload(zkey_chunk=piece)
            for piece in chunked(r1cs, size):
                yield prover_pb2.CircuitUpload(r1cs_chunk=piece)

        return _upload(self.prover.RegisterCircuit, messages, self.timeout, self._spread)

    def register_builtin_circuit(self, builtin: str, name: str = "") -> prover_pb2.CircuitInfo:
        """Register one of zkgate's built-in circuits (dev-mode gateways: development keys)."""
        header = prover_pb2.CircuitHeader(name=name, builtin=builtin)
        return _upload(self.prover.RegisterCircuit, lambda: iter([prover_pb2.CircuitUpload(header=header)]), self.timeout, self._spread)

    def prove_inputs(self, circuit_id: str, inputs: dict) -> tuple[Proof, list[int]]:
        """Prove with a built-in circuit from its inputs (the gateway computes the witness)."""
        def as_json(value):
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)

        header = prover_pb2.ProveHeader(
            circuit_id=circuit_id, inputs_json=json.dumps({k: as_json(v) for k, v in inputs.items()})
        )
        reply = _upload(self.prover.Prove, lambda: iter([prover_pb2.ProveUpload(header=header)]), self.timeout, self._spread)
        public, proof = proof_from_message(reply)
        return proof, public

    def register_circuit_files(self, zkey_path: str | Path, r1cs_path: str | Path | None = None, name: str = ""):
        r1cs = Path(r1cs_path).read_bytes() if r1cs_path else b""
        return self.register_circuit(Path(zkey_path).read_bytes(), r1cs, name or Path(zkey_path).stem)

    def get_circuit(self, circuit_id: str) -> prover_pb2.CircuitInfo:
        return _call(self.prover.GetCircuit, prover_pb2.CircuitRef(circuit_id=circuit_id), timeout=self.timeout)

    def list_circuits(self) -> list[prover_pb2.CircuitInfo]:
        return list(_call(self.prover.ListCircuits, prover_pb2.ListCircuitsRequest(), timeout=self.timeout).circuits)

    def verification_key(self, circuit_id: str) -> VerifyingKey:
        reply = _call(self.prover.GetVerificationKey, prover_pb2.CircuitRef(circuit_id=circuit_id), timeout=self.timeout)
        return verifying_key_from_json(safejson.loads(reply.verification_key_json, "verification key from the gateway"),
                                       "verification key from the gateway")

    def prove(self, circuit_id: str, wtns: bytes) -> tuple[Proof, list[int]]:
        size = self.chunk_size

        def messages():
            yield prover_pb2.ProveUpload(header=prover_pb2.ProveHeader(circuit_id=circuit_id, wtns_size=len(wtns)))
            for piece in chunked(wtns, size):
                yield prover_pb2.ProveUpload(wtns_chunk=piece)

        public, proof = proof_from_message(_upload(self.prover.Prove, messages, self.timeout, self._spread))
        return proof, public

    @staticmethod
    def _proof_message(public: list[int], proof: Proof) -> common_pb2.Groth16Proof:
        return proof_to_message(proof, public)

    def verify(self, circuit_id: str, public: list[int], proof: Proof) -> bool:
        request = prover_pb2.VerifyRequest(circuit_id=circuit_id, proof=self._proof_message(public, proof))
        return _call(self.prover.Verify, request, timeout=self.timeout).valid

    def verify_batch(self, circuit_id: str, items: list[tuple[list[int], Proof]]) -> list[bool]:
        request = prover_pb2.VerifyBatchRequest(
            circuit_id=circuit_id, proofs=[self._proof_message(public, proof) for public, proof in items]
        )
        return list(_call(self.prover.VerifyBatch, request, timeout=self.timeout).valid)

    # -- catalog ------------------------------------------------------------------------------
    def register_dataset(self, registration: bytes) -> catalog_pb2.Dataset:
        request = catalog_pb2.RegisterDatasetRequest(registration=registration)
        return _call(self.catalog.RegisterDataset, request, timeout=self.timeout)

    def get_dataset(self, dataset_id: str) -> catalog_pb2.Dataset:
        return _call(self.catalog.GetDataset, catalog_pb2.DatasetRef(dataset_id=dataset_id), timeout=self.timeout)

    def list_datasets(self, owner: str = "") -> list[catalog_pb2.Dataset]:
        reply = _call(self.catalog.ListDatasets, catalog_pb2.ListDatasetsRequest(owner=owner), timeout=self.timeout)
        return list(reply.datasets)

    def publish_schema(self, name: str, schema_json: str) -> catalog_pb2.PublishedSchema:
        request = catalog_pb2.PublishSchemaRequest(name=name, schema_json=schema_json)
        return _call(self.catalog.PublishSchema, request, timeout=self.timeout)

    def get_schema(self, name: str) -> catalog_pb2.PublishedSchema:
        return _call(self.catalog.GetSchema, catalog_pb2.SchemaRef(name=name), timeout=self.timeout)

    def list_schemas(self) -> list[catalog_pb2.PublishedSchema]:
        return list(_call(self.catalog.ListSchemas, catalog_pb2.ListSchemasRequest(), timeout=self.timeout).schemas)

    # -- studies ------------------------------------------------------------------------------
    def gateway_info(self) -> study_pb2.GatewayInfo:
        return _call(self.study.GetGatewayInfo, study_pb2.GetGatewayInfoRequest(), timeout=self.timeout)

    def create_study(self, spec: bytes, circuit_keys: bytes, public_context: bytes,
                     proving_key: bytes = b"") -> study_pb2.Study:
        """Open a study; ``proving_key`` (the .zkey, public) lets holders fetch it with GetProvingKey."""
        size = self.chunk_size

        def messages():
            yield study_pb2.StudyUpload(
                header=study_pb2.StudyHeader(
                    spec_size=len(spec), keys_size=len(circuit_keys), context_size=len(public_context),
                    proving_key_size=len(proving_key),
                )
            )
            for field, data in (("spec_chunk", spec), ("keys_chunk", circuit_keys), ("context_chunk", public_context),
                                ("proving_key_chunk", proving_key)):
                for piece in chunked(data, size):
                    yield study_pb2.StudyUpload(**{field: piece})

        return _upload(self.study.CreateStudy, messages, self.timeout, self._spread)

    def register_universal_key(self, params_json: str, zkey: bytes) -> study_pb2.UniversalKey:
        """Register a schema's universal key once (issue 21); ``already_registered`` in the reply says
        the same .zkey with the same parameters was registered before."""
        size = self.chunk_size

        def messages():
            yield study_pb2.UniversalKeyUpload(
                header=study_pb2.UniversalKeyHeader(zkey_size=len(zkey), params_json=params_json))
            for piece in chunked(zkey, size):
                yield study_pb2.UniversalKeyUpload(zkey_chunk=piece)

        return _upload(self.study.RegisterUniversalKey, messages, max(self.timeout, 600.0), self._spread)

    def list_universal_keys(self) -> list[study_pb2.UniversalKey]:
        return list(_call(self.study.ListUniversalKeys, study_pb2.ListUniversalKeysRequest(), timeout=self.timeout).keys)

    def get_study(self, study_id: str) -> study_pb2.Study:
        return _call(self.study.GetStudy, study_pb2.StudyRef(study_id=study_id), timeout=self.timeout)

    def list_studies(self) -> list[study_pb2.Study]:
        return list(_call(self.study.ListStudies, study_pb2.ListStudiesRequest(), timeout=self.timeout).studies)

    def _download(self, method, study_id: str) -> bytes:
        try:
            return b"".join(chunk.data for chunk in method(study_pb2.StudyRef(study_id=study_id), timeout=self.timeout))
        except grpc.RpcError as exc:
            raise GatewayCallError(exc.code(), exc.details() or "") from exc

    def public_context(self, study_id: str) -> bytes:
        return self._download(self.study.GetPublicContext, study_id)

    def download_proving_key(self, study_id: str, destination: str | Path, on_header=lambda size: None,
                             on_chunk=lambda n: None) -> str:
        """Stream the study's .zkey into ``destination`` (written beside it, renamed when complete);
        the size and SHA-256 the gateway announced are checked.  Returns the SHA-256 (hex).
        ``on_header(size)`` and ``on_chunk(bytes)`` report progress."""
        destination = Path(destination)
        partial = destination.with_name(destination.name + ".part")
        digest, received, header = hashlib.sha256(), 0, None
        try:
            stream = self.study.GetProvingKey(study_pb2.StudyRef(study_id=study_id), timeout=max(self.timeout, 3600.0))
            with open(partial, "wb") as handle:
                for part in stream:
                    kind = part.WhichOneof("part")
                    if kind == "header" and header is None:
                        header = part.header
                        on_header(header.size)
                    elif kind == "chunk" and header is not None:
                        received += len(part.chunk)
                        if received > header.size:
                            raise KeyDownloadError(f"the gateway sent more than the {header.size} bytes it announced "
                                                   f"for study {study_id}'s proving key")
                        digest.update(part.chunk)
                        handle.write(part.chunk)
                        on_chunk(len(part.chunk))
                    else:
                        raise KeyDownloadError(f"the gateway's proving-key stream for study {study_id} is malformed "
                                               f"(unexpected {kind!r} message)")
                handle.flush()
                os.fsync(handle.fileno())
            if header is None or received != header.size or digest.hexdigest() != header.sha256:
                raise KeyDownloadError(
                    f"the proving key of study {study_id} arrived incomplete or altered ({received} bytes, sha256 "
                    f"{digest.hexdigest()}; announced {header.size if header else '?'} bytes, sha256 "
                    f"{header.sha256 if header else '?'}): run the command again"
                )
            os.replace(partial, destination)
        except grpc.RpcError as exc:
            raise GatewayCallError(exc.code(), exc.details() or "") from exc
        finally:
            partial.unlink(missing_ok=True)
        return digest.hexdigest()

    def submit(self, study_id: str, submission: bytes) -> tuple[bytes, int]:
        """Returns the gateway's signed receipt (canonical bytes) and the audit leaf index."""
        size = self.chunk_size

        def messages():
            yield study_pb2.SubmissionUpload(
                header=study_pb2.SubmissionHeader(study_id=study_id, submission_size=len(submission))
            )
            for piece in chunked(submission, size):
                yield study_pb2.SubmissionUpload(submission_chunk=piece)

        reply = _upload(self.study.Submit, messages, self.timeout, self._spread)
        return reply.receipt, reply.audit_leaf_index

    def close_study(self, study_id: str) -> study_pb2.Study:
        return _call(self.study.CloseStudy, study_pb2.StudyRef(study_id=study_id), timeout=self.timeout)

    def aggregate(self, study_id: str) -> bytes:
        return self._download(self.study.GetAggregate, study_id)

    def publish_release(self, study_id: str, release: bytes) -> study_pb2.Study:
        request = study_pb2.PublishReleaseRequest(study_id=study_id, release=release)
        return _call(self.study.PublishRelease, request, timeout=self.timeout)

    def release(self, study_id: str) -> tuple[bytes, dict]:
        reply = _call(self.study.GetRelease, study_pb2.StudyRef(study_id=study_id), timeout=self.timeout)
        return reply.release, safejson.loads(reply.statistics_json, "released statistics from the gateway")

    def public_record(self, study_id: str) -> bytes:
        return self._download(self.study.GetPublicRecord, study_id)

    def verify_study(self, study_id: str) -> study_pb2.VerificationReport:
        return _call(self.study.VerifyStudy, study_pb2.StudyRef(study_id=study_id), timeout=self.timeout)

    def cancel_study(self, study_id: str, reason: str) -> study_pb2.Study:
        """End a study that cannot finish (its requester or an admin); the same reason again is a no-op."""
        request = study_pb2.CancelStudyRequest(study_id=study_id, reason=reason)
        return _call(self.study.CancelStudy, request, timeout=self.timeout)

    def my_receipt(self, study_id: str, participant: str = "") -> tuple[bytes, int]:
        """The gateway-signed receipt of this participant's accepted submission and its audit leaf
        (``participant`` defaults to the caller's organisation; an open dev gateway needs it)."""
        request = study_pb2.GetMyReceiptRequest(study_id=study_id, participant=participant)
        reply = _call(self.study.GetMyReceipt, request, timeout=self.timeout)
        return reply.receipt, reply.audit_leaf_index

    # -- audit log ----------------------------------------------------------------------------
    def tree_head(self, pinned_log_key: bytes | None = None, *, require_pq: bool = False) -> tuple[SignedTreeHead, bytes]:
        """The gateway's signed tree head, its signature checked (against the pinned key if given;
        both halves of a hybrid key; ``require_pq`` refuses a classical Ed25519-only log key)."""
        reply = _call(self.audit.GetTreeHead, audit_pb2.GetTreeHeadRequest(), timeout=self.timeout)
        head, key = tree_head_from_message(reply)
        if pinned_log_key is not None and key != pinned_log_key:
            raise ZkgateError("the gateway's log key differs from the pinned one")
        verify_tree_head(head, pinned_log_key or key, require_pq=require_pq)
        return head, key

    def audit_entries(self, start: int, end: int) -> list[AuditEntry]:
        entries: list[AuditEntry] = []
        while start < end:
            stop = min(end, start + 1000)
            reply = _call(self.audit.GetEntries, audit_pb2.GetEntriesRequest(start=start, end=stop), timeout=self.timeout)
            entries.extend(audit_entry_from_message(e) for e in reply.entries)
            start = stop
        return entries

    def check_inclusion(self, entry: AuditEntry, index: int, head: SignedTreeHead) -> None:
        """Raise ProofError unless ``entry`` is leaf ``index`` of the tree ``head`` signs."""
        reply = _call(
            self.audit.GetInclusionProof,
            audit_pb2.InclusionProofRequest(leaf_index=index, tree_size=head.tree_size),
            timeout=self.timeout,
        )
        verify_inclusion(leaf_hash(entry.leaf_bytes()), index, head.tree_size, list(reply.path), head.root)

    def check_consistency(self, old: SignedTreeHead, new: SignedTreeHead) -> None:
        """Raise ProofError unless the tree ``old`` signs is a prefix of the tree ``new`` signs."""
        reply = _call(
            self.audit.GetConsistencyProof,
            audit_pb2.ConsistencyProofRequest(first_size=old.tree_size, second_size=new.tree_size),
            timeout=self.timeout,
        )
        verify_consistency(old.tree_size, new.tree_size, old.root, new.root, list(reply.path))

    def verify_whole_log(self, pinned_log_key: bytes | None = None, *,
                         require_pq: bool = False) -> tuple[SignedTreeHead, list[AuditEntry]]:
        """Fetch every entry, rebuild the tree locally and check it against the signed head."""
        head, _ = self.tree_head(pinned_log_key, require_pq=require_pq)
        entries = self.audit_entries(0, head.tree_size)
        log = MerkleLog()
        for entry in entries:
            log.append(entry.leaf_bytes())
        if log.size != head.tree_size or log.root() != head.root:
            raise ZkgateError(
                f"the log's entries do not rebuild the signed root (size {log.size} vs {head.tree_size})"
            )
        return head, entries
