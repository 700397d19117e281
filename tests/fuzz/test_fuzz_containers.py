"""Fuzzing the four iden3 binary containers (.r1cs .wtns .zkey .ptau) and their readers.

Valid small files are mutated byte-wise (flips, truncation, insertion, deletion) and
field-wise (header counts, section ids and sizes, power, ceremonyPower, record counts set to
interesting values).  Property: reading ends within the deadline in success or a ZkgateError,
never another exception, a hang or a huge allocation."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from conftest import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from mutations import apply, container_fields, edits_for, ends_cleanly

_WORK = Path(tempfile.mkdtemp(prefix="zkgate-fuzz-"))
_COUNTER = itertools.count()


def _as_file(data: bytes, suffix: str) -> Path:
    """A fresh file per example (readers map files; one is never rewritten while mapped)."""
    path = _WORK / f"case{next(_COUNTER)}{suffix}"
    path.write_bytes(data)
    return path


def read_r1cs_file(path: Path) -> None:
    from zkgate.circuits.r1csfile import read_r1cs

    read_r1cs(path)


def read_wtns_file(path: Path) -> None:
    from zkgate.circuits.wtnsfile import read_wtns

    read_wtns(path)


def read_zkey_file(path: Path) -> None:
    from zkgate.prover.formats.zkey import read_zkey
    from zkgate.prover.formats.zkey_records import decode_mpc_params
    from zkgate.prover.groth16.setup import is_dev_key

    key = read_zkey(path)
    is_dev_key(key)
    if key.contributions:
        decode_mpc_params(key.contributions, f"{path} section 10")


def read_ptau_file(path: Path) -> None:
    from zkgate.prover.ceremony.phase1_contribute import read_contributions
    from zkgate.prover.formats.ptau import read_ptau

    ptau = read_ptau(path)
    read_contributions(ptau)
    if ptau.prepared:  # what groth16 setup reads first: the points it uses, checked
        ptau.checked_points(12, 0, 3, 1)
        ptau.checked_points(13, 0, 3, 2)


READERS = {
    "r1cs": (read_r1cs_file, ".r1cs"),
    "wtns": (read_wtns_file, ".wtns"),
    "zkey": (read_zkey_file, ".zkey"),
    "ptau": (read_ptau_file, ".ptau"),
}


def _run(name: str, data: bytes) -> None:
    reader, suffix = READERS[name]
    path = _as_file(data, suffix)
    try:
        ends_cleanly(reader, path)
    finally:
        os.unlink(path)


@pytest.mark.parametrize("name", sorted(READERS))
def test_valid_samples_read(samples, name):
    """The unmutated samples read without error (the fuzz starts from valid files)."""
    reader, _ = READERS[name]
    reader(getattr(samples, name))


@pytest.mark.parametrize("name", sorted(READERS))
def test_fuzz_container(samples, name):
    original = getattr(samples, name).read_bytes()
    fields = container_fields(original)

    @FUZZ
    @given(edits_for(fields))
    def check(edits):
        _run(name, apply(original, edits))

    check()


@pytest.mark.parametrize("name", sorted(READERS))
def test_fuzz_container_random_bytes(name):
    """Arbitrary bytes behind a valid magic and version."""
    magic = {"r1cs": b"r1cs\x01\x00\x00\x00", "wtns": b"wtns\x02\x00\x00\x00", "zkey": b"zkey\x01\x00\x00\x00",
             "ptau": b"ptau\x01\x00\x00\x00"}[name]

    @FUZZ
    @given(st.binary(max_size=512))
    def check(tail):
        _run(name, magic + tail)

    check()
