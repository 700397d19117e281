"""A key committee member's home folder (issue 23): ``zkgate committee init|roster|join|setup|decrypt-share``.

Layout (secrets 0600 in a 0700 folder)::

    signing.key         the member's hybrid signing key (Ed25519+ML-DSA-65)                  SECRET
    transport.key       its hybrid transport key (ML-KEM-768 + X25519) for sealed shares     SECRET
    member.json         public: both public keys (hex) — give it to the requester
    roster.bin          the committee's roster (after ``join``)
    state.bin           after ``setup``: the member's secret key share, its Shamir shares,   SECRET
                        the joint public context, and the (ciphertext, active set) pairs it answered

Every message goes through the gateway's CommitteeService; ``setup`` waits for the other members
between rounds (polling), ``decrypt-share`` waits for the requester's decryption request of a closed
study, recomputes the aggregate from the contributions it fetches and sends its sealed share.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import msgpack
import numpy as np

from zkgate.errors import CryptoError, InvalidInputError, ZkgateError
from zkgate.fileio import SECRET_FILE_MODE, atomic_write
from zkgate.he import PublicContext
from zkgate.he.committee import CommitteeMember, Roster, TransportKey
from zkgate.he.presets import get_preset
from zkgate.he.threshold import CommitteeParams
from zkgate.study.committee_relay import answer_request, setup_stage
from zkgate.study.identity import SigningKey
from zkgate.study.spec import StudySpec

from ..client.committee_client import CommitteeRelay

STATE_MAGIC = "zkgate-committee-member-state-v1"


class CommitteeHomeError(ZkgateError):
    """A committee member's home is missing, incomplete or for another committee."""


def _write(path: Path, data: bytes, secret: bool) -> None:
    atomic_write(path, data, mode=SECRET_FILE_MODE if secret else 0o644)


def init_home(home: str | os.PathLike) -> Path:
    home = Path(home)
    if (home / "signing.key").exists():
        raise CommitteeHomeError(f"{home} already holds a committee member's keys")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    sk, tk = SigningKey.generate(), TransportKey.generate()
    _write(home / "signing.key", sk.raw, True)
    _write(home / "transport.key", tk.to_bytes(), True)
    card = {"signing_key": sk.public.hex(), "transport_key": tk.public.hex()}
    _write(home / "member.json", (json.dumps(card, indent=1) + "\n").encode(), False)
    return home / "member.json"


def make_roster(cards: list[str | os.PathLike], *, preset: str, threshold: int, max_participants: int) -> Roster:
    keys = []
    for card in cards:
        try:
            obj = json.loads(Path(card).read_text())
            keys.append((bytes.fromhex(obj["signing_key"]), bytes.fromhex(obj["transport_key"])))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError(f"{card}: not a committee member card (member.json) ({exc})") from exc
    cp = CommitteeParams(get_preset(preset), len(keys), threshold, max_participants)
    return Roster(cp, os.urandom(32), tuple(k[0] for k in keys), tuple(k[1] for k in keys))


