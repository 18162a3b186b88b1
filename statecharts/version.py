"""The package's version, in one place: ``pyproject.toml`` reads it from here (``dynamic``), the
facade re-exports it as ``statecharts.__version__``, and ``statecharts --version`` prints it."""

__version__ = "0.1.0"
