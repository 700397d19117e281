"""Development certificates for mutual TLS: a CA, a server certificate, one client certificate per
organisation (``zkgate certs init``).

Roles travel in the certificate, so the gateway needs no user table: each client certificate
names its organisation in the subject (O and CN) and carries one SAN URI per role,
``zkgate-role:participant``, ``zkgate-role:requester``, ``zkgate-role:regulator`` or
``zkgate-role:admin``.  Keys are ECDSA P-256.  This is a development CA: in production use your
own PKI and issue certificates with the same subject and SAN layout.

Layout of the output folder::

    ca.pem  ca.key                     the CA (keep ca.key offline)
    server.pem  server.key             the gateway's certificate (SANs: localhost, 127.0.0.1, ::1, extra hosts)
    clients/<org>.pem  <org>.key       one per organisation
    tokens.json                        bearer tokens for the same identities (non-TLS localhost development)
    gateway-bundle/                    what the gateway's operator receives: ca.pem, server.pem, server.key
    bundles/<org>/                     what each organisation receives: ca.pem, clients/<org>.pem, .key

A bundle is a ``--tls-dir`` of its own: ``zkgate serve --tls-dir gateway-bundle`` and
``zkgate holder ... --tls-dir bundles/hospital-a`` work as they are, so each party gets exactly
its own key and the CA certificate, never another party's key (nor the CA's).

This module only uses ``cryptography``; it never imports grpc.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from zkgate.errors import InvalidInputError
from zkgate.fileio import PUBLIC_FILE_MODE, SECRET_FILE_MODE, atomic_write

from ..identity import ROLE_URI_PREFIX, check_org_name, normalise_role, org_file_stem

DEFAULT_SERVER_HOSTS = ("localhost", "127.0.0.1", "::1")
TOKENS_FILE = "tokens.json"


@dataclass(frozen=True)
class OrgSpec:
    """An organisation and its roles, parsed from ``NAME`` or ``NAME:ROLE[,ROLE...]``."""

    name: str
    roles: tuple[str, ...] = ("participant",)

    @classmethod
    def parse(cls, text: str) -> OrgSpec:
        name, _, roles_text = text.partition(":")
        name = name.strip()
        roles = tuple(normalise_role(r) for r in roles_text.split(",") if r.strip()) if roles_text else ("participant",)
        check_org_name(name)
        if not roles:
            raise InvalidInputError(f"--org {text!r}: give at least one role after the colon")
        return cls(name, tuple(dict.fromkeys(roles)))


@dataclass
class CertPaths:
    out: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    clients: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    tokens: Path | None = None
    gateway_bundle: Path | None = None  # send to the gateway's operator
    bundles: dict[str, Path] = field(default_factory=dict)  # organisation -> the folder to send it


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _builder(subject: x509.Name, issuer: x509.Name, public_key, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def make_ca(name: str = "zkgate development CA", days: int = 3650):
    """A self-signed CA: (private key, certificate)."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zkgate")])
    cert = (
        _builder(subject, subject, key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(ca_key, ca_cert: x509.Certificate, subject: x509.Name, san: list, usage, days: int):
    key = _key()
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def make_server_cert(ca_key, ca_cert, hosts=DEFAULT_SERVER_HOSTS, days: int = 825):
    san: list = []
    for host in dict.fromkeys(hosts):
        try:
            san.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            san.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zkgate gateway"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zkgate")])
    return _leaf(ca_key, ca_cert, subject, san, ExtendedKeyUsageOID.SERVER_AUTH, days)


def make_client_cert(ca_key, ca_cert, org: OrgSpec, days: int = 825):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, org.name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name)])
    san = [x509.UniformResourceIdentifier(ROLE_URI_PREFIX + role) for role in org.roles]
    return _leaf(ca_key, ca_cert, subject, san, ExtendedKeyUsageOID.CLIENT_AUTH, days)


