"""Corruption at rest (issue 15): damaged or deleted blobs, damaged stored records, audit nodes and
database pages are DATA_LOSS over gRPC (never INVALID_ARGUMENT or INTERNAL), `zkgate store check`
names each problem (exit 0 clean / 1 damage / 2 cannot check), the gateway refuses to start on a
damaged store, and `zkgate audit verify` notices damaged stored leaf hashes.

The fast tests build stores directly; the one marked slow runs a real study (proofs) first.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner

from testsupport import fresh_postgres_database, postgres_missing_reason
from zkgate.services.cli.gateway_cli import audit_verify, serve, store_check
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.errors import StoredDataError
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.gateway.servicers.audit import load_or_create_signer
from zkgate.services.gateway.status import status_code_name
from zkgate.services.gateway.store import AuditEntry, CircuitRecord, StudyRecord, open_store
from zkgate.services.gateway.store.sqlite import DATABASE_NAME

PG_SKIP = postgres_missing_reason()
LEAVES = 12


def _populate(data_dir: Path) -> dict:
    """A store with a circuit (two blobs), a study row, LEAVES audit leaves and a signed head."""
    store = open_store(data_dir)
    try:
        signer = load_or_create_signer(data_dir)
        zkey = store.put_blob(b"zkey bytes " * 500)
        context = store.put_blob(b"public HE context " * 300)
        store.add_circuit(CircuitRecord("c" * 64, "test", 1, 3, 4, True, zkey, None, "{}"),
                          AuditEntry("circuit", b'{"circuit_id":"' + b"c" * 64 + b'"}'))
        for i in range(LEAVES - 1):
            store.append_audit(AuditEntry("test", b'{"i":%d}' % i))
        size, root = store.audit_read(lambda log: (log.size, log.root()))
        store.save_tree_head(signer.sign(size, root))
    finally:
        store.close()
    _checkpoint(data_dir)
    return {"zkey": zkey, "context": context}


def _checkpoint(data_dir: Path) -> None:
    """Fold the WAL into the database file, so that damage written to the file is what SQLite reads."""
    db = sqlite3.connect(data_dir / DATABASE_NAME)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _sql(data_dir: Path, statement: str, params: tuple = ()) -> None:
    db = sqlite3.connect(data_dir / DATABASE_NAME, isolation_level=None)
    db.execute(statement, params)
    db.close()


def _check(data_dir: Path, *extra: str):
    return CliRunner().invoke(store_check, ["--data-dir", str(data_dir), *extra])


# -- blobs: hashed on every read -------------------------------------------------------------------
def test_flipped_blob_byte_is_data_loss_logged_and_repaired_by_a_reput(tmp_path, caplog):
    blobs = _populate(tmp_path)
    _flip_byte(tmp_path / "blobs" / blobs["zkey"], 100)
    store = open_store(tmp_path)
    try:
        with caplog.at_level(logging.ERROR, logger="zkgate.services.gateway.store"):
            with pytest.raises(StoredDataError, match=blobs["zkey"]) as err:
                store.read_blob(blobs["zkey"])
        assert status_code_name(err.value) == "DATA_LOSS"
        assert "zkgate store check" in str(err.value)
        assert any(blobs["zkey"] in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
        with pytest.raises(StoredDataError):
            store.blob_path(blobs["zkey"])  # the memory-mapped path is hashed too
        store.put_blob(b"zkey bytes " * 500)  # storing the same bytes again repairs the file
        assert store.read_blob(blobs["zkey"]) == b"zkey bytes " * 500
    finally:
        store.close()


def test_deleted_blob_is_data_loss_naming_it(tmp_path):
    blobs = _populate(tmp_path)
    (tmp_path / "blobs" / blobs["context"]).unlink()
    store = open_store(tmp_path)
    try:
        with pytest.raises(StoredDataError, match=f"blob {blobs['context']} is missing") as err:
            store.read_blob(blobs["context"])
        assert status_code_name(err.value) == "DATA_LOSS"
    finally:
        store.close()


# -- over gRPC: a real gateway ---------------------------------------------------------------------
@pytest.fixture
def gateway_with_damage(tmp_path):
    """A gateway whose store holds a study row with a context blob and a spec that does not decode."""
    blobs = _populate(tmp_path)
    store = open_store(tmp_path)
    store.add_study(StudyRecord("ab" * 32, "damaged", b"\x93not a spec", b"\x90", blobs["context"], "OPEN"))
    store.close()
    gateway = Gateway(ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True)).start()
    yield gateway, tmp_path, blobs
    gateway.stop(grace=1)


def test_rpc_status_is_data_loss_for_damaged_deleted_blob_and_damaged_record(gateway_with_damage, caplog):
    gateway, data_dir, blobs = gateway_with_damage
    study_id = "ab" * 32
    with GatewayClient(gateway.address) as client:
        assert client.public_context(study_id) == b"public HE context " * 300
        with caplog.at_level(logging.ERROR, logger="zkgate.services.gateway.store"):
            with pytest.raises(GatewayCallError) as err:  # a stored record that no longer decodes
                client.get_study(study_id)
        assert err.value.code == grpc.StatusCode.DATA_LOSS
        assert f"the spec of study {study_id}" in err.value.details and "zkgate store check" in err.value.details
        assert any("DATA LOSS" in r.getMessage() for r in caplog.records)

        _flip_byte(data_dir / "blobs" / blobs["context"], 5)
        with pytest.raises(GatewayCallError) as err:
            client.public_context(study_id)
        assert err.value.code == grpc.StatusCode.DATA_LOSS and blobs["context"] in err.value.details

        (data_dir / "blobs" / blobs["context"]).unlink()
        with pytest.raises(GatewayCallError) as err:
            client.public_context(study_id)
        assert err.value.code == grpc.StatusCode.DATA_LOSS
        assert f"blob {blobs['context']} is missing" in err.value.details
        assert client.gateway_info().log_public_key  # the gateway keeps serving


def test_audit_verify_notices_a_damaged_stored_leaf_hash(gateway_with_damage):
    gateway, data_dir, _ = gateway_with_damage
    clean = CliRunner().invoke(audit_verify, ["--gateway", gateway.address])
    assert clean.exit_code == 0, clean.output
    assert "inclusion proofs checked" in clean.output
    # leaf 0's stored hash: the root (complete subtrees) does not use it, leaf 1's inclusion proof does
    _sql(data_dir, "UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 0 AND node_index = 0")
    damaged = CliRunner().invoke(audit_verify, ["--gateway", gateway.address])
    assert damaged.exit_code == 1, damaged.output
    assert "inclusion proofs of" in damaged.output and "leaf 1" in damaged.output


# -- zkgate store check ----------------------------------------------------------------------------
def test_store_check_clean_store_exits_0(tmp_path):
    _populate(tmp_path)
    result = _check(tmp_path)
    assert result.exit_code == 0, result.output
    assert "OK: no damage found" in result.output and f"{LEAVES} audit leaves" in result.output


def test_store_check_names_a_flipped_and_a_deleted_blob(tmp_path):
    blobs = _populate(tmp_path)
    _flip_byte(tmp_path / "blobs" / blobs["zkey"], 0)
    (tmp_path / "blobs" / blobs["context"]).unlink()
    _sql(tmp_path, "INSERT INTO studies (study_id, title, spec, circuit_keys, context_blob, state) "
                   "VALUES (?, 't', x'00', x'00', ?, 'OPEN')", ("cd" * 32, blobs["context"]))
    result = _check(tmp_path)
    assert result.exit_code == 1, result.output
    assert f"blobs/{blobs['zkey']}: damaged: its content hashes to" in result.output
    assert f"blob {blobs['context']}: missing: study {'cd' * 32} (its HE context) names it" in result.output
    assert f"study {'cd' * 32}, its spec: does not decode" in result.output


def test_store_check_names_a_damaged_leaf_hash_node_and_head(tmp_path):
    _populate(tmp_path)
    _sql(tmp_path, "UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 0 AND node_index = 3")
    _sql(tmp_path, "UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 2 AND node_index = 0")
    _sql(tmp_path, "UPDATE tree_heads SET signature = zeroblob(64)")
    result = _check(tmp_path)
    assert result.exit_code == 1, result.output
    assert "audit_nodes (level 0, index 3): damaged: the stored leaf hash differs" in result.output
    assert "audit_nodes (level 2, index 0): damaged: the stored node hash differs" in result.output
    assert "its signature does not verify with the log key" in result.output


def test_store_check_recomputes_leaves_from_entries(tmp_path):
    """An entry changed after the fact: its leaf hash no longer matches the stored one, nor the signed root."""
    _populate(tmp_path)
    _sql(tmp_path, "UPDATE audit_leaves SET data = CAST('{\"i\":99}' AS BLOB) WHERE leaf_index = 5")
    result = _check(tmp_path)
    assert result.exit_code == 1, result.output
    assert "audit_nodes (level 0, index 5): damaged" in result.output
    assert "the root recomputed from the entries differs from the signed root" in result.output


def _damage_page(data_dir: Path, table: str) -> None:
    """Overwrite the cell pointers of ``table``'s root B-tree page."""
    db = sqlite3.connect(data_dir / DATABASE_NAME)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    db.close()
    path = data_dir / DATABASE_NAME
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size + 12
    data[start:start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))


