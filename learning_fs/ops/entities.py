"""Entities by name: find or create one, add facts, dated events and two-sided relationships.

People and models refer to entities by name ("Acme Corp"), never by path, so every operation here
starts from a name and a namespace. A relationship is written on *both* entities in the same
commit — ``Alice: works_at [[Acme Corp]]`` and ``Acme Corp: employs [[Alice]]`` — so each file is
complete on its own, Obsidian's graph shows the edge from either side, and history never holds
half an edge.
"""

from __future__ import annotations

import posixpath

from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.ids import new_id
from learning_fs.format.items import Item
from learning_fs.format.layout import legacy_record_path, record_path
from learning_fs.format.records import GLOBAL_NAMESPACE, EntityRecord
from learning_fs.ops.origin import Origin, save
from learning_fs.repo import Transaction

# Relation labels whose other side reads differently; symmetric ones read the same both ways.
_PAIRS = {
    "works_for": "employs",
    "works_at": "employs",
    "manages": "managed_by",
    "reports_to": "manages",
    "owns": "owned_by",
    "uses": "used_by",
    "part_of": "has_part",
    "member_of": "has_member",
    "parent_of": "child_of",
    "depends_on": "dependency_of",
    "created": "created_by",
    "founded": "founded_by",
    "located_in": "location_of",
    "customer_of": "has_customer",
    "supplier_of": "supplied_by",
}
_INVERSES = {**{b: a for a, b in _PAIRS.items()}, **_PAIRS}
_SYMMETRIC = {"related_to", "works_with", "knows", "married_to", "sibling_of", "friend_of", "partner_of",
              "competes_with", "colleague_of"}


def inverse_relation(relation: str) -> str:
    """The label of the other side of an edge (``works_at`` → ``employs``).

    Unknown labels get ``"<label> (inverse)"``: plain about the direction rather than guessing
    English grammar. Callers that know better pass their own inverse.
    """
    key = relation.strip()
    if key in _SYMMETRIC:
        return key
    return _INVERSES.get(key, f"{key} (inverse)")


def _same_name(record: EntityRecord, name: str) -> bool:
    wanted = " ".join(name.split()).casefold()
    return any(" ".join(n.split()).casefold() == wanted for n in [record.name, *record.aliases])


def find_entity(tx: Transaction, name: str, *, namespace: str = GLOBAL_NAMESPACE,
                user: str | None = None) -> EntityRecord | None:
    """The entity called ``name`` (or with that alias) in a namespace, as the transaction sees it.

    Names map to paths deterministically (slug + shard), and a second entity whose name slugs
    alike lives next to the first with a hash suffix, so only one small folder is ever searched.
    """
    probe = EntityRecord(name=name, namespace=namespace, user=user)
    legacy = legacy_record_path(probe)  # written before names were transliterated (lstykke.md)
    for canonical in (record_path(probe), *([legacy] if legacy else [])):
        folder, filename = posixpath.split(canonical)
        stem = filename.removesuffix(".md")
        candidates = {canonical}
        on_disk = tx.repo.root / folder
        if on_disk.is_dir():
            candidates.update(f"{folder}/{entry.name}" for entry in on_disk.iterdir()
                              if entry.name.startswith(stem + "-") and entry.name.endswith(".md"))
        candidates.update(p for p in tx.changes if posixpath.dirname(p) == folder and
                          posixpath.basename(p).startswith(stem))
        for path in sorted(candidates):
            record = tx.read(path)
            if isinstance(record, EntityRecord) and _same_name(record, name):
                return record
    return None


def upsert_entity(tx: Transaction, name: str, origin: Origin, *, namespace: str = GLOBAL_NAMESPACE,
                  entity_type: str | None = None) -> EntityRecord:
    """The named entity, created (not yet written) when it does not exist; ``entity_type`` updates it."""
    if not name.strip():
        raise LearningFSError("an entity needs a name")
    user = origin.user if namespace == "user" else None
    if namespace == "user" and not user:
        raise LearningFSError("a private (namespace 'user') entity needs a user")
    record = find_entity(tx, name, namespace=namespace, user=user)
    if record is None:
        record = EntityRecord(name=" ".join(name.split()), namespace=namespace, user=user,
                              entity_type=entity_type or "thing", source=origin.provenance(),
                              created=origin.timestamp())
    elif entity_type and record.entity_type != entity_type:
        record.entity_type = entity_type
    return record


