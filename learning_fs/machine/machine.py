"""``LearningMachine``: recall → context → tools → process, over a set of stores.

The machine owns no knowledge itself. It builds the stores a configuration asks for, checks
each store's mode at construction, and then, per call, hands every store the context keywords
it declares (``call_with_context``) plus a :class:`RecordWriter` bound to the store's mode and
the caller's user. It also owns the things no single store can: the overall context budget and
delimiters, the background worker that extracts after a reply, and the guarantees that one
store's failure never breaks a run and that a user's private records never reach anyone else.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learning_fs.context import estimate_tokens, fit
from learning_fs.context.budget import BudgetPlan
from learning_fs.curate.recall_log import RecallLog
from learning_fs.curate.schedule import CurationSchedule, curate_quietly
from learning_fs.extract import ChatModel, OpenAIChat
from learning_fs.format.records import GLOBAL_NAMESPACE
from learning_fs.machine.agno_compat import AgnoMachineMixin, reject_db
from learning_fs.machine.background import BackgroundWorker
from learning_fs.machine.modes import EXTRACTING_MODES, PAUSING_MODES, PROPOSING_MODES, LearningMode, validate_mode
from learning_fs.machine.pending import (
    DEFAULT_EXIT_WAIT,
    DEFAULT_PENDING_WAIT,
    PendingTurns,
    finish_at_exit,
    forget_at_exit,
)
from learning_fs.machine.privacy import scrub_private
from learning_fs.machine.tools import bind_tool, is_read_only, tool_store
from learning_fs.machine.writer import BufferedWriter, RecordWriter
from learning_fs.repo import MemoryRepo
from learning_fs.stores.outcome import StoreOutcome
from learning_fs.stores.protocol import StoreConfig, accepts_keyword, call_with_context
from learning_fs.stores.switches import apply_switches

if TYPE_CHECKING:
    from learning_fs.curate.curator import Curator

log = logging.getLogger(__name__)

SLOTS: tuple[str, ...] = (
    "instructions", "user_profile", "session_context", "user_memory", "entity_memory", "learned_knowledge",
    "decision_log", "feedback",
)
"""Built-in stores, in the order their blocks appear in the context (what to keep when it is tight)."""

DEFAULT_SLOTS = ("user_profile", "user_memory")  # what ``learning=True`` turns on
DEFAULT_REPO_ENV = "LEARNING_FS_REPO"
DEFAULT_REPO_DIR = "memory_repo"

StoreSpec = Any  # True | False | None | a *Config | a store
_STORE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class StoreSlot:
    """One store as the machine runs it: its name (the context delimiter), the store, its mode."""

    name: str
    store: Any
    mode: LearningMode

    @property
    def extracts(self) -> bool:
        return self.mode in EXTRACTING_MODES

    @property
    def pauses(self) -> bool:
        return self.mode in PAUSING_MODES


class LearningMachine(AgnoMachineMixin):
    """Coordinates learning stores for an agent (or for any code that calls it by hand).

    Args:
        repo: A :class:`MemoryRepo`, or the path of one (created if it does not exist). Default:
            ``$LEARNING_FS_REPO``, else ``./memory_repo``.
        model: The model stores extract with (an ``OpenAIChat``, any ``ChatModel``, or a model id).
            ``None``: recall, context and tools work; stores that extract with a model learn
            nothing after a turn (a warning names them once), stores whose ``process`` needs
            no model still learn.
        user_profile, user_memory, session_context, entity_memory, learned_knowledge, decision_log:
            ``True`` (defaults), a ``*Config``, a store object, or ``None``/``False`` (off).
        custom_stores: ``{name: store or config}``; ``name`` delimits the store's context block.
        namespace: Default namespace for stores that have one (``"global"``, ``"user"``, a team).
        learning: ``True`` turns on user profile + user memory in background mode where not given.
            A machine given no store at all gets the same defaults.
        context_budget: Token budget of the whole built context (each store also has its own).
        agent_id: Recorded in every commit (``Learning-Agent``).
        searcher: The search backend handed to stores: a ``Searcher``, ``"index"`` (the semantic
            index, built if needed and kept current by every write), ``"lexical"``, or ``None``
            (default: the index; a repository without one builds it at the first search, unless
            ``LEARNING_FS_SEMANTIC=off`` or ``index: {semantic: false}`` keep it lexical).
        background: Extract in a background thread (default). ``False`` extracts inside ``process``.
        curate_every: Curate in the background: every N turns (an ``int``) or at most once per
            interval (a ``datetime.timedelta``, checked at each turn). A run covers the users whose
            turns were processed since the last one, plus ``namespace``; see :attr:`curator`.
        instructions: The agent's standing rules (``agents/<agent>/instructions.md``), shown first in
            the context: ``True``, an ``InstructionsConfig`` or ``None``.
        feedback: The feedback store (``BehavioralFeedbackConfig``): corrections, re-asks, tool errors,
            decision outcomes and ratings (:meth:`feedback`), each with the ids its run's context held.
        self_improvement: Analyse the feedback in the background and propose instruction changes
            on ``proposals/instructions/…`` branches: ``True`` (every 25 turns), an ``int`` (every N
            turns), a ``datetime.timedelta`` or an ``improve.SelfImprovementConfig``. Turns on
            ``instructions`` and ``feedback`` where not given. Nothing reaches the checked-out
            branch until a person approves (:meth:`approve`).
        track_recalls: Record when each memory is recalled (``.learning_fs/recall.sqlite``, batched
            off the hot path, never a commit) so curation can prune what nobody recalls.
        knowledge: Agno's vector store for learnings. Here learnings are files searched by the
            repository's index: ``"index"`` / ``"lexical"`` / a ``Searcher`` (same as ``searcher=``).
        max_updates_per_run: The most writes one store's extraction of a turn keeps (stores
            without their own ``max_updates_per_run``); the rest are logged and dropped.
        pending_wait: Seconds a recall for a user or session waits for that user's or session's
            turn still being learned in the background (so the next question sees it).
        db: Agno's database: refused with a message naming ``repo=`` (memory is files here).

    With no ``repo`` the repository is opened on first use, so ``Agent(repo=X, learning=machine)``
    can hand the machine ``X`` (the default, ``$LEARNING_FS_REPO`` or ``./memory_repo``, otherwise).
    """

    def __init__(
        self,
        repo: MemoryRepo | str | os.PathLike[str] | None = None,
        model: ChatModel | str | None = None,
        *,
        user_profile: StoreSpec = None,
        user_memory: StoreSpec = None,
        session_context: StoreSpec = None,
        entity_memory: StoreSpec = None,
        learned_knowledge: StoreSpec = None,
        decision_log: StoreSpec = None,
        instructions: StoreSpec = None,
        feedback: StoreSpec = None,
        self_improvement: Any = None,
        custom_stores: Mapping[str, Any] | None = None,
        namespace: str = GLOBAL_NAMESPACE,
        learning: bool | None = None,
        context_budget: int = 2000,
        agent_id: str | None = None,
        searcher: Any = None,
        background: bool = True,
        curate_every: int | dt.timedelta | None = None,
        track_recalls: bool = True,
        knowledge: Any = None,
        max_updates_per_run: int | None = None,
        pending_wait: float = DEFAULT_PENDING_WAIT,
        db: Any = None,
    ) -> None:
        reject_db(db, "LearningMachine")
        knowledge = knowledge if knowledge is not None else getattr(learned_knowledge, "knowledge", None)
        searcher = _knowledge_searcher(knowledge) if searcher is None and knowledge is not None else searcher
        self.max_updates_per_run = max_updates_per_run
        self.pending_wait = pending_wait
        self._pending_turns = PendingTurns()
        self._session_users: dict[str, set[str]] = {}
        self.model = OpenAIChat(model) if isinstance(model, str) else model
        self.namespace = namespace
        self.context_budget = context_budget
        self.agent_id = agent_id
        self.background = background
        self._worker: BackgroundWorker | None = None
        self._warned_no_model = False
        self.last_turn: dict[str, StoreOutcome] = {}
        """What each extracting store did with the latest turn (``str(outcome)``: "saved 1 (…)",
        "nothing to save: …", "failed: …"); filled as the background work finishes (``wait()``)."""
        given = {
            "user_profile": user_profile, "user_memory": user_memory, "session_context": session_context,
            "entity_memory": entity_memory, "learned_knowledge": learned_knowledge, "decision_log": decision_log,
            "instructions": instructions, "feedback": feedback,
        }
        if learning or (learning is None and all(v is None for v in given.values()) and not custom_stores):
            given = {name: True if name in DEFAULT_SLOTS and spec is None else spec for name, spec in given.items()}
        self._improvement = _improvement_schedule(self_improvement)
        if self._improvement is not None:  # improving needs the signals and somewhere to put the rules
            given["instructions"] = True if instructions is None else instructions
            given["feedback"] = True if feedback is None else feedback
        self._curator: Curator | None = None
        self._curation = CurationSchedule(curate_every) if curate_every is not None else None
        self._deferred: tuple[Any, ...] | None = (given, custom_stores or {}, searcher, track_recalls)
        if repo is None:
            self._build_slots(given, custom_stores or {})  # a bad configuration fails here, not on first use
            return  # opened on first use: an Agent(repo=...) may hand the machine its repository first
        self._open(repo)

    def _open(self, repo: MemoryRepo | str | os.PathLike[str] | None) -> None:
        """Open the repository, searcher and stores (at construction, or on first use without ``repo``)."""
        assert self._deferred is not None
        given, custom_stores, searcher, track_recalls = self._deferred
        self._deferred = None
        self.repo, self._owns_repo = _open_repo(repo)
        self._recall_log = RecallLog.for_repo(self.repo) if track_recalls else None
        self._owns_searcher = searcher is None or isinstance(searcher, str)
        try:
            self.searcher = _default_searcher(self.repo, searcher or "auto") if self._owns_searcher else searcher
            self._slots = self._build_slots(given, custom_stores)
            self._context_notes = [slot.store.note_context for slot in self._slots
                                   if callable(getattr(slot.store, "note_context", None))]
        except BaseException:
            self._close_searcher()
            if self._owns_repo:  # a bad configuration must not leave a repository (and its thread) open
                self.repo.close()
            raise

    def __getattr__(self, name: str) -> Any:
        """A machine built without ``repo`` opens the default repository the first time it is used."""
        if name in _OPENED_ON_USE and self.__dict__.get("_deferred") is not None:
            self._open(None)
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def use_repo(self, repo: MemoryRepo | str | os.PathLike[str]) -> None:
        """Learn into ``repo``: what ``Agent(repo=X, learning=machine)`` does for a machine built without one.

        A machine already using another repository refuses (its stores hold that one).
        """
        if self.__dict__.get("_deferred") is not None:
            self._open(repo)
            return
        current = Path(self.repo.root).resolve()
        wanted = Path(repo.root if isinstance(repo, MemoryRepo) else repo).resolve()
        if current != wanted:
            raise ValueError(f"this LearningMachine already learns into {current}; give repo={str(wanted)!r} "
                             "to the LearningMachine or to the Agent, not a different one to each")

    # -- construction -------------------------------------------------------------------------
    def _build_slots(self, given: Mapping[str, StoreSpec], custom: Mapping[str, Any]) -> list[StoreSlot]:
        slots = [self._build_slot(name, given[name], builtin=True) for name in SLOTS]
        for name, spec in custom.items():
            if name in given:
                raise ValueError(f"custom store name {name!r} is a built-in store; pass it as {name}=...")
            if not _STORE_NAME.match(str(name)):
                raise ValueError(f"custom store name {name!r} must be lower-case letters, digits, _ or - "
                                 "(it becomes the <name> delimiter of the store's context block)")
            slots.append(self._build_slot(name, spec, builtin=False))
        return [slot for slot in slots if slot is not None]

    def _build_slot(self, name: str, spec: StoreSpec, *, builtin: bool) -> StoreSlot | None:
        if spec is None or spec is False:
            return None
        if spec is True:
            if not builtin:
                raise TypeError(f"custom store {name!r}: pass a store object, not True")
            spec = _config_type(name)()
        if isinstance(spec, StoreConfig):
            if not spec.enabled:
                return None
            if self.max_updates_per_run is not None and spec.max_updates_per_run is None:
                spec = dataclasses.replace(spec, max_updates_per_run=self.max_updates_per_run)
            store = spec.build(self.__dict__.get("repo"))  # None: validating a machine opened on first use
        elif _looks_like_store(spec):
            store = spec
        else:
            kind = f"True, a {_config_type(name).__name__}" if builtin else "a store (or a StoreConfig)"
            raise TypeError(f"{name}= takes {kind} or None; got {spec!r}")
        return StoreSlot(name, store, validate_mode(store, name))

    @property
    def stores(self) -> dict[str, Any]:
        """The running stores by name, in context order."""
        return {slot.name: slot.store for slot in self._slots}

    @property
    def slots(self) -> list[StoreSlot]:
        return list(self._slots)

    def __repr__(self) -> str:
        if self.__dict__.get("_deferred") is not None:
            return "LearningMachine(<repository opened on first use>)"  # a repr must not create a repository
        parts = ", ".join(f"{s.name}={s.mode.value}" for s in self._slots)
        return f"LearningMachine({self.repo.root}, {parts})"

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, session_id: str | None = None, message: str | None = None,
               **extra: Any) -> dict[str, Any]:
        """What each store knows that is relevant now: ``{store name: data}``.

        A store that fails is logged and left out; records private to another user are removed
        whatever a store returned. Stores whose ``recall`` takes a ``budget`` are granted their
        share of the context budget (see :meth:`build_context`).
        """
        return self._recall(user_id, session_id, message, extra)[0]

    def _recall(self, user_id: str | None, session_id: str | None, message: str | None,
                extra: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """(recalled data, rendered blocks) of every store, each granted its share of the budget."""
        self._prefetch(message)
        self._await_pending(user_id, session_id)
        budget = extra.get("budget")
        extra = {key: value for key, value in extra.items() if key != "budget"}
        ctx = self._context(user_id, session_id, message, extra)
        plan = self._budget_plan(budget)
        recalled: dict[str, Any] = {}
        texts: dict[str, str] = {}
        for block, slot in enumerate(self._slots):
            recall = getattr(slot.store, "recall", None)
            if recall is None:
                continue
            try:
                data = call_with_context(recall, **ctx, budget=plan.grant(block))
            except Exception:
                log.exception("%s: recall failed; its context is left out of this run", slot.name)
                continue
            recalled[slot.name] = scrub_private(data, user_id, slot.name)
            texts[slot.name] = self._block_text(slot, recalled[slot.name])
            plan.spend(block, estimate_tokens(texts[slot.name]))
        if self._recall_log is not None:
            self._recall_log.note(recalled)  # a dict update; written to disk on the log's own thread
        self._note_context(recalled, ctx)
        return recalled, texts

    def _prefetch(self, message: str | None) -> None:
        """Let the searcher embed the message while the first stores read their files.

        Every searching store of the turn asks the same message, so it is embedded once, and
        from the turn's start (a ``Searcher`` without ``prefetch`` simply embeds on first search).
        """
        prefetch = getattr(self.searcher, "prefetch", None)
        if not message or not callable(prefetch):
            return
        try:
            prefetch(message)
        except Exception:  # an optimisation only: the searches embed the message themselves
            log.debug("searcher prefetch failed", exc_info=True)

    async def arecall(self, user_id: str | None = None, session_id: str | None = None,
                      message: str | None = None, **extra: Any) -> dict[str, Any]:
        """Async twin of :meth:`recall` (uses a store's ``arecall`` when it has one)."""
        return (await self._arecall(user_id, session_id, message, extra))[0]

    async def _arecall(self, user_id: str | None, session_id: str | None, message: str | None,
                       extra: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        self._prefetch(message)
        if user_id is not None or session_id is not None:
            await asyncio.to_thread(self._await_pending, user_id, session_id)
        budget = extra.get("budget")
        extra = {key: value for key, value in extra.items() if key != "budget"}
        ctx = self._context(user_id, session_id, message, extra)
        plan = self._budget_plan(budget)
        recalled: dict[str, Any] = {}
        texts: dict[str, str] = {}
        for block, slot in enumerate(self._slots):
            arecall = getattr(slot.store, "arecall", None)
            recall = getattr(slot.store, "recall", None)
            try:
                if arecall is not None:
                    data = await call_with_context(arecall, **ctx, budget=plan.grant(block))
                elif recall is not None:  # file reads: cheaper inline than a thread hop
                    data = call_with_context(recall, **ctx, budget=plan.grant(block))
                else:
                    continue
            except Exception:
                log.exception("%s: recall failed; its context is left out of this run", slot.name)
                continue
            recalled[slot.name] = scrub_private(data, user_id, slot.name)
            texts[slot.name] = self._block_text(slot, recalled[slot.name])
            plan.spend(block, estimate_tokens(texts[slot.name]))
        if self._recall_log is not None:
            self._recall_log.note(recalled)
        self._note_context(recalled, ctx)
        return recalled, texts

    def build_context(self, user_id: str | None = None, session_id: str | None = None,
                      message: str | None = None, *, budget: int | None = None, **extra: Any) -> str:
        """The recalled knowledge as text for the system prompt: one delimited block per store.

        Blocks come in store order and share ``budget`` tokens (default ``context_budget``).
        Each store is guaranteed its own ``context_budget`` (scaled down when they add up to
        more than the total) and may use what the stores before it left unused, minus what the
        stores after it are guaranteed (:class:`~learning_fs.context.budget.BudgetPlan`); a
        block that still overflows is trimmed and later ones are left out.
        """
        _, texts = self._recall(user_id, session_id, message, {**extra, "budget": budget})
        return self._assemble(texts, budget)

    async def abuild_context(self, user_id: str | None = None, session_id: str | None = None,
                             message: str | None = None, *, budget: int | None = None, **extra: Any) -> str:
        """Async twin of :meth:`build_context`."""
        _, texts = await self._arecall(user_id, session_id, message, {**extra, "budget": budget})
        return self._assemble(texts, budget)

    def render_context(self, recalled: Mapping[str, Any], budget: int | None = None) -> str:
        """Assemble already-recalled data into the delimited, budgeted context."""
        texts = {slot.name: self._block_text(slot, recalled[slot.name]) for slot in self._slots
                 if slot.name in recalled}
        return self._assemble(texts, budget)

    def _budget_plan(self, budget: int | None) -> BudgetPlan:
        total = self.context_budget if budget is None else budget
        own = [getattr(getattr(slot.store, "config", None), "context_budget", None) for slot in self._slots]
        return BudgetPlan(total, [o if isinstance(o, int) else None for o in own],
                          [_wrapper_tokens(slot.name) for slot in self._slots])

    @staticmethod
    def _block_text(slot: StoreSlot, data: Any) -> str:
        """A store's block text, delimiter-safe ("" when it has nothing or fails)."""
        try:
            text = (slot.store.build_context(data) or "").strip()
        except Exception:
            log.exception("%s: build_context failed; its block is left out", slot.name)
            return ""
        return text.replace(f"</{slot.name}>", f"&lt;/{slot.name}&gt;")  # a memory cannot close its block

    def _assemble(self, texts: Mapping[str, str], budget: int | None) -> str:
        remaining = self.context_budget if budget is None else budget
        blocks: list[str] = []
        for slot in self._slots:
            text = texts.get(slot.name)
            if not text:
                continue
            wrapper = _wrapper_tokens(slot.name)
            if remaining - wrapper <= 8:
                log.debug("context budget spent; %s left out", slot.name)
                break
            if estimate_tokens(text) + wrapper > remaining:
                text = fit(text, remaining - wrapper)
                if not text:
                    break
            block = f"<{slot.name}>\n{text}\n</{slot.name}>"
            blocks.append(block)
            remaining -= estimate_tokens(block) + 1
        return "\n\n".join(blocks)

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, user_id: str | None = None, session_id: str | None = None, message: str | None = None,
                  **extra: Any) -> list[Callable[..., Any]]:
        """The stores' tools for the agent, bound to this user and session.

        Each store decides what its mode exposes (built-in stores: write tools in AGENTIC and
        HITL mode, or wherever ``enable_agent_tools=True``; search tools in every mode). In
        PROPOSE mode a write tool's reply says what it proposed and names the proposal branch.
        Plain callables (``save_learning``, ``search_learnings``, ...): call them directly, or
        give them to any agent framework.
        Each carries ``learning_store``, ``learning_mode`` and ``requires_confirmation`` (True
        for HITL stores: the reference agent pauses before running them).
        """
        ctx = self._context(user_id, session_id, message, extra)
        tools: list[Callable[..., Any]] = []
        seen: dict[str, str] = {}
        for slot in self._slots:
            get_tools = getattr(slot.store, "get_tools", None)
            if get_tools is None:
                continue
            writer = self.writer(slot.name, user_id=user_id, session_id=session_id, quote=message)
            try:
                store_tools = list(call_with_context(get_tools, **ctx, writer=writer) or [])
                store_tools = apply_switches(getattr(slot.store, "config", None), store_tools, agent=True)
            except Exception:
                log.exception("%s: get_tools failed; the agent runs without its tools", slot.name)
                continue
            for tool in store_tools:
                name = getattr(tool, "__name__", None) or type(tool).__name__
                if name in seen:
                    log.error("%s: tool %r clashes with %s's tool of that name; left out", slot.name, name, seen[name])
                    continue
                seen[name] = slot.name
                tools.append(bind_tool(tool, slot, user_id))
        return tools

    def tool_stores(self, user_id: str | None = None, session_id: str | None = None) -> dict[str, StoreSlot]:
        """``{tool name: slot}`` for the tools :meth:`get_tools` returns (the agent pauses HITL ones)."""
        return {tool.__name__: self._slot(tool_store(tool)) for tool in self.get_tools(user_id, session_id)}

    def instructions(self, user_id: str | None = None, session_id: str | None = None,
                     tools: Sequence[Callable[..., Any]] | None = None) -> str:
        """What the agent is told about its memory and its learning tools (for the system prompt).

        It describes only the tools the agent has: a store is listed with its tools, and told
        that saves become proposals (PROPOSE) or wait for confirmation (HITL) only when those
        tools include one that writes, not for a store that offers just ``search_*``.
        ``tools``: the result of :meth:`get_tools` when the caller already has it.
        """
        lines = [
            "You have a memory that persists across conversations. What it holds about the current "
            "user, session and topic appears below in delimited blocks such as <user_profile>; use it "
            "to personalise your answer and do not mention the blocks themselves.",
        ]
        by_store: dict[str, list[str]] = {}
        writing: set[str] = set()  # stores whose write tools the agent has (not only search_*)
        for tool in self.get_tools(user_id, session_id) if tools is None else tools:
            store = getattr(tool, "learning_store", None)
            if store:
                by_store.setdefault(store, []).append(tool.__name__)
                if not is_read_only(tool):
                    writing.add(store)
        # "nothing for you to save" is wrong for a store that also hands the agent write tools
        automatic = [slot.name for slot in self._slots if slot.extracts and slot.name not in writing]
        if automatic:
            lines.append(f"- Learned automatically after each reply (nothing for you to save): {', '.join(automatic)}.")
        for slot in self._slots:
            names = by_store.get(slot.name)
            if not names:
                continue
            line = f"- {slot.name}: your tools {', '.join(names)}."
            if slot.name in writing and slot.mode in PROPOSING_MODES:
                line += " Saves become proposals a person reviews before they are remembered."
            elif slot.name in writing and slot.mode in PAUSING_MODES:
                line += " Each save waits for the user's confirmation; ask for it only when it is worth keeping."
            extra = getattr(slot.store, "instructions", None)
            text = extra() if callable(extra) else extra
            if isinstance(text, str) and text.strip():
                line += " " + " ".join(text.split())
            lines.append(line)
        if writing:
            lines.append(
                "Save only what is specific, lasting and useful later; search before saving so you do not "
                "save the same thing twice. Most conversations need no save at all."
            )
        return "\n".join(lines)

    # -- extraction ---------------------------------------------------------------------------
    def process(self, messages: Sequence[Mapping[str, Any]], user_id: str | None = None,
                session_id: str | None = None, *, message: str | None = None, background: bool | None = None,
                **extra: Any) -> Future[None] | None:
        """Let ALWAYS and PROPOSE stores learn from a whole turn (user message, answer, tool results).

        Runs on the background worker (``wait()`` flushes) unless ``background=False``; each
        store's writes of the turn become one commit. Returns the queued work, or ``None``.
        """
        self._schedule_curation(user_id)
        jobs = self._extraction_jobs(messages, user_id, session_id, message, extra)
        if not jobs:
            self._schedule_improvement()
            return None
        if not (self.background if background is None else background):
            for job in jobs:
                job()
            self._schedule_improvement()
            return None
        if self._worker is None:
            self._worker = BackgroundWorker()
            finish_at_exit(self)
        future = self._worker.submit(jobs)
        stores = [slot.name for slot in self._slots if slot.extracts and hasattr(slot.store, "process")]
        self._pending_turns.add(future, user_id, session_id, stores)
        if session_id and user_id:
            self._session_users.setdefault(session_id, set()).add(user_id)
        self._schedule_improvement()  # queued after the turn's extraction: it sees the turn's feedback
        return future

    async def aprocess(self, messages: Sequence[Mapping[str, Any]], user_id: str | None = None,
                       session_id: str | None = None, *, message: str | None = None, **extra: Any) -> None:
        """Extract from a turn and wait for it: stores' ``aprocess`` concurrently, sync ones in threads."""
        turn = [dict(m) for m in messages]
        message = message if message is not None else last_user_message(turn)
        ctx = self._context(user_id, session_id, message, extra)
        self._warn_without_model()
        report: dict[str, StoreOutcome] = {}
        self.last_turn = report
        tasks = [self._aextract(slot, turn, ctx, report) for slot in self._slots if slot.extracts]
        await asyncio.gather(*tasks)

    # -- feedback and self-improvement (learning_fs.stores.feedback, learning_fs.improve) ---------
    def feedback(self, run_id: str, score: float, comment: str = "", *, user_id: str | None = None,
                 session_id: str | None = None) -> Any:
        """Record a rating of a run (-1 … 1) with what its context held; returns the ``FeedbackRecord``.

        Needs the ``feedback`` store (``feedback=True``); committed at once.
        """
        slot = self._slot("feedback")
        writer = self.writer(slot.name, user_id=user_id, session_id=session_id, quote=comment or None)
        return slot.store.rate(run_id, score, comment, writer=writer, user_id=user_id, session_id=session_id,
                               namespace=self.namespace, agent_id=self.agent_id)

    def improve(self, *, propose: bool = True) -> Any:
        """Analyse the feedback and propose instruction and learning changes: ``improve.ImprovementReport``."""
        from learning_fs.improve import Improver

        return Improver.for_machine(self).run(propose=propose)

    def _note_context(self, recalled: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
        """Tell the stores that keep run contexts (feedback) what this run's context holds (a dict insert)."""
        for note in self._context_notes:
            try:
                note(recalled, user_id=ctx.get("user_id"), session_id=ctx.get("session_id"),
                     message=ctx.get("message"), run_id=ctx.get("run_id"))
            except Exception:
                log.exception("could not note the context of this run for feedback")

    def _schedule_improvement(self) -> None:
        """Count a turn for ``self_improvement``; when a run is due, queue it on the background worker."""
        if self._improvement is None or not self._improvement.turn():
            return
        from learning_fs.improve import improve_quietly

        job = functools.partial(improve_quietly, self)
        if not self.background:
            job()
            return
        if self._worker is None:
            self._worker = BackgroundWorker()
            finish_at_exit(self)
        self._pending_turns.add(self._worker.submit([job]), None, None, ["self_improvement"])

    # -- review (learning_fs.review: the same operations as the CLI) -----------------------------
    def proposals(self) -> list[Any]:
        """Open proposals (PROPOSE-mode saves waiting for a person), oldest first: ``review.Proposal``."""
        from learning_fs.review import list_proposals

        return list_proposals(self.repo)

    def approve(self, proposal_id: str) -> Any:
        """Merge a proposal into the checked-out branch (fast-forward or merge commit): ``review.Approval``."""
        from learning_fs.review import approve

        return approve(self.repo, proposal_id)

    def reject(self, proposal_id: str, reason: str) -> Any:
        """Delete a proposal and record why; the extractor is shown the reason next time: ``review.Rejection``."""
        from learning_fs.review import reject

        return reject(self.repo, proposal_id, reason)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until background extraction submitted so far is committed; False on timeout."""
        return self._worker.wait(timeout) if self._worker is not None else True

    def finish_pending(self, timeout: float | None = DEFAULT_EXIT_WAIT, *, reason: str = "closing") -> bool:
        """Wait up to ``timeout`` s for queued learning, logging what is pending; False if some was abandoned.

        Turns not started by then are dropped (named in the log); a turn already running finishes.
        """
        worker = self._worker
        if worker is None or not worker.busy:
            return True
        level = logging.WARNING if reason != "closing" else logging.INFO  # at exit, say it where a script user sees it
        log.log(level, "%s: finishing background learning: %s", reason, self._pending_turns.describe())
        if worker.wait(timeout):
            return True
        log.error("%s: gave up after %s s on background learning; not learned: %s", reason, timeout,
                  self._pending_turns.describe())
        worker.abandon()
        return False

    def close(self, timeout: float | None = DEFAULT_EXIT_WAIT) -> None:
        """Finish background work (at most ``timeout`` s, logged); release the repository if the machine opened it."""
        forget_at_exit(self)
        if self.__dict__.get("_deferred") is not None:
            return  # never opened: nothing to finish or release
        finished = self.finish_pending(timeout)
        if self._worker is not None:
            self._worker.close(wait=finished)
            self._worker = None
        if not finished:  # a turn still runs and writes to the repository: leave it open for it
            return
        if self._recall_log is not None:
            self._recall_log.close()
        self._close_searcher()
        if self._owns_repo:
            self.repo.close()

    # -- curation -----------------------------------------------------------------------------
    @property
    def curator(self) -> Curator:
        """The curator of this machine's repository, with its model and recall times (``curator.run()``)."""
        if self._curator is None:
            from learning_fs.curate.curator import Curator  # numpy and friends: loaded when curation is used

            self._curator = Curator(self.repo, model=self.model, recall_log=self._recall_log)
        return self._curator

    def _schedule_curation(self, user_id: str | None) -> None:
        """Count a turn for ``curate_every``; when a run is due, queue it on the background worker."""
        users = self._curation.turn(user_id) if self._curation is not None else None
        if users is None:
            return
        job = functools.partial(curate_quietly, self.curator, users, self.namespace)
        if not self.background:
            job()
            return
        if self._worker is None:
            self._worker = BackgroundWorker()
            finish_at_exit(self)
        self._pending_turns.add(self._worker.submit([job]), None, None, ["curation"])

    def _close_searcher(self) -> None:
        close = getattr(getattr(self, "searcher", None), "close", None)
        if self._owns_searcher and callable(close):
            close()

    def __enter__(self) -> LearningMachine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ------------------------------------------------------------------------------
    def writer(self, store: str, *, user_id: str | None = None, session_id: str | None = None,
               quote: str | None = None) -> RecordWriter:
        """A writer for ``store`` in its mode, on behalf of ``user_id`` (what stores are handed)."""
        slot = self._slot(store)
        return RecordWriter(self.repo, store=slot.name, mode=slot.mode, user_id=user_id, session_id=session_id,
                            agent_id=self.agent_id, quote=quote)

    def _slot(self, name: str) -> StoreSlot:
        for slot in self._slots:
            if slot.name == name:
                return slot
        raise KeyError(f"no store named {name!r}; this machine runs: {', '.join(s.name for s in self._slots)}")

    def _context(self, user_id: str | None, session_id: str | None, message: str | None,
                 extra: Mapping[str, Any]) -> dict[str, Any]:
        if user_id is not None and (not isinstance(user_id, str) or not user_id):
            raise ValueError(f"user_id must be a non-empty string, got {user_id!r}")
        ctx = {"user_id": user_id, "session_id": session_id, "message": message, "namespace": self.namespace,
               "agent_id": self.agent_id, "repo": self.repo, "model": self.model, "searcher": self.searcher}
        ctx.update(extra)
        return ctx

    def _extraction_jobs(self, messages: Sequence[Mapping[str, Any]], user_id: str | None,
                         session_id: str | None, message: str | None,
                         extra: Mapping[str, Any]) -> list[Callable[[], None]]:
        extracting = [slot for slot in self._slots if slot.extracts and hasattr(slot.store, "process")]
        if not extracting:
            return []
        turn = [dict(m) for m in messages]  # the caller may reuse its list; the worker gets a copy
        message = message if message is not None else last_user_message(turn)
        ctx = self._context(user_id, session_id, message, extra)
        self._warn_without_model()
        report: dict[str, StoreOutcome] = {}
        self.last_turn = report
        return [functools.partial(self._extract, slot, turn, ctx, report) for slot in extracting]

    def _extract(self, slot: StoreSlot, turn: list[dict[str, Any]], ctx: dict[str, Any],
                 report: dict[str, StoreOutcome] | None = None) -> None:
        writer = self.writer(slot.name, user_id=ctx["user_id"], session_id=ctx["session_id"],
                             quote=ctx["message"]).buffered()
        try:
            outcome = call_with_context(slot.store.process, turn, **ctx, writer=writer)
            commit = _log_flush(slot, writer)
        except Exception as exc:
            writer.discard()
            log.exception("%s: extraction failed; nothing from this turn was written by it", slot.name)
            outcome, commit = StoreOutcome(slot.name, "failed", reason=f"{type(exc).__name__}: {exc}"), None
        _report(report, slot, outcome, commit)

    async def _aextract(self, slot: StoreSlot, turn: list[dict[str, Any]], ctx: dict[str, Any],
                        report: dict[str, StoreOutcome] | None = None) -> None:
        aprocess = getattr(slot.store, "aprocess", None)
        if aprocess is None:
            await asyncio.to_thread(self._extract, slot, turn, ctx, report)
            return
        writer = self.writer(slot.name, user_id=ctx["user_id"], session_id=ctx["session_id"],
                             quote=ctx["message"]).buffered()
        try:
            outcome = await call_with_context(aprocess, turn, **ctx, writer=writer)
            commit = await asyncio.to_thread(_log_flush, slot, writer)
        except Exception as exc:
            writer.discard()
            log.exception("%s: extraction failed; nothing from this turn was written by it", slot.name)
            outcome, commit = StoreOutcome(slot.name, "failed", reason=f"{type(exc).__name__}: {exc}"), None
        _report(report, slot, outcome, commit)

    def _warn_without_model(self) -> None:
        """Say once that stores which extract with a model will not learn (never the ones that need none).

        A store needs a model when its ``process`` (or ``aprocess``) takes a ``model`` keyword,
        as ``BaseStore.process`` and so every built-in store does; a custom store whose
        ``process`` declares no ``model`` learns without one and is not named.
        """
        if self.model is not None or self._warned_no_model:
            return
        names = ", ".join(slot.name for slot in self._slots if slot.extracts and _needs_model(slot.store))
        if names:
            self._warned_no_model = True
            log.warning("no model configured: %s will not learn from conversations (pass model=...)", names)


# -- module helpers ---------------------------------------------------------------------------
_OPENED_ON_USE = frozenset({"repo", "_owns_repo", "_recall_log", "_owns_searcher", "searcher", "_slots",
                            "_context_notes"})


def _knowledge_searcher(knowledge: Any) -> Any:
    """Agno's ``knowledge=``: a search backend name or a ``Searcher``; a vector-db object is refused."""
    searches = callable(getattr(knowledge, "search", None)) and not hasattr(knowledge, "vector_db")
    if isinstance(knowledge, str) or searches:
        return knowledge
    raise TypeError(
        f"knowledge={type(knowledge).__name__}(...): learned knowledge here is Markdown files in the repository, "
        "searched by its own index. Pass knowledge='index' (semantic search, built and kept current by learning_fs), "
        "knowledge='lexical', or a Searcher, and drop the vector-db lines; see docs/migrating-from-agno.md"
    )


@functools.lru_cache(maxsize=256)
def _wrapper_tokens(name: str) -> int:
    """Tokens a block's delimiters cost (``<name>`` … ``</name>`` and the blank line between blocks)."""
    return estimate_tokens(f"<{name}>\n\n</{name}>") + 1


def last_user_message(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The text of the last ``user`` message (the quote evidence carries)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):  # content parts: keep the text ones
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping)).strip() or None
    return None


