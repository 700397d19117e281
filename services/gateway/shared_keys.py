"""Several gateway processes on one database must sign with the same two keys.

Every process serving a PostgreSQL store signs tree heads with its data folder's
``log_signing_key.pem`` and receipts and aggregates with its ``gateway_signing_key`` (a study names
that key).  A process started with other keys than the ones already serving the database would
sign heads that auditors who pinned the log key refuse, and could not accept a single submission
(the studies name the other gateway key).  :func:`key_mismatch` says so at start, naming the files
to copy; the gateway logs it as a warning (a log key replaced on purpose, after a damaged one was
moved away, also trips it: the message says both)."""

from __future__ import annotations

from zkgate.audit.tree_head import verify_tree_head
from zkgate.errors import ZkgateError
from zkgate.study.spec import StudySpec

from .servicers.audit import LOG_KEY_FILE
from .servicers.study import GATEWAY_KEY_FILE
from .store import Store


def key_mismatch(store: Store, log_public_key: bytes, gateway_public_key: bytes) -> str | None:
    """Why this process's keys differ from those already serving ``store`` (None if they do not):
    the latest signed tree head is checked against the log key, the newest open study's named
    gateway key against the gateway key (bounded: one head, one study spec)."""
    head = store.latest_tree_head()
    if head is not None:
        try:
            verify_tree_head(head, log_public_key)
        except ZkgateError:
            return (f"the store's latest signed tree head (size {head.tree_size}) was signed with another log key "
                    f"than this gateway's {LOG_KEY_FILE}: every gateway process sharing {store.location} must sign "
                    f"with the same key: copy {LOG_KEY_FILE} and {GATEWAY_KEY_FILE} from the data folder of a "
                    "process already serving it (unless this key replaced a damaged one on purpose: then auditors "
                    "must be given the new log key)")
    for record in reversed(store.list_studies()):
        if record.state != "OPEN":
            continue
        try:
            named = StudySpec.from_bytes(record.spec).gateway_key
        except ZkgateError:
            return None  # a damaged record: DATA_LOSS when it is served, not this check's business
        if named != gateway_public_key:
            return (f"open study {record.study_id} names another gateway key than this gateway's {GATEWAY_KEY_FILE}: "
                    f"this process cannot accept its submissions; copy {GATEWAY_KEY_FILE} and {LOG_KEY_FILE} from "
                    "the data folder of a process already serving the store")
        return None
    return None


__all__ = ["key_mismatch"]
