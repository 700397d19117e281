"""Threshold BFV on TenSEAL's own SEAL objects: a key committee of N members, threshold t.

The scheme (docs/he.md, "Key committee"), on the RNS arithmetic of :mod:`zkgate.kernels.rns`:

* **Common random polynomial.**  Every member first publishes a commitment (round 1); the
  polynomial ``a`` is expanded from SHAKE-256 seeded by the hash of *all* commitments
  (:func:`common_polynomial`, rejection sampling per prime, directly in NTT form as SEAL
  samples it), so no member can choose it.
* **Public-key shares, commit then reveal.**  Member i samples a ternary secret ``s_i`` and a
  centred-binomial error ``e_i`` and computes ``b_i = −a·s_i + e_i`` over every prime of the
  key level; it publishes ``H(b_i)`` (round 2) and only once every such commitment is in, the
  share itself (round 3), which everyone checks against its commitment
  (:func:`check_key_share`).  A share chosen after seeing the others' is thus impossible.
* **Joint key.**  ``b = Σ b_i`` with ``a`` form SEAL's public key ``(b, a)`` (NTT form, key
  parms id), written into an ordinary TenSEAL public context (:func:`joint_public_context`):
  contributors encrypt exactly as they do for a single key holder.
* **Shamir sharing (t < N).**  Each member shares its ``s_i`` (NTT form, each data prime) with
  a random polynomial of degree ``t − 1``; member k's share of the joint secret is
  ``S_k = Σ_i f_i(k)``.  With t = N the additive shares ``s_i`` are used directly.
* **Decryption shares.**  For an active set A fixed first, member k sends
  ``d_k = λ_k·S_k·c1 + E_k`` (:func:`decryption_share`), ``λ_k`` the Lagrange coefficient of A
  at 0 modulo each prime, ``E_k`` smudging noise drawn once as an integer in
  ``[−B_smudge, B_smudge)`` and reduced per prime.  :func:`combine` adds ``c0`` and t shares,
  scales by ``t/q``, rounds, and decodes the slots through SEAL's BatchEncoder permutation.

Noise (:class:`CommitteeParams`): ``B_ct`` bounds the decryption noise of an aggregate of
``max_participants`` fresh ciphertexts under an N-member key, ``B_smudge = 2^⌈log2 B_ct⌉+40``,
and a preset is refused for committees unless ``B_ct + t·B_smudge < Δ/2`` (bfv-4096 cannot).

Nothing here is constant-time (numpy); secrets stay on each member's machine.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import threading
from dataclasses import dataclass, field

import numpy as np
import tenseal as ts
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from zkgate.errors import CryptoError, InvalidInputError
from zkgate.he import context as _ctx
from zkgate.he.errors import EnvelopeFormatError, EnvelopeMismatchError
from zkgate.he.presets import HEParams, get_preset
from zkgate.he.public_context import PublicContext
from zkgate.he.seal.header import COMPR_ZSTD
from zkgate.he.seal.objects import Ciphertext, EncryptionParameters, SecretKey
from zkgate.he.seal.tenseal_proto import TenSEALContextBlob, read_bfv_vector
from zkgate.kernels.rns import Rns, bit_reverse_permutation, mulmod, rns_for

__all__ = [
    "CommitteeParams",
    "attribute",
    "covering_subsets",
    "DecryptionShare",
    "KeyShare",
    "Member",
    "Trial",
    "MAX_MEMBERS",
    "combine",
    "commit_key_share",
    "common_polynomial",
    "common_seed",
    "decryption_share",
    "joint_public_context",
    "lagrange_at_zero",
    "check_key_share",
    "read_ciphertext",
]

MAX_MEMBERS = 16
SMUDGE_MARGIN_BITS = 40
_CBD_ETA = 21  # SEAL's error bound: centred binomial, |e| <= 21, sigma = sqrt(21/2) ~ 3.24
_DOMAIN = b"zkgate.he.committee.v1\x00"


# -- parameters and the noise budget -------------------------------------------------------------
@dataclass(frozen=True)
class _Template:
    """What a parameter set fixes in SEAL: primes, parms ids, a public-context skeleton."""

    key_moduli: tuple[int, ...]
    key_parms_id: bytes
    data_parms_id: bytes
    public_context: TenSEALContextBlob
    pk_scale: float
    pk_version: tuple[int, int]


_templates: dict[bytes, _Template] = {}
_templates_lock = threading.Lock()


def _template(params: HEParams) -> _Template:
    fp = params.fingerprint()
    with _templates_lock:
        hit = _templates.get(fp)
    if hit is not None:
        return hit
    ctx = _ctx.new_secret_context(params)
    blob = TenSEALContextBlob.parse(_ctx.serialize_public(ctx))
    ep = EncryptionParameters.from_bytes(blob.encryption_parameters)
    if ep.scheme != EncryptionParameters.SCHEME_BFV or ep.poly_modulus_degree != params.poly_modulus_degree:
        raise CryptoError("TenSEAL built a context other than the declared BFV parameters")
    k = len(ep.coeff_modulus)
    pk = Ciphertext.from_bytes(blob.public_key, n=ep.poly_modulus_degree, k=k, what="template public key")
    data_id = struct.pack("<4Q", *ctx.seal_context().data.first_parms_id())
    tpl = _Template(ep.coeff_modulus, pk.parms_id, data_id, blob, pk.scale, pk.version)
    with _templates_lock:
        _templates[fp] = tpl
    return tpl


@dataclass(frozen=True)
class CommitteeParams:
    """A committee of ``members`` with ``threshold`` over a BFV preset, sized for ``max_participants``.

    Construction refuses a preset whose noise budget cannot hold the smudging noise, naming
    the numbers.
    """

    params: HEParams
    members: int
    threshold: int
    max_participants: int
    allow_single: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        params = get_preset(self.params)
        object.__setattr__(self, "params", params)
        if params.scheme != "bfv":
            raise InvalidInputError("key committees decrypt BFV aggregates only (CKKS is not supported)")
        for name in ("members", "threshold", "max_participants"):
            if type(getattr(self, name)) is not int:
                raise InvalidInputError(f"committee {name} must be an int")
        low = 1 if self.allow_single else 2
        if not low <= self.threshold <= self.members <= MAX_MEMBERS:
            raise InvalidInputError(
                f"committee needs {low} <= threshold <= members <= {MAX_MEMBERS}, "
                f"got threshold {self.threshold} of {self.members}"
            )
        if self.members == 1 and self.threshold != 1:
            raise InvalidInputError("a one-member committee has threshold 1")
        if not 1 <= self.max_participants <= 1 << 32:
            raise InvalidInputError("max_participants must be in [1, 2^32]")
        budget = self.delta // 2
        need = self.ciphertext_noise_bound + self.threshold * self.smudging_bound
        if need >= budget:
            raise InvalidInputError(
                f"preset {params.name} cannot serve a key committee: smudging noise of 2^{self.smudging_bits} "
                f"(2^{SMUDGE_MARGIN_BITS} times the aggregate's noise bound 2^{math.log2(self.ciphertext_noise_bound):.1f}) "
                f"from {self.threshold} members exceeds the decryption budget Δ/2 = 2^{math.log2(budget):.1f}; "
                f"use bfv-8192 or bfv-16384"
            )

    # SEAL's primes ---------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.params.poly_modulus_degree

    @property
    def key_moduli(self) -> tuple[int, ...]:
        return _template(self.params).key_moduli

    @property
    def data_moduli(self) -> tuple[int, ...]:
        return self.key_moduli[:-1]

    @property
    def q(self) -> int:
        return math.prod(self.data_moduli)

    @property
    def delta(self) -> int:
        return self.q // self.params.plain_modulus

    def key_ring(self) -> Rns:
        return rns_for(self.n, self.key_moduli)

    def data_ring(self) -> Rns:
        return rns_for(self.n, self.data_moduli)

    # noise ------------------------------------------------------------------------------------
    @property
    def fresh_noise_bound(self) -> int:
        """Worst-case infinity norm of a fresh ciphertext's noise under an N-member joint key.

        SEAL encrypts zero at the key level, ``(b·u + e1, a·u + e2)``, whose decryption noise
        is ``e·u + e1 + e2·s`` with ``e = Σ e_i``, ``s = Σ s_i`` (coefficients at most 21·N and
        N): at most ``2·21·N·n + 21``; dividing by the special prime rounds both components,
        adding at most ``1/2 + n·N/2``; the plaintext's scaling adds at most 1.
        """
        n, members = self.n, self.members
        key_level = 2 * _CBD_ETA * members * n + _CBD_ETA
        special = self.key_moduli[-1]
        return -(-key_level // special) + (n * members + 1) // 2 + 2

    @property
    def ciphertext_noise_bound(self) -> int:
        """``B_ct``: an aggregate of ``max_participants`` fresh ciphertexts."""
        return self.max_participants * self.fresh_noise_bound

    @property
    def smudging_bits(self) -> int:
        return math.ceil(math.log2(self.ciphertext_noise_bound)) + SMUDGE_MARGIN_BITS

    @property
    def smudging_bound(self) -> int:
        """``B_smudge`` = 2^smudging_bits ≥ 2^40 · B_ct."""
        return 1 << self.smudging_bits


# -- the common random polynomial ----------------------------------------------------------------
def common_seed(committee_id: bytes, commitments: list[bytes]) -> bytes:
    """The seed of ``a``: SHA-256 over the committee id and every member's round-1 commitment, in order."""
    h = hashlib.sha256(_DOMAIN + b"a-seed\x00")
    h.update(struct.pack("<I", len(committee_id)) + committee_id + struct.pack("<I", len(commitments)))
    for c in commitments:
        if len(c) != 32:
            raise InvalidInputError("round-1 commitments are 32-byte hashes")
        h.update(c)
    return h.digest()


