"""A data holder's home folder: its signing key, committed data sets and submissions.

Layout (secrets 0600 in a 0700 folder)::

    role.json                        role "holder", the organisation (participant name)
    signing.key                      Ed25519+ML-DSA-65 private key (85 bytes; a     SECRET
                                     32-byte Ed25519 key in homes made before
                                     hybrid signatures, still loaded)
    datasets/LABEL/dataset.json      schema, chunk capacity, root, size, dataset id (public)
    datasets/LABEL/records.npy       the records as committed (stored units)        SECRET
    datasets/LABEL/seed              the commitment's salt seed (32 bytes)          SECRET
    datasets/LABEL/registration.bin  the signed registration sent to the catalog
    studies/STUDY_ID/submission.bin  the signed submission, kept until it has a receipt
    studies/STUDY_ID/receipt.bin     the gateway's signed receipt (and receipt.json)
    circuit-keys/VK_HASH.zkey        a study's circuit key fetched from the gateway (public, checked)
    policy.json                      the disclosure policy, written by the holder (docs/disclosure.md)
    answered.json                    the studies answered, for the policy (services/parties/policy_home.py)

The records are kept as committed (not re-read from the CSV), so a later edit of the CSV cannot
make a contribution disagree with the registered root; loading recomputes the root and refuses
a data set whose files no longer match it.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkgate.safejson import parse_decimal, parse_integer
from zkgate.study.catalog import Registration, check_name
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Receipt, Submission

from .role_home import CorruptStateError, RoleHome, RoleHomeError, field_of

ROLE = "holder"
INIT_HINT = "zkgate holder init --home DIR --org NAME"
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_STUDY = re.compile(r"^[0-9a-f]{64}$")


def check_label(label: str) -> str:
    if not _LABEL.match(label or ""):
        raise RoleHomeError(f"data set name {label!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return label


def check_study_id(study_id: str) -> str:
    if not _STUDY.match(study_id or ""):
        raise RoleHomeError(f"study id {study_id!r}: expected 64 lowercase hex digits (as `zkgate requester create-study` prints)")
    return study_id


@dataclass(frozen=True)
class LocalDataset:
    """A committed data set as the holder keeps it."""

    label: str
    commitment: DatasetCommitment
    registration: Registration
    dataset_id: str

    @property
    def root(self) -> int:
        return self.registration.root

    def summary(self) -> dict:
        c = self.commitment
        return {"name": self.label, "dataset_id": self.dataset_id, "root": str(c.root), "records": len(c.dataset),
                "chunks": c.n_chunks, "chunk_capacity": c.capacity, "columns": list(c.schema.names)}


class HolderHome:
    """A data holder's local state (see the module docstring for the files)."""

    def __init__(self, home: RoleHome) -> None:
        self.home = home
        self.path = home.path
        self.org = check_name(field_of(home.info, "org", str, home.file("role.json")), "organisation")

    # -- creation ----------------------------------------------------------------------------
    @classmethod
    def init(cls, path, org: str) -> HolderHome:
        check_name(org, "organisation (--org)")
        home = RoleHome.create(path, ROLE, {"org": org})
        home.write_secret("signing.key", SigningKey.generate().raw)
        return cls(home)

    @classmethod
    def open(cls, path) -> HolderHome:
        return cls(RoleHome.open(path, ROLE, INIT_HINT))

    @property
    def signing_key(self) -> SigningKey:
        return self.home.decode("signing.key", "the organisation's signing key", SigningKey, secret=True,
                                missing_hint="it cannot be recreated: the catalog knows only its public half")

    # -- data sets ---------------------------------------------------------------------------
    def _dataset_dir(self, label: str) -> str:
        return f"datasets/{check_label(label)}"

    def has_dataset(self, label: str) -> bool:
        return self.home.file(self._dataset_dir(label), "dataset.json").exists()

    def save_dataset(self, label: str, commitment: DatasetCommitment, registration: Registration,
                     source: str) -> None:
        """Keep records, seed and registration before anything goes to the gateway."""
        d = self._dataset_dir(label)
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(commitment.dataset.stored), allow_pickle=False)
        self.home.write_secret(f"{d}/records.npy", buffer.getvalue())
        self.home.write_secret(f"{d}/seed", commitment.seed.to_bytes(32, "big"))
        self.home.write_public(f"{d}/registration.bin", registration.to_bytes())
        meta = {"name": label, "source": source, "schema": commitment.schema.to_obj(), "chunk_capacity": commitment.capacity,
                "root": str(commitment.root), "chunks": commitment.n_chunks, "records": len(commitment.dataset),
                "dataset_id": ""}
        self.home.write_public(f"{d}/dataset.json", (json.dumps(meta, indent=2) + "\n").encode())

    def mark_registered(self, label: str, dataset_id: str) -> None:
        d = self._dataset_dir(label)
        meta = self.home.read_json(f"{d}/dataset.json", "data set description")
        meta["dataset_id"] = dataset_id
        self.home.write_public(f"{d}/dataset.json", (json.dumps(meta, indent=2) + "\n").encode())

    def dataset_labels(self) -> list[str]:
        folder = self.home.file("datasets")
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "dataset.json").exists())

    def dataset_root(self, label: str) -> int:
        meta_path = self.home.file(self._dataset_dir(label), "dataset.json")
        meta = self.home.read_json(f"{self._dataset_dir(label)}/dataset.json", "data set description")
        try:
            return parse_decimal(field_of(meta, "root", str, meta_path), f"{meta_path}: field 'root'")
        except ValueError:
            raise CorruptStateError(f"{meta_path}: field 'root' is not a decimal number") from None

    def load_dataset(self, label: str) -> LocalDataset:
        d = self._dataset_dir(label)
        hint = f"register it again with `zkgate holder register-dataset --home {self.path} --name {label} ...`"
        meta_path = self.home.file(d, "dataset.json")
        meta = self.home.read_json(f"{d}/dataset.json", "data set description", missing_hint=hint)
        registration = self.home.decode(f"{d}/registration.bin", "the data set's registration", Registration.from_bytes,
                                        missing_hint=hint)
        seed = self.home.decode(f"{d}/seed", "the commitment's salt seed", _seed, secret=True, missing_hint=hint)
        stored = self.home.decode(f"{d}/records.npy", "the committed records", _records, secret=True, missing_hint=hint)
        capacity = field_of(meta, "chunk_capacity", int, meta_path)
        try:
            commitment = DatasetCommitment(Dataset(registration.schema, stored), capacity, seed)
        except Exception as exc:  # noqa: BLE001 - any failure here means damaged files
            raise CorruptStateError(f"{self.home.file(d)}: the stored records do not load ({exc})") from exc
        if commitment.root != registration.root or registration.participant != self.org:
            raise CorruptStateError(
                f"{self.home.file(d)}: the stored records and seed no longer give the registered root "
                "(a file was changed); this data set cannot contribute"
            )
        return LocalDataset(label, commitment, registration, str(meta.get("dataset_id", "")))

    def dataset_with_root(self, root: int) -> LocalDataset | None:
        for label in self.dataset_labels():
            if self.dataset_root(label) == root:
                return self.load_dataset(label)
        return None

    # -- circuit keys fetched from the gateway -------------------------------------------------
    def circuit_key_path(self, vk_hash_hex: str) -> Path:
        """Where a study's fetched circuit key is cached (public; shared by studies with the same key)."""
        if not re.fullmatch(r"[0-9a-f]{64}", vk_hash_hex):
            raise RoleHomeError(f"not a verifying-key hash: {vk_hash_hex!r}")
        folder = self.home.file("circuit-keys")
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder / f"{vk_hash_hex}.zkey"

    # -- submissions and receipts -------------------------------------------------------------
    def _study_dir(self, study_id: str) -> str:
        return f"studies/{check_study_id(study_id)}"

    def pending_submission(self, study_id: str) -> Submission | None:
        relative = f"{self._study_dir(study_id)}/submission.bin"
        if not self.home.file(relative).exists():
            return None
        return self.home.decode(relative, "the kept submission", Submission.from_bytes, secret=True)

    def save_submission(self, study_id: str, submission: Submission) -> None:
        self.home.write_secret(f"{self._study_dir(study_id)}/submission.bin", submission.to_bytes())

    def discard_submission(self, study_id: str) -> None:
        self.home.file(self._study_dir(study_id), "submission.bin").unlink(missing_ok=True)

    def receipt(self, study_id: str) -> Receipt | None:
        relative = f"{self._study_dir(study_id)}/receipt.bin"
        if not self.home.file(relative).exists():
            return None
        return self.home.decode(relative, "the gateway's receipt", Receipt.from_bytes)

    def save_receipt(self, study_id: str, receipt: Receipt, audit_leaf: int) -> Path:
        d = self._study_dir(study_id)
        path = self.home.write_public(f"{d}/receipt.bin", receipt.to_bytes())
        self.home.write_public(f"{d}/receipt.json", (json.dumps(receipt_summary(receipt, audit_leaf), indent=2) + "\n").encode())
        return path


