"""Phase 2: zkgate and snarkjs contributions alternate; both tools verify the chain; proofs
cross; tampering is refused."""

from __future__ import annotations

import numpy as np
import pytest
from ceremony_fixture import ceremony, snarkjs, zkgate  # noqa: F401  (fixture)

from zkgate.binfile import read_container
from zkgate.errors import InvalidInputError
from zkgate.prover.ceremony.chacha import ChaCha, hash_to_g2
from zkgate.prover.ceremony.phase2 import (
    beacon,
    contribute,
    parse_beacon_hash,
    rng_from_beacon,
    verify_transcript,
    verify_zkey,
)
from zkgate.prover.formats.zkey_records import decode_mpc_params, encode_mpc_params

BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

# ffjavascript 0.3.1, seed = bytes 0..31 as big-endian u32 words (computed with node)
CHACHA_FR = 4636623908613268458230351899306533327531125513431735265008719731024662760066
CHACHA_G1 = (4283162802782358568160556894970654461307650178484095117365566211483040286183,
             16200305155417153706959141901242065816972046826484533799317911452111001916988)
HASH_TO_G2 = ((4331880802040179507408134841181032487087173600464364024802210002059667950604,
               4271516305872202364858900391755946161657037246250020514439168976697447665804),
              (14194165528950986229237743759035044030322996258565805903348263410557850081640,
               3572495062036222432809855904167672718120072387698078762897023322348755581936))


def test_chacha_samplers_match_ffjavascript():
    rng = ChaCha.from_digest(bytes(range(64)))
    assert rng.fr() == CHACHA_FR
    assert rng.g1() == CHACHA_G1
    assert hash_to_g2(bytes(range(64))) == HASH_TO_G2


def test_beacon_parameters_are_checked():
    with pytest.raises(InvalidInputError):
        parse_beacon_hash("abc")
    with pytest.raises(InvalidInputError):
        rng_from_beacon(b"\x01", 9)
    assert parse_beacon_hash("0x0a0b") == b"\x0a\x0b"


@pytest.mark.interop
@pytest.mark.slow  # pure-Python group FFT / setup at 2^6 take minutes
def test_alternating_ceremony_verified_by_both(ceremony, tmp_path):
    d = tmp_path
    contribute(ceremony.snark_zkey, d / "k1.zkey", name="zkgate one", entropy="one")
    snarkjs("zkey", "contribute", str(d / "k1.zkey"), "k2.zkey", "--name=snarkjs two", "-e=two", cwd=d)
    zkgate("zkey", "contribute", "k2.zkey", "k3.zkey", "--name=zkgate three", "-e=three", cwd=d)
    for name in ("k1.zkey", "k2.zkey", "k3.zkey"):
        out = snarkjs("zkey", "verify", str(ceremony.r1cs), str(ceremony.ptau), name, cwd=d)
        assert "ZKey Ok!" in out.stdout + out.stderr, name
        assert verify_zkey(ceremony.r1cs, ceremony.ptau, d / name).ok, name
    assert zkgate("zkey", "verify", str(ceremony.r1cs), str(ceremony.ptau), "k3.zkey", cwd=d).stdout.strip() == "OK"
    records = decode_mpc_params(bytes(read_container(d / "k3.zkey", b"zkey", (1,)).section(10)))
    assert [c.name for c in records.contributions] == ["zkgate one", "snarkjs two", "zkgate three"]
    # section 10 round-trips byte for byte (snarkjs's record included)
    assert encode_mpc_params(records) == bytes(read_container(d / "k3.zkey", b"zkey", (1,)).section(10))

    # the beacon is deterministic: zkgate's output equals snarkjs's byte for byte
    beacon(d / "k3.zkey", d / "final.zkey", BEACON, 10, name="final beacon")
    snarkjs("zkey", "beacon", "k3.zkey", "final_snarkjs.zkey", BEACON, "10", "--name=final beacon", cwd=d)
    assert (d / "final.zkey").read_bytes() == (d / "final_snarkjs.zkey").read_bytes()
    assert verify_zkey(ceremony.r1cs, ceremony.ptau, d / "final.zkey").ok

    # proofs cross: snarkjs proves with the zkgate-finished key, zkgate verifies, and back
    snarkjs("wtns", "calculate", str(ceremony.wasm), str(ceremony.input_json), "w.wtns", cwd=d)
    snarkjs("zkey", "export", "verificationkey", "final.zkey", "vk.json", cwd=d)
    snarkjs("groth16", "prove", "final.zkey", "w.wtns", "p1.json", "pub1.json", cwd=d)
    assert zkgate("groth16", "verify", "vk.json", "pub1.json", "p1.json", cwd=d).stdout.strip() == "OK"
    zkgate("groth16", "prove", "final.zkey", "w.wtns", "p2.json", "pub2.json", cwd=d)
    assert "OK" in snarkjs("groth16", "verify", "vk.json", "pub2.json", "p2.json", cwd=d).stdout


