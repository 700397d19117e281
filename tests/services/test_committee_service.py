"""A key committee through the real gateway (issue 23): setup relayed by CommitteeService, the joint
key and every member's approval in the spec, members fetching a closed study's contributions (and
nobody else), decryption shares relayed, the requester combining t of them and publishing a release
the gateway verifies.  Refusals: a member asked for a ciphertext other than its recomputed sum,
tampered and equivocating messages at the relay, replayed shares at the requester, non-members and
single-key-holder studies at GetContributions."""

from __future__ import annotations

import time

import grpc
import numpy as np
import pytest

from testsupport import dev_gateway
from zkgate.errors import CryptoError
from zkgate.he import KeyHolder
from zkgate.he.committee import (
    CommitteeMember,
    DecryptionRequest,
    Message,
    Roster,
    TransportKey,
    ciphertext_digest,
    open_aggregate_shares,
)
from zkgate.he.errors import EnvelopeMismatchError
from zkgate.he.presets import get_preset
from zkgate.he.threshold import CommitteeParams
from zkgate.services.client.committee_client import CommitteeRelay
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.gateway.store import SqliteStore
from zkgate.study import encoding as enc
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.committee_relay import (
    CONTRIBUTIONS_KIND,
    STAGES,
    answer_request,
    combine_shares,
    post_request,
    recompute_aggregate,
    setup_stage,
)
from zkgate.study.contribution_commit import ContributionCommit
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.messages import Aggregate, Submission
from zkgate.study.release import StudyKeyHolder, release_statistics
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, ground_truth, patient_table

pytestmark = pytest.mark.slow  # real proofs and bfv-8192 through a gateway: native backend only


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


class _Combined:
    """The requester's combined values in the shape StudyKeyHolder asks of a key holder."""

    def __init__(self, params, key_id: bytes, values: dict) -> None:
        self.params, self.key_id, self._values = params, key_id, values

    def decrypt(self, envelope, **kw) -> dict:
        return self._values


def _committee(relay: CommitteeRelay, members: int, threshold: int, participants: int):
    cp = CommitteeParams(get_preset("bfv-8192"), members, threshold, participants)
    sks = [SigningKey.generate() for _ in range(members)]
    tks = [TransportKey.generate() for _ in range(members)]
    roster = Roster(cp, np.random.default_rng().bytes(32), tuple(k.public for k in sks), tuple(k.public for k in tks))
    info = relay.register(roster.to_bytes())
    assert info.committee_id == roster.committee_id and (info.members, info.threshold) == (members, threshold)
    team = [CommitteeMember(roster, i + 1, sks[i], tks[i]) for i in range(members)]
    for stage in STAGES:  # each member reads the others' messages from the gateway, never from each other
        for m in team:
            setup_stage(m, relay, stage)
    return roster, team, tks