def receipt_summary(receipt: Receipt, audit_leaf: int | None = None) -> dict:
    out = {"study_id": f"{receipt.study_id:064x}", "participant": receipt.participant,
           "submission_id": receipt.submission_id.hex(), "submission_digest": receipt.submission_digest.hex(),
           "sequence": receipt.sequence, "accepted_at": receipt.accepted_at, "signature": receipt.signature.hex(),
           "version": receipt.version}
    if receipt.batch_size:  # version 3: signed with the rest of its group commit (docs/messages.md §8)
        out.update(batch_size=receipt.batch_size, leaf_index=receipt.leaf_index, path=[x.hex() for x in receipt.path])
    if audit_leaf is not None:
        out["audit_leaf_index"] = audit_leaf
    return out


def _seed(data: bytes) -> int:
    if len(data) != 32:
        raise ValueError(f"expected 32 bytes, found {len(data)}")
    return int.from_bytes(data, "big")


def _records(data: bytes) -> np.ndarray:
    array = np.load(io.BytesIO(data), allow_pickle=False)
    if array.ndim != 2 or array.dtype != np.int64:
        raise ValueError("expected a 2-D int64 array")
    return array


def parse_column(text: str) -> tuple[str, int, int]:
    """``NAME:MIN:MAX`` (a column on the command line)."""
    parts = text.rsplit(":", 2)
    try:
        name, lo, hi = parts
        return name, parse_integer(lo, "--column MIN"), parse_integer(hi, "--column MAX")
    except ValueError:
        raise RoleHomeError(f"--column {text!r}: expected NAME:MIN:MAX with integer bounds, e.g. age:18:90") from None


__all__ = ["HolderHome", "LocalDataset", "check_label", "check_study_id", "parse_column", "receipt_summary"]
