"""The pytest plugin: a ``chart_check`` fixture, so one short test checks a chart.

Registered through the ``pytest11`` entry point (``statecharts = "statecharts.pytest_plugin"``),
or load it by hand with ``-p statecharts.pytest_plugin``::

    def test_cluster_update(chart_check):
        # invariants, deadlock and temporal properties, as `python -m statecharts check` checks them
        chart_check.exhaustively("machines.cluster_update", workers=2, requests=2, conf_ok=True)
        chart_check.randomly("machines.cluster_update", workers=3, requests=3)

    def test_controller_follows_the_chart(chart_check):
        chart_check.conforms("machines.cluster_update", MyAdapter(), workers=2, requests=2)

Options: ``--chart-examples N`` (hypothesis walks per ``randomly``, default 100) and
``--chart-steps N`` (events per walk, default 30). The plugin imports nothing heavy until a test
asks for the fixture.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from statecharts.check.model import Model
    from statecharts.check.walker import Report
    from statecharts.testing.model_based import Adapter, Conformance


# the walk's own options of `assert_invariants`; any other keyword is a factory parameter
WALK_OPTIONS = ("symmetry", "max_states", "max_seconds", "complete")


class NotChecked(UserWarning):
    """`ChartCheck.exhaustively` was told to leave out deadlock or the temporal properties: the
    test's warnings summary names them, so a passing test does not claim more than was checked."""


@dataclass
class ChartCheck:
    """What the ``chart_check`` fixture gives a test: the `statecharts.testing` checks with the
    session's defaults. A model is a `Model` or ``"MODULE[:FACTORY]"`` plus factory parameters.

    >>> ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, conf_ok=True).distinct_states
    10
    """

    max_examples: int = 100
    max_steps: int = 30

    def exhaustively(
        self, model: Model | str, /, *, deadlock: bool = True, temporal: bool = True, **options: Any
    ) -> Report:
        """Every reachable state, checked as ``python -m statecharts check`` checks it: the
        invariants (and that no step raises), deadlock and the temporal properties, under the
        model's fairness (`statecharts.testing.assert_invariants` with ``deadlock=True,
        temporal=True``). ``deadlock=False`` or ``temporal=False`` leaves those out, and the test's
        output says so: a `NotChecked` warning names what was not checked. Other options:
        ``symmetry``, ``max_states``, ``max_seconds``, ``complete`` (a walk a bound stopped fails
        unless ``complete=False``), and the factory's parameters.

        >>> ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, conf_ok=True).ok
        True
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as said:
        ...     ok = ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, temporal=False).ok
        >>> ok, str(said[0].message)
        (True, 'chart_check.exhaustively(cluster_update(workers=1, requests=1, lock=True)): not checked:
        temporal properties Converges, EveryReqIsDecided, EveryReqIsProcessed, NoPartialUpdateTermination')
        """
        from statecharts.testing.checks import assert_invariants, load_model

        walk = {k: options.pop(k) for k in list(options) if k in WALK_OPTIONS}
        checked = load_model(model, options)
        report = assert_invariants(checked, deadlock=deadlock, temporal=temporal, **walk)
        skipped = [] if deadlock else ["deadlock"]
        if not temporal and checked.properties:
            skipped.append("temporal properties " + ", ".join(sorted(checked.properties)))
        if skipped:
            name = checked.name or checked.machine.id
            warnings.warn(
                NotChecked(f"chart_check.exhaustively({name}): not checked: {'; '.join(skipped)}"), stacklevel=2
            )
        return report

    def randomly(self, model: Model | str, /, adapter: Adapter | None = None, **options: Any) -> None:
        """Hypothesis walks: `statecharts.testing.assert_invariants_randomly`.

        >>> ChartCheck(max_examples=3, max_steps=5).randomly("machines.cluster_update", workers=1, requests=1)
        """
        from statecharts.testing.checks import assert_invariants_randomly

        options.setdefault("max_examples", self.max_examples)
        options.setdefault("max_steps", self.max_steps)
        assert_invariants_randomly(model, adapter, **options)

    def conforms(self, model: Model | str, /, adapter: Adapter, **options: Any) -> Conformance:
        """Test paths against the system: `statecharts.testing.assert_conforms`.

        >>> from statecharts import Machine
        >>> from statecharts.check.model import Model, events
        >>> from statecharts.testing import Adapter
        >>> m = Machine({"id": "t", "initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"on": {"GO": "a"}}}})
        >>> class Actor(Adapter):  # the interpreter itself as the system under test
        ...     def reset(self, initial): self.actor = m.interpret().start()
        ...     def send(self, event): self.actor.send(event)
        ...     def observe(self): return self.actor.state.value
        >>> ChartCheck().conforms(Model(m, alphabet=events("GO")), Actor()).steps
        2
        """
        from statecharts.testing.checks import assert_conforms

        return assert_conforms(model, adapter, **options)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--chart-examples`` and ``--chart-steps`` to pytest's command line.

    >>> class Group:
    ...     def addoption(self, name, **options): print(name, options["type"].__name__, options["default"])
    >>> class Parser:
    ...     def getgroup(self, name, description): return Group()
    >>> pytest_addoption(Parser())
    --chart-examples int None
    --chart-steps int None
    """
    group = parser.getgroup("statecharts", "statecharts chart checks")
    group.addoption(
        "--chart-examples",
        type=int,
        default=None,
        metavar="N",
        help="hypothesis walks per chart_check.randomly (default 100)",
    )
    group.addoption(
        "--chart-steps",
        type=int,
        default=None,
        metavar="N",
        help="events per hypothesis walk in chart_check.randomly (default 30)",
    )


@pytest.fixture
def chart_check(request: pytest.FixtureRequest) -> ChartCheck:
    """Check a chart's invariants exhaustively or randomly, or a system's conformance to it.

    >>> import inspect
    >>> from types import SimpleNamespace
    >>> options = {"chart_examples": 5}
    >>> request = SimpleNamespace(config=SimpleNamespace(getoption=lambda name, default: options.get(name, default)))
    >>> inspect.unwrap(chart_check)(request)
    ChartCheck(max_examples=5, max_steps=30)
    """
    check = ChartCheck()
    examples = request.config.getoption("chart_examples", None)
    steps = request.config.getoption("chart_steps", None)
    if examples is not None:
        check.max_examples = examples
    if steps is not None:
        check.max_steps = steps
    return check