def _study(gateway, members: int, threshold: int, seed: int):
    rng = np.random.default_rng(seed)
    names = [f"hospital-{c}-{seed}" for c in "abc"]
    tables = [patient_table(rng, 10) for _ in names]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, t), 8) for t in tables]
    keys = [SigningKey.generate() for _ in names]
    regs = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    client = GatewayClient(gateway.address)
    relay = CommitteeRelay(client)
    for r in regs:
        client.register_dataset(r.to_bytes())
    roster, team, tks = _committee(relay, members, threshold, len(names))
    approvals = relay.get(roster.committee_id, "approve")
    context = team[0].public_context
    release_key = SigningKey.generate()  # the requester's (member 1's organisation) release key
    spec, ckeys = open_study(
        title=f"committee study {threshold} of {members}", registrations=regs, filter=STUDY_FILTER,
        statistics=STUDY_STATISTICS, quorum=3, deadline=int(time.time()) + 3600, public_context=context,
        gateway_key=client.gateway_info().study_signing_key, key_holder_key=release_key.public, keys="dev",
        dev_mode=True, committee=KeyCommittee.from_setup(roster, approvals))
    study = client.create_study(spec.to_bytes(), ckeys.public().to_bytes(), context.to_bytes())
    contribs = [Contributor(n, c, k, dev_mode=True).contribute(spec, context, ckeys)
                for n, c, k in zip(names, commitments, keys)]
    # seed 31: a second gateway on the same data folder (its own SQLite store: another process's
    # worth) takes every other commit, and the commit phase is decided by the store for both
    twin = twin_store = None
    relays = [relay]
    if seed == 31:
        twin_store = SqliteStore(gateway.config.data_dir)
        twin = Gateway(ServerConfig(data_dir=gateway.config.data_dir, port=0, dev_mode=True), store=twin_store).start()
        relays.append(CommitteeRelay(GatewayClient(twin.address)))
        assert relays[1].get(roster.committee_id, "approve") == approvals  # the relay is shared too
        other = Contributor(names[0], commitments[0], keys[0], dev_mode=True).contribute(spec, context, ckeys)
    # commit-before-upload: every ciphertext's hash is logged before any ciphertext is uploaded
    for i, (contrib, k) in enumerate(zip(contribs, keys)):
        if contrib is contribs[-1]:
            with pytest.raises(GatewayCallError) as err:  # quorum (3) not reached yet
                relay.close_commit_phase(study.study_id)
            assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION and "quorum is 3" in err.value.details
            with pytest.raises(GatewayCallError) as err:  # no upload during the commit phase
                client.submit(study.study_id, contribs[0].submission.to_bytes())
            assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION and "commit phase" in err.value.details
        relays[i % len(relays)].commit_contribution(study.study_id,
                                                    ContributionCommit.for_submission(contrib.submission, k).to_bytes())
        if twin is not None and i == 0:  # the other gateway refuses a conflicting commit by the same participant
            with pytest.raises(GatewayCallError) as err:
                relays[1].commit_contribution(study.study_id, ContributionCommit.for_submission(other.submission,
                                                                                                 keys[0]).to_bytes())
            assert err.value.code == grpc.StatusCode.ALREADY_EXISTS and "another ciphertext" in err.value.details
    assert relay.close_commit_phase(study.study_id) == names
    assert relays[-1].close_commit_phase(study.study_id) == names  # closed once: the other gateway gives its list
    if twin is not None:
        twin.stop(grace=1)
        twin_store.close()
    if seed == 31:  # another ciphertext than the one committed to is refused (fresh encryption, same data)
        with pytest.raises(GatewayCallError) as err:
            client.submit(study.study_id, other.submission.to_bytes())
        assert err.value.code == grpc.StatusCode.PERMISSION_DENIED and "committed to" in err.value.details
        with pytest.raises(GatewayCallError) as err:  # and nobody commits once the phase is closed
            relay.commit_contribution(study.study_id, ContributionCommit.for_submission(other.submission,
                                                                                         keys[0]).to_bytes())
        assert "commit phase" in err.value.details
    for contrib in contribs:
        client.submit(study.study_id, contrib.submission.to_bytes())
    return dict(client=client, relay=relay, roster=roster, team=team, tks=tks, spec=spec, ckeys=ckeys, regs=regs,
                study_id=study.study_id, tables=tables, release_key=release_key, context=context)


def _fetch(w, member) -> bytes:
    return w["relay"].contributions(w["study_id"], member._sign("fetch", [w["spec"].study_id_bytes]))


def _release(w, active: tuple[int, ...]) -> dict:
    """The requester (member 1) asks ``active``, each member answers through the gateway, member 1
    combines, StudyKeyHolder checks and signs, the gateway verifies the published release."""
    client, relay, spec, team = w["client"], w["relay"], w["spec"], w["team"]
    aggregate = client.aggregate(w["study_id"])
    request = post_request(team[0], relay, spec, aggregate, active)
    [req_msg] = relay.get(w["roster"].committee_id, "decryption-request")
    for i in active:
        answer_request(team[i - 1], relay, spec, w["context"], _fetch(w, team[i - 1]), req_msg)
    agg, _ = recompute_aggregate(spec, w["context"], _fetch(w, team[0]))
    subs = [Submission.from_bytes(x) for x in enc.unpack(_fetch(w, team[0]), CONTRIBUTIONS_KIND)[1]]
    values = combine_shares(team[0], w["tks"][0], relay, spec, aggregate, request, subs)
    holder = StudyKeyHolder(spec, _Combined(spec.params, spec.he_key_id, values), w["release_key"])
    release = holder.release(Aggregate.from_bytes(aggregate), [s.public() for s in subs])
    client.publish_release(w["study_id"], release.to_bytes())
    report = client.verify_study(w["study_id"])
    assert report.ok, list(report.failures)
    return dict(request=request, req_msg=req_msg, aggregate=aggregate, subs=subs,
                released=release_statistics(spec, release), agg=agg)


