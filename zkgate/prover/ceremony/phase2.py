"""Phase 2 of the Groth16 trusted setup: ``zkey contribute``, ``beacon`` and ``verify``,
record for record what snarkjs 0.7.6 writes, so that a ceremony can alternate zkgate and
snarkjs contributors in any order and both tools verify the chain.

A contribution draws a secret d (ffjavascript's ``Fr.fromRng`` from ChaCha, seeded with
BLAKE2b-512(64 OS-random bytes || entropy)), then a G1 point s; the transcript is
BLAKE2b-512(circuit hash || every previous contribution's public key || s || d*s) and the
matching G2 point is drawn from ChaCha seeded by the transcript (``hashToG2``).  delta1 and
delta2 are multiplied by d, the L (8) and H (9) sections by 1/d.  A beacon contribution draws
from ChaCha seeded by 2^n iterations of SHA-256 over the public beacon value instead.

:func:`verify_zkey` follows ``snarkjs zkey verify``: it rebuilds the initial key from the
circuit and the powers of tau, checks each contribution's transcript and same-ratio pairings,
that the final delta follows the chain, sections 3-7 and the circuit hash are unchanged, and
L and H were scaled consistently (random linear combinations, one pairing check each).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zkgate.binfile import HEADER, SECTION_HEADER, read_container
from zkgate.bn254 import (
    G1_GENERATOR,
    G2_GENERATOR,
    R_MOD,
    FrArray,
    G1Affine,
    g1_mul,
    g1_neg,
    g2_mul,
    msm_g1,
    pairing_check,
)
from zkgate.errors import FormatError, InvalidInputError
from zkgate.prover.ceremony import group_ops
from zkgate.prover.ceremony.chacha import ChaCha, hash_to_g2
from zkgate.prover.formats.curve_points import g1_from_words, g1_to_bytes, g2_from_words, g2_to_bytes
from zkgate.prover.formats.zkey_records import (
    Contribution,
    MpcParams,
    blake2b512,
    decode_mpc_params,
    encode_mpc_params,
    g1_uncompressed,
)
from zkgate.prover.groth16.setup import setup_from_ptau
from zkgate.prover.progress import bar

CHUNK = 1 << 16  # points per scaling step (bounded memory)


def rng_from_entropy(entropy: str) -> ChaCha:
    """snarkjs's ``getRandomRng``: ChaCha seeded by BLAKE2b-512(64 random bytes || entropy)."""
    digest = hashlib.blake2b(os.urandom(64) + entropy.encode("utf-8"), digest_size=64).digest()
    return ChaCha.from_digest(digest)


VERIFY_BEACON_EXP_DEFAULT = 28
"""Largest beacon exponent a *verification* recomputes unless ``ZKGATE_MAX_BEACON_EXP`` allows more:
a file from someone else may declare up to 2^63 SHA-256 iterations (snarkjs's range), which would
never finish; 2^28 takes about a minute."""


def verify_beacon_exp_limit() -> int:
    text = os.environ.get("ZKGATE_MAX_BEACON_EXP", "")
    return int(text) if text.isascii() and text.isdigit() and 10 <= int(text) <= 63 else VERIFY_BEACON_EXP_DEFAULT


def rng_from_beacon(beacon_hash: bytes, num_iterations_exp: int, *, verifying: bool = False) -> ChaCha:
    """snarkjs's ``rngFromBeaconParams``: 2^n iterations of SHA-256, then ChaCha.

    ``verifying=True`` (recomputing a beacon that a file declares) refuses exponents above
    :func:`verify_beacon_exp_limit` instead of running for days."""
    if not 10 <= num_iterations_exp <= 63:
        raise InvalidInputError(f"beacon iterations exponent {num_iterations_exp} is outside [10, 63]")
    limit = verify_beacon_exp_limit()
    if verifying and num_iterations_exp > limit:
        raise InvalidInputError(
            f"the beacon declares 2^{num_iterations_exp} SHA-256 iterations; verification recomputes at most "
            f"2^{limit} (about a minute per 2^28) -- set ZKGATE_MAX_BEACON_EXP={num_iterations_exp} to allow it")
    cur = bytes(beacon_hash)
    sha = hashlib.sha256
    for _ in range(1 << num_iterations_exp):
        cur = sha(cur).digest()
    return ChaCha.from_digest(cur)


