#!/usr/bin/env bash
# Install zkgate (with its test extras and the npm interop peers) and run the whole test suite
# on both backends: first the compiled kernels, then the pure-Python twins.
#
# Usage: bash scripts/test.sh [extra pytest arguments]
# Uses ./.venv (created when missing).  Set PYTHON to choose the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
echo "== installing zkgate (builds the Cython/OpenMP kernels)"
.venv/bin/python -m pip install --quiet '.[test,postgres]'

echo "== installing the npm interop peers (snarkjs, circom2, circomlib, circomlibjs, ffjavascript)"
npm ci --no-audit --no-fund --loglevel=error
(cd examples/node-auditor && npm ci --no-audit --no-fund --loglevel=error)  # the Node.js auditor example

echo "== checking that the native backend built"
(cd /tmp && "$OLDPWD/.venv/bin/python" -c "
import sys, zkgate._native as n
if n.BACKEND != 'native':
    sys.exit(f'native backend did not build: {n.IMPORT_ERROR}')
print('backend:', n.BACKEND)
")

echo "== lint: ruff and the import-linter layer contracts (docs/architecture.md)"
bash scripts/lint.sh

echo "== starting a throw-away PostgreSQL on localhost for the store tests (installs Debian's postgresql if missing)"
eval "$(bash scripts/start_test_postgres.sh)"
trap 'bash scripts/start_test_postgres.sh stop || true' EXIT

echo "== headless Chromium for the console's browser tests (installs Debian's chromium and chromium-driver if missing)"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then echo "chromium or chromedriver missing and not root: install chromium chromium-driver first" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
export ZKGATE_REQUIRE_BROWSER=1  # tests/console/test_console_browser.py fails instead of skipping without them
export ZKGATE_TEST_ARTIFACTS=${ZKGATE_TEST_ARTIFACTS:-$PWD/test-artifacts}  # screenshots of the console pages

# Run pytest through the venv's script (not 'python -m pytest', which would put the source
# tree, without compiled kernels, ahead of the installed package on sys.path).
echo "== tests, native backend"
.venv/bin/pytest "$@"
echo "== tests, pure-Python backend (slow tests skipped)"
ZKGATE_PUREPYTHON=1 .venv/bin/pytest -m "not slow" "$@"
