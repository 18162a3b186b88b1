#!/usr/bin/env bash
# Graphviz's `dot`, for SVG/PNG/PDF rendering (DOT and Mermaid text need nothing). Installed through
# the system package manager where that is possible (root, or sudo without a password, or brew);
# otherwise a clear message, and the tests that need `dot` skip saying so.
set -uo pipefail
command -v dot >/dev/null 2>&1 && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
installed=1
if command -v brew >/dev/null 2>&1; then
  brew install graphviz && installed=0
elif [ "$SUDO" != "none" ] && command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq graphviz >/dev/null && installed=0
elif [ "$SUDO" != "none" ] && command -v dnf >/dev/null 2>&1; then
  $SUDO dnf install -y graphviz && installed=0
fi
if [ "$installed" != 0 ]; then
  echo "note: Graphviz 'dot' is not installed and could not be (no root, no password-less sudo or no known" \
       "package manager): install it yourself (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install" \
       "graphviz). Until then SVG/PNG/PDF output is refused with a message and the tests that need it skip." >&2
fi
exit 0
