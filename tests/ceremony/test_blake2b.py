"""The pure-Python BLAKE2b with snarkjs's exportable state (zkgate.prover.ceremony.blake2b)."""

from __future__ import annotations

import hashlib
import random
import struct

import pytest

from zkgate.errors import FormatError
from zkgate.prover.ceremony.blake2b import PARTIAL_BYTES, NobleBlake2b, finish_partial

LENGTHS = [0, 1, 3, 63, 64, 65, 127, 128, 129, 200, 255, 256, 257, 383, 384, 385, 511, 512, 513, 1000, 4096, 5000]


@pytest.mark.parametrize("n", LENGTHS)
def test_digest_matches_hashlib(n):
    data = random.Random(n).randbytes(n)
    assert NobleBlake2b().update(data).digest() == hashlib.blake2b(data).digest()


def test_split_updates_match_hashlib():
    rng = random.Random(7)
    for _ in range(40):
        data = rng.randbytes(rng.randrange(0, 1200))
        h = NobleBlake2b()
        pos = 0
        while pos < len(data):
            step = rng.choice([1, 32, 64, 100, 128, 256, 300])
            h.update(data[pos : pos + step])
            pos += step
        assert h.digest() == hashlib.blake2b(data).digest()


@pytest.mark.parametrize("n", [0, 64, 128, 129, 256, 600])
def test_export_import_round_trip(n):
    data = random.Random(n).randbytes(n)
    tail = b"tail" * 50
    state = NobleBlake2b().update(data).export_state()
    assert len(state) == PARTIAL_BYTES
    assert NobleBlake2b.import_state(state).update(tail).digest() == hashlib.blake2b(data + tail).digest()
    assert finish_partial(state, tail) == hashlib.blake2b(data + tail).digest()
    assert NobleBlake2b.import_state(state).export_state() == state


def test_state_layout_is_nobles():
    """128-byte buffer, h[0..7], compressed length, pos, 8 zero bytes; a full last block stays buffered."""
    h = NobleBlake2b().update(bytes(range(128)) * 2)
    state = h.export_state()
    compressed, pos = struct.unpack_from("<QQ", state, 192)
    assert (compressed, pos) == (128, 128)  # noble keeps the last full block until more input comes
    assert state[:128] == bytes(range(128)) and state[208:] == bytes(8)
    # the zero-copy path leaves the bytes of an earlier partial block behind the new ones
    g = NobleBlake2b().update(b"\x01" * 64).update(b"\x02" * (64 + 128 * 3 + 32))
    assert g.export_state()[:128] == b"\x02" * 32 + b"\x01" * 32 + b"\x02" * 64


def test_malformed_state_is_refused():
    with pytest.raises(FormatError, match="216"):
        NobleBlake2b.import_state(bytes(100), "record #1 partial hash")
    bad = bytearray(NobleBlake2b().update(b"x" * 300).export_state())
    bad[200] = 200  # pos > 128
    with pytest.raises(FormatError, match="record #1 partial hash"):
        NobleBlake2b.import_state(bytes(bad), "record #1 partial hash")
