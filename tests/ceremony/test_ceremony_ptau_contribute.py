"""Phase 1: `powersoftau contribute | beacon | verify`, file-compatible with snarkjs 0.7.6.

zkgate and snarkjs contributions alternate; each tool verifies the other's files (prepared
ones included); the beacon equals snarkjs's byte for byte (snarkjs's contributions mix 64 OS
random bytes into the entropy, so only the beacon is reproducible across tools); tampered
files are refused with a specific message.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from ceremony_fixture import PHASE1_POWER, phase1_chain, snarkjs, zkgate  # noqa: F401  (fixture)

from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, Q_MOD, g1_mul, g2_mul
from zkgate.bn254.arrays import G1Affine, G2Affine
from zkgate.errors import FormatError, InvalidInputError
from zkgate.prover.ceremony.blake2b import NobleBlake2b
from zkgate.prover.ceremony.chacha import ChaCha
from zkgate.prover.ceremony.hashing import rows_compressed
from zkgate.prover.ceremony.phase1_contribute import (
    _contribute_with,
    beacon,
    contribute,
    read_contributions,
    section_count,
)
from zkgate.prover.ceremony.phase1_verify import verify_ptau
from zkgate.prover.formats.ptau import new_ptau, prepare_phase2, read_ptau
from zkgate.prover.formats.ptau_records import encode_contributions

BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
SMALL = 2  # pure-Python friendly


def section_offset(path: Path, sid: int) -> int:
    """File offset of a section's payload (iden3 container: 12-byte header, then id u32 + size u64)."""
    data = path.read_bytes()
    pos = 12
    while pos < len(data):
        found, size = struct.unpack_from("<IQ", data, pos)
        if found == sid:
            return pos + 12
        pos += 12 + size
    raise AssertionError(f"no section {sid}")


def patched(src: Path, dst: Path, sid: int, offset: int, payload: bytes) -> Path:
    data = bytearray(src.read_bytes())
    at = section_offset(src, sid) + offset
    data[at : at + len(payload)] = payload
    dst.write_bytes(bytes(data))
    return dst


def reference_compressed(point, group: int) -> bytes:
    half = (Q_MOD - 1) // 2
    if point is None:
        return bytes([0x40]) + bytes(32 * group - 1)
    x, y = point
    if group == 1:
        out, negative = bytearray(x.to_bytes(32, "big")), y > half
    else:
        out = bytearray(x[1].to_bytes(32, "big") + x[0].to_bytes(32, "big"))
        negative = (y[1] > half) if y[1] else (y[0] > half)
    if negative:
        out[0] |= 0x80
    return bytes(out)


def test_compressed_points_match_ffjavascript_rules():
    g1 = [g1_mul(G1_GENERATOR, k) for k in (1, 2, 3, 5, 7, 11)] + [None]
    g2 = [g2_mul(G2_GENERATOR, k) for k in (1, 2, 3)] + [None]
    assert rows_compressed(G1Affine.from_ints(g1).limbs, 1) == b"".join(reference_compressed(p, 1) for p in g1)
    assert rows_compressed(G2Affine.from_ints(g2).limbs, 2) == b"".join(reference_compressed(p, 2) for p in g2)
    flags = {reference_compressed(p, 1)[0] & 0x80 for p in g1[:-1]}
    assert flags == {0, 0x80}  # both signs exercised


@pytest.fixture(scope="module")
def small_chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("zkchain")
    new_ptau(SMALL, d / "p0.ptau")
    contribute(d / "p0.ptau", d / "p1.ptau", name="alice", entropy="a")
    contribute(d / "p1.ptau", d / "p2.ptau", name="bob", entropy="b")
    beacon(d / "p2.ptau", d / "p3.ptau", BEACON, 10, name="final")
    return d


