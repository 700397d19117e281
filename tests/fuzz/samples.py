"""Small valid files of every format zkgate reads, made by zkgate itself (no node tools), for the
fuzz and bad-input tests: a tiny circuit (.r1cs), its witness (.wtns), a dev key (.zkey), a
contributed and prepared powers of tau of 2^2 (.ptau), and the snarkjs JSON files of a proof."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Samples:
    directory: Path
    r1cs: Path
    wtns: Path
    zkey: Path
    ptau: Path  # contributed (one record in section 7) and prepared for phase 2
    ptau_raw: Path  # contributed, not prepared
    vk_json: Path
    proof_json: Path
    public_json: Path

    def bytes_of(self, name: str) -> bytes:
        return getattr(self, name).read_bytes()


def tiny_circuit(api) -> None:
    """out = a * b + c, with a public."""
    a = api.public_input("a")
    b = api.private_input("b")
    c = api.private_input("c")
    api.output("out", api.mul_add(a, b, c))


INPUTS = {"a": 3, "b": 11, "c": 5}
PTAU_POWER = 2


def make_samples(directory: Path) -> Samples:
    from zkgate.bn254 import FrArray
    from zkgate.circuits import compile_circuit
    from zkgate.circuits.r1csfile import write_r1cs
    from zkgate.circuits.wtnsfile import read_wtns, write_wtns
    from zkgate.prover.ceremony.phase1_contribute import contribute
    from zkgate.prover.formats.ptau import new_ptau, prepare_phase2
    from zkgate.prover.formats.snarkjs_json import proof_to_json, public_to_json, verifying_key_to_json, write_json
    from zkgate.prover.formats.zkey import read_zkey
    from zkgate.prover.groth16.prove import prove
    from zkgate.prover.groth16.setup import DevKeyWarning, dev_setup

    directory.mkdir(parents=True, exist_ok=True)
    circuit = compile_circuit(tiny_circuit, cache=False)
    r1cs, wtns, zkey = directory / "tiny.r1cs", directory / "tiny.wtns", directory / "tiny.zkey"
    write_r1cs(circuit.r1cs, r1cs)
    write_wtns(circuit.solve(INPUTS), wtns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevKeyWarning)
        dev_setup(circuit.r1cs, zkey)
    key = read_zkey(zkey)
    proof, public = prove(key, FrArray(read_wtns(wtns), check=False))
    vk_json, proof_json, public_json = (directory / n for n in ("vk.json", "proof.json", "public.json"))
    write_json(vk_json, verifying_key_to_json(key.verifying_key))
    write_json(proof_json, proof_to_json(proof))
    write_json(public_json, public_to_json(public))
    p0, p1, p2 = (directory / f"pot{i}.ptau" for i in range(3))
    new_ptau(PTAU_POWER, p0)
    contribute(p0, p1, "fuzz sample", "fixed entropy")
    prepare_phase2(p1, p2)
    return Samples(directory, r1cs, wtns, zkey, p2, p1, vk_json, proof_json, public_json)


_CACHE: dict[str, Samples] = {}


def samples_in(directory: Path) -> Samples:
    """The samples, made once per process (hypothesis tests share them)."""
    key = str(directory)
    if key not in _CACHE:
        _CACHE[key] = make_samples(directory)
    return _CACHE[key]
