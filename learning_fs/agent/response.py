"""What ``Agent.run`` returns: the answer, the transcript, and — when paused — what awaits a person."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from learning_fs.extract import LoopResult, Message, Tool, ToolResult
from learning_fs.machine.hitl import Requirement


@dataclass
class RunState:
    """What ``continue_run`` needs to pick a paused run up again (kept inside the response)."""

    loop: LoopResult
    tools: dict[str, Tool]
    pausing: frozenset[str]
    start: int  # index in the transcript where this turn's messages begin (the user's message)
    message: str
    run_id: str = ""  # chosen before recall, so the feedback store knows what this run's context held


@dataclass
class RunResponse:
    """One run of the agent.

    ``content`` is the answer (``None`` while paused); ``messages`` the whole transcript sent to
    the model (system prompt and history included); ``tool_calls`` every tool call of the run
    with its result; ``context`` the learned context the model was given. A paused run has
    ``is_paused`` and one :class:`Requirement` per tool call awaiting a decision: confirm or
    reject each, then pass the response to ``agent.continue_run``.
    """

    content: str | None
    messages: list[Message]
    tool_calls: list[ToolResult] = field(default_factory=list)
    is_paused: bool = False
    requirements: list[Requirement] = field(default_factory=list)
    user_id: str | None = None
    session_id: str | None = None
    context: str = ""
    stop_reason: str = "done"
    error: str | None = None
    """Why the model stopped answering after tool calls had run (``stop_reason == "error"``): their
    results, saves included, stand and are in ``tool_calls``; the run does not raise for them."""
    state: RunState | None = field(default=None, repr=False)
    run_id: str = ""
    turn: list[Message] = field(default_factory=list, repr=False)
    """This turn's messages only (the user's, the answer, tool calls and results): what learning sees."""

    @property
    def active_requirements(self) -> list[Requirement]:
        """Agno's name for :attr:`undecided`: requirements waiting for ``confirm()`` or ``reject()``."""
        return self.undecided

    @property
    def undecided(self) -> list[Requirement]:
        """Requirements still waiting for ``confirm()`` or ``reject()``."""
        return [r for r in self.requirements if r.decision is None]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for logs and JSON output."""
        return {
            "content": self.content,
            "is_paused": self.is_paused,
            "user_id": self.user_id,
            "session_id": self.session_id,
            "stop_reason": self.stop_reason,
            "error": self.error,
            "tool_calls": [{"name": r.name, "ok": r.ok, "content": r.content} for r in self.tool_calls],
            "requirements": [{"tool": r.tool_name, "arguments": r.arguments, "store": r.store,
                              "decision": r.decision} for r in self.requirements],
        }
