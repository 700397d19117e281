"""ProverService: register circuits (their .zkey), prove, verify, verify in batches."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from zkgate import safejson
from zkgate.circuits.builtin import BUILTIN_CIRCUITS, compile_builtin, parse_builtin_inputs
from zkgate.circuits.errors import UnsatisfiedConstraintError
from zkgate.circuits.r1cs import R1CS, limbs_to_ints
from zkgate.circuits.r1csfile import read_r1cs
from zkgate.circuits.wtnsfile import read_wtns
from zkgate.errors import FormatError, ZkgateError
from zkgate.prover.formats.snarkjs_json import verifying_key_to_json
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16 import verify as verification
from zkgate.prover.groth16.batch import verify_batch
from zkgate.prover.groth16.keys import ProvingKey
from zkgate.prover.groth16.prove import prove
from zkgate.prover.groth16.setup import dev_setup, is_dev_key

from ...errors import AlreadyExistsError, NotFoundError, PreconditionError
from ...v1 import prover_pb2, prover_pb2_grpc
from ...wire import proof_from_message, proof_to_message, verifying_key_from_message
from ..store import CircuitRecord, Store
from ..uploads import UploadLimits, receive_upload
from .audit import audit_entry
from .common import check_deadline, rpc

log = logging.getLogger("zkgate.services")

#: The circuits-table name prefix of a universal key registered through StudyService.RegisterUniversalKey
#: (services/gateway/universal_keys.py checks the key first); RegisterCircuit refuses it.
UNIVERSAL_PREFIX = "universal-key "


def is_universal_name(name: str) -> bool:
    return name.startswith(UNIVERSAL_PREFIX)


def _circuit_info(record: CircuitRecord, already_registered: bool = False) -> prover_pb2.CircuitInfo:
    return prover_pb2.CircuitInfo(
        already_registered=already_registered,
        circuit_id=record.circuit_id,
        name=record.name,
        n_public=record.n_public,
        n_vars=record.n_vars,
        domain_size=record.domain_size,
        has_r1cs=record.r1cs_blob is not None,
        dev_only=record.dev_only,
        builtin=_builtin_by_r1cs().get(record.r1cs_blob or "", ""),
    )


_BUILTIN_R1CS: dict[str, tuple[str, bytes]] = {}
_builtin_lock = threading.Lock()


def _builtin_r1cs(name: str) -> bytes:
    """The .r1cs bytes of a built-in circuit (compiled once per process)."""
    with _builtin_lock:
        if name not in _BUILTIN_R1CS:
            compiled = compile_builtin(name)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.r1cs"
                compiled.write_r1cs(path)
                _BUILTIN_R1CS[name] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.read_bytes())
        return _BUILTIN_R1CS[name][1]


def _builtin_by_r1cs() -> dict[str, str]:
    """r1cs SHA-256 -> built-in circuit name, for every built-in circuit."""
    for name in BUILTIN_CIRCUITS:
        _builtin_r1cs(name)
    return {digest: name for name, (digest, _) in _BUILTIN_R1CS.items()}


def read_upload(reader: Callable, data: bytes, field: str, suffix: str):
    """Parse an uploaded file with a path-based reader; errors name the upload field, never the
    server's temporary path."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            return reader(path)
        except ZkgateError as exc:
            message = str(exc).replace(str(path), f"the uploaded {suffix} ({field})").replace(tmp, "<upload>")
            raise FormatError(message) from exc


