"""``zkgate serve`` and the gateway client commands (``zkgate gateway ...``).

Connection options and the client they open are shared with the role commands (``cli/common.py``).
This module is loaded only when one of its commands runs (zkgate/cli.py's lazy loader).
"""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
import threading
from pathlib import Path

import click

from zkgate import safejson
from zkgate.errors import ZkgateError
from zkgate.prover.formats.snarkjs_json import proof_to_json, public_to_json, read_proof, read_public, write_json
from zkgate.signing import ED25519, HYBRID, HYBRID_SIGNATURE_BYTES
from zkgate.study.verification import PublicRecord, verify_record

from ..client.call_errors import describe_call_error, reported
from ..client.gateway_client import GatewayCallError
from ..gateway.logs import LOG_FORMATS, configure_logging
from ..gateway.memory import heap_profile_from_env
from ..gateway.security import ServerTls, is_localhost
from ..gateway.server import Gateway, ServerConfig
from ..gateway.store.check import CANNOT_CHECK, CannotCheckError, check_store
from ..gateway.uploads import UploadLimits
from ..parties.certs import OrgSpec, describe_bundles, init_certs
from ..parties.demo import DEMO_SQL, run_demo_command
from ..parties.holder_home import check_study_id
from ..parties.roles import logged_cancellation
from ..v1 import study_pb2
from .common import DEFAULT_GATEWAY, GatewayTarget, access_options, client_for


@click.command("serve")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False), help="Folder for the SQLite database and stored keys.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (localhost by default).")
@click.option("--port", default=50051, show_default=True, type=int, help="TCP port (0 picks a free one).")
@click.option("--workers", default=8, show_default=True, type=int, help="Worker threads handling RPCs.")
@click.option("--max-concurrent-rpcs", default=64, show_default=True, type=int, help="RPCs in flight before new ones are refused.")
@click.option("--max-upload-mib", default=1024, show_default=True, type=int, help="Largest key, witness or ciphertext upload.")
@click.option("--dev", is_flag=True, help="Accept development circuit keys (demos and tests only, never in production).")
@click.option("--tls-dir", default=None, type=click.Path(exists=True, file_okay=False),
              help="Mutual TLS from a `zkgate certs init` folder (server.pem, server.key, ca.pem): client certificates required.")
@click.option("--tokens", "tokens_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Without TLS, on localhost: identify callers by the bearer tokens in this JSON file (e.g. tokens.json from certs init).")
@click.option("--insecure-allow-remote", is_flag=True, help="Allow listening beyond localhost without TLS (trusted networks only).")
@click.option("--store", "store_url", default=None, envvar="ZKGATE_STORE_URL",
              help="postgresql://USER@HOST:PORT/DB to share one PostgreSQL database between gateways (default: SQLite in --data-dir).")
@click.option("--stream-idle-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds an upload stream may stay silent between messages before it is closed (DEADLINE_EXCEEDED).")
@click.option("--max-upload-streams", default=None, type=click.IntRange(min=1),
              help="Uploads in progress at once, more are RESOURCE_EXHAUSTED (default: workers - 2, so health checks always answer).")
