"""Contradictions found without a model: the same attribute or the same title, stated again differently.

- Items written as ``attribute: value`` (memories and entity facts: "role: CTO", "city: Berlin")
  with the same attribute and different values: the most recent statement stands, the older
  ones are superseded by it.
- Two active learnings of one unit with the same title but different text: the newer one stands.

Contradictions in free text ("Lives in Berlin" / "Moved to Lisbon") need a model to judge; the
near-duplicate pass asks it (:mod:`learning_fs.curate.near`).
"""

from __future__ import annotations

from learning_fs.curate.merge import supersede_item, supersede_record
from learning_fs.curate.scope import Unit
from learning_fs.curate.text import attribute_of, is_pinned, item_time, normalise, one_line, record_time
from learning_fs.curate.workspace import STATEMENT_FIELDS, Workspace, item_lists
from learning_fs.format.records import LearningRecord


def supersede_attributes(unit: Unit, ws: Workspace) -> None:
    """Within each memory list and fact list, the newest ``attribute: value`` wins."""
    for path, record in list(unit.records()):
        for field, _kind, items in item_lists(record, STATEMENT_FIELDS):
            by_attribute: dict[str, list[tuple[int, str]]] = {}
            for index, item in enumerate(items):
                parsed = attribute_of(item.text) if item.active else None
                if parsed:
                    by_attribute.setdefault(parsed[0], []).append((index, parsed[1]))
            for attribute, entries in by_attribute.items():
                if len({value for _, value in entries}) < 2:
                    continue  # one value (maybe said twice: that is a duplicate, merged later)
                newest, value = max(entries, key=lambda e: (item_time(items[e[0]]), e[0]))
                older = [i for i, v in entries if v != value and not is_pinned(items[i])]
                if older:
                    reason = (f'same attribute "{attribute}", newer value: "{one_line(items[older[-1]].text)}" → '
                              f'"{one_line(items[newest].text)}"')
                    supersede_item(unit, ws, path, field, newest, older, reason)


def supersede_titles(unit: Unit, ws: Workspace) -> None:
    """Active learnings with the same title and different text: the most recent one stands."""
    by_title: dict[str, list[str]] = {}
    for path, record in unit.records("learning"):
        if isinstance(record, LearningRecord) and record.status == "active" and normalise(record.title):
            by_title.setdefault(normalise(record.title), []).append(path)
    for paths in by_title.values():
        if len(paths) < 2:
            continue
        current = {p: unit.edits.get(p) or unit.originals[p] for p in paths}
        newest = max(paths, key=lambda p: (record_time(current[p]), p))
        for path in paths:
            if path != newest and not is_pinned(current[path]):
                supersede_record(unit, ws, newest, path,
                                 f'same title "{one_line(current[newest].title_text())}", newer text')
