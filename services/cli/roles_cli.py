"""``zkgate holder|requester|keyholder ...``: each party of a study from its own shell.

Order (each step needs what the earlier ones made; see ``docs/gateway.md``)::

    zkgate serve --data-dir GW --dev                                      # the gateway
    zkgate keyholder init --home KH                                       # HE keys + KH/keyholder.card
    zkgate holder init --home H1 --org hospital-a                         # per hospital
    zkgate requester publish-schema --name patients schema.json           # once
    zkgate holder register-dataset --home H1 a.csv --schema-name patients
    zkgate requester circuit --spec study.json --out study.r1cs           # production: then a phase-2 ceremony
    zkgate requester create-study --spec study.json --key-holder KH/keyholder.card --dev-circuit-key study.zkey
    zkgate holder submit --home H1 STUDY_ID --dev                         # per hospital: fetches the key
    zkgate requester close STUDY_ID
    zkgate keyholder release --home KH STUDY_ID
    zkgate gateway verify-study STUDY_ID --dev                            # anyone

A key committee instead of the key holder (docs/gateway.md "Key committee", the whole runbook)::

    zkgate requester create-study ... --committee roster.bin --opener 1  # after `zkgate committee setup`
    zkgate holder submit --home H1 STUDY_ID --dev                         # commits, waits, then uploads
    zkgate requester close-commit-phase STUDY_ID
    zkgate requester close STUDY_ID
    zkgate requester open --home M1 STUDY_ID                              # + `committee decrypt-share` on the others


This module is loaded only when one of its commands runs (zkgate/cli.py's lazy loader).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import sys
import time

import click

from zkgate import safejson
from zkgate.circuits.r1csfile import write_r1cs
from zkgate.study.dataset import Schema

from ..client.call_errors import CallTarget, describe_call_error, reported
from ..parties import roles
from ..parties.holder_home import HolderHome, check_label, check_study_id, parse_column, receipt_summary
from ..parties.keyholder_home import KeyHolderHome, read_card
from ..parties.study_request import build_request
from ..v1 import study_pb2
from ..wire import load_schema
from .common import DEFAULT_GATEWAY, GatewayTarget, access_options, client_for


def _gateway_options(command):
    command = access_options(command)
    return click.option("--gateway", "address", default=DEFAULT_GATEWAY, show_default=True, envvar="ZKGATE_GATEWAY",
                        help="Gateway address HOST:PORT; several processes serving one store: HOST:PORT,HOST:PORT (calls spread round-robin) or dns:///NAME:PORT.")(command)


def _json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")(command)


def _home_option(envvar: str, what: str):
    return click.option("--home", required=True, envvar=envvar, type=click.Path(file_okay=False),
                        help=f"{what} (env {envvar}).")


def _emit(as_json: bool, obj: dict, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(obj, sort_keys=True))
    else:
        for line in lines:
            click.echo(line)


def _note(message: str) -> None:
    click.echo(message, err=True)


# =====================================================================================================
@click.group("holder")
def holder_group() -> None:
    """Data holder (hospital): keys, committed data sets, contributions.

    \b
    1. zkgate holder init --home DIR --org NAME
    2. zkgate holder register-dataset --home DIR DATA.csv --schema-name SCHEMA_NAME
    3. (the requester opens a study naming NAME)
    4. zkgate holder review --home DIR STUDY_ID   (the question and DIR/policy.json's verdict)
    5. zkgate holder submit --home DIR STUDY_ID   (fetches and checks the study's circuit key)
    (lost DIR/studies/? zkgate holder receipt --home DIR STUDY_ID fetches the receipt again)

    With --tls-dir, commands present the certificate of the home's organisation
    (TLS_DIR/clients/ORG.pem); an --org naming another organisation is refused.
    """


_holder_home = _home_option("ZKGATE_HOLDER_HOME", "The holder's local state folder: signing key, salts, records, receipts")


@holder_group.command("init")
@_holder_home
@click.option("--org", required=True, help="Organisation name: the participant name studies and certificates use.")
@_json_option
def holder_init(home: str, org: str, as_json: bool) -> None:
    """Create a holder's home folder with a new signing key (0600; only its public half leaves)."""
    with reported():
        holder = HolderHome.init(home, org)
        public = holder.signing_key.public.hex()
    _emit(as_json, {"home": str(holder.path), "org": org, "signing_public_key": public},
          [f"holder {org!r} initialised in {holder.path} (signing key {public[:16]}...)",
           f"next: zkgate holder register-dataset --home {home} DATA.csv --schema SCHEMA.json"])


@holder_group.command("register-dataset")
@_holder_home
@click.argument("csv_file", metavar="DATA.csv", type=click.Path(dir_okay=False))
@click.option("--schema", "schema_file", type=click.Path(dir_okay=False),
              help='JSON: {"columns": [{"name": "age", "min": 18, "max": 90}, ...]} (declared integer ranges).')
@click.option("--schema-name", default=None,
              help="Instead: a schema the requester published on the gateway (`zkgate gateway schemas` lists them).")
@click.option("--column", "columns", multiple=True, metavar="NAME:MIN:MAX",
              help="A column and its declared range, in order (repeat; instead of --schema).")
@click.option("--chunk", "capacity", default=64, show_default=True, type=click.IntRange(1, 1 << 16),
              help="Records per committed chunk (one proof each); every participant of a study must use the same.")
@click.option("--name", "label", default=None, help="Local name of the data set (default: the CSV's file name).")
@_gateway_options
@_json_option
def holder_register_dataset(home, csv_file, schema_file, schema_name, columns, capacity, label, address, tls_dir, org,
                            token, as_json) -> None:
    """Commit a CSV under a secret salt, keep it locally, and register it in the gateway's catalog.

    The CSV's header names the columns (other columns are ignored); every value must lie in its
    declared range.  Records, salt seed and commitment stay in the home folder; the gateway
    receives only the signed registration (schema, chunking, root, public key).  Running the
    command again with the same file and name re-sends the same registration.
    """
    with reported(CallTarget(address, tls_dir, org)) as where:
        holder = HolderHome.open(home)
        where.org = where.org or holder.org
        if sum(map(bool, (schema_file, schema_name, columns))) != 1:
            raise click.UsageError("declare the columns with --schema-name NAME (published on the gateway), "
                                   "--schema SCHEMA.json or --column NAME:MIN:MAX (one of them)")
        if schema_file:
            obj = safejson.load_file(schema_file)  # FormatError (exit 2) names the file
            schema = load_schema(obj, schema_file)
        elif columns:
            schema = Schema.of(*(parse_column(c) for c in columns))
        label = check_label(label or _label_of(csv_file))
        with client_for(_holder_target(holder, address, tls_dir, org, token)) as client:
            if schema_name:
                published = client.get_schema(schema_name)
                where_from = f"the gateway's published schema {schema_name!r}"
                schema = load_schema(safejson.loads(published.schema_json, where_from), where_from)
            done = roles.register_dataset(client, holder, csv_file, schema, capacity, label)
    summary = done.to_json()
    _emit(as_json, summary, [
        f"registered {label!r}: {summary['records']} records in {summary['chunks']} chunk(s) of {capacity}"
        + (" (registration re-sent)" if done.resent else ""),
        f"dataset id {done.dataset_id}",
        f"root {summary['root']}",
    ])


def _holder_target(holder, address, tls_dir, org, token) -> GatewayTarget:
    """With TLS, the home's organisation's certificate (a participant acts only as itself)."""
    if tls_dir and org and org != holder.org:
        raise click.UsageError(f"--org {org!r} differs from the organisation of {holder.path} ({holder.org!r}): "
                               "the gateway lets a participant act only as itself")
    return GatewayTarget(address, tls_dir, holder.org if tls_dir else org, token)


def _label_of(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip("._-")[:64] or "dataset"


@holder_group.command("submit")
@_holder_home
@click.argument("study_id")
@click.option("--circuit-key", type=click.Path(dir_okay=False),
              help="The study's contribution circuit key (.zkey). Default: fetched from the gateway (cached in the "
                   "home) and checked against the study's verifying-key hash.")
@click.option("--dev", is_flag=True, help="Accept a study made with a development circuit key (tests and demos only).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Prover processes.")
@click.option("--dask", "dask_address", metavar="ADDRESS|local:N",
              help="Prove the chunks as Dask tasks: on your own scheduler (tcp://HOST:PORT on this machine, "
                   "tls://HOST:PORT with --dask-tls) or on a LocalCluster of N worker processes (local:N). "
                   "Needs `pip install 'zkgate[dask]'`; see docs/scale.md.")
@click.option("--dask-tls", "dask_tls", type=click.Path(dir_okay=False),
              help="Dask's TLS security configuration (YAML: distributed.comm.tls ca-file, client cert and key), "
                   "required for a scheduler beyond localhost: the scheduler runs code on your workers, so it must "
                   "be your own.")
@click.option("--wait", "commit_wait", default=600.0, show_default=True, type=click.FloatRange(0),
              help="Key-committee studies: seconds to wait, after committing to the ciphertext's hash, for the "
                   "requester to close the commit phase before uploading (0: commit and stop; run submit again later).")
@_gateway_options
@_json_option
def holder_submit(home, study_id, circuit_key, dev, workers, dask_address, dask_tls, commit_wait, address, tls_dir, org,
                  token, as_json) -> None:
    """Answer a study: prove every chunk, encrypt, sign, submit; keep the gateway's receipt.

    Fetches the study, finds the kept data set whose root it names, proves each chunk with the
    circuit key, encrypts the statistics under the study's HE key, signs and submits.  The signed
    submission is kept first, so a retry sends the same bytes and gets the original receipt;
    the receipt is checked (gateway signature) and found in the audit log before it is kept.
    With --dask the chunk proofs run as tasks on your Dask cluster (docs/scale.md).

    A study decrypted by a key committee: the kept submission's ciphertext is committed to first
    (its hash, in the audit log), then the command waits (--wait) until the requester closes the
    commit phase and uploads exactly that ciphertext.  If the wait ends first, the submission stays
    kept: `holder submit` again later uploads it (nothing is proved or committed again).
    """
    target = _dask_target(dask_address, dask_tls, workers)
    with reported(CallTarget(address, tls_dir, org)) as where:
        holder = HolderHome.open(home)
        where.org = where.org or holder.org
        with client_for(_holder_target(holder, address, tls_dir, org, token)) as client:
            done = roles.submit(client, holder, study_id, circuit_key, dev=dev, workers=workers, progress=_note,
                                download_bar=_download_bar, dask=target, chunk_bar=_chunk_bar, commit_wait=commit_wait)
    _emit(as_json, done.to_json(), _submitted_lines(done))


def _submitted_lines(done) -> list[str]:
    if done.recovered:
        first = ("already accepted earlier: nothing was sent; the gateway's receipt of the accepted submission was "
                 "recovered (its gateway signature checked)")
    elif done.repeated:
        first = f"already accepted earlier: the gateway returned the original receipt ({done.chunks} chunk proof(s))"
    else:
        first = "submitted" + (" (the kept submission, sent again)" if done.resent else "") + f" ({done.chunks} chunk proof(s))"
    return [first, f"receipt #{done.receipt.sequence} signed by the gateway, kept in {done.receipt_path}",
            f"in the audit log at leaf {done.audit_leaf} (inclusion proof checked)"]


@holder_group.command("review")
@_holder_home
@click.argument("study_id")
@_gateway_options
@_json_option
def holder_review(home, study_id, address, tls_dir, org, token, as_json) -> None:
    """Show a study's question in readable form (from its compiled form), its cells and released
    coordinates, its minimum cell size k, and the verdict of this holder's disclosure policy
    (HOME/policy.json; docs/disclosure.md).  Nothing is proved or sent.  Exit status 0 when the
    policy accepts the study, 1 when it refuses it (each broken rule is named); `holder submit`
    refuses the same study."""
    with reported(CallTarget(address, tls_dir, org)) as where:
        holder = HolderHome.open(home)
        where.org = where.org or holder.org
        check_study_id(study_id)
        with client_for(_holder_target(holder, address, tls_dir, org, token)) as client:
            rev = roles.review_study(client, holder, study_id)
    _emit(as_json, rev.to_json(), rev.lines())
    if not rev.verdict.accepted:
        sys.exit(1)


@holder_group.command("receipt")
@_holder_home
@click.argument("study_id")
@_gateway_options
@_json_option
def holder_receipt(home, study_id, address, tls_dir, org, token, as_json) -> None:
    """Fetch this holder's receipt of an accepted submission from the gateway (e.g. after losing
    the home's studies/ folder): its gateway signature is checked against the study's gateway key,
    and the audit log's leaf must name the same submission, before it is kept in the home.
    Only the participant itself may fetch its receipt."""
    with reported(CallTarget(address, tls_dir, org)) as where:
        holder = HolderHome.open(home)
        where.org = where.org or holder.org
        check_study_id(study_id)
        with client_for(_holder_target(holder, address, tls_dir, org, token)) as client:
            done = roles.recover_receipt(client, holder, study_id)
    _emit(as_json, done.to_json(), [
        f"receipt #{done.receipt.sequence} of {holder.org!r} recovered from the gateway (gateway signature checked), "
        f"kept in {done.receipt_path}",
        f"in the audit log at leaf {done.audit_leaf} (inclusion proof checked)",
    ])


PROGRESS_BAR_BYTES = 4 << 20  # a key download shows a progress bar (stderr) from this size on


def _dask_target(dask_address, dask_tls, workers):
    """--dask/--dask-tls checked before anything is fetched or proved (None: prove in this process)."""
    if dask_address is None:
        if dask_tls is not None:
            raise click.UsageError("--dask-tls needs --dask ADDRESS")
        return None
    if workers != 1:
        raise click.UsageError("--workers and --dask exclude each other: with --dask the cluster's workers prove")
    from zkgate.study.distributed import DaskSetupError, parse_target

    try:
        return parse_target(dask_address, dask_tls)
    except DaskSetupError as exc:
        raise click.UsageError(str(exc)) from None


def _chunk_bar(total: int):
    return click.progressbar(length=total, label=f"chunk proofs ({total})", file=sys.stderr)


def _download_bar(total: int):
    """A progress bar on stderr for a large download (a silent one for a small key)."""
    if total < PROGRESS_BAR_BYTES:
        return contextlib.nullcontext()
    return click.progressbar(length=total, label=f"circuit key ({total >> 20} MiB)", file=sys.stderr)


@holder_group.command("show")
@_holder_home
@_json_option
def holder_show(home, as_json) -> None:
    """List the kept data sets and receipts (local; nothing is sent)."""
    with reported():
        holder = HolderHome.open(home)
        datasets = [holder.load_dataset(label).summary() for label in holder.dataset_labels()]
        receipts = []
        folder = holder.home.file("studies")
        for study in sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []:
            receipt = holder.receipt(study)
            receipts.append({"study_id": study, "receipt": receipt_summary(receipt) if receipt else None})
    obj = {"org": holder.org, "home": str(holder.path), "signing_public_key": holder.signing_key.public.hex(),
           "datasets": datasets, "studies": receipts}
    lines = [f"holder {holder.org!r} ({holder.path})"]
    lines += [f"  data set {d['name']}: {d['records']} records, {d['chunks']} chunk(s) of {d['chunk_capacity']}, "
              f"id {d['dataset_id'][:16] or '(not registered)'}" for d in datasets]
    lines += [f"  study {s['study_id'][:16]}...: " + (f"receipt #{s['receipt']['sequence']}" if s["receipt"] else "submission kept, no receipt yet")
              for s in receipts]
    _emit(as_json, obj, lines)


# =====================================================================================================
@click.group("requester")
def requester_group() -> None:
    """Requester: open a study over registered data sets, close it when contributions are in.

    Before create-study, the key holder ran `zkgate keyholder init` (its card names the HE key
    and the release-signing key) and every participant registered a data set.  With mutual TLS,
    the key holder releases as the requester's organisation.  A study that cannot finish is
    ended with `zkgate requester cancel STUDY_ID --reason TEXT` (logged, shown to everyone).

    \b
    A key committee instead of the key holder (docs/gateway.md "Key committee"):
      create-study ... --committee ROSTER.bin [--opener I]
      close-commit-phase STUDY_ID     (once quorum committed; then the holders upload)
      close STUDY_ID
      open --home MEMBER_HOME STUDY_ID   (decryption request, t shares, check, release)
    """


def _request_options(command):
    """The question a study asks (a JSON file and/or options; see services/parties/study_request.py)."""
    options = [
        click.option("--spec", "spec_file", type=click.Path(dir_okay=False),
                     help="Study request as JSON (title, participants, sql or filter and statistics, quorum, deadline); options override its fields."),
        click.option("--title", default=None, help="What the study asks, for people."),
        click.option("--participant", "participants", multiple=True, metavar="NAME[=DATASET_ID]",
                     help="An expected participant (repeat); =DATASET_ID picks one of several registered data sets."),
        click.option("--sql", "sql", default=None, metavar="QUERY",
                     help="The question in SQL, e.g. \"SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol, "
                          "CORR(age, cholesterol) AS r FROM patients WHERE age BETWEEN 40 AND 65 GROUP BY diagnosis\": "
                          "compiled against the participants' schema and carried compiled in the spec (the subset and "
                          "the aggregates: docs/statistics.md). Replaces the file's question; excludes --range/--equals/--stat."),
        click.option("--range", "ranges", multiple=True, metavar="COLUMN:MIN:MAX",
                     help="Filter: keep records with MIN <= COLUMN <= MAX (repeat)."),
        click.option("--equals", multiple=True, metavar="COLUMN:VALUE", help="Filter: keep records with COLUMN == VALUE (repeat)."),
        click.option("--stat", "stats", multiple=True, metavar="KIND:COLUMN[:EDGES]",
                     help="sum, mean, sum_sq or variance of a column, or histogram:COLUMN:E0,E1,... with bins [E0, E1), [E1, E2), ... "
                          "(E0 <= value < E1; repeat). The count always comes first."),
        click.option("--quorum", type=click.IntRange(1), default=None, help="Submissions needed to close (default: every participant)."),
        click.option("--deadline", type=int, default=None, help="Last moment to submit, unix seconds."),
        click.option("--deadline-in", default=None, help="Deadline from now: 90s, 30m, 2h, 7d (default 24h)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _build_request(spec_file, title, participants, ranges, equals, stats, quorum, deadline, deadline_in,
                   min_cell_size=None, sql=None):
    return build_request(spec_file, title=title, participants=participants, ranges=ranges, equals=equals,
                         stats=stats, quorum=quorum, deadline=deadline, deadline_in=deadline_in,
                         min_cell_size=min_cell_size, sql=sql)


@requester_group.command("create-study")
@_request_options
@click.option("--key-holder", "card_file", type=click.Path(dir_okay=False),
              help="The key holder's card (KH_HOME/keyholder.card from `zkgate keyholder init`).")
@click.option("--committee", "roster_file", type=click.Path(dir_okay=False, exists=True),
              help="Instead of --key-holder: a key committee's roster (`zkgate committee roster --out`), after every "
                   "member ran `zkgate committee setup`: the joint key (recomputed from the members' signed setup "
                   "messages on the gateway) is the study's HE key and every member's approval goes into the spec.")
@click.option("--opener", type=click.IntRange(1, 16), default=1, show_default=True,
              help="With --committee: the member who opens the study (`requester open --home` with its home); its "
                   "signing key signs the release and the decryption shares are sealed to it.")
@click.option("--circuit-key", type=click.Path(dir_okay=False),
              help="Contribution circuit key (.zkey) for this study's shape: a ceremony's on `requester circuit`'s .r1cs.")
@click.option("--dev-circuit-key", type=click.Path(dir_okay=False),
              help="Instead: make a DEVELOPMENT circuit key and write it here for the holders (dev-mode gateways only).")
@click.option("--universal", "universal_file", type=click.Path(exists=True, dir_okay=False), metavar="KEY.json",
              help="Prove with the schema's universal circuit: KEY.json is what `zkgate schema circuit` printed. "
                   "Without --circuit-key/--dev-circuit-key the study names the universal key of these parameters "
                   "registered with the gateway (`requester register-universal-key`) and uploads no key; a "
                   "--circuit-key the gateway registered is not uploaded either (docs/gateway.md).")
@click.option("--min-cell-size", "min_cell_size", type=click.IntRange(0, 1 << 32), default=None, metavar="K",
              help="Withhold, at release, every cell with fewer than K records, with a proof that the published "
                   "cells are still exact (docs/disclosure.md; default 0 or the request file's min_cell_size). "
                   "Holders whose policy asks a larger k refuse the study.")
@_gateway_options
@_json_option
def requester_create_study(spec_file, title, participants, ranges, equals, stats, quorum, deadline, deadline_in,
                           card_file, roster_file, opener, circuit_key, dev_circuit_key, universal_file, min_cell_size,
                           address, tls_dir, org, token, as_json, sql=None) -> None:
    """Open a study; prints its id.

    The question is --sql "SELECT ..." (docs/statistics.md), or a filter and statistics
    (--range/--equals/--stat, or a --spec file).

    The study names every participant's registered data set root and signing key (from the
    gateway's catalog), the key holder's HE public context and release key (from its card), the
    gateway's signing key and the contribution circuit's key.  Give the holders the study id and
    the circuit key file.

    With --committee instead of --key-holder, a key committee decrypts (t of its N members): the
    spec names the roster's members, their approvals of the joint key and the --opener's signing
    key as the release key; holders commit to their ciphertexts before uploading them.
    """
    if (card_file is None) == (roster_file is None):
        raise click.UsageError("name who decrypts: --key-holder KH/keyholder.card or --committee ROSTER.bin (one)")
    with reported(CallTarget(address, tls_dir, org)):
        request = _build_request(spec_file, title, participants, ranges, equals, stats, quorum, deadline, deadline_in,
                                 min_cell_size, sql)
        card = read_card(card_file) if card_file else None
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            committee = _committee_for_study(client, roster_file, opener) if roster_file else None
            opened = roles.create_study(client, request, card, circuit_key=circuit_key, dev_circuit_key=dev_circuit_key,
                                        progress=_note, universal=safejson.load_file(universal_file) if universal_file
                                        else None, committee=committee)
    if not as_json:
        names = ", ".join(p.name for p in opened.spec.participants)
        when = datetime.datetime.fromtimestamp(opened.spec.deadline, datetime.UTC).isoformat(timespec="seconds")
        _note(f"study opened: {len(opened.spec.participants)} participant(s) ({names}), quorum {opened.spec.quorum}, "
              f"deadline {when}; circuit key {opened.circuit_key}")
        if opened.dev_keys:
            _note("warning: DEVELOPMENT circuit key (one party saw the toxic waste): holders need --dev")
    _emit(as_json, opened.to_json(), [opened.study_id])


def _committee_for_study(client, roster_file: str, opener: int):
    from zkgate.he.committee import Roster

    from ..client.committee_client import CommitteeRelay
    from ..parties.committee_study import committee_for_study

    with open(roster_file, "rb") as handle:
        roster = Roster.from_bytes(handle.read())
    return committee_for_study(CommitteeRelay(client), roster, opener)


@requester_group.command("refine-quantile")
@click.argument("study_id")
@click.argument("alias")
@click.option("--group", default=None, metavar="LABEL",
              help="Under GROUP BY, the group whose quantile to refine (as published: \"2\", or \"2|1\" for two columns).")
@click.option("--max-bins", type=click.IntRange(1, 256), default=None,
              help="Bins of the follow-up's histogram inside the window (default 64; a window of at most twice "
                   "that many values gets unit bins, the exact answer).")
@click.option("--deadline-in", default=None, help="Deadline from now: 90s, 30m, 2h, 7d (default 24h).")
@click.option("--key-holder", "card_file", required=True, type=click.Path(dir_okay=False),
              help="The key holder's card (KH_HOME/keyholder.card).")
@click.option("--circuit-key", type=click.Path(dir_okay=False),
              help="Contribution circuit key (.zkey) for the follow-up's shape (a ceremony's).")
@click.option("--dev-circuit-key", type=click.Path(dir_okay=False),
              help="Instead: make a DEVELOPMENT circuit key and write it here (dev-mode gateways only).")
@_gateway_options
@_json_option
def requester_refine_quantile(study_id, alias, group, max_bins, deadline_in, card_file, circuit_key, dev_circuit_key,
                              address, tls_dir, org, token, as_json) -> None:
    """Open the follow-up study that narrows a released quantile interval; prints its id.

    ALIAS names a MEDIAN, PERCENTILE_CONT (or an earlier refinement) of the released study
    STUDY_ID.  The follow-up asks the same participants (their data sets pinned, quorum = all of
    them) for a finer histogram inside the released interval [low, high]: its filter is the
    parent's AND the window, and PERCENTILE_REFINE carries the parent's published counts, so
    verify-study checks that the follow-up counted exactly the parent's records in the window.
    Repeat on the follow-up until its result has an exact "value" (unit bins).  Holders' policies
    (docs/disclosure.md) may refuse to go that far: one unit of width can single out one patient.
    """
    from ..parties.study_request import parse_duration

    with reported(CallTarget(address, tls_dir, org)):
        deadline = int(time.time()) + parse_duration(deadline_in or "24h", "--deadline-in")
        card = read_card(card_file)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            request = roles.refine_quantile_request(client, study_id, alias, group=group, max_bins=max_bins,
                                                    deadline=deadline)
            _note(f"follow-up question: {request.sql}")
            opened = roles.create_study(client, request, card, circuit_key=circuit_key, dev_circuit_key=dev_circuit_key,
                                        progress=_note)
    out = opened.to_json()
    out["sql"] = request.sql
    _emit(as_json, out, [opened.study_id])


@requester_group.command("circuit")
@_request_options
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), help="Where to write the .r1cs.")
@_gateway_options
@_json_option
def requester_circuit(spec_file, title, participants, ranges, equals, stats, quorum, deadline, deadline_in, out_file,
                      address, tls_dir, org, token, as_json, sql=None) -> None:
    """Write the contribution circuit (.r1cs) of a study request, for a key ceremony.

    Its keys depend only on the study's shape (column widths, chunk capacity, filtered columns,
    statistics), so one ceremony serves every study of that shape:
    `zkgate groth16 setup OUT.r1cs POT.ptau key_0.zkey`, then `zkgate zkey contribute ...` by
    each party, then `zkgate requester create-study ... --circuit-key final.zkey`.
    """
    with reported(CallTarget(address, tls_dir, org)):
        request = _build_request(spec_file, title, participants, ranges, equals, stats, quorum, deadline, deadline_in,
                                 sql=sql)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            circuit = roles.contribution_circuit(client, request)
        write_r1cs(circuit.r1cs, out_file)
    r1cs = circuit.r1cs
    _emit(as_json, {"r1cs": out_file, "constraints": r1cs.n_constraints, "wires": r1cs.n_wires, "public": r1cs.n_public},
          [f"wrote {out_file}: {r1cs.n_constraints} constraints, {r1cs.n_wires} wires, {r1cs.n_public} public inputs"])


@requester_group.command("register-universal-key")
@click.option("--schema", "schema_file", required=True, type=click.Path(dir_okay=False),
              help='The schema the key was made for, as JSON: {"columns": [{"name": ..., "min": ..., "max": ...}, ...]}.')
@click.option("--universal", "universal_file", required=True, type=click.Path(exists=True, dir_okay=False),
              metavar="KEY.json", help="What `zkgate schema circuit` printed for the key's circuit.")
@click.option("--circuit-key", type=click.Path(dir_okay=False, exists=True),
              help="The final .zkey of the ceremony on the circuit `zkgate schema circuit` wrote.")
@click.option("--dev-circuit-key", type=click.Path(dir_okay=False),
              help="Instead: make a DEVELOPMENT key of the circuit, write it here and register it (dev-mode gateways only).")
@_gateway_options
@_json_option
def requester_register_universal_key(schema_file, universal_file, circuit_key, dev_circuit_key, address, tls_dir, org,
                                     token, as_json) -> None:
    """Register a schema's universal contribution key with the gateway, once (issue 21).

    The gateway compiles the universal circuit of the key's parameters and refuses a key of another
    circuit; outside dev mode it refuses a development key and a key whose phase-2 transcript does not
    verify.  Afterwards every question over the schema within the key's maxima opens with
    `requester create-study --sql ... --universal KEY.json` alone: no ceremony, no key uploaded, and the
    holders fetch the registered key.  Registering the same key again is a no-op.
    """
    with reported(CallTarget(address, tls_dir, org)):
        schema = load_schema(safejson.load_file(schema_file), schema_file)
        universal = safejson.load_file(universal_file)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            done = roles.register_universal_key(client, schema, universal, circuit_key=circuit_key,
                                                dev_circuit_key=dev_circuit_key, progress=_note)
    out = done.to_json()
    _emit(as_json, out, [
        f"universal key {out['vk_hash']} " + ("was already registered" if out["already_registered"] else "registered")
        + (" (DEVELOPMENT key: dev-mode gateways only)" if out["dev_only"] else ""),
        f"studies: zkgate requester create-study --sql \"SELECT ...\" --universal {universal_file} --key-holder ..."])


@requester_group.command("publish-schema")
@click.argument("schema_file", metavar="SCHEMA.json", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="The name holders register against (`holder register-dataset --schema-name`).")
@_gateway_options
@_json_option
def requester_publish_schema(schema_file, name, address, tls_dir, org, token, as_json) -> None:
    """Publish a data set schema once, by name, in the gateway's catalog (logged in the audit log).

    Holders then register their data sets with `--schema-name NAME` instead of copying the file.
    Publishing the same columns under the same name again is a no-op; other columns under a taken
    name are refused.
    """
    with reported(CallTarget(address, tls_dir, org)):
        load_schema(safejson.load_file(schema_file), schema_file)  # a bad file is named here, before any call
        with open(schema_file, encoding="utf-8") as handle:
            text = handle.read()
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            published = client.publish_schema(name, text)
    _emit(as_json, {"name": published.name, "schema_sha256": published.schema_sha256, "publisher": published.publisher,
                    "schema": safejson.loads(published.schema_json, f"schema {published.name}")},
          [f"schema {published.name!r} published (sha256 {published.schema_sha256[:16]}...)",
           f"holders: zkgate holder register-dataset --home DIR DATA.csv --schema-name {published.name}"])


@requester_group.command("close")
@click.argument("study_id")
@_gateway_options
@_json_option
def requester_close(study_id, address, tls_dir, org, token, as_json) -> None:
    """Close a study: the gateway adds the accepted contributions (quorum needed). Idempotent."""
    with reported(CallTarget(address, tls_dir, org)):
        check_study_id(study_id)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            study = client.close_study(study_id)
    state = study_pb2.StudyState.Name(study.state)
    _emit(as_json, {"study_id": study.study_id, "state": state, "accepted": study.accepted, "quorum": study.quorum},
          [f"study {study.study_id[:16]}... {state}: {study.accepted} contribution(s) added (quorum {study.quorum})",
           f"next: zkgate keyholder release --home KH {study.study_id} (a key committee: zkgate requester open "
           f"--home MEMBER_HOME {study.study_id})"])


@requester_group.command("close-commit-phase")
@click.argument("study_id")
@_gateway_options
@_json_option
def requester_close_commit_phase(study_id, address, tls_dir, org, token, as_json) -> None:
    """End a key-committee study's commit phase (quorum must have committed): from now on the holders
    who committed upload their ciphertexts (each exactly the one it committed to) and nobody else
    can join.  Logged in the audit log; idempotent."""
    from ..client.committee_client import CommitteeRelay

    with reported(CallTarget(address, tls_dir, org)):
        check_study_id(study_id)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            names = CommitteeRelay(client).close_commit_phase(study_id)
    _emit(as_json, {"study_id": study_id, "committed": names},
          [f"commit phase of study {study_id[:16]}... closed: {len(names)} participant(s) committed "
           f"({', '.join(names)})", f"next: the holders upload (`zkgate holder submit`), then `zkgate requester close "
           f"{study_id}`"])


@requester_group.command("open")
@click.argument("study_id")
@click.option("--home", required=True, envvar="ZKGATE_COMMITTEE_HOME", type=click.Path(file_okay=False, exists=True),
              help="The opening member's committee home (`zkgate committee init`/`setup`; create-study's --opener) "
                   "(env ZKGATE_COMMITTEE_HOME).")
@click.option("--active", default=None, metavar="I,J,...",
              help="The t members who decrypt (default: the opener and the members after it). Fixed by the first "
                   "request: a rerun waits for the same set.")
@click.option("--wait", default=300.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for the other active members' decryption shares (`committee decrypt-share`).")
@_gateway_options
@_json_option
def requester_open(study_id, home, active, wait, address, tls_dir, org, token, as_json) -> None:
    """Decrypt a closed key-committee study through its members and publish the release.

    Posts the decryption request for the active set (naming the gateway's signed aggregate), gives
    this member's own share, waits for the other shares (each member recomputed the aggregate
    itself), combines them, and publishes only if the result opens the participants' logged
    commitments.  A wrong share: nothing is published, the failing member (or the active set it
    is in) is named, exit status 1.  With mutual TLS, run it as the requester's organisation.
    """
    from ..parties.committee_home import MemberHome
    from ..parties.committee_study import open_committee_study

    with reported(CallTarget(address, tls_dir, org)):
        check_study_id(study_id)
        member = MemberHome(home)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            done = open_committee_study(client, member, study_id, active=active, wait=wait, progress=_note)
    lines = [f"released study {study_id[:16]}... (exact, verifiable): active set {list(done.active)} decrypted, "
             "the commitment equation holds"]
    if done.release.suppressed:
        lines.append(f"  {len(done.release.withheld)} coordinate(s) of cells below k withheld, with a proof that the "
                     "published ones are exact (no P published)")
    lines += [f"  {k}: {v}" for k, v in done.statistics.items()]
    _emit(as_json, done.to_json(), lines)


@requester_group.command("cancel")
@click.argument("study_id")
@click.option("--reason", required=True, help="Why the study ends (shown to every party and kept in the audit log).")
@_gateway_options
@_json_option
def requester_cancel(study_id, reason, address, tls_dir, org, token, as_json) -> None:
    """Cancel a study that cannot finish (the study's requester or an admin). It then accepts
    nothing (submissions, close, release); the cancellation is logged in the audit log and shown
    to everyone. A released study cannot be cancelled; the same reason again changes nothing."""
    with reported(CallTarget(address, tls_dir, org)):
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            study = roles.cancel_study(client, study_id, reason)
    c = study.cancellation
    _emit(as_json, {"study_id": study.study_id, "state": study_pb2.StudyState.Name(study.state), "reason": c.reason,
                    "cancelled_by": c.cancelled_by, "cancelled_at": c.cancelled_at, "state_before": c.state_before,
                    "audit_leaf_index": c.audit_leaf_index},
          [f"study {study.study_id[:16]}... CANCELLED (was {c.state_before}): {c.reason}",
           f"logged in the audit log at leaf {c.audit_leaf_index}; it accepts no submission, close or release"])


# =====================================================================================================
@click.group("keyholder")
def keyholder_group() -> None:
    """Key holder: the study's HE keys; decrypts only the aggregate, checks it, publishes.

    \b
    1. zkgate keyholder init --home DIR          (before the study: its card goes to the requester)
    2. zkgate keyholder release --home DIR STUDY_ID   (after the requester closed the study)
    """


_keyholder_home = _home_option("ZKGATE_KEYHOLDER_HOME", "The key holder's local state folder: HE secret key, release key, card")


@keyholder_group.command("init")
@_keyholder_home
@click.option("--preset", default="bfv-4096", show_default=True, help="BFV parameter preset (bfv-4096, bfv-8192, bfv-16384).")
@_json_option
def keyholder_init(home, preset, as_json) -> None:
    """Make the HE key pair and a release-signing key; write the public card for the requester.

    The HE secret key and the signing key stay in the home folder (0600); HOME/keyholder.card holds
    only public parts (HE public context, release-signing public key).
    """
    with reported():
        kh = KeyHolderHome.init(home, preset)
        card = kh.card()
    _emit(as_json, {**card.summary(), "home": str(kh.path), "card": str(kh.card_path)},
          [f"key holder initialised in {kh.path} ({preset}, HE key {card.public_context.key_id.hex()[:16]}...)",
           f"give the requester {kh.card_path}: zkgate requester create-study --key-holder {kh.card_path} ..."])


@keyholder_group.command("release")
@_keyholder_home
@click.argument("study_id")
@click.option("--dp-epsilon", type=float, default=None,
              help="Publish an epsilon-differentially-private release instead (noisy, unverifiable, never P; needs OpenDP).")
@_gateway_options
@_json_option
def keyholder_release(home, study_id, dp_epsilon, address, tls_dir, org, token, as_json) -> None:
    """Decrypt the closed study's aggregate, check it opens the logged commitments, publish.

    Nothing is published unless the decrypted sums open the sum of the participants' logged
    commitments.  With mutual TLS, use the requester's organisation (--org): only the study's
    requester may fetch its aggregate and publish.
    """
    with reported(CallTarget(address, tls_dir, org)):
        kh = KeyHolderHome.open(home)
        with client_for(GatewayTarget(address, tls_dir, org, token)) as client:
            done = roles.release(client, kh, study_id, dp_epsilon=dp_epsilon)
    lines = [f"released study {study_id[:16]}... ({done.release.mode}"
             + (", verifiable)" if done.release.mode == "exact" else ", not verifiable)")]
    if done.release.suppressed:
        lines.append(f"  {len(done.release.withheld)} coordinate(s) of cells below k withheld, with a proof that the "
                     "published ones are exact (no P published)")
    lines += [f"  {k}: {v}" for k, v in done.statistics.items()]
    _emit(as_json, done.to_json(), lines)


COMMANDS = [holder_group, requester_group, keyholder_group]

__all__ = ["COMMANDS", "describe_call_error", "reported"]