@click.option("--metrics-port", default=None, type=click.IntRange(min=0),
              help="Expose Prometheus metrics over HTTP at /metrics on this port (0 picks a free one; default: none).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help="Interface the metrics endpoint listens on (it has no authentication: keep it on localhost or a monitoring network).")
@click.option("--log-format", default="human", show_default=True, type=click.Choice(LOG_FORMATS),
              help="human: one readable line per event; json: one JSON object per line (time, level, logger, message, rpc, caller, study, outcome).")
@click.option("--require-pq", is_flag=True,
              help="Refuse anything without a valid ML-DSA-65 signature: classical Ed25519-only registrations, studies "
                   "naming classical keys, submissions and releases (and a data directory whose own keys are classical).")
def serve(data_dir: str, host: str, port: int, workers: int, max_concurrent_rpcs: int, max_upload_mib: int, dev: bool,
          tls_dir: str | None, tokens_file: str | None, insecure_allow_remote: bool, store_url: str | None,
          stream_idle_timeout: float, max_upload_streams: int | None, metrics_port: int | None, metrics_host: str,
          log_format: str, require_pq: bool) -> None:
    """Run the zkgate gRPC gateway (health checking and reflection included).

    With --tls-dir every client needs a certificate from the folder's CA, and its roles come from
    that certificate. Without it the gateway serves only on localhost (no TLS, no authentication,
    or bearer tokens with --tokens) unless --insecure-allow-remote.

    Stops gracefully on Ctrl-C or SIGTERM: health turns NOT_SERVING first, RPCs in flight finish.

    Refuses to start (exit 2, naming the file, folder or port) when the port is in use, another
    gateway holds the SQLite data folder (DATA_DIR/gateway.lock), or a key file in it is damaged.

    With --metrics-port the gateway serves Prometheus metrics (gRPC calls by method and status code,
    submissions by outcome, proof-check and store-commit times, audit-log size, studies by state;
    no study, participant or data-set labels) at http://HOST:PORT/metrics, on localhost unless
    --metrics-host says otherwise. Every RPC writes one access-log line (rpc, caller, study, outcome);
    --log-format json writes every log line as one JSON object, for log shippers.
    """
    if tls_dir and tokens_file:
        raise click.UsageError("give either --tls-dir or --tokens (tokens are for non-TLS localhost development)")
    if tokens_file and not is_localhost(host):
        raise click.UsageError("--tokens sends secrets in the clear: only on localhost; use --tls-dir elsewhere")

    configure_logging(log_format)
    serve_log = logging.getLogger("zkgate.services")

    def say(message: str, level: int = logging.INFO) -> None:
        """A line for the operator: on stderr as today, or a JSON log line with --log-format json."""
        if log_format == "json":
            serve_log.log(level, "%s", message)
        else:
            click.echo(message, err=True)

    try:
        config = ServerConfig(
            data_dir=data_dir,
            host=host,
            port=port,
            workers=workers,
            max_concurrent_rpcs=max_concurrent_rpcs,
            limits=UploadLimits(max_payload_bytes=max_upload_mib << 20),
            dev_mode=dev,
            tls=ServerTls.from_dir(tls_dir) if tls_dir else None,
            tokens_file=tokens_file,
            allow_insecure_remote=insecure_allow_remote,
            store_url=store_url,
            stream_idle_seconds=stream_idle_timeout,
            max_upload_streams=max_upload_streams,
            metrics_port=metrics_port,
            metrics_host=metrics_host,
            require_pq=require_pq,
        )
        gateway = Gateway(config).start()
    except ZkgateError as exc:
        say(f"zkgate serve: {exc}", logging.ERROR)
        sys.exit(2)
    if log_format == "human":  # the JSON log already holds the summary (Gateway.start logs it)
        click.echo(("" if config.tls else "WARNING: ") + gateway.security_summary(), err=True)
    say(f"zkgate gateway listening on {gateway.address} (data in {data_dir}); Ctrl-C stops it")
    if gateway.metrics_address is not None and not is_localhost(metrics_host):  # Gateway.start logged the address
        say(f"WARNING: metrics on {gateway.metrics_address} are NOT on localhost: the endpoint has no authentication",
            logging.WARNING)
    say(f"log key {gateway.signer.public_key_bytes.hex()} (give it to auditors: zkgate audit verify --log-key ...)")
    stopped = threading.Event()

    def stop(*_):
        if not stopped.is_set():
            stopped.set()
            say("stopping: health NOT_SERVING, finishing RPCs in flight ...")
            threading.Thread(target=gateway.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    heap_profile_from_env()  # a debugging aid, off unless ZKGATE_HEAP_PROFILE=DIR (services/gateway/memory.py)
    gateway.wait()


@click.group("gateway")
@click.option("--gateway", "address", default=DEFAULT_GATEWAY, show_default=True, envvar="ZKGATE_GATEWAY", help="Gateway address HOST:PORT; several processes serving one store: HOST:PORT,HOST:PORT (calls spread round-robin) or dns:///NAME:PORT.")
@access_options
@click.pass_context
def gateway_group(ctx: click.Context, address: str, tls_dir: str | None, org: str | None, token: str | None) -> None:
    """Talk to a running gateway: its info, catalog, studies, circuits and proofs.

    The connection options (--gateway, --tls-dir, --org, --token) may come before the
    subcommand or after it: `zkgate gateway --gateway H:P verify-study ID` and
    `zkgate gateway verify-study ID --gateway H:P` are the same; after it, they win.
    """
    ctx.obj = GatewayTarget(address, tls_dir, org, token)


def _target_options(command):
    """The gateway group's connection options, accepted after the subcommand too; the command
    receives the resulting GatewayTarget as its first argument (given here, else the group's)."""

    @functools.wraps(command)
    def run(*args, sub_address=None, sub_tls_dir=None, sub_org=None, sub_token=None, **kwargs):
        group = click.get_current_context().find_object(GatewayTarget) or GatewayTarget(DEFAULT_GATEWAY)
        target = GatewayTarget(sub_address or group.address, sub_tls_dir or group.tls_dir, sub_org or group.org,
                               sub_token or group.token)
        return command(target, *args, **kwargs)

    run = click.option("--token", "sub_token", default=None, help="Bearer token (also before the subcommand).")(run)
    run = click.option("--org", "sub_org", default=None,
                       help="Organisation whose client certificate to use (also before the subcommand).")(run)
    run = click.option("--tls-dir", "sub_tls_dir", default=None, type=click.Path(file_okay=False),
                       help="A `zkgate certs init` folder or organisation bundle (also before the subcommand).")(run)
    return click.option("--gateway", "sub_address", default=None,
                        help="Gateway address HOST:PORT; several processes serving one store: HOST:PORT,HOST:PORT (calls spread round-robin) or dns:///NAME:PORT (also before the subcommand).")(run)


@gateway_group.command("info")
@_target_options
@click.option("--json", "as_json", is_flag=True, help="Print the information as one JSON object.")
def gateway_info(target, as_json: bool) -> None:
    """The gateway's keys and mode: its study-signing key (every study names it), its audit log key
    (the value for `zkgate audit verify --log-key`) and whether it runs in dev mode."""
    with reported(target):
        with client_for(target) as client:
            info = client.gateway_info()
            head, _ = client.tree_head()
    obj = {"gateway": target.address, "study_signing_key": info.study_signing_key.hex(),
           "log_key": info.log_public_key.hex(), "dev_mode": info.dev_mode, "audit_tree_size": head.tree_size}
    if as_json:
        click.echo(json.dumps(obj, sort_keys=True))
        return
    click.echo(f"gateway {target.address}" + (" (DEV MODE: accepts development circuit keys)" if info.dev_mode else ""))
    click.echo(f"  log key:           {obj['log_key']}  (zkgate audit verify --log-key ...)")
    click.echo(f"  study signing key: {obj['study_signing_key']}")
    click.echo(f"  audit log:         {head.tree_size} entries")


@gateway_group.command("register-circuit")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(exists=True, dir_okay=False))
@click.option("--r1cs", "r1cs_file", type=click.Path(exists=True, dir_okay=False), help="The circuit's .r1cs, stored beside the key.")
@click.option("--name", default="", help="A label for people (default: the file name).")
@_target_options
def register_circuit(address, zkey_file: str, r1cs_file: str | None, name: str) -> None:
    """Upload a .zkey (and optionally its .r1cs); prints the circuit id."""
    with reported(address), client_for(address) as client:
        info = client.register_circuit_files(zkey_file, r1cs_file, name)
    click.echo(info.circuit_id)
    if info.already_registered:
        click.echo(f"note: the gateway already had this circuit, registered as {info.name!r}; "
                   "nothing new was stored and the existing id is printed", err=True)
    if info.dev_only:
        click.echo("warning: this key had no phase-2 contribution; the gateway will not verify against it", err=True)


@gateway_group.command("circuits")
@_target_options
def list_circuits(address) -> None:
    """List registered circuits."""
    with reported(address), client_for(address) as client:
        for info in client.list_circuits():
            click.echo(f"{info.circuit_id}  {info.name}  public={info.n_public} wires={info.n_vars} domain={info.domain_size}")


@gateway_group.command("prove")
@click.argument("circuit_id")
@click.argument("witness_file", metavar="WITNESS.wtns", type=click.Path(exists=True, dir_okay=False))
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(dir_okay=False))
@click.argument("public_file", metavar="PUBLIC.json", type=click.Path(dir_okay=False))
@_target_options
def remote_prove(address, circuit_id: str, witness_file: str, proof_file: str, public_file: str) -> None:
    """Prove on the gateway with a registered circuit; writes snarkjs proof.json / public.json."""
    with reported(address), client_for(address) as client:
        proof, public = client.prove(circuit_id, Path(witness_file).read_bytes())
    write_json(proof_file, proof_to_json(proof))
    write_json(public_file, public_to_json(public))


