"""The runtime: actors over the small `Logic` protocol (the asyncio actor, the actor system,
services, inspection records). Nothing below this package imports it."""

from statecharts.runtime.actor import ActorSystem, AsyncActor
from statecharts.runtime.logic import Logic, MachineLogic
from statecharts.services import from_callback

__all__ = ["ActorSystem", "AsyncActor", "Logic", "MachineLogic", "from_callback"]
