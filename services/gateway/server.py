"""The zkgate gateway server: servicers, health checking, reflection, limits, graceful stop.

Handlers run on a worker thread pool, never on the thread that accepts connections, so proof
verification and HE work do not stall other clients.  ``maximum_concurrent_rpcs`` bounds the
RPCs in flight (the rest are refused with RESOURCE_EXHAUSTED); large payloads travel in chunks
below ``max_message_bytes``.  Stopping flips health to NOT_SERVING before the grace period.

Access: with ``tls`` the gateway requires client certificates from its CA (mutual TLS) and takes
each caller's organisation and roles from its certificate; with ``tokens_file`` (non-TLS,
localhost only) from a bearer token; with neither it runs in the open development mode (localhost
only, no authentication).  Every RPC is checked against ``zkgate.services.gateway.security.POLICY``.

Transport guards (``zkgate.services.gateway.transport``): request bytes that do not decode are
INVALID_ARGUMENT; a client stream silent for ``stream_idle_seconds`` is DEADLINE_EXCEEDED; at most
``max_upload_streams`` client streams run at once (default: two fewer than the workers), so health
checks always find a worker.  The port is bound exclusively (no SO_REUSEPORT: a second gateway on
a port in use is refused), and a SQLite data folder is locked (``gateway.lock`` with the pid) for
as long as the gateway runs.
"""

from __future__ import annotations

import logging
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from zkgate.errors import FormatError, ZkgateError

from ..errors import PreconditionError
from ..v1 import (
    audit_pb2,
    audit_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    committee_pb2,
    committee_pb2_grpc,
    prover_pb2,
    prover_pb2_grpc,
    study_pb2,
    study_pb2_grpc,
)
from .datadir_lock import DataDirLock
from .metrics import GatewayMetrics, RpcObserver
from .security import Authenticator, AuthInterceptor, ServerTls, is_localhost
from .servicers.audit import LOG_KEY_FILE, AuditServicer, load_or_create_signer
from .servicers.catalog import CatalogServicer
from .servicers.committee import CommitteeServicer
from .servicers.prover import ProverServicer
from .servicers.study import GATEWAY_KEY_FILE, StudyServicer, load_or_create_gateway_key
from .shared_keys import key_mismatch
from .store import Store, open_store
from .transport import DEFAULT_STREAM_IDLE_SECONDS, TransportInterceptor, TransportLimits
from .uploads import UploadLimits

log = logging.getLogger("zkgate.services")

SERVICE_NAMES = (
    prover_pb2.DESCRIPTOR.services_by_name["ProverService"].full_name,
    audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
    committee_pb2.DESCRIPTOR.services_by_name["CommitteeService"].full_name,
    study_pb2.DESCRIPTOR.services_by_name["StudyService"].full_name,
)


@dataclass(frozen=True)
class ServerConfig:
    data_dir: str
    host: str = "127.0.0.1"
    port: int = 50051  # 0 picks a free port
    workers: int = 8
    max_concurrent_rpcs: int = 64
    max_message_bytes: int = 8 << 20
    limits: UploadLimits = UploadLimits()
    dev_mode: bool = False  # accept development circuit keys (demos and tests only)
    tls: ServerTls | None = None  # mutual TLS: client certificates required, roles from them
    tokens_file: str | None = None  # bearer tokens (non-TLS localhost development)
    allow_insecure_remote: bool = False  # listen without TLS beyond localhost (trusted networks only)
    store_url: str | None = None  # postgresql://... (default: SQLite in data_dir)
    stream_idle_seconds: float = DEFAULT_STREAM_IDLE_SECONDS  # longest silence inside a client stream
    max_upload_streams: int | None = None  # client streams at once (default: workers - 2, at least 1)
    metrics_port: int | None = None  # Prometheus /metrics over HTTP (None: no endpoint; 0 picks a free port)
    metrics_host: str = "127.0.0.1"  # where the metrics endpoint listens (localhost unless told otherwise)
    require_pq: bool = False  # refuse anything without a valid ML-DSA-65 signature (classical Ed25519-only objects)

    @property
    def transport_limits(self) -> TransportLimits:
        if self.max_upload_streams is None:
            return TransportLimits.for_workers(self.workers, self.stream_idle_seconds)
        return TransportLimits(self.stream_idle_seconds, self.max_upload_streams)

    @property
    def auth_mode(self) -> str:
        return "tls" if self.tls is not None else "token" if self.tokens_file else "open"


