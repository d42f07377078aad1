"""What every built-in store shares: mode checks, context rendering, and background extraction.

Extraction drives the store's own write tools: the model gets a prompt (the store's current
state plus the whole turn) and calls ``add_memory``/``save_learning``/… against a *buffered*
writer, so every save of the turn lands as one commit at the end. A model that fails (HTTP
error, garbage) discards the buffer: half a turn is never written.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from learning_fs.context import ContextRenderer
from learning_fs.extract import ModelError, run_tool_loop
from learning_fs.format.layout import user_folder
from learning_fs.format.records import GLOBAL_NAMESPACE, USER_NAMESPACE
from learning_fs.search import LexicalSearcher, Searcher
from learning_fs.stores.protocol import LearningMode, StoreConfig, check_mode

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

TOOL_MODES = frozenset({LearningMode.AGENTIC, LearningMode.HITL})
EXTRACT_MODES = frozenset({LearningMode.ALWAYS, LearningMode.PROPOSE})
ALL_MODES = frozenset(LearningMode)
TURN_CHARS = 12_000  # the tail of a long turn the extractor sees; older text is in the session summary

cached_user_folder = functools.lru_cache(maxsize=65_536)(user_folder)
"""``users/<shard>/<user>`` memoised: recall computes it for every store on every request."""


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


class BaseStore:
    """Plumbing for the built-in stores; subclasses add recall, tools and their prompt data."""

    learning_type: ClassVar[str] = ""
    SUPPORTED_MODES: ClassVar[frozenset[LearningMode]] = ALL_MODES

    def __init__(self, config: StoreConfig, repo: MemoryRepo | None = None) -> None:
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
        """Whether the agent gets this store's write tools."""
        enabled = self.config.enable_agent_tools
        return self.mode in TOOL_MODES if enabled is None else enabled

    @property
    def extracts(self) -> bool:
        """Whether :meth:`process` asks a model after each turn (ALWAYS and PROPOSE)."""
        return self.mode in EXTRACT_MODES

    # -- context ------------------------------------------------------------------------------
    def render(self, **data: Any) -> str:
        """This store's context block: its template, trimmed to the store's token budget."""
        text = self.renderer.render(f"{self.learning_type}.jinja", **data)
        return self.renderer.fit(text, self.config.context_budget)

    # -- helpers for subclasses -----------------------------------------------------------------
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
                repo: MemoryRepo | None = None) -> None:
        """Ask the model what of this turn to keep, and save it as one commit (see module docstring)."""
        if model is None:
            log.debug("%s: no model configured; nothing extracted", self.learning_type)
            return
        if not self.extracts:
            log.debug("%s: mode %s learns through tools, not extraction", self.learning_type, self.mode.value)
            return
        if writer is None:
            log.warning("%s: process() needs a writer; nothing extracted", self.learning_type)
            return
        ctx = {"user_id": user_id, "session_id": session_id, "namespace": namespace, "agent_id": agent_id,
               "message": message, "searcher": searcher, "repo": repo}
        buffer = writer.buffered()
        try:
            tools = self.write_tools(writer=buffer, **ctx)
            system = self.renderer.render(f"{self.learning_type}_extract.jinja", instructions=self.config.instructions,
                                          **self.prompt_data(messages, **ctx))
            prompt = [{"role": "system", "content": system},
                      {"role": "user", "content": "The conversation turn:\n\n" + transcript(messages)}]
            result = run_tool_loop(model, prompt, tools, max_steps=self.config.max_steps)
        except ModelError as exc:
            buffer.discard()
            log.warning("%s: extraction failed, nothing saved: %s", self.learning_type, exc)
            return
        except ToolError as exc:
            buffer.discard()
            log.warning("%s: cannot extract: %s", self.learning_type, exc)
            return
        failed = [r for r in result.tool_results if not r.ok]
        if failed:
            log.info("%s: %d tool call(s) of the model were refused", self.learning_type, len(failed))
        buffer.flush()


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
