"""ProverService: register circuits (their .zkey), prove, verify, verify in batches."""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import warnings
from pathlib import Path

from zkgate.circuits.builtin import BUILTIN_CIRCUITS, compile_builtin
from zkgate.circuits.r1cs import limbs_to_ints
from zkgate.circuits.wtnsfile import read_wtns
from zkgate.prover import verify as verification
from zkgate.prover.keys import ProvingKey
from zkgate.prover.prove import prove
from zkgate.prover.setup import is_dev_key
from zkgate.prover.snarkjs_json import verifying_key_to_json
from zkgate.prover.zkey import read_zkey
from zkgate.services.errors import NotFoundError, PreconditionError
from zkgate.services.servicers.audit import audit_entry
from zkgate.services.servicers.common import (
    check_deadline,
    proof_from_message,
    proof_to_message,
    rpc,
    verifying_key_from_message,
)
from zkgate.services.store import CircuitRecord, Store
from zkgate.services.uploads import UploadLimits, receive_upload
from zkgate.services.v1 import prover_pb2, prover_pb2_grpc


def _circuit_info(record: CircuitRecord) -> prover_pb2.CircuitInfo:
    return prover_pb2.CircuitInfo(
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


def _parse_inputs(text: str) -> dict:
    """Circuit inputs from JSON: name -> decimal string/int, or a list of them."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise verification.InvalidInputError(f"inputs_json: not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise verification.InvalidInputError("inputs_json: expected a JSON object of input names")

    def number(value, where):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and not value.isdigit()):
            raise verification.InvalidInputError(f"inputs_json.{where}: expected a non-negative decimal integer")
        return int(value)

    return {
        name: [number(v, f"{name}[{i}]") for i, v in enumerate(value)] if isinstance(value, list) else number(value, name)
        for name, value in raw.items()
    }


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
        if header.builtin:
            existing = self._register_builtin(header.builtin, payloads)
            if existing is not None:
                return _circuit_info(existing)
        zkey_bytes = payloads["zkey_chunk"]
        if not zkey_bytes:
            raise verification.InvalidInputError("the upload holds no .zkey")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{header.name or 'circuit'}.zkey"
            path.write_bytes(zkey_bytes)
            key = read_zkey(path)  # validates every section before anything is stored
        if payloads["r1cs_chunk"]:
            from zkgate.circuits.r1csfile import read_r1cs

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "circuit.r1cs"
                path.write_bytes(payloads["r1cs_chunk"])
                read_r1cs(path)
        record = CircuitRecord(
            circuit_id=hashlib.sha256(zkey_bytes).hexdigest(),
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
        from zkgate.prover.setup import dev_setup

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
            witness = limbs_to_ints(compile_builtin(builtin).solve(_parse_inputs(header.inputs_json)))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "witness.wtns"
                path.write_bytes(payloads["wtns_chunk"])
                witness = limbs_to_ints(read_wtns(path))
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
        try:
            from zkgate.prover.batch import verify_batch
        except ImportError:  # batch verification not available: verify one by one
            results = [verification.verify_prepared(prepared, public, proof) for public, proof in items]
        else:
            results = verify_batch(prepared, items)
        return prover_pb2.VerifyBatchResponse(valid=results)
