"""The inspection records' schema and log format: `statecharts.inspection`, which both runtimes
write through (this name is kept for the asyncio runtime's readers)."""

from statecharts.inspection import KINDS, Inspection, Recorder, dumps, event_data, loads, plain

__all__ = ["KINDS", "Inspection", "Recorder", "dumps", "event_data", "loads", "plain"]
