"""``zkgate console``: the command (loaded lazily by zkgate/cli.py)."""

from __future__ import annotations

import click

from ..cli.common import DEFAULT_GATEWAY, GatewayTarget, client_for


@click.command("console")
@click.option("--gateway", "address", default=DEFAULT_GATEWAY, show_default=True, envvar="ZKGATE_GATEWAY",
              help="Gateway address HOST:PORT.")
@click.option("--tls-dir", default=None, envvar="ZKGATE_TLS_DIR", type=click.Path(file_okay=False),
              help="Folder from `zkgate certs init` (or a regulator's bundle): connect over mutual TLS with clients/ORG.pem.")
@click.option("--org", default=None, envvar="ZKGATE_ORG", help="The regulator organisation whose client certificate to use (with --tls-dir).")
@click.option("--token", default=None, envvar="ZKGATE_TOKEN", help="Bearer token of a regulator (non-TLS localhost gateways).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; beyond localhost only with --server-cert, --server-key and --client-ca.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="HTTP(S) port of the console.")
@click.option("--server-cert", default=None, type=click.Path(exists=True, dir_okay=False), help="The console's own HTTPS certificate (PEM).")
@click.option("--server-key", default=None, type=click.Path(exists=True, dir_okay=False), help="Its private key (PEM).")
@click.option("--client-ca", default=None, type=click.Path(exists=True, dir_okay=False),
              help="CA of the users' browser certificates; only certificates with the regulator role are admitted.")
@click.option("--log-key", default=None, help="The gateway's audit log key (hex) to pin; default: the key it presents first.")
@click.option("--dev", is_flag=True, help="Accept studies made with development circuit keys (demos and tests only).")
def console(address: str, tls_dir: str | None, org: str | None, token: str | None, host: str, port: int,
            server_cert: str | None, server_key: str | None, client_ca: str | None, log_key: str | None, dev: bool) -> None:
    """Read-only web console for regulators: studies, verdicts, charts and the audit log.

    Serves server-rendered pages (overview, catalog, studies, a page per study, audit log) and the
    same content as JSON under /api/.  Every release verdict is recomputed here from the study's
    public record with zkgate's own verifier (cached per record digest); tree heads, consistency
    and inclusion proofs are checked here.  Listens on localhost unless --server-cert, --server-key
    and --client-ca are all given (browser mutual TLS; regulator certificates only).  No route
    changes anything.  See docs/console.md.
    """
    from zkgate.errors import ZkgateError

    from .app import create_app
    from .server import ConsoleTls, RegulatorGate, make_server
    from .source import ConsoleSource

    given = [server_cert, server_key, client_ca]
    if any(given) and not all(given):
        raise click.UsageError("browser mutual TLS needs all of --server-cert, --server-key and --client-ca")
    tls = ConsoleTls(server_cert, server_key, client_ca) if all(given) else None
    try:
        pinned = bytes.fromhex(log_key) if log_key else None
    except ValueError:
        raise click.BadParameter("a hex Ed25519 public key", param_hint="--log-key") from None
    client = client_for(GatewayTarget(address, tls_dir, org, token))
    source = ConsoleSource(client, dev_mode=dev, log_key=pinned)
    try:
        app = create_app(source, gate=RegulatorGate if tls else None)
        server = make_server(app, host, port, tls)
    except ZkgateError as exc:
        raise click.UsageError(str(exc)) from None
    scheme = "https" if tls else "http"
    click.echo(f"zkgate console for gateway {address} on {scheme}://{host}:{port}/ (read-only; Ctrl-C stops)", err=True)
    try:
        server.run()
    finally:
        client.close()


COMMANDS = [console]
