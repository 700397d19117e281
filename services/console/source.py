"""What the console shows, read from the gateway and checked here.

Everything a page or an API route returns comes from :class:`ConsoleSource` as plain JSON-ready
dictionaries.  Nothing the gateway *says* about a study's verdict is shown: the console fetches the
study's public record and runs :func:`zkgate.study.verification.verify_record` itself.  Reports are
cached per record digest (SHA-256 of the record's canonical bytes), so a page for a study whose record
did not change renders without verifying again; a record that changed (a new submission, the release)
has another digest and is verified afresh.

The audit log: every tree head the console reads has its signature checked against the log key
pinned at start-up (``--log-key``, or the key the gateway presented first); each new head is checked
to be consistent with the previous one (a consistency proof) and recorded, so the audit page shows
the heads over time; the entries are fetched once (append-only: only new ones later) and the tree
rebuilt from them must give the signed root.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from zkgate import safejson
from zkgate.audit import MerkleLog, SignedTreeHead, verify_consistency, verify_inclusion
from zkgate.audit.merkle import leaf_hash
from zkgate.errors import InvalidInputError, ZkgateError
from zkgate.study.cancellation import CANCEL_LEAF_KIND, StudyCancellation
from zkgate.study.messages import Receipt
from zkgate.study.spec import StudySpec
from zkgate.study.verification import PublicRecord, VerificationReport, verify_record

from ..client.gateway_client import GatewayClient
from ..v1 import audit_pb2, study_pb2

STATE_NAMES = {study_pb2.OPEN: "OPEN", study_pb2.CLOSED: "CLOSED", study_pb2.RELEASED: "RELEASED",
               study_pb2.CANCELLED: "CANCELLED"}
#: Reports kept in memory (least recently used dropped first).
REPORT_CACHE_SIZE = 256


class ConsoleError(ZkgateError):
    """A page cannot be shown: the gateway refused, or what it sent does not check."""


class NotFoundError(ConsoleError):
    """No such study, leaf or receipt."""


@dataclass(frozen=True)
class HeadRecord:
    """A tree head the console saw, when, and whether it is consistent with the one before."""

    head: SignedTreeHead
    seen_at: float
    consistency: str  # "first head", "consistent with size N", or "INCONSISTENT: ..."
    consistent: bool

    def to_dict(self) -> dict:
        return {"tree_size": self.head.tree_size, "root": self.head.root.hex(), "timestamp_ms": self.head.timestamp_ms,
                "seen_at": round(self.seen_at, 3), "signature_verified": True,
                "consistency": self.consistency, "consistent": self.consistent}


@dataclass
class CachedVerification:
    record: PublicRecord
    report: VerificationReport
    seconds: float


def _hex(value: int) -> str:
    return f"{value:064x}"


def describe_question(spec: StudySpec) -> dict:
    """The study's question for people: its SQL (as the requester wrote it, where the spec carries a
    compiled question; else rendered from the filter and statistics), its columns and settings."""
    common = {
        "columns": [{"name": c.name, "lo": c.lo, "hi": c.hi} for c in spec.schema.columns],
        "capacity": spec.capacity,
        "he_preset": spec.he_preset,
        "release_mode": getattr(spec, "release_mode", ""),
    }
    question = getattr(spec, "question", None)
    if question is not None:  # the SQL front end (a compiled question with its source text)
        sql = getattr(question, "sql", "")
        if not sql:
            try:
                sql = question.describe()  # readable SQL from the compiled form
            except (AttributeError, ZkgateError, KeyError, ValueError, TypeError):
                sql = str(question)
        return {"sql": sql, "group_by": list(getattr(question, "group_by", ())), **common}
    selects = ["COUNT(*)"]
    for st in getattr(spec, "statistics", ()):
        if st.kind == "sum":
            selects.append(f"SUM({st.column})")
        elif st.kind == "sum_sq":
            selects.append(f"SUM({st.column} * {st.column})")
        elif st.kind == "histogram":
            selects.append(f"HISTOGRAM({st.column}, {', '.join(str(e) for e in st.edges)})")
        else:
            selects.append(f"{st.kind.upper()}({st.column})")
    conditions = [f"{rc.column} BETWEEN {rc.lo} AND {rc.hi}" for rc in spec.filter.ranges]
    conditions += [f"{eq.column} = {eq.value}" for eq in spec.filter.equals]
    sql = "SELECT " + ", ".join(selects) + " FROM each_participant_dataset"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return {"sql": sql, "group_by": [], **common}


def _num(value) -> float | int | None:
    """A released number as JSON carries it (int, float, or an exact "p/q" string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and value.count("/") == 1:
        p, _, q = value.partition("/")
        if p.lstrip("-").isdigit() and q.isdigit() and int(q):
            return int(p) / int(q)
    return None


def _numbers(value) -> list | None:
    if isinstance(value, list) and value and all(_num(v) is not None or v is None or isinstance(v, dict) for v in value):
        out = [_num(v) for v in value]
        return out if any(v is not None for v in out) else None
    return None


def _chart_of(name: str, value, histogram_edges: dict[str, list]) -> dict | None:
    """How one released result is drawn, or None: histogram, survival curve, regression table,
    heat map (a table of numbers), or a bar chart (a vector of numbers)."""
    if isinstance(value, dict):
        times, survival = _numbers(value.get("time")), _numbers(value.get("survival"))
        if times and survival and len(times) == len(survival):
            low, high = _numbers(value.get("ci_low")), _numbers(value.get("ci_high"))
            band = low is not None and high is not None and len(low) == len(high) == len(times)
            return {"kind": "survival", "name": name, "time": times, "survival": survival,
                    "ci_low": low if band else None, "ci_high": high if band else None}
        coefficients = _numbers(value.get("coef"))
        if coefficients:
            errors = _numbers(value.get("se"))
            terms = value.get("terms") if isinstance(value.get("terms"), list) else None
            return {"kind": "regression", "name": name, "coef": coefficients,
                    "se": errors if errors and len(errors) == len(coefficients) else None,
                    "terms": [str(t) for t in terms] if terms and len(terms) == len(coefficients)
                    else [f"β{i}" for i in range(len(coefficients))],
                    "r2": _num(value.get("r2")), "n": _num(value.get("n"))}
        return None
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        rows = [_numbers(row) for row in value]
        if all(r is not None for r in rows) and len({len(r) for r in rows}) == 1:
            return {"kind": "heatmap", "name": name, "matrix": rows}
        return None
    counts = _numbers(value)
    if counts is None or len(counts) < 2:
        return None
    column = name[len("hist_"):] if name.startswith("hist_") else None
    edges = histogram_edges.get(column) if column else None
    if edges is not None and len(edges) == len(counts) + 1:
        return {"kind": "histogram", "name": name, "column": column, "edges": edges, "counts": counts}
    return {"kind": "bar", "name": name, "labels": [str(i) for i in range(len(counts))], "values": counts}


def _edges_from_bins(bins) -> dict[str, list[int]]:
    """Histogram edges from a release's ``histogram_bins`` (``{"sbp" or "hist_sbp": ["[80, 120)", ...]}``)."""
    out: dict[str, list[int]] = {}
    if not isinstance(bins, dict):
        return out
    for key, labels in bins.items():
        if not isinstance(key, str) or not isinstance(labels, list) or not labels:
            continue
        edges: list[int] = []
        for label in labels:
            low, _, high = str(label).strip("[)").partition(",")
            try:
                low_edge, high_edge = int(low), int(high)
            except ValueError:
                break
            if edges and edges[-1] != low_edge:
                break
            edges[len(edges):] = [low_edge, high_edge] if not edges else [high_edge]
        else:
            out[key[len("hist_"):] if key.startswith("hist_") else key] = edges
    return out


def release_charts_data(spec: StudySpec, released: dict | None) -> list[dict]:
    """What the released numbers are drawn as, one entry per result that has a chart (histograms,
    survival curves, regressions, tables, vectors); results grouped by a label are drawn per group."""
    if not released:
        return []
    statistics = released.get("statistics") or {}
    if not isinstance(statistics, dict):
        return []
    edges = {st.column: list(st.edges) for st in getattr(spec, "statistics", ()) if st.kind == "histogram"}
    edges.update(_edges_from_bins(released.get("histogram_bins")))
    out = []
    for name, value in statistics.items():
        chart = _chart_of(str(name), value, edges)
        if chart is None and isinstance(value, dict):  # {group label: result}
            for label, inner in value.items():
                chart = _chart_of(f"{name} [{label}]", inner, edges)
                if chart is not None:
                    out.append(chart)
        elif chart is not None:
            out.append(chart)
        if len(out) >= 50:
            break
    return out


class ConsoleSource:
    """The gateway seen by a regulator: reads, verifies, caches.  Thread-safe (one lock per cache)."""

    def __init__(self, client: GatewayClient, *, dev_mode: bool = False, log_key: bytes | None = None) -> None:
        self.client = client
        self.dev_mode = dev_mode
        self._pinned_log_key = log_key
        self._signing_key: bytes | None = None
        self._heads: list[HeadRecord] = []
        self._head_lock = threading.Lock()
        self._log = MerkleLog()
        self._entries: list = []
        self._leaf_hashes: dict[bytes, int] = {}
        self._log_lock = threading.Lock()
        self._reports: OrderedDict[tuple, CachedVerification] = OrderedDict()
        self._report_lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0

    # -- gateway identity and tree heads --------------------------------------------------------
    def log_key(self) -> bytes:
        if self._pinned_log_key is None:
            self._pinned_log_key = bytes(self.client.gateway_info().log_public_key)
        return self._pinned_log_key

    def gateway_signing_key(self) -> bytes:
        """The gateway's study signing key (receipts), read once."""
        if self._signing_key is None:
            self._signing_key = bytes(self.client.gateway_info().study_signing_key)
        return self._signing_key

    def latest_head(self) -> HeadRecord:
        """The gateway's current signed head, its signature checked against the pinned key and its
        consistency with the last head seen checked; recorded in the history."""
        head, _ = self.client.tree_head(self.log_key())  # raises unless signed by the pinned key
        with self._head_lock:
            previous = self._heads[-1] if self._heads else None
            if previous is not None and previous.head.tree_size == head.tree_size and previous.head.root == head.root:
                return previous
            if previous is None:
                text, ok = "first head seen by this console", True
            elif head.tree_size < previous.head.tree_size:
                text, ok = f"INCONSISTENT: the log shrank from {previous.head.tree_size} to {head.tree_size} entries", False
            else:
                try:
                    self._check_consistency(previous.head, head)
                    text, ok = f"consistent with the head of size {previous.head.tree_size} (proof checked)", True
                except ZkgateError as exc:
                    text, ok = f"INCONSISTENT with the head of size {previous.head.tree_size}: {exc}", False
            record = HeadRecord(head, time.time(), text, ok)
            self._heads.append(record)
            return record

    def _check_consistency(self, old: SignedTreeHead, new: SignedTreeHead) -> None:
        if old.tree_size == 0 or old.tree_size == new.tree_size:
            if old.tree_size == new.tree_size and old.root != new.root:
                raise ConsoleError("two different roots for the same tree size")
            return
        reply = self.client.audit.GetConsistencyProof(
            audit_pb2.ConsistencyProofRequest(first_size=old.tree_size, second_size=new.tree_size),
            timeout=self.client.timeout)
        verify_consistency(old.tree_size, new.tree_size, old.root, new.root, list(reply.path))

    def head_history(self) -> list[dict]:
        with self._head_lock:
            return [h.to_dict() for h in self._heads]

    def overview(self) -> dict:
        info = self.client.gateway_info()
        latest = self.latest_head()
        presented = bytes(info.log_public_key)
        studies = self.client.list_studies()
        states: dict[str, int] = {}
        for study in studies:
            name = STATE_NAMES.get(study.state, str(study.state))
            states[name] = states.get(name, 0) + 1
        return {
            "gateway": self.client.address,
            "study_signing_key": bytes(info.study_signing_key).hex(),
            "study_signing_key_sha256": hashlib.sha256(bytes(info.study_signing_key)).hexdigest(),
            "log_key": self.log_key().hex(),
            "log_key_matches_pinned": presented == self.log_key(),
            "dev_mode": bool(info.dev_mode),
            "audit_log_size": latest.head.tree_size,
            "latest_head": latest.to_dict(),
            "head_verified": latest.consistent and presented == self.log_key(),
            "studies": states,
            "console_dev_mode": self.dev_mode,
        }

    # -- catalog and studies --------------------------------------------------------------------
    def catalog(self) -> dict:
        datasets = []
        for d in self.client.list_datasets():
            try:
                columns = safejson.loads(d.schema_json, "a data set's schema") if d.schema_json else None
            except ZkgateError:
                columns = None
            datasets.append({"dataset_id": d.dataset_id, "owner": d.owner, "name": d.name, "root": d.root,
                             "signing_public_key": bytes(d.signing_public_key).hex(), "schema": columns})
        schemas = [{"name": s.name, "sha256": s.schema_sha256, "publisher": s.publisher, "schema_json": s.schema_json}
                   for s in self.client.list_schemas()]
        return {"datasets": datasets, "schemas": schemas}

    @staticmethod
    def _study_summary(study) -> dict:
        return {"study_id": study.study_id, "title": study.title, "state": STATE_NAMES.get(study.state, str(study.state)),
                "participants": list(study.participants), "accepted": study.accepted, "quorum": study.quorum,
                "deadline": study.deadline, "deadline_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(study.deadline)),
                "dev_keys": study.dev_keys}

    def studies(self) -> list[dict]:
        return [self._study_summary(s) for s in self.client.list_studies()]

    def _cancellation(self, study) -> StudyCancellation | None:
        if study.state != study_pb2.CANCELLED:
            return None
        index = study.cancellation.audit_leaf_index
        self.sync_log()
        with self._log_lock:
            if index >= len(self._entries):
                raise ConsoleError(f"the gateway says the study was cancelled at audit leaf {index}, beyond its signed log")
            entry = self._entries[index]
        if entry.kind != CANCEL_LEAF_KIND:
            raise ConsoleError(f"audit leaf {index} is a {entry.kind!r} entry, not the cancellation the gateway names")
        cancellation = StudyCancellation.from_leaf(entry.data, index)
        if cancellation.study_id != study.study_id:
            raise ConsoleError(f"audit leaf {index} cancels another study")
        return cancellation

    def verification(self, record_bytes: bytes, cancellation: StudyCancellation | None) -> tuple[CachedVerification, bool]:
        """The report of a public record, from the cache when its digest was verified before.
        Returns (verification, whether it came from the cache)."""
        key = (hashlib.sha256(record_bytes).digest(), self.dev_mode,
               None if cancellation is None else (cancellation.audit_leaf_index, cancellation.reason))
        with self._report_lock:
            cached = self._reports.get(key)
            if cached is not None:
                self._reports.move_to_end(key)
                self.cache_hits += 1
                return cached, True
        start = time.perf_counter()
        record = PublicRecord.from_bytes(record_bytes)
        report = verify_record(record, dev_mode=self.dev_mode, cancellation=cancellation)
        cached = CachedVerification(record, report, time.perf_counter() - start)
        with self._report_lock:
            self.cache_misses += 1
            self._reports[key] = cached
            while len(self._reports) > REPORT_CACHE_SIZE:
                self._reports.popitem(last=False)
        return cached, False

    def study(self, study_id: str) -> dict:
        if len(study_id) != 64 or any(c not in "0123456789abcdef" for c in study_id):
            raise NotFoundError("a study id is 64 lowercase hex digits")
        study = self.client.get_study(study_id)
        record_bytes = self.client.public_record(study_id)
        cancellation = self._cancellation(study)
        verification, cached = self.verification(record_bytes, cancellation)
        record, report = verification.record, verification.report
        spec = record.spec
        if spec.study_id_bytes.hex() != study_id:
            raise ConsoleError("the gateway served the public record of another study")
        checks = {name: (ok, detail) for name, ok, detail in report.checks}
        contributions = []
        for sub in record.submissions:
            ok, detail = checks.get(f"submission of {sub.participant}", (False, "not checked"))
            contributions.append({"participant": sub.participant, "digest": sub.digest.hex(),
                                  "chunks": len(sub.proofs), "proofs_verified": ok, "detail": detail,
                                  "commitment": [_hex(sub.commitment[0]), _hex(sub.commitment[1])]})
        released = report.released
        return {
            **self._study_summary(study),
            "record_digest": hashlib.sha256(record_bytes).hexdigest(),
            "question": describe_question(spec),
            "contributions": contributions,
            "expected": [p.name for p in spec.participants],
            "verdict": {**report.to_dict(), "computed_by": "console", "cached": cached,
                        "verify_seconds": round(verification.seconds, 4)},
            "released": released,
            "charts": release_charts_data(spec, released),
            "cancellation": None if cancellation is None else cancellation.leaf_fields(),
        }

    # -- audit log ------------------------------------------------------------------------------
    def sync_log(self) -> HeadRecord:
        """Fetch the entries the console does not have yet and check that the rebuilt tree gives the
        latest signed root."""
        latest = self.latest_head()
        head = latest.head
        with self._log_lock:
            have = len(self._entries)
            if head.tree_size < have:
                raise ConsoleError(f"the signed log has {head.tree_size} entries, fewer than the {have} already read")
            if head.tree_size > have:
                new = self.client.audit_entries(have, head.tree_size)
                log = self._log
                for entry in new:
                    digest = leaf_hash(entry.leaf_bytes())
                    self._leaf_hashes.setdefault(digest, log.size)
                    log.append_hash(digest)
                    self._entries.append(entry)
            if self._log.size != head.tree_size or self._log.root() != head.root:
                raise ConsoleError(f"the log's entries do not rebuild the signed root (tree size {head.tree_size}): "
                                   "the gateway's log was altered")
        return latest

    def audit(self, start: int = 0, limit: int = 50) -> dict:
        latest = self.sync_log()
        with self._log_lock:
            size = len(self._entries)
            start = max(0, min(start, size))
            shown = self._entries[start:start + max(1, min(limit, 500))]
            kinds: dict[str, int] = {}
            for entry in self._entries:
                kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
        entries = [{"index": start + i, "kind": e.kind, "leaf_hash": leaf_hash(e.leaf_bytes()).hex(),
                    "data": e.data.decode("utf-8", "replace")} for i, e in enumerate(shown)]
        return {"tree_size": latest.head.tree_size, "root": latest.head.root.hex(),
                "rebuilt_root_matches": True, "heads": self.head_history(), "kinds": kinds,
                "start": start, "entries": entries}

    def lookup(self, query: str) -> dict:
        """Find a leaf by its index, its leaf hash (hex), a receipt (hex of its bytes) or a submission
        digest, and check its inclusion proof against the latest signed head."""
        text = query.strip().lower()
        latest = self.sync_log()
        head = latest.head
        index, how = None, ""
        with self._log_lock:
            if text.isdigit() and len(text) <= 12:
                index, how = int(text), "leaf index"
            elif len(text) == 64 and all(c in "0123456789abcdef" for c in text):
                digest = bytes.fromhex(text)
                if digest in self._leaf_hashes:
                    index, how = self._leaf_hashes[digest], "leaf hash"
                else:
                    index, how = self._find_submission(text), "submission digest"
            elif len(text) > 64 and len(text) % 2 == 0 and all(c in "0123456789abcdef" for c in text):
                try:
                    receipt = Receipt.from_bytes(bytes.fromhex(text))
                except ZkgateError as exc:
                    raise InvalidInputError(f"not a receipt: {exc}") from None
                try:
                    receipt.verify_signature(self.gateway_signing_key())
                except ZkgateError:
                    raise InvalidInputError("the receipt's signature does not verify under the gateway's study "
                                            "signing key: it was not issued by this gateway, or it was altered") from None
                index, how = self._find_submission(receipt.submission_digest.hex()), "receipt (signature verified)"
            else:
                raise InvalidInputError("give a leaf index, a leaf hash or submission digest (64 hex digits), or a "
                                        "receipt (its bytes in hex)")
            if index is None or not 0 <= index < len(self._entries):
                raise NotFoundError(f"no audit leaf matches this {how}")
            entry = self._entries[index]
        reply = self.client.audit.GetInclusionProof(
            audit_pb2.InclusionProofRequest(leaf_index=index, tree_size=head.tree_size), timeout=self.client.timeout)
        path = list(reply.path)
        digest = leaf_hash(entry.leaf_bytes())
        try:
            verify_inclusion(digest, index, head.tree_size, path, head.root)
            included, detail = True, f"inclusion proof of leaf {index} in the signed tree of size {head.tree_size} verified"
        except ZkgateError as exc:
            included, detail = False, f"the gateway's inclusion proof does not verify: {exc}"
        return {"query": query, "matched_by": how, "index": index, "kind": entry.kind, "leaf_hash": digest.hex(),
                "data": entry.data.decode("utf-8", "replace"), "tree_size": head.tree_size, "root": head.root.hex(),
                "proof": [p.hex() for p in path], "included": included, "detail": detail}

    def _find_submission(self, digest_hex: str) -> int | None:
        for index, entry in enumerate(self._entries):
            if entry.kind == "submission" and digest_hex.encode() in entry.data:
                try:
                    fields = safejson.loads(entry.data, "audit entry")
                except ZkgateError:
                    continue
                if isinstance(fields, dict) and fields.get("submission_digest") == digest_hex:
                    return index
        return None
