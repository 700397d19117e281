"""A committee study from separate shells (issue 23): the requester's and the data holders' side.

``zkgate committee ...`` (``committee_home.py``) covers the members; this module is what the
``zkgate requester create-study --committee``, ``requester close-commit-phase``, ``requester open``
and ``holder submit`` commands run for a study whose spec carries a key committee, and what the
in-process committee (``committee_party.py``, ``zkgate demo --key-holders N``) shares with them:

* :func:`joint_key_from_relay`: anyone holding the roster recomputes the joint public key from the
  members' public setup messages on the relay (round-1 commitments, key-share commitments, revealed
  shares: all signed by roster keys), as every member did before approving it; the spec then
  carries every member's approval of that key id (:meth:`KeyCommittee.from_setup`), so a relay
  cannot swap the key;
* :func:`commit_phase_from_log` / :func:`commit_and_wait`: a holder commits to its ciphertext's
  hash (``CommitContribution``) and waits until the requester closed the commit phase, read from the
  gateway's signed audit log (the closing leaf's inclusion under the signed head is checked);
* :func:`open_committee_study`: the requester — a committee member, whose signing key is the
  study's release key — posts the decryption request for an active set (or finds the one it
  posted before), answers its own share when it is in the set, waits for the t sealed shares,
  combines them, checks the commitment equation, and only then signs and publishes the release;
* :func:`sign_release`: the release signature over combined values (the usual
  :class:`~zkgate.study.release.StudyKeyHolder` checks), shared with :func:`committee_release`.

A wrong share makes the combination fail: nothing is published.  The requester trusts its own
share, so with one other member in the active set (t = 2 and the requester active) that member is
named; otherwise the active set is named — finding the member among several needs fresh known
ciphertexts decrypted by covering active sets, which only the in-process committee can do today
(members answer only the study's recomputed aggregate, never a ciphertext the requester picks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from zkgate import safejson
from zkgate.errors import CryptoError, ZkgateError
from zkgate.he import PublicContext
from zkgate.he.committee import DecryptionRequest, Message, Roster, Transcript, _poly_from, aggregate_digest
from zkgate.he.threshold import KeyShare, check_key_share, common_polynomial, common_seed, joint_public_context
from zkgate.study.committee_relay import combine_shares, post_request
from zkgate.study.contribution_commit import ContributionCommit
from zkgate.study.identity import SigningKey
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.messages import Aggregate, Release, Submission
from zkgate.study.release import StudyKeyHolder, release_statistics
from zkgate.study.spec import StudySpec
from zkgate.study.verification import PublicRecord

from ..client.committee_client import CommitteeRelay
from ..client.gateway_client import GatewayCallError, GatewayClient
from .committee_home import MemberHome
from .served_study import fetch_spec

# the gateway's audit leaves of the commit phase (services/gateway/servicers/committee.py COMMIT_LEAF, CLOSED_LEAF)
COMMIT_LEAF = "contribution_commit"
CLOSED_LEAF = "commit_phase_closed"


class CommitteeStudyError(ZkgateError):
    """A committee study's step cannot proceed; the message says what to do."""


# -- the requester opens the study -------------------------------------------------------------------
def joint_key_from_relay(roster: Roster, relay) -> PublicContext:
    """The joint public key, recomputed from the members' signed setup messages on the relay."""
    cp, cid, t = roster.cp, roster.committee_id, Transcript(roster)
    got = {}
    for kind in ("round1", "key-commit", "key-reveal"):
        for data in relay.get(cid, kind):
            t.accept(data, kind)
        got[kind] = t.all(kind)
        missing = [i for i in range(1, cp.members + 1) if i not in got[kind]]
        if missing:
            raise CommitteeStudyError(f"the committee's setup is not finished: no {kind} message from member(s) "
                                      f"{missing} on the gateway (`zkgate committee setup` on every member first)")
    members = range(1, cp.members + 1)
    a = common_polynomial(cp, common_seed(cid, [got["round1"][i].payload[0] for i in members]))
    shape = (len(cp.key_moduli), cp.n)
    shares = []
    for i in members:
        share = KeyShare(i, _poly_from(got["key-reveal"][i].payload[0], shape, f"member {i}'s public-key share"))
        check_key_share(cp, share, cid, got["key-commit"][i].payload[0])
        shares.append(share)
    return joint_public_context(cp, a, shares)


@dataclass(frozen=True)
class CommitteeForStudy:
    """What ``requester create-study --committee`` puts in the spec: the committee with its approvals,
    the joint key, and the release-signing key (the opening member's roster key)."""

    committee: KeyCommittee
    public_context: PublicContext
    release_key: bytes
    opener: int


def committee_for_study(relay: CommitteeRelay, roster: Roster, opener: int) -> CommitteeForStudy:
    if not 1 <= opener <= roster.cp.members:
        raise CommitteeStudyError(f"--opener {opener}: the committee has members 1..{roster.cp.members}")
    context = joint_key_from_relay(roster, relay)
    committee = KeyCommittee.from_setup(roster, relay.get(roster.committee_id, "approve"))
    committee.check(roster.cp.params, context.key_id, 1)  # every member approved this very key
    return CommitteeForStudy(committee, context, bytes(roster.signing_keys[opener - 1]), opener)