def test_zkgate_chain_verifies(small_chain):
    report = verify_ptau(small_chain / "p3.ptau")
    assert report.ok, report.problems
    assert [c.name for c, _ in report.contributions] == ["alice", "bob", "final"]
    assert report.contributions[-1][0].type == 1 and report.contributions[-1][0].beacon_hash.hex() == BEACON
    assert report.next_challenge == report.contributions[-1][0].next_challenge
    # records round-trip byte for byte
    p = read_ptau(small_chain / "p3.ptau")
    assert encode_contributions(read_contributions(p)) == bytes(p.raw(7))


def test_new_file_without_contribution_is_refused(small_chain):
    report = verify_ptau(small_chain / "p0.ptau")
    assert not report.ok and "no contribution" in report.problems[0]


def test_beacon_and_seeded_contributions_are_deterministic(small_chain, tmp_path):
    beacon(small_chain / "p2.ptau", tmp_path / "again.ptau", BEACON, 10, name="final")
    assert (tmp_path / "again.ptau").read_bytes() == (small_chain / "p3.ptau").read_bytes()
    src = read_ptau(small_chain / "p1.ptau")
    for name in ("x.ptau", "y.ptau"):
        _contribute_with(src, tmp_path / name, ChaCha(list(range(8))), 0, "seeded", 0, b"", False)
    assert (tmp_path / "x.ptau").read_bytes() == (tmp_path / "y.ptau").read_bytes()
    # the OS bytes mixed into the entropy make two contributions with the same text differ
    contribute(small_chain / "p1.ptau", tmp_path / "e1.ptau", name="same", entropy="same")
    contribute(small_chain / "p1.ptau", tmp_path / "e2.ptau", name="same", entropy="same")
    assert (tmp_path / "e1.ptau").read_bytes() != (tmp_path / "e2.ptau").read_bytes()


def test_changed_point_is_refused(small_chain, tmp_path):
    good = small_chain / "p3.ptau"
    p = read_ptau(good)
    # tauG1[3] replaced by tauG1[2]: a valid point that breaks the progression
    bad = patched(good, tmp_path / "bad.ptau", 2, 3 * 64, p.points(2, 2, 1, 1).tobytes())
    report = verify_ptau(bad)
    assert not report.ok and "tauG1 section: powers do not match" in report.problems[0]
    result = zkgate("powersoftau", "verify", str(bad), cwd=tmp_path, check=False)
    assert result.returncode == 1 and result.stdout.strip() == "INVALID"
    assert "tauG1 section" in result.stderr
    # betaTauG1[1] replaced
    bad = patched(good, tmp_path / "bad5.ptau", 5, 64, p.points(5, 0, 1, 1).tobytes())
    assert "betaTauG1 section" in verify_ptau(bad).problems[0]


def test_changed_hash_is_refused(small_chain, tmp_path):
    good = small_chain / "p3.ptau"
    p = read_ptau(good)
    records = read_contributions(p)
    section = bytearray(p.raw(7))
    # next challenge of the last record: one bit flipped
    last_next = section.rfind(records[-1].next_challenge)
    section[last_next] ^= 1
    bad = patched(good, tmp_path / "hash.ptau", 7, 0, bytes(section))
    report = verify_ptau(bad)
    assert not report.ok and "next challenge" in report.problems[0]
    # partial hash of the last record: the response hash changes, so does the challenge of the points
    section = bytearray(p.raw(7))
    section[section.rfind(records[-1].partial_hash) + 150] ^= 1
    report = verify_ptau(patched(good, tmp_path / "partial.ptau", 7, 0, bytes(section)))
    assert not report.ok and "next challenge" in report.problems[0]
    # next challenge of the first record: the second contribution's key no longer signs it
    section = bytearray(p.raw(7))
    section[section.find(records[0].next_challenge)] ^= 1
    report = verify_ptau(patched(good, tmp_path / "first.ptau", 7, 0, bytes(section)))
    assert not report.ok and "contribution #2 bob: INVALID key (tau)" in report.problems[0]


