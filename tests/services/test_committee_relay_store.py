"""The key committee's relay lives in the gateway's store (issue 23): setup messages survive a
gateway restart on the same data folder, and two gateways on one store (two SQLite stores on one
data folder; two processes' worth of gateways on one PostgreSQL, skipped saying why when none
answers) relay to each other, one message per slot across both.  Fast: rosters and signed messages
only, no HE keys and no proofs (the full committee study through the gateway, with commits and the
commit phase's close through two gateways, is tests/services/test_committee_service.py)."""

from __future__ import annotations

import os

import grpc
import pytest

from testsupport import fresh_postgres_database, postgres_missing_reason
from zkgate.he.committee import Message, Roster, TransportKey
from zkgate.he.presets import get_preset
from zkgate.he.threshold import CommitteeParams
from zkgate.services.client.committee_client import CommitteeRelay
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.gateway.store import SqliteStore
from zkgate.study.identity import SigningKey


def _roster(members: int = 3, threshold: int = 2):
    cp = CommitteeParams(get_preset("bfv-8192"), members, threshold, 3)
    keys = [SigningKey.generate() for _ in range(members)]
    transport = [TransportKey.generate().public for _ in range(members)]
    return Roster(cp, os.urandom(32), tuple(k.public for k in keys), tuple(transport)), keys


def _msg(roster: Roster, keys, kind: str, sender: int, recipient: int = 0, payload: bytes = b"p") -> bytes:
    return Message.signed(keys[sender - 1], kind, roster.committee_id, sender, recipient,
                          [payload + bytes([sender, recipient])]).to_bytes()


def _refused(call, code: grpc.StatusCode) -> str:
    with pytest.raises(GatewayCallError) as err:
        call()
    assert err.value.code == code, err.value.details
    return err.value.details


def _gateway(data_dir, store=None, url: str | None = None) -> Gateway:
    return Gateway(ServerConfig(data_dir=str(data_dir), port=0, dev_mode=True, store_url=url), store=store).start()


def test_relay_survives_a_gateway_restart(tmp_path):
    roster, keys = _roster()
    cid = roster.committee_id
    round1 = [_msg(roster, keys, "round1", s) for s in (1, 2, 3)]
    shamir = _msg(roster, keys, "shamir", 1, 3)
    gateway = _gateway(tmp_path)
    try:
        with GatewayClient(gateway.address) as client:
            relay = CommitteeRelay(client)
            relay.register(roster.to_bytes())
            assert [relay.post(m) for m in [*round1, shamir]] == [1, 2, 3, 4]
    finally:
        gateway.stop(grace=1)
    gateway = _gateway(tmp_path)  # a new gateway process on the same data folder
    try:
        with GatewayClient(gateway.address) as client:
            relay = CommitteeRelay(client)
            info = relay.committee(cid)
            assert (info.roster, info.members, info.threshold) == (roster.to_bytes(), 3, 2)
            assert relay.get(cid, "round1") == round1 and relay.get(cid, "shamir", 3) == [shamir]
            assert relay.post(round1[1]) == 2  # an identical repost: its original sequence
            details = _refused(lambda: relay.post(_msg(roster, keys, "round1", 2, payload=b"other")),
                               grpc.StatusCode.ALREADY_EXISTS)
            assert "equivocation is not relayed" in details
            assert relay.post(_msg(roster, keys, "key-commit", 1)) == 5
            assert relay.register(roster.to_bytes()).committee_id == cid  # registering again: idempotent
            unknown, _ = _roster()
            assert "RegisterCommittee first" in _refused(lambda: relay.committee(unknown.committee_id),
                                                         grpc.StatusCode.NOT_FOUND)
    finally:
        gateway.stop(grace=1)


@pytest.fixture(params=["sqlite", "postgres"])
def two_gateways(request, tmp_path):
    """Two gateways on one store: a second SQLite store on the first's data folder, or two on one
    PostgreSQL database (the same data folder: the same signing keys, as docs/scale.md asks)."""
    if request.param == "sqlite":
        first = _gateway(tmp_path)
        second_store = SqliteStore(tmp_path)
        second = _gateway(tmp_path, store=second_store)
        try:
            yield first, second
        finally:
            second.stop(grace=1)
            second_store.close()
            first.stop(grace=1)
        return
    reason = postgres_missing_reason()
    if reason:
        pytest.skip(reason)
    url, drop = fresh_postgres_database()
    try:
        first = _gateway(tmp_path, url=url)
        second = _gateway(tmp_path, url=url)
        try:
            yield first, second
        finally:
            second.stop(grace=1)
            first.stop(grace=1)
    finally:
        drop()


def test_two_gateways_on_one_store_share_the_relay(two_gateways):
    roster, keys = _roster()
    cid = roster.committee_id
    with GatewayClient(two_gateways[0].address) as c1, GatewayClient(two_gateways[1].address) as c2:
        a, b = CommitteeRelay(c1), CommitteeRelay(c2)
        a.register(roster.to_bytes())
        assert b.committee(cid).roster == roster.to_bytes()  # registered through the other gateway
        m1, m2, m3 = (_msg(roster, keys, "round1", s) for s in (1, 2, 3))
        assert (a.post(m1), b.post(m2), a.post(m3)) == (1, 2, 3)  # one sequence across both
        assert a.get(cid, "round1") == b.get(cid, "round1") == [m1, m2, m3]
        assert b.post(m1) == 1
        # one message per slot across both gateways: member 2's other round1 message is refused by either
        for relay in (a, b):
            _refused(lambda relay=relay: relay.post(_msg(roster, keys, "round1", 2, payload=b"other")),
                     grpc.StatusCode.ALREADY_EXISTS)
        share = _msg(roster, keys, "shamir", 3, 1)
        assert b.post(share, b"ctx") == 4 and a.get(cid, "shamir", 1, b"ctx") == [share] and a.get(cid, "shamir", 1) == []
