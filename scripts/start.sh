#!/usr/bin/env bash
# README command 1: install what is missing, then run psa-sync (Temporal dev server + worker + API).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/setup-temporal.sh
bash scripts/ensure-postgres.sh
exec npx tsx main/dev.ts
