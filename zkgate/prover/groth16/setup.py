"""Groth16 setup: the initial ``.zkey`` from a powers of tau, and the one-step dev setup.

:func:`setup_from_ptau` does what ``snarkjs groth16 setup`` (``newZKey``) does: it reads a
phase-2-prepared ``.ptau``, builds the QAP points of the circuit from the Lagrange bases
(A, B1, B2 from tau; IC and C from beta*A + alpha*B + C; H from the doubled domain's odd
Lagrange points), sets gamma = delta = 1 and records the circuit hash -- BLAKE2b-512 over
alpha1, beta1, beta2, the generators (gamma2, delta1, delta2) and each point section
preceded by its big-endian u32 count, in snarkjs's order (IC, H, C, A, B1, B2; H hashed as
tau^i (tau^n - 1) G1 from the tau powers, with snarkjs's chunking, including its read past the
tauG1 section at a domain as large as the powers of tau) -- so that
``snarkjs zkey verify`` accepts the key: it rebuilds it and compares sections 3 to 7
byte for byte and the circuit hash.  Sections are written in snarkjs's order, one at a
time (memory holds one section, never Python objects per point).

:func:`dev_setup` draws tau, alpha, beta, gamma and delta from the OS CSPRNG, builds the key
directly, forgets them, and marks the key as development-only in its contribution record
(:data:`~zkgate.prover.formats.zkey_records.DEV_NAME`).
"""

from __future__ import annotations

import secrets
import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from zkgate.binfile import HEADER, SECTION_HEADER
from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, Q_MOD, R_MOD, fr_root_of_unity, g1_mul, g2_mul
from zkgate.bn254.arrays import G1Affine, G2Affine, rows_to_ints, to_montgomery
from zkgate.circuits.r1csfile import read_r1cs
from zkgate.errors import FormatError, InvalidInputError
from zkgate.prover.ceremony import group_ops
from zkgate.prover.ceremony.chacha import ChaCha, hash_to_g2
from zkgate.prover.ceremony.hhash_quirk import snarkjs_sub_affine
from zkgate.prover.formats.curve_points import g1_to_bytes, g2_to_bytes
from zkgate.prover.formats.ptau import read_ptau
from zkgate.prover.formats.zkey_records import (
    DEV_NAME,
    Contribution,
    MpcParams,
    blake2b512,
    decode_mpc_params,
    encode_mpc_params,
    g1_uncompressed,
    g2_uncompressed,
    rows_uncompressed,
)
from zkgate.prover.groth16.keys import COEFFICIENT_DTYPE
from zkgate.prover.progress import bar

MAX_POWER = 28
H_HASH_CHUNK = 1 << 14  # snarkjs's hashHPoints chunk (its count quirk is reproduced)


class DevKeyWarning(UserWarning):
    """Emitted whenever a development-only key is created or used."""


def circuit_power(n_constraints: int, n_public: int) -> int:
    """snarkjs's ``cirPower``: log2(domain size) = floor(log2(m + nPublic)) + 1."""
    v = n_constraints + n_public
    return (v.bit_length() - 1 if v > 0 else 0) + 1


class _ZkeyWriter:
    """Writes a ``.zkey`` container one section at a time (ten sections, any order)."""

    def __init__(self, path: str | Path) -> None:
        self.handle = open(path, "wb")
        self.handle.write(HEADER.pack(b"zkey", 1, 10))

    def section(self, section_id: int, *payloads: bytes) -> None:
        self.handle.write(SECTION_HEADER.pack(section_id, sum(len(p) for p in payloads)))
        for p in payloads:
            self.handle.write(p)

    def close(self) -> None:
        self.handle.close()


def _header_bytes(n_vars: int, n_public: int, domain: int, alpha1: bytes, beta1: bytes, beta2: bytes,
                  gamma2: bytes, delta1: bytes, delta2: bytes) -> bytes:
    return b"".join([
        struct.pack("<I", 32), Q_MOD.to_bytes(32, "little"), struct.pack("<I", 32), R_MOD.to_bytes(32, "little"),
        struct.pack("<III", n_vars, n_public, domain), alpha1, beta1, beta2, gamma2, delta1, delta2,
    ])