def init_certs(out: str | os.PathLike, orgs: list[OrgSpec], server_hosts=DEFAULT_SERVER_HOSTS,
               days: int = 825) -> CertPaths:
    """Write a development CA, a server certificate and one client certificate per organisation."""
    out = Path(out)
    (out / "clients").mkdir(parents=True, exist_ok=True)
    stems = [org_file_stem(o.name) for o in orgs]
    if len(set(stems)) != len(stems):
        raise InvalidInputError("two organisations map to the same file name; give distinct names")
    ca_key, ca_cert = make_ca()
    paths = CertPaths(out, out / "ca.pem", out / "ca.key", out / "server.pem", out / "server.key")
    atomic_write(paths.ca_cert, _cert_pem(ca_cert), mode=PUBLIC_FILE_MODE)
    atomic_write(paths.ca_key, _key_pem(ca_key), mode=SECRET_FILE_MODE)
    server_key, server_cert = make_server_cert(ca_key, ca_cert, (*DEFAULT_SERVER_HOSTS, *server_hosts), days)
    atomic_write(paths.server_cert, _cert_pem(server_cert), mode=PUBLIC_FILE_MODE)
    atomic_write(paths.server_key, _key_pem(server_key), mode=SECRET_FILE_MODE)
    tokens = []
    for org, stem in zip(orgs, stems):
        key, cert = make_client_cert(ca_key, ca_cert, org, days)
        cert_path, key_path = out / "clients" / f"{stem}.pem", out / "clients" / f"{stem}.key"
        atomic_write(cert_path, _cert_pem(cert), mode=PUBLIC_FILE_MODE)
        atomic_write(key_path, _key_pem(key), mode=SECRET_FILE_MODE)
        paths.clients[org.name] = (cert_path, key_path)
        tokens.append({"token": secrets.token_urlsafe(32), "organisation": org.name, "roles": list(org.roles)})
    paths.tokens = out / TOKENS_FILE
    atomic_write(paths.tokens, json.dumps({"tokens": tokens}, indent=2).encode(), mode=SECRET_FILE_MODE)
    write_bundles(paths, {o.name: o for o in orgs})
    return paths


def _bundle_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_bundles(paths: CertPaths, orgs: dict[str, OrgSpec]) -> None:
    """One folder per party to send it: the gateway's (server certificate and key, the CA
    certificate) and each organisation's (its certificate and key, the CA certificate), each
    usable as ``--tls-dir``, with a README.txt saying what it is and how to use it."""
    ca = paths.ca_cert.read_bytes()
    gateway = _bundle_folder(paths.out / "gateway-bundle")
    atomic_write(gateway / "ca.pem", ca, mode=PUBLIC_FILE_MODE)
    atomic_write(gateway / "server.pem", paths.server_cert.read_bytes(), mode=PUBLIC_FILE_MODE)
    atomic_write(gateway / "server.key", paths.server_key.read_bytes(), mode=SECRET_FILE_MODE)
    atomic_write(gateway / "README.txt", (
        "For the gateway's operator: the gateway's TLS certificate and key, and the CA whose client\n"
        "certificates it accepts.\n\n"
        f"    zkgate serve --data-dir DATA --host 0.0.0.0 --tls-dir {gateway.name}\n\n"
        "Keep server.key private (0600).  zkgate serve prints its audit log key at start: give it to\n"
        "auditors (zkgate audit verify --log-key ...).\n").encode(), mode=PUBLIC_FILE_MODE)
    paths.gateway_bundle = gateway
    for name, (cert, key) in paths.clients.items():
        stem = org_file_stem(name)
        folder = _bundle_folder(paths.out / "bundles" / stem)
        _bundle_folder(folder / "clients")
        atomic_write(folder / "ca.pem", ca, mode=PUBLIC_FILE_MODE)
        atomic_write(folder / "clients" / f"{stem}.pem", cert.read_bytes(), mode=PUBLIC_FILE_MODE)
        atomic_write(folder / "clients" / f"{stem}.key", key.read_bytes(), mode=SECRET_FILE_MODE)
        roles = ", ".join(orgs[name].roles) if name in orgs else "participant"
        atomic_write(folder / "README.txt", (
            f"For {name} (roles: {roles}): its client certificate and key, and the CA certificate that\n"
            "signed the gateway's certificate.  Keep the .key private (0600).  Use this folder as --tls-dir:\n\n"
            f"    zkgate holder ... --tls-dir {stem} --gateway GATEWAY_HOST:PORT\n"
            f"    zkgate gateway --tls-dir {stem} --org {name} --gateway GATEWAY_HOST:PORT studies\n").encode(), mode=PUBLIC_FILE_MODE)
        paths.bundles[name] = folder


def describe_bundles(paths: CertPaths) -> list[str]:
    """Which folder to send to whom (what `zkgate certs init` prints)."""
    lines = [f"CA: {paths.ca_cert} (its key {paths.ca_key} stays here, offline; never send it)"]
    if paths.gateway_bundle is not None:
        lines.append(f"send {paths.gateway_bundle}/ to the gateway's operator  ->  zkgate serve --tls-dir "
                     f"{paths.gateway_bundle.name} ...")
    for name, folder in paths.bundles.items():
        lines.append(f"send {folder}/ to {name}  ->  --tls-dir {folder.name} --org {name}")
    if paths.tokens is not None:
        lines.append(f"tokens: {paths.tokens} (bearer tokens for `zkgate serve --tokens` on localhost only; keep it here)")
    return lines
