"""The store interface on SQLite and on PostgreSQL (skipped, saying why, when no PostgreSQL server
answers at ZKGATE_TEST_POSTGRES_URL): records, idempotence, audit leaves committed with their
records, dense log indices under concurrency (threads, and several processes on PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from testsupport import fresh_postgres_database, postgres_missing_reason
from zkgate.audit import MerkleLog, verify_consistency, verify_inclusion
from zkgate.audit.merkle import leaf_hash
from zkgate.audit.tree_head import TreeHeadSigner
from zkgate.services.errors import AlreadyExistsError
from zkgate.services.gateway.store import AuditEntry, DatasetRecord, StudyRecord, SubmissionRecord, open_store

PG_SKIP = postgres_missing_reason()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    """(open(): a new Store on the same data, kind)."""
    if request.param == "sqlite":
        yield (lambda: open_store(tmp_path / "data")), "sqlite"
        return
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    url, drop = fresh_postgres_database()
    try:
        yield (lambda: open_store(tmp_path / "cache", url)), url
    finally:
        drop()


def _dataset(i: int, owner: str = "hospital") -> DatasetRecord:
    return DatasetRecord(f"{i:064x}", f"{owner}-{i}", "ds", str(i), bytes(32), "{}", b"reg%d" % i)


def _entry(i: int) -> AuditEntry:
    return AuditEntry("test", b'{"i":%d}' % i)


def _rebuilt(store) -> MerkleLog:
    size = store.audit_read(lambda log: log.size)
    log = MerkleLog()
    for index, entry in store.audit_entries(0, size):
        assert index == log.size
        log.append(entry.leaf_bytes())
    return log


def test_records_idempotence_and_audit(backend):
    open_, _ = backend
    store = open_()
    try:
        blob = store.put_blob(b"ciphertext" * 100)
        assert store.put_blob(b"ciphertext" * 100) == blob
        assert store.read_blob(blob) == b"ciphertext" * 100
        with open(store.blob_path(blob), "rb") as handle:
            assert handle.read() == b"ciphertext" * 100

        record = _dataset(1)
        assert store.add_dataset(record, _entry(0)) == record
        assert store.add_dataset(record, _entry(99)) == record  # identical retry: nothing logged twice
        with pytest.raises(AlreadyExistsError):
            store.add_dataset(DatasetRecord(record.dataset_id, "other", "ds", "1", bytes(32), "{}", b"x"), _entry(98))
        assert store.get_dataset(record.dataset_id) == record
        assert store.list_datasets("hospital-1") == [record]
        assert store.get_dataset("f" * 64) is None

        study = StudyRecord("a" * 64, "t", b"spec", b"keys", blob, "OPEN", requester="pharma")
        assert store.add_study(study, _entry(1)) == study
        sub = SubmissionRecord(study.study_id, "hospital-1", 0, blob, b"receipt")
        stored = store.add_submission(sub, _entry(2))
        assert stored.audit_leaf == 2
        assert store.add_submission(sub, _entry(97)) == stored  # same receipt, same leaf
        with pytest.raises(AlreadyExistsError):
            store.add_submission(SubmissionRecord(study.study_id, "hospital-1", 1, "b" * 64, b"r2"), _entry(96))
        store.set_study_state(study.study_id, "CLOSED", _entry(3), aggregate_blob=blob)
        store.set_study_state(study.study_id, "RELEASED", _entry(4), release=b"release")
        got = store.get_study(study.study_id)
        assert (got.state, got.aggregate_blob, got.release, got.requester) == ("RELEASED", blob, b"release", "pharma")
        assert store.list_submissions(study.study_id) == [stored]

        # a write that fails leaves no leaf behind and no gap
        with pytest.raises(Exception):
            store.add_submission(SubmissionRecord("c" * 64, "x", 0, blob, b"r"), _entry(95))  # unknown study
        assert store.append_audit(_entry(5)) == 5
        entries = store.audit_entries(0, 10)
        assert [e.data for _, e in entries] == [_entry(i).data for i in range(6)]
        log = _rebuilt(store)
        size, root = store.audit_read(lambda t: (t.size, t.root()))
        assert (size, root) == (6, log.root())
        path = store.audit_read(lambda t: t.inclusion_proof(2, 6))
        verify_inclusion(leaf_hash(entries[2][1].leaf_bytes()), 2, 6, path, root)
        old_root = store.audit_read(lambda t: t.root(3))
        verify_consistency(3, 6, old_root, root, store.audit_read(lambda t: t.consistency_proof(3, 6)))
        head = TreeHeadSigner.generate().sign(size, root)
        store.save_tree_head(head)
        store.save_tree_head(head)
        assert store.tree_heads() == [head]
    finally:
        store.close()
    store = open_()  # everything survives a reopen
    try:
        assert store.get_dataset(record.dataset_id) == record
        assert store.audit_read(lambda t: t.root()) == root
        assert store.tree_heads() == [head]
    finally:
        store.close()


def test_concurrent_appends_from_threads(backend):
    open_, _ = backend
    store = open_()
    try:
        def work(t: int):
            for i in range(15):
                if i % 3 == 0:
                    store.add_dataset(_dataset(1000 * t + i), _entry(1000 * t + i))
                else:
                    store.append_audit(_entry(1000 * t + i))

        threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        entries = store.audit_entries(0, 1000)
        assert [i for i, _ in entries] == list(range(90))
        assert len({e.data for _, e in entries}) == 90
        assert _rebuilt(store).root() == store.audit_read(lambda t: t.root())
    finally:
        store.close()


def _process_appends(url: str, cache: str, worker: int, count: int) -> None:
    store = open_store(cache, url)
    try:
        for i in range(count):
            if i % 4 == 0:
                store.add_dataset(_dataset(10_000 * worker + i), _entry(10_000 * worker + i))
            else:
                store.append_audit(_entry(10_000 * worker + i))
    finally:
        store.close()


def test_concurrent_appends_from_several_processes(tmp_path):
    """Several gateway processes sharing one PostgreSQL database: no two leaves with one index, no gaps."""
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    url, drop = fresh_postgres_database()
    try:
        open_store(tmp_path, url).close()  # schema in place
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_process_appends, args=(url, str(tmp_path / f"c{w}"), w, 40)) for w in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert all(p.exitcode == 0 for p in procs)
        store = open_store(tmp_path, url)
        try:
            entries = store.audit_entries(0, 10_000)
            assert [i for i, _ in entries] == list(range(160))
            assert sorted(e.data for _, e in entries) == sorted(_entry(10_000 * w + i).data for w in range(4) for i in range(40))
            assert _rebuilt(store).root() == store.audit_read(lambda t: t.root())
            assert len(store.list_datasets()) == 40
        finally:
            store.close()
    finally:
        drop()
