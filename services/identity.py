"""Who a caller is: the gateway's roles, organisation names and the identity a client certificate
carries (subject O or CN, one SAN URI ``zkgate-role:ROLE`` per role).

Shared by the gateway (which enforces roles), the client (which finds an organisation's files in a
``zkgate certs init`` folder) and the parties (which issue development certificates).  It imports
``cryptography`` only, never grpc.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from zkgate.errors import InvalidInputError

ROLES = ("participant", "requester", "regulator", "admin")
ROLE_ALIASES = {"key-holder": "requester", "keyholder": "requester", "key_holder": "requester", "auditor": "regulator"}
ROLE_URI_PREFIX = "zkgate-role:"


def normalise_role(text: str) -> str:
    role = ROLE_ALIASES.get(text.strip().lower(), text.strip().lower())
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {text!r}: use one of {', '.join(ROLES)} (key-holder means requester)")
    return role


def check_org_name(name: str) -> str:
    if not name or len(name.encode()) > 64 or not name.isprintable() or ":" in name or "," in name:
        raise InvalidInputError(
            f"organisation name {name!r} must be 1..64 bytes of printable text without ':' or ','"
        )
    return name


def org_file_stem(name: str) -> str:
    """A file name for an organisation (its certificate and key under clients/)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def identity_from_certificate(cert: x509.Certificate) -> tuple[str, frozenset[str]]:
    """(organisation, roles) a client certificate carries: subject O (else CN), SAN role URIs."""
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) or \
        cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    organisation = str(names[0].value) if names else ""
    roles: set[str] = set()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        for uri in san.get_values_for_type(x509.UniformResourceIdentifier):
            if uri.startswith(ROLE_URI_PREFIX) and uri[len(ROLE_URI_PREFIX):] in ROLES:
                roles.add(uri[len(ROLE_URI_PREFIX):])
    return organisation, frozenset(roles)
