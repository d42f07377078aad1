"""What a record file contributes to the search index: one :class:`IndexDoc` per searchable thing.

The unit of search is what an agent wants back. A learning, a decision or a session summary is
one entry; a user's memories are one entry each (a memory is what recall ranks); an entity is
one entry for who it is (name, aliases, type, description, relationships) plus one per fact and
per event, so "which database does billing use" lands on the fact that answers it and a new
fact costs one embedding, not the whole file's.

Entry ids are derived from the file path (``<path>`` for the record, ``<path>#<item id>`` for an
item): two files that carry the same record id (a copied file) never fight over one entry, and
re-indexing a file only touches ids under its own path.

Privacy is decided here, from the file's *place* as well as its content: anything under
``users/<shard>/<user>/`` is private to that user whatever its frontmatter claims, and a file
whose owner cannot be told for sure is not indexed at all (and logged), because an entry filed
under the wrong owner would be shown to the wrong person.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from learning_fs.errors import UnsafePathError
from learning_fs.format.items import Item
from learning_fs.format.layout import CONTENT_FOLDERS, is_private_path, user_folder
from learning_fs.format.records import (
    USER_NAMESPACE,
    DecisionRecord,
    EntityRecord,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Record,
    SessionRecord,
    now,
)
from learning_fs.index.types import IndexDoc, Metadata

log = logging.getLogger(__name__)

#: Separates a file path from an item id in an entry id (``users/…/memories.md#m-0a1b2c3d4e``).
ITEM_SEPARATOR = "#"


def is_content_path(path: str) -> bool:
    """Whether ``path`` (repository-relative, ``/``-separated) can hold a record the index reads.

    Mirrors :meth:`MemoryRepo.paths`: a ``.md`` file inside a content folder, with no hidden
    segment (editor swap files, the library's own ``.lfs-*.tmp`` files, ``.obsidian/``).
    """
    parts = path.split("/")
    return (
        len(parts) >= 2
        and parts[0] in CONTENT_FOLDERS
        and path.endswith(".md")
        and not any(not part or part.startswith(".") for part in parts)
    )


def entry_id(path: str, item_id: str = "") -> str:
    """The id of the entry for a record (``item_id`` "") or for one of its items."""
    return f"{path}{ITEM_SEPARATOR}{item_id}" if item_id else path


def scope(record: Record, path: str) -> tuple[str, str] | None:
    """(namespace, user) to file the record's entries under, or None when that cannot be told safely.

    A path under ``users/`` is private to the user whose folder it is; the record must name that
    user (a file moved by hand into someone else's folder is refused, not guessed). A shared path
    keeps the record's own namespace; ``user`` there is only who it came from.
    """
    owner = record.user or ""
    if is_private_path(path):
        try:
            folder = user_folder(owner) if owner else None
        except UnsafePathError:
            folder = None
        if folder is None or not path.startswith(folder + "/"):
            log.warning("%s: not indexed: a file under users/ must name the owner of its folder in 'user'", path)
            return None
        return USER_NAMESPACE, owner
    if record.namespace == USER_NAMESPACE and not owner:
        log.warning("%s: not indexed: a private (namespace 'user') record must name its user", path)
        return None
    return record.namespace or "global", owner


def documents_for(record: Record, path: str, blob: str, *, at: str | None = None) -> list[IndexDoc]:
    """The index entries for ``record`` read from ``path`` (git blob ``blob``), as of ``at`` (default now).

    ``at`` decides which items count as expired; the searcher also drops hits whose ``expires``
    has passed since, so an entry indexed before its expiry does not outlive it.
    """
    placed = scope(record, path)
    if placed is None:
        return []
    namespace, user = placed
    stamp = at or now()
    builder = _Builder(record, path, blob, namespace, user, stamp)
    title = record.title_text()
    if isinstance(record, LearningRecord):
        builder.record(title, record.learning, record.context, _tags(record.tags), *_notes(record))
    elif isinstance(record, DecisionRecord):
        alternatives = "; ".join(item.text for item in record.alternatives if item.active and item.text)
        builder.record(
            title,
            record.decision,
            _labelled("Reasoning", record.reasoning),
            _labelled("Alternatives", alternatives),
            _labelled("Outcome", record.outcome),
            _tags(record.tags),
            *_notes(record),
        )
    elif isinstance(record, SessionRecord):
        builder.record(
            title,
            record.summary,
            _labelled("Goal", record.goal),
            _labelled("Plan", "; ".join(item.text for item in record.plan if item.text)),
            _labelled("Progress", "; ".join(item.text for item in record.progress if item.text)),
            *_notes(record),
        )
    elif isinstance(record, EntityRecord):
        _entity(builder, record)
    elif isinstance(record, MemoriesRecord):
        for item in record.memories:
            builder.item(item, "memory", item.text)
        notes = _notes(record)
        if notes:
            builder.record(title, *notes)
    elif isinstance(record, ProfileRecord):
        fields = "\n".join(f"{key}: {_flat(value)}" for key, value in record.fields.items() if value not in (None, ""))
        builder.record(title, fields, *_notes(record))
    return builder.docs


def _entity(builder: _Builder, record: EntityRecord) -> None:
    name = record.name or record.id
    links = "\n".join(
        f"{item.relation or 'related_to'} {item.target}" + (f": {item.text}" if item.text else "")
        for item in record.relationships
        if item.active and item.target
    )
    builder.record(
        f"{name} ({record.entity_type})",
        _labelled("Also known as", ", ".join(record.aliases)),
        record.description,
        links,
        _tags(record.tags),
        *_notes(record),
    )
    for fact in record.facts:
        builder.item(fact, "fact", f"{name}: {fact.text}" if fact.text else "")
    for event in record.events:
        when = f", {event.date}" if event.date else ""
        builder.item(event, "event", f"{name}{when}: {event.text}" if event.text else "")


class _Builder:
    """Collects a record's entries with the metadata every entry carries."""

    def __init__(self, record: Record, path: str, blob: str, namespace: str, user: str, stamp: str) -> None:
        self._record = record
        self._path = path
        self._blob = blob
        self._namespace = namespace
        self._user = user
        self._stamp = stamp
        self._seen: set[str] = set()
        self.docs: list[IndexDoc] = []
        self._record_status = _status(record.status, record.expires, stamp)

    def record(self, *parts: str) -> None:
        text = _join(parts)
        if text:
            self._add(entry_id(self._path), "", "record", text, self._record_status, None, None, self._record.expires)

    def item(self, item: Item, item_kind: str, text: str) -> None:
        if not text.strip():
            return
        status = self._record_status if self._record_status != "active" else _status(item.status, item.expires,
                                                                                        self._stamp)
        item_id = item.id
        if entry_id(self._path, item_id) in self._seen:  # two identical typed lines derive the same id
            item_id = f"{item.id}~{len(self._seen)}"
        self._add(entry_id(self._path, item_id), item_id, item_kind, text, status, item.created, item.updated,
                  item.expires or self._record.expires)

    def _add(self, doc_id: str, item_id: str, item_kind: str, text: str, status: str, created: str | None,
             updated: str | None, expires: str | None) -> None:
        self._seen.add(doc_id)
        record = self._record
        metadata: Metadata = {
            "kind": record.kind,
            "namespace": self._namespace,
            "user": self._user,
            "path": self._path,
            "record_id": record.id,
            "item_id": item_id,
            "item_kind": item_kind,
            "status": status,
            "created": str(created or record.created or ""),
            "updated": str(updated or created or record.updated or ""),
            "expires": str(expires or ""),
            "title": record.title_text(),
            "blob": self._blob,
        }
        self.docs.append(IndexDoc(doc_id, text, metadata))


def _status(status: str, expires: str | None, stamp: str) -> str:
    if status != "active":
        return status if status in ("superseded", "expired") else "active"
    return "expired" if expires and str(expires) <= stamp else "active"


def _join(parts: Iterable[str]) -> str:
    return "\n".join(part.strip() for part in parts if part and part.strip())


def _labelled(label: str, text: str) -> str:
    return f"{label}: {text.strip()}" if text and text.strip() else ""


def _tags(tags: list[str]) -> str:
    return _labelled("Tags", ", ".join(tags))


def _notes(record: Record) -> list[str]:
    """What a person wrote beside the owned fields: free text and sections of their own."""
    extra = [f"{heading}\n{text}" for heading, text in record.extra_sections if text.strip()]
    return [record.notes, *extra] if record.notes.strip() else extra


def _flat(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
