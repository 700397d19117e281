"""End-to-end: key holder, contributors, aggregator; exact BFV sums and CKKS precision."""

from __future__ import annotations

import random

import pytest
import tenseal as ts

from zkgate.errors import InvalidInputError
from zkgate.he import (
    AggregateEnvelope,
    AggregateRangeError,
    Aggregator,
    ContributionEnvelope,
    ContributionRefusedError,
    Contributor,
    EnvelopeMismatchError,
    Field,
    KeyHolder,
    NoSecretKeyError,
    PublicContext,
    SecretKeyPresentError,
    SlotLayout,
    max_safe_limb_bits,
)
from zkgate.he import context as he_context
from zkgate.he.envelope import ContextEnvelope


def run(kh, layout, contributions, study_id=b""):
    agg = Aggregator(kh.public_context(), layout, study_id=study_id)
    for i, values in enumerate(contributions):
        agg.add(Contributor(kh.public_context(), sender=f"p{i}", study_id=study_id).encrypt(layout, values))
    assert agg.contributions == len(contributions)
    return agg


@pytest.mark.parametrize("n", [1, 2])
def test_exact_bfv_sums_random(bfv, layout, n, stats, total):
    rng = random.Random(n)
    values = [stats(rng, layout) for _ in range(n)]
    agg = run(bfv, layout, values)
    assert bfv.decrypt(agg.result()) == total(values)


def test_exact_bfv_sums_100_contributors_at_the_bounds(bfv, stats, total):
    layout = SlotLayout(
        (Field("count", 1000), Field("sum", 10**9 - 1), Field("hist", 1000, 3), Field("rho", 2**256 - 1, 1, 32)),
        max_participants=100,
    )
    layout.check(bfv.params)
    rng = random.Random(100)
    values = [stats(rng, layout) for _ in range(98)]
    values.append({"count": 1000, "sum": 10**9 - 1, "hist": [1000] * 3, "rho": 2**256 - 1})  # maxima
    values.append({"count": 0, "sum": 0, "hist": [0] * 3, "rho": 0})
    pub = bfv.public_context()
    agg = Aggregator(pub, layout, study_id=b"\x01" * 32)
    for i, v in enumerate(values):
        agg.add(Contributor(pub, sender=f"hospital-{i}", study_id=b"\x01" * 32).encrypt(layout, v))
    result = agg.result()
    assert AggregateEnvelope.from_bytes(result, bfv.params).contributions == 100
    assert bfv.decrypt(result, layout=layout, study_id=b"\x01" * 32) == total(values)
    with pytest.raises(ContributionRefusedError, match="at most 100"):
        agg.add(Contributor(pub, sender="one-too-many", study_id=b"\x01" * 32).encrypt(layout, values[0]))
    assert agg.result() == result


def test_multi_ciphertext_layout(bfv, stats, total):
    layout = SlotLayout((Field("count", 10), Field("hist", 10, 5000)), 10)
    assert layout.chunks(bfv.params) == 2
    rng = random.Random(3)
    values = [stats(rng, layout) for _ in range(3)]
    assert bfv.decrypt(run(bfv, layout, values).result()) == total(values)


def test_ckks_within_declared_precision(ckks, ckks_layout):
    rng = random.Random(5)
    values = [
        {"mean": rng.uniform(-1000, 1000), "values": [rng.uniform(-50, 50) for _ in range(16)]} for _ in range(10)
    ]
    out = ckks.decrypt(run(ckks, ckks_layout, values).result())
    q = ckks.params.quantum
    assert abs(out["mean"] - sum(v["mean"] for v in values)) <= q * 1.001
    exact = [sum(v["values"][i] for v in values) for i in range(16)]
    assert all(abs(a - b) <= q * 1.001 for a, b in zip(out["values"], exact))
    # released values are multiples of the quantum: the CKKS error does not leave the key holder
    assert all(abs(x / q - round(x / q)) < 1e-6 for x in out["values"])


def test_ckks_release_is_flooded_then_rounded(ckks):
    """0.3 quantum is released as 0 or 1 quantum, unbiased: flooding, not plain rounding."""
    n = 512
    layout = SlotLayout((Field("x", 1.0, n),), 1)
    q = ckks.params.quantum
    out = ckks.decrypt(run(ckks, layout, [{"x": [0.3 * q] * n}]).result())["x"]
    assert set(out) == {0.0, q}
    ups = out.count(q)
    assert 0.2 * n < ups < 0.4 * n  # binomial(512, 0.3): mean 154, sd 10


def test_public_context_holds_no_secret_key(bfv):
    pub = bfv.public_context()
    ctx = ts.context_from(pub.context)
    assert not ctx.has_secret_key() and ctx.is_public()
    with pytest.raises(ValueError):  # TenSEAL itself cannot decrypt with it
        ts.bfv_vector(ctx, [1]).decrypt()


def test_public_context_cannot_decrypt(bfv, layout):
    pub = bfv.public_context()
    with pytest.raises(NoSecretKeyError, match="no secret key"):
        KeyHolder.load_secret(pub.to_bytes())
    with pytest.raises(NoSecretKeyError):
        KeyHolder.load_secret(pub)
    forged = ContextEnvelope("secret-context", pub.params, pub.key_id, pub.context).to_bytes()
    with pytest.raises(NoSecretKeyError, match="no secret key"):
        KeyHolder.load_secret(forged)
    with pytest.raises(NoSecretKeyError):
        KeyHolder(pub.params, ts.context_from(pub.context), pub.key_id)