def common_polynomial(cp: CommitteeParams, seed: bytes) -> np.ndarray:
    """``a`` in NTT form over the key-level primes: SHAKE-256(domain ‖ seed ‖ j) per prime j,
    read as little-endian u64 words masked to the prime's bit length, accepted when below it."""
    ring = cp.key_ring()
    out = np.empty((ring.k, ring.n), dtype=np.uint64)
    for j, p in enumerate(ring.moduli):
        mask = np.uint64((1 << p.bit_length()) - 1)
        want = ring.n
        length = 8 * (2 * want + 64)
        while True:
            xof = hashlib.shake_256(_DOMAIN + b"a\x00" + seed + struct.pack("<I", j)).digest(length)
            words = np.frombuffer(xof, dtype="<u8").astype(np.uint64) & mask
            accepted = words[words < np.uint64(p)]
            if accepted.size >= want:
                out[j] = accepted[:want]
                break
            length *= 2  # the prefix is the same stream: a longer read only appends
    return out


# -- member state ---------------------------------------------------------------------------------
def _ternary(n: int) -> np.ndarray:
    raw = np.frombuffer(_random_bytes(4 * n), dtype="<u4")
    return (raw % np.uint32(3)).astype(np.int64) - 1  # bias 2^32 mod 3 / 2^32: below 2^-31