def test_changed_key_is_refused(small_chain, tmp_path):
    good = small_chain / "p3.ptau"
    p = read_ptau(good)
    records = read_contributions(p)
    section = bytearray(p.raw(7))
    # alice's alpha.g1_sx replaced by her alpha.g1_s (a valid point, wrong ratio)
    key = records[0].key
    at = section.find(G1Affine.from_ints([key.alpha.g1_sx]).limbs.tobytes())
    section[at : at + 64] = G1Affine.from_ints([key.alpha.g1_s]).limbs.tobytes()
    report = verify_ptau(patched(good, tmp_path / "key.ptau", 7, 0, bytes(section)))
    assert not report.ok and "contribution #1 alice: INVALID key (alpha)" in report.problems[0]
    # the beacon's key replaced by another contribution's: the beacon check names it
    section = bytearray(p.raw(7))
    at = section.find(G1Affine.from_ints([records[2].key.tau.g1_s]).limbs.tobytes())
    section[at : at + 64] = G1Affine.from_ints([records[1].key.tau.g1_s]).limbs.tobytes()
    report = verify_ptau(patched(good, tmp_path / "beacon.ptau", 7, 0, bytes(section)))
    assert not report.ok and "BEACON key (tau g1_s)" in report.problems[0]


def test_point_off_the_curve_is_refused(small_chain, tmp_path):
    good = small_chain / "p3.ptau"
    rows = read_ptau(good).points(2, 5, 1, 1).copy()
    rows[0, 4] ^= 1  # y changed: off the curve
    bad = patched(good, tmp_path / "off.ptau", 2, 5 * 64, rows.tobytes())
    with pytest.raises(FormatError, match=r"section 2 \(tauG1\): point 5 is not on the curve"):
        verify_ptau(bad)
    result = zkgate("powersoftau", "verify", str(bad), cwd=tmp_path, check=False)
    assert result.returncode == 2 and "point 5 is not on the curve" in result.stderr
    # a record's point off the curve
    p = read_ptau(good)
    section = bytearray(p.raw(7))
    at = 4 + 64  # contribution #1: tauG1 then tauG2 (x.c0 first limb)
    section[at] ^= 1
    with pytest.raises(FormatError, match=r"contribution #1 tauG2"):
        verify_ptau(patched(good, tmp_path / "rec.ptau", 7, 0, bytes(section)))


def test_prepared_file_verifies_and_broken_lagrange_is_refused(small_chain, tmp_path):
    prepare_phase2(small_chain / "p3.ptau", tmp_path / "prep.ptau")
    report = verify_ptau(tmp_path / "prep.ptau")
    assert report.ok and report.prepared, report.problems
    p = read_ptau(tmp_path / "prep.ptau")
    # Lagrange tauG1 basis of size 4 (points 3..6): its second point replaced by its first
    bad = patched(tmp_path / "prep.ptau", tmp_path / "lag.ptau", 12, 4 * 64, p.points(12, 3, 1, 1).tobytes())
    report = verify_ptau(bad)
    assert not report.ok and "section 12 (Lagrange tauG1): the basis of size 2^2" in report.problems[0]


def test_reduced_file_and_bad_beacon_are_refused(small_chain, tmp_path):
    with pytest.raises(InvalidInputError, match="outside"):
        beacon(small_chain / "p2.ptau", tmp_path / "b.ptau", BEACON, 9)
    data = bytearray((small_chain / "p2.ptau").read_bytes())
    at = section_offset(small_chain / "p2.ptau", 1) + 4 + 32 + 4
    data[at : at + 4] = struct.pack("<I", SMALL + 1)  # ceremony power != power
    (tmp_path / "reduced.ptau").write_bytes(bytes(data))
    with pytest.raises(InvalidInputError, match="reduced"):
        contribute(tmp_path / "reduced.ptau", tmp_path / "c.ptau", entropy="x")


# ---- against snarkjs ------------------------------------------------------------------------


