#!/usr/bin/env bash
# A longer fuzzing campaign over every parser a file or a remote party reaches: the four iden3
# binary containers, snarkjs JSON and the protocol message decoders (the targets of tests/fuzz/,
# with the hypothesis profile "fuzz-campaign": many more examples per target).
#
#   scripts/fuzz.sh [MINUTES] [EXAMPLES_PER_TARGET]
#
# MINUTES bounds the whole campaign (default 10; the run stops there and reports what it did),
# EXAMPLES_PER_TARGET defaults to 5000.  Set ZKGATE_PUREPYTHON=1 to fuzz the pure-Python backend.
# Exit 0: every input ended in success or a ZkgateError within 2 s; otherwise hypothesis prints
# the failing input (with a reproduction blob) and the script exits non-zero.
# Record the campaign (command, inputs, duration, findings) in RELIABILITY.md before a release.
set -euo pipefail

minutes="${1:-10}"
examples="${2:-5000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
cd "$root"

count_file="$(mktemp)"
started=$(date +%s)
set +e
ZKGATE_FUZZ_PROFILE=fuzz-campaign ZKGATE_FUZZ_EXAMPLES="$examples" ZKGATE_FUZZ_COUNT_FILE="$count_file" \
    timeout --signal=INT "$((minutes * 60))" \
    "$python" -m pytest tests/fuzz -q -p no:cacheprovider -x
status=$?
set -e
elapsed=$(( $(date +%s) - started ))
counts="$(cat "$count_file" 2>/dev/null || true)"
rm -f "$count_file"
backend=$("$python" -c 'import zkgate._native as n; print(n.BACKEND)')
echo "fuzz campaign: backend ${backend}, up to ${examples} examples per target, ${elapsed} s, ${counts:-inputs=?} (pytest exit ${status})" >&2
if [ "$status" -eq 124 ] || [ "$status" -eq 130 ] || [ "$status" -eq 2 ] && [ "$elapsed" -ge "$((minutes * 60))" ]; then
    echo "stopped at the ${minutes}-minute bound" >&2
    exit 0
fi
exit "$status"
