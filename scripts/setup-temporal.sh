#!/usr/bin/env bash
# Provides the pinned Temporal CLI (v1.5.1 = Temporal Server 1.29.1 with the Web UI built in)
# in .tools/bin/temporal. Reuses it when present; TEMPORAL_CLI_PATH points at another binary.
# v1.5.1 is the last tag without a `replace` directive, so it is the newest `go install` can build.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.5.1
TARGET="${TEMPORAL_CLI_PATH:-$PWD/.tools/bin/temporal}"
# Builds are cached per user outside the clone, so fresh clones (CI) reuse them.
CACHE="${PSA_SYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/psa-sync}/temporal-cli-$VERSION/temporal"

if [ -x "$TARGET" ]; then
  echo "temporal: using $TARGET ($("$TARGET" --version 2>/dev/null | head -n1))"
  exit 0
fi
if [ -z "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$CACHE" ]; then
  mkdir -p "$(dirname "$TARGET")"
  cp "$CACHE" "$TARGET"
  echo "temporal: using cached build $CACHE"
  exit 0
fi
if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  echo "temporal: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  echo "temporal: Go is not installed, and the Temporal CLI is built from source with it." >&2
  echo "          Install Go >= 1.25 (https://go.dev/dl/) or set TEMPORAL_CLI_PATH to a temporal binary." >&2
  exit 1
fi

mkdir -p "$(dirname "$TARGET")"
echo "temporal: building Temporal CLI v$VERSION with $(go version | cut -d' ' -f3) (first time only:"
echo "          about 6 minutes and ~3 GB of module downloads on 2 cores; later runs reuse the build cache)"
started=$(date +%s)
log=$(mktemp)
# GOTOOLCHAIN=local: never download a toolchain; CGO off like the official release builds.
( GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$(cd "$(dirname "$TARGET")" && pwd)" go install -trimpath \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$VERSION" >"$log" 2>&1 ) &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 20
  printf 'temporal: still building (%ss elapsed, %s modules fetched)\n' "$(( $(date +%s) - started ))" "$(grep -c '^go: downloading' "$log" || true)"
done
if ! wait "$pid"; then
  echo "temporal: go install failed:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
rm -f "$log"
mkdir -p "$(dirname "$CACHE")" && cp "$TARGET" "$CACHE"
echo "temporal: built $TARGET in $(( $(date +%s) - started ))s: $("$TARGET" --version | head -n1)"
