#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl, postgres), for the PostgresStore tests and benchmark:
# the tests start a throwaway cluster on a temporary directory and a free loopback port, then stop
# it. Installed through Debian's `postgresql` package where that is possible (root, or sudo without
# a password); otherwise a clear message, and the PostgreSQL tests skip saying so.
set -uo pipefail
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
installed=1
if [ "$SUDO" != "none" ] && command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq postgresql >/dev/null && installed=0
  # the package may start a cluster of its own: the tests need none of it
  for conf in /etc/postgresql/*/main; do
    [ -d "$conf" ] && $SUDO pg_ctlcluster "$(basename "$(dirname "$conf")")" main stop >/dev/null 2>&1
  done
fi
if [ "$installed" != 0 ]; then
  echo "note: the PostgreSQL server is not installed and could not be (no root, no password-less sudo or no" \
       "apt-get): install it yourself (Debian/Ubuntu: sudo apt-get install postgresql). Until then the" \
       "PostgresStore tests skip with this advice." >&2
fi
exit 0
