#!/usr/bin/env bash
# README command 1: install what is missing, then run psa-sync (Temporal dev server + worker + API).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/setup-temporal.sh
bash scripts/ensure-postgres.sh
# Node itself with tsx's require hook, not the tsx CLI: on Ctrl-C the CLI SIGKILLs a child that has
# not acknowledged the signal within 30 ms, which on a busy machine cut the launcher's ordered stop
# short and left its children running.
exec node --require tsx/cjs main/dev.ts
