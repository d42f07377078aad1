"""Agno's spelling of the LearningMachine: ``machine.user_profile_store.print(...)`` and friends.

learning_fs re-implements Agno's LearningMachine, and its users arrive with Agno code. What
means the same here is accepted under Agno's name (``docs/migrating-from-agno.md`` has the
table): the ``*_store`` accessors with ``get``/``print``/``search``, ``db`` (the repository),
``capture_hook``, ``aget_tools``, ``requires_history``, ``to_dict``/``from_dict``. The mixin
holds them so the machine's own module stays about the learning loop.

Every read through an accessor first waits (bounded) for the user's or session's learning still
in flight, so ``agent.print_response(...)`` followed at once by ``store.print(...)`` shows what
the turn taught, as it does in Agno, where extraction finishes inside the run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from learning_fs.format.layout import user_folder
from learning_fs.format.records import DecisionRecord, EntityRecord, LearningRecord, MemoriesRecord, SessionRecord
from learning_fs.format.slugs import slugify
from learning_fs.machine.pending import DEFAULT_PENDING_WAIT, PendingTurns
from learning_fs.stores.protocol import LearningMode, StoreConfig, call_with_context

if TYPE_CHECKING:
    from learning_fs.machine.machine import LearningMachine

log = logging.getLogger(__name__)

ACCESSORS: dict[str, str] = {
    "user_profile_store": "user_profile",
    "user_memory_store": "user_memory",
    "session_context_store": "session_context",
    "entity_memory_store": "entity_memory",
    "learned_knowledge_store": "learned_knowledge",
    "decision_log_store": "decision_log",
}
HISTORY_MODES = frozenset({LearningMode.PROPOSE, LearningMode.HITL})
DB_MESSAGE = (
    "learning_fs keeps what agents learn as Markdown files in a git repository, not in a database: "
    "pass repo=<a folder path or a MemoryRepo> instead of db= (e.g. repo='tmp/memory_repo'); "
    "see docs/migrating-from-agno.md"
)


def reject_db(db: Any, where: str) -> None:
    """Agno's ``db=`` fails here with what to write instead (a silent ignore would lose data)."""
    if db is not None:
        raise TypeError(f"{where}(db={type(db).__name__}...) is Agno's spelling: {DB_MESSAGE}")


