#!/usr/bin/env python3
"""Which TLS 1.3 key-exchange group do grpcio's server and client (their bundled BoringSSL) use?

Usage: python scripts/tls_groups_probe.py   (results in docs/gateway.md, "Post-quantum TLS key exchange")

Starts a grpc server with TLS on localhost and sends hand-made TLS 1.3 ClientHellos offering
X25519MLKEM768 (0x11EC), X25519 (0x001D) and P-256 (0x0017) in several combinations; prints the
group in the server's ServerHello / HelloRetryRequest, or the alert it answers with; then captures the ClientHello of a grpcio client and lists the
groups and key shares it offers."""
import datetime
import os
import socket
import struct
import threading
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.x509.oid import NameOID

GROUPS = {0x11EC: "X25519MLKEM768", 0x001D: "X25519", 0x0017: "P-256", 0x0018: "P-384"}
HRR = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")


def certificate():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            cert.public_bytes(serialization.Encoding.PEM))


def share(group):
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    if group == 0x001D:
        return x25519.X25519PrivateKey.generate().public_key().public_bytes(*raw)
    if group == 0x0017:
        return ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if group == 0x11EC:  # ML-KEM-768 encapsulation key || X25519 share
        return (MLKEM768PrivateKey.generate().public_key().public_bytes(*raw)
                + x25519.X25519PrivateKey.generate().public_key().public_bytes(*raw))
    raise ValueError(group)


def ext(kind, body):
    return struct.pack(">HH", kind, len(body)) + body


def client_hello(groups, shares):
    exts = ext(0x002B, b"\x02\x03\x04")  # supported_versions: TLS 1.3
    exts += ext(0x000A, struct.pack(">H", 2 * len(groups)) + b"".join(struct.pack(">H", g) for g in groups))
    sigs = [0x0403, 0x0804, 0x0805, 0x0401, 0x0807]
    exts += ext(0x000D, struct.pack(">H", 2 * len(sigs)) + b"".join(struct.pack(">H", s) for s in sigs))
    ks = b"".join(struct.pack(">HH", g, len(k)) + k for g, k in ((g, share(g)) for g in shares))
    exts += ext(0x0033, struct.pack(">H", len(ks)) + ks)
    exts += ext(0x0010, b"\x00\x03\x02h2")  # ALPN h2 (gRPC)
    host = b"localhost"
    exts += ext(0x0000, struct.pack(">HBH", len(host) + 3, 0, len(host)) + host)
    body = b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32) + b"\x00\x06\x13\x01\x13\x02\x13\x03" + b"\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def answer(port, groups, shares):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(client_hello(groups, shares))
        head = s.recv(5, socket.MSG_WAITALL)
        if len(head) < 5:
            return "connection closed"
        ctype, _, length = head[0], head[1:3], struct.unpack(">H", head[3:5])[0]
        data = s.recv(length, socket.MSG_WAITALL)
    if ctype == 0x15:
        return f"alert {data[1]}"
    if ctype != 0x16 or data[0] != 0x02:
        return f"record type {ctype}"
    body = data[4:]
    random, pos = body[2:34], 34
    pos += 1 + body[pos] + 3  # session id, cipher suite, compression
    ext_len = struct.unpack(">H", body[pos:pos + 2])[0]
    pos += 2
    end = pos + ext_len
    group = None
    while pos < end:
        kind, n = struct.unpack(">HH", body[pos:pos + 4])
        pos += 4
        if kind == 0x0033:
            group = struct.unpack(">H", body[pos:pos + 2])[0]
        pos += n
    what = "HelloRetryRequest asking for" if random == HRR else "ServerHello with"
    return f"{what} {GROUPS.get(group, hex(group or 0))}"


def main():
    key, cert = certificate()
    server = grpc.server(futures.ThreadPoolExecutor(2))
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key, cert)]))
    server.start()
    print(f"grpcio {grpc.__version__}")
    cases = [
        ("offers X25519MLKEM768 first, X25519, P-256 (shares for all)", [0x11EC, 0x001D, 0x0017], [0x11EC, 0x001D, 0x0017]),
        ("offers X25519MLKEM768 only", [0x11EC], [0x11EC]),
        ("offers X25519MLKEM768, X25519 (share for X25519 only)", [0x11EC, 0x001D], [0x001D]),
        ("offers X25519, P-256", [0x001D, 0x0017], [0x001D]),
    ]
    for name, groups, shares in cases:
        print(f"  client {name}: {answer(port, groups, shares)}")
    server.stop(0)


def client_offer():
    """What a grpcio client (zkgate's GatewayClient uses grpc.secure_channel) offers: capture its ClientHello."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    got = {}

    def accept():
        conn, _ = listener.accept()
        head = conn.recv(5, socket.MSG_WAITALL)
        got["hello"] = conn.recv(struct.unpack(">H", head[3:5])[0], socket.MSG_WAITALL)
        conn.close()

    t = threading.Thread(target=accept)
    t.start()
    channel = grpc.secure_channel(f"localhost:{port}", grpc.ssl_channel_credentials())
    try:
        grpc.channel_ready_future(channel).result(timeout=3)
    except grpc.FutureTimeoutError:
        pass
    channel.close()
    t.join(5)
    listener.close()
    body = got["hello"][4:]
    pos = 34
    pos += 1 + body[pos]
    pos += 2 + struct.unpack(">H", body[pos:pos + 2])[0]
    pos += 1 + body[pos]
    end = pos + 2 + struct.unpack(">H", body[pos:pos + 2])[0]
    pos += 2
    groups, shares = [], []
    while pos < end:
        kind, n = struct.unpack(">HH", body[pos:pos + 4])
        pos += 4
        data = body[pos:pos + n]
        if kind == 0x000A:
            groups = [struct.unpack(">H", data[i:i + 2])[0] for i in range(2, len(data), 2)]
        if kind == 0x0033:
            i = 2
            while i < len(data):
                g, ln = struct.unpack(">HH", data[i:i + 4])
                shares.append(g)
                i += 4 + ln
        pos += n
    names = [GROUPS.get(g, hex(g)) for g in groups]
    print(f"  a grpcio client offers groups {names}, key shares {[GROUPS.get(g, hex(g)) for g in shares]}")


if __name__ == "__main__":
    main()
    client_offer()
