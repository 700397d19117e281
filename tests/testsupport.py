"""Helpers shared by the test folders (imported as ``testsupport``; tests/ is on sys.path).

Shared helpers live here rather than in a conftest.py: several folders have their own
conftest.py, and ``from conftest import ...`` would pick whichever loaded first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
NPM_PEERS = ("snarkjs", "circomlibjs", "circomlib", "circom2")


def node_peer_available(package: str) -> bool:
    """Whether node and an npm peer package (snarkjs, circomlibjs, ...) are installed."""
    return shutil.which("node") is not None and (NODE_MODULES / package).is_dir()


def require_node_peer(package: str) -> None:
    """Skip the calling test with a clear reason when an npm peer is missing."""
    if not node_peer_available(package):
        pytest.skip(f"needs node and node_modules/{package} (run `npm ci` in the repository)")


def node_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (CI installs it)"
    for package in NPM_PEERS:
        if not (NODE_MODULES / package).is_dir():
            return f"node_modules/{package} is missing (run npm ci)"
    return None


requires_node = pytest.mark.skipif(node_missing_reason() is not None, reason=node_missing_reason() or "")


def run_node(script: str, payload) -> object:
    """Run a node script (CommonJS) with JSON ``payload`` on stdin; parse its JSON stdout."""
    proc = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        env=dict(os.environ, NODE_PATH=str(NODE_MODULES)),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def snarkjs(*args, cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    """Run the installed snarkjs CLI (no check on the exit status)."""
    return subprocess.run(
        [str(NODE_MODULES / ".bin" / "snarkjs"), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


# -- PostgreSQL (the gateway's second store) -------------------------------------------------------
POSTGRES_URL_VARIABLE = "ZKGATE_TEST_POSTGRES_URL"


def postgres_missing_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here (None when a server answers)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        return (f"no PostgreSQL: set {POSTGRES_URL_VARIABLE} "
                "(eval \"$(bash scripts/start_test_postgres.sh)\" starts one on localhost)")
    try:
        import psycopg
    except ImportError:
        return "psycopg 3 is not installed (pip install 'psycopg[binary]')"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, saying why
        return f"PostgreSQL at {POSTGRES_URL_VARIABLE}={url} is not reachable: {exc}"
    return None


def fresh_postgres_database(prefix: str = "zkgate_t"):
    """Create an empty database on the test server; returns (url, drop) — call drop() when done."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    base = os.environ[POSTGRES_URL_VARIABLE]
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base)._replace(path="/" + name))

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def dev_gateway(tmp_path_factory):
    """A fixture body: a dev-mode gateway on a free localhost port with its own data folder."""
    from zkgate.services.gateway.server import Gateway, ServerConfig

    server = Gateway(ServerConfig(data_dir=str(tmp_path_factory.mktemp("gw")), port=0, dev_mode=True)).start()
    yield server
    server.stop(grace=1)


def run_cli(*args, ok=True):
    """``zkgate ARGS...`` in this process (click's runner); asserts success unless ``ok=False``."""
    from click.testing import CliRunner

    from zkgate.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def run_cli_json(*args):
    """``zkgate ARGS... --json``: the last line of its output, parsed."""
    return json.loads(run_cli(*args, "--json").stdout.strip().splitlines()[-1])


def draft_spec(question, schema, capacity: int, *, n_chunks: int = 2, preset: str = "bfv-4096"):
    """A study spec for circuit tests: one participant, zero keys (nothing is signed or encrypted)."""
    from zkgate.study.spec import Participant, StudySpec

    zero = b"\x00" * 32
    return StudySpec(title="q", schema=schema, capacity=capacity, question=question,
                     participants=(Participant("a", 5, n_chunks, b"\x01" * 32),), quorum=1, deadline=10**10,
                     he_preset=preset, he_key_id=zero, he_context_digest=zero, vk_hash=zero, transcript_hash=zero,
                     gateway_key=zero, key_holder_key=zero, nonce=b"\x00" * 16)


def chunk_inputs(spec, com, k: int, values=None, rho=None):
    """``(values, rho, circuit inputs)`` of chunk ``k`` of ``com`` for ``spec``: the honest coordinates unless
    ``values`` is given (a commitment to other values), a fresh ρ unless given."""
    import secrets

    from zkgate.circuits.babyjubjub import SUBORDER
    from zkgate.study.circuit import chunk_statistics, circuit_inputs, commit

    s = chunk_statistics(spec, com.chunk_rows(k)) if values is None else values
    rho = secrets.randbelow(SUBORDER) if rho is None else rho
    return s, rho, circuit_inputs(spec, com.chunk_elements[k], com.chunk_salts[k], com.chunk_roots[k], rho,
                                  commit(s, rho))
