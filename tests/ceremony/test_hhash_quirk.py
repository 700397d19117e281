"""The circuit hash at a domain as large as the powers of tau, against snarkjs.

snarkjs's ``hashHPoints`` reads one point past the tauG1 section when the domain equals
2^power > 2^14 (zkgate.prover.ceremony.hhash_quirk).  Checked three ways:

* zkgate's replay of wasmcurves' word arithmetic against wasmcurves itself (ffjavascript, the
  very calls snarkjs makes) on the bytes a real .ptau holds there and on random 64-byte
  records, reduced or not (fast);
* a small circuit whose domain equals the .ptau's power (no read past the section at this
  size, but the same boundary): zkgate setup -> snarkjs zkey verify, snarkjs setup -> zkgate
  zkey verify, equal circuit hashes (about 10 s);
* the real quirk, 2^15 domain on a 2^15 .ptau (slow).
"""

from __future__ import annotations

import json
import random
import secrets
import struct
import subprocess
import warnings
from pathlib import Path

import pytest
from ceremony_fixture import snarkjs, zkgate

from testsupport import REPO_ROOT, require_node_peer
from zkgate.binfile import read_container
from zkgate.bn254 import G1_GENERATOR, Q_MOD, g1_mul
from zkgate.bn254.arrays import G1Affine
from zkgate.prover.ceremony.hhash_quirk import snarkjs_sub_affine

WASM_CHECK = Path(__file__).resolve().parent.parent / "prover" / "hhash_quirk_check.mjs"
G2_X = (10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634)


def _montgomery_row(point) -> bytes:
    return G1Affine.from_ints([point]).limbs.tobytes()


def _wasmcurves_sub(pairs: list[tuple[bytes, bytes]]) -> list[bytes]:
    require_node_peer("ffjavascript")
    out = subprocess.run(["node", str(WASM_CHECK)], input=json.dumps({"pairs": [[a.hex(), b.hex()] for a, b in pairs]}),
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return [bytes.fromhex(h) for h in json.loads(out.stdout)["out"]]


def _bytes_after_tau_g1(power: int) -> bytes:
    """What a section-ordered .ptau holds after tauG1: section 3's header, then tauG2[0] = the
    G2 generator in Montgomery form."""
    r = (1 << 256) % Q_MOD
    tau_g2_0 = b"".join((x * r % Q_MOD).to_bytes(32, "little") for x in G2_X)
    return (struct.pack("<IQ", 3, (1 << power) * 128) + tau_g2_0)[:64]


def test_replay_equals_wasmcurves_on_past_section_bytes_and_random_records():
    rng = random.Random(16)
    lows = [_montgomery_row(g1_mul(G1_GENERATOR, rng.randrange(1, 1 << 200))) for _ in range(8)]
    pairs = [(_bytes_after_tau_g1(power), lows[power % 8]) for power in (15, 16, 20, 28)]
    for low in lows:
        pairs += [
            (secrets.token_bytes(64), low),  # unreduced coordinates: the wrap-around branches
            (secrets.token_bytes(32) + (Q_MOD + 5).to_bytes(32, "little"), low),
            (((1 << 256) - 1).to_bytes(32, "little") + ((1 << 256) - 2).to_bytes(32, "little"), low),
            (low, lows[0]),  # ordinary points, and P - P (point at infinity)
            (bytes(64), low),  # snarkjs's zero
        ]
    pairs += [(secrets.token_bytes(64), rng.choice(lows)) for _ in range(150)]
    assert [snarkjs_sub_affine(a, b) for a, b in pairs] == _wasmcurves_sub(pairs)


def test_replay_rejects_records_of_the_wrong_size():
    from zkgate.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="64-byte"):
        snarkjs_sub_affine(bytes(63), bytes(64))


def _chain(api, n):
    x = api.public_input("x")
    acc = x
    for _ in range(n):
        acc = api.mul(acc, x)
    api.output("y", acc)