def _cbd(n: int) -> np.ndarray:
    raw = np.frombuffer(_random_bytes(8 * n), dtype="<u8").astype(np.uint64)
    a = raw & np.uint64((1 << _CBD_ETA) - 1)
    b = (raw >> np.uint64(_CBD_ETA)) & np.uint64((1 << _CBD_ETA) - 1)
    pa = np.unpackbits(a.view(np.uint8).reshape(n, 8), axis=1).sum(axis=1).astype(np.int64)
    pb = np.unpackbits(b.view(np.uint8).reshape(n, 8), axis=1).sum(axis=1).astype(np.int64)
    return pa - pb


def _random_bytes(count: int) -> bytes:
    """``count`` bytes from AES-256-CTR under a fresh OS-random key (a CSPRNG, far faster than urandom)."""
    cipher = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16))).encryptor()
    return cipher.update(bytes(count)) + cipher.finalize()


def _uniform(ring: Rns) -> np.ndarray:
    """Uniform residues per prime by rejection: u64 words masked to the prime's bit length, kept below it."""
    out = np.empty((ring.k, ring.n), dtype=np.uint64)
    for j, p in enumerate(ring.moduli):
        mask = np.uint64((1 << p.bit_length()) - 1)
        while True:
            words = np.frombuffer(_random_bytes(8 * (2 * ring.n + 64)), dtype="<u8").astype(np.uint64) & mask
            accepted = words[words < np.uint64(p)]
            if accepted.size >= ring.n:
                out[j] = accepted[: ring.n]
                break
    return out


