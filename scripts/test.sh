#!/usr/bin/env bash
# README command 2: install what is missing, then run every test tier (unit, db on a fresh
# database, workflow on a real Temporal dev server, replay, cluster on Temporal Server with a
# private PostgreSQL, ui in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/setup-temporal.sh
bash scripts/setup-temporal-server.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-postgres.sh
# One jest worker: the workflow tier shares one Temporal server and the machine has 2 cores.
exec npx jest --runInBand "$@"
