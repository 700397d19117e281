"""Who may call what: caller identities (mutual TLS or bearer tokens), the role policy of every RPC,
and the server interceptor that enforces it.

Roles (from the client certificate's SAN URIs ``zkgate-role:...``, see ``services/parties/certs.py``, or
from a bearer token on a non-TLS localhost gateway):

* **participant** (data holder): registers its own data sets, submits to studies as itself;
* **requester** (key holder): registers circuits, opens studies, closes them, and, for the studies
  it opened and only those, fetches the encrypted aggregate and publishes the release;
* **regulator**: reads the whole record (studies, public records, releases, audit log) and writes
  nothing;
* **admin** (gateway operator): registers circuits, opens and closes studies, reads everything;
  it never acts as a participant and never fetches a study's encrypted aggregate.

Every RPC needs one of the roles in :data:`POLICY` (checked by :class:`AuthInterceptor` before
the servicer runs; a method missing from the table is refused); the checks that depend on the
request's content (a submission's participant, a study's requester) are made by the servicers
through :func:`require_acting_as` and :func:`require_study_requester`.  Refusals are
PERMISSION_DENIED (UNAUTHENTICATED when the caller has no identity) with a readable message.

Without TLS and without tokens the gateway runs in the *open development mode*: localhost only,
every caller is treated as admin and participant at once, and the server says so at start.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509

from zkgate import safejson
from zkgate.errors import InvalidInputError

from ..errors import PermissionDeniedError, UnauthenticatedError
from ..identity import ROLES, identity_from_certificate, normalise_role

IDENTITY_ATTRIBUTE = "_zkgate_identity"
LOCALHOST = ("127.0.0.1", "localhost", "::1", "[::1]")

ANY = frozenset(ROLES)
READERS = ANY
P, R, G, A = "participant", "requester", "regulator", "admin"

# method -> roles that may call it (content checks beyond the role live in the servicers)
POLICY: dict[str, frozenset[str]] = {
    # ProverService
    "/zkgate.v1.ProverService/RegisterCircuit": frozenset({R, A}),
    "/zkgate.v1.ProverService/GetCircuit": READERS,
    "/zkgate.v1.ProverService/ListCircuits": READERS,
    "/zkgate.v1.ProverService/GetVerificationKey": READERS,
    "/zkgate.v1.ProverService/Prove": frozenset({P, R, A}),  # computes on a witness: not for regulators
    "/zkgate.v1.ProverService/Verify": READERS,
    "/zkgate.v1.ProverService/VerifyBatch": READERS,
    # CatalogService
    "/zkgate.v1.CatalogService/RegisterDataset": frozenset({P}),  # as itself (checked in the servicer)
    "/zkgate.v1.CatalogService/GetDataset": READERS,
    "/zkgate.v1.CatalogService/ListDatasets": READERS,
    "/zkgate.v1.CatalogService/PublishSchema": frozenset({R, A}),  # the requester (or consortium admin)
    "/zkgate.v1.CatalogService/GetSchema": READERS,
    "/zkgate.v1.CatalogService/ListSchemas": READERS,
    # StudyService
    "/zkgate.v1.StudyService/GetGatewayInfo": READERS,
    "/zkgate.v1.StudyService/CreateStudy": frozenset({R, A}),
    "/zkgate.v1.StudyService/GetStudy": READERS,
    "/zkgate.v1.StudyService/ListStudies": READERS,
    "/zkgate.v1.StudyService/GetPublicContext": READERS,
    "/zkgate.v1.StudyService/GetProvingKey": READERS,  # public: holders fetch it instead of receiving a file
    "/zkgate.v1.StudyService/Submit": frozenset({P}),  # as itself (checked in the servicer)
    "/zkgate.v1.StudyService/CloseStudy": frozenset({R, A}),  # the study's requester, or an admin
    "/zkgate.v1.StudyService/GetAggregate": frozenset({R}),  # the study's requester only
    "/zkgate.v1.StudyService/PublishRelease": frozenset({R}),  # the study's requester only
    "/zkgate.v1.StudyService/GetRelease": READERS,
    "/zkgate.v1.StudyService/GetPublicRecord": READERS,  # ciphertexts stripped: hashes only
    "/zkgate.v1.StudyService/VerifyStudy": READERS,
    "/zkgate.v1.StudyService/CancelStudy": frozenset({R, A}),  # the study's requester, or an admin
    "/zkgate.v1.StudyService/RegisterUniversalKey": frozenset({R, A}),  # like RegisterCircuit (checked key)
    "/zkgate.v1.StudyService/ListUniversalKeys": READERS,
    "/zkgate.v1.StudyService/GetMyReceipt": frozenset({P}),  # its own receipt only (checked in the servicer)
    # CommitteeService (issue 23): messages are checked against the roster's keys in the servicer; a
    # study's contributions go to its key committee's members only (a signed fetch message)
    "/zkgate.v1.CommitteeService/RegisterCommittee": frozenset({R, A}),
    "/zkgate.v1.CommitteeService/GetCommittee": READERS,
    "/zkgate.v1.CommitteeService/PostCommitteeMessage": ANY,  # signed by a roster member (checked)
    "/zkgate.v1.CommitteeService/GetCommitteeMessages": READERS,  # signed; shares sealed to their recipient
    "/zkgate.v1.CommitteeService/GetContributions": ANY,  # a committee member's signature (checked)
    "/zkgate.v1.CommitteeService/CommitContribution": frozenset({P}),  # as itself (checked in the servicer)
    "/zkgate.v1.CommitteeService/CloseCommitPhase": frozenset({R, A}),  # the study's requester, or an admin
    # AuditService: the record is for everyone to check
    "/zkgate.v1.AuditService/GetTreeHead": READERS,
    "/zkgate.v1.AuditService/GetInclusionProof": READERS,
    "/zkgate.v1.AuditService/GetConsistencyProof": READERS,
    "/zkgate.v1.AuditService/GetEntries": READERS,
}
# health checking and reflection: no identity needed (with mTLS the handshake already needs a certificate)
PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


@dataclass(frozen=True)
class Identity:
    organisation: str
    roles: frozenset[str]
    via: str  # "certificate", "token" or "open"

    @property
    def is_open(self) -> bool:
        return self.via == "open"

    def describe(self) -> str:
        roles = ", ".join(sorted(self.roles)) or "no role"
        return f"{self.organisation!r} ({roles})"


OPEN_IDENTITY = Identity("", frozenset(ROLES), "open")


def is_localhost(host: str) -> bool:
    return host in LOCALHOST


# -- server side ------------------------------------------------------------------------------
class Authenticator:
    """Turns a call's transport (client certificate) or metadata (bearer token) into an Identity."""

    def __init__(self, mode: str, tokens: dict[str, Identity] | None = None) -> None:
        if mode not in ("tls", "token", "open"):
            raise ValueError(f"unknown authentication mode {mode!r}")
        self.mode = mode
        self._tokens = {hashlib.sha256(t.encode()).digest(): ident for t, ident in (tokens or {}).items()}
        self._certs: dict[bytes, Identity] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_tokens_file(cls, path: str | Path) -> Authenticator:
        return cls("token", load_tokens(path))

    def authenticate(self, context) -> Identity:
        if self.mode == "open":
            return OPEN_IDENTITY
        if self.mode == "tls":
            pems = context.auth_context().get("x509_pem_cert") or []
            if not pems:
                raise UnauthenticatedError("no client certificate: this gateway requires mutual TLS")
            return self._certificate_identity(pems[0])
        for key, value in context.invocation_metadata():
            if key == "authorization" and value.startswith("Bearer "):
                identity = self._tokens.get(hashlib.sha256(value[7:].strip().encode()).digest())
                if identity is None:
                    raise UnauthenticatedError("unknown bearer token")
                return identity
        raise UnauthenticatedError("no bearer token: send 'authorization: Bearer TOKEN' (GatewayClient(token=...))")

    def _certificate_identity(self, pem: bytes) -> Identity:
        with self._lock:
            cached = self._certs.get(pem)
        if cached is not None:
            return cached
        organisation, roles = identity_from_certificate(x509.load_pem_x509_certificate(pem))
        identity = Identity(organisation, roles, "certificate")
        with self._lock:
            if len(self._certs) > 4096:
                self._certs.clear()
            self._certs[pem] = identity
        return identity


