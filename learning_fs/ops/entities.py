"""Entities by name: find or create one, add facts, dated events and two-sided relationships.

People and models refer to entities by name ("Acme Corp"), never by path, so every operation here
starts from a name and a namespace. A relationship is written on *both* entities in the same
commit — ``Alice: works_at [[Acme Corp]]`` and ``Acme Corp: employs [[Alice]]`` — so each file is
complete on its own, Obsidian's graph shows the edge from either side, and history never holds
half an edge.
"""

from __future__ import annotations

import posixpath
import re

from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.ids import new_id
from learning_fs.format.items import Item
from learning_fs.format.layout import legacy_record_path, record_path
from learning_fs.format.records import GLOBAL_NAMESPACE, EntityRecord
from learning_fs.format.slugs import slugify
from learning_fs.ops.origin import save
from learning_fs.ops.provenance import Origin
from learning_fs.ops.transaction import ItemChange, RecordTx

_ATTRIBUTE = re.compile(r"^\s*([A-Za-z][\w '-]{0,39}?)\s*:\s*(\S.*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

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


def find_entity(tx: RecordTx, name: str, *, namespace: str = GLOBAL_NAMESPACE,
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


def upsert_entity(tx: RecordTx, name: str, origin: Origin, *, namespace: str = GLOBAL_NAMESPACE,
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


def _link(record: EntityRecord, relation: str, target: str, note: str, origin: Origin) -> ItemChange:
    """Add an edge unless the same relation to the same target is already there (a new note updates it)."""
    for item in record.relationships:
        if item.active and item.relation == relation and _same_target(item.target, target):
            if note.strip() and item.text != " ".join(note.split()):
                item.text = " ".join(note.split())
                return ItemChange(item, changed=True)
            return ItemChange(item, changed=False)
    item = _new_item("relationship", note, origin, relation=relation, target=target)
    record.relationships.append(item)
    return ItemChange(item, changed=True)


def relation_label(relation: str) -> str:
    """The edge label as stored: words joined by ``_`` (``works at`` → ``works_at``); no brackets."""
    label = "_".join(relation.split())
    if not label or any(ch in label for ch in "[]|"):
        raise LearningFSError(f"invalid relation label {relation!r} (no brackets or '|', not empty)")
    return label


def check_target(target: str) -> str:
    """An entity name that can become a ``[[wikilink]]``."""
    if not target.strip() or any(ch in target for ch in "[]|"):
        raise LearningFSError(f"invalid target name {target!r} (no brackets or '|': it becomes a [[wikilink]])")
    return " ".join(target.split())


def same_attribute(old: str, new: str) -> bool:
    """Both facts are ``attribute: value`` with the same attribute and different values (``role: CTO``)."""
    a, b = _ATTRIBUTE.match(old), _ATTRIBUTE.match(new)
    if not (a and b) or "http" in a.group(1).casefold():
        return False
    same_key = " ".join(a.group(1).split()).casefold() == " ".join(b.group(1).split()).casefold()
    return same_key and a.group(2).strip().casefold() != b.group(2).strip().casefold()


def put_fact(record: EntityRecord, text: str, origin: Origin, *, supersedes: str | None = None) -> ItemChange:
    """The one rule for adding a fact, whoever adds it (CLI, agent tool, MCP, extraction).

    A fact the entity already holds (case and spacing aside) changes nothing. ``supersedes``
    names a fact id the new one makes untrue; an older ``attribute: value`` fact with the same
    attribute (``role: CTO`` after ``role: VP``) is superseded too. Superseded facts stay in the
    file, struck through and pointing at their successor.
    """
    wanted = " ".join(text.split())
    if not wanted:
        raise LearningFSError("the fact is empty")
    known = _known(record.facts, wanted)
    if known is not None:
        return ItemChange(known, changed=False)
    old = [f for f in record.facts if f.active and supersedes and f.id == supersedes.strip()]
    if supersedes and not old:
        raise RecordNotFoundError(f"{record.name} has no active fact {supersedes!r}")
    item = _new_item("fact", wanted, origin)
    old += [f for f in record.facts if f.active and f not in old and same_attribute(f.text, wanted)]
    for previous in old:
        previous.status, previous.superseded_by, previous.updated = "superseded", item.id, item.created
    record.facts.append(item)
    return ItemChange(item, changed=True, superseded=tuple(old))


def put_event(record: EntityRecord, date: str, text: str, origin: Origin) -> ItemChange:
    """The one rule for adding a dated event: the same text on the same date is not repeated; date order."""
    when = date.strip()[:10]
    if not _DATE.match(when):
        raise LearningFSError(f"date must be YYYY-MM-DD, got {date!r}")
    if not text.strip():
        raise LearningFSError("the event is empty")
    known = _known(record.events, text, date=when)
    if known is not None:
        return ItemChange(known, changed=False)
    item = _new_item("event", text, origin, date=when)
    later = [i for i, e in enumerate(record.events) if e.date and e.date > when]
    record.events.insert(later[0] if later else len(record.events), item)
    return ItemChange(item, changed=True)


def put_link(source: EntityRecord, relation: str, other: EntityRecord, origin: Origin, *, note: str = "",
             inverse: str | None = None) -> tuple[ItemChange, ItemChange]:
    """The one rule for relating two entities: the edge on both ends (an existing edge takes a new note)."""
    label = relation_label(relation)
    if source.id == other.id or _same_name(source, other.name):
        raise LearningFSError(f"{source.name!r} cannot be related to itself")
    back = relation_label(inverse) if inverse else inverse_relation(label)
    return _link(source, label, other.name, note, origin), _link(other, back, source.name, note, origin)


def _same_target(a: str | None, b: str) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join(b.split()).casefold()


def add_fact(tx: RecordTx, entity: str, text: str, origin: Origin, *, namespace: str = GLOBAL_NAMESPACE,
             entity_type: str | None = None, supersedes: str | None = None) -> tuple[EntityRecord, Item]:
    """Add one fact to an entity (created if missing); the rules are :func:`put_fact`'s."""
    record = upsert_entity(tx, entity, origin, namespace=namespace, entity_type=entity_type)
    change = put_fact(record, text, origin, supersedes=supersedes)
    save(tx, record, origin)
    return record, change.item


def add_event(tx: RecordTx, entity: str, date: str, text: str, origin: Origin, *,
              namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, Item]:
    """Add a dated event; events stay in date order so the section reads as a timeline."""
    record = upsert_entity(tx, entity, origin, namespace=namespace)
    change = put_event(record, date, text, origin)
    save(tx, record, origin)
    return record, change.item


def add_relationship(tx: RecordTx, entity: str, relation: str, target: str, origin: Origin, *,
                     note: str = "", inverse: str | None = None,
                     namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, EntityRecord]:
    """Relate two entities on both ends in one commit; the target is created if it does not exist."""
    relation_label(relation)
    source = upsert_entity(tx, entity, origin, namespace=namespace)
    other = upsert_entity(tx, check_target(target), origin, namespace=namespace)
    put_link(source, relation, other, origin, note=note, inverse=inverse)
    save(tx, source, origin)
    save(tx, other, origin)
    # Only now are both files known: a link must open the target's actual file in Obsidian.
    if _point_links(source, other) | _point_links(other, source):
        save(tx, source, origin)
        save(tx, other, origin)
    return source, other


def _point_links(record: EntityRecord, target: EntityRecord) -> bool:
    """Point ``record``'s links to ``target`` at its file when that is not the name's slug (a hash-suffixed
    file, or one named before a rename); returns whether a link changed."""
    stem = posixpath.basename(target.path or "").removesuffix(".md")
    if not stem:
        return False
    wanted = None if stem == slugify(target.name) else stem
    changed = False
    for item in record.relationships:
        if item.active and _same_target(item.target, target.name) and item.link != wanted:
            if wanted is None and item.link is not None and item.link.casefold() == target.name.casefold():
                continue
            item.link = wanted
            changed = True
    return changed


def replace_fact(tx: RecordTx, entity: str, old: str, new: str, origin: Origin, *,
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
