"""Text for people: suggestions for a misspelt name, readable names of callables, delays as people
write them. Error messages, reports and diagrams share these."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any


def callable_name(fn: Callable[..., Any]) -> str:
    """A readable name for an inline callable (``<lambda>`` gets its source position).

    >>> def notify(context, event): pass
    >>> callable_name(notify), callable_name(lambda c, e: None).startswith("lambda@")
    ('notify', True)
    """
    name = getattr(fn, "__name__", None) or type(fn).__name__
    if name == "<lambda>":
        code = getattr(fn, "__code__", None)
        if code is not None:
            return f"lambda@{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}"
        return "lambda"
    return str(name)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean ...?)' suffix when a close match exists, else ''.

    >>> did_you_mean("intial", ["initial", "states"])
    " (did you mean 'initial'?)"
    """
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def format_delay(delay: Any) -> str:
    """A delay as people write it: ``5s``, ``500ms``, ``1.5s``, a delay name or a function name.

    Numbers (and digit strings, as ``after`` keys are) are milliseconds; whole tenths of a
    second from one second up read as seconds. Reports and diagrams both use this.

    >>> format_delay(5000), format_delay("500"), format_delay(1500), format_delay("retryDelay")
    ('5s', '500ms', '1.5s', 'retryDelay')
    """
    if isinstance(delay, str) and delay.isdigit():
        delay = int(delay)
    if isinstance(delay, bool):
        return str(delay)
    if isinstance(delay, (int, float)):
        if delay >= 1000 and delay % 100 == 0:
            seconds = delay / 1000
            return f"{seconds:g}s"
        return f"{delay:g}ms"
    if callable(delay):
        return callable_name(delay)
    return str(delay)
