"""zkgate: a privacy computing gateway with verifiable joint statistics.

Data holders answer joint statistical questions without raw records leaving their walls;
Groth16 proofs over BN254 (snarkjs-compatible) prove each contribution honest, TenSEAL
homomorphic encryption lets an untrusted gateway add encrypted contributions, and anyone
can verify the released result.  ``import zkgate`` never imports grpc.
"""

from __future__ import annotations

from zkgate.errors import (
    BackendError,
    ConstraintError,
    CryptoError,
    FormatError,
    InvalidInputError,
    NotOnCurveError,
    ZkgateError,
)

__version__ = "0.1.0"  # the single source: pyproject.toml reads it (tool.setuptools.dynamic)

__all__ = [
    "BackendError",
    "ConstraintError",
    "CryptoError",
    "FormatError",
    "InvalidInputError",
    "NotOnCurveError",
    "ZkgateError",
    "__version__",
]
