"""Damage at rest: what the gateway does when data it stored no longer checks.

Blobs are content-addressed, so every read re-hashes them; a stored record that no longer
decodes is the gateway's own data gone bad, not the caller's input.  Both become
:class:`StoredDataError` (gRPC DATA_LOSS), logged at ERROR level naming what is damaged, and the
message tells the operator to run ``zkgate store check``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from contextlib import contextmanager

from zkgate.errors import InvalidInputError

from ...errors import GatewayError, StoredDataError
from ..status import status_code_name

log = logging.getLogger("zkgate.services.gateway.store")

RUN_STORE_CHECK = "run `zkgate store check --data-dir DIR` on the gateway's data folder and restore the damaged data from a backup"
HASH_BLOCK = 1 << 20

# errors a decoder raises on bytes that do not parse (library errors that would otherwise read as
# the caller's INVALID_ARGUMENT, and what third-party decoders raise on garbage)
_DECODE_ERRORS = (InvalidInputError, ValueError, TypeError, IndexError, KeyError, OverflowError)


def data_loss(message: str) -> StoredDataError:
    """A StoredDataError, logged loudly where it is detected (the RPC layer does not log DATA_LOSS)."""
    log.error("DATA LOSS: %s", message)
    return StoredDataError(message)


def blob_digest_error(blob_id: str, actual: str, where: str) -> StoredDataError:
    return data_loss(
        f"blob {blob_id} ({where}) is damaged: its bytes hash to {actual}, not to its id; {RUN_STORE_CHECK}"
    )


def missing_blob_error(blob_id: str, where: str) -> StoredDataError:
    return data_loss(f"blob {blob_id} is missing from {where} (deleted or lost at rest); {RUN_STORE_CHECK}")


def check_blob_bytes(blob_id: str, data: bytes, where: str) -> bytes:
    """``data`` unchanged when it hashes to ``blob_id``; StoredDataError otherwise."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != blob_id:
        raise blob_digest_error(blob_id, actual, where)
    return data


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB blocks (keys can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class VerifiedFiles:
    """Blob files whose content was hashed, remembered by (size, mtime, inode) so that a large
    key served by path (memory-mapped) is re-hashed only when the file changed on disk."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, int, int]] = {}

    def check(self, blob_id: str, path: str) -> str:
        """``path`` when the file there hashes to ``blob_id``; StoredDataError when it is missing or damaged."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise missing_blob_error(blob_id, os.path.dirname(path)) from None
        signature = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if self._seen.get(blob_id) == signature:
            return path
        actual = file_sha256(path)
        if actual != blob_id:
            raise blob_digest_error(blob_id, actual, path)
        self._seen[blob_id] = signature
        return path

    def forget(self, blob_id: str) -> None:
        self._seen.pop(blob_id, None)


@contextmanager
def stored_record(what: str):
    """Decode data read from the store inside this block: a decoding error there is damage at
    rest (StoredDataError naming ``what``), never the caller's INVALID_ARGUMENT.

    Gateway errors (not found, precondition, ...) and the study's own refusals that map to other
    codes pass through unchanged, as do programming errors other than the decoding ones.
    """
    try:
        yield
    except GatewayError:
        raise
    except _DECODE_ERRORS as exc:
        if status_code_name(exc) not in ("INVALID_ARGUMENT", "INTERNAL"):
            raise
        raise data_loss(f"{what}, stored on this gateway, no longer decodes ({exc}); {RUN_STORE_CHECK}") from exc


def log_head_problem(store) -> str | None:
    """What is wrong between the latest signed tree head and the stored log, or None (bounded:
    O(log n) node reads, whatever the log's size)."""
    head = store.latest_tree_head()

    def examine(merkle_log):
        size = merkle_log.size
        if head is not None and head.tree_size > size:
            return (f"the latest signed tree head covers {head.tree_size} audit leaves but the log holds "
                    f"{size}: leaves were lost")
        if head is not None and head.tree_size:
            try:
                root = merkle_log.root(head.tree_size)
            except KeyError as exc:
                return f"the audit log lost a node: {exc.args[0] if exc.args else exc}"
            if root != head.root:
                return (f"the stored audit log's root at size {head.tree_size} differs from the signed tree "
                        "head's: audit nodes were damaged")
        return size

    outcome = store.audit_read(examine)
    if isinstance(outcome, str):
        return outcome
    size = outcome
    if size:  # (entries appended after the snapshot above by another process are no damage)
        last = [index for index, _ in store.audit_entries(size - 1, size)]
        if last != [size - 1]:
            return (f"the audit log's node table holds {size} leaf hashes but its entry table has no leaf "
                    f"{size - 1}: entries were lost")
    return None
