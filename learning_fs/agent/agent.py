"""``Agent``: the reference integration of the LearningMachine.

One run is: recall what the machine knows for this user, session and message → put it in the
system prompt → let the model answer through a tool-calling loop (your tools plus the learning
tools) → return the answer → hand the whole turn to the machine, which extracts in the
background, so the reply never waits for learning. HITL learning tools pause the run instead
of executing; the application confirms or rejects each :class:`Requirement` and calls
:meth:`Agent.continue_run`.

The machine works without this class (``build_context`` + ``get_tools`` + ``process`` by hand);
the agent exists to show the loop end to end and to back ``learning-fs chat``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any

from learning_fs.agent.agno_names import AgnoAgentMixin, agent_instructions, enable_debug_logging
from learning_fs.agent.environment import model_from_env
from learning_fs.agent.history import SessionHistory
from learning_fs.agent.response import RunResponse, RunState
from learning_fs.extract import (
    ChatModel,
    LoopResult,
    Message,
    OpenAIChat,
    Tool,
    ToolCall,
    ToolDecision,
    aresume_tool_loop,
    arun_tool_loop,
    resume_tool_loop,
    run_tool_loop,
)
from learning_fs.format.ids import new_id
from learning_fs.machine import Evidence, LearningMachine, Requirement
from learning_fs.machine.agno_compat import reject_db
from learning_fs.repo import MemoryRepo
from learning_fs.repo.config import DERIVED_DIR
from learning_fs.stores.protocol import call_with_context

log = logging.getLogger(__name__)

SESSIONS_FOLDER = "sessions"  # under the repository's gitignored .learning_fs/


LEARNING_WAIT = 30.0
"""Seconds ``print_response`` waits, after printing the answer, for the turn's learning to be saved."""


