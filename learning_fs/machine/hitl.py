"""Human in the loop: a paused tool call, shown to a person with the evidence behind it.

In HITL mode the agent loop stops before a learning tool runs (``learning_fs.extract`` pauses
the loop) and hands the application one :class:`Requirement` per paused call. A requirement
renders like a proposal — the change plus the same :class:`Evidence` a proposal commit carries —
so people review both in one way. ``confirm()`` lets the call run when the run continues;
``reject(reason)`` runs nothing and tells the model why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from learning_fs.extract import PendingCall
from learning_fs.machine.writer import Evidence

ARGUMENT_PREVIEW = 300  # characters per argument in a rendered requirement


@dataclass
class Requirement:
    """One tool call waiting for a person's decision."""

    pending: PendingCall
    store: str
    evidence: Evidence

    @property
    def tool_name(self) -> str:
        return self.pending.name

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.pending.arguments)

    @property
    def decision(self) -> str | None:
        """``"confirm"``, ``"reject"`` or ``None`` while undecided."""
        return self.pending.decision

    @property
    def confirmed(self) -> bool:
        return self.pending.decision == "confirm"

    @property
    def rejected(self) -> bool:
        return self.pending.decision == "reject"

    def confirm(self) -> None:
        """Let the call run when the run continues."""
        self.pending.confirm()

    def reject(self, reason: str | None = None) -> None:
        """Run nothing; the model is told the user said no (and why, when given)."""
        self.pending.reject(reason)

    # -- Agno's names: requirement.tool_execution.tool_name / .tool_args, needs_confirmation ----
    @property
    def tool_call_id(self) -> str:
        return self.pending.call.id

    @property
    def tool_execution(self) -> ToolExecution:
        """Agno's view of the paused call: ``tool_name`` and ``tool_args``."""
        return ToolExecution(self.tool_name, self.arguments, self.tool_call_id)

    @property
    def needs_confirmation(self) -> bool:
        """True until confirmed or rejected (Agno's ``requirement.needs_confirmation``)."""
        return self.pending.decision is None

    @property
    def is_resolved(self) -> bool:
        return self.pending.decision is not None

    def render(self) -> str:
        """The change and its evidence, as a reviewer reads it."""
        return f"{self.tool_name}({render_arguments(self.arguments)})\n{self.evidence.render()}"


@dataclass(frozen=True)
class ToolExecution:
    """The paused tool call under Agno's names."""

    tool_name: str
    tool_args: dict[str, Any]
    tool_call_id: str


def render_arguments(arguments: dict[str, Any]) -> str:
    """``title='Use uv', tags=['python']`` with long values shortened."""
    parts = []
    for key, value in arguments.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > ARGUMENT_PREVIEW:
            text = text[:ARGUMENT_PREVIEW] + "…"
        parts.append(f"{key}={text!r}" if isinstance(value, str) else f"{key}={text}")
    return ", ".join(parts)
