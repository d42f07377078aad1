"""The tool-calling loop shared by background extraction and the reference agent.

Ask the model, run the tool calls it makes, send the results back, repeat until it answers in
text or ``max_steps`` model calls have been made. Bad tool calls do not stop the loop: they come
back to the model as error messages (see ``tools.call_tool``). Model errors (HTTP, garbage) do stop
it, as ``ModelError``, because there is nothing sensible to send back — unless a tool call has
already run: then the loop returns what happened (``stop_reason == "error"``, ``error`` says why),
so a save that was made is never reported as a failure of the whole run.

``tool_choice`` applies to the first model call (``"required"``: extraction must call a tool);
later calls send ``"auto"`` so the model can finish in text. ``until(results)``, asked after each
step with that step's tool results, ends the loop early when it answers True (extraction: the
model saved and nothing was refused, so a closing "done" is not worth a model call — on
llama-cpp-python an ``"auto"`` step is also the one that ignores ``max_tokens``).

Human in the loop: ``on_tool_call(call)`` is asked before each call runs and may answer
``"run"`` (or ``None``), ``"reject"`` (answer the model with a refusal, run nothing) or ``"pause"``.
Calls in the same assistant turn that are not paused still run; then the loop stops and returns a
``LoopResult`` with ``stop_reason == "paused"`` and the paused calls in ``pending``. The application
shows them to the user, calls ``confirm()`` or ``reject(reason)`` on each ``PendingCall``, and hands
the result to ``resume_tool_loop``, which runs the confirmed calls, answers the rejected ones with
"the user rejected this tool call", and continues the loop. A ``LoopResult`` is plain data (dicts
and dataclasses), so the pause can outlive the process that made it.

While a tool runs, :func:`running_transcript` returns the loop's transcript so far (the messages
the model was sent, its replies and the tool results it read): grounded store tools check a saved
value against that whole conversation, not only the user's last message.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from learning_fs.extract.errors import ModelError
from learning_fs.extract.model import ChatModel, Message, ToolCall, ToolChoice
from learning_fs.extract.tools import Tool, ToolResult, ToolsLike, acall_tool, as_tools, call_tool

logger = logging.getLogger(__name__)

ToolDecision = Literal["run", "pause", "reject"]
OnToolCall = Callable[[ToolCall], "ToolDecision | Awaitable[ToolDecision | None] | None"]
StopReason = Literal["done", "paused", "max_steps", "error"]
Until = Callable[[list[ToolResult]], bool]
StepChoice = Callable[[int], ToolChoice]
"""``tool_choice`` as a function of the step (1, 2, …), for callers that need more than first-then-auto."""

_TRANSCRIPT: contextvars.ContextVar[Sequence[Message] | None] = contextvars.ContextVar(
    "learning_fs_transcript", default=None)


def running_transcript() -> Sequence[Message] | None:
    """The transcript of the tool loop whose tool is running now (``None`` outside a loop).

    The live list: the model's messages, its replies and every tool result recorded so far (the
    reply that made the running call included). Read it, never change it.
    """
    return _TRANSCRIPT.get()


@contextmanager
def _seen_by_tools(transcript: Sequence[Message]) -> Iterator[None]:
    token = _TRANSCRIPT.set(transcript)
    try:
        yield
    finally:
        _TRANSCRIPT.reset(token)


@dataclass
class PendingCall:
    """A tool call waiting for the application's (usually the user's) decision."""

    call: ToolCall
    decision: Literal["confirm", "reject"] | None = None
    reason: str | None = None

    @property
    def name(self) -> str:
        return self.call.name

    @property
    def arguments(self) -> dict[str, Any]:
        return self.call.arguments

    def confirm(self) -> None:
        """Run this call when the loop resumes."""
        self.decision, self.reason = "confirm", None

    def reject(self, reason: str | None = None) -> None:
        """Do not run this call; the model is told the user rejected it (and why, if given)."""
        self.decision, self.reason = "reject", reason


@dataclass
class LoopResult:
    """Where the loop stopped.

    ``messages`` is the whole transcript (the input messages included), ready to be sent again;
    ``tool_results`` lists every call made so far, in order, across pauses.
    """

    messages: list[Message]
    final_content: str | None
    tool_results: list[ToolResult]
    pending: list[PendingCall] = field(default_factory=list)
    stop_reason: StopReason = "done"
    steps: int = 0
    error: str | None = None
    """Why the model failed after tool calls had run (``stop_reason == "error"``)."""

    @property
    def paused(self) -> bool:
        return self.stop_reason == "paused"


def run_tool_loop(
    model: ChatModel,
    messages: Sequence[Mapping[str, Any]],
    tools: ToolsLike,
    max_steps: int = 8,
    on_tool_call: OnToolCall | None = None,
    tool_choice: ToolChoice | StepChoice | None = None,
    until: Until | None = None,
) -> LoopResult:
    """Run the loop from ``messages`` (never mutated) with ``tools`` ({name: function} or a list)."""
    transcript = [dict(message) for message in messages]
    with _seen_by_tools(transcript):
        return _run(model, transcript, as_tools(tools), [], max_steps, on_tool_call, tool_choice, until)


def resume_tool_loop(
    model: ChatModel,
    paused: LoopResult,
    tools: ToolsLike,
    max_steps: int = 8,
    on_tool_call: OnToolCall | None = None,
) -> LoopResult:
    """Carry out the decisions on ``paused.pending`` and continue the loop (``max_steps`` more model calls).

    Raises ``ValueError`` if the result is not paused or a pending call has no decision.
    """
    tool_map = as_tools(tools)
    transcript, results = _start_resume(paused)
    with _seen_by_tools(transcript):
        for pending in paused.pending:
            if pending.decision == "confirm":
                result = call_tool(tool_map, pending.call)
            else:
                result = ToolResult.rejection(pending.call, pending.reason)
            _record(result, transcript, results)
        return _run(model, transcript, tool_map, results, max_steps, on_tool_call)


async def arun_tool_loop(
    model: ChatModel,
    messages: Sequence[Mapping[str, Any]],
    tools: ToolsLike,
    max_steps: int = 8,
    on_tool_call: OnToolCall | None = None,
    tool_choice: ToolChoice | StepChoice | None = None,
) -> LoopResult:
    """Async twin of ``run_tool_loop``: awaits the model, async tools and an async ``on_tool_call``."""
    transcript = [dict(message) for message in messages]
    with _seen_by_tools(transcript):
        return await _arun(model, transcript, as_tools(tools), [], max_steps, on_tool_call, tool_choice)


async def aresume_tool_loop(
    model: ChatModel,
    paused: LoopResult,
    tools: ToolsLike,
    max_steps: int = 8,
    on_tool_call: OnToolCall | None = None,
) -> LoopResult:
    """Async twin of ``resume_tool_loop``."""
    tool_map = as_tools(tools)
    transcript, results = _start_resume(paused)
    with _seen_by_tools(transcript):
        for pending in paused.pending:
            if pending.decision == "confirm":
                result = await acall_tool(tool_map, pending.call)
            else:
                result = ToolResult.rejection(pending.call, pending.reason)
            _record(result, transcript, results)
        return await _arun(model, transcript, tool_map, results, max_steps, on_tool_call)


def _run(
    model: ChatModel,
    transcript: list[Message],
    tools: dict[str, Tool],
    results: list[ToolResult],
    max_steps: int,
    on_tool_call: OnToolCall | None,
    tool_choice: ToolChoice | StepChoice | None = None,
    until: Until | None = None,
) -> LoopResult:
    schemas = [tool.schema() for tool in tools.values()] or None
    for step in range(1, max_steps + 1):
        try:
            response = model.complete(transcript, tools=schemas, tool_choice=_choice(schemas, tool_choice, step))
        except ModelError as exc:
            if not results:
                raise
            return _failed(transcript, results, step, exc)
        transcript.append(response.to_message())
        if not response.tool_calls:
            return LoopResult(transcript, response.content, results, [], "done", step)
        pending: list[PendingCall] = []
        for call in response.tool_calls:
            decision = _check_decision(on_tool_call(call) if on_tool_call else None, call)
            if decision == "pause":
                pending.append(PendingCall(call))
                continue
            result = ToolResult.rejection(call) if decision == "reject" else call_tool(tools, call)
            _record(result, transcript, results)
        if pending:
            logger.info("tool loop paused on %s", ", ".join(p.name for p in pending))
            return LoopResult(transcript, None, results, pending, "paused", step)
        if until is not None and until(results[len(results) - len(response.tool_calls):]):
            return LoopResult(transcript, response.content, results, [], "done", step)
    return _out_of_steps(transcript, results, max_steps)


async def _arun(
    model: ChatModel,
    transcript: list[Message],
    tools: dict[str, Tool],
    results: list[ToolResult],
    max_steps: int,
    on_tool_call: OnToolCall | None,
    tool_choice: ToolChoice | StepChoice | None = None,
) -> LoopResult:
    schemas = [tool.schema() for tool in tools.values()] or None
    for step in range(1, max_steps + 1):
        try:
            response = await model.acomplete(transcript, tools=schemas,
                                             tool_choice=_choice(schemas, tool_choice, step))
        except ModelError as exc:
            if not results:
                raise
            return _failed(transcript, results, step, exc)
        transcript.append(response.to_message())
        if not response.tool_calls:
            return LoopResult(transcript, response.content, results, [], "done", step)
        pending: list[PendingCall] = []
        for call in response.tool_calls:
            answer = on_tool_call(call) if on_tool_call else None
            decision = _check_decision(await answer if inspect.isawaitable(answer) else answer, call)
            if decision == "pause":
                pending.append(PendingCall(call))
                continue
            result = ToolResult.rejection(call) if decision == "reject" else await acall_tool(tools, call)
            _record(result, transcript, results)
        if pending:
            logger.info("tool loop paused on %s", ", ".join(p.name for p in pending))
            return LoopResult(transcript, None, results, pending, "paused", step)
    return _out_of_steps(transcript, results, max_steps)


def _choice(schemas: list[dict[str, Any]] | None, requested: ToolChoice | StepChoice | None,
            step: int) -> ToolChoice | None:
    """``tool_choice`` for this step: none without tools; a callable decides per step; else the requested
    one first, then ``"auto"``."""
    if not schemas:
        return None
    if callable(requested):
        return requested(step)
    return (requested or "auto") if step == 1 else "auto"


def _failed(transcript: list[Message], results: list[ToolResult], step: int, exc: ModelError) -> LoopResult:
    logger.warning("the model failed after %d tool call(s) had run; keeping their results: %s", len(results), exc)
    return LoopResult(transcript, None, results, [], "error", step, str(exc))


def _check_decision(decision: object, call: ToolCall) -> ToolDecision:
    if decision is None:
        return "run"
    if decision in ("run", "pause", "reject"):
        return decision
    raise ValueError(f"on_tool_call returned {decision!r} for {call.name!r}; expected 'run', 'pause', 'reject' or None")


def _start_resume(paused: LoopResult) -> tuple[list[Message], list[ToolResult]]:
    if not paused.paused or not paused.pending:
        raise ValueError("resume needs a LoopResult that stopped with stop_reason='paused'")
    undecided = [p.call.id for p in paused.pending if p.decision is None]
    if undecided:
        raise ValueError(f"confirm() or reject() every pending call before resuming; undecided: {undecided}")
    return [dict(message) for message in paused.messages], list(paused.tool_results)


def _record(result: ToolResult, transcript: list[Message], results: list[ToolResult]) -> None:
    results.append(result)
    transcript.append(result.to_message())


def _out_of_steps(transcript: list[Message], results: list[ToolResult], max_steps: int) -> LoopResult:
    logger.warning("tool loop stopped after %d model calls without a final answer", max_steps)
    return LoopResult(transcript, None, results, [], "max_steps", max_steps)
