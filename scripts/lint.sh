#!/usr/bin/env bash
# Static checks that keep the architecture (docs/architecture.md) as designed:
#   1. ruff check            -- the rule set in pyproject.toml [tool.ruff]
#   2. lint-imports          -- the import-linter contracts in pyproject.toml [tool.importlinter]
#
# services/ installs as zkgate.services (setup.py package_dir), so the import graph is built on a
# throw-away copy of the tree laid out the way the wheel lays it out (zkgate/services = services/):
# the contracts then see exactly the modules a user imports, whichever way zkgate was installed.
#
# Usage: bash scripts/lint.sh        (uses ./.venv; scripts/test.sh runs it first)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

echo "== ruff check"
"$VENV/bin/ruff" check .

echo "== import-linter contracts"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp -r zkgate "$tree/zkgate"
cp -r services "$tree/zkgate/services"
(cd "$tree" && PYTHONPATH="$tree" "$OLDPWD/$VENV/bin/lint-imports" "$OLDPWD/pyproject.toml")