def test_damaged_btree_page_is_found_by_store_check_and_refused_at_startup(tmp_path):
    _populate(tmp_path)
    _damage_page(tmp_path, "audit_leaves")
    result = _check(tmp_path)
    assert result.exit_code == 1, result.output
    assert "integrity_check" in result.output
    with pytest.raises(StoredDataError, match="quick_check found damage") as err:
        Gateway(ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True))
    assert str(tmp_path / DATABASE_NAME) in str(err.value) and "zkgate store check" in str(err.value)


def test_flipped_sqlite_header_byte_cannot_be_checked_and_refuses_startup(tmp_path):
    _populate(tmp_path)
    _flip_byte(tmp_path / DATABASE_NAME, 0)
    result = _check(tmp_path)
    assert result.exit_code == 2, result.output
    assert str(tmp_path / DATABASE_NAME) in result.output and "cannot open" in result.output
    with pytest.raises(StoredDataError) as err:
        open_store(tmp_path)
    assert str(tmp_path / DATABASE_NAME) in str(err.value) and "zkgate store check" in str(err.value)
    assert "Traceback" not in str(err.value)
    served = CliRunner().invoke(serve, ["--data-dir", str(tmp_path), "--port", "0"])
    assert served.exit_code == 2, served.output
    assert str(tmp_path / DATABASE_NAME) in served.output and "Traceback" not in served.output


