"""The client's credentials: mutual TLS with an organisation's certificate, or a bearer token on a
non-TLS localhost development gateway (``zkgate certs init`` makes both)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from ..identity import org_file_stem


@dataclass(frozen=True)
class ClientTls:
    """What a client needs for mutual TLS: the CA that signed the gateway, its own certificate and key."""

    ca_pem: bytes
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    server_name: str | None = None  # override the name checked against the server certificate

    @classmethod
    def from_files(cls, ca: str | Path, cert: str | Path | None = None, key: str | Path | None = None,
                   server_name: str | None = None) -> ClientTls:
        return cls(Path(ca).read_bytes(), Path(cert).read_bytes() if cert else None,
                   Path(key).read_bytes() if key else None, server_name)

    @classmethod
    def from_dir(cls, tls_dir: str | Path, organisation: str, server_name: str | None = None) -> ClientTls:
        """From a ``zkgate certs init`` folder: ca.pem and clients/<organisation>.pem/.key."""
        tls_dir = Path(tls_dir)
        stem = org_file_stem(organisation)
        return cls.from_files(tls_dir / "ca.pem", tls_dir / "clients" / f"{stem}.pem",
                              tls_dir / "clients" / f"{stem}.key", server_name)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(self.ca_pem, self.key_pem, self.cert_pem)



class _Details(grpc.ClientCallDetails):
    def __init__(self, details, metadata) -> None:
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


class BearerTokenInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer TOKEN`` to every call (non-TLS localhost development)."""

    def __init__(self, token: str) -> None:
        self.header = ("authorization", f"Bearer {token}")

    def _details(self, details):
        return _Details(details, [*(details.metadata or ()), self.header])

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)
