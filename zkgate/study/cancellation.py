"""A study's cancellation: why, by whom and when a study that cannot finish was ended.

The gateway records it as an audit leaf of kind :data:`CANCEL_LEAF_KIND` whose data is canonical
JSON (sorted keys, no spaces)::

    {"cancelled_at": 1767000000, "cancelled_by": "requester-org", "reason": "two hospitals withdrew",
     "state_before": "OPEN", "study_id": "<64 hex digits>"}

A cancelled study accepts nothing more and is never released; a cancellation says nothing about
the cryptography of what was submitted before it (verification reports it as *cancelled*, not as
a failed check).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from zkgate import safejson
from zkgate.errors import FormatError, InvalidInputError

CANCEL_LEAF_KIND = "study_cancelled"
MAX_REASON_CHARS = 1000


def check_reason(text: str, where: str = "the cancellation reason") -> str:
    """A reason people can read: non-empty, at most MAX_REASON_CHARS, printable (no control characters)."""
    reason = (text or "").strip()
    if not reason:
        raise InvalidInputError(f"{where} is empty: say why the study is cancelled (it is shown to every party)")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInputError(f"{where} has {len(reason)} characters; at most {MAX_REASON_CHARS}")
    if any(not c.isprintable() for c in reason):
        raise InvalidInputError(f"{where} contains control characters (a newline, tab, ...): write it on one line")
    return reason


@dataclass(frozen=True)
class StudyCancellation:
    study_id: str  # 64 hex digits
    reason: str
    cancelled_by: str  # organisation ('' on an open development gateway)
    cancelled_at: int  # unix seconds, the gateway's clock
    state_before: str  # OPEN or CLOSED
    audit_leaf_index: int = -1  # where the gateway logged it (-1: not known here)

    def leaf_fields(self) -> dict:
        """The audit leaf's JSON fields (the index is where the leaf lies, not part of it)."""
        return {"study_id": self.study_id, "reason": self.reason, "cancelled_by": self.cancelled_by,
                "cancelled_at": self.cancelled_at, "state_before": self.state_before}

    @classmethod
    def from_leaf(cls, data: bytes, index: int, where: str = "") -> StudyCancellation:
        """From a ``study_cancelled`` leaf's data (FormatError naming the leaf if it is not one)."""
        where = where or f"audit leaf {index} ({CANCEL_LEAF_KIND})"
        obj = safejson.loads(data.decode("utf-8", "replace"), where)
        if not isinstance(obj, dict):
            raise FormatError(f"{where}: expected a JSON object")
        try:
            out = cls(str(obj["study_id"]), str(obj["reason"]), str(obj["cancelled_by"]), int(obj["cancelled_at"]),
                      str(obj["state_before"]), index)
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{where}: missing or malformed field {exc}") from None
        return out

    def describe(self) -> str:
        """One line for people: `study X was cancelled: REASON (by ORG at TIME)`."""
        who = f"by {self.cancelled_by!r}" if self.cancelled_by else "by the gateway's operator"
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.cancelled_at))
        return f"study {self.study_id} was cancelled: {self.reason} ({who} at {when}, while {self.state_before})"

    def to_dict(self) -> dict:
        return {**self.leaf_fields(), "audit_leaf_index": self.audit_leaf_index}


__all__ = ["CANCEL_LEAF_KIND", "MAX_REASON_CHARS", "StudyCancellation", "check_reason"]