def parse_beacon_hash(text: str) -> bytes:
    s = text[2:] if text.startswith("0x") else text
    try:
        value = bytes.fromhex(s)
    except ValueError as exc:
        raise InvalidInputError(f"beacon hash {text!r} is not hexadecimal") from exc
    if not value or len(value) * 2 != len(s):
        raise InvalidInputError(f"beacon hash {text!r} is not a whole number of hex bytes")
    if len(value) >= 256:
        raise InvalidInputError("beacon hash is longer than 255 bytes")
    return value


def same_ratio(g1s, g1sx, g2s, g2sx) -> bool:
    """e(g1s, g2sx) == e(g1sx, g2s), refusing the point at infinity (snarkjs's ``sameRatio``)."""
    if g1s is None or g1sx is None or g2s is None or g2sx is None:
        return False
    return pairing_check([(g1s, g2sx), (g1_neg(g1sx), g2s)])


@dataclass
class _Zkey:
    """A ``.zkey`` as raw sections (memory-mapped) plus its deltas and contribution records."""

    path: str
    sections: dict[int, memoryview]
    delta1: object
    delta2: object
    mpc: MpcParams
    n_vars: int
    n_public: int
    domain_size: int

    @classmethod
    def read(cls, path: str | Path) -> _Zkey:
        container = read_container(path, b"zkey", (1,))
        sections = {s: container.section(s) for s in range(1, 11)}
        if struct.unpack_from("<I", sections[1], 0)[0] != 1:
            raise FormatError(f"{path}: not a Groth16 key")
        header = sections[2]
        if len(header) != 4 + 32 + 4 + 32 + 12 + 64 * 3 + 128 * 3:
            raise FormatError(f"{path}: section 2 (header) has {len(header)} bytes, expected 672")
        n_vars, n_public, domain = struct.unpack_from("<III", header, 72)
        d1 = g1_from_words(np.frombuffer(header[-192:-128], dtype="<u8"), f"{path} delta1")
        d2 = g2_from_words(np.frombuffer(header[-128:], dtype="<u8"), f"{path} delta2")
        mpc = decode_mpc_params(sections[10], f"{path}: section 10 (contributions)")
        return cls(str(path), sections, d1, d2, mpc, n_vars, n_public, domain)

    def header_field(self, offset: int, size: int) -> bytes:
        return bytes(self.sections[2][offset : offset + size])


def _transcript_hasher(mpc: MpcParams):
    h = blake2b512()
    h.update(mpc.cs_hash)
    for c in mpc.contributions:
        c.hash_into(h)
    return h


def _write_contributed(old: _Zkey, out: str | Path, d: int, record: Contribution, progress: bool) -> None:
    delta1, delta2 = g1_mul(old.delta1, d), g2_mul(old.delta2, d)
    header = bytes(old.sections[2][:-192]) + g1_to_bytes(delta1) + g2_to_bytes(delta2)
    mpc = MpcParams(old.mpc.cs_hash, old.mpc.contributions + (record,))
    inv = pow(d, -1, R_MOD)
    inv_row = np.frombuffer(inv.to_bytes(32, "little"), dtype="<u8").reshape(1, 4)
    total = (len(old.sections[8]) + len(old.sections[9])) // 64
    tmp = Path(str(out) + ".tmp")
    with open(tmp, "wb") as f, bar("applying the contribution (L, H)", total, progress) as pb:
        f.write(HEADER.pack(b"zkey", 1, 10))
        for sid in range(1, 11):
            if sid == 2:
                payload = header
            elif sid == 10:
                payload = encode_mpc_params(mpc)
            else:
                payload = old.sections[sid]
            f.write(SECTION_HEADER.pack(sid, len(payload)))
            if sid in (8, 9):
                rows = np.frombuffer(payload, dtype="<u8").reshape(-1, 8)
                for start in range(0, len(rows), CHUNK):
                    chunk = rows[start : start + CHUNK]
                    f.write(group_ops.scale(chunk, np.repeat(inv_row, len(chunk), axis=0), 1).tobytes())
                    pb.advance(len(chunk))
            else:
                f.write(payload)
    os.replace(tmp, out)