class AgnoMachineMixin:
    """Agno-named surface of :class:`LearningMachine` (mixed in; state lives on the machine)."""

    _pending_turns: PendingTurns
    pending_wait: float

    # -- accessors ----------------------------------------------------------------------------
    def _view(self, name: str) -> StoreView | None:
        machine: LearningMachine = self  # type: ignore[assignment]
        return StoreView(machine, name) if name in machine.stores else None

    @property
    def user_profile_store(self) -> StoreView | None:
        """The user profile store with Agno's ``get(user_id)``/``print(user_id)`` (None when off)."""
        return self._view("user_profile")

    @property
    def user_memory_store(self) -> StoreView | None:
        """The user memory store with ``get(user_id)``/``print(user_id)`` (None when off)."""
        return self._view("user_memory")

    @property
    def session_context_store(self) -> StoreView | None:
        """The session context store with ``get(session_id)``/``print(session_id)`` (None when off)."""
        return self._view("session_context")

    @property
    def entity_memory_store(self) -> StoreView | None:
        """The entity memory store with ``get``/``search``/``search_entities``/``print`` (None when off)."""
        return self._view("entity_memory")

    @property
    def learned_knowledge_store(self) -> StoreView | None:
        """The learned knowledge store with ``search(query)``/``print(query)`` (None when off)."""
        return self._view("learned_knowledge")

    @property
    def decision_log_store(self) -> StoreView | None:
        """The decision log with ``search``/``print(agent_id=..., limit=...)`` (None when off)."""
        return self._view("decision_log")

    @property
    def db(self) -> Any:
        """Agno's ``machine.db``: here, the memory repository (a :class:`MemoryRepo`)."""
        return self.repo  # type: ignore[attr-defined]

    @property
    def requires_history(self) -> bool:
        """Whether a store needs the chat history for multi-turn confirmation (PROPOSE or HITL)."""
        return any(slot.mode in HISTORY_MODES for slot in self.slots)  # type: ignore[attr-defined]

    # -- Agno's doors -------------------------------------------------------------------------
    def capture_hook(self) -> Callable[..., None]:
        """A ``post_hooks=[...]`` callable: the machine learns from each finished run (Agno's manual door).

        The agent calls it with the run's response, user and session after the answer; the
        turn goes to :meth:`LearningMachine.process`, so extraction stays in the background.
        """
        machine: LearningMachine = self  # type: ignore[assignment]

        def learning_capture(run_output: Any = None, user_id: str | None = None,
                             session_id: str | None = None, **_: Any) -> None:
            messages = list(getattr(run_output, "turn", None) or getattr(run_output, "messages", None) or [])
            if messages:
                machine.process(messages, user_id or getattr(run_output, "user_id", None),
                                session_id or getattr(run_output, "session_id", None))

        return learning_capture

    async def aget_tools(self, user_id: str | None = None, session_id: str | None = None,
                         message: str | None = None, **extra: Any) -> list[Callable[..., Any]]:
        """Async twin of ``get_tools`` (Agno's name; the tools are the same callables)."""
        return self.get_tools(user_id, session_id, message, **extra)  # type: ignore[attr-defined]

    def to_dict(self) -> dict[str, Any]:
        """The machine's configuration as plain data (stores, modes, options); no repo, model or store objects.

        ``from_dict`` rebuilds it; custom stores are named but cannot be rebuilt from data.
        """
        machine: LearningMachine = self  # type: ignore[assignment]
        data: dict[str, Any] = {}
        for slot in machine.slots:
            config = getattr(slot.store, "config", None)
            if not isinstance(config, StoreConfig):
                data.setdefault("custom_stores", {})[slot.name] = f"{type(slot.store).__module__}." \
                                                                   f"{type(slot.store).__qualname__}"
                continue
            data[slot.name] = _config_dict(config)
        data["namespace"] = machine.namespace
        data["context_budget"] = machine.context_budget
        if machine.agent_id:
            data["agent_id"] = machine.agent_id
        if getattr(machine, "max_updates_per_run", None) is not None:
            data["max_updates_per_run"] = machine.max_updates_per_run
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], repo: Any = None, model: Any = None,
                  **kwargs: Any) -> LearningMachine:
        """Rebuild a machine from :meth:`to_dict` (repo and model are given here, never serialised)."""
        from learning_fs.machine.machine import _config_type

        options: dict[str, Any] = {key: data[key] for key in ("namespace", "context_budget", "agent_id",
                                                             "max_updates_per_run") if key in data}
        for name in ACCESSORS.values():
            value = data.get(name)
            if isinstance(value, Mapping):
                config_type = _config_type(name)
                known = {f.name for f in dataclasses.fields(config_type)}
                values = {k: _import_path(v) if k == "schema" else v for k, v in value.items() if k in known}
                options[name] = config_type(**values)
            elif value:
                options[name] = True
        if data.get("custom_stores"):
            log.warning("from_dict: custom stores %s cannot be rebuilt from data; pass them as custom_stores=",
                        sorted(data["custom_stores"]))
        return cls(repo, model, **options, **kwargs)  # type: ignore[return-value, call-arg]

    # -- waiting for learning in flight -------------------------------------------------------
    def _await_pending(self, user_id: str | None, session_id: str | None) -> None:
        """Before a recall: let this user's or session's queued turns finish (bounded)."""
        if user_id is None and session_id is None:
            return
        turns = getattr(self, "_pending_turns", None)
        if turns is not None and len(turns):
            turns.wait_for(user_id, session_id, timeout=self.pending_wait)