def _cross_check(tmp_path: Path, power: int) -> None:
    """A zkgate .ptau of 2^power, a circuit whose domain is 2^power; keys from both tools."""
    from zkgate.circuits import compile_circuit
    from zkgate.circuits.r1csfile import write_r1cs
    from zkgate.prover.ceremony.phase1_contribute import contribute
    from zkgate.prover.formats.ptau import new_ptau, prepare_phase2
    from zkgate.prover.groth16.setup import circuit_power

    compiled = compile_circuit(_chain, cache=False, n=(1 << (power - 1)) - 2)  # m + 2 public = 2^(power-1)
    assert circuit_power(compiled.r1cs.n_constraints, compiled.r1cs.n_public) == power
    write_r1cs(compiled.r1cs, tmp_path / "c.r1cs")
    new_ptau(power, tmp_path / "p0.ptau")
    contribute(tmp_path / "p0.ptau", tmp_path / "p1.ptau", name="t", entropy="hhash quirk")
    prepare_phase2(tmp_path / "p1.ptau", tmp_path / "pot.ptau")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = zkgate("groth16", "setup", "c.r1cs", "pot.ptau", "z.zkey", cwd=tmp_path)
    assert "NOTE" not in made.stderr and "Warning" not in made.stderr, made.stderr
    snarkjs("groth16", "setup", "c.r1cs", "pot.ptau", "s.zkey", cwd=tmp_path)
    ours = bytes(read_container(tmp_path / "z.zkey", b"zkey", (1,)).section(10))[:64]
    theirs = bytes(read_container(tmp_path / "s.zkey", b"zkey", (1,)).section(10))[:64]
    assert ours == theirs
    assert (tmp_path / "z.zkey").read_bytes() == (tmp_path / "s.zkey").read_bytes()

    checked = snarkjs("zkey", "verify", "c.r1cs", "pot.ptau", "z.zkey", cwd=tmp_path, check=False)
    assert "ZKey Ok!" in checked.stdout + checked.stderr, checked.stdout + checked.stderr
    checked = zkgate("zkey", "verify", "c.r1cs", "pot.ptau", "s.zkey", cwd=tmp_path, check=False)
    assert checked.returncode == 0 and checked.stdout.strip() == "OK", checked.stdout + checked.stderr


@pytest.mark.interop
@pytest.mark.slow  # prepare phase2 (a group FFT) takes minutes on the pure-Python twins; native runs it
def test_domain_equal_to_ptau_power_small(tmp_path):
    require_node_peer("snarkjs")
    _cross_check(tmp_path, 8)


@pytest.mark.interop
@pytest.mark.slow
def test_domain_equal_to_ptau_power_past_the_tau_g1_section(tmp_path):
    """2^15 on 2^15: snarkjs reads past tauG1 here (minutes: a 2^15 contribution and two setups)."""
    require_node_peer("snarkjs")
    _cross_check(tmp_path, 15)


def test_ptau_ending_after_tau_g1_gets_a_note_not_a_warning(tmp_path, monkeypatch):
    """Where nothing follows tauG1 in the file there is nothing to replay: setup still writes a
    sound key, and says (through on_note, which the CLI prints) that snarkjs will not accept its hash."""
    import zkgate.prover.groth16.setup as setup_module
    from zkgate.binfile import HEADER, SECTION_HEADER
    from zkgate.circuits import compile_circuit
    from zkgate.circuits.r1csfile import write_r1cs
    from zkgate.prover.ceremony.phase1_contribute import contribute
    from zkgate.prover.formats.ptau import new_ptau, prepare_phase2

    compiled = compile_circuit(_chain, cache=False, n=2)  # 2 constraints + 2 public: domain 2^3
    write_r1cs(compiled.r1cs, tmp_path / "c.r1cs")
    new_ptau(3, tmp_path / "p0.ptau")
    contribute(tmp_path / "p0.ptau", tmp_path / "p1.ptau", name="t", entropy="e")
    prepare_phase2(tmp_path / "p1.ptau", tmp_path / "pot.ptau")
    container = read_container(tmp_path / "pot.ptau", b"ptau", (1,))
    order = sorted(container.sections, key=lambda sid: (sid == 2, sid))  # tauG1 last
    with open(tmp_path / "last.ptau", "wb") as out:
        out.write(HEADER.pack(b"ptau", 1, len(order)))
        for sid in order:
            payload = bytes(container.section(sid))
            out.write(SECTION_HEADER.pack(sid, len(payload)) + payload)
    monkeypatch.setattr(setup_module, "H_HASH_CHUNK", 2)  # several chunks at this tiny size: the quirk applies
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        in_order = setup_module.setup_from_ptau(tmp_path / "c.r1cs", tmp_path / "pot.ptau", tmp_path / "a.zkey",
                                                on_note=notes.append)
        assert notes == []
        tau_g1_last = setup_module.setup_from_ptau(tmp_path / "c.r1cs", tmp_path / "last.ptau", tmp_path / "b.zkey",
                                                   on_note=notes.append)
    assert len(notes) == 1 and "one size larger" in notes[0] and "last.ptau" in notes[0]
    assert in_order != tau_g1_last  # the point read past tauG1 is part of the hash
    a = read_container(tmp_path / "a.zkey", b"zkey", (1,))
    b = read_container(tmp_path / "b.zkey", b"zkey", (1,))
    assert all(bytes(a.section(s)) == bytes(b.section(s)) for s in range(1, 10))  # the key itself is the same
