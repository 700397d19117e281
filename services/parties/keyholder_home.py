"""A key holder's home folder and its public card.

Layout (secrets 0600 in a 0700 folder)::

    role.json               role "keyholder", the HE preset and key id
    he-secret.bin           the HE secret context (TenSEAL, BFV)              SECRET
    signing.key             key that signs releases: Ed25519+ML-DSA-65 (85 bytes; 32-byte Ed25519 in homes made
                            before hybrid signatures, still loaded)              SECRET
    keyholder.card          public: release-signing key + HE public context (give it to the requester)
    releases/STUDY_ID.bin   the releases this key holder published
    policy.json             its disclosure policy, applied before decrypting (docs/disclosure.md)
    answered.json           the studies released, for the policy (services/parties/policy_home.py)

The card is what a requester needs to open a study naming this key holder; it carries no
secret (the public context is checked to hold no secret key when it is made).
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate.he import KeyHolder, PublicContext
from zkgate.he.presets import PRESETS
from zkgate.study import encoding as enc
from zkgate.study.errors import MessageFormatError
from zkgate.study.identity import SigningKey, check_public_key
from zkgate.study.messages import Release

from .role_home import RoleHome, RoleHomeError

ROLE = "keyholder"
INIT_HINT = "zkgate keyholder init --home DIR"
CARD_FILE = "keyholder.card"
CARD_KIND = "key-holder-card"


def named_preset(context: PublicContext) -> PublicContext:
    """The context, checked to use one of zkgate's presets (decoding names them)."""
    if context.params not in PRESETS.values():
        raise MessageFormatError("the HE public context uses parameters that match no zkgate preset")
    return context


@dataclass(frozen=True)
class KeyHolderCard:
    """The key holder's public part: its release-signing key and the HE public context."""

    signing_key: bytes
    public_context: PublicContext

    def to_bytes(self) -> bytes:
        return enc.pack(enc.header(CARD_KIND) + [self.signing_key, self.public_context.to_bytes()])

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyHolderCard:
        items = enc.unpack(data, CARD_KIND)
        if len(items) != 2:
            raise MessageFormatError(f"{CARD_KIND}: expected 2 items")
        context = named_preset(PublicContext.from_bytes(enc.read_bytes(items[1], "public context")))
        card = cls(check_public_key(items[0], "signing key"), context)  # Ed25519+ML-DSA-65, or Ed25519 (older cards)
        return card

    @property
    def preset(self) -> str:
        return self.public_context.params.name

    def summary(self) -> dict:
        return {"he_preset": self.preset, "he_key_id": self.public_context.key_id.hex(),
                "release_signing_key": self.signing_key.hex()}


def read_card(path: str) -> KeyHolderCard:
    """A card file given on the command line (errors name the file)."""
    try:
        data = open(path, "rb").read()
    except OSError as exc:
        raise RoleHomeError(f"{path}: cannot read the key holder card ({exc.strerror}); "
                            "`zkgate keyholder init` writes it as HOME/keyholder.card") from exc
    try:
        return KeyHolderCard.from_bytes(data)
    except MessageFormatError as exc:
        raise RoleHomeError(f"{path}: not a key holder card ({exc})") from exc


class KeyHolderHome:
    """A key holder's local state (see the module docstring)."""

    def __init__(self, home: RoleHome) -> None:
        self.home = home
        self.path = home.path

    @classmethod
    def init(cls, path, preset: str) -> KeyHolderHome:
        if preset not in PRESETS or not preset.startswith("bfv-"):
            bfv = sorted(p for p in PRESETS if p.startswith("bfv-"))
            raise RoleHomeError(f"--preset {preset!r}: verifiable releases need a BFV preset, one of {bfv}")
        he = KeyHolder.create(preset)
        signing = SigningKey.generate()
        home = RoleHome.create(path, ROLE, {"he_preset": preset, "he_key_id": he.key_id.hex()})
        home.write_secret("he-secret.bin", he.export_secret())
        home.write_secret("signing.key", signing.raw)
        home.write_public(CARD_FILE, KeyHolderCard(signing.public, he.public_context()).to_bytes())
        return cls(home)

    @classmethod
    def open(cls, path) -> KeyHolderHome:
        return cls(RoleHome.open(path, ROLE, INIT_HINT))

    @property
    def card_path(self):
        return self.home.file(CARD_FILE)

    def card(self) -> KeyHolderCard:
        return self.home.decode(CARD_FILE, "the public key holder card", KeyHolderCard.from_bytes)

    def he_key_holder(self) -> KeyHolder:
        return self.home.decode("he-secret.bin", "the HE secret key", KeyHolder.load_secret, secret=True,
                                missing_hint="without it no aggregate under this key can be decrypted")

    @property
    def signing_key(self) -> SigningKey:
        return self.home.decode("signing.key", "the release-signing key", SigningKey, secret=True)

    def save_release(self, study_id: str, release: Release) -> None:
        self.home.write_public(f"releases/{study_id}.bin", release.to_bytes())


__all__ = ["KeyHolderCard", "KeyHolderHome", "named_preset", "read_card"]