def test_context_with_secret_key_refused_as_public(bfv, layout):
    leaked = PublicContext(bfv.params, bfv.key_id, he_context.serialize_secret(ts.context_from(
        ContextEnvelope.from_bytes(bfv.export_secret()).context)))
    with pytest.raises(SecretKeyPresentError):
        Contributor(leaked)
    with pytest.raises(SecretKeyPresentError):
        Aggregator(leaked.to_bytes(), layout)


def test_public_context_must_match_declared_params_and_key(bfv, bfv_other, ckks):
    pub = bfv.public_context()
    with pytest.raises(EnvelopeMismatchError, match="key id"):
        Contributor(PublicContext(pub.params, bfv_other.key_id, pub.context))
    with pytest.raises(EnvelopeMismatchError, match="parameters"):
        Contributor(PublicContext(pub.params, ckks.key_id, ckks.public_context().context))


def test_key_holder_round_trip(bfv, layout, stats, total):
    rng = random.Random(9)
    values = [stats(rng, layout) for _ in range(2)]
    result = run(bfv, layout, values).result()
    again = KeyHolder.load_secret(bfv.export_secret())
    assert again.key_id == bfv.key_id and again.params == bfv.params
    assert again.decrypt(result) == total(values)
    assert again.public_context().key_id == bfv.key_id


def test_public_context_round_trip(bfv):
    pub = bfv.public_context()
    assert PublicContext.from_bytes(pub.to_bytes()) == pub
    again = KeyHolder.load_secret(bfv.export_secret()).public_context()
    assert (again.params, again.key_id) == (pub.params, pub.key_id)


def test_envelope_round_trips(bfv, layout, stats):
    rng = random.Random(4)
    env = Contributor(bfv.public_context(), sender="s").encrypt(layout, stats(rng, layout))
    decoded = ContributionEnvelope.from_bytes(env, bfv.params, layout)
    assert decoded.sender == "s" and decoded.layout == layout and decoded.to_bytes() == env
    result = run(bfv, layout, [stats(rng, layout)]).result()
    assert AggregateEnvelope.from_bytes(result, bfv.params, layout).to_bytes() == result


def test_key_holder_decrypts_only_aggregates(bfv, layout, stats):
    env = Contributor(bfv.public_context()).encrypt(layout, stats(random.Random(0), layout))
    with pytest.raises(InvalidInputError):
        bfv.decrypt(env)


def test_aggregate_for_another_key_or_study_refused(bfv, bfv_other, layout, stats):
    result = run(bfv_other, layout, [stats(random.Random(0), layout)], study_id=b"s1").result()
    with pytest.raises(EnvelopeMismatchError, match="another key"):
        bfv.decrypt(result)
    with pytest.raises(EnvelopeMismatchError, match="another study"):
        bfv_other.decrypt(result, study_id=b"s2")
    other_layout = SlotLayout(layout.fields, 99)
    with pytest.raises(EnvelopeMismatchError, match="layout"):
        bfv_other.decrypt(result, layout=other_layout)


def test_forged_key_id_passes_aggregator_but_not_the_key_holder(bfv, bfv_other, layout, stats):
    """The documented limit: the aggregator cannot see a ciphertext's key; decryption range check flags it."""
    rng = random.Random(6)
    honest = Contributor(bfv.public_context(), sender="honest").encrypt(layout, stats(rng, layout))
    rogue = ContributionEnvelope.from_bytes(
        Contributor(bfv_other.public_context(), sender="rogue").encrypt(layout, stats(rng, layout)),
        bfv.params, layout,
    )
    forged = ContributionEnvelope(**{**rogue.__dict__, "key_id": bfv.key_id}).to_bytes()
    agg = Aggregator(bfv.public_context(), layout)
    agg.add(honest)
    agg.add(forged)
    with pytest.raises(AggregateRangeError):
        bfv.decrypt(agg.result())


def test_no_noise_budget_exposed(bfv, ckks, layout, stats):
    for obj in (bfv, ckks, Aggregator(bfv.public_context(), layout), Contributor(bfv.public_context())):
        assert not [a for a in dir(obj) if "noise" in a.lower() or "budget" in a.lower()]
    out = bfv.decrypt(run(bfv, layout, [stats(random.Random(2), layout)]).result())
    assert set(out) == {f.name for f in layout.fields}


def test_empty_aggregate_refused(bfv, layout):
    with pytest.raises(InvalidInputError, match="no contributions"):
        Aggregator(bfv.public_context(), layout).result()


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["bfv-16384", "ckks-16384", "bfv-8192"])
def test_larger_presets_round_trip(preset):
    kh = KeyHolder.create(preset)
    if kh.params.scheme == "bfv":
        limb = max_safe_limb_bits(kh.params, 3)
        layout = SlotLayout((Field("count", 10), Field("sum", 100), Field("sum_sq", 1000), Field("hist", 10, 2),
                             Field("rho", 2**256 - 1, 1, limb)), 3)
        values = [{"count": 2, "sum": 7, "sum_sq": 25, "hist": [1, 1], "rho": 2**250 + i} for i in range(3)]
        expected = {"count": 6, "sum": 21, "sum_sq": 75, "hist": [3, 3], "rho": 3 * 2**250 + 3}
        assert kh.decrypt(run(kh, layout, values).result()) == expected
    else:
        layout = SlotLayout((Field("x", 10.0, 4),), 3)
        out = kh.decrypt(run(kh, layout, [{"x": [1.25, -2.5, 3.0, 0.0]}] * 3).result())["x"]
        assert all(abs(a - b) <= kh.params.quantum * 1.001 for a, b in zip(out, [3.75, -7.5, 9.0, 0.0]))
