"""Fuzzing every protocol message decoder (``from_bytes`` of the catalog, spec, keys, submission,
receipt, aggregate, release and public record messages).

Valid messages (tests/fuzz/data/*.msg, made by make_message_samples.py) are mutated byte-wise
and structurally: the msgpack tree is decoded, one node replaced by another type or an extreme
value, and re-encoded.  Property: decoding ends in success or a ZkgateError."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
from conftest import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from mutations import apply, ends_cleanly

DATA = Path(__file__).parent / "data"


def _decoders():
    from zkgate.study import Aggregate, Catalog, CircuitKeys, PublicRecord, Receipt, Release, StudySpec, Submission
    from zkgate.study.catalog import Registration
    from zkgate.study.dataset import Schema

    return {
        "schema": Schema.from_bytes, "registration": Registration.from_bytes, "catalog": Catalog.from_bytes,
        "spec": StudySpec.from_bytes, "circuit_keys": CircuitKeys.from_bytes, "submission": Submission.from_bytes,
        "receipt": Receipt.from_bytes, "aggregate": Aggregate.from_bytes, "release": Release.from_bytes,
        "public_record": PublicRecord.from_bytes,
    }


NAMES = sorted(p.stem for p in DATA.glob("*.msg"))


def _nodes(value, prefix=()):
    yield prefix
    if isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, prefix + (i,))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, prefix + (k,))


def _replace(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


_NODE = st.one_of(
    st.none(), st.booleans(),
    st.sampled_from([0, 1, -1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 63 - 1, -(2 ** 63), 2 ** 64 - 1]),
    st.integers(min_value=-(2 ** 63), max_value=2 ** 64 - 1),
    st.floats(), st.text(max_size=16), st.binary(max_size=40),
    st.sampled_from([b"\xff" * 32, bytes(32), "१०५", "", [], {}, [[[[]]]], {"a": 1}, [0] * 100]),
)


def test_decoders_cover_every_sample():
    assert set(NAMES) == set(_decoders()), "make_message_samples.py and this test list the same messages"
    for name in NAMES:
        _decoders()[name]((DATA / f"{name}.msg").read_bytes())  # the samples themselves decode


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_message_structure(name):
    decode = _decoders()[name]
    original = (DATA / f"{name}.msg").read_bytes()
    tree = msgpack.unpackb(original, raw=False, strict_map_key=False)
    nodes = list(_nodes(tree))

    @FUZZ
    @given(st.sampled_from(nodes), _NODE)
    def check(path, new):
        ends_cleanly(decode, msgpack.packb(_replace(tree, path, new), use_bin_type=True))

    check()


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_message_bytes(name):
    decode = _decoders()[name]
    original = (DATA / f"{name}.msg").read_bytes()
    flip = st.tuples(st.just("flip"), st.integers(0, 1 << 20), st.integers(1, 255))
    truncate = st.tuples(st.just("truncate"), st.integers(0, 1 << 20))
    insert = st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16))
    delete = st.tuples(st.just("delete"), st.integers(0, 1 << 20), st.integers(1, 16))

    @FUZZ
    @given(st.lists(st.one_of(flip, truncate, insert, delete), min_size=1, max_size=3))
    def check(edits):
        ends_cleanly(decode, apply(original, edits))

    check()