def load_tokens(path: str | Path) -> dict[str, Identity]:
    """Bearer tokens from JSON: ``{"tokens": [{"token", "organisation", "roles": [...]}, ...]}``."""
    try:
        data = safejson.load_file(path)  # bounded depth/numbers; a FormatError is a ValueError
        tokens = {}
        for item in data["tokens"]:
            roles = frozenset(normalise_role(r) for r in item["roles"])
            tokens[str(item["token"])] = Identity(str(item["organisation"]), roles, "token")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path}: not a tokens file ({exc})") from exc
    return tokens


def _deny(context, code: grpc.StatusCode, message: str):
    context.abort(code, message)


class AuthInterceptor(grpc.ServerInterceptor):
    """Authenticates every call and checks the method's roles before the servicer runs."""

    def __init__(self, authenticator: Authenticator, policy: dict[str, frozenset[str]] = POLICY) -> None:
        self.authenticator = authenticator
        self.policy = policy

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        allowed = self.policy.get(method)
        for kind in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                return handler._replace(**{kind: self._guard(behaviour, method, allowed)})
        return handler

    def _guard(self, behaviour: Callable, method: str, allowed: frozenset[str] | None) -> Callable:
        name = method.rsplit("/", 1)[-1]

        def guarded(request, context):
            try:
                identity = self.authenticator.authenticate(context)
            except UnauthenticatedError as exc:
                _deny(context, grpc.StatusCode.UNAUTHENTICATED, f"{name}: {exc}")
            if allowed is None:
                _deny(context, grpc.StatusCode.PERMISSION_DENIED, f"{name} is not in this gateway's access policy")
            if not identity.roles & allowed:
                _deny(
                    context,
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"{name} needs the role {' or '.join(sorted(allowed))}; the caller is {identity.describe()}",
                )
            setattr(context, IDENTITY_ATTRIBUTE, identity)
            return behaviour(request, context)

        return guarded


