"""Envelope soundness: every refused envelope raises a specific error and leaves the aggregate unchanged."""

from __future__ import annotations

import random

import msgpack
import pytest
import tenseal as ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkgate.errors import ZkgateError
from zkgate.he import (
    Aggregator,
    ContributionEnvelope,
    ContributionRefusedError,
    Contributor,
    EnvelopeFormatError,
    EnvelopeMismatchError,
    Field,
    KeyHolder,
    SlotLayout,
    bfv_preset,
)


def unpack(env: bytes) -> dict:
    return msgpack.unpackb(env, raw=False)


def pack(obj: dict) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


@pytest.fixture()
def world(bfv, layout, stats):
    """An aggregator holding one honest contribution, and a second honest envelope."""
    rng = random.Random(42)
    pub = bfv.public_context()
    agg = Aggregator(pub, layout, study_id=b"study")
    agg.add(Contributor(pub, sender="first", study_id=b"study").encrypt(layout, stats(rng, layout)))
    env = Contributor(pub, sender="second", study_id=b"study").encrypt(layout, stats(rng, layout))
    return agg, env


def refused(agg: Aggregator, envelope: bytes, error=ZkgateError, match: str | None = None) -> None:
    before = (agg.contributions, agg.result())
    with pytest.raises(error, match=match):
        agg.add(envelope)
    assert (agg.contributions, agg.result()) == before


def test_honest_envelope_accepted(world):
    agg, env = world
    agg.add(env)
    assert agg.contributions == 2


@pytest.mark.parametrize("cut", [1, 10, 100, 1000, -1000, -1])
def test_truncated(world, cut):
    agg, env = world
    refused(agg, env[:cut], EnvelopeFormatError)


def test_trailing_bytes(world):
    agg, env = world
    refused(agg, env + b"\x00", EnvelopeFormatError, "trailing")
    refused(agg, env + env, EnvelopeFormatError)


def test_oversized(world, bfv, layout):
    agg, env = world
    bound = ContributionEnvelope.max_size(bfv.params, layout)
    obj = unpack(env)
    obj["payload"] = [obj["payload"][0] + b"\x00" * bound]
    refused(agg, pack(obj), EnvelopeFormatError, "exceeds the bound")
    refused(agg, b"\x80" * (bound + 1), EnvelopeFormatError, "exceeds the bound")


def test_not_bytes(world):
    agg, _ = world
    refused(agg, "a string", EnvelopeFormatError)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o.update(v=2),
        lambda o: o.update(v=True),
        lambda o: o.update(kind="aggregate"),
        lambda o: o.update(sender=7),
        lambda o: o.update(study="study"),
        lambda o: o.update(key=o["key"][:31]),
        lambda o: o.update(params=o["params"] + b"\x00"),
        lambda o: o.update(scheme="rsa"),
        lambda o: o.update(extra=1),
        lambda o: o.pop("sender"),
        lambda o: o.update(payload=o["payload"] * 2),
        lambda o: o.update(payload=[]),
        lambda o: o.update(payload=o["payload"][0]),
        lambda o: o.update(payload=[o["payload"][0][:-50]]),
        lambda o: o.update(payload=[b"\x00" * 64]),
        lambda o: o.update(layout={"fields": o["layout"]["fields"], "participants": 100}),
    ],
    ids=[
        "version", "version-bool", "kind", "sender-type", "study-type", "key-length", "params-length",
        "scheme", "extra-key", "missing-key", "extra-chunk", "no-chunk", "payload-type", "truncated-ciphertext",
        "garbage-ciphertext", "layout-key-order",
    ],
)
def test_malformed_fields(world, mutate):
    agg, env = world
    obj = unpack(env)
    mutate(obj)
    refused(agg, pack(obj), EnvelopeFormatError)


def test_non_canonical_encoding(world):
    agg, env = world
    assert env.startswith(b"\x89\xa1v\x01")
    wide_int = b"\x89\xa1v\xcf" + (1).to_bytes(8, "big") + env[4:]
    assert unpack(wide_int) == unpack(env)
    refused(agg, wide_int, EnvelopeFormatError, "non-canonical")


def test_duplicate_map_key(world):
    agg, env = world
    # a map of 10 entries whose last key repeats "sender"
    items = list(unpack(env).items()) + [("sender", "mallory")]
    raw = b"\x8a" + b"".join(pack(k) + pack(v) for k, v in items)
    refused(agg, raw, EnvelopeFormatError, "duplicate")


def test_extension_type_refused(world):
    agg, env = world
    obj = unpack(env)
    obj["sender"] = msgpack.ExtType(5, b"x")
    refused(agg, pack(obj), EnvelopeFormatError)


def test_wrong_key(world, bfv_other, layout, stats):
    agg, _ = world
    env = Contributor(bfv_other.public_context(), sender="x", study_id=b"study").encrypt(
        layout, stats(random.Random(1), layout)
    )
    refused(agg, env, EnvelopeMismatchError, "another key")


def test_wrong_params_fingerprint(world):
    agg, env = world
    obj = unpack(env)
    obj["params"] = bfv_preset(4096, 30).fingerprint()
    refused(agg, pack(obj), EnvelopeMismatchError, "parameters")


