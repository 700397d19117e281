"""Gateway call failures as one message a person can act on (every client command uses it).

gRPC reports every connection failure as UNAVAILABLE, whatever its cause; its details string
(from grpc core and BoringSSL) tells them apart, so the message can say what actually happened
and what to do:

============================================  =========================================================
details contain                                cause
============================================  =========================================================
``Connection refused``                         nothing listens at HOST:PORT (gateway not running, wrong port)
``resolving`` / ``lookup``                     the host name does not resolve
``CERTIFICATE_VERIFY_FAILED``                  TLS: the gateway's certificate is not from our ``ca.pem``
``Hostname Verification``                      TLS: the gateway's certificate does not name this host
``WRONG_VERSION_NUMBER``                       TLS client, plaintext gateway
``Socket closed`` (TLS client)                 the gateway ended the handshake: it refused our certificate
``Socket closed`` (plaintext client)           the gateway ended the connection: it speaks (mutual) TLS
============================================  =========================================================

With a TLS client the certificate files are checked locally as well (issued by the folder's
``ca.pem``? expired?), so a refusal names the file and the reason.  The strings were taken from
real failures (``tests/workflow/test_connection_errors.py`` provokes each one with certificates
from ``zkgate certs init``).

"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from cryptography import x509

from zkgate.errors import ZkgateError

from ..identity import org_file_stem
from .gateway_client import GatewayCallError

#: Hints for refusals that are not connection failures.
HINTS = {
    "PERMISSION_DENIED": "check --org, --tls-dir or --token: who the gateway takes you for",
    "UNAUTHENTICATED": "give --tls-dir and --org, or --token, as the gateway expects",
    "DEADLINE_EXCEEDED": "the gateway took too long; retry (a repeated submit sends the same submission)",
}

RUNNING_HINT = "is `zkgate serve` running there? (--gateway HOST:PORT, or ZKGATE_GATEWAY)"


@dataclass
class CallTarget:
    """Where a command connected and as whom (what a message about a failed call needs).
    Commands fill it in as they learn it (a holder's organisation comes from its home)."""

    address: str | None = None
    tls_dir: str | None = None
    org: str | None = None

    @classmethod
    def of(cls, target) -> CallTarget:
        """From a GatewayTarget, an address string or None."""
        if target is None or isinstance(target, str):
            return cls(target)
        return cls(getattr(target, "address", None), getattr(target, "tls_dir", None), getattr(target, "org", None))

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls_dir)

    def certificate_files(self) -> tuple[Path, Path, Path] | None:
        """(ca.pem, the organisation's certificate, its key) under --tls-dir, or None."""
        if not self.tls_dir or not self.org:
            return None

        folder = Path(self.tls_dir)
        stem = org_file_stem(self.org)
        return folder / "ca.pem", folder / "clients" / f"{stem}.pem", folder / "clients" / f"{stem}.key"


def certificate_problem(target: CallTarget) -> str | None:
    """What is wrong with the client certificate under --tls-dir, checked locally (None if nothing
    found): missing, not issued by the folder's ca.pem, expired or not yet valid."""
    files = target.certificate_files()
    if files is None:
        return None
    ca_path, cert_path, _ = files
    try:
        ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except OSError as exc:
        return f"{exc.filename}: {exc.strerror}"
    except ValueError as exc:
        return f"{cert_path} or {ca_path} is not a PEM certificate ({exc})"
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:  # noqa: BLE001 - any failure means: not issued by this CA
        return (f"{cert_path} was not issued by the CA in {ca_path} (it comes from another `zkgate certs init` "
                "folder or another PKI)")
    now = datetime.datetime.now(datetime.UTC)
    if cert.not_valid_after_utc < now:
        return f"{cert_path} expired on {cert.not_valid_after_utc:%Y-%m-%d}"
    if cert.not_valid_before_utc > now:
        return f"{cert_path} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (check this machine's clock)"
    return None