class _Plan:
    """The circuit's sparse sums: which Lagrange point, scaled by which coefficient, feeds
    which wire of which section.  Built once with numpy from the ``.r1cs`` arrays."""

    def __init__(self, r1cs, domain: int) -> None:
        m = r1cs.n_constraints
        n_pub = r1cs.n_public
        self.m, self.n_pub, self.n_vars, self.domain = m, n_pub, r1cs.n_wires, domain
        offsets = np.asarray(r1cs.lc_offsets, dtype=np.int64)
        counts = np.diff(offsets)
        lc_index = np.repeat(np.arange(3 * m, dtype=np.int64), counts)
        self.constraint = lc_index // 3
        self.kind = lc_index % 3  # 0 A, 1 B, 2 C
        self.wire = np.asarray(r1cs.lc_wires, dtype=np.int64)
        self.coef = np.ascontiguousarray(np.asarray(r1cs.coeff_table, dtype=np.uint64)[np.asarray(r1cs.lc_coeffs, dtype=np.int64)]).reshape(-1, 4)
        self.coeff_table = np.asarray(r1cs.coeff_table, dtype=np.uint64).reshape(-1, 4)
        self.lc_coeffs = np.asarray(r1cs.lc_coeffs, dtype=np.int64)
        self.pub_wires = np.arange(n_pub + 1, dtype=np.int64)
        self.pub_rows = m + self.pub_wires
        self.one = np.tile(np.array([1, 0, 0, 0], dtype=np.uint64), (n_pub + 1, 1))

    def group(self, wires, bases, coefs, n_out, wire_offset=0):
        """Sort entries by output wire: (offsets, base indices, scalar rows)."""
        out = wires - wire_offset
        order = np.argsort(out, kind="stable")
        offs = np.zeros(n_out + 1, dtype=np.int64)
        np.cumsum(np.bincount(out, minlength=n_out)[:n_out], out=offs[1:])
        return offs, np.ascontiguousarray(bases[order]), np.ascontiguousarray(coefs[order])

    def select(self, kind: int):
        mask = self.kind == kind
        return self.wire[mask], self.constraint[mask], self.coef[mask]

    def coefficients_section(self) -> bytes:
        """Section 4: A and B entries per constraint, then the public rows; values c*R^2 mod r."""
        table_r2 = to_montgomery(to_montgomery(self.coeff_table, R_MOD), R_MOD)  # c * R^2 mod r

        mask = self.kind < 2
        n_main = int(mask.sum())
        total = n_main + self.n_pub + 1
        rec = np.zeros(total, dtype=COEFFICIENT_DTYPE)
        rec["matrix"][:n_main] = self.kind[mask]
        rec["constraint"][:n_main] = self.constraint[mask]
        rec["signal"][:n_main] = self.wire[mask]
        if n_main:
            rec["value"][:n_main] = table_r2[self.lc_coeffs[mask]]
        one_r2 = np.frombuffer(pow(1 << 256, 2, R_MOD).to_bytes(32, "little"), dtype="<u8")
        rec["matrix"][n_main:] = 0
        rec["constraint"][n_main:] = self.pub_rows
        rec["signal"][n_main:] = self.pub_wires
        rec["value"][n_main:] = one_r2
        return struct.pack("<I", total) + rec.tobytes()


class _CircuitHasher:
    def __init__(self) -> None:
        self.h = blake2b512()

    def u32(self, n: int) -> None:
        self.h.update(struct.pack(">I", n))

    def rows(self, rows: np.ndarray, group: int) -> None:
        self.h.update(rows_uncompressed(rows, group))

    def digest(self) -> bytes:
        return self.h.digest()


