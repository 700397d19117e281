"""zkgate.he — homomorphic aggregation of statistics vectors on TenSEAL.

Roles: a :class:`KeyHolder` creates keys from a preset and hands out a
:class:`PublicContext` (checked to hold no secret key); each :class:`Contributor`
encrypts its statistics vector (laid out by a :class:`SlotLayout`) into a versioned
envelope; an :class:`Aggregator` adds envelopes as they arrive and produces the
aggregate, which only the key holder can decrypt::

    kh = KeyHolder.create("bfv-8192")
    layout = SlotLayout((Field("count", 10_000), Field("sum", 10_000_000)), max_participants=100)
    env = Contributor(kh.public_context()).encrypt(layout, {"count": 3, "sum": 120, ...})
    agg = Aggregator(kh.public_context(), layout); agg.add(env)
    kh.decrypt(agg.result())  # {"count": 3, "sum": 120, ...}

See docs/he.md for parameters and security notes.
"""

from zkgate.he.aggregator import Aggregator
from zkgate.he.contributor import Contributor
from zkgate.he.envelope import AggregateEnvelope, ContributionEnvelope, envelope_digest
from zkgate.he.errors import (
    AggregateRangeError,
    ContributionRefusedError,
    EnvelopeFormatError,
    EnvelopeMismatchError,
    InsecureParametersError,
    NoSecretKeyError,
    SecretKeyPresentError,
    SlotOverflowError,
)
from zkgate.he.keyholder import KeyHolder
from zkgate.he.layout import Field, SlotLayout, max_safe_limb_bits
from zkgate.he.presets import MAX_COEFF_BITS_128, PRESETS, HEParams, batching_prime, bfv_preset, ckks_preset
from zkgate.he.public_context import PublicContext

__all__ = [
    "AggregateEnvelope",
    "AggregateRangeError",
    "Aggregator",
    "ContributionEnvelope",
    "ContributionRefusedError",
    "Contributor",
    "EnvelopeFormatError",
    "EnvelopeMismatchError",
    "Field",
    "HEParams",
    "InsecureParametersError",
    "KeyHolder",
    "MAX_COEFF_BITS_128",
    "NoSecretKeyError",
    "PRESETS",
    "PublicContext",
    "SecretKeyPresentError",
    "SlotLayout",
    "SlotOverflowError",
    "batching_prime",
    "bfv_preset",
    "ckks_preset",
    "envelope_digest",
    "max_safe_limb_bits",
]
