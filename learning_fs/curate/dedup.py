"""Exact duplicates: the same statement twice, after normalising (see :func:`~learning_fs.curate.text.normalise`).

Within a file, duplicate items (two memories, two facts, the same event or link) merge into one.
Across files of one unit, two learnings or decisions with the same title and text merge, and two
entity files naming the same thing (same name, or one's name among the other's aliases) merge into
one file that keeps every fact, event, link and name. No model is involved.
"""

from __future__ import annotations

from learning_fs.curate.merge import ItemGroup, merge_item_groups, merge_records
from learning_fs.curate.scope import Unit
from learning_fs.curate.text import normalise
from learning_fs.curate.workspace import Workspace, item_lists
from learning_fs.format.items import Item
from learning_fs.format.records import DecisionRecord, EntityRecord, LearningRecord


def item_key(item: Item, item_kind: str) -> str:
    """What makes two items of a list the same statement."""
    if item_kind == "event":
        return f"{item.date or ''}\0{normalise(item.text)}"
    if item_kind == "relationship":
        return f"{normalise(item.relation or '')}\0{normalise(item.target or '')}"
    return normalise(item.text)


def dedup_items(unit: Unit, ws: Workspace) -> None:
    """Merge exact duplicate items inside every file of the unit (active items only)."""
    for path, record in list(unit.records()):
        for field, item_kind, items in item_lists(record):
            seen: dict[str, list[int]] = {}
            for index, item in enumerate(items):
                key = item_key(item, item_kind)
                if item.active and key.strip("\0"):
                    seen.setdefault(key, []).append(index)
            groups = [ItemGroup(tuple(indices), f"exact duplicate {item_kind} (same text after normalising)",
                                reword=False) for indices in seen.values() if len(indices) > 1]
            merge_item_groups(unit, ws, path, field, groups)


def dedup_records(unit: Unit, ws: Workspace) -> None:
    """Merge records of the unit that are the same learning, decision or entity."""
    by_key: dict[tuple[str, str], list[str]] = {}
    for path, record in unit.records():
        if record.status != "active":
            continue
        if isinstance(record, LearningRecord):
            key = normalise(record.title) + "\0" + normalise(record.learning)
        elif isinstance(record, DecisionRecord):
            key = normalise(record.title) + "\0" + normalise(record.decision)
        else:
            continue
        by_key.setdefault((record.kind, key), []).append(path)
    for (kind, _key), paths in by_key.items():
        if len(paths) > 1:
            merge_records(unit, ws, paths, f"exact duplicate {kind} (same title and text after normalising)",
                          reword=False)
    _merge_entities(unit, ws)


def _merge_entities(unit: Unit, ws: Workspace) -> None:
    """Entity files that share a name or alias describe one thing: merge them (union-find over names)."""
    paths = [path for path, record in unit.records("entity") if record.status == "active"]
    parent = {path: path for path in paths}

    def find(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    names_of: dict[str, set[str]] = {}
    owner_of: dict[str, str] = {}
    for path in paths:
        record = unit.edits.get(path) or unit.originals[path]
        assert isinstance(record, EntityRecord)
        names_of[path] = {normalise(record.name), *(normalise(a) for a in record.aliases)} - {""}
        for name in names_of[path]:
            if name in owner_of:
                a, b = find(owner_of[name]), find(path)
                if a != b:
                    parent[b] = a
            else:
                owner_of[name] = path
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(find(path), []).append(path)
    for members in groups.values():
        if len(members) > 1:
            counts: dict[str, int] = {}
            for path in members:
                for name in names_of[path]:
                    counts[name] = counts.get(name, 0) + 1
            names = ", ".join(f'"{name}"' for name in sorted(n for n, c in counts.items() if c > 1))
            merge_records(unit, ws, members, f"the same entity (shared name {names})")