def test_store_check_without_a_store_exits_2(tmp_path):
    assert _check(tmp_path / "nowhere").exit_code == 2
    assert _check(tmp_path).exit_code == 2  # a folder without a database


def test_startup_refuses_a_log_that_no_longer_matches_its_signed_head(tmp_path):
    _populate(tmp_path)  # 12 leaves: the root reads the level-3 node (0..7) and the level-2 node (8..11)
    _sql(tmp_path, "UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 2 AND node_index = 2")
    with pytest.raises(StoredDataError, match="differs from the signed tree head") as err:
        open_store(tmp_path)
    assert str(tmp_path / DATABASE_NAME) in str(err.value)
    _populate(tmp_path / "lost")
    _sql(tmp_path / "lost", "DELETE FROM audit_nodes WHERE level = 0 AND node_index = 11")
    with pytest.raises(StoredDataError):
        open_store(tmp_path / "lost")


# -- PostgreSQL ------------------------------------------------------------------------------------
def test_postgres_blob_damage_is_data_loss_and_found_by_store_check(tmp_path):
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    import psycopg

    url, drop = fresh_postgres_database()
    try:
        store = open_store(tmp_path, url)
        signer = load_or_create_signer(tmp_path)
        blob = store.put_blob(b"ciphertext " * 200)
        for i in range(5):
            store.append_audit(AuditEntry("test", b'{"i":%d}' % i))
        store.save_tree_head(signer.sign(*store.audit_read(lambda log: (log.size, log.root()))))
        assert _check(tmp_path, "--store", url).exit_code == 0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE blobs SET data = %s WHERE blob_id = %s", (b"ciphertexT " * 200, blob))
            conn.execute("UPDATE audit_nodes SET hash = %s WHERE level = 0 AND node_index = 1", (bytes(32),))
        with pytest.raises(StoredDataError, match=blob) as err:
            store.read_blob(blob)
        assert status_code_name(err.value) == "DATA_LOSS"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM blobs WHERE blob_id = %s", (blob,))
        with pytest.raises(StoredDataError, match=f"blob {blob} is missing"):
            store.read_blob(blob)
        store.close()
        result = _check(tmp_path, "--store", url)
        assert result.exit_code == 1, result.output
        assert "audit_nodes (level 0, index 1): damaged" in result.output
    finally:
        drop()


