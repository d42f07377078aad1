"""Which stores learn when: the mode table as the machine applies it, and mode validation.

The table itself lives next to ``LearningMode`` in ``learning_fs.stores.protocol`` (stores
cannot import the machine, and both must read the same one); it is re-exported here. Per store,
its mode alone decides whether it extracts after a turn (``EXTRACTING_MODES``: ALWAYS,
PROPOSE), whether the agent gets its write tools by default (``TOOL_MODES``: AGENTIC, HITL;
``enable_agent_tools=True`` adds them in the other modes), whether those tools pause the run for
a person (``PAUSING_MODES``: HITL), and whether writes become proposals (``PROPOSING_MODES``:
PROPOSE). A store declares the modes it can honour in ``SUPPORTED_MODES``; anything else is
refused when the machine is built, because a mode that silently does nothing is a memory that
silently never forms.
"""

from __future__ import annotations

from typing import Any

from learning_fs.stores.protocol import (
    EXTRACTING_MODES,
    PAUSING_MODES,
    PROPOSING_MODES,
    TOOL_MODES,
    LearningMode,
    check_mode,
)

__all__ = [
    "EXTRACTING_MODES",
    "PAUSING_MODES",
    "PROPOSING_MODES",
    "TOOL_MODES",
    "LearningMode",
    "store_mode",
    "supported_modes",
    "validate_mode",
]


def store_mode(store: Any, name: str | None = None) -> LearningMode:
    """The store's mode (``ALWAYS`` for a custom store that declares none).

    Raises ``ValueError`` when the declared mode is not a ``LearningMode``, naming the store as
    the machine knows it: ``name`` (its slot, e.g. the key in ``custom_stores``) and, when that
    differs, its ``learning_type``.
    """
    declared = getattr(store, "mode", None)
    if declared is None:
        return LearningMode.ALWAYS
    try:
        return LearningMode(getattr(declared, "value", declared))
    except ValueError:
        names = ", ".join(sorted({m.value for m in LearningMode}))
        raise ValueError(f"{_label(store, name)}: unknown learning mode {declared!r} (one of: {names})") from None


def supported_modes(store: Any) -> frozenset[LearningMode]:
    """``SUPPORTED_MODES`` of the store; a custom store that declares none supports every mode."""
    declared = getattr(store, "SUPPORTED_MODES", None)
    if declared is None:
        return frozenset(LearningMode)
    return frozenset(LearningMode(getattr(m, "value", m)) for m in declared)


def validate_mode(store: Any, name: str | None = None) -> LearningMode:
    """The store's mode, or a ``ValueError`` naming the store (``name``: its slot) and what it supports."""
    mode = store_mode(store, name)
    check_mode(name or _name(store), mode, supported_modes(store))
    return mode


def _name(store: Any) -> str:
    return str(getattr(store, "learning_type", None) or type(store).__name__)


def _label(store: Any, name: str | None) -> str:
    """``team_notes (learning_type 'notes')``: the slot a user configured, and the store's own name."""
    own = _name(store)
    if not name or name == own:
        return own
    return f"{name} (learning_type {own!r})"
