"""An MCP (Model Context Protocol) server over a memory repository: ``learning-fs mcp``.

:class:`MemoryService` holds the operations (thin calls into :mod:`learning_fs.ops`, the index
and the machine, fenced to the users the server acts for); :func:`build_server` exposes them as
MCP tools and resources with the official ``mcp`` SDK. See docs/mcp.md.
"""

from learning_fs.mcp.service import MemoryService, ScopeError

__all__ = ["MemoryService", "ScopeError", "build_server", "serve"]


def __getattr__(name: str) -> object:
    """``build_server`` and ``serve`` import the SDK, so they load on first use."""
    if name in ("build_server", "serve"):
        from learning_fs.mcp import server

        return getattr(server, name)
    raise AttributeError(name)
