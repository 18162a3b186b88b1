"""One-call checks for tests: a chart's invariants exhaustively (the walker) or randomly
(hypothesis), and a system's conformance to its chart (test paths). Each raises an
`AssertionError` subclass whose message shows the shortest (or shrunk) failing path.

A model is given as a `Model` or as ``"MODULE[:FACTORY]"`` with the factory's parameters as
keyword arguments (``assert_invariants("machines.cluster_update", workers=2, requests=2)``).
"""

from __future__ import annotations

from typing import Any

from statecharts.check.model import Model
from statecharts.check.walker import Report, check
from statecharts.cli.loading import UsageError
from statecharts.cli.loading import load_model as load_spec
from statecharts.errors import StatechartError
from statecharts.testing.model_based import Adapter, Conformance, run_paths


class PropertyViolation(StatechartError, AssertionError):
    """The walker found a property of the model violated; the message is its report.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {}}})
    >>> model = Model(m, alphabet=events("GO"), invariants={"never b": lambda s: not s.matches("b")})
    >>> try:
    ...     assert_invariants(model)
    ... except PropertyViolation as violation:
    ...     print(violation.report.ok, "never b" in str(violation))
    False True
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(report.format())


def load_model(model: Model | str, params: dict[str, Any] | None = None) -> Model:
    """``model`` itself, or the `Model` a ``MODULE[:FACTORY]`` factory returns for ``params``.

    >>> load_model("machines.cluster_update", {"workers": 1, "requests": 1}).name
    'cluster_update(workers=1, requests=1, lock=True)'
    """
    if isinstance(model, Model):
        if params:
            raise UsageError(
                f"parameters {sorted(params)} given with a ready Model "
                f"({model.name or model.machine.id}); pass a 'MODULE[:FACTORY]' instead"
            )
        return model
    return load_spec(model, params or {})


def assert_invariants(
    model: Model | str,
    /,
    *,
    deadlock: bool = False,
    temporal: bool = False,
    symmetry: bool = False,
    max_states: int | None = None,
    max_seconds: float | None = None,
    complete: bool = True,
    **params: Any,
) -> Report:
    """Walk every reachable state and assert the model's invariants (``deadlock=True``: also no
    deadlock; ``temporal=True``: also its temporal properties). ``complete=True`` also fails a walk
    a bound stopped. Returns the walker's `Report`.

    >>> assert_invariants("machines.cluster_update", workers=1, requests=1).distinct_states
    14
    """
    m = load_model(model, params)
    report = check(
        m, max_states=max_states, max_seconds=max_seconds, symmetry=symmetry, temporal=temporal, deadlock=deadlock
    )
    if not report.ok:
        raise PropertyViolation(report)
    if complete and not report.complete:
        raise PropertyViolation(report)
    return report


def assert_invariants_randomly(
    model: Model | str,
    /,
    adapter: Adapter | None = None,
    *,
    max_examples: int = 100,
    max_steps: int = 30,
    derandomize: bool = True,
    **params: Any,
) -> None:
    """Hypothesis walks of the chart (``max_examples`` walks of up to ``max_steps`` events), checking
    the model's invariants, and the adapter's agreement when one is given, after every step.

    >>> assert_invariants_randomly("machines.cluster_update", max_examples=5, workers=1, requests=1)
    """
    from statecharts.testing.strategies import check_randomly

    check_randomly(
        load_model(model, params), adapter, max_examples=max_examples, max_steps=max_steps, derandomize=derandomize
    )


def assert_conforms(model: Model | str, /, adapter: Adapter, *, cover: str = "edges", **params: Any) -> Conformance:
    """Run the ``cover`` paths (``edges``, ``transitions``, ``states``) against the adapter's system
    and raise the first `Disagreement`; returns the `Conformance` figures when all agree.

    >>> from statecharts import Machine
    >>> from statecharts.check.model import events
    >>> door = Machine({"id": "door", "initial": "shut", "states": {
    ...     "shut": {"on": {"OPEN": "open"}}, "open": {"on": {"SHUT": "shut"}}}})
    >>> class Door(Adapter):  # the system reports a bool; `expected` reads the chart the same way
    ...     def reset(self, initial):
    ...         self.is_open = False
    ...     def send(self, event):
    ...         self.is_open = event.name == "OPEN"
    ...     def observe(self):
    ...         return self.is_open
    ...     def expected(self, snapshot):
    ...         return snapshot.matches("open")
    >>> assert_conforms(Model(door, alphabet=events("OPEN") + events("SHUT")), Door(), cover="states").ok
    True
    """
    return run_paths(load_model(model, params), adapter, cover=cover).raise_on_failure()
