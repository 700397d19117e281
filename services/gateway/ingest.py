"""Ingest: concurrent submissions verified in one batch and committed in one group.

Each ``Submit`` handler thread runs its submission's own checks (signature, chunk set,
commitments, ciphertext envelope) and stores its blob in parallel with the others, then hands
it to the process's :class:`SubmissionBatcher`.  One handler at a time leads: it takes every
submission waiting (up to ``max_batch``) and

1. verifies all their Groth16 proofs in one batch per study (:func:`verify_batch`: a random
   linear combination, k + 3 Miller loops and one final exponentiation for k proofs, instead
   of 3k and k); a malformed proof makes the batch raise, and then each submission's proofs are
   verified alone, so one bad submission never gets good ones refused (the batch's bisection
   names invalid proofs exactly, without the weights);
2. lets the store decide and write the verified ones in ONE transaction
   (:meth:`Store.accept_submissions`: duplicates, the study's state, sequence numbers and audit
   leaves decided under the database's lock, one durable commit for the group), their receipts
   signed in it as one batch: one hybrid signature over a Merkle tree of the group's receipts
   (:func:`zkgate.study.messages.sign_receipts`), not one ML-DSA-65 signature per receipt.

Every handler returns only after the commit that holds its own submission.  While one group
is verified and committed the next one gathers, so the busier the gateway, the larger the
groups; an idle gateway commits a lone submission at once (no timer, no added latency).  When
the leader's group is done it hands the lead to the oldest waiting handler, so no handler
serves others for long.  ``ZKGATE_INGEST_BATCH`` in the gateway's environment caps a group (default
64; 1 verifies and commits every submission alone, as a baseline).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from zkgate.errors import InvalidInputError, ZkgateError
from zkgate.prover.groth16.batch import verify_batch
from zkgate.study.aggregator import verify_proofs
from zkgate.study.keys import CircuitKeys

from .metrics import NO_METRICS
from .store import NewSubmission, Store, SubmissionRecord

DEFAULT_MAX_BATCH = 64
BATCH_VARIABLE = "ZKGATE_INGEST_BATCH"  # the largest group (1: every submission verified and committed alone)


def configured_max_batch() -> int:
    """The largest group: ``ZKGATE_INGEST_BATCH`` from the gateway's environment, else 64."""
    text = os.environ.get(BATCH_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_BATCH
    if not text.isdigit() or int(text) < 1:
        raise InvalidInputError(f"{BATCH_VARIABLE}={text!r}: expected a whole number of submissions, at least 1")
    return int(text)


@dataclass
class _Pending:
    new: NewSubmission
    keys: CircuitKeys
    proofs: list  # [(public inputs, proof)] of every chunk
    rejected: Callable[[list[int]], Exception]  # the error for the indices of chunks whose proof fails
    wake: threading.Event = field(default_factory=threading.Event)
    finished: bool = False  # its group was decided (record or error set)
    lead: bool = False  # it leads (it started leading, or was handed the lead)
    record: SubmissionRecord | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    """What the batcher did (for benchmarks and tests): groups committed, submissions in them,
    the largest group, batches that fell back to one-by-one verification."""

    groups: int = 0
    submissions: int = 0
    largest: int = 0
    fallbacks: int = 0


class SubmissionBatcher:
    metrics = NO_METRICS  # the gateway's GatewayMetrics (--metrics-port): batch verification, group commit times

    def __init__(self, store: Store, max_batch: int | None = None,
                 sign_receipts: Callable[[list], list[bytes]] | None = None) -> None:
        max_batch = configured_max_batch() if max_batch is None else max_batch
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.store = store
        self.sign_receipts = sign_receipts  # the group's sealed receipts -> their bytes, signed as one batch
        self.max_batch = max_batch
        self.stats = BatchStats()
        self._lock = threading.Lock()
        self._waiting: list[_Pending] = []
        self._leading = False

    @property
    def pending(self) -> int:
        """Submissions queued for the next group."""
        with self._lock:
            return len(self._waiting)

    def submit(self, new: NewSubmission, keys: CircuitKeys, proofs: list,
               rejected: Callable[[list[int]], Exception]) -> SubmissionRecord:
        """Verify the proofs and have the store accept ``new``; returns the stored record (the
        original one for a retry) once durable, or raises the error refusing it."""
        item = _Pending(new, keys, proofs, rejected)
        with self._lock:
            self._waiting.append(item)
            if not self._leading:
                self._leading = item.lead = True
        if not item.lead:
            item.wake.wait()  # set when its group was decided, or when it is handed the lead
        if not item.finished:
            self._lead(item)
        if item.error is not None:
            raise item.error
        return item.record

    def _lead(self, me: _Pending) -> None:
        while not me.finished:
            with self._lock:
                group, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            self._run(group)
        with self._lock:
            if self._waiting:  # hand the lead over to the oldest waiting handler
                nxt = self._waiting[0]
                nxt.lead = True
                nxt.wake.set()
            else:
                self._leading = False

    def _run(self, group: list[_Pending]) -> None:
        try:
            verified = self._verify(group)
            if verified:
                with self.metrics.committing():
                    results = self.store.accept_submissions([item.new for item in verified], self.sign_receipts)
                for item, result in zip(verified, results, strict=True):
                    if isinstance(result, Exception):
                        item.error = result
                    else:
                        item.record = result
                self.stats.groups += 1
                self.stats.submissions += len(verified)
                self.stats.largest = max(self.stats.largest, len(verified))
        except BaseException as exc:  # noqa: BLE001 - the group failed as a whole: nobody is acknowledged
            for item in group:
                if item.record is None and item.error is None:
                    item.error = exc
        finally:
            for item in group:
                item.finished = True
                item.wake.set()

    def _verify(self, group: list[_Pending]) -> list[_Pending]:
        """The items whose every proof verifies; the others get their refusal."""
        by_keys: dict[int, list[_Pending]] = {}
        for item in group:
            by_keys.setdefault(id(item.keys), []).append(item)
        good: set[int] = set()
        for items in by_keys.values():
            flat = [pair for item in items for pair in item.proofs]
            with self.metrics.verifying():
                try:
                    oks = verify_batch(items[0].keys.prepared, flat)
                except ZkgateError:  # a malformed proof somewhere: each submission on its own
                    self.stats.fallbacks += 1
                    oks = [ok for item in items for ok in verify_proofs(item.keys, item.proofs)]
            at = 0
            for item in items:
                mine = oks[at:at + len(item.proofs)]
                at += len(item.proofs)
                bad = [i for i, ok in enumerate(mine) if not ok]
                if bad:
                    item.error = item.rejected(bad)
                else:
                    good.add(id(item))
        return [item for item in group if id(item) in good]


__all__ = ["BATCH_VARIABLE", "DEFAULT_MAX_BATCH", "BatchStats", "SubmissionBatcher", "configured_max_batch"]
