"""Import helpers of benchmarks/ from the tests (the snarkjs verifier source for a key)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_solidity import snarkjs_source as snarkjs_verifier_source  # noqa: E402

__all__ = ["snarkjs_verifier_source"]
