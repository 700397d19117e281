"""The gateway process's C heap: free memory handed back to the system (glibc only).

Memory that glibc's malloc frees inside an arena stays in the process unless the top of a heap
happens to be free; after a study closes (its aggregate built, its running sums and receipts
dropped) the gateway's RSS would otherwise stay at its high-water mark.  ``release_free_memory()``
calls ``malloc_trim(0)``, which returns the free pages of every arena to the system; elsewhere
than glibc it does nothing, silently.  Measured in BENCHMARKS.md ("Gateway memory"): after five
studies of 200 closed, RSS fell by 11 MiB instead of rising by 3.  Capping the arenas
(``MALLOC_ARENA_MAX=2``) was measured too and changed nothing, so the gateway does not set it;
an operator may still set the environment variable.

``heap_profile_from_env()`` is a debugging aid, off unless ``ZKGATE_HEAP_PROFILE=DIR`` is set in
``zkgate serve``'s environment: the first SIGUSR1 starts tracing Python allocations
(``tracemalloc``, which slows the gateway down several times, study creation most) and every
SIGUSR1 writes a snapshot to ``DIR/heap-<pid>-<n>.tracemalloc``, so a snapshot holds what was
allocated since the first signal and is still alive;
``benchmarks/bench_memory.py --heap-profile DIR`` takes one at each RSS mark and prints what grew
between the first and the last (what C libraries allocate themselves is not traced).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import logging
import os
import pickle
import platform
import signal
import tracemalloc
from functools import cache
from pathlib import Path

from zkgate.fileio import atomic_write

HEAP_PROFILE_ENV = "ZKGATE_HEAP_PROFILE"
HEAP_PROFILE_FRAMES = 12

log = logging.getLogger("zkgate.gateway")


@cache
def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def release_free_memory() -> bool:
    """Hand the free pages of every malloc arena back to the system; True if glibc released some."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))


def heap_profile_from_env(environ=None) -> Path | None:
    """With ``ZKGATE_HEAP_PROFILE=DIR`` (off by default): on every SIGUSR1 write a
    ``tracemalloc`` snapshot to ``DIR/heap-<pid>-<n>.tracemalloc`` (n = 1, 2, ...; written
    atomically, so a reader may poll for it); tracing starts at the first signal (its snapshot
    is the baseline), since tracing from the start would slow everything before it down.
    Call from the main thread (signal handlers are installed there).  Returns the folder, or
    None when off."""
    target = (os.environ if environ is None else environ).get(HEAP_PROFILE_ENV)
    if not target:
        return None
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    counter = itertools.count(1)

    def dump(_signum, _frame) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(HEAP_PROFILE_FRAMES)
        path = folder / f"heap-{os.getpid()}-{next(counter)}.tracemalloc"
        snapshot = tracemalloc.take_snapshot()
        atomic_write(path, pickle.dumps(snapshot, pickle.HIGHEST_PROTOCOL), mode=0o600)
        log.info("heap profile: snapshot %s (%d traces)", path, len(snapshot.traces))

    signal.signal(signal.SIGUSR1, dump)
    log.warning("heap profiling armed (%s=%s): the first SIGUSR1 starts tracing Python allocations (slower), "
                "each SIGUSR1 writes a snapshot",
                HEAP_PROFILE_ENV, folder)
    return folder
