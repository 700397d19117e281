"""The store contract, one set of tests run on SQLite and on PostgreSQL (skipped, saying why, when
no PostgreSQL server answers at ZKGATE_TEST_POSTGRES_URL): every Store method, records,
idempotence, audit leaves committed with their records, dense log indices under concurrency
(threads, and several processes on PostgreSQL); and the one migration list both backends run:
stores of every earlier schema version open and migrate to the schema a new store gets."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import multiprocessing
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from testsupport import fresh_postgres_database, postgres_missing_reason
from zkgate.audit import MerkleLog, verify_consistency, verify_inclusion
from zkgate.audit.merkle import leaf_hash
from zkgate.audit.tree_head import TreeHeadSigner
from zkgate.services.errors import AlreadyExistsError, NotFoundError, PreconditionError, TooLargeError
from zkgate.services.gateway.store import (
    AuditEntry,
    CircuitRecord,
    CommitteeMessage,
    DatasetRecord,
    NewSubmission,
    SchemaRecord,
    Store,
    StudyProvingKeyRecord,
    StudyRecord,
    SubmissionRecord,
    open_store,
)
from zkgate.services.gateway.store.check import check_store
from zkgate.services.gateway.store.schema import (
    MIGRATIONS,
    POSTGRESQL,
    POSTGRESQL_OWN_NUMBERING,
    SCHEMA_VERSION,
    SQLITE,
    SchemaTooNewError,
)
from zkgate.services.gateway.store.sqlite import DATABASE_NAME
from zkgate.study.errors import DuplicateSubmissionError, LateSubmissionError

PG_SKIP = postgres_missing_reason()


@dataclass(frozen=True)
class Backend:
    kind: str  # "sqlite" or "postgres"
    data_dir: Path  # the SQLite data folder, or PostgreSQL's blob cache folder
    url: str | None  # the PostgreSQL database

    def open(self) -> Store:
        """A new Store on the same data."""
        return open_store(self.data_dir, self.url)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        yield Backend("sqlite", tmp_path / "data", None)
        return
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    url, drop = fresh_postgres_database()
    try:
        yield Backend("postgres", tmp_path / "cache", url)
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
    store = backend.open()
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
        with pytest.raises(Exception) as refused:  # sqlite3's or psycopg's IntegrityError: the driver's own
            store.add_submission(SubmissionRecord("c" * 64, "x", 0, blob, b"r"), _entry(95))  # unknown study
        assert "IntegrityError" in [cls.__name__ for cls in type(refused.value).__mro__]
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
        assert store.latest_tree_head() is None
        signer = TreeHeadSigner.generate()
        older = signer.sign(3, old_root)
        head = signer.sign(size, root)
        store.save_tree_head(head)
        store.save_tree_head(head)  # the same head again: kept once
        store.save_tree_head(older)  # saved later, but of a smaller tree
        assert store.latest_tree_head() == head
        store.quick_check()
    finally:
        store.close()
    store = backend.open()  # everything survives a reopen
    try:
        assert store.get_dataset(record.dataset_id) == record
        assert store.audit_read(lambda t: t.root()) == root
        assert store.latest_tree_head() == head
    finally:
        store.close()
    counts = check_store(backend.data_dir, backend.url).counts
    assert (counts["signed tree heads"], counts["audit leaves"]) == (2, 6)


def test_catalog_records_schemas_and_proving_keys(backend):
    store = backend.open()
    try:
        zkey = store.put_blob(b"zkey" * 64)
        circuit = CircuitRecord("c" * 64, "count", 3, 1 << 40, 1 << 33, True, zkey, None, '{"protocol":"groth16"}')
        assert store.add_circuit(circuit, _entry(0)) == circuit
        assert store.add_circuit(circuit, _entry(99)) == circuit  # idempotent retry, nothing logged twice
        with pytest.raises(AlreadyExistsError):
            store.add_circuit(CircuitRecord("c" * 64, "other", 3, 9, 16, False, zkey, None, "{}"), _entry(98))
        got = store.get_circuit(circuit.circuit_id)
        assert got == circuit and got.dev_only is True  # booleans and 64-bit sizes come back as written
        second = CircuitRecord("d" * 64, "sum", 4, 10, 16, False, zkey, zkey, "{}")
        store.add_circuit(second)  # no audit entry
        assert store.list_circuits() == [circuit, second] and store.get_circuit("e" * 64) is None
        assert store.get_circuit(second.circuit_id).dev_only is False

        first, other = _dataset(1, "bank"), _dataset(2)
        store.add_dataset(first)
        store.add_dataset(other, _entry(1))
        assert store.list_datasets() == [first, other] and store.list_datasets("hospital-2") == [other]
        assert store.list_datasets("nobody") == []

        schema = SchemaRecord("patients", '{"columns":[]}', "ab" * 32, publisher="registry")
        assert store.add_schema(schema, _entry(2)) == schema
        assert store.add_schema(schema, _entry(97)) == schema
        with pytest.raises(AlreadyExistsError):
            store.add_schema(SchemaRecord("patients", '{"columns":[1]}', "cd" * 32), _entry(96))
        store.add_schema(SchemaRecord("accounts", "{}", "ef" * 32))
        assert store.get_schema("patients") == schema and store.get_schema("nothing") is None
        assert [s.name for s in store.list_schemas()] == ["accounts", "patients"]

        key = StudyProvingKeyRecord("a" * 64, zkey)
        assert store.add_study_proving_key(key) == key
        assert store.add_study_proving_key(key) == key
        with pytest.raises(AlreadyExistsError):
            store.add_study_proving_key(StudyProvingKeyRecord("a" * 64, "0" * 64))
        assert store.get_study_proving_key("a" * 64) == key and store.get_study_proving_key("b" * 64) is None

        studies = [StudyRecord(c * 64, f"t{c}", b"spec", b"keys", zkey, "OPEN") for c in "ab"]
        for study in studies:
            store.add_study(study, _entry(3))
        assert store.list_studies() == studies and store.get_study("f" * 64) is None
        assert store.get_study("a" * 64).requester == ""
        assert [e.data for _, e in store.audit_entries(0, 100)] == [_entry(i).data for i in (0, 1, 2, 3, 3)]
    finally:
        store.close()


def test_location_schema_version_and_blob_paths(backend):
    store = backend.open()
    try:
        assert store.schema_version == SCHEMA_VERSION
        if backend.url is None:
            assert store.location == str(backend.data_dir / DATABASE_NAME)
        else:
            assert store.location == backend.url  # no password in the test URL: shown as is
        store.quick_check()
        blob = store.put_blob(b"")  # the empty blob is a blob too
        assert store.read_blob(blob) == b"" and Path(store.blob_path(blob)).read_bytes() == b""
        assert oct(os.stat(store.blob_path(blob)).st_mode & 0o777) == "0o600"  # the gateway's own files
        with pytest.raises(ValueError, match="not a blob id"):
            store.read_blob("../" + "0" * 61)
    finally:
        store.close()


def _new(study_id: str, participant: str, blob: str, refuse: Exception | None = None) -> NewSubmission:
    def seal(sequence: int):
        if refuse is not None:
            raise refuse
        return b"receipt:%s:%d" % (participant.encode(), sequence), AuditEntry("submission", participant.encode())
    return NewSubmission(study_id, participant, blob, seal)


def test_submissions_decided_by_the_store(backend):
    """Group commit: duplicates, the study's state, sequence numbers and leaves decided in the store's
    transaction; a refused item writes nothing and leaves the others of its group accepted."""
    store = backend.open()
    try:
        blobs = [store.put_blob(b"submission 0")] + [store.put_blob_for_commit(b"submission %d" % i) for i in range(1, 6)]
        study = StudyRecord("a" * 64, "t", b"spec", b"keys", blobs[0], "OPEN")
        store.add_study(study, _entry(0))
        late = LateSubmissionError("past the deadline")
        got = store.accept_submissions([
            _new(study.study_id, "h1", blobs[1]),
            _new(study.study_id, "h2", blobs[2]),
            _new(study.study_id, "h1", blobs[1]),  # the same again in one group: the same record
            _new(study.study_id, "h1", blobs[3]),  # another one from h1: refused
            _new(study.study_id, "h3", blobs[3], refuse=late),  # its seal refuses: nothing written
            _new("f" * 64, "h4", blobs[4]),  # no such study
            _new(study.study_id, "h4", blobs[4]),
        ])
        first, second = got[0], got[1]
        assert (first.sequence, first.audit_leaf, first.receipt) == (0, 1, b"receipt:h1:0")
        assert (second.sequence, second.audit_leaf) == (1, 2)
        assert got[2] == first
        assert isinstance(got[3], DuplicateSubmissionError) and got[4] is late
        assert "no study" in str(got[5])
        assert (got[6].sequence, got[6].audit_leaf) == (2, 3)  # dense: the refused ones took nothing
        assert store.get_submission(study.study_id, "h1") == first
        assert store.get_submission(study.study_id, "h3") is None
        assert store.accept_submissions([_new(study.study_id, "h2", blobs[2])]) == [second]  # a retry later
        assert store.close_study(study.study_id, frozenset({"h1", "h2"}), _entry(9), blobs[5]) is False  # h4 missed
        assert store.get_study(study.study_id).state == "OPEN"
        assert store.close_study(study.study_id, frozenset({"h1", "h2", "h4"}), _entry(9), blobs[5]) is True
        closed = store.get_study(study.study_id)
        assert (closed.state, closed.aggregate_blob) == ("CLOSED", blobs[5])
        with pytest.raises(PreconditionError):
            store.close_study(study.study_id, frozenset({"h1", "h2", "h4"}), _entry(10), blobs[5])
        after = store.accept_submissions([_new(study.study_id, "h5", blobs[4]), _new(study.study_id, "h1", blobs[1])])
        assert isinstance(after[0], LateSubmissionError) and after[1] == first  # closed: retries still answered
        with pytest.raises(PreconditionError):  # the state moved on since it was read
            store.set_study_state(study.study_id, "CANCELLED", _entry(11), expect_state="OPEN")
        store.set_study_state(study.study_id, "CANCELLED", _entry(11), expect_state="CLOSED")
        assert "cancelled" in str(store.accept_submissions([_new(study.study_id, "h6", blobs[4])])[0])
        assert [e.data for _, e in store.audit_entries(0, 100)][4:] == [_entry(9).data, _entry(11).data]

        # a blob written in the accepting transaction (stores that keep blobs in the database)
        other = StudyRecord("b" * 64, "t", b"spec", b"keys", blobs[0], "OPEN")
        store.add_study(other, _entry(12))
        data = b"submission written with its row"
        blob_id = hashlib.sha256(data).hexdigest()
        item = dataclasses.replace(_new(other.study_id, "h1", blob_id), data=data)
        [written] = store.accept_submissions([item])
        if store.blobs_in_transaction:
            assert written.sequence == 0 and store.read_blob(blob_id) == data
        else:  # SQLite keeps blobs in files: put_blob first
            assert isinstance(written, NotImplementedError) and store.get_submission(other.study_id, "h1") is None
    finally:
        store.close()


def test_a_groups_blob_files_are_durable_before_its_commit(tmp_path, monkeypatch):
    """SQLite: a submission's blob (put_blob_for_commit) is fsynced as a file at once; the folder's
    fsync that makes its name durable runs ONCE per group, before the group's rows commit."""
    from zkgate.services.gateway.store import sqlite as sqlite_module
    from zkgate.services.gateway.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path)
    events: list[str] = []
    real_fsync_folder = sqlite_module.fsync_folder
    monkeypatch.setattr(sqlite_module, "fsync_folder", lambda folder: (events.append(f"fsync {Path(folder).name}"),
                                                                       real_fsync_folder(folder)))
    real_writing = store._writing
    monkeypatch.setattr(store, "_writing", lambda **kw: (events.append("transaction"), real_writing(**kw))[1])
    try:
        study = StudyRecord("a" * 64, "t", b"spec", b"keys", store.put_blob(b"ctx"), "OPEN")
        store.add_study(study, _entry(0))
        events.clear()
        blobs = [store.put_blob_for_commit(b"submission %d" % i) for i in range(3)]
        assert events == [] and all(store.read_blob(b) == b"submission %d" % i for i, b in enumerate(blobs))
        got = store.accept_submissions([_new(study.study_id, f"h{i}", b) for i, b in enumerate(blobs)])
        assert [r.sequence for r in got] == [0, 1, 2]
        assert events == ["fsync blobs", "transaction"]  # one folder fsync for the group, before its commit
        events.clear()
        store.accept_submissions([_new(study.study_id, "h0", blobs[0])])  # nothing new written: no fsync
        assert events == ["transaction"]
    finally:
        store.close()


