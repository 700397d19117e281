"""``zkgate committee init|roster|join|setup|decrypt-share`` (issue 23): three members, each its own home
and (for setup) its own process, form the joint key through a real gateway; the requester opens a
committee study with their approvals, and two members' decrypt-share commands let it release."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from testsupport import dev_gateway
from zkgate.services.cli.committee_cli import committee_group
from zkgate.services.client.committee_client import CommitteeRelay
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.parties.committee_home import MemberHome
from zkgate.study import encoding as enc
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.committee_relay import CONTRIBUTIONS_KIND, combine_shares, post_request
from zkgate.study.contribution_commit import ContributionCommit
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.messages import Submission
from zkgate.study.release import derived_statistics
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, ground_truth, patient_table

pytestmark = pytest.mark.slow  # real proofs and bfv-8192 through a gateway, member processes


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


def _cli(*args):
    out = CliRunner().invoke(committee_group, list(args))
    assert out.exit_code == 0, out.output
    return out.output


def test_members_by_command_line(gateway, tmp_path):
    homes = [tmp_path / f"m{i}" for i in (1, 2, 3)]
    for home in homes:
        _cli("init", "--home", str(home))
    roster = tmp_path / "roster.bin"
    _cli("roster", *[a for h in homes for a in ("--member", str(h / "member.json"))], "--threshold", "2",
         "--max-participants", "3", "--out", str(roster), "--gateway", gateway.address)
    for i, home in enumerate(homes, start=1):
        assert f"member {i} of committee" in _cli("join", "--home", str(home), "--roster", str(roster),
                                                  "--gateway", gateway.address)
    procs = [subprocess.Popen([sys.executable, "-m", "zkgate", "committee", "setup", "--home", str(h), "--gateway",
                               gateway.address, "--wait", "120"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for h in homes]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    key_ids = {o.split()[2] for o, _ in outs}
    assert len(key_ids) == 1  # every member formed the same joint key

    requester = MemberHome(homes[0]).load()  # member 1 requests and combines
    rng = np.random.default_rng(41)
    names = [f"clinic-{c}" for c in "xyz"]
    tables = [patient_table(rng, 10) for _ in names]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, t), 8) for t in tables]
    keys = [SigningKey.generate() for _ in names]
    regs = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    with GatewayClient(gateway.address) as client:
        relay = CommitteeRelay(client)
        for r in regs:
            client.register_dataset(r.to_bytes())
        context = requester.public_context
        assert context.key_id.hex() in key_ids
        release_key = SigningKey.generate()
        spec, ckeys = open_study(
            title="committee by command line", registrations=regs, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
            quorum=3, deadline=int(time.time()) + 3600, public_context=context,
            gateway_key=client.gateway_info().study_signing_key, key_holder_key=release_key.public, keys="dev",
            dev_mode=True,
            committee=KeyCommittee.from_setup(requester.roster, relay.get(requester.cid, "approve")))
        study_id = client.create_study(spec.to_bytes(), ckeys.public().to_bytes(), context.to_bytes()).study_id
        contribs = [Contributor(n, c, k, dev_mode=True).contribute(spec, context, ckeys)
                    for n, c, k in zip(names, commitments, keys)]
        for contrib, k in zip(contribs, keys):
            relay.commit_contribution(study_id, ContributionCommit.for_submission(contrib.submission, k).to_bytes())
        relay.close_commit_phase(study_id)
        for contrib in contribs:
            client.submit(study_id, contrib.submission.to_bytes())
        client.close_study(study_id)
        aggregate = client.aggregate(study_id)
        request = post_request(requester, relay, spec, aggregate, (1, 2))
        for home in homes[:2]:
            assert "answered" in _cli("decrypt-share", "--home", str(home), "--study", study_id,
                                      "--gateway", gateway.address, "--wait", "30")
        # asked again (a restarted member): the relay already holds its share, nothing new is sent
        _cli("decrypt-share", "--home", str(homes[1]), "--study", study_id, "--gateway", gateway.address)
        fetched = relay.contributions(study_id, requester._sign("fetch", [spec.study_id_bytes]))
        subs = [Submission.from_bytes(x) for x in enc.unpack(fetched, CONTRIBUTIONS_KIND)[1]]
        values = combine_shares(requester, MemberHome(homes[0]).transport, relay, spec, aggregate, request, subs)
    assert derived_statistics(spec, spec.join_values(values)) == ground_truth(spec, tables)
