"""Each role's part of a study, over the gateway (what the ``zkgate holder|requester|keyholder``
commands run; ``services/parties/demo.py`` plays all of them in one process).

Order of a study, and why:

1. the gateway runs (``zkgate serve``); its study-signing key goes into every spec;
2. the key holder makes its keys (``keyholder init``): the spec names its HE public context
   (key id, digest) and its release-signing key, so they must exist before the study;
3. each data holder makes its signing key and registers its data sets (``holder init``,
   ``holder register-dataset``): the spec names every participant's root and key;
4. the requester opens the study (``requester create-study``) from the key holder's card and
   the catalog; it fixes the contribution circuit's key (a ceremony's ``.zkey``, or a
   development key written for the holders);
5. the holders submit (``holder submit``), proving with that circuit key;
6. the requester closes the study (``requester close``): the gateway adds the contributions;
7. the key holder decrypts, checks and publishes (``keyholder release``);
8. anyone verifies (``zkgate gateway verify-study``).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from zkgate import safejson
from zkgate.errors import ZkgateError
from zkgate.prover.formats.zkey import write_zkey
from zkgate.study.cancellation import CANCEL_LEAF_KIND, StudyCancellation, check_reason
from zkgate.study.catalog import Registration
from zkgate.study.circuit import compile_contribution
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contribution, Contributor
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.distributed import DaskProver, DaskTarget
from zkgate.study.errors import DevKeyError, KeyMismatchError, SpecError, UnknownParticipantError
from zkgate.study.key_policy import refuse_uncontributed
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Aggregate, Receipt, Release
from zkgate.study.question import Question
from zkgate.study.release import StudyKeyHolder, release_statistics
from zkgate.study.requester import open_study
from zkgate.study.spec import Filter, Participant, StudySpec, check_registrations, legacy_question
from zkgate.study.universal import UniversalParams
from zkgate.study.universal_circuit import compile_universal
from zkgate.study.universal_registry import params_from_json, params_json
from zkgate.study.verification import PublicRecord

from ..client.gateway_client import GatewayCallError, GatewayClient
from ..v1 import study_pb2
from . import policy_home
from .holder_home import HolderHome, LocalDataset, check_study_id, receipt_summary
from .keyholder_home import KeyHolderCard, KeyHolderHome
from .served_study import RoleError, fetch_spec
from .study_request import StudyRequest

DEADLINE_CLOCK_SLACK = 300  # seconds a holder's clock may run ahead of the gateway's before it stops early


def _now() -> float:
    return time.time()


# gateway answers that say a submission was not accepted (others leave the outcome unknown)
DEFINITE_REFUSALS = frozenset({"INVALID_ARGUMENT", "ALREADY_EXISTS", "FAILED_PRECONDITION", "NOT_FOUND",
                               "PERMISSION_DENIED", "UNAUTHENTICATED"})


def load_circuit_key(path: str, spec: StudySpec, *, dev: bool) -> CircuitKeys:
    """A ``.zkey`` checked against the study's vk and transcript hashes (and dev policy)."""
    try:
        keys = CircuitKeys.from_zkey(path)
    except ZkgateError as exc:
        raise RoleError(f"{path}: not a readable .zkey ({exc})") from exc
    check_key_fits(keys, spec, path, compile_contribution, advice=HOLDER_KEY_ADVICE)
    try:
        keys.check(spec, dev_mode=dev)
    except KeyMismatchError as exc:
        raise RoleError(f"{path} is not the circuit key of this study ({exc}); {HOLDER_KEY_ADVICE}") from exc
    except DevKeyError as exc:
        raise RoleError("this study uses a DEVELOPMENT circuit key (no ceremony): pass --dev to accept it "
                        "(tests and demos only)") from exc
    return keys


#: What a data holder does about a wrong circuit key: it never runs a ceremony itself.
HOLDER_KEY_ADVICE = ("get this study's circuit key (.zkey) from its requester -- the very file it passed to "
                     "`zkgate requester create-study --circuit-key` -- and pass it with --circuit-key")
#: What a requester does about a key made for another circuit.
REQUESTER_KEY_ADVICE = ("run the ceremony on this study's circuit: `zkgate requester circuit` with the same request "
                        "writes its .r1cs")


def check_key_fits(keys: CircuitKeys, spec: StudySpec, path: str, compile_contribution, *,
                   advice: str = REQUESTER_KEY_ADVICE) -> None:
    r1cs = (compile_universal(spec.universal) if spec.universal is not None else compile_contribution(spec.shape())).r1cs
    pk = keys.pk
    if pk is not None and (pk.n_vars, pk.n_public) != (r1cs.n_wires, r1cs.n_public):
        raise RoleError(
            f"{path} was made for another circuit ({pk.n_vars} wires, {pk.n_public} public inputs; this study's "
            f"contribution circuit has {r1cs.n_wires} and {r1cs.n_public}): {advice}"
        )


# -- data holder ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Registered:
    dataset: LocalDataset
    dataset_id: str
    resent: bool  # the data set existed locally and its registration was sent again

    def to_json(self) -> dict:
        return {**self.dataset.summary(), "dataset_id": self.dataset_id, "resent": self.resent}


