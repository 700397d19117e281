#!/usr/bin/env bash
# Static checks that keep the architecture (docs/architecture.md) as designed:
#   1. ruff check     -- the rule set in pyproject.toml [tool.ruff]
#   2. lint-imports   -- the import-linter contracts in pyproject.toml [tool.importlinter], read from
#                        the source tree (services/ is the root package `services` there)
#
# Usage: bash scripts/lint.sh        (uses ./.venv; scripts/test.sh runs it first)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

echo "== ruff check"
"$VENV/bin/ruff" check .

echo "== import-linter contracts"
"$VENV/bin/lint-imports"
