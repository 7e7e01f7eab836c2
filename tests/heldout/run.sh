#!/usr/bin/env bash
# Replays the held-out customers (written black-box by a tester who never read the engine) against
# the retail example with the offline engine, and prints the counts. Needs python3 and the
# tau-retail data next to the repository (../shared/tau-retail) or TAU_DB=path/to/db.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --locked -q -p retail-demo -p switchboard-cli
port=${HELDOUT_PORT:-8097}
./target/debug/retail-backend --listen "127.0.0.1:$port" >/dev/null 2>&1 &
backend=$!
trap 'kill $backend 2>/dev/null' EXIT
sleep 1
export RETAIL_URL="http://127.0.0.1:$port" HELDOUT_OUT=${HELDOUT_OUT:-$(mktemp -d)}
for spec in tests/heldout/specs/*.py; do
  echo "==> $spec" >&2
  python3 tests/heldout/runner.py "$spec" >/dev/null
done
python3 tests/heldout/summary.py
echo "transcripts: $HELDOUT_OUT" >&2