@pytest.mark.interop
def test_snarkjs_chain_verified_by_zkgate(phase1_chain):
    for path, names in ((phase1_chain.one, ["snarkjs one"]), (phase1_chain.two, ["snarkjs one", "snarkjs two"]),
                        (phase1_chain.prepared, ["snarkjs one", "snarkjs two"])):
        report = verify_ptau(path)
        assert report.ok, (path, report.problems)
        assert [c.name for c, _ in report.contributions] == names
    assert zkgate("powersoftau", "verify", str(phase1_chain.prepared), cwd=phase1_chain.directory).stdout.strip() == "OK"
    # snarkjs's records round-trip, and its partial hash is exactly the state zkgate's BLAKE2b reaches
    p = read_ptau(phase1_chain.two)
    records = read_contributions(p)
    assert encode_contributions(records) == bytes(p.raw(7))
    h = NobleBlake2b().update(records[0].next_challenge)
    for sid, group in ((2, 1), (3, 2), (4, 1), (5, 1), (6, 2)):
        h.update(rows_compressed(p.points(sid, 0, section_count(sid, p.power), group), group))
    assert h.export_state() == records[1].partial_hash


@pytest.mark.interop
@pytest.mark.slow  # snarkjs runs five times
def test_alternating_chain_verified_by_both(phase1_chain, tmp_path):
    d = tmp_path
    zkgate("powersoftau", "contribute", str(phase1_chain.new), "z1.ptau", "--name=zkgate one", "-e=one", cwd=d)
    snarkjs("powersoftau", "contribute", "z1.ptau", "s2.ptau", "--name=snarkjs two", "-e=two", cwd=d)
    contribute(d / "s2.ptau", d / "z3.ptau", name="zkgate three", entropy="three")
    zkgate("powersoftau", "beacon", "z3.ptau", "final.ptau", BEACON, "10", "--name=final beacon", cwd=d)
    snarkjs("powersoftau", "beacon", "z3.ptau", "final_snarkjs.ptau", BEACON, "10", "--name=final beacon", cwd=d)
    assert (d / "final.ptau").read_bytes() == (d / "final_snarkjs.ptau").read_bytes()
    for name in ("z1.ptau", "s2.ptau", "z3.ptau", "final.ptau"):
        out = snarkjs("powersoftau", "verify", name, cwd=d)
        assert "Powers of Tau Ok!" in out.stdout + out.stderr, name
        assert zkgate("powersoftau", "verify", name, cwd=d).stdout.strip() == "OK", name
    report = verify_ptau(d / "final.ptau")
    assert [c.name for c, _ in report.contributions] == ["zkgate one", "snarkjs two", "zkgate three", "final beacon"]
    # prepared by zkgate, verified by both
    zkgate("powersoftau", "prepare", "phase2", "final.ptau", "final_prepared.ptau", cwd=d)
    out = snarkjs("powersoftau", "verify", "final_prepared.ptau", cwd=d)
    assert "Powers of Tau Ok!" in out.stdout + out.stderr
    assert verify_ptau(d / "final_prepared.ptau").ok
    assert read_ptau(d / "final_prepared.ptau").power == PHASE1_POWER


@pytest.mark.interop
def test_snarkjs_refuses_what_zkgate_refuses(phase1_chain, tmp_path):
    """A contribution into a snarkjs file by zkgate, then a broken point: both tools refuse it."""
    contribute(phase1_chain.one, tmp_path / "z.ptau", name="z", entropy="z")
    p = read_ptau(tmp_path / "z.ptau")
    bad = patched(tmp_path / "z.ptau", tmp_path / "bad.ptau", 4, 2 * 64, p.points(4, 1, 1, 1).tobytes())
    assert not verify_ptau(bad).ok
    out = snarkjs("powersoftau", "verify", "bad.ptau", cwd=tmp_path, check=False)
    assert "Powers of Tau Ok!" not in out.stdout + out.stderr
    assert np.any(p.points(4, 1, 1, 1) != p.points(4, 2, 1, 1))
