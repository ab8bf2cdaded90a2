#!/usr/bin/env bash
# `npm run start:cluster`: psa-sync's production topology on this machine (Temporal Server on the
# local PostgreSQL, N worker processes, the API); see infra/cluster/topology.ts.
# The Temporal Server build (minutes, first time only) runs while the rest is prepared.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-temporal-server.sh &
build=$!
trap 'kill "$build" 2>/dev/null || true' INT TERM
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-postgres.sh
if ! wait "$build"; then
  echo "cluster: the Temporal Server build failed (see above)" >&2
  exit 1
fi
trap - INT TERM
# Node with tsx's require hook, not the tsx CLI (see scripts/start.sh: the CLI can SIGKILL the launcher mid-stop).
exec node --require tsx/cjs infra/cluster/main.ts "$@"
