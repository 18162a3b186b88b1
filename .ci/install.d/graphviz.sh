#!/usr/bin/env bash
# Graphviz's `dot`, for SVG/PNG/PDF rendering (DOT and Mermaid text need nothing).
set -euo pipefail
command -v dot >/dev/null 2>&1 && exit 0
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq graphviz >/dev/null
elif command -v brew >/dev/null 2>&1; then
  brew install graphviz
elif command -v dnf >/dev/null 2>&1; then
  $SUDO dnf install -y graphviz
else
  echo "warning: could not install Graphviz 'dot'; SVG/PNG rendering tests will fail" >&2
fi