def load_csv(schema: Schema, csv_path: str) -> Dataset:
    try:
        return Dataset.from_csv(schema, csv_path)
    except OSError as exc:
        raise RoleError(f"{csv_path}: cannot read ({exc.strerror})") from exc
    except ZkgateError as exc:
        raise RoleError(f"{csv_path}: {exc}") from exc


def register_dataset(client: GatewayClient, home: HolderHome, csv_path: str, schema: Schema, capacity: int,
                     label: str) -> Registered:
    """Commit a CSV (fresh secret salt), keep everything locally, register it in the catalog.

    Running it again with the same name, records, schema and capacity sends the kept registration
    again (the catalog accepts an identical one), so a failed call can simply be repeated."""
    dataset = load_csv(schema, csv_path)
    resent = home.has_dataset(label)
    if resent:
        local = home.load_dataset(label)
        c = local.commitment
        same = (c.schema == schema and c.capacity == capacity and c.dataset.stored.shape == dataset.stored.shape
                and bool((c.dataset.stored == dataset.stored).all()))
        if not same:
            raise RoleError(f"{home.path} already holds a data set named {label!r} with other records, schema or "
                            "chunk capacity; choose another --name")
    else:
        commitment = DatasetCommitment(dataset, capacity)
        registration = Registration.create(home.org, commitment, home.signing_key)
        home.save_dataset(label, commitment, registration, str(Path(csv_path).resolve()))
        local = home.load_dataset(label)
    reply = client.register_dataset(local.registration.to_bytes())
    home.mark_registered(label, reply.dataset_id)
    return Registered(local, reply.dataset_id, resent)


@dataclass(frozen=True)
class Submitted:
    receipt: Receipt
    audit_leaf: int
    resent: bool  # an identical, kept submission was sent again
    repeated: bool  # a receipt was already kept: the gateway confirmed the original one
    chunks: int
    receipt_path: str
    recovered: bool = False  # nothing was sent: the receipt of the earlier, accepted submission was fetched

    def to_json(self) -> dict:
        return {**receipt_summary(self.receipt, self.audit_leaf), "resent": self.resent, "repeated": self.repeated, "chunks": self.chunks,
                "receipt_file": self.receipt_path, "in_audit_log": True, "recovered": self.recovered}


def study_state_refusal(study, study_id: str) -> str:
    """Why a study that is not OPEN takes no submission (a cancelled one: its reason)."""
    if study.state == study_pb2.CANCELLED:
        c = study.cancellation
        who = f" by {c.cancelled_by!r}" if c.cancelled_by else ""
        return f"study {study_id[:16]}... was cancelled{who}: {c.reason}; it accepts nothing more"
    return f"study {study_id[:16]}... is {study_pb2.StudyState.Name(study.state)}: it accepts no more submissions"


def recover_receipt(client: GatewayClient, home: HolderHome, study_id: str, *, missing_ok: bool = False,
                    spec: StudySpec | None = None, log_key: bytes | None = None) -> Submitted | None:
    """Fetch the gateway-signed receipt of this holder's own accepted submission (after a lost
    ``studies/`` folder), check its signature against the study's gateway key, that it names this
    study and organisation, and that the audit log's leaf names the same submission; keep it.

    With ``missing_ok``, None when the gateway holds no accepted submission of this holder."""
    if spec is None:
        _, spec = fetch_spec(client, study_id)
    if log_key is None:
        info = client.gateway_info()
        if spec.gateway_key != info.study_signing_key:
            raise RoleError("the study names another gateway's signing key than this gateway's: its receipts could not be checked")
        log_key = info.log_public_key
    try:
        receipt_bytes, leaf = client.my_receipt(study_id, home.org)
    except GatewayCallError as exc:
        if exc.code == grpc.StatusCode.NOT_FOUND and missing_ok:
            return None
        raise
    receipt = Receipt.from_bytes(receipt_bytes)
    try:
        receipt.verify_signature(spec.gateway_key)
    except ZkgateError as exc:
        raise RoleError(f"the receipt the gateway returned for {home.org!r} does not carry the study's gateway "
                        f"signature ({exc}); nothing was kept") from exc
    if receipt.study_id != spec.study_id or receipt.participant != home.org:
        raise RoleError(f"the gateway returned a receipt of another study or participant than {home.org!r} in "
                        f"study {study_id[:16]}...; nothing was kept")
    kept = home.receipt(study_id)
    if kept is not None and kept != receipt:
        raise RoleError(f"the gateway returned another receipt than the one kept in {home.path} for this study")
    check_in_log(client, log_key, leaf, receipt.submission_digest.hex(), home.org)
    pending = home.pending_submission(study_id)
    if pending is not None and pending.digest != receipt.submission_digest:
        home.discard_submission(study_id)  # never accepted: the gateway holds the earlier one
    path = home.save_receipt(study_id, receipt, leaf)
    me = spec.participant(home.org)
    return Submitted(receipt, leaf, False, kept is not None, me.n_chunks, str(path), recovered=True)


