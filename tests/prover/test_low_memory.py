"""One-shot proving that keeps one key section resident at a time (binfile.release_pages)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from zkgate.binfile import read_container, release_pages, write_container
from zkgate.bn254 import FrArray
from zkgate.circuits import compile_circuit
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16.prove import prove_with
from zkgate.prover.groth16.setup import DevKeyWarning, dev_setup


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads VmRSS from /proc")
def test_release_pages_drops_a_mapped_section_and_keeps_its_data(tmp_path):
    payload = np.arange(4 << 20, dtype="<u8")  # 32 MiB
    write_container(tmp_path / "big.bin", b"test", 1, [(1, payload.tobytes())])
    section = np.frombuffer(read_container(tmp_path / "big.bin", b"test", (1,)).section(1), dtype="<u8")
    assert int(section[:: 512].sum()) == int(payload[:: 512].sum())  # every page touched
    before = _rss_mib()
    assert release_pages(section)
    assert before - _rss_mib() > 16
    assert np.array_equal(section, payload)  # read back on access


def test_release_pages_ignores_arrays_not_on_a_map():
    assert not release_pages(np.zeros(1 << 16, dtype=np.uint8))


def _circuit(api):
    a = api.public_input("a")
    b = api.private_input("b")
    api.output("out", api.mul(a, b))


def test_low_memory_proof_equals_the_ordinary_one(tmp_path):
    compiled = compile_circuit(_circuit, cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevKeyWarning)
        dev_setup(compiled.r1cs, tmp_path / "k.zkey")
    witness = FrArray(np.ascontiguousarray(compiled.solve({"a": 6, "b": 7}), dtype=np.uint64).reshape(-1, 4))
    key = read_zkey(tmp_path / "k.zkey")
    ordinary = prove_with(key, witness, 11, 13)
    assert prove_with(key, witness, 11, 13, low_memory=True) == ordinary
    assert prove_with(key, witness, 11, 13) == ordinary  # the released sections read back
