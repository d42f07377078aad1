"""Agno's per-tool switches on the store configs: ``enable_*`` and ``agent_can_*``.

Agno users turn single tools off with flags such as ``UserMemoryConfig(enable_delete_memory=False)``
or ``DecisionLogConfig(agent_can_save=False)``. The configs accept the same flags; this module
says which tools each one removes. ``enable_*`` flags apply wherever the tool would be offered
(the agent's tools and background extraction); ``agent_can_*`` flags only to the agent's tools.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

ENABLE_FLAGS: dict[str, frozenset[str]] = {
    "enable_update_profile": frozenset({"update_user_profile"}),
    "enable_add_memory": frozenset({"add_memory"}),
    "enable_update_memory": frozenset({"update_memory"}),
    "enable_delete_memory": frozenset({"delete_memory"}),
    "enable_update_context": frozenset({"update_session_context"}),
}
AGENT_FLAGS: dict[str, frozenset[str]] = {
    "agent_can_update_profile": frozenset({"update_user_profile"}),
    "agent_can_update_memories": frozenset({"add_memory", "update_memory", "delete_memory"}),
    "agent_can_save": frozenset({"save_learning", "log_decision", "record_outcome"}),
    "agent_can_search": frozenset({"search_learnings", "search_decisions"}),
}


def switched_off(config: Any, *, agent: bool) -> frozenset[str]:
    """Names of the tools ``config``'s Agno switches take away (``agent``: for the agent's tool list)."""
    tables = (ENABLE_FLAGS, AGENT_FLAGS) if agent else (ENABLE_FLAGS,)
    names: set[str] = set()
    for table in tables:
        for flag, tools in table.items():
            if getattr(config, flag, True) is False:
                names |= tools
    return frozenset(names)


def apply_switches(config: Any, tools: Sequence[Callable[..., Any]], *, agent: bool) -> list[Callable[..., Any]]:
    """``tools`` without the ones the switches turn off."""
    off = switched_off(config, agent=agent)
    if not off:
        return list(tools)
    return [tool for tool in tools if getattr(tool, "__name__", "") not in off]