def fetch_circuit_key(client: GatewayClient, home: HolderHome, study_id: str, spec: StudySpec, *, dev: bool,
                      progress=lambda message: None, download_bar=None) -> CircuitKeys:
    """The study's proving key from the gateway (cached in the holder's home by verifying-key hash),
    refused unless its verifying key and transcript are the ones the spec names.

    ``download_bar(total)``, when given, returns a context manager with ``update(n)`` (a progress bar)."""
    path = home.circuit_key_path(spec.vk_hash.hex())
    if path.exists():
        progress(f"using the study's circuit key cached in {path}")
    else:
        progress(f"fetching study {study_id[:16]}...'s circuit key from the gateway ...")
        bar = [contextlib.nullcontext(None)]

        def on_header(size: int) -> None:
            if download_bar is not None:
                bar[0] = download_bar(size)
                bar[0].__enter__()

        def on_chunk(n: int) -> None:
            if bar[0] is not None and hasattr(bar[0], "update"):
                bar[0].update(n)

        try:
            client.download_proving_key(study_id, path, on_header, on_chunk)
        except GatewayCallError as exc:
            if exc.code.name == "NOT_FOUND":
                raise RoleError(f"{exc.details} (the gateway serves no circuit key for this study)") from exc
            raise
        finally:
            bar[0].__exit__(None, None, None)
    try:
        keys = CircuitKeys.from_zkey(path)
    except ZkgateError as exc:
        path.unlink(missing_ok=True)
        raise RoleError(f"the circuit key the gateway served for study {study_id[:16]}... is not a readable .zkey "
                        f"({exc}); it was deleted") from exc
    if keys.vk_hash != spec.vk_hash or keys.transcript_hash != spec.transcript_hash:
        path.unlink(missing_ok=True)
        which = ("verifying-key hash", keys.vk_hash, spec.vk_hash) if keys.vk_hash != spec.vk_hash else (
            "ceremony-transcript hash", keys.transcript_hash, spec.transcript_hash)
        raise RoleError(f"refused the circuit key the gateway served for study {study_id[:16]}...: its {which[0]} is "
                        f"{which[1].hex()} but the study's spec names {which[2].hex()} (nothing was proved; the "
                        "file was deleted); get the study's .zkey from its requester and pass it with --circuit-key")
    check_key_fits(keys, spec, str(path), compile_contribution, advice=HOLDER_KEY_ADVICE)
    try:
        keys.check(spec, dev_mode=dev)
    except DevKeyError as exc:
        raise RoleError("this study uses a DEVELOPMENT circuit key (no ceremony): pass --dev to accept it "
                        "(tests and demos only)") from exc
    return keys


