#!/usr/bin/env bash
# Debian's Chromium for the ui test tier (the Web UI in a real browser). Nothing downloads a
# browser build: the package comes from Debian's archive. CHROMIUM_PATH points at another binary.
set -euo pipefail
target="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$target" ]; then exit 0; fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "chromium: installing Debian's chromium package (first time only)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | tail -n1)"
  exit 0
fi
echo "chromium: /usr/bin/chromium is missing. Install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
exit 1