def _new_item(kind: str, text: str, origin: Origin, **fields: str | None) -> Item:
    return Item(id=new_id(kind), text=" ".join(text.split()), created=origin.timestamp(), session=origin.session,
                **fields)


def _known(items: list[Item], text: str, **match: str | None) -> Item | None:
    """An active item saying the same thing (case and spacing aside): adding it again is a no-op."""
    wanted = " ".join(text.split()).casefold()
    for item in items:
        if item.active and item.text.casefold() == wanted and all(getattr(item, k) == v for k, v in match.items()):
            return item
    return None


def _link(record: EntityRecord, relation: str, target: str, note: str, origin: Origin) -> None:
    """Add an edge unless the same relation to the same target is already there (a new note updates it)."""
    for item in record.relationships:
        if item.active and item.relation == relation and _same_target(item.target, target):
            if note.strip():
                item.text = " ".join(note.split())
            return
    record.relationships.append(_new_item("relationship", note, origin, relation=relation, target=target))


def _same_target(a: str | None, b: str) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join(b.split()).casefold()


def add_fact(tx: Transaction, entity: str, text: str, origin: Origin, *, namespace: str = GLOBAL_NAMESPACE,
             entity_type: str | None = None) -> tuple[EntityRecord, Item]:
    """Add one fact to an entity (created if missing); a fact it already holds is not repeated."""
    record = upsert_entity(tx, entity, origin, namespace=namespace, entity_type=entity_type)
    item = _known(record.facts, text)
    if item is None:
        item = _new_item("fact", text, origin)
        record.facts.append(item)
    save(tx, record, origin)
    return record, item


def add_event(tx: Transaction, entity: str, date: str, text: str, origin: Origin, *,
              namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, Item]:
    """Add a dated event; events stay in date order so the section reads as a timeline."""
    record = upsert_entity(tx, entity, origin, namespace=namespace)
    item = _known(record.events, text, date=date)
    if item is None:
        item = _new_item("event", text, origin, date=date)
        later = [i for i, e in enumerate(record.events) if e.date and e.date > date]
        record.events.insert(later[0] if later else len(record.events), item)
    save(tx, record, origin)
    return record, item


def add_relationship(tx: Transaction, entity: str, relation: str, target: str, origin: Origin, *,
                     note: str = "", inverse: str | None = None,
                     namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, EntityRecord]:
    """Relate two entities on both ends in one commit; the target is created if it does not exist."""
    relation = " ".join(relation.split())
    if not relation or "[" in relation or "]" in relation:
        raise LearningFSError(f"invalid relation label {relation!r} (no brackets, not empty)")
    if "[" in target or "]" in target or "|" in target:
        raise LearningFSError(f"invalid target name {target!r} (no brackets or '|': it becomes a [[wikilink]])")
    source = upsert_entity(tx, entity, origin, namespace=namespace)
    other = upsert_entity(tx, target, origin, namespace=namespace)
    if source.id == other.id or _same_name(source, other.name):
        raise LearningFSError(f"{entity!r} cannot be related to itself")
    back = " ".join((inverse or inverse_relation(relation)).split())
    _link(source, relation, other.name, note, origin)
    _link(other, back, source.name, note, origin)
    save(tx, source, origin)
    save(tx, other, origin)
    return source, other


def replace_fact(tx: Transaction, entity: str, old: str, new: str, origin: Origin, *,
                 namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, Item]:
    """Supersede a fact (by id or exact text) with a new one.

    The old line stays in the file, struck through and pointing at its successor, so a reviewer
    sees what changed and an as-of read of the past still finds the old fact active.
    """
    user = origin.user if namespace == "user" else None
    record = find_entity(tx, entity, namespace=namespace, user=user)
    if record is None:
        raise RecordNotFoundError(f"no entity named {entity!r} in namespace {namespace!r}")
    wanted = " ".join(old.split()).casefold()
    for index, item in enumerate(record.facts):
        if item.active and (item.id == old or item.text.casefold() == wanted):
            replacement = _new_item("fact", new, origin)
            item.status = "superseded"
            item.superseded_by = replacement.id
            item.updated = origin.timestamp()
            record.facts.insert(index + 1, replacement)
            save(tx, record, origin)
            return record, replacement
    raise RecordNotFoundError(f"{record.name} has no active fact {old!r}")
