"""Services that are not machines: `statecharts.services`, shared by both runtimes (this name is
kept for the asyncio runtime's users)."""

from statecharts.services import CallbackService, ServiceRef, from_callback

__all__ = ["CallbackService", "ServiceRef", "from_callback"]
