"""zkgate: a privacy computing gateway with verifiable joint statistics.

Data holders answer joint statistical questions without raw records leaving their walls;
Groth16 proofs over BN254 (snarkjs-compatible) prove each contribution honest, TenSEAL
homomorphic encryption lets an untrusted gateway add encrypted contributions, and anyone
can verify the released result.  ``import zkgate`` never imports grpc.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from zkgate.errors import (
    BackendError,
    ConstraintError,
    CryptoError,
    FormatError,
    InvalidInputError,
    NotOnCurveError,
    ZkgateError,
)

try:
    __version__ = version("zkgate")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

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