def setup_from_ptau(r1cs_path: str | Path, ptau_path: str | Path, zkey_path: str | Path,
                    progress: bool = False, on_note: Callable[[str], None] | None = None) -> bytes:
    """Write the initial ``.zkey`` (no contribution) of a circuit; return the circuit hash.

    ``on_note`` receives a sentence for the user where the circuit hash needs a remark (a
    domain as large as the powers of tau: see :func:`_hash_h`); the CLI prints it to stderr.
    """

    r1cs = read_r1cs(r1cs_path)
    ptau = read_ptau(ptau_path)
    n_pub = r1cs.n_public
    cir_power = circuit_power(r1cs.n_constraints, n_pub)
    if cir_power > ptau.power:
        raise InvalidInputError(
            f"{r1cs_path}: circuit too big for {ptau_path}: {r1cs.n_constraints} constraints + {n_pub} public "
            f"need a domain of 2^{cir_power}, the powers of tau has 2^{ptau.power}"
        )
    if not ptau.prepared:
        raise InvalidInputError(f"{ptau_path}: the powers of tau is not prepared for phase 2 (run `zkgate powersoftau prepare phase2`)")
    if cir_power >= MAX_POWER:
        raise InvalidInputError(f"{r1cs_path}: circuit too big for BN254 (domain 2^{cir_power})")
    d = 1 << cir_power
    plan = _Plan(r1cs, d)
    hasher = _CircuitHasher()

    # every point the key is built from is checked on the curve first (setup_point_checks)
    alpha1 = bytes(ptau.checked_points(4, 0, 1, 1))
    beta1 = bytes(ptau.checked_points(5, 0, 1, 1))
    beta2 = bytes(ptau.checked_points(6, 0, 1, 2))
    setup_point_checks(ptau, d)
    g1b, g2b = g1_to_bytes(G1_GENERATOR), g2_to_bytes(G2_GENERATOR)
    for raw, group in ((alpha1, 1), (beta1, 1), (beta2, 2)):
        hasher.rows(np.frombuffer(raw, dtype="<u8").reshape(1, -1), group)
    hasher.h.update(g2_uncompressed(G2_GENERATOR) + g1_uncompressed(G1_GENERATOR) + g2_uncompressed(G2_GENERATOR))

    writer = _ZkeyWriter(zkey_path)
    try:
        writer.section(1, struct.pack("<I", 1))
        writer.section(2, _header_bytes(r1cs.n_wires, n_pub, d, alpha1, beta1, beta2, g2b, g1b, g2b))
        writer.section(4, plan.coefficients_section())

        tau_g1 = ptau.checked_points(12, d - 1, d, 1)
        alpha_g1 = ptau.checked_points(14, d - 1, d, 1)
        beta_g1 = ptau.checked_points(15, d - 1, d, 1)
        g1_bases = np.concatenate([tau_g1, alpha_g1, beta_g1])  # offsets 0, d, 2d
        n_priv = r1cs.n_wires - n_pub - 1

        steps = 6
        with bar("groth16 setup", steps, progress) as pb:
            # IC and C: beta*A + alpha*B + C, public rows add beta * L[m + s]
            wa, ca, ka = plan.select(0)
            wb, cb, kb = plan.select(1)
            wc, cc, kc = plan.select(2)
            wires = np.concatenate([wa, wb, wc, plan.pub_wires])
            bases = np.concatenate([2 * d + ca, d + cb, cc, 2 * d + plan.pub_rows])
            coefs = np.concatenate([ka, kb, kc, plan.one])
            pub = wires <= n_pub
            ic = group_ops.sparse_sums(g1_bases, *plan.group(wires[pub], bases[pub], coefs[pub], n_pub + 1), 1)
            hasher.u32(n_pub + 1)
            hasher.rows(ic, 1)
            writer.section(3, ic.tobytes())
            pb.advance()

            # H: odd points of the doubled domain's Lagrange basis (snarkjs writes them raw)
            if cir_power < MAX_POWER:
                h_rows = ptau.checked_points(12, 2 * d, 2 * d - 1, 1, step=2)  # the odd points of size 2d
            writer.section(9, np.ascontiguousarray(h_rows).tobytes())
            _hash_h(hasher, ptau, d, on_note)
            pb.advance()

            c_rows = group_ops.sparse_sums(g1_bases, *plan.group(wires[~pub], bases[~pub], coefs[~pub], n_priv, n_pub + 1), 1)
            hasher.u32(n_priv)
            hasher.rows(c_rows, 1)
            writer.section(8, c_rows.tobytes())
            del c_rows
            pb.advance()

            a_rows = group_ops.sparse_sums(
                g1_bases, *plan.group(np.concatenate([wa, plan.pub_wires]), np.concatenate([ca, plan.pub_rows]),
                                      np.concatenate([ka, plan.one]), r1cs.n_wires), 1)
            hasher.u32(r1cs.n_wires)
            hasher.rows(a_rows, 1)
            writer.section(5, a_rows.tobytes())
            del a_rows
            pb.advance()

            b_group = plan.group(wb, cb, kb, r1cs.n_wires)
            b1_rows = group_ops.sparse_sums(g1_bases, *b_group, 1)
            hasher.u32(r1cs.n_wires)
            hasher.rows(b1_rows, 1)
            writer.section(6, b1_rows.tobytes())
            del b1_rows
            pb.advance()

            tau_g2 = ptau.checked_points(13, d - 1, d, 2)
            b2_rows = group_ops.sparse_sums(tau_g2, *b_group, 2)
            hasher.u32(r1cs.n_wires)
            hasher.rows(b2_rows, 2)
            writer.section(7, b2_rows.tobytes())
            del b2_rows
            pb.advance()

        cs_hash = hasher.digest()
        writer.section(10, encode_mpc_params(MpcParams(cs_hash, ())))
    finally:
        writer.close()
    return cs_hash