def connection_problem(details: str, target: CallTarget) -> str:
    """Why an UNAVAILABLE call failed, and what to do (from grpc's details string)."""
    where = f"the gateway at {target.address}" if target.address else "the gateway"
    files = target.certificate_files()
    tls_dir = target.tls_dir
    if "Connection refused" in details:
        return (f"cannot reach {where}: nothing is listening there (connection refused): is `zkgate serve` running "
                "on that host and port? (--gateway HOST:PORT, or ZKGATE_GATEWAY)")
    if "resolving" in details or "lookup" in details or "Domain name not found" in details:
        return f"cannot reach {where}: the host name does not resolve; check --gateway HOST:PORT (or ZKGATE_GATEWAY)"
    if "Hostname Verification" in details or "server name" in details:
        return (f"refused {where}'s TLS certificate: it does not name the host in --gateway; connect by a name the "
                "gateway's certificate lists (localhost, 127.0.0.1, or what `zkgate certs init --server-host` added)")
    if "CERTIFICATE_VERIFY_FAILED" in details or "certificate verify failed" in details:
        ca = files[0] if files else f"{tls_dir}/ca.pem"
        return (f"refused {where}'s TLS certificate: it was not issued by the CA in {ca} -- this client's --tls-dir "
                "comes from another `zkgate certs init` folder than the gateway's; use the bundle the gateway's "
                "operator sent for your organisation")
    if "WRONG_VERSION_NUMBER" in details and target.uses_tls:
        return (f"{where} does not speak TLS (it runs without --tls-dir): drop --tls-dir/--org (and use --token if it "
                "runs with --tokens), or ask its operator to start it with --tls-dir")
    if "Socket closed" in details or "Connection reset" in details or "handshake" in details.lower():
        if target.uses_tls:
            local = certificate_problem(target)
            cert = files[1] if files else f"the certificate under {tls_dir}"
            why = f": {local}" if local else (f" ({cert} is valid and issued by its folder's ca.pem, so the gateway "
                                             "trusts another CA: it runs with another `zkgate certs init` folder)")
            return (f"{where} refused this client's TLS certificate {cert} during the handshake{why}; use the "
                    "certificate bundle made for your organisation by the same `zkgate certs init` as the gateway's")
        return (f"{where} closed the connection: it requires mutual TLS (started with --tls-dir); give --tls-dir "
                "BUNDLE --org NAME with your organisation's bundle from `zkgate certs init`")
    if "Deadline" in details or "timed out" in details.lower():
        return f"no answer from {where} in time (wrong host, a firewall, or an overloaded gateway): {RUNNING_HINT}"
    return f"cannot reach {where} ({details or 'unavailable'}): {RUNNING_HINT}"


def describe_call_error(exc, target=None) -> str:
    """A gateway refusal or connection failure as one line: what happened, and what to do.
    ``target`` is a :class:`CallTarget`, a GatewayTarget or an address string."""
    target = target if isinstance(target, CallTarget) else CallTarget.of(target)
    code = exc.code.name
    if code == "UNAVAILABLE":
        return connection_problem(exc.details or "", target)
    where = f" at {target.address}" if target.address else ""
    hint = f" -- {HINTS[code]}" if code in HINTS else ""
    files = target.certificate_files()
    if files is not None and code in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
        hint += f" (this client presented {files[1]}, organisation {target.org!r})"
    return f"the gateway{where} refused ({code}): {exc.details}{hint}"


def is_connection_failure(exc) -> bool:
    """The call never reached the gateway's services (nothing was checked or done)."""
    return exc.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED")


@contextmanager
def reported(target=None):
    """zkgate errors, gateway refusals and file errors become one-line messages (exit 1).

    Yields the :class:`CallTarget` the messages use; a command that learns more (a holder's
    organisation from its home) sets its fields."""
    where = target if isinstance(target, CallTarget) else CallTarget.of(target)
    try:
        yield where
    except GatewayCallError as exc:
        raise click.ClickException(describe_call_error(exc, where)) from exc
    except ZkgateError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        name = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{name}{exc.strerror or exc}") from exc


__all__ = ["CallTarget", "HINTS", "certificate_problem", "connection_problem", "describe_call_error",
           "is_connection_failure", "reported"]
