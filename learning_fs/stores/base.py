"""What every built-in store shares: mode checks, context rendering, and background extraction.

Extraction drives the store's own write tools: the model gets a prompt (the store's current
state plus the whole turn) and calls ``add_memory``/``save_learning``/… against a *buffered*
writer, so it sees its own saves and nothing is committed while it thinks. A model that fails
(HTTP error, garbage) discards the buffer: half a turn is never written. When it is done, its
successful calls are replayed on the current files under the repository's write lock and
committed as one commit, so a turn that finished in the meantime is built on, not overwritten.
What the model wrote beside those calls becomes the commit's ``Why:`` line. (A call that
names an id the model created earlier in the same turn does not survive the replay, since ids
are new each time; extraction prompts never ask for that.)
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from learning_fs.context import ContextRenderer
from learning_fs.extract import ModelError, ToolCall, call_tool, for_kind, run_tool_loop, running_transcript
from learning_fs.extract.loop import LoopResult
from learning_fs.extract.tools import parse_docstring
from learning_fs.format.layout import user_folder
from learning_fs.format.records import GLOBAL_NAMESPACE, USER_NAMESPACE
from learning_fs.search import LexicalSearcher, Searcher, SearchHit, visible_to
from learning_fs.stores.grounding import DEFAULT_THRESHOLD, ConversationGrounder, Grounder
from learning_fs.stores.outcome import StoreOutcome
from learning_fs.stores.protocol import EXTRACTING_MODES, TOOL_MODES, LearningMode, StoreConfig, check_mode
from learning_fs.stores.switches import apply_switches

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)
R = TypeVar("R")

ALL_MODES = frozenset(LearningMode)
TURN_CHARS = 12_000  # the tail of a long turn the extractor sees; older text is in the session summary
NOTHING_TO_SAVE = "nothing_to_save"
"""The extra tool extraction offers: with ``tool_choice="required"`` the model must call a tool, and
this is the one that says "this turn holds nothing worth keeping" instead of inventing a save."""

cached_user_folder = functools.lru_cache(maxsize=65_536)(user_folder)
"""``users/<shard>/<user>`` memoised: recall computes it for every store on every request."""


@contextmanager
def write_lock(repo: MemoryRepo) -> Iterator[None]:
    """The repository-wide write lock, held from a read to the commit that builds on it.

    Without it two turns that add a memory to the same file both read the old file and the
    second commit drops the first memory (measured: 22 of 80 kept with 4 threads). The lock is
    re-entrant, so the writer's own transaction inside takes it again (:meth:`MemoryRepo.write_lock`).
    """
    with repo.write_lock():
        yield


class ToolError(Exception):
    """A tool refused its arguments; the message goes back to the model so it can correct itself."""


def store_tool(function: Callable[..., str]) -> Callable[..., str]:
    """Mark a store tool: a refusal (:class:`ToolError`) becomes an ``"Error: …"`` result, not an exception.

    The model reads the text and can correct itself; code calling the tool directly gets the
    same answer the model would, and nothing is written.
    """

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> str:
        try:
            return function(*args, **kwargs)
        except ToolError as exc:
            return f"Error: {exc}."

    return guarded


def tool_reply(writer: Any, result: Any, saved: str, change: str) -> str:
    """What a write tool tells the model about ``writer.save``'s ``result``.

    ``saved`` when the change is remembered now. A PROPOSE writer's save is only a proposal:
    the reply says ``change`` was proposed for review and names the proposal and its branch (from
    the ``SaveResult``), so the model never tells the user something is remembered when it waits
    for a person. During extraction (a buffered writer) the proposal is made when the turn ends.
    """
    proposal = getattr(result, "proposal_id", None)
    if proposal:
        return (f"Proposed {change} for review: proposal {proposal} on branch {result.branch}. "
                "It is not remembered until a person merges that branch.")
    if not getattr(writer, "proposes", False) or getattr(result, "commit", None):
        return saved  # a direct write, or a proposal approved at once (review.auto_approve)
    if getattr(result, "pending", False):
        return f"Staged {change}; it will be proposed for review when this turn ends."
    return f"Nothing to propose: {change} changes nothing that is remembered."


_grounding = contextvars.ContextVar("grounding", default=False)  # inside a grounded write_tools call


def grounded_tools(tools: Sequence[Callable[..., str]], store: str, support: str | None,
                   threshold: float, *, whole_turn: bool = True, own_words: bool = False) -> list[Callable[..., str]]:
    """The store's write tools, each refusing ungrounded arguments before it runs (``stores/grounding.py``).

    ``support`` is the turn the values must come from (``None``: no turn known, e.g. a tool called
    by code; the shape checks still apply). A refusal is logged with its reason and returned as
    the tool's ``Error: …`` answer, so the model reads why and nothing is written. ``whole_turn``:
    ``support`` is the whole turn (extraction). Otherwise it is what the caller knew when it asked
    for the tools (the user's message and id: an agent's tools), and each call is also checked
    against the conversation of the tool loop it runs in (``running_transcript``: the session's
    messages the agent was sent, its replies, the tool results it read; with ``own_words``, also the
    text of the reply that makes the call: a store whose records are the agent's own conclusions).
    """
    grounder: Grounder | ConversationGrounder = (
        Grounder(support, threshold) if whole_turn
        else ConversationGrounder(support, threshold, running_transcript, own_words=own_words))
    # The model sees every tool's schema and copies from any of them (add_memory called with
    # update_memory's "The new text of the memory."): each tool checks against all descriptions.
    seen: dict[str, str] = {}
    for tool in tools:
        summary, arguments = parse_docstring(inspect.getdoc(tool) or "")
        seen[f"{getattr(tool, '__name__', 'tool')}()"] = summary
        seen.update({f"{getattr(tool, '__name__', 'tool')}.{name}": text for name, text in arguments.items()})
    wrapped = []
    for tool in tools:
        name = getattr(tool, "__name__", "tool")
        if getattr(tool, "read_only", False) or name.startswith(("search_", "get_", "list_", "find_")):
            wrapped.append(tool)
            continue
        wrapped.append(_grounded(tool, name, store, grounder, seen))
    return wrapped


def _grounded(tool: Callable[..., str], name: str, store: str, grounder: Grounder | ConversationGrounder,
              descriptions: Mapping[str, str]) -> Callable[..., str]:
    signature = inspect.signature(tool)
    required = {p.name for p in signature.parameters.values()
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}

    @functools.wraps(tool)
    def grounded(*args: Any, **kwargs: Any) -> str:
        try:
            arguments = signature.bind_partial(*args, **kwargs).arguments
        except TypeError:
            return tool(*args, **kwargs)  # let the tool itself say what is wrong with the call
        verdict = grounder.check(arguments, required=required, descriptions=descriptions)
        if not verdict.ok:
            log.info("%s: refused %s: %s", store, name, verdict.reason)
            return (f"Error: not saved: {verdict.reason}. Save only what the conversation states, "
                    "or call nothing_to_save.")
        return tool(**dict(verdict.arguments or {}))

    return grounded


def _support(ctx: Mapping[str, Any]) -> str | None:
    """What an agent's tool knows of the turn when it is made: the user's message (else the writer's
    quote) and the user's id; the conversation is added per call (:func:`grounded_tools`)."""
    writer = ctx.get("writer")
    message = ctx.get("message") or getattr(writer, "quote", None)
    if not message:
        return None
    return "\n".join(part for part in (str(message), str(ctx.get("user_id") or "")) if part)


class BaseStore:
    """Plumbing for the built-in stores; subclasses add recall, tools and their prompt data.

    Every subclass's ``write_tools`` is grounded (``__init_subclass__``): the tools it returns
    check their arguments against the turn before anything is written, whoever calls them —
    background extraction, the agent in AGENTIC mode, a confirmed HITL call.
    """

    learning_type: ClassVar[str] = ""
    SUPPORTED_MODES: ClassVar[frozenset[LearningMode]] = ALL_MODES
    AGENT_AUTHORED: ClassVar[bool] = False
    """The records are the agent's own conclusions (a learning, a decision), not facts about the user:
    when the agent saves one mid-run, what it says in the reply that makes the call is support too."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original = cls.__dict__.get("write_tools")
        if original is None:
            return

        @functools.wraps(original)
        def write_tools(self: BaseStore, *args: Any, **ctx: Any) -> list[Callable[..., str]]:
            support = ctx.pop("support", None)
            if _grounding.get():  # a subclass calling super().write_tools(): the outer call grounds
                return list(original(self, *args, **ctx))
            token = _grounding.set(True)
            try:
                tools = list(original(self, *args, **ctx))
            finally:
                _grounding.reset(token)
            threshold = getattr(self.config, "grounding", DEFAULT_THRESHOLD)
            if threshold is None:  # grounding=None: off (for measuring what it catches; never the default)
                return tools
            return grounded_tools(tools, self.learning_type, support or _support(ctx), float(threshold),
                                  whole_turn=support is not None, own_words=self.AGENT_AUTHORED)

        cls.write_tools = write_tools  # type: ignore[method-assign]

    def __init__(self, config: StoreConfig, repo: MemoryRepo | None = None) -> None:
        self._warned: set[str] = set()  # failure kinds already said at WARNING (then INFO: no flood)
        self.config = config
        self.mode = LearningMode(config.mode)
        check_mode(self.learning_type, self.mode, self.SUPPORTED_MODES)
        self.repo = repo
        self.renderer = ContextRenderer.for_repo(repo)
        self._searcher: Searcher | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mode={self.mode.value!r})"

    # -- what the mode means for this store ---------------------------------------------------
    @property
    def agent_writes(self) -> bool:
        """Whether the agent gets this store's write tools: ``enable_agent_tools``, else ``TOOL_MODES``."""
        enabled = self.config.enable_agent_tools
        return self.mode in TOOL_MODES if enabled is None else enabled

    @property
    def extracts(self) -> bool:
        """Whether :meth:`process` asks a model after each turn (ALWAYS and PROPOSE)."""
        return self.mode in EXTRACTING_MODES

    # -- context ------------------------------------------------------------------------------
    def render(self, **data: Any) -> str:
        """This store's context block: its template, trimmed to the store's token budget."""
        text = self.renderer.render(f"{self.learning_type}.jinja", **data)
        return self.renderer.fit(text, self.config.context_budget)

    # -- helpers for subclasses -----------------------------------------------------------------
    def serialised(self, repo: MemoryRepo | None = None) -> Callable[[Callable[..., str]], Callable[..., str]]:
        """Decorator for write tools: read, change and save under the repository's write lock."""
        target = repo or self.repo

        def decorate(function: Callable[..., str]) -> Callable[..., str]:
            @functools.wraps(function)
            def locked(*args: Any, **kwargs: Any) -> str:
                if target is None:
                    return function(*args, **kwargs)
                with write_lock(target):
                    return function(*args, **kwargs)

            return locked

        return decorate

    def _repo(self, repo: MemoryRepo | None) -> MemoryRepo:
        found = repo or self.repo
        if found is None:
            raise ValueError(f"{self.learning_type}: no memory repository (build the store with a repo)")
        return found

    def searcher_for(self, searcher: Searcher | None, repo: MemoryRepo | None = None) -> Searcher:
        """The searcher the machine passed, else this store's lexical fallback."""
        if searcher is not None:
            return searcher
        if self._searcher is None:
            self._searcher = LexicalSearcher(self._repo(repo))
        return self._searcher

    def records_of(self, hits: Sequence[SearchHit], kind: type[R], user_id: str | None,
                   repo: MemoryRepo | None = None) -> Iterator[tuple[R, SearchHit]]:
        """(record, hit) for each hit the user may see whose file holds a ``kind`` record, in order.

        Read one file at a time as they are asked for: a recall that reaches its limit reads no
        further (a record not yet cached costs ~0.5 ms to parse; recall asks for spares).
        """
        for hit in hits:
            if visible_to(hit.path, user_id):
                record = self._repo(repo).get(hit.path, copy=False)
                if isinstance(record, kind):
                    yield record, hit

    def namespace_for(self, namespace: str | None) -> str:
        """The config's namespace, else the machine's, else ``global``."""
        return self.config.namespace or namespace or GLOBAL_NAMESPACE

    @staticmethod
    def owner(namespace: str, user_id: str | None) -> str | None:
        """The user a record in ``namespace`` belongs to (None for shared namespaces)."""
        if namespace != USER_NAMESPACE:
            return None
        if not user_id:
            raise ToolError("the 'user' namespace is private to a user, and no user_id was given")
        return user_id

    @staticmethod
    def require_writer(writer: Any) -> Any:
        if writer is None:
            raise ToolError("no writer was given (get the tools from the LearningMachine)")
        return writer

    # -- extraction ---------------------------------------------------------------------------
    def write_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        """The tools extraction may call (subclasses: the write tools bound to ``ctx``)."""
        return []

    def prompt_data(self, messages: list[dict[str, Any]], **ctx: Any) -> dict[str, Any]:
        """Template variables for the extraction prompt (the store's current state)."""
        return {}

    def process(self, messages: list[dict[str, Any]], *, model: Any = None, writer: Any = None,
                user_id: str | None = None, session_id: str | None = None, namespace: str | None = None,
                agent_id: str | None = None, message: str | None = None, searcher: Searcher | None = None,
                repo: MemoryRepo | None = None) -> StoreOutcome:
        """Ask the model what of this turn to keep, save it as one commit, and say what happened.

        Never silent: a model error, a reply without a tool call, or saves that were all refused
        is logged at WARNING with the reason (a repeated "no tool call" only the first time per
        store) and comes back in the :class:`StoreOutcome`.
        """
        if model is None:
            log.debug("%s: no model configured; nothing extracted", self.learning_type)
            return self._outcome("skipped", reason="no model configured")
        if not self.extracts:
            log.debug("%s: mode %s learns through tools, not extraction", self.learning_type, self.mode.value)
            return self._outcome("skipped", reason=f"mode {self.mode.value} learns through tools")
        if writer is None:
            log.warning("%s: process() needs a writer; nothing extracted", self.learning_type)
            return self._outcome("skipped", reason="no writer")
        ctx = {"user_id": user_id, "session_id": session_id, "namespace": namespace, "agent_id": agent_id,
               "message": message, "searcher": searcher, "repo": repo}
        buffer = writer.buffered()
        try:
            result = self._ask(messages, model, buffer, ctx)
        except (ModelError, ToolError) as exc:
            buffer.discard()
            return self._failed(f"extraction failed, nothing saved: {exc}")
        if result.stop_reason == "error":  # the model failed half-way: half a turn is never written
            buffer.discard()
            return self._failed(f"extraction failed after {len(result.tool_results)} tool call(s), "
                                f"nothing saved: {result.error}")
        calls = limit_updates(succeeded_calls(result), self.config.max_updates_per_run, self.learning_type)
        writes = [r for r in result.tool_results if r.name != NOTHING_TO_SAVE and not r.name.startswith("search_")]
        refused = [r for r in writes if not r.ok]
        buffer.discard()
        if not calls:
            return self._nothing(result, refused)
        # The model worked on what the files held when the turn began; another turn may have
        # committed since. Replay its successful calls on the current files under the write lock,
        # so the one commit of this turn builds on the latest state and loses nothing.
        target = self._repo(repo)
        replayed = 0
        with write_lock(target):
            tools = self.write_tools(writer=buffer, support=self.grounding_text(messages, ctx), **ctx)
            for call in calls:
                outcome = call_tool(tools, call)
                if not outcome.ok:
                    log.info("%s: %s no longer applies: %s", self.learning_type, call.name, outcome.error)
                    continue
                replayed += 1
            staged = getattr(buffer, "staged", replayed)
            saved = buffer.flush(reasoning=model_reasoning(result, calls))
        commit = getattr(saved, "commit", None)
        if not commit and not getattr(saved, "proposal_id", None) and not getattr(saved, "pending", False):
            reason = "the model's changes change nothing" if staged else "no change applied any more"
            return self._outcome("nothing", refused=len(refused), reason=reason)
        return self._outcome("saved", saved=replayed, refused=len(refused), commit=commit)

    def _outcome(self, status: Any, **values: Any) -> StoreOutcome:
        return StoreOutcome(self.learning_type, status, **values)

    def _failed(self, reason: str) -> StoreOutcome:
        log.warning("%s: %s", self.learning_type, reason)
        return self._outcome("failed", reason=reason)

    def _nothing(self, result: LoopResult, refused: list[Any]) -> StoreOutcome:
        """No call survived: the model said so, answered without a tool call, or every save was refused."""
        if refused:
            reasons = "; ".join(f"{r.name}: {r.error}" for r in refused[:3])
            log.warning("%s: nothing saved, %d call(s) refused: %s", self.learning_type, len(refused), reasons)
            return self._outcome("refused", refused=len(refused), reason=reasons)
        said = [r for r in result.tool_results if r.name == NOTHING_TO_SAVE]
        if said:
            reason = str(said[0].value or "").removeprefix("Noted: ").strip() or "the model found nothing to save"
            log.info("%s: nothing to save (%s)", self.learning_type, reason)
            return self._outcome("nothing", reason=reason)
        if not result.tool_results:
            text = " ".join(str(result.final_content or "").split())[:120]
            reason = ("the model answered without calling a tool" + (f": {text!r}" if text else "")
                      + " (a server that drops tools does this; see docs/models.md)")
            level = logging.INFO if "no-tool-call" in self._warned else logging.WARNING
            self._warned.add("no-tool-call")
            log.log(level, "%s: nothing saved, %s", self.learning_type, reason)
            return self._outcome("nothing", reason=reason)
        return self._outcome("nothing", reason="the model only searched")

    def grounding_text(self, messages: list[dict[str, Any]], ctx: Mapping[str, Any],
                       data: Mapping[str, Any] | None = None) -> str:
        """What an extracted value may be grounded in: the turn, the user's id, and the store's current state.

        The state (``prompt_data``: the session summary so far, the memories shown) lets an update
        build on what is already known; the prompt's instructions and examples are left out, so a
        copied example is not "supported".
        """
        state = self.prompt_data(messages, **ctx) if data is None else data
        parts = [transcript(messages), str(ctx.get("user_id") or ""),
                 json.dumps(state, default=str, ensure_ascii=False)]
        return "\n".join(part for part in parts if part)

    def _ask(self, messages: list[dict[str, Any]], model: Any, buffer: Any, ctx: dict[str, Any]) -> LoopResult:
        """The tool loop against a buffer: the model sees its own saves, nothing is committed yet.

        The first call sends ``tool_choice="required"`` (with :data:`NOTHING_TO_SAVE` among the
        tools, so "required" never forces an invented save); a server that refuses it is asked
        with ``"auto"`` instead, and remembered (``OpenAIChat``).
        """
        data = self.prompt_data(messages, **ctx)
        support = self.grounding_text(messages, ctx, data)
        tools: list[Callable[..., str]] = [
            *apply_switches(self.config, self.write_tools(writer=buffer, support=support, **ctx), agent=False),
            nothing_to_save]
        system = self.renderer.render(f"{self.learning_type}_extract.jinja", instructions=self.config.instructions,
                                      **data)
        prompt = [{"role": "system", "content": system},
                  {"role": "user", "content": "The conversation turn:\n\n" + transcript(messages)}]
        extractor = for_kind(model, "extract")
        # "required" first, then "auto" so the model can finish in text; on a server that forces a named
        # function instead (llama-cpp-python), every step stays forced (its "auto" ignores max_tokens)
        # and a step whose saves all went through ends the loop.
        result = run_tool_loop(extractor, prompt, tools, max_steps=self.config.max_steps,
                               tool_choice=lambda step: "required" if step == 1 or _forced(extractor) else "auto",
                               until=lambda step: _forced(extractor) and _saved(step))
        refused = [r for r in result.tool_results if not r.ok]
        if refused:
            log.info("%s: %d tool call(s) of the model were refused", self.learning_type, len(refused))
        return result


def _forced(model: Any) -> bool:
    """Whether the server took a named function instead of ``"required"`` (llama-cpp-python does).

    Then the call was forced and a further ``"auto"`` step is not worth its cost: on that server
    it is also the one mode that generates without ``max_tokens``.
    """
    choice = getattr(model, "tool_choice_for", None)
    return callable(choice) and choice("required") == "named"


def _saved(step: list[Any]) -> bool:
    """Extraction is done once a step's calls all went through and none was a search (no "done" turn needed)."""
    return bool(step) and all(r.ok and not r.name.startswith("search_") for r in step)


def nothing_to_save(reason: str = "") -> str:
    """Call this when the turn holds nothing worth saving (instead of saving something anyway).

    Args:
        reason: Why, in a few words, e.g. "small talk only".
    """
    return f"Noted: {' '.join(reason.split()) or 'nothing to save'}"


nothing_to_save.read_only = True  # type: ignore[attr-defined]


def succeeded_calls(result: LoopResult) -> list[ToolCall]:
    """The tool calls of a finished loop that ran without error, in order."""
    ok = {r.call_id for r in result.tool_results if r.ok and not r.content.startswith("Error")}
    calls = []
    for message in result.messages:
        for raw in message.get("tool_calls") or []:
            call = ToolCall.from_openai(raw)
            if call.id in ok and not call.name.startswith("search_") and call.name != NOTHING_TO_SAVE:
                calls.append(call)
    return calls


def limit_updates(calls: list[ToolCall], limit: int | None, store: str) -> list[ToolCall]:
    """The first ``limit`` writes of a turn (``max_updates_per_run``); what is dropped is logged."""
    if limit is None or len(calls) <= limit:
        return calls
    log.info("%s: tool call limit reached: kept %d of %d updates (max_updates_per_run=%d)",
             store, limit, len(calls), limit)
    return calls[:max(limit, 0)]


def model_reasoning(result: LoopResult, calls: Sequence[ToolCall]) -> str | None:
    """What the model wrote beside the tool calls that are kept: the ``Why:`` of the turn's commit.

    A person reading ``git log`` (or reviewing a proposal) sees why the model thought it worth
    keeping, as they do for a paused HITL call. Text beside calls that were refused or only
    searched is left out; ``None`` when the model said nothing.
    """
    kept = {call.id for call in calls}
    said = []
    for message in result.messages:
        content = message.get("content")
        ids = {raw.get("id") for raw in message.get("tool_calls") or [] if isinstance(raw, Mapping)}
        if message.get("role") == "assistant" and isinstance(content, str) and content.strip() and ids & kept:
            said.append(" ".join(content.split()))
    return " ".join(said) or None


def transcript(messages: Sequence[Mapping[str, Any]], limit: int = TURN_CHARS) -> str:
    """A turn as plain text: every role, tool calls and tool results included (the tail if long)."""
    lines = []
    for message in messages:
        role = str(message.get("role") or "user")
        content = message.get("content")
        if isinstance(content, list):  # multi-part content: keep the text parts
            content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
        if role == "tool":
            lines.append(f"Tool result ({message.get('name') or message.get('tool_call_id') or 'tool'}): {content}")
            continue
        if content:
            lines.append(f"{role.capitalize()}: {content}")
        for call in message.get("tool_calls") or []:
            function = call.get("function", {}) if isinstance(call, Mapping) else {}
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            lines.append(f"{role.capitalize()} called {function.get('name')}({arguments})")
    text = "\n".join(lines)
    return text if len(text) <= limit else "…" + text[-limit:]


def one_line(text: str, limit: int = 72) -> str:
    """Collapse whitespace and cut to ``limit`` characters (commit subjects, tool results)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