def _log_flush(slot: StoreSlot, writer: BufferedWriter) -> str | None:
    result = writer.flush()
    if result.commit:
        log.info("%s learned from the turn: %s", slot.name, result.commit[:10])
    return result.commit


def _report(report: dict[str, StoreOutcome] | None, slot: StoreSlot, outcome: Any, commit: str | None) -> None:
    """Record what ``slot`` did with the turn (a custom store's ``None`` is judged by its commit)."""
    if report is None:
        return
    if not isinstance(outcome, StoreOutcome):
        outcome = StoreOutcome(slot.name, "saved" if commit else "nothing", saved=1 if commit else 0, commit=commit)
    report[slot.name] = outcome


def _needs_model(store: Any) -> bool:
    """Whether the store's extraction takes the machine's model (so learns nothing without one)."""
    methods = [getattr(store, name, None) for name in ("process", "aprocess")]
    return any(callable(method) and accepts_keyword(method, "model") for method in methods)


def _looks_like_store(value: Any) -> bool:
    return isinstance(getattr(value, "learning_type", None), str) and any(
        callable(getattr(value, name, None)) for name in ("recall", "process", "build_context", "get_tools")
    )


def _open_repo(repo: MemoryRepo | str | os.PathLike[str] | None) -> tuple[MemoryRepo, bool]:
    if isinstance(repo, MemoryRepo):
        return repo, False
    path = Path(repo if repo is not None else os.environ.get(DEFAULT_REPO_ENV) or DEFAULT_REPO_DIR)
    if (path / ".git").exists():
        return MemoryRepo(path), True
    return MemoryRepo.init(path), True


def _default_searcher(repo: MemoryRepo, choice: str) -> Any:
    from learning_fs.search.semantic import open_searcher  # opens the index only when chosen or present

    return open_searcher(repo, choice)  # type: ignore[arg-type]


_CONFIG_NAMES = {
    "user_profile": "UserProfileConfig",
    "user_memory": "UserMemoryConfig",
    "session_context": "SessionContextConfig",
    "entity_memory": "EntityMemoryConfig",
    "learned_knowledge": "LearnedKnowledgeConfig",
    "decision_log": "DecisionLogConfig",
    "instructions": "InstructionsConfig",
    "feedback": "BehavioralFeedbackConfig",
}


def _improvement_schedule(spec: Any) -> Any:
    """``self_improvement=``: None/False (off), True (defaults), an ``int`` (every N turns) or a config."""
    if spec is None or spec is False:
        return None
    from learning_fs.improve.schedule import ImprovementSchedule

    return ImprovementSchedule.from_spec(spec)


def _config_type(slot: str) -> type[StoreConfig]:
    """The built-in ``*Config`` class of a slot (imported late: stores import the machine's writer)."""
    from learning_fs import stores

    return getattr(stores, _CONFIG_NAMES[slot])
