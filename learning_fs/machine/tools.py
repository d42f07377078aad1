"""Store tools as the machine hands them out: tagged with their store and mode, fenced by user."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from learning_fs.machine.privacy import scrub_private

if TYPE_CHECKING:
    from learning_fs.machine.machine import StoreSlot

READ_ONLY_PREFIXES = ("search_", "get_", "list_", "find_")


def bind_tool(tool: Callable[..., Any], slot: StoreSlot, user_id: str | None) -> Callable[..., Any]:
    """The store's tool, tagged with its store and mode; results private to others are removed."""
    if inspect.iscoroutinefunction(tool):
        @functools.wraps(tool)
        async def async_tool(*args: Any, **kwargs: Any) -> Any:
            return scrub_private(await tool(*args, **kwargs), user_id, slot.name)

        bound: Any = async_tool
    else:
        @functools.wraps(tool)
        def sync_tool(*args: Any, **kwargs: Any) -> Any:
            return scrub_private(tool(*args, **kwargs), user_id, slot.name)

        bound = sync_tool
    bound.learning_store = slot.name
    bound.learning_mode = slot.mode
    bound.read_only = is_read_only(tool)
    bound.requires_confirmation = slot.pauses and bool(getattr(tool, "requires_confirmation", not bound.read_only))
    return bound


def tool_store(tool: Callable[..., Any]) -> str:
    """The name of the store a tool made by :func:`bind_tool` belongs to (its ``learning_store`` tag)."""
    return str(vars(tool)["learning_store"])


def is_read_only(tool: Callable[..., Any]) -> bool:
    """Whether a tool only reads: HITL pauses writes, never searches.

    A store says so with a ``read_only`` attribute on the tool (or, to force a pause in HITL
    mode, ``requires_confirmation = True``); otherwise the name decides: ``search_*``,
    ``get_*``, ``list_*`` and ``find_*`` only read.
    """
    flag = getattr(tool, "read_only", None)
    if flag is not None:
        return bool(flag)
    return str(getattr(tool, "__name__", "")).startswith(READ_ONLY_PREFIXES)
