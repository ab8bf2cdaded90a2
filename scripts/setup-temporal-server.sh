#!/usr/bin/env bash
# Provides Temporal Server 1.29.1 (the server inside the pinned CLI) and its SQL schema tool in
# .tools/bin/temporal-server and .tools/bin/temporal-sql-tool, for cluster mode (PostgreSQL
# persistence, several worker processes). Built once with `go install` from the Go module proxy and
# cached per user outside the clone, like scripts/setup-temporal.sh caches the CLI, so fresh clones
# and CI reuse the build.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.29.1
BIN="$PWD/.tools/bin"
CACHE="${PSA_SYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/psa-sync}/temporal-server-$VERSION"
# name in .tools/bin  ->  package built by go install (the binary is named after the last path element)
declare -A PACKAGES=(
  [temporal-server]="go.temporal.io/server/cmd/server"
  [temporal-sql-tool]="go.temporal.io/server/cmd/tools/sql"
)

missing=()
for name in temporal-server temporal-sql-tool; do
  if [ -x "$BIN/$name" ]; then continue; fi
  if [ -x "$CACHE/$name" ]; then
    mkdir -p "$BIN" && cp "$CACHE/$name" "$BIN/$name"
    echo "temporal-server: using cached build $CACHE/$name"
    continue
  fi
  missing+=("$name")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "temporal-server: using $BIN/temporal-server and $BIN/temporal-sql-tool (v$VERSION)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "temporal-server: Go is not installed, and Temporal Server is built from source with it." >&2
  echo "                 Install Go >= 1.25 (https://go.dev/dl/)." >&2
  exit 1
fi

echo "temporal-server: building ${missing[*]} v$VERSION with $(go version | cut -d' ' -f3) (first time only:"
echo "                 a few minutes on 2 cores; later runs reuse the cached binaries)"
started=$(date +%s)
mkdir -p "$CACHE"
for name in "${missing[@]}"; do
  pkg="${PACKAGES[$name]}"
  log=$(mktemp)
  out=$(mktemp -d)
  step_started=$(date +%s)
  # GOTOOLCHAIN=local: never download a toolchain. CGO off and the trimmed gRPC modules, as the
  # upstream Makefile builds it.
  ( GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$out" go install -trimpath -tags disable_grpc_modules \
      -ldflags "-s -w" "$pkg@v$VERSION" >"$log" 2>&1 ) &
  pid=$!
  # Stop the build if this script is interrupted, so no go process outlives it.
  trap 'kill "$pid" 2>/dev/null || true; rm -rf "$out" "$log"; exit 130' INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null && sleep 2; done
    kill -0 "$pid" 2>/dev/null || break
    printf 'temporal-server: still building %s (%ss elapsed, %s modules fetched)\n' \
      "$name" "$(( $(date +%s) - step_started ))" "$(grep -c '^go: downloading' "$log" || true)"
  done
  if ! wait "$pid"; then
    echo "temporal-server: go install $pkg@v$VERSION failed:" >&2
    tail -n 30 "$log" >&2
    rm -rf "$out" "$log"
    exit 1
  fi
  trap - INT TERM
  built="$out/$(basename "$pkg")"
  # Cache first (atomically, so a concurrent reader never sees half a file), then copy into the clone.
  cp "$built" "$CACHE/.$name.tmp.$$" && mv -f "$CACHE/.$name.tmp.$$" "$CACHE/$name"
  mkdir -p "$BIN" && cp "$built" "$BIN/$name"
  rm -rf "$out" "$log"
  echo "temporal-server: built $name in $(( $(date +%s) - step_started ))s"
done
echo "temporal-server: ready in $(( $(date +%s) - started ))s: $BIN/temporal-server, $BIN/temporal-sql-tool"
