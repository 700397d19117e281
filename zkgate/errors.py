"""The one error hierarchy of zkgate.

Every error zkgate raises on purpose derives from :class:`ZkgateError`, so a caller can
catch all of them with one ``except``.  Subclasses name the kind of problem; the
message names the file, field or value that caused it.
"""

from __future__ import annotations


class ZkgateError(Exception):
    """Root of every error zkgate raises deliberately."""


class InvalidInputError(ZkgateError, ValueError):
    """A value given to zkgate is malformed or out of range (e.g. a field element >= p)."""


class NotOnCurveError(InvalidInputError):
    """A point does not satisfy the curve equation, or lies outside the prime-order subgroup."""


class FormatError(InvalidInputError):
    """A file or message is malformed: bad magic, truncated section, trailing bytes, wrong sizes."""


class ConstraintError(ZkgateError):
    """A witness does not satisfy a constraint system."""


class CryptoError(ZkgateError):
    """A cryptographic operation failed (bad key, wrong context, decryption refused)."""


class BackendError(ZkgateError):
    """The requested compute backend is unavailable (e.g. native kernels did not build)."""
