#!/usr/bin/env bash
# Ray, for `check --ray ADDRESS` and its tests (they start a head and two worker nodes on
# 127.0.0.1, once for the test module, and stop them): the `ray` extra of the package, pip-installed
# into the project's virtual environment. Without it (no network, no wheel for this platform) the
# Ray tests skip saying how to install it.
set -uo pipefail
"$PY" -c "import ray" >/dev/null 2>&1 && exit 0
if ! "$PY" -m pip install --quiet --disable-pip-version-check -e '.[ray]'; then
  echo "note: Ray could not be installed ('$PY -m pip install -e .[ray]' failed): check --ray is refused with" \
       "a message and its tests skip until it is (pip install 'statecharts[ray]')." >&2
fi
exit 0
