"""The catalog: signed registrations of data sets (schema, chunk capacity, root) and keys.

A :class:`Registration` is signed by the participant's own key (whose public part it carries:
the catalog is where participants' keys travel; specs name them by hash, see
:func:`zkgate.study.identity.key_ref`).  A hybrid key (Ed25519 + ML-DSA-65) makes a version-2
registration with a hybrid signature; a classical Ed25519 key's version-1 registrations (the
release before hybrid keys) still load.  The catalog is a plain mapping from participant name to
registration and can be saved and loaded as bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate.study import encoding as enc
from zkgate.study.commitment import DatasetCommitment, check_capacity
from zkgate.study.dataset import Schema
from zkgate.study.errors import MessageFormatError, SpecError
from zkgate.study.identity import (
    HYBRID_PUBLIC_KEY_BYTES,
    PUBLIC_KEY_BYTES,
    SigningKey,
    key_ref,
    signature_length,
    verify_signature,
)

KIND = "registration"
LABEL = "registration"
VERSIONS = (1, 2)  # 1: classical Ed25519 key and signature, 2: hybrid Ed25519+ML-DSA-65


def check_name(name: str, what: str = "participant name") -> str:
    if type(name) is not str or not 0 < len(name.encode()) <= 128 or not name.isprintable():
        raise SpecError(f"{what} must be 1..128 bytes of printable text, got {name!r}")
    return name


@dataclass(frozen=True)
class Registration:
    """A participant's data set in the catalog."""

    participant: str
    schema: Schema
    capacity: int
    n_chunks: int
    root: int
    verify_key: bytes
    signature: bytes = b""

    LABEL = LABEL  # the signature label of registrations

    @property
    def version(self) -> int:
        return 2 if len(self.verify_key) == HYBRID_PUBLIC_KEY_BYTES else 1

    @property
    def key_ref(self) -> bytes:
        """How a study spec names this participant's key."""
        return key_ref(self.verify_key)

    def body(self) -> list:
        return enc.header(KIND, self.version) + [self.participant, self.schema.to_obj(), self.capacity, self.n_chunks,
                                   enc.fe_bytes(self.root), self.verify_key]

    def signed_bytes(self) -> bytes:
        return enc.pack(self.body())

    def to_bytes(self) -> bytes:
        return enc.pack(self.body() + [self.signature])

    @classmethod
    def from_bytes(cls, data: bytes) -> Registration:
        version, items = enc.unpack_versioned(data, KIND, VERSIONS)
        if len(items) != 7:
            raise MessageFormatError(f"{KIND}: expected 7 items")
        reg = cls(
            enc.read_str(items[0], "participant", 128),
            Schema.from_obj(items[1]),
            enc.read_int(items[2], "capacity", 1, 1 << 16),
            enc.read_int(items[3], "n_chunks", 1, 1 << 32),
            enc.read_fe(items[4], "root"),
            enc.read_bytes(items[5], "verify_key", PUBLIC_KEY_BYTES if version == 1 else HYBRID_PUBLIC_KEY_BYTES),
            enc.read_bytes(items[6], "signature", signature_length(version)),
        )
        enc.check_canonical(data, reg, KIND)
        return reg

    @classmethod
    def create(cls, participant: str, commitment: DatasetCommitment, key: SigningKey) -> Registration:
        check_name(participant)
        check_capacity(commitment.capacity)
        unsigned = cls(participant, commitment.schema, commitment.capacity, commitment.n_chunks, commitment.root,
                       key.public)
        return cls(**{**unsigned.__dict__, "signature": key.sign(unsigned.signed_bytes(), LABEL)})

    def verify(self, *, require_pq: bool = False) -> str:
        """Check the signature under the key the registration carries; returns the algorithms."""
        return verify_signature(self.verify_key, self.signed_bytes(), self.signature,
                                f"the registration of {self.participant!r}", label=LABEL, require_pq=require_pq)


class Catalog:
    """Registrations by participant name (no global state; persist with to_bytes/from_bytes)."""

    def __init__(self, registrations=()) -> None:
        self._regs: dict[str, Registration] = {}
        for r in registrations:
            self.register(r)

    def register(self, reg: Registration) -> None:
        reg.verify()
        if reg.participant in self._regs and self._regs[reg.participant] != reg:
            raise SpecError(f"participant {reg.participant!r} is already registered with another data set")
        self._regs[reg.participant] = reg

    def __getitem__(self, name: str) -> Registration:
        try:
            return self._regs[name]
        except KeyError:
            raise SpecError(f"participant {name!r} is not in the catalog") from None

    def __contains__(self, name: str) -> bool:
        return name in self._regs

    def __iter__(self):
        return iter(sorted(self._regs.values(), key=lambda r: r.participant))

    def to_bytes(self) -> bytes:
        return enc.pack(enc.header("catalog") + [[r.to_bytes() for r in self]])

    @classmethod
    def from_bytes(cls, data: bytes) -> Catalog:
        (items,) = enc.unpack(data, "catalog")
        return cls(Registration.from_bytes(enc.read_bytes(b, "registration")) for b in enc.read_list(items, "catalog"))


__all__ = ["Catalog", "Registration", "check_name"]