def _digest_poly(tag: bytes, poly: np.ndarray) -> bytes:
    return hashlib.sha256(_DOMAIN + tag + np.ascontiguousarray(poly, dtype="<u8").tobytes()).digest()


@dataclass(frozen=True, eq=False)
class KeyShare:
    """Member ``index``'s public-key share ``b_i`` (NTT form, key level)."""

    index: int
    b: np.ndarray

    def digest(self, committee_id: bytes) -> bytes:
        return _digest_poly(b"key-share\x00" + committee_id + struct.pack("<I", self.index), self.b)


def commit_key_share(share: KeyShare, committee_id: bytes) -> bytes:
    """The round-2 commitment to a public-key share (published before any share is revealed)."""
    return share.digest(committee_id)


def check_key_share(cp: CommitteeParams, share: KeyShare, committee_id: bytes, commitment: bytes) -> None:
    """Refuse a revealed share that is malformed or differs from its commitment (naming the member)."""
    try:
        cp.key_ring().check(share.b, f"member {share.index}'s public-key share")
    except InvalidInputError as exc:
        raise EnvelopeFormatError(str(exc)) from exc
    if share.digest(committee_id) != commitment:
        raise EnvelopeMismatchError(f"member {share.index}'s public-key share does not match its commitment")


class Member:
    """One committee member's secret state: ``s_i`` (NTT form), its share of the joint secret."""

    def __init__(self, cp: CommitteeParams, index: int) -> None:
        if not 1 <= index <= cp.members:
            raise InvalidInputError(f"member index must be in 1..{cp.members}, got {index}")
        self.cp = cp
        self.index = index
        ring = cp.key_ring()
        self._s = ring.ntt_forward(ring.from_small(_ternary(cp.n)))  # key level, NTT form
        self._e = _cbd(cp.n)
        self._received: dict[int, np.ndarray] = {}
        self._dealt: dict[int, np.ndarray] | None = None
        self.round1_nonce = os.urandom(32)

    @classmethod
    def from_secret_key(cls, cp: CommitteeParams, secret_key: SecretKey) -> Member:
        """A one-member committee over an existing SEAL secret key (N = t = 1)."""
        if cp.members != 1:
            raise InvalidInputError("only a one-member committee can adopt an existing secret key")
        m = cls(cp, 1)
        m._s = cp.key_ring().check(secret_key.data, "secret key")
        return m

    def round1_commitment(self, committee_id: bytes) -> bytes:
        """Round 1: a commitment to fresh randomness; ``a`` is seeded by the hash of all of them."""
        return hashlib.sha256(_DOMAIN + b"round1\x00" + committee_id + struct.pack("<I", self.index) + self.round1_nonce).digest()

    def key_share(self, a: np.ndarray) -> KeyShare:
        """``b_i = −a·s_i + e_i`` over every key-level prime (NTT form)."""
        ring = self.cp.key_ring()
        e = ring.ntt_forward(ring.from_small(self._e))
        return KeyShare(self.index, ring.sub(e, ring.mul(a, self._s)))

    # Shamir dealing ---------------------------------------------------------------------------
    def deal(self) -> dict[int, np.ndarray]:
        """Shares of ``s_i`` for every member 1..N (t < N): ``f_i(k)`` per data prime, NTT form."""
        cp = self.cp
        if cp.threshold == cp.members:
            raise InvalidInputError("with threshold = members the additive shares need no dealing")
        if self._dealt is None:
            ring = cp.data_ring()
            coeffs = [self._s[: ring.k]]
            for _ in range(cp.threshold - 1):
                coeffs.append(_uniform(ring))
            self._dealt = {}
            for k in range(1, cp.members + 1):  # f_i(k) = s_i + Σ_l r_l·k^l
                acc = coeffs[0]
                for power, c in enumerate(coeffs[1:], start=1):
                    acc = ring.add(acc, ring.mul_scalar(c, [k**power] * ring.k))
                self._dealt[k] = acc
        return dict(self._dealt)

    def receive(self, sender: int, share: np.ndarray) -> None:
        """Take the share member ``sender`` dealt to this member."""
        ring = self.cp.data_ring()
        if not 1 <= sender <= self.cp.members:
            raise InvalidInputError(f"no member {sender} in this committee")
        self._received[sender] = ring.check(np.asarray(share), f"share from member {sender}")

    def secret_share(self) -> np.ndarray:
        """This member's share of the joint secret over the data primes (NTT form)."""
        cp = self.cp
        ring = cp.data_ring()
        if cp.threshold == cp.members:
            return self._s[: ring.k]
        own = self.deal()[self.index]
        missing = [i for i in range(1, cp.members + 1) if i != self.index and i not in self._received]
        if missing:
            raise CryptoError(f"member {self.index} still lacks the Shamir shares of members {missing}")
        acc = own
        for i in sorted(self._received):
            if i != self.index:
                acc = ring.add(acc, self._received[i])
        return acc


