#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl, postgres), for the PostgresStore tests and benchmark:
# the tests start a throwaway cluster on a temporary directory and a free loopback port, then stop it.
set -euo pipefail
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq postgresql >/dev/null
  # Debian's package starts a cluster of its own; the tests need none of it
  $SUDO pg_ctlcluster --help >/dev/null 2>&1 && for c in /etc/postgresql/*/main; do
    [ -d "$c" ] && $SUDO pg_ctlcluster "$(basename "$(dirname "$c")")" main stop >/dev/null 2>&1 || true
  done
else
  echo "warning: could not install PostgreSQL (apt-get install postgresql); the PostgresStore tests will skip" >&2
fi