@pytest.mark.interop
@pytest.mark.slow  # pure-Python group FFT / setup at 2^6 take minutes
def test_tampered_contribution_is_refused(ceremony, tmp_path):
    d = tmp_path
    contribute(ceremony.snark_zkey, d / "good.zkey", name="x", entropy="x")
    data = bytearray((d / "good.zkey").read_bytes())
    container = read_container(d / "good.zkey", b"zkey", (1,))
    # flip one H point to another valid point (the L/H consistency check must catch it)
    h = np.frombuffer(container.section(9), dtype="<u8").reshape(-1, 8)
    offset = data.find(bytes(container.section(9)))
    data[offset : offset + 64] = h[1].tobytes()
    del container, h
    (d / "bad_h.zkey").write_bytes(bytes(data))
    report = verify_zkey(ceremony.r1cs, ceremony.ptau, d / "bad_h.zkey")
    assert not report.ok and "H section" in report.problems[0]
    result = zkgate("zkey", "verify", str(ceremony.r1cs), str(ceremony.ptau), "bad_h.zkey", cwd=d, check=False)
    assert result.returncode == 1 and result.stdout.strip() == "INVALID"

    # a forged transcript in the record
    good = (d / "good.zkey").read_bytes()
    records = decode_mpc_params(bytes(read_container(d / "good.zkey", b"zkey", (1,)).section(10)))
    tail = encode_mpc_params(records)
    t = records.contributions[0].transcript
    forged = good.replace(tail, tail.replace(t, bytes([t[0] ^ 1]) + t[1:]))
    (d / "bad_t.zkey").write_bytes(forged)
    report = verify_zkey(ceremony.r1cs, ceremony.ptau, d / "bad_t.zkey")
    assert not report.ok and "transcript" in report.problems[0]


@pytest.mark.interop
def test_dev_key_is_refused_by_verify(ceremony, tmp_path):
    zkgate("groth16", "setup", "--dev", str(ceremony.r1cs), "dev.zkey", cwd=tmp_path)
    report = verify_zkey(ceremony.r1cs, ceremony.ptau, tmp_path / "dev.zkey")
    assert not report.ok and report.dev


@pytest.mark.interop
@pytest.mark.slow  # pure-Python contribution at 2^6 takes minutes
def test_transcript_verified_without_the_ptau(ceremony, tmp_path):
    """verify_transcript (what a gateway registering a universal key runs, without the .ptau): a
    contributed key passes; the initial key (no contribution), a forged transcript, a delta that does
    not follow the chain and a development key are refused."""
    d = tmp_path
    contribute(ceremony.snark_zkey, d / "good.zkey", name="x", entropy="x")
    assert verify_transcript(d / "good.zkey").ok
    report = verify_transcript(ceremony.snark_zkey)
    assert not report.ok and "no phase-2 contribution" in report.problems[0]
    good = (d / "good.zkey").read_bytes()
    records = decode_mpc_params(bytes(read_container(d / "good.zkey", b"zkey", (1,)).section(10)))
    tail = encode_mpc_params(records)
    t = records.contributions[0].transcript
    (d / "bad_t.zkey").write_bytes(good.replace(tail, tail.replace(t, bytes([t[0] ^ 1]) + t[1:])))
    report = verify_transcript(d / "bad_t.zkey")
    assert not report.ok and "transcript" in report.problems[0]
    contribute(d / "good.zkey", d / "two.zkey", name="y", entropy="y")  # its deltas with the first key's chain
    header = bytes(read_container(d / "good.zkey", b"zkey", (1,)).section(2))
    header2 = bytes(read_container(d / "two.zkey", b"zkey", (1,)).section(2))
    (d / "bad_d.zkey").write_bytes(good.replace(header, header[:-192] + header2[-192:]))
    report = verify_transcript(d / "bad_d.zkey")
    assert not report.ok and "delta1" in report.problems[0]
    zkgate("groth16", "setup", "--dev", str(ceremony.r1cs), "dev.zkey", cwd=d)
    report = verify_transcript(d / "dev.zkey")
    assert not report.ok and report.dev
