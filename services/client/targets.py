"""Where a client connects: one gateway, or several processes serving the same store.

Several ``zkgate serve --store postgresql://...`` processes serve the same studies; a client
spreads its calls over them with gRPC's own ``round_robin`` load balancing:

* ``HOST:PORT`` - one gateway (gRPC's default ``pick_first``);
* ``HOST:PORT,HOST:PORT,...`` (or a list in Python) - several; each host name is resolved once,
  here, to its addresses, and the channel's target is gRPC's ``ipv4:``/``ipv6:`` list; the TLS
  authority stays the first name given, so certificates are checked against the name;
* ``dns:///NAME:PORT`` - every address the name resolves to (gRPC re-resolves it when a
  connection fails: processes added behind the name are picked up);
* any other gRPC target (``ipv4:...``, ``ipv6:...``, ``unix:...``) as is, balanced round-robin.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from zkgate.errors import InvalidInputError

SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")


@dataclass(frozen=True)
class ChannelTarget:
    target: str  # what grpc.insecure_channel / secure_channel get
    spread: bool  # several backends: round_robin, and idempotent calls retried on another one
    authority: str | None = None  # the name TLS checks (a list of resolved addresses has none of its own)

    def options(self) -> list[tuple[str, object]]:
        opts: list[tuple[str, object]] = []
        if self.spread:
            opts.append(("grpc.lb_policy_name", "round_robin"))
        if self.authority:
            opts.append(("grpc.default_authority", self.authority))
        return opts


def _split(address: str) -> tuple[str, int]:
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInputError(f"gateway address {address.strip()!r}: expected HOST:PORT (e.g. 127.0.0.1:50051)")
    return host.strip("[]"), int(port)


def _addresses(host: str, port: int) -> list[tuple[int, str]]:
    try:
        ip = ipaddress.ip_address(host)
        return [(ip.version, str(ip))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise InvalidInputError(f"gateway address {host}:{port}: cannot resolve {host!r} ({exc})") from None
    found: list[tuple[int, str]] = []
    for family, *_, sockaddr in infos:
        item = (4 if family == socket.AF_INET else 6, sockaddr[0])
        if item not in found:
            found.append(item)
    return found


def channel_target(address: str | Sequence[str]) -> ChannelTarget:
    """The gRPC channel target for ``address`` (see the module documentation)."""
    if isinstance(address, str):
        if address.startswith(SCHEMES):
            return ChannelTarget(address, spread=True)
        parts = [a for a in address.split(",") if a.strip()]
    else:
        parts = [str(a) for a in address]
    if not parts:
        raise InvalidInputError("no gateway address given (HOST:PORT, several separated by commas, or dns:///NAME:PORT)")
    if len(parts) == 1:
        return ChannelTarget(parts[0].strip(), spread=False)
    resolved: list[tuple[int, str, int]] = []
    for part in parts:
        host, port = _split(part)
        found = _addresses(host, port)
        v4 = [a for v, a in found if v == 4]
        resolved += [(4, a, port) for a in v4] if v4 else [(6, a, port) for _, a in found]
    versions = {v for v, _, _ in resolved}
    if len(versions) != 1:
        raise InvalidInputError(f"gateway addresses {','.join(parts)}: mix IPv4 and IPv6 only gateways; "
                                "give addresses of one family, or one dns:///NAME:PORT")
    version = versions.pop()
    listed = ",".join(f"{a}:{p}" if version == 4 else f"[{a}]:{p}" for _, a, p in dict.fromkeys(resolved))
    first = parts[0].strip()
    return ChannelTarget(f"ipv{version}:{listed}", spread=True, authority=first)


__all__ = ["ChannelTarget", "channel_target"]
