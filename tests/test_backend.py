"""Backend selection and the packaging promises of the skeleton."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from zkgate import _native

COMPILED_MODULES = {f"zkgate._native.{name}"
                    for name in ("_field", "_curve", "_ntt", "_pairing", "_witness", "_qap", "_ceremony", "_rns")}

# Run in a fresh interpreter: which backend every kernel layer chose, which compiled modules are
# loaded, and one MSM and one witness solved through the dispatching APIs (checked against the
# pure-Python references), so a backend that only claims to be active is caught.
PROBE = """
import json, sys
from zkgate import _native, bn254, kernels
from zkgate.bn254.msm import msm_g1_reference
from zkgate.circuits import compile_circuit
from zkgate.kernels import ceremony, circuits, qap
points = [bn254.g1_mul(bn254.G1_GENERATOR, k) for k in (3, 5, 7)]
def square(api):
    x = api.private_input("x")
    api.output("y", api.mul(x, x))
c = compile_circuit(square, cache=False)
print(json.dumps({
    "native": _native.BACKEND, "import_error": _native.IMPORT_ERROR,
    "layers": sorted({bn254.BACKEND, kernels.BACKEND, circuits.BACKEND, qap.BACKEND, ceremony.BACKEND}),
    "compiled": sorted(m for m in sys.modules if m.startswith("zkgate._native._")),
    "bn254_kernels": [m is not None for m in (bn254.compiled.native_curve, bn254.compiled.native_field,
                                              bn254.compiled.native_ntt, bn254.compiled.native_pairing)],
    "msm_ok": bn254.msm_g1(points, [2, 4, 6]) == msm_g1_reference(points, [2, 4, 6]),
    "solver_ok": c.outputs(c.solve({"x": 9}))["y"] == 81,
}))
"""


def _purepython_requested(value: str | None) -> bool:
    return (value or "").strip() not in ("", "0", "false", "no")  # the rule of zkgate/_native/__init__.py


def _probe(purepython: str) -> dict:
    env = dict(os.environ, ZKGATE_PUREPYTHON=purepython)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _assert_backend(report: dict, expected: str) -> None:
    assert report["native"] == expected, report["import_error"]
    assert report["layers"] == [expected], "every kernel layer must report the backend zkgate._native chose"
    assert report["msm_ok"] and report["solver_ok"]
    if expected == "native":
        assert report["import_error"] is None
        assert set(report["compiled"]) == COMPILED_MODULES  # all seven loaded, none missing
        assert report["bn254_kernels"] == [True, True, True, True]
    else:
        assert report["import_error"] == "ZKGATE_PUREPYTHON is set"
        assert report["compiled"] == []  # the twin really runs: no compiled module was even imported
        assert report["bn254_kernels"] == [False, False, False, False]


def test_backend_in_use_is_the_one_requested():
    """The pure-Python twin exactly when ZKGATE_PUREPYTHON asks for it, else the native kernels
    (a native build that silently failed fails here, with its import error)."""
    expected = "python" if _purepython_requested(os.environ.get("ZKGATE_PUREPYTHON")) else "native"
    assert _native.BACKEND == expected, _native.IMPORT_ERROR
    _assert_backend(_probe(os.environ.get("ZKGATE_PUREPYTHON", "")), expected)


def test_purepython_flag_forces_python_backend():
    _assert_backend(_probe("1"), "python")


def test_native_backend_is_used_unless_the_twin_is_forced():
    """Whichever backend this run uses, the other one can be had: the compiled kernels load
    (all seven) when ZKGATE_PUREPYTHON is 0."""
    _assert_backend(_probe("0"), "native")


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