def caller(context) -> Identity:
    """The identity the interceptor attached to this call (refused when there is none)."""
    identity = getattr(context, IDENTITY_ATTRIBUTE, None)
    if identity is None:
        raise UnauthenticatedError("the call carries no authenticated identity")
    return identity


def require_acting_as(context, organisation: str, action: str) -> None:
    """A participant acts only as itself (its certificate's organisation)."""
    identity = caller(context)
    if identity.is_open:
        return
    if "participant" not in identity.roles or identity.organisation != organisation:
        raise PermissionDeniedError(
            f"{identity.describe()} may not {action} as {organisation!r}: a participant acts only as itself"
        )


def require_study_requester(context, requester: str, action: str, *, admin_too: bool = False) -> None:
    """Only the requester who opened the study (or, where ``admin_too``, an admin) may do this."""
    identity = caller(context)
    if identity.is_open:
        return
    if admin_too and "admin" in identity.roles:
        return
    if "requester" in identity.roles and requester and identity.organisation == requester:
        return
    who = f"its requester {requester!r}" if requester else "its requester"
    raise PermissionDeniedError(f"{identity.describe()} may not {action}: only {who} may")


def requester_name(context) -> str:
    """The organisation recorded as a new study's requester ('' in the open development mode)."""
    identity = caller(context)
    return "" if identity.is_open else identity.organisation


# -- server credentials -----------------------------------------------------------------------
@dataclass(frozen=True)
class ServerTls:
    """The gateway's certificate and key, and the CA whose client certificates it accepts."""

    cert_pem: bytes
    key_pem: bytes
    client_ca_pem: bytes

    @classmethod
    def from_dir(cls, tls_dir: str | Path) -> ServerTls:
        """From a ``zkgate certs init`` folder: server.pem, server.key, ca.pem."""
        tls_dir = Path(tls_dir)
        missing = [n for n in ("server.pem", "server.key", "ca.pem") if not (tls_dir / n).is_file()]
        if missing:
            raise InvalidInputError(f"{tls_dir} lacks {', '.join(missing)} (make them with `zkgate certs init`)")
        return cls((tls_dir / "server.pem").read_bytes(), (tls_dir / "server.key").read_bytes(),
                   (tls_dir / "ca.pem").read_bytes())

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.key_pem, self.cert_pem)], root_certificates=self.client_ca_pem, require_client_auth=True
        )