class StoreView:
    """One running store as Agno's ``machine.<name>_store``: its methods plus Agno's read helpers.

    Attribute access falls through to the store (``config``, ``mode``, its own methods); ``get``,
    ``search``, ``print`` and ``get_tools`` are bound to the machine's repository, searcher and
    namespace, and wait for learning in flight first.
    """

    def __init__(self, machine: LearningMachine, name: str) -> None:
        self._machine = machine
        self._name = name

    @property
    def store(self) -> Any:
        return self._machine.stores[self._name]

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.store, attribute)

    def __repr__(self) -> str:
        return f"<{self._name} store of {self._machine!r}>"

    # -- reading ------------------------------------------------------------------------------
    def _settle(self, user_id: str | None = None, session_id: str | None = None) -> None:
        turns = getattr(self._machine, "_pending_turns", None)
        if turns is not None and len(turns):
            turns.wait_for(user_id, session_id, timeout=getattr(self._machine, "pending_wait", DEFAULT_PENDING_WAIT))

    def _recall(self, **ctx: Any) -> Any:
        machine = self._machine
        full = {"namespace": machine.namespace, "agent_id": machine.agent_id, "repo": machine.repo,
                "model": machine.model, "searcher": machine.searcher, "user_id": None, "session_id": None,
                "message": None}
        full.update(ctx)
        return call_with_context(self.store.recall, **full)

    def get(self, user_id: str | None = None, session_id: str | None = None, **kwargs: Any) -> Any:
        """What the store holds for this user / session / entity (Agno's ``store.get``).

        user_profile: the profile as the schema dataclass (``.name``, ``.to_dict()``), or None;
        user_memory: the memories record (``.memories``); session_context: the session record;
        entity_memory: ``get(entity_id, entity_type, namespace=...)``, the entity or None.
        """
        self._settle(user_id, session_id)
        kind = self._name
        if kind == "user_profile":
            record = self._recall(user_id=user_id)
            return None if record is None else self.store.schema.from_fields(record.fields)
        if kind == "user_memory":
            if not user_id:
                return None
            found = self._machine.repo.get(f"{user_folder(user_id)}/memories.md")
            return found if isinstance(found, MemoriesRecord) else None
        if kind == "session_context":
            session = session_id or kwargs.get("session")
            return self._session(session, user_id) if session else None
        if kind == "entity_memory":
            return self._entity(kwargs.get("entity_id") or user_id, kwargs.get("entity_type"),
                                kwargs.get("namespace"), kwargs.get("for_user"))
        raise TypeError(f"{kind}: use search(query=...) (records are found by what they say, not by id)")

    def search(self, query: str | None = None, limit: int = 10, *, user_id: str | None = None,
               namespace: str | None = None, agent_id: str | None = None, session_id: str | None = None,
               entity_type: str | None = None, decision_type: str | None = None,
               days: int | None = None, include_archived: bool = True) -> list[Any]:
        """Records matching ``query`` (entities, learnings, decisions); no query lists by recency."""
        self._settle(user_id, session_id)
        kind = {"entity_memory": "entity", "learned_knowledge": "learning", "decision_log": "decision"}.get(self._name)
        if kind is None:
            raise TypeError(f"{self._name} is read with get(...), not search()")
        store, machine = self.store, self._machine
        space = store.namespace_for(namespace or machine.namespace)
        records: list[Any]
        if query:
            hits = machine.searcher.search(query, kind=kind, namespace=space, user=user_id, limit=max(limit * 3, 10))
            records = [machine.repo.get(hit.path, copy=False) for hit in hits]
        else:
            records = sorted(machine.repo.list(kind, namespace=space, copy=False),
                             key=lambda r: r.updated or r.created, reverse=True)
        found = [r for r in records if r is not None and _visible(r, user_id)]
        if kind == "entity":
            found = [r for r in found if isinstance(r, EntityRecord)
                     and (entity_type is None or r.entity_type == entity_type)
                     and (include_archived or "archived" not in r.tags)]
        if kind == "decision":
            found = [r for r in found if isinstance(r, DecisionRecord)
                     and (agent_id is None or r.source.agent == agent_id)
                     and (session_id is None or r.source.session == session_id)
                     and (decision_type is None or slugify(decision_type) in r.tags)
                     and (days is None or _within(r.created, days))]
        return found[:limit]

    def search_entities(self, query: str | None = None, entity_type: str | None = None,
                        namespace: str | None = None, user_id: str | None = None, limit: int = 10) -> str:
        """Agno's ``search_entities`` as text: matches (archived ones marked), or recent entities."""
        from learning_fs.stores.entity_memory import describe

        found = self.search(query, limit, user_id=user_id, namespace=namespace, entity_type=entity_type)
        if not found:
            return "No matching entities."
        return "\n\n".join(describe(r) + (" (archived)" if "archived" in r.tags else "") for r in found)

    def get_tools(self, user_id: str | None = None, session_id: str | None = None, message: str | None = None,
                  **extra: Any) -> list[Callable[..., Any]]:
        """This store's tools, bound to the machine's writer for ``user_id`` (callable directly)."""
        return [tool for tool in self._machine.get_tools(user_id, session_id, message, **extra)
                if getattr(tool, "learning_store", None) == self._name]

    async def aget_tools(self, user_id: str | None = None, session_id: str | None = None,
                         message: str | None = None, **extra: Any) -> list[Callable[..., Any]]:
        return self.get_tools(user_id, session_id, message, **extra)

    def update_profile(self, user_id: str, **fields: Any) -> str:
        """Agno's ``update_profile``: set profile fields for ``user_id`` (the ``update_user_profile`` tool's write)."""
        if self._name != "user_profile":
            raise TypeError(f"update_profile is the user profile's; {self._name} has other tools")
        machine = self._machine
        tools = call_with_context(self.store.write_tools, user_id=user_id, repo=machine.repo,
                                  writer=machine.writer(self._name, user_id=user_id))
        return str(tools[0](**fields))

    # -- printing -----------------------------------------------------------------------------
    def print(self, user_id: str | None = None, session_id: str | None = None, *, query: str | None = None,
              limit: int = 10, raw: bool = False, **kwargs: Any) -> None:
        """Print what the store holds (Agno's ``store.print``), after the learning in flight is saved."""
        lines, subtitle = self._lines(user_id, session_id, query, limit, kwargs)
        title = self._name.replace("_", " ").title()
        print(f"\n--- {title}{f' · {subtitle}' if subtitle else ''} ---")
        if raw:
            print(repr(self.get(user_id, session_id, **kwargs) if self._name in (
                "user_profile", "user_memory", "session_context") else lines))
            return
        print("\n".join(lines) if lines else "(nothing learned yet)")

    def _lines(self, user_id: str | None, session_id: str | None, query: str | None, limit: int,
               kwargs: dict[str, Any]) -> tuple[list[str], str]:
        kind = self._name
        if kind == "user_profile":
            profile = self.get(user_id)
            values = dataclasses.asdict(profile) if profile is not None else {}
            return [f"{k.replace('_', ' ').title()}: {v}" for k, v in values.items() if v not in (None, "", [])], \
                str(user_id or "")
        if kind == "user_memory":
            record = self.get(user_id)
            items = [m for m in record.memories if m.active] if record is not None else []
            return [f"- {m.text}" for m in items], str(user_id or "")
        if kind == "session_context":
            session = self.get(user_id, session_id)
            return _session_lines(session), str(session_id or "")
        if kind == "entity_memory":
            entity = self.get(kwargs.get("entity_id"), entity_type=kwargs.get("entity_type"),
                              entity_id=kwargs.get("entity_id"), namespace=kwargs.get("namespace"),
                              for_user=user_id) if kwargs.get("entity_id") else None
            records = [entity] if entity is not None else ([] if kwargs.get("entity_id") else
                                                           self.search(query, limit, user_id=user_id,
                                                                       namespace=kwargs.get("namespace")))
            return _entity_lines(records), str(kwargs.get("entity_id") or query or "")
        if kind == "learned_knowledge":
            learnings = self.search(query, limit, user_id=user_id, namespace=kwargs.get("namespace"))
            lines = [f"- {r.title}: {r.learning}" for r in learnings if isinstance(r, LearningRecord)]
            return lines + self._proposed(query), str(query or "")
        if kind == "decision_log":
            decisions = self.search(query, limit, user_id=user_id, agent_id=kwargs.get("agent_id"),
                                    session_id=session_id)
            return _decision_lines(decisions), str(kwargs.get("agent_id") or session_id or "all")
        recalled = self._recall(user_id=user_id, session_id=session_id, message=query)
        return [line for line in (self.store.build_context(recalled) or "").splitlines()], ""

    def _proposed(self, query: str | None) -> list[str]:
        """PROPOSE mode: learnings waiting on a proposal branch are shown as such (never as remembered)."""
        if self.store.mode is not LearningMode.PROPOSE:
            return []
        lines = []
        for proposal in self._machine.proposals():
            summary = " ".join(str(getattr(proposal, attr, "") or "") for attr in ("summary", "title", "branch"))
            if not query or any(word.casefold() in summary.casefold() for word in query.split()):
                lines.append(f"- proposed, awaiting review: {getattr(proposal, 'branch', proposal)}")
        return lines

    # -- lookups ------------------------------------------------------------------------------
    def _session(self, session_id: str, user_id: str | None) -> SessionRecord | None:
        store = self.store
        candidates: list[str | None] = [user_id] if user_id else []
        candidates += [u for u in getattr(self._machine, "_session_users", {}).get(session_id, ()) if u != user_id]
        candidates.append(None)
        for user in candidates:
            record = call_with_context(store.recall, user_id=user, session_id=session_id, repo=self._machine.repo)
            if isinstance(record, SessionRecord):
                return record
        return None

    def _entity(self, entity_id: str | None, entity_type: str | None, namespace: str | None,
                user_id: str | None) -> EntityRecord | None:
        if not entity_id:
            return None
        wanted = slugify(entity_id)
        for record in self.search(None, 10_000, user_id=user_id, namespace=namespace, entity_type=None):
            names = [record.name, *record.aliases]
            named = wanted in {slugify(n) for n in names} or record.id == entity_id
            if named and (entity_type is None or record.entity_type in (entity_type, "thing")):
                return record
        return None