@gateway_group.command("verify")
@click.argument("circuit_id")
@click.argument("public_file", metavar="PUBLIC.json", type=click.Path(exists=True, dir_okay=False))
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(exists=True, dir_okay=False))
@_target_options
def remote_verify(address, circuit_id: str, public_file: str, proof_file: str) -> None:
    """Verify on the gateway: OK (exit 0) or INVALID (exit 1)."""
    with reported(address), client_for(address) as client:
        ok = client.verify(circuit_id, read_public(public_file), read_proof(proof_file))
    click.echo("OK" if ok else "INVALID")
    sys.exit(0 if ok else 1)


@gateway_group.command("datasets")
@click.option("--owner", default="", help="Only this organisation's data sets.")
@_target_options
def list_datasets(address, owner: str) -> None:
    """List registered data sets (owner, root, chunking)."""
    with reported(address), client_for(address) as client:
        for dataset in client.list_datasets(owner):
            click.echo(f"{dataset.dataset_id[:16]}...  {dataset.name}  root={dataset.root}")


@gateway_group.command("schemas")
@click.option("--json", "as_json", is_flag=True, help="Print the schemas as one JSON object.")
@_target_options
def list_schemas(address, as_json: bool) -> None:
    """List published schemas (`holder register-dataset --schema-name NAME` registers against one)."""
    with reported(address), client_for(address) as client:
        schemas = client.list_schemas()
    if as_json:
        click.echo(json.dumps({"schemas": [{"name": s.name, "schema_sha256": s.schema_sha256, "publisher": s.publisher,
                                            "schema": safejson.loads(s.schema_json, f"schema {s.name}")} for s in schemas]}, sort_keys=True))
        return
    for s in schemas:
        columns = ", ".join(f"{c['name']}[{c['min']},{c['max']}]" for c in safejson.loads(s.schema_json, f"schema {s.name}")["columns"])
        click.echo(f"{s.name}  sha256={s.schema_sha256[:16]}...  by {s.publisher or '-'}  {columns}")