class MemberHome:
    def __init__(self, home: str | os.PathLike) -> None:
        self.home = Path(home)
        try:
            self.signing = SigningKey(Path(self.home / "signing.key").read_bytes())
            self.transport = TransportKey.from_bytes((self.home / "transport.key").read_bytes())
        except OSError as exc:
            raise CommitteeHomeError(f"{self.home} is not a committee member's home (zkgate committee init --home "
                                     f"{self.home})") from exc

    def roster(self) -> Roster:
        try:
            return Roster.from_bytes((self.home / "roster.bin").read_bytes())
        except OSError as exc:
            raise CommitteeHomeError("no roster yet: zkgate committee join --home DIR --roster FILE") from exc

    def join(self, roster_bytes: bytes) -> int:
        roster = Roster.from_bytes(roster_bytes)
        index = self.index_in(roster)
        _write(self.home / "roster.bin", roster.to_bytes(), False)
        return index

    def index_in(self, roster: Roster) -> int:
        for i, (s, t) in enumerate(zip(roster.signing_keys, roster.transport_keys), start=1):
            if s == self.signing.public and t == self.transport.public:
                return i
        raise CommitteeHomeError("this member's keys are not in the roster")

    def member(self) -> CommitteeMember:
        roster = self.roster()
        return CommitteeMember(roster, self.index_in(roster), self.signing, self.transport)

    # -- setup --------------------------------------------------------------------------------------
    def setup(self, relay: CommitteeRelay, *, wait: float = 300.0, poll: float = 0.5) -> bytes:
        """All setup rounds through the relay, waiting for the others; saves the secret state."""
        m = self.member()
        cid, n = m.cid, m.cp.members
        need = {"commit": ("round1", 0, n), "reveal": ("key-commit", 0, n), "approve": ("key-reveal", 0, n),
                "deal": ("approve", 0, n), "receive": ("shamir", m.index, n - 1)}
        deadline = time.monotonic() + wait
        for stage in ("round1", "commit", "reveal", "approve", "deal", "receive"):
            if stage in need:
                kind, recipient, count = need[stage]
                if stage == "receive" and m.cp.threshold == n:
                    count = 0
                while len(relay.get(cid, kind, recipient)) < count:
                    if time.monotonic() > deadline:
                        raise CryptoError(f"setup: still waiting for the other members' {kind} messages after {wait:.0f} s")
                    time.sleep(poll)
            setup_stage(m, relay, stage)
        self._save(m)
        return m.public_context.key_id

    def _save(self, m: CommitteeMember) -> None:
        inner = m._member
        dealt = inner._dealt or {}
        state = {
            "magic": STATE_MAGIC, "committee_id": m.cid, "index": m.index,
            "s": np.ascontiguousarray(inner._s, dtype="<u8").tobytes(), "s_shape": list(inner._s.shape),
            "dealt": {str(k): np.ascontiguousarray(v, dtype="<u8").tobytes() for k, v in dealt.items()},
            "received": {str(k): np.ascontiguousarray(v, dtype="<u8").tobytes() for k, v in inner._received.items()},
            "public_context": m.public_context.to_bytes(),
            "answered": [[list(tags), list(active), share] for (tags, active), share in m._answered.items()],
        }
        _write(self.home / "state.bin", msgpack.packb(state, use_bin_type=True), True)

    def load(self) -> CommitteeMember:
        m = self.member()
        try:
            state = msgpack.unpackb((self.home / "state.bin").read_bytes(), raw=False, strict_map_key=False)
        except OSError as exc:
            raise CommitteeHomeError("no key share yet: zkgate committee setup --home DIR --gateway ADDR") from exc
        if state.get("magic") != STATE_MAGIC or state["committee_id"] != m.cid or state["index"] != m.index:
            raise CommitteeHomeError("state.bin belongs to another committee or member")
        inner, k, n = m._member, len(m.cp.data_moduli), m.cp.n
        inner._s = np.frombuffer(state["s"], dtype="<u8").astype(np.uint64).reshape(state["s_shape"])
        shape = (k, n)
        inner._dealt = {int(i): np.frombuffer(b, dtype="<u8").astype(np.uint64).reshape(shape)
                        for i, b in state["dealt"].items()} or None
        inner._received = {int(i): np.frombuffer(b, dtype="<u8").astype(np.uint64).reshape(shape)
                           for i, b in state["received"].items()}
        m.public_context = PublicContext.coerce(state["public_context"])
        for tags, active, share in state["answered"]:
            key = (tuple(bytes(t) for t in tags), tuple(active))
            m._answered[key] = bytes(share)
            for tag in key[0]:
                m._answered_set[tag] = key[1]
        return m

    # -- decryption ----------------------------------------------------------------------------------
    def decrypt_share(self, relay: CommitteeRelay, client, study_id: str, *, wait: float = 300.0,
                      poll: float = 0.5) -> list[int]:
        """Wait for the study's decryption request; answer it if this member is in the active set."""
        m = self.load()
        spec = StudySpec.from_bytes(client.get_study(study_id).spec)
        if spec.committee_id != m.cid:
            raise CommitteeHomeError(f"study {study_id[:16]}... is not decrypted by this member's committee")
        deadline = time.monotonic() + wait
        while not (requests := relay.get(m.cid, "decryption-request")):
            if time.monotonic() > deadline:
                raise CryptoError(f"no decryption request for the committee after {wait:.0f} s")
            time.sleep(poll)
        from zkgate.he.committee import DecryptionRequest, Message

        request = DecryptionRequest.from_message(Message.from_bytes(requests[0]))
        if m.index not in request.active:
            return list(request.active)
        posted = relay.get(m.cid, "decryption-share", request.requester, request.digest())
        if any(Message.from_bytes(x).sender == m.index for x in posted):
            return list(request.active)  # answered before (e.g. before a restart): the relay holds its share
        contributions = relay.contributions(study_id, m._sign("fetch", [spec.study_id_bytes]))
        answer_request(m, relay, spec, m.public_context, contributions, requests[0])
        self._save(m)  # the (ciphertext, active set) it answered: never another active set for it
        return list(request.active)


__all__ = ["CommitteeHomeError", "MemberHome", "init_home", "make_roster"]
