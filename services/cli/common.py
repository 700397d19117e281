"""What the gateway and role commands share: where a client command connects, its connection
options, and the client it opens (mutual TLS from a ``zkgate certs init`` folder or bundle, a bearer
token, or neither)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..client.gateway_client import GatewayClient
from ..client.tls import ClientTls
from ..identity import org_file_stem

DEFAULT_GATEWAY = "127.0.0.1:50051"


@dataclass(frozen=True)
class GatewayTarget:
    """Where a client command connects, and as whom (mutual TLS or a bearer token)."""

    address: str
    tls_dir: str | None = None
    org: str | None = None
    token: str | None = None


def access_options(command):
    """--tls-dir, --org and --token (with their ZKGATE_* environment variables)."""
    command = click.option("--token", default=None, envvar="ZKGATE_TOKEN", help="Bearer token (non-TLS localhost gateways).")(command)
    command = click.option("--org", default=None, envvar="ZKGATE_ORG", help="Organisation whose client certificate to use (with --tls-dir).")(command)
    command = click.option("--tls-dir", default=None, envvar="ZKGATE_TLS_DIR", type=click.Path(file_okay=False),
                           help="Folder from `zkgate certs init`: speak mutual TLS with clients/ORG.pem.")(command)
    return command


def client_for(target: GatewayTarget | str) -> GatewayClient:
    """A client for the target; a --tls-dir without the organisation's certificate is a usage error."""
    if isinstance(target, str):
        return GatewayClient(target)
    tls = None
    if target.tls_dir:
        if not target.org:
            raise click.UsageError("--tls-dir needs --org: the organisation whose certificate to present")
        clients = Path(target.tls_dir) / "clients"
        if not (clients / f"{org_file_stem(target.org)}.pem").is_file():
            have = sorted(p.stem for p in clients.glob("*.pem")) if clients.is_dir() else []
            raise click.UsageError(
                f"no client certificate for organisation {target.org!r} in {clients} "
                + (f"(it has {', '.join(have)}): --org names the organisation whose certificate to present"
                   if have else "(not a `zkgate certs init` folder or organisation bundle?)"))
        tls = ClientTls.from_dir(target.tls_dir, target.org)
    return GatewayClient(target.address, tls=tls, token=target.token)