@gateway_group.command("universal-keys")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as one JSON object.")
@_target_options
def list_universal_keys(address, as_json: bool) -> None:
    """List registered universal keys (`requester register-universal-key`): a study over one of them
    opens with `requester create-study --universal KEY.json` and uploads no key."""
    with reported(address), client_for(address) as client:
        keys = client.list_universal_keys()
    rows = [{"vk_hash": k.vk_hash, "transcript_hash": k.transcript_hash, "dev_only": k.dev_only,
             "zkey_sha256": k.zkey_sha256, "zkey_bytes": k.zkey_size, "circuit_id": k.circuit_id,
             "params": safejson.loads(k.params_json, f"universal key {k.vk_hash}")} for k in keys]
    if as_json:
        click.echo(json.dumps({"universal_keys": rows}, sort_keys=True))
        return
    for row in rows:
        p = row["params"]
        columns = ", ".join(c[0] for c in p["schema"])
        click.echo(f"{row['vk_hash'][:16]}...  capacity {p['capacity']}  maxima {p['universal']}  "
                   f"{'DEV ' if row['dev_only'] else ''}{row['zkey_bytes']} bytes  columns {columns}")


@gateway_group.command("studies")
@_target_options
def list_studies(address) -> None:
    """List studies with their state and how many contributions were accepted."""
    with reported(address), client_for(address) as client:
        for study in client.list_studies():
            state = study_pb2.StudyState.Name(study.state)
            click.echo(f"{study.study_id}  {state:8}  {study.accepted}/{len(study.participants)} accepted "
                       f"(quorum {study.quorum})  {study.title}")


