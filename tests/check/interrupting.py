"""Ctrl-C as a terminal sends it, at a known point of a fingerprint walk: SIGINT to the process
group of a ``check`` command once its checkpoint says a given breadth-first level is reached."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path


def interrupt_at_level(
    command: list[str],
    cwd: Path,
    checkpoints: Callable[[], Iterable[Path]],
    level: int = 3,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; press Ctrl-C once one of ``checkpoints()`` has reached ``level``; its outcome."""
    walk = subprocess.Popen(
        command,
        cwd=cwd,
        env=None if env is None else dict(env),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and walk.poll() is None:
            try:
                if max(json.loads(path.read_text())["depth"] for path in checkpoints()) >= level:
                    break
            except (OSError, ValueError):  # none yet, or one being written
                pass
            time.sleep(0.02)
        assert walk.poll() is None, "the walk ended before it could be interrupted"
        os.killpg(walk.pid, signal.SIGINT)
        out, err = walk.communicate(timeout=120)
    finally:
        if walk.poll() is None:
            os.killpg(walk.pid, signal.SIGKILL)
            walk.communicate()
    return subprocess.CompletedProcess(command, walk.returncode, out, err)