# -- the joint key ---------------------------------------------------------------------------------
def joint_public_context(cp: CommitteeParams, a: np.ndarray, shares: list[KeyShare]) -> PublicContext:
    """Sum the revealed shares into SEAL's public key ``(Σ b_i, a)`` inside a TenSEAL public context."""
    if sorted(s.index for s in shares) != list(range(1, cp.members + 1)):
        raise InvalidInputError(f"the joint key needs one share from each of the {cp.members} members")
    ring = cp.key_ring()
    ring.check(a, "common polynomial")
    b = ring.zeros()
    for s in shares:
        b = ring.add(b, ring.check(s.b, f"member {s.index}'s public-key share"))
    tpl = _template(cp.params)
    pk = Ciphertext(tpl.key_parms_id, True, np.stack([b, a]), tpl.pk_scale, 1, tpl.pk_version)
    blob = tpl.public_context.with_public_key(pk.to_bytes(COMPR_ZSTD))
    ctx = ts.context_from(blob)  # TenSEAL/SEAL validate the key against the parameters here
    if ctx.has_secret_key():  # pragma: no cover - the template is public
        raise CryptoError("joint public context unexpectedly holds a secret key")
    return PublicContext(cp.params, _ctx.key_id(ctx), blob)


# -- decryption ---------------------------------------------------------------------------------
def read_ciphertext(cp: CommitteeParams, vector: bytes) -> tuple[int, Ciphertext]:
    """A serialized one-chunk TenSEAL BFV vector: its length and its SEAL ciphertext (checked)."""
    sizes, cts = read_bfv_vector(vector)
    if len(cts) != 1:
        raise EnvelopeFormatError(f"expected a one-chunk BFV vector, got {len(cts)} chunks")
    ct = Ciphertext.from_bytes(cts[0], n=cp.n, k=len(cp.data_moduli))
    if ct.is_ntt_form:
        raise EnvelopeFormatError("BFV ciphertext unexpectedly in NTT form")
    if ct.parms_id != _template(cp.params).data_parms_id:
        raise EnvelopeMismatchError("ciphertext is not at the committee's first data level")
    if not 0 < sizes[0] <= cp.n:
        raise EnvelopeFormatError(f"vector length {sizes[0]} out of range")
    try:
        cp.data_ring().check(ct.data[0], "ciphertext c0")
        cp.data_ring().check(ct.data[1], "ciphertext c1")
    except InvalidInputError as exc:
        raise EnvelopeFormatError(str(exc)) from exc
    return sizes[0], ct


def lagrange_at_zero(cp: CommitteeParams, active: list[int], index: int) -> list[int]:
    """λ_index of the active set at 0, modulo each data prime (1 for every prime when t = N)."""
    if len(set(active)) != len(active) or index not in active:
        raise InvalidInputError(f"member {index} is not in the active set {active}")
    if any(not 1 <= i <= cp.members for i in active):
        raise InvalidInputError(f"active set {active} names members outside 1..{cp.members}")
    if cp.threshold == cp.members:
        if sorted(active) != list(range(1, cp.members + 1)):
            raise InvalidInputError("with threshold = members every member takes part")
        return [1] * len(cp.data_moduli)
    out = []
    for p in cp.data_moduli:
        num = den = 1
        for m in active:
            if m != index:
                num = num * m % p
                den = den * (m - index) % p
        out.append(num * pow(den, -1, p) % p)
    return out


@dataclass(frozen=True, eq=False)
class DecryptionShare:
    index: int
    d: np.ndarray  # (data primes, n) coefficient form


