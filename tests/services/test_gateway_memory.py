"""The gateway's malloc trim (services/gateway/memory.py), called when a study closes or leaves the cache."""

from __future__ import annotations

import platform

import pytest

from zkgate.services.gateway import memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_release_free_memory_returns_pages_freed_below_a_live_block():
    blocks = [bytes(8192) + bytes([i % 256]) for i in range(2000)]  # ~16 MiB of malloc'd (not mmap'd) blocks
    pin = bytes(8192) + b"pin"  # allocated after them: free() alone cannot shrink the heap past it
    del blocks
    assert memory.release_free_memory() is True
    assert pin.endswith(b"pin")


def test_without_glibc_nothing_is_trimmed(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.release_free_memory() is False
