"""Fuzzing the snarkjs JSON readers (proof.json, public.json, verification_key.json).

Valid files are mutated as text (byte flips, truncation, insertion) and as structure (a
decimal string replaced by arbitrary text -- Unicode digits, signs, 5000 digits --, a value
replaced by a deep nesting or a huge number).  Property: the reader ends in success or a
ZkgateError."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from pathlib import Path

import pytest
from conftest import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from mutations import apply, ends_cleanly

_WORK = Path(tempfile.mkdtemp(prefix="zkgate-fuzz-json-"))
_COUNTER = itertools.count()


def _readers():
    from zkgate.prover.cli.groth16 import read_proof_fast
    from zkgate.prover.formats.snarkjs_json import read_proof, read_public, read_verifying_key

    return {
        "proof_json": [read_proof, read_proof_fast],
        "public_json": [read_public],
        "vk_json": [read_verifying_key],
    }


def _run(name: str, text: bytes) -> None:
    path = _WORK / f"case{next(_COUNTER)}.json"
    path.write_bytes(text)
    try:
        for reader in _readers()[name]:
            ends_cleanly(reader, path)
    finally:
        os.unlink(path)


def _paths(value, prefix=()):
    """Every path into a JSON value (lists and objects), leaves included."""
    yield prefix
    if isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))


def _replace(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


_TRICKY_TEXT = st.one_of(
    st.sampled_from(["१०५", "105", "-1", "+1", " 1", "1 ", "0x10", "1_0", "1e3", "", "٣", "0" * 5000, "9" * 80,
                     "21888242871839275222246405745257275088548364400416034343698204186575808495617", "NaN"]),
    st.text(max_size=20),
    st.from_regex(r"[0-9]{1,100}", fullmatch=True),
)
_REPLACEMENT = st.one_of(
    _TRICKY_TEXT,
    st.integers(min_value=-(10 ** 100), max_value=10 ** 100),
    st.floats(allow_nan=False),
    st.none(), st.booleans(),
    st.lists(_TRICKY_TEXT, max_size=4),
    st.integers(0, 3).map(lambda n: [["1", "0"]] * n),
)


@pytest.mark.parametrize("name", ["proof_json", "public_json", "vk_json"])
def test_fuzz_snarkjs_json_structure(samples, name):
    original = json.loads(getattr(samples, name).read_text())
    paths = list(_paths(original))

    @FUZZ
    @given(st.sampled_from(paths), _REPLACEMENT)
    def check(path, new):
        _run(name, json.dumps(_replace(original, path, new)).encode())

    check()


@pytest.mark.parametrize("name", ["proof_json", "public_json", "vk_json"])
def test_fuzz_snarkjs_json_bytes(samples, name):
    original = getattr(samples, name).read_bytes()
    flip = st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.integers(1, 255))
    truncate = st.tuples(st.just("truncate"), st.integers(0, 1 << 16))
    insert = st.tuples(st.just("insert"), st.integers(0, 1 << 16),
                       st.sampled_from([b"[", b"{", b"]", b"}", b",", b"\"", b"\\", b"9" * 5000, b"[" * 100000,
                                        "१".encode(), b"\xff", b"\x00", b"1e999", b"-", b"NaN", b"Infinity"]))

    @FUZZ
    @given(st.lists(st.one_of(flip, truncate, insert), min_size=1, max_size=4))
    def check(edits):
        _run(name, apply(original, edits))

    check()