@gateway_group.command("verify-study")
@click.argument("study_id")
@click.option("--dev", is_flag=True, help="Accept a study made with development circuit keys.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON (with the released numbers).")
@click.option("--require-pq", is_flag=True,
              help="Fail (exit 1) unless every signature has a valid ML-DSA-65 part; names the classical Ed25519-only objects.")
@_target_options
def verify_study(address, study_id: str, dev: bool, as_json: bool, require_pq: bool) -> None:
    """Regulator check, run locally: fetch the study's public record and verify every proof, the
    bounds and the commitment equation of the release, and recompute every derived result from the
    released sums (refusing the release when the results the gateway publishes differ); print the
    verdict and the released numbers (histogram bins are [a, b): a <= value < b).  Exit 0 when all hold, 1 otherwise:
    a failed check (FAILED), a study not released yet (OPEN: never closed; CLOSED: waiting
    for the key holder; CANCELLED: ended by its requester or an admin, with the reason from its
    audit leaf -- not a failure of cryptography), or a CKKS or differentially private release (UNVERIFIED: its numbers
    are not bound to the proven commitments).  Lists which algorithms signed each object: Ed25519+ML-DSA-65
    (hybrid) or Ed25519 (classical: keys made before hybrid signatures); --require-pq fails on classical ones."""
    with reported(address):
        check_study_id(study_id)
        with client_for(address) as client:
            record = PublicRecord.from_bytes(client.public_record(study_id))
            cancellation = logged_cancellation(client, client.get_study(study_id))
            published = client.release(study_id)[1] if record.release is not None else None
        report = verify_record(record, dev_mode=dev, cancellation=cancellation, require_pq=require_pq,
                               published=published)
    if as_json:
        click.echo(json.dumps({"study_id": study_id, "title": record.spec.title, **report.to_dict()}, default=str))
    else:
        click.echo(_verdict_line(report))
        for line in _released_lines(report.released):
            click.echo(line)
        if report.signatures:
            click.echo("signed with:")
            for name, alg in report.signatures.items():
                click.echo(f"  {name}: {alg}")
    sys.exit(0 if report.ok else 1)


def _released_lines(released: dict | None) -> list[str]:
    """The released numbers for people: statistics in declared units, histograms bin by bin."""
    if not released:
        return []
    out = [f"released ({released.get('mode')}" + (", verifiable):" if released.get("verifiable") else ", not verifiable):")]
    statistics = released.get("statistics") or released.get("values") or {}
    bins = released.get("histogram_bins") or {}
    for name, value in statistics.items():
        column = name[len("hist_"):] if name.startswith("hist_") else None
        if column in bins and isinstance(value, list):
            out.append(f"  {name} (bins [a, b): a <= value < b):")
            out += [f"    {edge}: {count}" for edge, count in zip(bins[column], value)]
        else:
            out.append(f"  {name}: {value}")
    return out