def test_concurrent_appends_from_threads(backend):
    store = backend.open()
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


def test_committee_relay_and_decided_appends(backend):
    """A key committee's relay in the store: shared by two stores on the same data (two gateway
    processes), kept across a reopen; one message per slot, the bounds decided by the store; and an
    append decided on the log's leaves of some kinds, atomically against every other writer."""
    first, second = backend.open(), backend.open()
    try:
        cid, other = b"\x01" * 32, b"\x02" * 32
        assert first.add_committee(cid, b"roster-1", 2) and not second.add_committee(cid, b"roster-1", 2)
        assert second.get_committee(cid) == b"roster-1" and first.get_committee(other) is None
        assert second.add_committee(other, b"roster-2", 2)
        with pytest.raises(TooLargeError, match="at most 2 committees"):
            first.add_committee(b"\x03" * 32, b"roster-3", 2)  # the bound counts both stores' committees

        def msg(kind, sender, recipient=0, context=b"", body=b""):
            return CommitteeMessage(cid, kind, sender, recipient, context, b"%s/%d/%d/%s" % (kind.encode(), sender,
                                                                                           recipient, body))

        assert first.add_committee_message(msg("round1", 1), 4).sequence == 1
        assert second.add_committee_message(msg("round1", 2), 4).sequence == 2
        assert first.add_committee_message(msg("shamir", 1, 2), 4).sequence == 3
        assert second.add_committee_message(msg("round1", 1), 4).sequence == 1  # identical repost: idempotent
        with pytest.raises(AlreadyExistsError, match="member 1 already posted another round1 message to everyone"):
            second.add_committee_message(msg("round1", 1, body=b"equivocation"), 4)
        assert second.add_committee_message(msg("round1", 1, context=b"c"), 4).sequence == 4  # another slot
        with pytest.raises(TooLargeError, match="at most 4 messages"):
            first.add_committee_message(msg("round1", 3), 4)
        with pytest.raises(NotFoundError, match="RegisterCommittee first"):
            first.add_committee_message(CommitteeMessage(b"\x09" * 32, "round1", 1, 0, b"", b"m"), 4)
        assert first.committee_messages(cid, "round1", 0, b"") == [b"round1/1/0/", b"round1/2/0/"]
        assert first.committee_messages(cid, "round1", 0, b"c") == [b"round1/1/0/"]
        assert second.committee_messages(cid, "shamir", 2, b"") == [b"shamir/1/2/"]
        assert second.committee_messages(cid, "shamir", 3, b"") == [] == first.committee_messages(other, "round1", 0, b"")

        # decided appends: threads on both stores race to append the one "won" leaf; exactly one does
        first.append_audit(AuditEntry("noise", b"{}"))
        results: list = []

        def decide_once(entries):
            return None if any(e.kind == "won" for e in entries) else AuditEntry("won", b'{"by":1}')

        def race(store):
            for _ in range(5):
                results.append(store.append_audit_decided(("won", "lost"), decide_once))

        threads = [threading.Thread(target=race, args=(s,)) for s in (first, second, first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results, key=lambda r: -1 if r is None else r) == [None] * 19 + [1]
        with pytest.raises(PreconditionError, match="refused"):  # what decide raises: nothing written
            second.append_audit_decided(("won",), lambda entries: (_ for _ in ()).throw(PreconditionError("refused")))
        assert first.audit_entries_of_kinds(("won", "noise")) == [(0, AuditEntry("noise", b"{}")),
                                                                   (1, AuditEntry("won", b'{"by":1}'))]
        assert second.audit_entries_of_kinds(("lost",)) == [] and _rebuilt(second).size == 2
    finally:
        first.close()
        second.close()
    reopened = backend.open()  # a restart: the relay is still there
    try:
        assert reopened.get_committee(cid) == b"roster-1"
        assert reopened.committee_messages(cid, "round1", 0, b"") == [b"round1/1/0/", b"round1/2/0/"]
    finally:
        reopened.close()


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


# -- every Store method is part of the contract above ---------------------------------------------------
def test_the_contract_tests_call_every_store_method():
    """Each public method and property of Store is called by a test above that runs on both backends
    (so a method one backend gets wrong, or a dead one, cannot hide)."""
    contract = {name for name, _ in inspect.getmembers(Store) if not name.startswith("_")}
    assert contract >= {"put_blob", "latest_tree_head", "quick_check", "location", "close"}
    tree = ast.parse(Path(__file__).read_text())
    backend_tests = [node for node in tree.body if isinstance(node, ast.FunctionDef)
                     and [arg.arg for arg in node.args.args] == ["backend"]]
    used = {node.attr for test in backend_tests for node in ast.walk(test) if isinstance(node, ast.Attribute)}
    assert sorted(contract - used) == []


# -- one migration list, both backends ------------------------------------------------------------------
SHIPPED = {  # SHA-256 prefixes of each migration's statements: shipped migrations never change
    "sqlite": ["335fdbce9f15f265", "320a4eeda564cbb0", "c223d1c67c8d985b", "f21bde808b6b61d2", "6140df742c080243",
               "c16b386de7d48980"],
    "postgresql": ["384b0845902e6b76", "74792c19150bd188", "fea1edeec213bf58", "f21bde808b6b61d2", "ece2098711c88b1c",
                   "427c7e55e9d52bbb"],
}


def test_shipped_migrations_never_change():
    for dialect in (SQLITE, POSTGRESQL):
        digests = [hashlib.sha256(";".join(dialect.statements(m)).encode()).hexdigest()[:16] for m in MIGRATIONS]
        assert digests[:len(SHIPPED[dialect.name])] == SHIPPED[dialect.name], dialect.name
    assert SCHEMA_VERSION == len(MIGRATIONS) >= len(SHIPPED["sqlite"])


def _sqlite_schema(path: Path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        db.close()


def _sqlite_store_at_version(data_dir: Path, version: int) -> None:
    """A data folder as a zkgate of schema ``version`` left it (its migrations, a row per table)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(data_dir / DATABASE_NAME, isolation_level=None)
    for index in range(version):
        for statement in SQLITE.statements(MIGRATIONS[index]):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")
    if version >= 1:
        db.execute("INSERT INTO datasets (dataset_id, owner, name, root, signing_public_key, schema_json, registration) "
                   "VALUES (?, 'hospital', 'ds', '1', ?, '{}', ?)", ("1" * 64, bytes(32), b"reg"))
    if version >= 2:
        db.execute("INSERT INTO audit_leaves (leaf_index, kind, data) VALUES (0, 'test', ?)", (b"{}",))
        db.execute("INSERT INTO audit_nodes (level, node_index, hash) VALUES (0, 0, ?)",
                   (leaf_hash(AuditEntry("test", b"{}").leaf_bytes()),))
    if version >= 3:
        db.execute("INSERT INTO studies (study_id, title, spec, circuit_keys, context_blob, state) "
                   "VALUES (?, 'old', ?, ?, ?, 'OPEN')", ("a" * 64, b"spec", b"keys", "0" * 64))
    db.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_sqlite_data_folders_of_every_earlier_version_open(tmp_path, version):
    _sqlite_store_at_version(tmp_path / "old", version)
    store = open_store(tmp_path / "old")
    try:
        assert store.schema_version == SCHEMA_VERSION
        if version >= 1:
            assert store.get_dataset("1" * 64).registration == b"reg"
        if version >= 2:
            assert store.audit_entries(0, 5) == [(0, AuditEntry("test", b"{}"))]
            assert store.append_audit(_entry(1)) == 1
        if version >= 3:
            assert store.get_study("a" * 64).requester == ""  # the column a later migration added
        schema = SchemaRecord("s", "{}", "0" * 64)
        assert store.add_schema(schema) == schema and store.get_schema("s") == schema
        assert store.add_committee(b"c" * 32, b"roster", 1) and store.get_committee(b"c" * 32) == b"roster"
        assert store.add_committee_message(CommitteeMessage(b"c" * 32, "round1", 1, 0, b"", b"m"), 1).sequence == 1
    finally:
        store.close()
    open_store(tmp_path / "new").close()
    assert _sqlite_schema(tmp_path / "old" / DATABASE_NAME) == _sqlite_schema(tmp_path / "new" / DATABASE_NAME)


def test_sqlite_store_of_a_newer_zkgate_is_refused(tmp_path):
    _sqlite_store_at_version(tmp_path, SCHEMA_VERSION)
    db = sqlite3.connect(tmp_path / DATABASE_NAME, isolation_level=None)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(SchemaTooNewError, match=f"{DATABASE_NAME} has zkgate schema version {SCHEMA_VERSION + 1}"):
        open_store(tmp_path)


def _postgres_schema(url: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, column_name"
        ).fetchall() + conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
        ).fetchall()


@pytest.mark.parametrize("own_version", [1, 2])
def test_postgres_databases_of_earlier_zkgate_versions_open(tmp_path, own_version):
    """A database written when PostgreSQL counted its own migrations (1: up to the study's
    requester, 2: published schemas and proving keys) is translated to the shared numbering."""
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    import psycopg

    url, drop = fresh_postgres_database()
    fresh_url, drop_fresh = fresh_postgres_database()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for index in range(POSTGRESQL_OWN_NUMBERING[own_version]):
                for statement in POSTGRESQL.statements(MIGRATIONS[index]):
                    conn.execute(statement)
            conn.execute("CREATE TABLE zkgate_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO zkgate_schema (version) VALUES (%s)", (own_version,))
            conn.execute("INSERT INTO datasets (dataset_id, owner, name, root, signing_public_key, schema_json, "
                         "registration) VALUES (%s, 'hospital', 'ds', '1', %s, '{}', %s)", ("1" * 64, bytes(32), b"reg"))
        store = open_store(tmp_path, url)
        try:
            assert store.schema_version == SCHEMA_VERSION
            assert store.get_dataset("1" * 64).registration == b"reg"
            schema = SchemaRecord("s", "{}", "0" * 64)
            assert store.add_schema(schema) == schema
        finally:
            store.close()
        open_store(tmp_path, url).close()  # a second open runs nothing again
        open_store(tmp_path, fresh_url).close()
        assert _postgres_schema(url) == _postgres_schema(fresh_url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE zkgate_schema SET version = %s", (SCHEMA_VERSION + 1,))
        with pytest.raises(SchemaTooNewError, match=f"version {SCHEMA_VERSION + 1}"):
            open_store(tmp_path, url)
    finally:
        drop()
        drop_fresh()