class Agent(AgnoAgentMixin):
    """A chat agent with a tool-calling loop, per-session history and (optionally) learning.

    Args:
        model: An ``OpenAIChat`` (or any ``ChatModel``), a model id, or ``None``: the learning
            machine's model if it has one, else :func:`model_from_env`, the rule ``learning-fs
            chat``, the demo and the examples share (``OPENAI_API_KEY``: ``$LEARNING_FS_MODEL`` or
            ``gpt-4.1-mini``; ``LEARNING_FS_BASE_URL``: ``$LEARNING_FS_MODEL``; neither: a
            ``ModelConfigError`` here, saying how to configure one).
        learning: A :class:`LearningMachine`; ``True`` for one with the defaults (user profile
            and memory, learning in the background) on ``repo``; ``None``/``False`` for none.
        instructions: The agent's own system instructions.
        tools: Your tools: plain functions (their signature and docstring are the schema).
        repo: The memory repository (path or ``MemoryRepo``) for ``learning=True`` and history.
        agent_id: Recorded with everything the agent learns (``Learning-Agent``).
        history_turns: How many earlier turns of the session the model sees.
        max_steps: Model calls per run before the loop gives up.
        markdown: ``print_response`` renders the answer as Markdown.

    Agno's names are accepted too (``docs/migrating-from-agno.md``): ``id`` (= ``agent_id``),
    ``name``, ``user_id``/``session_id`` (defaults for every run), ``instructions`` as a list,
    ``additional_context`` (appended to the system prompt), ``post_hooks`` (called after each
    answered run with ``run_output``, ``agent``, ``user_id``, ``session_id``), ``debug_mode``
    (learning_fs logs at DEBUG on stderr), ``add_history_to_context`` (``False``: no earlier
    turns). ``db=`` is refused with a message naming ``repo=``. A ``LearningMachine`` built
    without a repository learns into this agent's ``repo``.
    """

    def __init__(
        self,
        model: ChatModel | str | None = None,
        learning: LearningMachine | bool | None = None,
        instructions: str | Sequence[str] | None = None,
        tools: Sequence[Callable[..., Any] | Tool] | None = None,
        repo: MemoryRepo | str | os.PathLike[str] | None = None,
        *,
        agent_id: str | None = None,
        history_turns: int = 10,
        max_steps: int = 8,
        markdown: bool = True,
        id: str | None = None,  # Agno's name for agent_id
        name: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        additional_context: str | None = None,
        post_hooks: Sequence[Callable[..., Any]] | None = None,
        debug_mode: bool = False,
        add_history_to_context: bool | None = None,
        learning_wait: float = LEARNING_WAIT,
        db: Any = None,
    ) -> None:
        reject_db(db, "Agent")
        agent_id = agent_id or id
        given = learning if isinstance(learning, LearningMachine) else None
        if given is not None and repo is not None:
            given.use_repo(repo)  # Agno hands the agent's db to the machine; here, the repository
        if model is None and given is not None and given.model is not None:
            model = given.model
        if model is None:
            model = model_from_env()  # before opening a repository: a missing model leaves nothing open
        self.model: ChatModel = OpenAIChat(model) if isinstance(model, str) else model
        machine = given
        if machine is None and learning:
            machine = LearningMachine(repo=repo, model=None, learning=True, agent_id=agent_id)
        if machine is not None and machine.model is None:
            machine.model = self.model  # the agent's model learns too, unless the machine has its own
        self.learning = machine
        self.instructions = agent_instructions(instructions)
        self.tools = _flatten(tools or [])
        self.agent_id = agent_id or (machine.agent_id if machine else None)
        if machine is not None and machine.agent_id is None and self.agent_id:
            machine.agent_id = self.agent_id  # what it learns records this agent (``Learning-Agent``)
        self.name = name
        self.user_id = user_id
        self.session_id = session_id
        self.additional_context = additional_context
        self.post_hooks = list(post_hooks or [])
        self.debug_mode = debug_mode
        if debug_mode:
            enable_debug_logging()
        self.learning_wait = learning_wait
        self._learning: Future[None] | None = None
        self._paused: dict[str, RunResponse] = {}
        history_turns = 0 if add_history_to_context is False else history_turns
        self.history_turns = history_turns
        self.max_steps = max_steps
        self.markdown = markdown
        self.history = SessionHistory(_history_folder(machine, repo))

    @property
    def learning_machine(self) -> LearningMachine | None:
        return self.learning

    # -- running ------------------------------------------------------------------------------
    def run(self, message: str, user_id: str | None = None, session_id: str | None = None,
            **agno: Any) -> RunResponse:
        """Answer ``message``; learning from the turn starts in the background after the answer.

        ``stream=True`` (Agno) is accepted: the answer is returned whole. Other Agno run options
        are refused by name.
        """
        _accept_run_options(agno)
        user_id = user_id or self.user_id
        session_id = session_id or self.session_id or new_id("session")
        run_id = new_id("run")
        context = self.learning.build_context(user_id, session_id, message, run_id=run_id) if self.learning else ""
        prompt, state = self._prepare(message, user_id, session_id, context)
        state.run_id = run_id
        loop = run_tool_loop(self.model, prompt, state.tools, self.max_steps, _pauser(state.pausing))
        return self._finish(loop, state, user_id, session_id, context)

    async def arun(self, message: str, user_id: str | None = None, session_id: str | None = None,
                   **agno: Any) -> RunResponse:
        """Async twin of :meth:`run` (the model is awaited; extraction still runs in the background)."""
        _accept_run_options(agno)
        user_id = user_id or self.user_id
        session_id = session_id or self.session_id or new_id("session")
        run_id = new_id("run")
        context = await self.learning.abuild_context(user_id, session_id, message, run_id=run_id) \
            if self.learning else ""
        prompt, state = self._prepare(message, user_id, session_id, context)
        state.run_id = run_id
        loop = await arun_tool_loop(self.model, prompt, state.tools, self.max_steps, _pauser(state.pausing))
        return self._finish(loop, state, user_id, session_id, context)

    def continue_run(self, response: RunResponse | None = None, *, run_id: str | None = None,
                     requirements: Sequence[Requirement] | None = None,
                     run_response: RunResponse | None = None) -> RunResponse:
        """Carry out the decisions on a paused run's requirements and let the model go on.

        Agno's spelling works too: ``continue_run(run_id=response.run_id, requirements=...)``.
        """
        response = self._paused_run(response or run_response, run_id, requirements)
        state = _paused_state(response)
        loop = resume_tool_loop(self.model, state.loop, state.tools, self.max_steps, _pauser(state.pausing))
        return self._finish(loop, state, response.user_id, response.session_id, response.context)

    async def acontinue_run(self, response: RunResponse | None = None, *, run_id: str | None = None,
                            requirements: Sequence[Requirement] | None = None,
                            run_response: RunResponse | None = None) -> RunResponse:
        """Async twin of :meth:`continue_run`."""
        response = self._paused_run(response or run_response, run_id, requirements)
        state = _paused_state(response)
        loop = await aresume_tool_loop(self.model, state.loop, state.tools, self.max_steps, _pauser(state.pausing))
        return self._finish(loop, state, response.user_id, response.session_id, response.context)

    def print_response(self, message: str, user_id: str | None = None, session_id: str | None = None, *,
                       console: Any = None, confirm: Callable[[Requirement], bool] | None = None,
                       stream: bool = False, markdown: bool | None = None, **agno: Any) -> RunResponse:
        """Run and print the answer with rich; paused learning is shown and confirmed on the console.

        ``confirm(requirement) -> bool`` decides instead of asking (scripts, tests). ``stream``
        (Agno) is accepted; the answer is printed when complete. After printing, it waits (at
        most ``learning_wait`` s) for the turn's learning to be saved, so a script's next line
        sees it, as in Agno; :meth:`run` returns at once instead.
        """
        _accept_run_options(agno)
        console = console or _console()
        response = self.run(message, user_id=user_id, session_id=session_id)
        while response.is_paused:
            _decide(response, console, confirm)
            response = self.continue_run(response)
        self._print(response, console, markdown)
        self._settle()
        return response

    async def aprint_response(self, message: str, user_id: str | None = None, session_id: str | None = None, *,
                              console: Any = None, confirm: Callable[[Requirement], bool] | None = None,
                              stream: bool = False, markdown: bool | None = None, **agno: Any) -> RunResponse:
        """Async twin of :meth:`print_response` (Agno's ``aprint_response``)."""
        _accept_run_options(agno)
        console = console or _console()
        response = await self.arun(message, user_id=user_id, session_id=session_id)
        while response.is_paused:
            _decide(response, console, confirm)
            response = await self.acontinue_run(response)
        self._print(response, console, markdown)
        await asyncio.to_thread(self._settle)
        return response

    def _print(self, response: RunResponse, console: Any, markdown: bool | None) -> None:
        from rich.markdown import Markdown

        text = response.content or ""
        console.print(Markdown(text) if (self.markdown if markdown is None else markdown) else text)
        if response.error:
            done = ", ".join(f"{r.name} ({'ok' if r.ok else 'refused'})" for r in response.tool_calls)
            console.print(f"[yellow]The model stopped after its tool calls ({done}): {response.error}[/]")

    def _settle(self) -> None:
        """Wait (bounded) for the last turn's learning; say so in the log when it takes too long."""
        future, self._learning = self._learning, None
        if future is not None and not future.done():
            _done, late = wait_futures([future], timeout=self.learning_wait)
            if late:
                log.warning("the turn's learning is still running after %.0f s; it goes on in the background",
                            self.learning_wait)

    def feedback(self, run_id: str, score: float, comment: str = "", *, user_id: str | None = None,
                 session_id: str | None = None) -> Any:
        """Rate a run (``response.run_id``) from -1 to 1: saved with what that run's context held.

        Needs a learning machine with the feedback store (``LearningMachine(feedback=True)``).
        """
        if self.learning is None:
            raise ValueError("feedback needs a learning machine (Agent(learning=LearningMachine(feedback=True)))")
        return self.learning.feedback(run_id, score, comment, user_id=user_id, session_id=session_id)

    def close(self) -> None:
        """Wait for background learning to finish and release the machine."""
        if self.learning is not None:
            self.learning.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------
    def _prepare(self, message: str, user_id: str | None, session_id: str,
                 context: str) -> tuple[list[Message], RunState]:
        learning_tools = self.learning.get_tools(user_id, session_id, message) if self.learning else []
        learning = self.learning.instructions(user_id, session_id, learning_tools) if self.learning else ""
        parts = (self.instructions, learning, context, self.additional_context)
        system = "\n\n".join(part for part in parts if part and part.strip())
        prompt: list[Message] = [{"role": "system", "content": system}] if system else []
        prompt += self.history.load(user_id, session_id, self.history_turns)
        start = len(prompt)
        prompt.append({"role": "user", "content": message})
        tools, pausing = self._tools(learning_tools)
        empty = LoopResult(messages=[], final_content=None, tool_results=[])
        return prompt, RunState(empty, tools, pausing, start, message)

    def _tools(self, learning_tools: list[Callable[..., Any]]) -> tuple[dict[str, Tool], frozenset[str]]:
        """Your tools, then the learning tools; a tool that cannot be described is logged and left out."""
        tools: dict[str, Tool] = {}
        pausing: set[str] = set()
        for function in [*self.tools, *learning_tools]:
            try:
                tool = function if isinstance(function, Tool) else Tool.from_function(function)
            except (TypeError, ValueError) as exc:
                log.error("tool %r cannot be offered to the model: %s", function, exc)
                continue
            if tool.name in tools:
                log.warning("two tools are named %r; the first one is kept", tool.name)
                continue
            tools[tool.name] = tool
            if getattr(tool.function, "requires_confirmation", False):
                pausing.add(tool.name)
        return tools, frozenset(pausing)

    def _finish(self, loop: LoopResult, state: RunState, user_id: str | None, session_id: str | None,
                context: str) -> RunResponse:
        state.loop = loop
        response = RunResponse(
            content=loop.final_content, messages=loop.messages, tool_calls=list(loop.tool_results),
            is_paused=loop.paused, user_id=user_id, session_id=session_id, context=context,
            stop_reason=loop.stop_reason, error=loop.error, state=state, run_id=state.run_id or new_id("run"),
        )
        if loop.paused:
            reasoning = _last_assistant_text(loop.messages)
            for pending in loop.pending:
                store = str(getattr(state.tools[pending.name].function, "learning_store", "") or "")
                evidence = Evidence(user_id=user_id, session_id=session_id, quote=state.message, reasoning=reasoning,
                                    store=store, mode="hitl", agent_id=self.agent_id)
                response.requirements.append(Requirement(pending, store, evidence))
            self._paused[response.run_id] = response
            return response
        response.state = None
        turn = loop.messages[state.start:]
        response.turn = list(turn)
        assert session_id is not None
        self.history.append(user_id, session_id, turn)
        if self.learning is not None:
            try:
                self._learning = self.learning.process(turn, user_id, session_id, message=state.message,
                                                       run_id=response.run_id)
            except Exception:  # learning must never cost the user their answer
                log.exception("could not start learning from this turn")
        for hook in self.post_hooks:
            try:
                call_with_context(hook, run_output=response, agent=self, user_id=user_id, session_id=session_id,
                                  session=None, run_context=None)
            except Exception:  # a hook must never cost the user their answer either
                log.exception("post hook %r failed", hook)
        return response


