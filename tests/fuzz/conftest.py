"""Fuzz tests: hypothesis settings and the shared sample files.

Profiles: ``fuzz-ci`` (the suite: few examples, each bounded by a 2 s deadline) and
``fuzz-campaign`` (scripts/fuzz.sh: ZKGATE_FUZZ_EXAMPLES examples per target).  Select one
with ZKGATE_FUZZ_PROFILE; the suite uses fuzz-ci."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

from samples import Samples, samples_in  # noqa: E402

_COMMON = dict(deadline=2000, derandomize=False, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("fuzz-ci", max_examples=int(os.environ.get("ZKGATE_FUZZ_CI_EXAMPLES", "60")), **_COMMON)
settings.register_profile("fuzz-campaign", max_examples=int(os.environ.get("ZKGATE_FUZZ_EXAMPLES", "5000")),
                          **_COMMON)
FUZZ = settings.get_profile(os.environ.get("ZKGATE_FUZZ_PROFILE", "fuzz-ci"))


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> Samples:
    return samples_in(tmp_path_factory.mktemp("fuzz-samples"))


def pytest_sessionfinish(session, exitstatus):
    """With ZKGATE_FUZZ_COUNT_FILE set, write how many inputs the targets ran (for scripts/fuzz.sh)."""
    target = os.environ.get("ZKGATE_FUZZ_COUNT_FILE")
    if target:
        from mutations import CALLS

        Path(target).write_text(" ".join(f"{k}={v}" for k, v in CALLS.items()) + "\n")