def submit(client: GatewayClient, home: HolderHome, study_id: str, circuit_key: str | None, *, dev: bool,
           workers: int = 1, progress=lambda message: None, download_bar=None, dask: DaskTarget | None = None,
           chunk_bar=None, commit_wait: float = 600.0) -> Submitted:
    """Prove, encrypt, sign and submit this holder's contribution; keep and check the receipt.

    ``dask``: prove the chunks as tasks on that Dask cluster (the holder's own), with
    ``chunk_bar(total)`` (a context manager with ``update(n)``) showing chunks as they finish.

    The signed submission is kept before it is sent: a retry sends the very same bytes, and the
    gateway answers with the original receipt.  A submission the gateway refuses as invalid is
    discarded (it was never accepted), so the next run computes a fresh one.

    A key-committee study (issue 23): the kept submission's ciphertext is committed to first
    (CommitContribution), then this waits up to ``commit_wait`` seconds for the requester to close
    the commit phase before uploading it (a rerun commits nothing new and uploads the same bytes)."""
    study, spec = fetch_spec(client, study_id)
    info = client.gateway_info()
    if spec.gateway_key != info.study_signing_key:
        raise RoleError("the study names another gateway's signing key than this gateway's: its receipts could not be checked")
    try:
        me = spec.participant(home.org)
    except UnknownParticipantError:
        names = ", ".join(p.name for p in spec.participants)
        raise RoleError(f"{home.org!r} (the organisation of {home.path}) is not a participant of study {study_id}; "
                        f"it expects {names}") from None
    submission = home.pending_submission(study_id)
    resent = submission is not None
    kept = home.receipt(study_id)
    chunks = me.n_chunks
    if submission is None and kept is not None:
        raise RoleError(f"{home.org!r} already submitted to this study (receipt #{kept.sequence} in {home.path}), but "
                        "the kept submission is gone, so it cannot be sent again; a new one would be refused")
    if submission is None:
        # nothing kept locally (a first submission, or a lost studies/ folder): an accepted earlier
        # submission's receipt is recovered from the gateway instead of proving a doomed new one
        recovered = recover_receipt(client, home, study_id, missing_ok=True, spec=spec, log_key=info.log_public_key)
        if recovered is not None:
            return recovered
        if study.state != study_pb2.OPEN:
            raise RoleError(study_state_refusal(study, study_id))
        late = _now() - spec.deadline
        if late > DEADLINE_CLOCK_SLACK:  # the gateway's clock decides; ours may run somewhat ahead
            raise RoleError(f"study {study_id[:16]}...'s deadline passed {int(late)} s ago "
                            f"({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(spec.deadline))}): the gateway "
                            "would refuse the submission, so nothing was proved")
        local = home.dataset_with_root(me.root)
        if local is None:
            raise RoleError(f"no data set in {home.path} has the root study {study_id[:16]}... names for {home.org!r} "
                            f"({me.root}); `zkgate holder show --home {home.path}` lists the kept data sets")
        check_holder_policy(home, spec, local, study_id)  # before anything is proved (refuses naming the rule)
        if circuit_key is None:  # fetched from the gateway and checked against the spec's hashes
            keys = fetch_circuit_key(client, home, study_id, spec, dev=dev, progress=progress, download_bar=download_bar)
        else:
            keys = load_circuit_key(circuit_key, spec, dev=dev)
        context = client.public_context(study_id)
        progress(f"proving {local.commitment.n_chunks} chunk(s) of {local.label!r} and encrypting ...")
        contributor = Contributor(home.org, local.commitment, home.signing_key, dev_mode=dev)
        if dask is None:
            contribution = contributor.contribute(spec, context, keys, workers=workers)
        else:
            contribution = _contribute_on_dask(contributor, spec, context, keys, dask, progress, chunk_bar)
        submission = contribution.submission
        home.save_submission(study_id, submission)
    if spec.committee is not None:  # commit-before-upload: the ciphertext's hash is logged first
        from .committee_study import commit_and_wait

        commit_and_wait(client, home.org, home.signing_key, study_id, submission, info.log_public_key,
                        wait=commit_wait, progress=progress)
    try:
        receipt_bytes, leaf = client.submit(study_id, submission.to_bytes())
    except GatewayCallError as exc:
        if exc.code.name == "ALREADY_EXISTS":  # the gateway holds an earlier submission of ours: recover its receipt
            recovered = recover_receipt(client, home, study_id, missing_ok=True, spec=spec, log_key=info.log_public_key)
            if recovered is not None:
                return recovered
        if exc.code.name in DEFINITE_REFUSALS:  # never accepted: a later run may compute a fresh one
            home.discard_submission(study_id)
            # still a GatewayCallError, so the command's message adds the hint and the certificate presented
            if exc.code.name == "ALREADY_EXISTS":
                advice = (f"the gateway keeps one submission per participant; `zkgate holder receipt --home {home.path} "
                          f"{study_id}` fetches the receipt of the accepted one")
            elif "was cancelled" in exc.details:
                advice = "the study was cancelled: nothing more can be submitted to it"
            else:
                advice = "fix the cause and run `holder submit` again"
            raise GatewayCallError(exc.code, f"{exc.details} (the submission was not accepted and the kept copy was "
                                             f"discarded; {advice})") from exc
        raise  # the outcome is unknown (unreachable, timed out): keep it, a retry sends the same bytes
    receipt = Receipt.from_bytes(receipt_bytes)
    Contributor.accept_receipt(Contribution(submission, [], 0), receipt, spec)  # signature, study, digest
    if kept is not None and kept != receipt:
        raise RoleError(f"the gateway returned another receipt than the one kept in {home.path} for this study")
    path = home.save_receipt(study_id, receipt, leaf)
    check_in_log(client, info.log_public_key, leaf, submission.digest.hex(), home.org)
    if hasattr(spec, "question"):  # for the policy's per-period and overlap rules
        policy_home.record_answered(home.home, spec)
    return Submitted(receipt, leaf, resent, kept is not None, chunks, str(path))


def review_study(client: GatewayClient, home: HolderHome, study_id: str) -> policy_home.Review:
    """``zkgate holder review``: the study's question, cells, released coordinates and the verdict of
    the holder's policy (with its own records, when it holds the data set the study names)."""
    _, spec = fetch_spec(client, study_id)
    if not hasattr(spec, "question"):
        raise RoleError(f"study {study_id[:16]}... has no compiled question: this zkgate cannot review it")
    local = None
    with contextlib.suppress(UnknownParticipantError):
        local = home.dataset_with_root(spec.participant(home.org).root)
    records = policy_home.declared_records(local.commitment.dataset) if local is not None else None
    return policy_home.review(home.home, spec, records=records)


def check_holder_policy(home: HolderHome, spec: StudySpec, local: LocalDataset, study_id: str) -> None:
    """Refuse (nothing proved) a study the holder's policy rejects, naming every rule it breaks."""
    if not hasattr(spec, "question"):
        return
    rev = policy_home.review(home.home, spec, records=policy_home.declared_records(local.commitment.dataset))
    policy_home.require_accepted(rev, f"{home.org!r}'s", f"nothing was proved or sent (`zkgate holder review --home "
                                                         f"{home.path} {study_id}` shows the study and the verdict)")


def _contribute_on_dask(contributor: Contributor, spec: StudySpec, context, keys: CircuitKeys, target: DaskTarget,
                        progress, chunk_bar) -> Contribution:
    progress(f"chunk proofs on {target.describe()}")
    n = contributor.commitment.n_chunks
    with DaskProver(target) as prover, (chunk_bar(n) if chunk_bar else contextlib.nullcontext()) as bar:
        shown = [0]

        def advance(done: int, total: int) -> None:
            if bar is not None and done > shown[0]:
                bar.update(done - shown[0])
                shown[0] = done

        return contributor.contribute(spec, context, keys, dask=prover, progress=advance)


