#!/usr/bin/env bash
# node + xstate v5 (benchmarks/xstate): the peer of the differential tests and the benchmarks.
# Without them those tests replay the committed recordings and skip the re-recording.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "warning: could not install node/npm; xstate differential tests will skip re-recording" >&2
    exit 0
  fi
fi
cd "$(dirname "$0")/../../benchmarks/xstate"
[ -d node_modules/xstate ] || npm install --no-audit --no-fund --silent