def _node_audit(gateway, study_id: str) -> None:
    """The Node.js auditor checks the committee's approvals and the commit-before-upload order too."""
    import shutil
    import subprocess
    from pathlib import Path

    auditor = Path(__file__).resolve().parents[2] / "examples" / "node-auditor"
    if shutil.which("node") is None or not (auditor / "node_modules" / "snarkjs").is_dir():
        return  # tests/interop/test_node_auditor.py installs and checks the auditor itself
    proc = subprocess.run(["node", str(auditor / "audit.js"), "--gateway", gateway.address, "--study", study_id, "--dev"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.splitlines()[-1] == "VERIFIED", proc.stdout + proc.stderr
    assert "PASS  key committee (2 of 3) approved the study's HE key" in proc.stdout
    assert "PASS  every ciphertext was committed (hash logged) before the commit phase closed, uploaded after" in proc.stdout


def test_t_of_n_through_the_gateway(gateway):
    w = _study(gateway, members=3, threshold=2, seed=31)
    client, relay, spec, team = w["client"], w["relay"], w["spec"], w["team"]
    # an open study: nobody fetches contributions yet
    with pytest.raises(GatewayCallError) as err:
        _fetch(w, team[1])
    assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION and "still open" in err.value.details
    client.close_study(w["study_id"])
    # only a committee member: an outsider's signed fetch is refused
    outsider = SigningKey.generate()
    forged = Message.signed(outsider, "fetch", w["roster"].committee_id, 2, 0, [spec.study_id_bytes]).to_bytes()
    with pytest.raises(GatewayCallError) as err:
        relay.contributions(w["study_id"], forged)
    assert err.value.code == grpc.StatusCode.PERMISSION_DENIED and "committee members only" in err.value.details

    # a member refuses a request for a ciphertext other than the sum it recomputed (here: one submission's)
    contributions = _fetch(w, team[2])
    agg, own = recompute_aggregate(spec, w["context"], contributions)
    one = Submission.from_bytes(enc.unpack(contributions, CONTRIBUTIONS_KIND)[1][0]).envelope
    bad = DecryptionRequest(w["roster"].committee_id, ciphertext_digest(one), (1, 3), 1, agg.digest)
    bad_msg = team[0]._sign("decryption-request", bad.payload())
    with pytest.raises(CryptoError, match="not the sum this member recomputed"):
        answer_request(team[2], relay, spec, w["context"], contributions, bad_msg)

    out = _release(w, (1, 2))
    truth = ground_truth(spec, w["tables"])
    assert out["released"] == truth
    _node_audit(gateway, w["study_id"])

    # the relay refuses a tampered share (signature) and an equivocating one (another share, same slot)
    [share] = relay.get(w["roster"].committee_id, "decryption-share", 1, out["request"].digest())[:1]
    tampered = bytearray(share)
    tampered[-40] ^= 1
    with pytest.raises(GatewayCallError) as err:
        relay.post(bytes(tampered), out["request"].digest())
    assert err.value.code == grpc.StatusCode.PERMISSION_DENIED
    msg = Message.from_bytes(share)
    other = team[msg.sender - 1]._sign("decryption-share", [msg.payload[0], msg.payload[1][:-1] + b"\x00"], recipient=1)
    with pytest.raises(GatewayCallError) as err:
        relay.post(other, out["request"].digest())
    assert err.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert relay.post(share, out["request"].digest()) >= 1  # an identical repost is idempotent at the relay...
    with pytest.raises(EnvelopeMismatchError, match="replayed"):  # ...and a replay is refused by the requester
        open_aggregate_shares(w["roster"], 1, w["tks"][0], out["request"], [share, share], 1)
    # a tampered key-share message (a Shamir share, a public-key reveal) is not relayed: its signature fails
    for kind, recipient in (("shamir", 3), ("key-reveal", 0)):
        original = relay.get(w["roster"].committee_id, kind, recipient)[0]
        forged = bytearray(original)
        forged[len(forged) // 2] ^= 1
        with pytest.raises(GatewayCallError) as err:
            relay.post(bytes(forged))
        assert err.value.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT), kind
    # a replayed Shamir share is refused by its recipient
    [dealt] = relay.get(w["roster"].committee_id, "shamir", 3)[:1]
    with pytest.raises(EnvelopeMismatchError, match="replayed"):
        team[2].receive_shares([dealt])


def test_n_of_n_and_single_key_studies(gateway):
    w = _study(gateway, members=3, threshold=3, seed=32)
    w["client"].close_study(w["study_id"])
    out = _release(w, (1, 2, 3))
    assert out["released"] == ground_truth(w["spec"], w["tables"])
    # a single key holder's study has no committee: its contributions are never served
    he = KeyHolder.create("bfv-4096")
    spec, ckeys = open_study(
        title="single key holder", registrations=w["regs"], filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
        quorum=3, deadline=int(time.time()) + 3600, public_context=he.public_context(),
        gateway_key=w["client"].gateway_info().study_signing_key, key_holder_key=w["release_key"].public,
        keys=w["ckeys"], dev_mode=True)
    study = w["client"].create_study(spec.to_bytes(), ckeys.public().to_bytes(), he.public_context().to_bytes())
    with pytest.raises(GatewayCallError) as err:
        w["relay"].contributions(study.study_id, w["team"][0]._sign("fetch", [spec.study_id_bytes]))
    assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION and "single key holder" in err.value.details
