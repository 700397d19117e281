"""Chunked uploads and downloads: large payloads never depend on gRPC's message-size limit.

An upload is a stream whose first message carries a header (with the exact size of each
payload) and whose following messages carry chunks of at most ``chunk_limit`` bytes.  A payload
larger than the gateway's limit is refused from its declared size, before any data is read;
a stream that ends short of, or runs past, a declared size is refused as truncated or oversized.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zkgate.errors import InvalidInputError

from ..errors import TooLargeError


@dataclass(frozen=True)
class UploadLimits:
    max_payload_bytes: int = 1 << 30  # 1 GiB per payload
    chunk_limit: int = 4 << 20


MESSAGE_OVERHEAD_BYTES = 1024  # room for a chunk message's framing within the message-size limit


def advertised_chunk_size(limits: UploadLimits, max_message_bytes: int) -> int:
    """The largest chunk a client may send: within the chunk limit and, with its framing, the message limit."""
    return max(1, min(limits.chunk_limit, max_message_bytes - MESSAGE_OVERHEAD_BYTES))


def receive_upload(messages: Iterable, header_field: str, sizes: dict[str, str], limits: UploadLimits):
    """Read a header-then-chunks stream.

    ``sizes`` maps each chunk field of the oneof to the header field holding its declared size.
    Returns ``(header, {chunk_field: bytes})``.
    """
    iterator = iter(messages)
    first = next(iterator, None)
    if first is None or first.WhichOneof("part") != header_field:
        raise InvalidInputError(f"the upload must start with a '{header_field}' message")
    header = getattr(first, header_field)
    declared = {field: int(getattr(header, size_field)) for field, size_field in sizes.items()}
    for field, size in declared.items():
        if size > limits.max_payload_bytes:
            raise TooLargeError(
                f"{field.removesuffix('_chunk')} of {size} bytes exceeds this gateway's limit of "
                f"{limits.max_payload_bytes} bytes"
            )
    buffers = {field: bytearray() for field in sizes}
    for message in iterator:
        part = message.WhichOneof("part")
        if part not in buffers:
            raise InvalidInputError(f"unexpected '{part}' message after the header")
        data = getattr(message, part)
        if len(data) > limits.chunk_limit:
            raise TooLargeError(f"a chunk of {len(data)} bytes exceeds the chunk limit of {limits.chunk_limit} bytes")
        buffer = buffers[part]
        if len(buffer) + len(data) > declared[part]:
            raise InvalidInputError(
                f"{part.removesuffix('_chunk')} runs past its declared size of {declared[part]} bytes"
            )
        buffer.extend(data)
    for field, buffer in buffers.items():
        if len(buffer) != declared[field]:
            raise InvalidInputError(
                f"{field.removesuffix('_chunk')} upload is truncated: {len(buffer)} of {declared[field]} bytes arrived"
            )
    return header, {field: bytes(buffer) for field, buffer in buffers.items()}