class Gateway:
    """A running gateway; ``address`` is where clients connect."""

    def __init__(self, config: ServerConfig, store: Store | None = None) -> None:
        self.config = config
        if config.tls is None and not is_localhost(config.host) and not config.allow_insecure_remote:
            raise PreconditionError(
                f"refusing to serve without TLS on {config.host}: give a TLS folder (zkgate certs init, "
                "--tls-dir) or listen on 127.0.0.1 (or pass allow_insecure_remote / --insecure-allow-remote "
                "on a trusted network)"
            )
        if config.auth_mode == "token":
            self.authenticator = Authenticator.from_tokens_file(config.tokens_file)
        else:
            self.authenticator = Authenticator(config.auth_mode)
        transport_limits = config.transport_limits
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
        # one gateway per SQLite folder (several may share one PostgreSQL store)
        self._dir_lock = DataDirLock(config.data_dir).acquire() if config.store_url is None and store is None else None
        try:
            self._build(config, store, transport_limits)
        except BaseException:
            self._release_dir_lock()
            raise

    def _build(self, config: ServerConfig, store: Store | None, transport_limits: TransportLimits) -> None:
        self.signer = _load_key_file(config.data_dir, LOG_KEY_FILE, "the audit log's signing key", load_or_create_signer)
        self.gateway_key = _load_key_file(config.data_dir, GATEWAY_KEY_FILE, "the gateway's study signing key",
                                          load_or_create_gateway_key)
        if config.require_pq:
            classical = [what for what, key in (("the audit log's signing key (" + LOG_KEY_FILE + ")", self.signer.key),
                                                ("the study signing key (" + GATEWAY_KEY_FILE + ")", self.gateway_key))
                         if not key.hybrid]
            if classical:
                raise PreconditionError(
                    f"--require-pq: {' and '.join(classical)} in {config.data_dir} is a classical Ed25519-only key "
                    "(made before hybrid signatures); serve this data directory without --require-pq")
        self.store = store or open_store(config.data_dir, config.store_url)
        self.metrics = GatewayMetrics(self.store) if config.metrics_port is not None else None
        self.metrics_port: int | None = None
        options = [
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),  # a port in use is refused, never shared with another gateway
        ]
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="zkgate-rpc"),
            options=options,
            maximum_concurrent_rpcs=config.max_concurrent_rpcs,
            # metrics and access log around everything (refusals counted too), then the role check,
            # then the transport guards (decoding, read deadline, upload slots)
            interceptors=[RpcObserver(self.metrics), AuthInterceptor(self.authenticator),
                          TransportInterceptor(transport_limits)],
        )
        prover_pb2_grpc.add_ProverServiceServicer_to_server(ProverServicer(self.store, config.limits, config.dev_mode), self.server)
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(self.store, self.signer), self.server)
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(self.store, require_pq=config.require_pq),
                                                              self.server)
        study_servicer = StudyServicer(self.store, config.limits, self.gateway_key, self.signer.public_key_bytes,
                                       config.dev_mode, max_message_bytes=config.max_message_bytes,
                                       transport=transport_limits, require_pq=config.require_pq)
        if self.metrics is not None:
            study_servicer.batcher.metrics = self.metrics  # batch proof verification and group commit times
        study_pb2_grpc.add_StudyServiceServicer_to_server(study_servicer, self.server)
        committee_pb2_grpc.add_CommitteeServiceServicer_to_server(CommitteeServicer(self.store), self.server)
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server
        )
        bind = f"[{config.host}]:{config.port}" if ":" in config.host else f"{config.host}:{config.port}"
        try:
            if config.tls is not None:
                self.port = self.server.add_secure_port(bind, config.tls.server_credentials())
            else:
                self.port = self.server.add_insecure_port(bind)
        except RuntimeError:  # grpc: "Failed to bind to address ..."
            self.port = 0
        if self.port == 0:
            self.store.close()
            raise PreconditionError(
                f"cannot listen on {config.host}:{config.port}: the port is in use (another zkgate gateway or "
                "another program) or not available on this host; stop that program or choose another --port"
            )
        if self.metrics is not None:
            try:
                self.metrics_port = self.metrics.serve_http(config.metrics_host, config.metrics_port)
            except BaseException:
                self.server.stop(None)
                self.store.close()
                raise

    @property
    def address(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"{host}:{self.port}"

    def start(self) -> Gateway:
        self.server.start()
        for name in ("", *SERVICE_NAMES):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("zkgate gateway serving on %s (data in %s)", self.address, self.config.data_dir)
        log.log(logging.INFO if self.config.tls else logging.WARNING, "%s", self.security_summary())
        if self.metrics_address is not None:
            log.info("Prometheus metrics on http://%s/metrics", self.metrics_address)
        if self.config.store_url is not None:  # processes sharing one database must share their keys
            mismatch = key_mismatch(self.store, self.signer.public_key_bytes, self.gateway_key.public)
            if mismatch:
                log.warning("%s", mismatch)
        return self

    @property
    def metrics_address(self) -> str | None:
        """HOST:PORT of the Prometheus endpoint (``/metrics``), or None without --metrics-port."""
        if self.metrics_port is None:
            return None
        host = self.config.metrics_host
        return f"[{host}]:{self.metrics_port}" if ":" in host else f"{host}:{self.metrics_port}"

    def security_summary(self) -> str:
        mode = self.config.auth_mode
        if mode == "tls":
            return "mutual TLS: client certificates from the configured CA required; roles from the certificates"
        where = "on localhost" if is_localhost(self.config.host) else f"on {self.config.host} (NOT localhost)"
        if mode == "token":
            return f"INSECURE transport {where}: no TLS; callers identified by bearer tokens sent in the clear"
        return (f"INSECURE development mode {where}: no TLS and no authentication, every caller may do "
                "everything; use --tls-dir for anything but local development")

    def stop(self, grace: float = 5.0) -> None:
        """Flip health to NOT_SERVING, let RPCs in flight finish, then close the store and free the folder."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self.metrics is not None:
            self.metrics.stop_http()
        self.store.close()
        self._release_dir_lock()

    def _release_dir_lock(self) -> None:
        lock, self._dir_lock = self._dir_lock, None
        if lock is not None:
            lock.release()

    def wait(self) -> None:
        self.server.wait_for_termination()


def _load_key_file(data_dir: str, file_name: str, what: str, load):
    """Load (or create) a key kept in the data folder; a damaged one is a FormatError naming the file."""
    path = Path(data_dir) / file_name
    try:
        return load(data_dir)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read or write {what} ({exc.strerror or exc}); check the file's "
                          "permissions and the folder's free space") from exc
    except Exception as exc:  # noqa: BLE001 - whatever the key parser raises, the file is damaged
        detail = str(exc) if isinstance(exc, ZkgateError) else type(exc).__name__
        raise FormatError(
            f"{path}: {what} is damaged ({detail}); restore the file from a backup, or move it away to let "
            "the gateway create a new key (clients and studies that pinned the old key will then refuse this gateway)"
        ) from exc
