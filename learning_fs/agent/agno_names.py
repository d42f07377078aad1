"""Agno's names on the reference agent: instructions as a list, HITL by run id, debug logging, ``@tool``.

Kept beside ``agent.py`` so the loop itself stays readable; ``docs/migrating-from-agno.md`` maps
every name.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from learning_fs.agent.response import RunResponse
    from learning_fs.machine import Requirement

F = TypeVar("F", bound=Callable[..., Any])
_DEBUG_HANDLER: logging.Handler | None = None


def agent_instructions(instructions: str | Sequence[str] | None) -> str | None:
    """Agno takes ``instructions=[...]``: the lines become one block, one per line."""
    if instructions is None or isinstance(instructions, str):
        return instructions
    lines = [str(line).strip() for line in instructions if line is not None and str(line).strip()]
    return "\n".join(lines) or None


def enable_debug_logging() -> None:
    """``debug_mode=True``: learning_fs logs at DEBUG on stderr (extraction, limits, waits)."""
    global _DEBUG_HANDLER
    logger = logging.getLogger("learning_fs")
    logger.setLevel(logging.DEBUG)
    if _DEBUG_HANDLER is None:
        _DEBUG_HANDLER = logging.StreamHandler(sys.stderr)
        _DEBUG_HANDLER.setFormatter(logging.Formatter("DEBUG %(name)s: %(message)s"))
        logger.addHandler(_DEBUG_HANDLER)


@overload
def tool(function: F) -> F: ...


@overload
def tool(*, requires_confirmation: bool = False, name: str | None = None,
         description: str | None = None) -> Callable[[F], F]: ...


def tool(function: Any = None, *, requires_confirmation: bool = False, name: str | None = None,
         description: str | None = None) -> Any:
    """Agno's ``@tool``: mark a function as a tool; ``requires_confirmation=True`` pauses the run before it runs.

    The paused call is a :class:`~learning_fs.machine.Requirement` like a HITL learning tool's:
    ``confirm()`` or ``reject()`` it, then ``agent.continue_run(...)``.
    """

    def mark(target: F) -> F:
        target.requires_confirmation = requires_confirmation  # type: ignore[attr-defined]
        if name:
            target.__name__ = name
        if description:
            target.__doc__ = description
        return target

    return mark(function) if callable(function) else mark


class AgnoAgentMixin:
    """Agno's HITL spelling: ``continue_run(run_id=..., requirements=...)`` finds the paused run."""

    _paused: dict[str, RunResponse]

    def _paused_run(self, response: RunResponse | None, run_id: str | None,
                    requirements: Sequence[Requirement] | None) -> RunResponse:
        if response is None:
            if run_id is None:
                raise TypeError("continue_run needs the paused RunResponse, or run_id= (Agno's spelling)")
            found = self._paused.get(run_id)
            if found is None:
                raise ValueError(f"no paused run {run_id!r} on this agent (a run continues once)")
            response = found
        if requirements is not None:  # the caller's decisions, possibly on copies of the requirements
            decided = {id(r.pending): r for r in requirements}
            for own in response.requirements:
                theirs = decided.get(id(own.pending)) or next(
                    (r for r in requirements if r.tool_call_id == own.tool_call_id), None)
                if theirs is not None and theirs.decision is not None and own.decision is None:
                    own.confirm() if theirs.confirmed else own.reject(theirs.pending.reason)
        self._paused.pop(response.run_id, None)
        return response