def _verdict_line(report) -> str:
    """VERIFIED; UNVERIFIED (nothing failed, but the release is approximate or noisy, so its
    numbers are not bound to the proven commitments); or FAILED with what failed."""
    if report.status == "verified":
        return "VERIFIED"
    if report.status == "unverified":
        reasons = "; ".join(f"{name}: {reason}" for name, reason in report.unverified)
        return f"UNVERIFIED (every proof and check that can run passed; not checked: {reasons})"
    if report.status == "cancelled":  # ended by its requester or an admin: nothing failed, nothing released
        return f"CANCELLED, NEVER RELEASED (every check so far passed): {report.pending}"
    if report.status in ("open", "closed"):  # not finished: nothing failed so far
        return f"{report.status.upper()}, NOT RELEASED YET (every check so far passed): {report.pending}"
    return "FAILED: " + "; ".join(report.failures)


@click.group("audit")
def audit_group() -> None:
    """Check the gateway's tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--gateway", "address", default=DEFAULT_GATEWAY, show_default=True, envvar="ZKGATE_GATEWAY", help="Gateway address HOST:PORT; several processes serving one store: HOST:PORT,HOST:PORT (calls spread round-robin) or dns:///NAME:PORT.")
@click.option("--log-key", default=None,
              help="The gateway's log key (hex: Ed25519+ML-DSA-65, or Ed25519 for an older gateway) to pin; "
                   "default: trust the key it presents.")
@click.option("--skip-inclusion", is_flag=True, help="Do not fetch and check each leaf's inclusion proof (one call per leaf).")
@click.option("--require-pq", is_flag=True,
              help="Fail unless the signed head carries a valid ML-DSA-65 signature (refuse a classical Ed25519-only log key).")
@access_options
def audit_verify(address: str, log_key: str | None, skip_inclusion: bool, require_pq: bool, tls_dir: str | None,
                 org: str | None, token: str | None) -> None:
    """Rebuild the whole log from its entries and check it against the latest signed head.

    Every leaf hash is recomputed here from the entry fetched (never taken from the gateway), the
    tree rebuilt and its root compared with the signed head; then the gateway's inclusion proof of
    every leaf is checked against that head, which catches damage in the gateway's stored nodes.
    Prints the tree size and root and which algorithms signed the head (Ed25519+ML-DSA-65, or
    Ed25519 for a classical log key of an older gateway); exits 1 if anything does not check
    (with --require-pq, also when the head carries no ML-DSA-65 signature).
    """
    pinned = bytes.fromhex(log_key) if log_key else None
    target = GatewayTarget(address, tls_dir, org, token)
    with client_for(target) as client:
        try:
            head, entries = client.verify_whole_log(pinned, require_pq=require_pq)
        except GatewayCallError as exc:  # never reached the log: nothing was checked (exit 2, not FAILED)
            _could_not_check(exc, target)
        except ZkgateError as exc:
            click.echo(f"FAILED: {exc}")
            sys.exit(1)
        failed = []
        if not skip_inclusion:
            for index, entry in enumerate(entries):
                try:
                    client.check_inclusion(entry, index, head)  # leaf hash recomputed from the entry
                except GatewayCallError as exc:
                    _could_not_check(exc, target)
                except ZkgateError as exc:
                    failed.append(f"leaf {index} ({entry.kind}): {exc}")
    if failed:
        click.echo(f"FAILED: the entries rebuild the signed root (tree size {head.tree_size}), but the gateway's "
                   f"inclusion proofs of {len(failed)} leaf(s) do not verify: its stored audit nodes are damaged "
                   "(the operator should run `zkgate store check`)")
        for line in failed[:20]:
            click.echo(f"  {line}")
        sys.exit(1)
    kinds: dict[str, int] = {}
    for entry in entries:
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    checked = "" if skip_inclusion else f", {len(entries)} inclusion proofs checked"
    click.echo(f"OK: tree size {head.tree_size}, root {head.root.hex()}{checked}")
    for kind, count in sorted(kinds.items()):
        click.echo(f"  {kind}: {count}")
    signed = HYBRID if len(head.signature) == HYBRID_SIGNATURE_BYTES else f"{ED25519} (classical)"
    click.echo(f"head signed with {signed}")


@click.group("store")
def store_group() -> None:
    """Examine the gateway's own store (run on the gateway's machine)."""


@store_group.command("check")
@click.option("--data-dir", required=True, type=click.Path(), help="The gateway's --data-dir (SQLite database, blobs, log key).")
@click.option("--store", "store_url", default=None, envvar="ZKGATE_STORE_URL",
              help="postgresql://USER@HOST:PORT/DB when the gateway keeps its records in PostgreSQL.")
def store_check(data_dir: str, store_url: str | None) -> None:
    """Check every byte the gateway stored: SQLite integrity_check, every blob re-hashed, every
    stored record decoded, every audit leaf re-hashed from its entry, every stored node recomputed
    and every signed tree head's root and signature checked.  Read-only.

    Prints a report naming each problem; exits 0 when clean, 1 when damage was found, 2 when the
    store cannot be checked (no such folder, an unreadable database file).
    """
    try:
        report = check_store(data_dir, store_url)
    except CannotCheckError as exc:
        click.echo(f"CANNOT CHECK: {exc}", err=True)
        sys.exit(CANNOT_CHECK)
    for line in report.lines():
        click.echo(line)
    sys.exit(report.exit_code)


def _could_not_check(exc, target) -> None:
    """A call that failed before anything could be checked: say so, exit 2 (FAILED, exit 1, means
    the log was checked and does not match its signed head)."""
    click.echo(f"COULD NOT CHECK (the log was not verified, nothing was found wrong with it): "
               f"{describe_call_error(exc, target)}")
    sys.exit(2)


@click.command("demo")
@click.option("--gateway", "address", default=None, help="Use a running gateway (started with --dev) instead of an embedded one.")
@click.option("--hospitals", default=3, show_default=True, type=click.IntRange(1, 26), help="Simulated hospitals.")
@click.option("--records", default=100, show_default=True, type=click.IntRange(1, 100000), help="Patients per hospital.")
@click.option("--chunk", default=32, show_default=True, type=click.IntRange(1, 1024), help="Records per committed chunk (one proof each).")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the synthetic patient tables.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout (verified, sql, released, truth, audit_tree_size, ...); tables go to stderr.")
@click.option("--sql", default=None, metavar="QUERY",
              help="Ask another question over the synthetic patient tables (columns age, sex, diagnosis, bmi, sbp, "
                   "cholesterol, followup_days, died; see docs/statistics.md). Default: the demo's GROUP BY diagnosis "
                   "query.")
@click.option("--report", "report", default=None, metavar="FILE.html", type=click.Path(dir_okay=False),
              help="Also write the results as a self-contained HTML report (inline SVG charts, no script, no network).")
@click.option("--key-holders", "key_holders", default=1, show_default=True, type=click.IntRange(1, 16),
              help="1: one key holder with the whole BFV key; N > 1: a key committee of N members (a joint key, "
                   "every message through the gateway, commit-before-upload, bfv-8192; needs --hospitals >= 3).")
@click.option("--threshold", "threshold", default=None, type=click.IntRange(2, 16),
              help="Members of the key committee needed to decrypt (2 <= T <= --key-holders).  [default: all]")
@click.option("--tamper", type=click.Choice(["share"]), default=None,
              help="share: committee member 2 posts a wrong decryption share; nothing is published, the member is "
                   "named, the demo ends 'verified: false' (exit 1). Needs --key-holders.")
@click.option("--universal", is_flag=True,
              help="Prove with the patient schema's universal circuit (one key for every question within its maxima; "
                   "docs/protocol.md); the default question then has no HISTOGRAM (arbitrary edges stay per-shape).")
def demo(address: str | None, hospitals: int, records: int, chunk: int, seed: int, as_json: bool,
         sql: str | None, report: str | None, key_holders: int, threshold: int | None, tamper: str | None,
         universal: bool) -> None:
    """Run a complete verifiable joint study across simulated hospitals over gRPC.

    Hospitals commit and register synthetic patient tables, a requester opens a study asked in
    SQL (by default, per diagnosis for patients aged 40-75: count, mean cholesterol, the
    age-cholesterol correlation, an OLS regression of cholesterol on age, bmi and sex, a histogram
    and the median of systolic blood pressure, a Kaplan-Meier survival curve with the log-rank
    test), every hospital proves and encrypts its contribution, the gateway adds them without
    reading them, the key holder checks and publishes the sums, and a regulator verifies
    everything. The histogram and the survival curves are drawn in the terminal.

    --key-holders N --threshold T: a key committee instead of the single key holder (docs/gateway.md,
    "Key committee"): the members form a joint key through the gateway and sign it into the spec,
    hospitals commit to their ciphertexts' hashes before uploading, each of T members recomputes the
    aggregate from the contributions it fetches and sends a sealed decryption share, the requester
    combines them and publishes only if the commitment equation holds.
    """
    if threshold is not None and (key_holders < 2 or threshold > key_holders):
        raise click.BadParameter(f"needs 2 <= T <= --key-holders ({key_holders})", param_hint="--threshold")
    if tamper == "share" and key_holders < 2:
        raise click.UsageError("--tamper share needs a key committee: --key-holders N (N >= 2)")
    if key_holders > 1 and hospitals < 3:
        raise click.UsageError("a key committee study needs quorum >= 3: --hospitals 3 or more")
    sys.exit(run_demo_command(address, holders=hospitals, records=records, chunk=chunk, seed=seed, as_json=as_json,
                              sql=sql or DEMO_SQL, report=report, key_holders=key_holders, threshold=threshold,
                              tamper=tamper, universal=universal))


@click.group("certs")
def certs_group() -> None:
    """Development certificates for mutual TLS (a CA, the gateway's and each organisation's)."""


@certs_group.command("init")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the CA, server and client certificates to.")
@click.option("--org", "orgs", multiple=True, required=True,
              help="NAME or NAME:ROLE[,ROLE] (roles: participant (default), requester/key-holder, regulator, admin); repeat per organisation.")
@click.option("--server-host", "server_hosts", multiple=True, help="Extra DNS name or IP for the server certificate (localhost, 127.0.0.1 and ::1 are always in).")
@click.option("--days", default=825, show_default=True, type=click.IntRange(1, 3650), help="Validity of the leaf certificates.")
def certs_init(out: str, orgs: tuple[str, ...], server_hosts: tuple[str, ...], days: int) -> None:
    """Make a development CA, a server certificate and one client certificate per organisation,
    and one folder to send each party: OUT/gateway-bundle/ (the gateway's certificate, key and
    the CA certificate) and OUT/bundles/ORG/ (the organisation's certificate, key and the CA
    certificate); each works as --tls-dir as it is.

    Roles are written into each client certificate (SAN URI zkgate-role:ROLE); the organisation is
    its subject O/CN, which must equal the participant name it submits as. Also writes tokens.json
    (bearer tokens for the same identities, for `zkgate serve --tokens` on localhost).
    """
    try:
        paths = init_certs(out, [OrgSpec.parse(o) for o in orgs], server_hosts, days)
    except ZkgateError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in describe_bundles(paths):
        click.echo(line)


COMMANDS = [serve, gateway_group, audit_group, store_group, demo, certs_group]

__all__ = ["COMMANDS"]