def setup_point_checks(ptau, d: int) -> None:
    """Refuse a powers of tau whose points the key (or its circuit hash) would use but that are
    not curve points: the tauG1 powers the circuit hash reads, and betaG2 outside the order-r
    subgroup (it goes into the verifying key).  The Lagrange sections are checked as they are read."""

    ptau.checked_points(2, 0, min(2 * d, len(ptau.raw(2)) // 64), 1)
    if not G2Affine(np.array(ptau.points(6, 0, 1, 2), order="C"), check=False).in_subgroup().all():
        raise FormatError(f"{ptau.path}: section 6 (betaG2): point 0 is not in the order-r subgroup of G2")


def _hash_h(hasher: _CircuitHasher, ptau, d: int, on_note: Callable[[str], None] | None = None) -> None:
    """snarkjs's ``hashHPoints``: count d-1, then tau^i (tau^d - 1) G1 in chunks of 2^14; each
    chunk has min(d-1, 2^14) points (snarkjs's loop does not shorten the last one).

    When the circuit's domain is as large as the powers of tau (d = 2^power > 2^14), that
    unshortened last chunk needs tauG1 point 2d - 1, which the file does not hold: snarkjs then
    reads the 64 bytes that follow the tauG1 section in the file (section 3's header and the
    start of tauG2[0]) and subtracts tauG1[d - 1] from them with wasmcurves' word arithmetic.
    zkgate does the same (:mod:`zkgate.prover.ceremony.hhash_quirk`), so both tools write and accept the
    same circuit hash.  Only where the file ends right after tauG1 (no snarkjs-layout file does)
    are the missing points left out, with a note that snarkjs will not accept the key."""

    hasher.u32(d - 1)
    n = min(d - 1, H_HASH_CHUNK)
    available = len(ptau.raw(2)) // 64
    for start in range(0, d - 1, H_HASH_CHUNK):
        count = min(n, available - (start + d))
        hi = ptau.points(2, start + d, count, 1)
        lo = ptau.points(2, start, count, 1)
        hasher.rows(group_ops.subtract(hi, lo, 1), 1)
        for k in range(count, n):  # points past the tauG1 section, as snarkjs reads them
            past = _bytes_past_section(ptau.path, 2, (start + d + k - available) * 64, 64)
            if past is None:
                if on_note:
                    on_note(f"{ptau.path}: the circuit's domain (2^{d.bit_length() - 1}) is as large as the powers of "
                            "tau and the file ends after its tauG1 section, where snarkjs reads one more point: "
                            "`snarkjs zkey verify` will not accept this key's circuit hash (proving and verifying "
                            "are unaffected). Use a powers of tau one size larger for a key snarkjs verifies.")
                break
            hasher.h.update(snarkjs_sub_affine(past, bytes(ptau.points(2, start + k, 1, 1))))


def _bytes_past_section(path: str, section_id: int, offset: int, size: int) -> bytes | None:
    """``size`` bytes of the file at ``offset`` bytes after the end of the first section
    ``section_id`` (snarkjs's ``sections[id][0]``); None where the file is shorter."""
    with open(path, "rb") as handle:
        handle.seek(HEADER.size)
        while True:
            header = handle.read(SECTION_HEADER.size)
            if len(header) < SECTION_HEADER.size:
                return None
            sid, length = SECTION_HEADER.unpack(header)
            if sid == section_id:
                handle.seek(length + offset, 1)
                data = handle.read(size)
                return data if len(data) == size else None
            handle.seek(length, 1)


# ---------------------------------------------------------------------------------------
# Dev setup


def _random_scalar() -> int:
    return secrets.randbelow(R_MOD - 1) + 1


def _fixed_base(generator_rows: np.ndarray, scalars: list[int], group: int) -> np.ndarray:
    width = 8 if group == 1 else 16
    if not scalars:
        return np.zeros((0, width), np.uint64)
    return group_ops.scale(np.repeat(generator_rows, len(scalars), axis=0), scalars, group)


def dev_setup(r1cs, zkey_path: str | Path, progress: bool = False) -> bytes:
    """One-step **development-only** setup; return the key's hash record (section 10 hash).

    ``r1cs``: an :class:`~zkgate.circuits.r1cs.R1CS` or the path of a ``.r1cs`` file.  The
    toxic waste comes from :mod:`secrets` and only lives in this call's local variables; the
    key's contribution record is named :data:`DEV_NAME`, so that every later use can refuse or
    flag it.  Never use such a key for anything that matters.
    """

    if isinstance(r1cs, (str, Path)):
        r1cs = read_r1cs(r1cs)
    warnings.warn("creating a DEVELOPMENT-ONLY Groth16 key (no ceremony)", DevKeyWarning, stacklevel=2)
    m, n_pub, n_vars = r1cs.n_constraints, r1cs.n_public, r1cs.n_wires
    cir_power = circuit_power(m, n_pub)
    if cir_power >= MAX_POWER:
        raise InvalidInputError(f"circuit too big for BN254 (domain 2^{cir_power})")
    d = 1 << cir_power
    tau, alpha, beta, gamma, delta = (_random_scalar() for _ in range(5))
    while pow(tau, 2 * d, R_MOD) == 1:  # tau must avoid the doubled domain
        tau = _random_scalar()

    # Lagrange values of the domain (size d) and of the doubled domain at tau
    def lagrange_values(n: int) -> list[int]:
        w = fr_root_of_unity(n.bit_length() - 1)
        zn = (pow(tau, n, R_MOD) - 1) * pow(n, -1, R_MOD) % R_MOD  # noqa: F821 - tau is del'd after use
        roots, cur = [], 1
        for _ in range(n):
            roots.append(cur)
            cur = cur * w % R_MOD
        dens = [(tau - x) % R_MOD for x in roots]  # noqa: F821 - tau is del'd after use
        prefix, acc = [], 1  # batch inversion
        for v in dens:
            prefix.append(acc)
            acc = acc * v % R_MOD
        inv = pow(acc, -1, R_MOD)
        out = [0] * n
        for i in range(n - 1, -1, -1):
            out[i] = zn * roots[i] % R_MOD * (inv * prefix[i] % R_MOD) % R_MOD
            inv = inv * dens[i] % R_MOD
        return out

    ell = lagrange_values(d)
    coeffs = rows_to_ints(np.asarray(r1cs.coeff_table, dtype=np.uint64)) if len(r1cs.coeff_table) else []
    a = [0] * n_vars
    b = [0] * n_vars
    c = [0] * n_vars
    offs = np.asarray(r1cs.lc_offsets).tolist()
    wires = np.asarray(r1cs.lc_wires).tolist()
    cidx = np.asarray(r1cs.lc_coeffs).tolist()
    for k in range(3 * m):
        target = (a, b, c)[k % 3]
        lk = ell[k // 3]
        for e in range(offs[k], offs[k + 1]):
            target[wires[e]] = (target[wires[e]] + coeffs[cidx[e]] * lk) % R_MOD
    for s in range(n_pub + 1):
        a[s] = (a[s] + ell[m + s]) % R_MOD
    gamma_inv, delta_inv = pow(gamma, -1, R_MOD), pow(delta, -1, R_MOD)
    comb = [(beta * a[s] + alpha * b[s] + c[s]) % R_MOD for s in range(n_vars)]
    ic_s = [v * gamma_inv % R_MOD for v in comb[: n_pub + 1]]
    c_s = [v * delta_inv % R_MOD for v in comb[n_pub + 1 :]]
    h_s = [v * delta_inv % R_MOD for v in lagrange_values(2 * d)[1::2]]

    g1 = G1Affine.from_ints([G1_GENERATOR]).limbs
    g2 = G2Affine.from_ints([G2_GENERATOR]).limbs
    with bar("dev setup", 6, progress) as pb:
        sections = {}
        for sid, scalars, group in ((3, ic_s, 1), (5, a, 1), (6, b, 1), (7, b, 2), (8, c_s, 1), (9, h_s, 1)):
            sections[sid] = _fixed_base(g1 if group == 1 else g2, scalars, group).tobytes()
            pb.advance()
    alpha1, beta1 = g1_mul(G1_GENERATOR, alpha), g1_mul(G1_GENERATOR, beta)
    beta2, gamma2 = g2_mul(G2_GENERATOR, beta), g2_mul(G2_GENERATOR, gamma)
    delta1, delta2 = g1_mul(G1_GENERATOR, delta), g2_mul(G2_GENERATOR, delta)

    hasher = _CircuitHasher()
    hasher.h.update(b"zkgate dev setup" + g1_uncompressed(alpha1) + g1_uncompressed(beta1) + g2_uncompressed(beta2)
                    + g2_uncompressed(gamma2))
    for sid in (3, 9, 8, 5, 6, 7):
        hasher.h.update(sections[sid])
    cs_hash = hasher.digest()
    # a well-formed contribution record for delta, named as development-only
    rng = ChaCha([secrets.randbits(32) for _ in range(8)])
    g1_s = rng.g1()
    g1_sx = g1_mul(g1_s, delta)
    th = blake2b512()
    th.update(cs_hash + g1_uncompressed(g1_s) + g1_uncompressed(g1_sx))
    transcript = th.digest()
    record = Contribution(delta1, g1_s, g1_sx, g2_mul(hash_to_g2(transcript), delta), transcript, 0, DEV_NAME)
    del tau, alpha, beta, gamma, delta, ell, a, b, c, comb, ic_s, c_s, h_s

    writer = _ZkeyWriter(zkey_path)
    try:
        writer.section(1, struct.pack("<I", 1))
        writer.section(2, _header_bytes(n_vars, n_pub, d, g1_to_bytes(alpha1), g1_to_bytes(beta1), g2_to_bytes(beta2),
                                        g2_to_bytes(gamma2), g1_to_bytes(delta1), g2_to_bytes(delta2)))
        writer.section(4, _Plan(r1cs, d).coefficients_section())
        for sid in (3, 9, 8, 5, 6, 7):
            writer.section(sid, sections[sid])
        writer.section(10, encode_mpc_params(MpcParams(cs_hash, (record,))))
    finally:
        writer.close()
    return cs_hash


def is_dev_key(key) -> bool:
    """Whether a :class:`~zkgate.prover.groth16.keys.ProvingKey` (or section-10 bytes) is dev-only."""

    data = key if isinstance(key, (bytes, bytearray)) else key.contributions
    if not data:
        return False
    try:
        return decode_mpc_params(data).is_dev
    except Exception:  # a malformed record is not a dev marker; verify reports it
        return False


def warn_if_dev(key, what: str = "key") -> bool:
    """Warn (:class:`DevKeyWarning`) when ``key`` is development-only; return whether it is."""
    dev = is_dev_key(key)
    if dev:
        warnings.warn(f"{what} is a DEVELOPMENT-ONLY key (zkgate dev setup): proofs under it prove nothing",
                      DevKeyWarning, stacklevel=2)
    return dev