def check_in_log(client: GatewayClient, log_key: bytes, leaf: int, digest_hex: str, who: str) -> None:
    """The audit log's leaf names this submission and is included under the signed head."""
    head, _ = client.tree_head(log_key)
    entry = client.audit_entries(leaf, leaf + 1)[0]
    if safejson.loads(entry.data, "audit entry from the gateway").get("submission_digest") != digest_hex:
        raise RoleError(f"the audit log entry {leaf} does not name {who}'s submission")
    client.check_inclusion(entry, leaf, head)


# -- requester -------------------------------------------------------------------------------------
def choose_registrations(client: GatewayClient, request: StudyRequest) -> list[Registration]:
    """Each participant's registration from the catalog (by data set id when it has several)."""
    out = []
    for choice in request.participants:
        datasets = client.list_datasets(choice.name)
        if choice.dataset:
            datasets = [d for d in datasets if d.dataset_id.startswith(choice.dataset)]
        if not datasets:
            which = f" with id {choice.dataset}..." if choice.dataset else ""
            raise RoleError(f"{choice.name!r} has no registered data set{which} on this gateway "
                            "(`zkgate holder register-dataset` registers one; `zkgate gateway datasets` lists them)")
        if len(datasets) > 1:
            ids = ", ".join(d.dataset_id[:16] for d in datasets)
            raise RoleError(f"{choice.name!r} registered {len(datasets)} data sets ({ids}); pick one with "
                            f"--participant {choice.name}=DATASET_ID (or {{\"name\", \"dataset\"}} in the file)")
        out.append(Registration.from_bytes(datasets[0].registration))
    return out


def request_question(request: StudyRequest, schema) -> Question:
    """The compiled question of a request: its SQL compiled against the participants' schema, or its
    filter and statistics (the request form of earlier releases) converted."""
    return request.question(schema) or legacy_question(request.filter, request.statistics)


def contribution_circuit(client: GatewayClient, request: StudyRequest):
    """The compiled contribution circuit a study of this request would use (for a ceremony:
    its keys depend only on the shape: schema widths, chunk capacity, filtered columns, statistics)."""
    registrations = choose_registrations(client, request)
    zero, first = b"\x00" * 32, registrations[0]
    draft = StudySpec(
        title=request.title, schema=first.schema, capacity=first.capacity,
        question=request_question(request, first.schema),
        participants=tuple(Participant.from_registration(r) for r in registrations),
        quorum=request.quorum or len(registrations), deadline=request.deadline, he_preset="bfv-4096",
        he_key_id=zero, he_context_digest=zero, vk_hash=zero, transcript_hash=zero, gateway_key=zero,
        key_holder_key=zero, nonce=b"\x00" * 16,
    )
    check_registrations(draft, registrations)
    return compile_contribution(draft.shape())


def refine_quantile_request(client: GatewayClient, study_id: str, alias: str, *, group: str | None = None,
                            max_bins: int | None = None, deadline: int) -> StudyRequest:
    """The follow-up study of a released quantile (``zkgate requester refine-quantile``): the parent's
    participants with their data sets pinned (the registrations whose roots the parent names), quorum =
    all of them, the parent's filter AND the released interval as the window, asking PERCENTILE_REFINE
    with the parent's published counts (:func:`zkgate.study.statistics.refine.refine`)."""
    from zkgate.study.statistics.refine import refine, with_sql
    from zkgate.study.statistics.registry import DEFAULT_QUANTILE_BINS

    from .study_request import ParticipantChoice

    _, spec = fetch_spec(client, study_id)
    try:
        release_bytes, _ = client.release(study_id)
    except GatewayCallError as exc:
        raise RoleError(f"study {study_id[:16]}... has no release to refine ({exc})") from exc
    rel = Release.from_bytes(release_bytes)
    rel.verify_signature(spec.key_holder_key)
    if rel.study_id != spec.study_id or rel.mode != "exact":
        raise RoleError(f"study {study_id[:16]}...: only an exact release of the study itself can be refined "
                        f"(this one is {rel.mode!r})")
    if rel.suppressed:
        raise RoleError(f"study {study_id[:16]}... withheld small cells at release: a refinement would single out "
                        "their records; refine a study released in full")
    try:
        follow = with_sql(refine(spec.question, spec.schema, list(rel.values), alias, group=group,
                                 max_bins=max_bins or DEFAULT_QUANTILE_BINS), spec.schema)
    except SpecError as exc:
        raise RoleError(f"cannot refine {alias!r} of study {study_id[:16]}...: {exc}") from exc
    choices = []
    for p in spec.participants:
        pinned = [d for d in client.list_datasets(p.name) if Registration.from_bytes(d.registration).root == p.root]
        if not pinned:
            raise RoleError(f"{p.name!r} no longer has the data set the parent study used in the catalog")
        choices.append(ParticipantChoice(p.name, pinned[0].dataset_id))
    where = f" (group {group})" if group else ""
    return StudyRequest(title=f"refinement of {alias}{where} of study {study_id[:16]}", participants=tuple(choices),
                        filter=Filter(), statistics=(), quorum=len(choices), deadline=deadline, sql=follow.sql,
                        min_cell_size=spec.min_cell_size)


