"""Prometheus metrics and the per-RPC access log of the gateway.

``GatewayMetrics`` owns one :class:`prometheus_client.CollectorRegistry` per gateway (never the
process-wide default registry, so several gateways in one process keep their own counts) with:

* the gRPC ecosystem's conventional series (the names go-grpc-prometheus and
  py-grpc-prometheus use): ``grpc_server_started_total`` and ``grpc_server_handled_total``
  (counters) and the ``grpc_server_handling_seconds`` histogram, labelled by ``grpc_type``,
  ``grpc_service``, ``grpc_method`` and, once handled, ``grpc_code``;
* zkgate's own: ``zkgate_submissions_total{outcome}`` (``accepted`` or the refusal's status code in
  lower case, e.g. ``invalid_argument``, ``already_exists``), ``zkgate_proof_verification_seconds``
  (one Groth16 batch check of the proofs of concurrent submissions, ``ingest.SubmissionBatcher``)
  and ``zkgate_store_commit_seconds`` (one group commit of accepted submissions: rows and audit
  leaves, durable), and, read from the store at each scrape
  (so several gateways sharing one PostgreSQL report the same figures), ``zkgate_audit_tree_size``
  and ``zkgate_studies{state}``.

No label ever names a study, participant, data set or caller: label values come from fixed sets
(methods, status codes, outcomes, states), so the series stay few and the endpoint reveals nothing
a party would not want published.  Who called what is in the access log (``zkgate.services.rpc``),
which goes wherever the operator sends the gateway's logs.

:class:`RpcObserver` is the server interceptor behind both: it times every call, counts it with its
final status code, and logs one line per call (rpc, caller, study, outcome, duration).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import start_http_server

from ..errors import PreconditionError
from .security import IDENTITY_ATTRIBUTE

access_log = logging.getLogger("zkgate.services.rpc")
log = logging.getLogger("zkgate.services")

SUBMIT_METHOD = "/zkgate.v1.StudyService/Submit"
STUDY_STATES = ("OPEN", "CLOSED", "RELEASED", "CANCELLED")
# seconds: from a health check (~1 ms) to a large upload or a slow proof check (minutes)
RPC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
CHECK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def grpc_type(handler) -> str:
    if handler.unary_unary is not None:
        return "unary"
    if handler.unary_stream is not None:
        return "server_stream"
    if handler.stream_unary is not None:
        return "client_stream"
    return "bidi_stream"


def submission_outcome(code: grpc.StatusCode) -> str:
    """``zkgate_submissions_total``'s label: ``accepted`` or the refusal's code (``invalid_argument``)."""
    return "accepted" if code == grpc.StatusCode.OK else code.name.lower()


class _StoreCollector:
    """Audit-log size and studies per state, read from the store when Prometheus scrapes."""

    def __init__(self, store) -> None:
        self.store = store

    def describe(self):  # the registry must not call collect() (and so the store) at registration
        return [GaugeMetricFamily("zkgate_audit_tree_size", ""), GaugeMetricFamily("zkgate_studies", "", labels=["state"])]

    def collect(self):
        size = GaugeMetricFamily("zkgate_audit_tree_size", "Leaves in the gateway's audit log (its tree size).")
        studies = GaugeMetricFamily("zkgate_studies", "Studies on the gateway by state.", labels=["state"])
        try:
            size.add_metric([], self.store.audit_read(lambda tree: tree.size))
            counts = dict.fromkeys(STUDY_STATES, 0)
            for record in self.store.list_studies():
                counts[record.state] = counts.get(record.state, 0) + 1
        except Exception:  # noqa: BLE001 - a scrape must not fail because the store is busy or closed
            log.warning("metrics: cannot read the store for zkgate_audit_tree_size / zkgate_studies", exc_info=True)
            return
        for state, count in counts.items():
            studies.add_metric([state], count)
        yield size
        yield studies


class GatewayMetrics:
    """One gateway's metrics (its own registry); ``serve`` exposes them over HTTP for Prometheus."""

    def __init__(self, store=None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        rpc_labels = ["grpc_type", "grpc_service", "grpc_method"]
        self.started = Counter("grpc_server_started", "RPCs started on the server.", rpc_labels, registry=self.registry)
        self.handled = Counter("grpc_server_handled", "RPCs completed on the server, whatever their status code.",
                               [*rpc_labels, "grpc_code"], registry=self.registry)
        self.handling = Histogram("grpc_server_handling_seconds", "Time from the start of an RPC to its status.",
                                  rpc_labels, buckets=RPC_BUCKETS, registry=self.registry)
        self.submissions = Counter("zkgate_submissions", "Submit calls by outcome: accepted, or the status code "
                                   "that refused them.", ["outcome"], registry=self.registry)
        self.verification = Histogram("zkgate_proof_verification_seconds", "Groth16 verification of one ingest "
                                      "batch: the proofs of the submissions that arrived together.",
                                      buckets=CHECK_BUCKETS, registry=self.registry)
        self.store_commit = Histogram("zkgate_store_commit_seconds", "One group commit of accepted submissions "
                                      "(rows and audit leaves, durable).", buckets=COMMIT_BUCKETS,
                                      registry=self.registry)
        if store is not None:
            self.registry.register(_StoreCollector(store))
        self._children: dict[str, tuple] = {}
        self._handled: dict[tuple[str, grpc.StatusCode], object] = {}
        self._lock = threading.Lock()
        self._http = None

    # -- per-method series, created once ---------------------------------------------------
    def method_series(self, method: str, kind: str):
        found = self._children.get(method)
        if found is None:
            service, _, name = method.lstrip("/").rpartition("/")
            labels = (kind, service, name)
            with self._lock:
                found = self._children.setdefault(
                    method, (labels, self.started.labels(*labels), self.handling.labels(*labels)))
        return found

    def count_handled(self, method: str, labels: tuple[str, str, str], code: grpc.StatusCode) -> None:
        child = self._handled.get((method, code))
        if child is None:
            with self._lock:
                child = self._handled.setdefault((method, code), self.handled.labels(*labels, code.name))
        child.inc()
        if method == SUBMIT_METHOD:
            self.submissions.labels(submission_outcome(code)).inc()

    # -- hooks the ingest path calls (services/gateway/ingest.py) ------------------------------
    @contextlib.contextmanager
    def verifying(self) -> Iterator[None]:
        with self.verification.time():
            yield

    @contextlib.contextmanager
    def committing(self) -> Iterator[None]:
        with self.store_commit.time():
            yield

    # -- the HTTP endpoint -----------------------------------------------------------------------
    def serve_http(self, host: str, port: int) -> int:
        """Expose ``/metrics`` on ``host:port`` (0 picks a free port); returns the port."""
        try:
            self._http, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise PreconditionError(
                f"cannot serve metrics on {host}:{port} ({exc.strerror or exc}): the port is in use or not "
                "available on this host; choose another --metrics-port"
            ) from exc
        return self._http.server_address[1]

    def stop_http(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            http.shutdown()
            http.server_close()


class NoMetrics:
    """What the ingest batcher holds when the gateway exports no metrics: the hooks do nothing."""

    @contextlib.contextmanager
    def verifying(self) -> Iterator[None]:
        yield

    committing = verifying


NO_METRICS = NoMetrics()


def _study_of(message) -> str | None:
    """The study a request or reply names (``study_id``, or a stream header's), if any."""
    study = getattr(message, "study_id", None)
    if not study:
        header = getattr(message, "header", None)
        study = getattr(header, "study_id", None) if header is not None else None
    if not isinstance(study, str) or not study:
        return None
    # a study id is 64 hex digits; anything else is the caller's text: never copied into the log
    return study if len(study) == 64 and all(c in "0123456789abcdef" for c in study) else "(malformed)"


def _final_code(context, exc: BaseException | None) -> grpc.StatusCode:
    """The status the call ends with: what the handler (or a guard) set, else OK or UNKNOWN."""
    code = None
    try:
        code = context.code()
    except Exception:  # noqa: BLE001 - an older grpc without ServicerContext.code()
        code = None
    if isinstance(code, grpc.StatusCode):
        return code
    if exc is None:
        return grpc.StatusCode.OK
    if isinstance(exc, GeneratorExit):  # the client went away in the middle of a reply stream
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN  # what grpc answers for an exception no handler turned into a status


class _Call:
    """One RPC in progress: its series, start time and, when the access log is on, its study."""

    __slots__ = ("method", "labels", "handling", "logged", "start", "study")

    def __init__(self, method: str, labels, handling, logged: bool) -> None:
        self.method = method
        self.labels = labels
        self.handling = handling
        self.logged = logged
        self.start = time.perf_counter()
        self.study: str | None = None


class RpcObserver(grpc.ServerInterceptor):
    """Metrics (when ``metrics`` is given) and the access log for every RPC.  Put it first among
    the server's interceptors so that calls refused by the others are counted too.  With neither
    (no metrics, INFO off for ``zkgate.services.rpc``) it hands every handler through unchanged."""

    def __init__(self, metrics: GatewayMetrics | None = None) -> None:
        self.metrics = metrics

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        logged = access_log.isEnabledFor(logging.INFO)
        if handler is None or (self.metrics is None and not logged):
            return handler
        method = handler_call_details.method
        kind = grpc_type(handler)
        if self.metrics is not None:
            labels, started, handling = self.metrics.method_series(method, kind)
            started.inc()
        else:
            service, _, name = method.lstrip("/").rpartition("/")
            labels, handling = (kind, service, name), None
        args = (method, labels, handling, logged)
        if handler.unary_unary is not None:
            return handler._replace(unary_unary=self._unary(handler.unary_unary, *args, client_stream=False))
        if handler.unary_stream is not None:
            return handler._replace(unary_stream=self._streaming(handler.unary_stream, *args, client_stream=False))
        if handler.stream_unary is not None:
            return handler._replace(stream_unary=self._unary(handler.stream_unary, *args, client_stream=True))
        return handler._replace(stream_stream=self._streaming(handler.stream_stream, *args, client_stream=True))

    def _finish(self, call: _Call, context, exc: BaseException | None) -> None:
        code = _final_code(context, exc)
        elapsed = time.perf_counter() - call.start
        if self.metrics is not None:
            call.handling.observe(elapsed)
            self.metrics.count_handled(call.method, call.labels, code)
        if call.logged:
            identity = getattr(context, IDENTITY_ATTRIBUTE, None)
            who = identity.organisation if identity is not None and identity.organisation else None
            rpc = call.method.lstrip("/")
            access_log.info("%s %s %.1f ms caller=%s study=%s", rpc, code.name, elapsed * 1000, who or "-",
                            call.study or "-",
                            extra={"rpc": rpc, "caller": who, "study": call.study, "outcome": code.name,
                                   "duration_ms": round(elapsed * 1000, 3)})

    @staticmethod
    def _watch(requests, call: _Call):
        """Pass a client stream through, noting the study its first message's header names."""
        first = True
        for message in requests:
            if first:
                first = False
                call.study = _study_of(message)
            yield message

    def _begin(self, request, method: str, labels, handling, logged: bool, client_stream: bool):
        call = _Call(method, labels, handling, logged)
        if logged:  # the study is only for the access log: metrics never name one
            if client_stream:
                request = self._watch(request, call)
            else:
                call.study = _study_of(request)
        return call, request

    def _unary(self, behaviour: Callable, *args, client_stream: bool) -> Callable:
        def observed(request, context):
            call, request = self._begin(request, *args, client_stream)
            try:
                reply = behaviour(request, context)
            except BaseException as exc:
                self._finish(call, context, exc)
                raise
            if call.logged and call.study is None:
                call.study = _study_of(reply)  # CreateStudy: the new study's id
            self._finish(call, context, None)
            return reply

        return observed

    def _streaming(self, behaviour: Callable, *args, client_stream: bool) -> Callable:
        def observed(request, context):
            call, request = self._begin(request, *args, client_stream)
            try:
                yield from behaviour(request, context)
            except BaseException as exc:
                self._finish(call, context, exc)
                raise
            self._finish(call, context, None)

        return observed
