"""Entity memory: people, companies, projects… with facts, dated events and relationships.

One file per entity and namespace. Facts are semantic memory, events (with a date) episodic,
relationships ``[[wikilink]]`` edges stored on BOTH ends so either file tells the whole story.
A fact that contradicts an older one supersedes it: the old line stays, struck through, with
``status=superseded superseded_by=<new id>``; it is never deleted. Contradiction is detected
two ways: the model names the old fact (``add_fact(..., supersedes="f-…")``), or both facts are
``attribute: value`` lines with the same attribute ("role: CTO" replaces "role: engineer").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learning_fs.context import estimate_tokens
from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.items import Item
from learning_fs.format.layout import record_path
from learning_fs.format.records import EntityRecord, now
from learning_fs.ops.edits import ARCHIVED, archive_entity, describe_entity, put_about, retire_fact
from learning_fs.ops.entities import check_target, put_event, put_fact, put_link, relation_label
from learning_fs.search import Searcher, SearchHit, tokenize, visible_to
from learning_fs.stores.base import BaseStore, ToolError, one_line, store_tool, tool_reply, transcript
from learning_fs.stores.protocol import LearningMode, StoreConfig
from learning_fs.stores.selection import Candidate, Excerpt, query_weights, select, share_of

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo



@dataclass(kw_only=True)
class EntityMemoryConfig(StoreConfig):
    """Options of the entity memory store; each ``enable_*`` switches one write tool on or off.

    AGENTIC by default, like Agno: the agent records entities through its tools as it talks
    (``remember_about``, ``link_entities``, ``forget`` are Agno's; ``create_entity``, ``add_fact``,
    ``add_event``, ``add_relationship`` the finer-grained ones). ALWAYS extracts after each turn.
    """

    mode: LearningMode = LearningMode.AGENTIC
    enable_create_entity: bool = True
    enable_add_fact: bool = True
    enable_add_event: bool = True
    enable_add_relationship: bool = True
    enable_remember_about: bool = True
    enable_link_entities: bool = True
    enable_forget: bool = True
    recall_limit: int = 5  # at most this many entities in the context, budget permitting
    context_budget: int = 600

    def build(self, repo: MemoryRepo | None = None) -> EntityMemoryStore:
        return EntityMemoryStore(self, repo)


class EntityMemoryStore(BaseStore):
    """What the agent knows about named things, searchable and linked."""

    learning_type = "entity_memory"
    config: EntityMemoryConfig

    def __init__(self, config: EntityMemoryConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or EntityMemoryConfig(), repo)

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, message: str | None = None, namespace: str | None = None,
               searcher: Searcher | None = None, repo: MemoryRepo | None = None,
               budget: int | None = None) -> list[EntityRecord | Excerpt]:
        """The entities most relevant to ``message`` that fit the budget (shared cached objects: read-only).

        An entity whose block would take more than its share of ``budget`` (default
        ``context_budget``) is shown with the facts that best match the message (an ``Excerpt``
        naming its file); one that still does not fit is skipped, not a reason to stop.
        """
        if not message:
            return []
        hits = self._hits(message, self.config.recall_limit * 2, user_id, namespace, searcher, repo)
        room = self.config.context_budget if budget is None else budget
        share = share_of(room, len(hits))

        def candidates() -> Iterator[Candidate[EntityRecord | Excerpt]]:
            """Read as they are selected (a recall that reaches its limit reads no further)."""
            for record, _ in self.records_of(hits, EntityRecord, user_id, repo):
                if ARCHIVED in record.tags:  # forget(): out of the context, still searchable
                    continue
                cost = _cost(record, record.facts)
                if cost > share:
                    facts = _best_facts(record, message, share)
                    if facts is not None:
                        cut = Excerpt(record, "facts", facts, record.path or record.id, cost)
                        yield Candidate(cut, _cost(record, facts) + _pointer(record))
                        continue
                yield Candidate(record, cost)

        return select(candidates(), room, message, limit=self.config.recall_limit, count=len(hits))

    def build_context(self, data: list[EntityRecord | Excerpt]) -> str:
        # recall fitted the entities to its budget (maybe more than context_budget): no second trim
        return self.renderer.render(f"{self.learning_type}.jinja", entities=data) if data else ""

    def find(self, query: str, limit: int, user_id: str | None, namespace: str | None,
             searcher: Searcher | None = None, repo: MemoryRepo | None = None) -> list[EntityRecord]:
        hits = self._hits(query, limit, user_id, namespace, searcher, repo)
        return [record for record, _ in self.records_of(hits, EntityRecord, user_id, repo)]

    def _hits(self, query: str, limit: int, user_id: str | None, namespace: str | None,
              searcher: Searcher | None, repo: MemoryRepo | None) -> list[SearchHit]:
        namespace = self.namespace_for(namespace)
        if namespace == "user" and not user_id:
            return []
        return self.searcher_for(searcher, repo).search(query, kind="entity", namespace=namespace, user=user_id,
                                                        limit=limit)

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return self.write_tools(**ctx) if self.agent_writes else [self._search_tool(**ctx)]

    def _search_tool(self, *, user_id: str | None = None, namespace: str | None = None,
                     searcher: Searcher | None = None, repo: MemoryRepo | None = None, **_: Any) -> Callable[..., str]:
        store = self

        @store_tool
        def search_entities(query: str | None = None, limit: int = 5) -> str:
            """Search the people, organisations, projects and other entities you know about.

            Args:
                query: Names or words to look for; leave it out to list the most recent entities.
                limit: The most entities to return.
            """
            limit = max(1, min(limit, 20))
            found = (store.find(query, limit, user_id, namespace, searcher, repo) if query and query.strip()
                     else store.recent(limit, user_id, namespace, repo))
            return "\n\n".join(describe(record) for record in found) or "No matching entities."

        return search_entities

    def write_tools(self, *, user_id: str | None = None, session_id: str | None = None, writer: Any = None,
                    namespace: str | None = None, **ctx: Any) -> list[Callable[..., str]]:
        store, config, locked = self, self.config, self.serialised(ctx.get("repo"))
        space = self.namespace_for(namespace)

        def load(name: str, create: bool = False, entity_type: str | None = None) -> tuple[Any, EntityRecord]:
            active = store.require_writer(writer)
            name = " ".join(name.split())
            if not name:
                raise ToolError("an entity needs a name")
            record = store.lookup(active, name, space, user_id, ctx.get("searcher"), ctx.get("repo"))
            if record is None:
                if not (create and config.enable_create_entity):
                    raise ToolError(f"no entity named {name!r} (create it first)" if config.enable_create_entity
                                    else f"no entity named {name!r}")
                record = EntityRecord(name=name, entity_type=entity_type or "thing", namespace=space,
                                      user=store.owner(space, user_id))
            return active, record

        @store_tool
        @locked
        def create_entity(name: str, entity_type: str = "thing", description: str | None = None,
                          aliases: list[str] | None = None) -> str:
            """Create an entity (a person, organisation, project, place, product…), or update its details.

            Args:
                name: Its name as people say it, e.g. "Acme Corp".
                entity_type: person, organization, project, place, product, concept or thing.
                description: One sentence saying what it is.
                aliases: Other names it goes by.
            """
            active, record = load(name, create=True, entity_type=entity_type)
            describe_entity(record, entity_type=entity_type, description=description, aliases=aliases or [])
            result = active.save([record], summary=one_line(f"Record entity {record.name}"))
            return tool_reply(active, result, f"Saved entity {record.name} ({record.id}).",
                              f"the entity {record.name} ({record.id})")

        @store_tool
        @locked
        def add_fact(entity: str, fact: str, supersedes: str | None = None) -> str:
            """Record a lasting fact about an entity; name the old fact it replaces if it contradicts one.

            Args:
                entity: The entity's name (created if new).
                fact: The fact, e.g. "role: CTO" or "HQ is in Berlin".
                supersedes: Id of an existing fact this one makes untrue (e.g. "f-1a2b3c4d5e").
            """
            text = " ".join(fact.split())
            if not text:
                return "Error: the fact is empty."
            active, record = load(entity, create=True)
            try:
                change = put_fact(record, text, active.evidence(), supersedes=supersedes)
            except LearningFSError as exc:
                return f"Error: {exc}; nothing saved."
            if not change.changed:
                return f"{record.name} already has this fact."
            new, old = change.item, change.superseded
            result = active.save([record], summary=one_line(f"{record.name}: {text}"))
            replaced = f"; supersedes {', '.join(f.id for f in old)}" if old else ""
            return tool_reply(active, result, f"Saved fact {new.id} about {record.name}{replaced}.",
                              f"fact {new.id} about {record.name}{replaced}")

        @store_tool
        @locked
        def add_event(entity: str, event: str, date: str | None = None) -> str:
            """Record something that happened to or with an entity, with its date.

            Args:
                entity: The entity's name (created if new).
                event: What happened.
                date: When, as YYYY-MM-DD (today if not given).
            """
            active, record = load(entity, create=True)
            try:
                change = put_event(record, date or now()[:10], event, active.evidence())
            except LearningFSError as exc:
                return f"Error: {exc}."
            new = change.item
            if not change.changed:
                return f"{record.name} already has this event ({new.id})."
            result = active.save([record], summary=one_line(f"{record.name}: {new.date} {new.text}"))
            return tool_reply(active, result, f"Saved event {new.id} for {record.name}.",
                              f"event {new.id} for {record.name}")

        @store_tool
        @locked
        def add_relationship(entity: str, relation: str, target: str, description: str | None = None) -> str:
            """Link two entities, e.g. ("Alice", "works_at", "Acme"); both entities record the link.

            Args:
                entity: The entity the relation starts from.
                relation: A short snake_case label, e.g. works_at, manages, part_of.
                target: The other entity's name (created if new).
                description: Optional detail about the link.
            """
            try:
                label, name = relation_label(relation), check_target(target)
            except LearningFSError as exc:
                return f"Error: {exc}."
            active, source = load(entity, create=True)
            _, other = load(name, create=True)
            try:
                put_link(source, label, other, active.evidence(), note=description or "")
            except LearningFSError as exc:
                return f"Error: {exc}."
            result = active.save([source, other], summary=one_line(f"{source.name} {label} {other.name}"))
            link = f"{source.name} -{label}-> {other.name}"
            return tool_reply(active, result, f"Linked {link} (both ends).", f"the link {link}")

        @store_tool
        @locked
        def remember_about(entity: str, entity_type: str = "thing", description: str | None = None,
                           facts: list[str] | None = None, events: list[str] | None = None,
                           note: str | None = None) -> str:
            """Record what you learned about a person, organisation, project…: created if new, merged if known.

            Args:
                entity: Its name as people say it, e.g. "Acme Corp".
                entity_type: person, organization, project, place, product, concept or thing.
                description: One sentence saying what it is.
                facts: Lasting facts; "attribute: value" (e.g. "status: shipped") replaces that attribute's old value.
                events: Things that happened, each optionally starting with its date (YYYY-MM-DD).
                note: Where more detail lives (a document, a channel).
            """
            active, record = load(entity, create=True, entity_type=entity_type)
            changes = put_about(record, active.evidence(), entity_type=entity_type, description=description,
                                facts=facts or [], events=events or [], note=note)
            added = [c.item.id for c in changes if c.changed and c.item.date is None]
            retired = [f.id for c in changes for f in c.superseded]
            result = active.save([record], summary=one_line(f"Remember {record.name}"))
            replaced = f"; retired {', '.join(retired)}" if retired else ""
            saved = (f"Remembered {record.name} ({record.entity_type}, {record.id}): {len(added)} fact(s), "
                     f"{len(events or [])} event(s){replaced}.")
            return tool_reply(active, result, saved, f"what is known about {record.name} ({record.id})")

        @store_tool
        @locked
        def link_entities(entity: str, relation: str, related_entity: str) -> str:
            """Record a relationship between two entities; both ends record it (created if new).

            Args:
                entity: The entity the relation starts from, e.g. "Radar".
                relation: A short label, e.g. depends_on, works_at, designs.
                related_entity: The other entity's name.
            """
            return add_relationship(entity, relation, related_entity)

        @store_tool
        @locked
        def forget(entity: str, fact: str | None = None) -> str:
            """Retire a fact that is no longer true, or archive an entity that is gone (kept, searchable).

            Args:
                entity: The entity's name.
                fact: The fact to retire (its id or its words); leave it out to archive the entity.
            """
            active, record = load(entity)
            if fact is None or not fact.strip():
                if not archive_entity(record):
                    return f"{record.name} is already archived."
                result = active.save([record], summary=one_line(f"Archive {record.name}"))
                return tool_reply(active, result, f"Archived {record.name}: out of the context, still searchable.",
                                  f"archiving {record.name}")
            try:
                matches = retire_fact(record, fact, active.evidence())
            except RecordNotFoundError as exc:
                return f"Error: {exc}."
            result = active.save([record], summary=one_line(f"{record.name}: retire {matches[0].text}"))
            return tool_reply(active, result, f"Retired {len(matches)} fact(s) of {record.name}.",
                              f"retiring {len(matches)} fact(s) of {record.name}")

        tools: list[Callable[..., str]] = [self._search_tool(user_id=user_id, namespace=namespace, **ctx)]
        for enabled, function in ((config.enable_create_entity, create_entity), (config.enable_add_fact, add_fact),
                              (config.enable_add_event, add_event),
                              (config.enable_add_relationship, add_relationship),
                              (config.enable_remember_about, remember_about),
                              (config.enable_link_entities, link_entities), (config.enable_forget, forget)):
            if enabled:
                tools.append(function)
        return tools

    def recent(self, limit: int, user_id: str | None, namespace: str | None,
               repo: MemoryRepo | None = None) -> list[EntityRecord]:
        """The most recently changed entities of the namespace (``search_entities`` without a query)."""
        space = self.namespace_for(namespace)
        if space == "user" and not user_id:
            return []
        records = [r for r in self._repo(repo).list("entity", namespace=space, copy=False)
                   if isinstance(r, EntityRecord) and (r.user is None or r.user == user_id)]
        return sorted(records, key=lambda r: r.updated or r.created, reverse=True)[:limit]

    def lookup(self, writer: Any, name: str, namespace: str, user_id: str | None,
               searcher: Searcher | None = None, repo: MemoryRepo | None = None) -> EntityRecord | None:
        """The entity called ``name`` or with that alias, as ``writer`` sees it (a copy to modify).

        Names map to paths (slug + shard; a second name that slugs alike gets a hash suffix), so
        the usual case reads one file; an alias ("Acme" for "Acme Corp") is found by search.
        """
        canonical = record_path(EntityRecord(name=name, namespace=namespace, user=self.owner(namespace, user_id)))
        folder, _, filename = canonical.rpartition("/")
        candidates = [canonical]
        on_disk = self._repo(repo).root / folder
        if on_disk.is_dir():
            candidates += sorted(f"{folder}/{p.name}" for p in on_disk.glob(f"{filename[:-3]}-*.md"))
        for path in candidates:
            record = writer.read(path)
            if _named(record, name):
                return record
        hits = self.searcher_for(searcher, repo).search(name, kind="entity", namespace=namespace, user=user_id,
                                                        limit=10)
        for hit in hits:
            if visible_to(hit.path, user_id):
                record = writer.read(hit.path)
                if _named(record, name):
                    return record
        return None

    def prompt_data(self, messages: list[dict[str, Any]], *, user_id: str | None = None,
                    namespace: str | None = None, searcher: Searcher | None = None,
                    repo: MemoryRepo | None = None, **_: Any) -> dict[str, Any]:
        known = self.find(transcript(messages, 2000), 5, user_id, namespace, searcher, repo)
        return {"known": [describe(record) for record in known], "config": self.config}


def describe(record: EntityRecord) -> str:
    """An entity as the model reads it in tool results and prompts: ids included, live items only."""
    archived = " (archived)" if ARCHIVED in record.tags else ""
    lines = [f"{record.name} ({record.entity_type}) [{record.id}]{archived}" + (f": {record.description}"
                                                                              if record.description else "")]
    lines += [f"- fact {f.id}: {f.text}" for f in record.facts if f.active]
    lines += [f"- event {e.date}: {e.text}" for e in record.events[-5:] if e.active]
    lines += [f"- {r.relation} {r.target}" for r in record.relationships if r.active]
    return "\n".join(lines)


def _named(record: Any, name: str) -> bool:
    wanted = name.casefold()
    return isinstance(record, EntityRecord) and wanted in {n.casefold() for n in [record.name, *record.aliases]}


def _cost(record: EntityRecord, facts: list[Item]) -> int:
    """Tokens of the entity's part of the context block (header, active facts, last events, links)."""
    chars = len(record.name) + len(record.entity_type) + len(record.description) + 8
    chars += sum(len(f.text) + 3 for f in facts if f.active)
    chars += sum(len(e.text) + len(e.date or "") + 5 for e in record.events[-5:] if e.active)
    chars += sum(len(r.relation or "") + len(r.target or "") + len(r.text) + 6 for r in record.relationships
                 if r.active)
    return -(-chars // 4)


def _pointer(record: EntityRecord) -> int:
    return estimate_tokens(f"(facts that match; whole entity: {record.path or record.id})") + 1


def _best_facts(record: EntityRecord, message: str, share: int) -> list[Item] | None:
    """The active facts that best match ``message`` (in file order) within ``share`` tokens; None if none fit."""
    active = [f for f in record.facts if f.active]
    weights = query_weights(message, *(f.text for f in active))
    ranked = sorted(range(len(active)), key=lambda i: -sum(weights.get(t, 0.0) for t in set(tokenize(active[i].text))))
    room = share - _cost(record, []) - _pointer(record)
    kept: set[int] = set()
    for i in ranked:
        cost = estimate_tokens(active[i].text) + 1
        if cost <= room:
            kept.add(i)
            room -= cost
    if room < 0:
        return None
    return [active[i] for i in sorted(kept)]