def test_ciphertext_under_other_parameters(world, bfv, layout, stats):
    """Metadata forged to match, ciphertext made under another plain modulus: refused on load."""
    agg, env = world
    other = ts.context_from(KeyHolder.create(bfv_preset(4096, 37)).public_context().context)
    obj = unpack(env)
    obj["payload"] = [ts.bfv_vector(other, [1] * layout.total_slots).serialize()]
    refused(agg, pack(obj), ZkgateError)


def test_ckks_wrong_scale(ckks, ckks_layout):
    pub = ckks.public_context()
    agg = Aggregator(pub, ckks_layout)
    agg.add(Contributor(pub, sender="a").encrypt(ckks_layout, {"mean": 1.0, "values": [0.5] * 16}))
    ctx = ts.context_from(pub.context)
    ctx.global_scale = 2.0**30
    obj = unpack(Contributor(pub, sender="b").encrypt(ckks_layout, {"mean": 1.0, "values": [0.5] * 16}))
    obj["payload"] = [ts.ckks_vector(ctx, [1.0] * 17).serialize()]
    refused(agg, pack(obj), EnvelopeMismatchError, "scale")


def test_wrong_study_and_layout(world, bfv, layout, stats):
    agg, env = world
    obj = unpack(env)
    refused(agg, pack({**obj, "study": b"other"}), EnvelopeMismatchError, "another study")
    smaller = SlotLayout(layout.fields, 50)
    refused(agg, pack({**obj, "layout": smaller.to_obj()}), EnvelopeMismatchError, "layout")
    short = SlotLayout((Field("count", 1000),), 100)
    env2 = Contributor(bfv.public_context(), sender="s", study_id=b"study").encrypt(short, {"count": 1})
    obj2 = unpack(env2)
    obj2["layout"] = obj["layout"]  # declares the study's layout, carries a 1-slot vector
    refused(agg, pack(obj2), EnvelopeFormatError, "slots")


def test_duplicate_sender(world, bfv, layout, stats):
    agg, env = world
    dup = Contributor(bfv.public_context(), sender="first", study_id=b"study").encrypt(
        layout, stats(random.Random(3), layout))
    refused(agg, dup, ContributionRefusedError, "duplicate")
    agg.add(env)
    refused(agg, env, ContributionRefusedError, "duplicate")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_refused(world, data):
    agg, _ = world
    refused(agg, data, EnvelopeFormatError)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.integers(min_value=0, max_value=400), byte=st.integers(min_value=0, max_value=255))
def test_header_mutations_are_refused_cleanly_or_accepted(world, pos, byte):
    """A flipped header byte either yields another well-formed envelope or a ZkgateError, never a crash."""
    agg, env = world
    mutated = bytearray(env)
    mutated[pos] = byte
    before = (agg.contributions, agg.result())
    try:
        agg.add(bytes(mutated))
    except ZkgateError:
        assert (agg.contributions, agg.result()) == before
    else:
        assert agg.contributions == before[0] + 1


def test_ciphertext_at_a_lower_level_refused(ckks, ckks_layout):
    """Same key and scale, but rescaled to the next level: adding it would break the sum."""
    pub = ckks.public_context()
    agg = Aggregator(pub, ckks_layout)
    agg.add(Contributor(pub, sender="a").encrypt(ckks_layout, {"mean": 1.0, "values": [0.5] * 16}))
    ctx = ts.context_from(pub.context)
    ctx.global_scale = ckks.params.scale
    lower = ts.ckks_vector(ctx, [1.0] * 17) * 1.0  # plain multiplication + automatic rescale
    assert lower.ciphertext()[0].scale == ckks.params.scale
    obj = unpack(Contributor(pub, sender="b").encrypt(ckks_layout, {"mean": 1.0, "values": [0.5] * 16}))
    obj["payload"] = [lower.serialize()]
    refused(agg, pack(obj), EnvelopeMismatchError, "level")


def test_non_canonical_payload_headers(world, bfv):
    agg, env = world
    i = env.index(b"\xa7payload") + len(b"\xa7payload")
    assert env[i] == 0x91  # fixarray of one ciphertext
    wide_array = env[:i] + b"\xdc\x00\x01" + env[i + 1 :]
    assert unpack(wide_array) == unpack(env)
    refused(agg, wide_array, EnvelopeFormatError, "non-canonical")
    pub = bfv.public_context().to_bytes()
    j = pub.index(b"\xa7context") + len(b"\xa7context")
    assert pub[j] == 0xC6  # bin32 header for the large context; re-encode a small bin as bin32
    obj = unpack(pub)
    obj["key"] = obj["key"]
    k = pub.index(b"\xa3key") + len(b"\xa3key")
    assert pub[k : k + 2] == b"\xc4\x20"
    wide_key = pub[:k] + b"\xc5\x00\x20" + pub[k + 2 :]
    assert unpack(wide_key) == obj
    from zkgate.he import PublicContext

    with pytest.raises(EnvelopeFormatError, match="non-canonical"):
        PublicContext.from_bytes(wide_key)
    with pytest.raises(EnvelopeFormatError):
        PublicContext.from_bytes(pub + b"\x00")


def test_overlong_sender_refused(world):
    agg, env = world
    obj = unpack(env)
    obj["sender"] = "x" * 257
    refused(agg, pack(obj), EnvelopeFormatError)
    obj["sender"] = "é" * 129  # 258 bytes in UTF-8
    refused(agg, pack(obj), EnvelopeFormatError)
