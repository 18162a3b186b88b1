#!/usr/bin/env bash
# node + xstate 5 (npm), for the differential tests against xstate (tests/interop) and the
# benchmarks. Without them those tests compare with the committed recording or skip.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq nodejs npm >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    brew install node
  else
    echo "warning: could not install node/npm; the xstate differential tests will use the recording or skip" >&2
    exit 0
  fi
fi
cd "$HERE/benchmarks/xstate"
npm install --no-audit --no-fund --silent