@dataclass(frozen=True)
class Opened:
    spec: StudySpec
    study_id: str
    circuit_key: str  # the .zkey file, or "registered:VK_HASH" (a universal key registered with the gateway)
    dev_keys: bool
    uploaded: tuple[tuple[str, int], ...] = ()  # bytes of each part of the CreateStudy upload

    def to_json(self) -> dict:
        s = self.spec
        return {"study_id": self.study_id, "title": s.title, "participants": [p.name for p in s.participants],
                "quorum": s.quorum, "deadline": s.deadline, "statistics": s.value_names(), "dev_keys": self.dev_keys,
                "circuit_key": self.circuit_key, "he_key_id": s.he_key_id.hex(), "min_cell_size": s.min_cell_size,
                "uploaded_bytes": dict(self.uploaded)}


def create_study(client: GatewayClient, request: StudyRequest, card: KeyHolderCard | None, *, circuit_key: str | None,
                 dev_circuit_key: str | None, progress=lambda message: None, universal=None, committee=None) -> Opened:
    """Open a study naming the key holder of ``card`` and the participants' registered data sets.

    ``universal``: the key parameters ``zkgate schema circuit`` printed (a JSON object); the study then
    proves with the schema's universal circuit (issue 21), whose key is ``circuit_key``.
    ``committee``: instead of a key holder, a key committee
    (:class:`~zkgate.services.parties.committee_study.CommitteeForStudy`): its joint key is the study's
    HE key, its approvals go into the spec, the opening member's signing key signs the release."""
    if committee is not None:
        if card is not None:
            raise RoleError("a study has a key holder (--key-holder) or a key committee (--committee), not both")
        card = KeyHolderCard(committee.release_key, committee.public_context)
    elif card is None:
        raise RoleError("name who decrypts: --key-holder KH/keyholder.card or --committee ROSTER.bin")
    if (circuit_key is None) == (dev_circuit_key is None) and (universal is None or circuit_key is not None):
        raise RoleError("give the contribution circuit's key: --circuit-key FILE.zkey (from a ceremony) or "
                        "--dev-circuit-key OUT.zkey (make a development key; dev-mode gateways only)")
    info = client.gateway_info()
    registrations = choose_registrations(client, request)
    common = dict(title=request.title, registrations=registrations,
                  question=request_question(request, registrations[0].schema),
                  quorum=request.quorum or len(registrations), deadline=request.deadline,
                  public_context=card.public_context, gateway_key=info.study_signing_key,
                  key_holder_key=card.signing_key, min_cell_size=request.min_cell_size,
                  committee=committee.committee if committee is not None else None)
    if universal is not None:
        common["universal"] = universal_params(universal, registrations[0].schema, registrations[0].capacity)
        registered = None if dev_circuit_key is not None else registered_universal_key(
            client, common["universal"], circuit_key, dev_mode=info.dev_mode)
        if registered is not None:
            return _open_with_registered_key(client, common, registered, card, progress)
    if dev_circuit_key is not None:
        if not info.dev_mode:
            raise RoleError(f"the gateway at {client.address} is not in dev mode and refuses development circuit keys: "
                            "give --circuit-key from a ceremony (or start the gateway with `zkgate serve --dev`)")
        out = Path(dev_circuit_key)
        if out.exists():
            raise RoleError(f"{out} exists; --dev-circuit-key writes a new key there (choose another path, or "
                            "reuse it for a study of the same shape with --circuit-key)")

        progress("opening the study with a new DEVELOPMENT circuit key (no ceremony: tests and demos only) ...")
        spec, keys = open_study(**common, keys="dev", dev_mode=True)
        write_zkey(out, keys.pk)
        key_path = str(out)
        circuit_key = key_path
    else:
        try:
            keys = CircuitKeys.from_zkey(circuit_key)
        except ZkgateError as exc:
            raise RoleError(f"{circuit_key}: not a readable .zkey ({exc})") from exc
        refuse_uncontributed(keys, circuit_key)
        if keys.is_dev and not info.dev_mode:
            raise RoleError(f"{circuit_key} is a development key; the gateway at {client.address} is not in dev mode")
        spec, keys = open_study(**common, keys=keys, dev_mode=keys.is_dev)
        check_key_fits(keys, spec, circuit_key, compile_contribution)
        key_path = circuit_key
    # the .zkey is public: the gateway serves it to the holders (GetProvingKey), who check it against the spec
    parts = (("spec", spec.to_bytes()), ("circuit_keys", keys.public().to_bytes()),
             ("context", card.public_context.to_bytes()), ("proving_key", Path(circuit_key).read_bytes()))
    study = client.create_study(*(data for _, data in parts))
    return Opened(spec, study.study_id, key_path, spec.dev_keys, tuple((name, len(data)) for name, data in parts))


