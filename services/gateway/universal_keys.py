"""Universal contribution keys registered once with the gateway (issue 21).

A schema's universal key (``zkgate schema circuit``, then a phase-2 ceremony) is registered once
(StudyService.RegisterUniversalKey); every later study over the schema names it by its
verifying-key hash and uploads neither keys nor proving key.  A registration is a row of the
circuits table (the ProverService's), named ``universal-key `` + the key's canonical parameters
(:func:`zkgate.study.universal_registry.params_json`), and an audit leaf ``universal_key``.  The
ProverService refuses that name prefix for its own uploads, so only a key checked here carries it.

What registration checks: the parameters parse; the .zkey reads; it had a phase-2 contribution
(``refuse_uncontributed``); outside dev mode it is not a development key and its ceremony transcript
verifies (:func:`zkgate.prover.ceremony.phase2.verify_transcript`: every contribution's proof of
knowledge, the chain ending at the key's delta; the phase-1 link needs the ``.ptau`` and stays with
``zkgate zkey verify``); and the key is one of the universal circuit of those parameters: the gateway
compiles that circuit and compares it with the key's coefficient section
(:func:`~services.gateway.servicers.prover.check_r1cs_matches_zkey`, the ProverService's comparison).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from zkgate.errors import InvalidInputError
from zkgate.prover.ceremony.phase2 import verify_transcript
from zkgate.prover.formats.snarkjs_json import verifying_key_to_json
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16.setup import is_dev_key
from zkgate.study.key_policy import refuse_uncontributed
from zkgate.study.keys import CircuitKeys
from zkgate.study.universal import UniversalParams
from zkgate.study.universal_circuit import compile_universal
from zkgate.study.universal_registry import params_from_json, params_json, params_mismatch

from ..errors import AlreadyExistsError, PreconditionError
from .servicers.prover import UNIVERSAL_PREFIX as PREFIX  # the row's name: PREFIX + canonical parameters
from .servicers.prover import check_r1cs_matches_zkey, is_universal_name
from .store import CircuitRecord, Store
from .store.integrity import stored_record


@dataclass(frozen=True)
class UniversalKey:
    """A registered universal key: its circuits-table row, parameters and public keys."""

    record: CircuitRecord
    params: UniversalParams
    keys: CircuitKeys  # public: verifying key and ceremony transcript

    @property
    def params_json(self) -> str:
        return self.record.name[len(PREFIX):]


class UniversalKeys:
    """The registry over the store's circuits table (each row parsed once per process)."""

    def __init__(self, store: Store, dev_mode: bool) -> None:
        self.store = store
        self.dev_mode = dev_mode
        self._parsed: dict[str, UniversalKey] = {}
        self._lock = threading.Lock()

    def _parse(self, record: CircuitRecord) -> UniversalKey:
        with self._lock:
            known = self._parsed.get(record.circuit_id)
        if known is None:
            with stored_record(f"the universal key {record.circuit_id} (circuits table)"):
                params = params_from_json(record.name[len(PREFIX):], "the registered parameters")
                keys = CircuitKeys.from_zkey(self.store.blob_path(record.zkey_blob)).public()
            known = UniversalKey(record, params, keys)
            with self._lock:
                self._parsed[record.circuit_id] = known
        return known

    def all(self) -> list[UniversalKey]:
        return [self._parse(r) for r in self.store.list_circuits() if is_universal_name(r.name)]

    def by_vk_hash(self, vk_hash: bytes) -> UniversalKey | None:
        for key in self.all():
            if key.keys.vk_hash == vk_hash:
                return key
        return None

    def for_study(self, spec) -> UniversalKey | None:
        """The registered key a universal study's spec names (by its vk hash), checked to have the
        spec's parameters and transcript; None when no registered key has that vk hash."""
        key = self.by_vk_hash(spec.vk_hash)
        if key is None:
            return None
        differences = params_mismatch(spec.universal, key.params)
        if differences:
            raise PreconditionError(
                f"the study names the registered universal key {spec.vk_hash.hex()} but its universal parameters "
                f"differ from the key's: {'; '.join(differences)}. A study over this key must use exactly its "
                "parameters (the JSON `zkgate schema circuit` printed for it; `zkgate gateway universal-keys` lists "
                "them), or register a key of its own parameters")
        if key.keys.transcript_hash != spec.transcript_hash:
            raise PreconditionError(
                f"the study names the registered universal key {spec.vk_hash.hex()} with another ceremony "
                f"transcript (hash {spec.transcript_hash.hex()}; the registered key's: "
                f"{key.keys.transcript_hash.hex()})")
        return key

    def register(self, text: str, zkey: bytes, registrant: str, audit_entry, check_deadline) -> tuple[UniversalKey, bool]:
        """Check and keep a key; returns it and whether it was registered already."""
        params = params_from_json(text, "UniversalKeyHeader.params_json")
        canonical = params_json(params)
        if not zkey:
            raise InvalidInputError("zkey_chunk: the upload holds no .zkey")
        circuit_id = hashlib.sha256(zkey).hexdigest()
        existing = self.store.get_circuit(circuit_id)
        if existing is not None:
            return self._same(existing, canonical), True
        blob = self.store.put_blob(zkey)
        path = self.store.blob_path(blob)
        try:
            pk = read_zkey(path)
        except InvalidInputError as exc:  # the message names the upload, not the gateway's blob file
            raise InvalidInputError(f"zkey_chunk: not a readable .zkey ({str(exc).replace(path, 'the upload')})") from exc
        keys = CircuitKeys.from_proving_key(pk)
        refuse_uncontributed(keys, "the universal key")
        dev = keys.is_dev or is_dev_key(pk)
        if dev and not self.dev_mode:
            raise PreconditionError(
                "the universal key comes from zkgate's DEVELOPMENT-ONLY setup (one party saw the toxic waste: its "
                "proofs can be forged); this gateway is not in dev mode. Run the phase-2 ceremony on the circuit "
                "`zkgate schema circuit` wrote and register the final key")
        if not dev:
            report = verify_transcript(path)
            if not report.ok:
                raise PreconditionError(
                    f"the universal key's ceremony transcript does not verify: {'; '.join(report.problems)}; register "
                    "the final .zkey of the phase-2 ceremony (`zkgate zkey verify` with the circuit and .ptau checks it)")
        check_deadline("compiling the universal circuit")
        try:
            check_r1cs_matches_zkey(compile_universal(params).r1cs, pk)
        except InvalidInputError as exc:
            raise InvalidInputError(
                "the .zkey is not a key of the universal circuit of these parameters (the gateway compiled it from "
                f"params_json): {str(exc).removeprefix('r1cs_chunk: ')}") from None
        record = CircuitRecord(
            circuit_id=circuit_id, name=PREFIX + canonical, n_public=pk.n_public, n_vars=pk.n_vars,
            domain_size=pk.domain_size, dev_only=dev, zkey_blob=blob, r1cs_blob=None,
            verification_key_json=json.dumps(verifying_key_to_json(pk.verifying_key)))
        audit = audit_entry("universal_key", circuit_id=circuit_id, vk_hash=keys.vk_hash.hex(),
                            transcript_hash=keys.transcript_hash.hex(),
                            params_sha256=hashlib.sha256(canonical.encode()).hexdigest(), zkey_sha256=blob,
                            dev_only=dev, registrant=registrant)
        try:
            stored = self.store.add_circuit(record, audit)
        except AlreadyExistsError:  # registered concurrently by another call
            existing = self.store.get_circuit(circuit_id)
            if existing is None:
                raise
            return self._same(existing, canonical), True
        return self._parse(stored), False

    def _same(self, existing: CircuitRecord, canonical: str) -> UniversalKey:
        if not is_universal_name(existing.name):
            raise AlreadyExistsError(
                f"this .zkey is already registered as circuit {existing.circuit_id} ({existing.name!r}) through "
                "ProverService.RegisterCircuit, and a registration never changes")
        if existing.name != PREFIX + canonical:
            raise AlreadyExistsError(
                f"this .zkey is already registered as a universal key with other parameters "
                f"({existing.name[len(PREFIX):]}); a registration never changes")
        return self._parse(existing)


__all__ = ["PREFIX", "UniversalKey", "UniversalKeys", "is_universal_name"]
