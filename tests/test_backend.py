"""Backend selection and the packaging promises of the skeleton."""

from __future__ import annotations

import os
import subprocess
import sys

from zkgate import _native


def test_backend_matches_environment():
    if os.environ.get("ZKGATE_PUREPYTHON") == "1":
        assert _native.BACKEND == "python"
    elif os.environ.get("ZKGATE_EXPECT_NATIVE") == "1":
        # .ci/run sets this: the native extension must have built and imported.
        assert _native.BACKEND == "native", _native.IMPORT_ERROR


def test_purepython_flag_forces_python_backend():
    code = "import zkgate._native as n; print(n.BACKEND)"
    env = dict(os.environ, ZKGATE_PUREPYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "python"


def test_import_zkgate_does_not_import_grpc():
    code = "import sys, zkgate, zkgate.bn254, zkgate.cli; print('grpc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_help_and_version(tmp_path):
    help_out = subprocess.run(
        [sys.executable, "-m", "zkgate", "--help"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "Usage:" in help_out.stdout and "bench" in help_out.stdout
    version_out = subprocess.run(
        [sys.executable, "-m", "zkgate", "--version"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert version_out.stdout.startswith("zkgate ") and f"backend {_native.BACKEND}" in version_out.stdout


def test_cli_bench_msm_checks_result(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "zkgate", "bench", "msm", "-n", "64"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "result checked" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "zkgate", "bench", "msm", "-n", "0"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode != 0 and "--size" in bad.stderr


def test_every_cli_module_command_is_reachable():
    """The lazy command table and the modules' COMMANDS lists agree (no command silently lost)."""
    import importlib

    from zkgate import cli

    for module_name in set(cli.LAZY_COMMANDS.values()):
        names = {command.name for command in importlib.import_module(module_name).COMMANDS}
        expected = {name for name, module in cli.LAZY_COMMANDS.items() if module == module_name}
        assert names == expected, module_name


def test_cli_startup_does_not_load_heavy_layers():
    code = "import sys, zkgate.cli; print(sorted(m for m in ('grpc', 'tenseal', 'zkgate.study') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