def _open_with_registered_key(client: GatewayClient, common: dict, registered, card, progress) -> Opened:
    """A universal study naming the gateway's registered key (issue 21): neither the circuit keys nor the
    proving key are uploaded; the spec names the key by its verifying-key hash, and holders fetch the
    registered .zkey (GetProvingKey)."""
    keys = CircuitKeys.from_bytes(registered.circuit_keys)
    progress(f"opening the study with the gateway's registered universal key {registered.vk_hash[:16]}... "
             "(no circuit key uploaded)")
    spec, keys = open_study(**common, keys=keys, dev_mode=keys.is_dev)
    parts = (("spec", spec.to_bytes()), ("circuit_keys", b""), ("context", card.public_context.to_bytes()),
             ("proving_key", b""))
    study = client.create_study(*(data for _, data in parts))
    return Opened(spec, study.study_id, f"registered:{registered.vk_hash}", spec.dev_keys,
                  tuple((name, len(data)) for name, data in parts))


def registered_universal_key(client: GatewayClient, params: UniversalParams, circuit_key: str | None, *,
                             dev_mode: bool):
    """The gateway's registered universal key (a ``study_pb2.UniversalKey``) of ``params``: the one of
    ``circuit_key`` when given (None when the gateway has not registered that file: it is then uploaded
    with the study), else the only one registered for these parameters (a ceremony key before a
    development one)."""
    try:
        listed = client.list_universal_keys()
    except GatewayCallError as exc:
        if exc.code != grpc.StatusCode.UNIMPLEMENTED:
            raise
        if circuit_key is None:
            raise RoleError(f"the gateway at {client.address} predates registered universal keys: give --circuit-key "
                            "(the key is then uploaded with the study)") from exc
        return None  # an older gateway: the key goes with the study, as before
    candidates = []
    for key in listed:
        try:
            if params_from_json(key.params_json, "a registered universal key") == params:
                candidates.append(key)
        except SpecError:
            continue  # parameters this zkgate cannot read: not this study's key
    if circuit_key is not None:
        try:
            wanted = CircuitKeys.from_zkey(circuit_key).vk_hash.hex()
        except ZkgateError as exc:
            raise RoleError(f"{circuit_key}: not a readable .zkey ({exc})") from exc
        return next((k for k in candidates if k.vk_hash == wanted), None)
    usable = [k for k in candidates if not k.dev_only] or ([k for k in candidates if k.dev_only] if dev_mode else [])
    if not usable:
        raise RoleError(
            "the gateway has no universal key registered for these parameters (columns "
            f"{list(params.schema.names)}, capacity {params.capacity}, maxima {params.to_obj()})"
            + (" usable outside dev mode" if candidates else "")
            + ": register its ceremony key once with `zkgate requester register-universal-key --schema SCHEMA.json "
            "--universal KEY.json --circuit-key FINAL.zkey`, or give --circuit-key")
    if len(usable) > 1:
        listed = ", ".join(k.vk_hash[:16] + "..." for k in usable)
        raise RoleError(f"the gateway has {len(usable)} universal keys registered for these parameters ({listed}): "
                        "choose one with --circuit-key FILE.zkey")
    return usable[0]


@dataclass(frozen=True)
class RegisteredKey:
    key: object  # study_pb2.UniversalKey
    zkey: str  # the file registered (a development key: where it was written)

    def to_json(self) -> dict:
        k = self.key
        return {"vk_hash": k.vk_hash, "transcript_hash": k.transcript_hash, "circuit_id": k.circuit_id,
                "dev_only": k.dev_only, "already_registered": k.already_registered, "zkey": self.zkey,
                "zkey_bytes": k.zkey_size, "params": json.loads(k.params_json)}


def register_universal_key(client: GatewayClient, schema: Schema, universal, *, circuit_key: str | None,
                           dev_circuit_key: str | None, progress=lambda message: None) -> RegisteredKey:
    """Register a schema's universal key with the gateway once (issue 21): ``universal`` is what
    ``zkgate schema circuit`` printed, ``circuit_key`` the ceremony's final .zkey of that circuit (or
    ``dev_circuit_key``: make a development key and write it there; dev-mode gateways only)."""
    if (circuit_key is None) == (dev_circuit_key is None):
        raise RoleError("give the universal circuit's key: --circuit-key FINAL.zkey (from its ceremony) or "
                        "--dev-circuit-key OUT.zkey (make a development key; dev-mode gateways only)")
    params = universal_params(universal, schema, universal.get("capacity") if isinstance(universal, dict) else None)
    if dev_circuit_key is not None:
        if not client.gateway_info().dev_mode:
            raise RoleError(f"the gateway at {client.address} is not in dev mode and refuses development keys: "
                            "run the ceremony on the circuit `zkgate schema circuit` wrote and give --circuit-key")
        out = Path(dev_circuit_key)
        if out.exists():
            raise RoleError(f"{out} exists; --dev-circuit-key writes a new key there (choose another path)")
        progress("making a DEVELOPMENT key of the universal circuit (no ceremony: tests and demos only) ...")
        write_zkey(out, CircuitKeys.dev(compile_universal(params)).pk)
        circuit_key = str(out)
    try:
        keys = CircuitKeys.from_zkey(circuit_key)
    except ZkgateError as exc:
        raise RoleError(f"{circuit_key}: not a readable .zkey ({exc})") from exc
    refuse_uncontributed(keys, circuit_key)
    progress("registering the universal key (the gateway compiles the circuit and compares it with the key) ...")
    return RegisteredKey(client.register_universal_key(params_json(params), Path(circuit_key).read_bytes()), circuit_key)