def check_r1cs_matches_zkey(r1cs: R1CS, key: ProvingKey) -> None:
    """Refuse a .r1cs that is not the circuit the .zkey was made for: wire, public-signal and
    constraint counts, then the (matrix, constraint, wire) layout of A and B, which a .zkey
    carries in its coefficient section (snarkjs and zkgate write it alike)."""
    where = "r1cs_chunk"
    if r1cs.n_wires != key.n_vars:
        raise verification.InvalidInputError(
            f"{where}: the .r1cs has {r1cs.n_wires} wires but the .zkey {key.n_vars}: they are different circuits; "
            "upload the .r1cs the key was set up from (or none)")
    if r1cs.n_public != key.n_public:
        raise verification.InvalidInputError(
            f"{where}: the .r1cs has {r1cs.n_public} public signals but the .zkey {key.n_public}: they are different "
            "circuits; upload the .r1cs the key was set up from (or none)")
    rows = r1cs.n_constraints + r1cs.n_public + 1
    if rows > key.domain_size:
        raise verification.InvalidInputError(
            f"{where}: the .r1cs has {r1cs.n_constraints} constraints, more than the .zkey's domain of "
            f"{key.domain_size} holds: they are different circuits")
    offsets = np.asarray(r1cs.lc_offsets, dtype=np.int64)
    lc_index = np.repeat(np.arange(3 * r1cs.n_constraints, dtype=np.int64), np.diff(offsets))
    kind = lc_index % 3
    keep = kind < 2
    public = np.arange(r1cs.n_public + 1, dtype=np.int64)
    expected = np.stack([
        np.concatenate([kind[keep], np.zeros_like(public)]),
        np.concatenate([lc_index[keep] // 3, r1cs.n_constraints + public]),
        np.concatenate([np.asarray(r1cs.lc_wires, dtype=np.int64)[keep], public]),
    ], axis=1)
    coefficients = key.coefficients
    actual = np.stack([coefficients["matrix"].astype(np.int64), coefficients["constraint"].astype(np.int64),
                       coefficients["signal"].astype(np.int64)], axis=1)
    if len(actual) != len(expected) or not np.array_equal(_sorted_rows(actual), _sorted_rows(expected)):
        raise verification.InvalidInputError(
            f"{where}: the .r1cs's constraints do not match the .zkey's coefficient section ({len(expected)} vs "
            f"{len(actual)} entries): they are different circuits with the same counts; upload the .r1cs the key "
            "was set up from (or none)")


def _sorted_rows(rows: np.ndarray) -> np.ndarray:
    return rows[np.lexsort(rows.T[::-1])] if len(rows) else rows


class ProverServicer(prover_pb2_grpc.ProverServiceServicer):
    def __init__(self, store: Store, limits: UploadLimits, dev_mode: bool = False) -> None:
        self.store = store
        self.limits = limits
        self.dev_mode = dev_mode
        self._keys: dict[str, ProvingKey] = {}
        self._prepared: dict[str, verification.PreparedVerifyingKey] = {}
        self._lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------
    def _record(self, circuit_id: str) -> CircuitRecord:
        record = self.store.get_circuit(circuit_id)
        if record is None:
            raise NotFoundError(f"no circuit {circuit_id!r} is registered (ListCircuits shows the known ones)")
        return record

    def _proving_key(self, circuit_id: str) -> ProvingKey:
        with self._lock:
            key = self._keys.get(circuit_id)
        if key is None:
            key = read_zkey(self.store.blob_path(self._record(circuit_id).zkey_blob))
            with self._lock:
                self._keys[circuit_id] = key
        return key

    def _prepared_key(self, request) -> verification.PreparedVerifyingKey:
        if request.WhichOneof("key") == "verification_key_json":
            return verification.prepare_verifying_key(verifying_key_from_message(request.verification_key_json))
        if request.WhichOneof("key") != "circuit_id":
            raise verification.InvalidInputError("give either circuit_id or verification_key_json")
        circuit_id = request.circuit_id
        with self._lock:
            prepared = self._prepared.get(circuit_id)
        if prepared is None:
            record = self._record(circuit_id)
            if record.dev_only and not self.dev_mode:
                raise PreconditionError(
                    f"circuit {circuit_id} has a development-only key (no phase-2 contribution, or zkgate's "
                    "dev setup); its proofs can be forged, so the gateway does not verify against it"
                )
            prepared = verification.prepare_verifying_key(self._proving_key(circuit_id).verifying_key)
            with self._lock:
                self._prepared[circuit_id] = prepared
        return prepared

    # -- RPCs ------------------------------------------------------------------------------
    @rpc
    def RegisterCircuit(self, request_iterator, context):
        header, payloads = receive_upload(
            request_iterator, "header", {"zkey_chunk": "zkey_size", "r1cs_chunk": "r1cs_size"}, self.limits
        )
        if is_universal_name(header.name):  # only StudyService.RegisterUniversalKey names a row so (it checks the key)
            raise verification.InvalidInputError(
                f"circuit name {header.name[:40]!r}...: names starting with {UNIVERSAL_PREFIX.strip()!r} are reserved "
                "for universal keys (StudyService.RegisterUniversalKey, `zkgate requester register-universal-key`)")
        if header.builtin:
            existing = self._register_builtin(header.builtin, payloads)
            if existing is not None:
                log.info("built-in circuit %s is already registered as %r (%s): returning that registration",
                         header.builtin, existing.name, existing.circuit_id)
                return _circuit_info(existing, already_registered=True)
        zkey_bytes = payloads["zkey_chunk"]
        if not zkey_bytes:
            raise verification.InvalidInputError("zkey_chunk: the upload holds no .zkey")
        circuit_id = hashlib.sha256(zkey_bytes).hexdigest()
        existing = self.store.get_circuit(circuit_id)
        if existing is not None:
            return _circuit_info(self._same_circuit(existing, payloads["r1cs_chunk"]), already_registered=True)
        key = read_upload(read_zkey, zkey_bytes, "zkey_chunk", ".zkey")  # every section checked before storing
        if payloads["r1cs_chunk"]:
            check_r1cs_matches_zkey(read_upload(read_r1cs, payloads["r1cs_chunk"], "r1cs_chunk", ".r1cs"), key)
        record = CircuitRecord(
            circuit_id=circuit_id,
            name=header.name or (f"builtin:{header.builtin}" if header.builtin else ""),
            n_public=key.n_public,
            n_vars=key.n_vars,
            domain_size=key.domain_size,
            dev_only=key.gamma2 == key.delta2 or is_dev_key(key),
            zkey_blob=self.store.put_blob(zkey_bytes),
            r1cs_blob=self.store.put_blob(payloads["r1cs_chunk"]) if payloads["r1cs_chunk"] else None,
            verification_key_json=json.dumps(verifying_key_to_json(key.verifying_key)),
        )
        audit = audit_entry("circuit", circuit_id=record.circuit_id, name=record.name, zkey_sha256=record.zkey_blob,
                            r1cs_sha256=record.r1cs_blob, n_public=record.n_public, dev_only=record.dev_only)
        return _circuit_info(self.store.add_circuit(record, audit))

    @staticmethod
    def _same_circuit(existing: CircuitRecord, r1cs: bytes) -> CircuitRecord:
        """An identical .zkey again (any name): the first registration, unless the .r1cs sent with it
        contradicts the stored one (a registration never changes)."""
        if r1cs:
            digest = hashlib.sha256(r1cs).hexdigest()
            if existing.r1cs_blob is None:
                raise AlreadyExistsError(
                    f"this .zkey is already registered as circuit {existing.circuit_id} ({existing.name!r}) without a "
                    ".r1cs, and a registration never changes; use that circuit as it is, or send the .zkey alone")
            if digest != existing.r1cs_blob:
                raise AlreadyExistsError(
                    f"this .zkey is already registered as circuit {existing.circuit_id} ({existing.name!r}) with "
                    f"another .r1cs (sha256 {existing.r1cs_blob}, yours {digest}); send the .zkey alone, or the "
                    "registered .r1cs")
        log.info("circuit %s is already registered as %r: returning that registration", existing.circuit_id, existing.name)
        return existing

    def _register_builtin(self, name: str, payloads: dict) -> CircuitRecord | None:
        """Fill ``payloads`` with a built-in circuit's .r1cs and a fresh development key, or
        return the circuit already registered for it (registration is idempotent)."""
        if payloads["zkey_chunk"] or payloads["r1cs_chunk"]:
            raise verification.InvalidInputError("give either a built-in circuit name or uploads, not both")
        if not self.dev_mode:
            raise PreconditionError(
                "built-in circuits get development keys, which only a gateway in dev mode accepts; "
                "in production run a ceremony on the circuit (zkgate groth16 setup, zkey contribute) and upload its .zkey"
            )
        r1cs = _builtin_r1cs(name)
        digest = hashlib.sha256(r1cs).hexdigest()
        for record in self.store.list_circuits():
            if record.r1cs_blob == digest:
                return record

        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the key is marked and reported dev_only
            (Path(tmp) / "c.r1cs").write_bytes(r1cs)
            dev_setup(Path(tmp) / "c.r1cs", Path(tmp) / "c.zkey")
            payloads["zkey_chunk"] = (Path(tmp) / "c.zkey").read_bytes()
        payloads["r1cs_chunk"] = r1cs
        return None

    @rpc
    def GetCircuit(self, request, context):
        return _circuit_info(self._record(request.circuit_id))

    @rpc
    def ListCircuits(self, request, context):
        return prover_pb2.ListCircuitsResponse(circuits=[_circuit_info(r) for r in self.store.list_circuits()])

    @rpc
    def GetVerificationKey(self, request, context):
        record = self._record(request.circuit_id)
        return prover_pb2.VerificationKey(circuit_id=record.circuit_id, verification_key_json=record.verification_key_json)

    @rpc
    def Prove(self, request_iterator, context):
        header, payloads = receive_upload(request_iterator, "header", {"wtns_chunk": "wtns_size"}, self.limits)
        key = self._proving_key(header.circuit_id)
        if header.inputs_json:
            if payloads["wtns_chunk"]:
                raise verification.InvalidInputError("give either inputs_json or a .wtns upload, not both")
            builtin = _builtin_by_r1cs().get(self._record(header.circuit_id).r1cs_blob or "")
            if builtin is None:
                raise PreconditionError(
                    f"circuit {header.circuit_id} is not a built-in circuit, so the gateway cannot compute its "
                    "witness: upload a .wtns instead"
                )
            inputs = parse_builtin_inputs(builtin, safejson.loads(header.inputs_json, "inputs_json"))
            try:
                witness = limbs_to_ints(compile_builtin(builtin).solve(inputs))
            except UnsatisfiedConstraintError as exc:  # the checks above should have caught it first
                raise verification.InvalidInputError(
                    f"inputs_json: these inputs admit no proof of the built-in circuit {builtin} (constraint "
                    f"{exc.index} fails); docs/gateway.md lists each built-in circuit's inputs and conditions") from exc
        else:
            if not payloads["wtns_chunk"]:
                raise verification.InvalidInputError("give the circuit's inputs (inputs_json, built-in circuits) or a .wtns upload")
            witness = limbs_to_ints(read_upload(read_wtns, payloads["wtns_chunk"], "wtns_chunk", ".wtns"))
        if len(witness) != key.n_vars:
            raise verification.InvalidInputError(
                f"the witness has {len(witness)} values but circuit {header.circuit_id} needs {key.n_vars}"
            )
        check_deadline(context, "proving")
        proof, public = prove(key, witness)
        return proof_to_message(proof, public)

    @rpc
    def Verify(self, request, context):
        prepared = self._prepared_key(request)
        public, proof = proof_from_message(request.proof)
        return prover_pb2.VerifyResponse(valid=verification.verify_prepared(prepared, public, proof))

    @rpc
    def VerifyBatch(self, request, context):
        prepared = self._prepared_key(request)
        items = [proof_from_message(p) for p in request.proofs]
        results = verify_batch(prepared, items)
        return prover_pb2.VerifyBatchResponse(valid=results)