def _visible(record: Any, user_id: str | None) -> bool:
    owner = getattr(record, "user", None)
    return owner is None or owner == user_id


def _within(created: str, days: int) -> bool:
    try:
        when = dt.datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc) - when <= dt.timedelta(days=days)


def _session_lines(session: SessionRecord | None) -> list[str]:
    if session is None:
        return []
    lines = [f"Summary: {session.summary}"] if session.summary else []
    if session.goal:
        lines.append(f"Goal: {session.goal}")
    lines += [f"- [{'x' if step.done else ' '}] {step.text}" for step in session.plan]
    lines += [f"Progress: {item.text}" for item in session.progress]
    return lines


def _entity_lines(records: Iterable[EntityRecord]) -> list[str]:
    lines: list[str] = []
    for record in records:
        archived = " (archived)" if "archived" in record.tags else ""
        lines.append(f"{record.name} ({record.entity_type}){archived}" +
                     (f": {record.description}" if record.description else ""))
        lines += [f"  fact: {f.text}" for f in record.facts if f.active]
        lines += [f"  retired: {f.text}" for f in record.facts if not f.active]
        lines += [f"  event {e.date}: {e.text}" for e in record.events if e.active]
        lines += [f"  {r.relation} -> {r.target}" for r in record.relationships if r.active]
    return lines


def _decision_lines(decisions: Iterable[DecisionRecord]) -> list[str]:
    lines: list[str] = []
    for decision in decisions:
        lines.append(f"[{decision.id}] {decision.decision}")
        if decision.reasoning:
            lines.append(f"  Reasoning: {decision.reasoning}")
        if decision.outcome:
            lines.append(f"  Outcome: {decision.outcome}")
    return lines


def _config_dict(config: StoreConfig) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if isinstance(value, LearningMode):
            data[field.name] = value.value
        elif isinstance(value, type):
            data[field.name] = f"{value.__module__}.{value.__qualname__}"
        elif value is None or isinstance(value, (str, int, float, bool, list, dict)):
            data[field.name] = value
    return data


def _import_path(value: Any) -> Any:
    if not isinstance(value, str) or "." not in value:
        return value
    import importlib

    module, _, name = value.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        log.warning("from_dict: cannot import schema %s; the default schema is used", value)
        return None
