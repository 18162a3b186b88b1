"""The bounds the library puts on its input, in one place (each one is a clear error when crossed).

>>> MAX_DELAY_MS / 1000 / 86400 > 100 * 365  # more than a century of milliseconds
True
"""

from __future__ import annotations

import threading

MAX_DELAY_MS = threading.TIMEOUT_MAX * 1000
"""The longest delay a timer can wait (Python's own limit for a thread's wait, in ms)."""

MAX_DEPTH = 200
"""The deepest nesting of states (and of JSON in snapshots and chart files) the library accepts:
deeper input would exhaust Python's recursion limit half-way through."""
