"""The roster as the gateway relays it (issue 23): round trip, committee id kept, malformed refused;
decryption requests as signed, relayed messages."""

from __future__ import annotations

import os

import pytest

from zkgate.errors import ZkgateError
from zkgate.he.committee import DecryptionRequest, Message, Roster, TransportKey
from zkgate.he.errors import EnvelopeFormatError
from zkgate.he.presets import get_preset
from zkgate.he.threshold import CommitteeParams
from zkgate.signing import SigningKey


def _roster(preset="bfv-8192", n=3, t=2):
    sks = [SigningKey.generate() for _ in range(n)]
    tks = [TransportKey.generate() for _ in range(n)]
    return Roster(CommitteeParams(get_preset(preset), n, t, 5), os.urandom(32), tuple(k.public for k in sks),
                  tuple(k.public for k in tks)), sks


def test_roster_round_trip_and_refusals():
    roster, _ = _roster()
    data = roster.to_bytes()
    back = Roster.from_bytes(data)
    assert back == roster and back.committee_id == roster.committee_id
    for bad in (b"", data[:-1], data + b"\x00", data.replace(b"bfv-8192", b"bfv-9999"), b"\x04\x00\x00\x00abcd"):
        with pytest.raises(ZkgateError):
            Roster.from_bytes(bad)
    with pytest.raises(EnvelopeFormatError, match="not a zkgate committee roster"):
        Roster.from_bytes(data.replace(b"roster-v1", b"roster-v9"))


def test_decryption_request_message_round_trip():
    roster, sks = _roster()
    request = DecryptionRequest(roster.committee_id, b"\x01" * 32, (1, 3), 1, b"\x02" * 32)
    msg = Message.signed(sks[0], "decryption-request", roster.committee_id, 1, 0, request.payload())
    back = DecryptionRequest.from_message(Message.from_bytes(msg.to_bytes()).verify(roster))
    assert back == request and back.digest() == request.digest()
    with pytest.raises(EnvelopeFormatError):
        DecryptionRequest.from_message(Message.signed(sks[0], "fetch", roster.committee_id, 1, 0, [b"x"]))
