"""Read and write snarkjs Groth16 ``.zkey`` files.

Container magic ``zkey``, version 1.  Sections: 1 protocol (u32, 1 = Groth16); 2 header
(n8q, q, n8r, r, nVars, nPublic, domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2);
3 IC (nPublic + 1 G1); 4 coefficients (u32 count, then matrix, constraint, signal u32 and a
32-byte value c*R^2 mod r); 5 A (nVars G1); 6 B1 (nVars G1); 7 B2 (nVars G2); 8 C
(nVars - nPublic - 1 G1); 9 H (domainSize G1); 10 contributions (kept verbatim).  Points are
affine Montgomery, little endian, all-zero bytes for infinity.  Checked against snarkjs 0.7.6.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from zkgate.binfile import Reader, read_container, write_container
from zkgate.bn254 import Q_MOD, R_MOD
from zkgate.errors import FormatError
from zkgate.prover.formats.curve_points import g1_from_words, g1_to_bytes, g2_from_words, g2_to_bytes
from zkgate.prover.groth16.keys import COEFFICIENT_DTYPE, ProvingKey

MAGIC = b"zkey"
VERSION = 1
GROTH16 = 1
G1_WORDS, G2_WORDS = 8, 16


def _points(payload: memoryview, words: int, count: int, path: str, name: str) -> np.ndarray:
    expected = count * words * 8
    if len(payload) != expected:
        raise FormatError(
            f"{path}: section {name} holds {len(payload)} bytes, expected {expected} ({count} points)"
        )
    return np.frombuffer(payload, dtype="<u8").reshape(count, words)


def read_zkey(path: str | Path) -> ProvingKey:
    """Parse a Groth16 ``.zkey``; raise FormatError naming the file and section when malformed."""
    container = read_container(path, MAGIC, (VERSION,))
    where = str(path)
    protocol = Reader(container.section(1, "protocol"), f"{where} section 1 (protocol)")
    protocol_id = protocol.u32("protocol id")
    if protocol_id != GROTH16:
        raise FormatError(f"{where}: protocol {protocol_id} is not Groth16 (1); PLONK/FFLONK keys are not supported")

    header = Reader(container.section(2, "header"), f"{where} section 2 (header)")
    n8q = header.u32("n8q")
    q = header.integer(n8q, "q")
    n8r = header.u32("n8r")
    r = header.integer(n8r, "r")
    if (n8q, q, n8r, r) != (32, Q_MOD, 32, R_MOD):
        raise FormatError(f"{where}: section 2 (header): the key is not for BN254 (bn128)")
    n_vars = header.u32("nVars")
    n_public = header.u32("nPublic")
    domain_size = header.u32("domainSize")
    if domain_size == 0 or domain_size & (domain_size - 1):
        raise FormatError(f"{where}: section 2 (header): domainSize {domain_size} is not a power of two")
    if n_public + 1 > n_vars:
        raise FormatError(f"{where}: section 2 (header): nPublic {n_public} does not fit nVars {n_vars}")

    def g1(name: str):
        return g1_from_words(np.frombuffer(header.take(64, name), dtype="<u8"), f"{where} header {name}")

    def g2(name: str):
        return g2_from_words(np.frombuffer(header.take(128, name), dtype="<u8"), f"{where} header {name}")

    alpha1, beta1, beta2, gamma2, delta1, delta2 = g1("alpha1"), g1("beta1"), g2("beta2"), g2("gamma2"), g1("delta1"), g2("delta2")
    header.expect_end()

    ic_words = _points(container.section(3, "IC"), G1_WORDS, n_public + 1, where, "3 (IC)")
    ic = tuple(g1_from_words(row, f"{where} IC[{i}]") for i, row in enumerate(ic_words))

    coeff_section = container.section(4, "coefficients")
    if len(coeff_section) < 4:
        raise FormatError(f"{where}: section 4 (coefficients) is truncated")
    n_coefficients = struct.unpack_from("<I", coeff_section, 0)[0]
    expected = 4 + n_coefficients * COEFFICIENT_DTYPE.itemsize
    if len(coeff_section) != expected:
        raise FormatError(f"{where}: section 4 (coefficients) holds {len(coeff_section)} bytes, expected {expected}")
    coefficients = np.frombuffer(coeff_section[4:], dtype=COEFFICIENT_DTYPE)
    if n_coefficients and (
        coefficients["matrix"].max() > 1
        or coefficients["constraint"].max() >= domain_size
        or coefficients["signal"].max() >= n_vars
    ):
        raise FormatError(f"{where}: section 4 (coefficients) refers to a matrix, row or wire out of range")

    return ProvingKey(
        n_vars=n_vars,
        n_public=n_public,
        domain_size=domain_size,
        alpha1=alpha1,
        beta1=beta1,
        beta2=beta2,
        gamma2=gamma2,
        delta1=delta1,
        delta2=delta2,
        ic=ic,
        coefficients=coefficients,
        a_points=_points(container.section(5, "A"), G1_WORDS, n_vars, where, "5 (A)"),
        b1_points=_points(container.section(6, "B1"), G1_WORDS, n_vars, where, "6 (B1)"),
        b2_points=_points(container.section(7, "B2"), G2_WORDS, n_vars, where, "7 (B2)"),
        c_points=_points(container.section(8, "C"), G1_WORDS, n_vars - n_public - 1, where, "8 (C)"),
        h_points=_points(container.section(9, "H"), G1_WORDS, domain_size, where, "9 (H)"),
        contributions=bytes(container.section(10, "contributions")) if container.has(10) else b"",
    )


def write_zkey(path: str | Path, key: ProvingKey) -> None:
    """Write ``key`` as a snarkjs-readable ``.zkey`` (sections 1 to 10 in order)."""
    header = b"".join(
        [
            struct.pack("<I", 32), Q_MOD.to_bytes(32, "little"),
            struct.pack("<I", 32), R_MOD.to_bytes(32, "little"),
            struct.pack("<III", key.n_vars, key.n_public, key.domain_size),
            g1_to_bytes(key.alpha1), g1_to_bytes(key.beta1), g2_to_bytes(key.beta2),
            g2_to_bytes(key.gamma2), g1_to_bytes(key.delta1), g2_to_bytes(key.delta2),
        ]
    )
    coefficients = struct.pack("<I", len(key.coefficients)) + key.coefficients.astype(COEFFICIENT_DTYPE).tobytes()
    sections = [
        (1, struct.pack("<I", GROTH16)),
        (2, header),
        (3, b"".join(g1_to_bytes(p) for p in key.ic)),
        (4, coefficients),
        (5, key.a_points.astype("<u8").tobytes()),
        (6, key.b1_points.astype("<u8").tobytes()),
        (7, key.b2_points.astype("<u8").tobytes()),
        (8, key.c_points.astype("<u8").tobytes()),
        (9, key.h_points.astype("<u8").tobytes()),
        (10, key.contributions),
    ]
    write_container(path, MAGIC, VERSION, sections)
