"""Groth16 setup: from a snarkjs .ptau (byte-identical to snarkjs, accepted by `snarkjs zkey
verify`) and the one-step dev setup."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ceremony_fixture import ceremony, snarkjs, zkgate  # noqa: F401  (fixture)

from zkgate.binfile import read_container
from zkgate.bn254 import FrArray
from zkgate.circuits import compile_circuit
from zkgate.errors import InvalidInputError
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16.prove import prove
from zkgate.prover.groth16.setup import (
    DevKeyWarning,
    circuit_power,
    dev_setup,
    is_dev_key,
    setup_from_ptau,
    warn_if_dev,
)
from zkgate.prover.groth16.verify import verify


def test_circuit_power_matches_snarkjs():
    # snarkjs: log2(m + nPublic) + 1 with log2 = floor
    assert [circuit_power(m, 1) for m in (0, 1, 2, 3, 4, 7, 8)] == [1, 2, 2, 3, 3, 4, 4]
    assert circuit_power(0, 0) == 1


@pytest.mark.interop
def test_setup_equals_snarkjs_byte_for_byte(ceremony, tmp_path):
    out = tmp_path / "ours.zkey"
    cs_hash = setup_from_ptau(ceremony.r1cs, ceremony.ptau, out)
    assert out.read_bytes() == ceremony.snark_zkey.read_bytes()
    assert bytes(read_container(out, b"zkey", (1,)).section(10))[:64] == cs_hash


@pytest.mark.interop
def test_cli_setup_accepted_by_snarkjs_zkey_verify(ceremony, tmp_path):
    zkgate("groth16", "setup", str(ceremony.r1cs), str(ceremony.ptau), "cli.zkey", cwd=tmp_path)
    result = snarkjs("zkey", "verify", str(ceremony.r1cs), str(ceremony.ptau), "cli.zkey", cwd=tmp_path)
    assert "ZKey Ok!" in result.stdout + result.stderr


@pytest.mark.interop
def test_setup_refuses_unprepared_ptau(ceremony, tmp_path):
    with pytest.raises(InvalidInputError, match="not prepared"):
        setup_from_ptau(ceremony.r1cs, ceremony.ptau_raw, tmp_path / "x.zkey")


def _small_circuit(api):
    a = api.public_input("a")
    b = api.private_input("b")
    c = api.private_input("c")
    t = api.mul(a, b)
    api.output("out", api.mul_add(t, c, a))


def test_dev_setup_proves_and_verifies(tmp_path):
    compiled = compile_circuit(_small_circuit, cache=False)
    path = tmp_path / "dev.zkey"
    with pytest.warns(DevKeyWarning):
        dev_setup(compiled.r1cs, path)
    key = read_zkey(path)
    assert is_dev_key(key)
    with pytest.warns(DevKeyWarning):
        assert warn_if_dev(key, "dev.zkey")
    witness = FrArray(np.ascontiguousarray(compiled.solve({"a": 3, "b": 11, "c": 5}), dtype=np.uint64).reshape(-1, 4))
    proof, public = prove(key, witness)
    assert verify(key.verifying_key, public, proof)
    assert not verify(key.verifying_key, [(public[0] + 1)] + list(public[1:]), proof)
    # a second dev setup draws fresh toxic waste
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevKeyWarning)
        dev_setup(compiled.r1cs, tmp_path / "dev2.zkey")
    assert read_zkey(tmp_path / "dev2.zkey").alpha1 != key.alpha1


@pytest.mark.interop
def test_dev_key_works_with_snarkjs(ceremony, tmp_path):
    zkgate("groth16", "setup", "--dev", str(ceremony.r1cs), "dev.zkey", cwd=tmp_path)
    key = read_zkey(tmp_path / "dev.zkey")
    assert is_dev_key(key)
    snarkjs("wtns", "calculate", str(ceremony.wasm), str(ceremony.input_json), "w.wtns", cwd=tmp_path)
    snarkjs("groth16", "prove", "dev.zkey", "w.wtns", "proof.json", "public.json", cwd=tmp_path)
    snarkjs("zkey", "export", "verificationkey", "dev.zkey", "vk.json", cwd=tmp_path)
    result = snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert "OK" in result.stdout
    # and zkgate verifies snarkjs's proof under the dev key
    assert zkgate("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path).stdout.strip() == "OK"


def test_setup_at_the_ptau_power_still_proves(tmp_path, monkeypatch):
    """Domain as large as the powers of tau with more than one H-hash chunk: snarkjs reads past
    tauG1 (see setup._hash_h); zkgate reproduces it silently, and the key is sound.  (Against
    snarkjs itself: tests/ceremony/test_hhash_quirk.py.)"""
    import zkgate.prover.groth16.setup as setup_module
    from zkgate.circuits.r1csfile import write_r1cs
    from zkgate.prover.ceremony.phase1_contribute import contribute
    from zkgate.prover.ceremony.phase2 import contribute as zkey_contribute
    from zkgate.prover.formats.ptau import new_ptau, prepare_phase2

    compiled = compile_circuit(_small_circuit, cache=False)  # 2 constraints + 2 public: domain 2^3
    assert circuit_power(compiled.r1cs.n_constraints, compiled.r1cs.n_public) == 3
    new_ptau(3, tmp_path / "p0.ptau")
    contribute(tmp_path / "p0.ptau", tmp_path / "p1.ptau", name="t", entropy="test entropy")
    prepare_phase2(tmp_path / "p1.ptau", tmp_path / "pot.ptau")
    write_r1cs(compiled.r1cs, tmp_path / "c.r1cs")
    monkeypatch.setattr(setup_module, "H_HASH_CHUNK", 2)  # several chunks at this tiny size
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # snarkjs's read past tauG1 is reproduced: no warning, no note
        setup_from_ptau(tmp_path / "c.r1cs", tmp_path / "pot.ptau", tmp_path / "k0.zkey", on_note=notes.append)
    assert notes == []
    zkey_contribute(tmp_path / "k0.zkey", tmp_path / "k.zkey", name="t", entropy="phase 2")
    key = read_zkey(tmp_path / "k.zkey")
    witness = FrArray(np.ascontiguousarray(compiled.solve({"a": 3, "b": 5, "c": 7}), dtype=np.uint64).reshape(-1, 4))
    proof, public = prove(key, witness)  # prove() verifies before returning
    assert verify(key.verifying_key, public, proof)
    assert not verify(key.verifying_key, [(public[0] + 1)] + list(public[1:]), proof)