def _contribute_with(old: _Zkey, out, rng: ChaCha, ctype: int, name: str, n_exp: int, beacon: bytes,
                     progress: bool) -> bytes:
    th = _transcript_hasher(old.mpc)
    d = rng.fr()
    g1_s = rng.g1()
    g1_sx = g1_mul(g1_s, d)
    th.update(g1_uncompressed(g1_s) + g1_uncompressed(g1_sx))
    transcript = th.digest()
    g2_spx = g2_mul(hash_to_g2(transcript), d)
    record = Contribution(g1_mul(old.delta1, d), g1_s, g1_sx, g2_spx, transcript, ctype, name[:64], n_exp, beacon)
    _write_contributed(old, out, d, record, progress)
    return record.contribution_hash()


def contribute(in_zkey: str | Path, out_zkey: str | Path, name: str = "", entropy: str | None = None,
               progress: bool = False) -> bytes:
    """Add a phase-2 contribution; return its contribution hash (what snarkjs prints).

    ``entropy`` is mixed with 64 bytes from the OS; None draws 32 more random bytes instead.
    """
    old = _Zkey.read(in_zkey)
    rng = rng_from_entropy(entropy if entropy else secrets.token_hex(32))
    return _contribute_with(old, out_zkey, rng, 0, name, 0, b"", progress)


def beacon(in_zkey: str | Path, out_zkey: str | Path, beacon_hash: str | bytes, num_iterations_exp: int,
           name: str = "", progress: bool = False) -> bytes:
    """Add the final, publicly reproducible beacon contribution; return its hash."""
    value = parse_beacon_hash(beacon_hash) if isinstance(beacon_hash, str) else bytes(beacon_hash)
    old = _Zkey.read(in_zkey)
    rng = rng_from_beacon(value, num_iterations_exp)
    return _contribute_with(old, out_zkey, rng, 1, name, num_iterations_exp, value, progress)


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    contributions: list[tuple[Contribution, bytes]] = field(default_factory=list)
    cs_hash: bytes = b""
    dev: bool = False


def verify_chain(key: _Zkey, report: VerifyReport) -> object:
    """Check each contribution record; return the delta1 the chain ends with (or None)."""
    acc = blake2b512()
    acc.update(key.mpc.cs_hash)
    cur = G1_GENERATOR
    for i, c in enumerate(key.mpc.contributions):
        ours = acc.copy()
        ours.update(g1_uncompressed(c.g1_s) + g1_uncompressed(c.g1_sx))
        if ours.digest() != c.transcript:
            report.problems.append(f"contribution #{i + 1}: inconsistent transcript")
            return None
        g2_sp = hash_to_g2(c.transcript)
        if not same_ratio(c.g1_s, c.g1_sx, g2_sp, c.g2_spx):
            report.problems.append(f"contribution #{i + 1}: public key G1 and G2 do not have the same ratio")
            return None
        if not same_ratio(cur, c.delta_after, g2_sp, c.g2_spx):
            report.problems.append(f"contribution #{i + 1}: deltaAfter does not follow the public key")
            return None
        if c.type == 1:
            rng = rng_from_beacon(c.beacon_hash, c.num_iterations_exp, verifying=True)
            d = rng.fr()
            s = rng.g1()
            if s != c.g1_s or g1_mul(s, d) != c.g1_sx:
                report.problems.append(f"contribution #{i + 1}: the beacon key does not match the beacon")
                return None
        c.hash_into(acc)
        report.contributions.append((c, c.contribution_hash()))
        cur = c.delta_after
    return cur


def _random_combination(rows_a: memoryview, rows_b: memoryview):
    a = np.frombuffer(rows_a, dtype="<u8").reshape(-1, 8)
    b = np.frombuffer(rows_b, dtype="<u8").reshape(-1, 8)
    if len(a) == 0:
        return None, None
    scalars = FrArray.from_ints([secrets.randbits(128) for _ in range(len(a))]) if len(a) < 4096 else \
        FrArray(np.concatenate([np.frombuffer(os.urandom(16 * len(a)), dtype="<u8").reshape(-1, 2),
                                np.zeros((len(a), 2), np.uint64)], axis=1), check=False)
    return msm_g1(G1Affine(a, check=False), scalars), msm_g1(G1Affine(b, check=False), scalars)


