"""Merging duplicates and superseding contradictions, item by item and record by record.

A merge keeps ONE survivor: the oldest (its id is the one other records and people already
point at, and its ``created`` is when this was first learned) carrying the newest wording, and
``merged_from`` lists every id folded into it — including what those had merged before — so
provenance survives any number of runs. The merged files are deleted in the same commit; git
history keeps them. A supersede never deletes: the older statement gets ``status: superseded``
and ``superseded_by`` the newer one, stays in the file for history, and leaves recall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from learning_fs.curate.scope import Unit
from learning_fs.curate.text import item_time, record_time
from learning_fs.curate.workspace import Workspace
from learning_fs.format.items import Item
from learning_fs.format.records import DecisionRecord, EntityRecord, LearningRecord, Record

MERGED_FROM = "merged_from"  # item metadata key (records have a ``merged_from`` field)


@dataclass(frozen=True)
class ItemGroup:
    """Items of one list (by index) that say the same thing.

    ``text`` replaces the survivor's wording; else ``reword`` takes the newest item's (a near
    duplicate may say more), and without it the survivor keeps its own (an exact duplicate only
    differs in case or punctuation, and the first wording is usually the careful one).
    """

    indices: tuple[int, ...]
    reason: str
    text: str | None = None
    reword: bool = True


def merge_item_groups(unit: Unit, ws: Workspace, path: str, field: str, groups: Sequence[ItemGroup]) -> set[int]:
    """Merge each group into its oldest item; returns the indices (before removal) that were removed."""
    if not groups:
        return set()
    record = unit.edit(path)
    items: list[Item] = getattr(record, field)
    removed: set[int] = set()
    for group in groups:
        members = [i for i in group.indices if i not in removed]
        if len(members) < 2:
            continue
        keep = min(members, key=lambda i: (str(items[i].created or "~"), i))
        newest = max(members, key=lambda i: (item_time(items[i]), i))
        drops = [i for i in members if i != keep]
        survivor = items[keep]
        merged = [*_split(survivor.extra.get(MERGED_FROM))]
        for i in drops:
            merged += [items[i].id, *_split(items[i].extra.get(MERGED_FROM))]
        text = group.text or (items[newest].text if group.reword else survivor.text)
        if text != survivor.text:
            survivor.text = " ".join(text.split())
            survivor.updated = ws.stamp
        survivor.extra[MERGED_FROM] = ",".join(dict.fromkeys(merged))
        removed.update(drops)
        ws.act(unit, "merge", [path], [survivor.id, *(items[i].id for i in drops)], group.reason)
    for i in sorted(removed, reverse=True):
        del items[i]
    return removed


def supersede_item(unit: Unit, ws: Workspace, path: str, field: str, newer: int, older: Sequence[int],
                   reason: str) -> None:
    """Mark ``older`` items superseded by item ``newer`` (indices into the record's list)."""
    items: list[Item] = getattr(unit.edit(path), field)
    winner = items[newer]
    for i in older:
        items[i].status, items[i].superseded_by, items[i].updated = "superseded", winner.id, ws.stamp
    ws.act(unit, "supersede", [path], [winner.id, *(items[i].id for i in older)], reason)


def supersede_record(unit: Unit, ws: Workspace, newer: str, older: str, reason: str) -> None:
    """Mark the record at ``older`` superseded by the one at ``newer``."""
    winner = unit.edit(newer) if newer in unit.edits else unit.originals[newer]
    loser = unit.edit(older)
    loser.status, loser.superseded_by = "superseded", winner.id
    ws.act(unit, "supersede", [newer, older], [winner.id, loser.id], reason)


def merge_records(unit: Unit, ws: Workspace, paths: Sequence[str], reason: str, text: str | None = None,
                  *, reword: bool = True) -> str:
    """Fold the records at ``paths`` into the oldest one, delete the others; returns the survivor's path.

    ``text``/``reword`` as for :class:`ItemGroup`: the wording of a learning's or a decision's text.
    """
    current = {path: unit.edits.get(path) or unit.originals[path] for path in paths}
    keep = min(paths, key=lambda p: (str(current[p].created or "~"), p))
    others = [p for p in sorted(paths, key=lambda p: record_time(current[p])) if p != keep]
    survivor = unit.edit(keep)
    merged = list(survivor.merged_from)
    for path in others:
        other = current[path]
        merged += [other.id, *other.merged_from]
        _fold(survivor, other)
    if text or reword:
        _take_wording(survivor, max(current.values(), key=record_time), text)
    survivor.merged_from = list(dict.fromkeys(m for m in merged if m != survivor.id))
    for path in others:
        unit.delete(path)
    ws.act(unit, "merge", [keep, *others], [survivor.id, *(current[p].id for p in others)], reason)
    return keep


def _split(value: object) -> list[str]:
    return [part for part in str(value or "").split(",") if part]


def _fold(survivor: Record, other: Record) -> None:
    """Bring what ``other`` knows that ``survivor`` does not into ``survivor`` (lists, tags, names)."""
    survivor.tags = sorted({*survivor.tags, *other.tags})
    if isinstance(survivor, EntityRecord) and isinstance(other, EntityRecord):
        names = {survivor.name.casefold()}
        aliases = [a for a in [*survivor.aliases, other.name, *other.aliases] if a.casefold() not in names]
        survivor.aliases = sorted(dict.fromkeys(aliases), key=str.casefold)
        if len(other.description) > len(survivor.description):
            survivor.description = other.description
        if survivor.entity_type == "thing":
            survivor.entity_type = other.entity_type
        for field in ("facts", "events", "relationships"):
            known = {item.id for item in getattr(survivor, field)}
            getattr(survivor, field).extend(i for i in getattr(other, field) if i.id not in known)
    elif isinstance(survivor, DecisionRecord) and isinstance(other, DecisionRecord):
        known = {item.id for item in survivor.alternatives}
        survivor.alternatives.extend(i for i in other.alternatives if i.id not in known)
        survivor.outcome = survivor.outcome or other.outcome
        survivor.outcome_quality = survivor.outcome_quality or other.outcome_quality
    elif isinstance(survivor, LearningRecord) and isinstance(other, LearningRecord):
        survivor.context = survivor.context or other.context


def _take_wording(survivor: Record, newest: Record, text: str | None) -> None:
    """The survivor says what the most recent statement says (or the model's merged wording)."""
    if isinstance(survivor, LearningRecord) and isinstance(newest, LearningRecord):
        survivor.learning = text or newest.learning
        survivor.context = newest.context or survivor.context
    elif isinstance(survivor, DecisionRecord) and isinstance(newest, DecisionRecord):
        survivor.decision = newest.decision or survivor.decision
        survivor.reasoning = newest.reasoning or survivor.reasoning