def _smudging(cp: CommitteeParams) -> np.ndarray:
    """Uniform integers in [−B, B) per coefficient (B = 2^smudging_bits), reduced per data prime."""
    ring = cp.data_ring()
    bits = cp.smudging_bits + 1
    limbs = -(-bits // 32)
    raw = np.frombuffer(_random_bytes(4 * limbs * ring.n), dtype="<u4").astype(np.uint64).reshape(limbs, ring.n)
    top = bits - 32 * (limbs - 1)
    raw[-1] &= np.uint64((1 << top) - 1)
    acc = ring.zeros()
    for li in range(limbs):
        weight = [pow(2, 32 * li, p) for p in ring.moduli]
        limb = np.broadcast_to(raw[li], (ring.k, ring.n)) % ring.p
        acc = ring.add(acc, ring.mul_scalar(np.ascontiguousarray(limb), weight))
    offset = np.array([cp.smudging_bound % p for p in ring.moduli], dtype=np.uint64).reshape(ring.k, 1)
    return ring.sub(acc, np.broadcast_to(offset, acc.shape))


def decryption_share(member: Member, ct: Ciphertext, active: list[int]) -> DecryptionShare:
    """``λ·S·c1 + E`` for this member's share ``S`` of the joint secret (coefficient form)."""
    cp = member.cp
    ring = cp.data_ring()
    lam = lagrange_at_zero(cp, active, member.index)
    key = ring.mul_scalar(member.secret_share(), lam)
    d = ring.ntt_inverse(ring.mul(ring.ntt_forward(ct.data[1]), key))
    return DecryptionShare(member.index, ring.add(d, _smudging(cp)))


_scalers: dict[bytes, tuple] = {}


def _scale_round(cp: CommitteeParams, x: np.ndarray) -> np.ndarray:
    """``round(t·x/q) mod t`` per coefficient of ``x`` (RNS over the data primes), without big integers.

    With ``ω_j = (q/p_j)^−1 mod p_j`` and ``t·ω_j = A_j·p_j + B_j``, CRT gives
    ``t·x/q ≡ Σ x_j·A_j + Σ x_j·B_j/p_j (mod t)``; each ``x_j·B_j = Q_j·p_j + R_j`` is split
    exactly (``Q_j`` by exact division modulo 2^64), leaving the fraction ``Σ R_j/p_j`` to
    float64 — off by at most 2^−48 while correct decryption keeps it 1/2 − 2^−39 away from
    a rounding boundary.
    """
    ring = cp.data_ring()
    t = cp.params.plain_modulus
    key = cp.params.fingerprint()
    hit = _scalers.get(key)
    if hit is None:
        q = cp.q
        a_list, b_list, inv64 = [], [], []
        for p in ring.moduli:
            omega = pow(q // p, -1, p)
            a_j, b_j = divmod(t * omega, p)
            a_list.append(a_j)
            b_list.append(b_j)
            inv64.append(pow(p, -1, 1 << 64))
        hit = (
            np.array(a_list, dtype=np.uint64).reshape(ring.k, 1),
            np.array(b_list, dtype=np.uint64).reshape(ring.k, 1),
            np.array(inv64, dtype=np.uint64).reshape(ring.k, 1),
        )
        _scalers[key] = hit
    a_mat, b_mat, inv64_mat = hit
    r = ring.mul(x, np.broadcast_to(b_mat, x.shape))  # x_j·B_j mod p_j
    quotient = (x * b_mat - r) * inv64_mat  # exact: x_j·B_j − R_j is a multiple of p_j, quotient < 2^50
    whole = mulmod(x % np.uint64(t), np.broadcast_to(a_mat % np.uint64(t), x.shape), t)  # x_j·A_j mod t
    frac = (r.astype(np.float64) / ring.pf).sum(axis=0)
    total = whole.sum(axis=0, dtype=np.uint64) % np.uint64(t) + quotient.sum(axis=0, dtype=np.uint64) % np.uint64(t)
    total = total + np.floor(frac + 0.5).astype(np.uint64)
    return total % np.uint64(t)


_slot_maps: dict[int, np.ndarray] = {}


def _slot_map(n: int) -> np.ndarray:
    """SEAL's BatchEncoder ``matrix_reps_index_map``: slot i reads NTT position map[i]."""
    hit = _slot_maps.get(n)
    if hit is None:
        rev = bit_reverse_permutation(n)
        hit = np.empty(n, dtype=np.int64)
        row, m, pos = n // 2, 2 * n, 1
        for i in range(row):
            hit[i] = rev[(pos - 1) >> 1]
            hit[row | i] = rev[(m - pos - 1) >> 1]
            pos = pos * 3 % m
        _slot_maps[n] = hit
    return hit


def combine(cp: CommitteeParams, ct: Ciphertext, shares: list[DecryptionShare], length: int) -> list[int]:
    """``c0 + Σ d_k`` scaled by t/q, rounded, decoded to the first ``length`` slots (centred)."""
    if len({s.index for s in shares}) != len(shares):
        raise InvalidInputError("a member's decryption share appears twice")
    ring = cp.data_ring()
    x = ct.data[0]
    for s in shares:
        x = ring.add(x, ring.check(s.d, f"member {s.index}'s decryption share"))
    t = cp.params.plain_modulus
    m = _scale_round(cp, x)
    plain = rns_for(ring.n, (t,))
    values = plain.ntt_forward(np.asarray(m, dtype=np.uint64).reshape(1, ring.n))[0][_slot_map(ring.n)[:length]]
    half = (t - 1) // 2
    return [int(v) - t if v > half else int(v) for v in values]


# -- self-test and attribution ---------------------------------------------------------------------
def covering_subsets(members: int, threshold: int) -> list[list[int]]:
    """Active sets of size ``threshold`` that together cover every member (windows 1..t, 2..t+1, ...
    wrapping around), so a setup self-test exercises each member's share at least once."""
    if not 1 <= threshold <= members:
        raise InvalidInputError(f"threshold {threshold} out of range for {members} members")
    out: list[list[int]] = []
    covered: set[int] = set()
    start = 0
    while len(covered) < members:
        subset = sorted((start + i) % members + 1 for i in range(threshold))
        out.append(subset)
        covered.update(subset)
        start += threshold
    return out


@dataclass(frozen=True, eq=False)
class Trial:
    """One active set's decryption of its *own* ciphertext: ``shares`` by member, and whether the
    result is right is decided by ``accept(slots)``."""

    active: tuple[int, ...]
    ct: Ciphertext
    length: int
    shares: dict[int, DecryptionShare]


def attribute(cp: CommitteeParams, trials: list[Trial], accept) -> tuple[set[int], set[int]]:
    """Name the members whose shares break decryption: ``(bad, good)``.

    Each trial combines its active set's shares of its own ciphertext; ``accept(trial, slots)``
    says whether the result is right (a known plaintext).  ``good`` are the members of some
    accepted trial, ``bad`` those that took part only in failing ones — with at least t honest
    members, exactly the misbehaving ones.

    **Every trial needs its own ciphertext**: a member must never give shares of one ciphertext
    for two active sets — from ``λ_A·X + E_A`` and ``λ_B·X + E_B`` (``X = S·c1``, λ small
    rationals) the requester cancels ``X`` and learns an exact relation between the noises; the
    smudging analysis assumes one fresh noise per member and ciphertext.
    :class:`zkgate.he.committee.CommitteeMember` refuses it.
    """
    seen: dict[int, set[bytes]] = {}
    good: set[int] = set()
    tried: set[int] = set()
    for trial in trials:
        if sorted(trial.shares) != sorted(trial.active) or len(trial.active) != cp.threshold:
            raise InvalidInputError(f"trial {list(trial.active)}: needs exactly the active set's {cp.threshold} shares")
        tag = hashlib.sha256(np.ascontiguousarray(trial.ct.data[1]).tobytes()).digest()
        for m in trial.active:
            if tag in seen.setdefault(m, set()):
                raise InvalidInputError(
                    f"member {m} would share one ciphertext under two active sets (a second smudged sample); "
                    "give every trial its own ciphertext"
                )
            seen[m].add(tag)
        tried.update(trial.active)
        slots = combine(cp, trial.ct, [trial.shares[m] for m in trial.active], trial.length)
        if accept(trial, slots):
            good.update(trial.active)
    return tried - good, good
