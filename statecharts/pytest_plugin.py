"""The pytest plugin: a ``chart_check`` fixture, so one short test checks a chart.

Registered through the ``pytest11`` entry point (``statecharts = "statecharts.pytest_plugin"``),
or load it by hand with ``-p statecharts.pytest_plugin``::

    def test_cluster_update(chart_check):
        chart_check.exhaustively("machines.cluster_update", workers=2, requests=2)
        chart_check.randomly("machines.cluster_update", workers=3, requests=3)

    def test_controller_follows_the_chart(chart_check):
        chart_check.conforms("machines.cluster_update", MyAdapter(), workers=2, requests=2)

Options: ``--chart-examples N`` (hypothesis walks per ``randomly``, default 100) and
``--chart-steps N`` (events per walk, default 30). The plugin imports nothing heavy until a test
asks for the fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from statecharts.check.model import Model
    from statecharts.check.walker import Report
    from statecharts.testing.model_based import Adapter, Conformance


@dataclass
class ChartCheck:
    """What the ``chart_check`` fixture gives a test: the `statecharts.testing` checks with the
    session's defaults. A model is a `Model` or ``"MODULE[:FACTORY]"`` plus factory parameters.

    >>> ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1).distinct_states
    14
    """

    max_examples: int = 100
    max_steps: int = 30

    def exhaustively(self, model: Model | str, /, **options: Any) -> Report:
        """Every reachable state: `statecharts.testing.assert_invariants` (options: ``deadlock``,
        ``temporal``, ``symmetry``, ``max_states``, ``max_seconds``, ``complete``, factory params).

        >>> ChartCheck().exhaustively("machines.cluster_update", workers=1, requests=1, deadlock=True).ok
        True
        """
        from statecharts.testing.checks import assert_invariants

        return assert_invariants(model, **options)

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
