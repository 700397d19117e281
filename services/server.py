"""The zkgate gateway server: servicers, health checking, reflection, limits, graceful stop.

Handlers run on a worker thread pool, never on the thread that accepts connections, so proof
verification and HE work do not stall other clients.  ``maximum_concurrent_rpcs`` bounds the
RPCs in flight (the rest are refused with RESOURCE_EXHAUSTED); large payloads travel in chunks
below ``max_message_bytes``.  Stopping flips health to NOT_SERVING before the grace period.
"""

from __future__ import annotations

import logging
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from zkgate.services.servicers.audit import AuditServicer, load_or_create_signer
from zkgate.services.servicers.catalog import CatalogServicer
from zkgate.services.servicers.prover import ProverServicer
from zkgate.services.servicers.study import StudyServicer, load_or_create_gateway_key
from zkgate.services.store import Store, open_store
from zkgate.services.uploads import UploadLimits
from zkgate.services.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    prover_pb2,
    prover_pb2_grpc,
    study_pb2,
    study_pb2_grpc,
)

log = logging.getLogger("zkgate.services")

SERVICE_NAMES = (
    prover_pb2.DESCRIPTOR.services_by_name["ProverService"].full_name,
    audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
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


class Gateway:
    """A running gateway; ``address`` is where clients connect."""

    def __init__(self, config: ServerConfig, store: Store | None = None) -> None:
        self.config = config
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
        self.store = store or open_store(config.data_dir)
        options = [
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
        ]
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="zkgate-rpc"),
            options=options,
            maximum_concurrent_rpcs=config.max_concurrent_rpcs,
        )
        prover_pb2_grpc.add_ProverServiceServicer_to_server(ProverServicer(self.store, config.limits), self.server)
        self.signer = load_or_create_signer(config.data_dir)
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(self.store, self.signer), self.server)
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(self.store), self.server)
        self.gateway_key = load_or_create_gateway_key(config.data_dir)
        study_pb2_grpc.add_StudyServiceServicer_to_server(
            StudyServicer(self.store, config.limits, self.gateway_key, self.signer.public_key_bytes, config.dev_mode),
            self.server,
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server
        )
        self.port = self.server.add_insecure_port(f"{config.host}:{config.port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {config.host}:{config.port}")

    @property
    def address(self) -> str:
        return f"{self.config.host}:{self.port}"

    def start(self) -> Gateway:
        self.server.start()
        for name in ("", *SERVICE_NAMES):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("zkgate gateway serving on %s (data in %s)", self.address, self.config.data_dir)
        return self

    def stop(self, grace: float = 5.0) -> None:
        """Flip health to NOT_SERVING, let RPCs in flight finish, then close the store."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self.store.close()

    def wait(self) -> None:
        self.server.wait_for_termination()
