"""Compilation cache: a circuit shape (function + parameters) compiles once.

The key hashes the circuit function's qualified name and source, its parameters, and the
source of the whole ``zkgate.circuits`` package (so that a gadget change invalidates every
entry).  Entries live in memory and on disk under ``$ZKGATE_CACHE_DIR`` (default
``~/.cache/zkgate/circuits``): ``KEY.r1cs`` (iden3, for snarkjs and the prover) and
``KEY.npz`` (the same constraint system plus the witness program, for fast loading).
Hints are stored by reference (pickle of module-level functions); a circuit whose hints
cannot be pickled (lambdas, closures) is cached in memory only.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np

from zkgate.circuits.program import Hint, WitnessProgram
from zkgate.circuits.r1cs import R1CS
from zkgate.circuits.r1csfile import write_r1cs

FORMAT_VERSION = 2
_package_hash: str | None = None


def default_cache_dir() -> Path:
    env = os.environ.get("ZKGATE_CACHE_DIR")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "zkgate" / "circuits"


def _package_digest() -> str:
    global _package_hash
    if _package_hash is None:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for p in sorted(root.rglob("*.py")):
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
        _package_hash = h.hexdigest()
    return _package_hash


def circuit_key(fn, params: dict) -> str:
    """Hex key of a circuit definition (function + parameters + circuits package)."""
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        src = getattr(fn, "__code__", None)
        src = repr(src.co_code) if src is not None else repr(fn)
    h = hashlib.sha256()
    for part in (
        f"zkgate-circuit-v{FORMAT_VERSION}",
        _package_digest(),
        f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}",
        src,
        repr(sorted(params.items())),
    ):
        h.update(part.encode())
        h.update(b"\x00")
    return h.hexdigest()[:32]


def save(directory: Path, key: str, r1cs: R1CS, program: WitnessProgram, meta: dict) -> bool:
    """Store an entry; returns False (and stores nothing) when hints cannot be pickled."""
    try:
        hints_blob = pickle.dumps([(h.fn, h.srcs, h.out_start, h.n_out) for h in program.hints])
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    directory.mkdir(parents=True, exist_ok=True)
    meta = dict(meta, inputs=program.inputs, outputs=program.outputs)
    arrays = dict(program.arrays())
    arrays.update(
        lc_offsets=r1cs.lc_offsets,
        lc_wires=r1cs.lc_wires,
        lc_coeffs=r1cs.lc_coeffs,
        coeff_table=r1cs.coeff_table,
        wire_to_label=r1cs.wire_to_label,
        counts=np.array([r1cs.n_wires, r1cs.n_pub_out, r1cs.n_pub_in, r1cs.n_prv_in, r1cs.n_labels,
                         program.n_wires], dtype=np.int64),
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        hints=np.frombuffer(hints_blob, dtype=np.uint8),
    )
    tmp_npz = directory / f".{key}.{os.getpid()}.npz"
    tmp_r1cs = directory / f".{key}.{os.getpid()}.r1cs"
    np.savez(tmp_npz, **arrays)
    write_r1cs(r1cs, tmp_r1cs)
    os.replace(tmp_r1cs, directory / f"{key}.r1cs")
    os.replace(tmp_npz, directory / f"{key}.npz")
    return True


def load(directory: Path, key: str):
    """``(r1cs, program, meta)`` for a stored entry, or None (missing or unreadable)."""
    path = directory / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        meta = json.loads(a["meta"].tobytes().decode())
        hints = [Hint(fn, list(srcs), out, n) for fn, srcs, out, n in pickle.load(io.BytesIO(a["hints"].tobytes()))]
    except Exception:  # a corrupt or foreign entry is simply recompiled
        return None
    n_wires, n_out, n_pub, n_prv, n_labels, n_prog_wires = (int(x) for x in a["counts"])
    r1cs = R1CS(n_wires, n_out, n_pub, n_prv, n_labels, a["lc_offsets"], a["lc_wires"], a["lc_coeffs"],
                a["coeff_table"], a["wire_to_label"])
    inputs = {k: (v[0], list(v[1]), v[2]) for k, v in meta.pop("inputs").items()}
    outputs = {k: (list(v[0]), v[1]) for k, v in meta.pop("outputs").items()}
    program = WitnessProgram(n_prog_wires, a["op_kind"], a["op_out"], a["op_arg"], a["op_aux"], a["plc_offsets"],
                             a["plc_wires"], a["plc_coeffs"], hints, inputs, outputs,
                             a.get("prog_lc_offsets"), a.get("prog_lc_wires"), a.get("prog_lc_coeffs"),
                             a.get("prog_witness_wires"))
    return r1cs, program, meta


__all__ = ["circuit_key", "default_cache_dir", "load", "save"]