def verify_zkey(r1cs: str | Path, ptau: str | Path, zkey: str | Path, progress: bool = False) -> VerifyReport:
    """``snarkjs zkey verify``: is ``zkey`` the circuit's key from ``ptau`` plus a valid chain?"""
    key = _Zkey.read(zkey)
    report = VerifyReport(ok=False, cs_hash=key.mpc.cs_hash, dev=key.mpc.is_dev)
    if report.dev:
        report.problems.append("the key comes from zkgate's DEVELOPMENT-ONLY setup, not from a ceremony")
    cur = verify_chain(key, report)
    if cur is None:
        return report
    with tempfile.TemporaryDirectory() as tmp:
        init_path = Path(tmp) / "initial.zkey"
        setup_from_ptau(r1cs, ptau, init_path, progress=progress)
        init = _Zkey.read(init_path)
        checks = [
            ((init.n_vars, init.n_public, init.domain_size) == (key.n_vars, key.n_public, key.domain_size),
             "different circuit parameters"),
            (key.header_field(84, 64) == init.header_field(84, 64), "invalid alpha1"),
            (key.header_field(148, 64) == init.header_field(148, 64), "invalid beta1"),
            (key.header_field(212, 128) == init.header_field(212, 128), "invalid beta2"),
            (key.header_field(340, 128) == init.header_field(340, 128), "invalid gamma2"),
            (key.delta1 == cur, "invalid delta1 (does not match the last contribution)"),
            (same_ratio(G1_GENERATOR, cur, G2_GENERATOR, key.delta2), "invalid delta2"),
            (key.mpc.cs_hash == init.mpc.cs_hash, "circuit hash does not match: another circuit or powers of tau"),
            (len(key.sections[8]) == 64 * (key.n_vars - key.n_public - 1), "invalid L section size"),
            (len(key.sections[9]) == 64 * key.domain_size, "invalid H section size"),
        ]
        for sid, name in ((3, "IC"), (4, "coefficients"), (5, "A"), (6, "B1"), (7, "B2")):
            checks.append((bytes(key.sections[sid]) == bytes(init.sections[sid]), f"{name} section is not identical"))
        for ok, message in checks:
            if not ok:
                report.problems.append(message)
                return report
        for sid, name in ((8, "L"), (9, "H")):
            r_init, r_key = _random_combination(init.sections[sid], key.sections[sid])
            if r_init is None and r_key is None:
                continue
            if not same_ratio(r_init, r_key, key.delta2, init.delta2):
                report.problems.append(f"{name} section does not match")
                return report
        del init
    report.ok = not report.dev
    return report


def verify_transcript(zkey: str | Path) -> VerifyReport:
    """The part of :func:`verify_zkey` a party without the circuit's powers of tau can run: the .zkey's
    phase-2 transcript (section 10) holds at least one contribution, every contribution's proof of
    knowledge and beacon check, and the chain ends at the key's delta1 and delta2.  What it does not
    check: that the key's other sections come from a valid phase 1 (``zkgate zkey verify`` with the
    ``.ptau`` does); a gateway compares the key with the circuit separately."""
    key = _Zkey.read(zkey)
    report = VerifyReport(ok=False, cs_hash=key.mpc.cs_hash, dev=key.mpc.is_dev)
    if report.dev:
        report.problems.append("the key comes from zkgate's DEVELOPMENT-ONLY setup, not from a ceremony")
        return report
    if not key.mpc.contributions:
        report.problems.append("the transcript holds no phase-2 contribution")
        return report
    cur = verify_chain(key, report)
    if cur is None:
        return report
    if key.delta1 != cur:
        report.problems.append("invalid delta1 (does not match the last contribution)")
    elif not same_ratio(G1_GENERATOR, cur, G2_GENERATOR, key.delta2):
        report.problems.append("invalid delta2")
    report.ok = not report.problems
    return report
