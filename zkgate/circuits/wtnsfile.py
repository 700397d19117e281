"""Read and write iden3 ``.wtns`` witness files (version 2, as snarkjs and circom's
witness calculators write them): section 1 (field size, prime, count), section 2 (the
values, 32-byte little-endian normal form)."""

from __future__ import annotations

import struct

import numpy as np

from zkgate.binfile import first_row_not_below, read_container, write_container
from zkgate.circuits.errors import R1CSFormatError
from zkgate.circuits.field import R
from zkgate.circuits.r1cs import witness_to_limbs

MAGIC = b"wtns"


def write_wtns(witness, path) -> None:
    """Write a witness (ints or ``(n, 4)`` limbs) to ``path``."""
    w = np.ascontiguousarray(witness_to_limbs(witness), dtype="<u8")
    header = struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack("<I", w.shape[0])
    write_container(path, MAGIC, 2, [(1, [header]), (2, [w])])


def read_wtns(path) -> np.ndarray:
    """Read a .wtns file; returns ``(n, 4)`` uint64 limbs (normal form)."""
    f = read_container(path, MAGIC, (1, 2), R1CSFormatError)
    h = f.section(1, "header")
    if len(h) < 4:
        raise R1CSFormatError(f"{f.name}: header section truncated")
    (n8,) = struct.unpack_from("<I", h, 0)
    if n8 != 32 or len(h) != 4 + n8 + 4:
        raise R1CSFormatError(f"{f.name}: header section: unexpected field size {n8} / length {len(h)}")
    if int.from_bytes(h[4:36], "little") != R:
        raise R1CSFormatError(f"{f.name}: header section: prime is not BN254's scalar field")
    (n,) = struct.unpack_from("<I", h, 36)
    body = f.section(2, "witness values")
    if len(body) != 32 * n:
        raise R1CSFormatError(f"{f.name}: witness section has {len(body)} bytes, expected {32 * n} for the {n} "
                              "values the header announces")
    values = np.frombuffer(body, dtype="<u8").reshape(n, 4)
    bad = first_row_not_below(values, R)
    if bad >= 0:
        raise R1CSFormatError(f"{f.name}: witness section: value {bad} is not below the field modulus r "
                              "(witness values are field elements in normal form); regenerate the witness")
    return values.astype(np.uint64)


__all__ = ["read_wtns", "write_wtns"]
