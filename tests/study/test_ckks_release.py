"""CKKS-mode studies: same proofs and commitments, CKKS ciphertexts without rho, an approximate
release (mode "ckks", no P) that public verification reports as unverified, never verified."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import pytest
from click.testing import CliRunner

from zkgate.he import Contributor as HEContributor
from zkgate.he import KeyHolder
from zkgate.study import (
    Contributor,
    Dataset,
    DatasetCommitment,
    EqualsCondition,
    Filter,
    ProofRejectedError,
    PublicRecord,
    RangeCondition,
    Registration,
    Release,
    ReleaseCheckError,
    ReleaseModeError,
    Schema,
    SigningKey,
    Statistic,
    StudyAggregator,
    StudyKeyHolder,
    StudySpec,
    derived_statistics,
    open_study,
    verify_record,
)
from zkgate.study.aggregator import build_aggregate
from zkgate.study.legacy import legacy_question
from zkgate.study.simulate import ground_truth, max_relative_error
from zkgate.study.spec import Participant
from zkgate.study.verification import CKKS_UNVERIFIED

# The study folder's shapes (as in its conftest.py, which `from conftest import` cannot reach
# reliably when several test folders with a conftest.py are collected together).
SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1), ("temp", -8, 7))
FILTER = Filter((RangeCondition("age", 3, 12),), (EqualsCondition("sex", 1),))
STATS = (Statistic("sum", "temp"), Statistic("sum_sq", "temp"), Statistic("histogram", "age", (0, 5, 10, 16)))
CAPACITY = 4
NAMES = ("alpha", "beta", "gamma")

#: The id of test_spec's reference BFV spec (below), computed before CKKS mode existed: the HE preset
#: was already part of the canonical encoding, and adding CKKS must not change any BFV study id.
BFV_REFERENCE_ID = 0x273C3959A341015E7C8D7843086C4FFC54947F980FEB4601796F6055A9F58F2A  # spec version 2 (compiled question)


def make_table(rng, n):
    return np.stack([rng.integers(0, 16, n), rng.integers(0, 2, n), rng.integers(-8, 8, n)], axis=1)


def reference_spec(**kw) -> StudySpec:
    z = b"\x00" * 32
    args = dict(title="t", schema=SCHEMA, capacity=4, question=legacy_question(FILTER, STATS),
                participants=(Participant("a", 5, 2, b"\x01" * 32), Participant("b", 6, 1, b"\x02" * 32)),
                quorum=2, deadline=10**10, he_preset="bfv-4096", he_key_id=z, he_context_digest=z, vk_hash=z,
                transcript_hash=z, gateway_key=z, key_holder_key=z, nonce=b"\x00" * 16)
    args.update(kw)
    return StudySpec(**args)


@dataclass
class CkksWorld:
    tables: list
    commitments: list
    keys: list
    regs: list
    he: KeyHolder
    gateway: SigningKey
    keyholder_key: SigningKey
    spec: object
    ckeys: object
    contributions: list

    def contributor(self, i: int) -> Contributor:
        return Contributor(NAMES[i], self.commitments[i], self.keys[i], dev_mode=True)

    def aggregator(self) -> StudyAggregator:
        return StudyAggregator(self.spec, self.ckeys.public(), self.he.public_context(), self.gateway, dev_mode=True,
                               retain_submissions=True)

    def key_holder(self) -> StudyKeyHolder:
        return StudyKeyHolder(self.spec, self.he, self.keyholder_key)

    def closed(self, contributions=None):
        agg = self.aggregator()
        for c in contributions or self.contributions:
            agg.submit(c.submission)
        return agg, agg.close()


@pytest.fixture(scope="module")
def ck() -> CkksWorld:
    rng = np.random.default_rng(11)
    tables = [make_table(rng, n) for n in (7, 5, 4)]  # 2, 2 and 1 chunks of 4
    commitments = [DatasetCommitment(Dataset.from_array(SCHEMA, t), CAPACITY) for t in tables]
    keys = [SigningKey.generate() for _ in NAMES]
    regs = [Registration.create(n, c, k) for n, c, k in zip(NAMES, commitments, keys)]
    he = KeyHolder.create("ckks-8192")
    gateway, khk = SigningKey.generate(), SigningKey.generate()
    spec, ckeys = open_study(title="ckks study", registrations=regs, question=legacy_question(FILTER, STATS), quorum=3,
                             deadline=int(time.time()) + 3600, public_context=he.public_context(),
                             gateway_key=gateway.public, key_holder_key=khk.public, keys="dev", dev_mode=True)
    w = CkksWorld(tables, commitments, keys, regs, he, gateway, khk, spec, ckeys, [])
    w.contributions = [w.contributor(i).contribute(spec, he.public_context(), ckeys) for i in range(len(NAMES))]
    return w


def test_ckks_spec_layout_has_no_rho_and_the_preset_is_in_the_id(ck):
    spec = ck.spec
    assert spec.he_preset == "ckks-8192" and spec.release_mode == "ckks"
    names = [f.name for f in spec.layout().fields]
    assert names == ["count", "sum_temp", "sum_sq_temp", "hist_age"]
    assert all(f.limb_bits == 0 for f in spec.layout().fields)
    back = type(spec).from_bytes(spec.to_bytes())
    assert back == spec and back.study_id == spec.study_id
    # the same study on a BFV preset has another id (the preset is part of the canonical encoding)
    assert spec.with_keys(he_preset="bfv-4096").study_id != spec.study_id


def test_bfv_study_ids_and_layouts_are_unchanged():
    s = reference_spec()
    assert s.release_mode == "exact"
    assert s.study_id == BFV_REFERENCE_ID
    assert [f.name for f in s.layout().fields][-1] == "rho"
    ckks = reference_spec(he_preset="ckks-8192")
    assert ckks.release_mode == "ckks" and ckks.study_id != BFV_REFERENCE_ID
    assert StudySpec.from_bytes(ckks.to_bytes()).study_id == ckks.study_id


def test_ckks_end_to_end_matches_the_truth_and_is_unverified(ck):
    agg, aggregate = ck.closed()
    subs = [s.public() for s in agg.accepted]
    release = ck.key_holder().release_ckks(aggregate, subs)
    assert release.mode == "ckks" and release.randomness is None
    back = Release.from_bytes(release.to_bytes())
    assert back == release and back.randomness is None  # no P on the wire either
    released = derived_statistics(ck.spec, release.values)
    truth = ground_truth(ck.spec, ck.tables)
    assert set(released) == set(truth)
    assert released["count"] == truth["count"] > 0
    assert max_relative_error(released, truth) <= 1e-9
    # the ciphertexts were CKKS, and the contributions still kept their exact s_i locally
    exact = [sum(v) for v in zip(*(c.values for c in ck.contributions))]
    assert list(release.values) == exact

    report = verify_record(PublicRecord.from_bytes(
        PublicRecord(ck.spec, ck.ckeys.public(), tuple(subs), aggregate.public(), release).to_bytes()), dev_mode=True)
    assert report.ok is False and report.status == "unverified"
    assert report.checks_passed and report.failed == []
    checked = {name for name, ok, _ in report.checks if ok}
    assert {f"submission of {n}" for n in NAMES} <= checked  # every proof checked
    assert {"aggregate commitment", "release signature", "release mode fits the study's HE preset",
            "released values within their declared bounds"} <= checked
    assert report.unverified == [("commitment equation", CKKS_UNVERIFIED)]
    assert "CKKS, approximate" in CKKS_UNVERIFIED and "not bound" in CKKS_UNVERIFIED
    d = report.to_dict()
    assert d["verified"] is False and d["status"] == "unverified"
    assert d["unverified"][0]["check"] == "commitment equation" and d["failures"]


def test_release_paths_refuse_the_other_mode(ck):
    agg, aggregate = ck.closed()
    subs = [s.public() for s in agg.accepted]
    kh = ck.key_holder()
    with pytest.raises(ReleaseModeError, match="release_ckks"):
        kh.release(aggregate, subs)
    with pytest.raises(ReleaseModeError, match="BFV"):
        kh.release_dp(aggregate, subs, epsilon=1.0)
    # a BFV study (same shape, so the same circuit keys) refuses the CKKS path before decrypting anything
    bfv = KeyHolder.create("bfv-4096")
    spec, _ = open_study(title="bfv study", registrations=ck.regs, question=legacy_question(FILTER, STATS), quorum=3,
                         deadline=int(time.time()) + 3600, public_context=bfv.public_context(),
                         gateway_key=ck.gateway.public, key_holder_key=ck.keyholder_key.public, keys=ck.ckeys,
                         dev_mode=True)
    with pytest.raises(ReleaseModeError, match="release\\(\\)"):
        StudyKeyHolder(spec, bfv, ck.keyholder_key).release_ckks(aggregate, subs)


def test_ckks_aggregator_still_verifies_proofs(ck):
    from dataclasses import replace

    sub = ck.contributions[0].submission
    swapped = replace(sub, proofs=sub.proofs[::-1]).sign(ck.keys[0])  # each proof against the other chunk
    with pytest.raises(ProofRejectedError):
        ck.aggregator().submit(swapped)


def test_ckks_release_refuses_a_non_integral_aggregate(ck):
    agg, _ = ck.closed()
    subs = agg.accepted
    victim = subs[-1]
    spec = ck.spec
    forged = spec.split_values([0] * len(spec.value_names()))
    forged["count"] = 0.5
    envs = [s.envelope for s in subs[:-1]] + [
        HEContributor(ck.he.public_context(), sender=victim.participant, study_id=spec.study_id_bytes)
        .encrypt(spec.layout(), forged)]
    aggregate = build_aggregate(spec, ck.he.public_context(), subs, ck.gateway, envelopes=envs)
    with pytest.raises(ReleaseCheckError, match="not within .* of an integer"):
        ck.key_holder().release_ckks(aggregate, [s.public() for s in subs])


def test_ckks_does_not_bind_the_release_to_the_commitments(ck):
    """The documented limit: a participant that encrypts other (integer) values than it proved
    is not detected in CKKS mode; that is why the release is unverified and publishes no P."""
    true = ck.contributions[0].values
    fake = ck.contributor(0).contribute(ck.spec, ck.he.public_context(), ck.ckeys,
                                        encrypt_values=[true[0] + 1] + list(true[1:]))
    agg, aggregate = ck.closed([fake, *ck.contributions[1:]])
    release = ck.key_holder().release_ckks(aggregate, [s.public() for s in agg.accepted])
    honest = [sum(v) for v in zip(*(c.values for c in ck.contributions))]
    assert release.values[0] == honest[0] + 1
    report = verify_record(PublicRecord(ck.spec, ck.ckeys.public(), tuple(s.public() for s in agg.accepted),
                                        aggregate.public(), release), dev_mode=True)
    assert report.status == "unverified" and not report.ok  # never "verified"


def test_public_verification_refuses_an_exact_release_of_a_ckks_study(ck):
    agg, aggregate = ck.closed()
    subs = tuple(s.public() for s in agg.accepted)
    values = [sum(v) for v in zip(*(c.values for c in ck.contributions))]
    forged = Release(ck.spec.study_id, aggregate.digest, tuple(values), sum(c.randomness for c in ck.contributions),
                     "exact").sign(ck.keyholder_key)
    report = verify_record(PublicRecord(ck.spec, ck.ckeys.public(), subs, aggregate.public(), forged), dev_mode=True)
    assert report.status == "failed"
    assert any(f.startswith("release mode fits the study's HE preset") for f in report.failed)
    with_p = Release(ck.spec.study_id, aggregate.digest, tuple(values), 5, "ckks").sign(ck.keyholder_key)
    report = verify_record(PublicRecord(ck.spec, ck.ckeys.public(), subs, aggregate.public(), with_p), dev_mode=True)
    assert any("publishes P" in f for f in report.failed)


def _cli(*args):
    from zkgate.cli import cli

    res = CliRunner().invoke(cli, ["study", "simulate", "--holders", "3", "--records", "5", "--chunk", "4",
                                   "--seed", "3", *args])
    return res


@pytest.mark.slow  # ~3 s native, ~50 s on the pure-Python backend (the library tests above cover it there)
def test_cli_simulate_ckks():
    res = _cli("--he", "ckks", "--json")
    out = json.loads(res.output.strip().splitlines()[-1])
    assert res.exit_code == 0, res.output
    assert out["mode"] == "ckks" and out["preset"] == "ckks-8192"
    assert out["verified"] is False and out["status"] == "unverified"
    assert "CKKS, approximate" in out["reason"]
    assert set(out["released"]) == set(out["truth"]) and out["max_relative_error"] <= 1e-9


@pytest.mark.parametrize("args,message", [
    (("--he", "ckks", "--tamper", "participant"), "--tamper needs a BFV study"),
    (("--he", "bfv", "--preset", "ckks-8192"), "not a bfv preset"),
    (("--preset", "ckks-1234"), "unknown preset"),
])
def test_cli_simulate_refuses(args, message):
    res = _cli(*args)
    assert res.exit_code == 2 and message in res.output