def _flatten(tools: Sequence[Any]) -> list[Any]:
    """Agno places toolkits in ``tools=[...]`` (``fs.tools()``): nested lists of tools are spread out."""
    flat: list[Any] = []
    for tool in tools:
        flat.extend(_flatten(tool) if isinstance(tool, (list, tuple)) else [tool])
    return flat


def _console() -> Any:
    from rich.console import Console

    return Console()


def _decide(response: RunResponse, console: Any, confirm: Callable[[Requirement], bool] | None) -> None:
    from rich.panel import Panel
    from rich.prompt import Confirm

    for requirement in response.undecided:
        console.print(Panel(requirement.render(), title="The agent wants to remember", expand=False))
        accepted = confirm(requirement) if confirm else Confirm.ask("Save it?", console=console)
        requirement.confirm() if accepted else requirement.reject("the user declined")


_IGNORED_RUN_OPTIONS = frozenset({"stream", "stream_events", "stream_intermediate_steps", "show_full_reasoning",
                                  "show_message", "markdown"})


def _accept_run_options(options: dict[str, Any]) -> None:
    """Agno's display options are accepted and ignored; anything else is a mistake worth a clear error."""
    unknown = sorted(set(options) - _IGNORED_RUN_OPTIONS)
    if unknown:
        raise TypeError(f"unexpected run option(s) {', '.join(unknown)}; learning_fs runs take message, user_id, "
                        "session_id (and stream=, accepted: the answer comes whole); see docs/migrating-from-agno.md")


def _pauser(pausing: frozenset[str]) -> Callable[[ToolCall], ToolDecision | None]:
    def decide(call: ToolCall) -> ToolDecision | None:
        return "pause" if call.name in pausing else None

    return decide


def _paused_state(response: RunResponse) -> RunState:
    if not response.is_paused or response.state is None:
        raise ValueError("continue_run needs a paused RunResponse (is_paused=True)")
    undecided = response.undecided
    if undecided:
        names = ", ".join(r.tool_name for r in undecided)
        raise ValueError(f"confirm() or reject() every requirement before continuing; undecided: {names}")
    return response.state


def _last_assistant_text(messages: Sequence[Message]) -> str | None:
    for message in reversed(messages):
        if message.get("role") == "assistant":
            content = message.get("content")
            return content if isinstance(content, str) and content.strip() else None
    return None


def _history_folder(machine: LearningMachine | None, repo: MemoryRepo | str | os.PathLike[str] | None) -> Path | None:
    if machine is not None:
        return machine.repo.derived_dir / SESSIONS_FOLDER
    if isinstance(repo, MemoryRepo):
        return repo.derived_dir / SESSIONS_FOLDER
    if repo is not None:
        return Path(repo) / DERIVED_DIR / SESSIONS_FOLDER
    return None
