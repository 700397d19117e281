"""Groth16 keys of a study's contribution circuit.

:class:`CircuitKeys` bundles the verifying key, the ceremony transcript (the ``.zkey``'s
contribution section, section 10) and, for provers, the proving key.  The study spec
stores ``vk_hash`` and ``transcript_hash``; :meth:`CircuitKeys.check` compares them and
refuses development keys (one-party dev setup, whose toxic waste a single process saw)
unless the study declares ``dev_keys`` *and* the caller runs in dev mode.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zkgate.bn254 import Q_MOD
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16.keys import ProvingKey, VerifyingKey
from zkgate.prover.groth16.setup import DevKeyWarning, dev_setup, is_dev_key
from zkgate.prover.groth16.verify import prepare_verifying_key
from zkgate.study import encoding as enc
from zkgate.study.errors import DevKeyError, KeyMismatchError, MessageFormatError

_DEV_KEYS: dict[str, ProvingKey] = {}


def vk_hash(vk: VerifyingKey) -> bytes:
    """SHA-256 over the verifying key's coordinates (canonical, independent of file format)."""
    return enc.digest(enc.pack(_vk_obj(vk)), "vk")


def transcript_hash(transcript: bytes) -> bytes:
    return enc.digest(transcript, "ceremony-transcript")


def is_dev_transcript(transcript: bytes) -> bool:
    return is_dev_key(bytes(transcript))


@dataclass(frozen=True)
class CircuitKeys:
    vk: VerifyingKey
    transcript: bytes
    pk: ProvingKey | None = field(default=None, compare=False, repr=False)
    _prepared: list = field(default_factory=list, compare=False, repr=False)

    @property
    def vk_hash(self) -> bytes:
        return vk_hash(self.vk)

    @property
    def transcript_hash(self) -> bytes:
        return transcript_hash(self.transcript)

    @property
    def is_dev(self) -> bool:
        return is_dev_transcript(self.transcript)

    @property
    def prepared(self):
        if not self._prepared:
            self._prepared.append(prepare_verifying_key(self.vk))
        return self._prepared[0]

    def public(self) -> CircuitKeys:
        """Without the proving key (what verifiers need)."""
        return CircuitKeys(self.vk, self.transcript)

    @classmethod
    def from_proving_key(cls, pk: ProvingKey) -> CircuitKeys:
        return cls(pk.verifying_key, bytes(pk.contributions), pk)

    @classmethod
    def from_zkey(cls, path: str | Path) -> CircuitKeys:
        return cls.from_proving_key(read_zkey(path))

    @classmethod
    def dev(cls, circuit) -> CircuitKeys:
        """A DEVELOPMENT-ONLY key for a compiled circuit (one party saw the toxic waste).
        Cached per circuit in this process."""
        key = circuit.key or str(id(circuit))
        pk = _DEV_KEYS.get(key)
        if pk is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "dev.zkey"
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DevKeyWarning)
                    dev_setup(circuit.r1cs, path)
                pk = read_zkey(path)
                # read_zkey may memory-map: materialize before the file goes away
                pk = _materialize(pk)
            _DEV_KEYS[key] = pk
        return cls.from_proving_key(pk)

    def check(self, spec, *, dev_mode: bool = False) -> None:
        """The keys are the study's, and a dev key only in a dev study in dev mode."""
        if self.vk_hash != spec.vk_hash:
            raise KeyMismatchError("the verifying key does not match the study's vk_hash")
        if self.transcript_hash != spec.transcript_hash:
            raise KeyMismatchError("the ceremony transcript does not match the study's transcript_hash")
        check_dev(spec, self.is_dev, dev_mode=dev_mode)

    # -- encoding (public part) ----------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return enc.pack(enc.header("circuit-keys") + [_vk_obj(self.vk), self.transcript])

    @classmethod
    def from_bytes(cls, data: bytes) -> CircuitKeys:
        items = enc.unpack(data, "circuit-keys")
        if len(items) != 2:
            raise MessageFormatError("circuit-keys: expected 2 items")
        keys = cls(_vk_from_obj(items[0]), enc.read_bytes(items[1], "transcript"))
        enc.check_canonical(data, keys, "circuit-keys")
        return keys


def _g1_obj(p) -> list:
    return [b"", b""] if p is None else [p[0].to_bytes(32, "big"), p[1].to_bytes(32, "big")]


def _g2_obj(p) -> list:
    return [c.to_bytes(32, "big") for xy in p for c in xy]


def _vk_obj(vk: VerifyingKey) -> list:
    return ["groth16-vk", vk.curve, vk.n_public, _g1_obj(vk.alpha1), _g2_obj(vk.beta2), _g2_obj(vk.gamma2),
            _g2_obj(vk.delta2), [_g1_obj(p) for p in vk.ic]]


def _coord(b, what) -> int:
    if type(b) is not bytes or len(b) != 32 or int.from_bytes(b, "big") >= Q_MOD:
        raise MessageFormatError(f"verifying key: bad coordinate in {what}")
    return int.from_bytes(b, "big")


def _vk_from_obj(obj) -> VerifyingKey:
    o = enc.read_list(obj, "verifying key", 8)
    if o[0] != "groth16-vk" or o[1] != "bn128":
        raise MessageFormatError("verifying key: expected a groth16 bn128 key")
    n = enc.read_int(o[2], "nPublic", 0, 1 << 16)

    def g1(x, what):
        x = enc.read_list(x, what, 2)
        if x == [b"", b""]:
            return None
        return (_coord(x[0], what), _coord(x[1], what))

    def g2(x, what):
        x = enc.read_list(x, what, 4)
        c = [_coord(v, what) for v in x]
        return ((c[0], c[1]), (c[2], c[3]))

    ic = enc.read_list(o[7], "IC", n + 1)
    return VerifyingKey(n, g1(o[3], "alpha1"), g2(o[4], "beta2"), g2(o[5], "gamma2"), g2(o[6], "delta2"),
                        tuple(g1(p, f"IC[{i}]") for i, p in enumerate(ic)))


def check_dev(spec, key_is_dev: bool, *, dev_mode: bool) -> None:
    if key_is_dev and not spec.dev_keys:
        raise DevKeyError("the study's circuit key comes from a development setup but the study does not declare it")
    if spec.dev_keys and not dev_mode:
        raise DevKeyError(
            "this study uses a DEVELOPMENT-ONLY circuit key (single-party setup: its proofs prove nothing); "
            "refused outside dev mode -- run a ceremony, or pass dev_mode=True for tests and demos"
        )


def _materialize(pk: ProvingKey) -> ProvingKey:
    changes = {}
    for f in dataclasses.fields(pk):
        v = getattr(pk, f.name)
        if isinstance(v, np.ndarray):
            changes[f.name] = np.array(v, copy=True)
    return dataclasses.replace(pk, **changes)


def digest_hex(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


__all__ = ["CircuitKeys", "check_dev", "is_dev_transcript", "transcript_hash", "vk_hash"]
