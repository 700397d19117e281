"""Transport guards every RPC passes before its servicer: request bytes that do not decode, client
streams that go quiet, and how many client streams may hold a worker thread at once.

* **Undecodable requests.**  gRPC's own deserialization failure is INTERNAL with a logged
  traceback; here each method's request deserializer is wrapped so that bytes which are not the
  method's protobuf message arrive as an :class:`Undecodable` marker, which the handler wrapper
  turns into INVALID_ARGUMENT naming the method and the expected message (unary and streams).
* **Read deadline.**  A client stream is read on a helper thread; when no message arrives for
  ``stream_idle_seconds`` the call ends with DEADLINE_EXCEEDED, so an idle uploader cannot keep a
  worker forever.
* **Upload slots.**  At most ``max_upload_streams`` client streams run at once (fewer than the
  worker threads, so health checks and unary calls always find a worker); the next one is refused
  at once with RESOURCE_EXHAUSTED and the trailing metadata ``zkgate-retry-after-ms``, which
  :class:`zkgate.services.client.gateway_client.GatewayClient` honours by retrying.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn

import grpc

from zkgate.errors import InvalidInputError

from ..wire import RETRY_AFTER_KEY

DEFAULT_STREAM_IDLE_SECONDS = 30.0


class RpcAborted(Exception):
    """``context.abort`` ran: the call's status is set; let this pass every handler wrapper."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


def abort(context, code: grpc.StatusCode, message: str) -> NoReturn:
    """End the call with ``code`` and ``message``; raises :class:`RpcAborted` (gRPC sends the status)."""
    try:
        context.abort(code, message)
    except Exception as exc:  # noqa: BLE001 - grpc raises a bare Exception after recording the status
        raise RpcAborted(code, message) from exc
    raise RpcAborted(code, message)  # a context whose abort returned (test doubles)


def was_aborted(exc: BaseException, context) -> bool:
    """Whether ``exc`` is the exception ``context.abort`` raised (status already recorded)."""
    if isinstance(exc, RpcAborted):
        return True
    code = getattr(context, "code", None)
    if type(exc) is Exception and not exc.args and callable(code):  # grpc's own abort
        try:
            return code() not in (None, grpc.StatusCode.OK)
        except Exception:  # noqa: BLE001 - an older grpc without ServicerContext.code()
            return False
    return False


@dataclass(frozen=True)
class TransportLimits:
    stream_idle_seconds: float = DEFAULT_STREAM_IDLE_SECONDS  # longest pause between messages of a client stream
    max_upload_streams: int = 6  # client streams at once; keep it below the worker threads

    def __post_init__(self) -> None:
        if not self.stream_idle_seconds > 0:
            raise InvalidInputError(f"stream_idle_seconds must be positive, got {self.stream_idle_seconds}")
        if self.max_upload_streams < 1:
            raise InvalidInputError(f"max_upload_streams must be at least 1, got {self.max_upload_streams}")

    @classmethod
    def for_workers(cls, workers: int, stream_idle_seconds: float = DEFAULT_STREAM_IDLE_SECONDS) -> TransportLimits:
        """Leave two worker threads (at least one) free of uploads for health checks and unary calls."""
        return cls(stream_idle_seconds, max(1, workers - 2))


DEFAULT_TRANSPORT_LIMITS = TransportLimits()


@dataclass(frozen=True)
class Undecodable:
    """What a wrapped deserializer returns for bytes that are not the expected message."""

    message_type: str
    reason: str

    def describe(self, method: str) -> str:
        return (f"{method}: the request is not a valid {self.message_type} protobuf message ({self.reason}); "
                f"send the message the zkgate.v1 protos define for {method}")


