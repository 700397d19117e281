"""The gateway's heap-profile debugging aid (issue 15): off by default, SIGUSR1 snapshots when on."""

from __future__ import annotations

import os
import pickle
import signal
import time
import tracemalloc

from zkgate.services.gateway.memory import HEAP_PROFILE_ENV, heap_profile_from_env


def test_off_unless_the_variable_is_set():
    before = signal.getsignal(signal.SIGUSR1)
    assert heap_profile_from_env({}) is None
    assert heap_profile_from_env({HEAP_PROFILE_ENV: ""}) is None
    assert signal.getsignal(signal.SIGUSR1) is before


def test_sigusr1_writes_a_snapshot(tmp_path):
    before = signal.getsignal(signal.SIGUSR1)
    was_tracing = tracemalloc.is_tracing()
    folder = tmp_path / "heap"
    try:
        assert heap_profile_from_env({HEAP_PROFILE_ENV: str(folder)}) == folder
        assert tracemalloc.is_tracing() == was_tracing  # armed: tracing starts at the first signal
        os.kill(os.getpid(), signal.SIGUSR1)  # starts tracing; snapshot 1 is the baseline
        assert tracemalloc.is_tracing()
        kept = [bytearray(1000) for _ in range(100)]
        os.kill(os.getpid(), signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while len(list(folder.glob("*.tracemalloc"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        files = sorted(folder.glob(f"heap-{os.getpid()}-*.tracemalloc"))
        assert [f.name for f in files] == [f"heap-{os.getpid()}-1.tracemalloc", f"heap-{os.getpid()}-2.tracemalloc"]
        baseline, snapshot = (pickle.loads(f.read_bytes()) for f in files)
        assert isinstance(snapshot, tracemalloc.Snapshot)
        grown = sum(d.size_diff for d in snapshot.compare_to(baseline, "filename")
                    if d.traceback[0].filename == __file__)
        assert grown >= 100_000
        del kept
    finally:
        signal.signal(signal.SIGUSR1, before)
        if not was_tracing:
            tracemalloc.stop()