# -- a real study: a stored receipt damaged on disk ---------------------------------------------------
@pytest.mark.slow
def test_corrupted_stored_receipt_is_data_loss_after_restart(tmp_path):
    import numpy as np

    from zkgate.he import KeyHolder
    from zkgate.study.catalog import Registration
    from zkgate.study.commitment import DatasetCommitment
    from zkgate.study.contributor import Contributor
    from zkgate.study.dataset import Dataset
    from zkgate.study.identity import SigningKey
    from zkgate.study.requester import open_study
    from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table

    rng = np.random.default_rng(5)
    names = ["hospital-a", "hospital-b"]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 8)), 8) for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    config = ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True)
    gateway = Gateway(config).start()
    try:
        with GatewayClient(gateway.address) as client:
            for registration in registrations:
                client.register_dataset(registration.to_bytes())
            context = KeyHolder.create("bfv-4096").public_context()
            spec, circuit_keys = open_study(
                title="receipts", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
                quorum=2, deadline=int(time.time()) + 3600, public_context=context,
                gateway_key=client.gateway_info().study_signing_key, key_holder_key=SigningKey.generate().public,
                keys="dev", dev_mode=True,
            )
            study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
            submission = Contributor(names[0], commitments[0], keys[0], dev_mode=True).contribute(spec, context, circuit_keys)
            client.submit(study_id, submission.submission.to_bytes())
    finally:
        gateway.stop(grace=1)
    assert _check(tmp_path).exit_code == 0
    db = sqlite3.connect(tmp_path / DATABASE_NAME, isolation_level=None)
    receipt = bytearray(db.execute("SELECT receipt FROM submissions").fetchone()[0])
    receipt[-1] ^= 0x01  # a bit of the gateway's signature
    db.execute("UPDATE submissions SET receipt = ?", (bytes(receipt),))
    db.close()
    result = _check(tmp_path)
    assert result.exit_code == 1 and f"study {study_id}, the receipt of 'hospital-a'" in result.output, result.output
    gateway = Gateway(config).start()  # a restart rebuilds the study's aggregator from the stored receipts
    try:
        with GatewayClient(gateway.address) as client:
            with pytest.raises(GatewayCallError) as err:
                client.close_study(study_id)
            assert err.value.code == grpc.StatusCode.DATA_LOSS, err.value
            assert f"study {study_id}" in err.value.details
    finally:
        gateway.stop(grace=1)
