#!/usr/bin/env bash
# Debian's `chromium`, the browser the inspector tests drive headless through Playwright for Python
# (the `playwright` pip package of the `test` extra, pointed at /usr/bin/chromium; never
# `playwright install`, which downloads a browser build). Without root or apt-get: a message, and
# the browser tests skip saying how to install it.
set -uo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
if [ "$SUDO" != "none" ] && command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "note: chromium is not installed and could not be: install it yourself (Debian/Ubuntu: sudo apt-get" \
     "install chromium). Until then the inspector's browser tests skip." >&2
exit 0
