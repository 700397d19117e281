"""The ingest batcher (services/gateway/ingest.py) on a real SQLite store with real proofs: the
proofs of queued submissions are verified in one batch and the verified ones committed in one
group; a wrong proof and a malformed one in the same group are refused, each alone, and never get
the good ones refused; nobody is answered before the commit that holds its submission."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from zkgate.he import KeyHolder
from zkgate.services.gateway.ingest import SubmissionBatcher, configured_max_batch
from zkgate.services.gateway.store import AuditEntry, NewSubmission, SqliteStore, StudyRecord
from zkgate.study.aggregator import proof_items, proofs_rejected
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.errors import ProofRejectedError
from zkgate.study.identity import SigningKey
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table

HOLDERS = 6


class HeldStore(SqliteStore):
    """A real SQLite store whose first group commit waits until the test lets it go (so that the
    other submissions queue up behind it and form one group)."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.groups: list[list[str]] = []

    def accept_submissions(self, items, sign=None):
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(60)
        self.groups.append([item.participant for item in items])
        return super().accept_submissions(items, sign)


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(8)
    names = [f"h{i}" for i in range(HOLDERS)]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 4)), 4) for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    context = KeyHolder.create("bfv-4096").public_context()
    spec, circuit_keys = open_study(
        title="batch", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS, quorum=1,
        deadline=int(time.time()) + 3600, public_context=context, gateway_key=SigningKey.generate().public,
        key_holder_key=SigningKey.generate().public, keys="dev", dev_mode=True,
    )
    subs = [Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys).submission
            for n, c, k in zip(names, commitments, keys)]
    return spec, circuit_keys.public(), subs


def _seal(participant: str):
    return lambda sequence: (b"receipt %s %d" % (participant.encode(), sequence),
                             AuditEntry("submission", participant.encode()))


@pytest.mark.slow  # proves six contributions
def test_one_group_refuses_a_wrong_and_a_malformed_proof_alone(tmp_path, world):
    spec, keys, subs = world
    store = HeldStore(tmp_path)
    study_id = "ab" * 32
    store.add_study(StudyRecord(study_id, "t", b"spec", b"keys", store.put_blob(b"ctx"), "OPEN"))
    batcher = SubmissionBatcher(store)
    items = [proof_items(spec, s) for s in subs]
    wrong = [(items[1][0][0], items[2][0][1])]  # h2's (valid) proof under h1's public inputs
    a = items[3][0][1].a
    malformed = [(items[3][0][0], dataclasses.replace(items[3][0][1], a=(a[0], a[1] + 1)))]  # A off the curve
    plan = [items[0], wrong, items[2], malformed, items[4], items[5]]
    results: dict[str, object] = {}

    def send(i: int) -> None:
        sub = subs[i]
        new = NewSubmission(study_id, sub.participant, store.put_blob(b"submission %d" % i), _seal(sub.participant))
        try:
            results[sub.participant] = batcher.submit(new, keys, plan[i], lambda bad, s=sub: proofs_rejected(s, bad))
        except Exception as exc:  # noqa: BLE001 - the refusal is the result
            results[sub.participant] = exc

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert store.entered.wait(60)  # h0 leads, alone, and is held in its commit
    assert "h0" not in results  # not answered before its commit
    rest = [threading.Thread(target=send, args=(i,)) for i in range(1, HOLDERS)]
    for t in rest:
        t.start()
    deadline = time.monotonic() + 60
    while batcher.pending < HOLDERS - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batcher.pending == HOLDERS - 1
    store.release.set()
    for t in (first, *rest):
        t.join(120)

    assert [sorted(g) for g in store.groups] == [["h0"], ["h2", "h4", "h5"]]  # the five queued: one batch
    assert batcher.stats.largest == 3 and batcher.stats.fallbacks == 1  # the malformed proof: one by one
    assert isinstance(results["h1"], ProofRejectedError) and isinstance(results["h3"], ProofRejectedError)
    accepted = {name: results[name] for name in ("h0", "h2", "h4", "h5")}
    assert sorted(r.sequence for r in accepted.values()) == [0, 1, 2, 3]
    stored = [r.participant for r in store.list_submissions(study_id)]
    assert stored == ["h0", *store.groups[1]]  # in the group's order, sequences dense
    assert [e.data.decode() for _, e in store.audit_entries(0, 10)] == stored
    store.close()


def test_the_group_size_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("ZKGATE_INGEST_BATCH", raising=False)
    assert configured_max_batch() == 64
    monkeypatch.setenv("ZKGATE_INGEST_BATCH", "1")
    assert configured_max_batch() == 1
    monkeypatch.setenv("ZKGATE_INGEST_BATCH", "0")
    with pytest.raises(Exception, match="ZKGATE_INGEST_BATCH"):
        configured_max_batch()