def sign_release(spec: StudySpec, values: dict, aggregate: bytes, submissions, signing_key: SigningKey) -> Release:
    """The exact release of values the committee decrypted: the usual StudyKeyHolder checks and signature."""

    class _Combined:
        params, key_id = spec.params, spec.he_key_id

        def decrypt(self, envelope, **kw):
            return values

    return StudyKeyHolder(spec, _Combined(), signing_key).release(Aggregate.from_bytes(aggregate), list(submissions))


def default_active(requester: int, members: int, threshold: int) -> tuple[int, ...]:
    """The requester and the next members after it (wrapping), t in all."""
    return tuple(sorted((requester - 1 + k) % members + 1 for k in range(threshold)))


def parse_active(text: str | None, requester: int, members: int, threshold: int) -> tuple[int, ...]:
    if not text:
        return default_active(requester, members, threshold)
    try:
        active = tuple(sorted({int(x) for x in text.split(",")}))
    except ValueError:
        raise CommitteeStudyError(f"--active {text!r}: member numbers separated by commas, e.g. 1,3") from None
    if len(active) != threshold or not all(1 <= i <= members for i in active):
        raise CommitteeStudyError(f"--active {text!r}: exactly {threshold} distinct members out of 1..{members}")
    return active


@dataclass(frozen=True)
class CommitteeOpened:
    release: Release
    statistics: dict
    active: tuple[int, ...]

    def to_json(self) -> dict:
        return {"study_id": f"{self.release.study_id:064x}", "mode": self.release.mode,
                "values": [int(v) for v in self.release.values], "statistics": self.statistics,
                "verifiable": self.release.mode == "exact", "active": list(self.active),
                "withheld_coordinates": list(self.release.withheld)}


def _request_for(m, relay: CommitteeRelay, spec: StudySpec, aggregate: bytes,
                 active: tuple[int, ...]) -> tuple[DecryptionRequest, bool]:
    """The request this requester posted before for this aggregate (a rerun), or a new one."""
    agg = Aggregate.from_bytes(aggregate)
    digest = aggregate_digest(m.cp, agg.envelope, spec.he_key_id, spec.layout())
    for data in relay.get(m.cid, "decryption-request"):
        msg = Message.from_bytes(data).verify(m.roster)
        if msg.sender != m.index:
            continue
        old = DecryptionRequest.from_message(msg)
        if old.ciphertext_digest != digest or old.log_position != agg.digest:
            raise CommitteeStudyError("this requester already asked the committee to decrypt another aggregate; a "
                                      "committee (a fresh joint key) decrypts one study")
        return old, True
    return post_request(m, relay, spec, aggregate, active), False


def open_committee_study(client: GatewayClient, home: MemberHome, study_id: str, *, active: str | None = None,
                         wait: float = 300.0, poll: float = 0.5, progress=lambda message: None) -> CommitteeOpened:
    """Decrypt a closed committee study through its members and publish only a checked release."""
    _, spec = fetch_spec(client, study_id)
    if spec.committee is None:
        raise CommitteeStudyError(f"study {study_id[:16]}... has a single key holder: `zkgate keyholder release` "
                                  "opens it")
    m = home.load()
    if spec.committee.roster(spec.params).committee_id != m.cid:
        raise CommitteeStudyError(f"study {study_id[:16]}... is decrypted by another committee than {home.home}'s")
    if home.signing.public != spec.key_holder_key:
        raise CommitteeStudyError(f"study {study_id[:16]}...'s release is signed by another member's key than "
                                  f"{home.home}'s (create-study --opener names the member who opens it)")
    try:
        aggregate = client.aggregate(study_id)
    except GatewayCallError as exc:
        if exc.code.name == "FAILED_PRECONDITION":
            raise CommitteeStudyError(f"{exc.details} (`zkgate requester close {study_id}` first)") from exc
        raise
    Aggregate.from_bytes(aggregate).verify_signature(spec.gateway_key)
    relay = CommitteeRelay(client)
    wanted = parse_active(active, m.index, m.cp.members, m.cp.threshold)
    request, again = _request_for(m, relay, spec, aggregate, wanted)
    if again and active and request.active != wanted:
        progress(f"the committee was asked before for active set {list(request.active)}: waiting for those shares")
    if m.index in request.active:  # the requester's own share, as `committee decrypt-share` gives it
        home.decrypt_share(relay, client, study_id, wait=wait, poll=poll)
    deadline, shown = time.monotonic() + wait, -1
    while len(posted := relay.get(m.cid, "decryption-share", m.index, request.digest())) < m.cp.threshold:
        if len(posted) != shown:
            shown = len(posted)
            progress(f"{shown} of {m.cp.threshold} decryption shares (active set {list(request.active)}); waiting up "
                     f"to {wait:.0f} s for `zkgate committee decrypt-share --study {study_id}` on the others ...")
        if time.monotonic() > deadline:
            raise CommitteeStudyError(f"{len(posted)} of the {m.cp.threshold} decryption shares arrived within "
                                      f"{wait:.0f} s; nothing was published (run `requester open` again: the request "
                                      "stands)")
        time.sleep(poll)
    record = PublicRecord.from_bytes(client.public_record(study_id))
    submissions: list[Submission] = list(record.submissions)
    try:
        values = combine_shares(m, home.transport, relay, spec, aggregate, request, submissions)
    except CryptoError as exc:
        raise CommitteeStudyError(f"{exc}; {blame(m.index, request.active, m.cp.members, m.cp.threshold)}") from exc
    release = sign_release(spec, values, aggregate, submissions, home.signing)
    client.publish_release(study_id, release.to_bytes())
    return CommitteeOpened(release, release_statistics(spec, release), request.active)


