"""Add learnings, decisions and user memories, and find a record by id or path.

These are the write operations the CLI's ``add`` commands and (later) the agent's tools share:
each takes a :class:`~learning_fs.repo.Transaction` so a caller can put several into one commit.
"""

from __future__ import annotations

from pathlib import Path

from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.ids import new_id
from learning_fs.format.items import Item
from learning_fs.format.layout import record_path
from learning_fs.format.records import (
    GLOBAL_NAMESPACE,
    USER_NAMESPACE,
    DecisionRecord,
    LearningRecord,
    MemoriesRecord,
    Record,
)
from learning_fs.format.slugs import check_relative_path
from learning_fs.ops.origin import save
from learning_fs.ops.provenance import Origin
from learning_fs.ops.transaction import ItemChange, RecordTx
from learning_fs.repo import MemoryRepo


def _owner(namespace: str, origin: Origin) -> str | None:
    """A private record belongs to the user writing it; a shared one to nobody."""
    if namespace != USER_NAMESPACE:
        return None
    if not origin.user:
        raise LearningFSError("a private (namespace 'user') record needs a user")
    return origin.user


def _clean(text: str) -> str:
    return text.strip("\n").strip()


def add_learning(tx: RecordTx, title: str, text: str, origin: Origin, *, namespace: str = GLOBAL_NAMESPACE,
                 tags: list[str] | None = None, context: str | None = None) -> LearningRecord:
    """Write a learning; one with the same title in the namespace is updated (see :func:`put_learning`)."""
    return put_learning(tx, title, text, origin, namespace=namespace, tags=tags, context=context)[0]


def put_learning(tx: RecordTx, title: str, text: str, origin: Origin, *, namespace: str = GLOBAL_NAMESPACE,
                 tags: list[str] | None = None, context: str | None = None) -> tuple[LearningRecord, bool]:
    """The one rule for saving a learning, whoever saves it; returns the record and whether it existed.

    A learning with the same title (case aside) in the namespace is updated: its text replaced,
    ``context`` replaced when given, the tags merged. A different title that slugs alike gets a
    file of its own (hash-suffixed).
    """
    title = " ".join(title.split())
    if not title or not text.strip():
        raise LearningFSError("a learning needs a title and a text")
    probe = LearningRecord(title=title, learning=_clean(text), context=_clean(context or ""),
                           tags=sorted({t.strip() for t in tags or [] if t.strip()}), namespace=namespace,
                           user=_owner(namespace, origin), source=origin.provenance(), created=origin.timestamp())
    existing = tx.read(record_path(probe))
    same = isinstance(existing, LearningRecord) and existing.title.casefold() == title.casefold()
    if isinstance(existing, LearningRecord) and same:
        existing.learning = probe.learning
        if context is not None:
            existing.context = probe.context
        existing.tags = sorted({*existing.tags, *probe.tags})
        save(tx, existing, origin)
        return existing, True
    save(tx, probe, origin)
    return probe, False


def add_decision(tx: RecordTx, title: str, decision: str, origin: Origin, *, reasoning: str = "",
                 alternatives: list[str] | None = None, confidence: float | None = None,
                 namespace: str = GLOBAL_NAMESPACE, tags: list[str] | None = None) -> DecisionRecord:
    """Write a decision with its reasoning and the alternatives that were considered."""
    if not title.strip() or not decision.strip():
        raise LearningFSError("a decision needs a title and a text")
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise LearningFSError(f"confidence must be between 0 and 1, not {confidence}")
    options = [Item(id=new_id("alternative"), text=" ".join(a.split())) for a in alternatives or [] if a.strip()]
    record = DecisionRecord(
        title=" ".join(title.split()), decision=_clean(decision), reasoning=_clean(reasoning),
        confidence=confidence, namespace=namespace, user=_owner(namespace, origin), tags=list(tags or []),
        alternatives=options,
        source=origin.provenance(), created=origin.timestamp(),
    )
    save(tx, record, origin)
    return record


def add_memory(tx: RecordTx, user: str, text: str, origin: Origin) -> tuple[MemoriesRecord, Item]:
    """Append an observation to a user's memories file (created on first use); repeats are no-ops."""
    if not text.strip():
        raise LearningFSError("a memory needs a text")
    probe = MemoriesRecord(user=user, source=origin.provenance(), created=origin.timestamp())
    path = record_path(probe)
    record = tx.read(path)
    if record is None:
        record = probe
    if not isinstance(record, MemoriesRecord):
        raise LearningFSError(f"{path} holds a {record.kind} record, not memories")
    change = put_memory(record, text, origin)
    if change.changed:
        save(tx, record, origin)
    return record, change.item


def put_memory(record: MemoriesRecord, text: str, origin: Origin) -> ItemChange:
    """The one rule for remembering, whoever remembers (CLI, agent tool, extraction, MCP).

    A memory the user already has (case and spacing aside) is not repeated: the existing item is
    returned unchanged.
    """
    wanted = " ".join(text.split())
    if not wanted:
        raise LearningFSError("a memory needs a text")
    for item in record.memories:
        if item.active and item.text.casefold() == wanted.casefold():
            return ItemChange(item, changed=False)
    item = Item(id=new_id("memory"), text=wanted, created=origin.timestamp(), session=origin.session)
    record.memories.append(item)
    return ItemChange(item, changed=True)


def resolve(repo: MemoryRepo, id_or_path: str, *, must_exist: bool = True) -> str:
    """The repository path of a record given its id (``lrn-…``) or a path to its file.

    A path may be relative to the repository root or to the current directory, or absolute; it
    must point inside the repository. ``must_exist=False`` accepts a path that is gone from the
    working tree (its history can still be shown).
    """
    text = id_or_path.strip()
    if not (text.endswith(".md") or "/" in text):
        record = repo.find(text)
        assert record.path is not None
        return record.path
    given = Path(text).expanduser()
    full = given.resolve() if given.is_absolute() or given.exists() else (repo.root / text).resolve()
    try:
        relative = full.relative_to(repo.root).as_posix()
    except ValueError:
        raise RecordNotFoundError(f"{text} is outside the memory repository {repo.root}") from None
    if must_exist and not full.is_file():
        raise RecordNotFoundError(f"{relative}: no such file in {repo.root}")
    return check_relative_path(relative)


def read(repo: MemoryRepo, id_or_path: str) -> Record:
    """The record behind an id or a path."""
    return repo.read(resolve(repo, id_or_path))
