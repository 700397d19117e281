"""Read and write iden3 ``.r1cs`` files (format version 1), as circom and snarkjs do.

Sections: 1 header (field size, prime, wire / output / input counts, labels, constraints),
2 constraints (per constraint the LCs A, B, C: u32 term count, then u32 wire + field
element per term, little-endian normal form), 3 wire-to-label map (u64 per wire).  Other
section types (circom's custom-gate sections) are skipped on read.
"""

from __future__ import annotations

import struct

import numpy as np

from zkgate.binfile import (
    check_count,
    first_row_not_below,
    read_container,
    write_container,
)
from zkgate.circuits.errors import R1CSFormatError
from zkgate.circuits.field import R
from zkgate.circuits.r1cs import R1CS
from zkgate.kernels.circuits import decode_constraints, encode_constraints

MAGIC = b"r1cs"
SEC_HEADER, SEC_CONSTRAINTS, SEC_WIRE2LABEL = 1, 2, 3



def write_r1cs(r1cs: R1CS, path) -> None:
    """Write ``r1cs`` to ``path`` (iden3 .r1cs v1)."""
    header = struct.pack("<I", 32) + R.to_bytes(32, "little") + struct.pack(
        "<IIIIQI", r1cs.n_wires, r1cs.n_pub_out, r1cs.n_pub_in, r1cs.n_prv_in, r1cs.n_labels, r1cs.n_constraints
    )
    body = encode_constraints(r1cs.lc_offsets, r1cs.lc_wires, r1cs.lc_coeffs, r1cs.coeff_table)
    labels = np.ascontiguousarray(r1cs.wire_to_label, dtype="<u8")
    write_container(path, MAGIC, 1, [(SEC_HEADER, [header]), (SEC_CONSTRAINTS, [body]), (SEC_WIRE2LABEL, [labels])])


def read_r1cs(path) -> R1CS:
    """Read an iden3 .r1cs file (zkgate's or circom's); malformed input raises
    :class:`~zkgate.circuits.errors.R1CSFormatError` naming the file and section."""
    f = read_container(path, MAGIC, (1,), R1CSFormatError)
    h = f.section(SEC_HEADER, "header")
    if len(h) < 4:
        raise R1CSFormatError(f"{f.name}: header section truncated")
    (n8,) = struct.unpack_from("<I", h, 0)
    if n8 != 32 or len(h) != 4 + n8 + 28:
        raise R1CSFormatError(f"{f.name}: header section: unexpected field size {n8} / length {len(h)}")
    prime = int.from_bytes(h[4 : 4 + n8], "little")
    if prime != R:
        raise R1CSFormatError(f"{f.name}: header section: prime {prime} is not BN254's scalar field")
    n_wires, n_out, n_pub, n_prv, n_labels, m = struct.unpack_from("<IIIIQI", h, 4 + n8)
    if 1 + n_out + n_pub + n_prv > n_wires:
        raise R1CSFormatError(f"{f.name}: header section: more inputs/outputs than wires")
    # every count is checked against the bytes that hold its items before anything is allocated
    if not f.has(SEC_WIRE2LABEL):
        raise R1CSFormatError(f"{f.name}: missing wire-to-label section (type 3)")
    lab = f.section(SEC_WIRE2LABEL, "wire-to-label")
    if len(lab) != 8 * n_wires:
        raise R1CSFormatError(f"{f.name}: wire-to-label section has {len(lab)} bytes, expected {8 * n_wires} "
                              f"for nWires = {n_wires} in the header")
    body = f.section(SEC_CONSTRAINTS, "constraints")
    # each constraint holds three linear combinations of at least a u32 term count each
    check_count(m, 12, len(body), f"{f.name}: constraints section", "nConstraints (header)", R1CSFormatError)
    dec = decode_constraints(body, 3 * m)
    if dec is None:
        raise R1CSFormatError(f"{f.name}: constraints section truncated (header announces {m} constraints)")
    off, wires, raw, end = dec
    if end != len(body):
        raise R1CSFormatError(f"{f.name}: constraints section has {len(body) - end} unexpected trailing bytes")
    if len(wires) and int(wires.max()) >= n_wires:
        raise R1CSFormatError(f"{f.name}: constraints section references wire {int(wires.max())} >= {n_wires}")
    if len(raw):
        table, cidx = np.unique(np.ascontiguousarray(raw).view("V32").reshape(-1), return_inverse=True)
        table = np.frombuffer(table.tobytes(), dtype="<u8").reshape(-1, 4).copy()
        cidx = cidx.reshape(-1).astype(np.uint32)
    else:
        table, cidx = np.zeros((0, 4), np.uint64), np.zeros(0, np.uint32)
    if first_row_not_below(table, R) >= 0:
        raise R1CSFormatError(f"{f.name}: constraints section holds a coefficient that is not below r")
    w2l = np.frombuffer(lab, dtype="<u8").astype(np.uint64)
    return R1CS(
        n_wires=n_wires,
        n_pub_out=n_out,
        n_pub_in=n_pub,
        n_prv_in=n_prv,
        n_labels=n_labels,
        lc_offsets=off,
        lc_wires=wires,
        lc_coeffs=cidx,
        coeff_table=table,
        wire_to_label=w2l,
    )


__all__ = ["read_r1cs", "write_r1cs"]