def _message_type(deserializer: Callable) -> str:
    owner = getattr(deserializer, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    return getattr(descriptor, "full_name", None) or "request"


def safe_deserializer(deserializer: Callable | None) -> Callable | None:
    """``deserializer``, returning an :class:`Undecodable` instead of raising."""
    if deserializer is None:
        return None
    message_type = _message_type(deserializer)

    def deserialize(data: bytes):
        try:
            return deserializer(data)
        except Exception as exc:  # noqa: BLE001 - DecodeError and whatever a generated parser raises
            return Undecodable(message_type, f"{type(exc).__name__}: {exc}"[:200])

    return deserialize


_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_with_idle_deadline(messages, context, method: str, idle_seconds: float) -> Iterator:
    """Yield a client stream's messages; abort with DEADLINE_EXCEEDED after ``idle_seconds`` of
    silence and with INVALID_ARGUMENT on a message that does not decode."""
    pending: queue.Queue = queue.Queue(maxsize=4)
    stopped = threading.Event()

    def pump() -> None:
        try:
            for item in messages:
                while not stopped.is_set():
                    try:
                        pending.put(item, timeout=0.25)
                        break
                    except queue.Full:
                        continue
                if stopped.is_set():
                    return
            pending.put(_END)
        except BaseException as exc:  # noqa: BLE001 - the consumer re-raises it in the handler thread
            if not stopped.is_set():
                pending.put(_Failure(exc))

    threading.Thread(target=pump, name="zkgate-stream-reader", daemon=True).start()
    try:
        while True:
            try:
                item = pending.get(timeout=idle_seconds)
            except queue.Empty:
                abort(context, grpc.StatusCode.DEADLINE_EXCEEDED,
                      f"{method}: no message arrived for {idle_seconds:g} s, so the gateway closed the stream; "
                      "send the whole upload without pausing (the gateway's operator sets the limit with "
                      "--stream-idle-timeout)")
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            if isinstance(item, Undecodable):
                abort(context, grpc.StatusCode.INVALID_ARGUMENT, item.describe(method))
            yield item
    finally:
        stopped.set()


class TransportInterceptor(grpc.ServerInterceptor):
    """Applies the guards above to every method (health and reflection included)."""

    def __init__(self, limits: TransportLimits = DEFAULT_TRANSPORT_LIMITS) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_upload_streams)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method.rsplit("/", 1)[-1]
        changes = {"request_deserializer": safe_deserializer(handler.request_deserializer)}
        if handler.unary_unary is not None:
            changes["unary_unary"] = self._unary(handler.unary_unary, method)
        elif handler.unary_stream is not None:
            changes["unary_stream"] = self._unary(handler.unary_stream, method)
        elif handler.stream_unary is not None:
            changes["stream_unary"] = self._stream(handler.stream_unary, method, streaming_reply=False)
        elif handler.stream_stream is not None:
            changes["stream_stream"] = self._stream(handler.stream_stream, method, streaming_reply=True)
        return handler._replace(**changes)

    @staticmethod
    def _unary(behaviour: Callable, method: str) -> Callable:
        def guarded(request, context):
            if isinstance(request, Undecodable):
                abort(context, grpc.StatusCode.INVALID_ARGUMENT, request.describe(method))
            return behaviour(request, context)

        return guarded

    def _stream(self, behaviour: Callable, method: str, streaming_reply: bool) -> Callable:
        limits = self.limits

        def take_slot(context) -> None:
            if not self._slots.acquire(blocking=False):
                context.set_trailing_metadata(((RETRY_AFTER_KEY, "250"),))
                abort(context, grpc.StatusCode.RESOURCE_EXHAUSTED,
                      f"{method}: {limits.max_upload_streams} uploads are already in progress on this gateway; "
                      "retry in a moment (zkgate's Python client retries by itself)")

        def guarded(request_iterator, context):
            take_slot(context)
            try:
                return behaviour(read_with_idle_deadline(request_iterator, context, method,
                                                         limits.stream_idle_seconds), context)
            finally:
                self._slots.release()

        def guarded_streaming(request_iterator, context):
            take_slot(context)
            try:
                yield from behaviour(read_with_idle_deadline(request_iterator, context, method,
                                                             limits.stream_idle_seconds), context)
            finally:
                self._slots.release()

        return guarded_streaming if streaming_reply else guarded
