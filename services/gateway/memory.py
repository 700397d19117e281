"""The gateway process's C heap: free memory handed back to the system (glibc only).

Memory that glibc's malloc frees inside an arena stays in the process unless the top of a heap
happens to be free; after a study closes (its aggregate built, its running sums and receipts
dropped) the gateway's RSS would otherwise stay at its high-water mark.  ``release_free_memory()``
calls ``malloc_trim(0)``, which returns the free pages of every arena to the system; elsewhere
than glibc it does nothing, silently.  Measured in BENCHMARKS.md ("Gateway memory"): after five
studies of 200 closed, RSS fell by 11 MiB instead of rising by 3.  Capping the arenas
(``MALLOC_ARENA_MAX=2``) was measured too and changed nothing, so the gateway does not set it;
an operator may still set the environment variable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from functools import cache


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