def universal_params(obj, schema: Schema, capacity: int) -> UniversalParams:
    """The universal key parameters from what ``zkgate schema circuit`` printed, checked against the
    participants' schema and chunk capacity."""
    if not isinstance(obj, dict) or "universal" not in obj:
        raise RoleError("--universal: expected the JSON object `zkgate schema circuit` printed (with \"universal\")")
    if obj.get("columns") != list(schema.names) or obj.get("capacity") != capacity:
        raise RoleError(f"--universal: the key was made for columns {obj.get('columns')} and capacity "
                        f"{obj.get('capacity')}; the participants registered {list(schema.names)} in chunks of {capacity}")
    try:
        return UniversalParams.from_obj(schema, capacity, obj["universal"])
    except SpecError as exc:
        raise RoleError(f"--universal: {exc}") from exc


def logged_cancellation(client: GatewayClient, study, log_key: bytes | None = None):
    """A cancelled study's cancellation as its audit leaf states it (the leaf fetched, decoded and
    its inclusion under the signed tree head checked), or None for a study that is not cancelled."""
    if study.state != study_pb2.CANCELLED:
        return None
    index = study.cancellation.audit_leaf_index
    head, _ = client.tree_head(log_key)
    if index >= head.tree_size:
        raise RoleError(f"the gateway says study {study.study_id[:16]}... was cancelled at audit leaf {index}, "
                        f"beyond its signed log (size {head.tree_size})")
    entry = client.audit_entries(index, index + 1)[0]
    client.check_inclusion(entry, index, head)
    if entry.kind != CANCEL_LEAF_KIND:
        raise RoleError(f"audit leaf {index} is a {entry.kind!r} entry, not the cancellation the gateway names")
    cancellation = StudyCancellation.from_leaf(entry.data, index)
    if cancellation.study_id != study.study_id:
        raise RoleError(f"audit leaf {index} cancels another study than {study.study_id[:16]}...")
    return cancellation


def cancel_study(client: GatewayClient, study_id: str, reason: str):
    """End a study that cannot finish, with a reason everyone sees (the study's requester or an admin)."""
    check_study_id(study_id)
    return client.cancel_study(study_id, check_reason(reason, "--reason"))


# -- key holder ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Released:
    release: Release
    statistics: dict

    def to_json(self) -> dict:
        return {"study_id": f"{self.release.study_id:064x}", "mode": self.release.mode,
                "values": [int(v) for v in self.release.values], "statistics": self.statistics,
                "verifiable": self.release.mode == "exact",
                "withheld_coordinates": list(self.release.withheld)}  # small cells (docs/disclosure.md)


def release(client: GatewayClient, home: KeyHolderHome, study_id: str, *, dp_epsilon: float | None = None) -> Released:
    """Decrypt only the aggregate, check the commitment equation, and only then publish."""
    _, spec = fetch_spec(client, study_id)
    he = home.he_key_holder()
    if he.key_id != spec.he_key_id:
        raise RoleError(f"study {study_id[:16]}... is encrypted under HE key {spec.he_key_id.hex()[:16]}..., not this "
                        f"key holder's ({he.key_id.hex()[:16]}... in {home.path})")
    if hasattr(spec, "question"):  # the key holder's own policy, before anything is decrypted
        rev = policy_home.review(home.home, spec)
        policy_home.require_accepted(rev, "the key holder's", "nothing was decrypted or published")
    signing = home.signing_key
    if signing.public != spec.key_holder_key:
        raise RoleError(f"study {study_id[:16]}... names another release-signing key than the one in {home.path}")
    try:
        aggregate = Aggregate.from_bytes(client.aggregate(study_id))
    except GatewayCallError as exc:
        if exc.code == grpc.StatusCode.FAILED_PRECONDITION and "was cancelled" in exc.details:
            raise RoleError(f"{exc.details}: nothing is released for a cancelled study") from exc
        if exc.code == grpc.StatusCode.FAILED_PRECONDITION:
            raise RoleError(f"{exc.details} (`zkgate requester close {study_id}`)") from exc
        raise
    record = PublicRecord.from_bytes(client.public_record(study_id))
    holder = StudyKeyHolder(spec, he, signing)
    if dp_epsilon is None:
        out = holder.release(aggregate, list(record.submissions))
    else:
        out = holder.release_dp(aggregate, list(record.submissions), dp_epsilon)
    home.save_release(study_id, out)
    client.publish_release(study_id, out.to_bytes())
    if hasattr(spec, "question"):
        policy_home.record_answered(home.home, spec)
    return Released(out, release_statistics(spec, out))


__all__ = ["Opened", "Registered", "RegisteredKey", "Released", "RoleError", "register_universal_key",
           "registered_universal_key", "Submitted", "cancel_study", "contribution_circuit", "create_study",
           "fetch_spec", "logged_cancellation", "recover_receipt", "register_dataset", "release", "review_study", "submit"]