def blame(requester: int, active: tuple[int, ...], members: int, threshold: int) -> str:
    """Who posted the wrong share, as far as the requester can tell from one active set."""
    others = [i for i in active if i != requester]
    if requester in active and len(others) == 1:
        return (f"the requester's own share is its own, so member {others[0]} posted a wrong decryption share; "
                "nothing was published")
    what = ("with threshold = members it cannot be narrowed down" if threshold == members else
            "naming the member needs decryptions of fresh known ciphertexts by covering active sets, which members "
            "do not answer through the gateway")
    return f"one of members {others} posted a wrong decryption share ({what}); nothing was published"


# -- a holder commits before it uploads ----------------------------------------------------------------
@dataclass(frozen=True)
class CommitPhase:
    commits: dict  # participant -> envelope digest (hex), the first logged
    closed: list | None  # who committed, once the requester closed the phase
    scanned: int = 0  # audit leaves read so far (a later poll reads only the new ones)


def commit_phase_from_log(client: GatewayClient, study_id: str, log_key: bytes | None,
                          since: CommitPhase | None = None) -> CommitPhase:
    """The commit phase as the gateway's signed audit log states it (the closing leaf's inclusion
    checked); ``since``: an earlier answer, so only the leaves appended after it are read."""
    head, _ = client.tree_head(log_key)
    commits: dict[str, str] = dict(since.commits) if since else {}
    closed = since.closed if since else None
    start = since.scanned if since else 0
    for index, entry in enumerate(client.audit_entries(start, head.tree_size), start=start):
        if entry.kind not in (COMMIT_LEAF, CLOSED_LEAF):
            continue
        data = safejson.loads(entry.data, f"audit entry {index}")
        if data.get("study_id") != study_id:
            continue
        if entry.kind == COMMIT_LEAF:
            commits.setdefault(data["participant"], data["envelope_digest"])
        elif closed is None:
            client.check_inclusion(entry, index, head)
            closed = list(data["participants"])
    return CommitPhase(commits, closed, max(start, head.tree_size))


def commit_and_wait(client: GatewayClient, org: str, key: SigningKey, study_id: str, submission: Submission,
                    log_key: bytes | None, *, wait: float, poll: float = 1.0, progress=lambda message: None) -> None:
    """Commit to the kept submission's ciphertext (once), then wait until the commit phase closed with
    this holder in it; the caller then uploads exactly that submission."""
    phase = commit_phase_from_log(client, study_id, log_key)
    mine = phase.commits.get(org)
    digest = submission.envelope_digest.hex()
    if mine is None:
        if phase.closed is not None:
            raise CommitteeStudyError(f"the commit phase of study {study_id[:16]}... closed without {org!r}'s "
                                      "commitment: its ciphertext cannot be added any more")
        leaf = CommitteeRelay(client).commit_contribution(
            study_id, ContributionCommit.for_submission(submission, key).to_bytes())
        progress(f"committed to the ciphertext's hash (audit leaf {leaf}); it is uploaded once the commit phase "
                 "closes")
    elif mine != digest:
        raise CommitteeStudyError(f"{org!r} committed to another ciphertext than the submission kept for study "
                                  f"{study_id[:16]}... (the gateway accepts only the committed one)")
    deadline = time.monotonic() + wait
    if phase.closed is None:
        progress(f"waiting up to {wait:.0f} s for the requester to close the commit phase "
                 f"(`zkgate requester close-commit-phase {study_id}`) ...")
    while phase.closed is None:
        if time.monotonic() >= deadline:
            raise CommitteeStudyError(
                f"the commit phase of study {study_id[:16]}... is still open after {wait:.0f} s: {org!r} committed "
                "and keeps its submission; run `zkgate holder submit` again once the requester closed the commit "
                "phase (it uploads the very ciphertext committed to)")
        time.sleep(poll)
        phase = commit_phase_from_log(client, study_id, log_key, phase)
    if org not in phase.closed:
        raise CommitteeStudyError(f"the commit phase closed without {org!r}: its ciphertext cannot be added")


__all__ = ["CLOSED_LEAF", "COMMIT_LEAF", "CommitPhase", "CommitteeForStudy", "CommitteeStudyError", "CommitteeOpened", "blame",
           "commit_and_wait", "commit_phase_from_log", "committee_for_study", "default_active",
           "joint_key_from_relay", "open_committee_study", "parse_active", "sign_release"]
