"""Errors specific to homomorphic aggregation.

Each one derives from the shared hierarchy in :mod:`zkgate.errors`, so callers that catch
``InvalidInputError``, ``FormatError`` or ``CryptoError`` (or ``ZkgateError``) catch these too.
"""

from __future__ import annotations

from zkgate.errors import CryptoError, FormatError, InvalidInputError


class InsecureParametersError(InvalidInputError):
    """HE parameters lie outside the HE standard's 128-bit classical bounds (and no opt-out was given)."""


class SlotOverflowError(InvalidInputError):
    """A slot layout could overflow the plain modulus when summed over the maximum participants.

    ``slot`` names the offending slot (``"sum"``, ``"rho[limb 3]"``, ``"hist[7]"`` ...) and
    ``excess`` says by how much its worst-case sum exceeds the safe bound.
    """

    def __init__(self, message: str, *, slot: str, excess: int | float) -> None:
        super().__init__(message)
        self.slot = slot
        self.excess = excess


class EnvelopeFormatError(FormatError):
    """An envelope is malformed: oversized, truncated, trailing bytes, wrong types, non-canonical."""


class EnvelopeMismatchError(CryptoError):
    """A well-formed envelope belongs to another key, parameter set, layout, study or scale."""


class ContributionRefusedError(InvalidInputError):
    """A contribution is refused by the aggregator (duplicate sender, too many participants)."""


class NoSecretKeyError(CryptoError):
    """Decryption was asked of a context that holds no secret key (a public context)."""


class SecretKeyPresentError(CryptoError):
    """A context offered as public holds a secret key; it must never leave the key holder."""


class AggregateRangeError(CryptoError):
    """A decrypted aggregate slot lies outside its declared range: some contribution was malformed."""
