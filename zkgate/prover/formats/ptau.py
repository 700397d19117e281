"""snarkjs powers-of-tau files (``.ptau``): reading, and the ``powersoftau`` tools.

Container magic ``ptau``, version 1.  Sections: 1 header (u32 n8 = 32, q, u32 power,
u32 ceremonyPower); 2 tauG1 (2^(power+1) - 1 G1); 3 tauG2, 4 alphaTauG1, 5 betaTauG1
(2^power each); 6 betaG2 (1 G2); 7 contributions; after ``prepare phase2`` also 12-15:
the Lagrange bases of tauG1 (domain sizes 1, 2, ..., 2^(power+1)), tauG2, alphaTauG1 and
betaTauG1 (sizes 1 ... 2^power), concatenated -- the basis of size 2^k starts at point
2^k - 1.  Points are affine Montgomery, as in a ``.zkey``.

This module reads files and implements ``new`` and ``prepare phase2``; ``contribute`` and
``beacon`` live in :mod:`zkgate.prover.ceremony.phase1_contribute`, ``verify`` in
:mod:`zkgate.prover.ceremony.phase1_verify`, the section-7 records in :mod:`zkgate.prover.formats.ptau_records`
and the challenge / response hashing and key derivation in :mod:`zkgate.prover.ceremony.hashing`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkgate.binfile import HEADER, SECTION_HEADER, Container, read_container
from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, Q_MOD
from zkgate.bn254.arrays import G1Affine, G2Affine
from zkgate.errors import FormatError, InvalidInputError
from zkgate.prover.ceremony import group_ops
from zkgate.prover.formats.curve_points import g1_to_bytes, g2_to_bytes
from zkgate.prover.progress import bar

MAGIC = b"ptau"
VERSION = 1
G1_BYTES, G2_BYTES = 64, 128
MAX_POWER = 28
"""Largest power (and ceremonyPower) of a BN254 powers of tau: its scalar field has 2^28-th roots of unity."""
PREPARED_SECTIONS = (12, 13, 14, 15)


@dataclass(frozen=True)
class PtauFile:
    path: str
    power: int
    ceremony_power: int
    container: Container

    def points(self, section: int, start: int, count: int, group: int) -> np.ndarray:
        """``count`` points of a section from index ``start`` as packed rows (no copy)."""
        size = G1_BYTES if group == 1 else G2_BYTES
        payload = self.container.section(section)
        if (start + count) * size > len(payload):
            raise FormatError(
                f"{self.path}: section {section} holds {len(payload) // size} points, {start + count} needed"
            )
        return np.frombuffer(payload[start * size : (start + count) * size], dtype="<u8").reshape(count, size // 8)

    def checked_points(self, section: int, start: int, count: int, group: int, step: int = 1) -> np.ndarray:
        """As :meth:`points` (every ``step``-th of them), after checking that each is a curve point
        (coordinates below q, curve equation; G1 of BN254 has cofactor 1, so that is its subgroup
        too); FormatError names the file, the section and the point."""
        rows = self.points(section, start, count, group)[::step]
        check_rows(rows, group, f"{self.path}: section {section} ({SECTION_NAMES.get(section, '?')})", start, step)
        return rows

    def raw(self, section: int) -> memoryview:
        return self.container.section(section)

    @property
    def prepared(self) -> bool:
        return all(self.container.has(s) for s in PREPARED_SECTIONS)


SECTION_NAMES = {2: "tauG1", 3: "tauG2", 4: "alphaTauG1", 5: "betaTauG1", 6: "betaG2",
                 12: "Lagrange tauG1", 13: "Lagrange tauG2", 14: "Lagrange alphaTauG1", 15: "Lagrange betaTauG1"}
CHECK_CHUNK = 1 << 16


def check_rows(rows: np.ndarray, group: int, where: str, start: int = 0, step: int = 1) -> None:
    """Raise FormatError naming the first of ``rows`` (packed Montgomery points; row i is point
    ``start + step * i`` of its section) that has a coordinate >= q or is off the curve.  Chunked, vectorised on the native
    backend; the all-zero row (infinity) passes."""
    cls = G1Affine if group == 1 else G2Affine
    for offset in range(0, len(rows), CHECK_CHUNK):
        chunk = np.array(rows[offset : offset + CHECK_CHUNK], dtype=np.uint64, order="C")
        try:
            cls(chunk, check=True)
            continue
        except InvalidInputError:
            pass
        for i in range(len(chunk)):
            try:
                cls(chunk[i : i + 1], check=True)
            except InvalidInputError as exc:
                reason = "is not on the curve" if "curve" in str(exc) else "has a coordinate >= q"
                raise FormatError(f"{where}: point {start + step * (offset + i)} {reason}") from exc


def read_ptau(path: str | Path) -> PtauFile:
    container = read_container(path, MAGIC, (VERSION,))
    header = container.section(1, "header")
    if len(header) != 4 + 32 + 8:
        raise FormatError(f"{path}: section 1 (header) holds {len(header)} bytes, expected 44")
    n8 = struct.unpack_from("<I", header, 0)[0]
    q = int.from_bytes(header[4:36], "little")
    if n8 != 32 or q != Q_MOD:
        raise FormatError(f"{path}: section 1 (header): not a BN254 (bn128) powers of tau")
    power, ceremony_power = struct.unpack_from("<II", header, 36)
    if not 1 <= power <= MAX_POWER:
        raise FormatError(f"{path}: section 1 (header): power {power} out of range [1, {MAX_POWER}]")
    if not power <= ceremony_power <= MAX_POWER:
        # the first challenge hash runs over 2^ceremonyPower points: bound it before anyone computes it
        raise FormatError(f"{path}: section 1 (header): ceremonyPower {ceremony_power} out of range "
                          f"[power = {power}, {MAX_POWER}] (BN254 powers of tau go up to 2^{MAX_POWER})")
    ptau = PtauFile(str(path), power, ceremony_power, container)
    n = 1 << power
    for sec, count, size, name in ((2, 2 * n - 1, G1_BYTES, "tauG1"), (3, n, G2_BYTES, "tauG2"),
                                   (4, n, G1_BYTES, "alphaTauG1"), (5, n, G1_BYTES, "betaTauG1"),
                                   (6, 1, G2_BYTES, "betaG2")):
        got = len(container.section(sec, name))
        if got != count * size:
            raise FormatError(f"{path}: section {sec} ({name}) holds {got} bytes, expected {count * size} "
                              f"for power {power} in the header")
    lagrange = [sid for sid in PREPARED_SECTIONS if container.has(sid)]
    if lagrange and len(lagrange) != len(PREPARED_SECTIONS):
        missing = sorted(set(PREPARED_SECTIONS) - set(lagrange))
        raise FormatError(f"{path}: a phase-2 prepared file needs sections 12-15; section(s) "
                          f"{', '.join(map(str, missing))} missing (run `zkgate powersoftau prepare phase2` again)")
    for sid in lagrange:
        top, size, name = (power + 1, G1_BYTES, "tauG1") if sid == 12 else (
            power, G2_BYTES if sid == 13 else G1_BYTES, {13: "tauG2", 14: "alphaTauG1", 15: "betaTauG1"}[sid])
        expected = ((1 << (top + 1)) - 1) * size
        got = len(container.section(sid, f"Lagrange {name}"))
        if got != expected:
            raise FormatError(f"{path}: section {sid} (Lagrange {name}) holds {got} bytes, expected {expected} "
                              f"for power {power} in the header")
    return ptau


def _header_payload(power: int, ceremony_power: int) -> bytes:
    return struct.pack("<I", 32) + Q_MOD.to_bytes(32, "little") + struct.pack("<II", power, ceremony_power)


class _PtauWriter:
    def __init__(self, path: str | Path, n_sections: int) -> None:
        self.handle = open(path, "wb")
        self.handle.write(HEADER.pack(MAGIC, VERSION, n_sections))

    def begin(self, section_id: int, size: int) -> None:
        self.handle.write(SECTION_HEADER.pack(section_id, size))

    def section(self, section_id: int, payload) -> None:
        self.begin(section_id, len(payload))
        self.handle.write(payload)

    def close(self) -> None:
        self.handle.close()


def new_ptau(power: int, path: str | Path) -> None:
    """``snarkjs powersoftau new bn128 POWER``: every power is the generator, no contribution."""
    if not 1 <= power <= MAX_POWER:
        raise InvalidInputError(f"power {power} is outside [1, {MAX_POWER}]")
    n = 1 << power
    g1, g2 = g1_to_bytes(G1_GENERATOR), g2_to_bytes(G2_GENERATOR)
    w = _PtauWriter(path, 7)
    try:
        w.section(1, _header_payload(power, power))
        for sid, count, point in ((2, 2 * n - 1, g1), (3, n, g2), (4, n, g1), (5, n, g1)):
            w.begin(sid, count * len(point))
            block = point * min(count, 1 << 14)
            for start in range(0, count, 1 << 14):
                w.handle.write(block[: len(point) * min(1 << 14, count - start)])
        w.section(6, g2)
        w.section(7, struct.pack("<I", 0))
    finally:
        w.close()


def prepare_phase2(in_path: str | Path, out_path: str | Path, progress: bool = False) -> None:
    """``snarkjs powersoftau prepare phase2``: append the Lagrange bases (sections 12-15).

    For every domain size 2^k (k <= power; for tauG1 also 2^(power+1), whose last power is
    missing and taken as the point at infinity, as snarkjs does) the basis is the inverse
    DFT of the first 2^k powers: L_i = (1/n) sum_j w^(-ij) [tau^j]G.  One size at a time.
    """
    src = read_ptau(in_path)
    power = src.power
    if power + 1 > 28:
        raise InvalidInputError(f"{in_path}: power {power} too big for BN254's 2^28 domains")
    levels = {2: power + 1, 3: power, 4: power, 5: power}
    sizes = {12: 1, 13: 2, 14: 1, 15: 1}
    total = sum((1 << (lv + 1)) - 1 for lv in levels.values())
    w = _PtauWriter(out_path, 11)
    try:
        w.section(1, _header_payload(power, src.ceremony_power))
        for sid in range(2, 8):
            w.section(sid, src.raw(sid))
        with bar("prepare phase2", total, progress) as pb:
            for old, new in ((2, 12), (3, 13), (4, 14), (5, 15)):
                group = sizes[new]
                width = 8 * group
                top = levels[old]
                w.begin(new, ((1 << (top + 1)) - 1) * width * 8)
                for k in range(top + 1):
                    n = 1 << k
                    if old == 2 and k == power + 1:
                        pts = np.zeros((n, width), dtype=np.uint64)
                        pts[: n - 1] = src.points(old, 0, n - 1, group)
                    else:
                        pts = src.points(old, 0, n, group)
                    w.handle.write(group_ops.lagrange(pts, group).tobytes())
                    pb.advance(n)
    finally:
        w.close()
