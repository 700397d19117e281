"""Serving the console: localhost by default; beyond it only with browser mutual TLS for regulators.

The console holds a regulator's credentials (its --tls-dir client certificate), so whoever reaches
it reads the gateway as that regulator.  It therefore listens on localhost only, unless it is given
its own server certificate and key **and** a CA for its users' client certificates: then the TLS
handshake requires a client certificate signed by that CA, and :class:`RegulatorGate` admits a
request only when that certificate carries the regulator role (SAN URI ``zkgate-role:regulator``,
as ``zkgate certs init --org NAME:regulator`` issues); anyone else gets 403.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from cryptography import x509

from zkgate.errors import InvalidInputError

from ..identity import identity_from_certificate

#: The ASGI scope key where the server puts the TLS peer's certificate (DER), None without TLS.
PEER_CERT_KEY = "zkgate.peer_cert"
REGULATOR = "regulator"


def _is_localhost(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


@dataclass(frozen=True)
class ConsoleTls:
    """The console's own HTTPS: its certificate and key, and the CA of its users' client certificates."""

    cert_file: str
    key_file: str
    client_ca_file: str


def check_binding(host: str, tls: ConsoleTls | None) -> None:
    """Refuse to listen beyond localhost without browser mutual TLS."""
    if tls is None and not _is_localhost(host):
        raise InvalidInputError(
            f"the console holds a regulator's credentials: it listens on localhost only, unless given "
            f"--server-cert, --server-key and --client-ca (browser mutual TLS, regulator certificates only); "
            f"refusing --host {host}")


def peer_roles(der: bytes | None) -> tuple[str, frozenset[str]]:
    """(organisation, roles) of a client certificate (DER), or ("", {}) without one."""
    if not der:
        return "", frozenset()
    organisation, roles = identity_from_certificate(x509.load_der_x509_certificate(der))
    return organisation, roles


class RegulatorGate:
    """ASGI middleware: with TLS required, admit only client certificates with the regulator role."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            organisation, roles = peer_roles(scope.get(PEER_CERT_KEY))
            if REGULATOR not in roles:
                who = f"{organisation!r} ({', '.join(sorted(roles)) or 'no role'})" if organisation else "no client certificate"
                body = f"403: the console admits only client certificates with the regulator role; got {who}\n".encode()
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _peer_protocol():
    """uvicorn's h11 protocol, passing each connection's TLS peer certificate to the app."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class PeerCertProtocol(H11Protocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            inner = self.app

            async def app(scope, receive, send):
                scope[PEER_CERT_KEY] = der
                await inner(scope, receive, send)

            self.app = app

    return PeerCertProtocol


def make_server(app, host: str, port: int, tls: ConsoleTls | None):
    """A uvicorn server for the app (not started): plain HTTP on localhost, or HTTPS requiring a
    client certificate signed by the users' CA."""
    import uvicorn

    check_binding(host, tls)
    options: dict = {"host": host, "port": port, "log_level": "warning", "http": _peer_protocol(),
                     "lifespan": "off", "server_header": False}
    if tls is not None:
        options.update(ssl_certfile=tls.cert_file, ssl_keyfile=tls.key_file, ssl_ca_certs=tls.client_ca_file,
                       ssl_cert_reqs=ssl.CERT_REQUIRED)
    return uvicorn.Server(uvicorn.Config(app, **options))
